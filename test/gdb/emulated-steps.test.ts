// Steps the server emulates instead of single-stepping (vCont;s and ;r of the only resumed
// thread: Task.emulateStep) end exactly where real steps do. The same gdb session runs plain,
// with emulation switched off (UTRACE_GDB_EMULATE=0), and, where debug registers trap, with a
// hardware watchpoint on a variable the loop never writes, which turns emulation off too
// (watchpoints must fire for every access); the registers gdb shows after stepi, next and
// finish must be the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DR, SERVER, fixtureBin, gdbEx, gdbOpts } from './helpers.js';

const PROG = fixtureBin('gdb_prog');

function session(watch: boolean, env = ''): { regs: string[]; out: string } {
  const out = gdbEx([`target remote | ${env}${SERVER} stdio -- ${PROG} loop 50`, 'break tick', 'continue', 'delete',
    ...(watch ? ['watch late'] : []),
    // Each instruction of a few loop turns, then many at once.
    ...Array.from({ length: 120 }, () => ['stepi', 'printf "S %lx %lx %lx %lx %lx %lx\\n", $pc, $eflags, $rax, $rdx, $rsp, $rbp']).flat(),
    'stepi 400', 'info registers rip rsp rbp rax rcx rdx rsi rdi eflags',
    'next 3', 'step', 'info registers rip rsp rbp rax eflags', 'finish', 'info registers rip rsp rax eflags',
    'delete', 'continue'], PROG);
  const regs = out.split('\n').filter((l) => /^(rip|rsp|rbp|rax|rcx|rdx|rsi|rdi|eflags|S) /.test(l));
  return { regs, out };
}

test('stepi, next, step and finish: emulated steps end where real ones do', gdbOpts, () => {
  // The same environment size both ways (the program inherits it: stack addresses).
  const plain = session(false, 'env UTRACE_GDB_EMULATE=1 ');
  const real = session(false, 'env UTRACE_GDB_EMULATE=0 ');
  const watched = DR ? session(true, 'env UTRACE_GDB_EMULATE=1 ') : undefined;
  if (watched) assert.match(watched.out, /Hardware watchpoint 2: late/, watched.out);
  for (const s of [plain, real, ...(watched ? [watched] : [])]) {
    assert.match(s.out, /sum=2450/, s.out);
    assert.match(s.out, /exited normally/, s.out);
  }
  assert.equal(plain.regs.length, 120 + 9 + 5 + 4, plain.out);
  assert.deepEqual(plain.regs, real.regs);
  if (watched) assert.deepEqual(plain.regs, watched.regs);
});
