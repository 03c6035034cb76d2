// Target-side breakpoint conditions (gdb's agent bytecode in Z0) served by a debug register
// while one is free, so a false condition costs no step-over, and by an int3 once the four
// debug registers are taken. Real gdb 13 in batch mode; the kind of trap shows in
// $_siginfo.si_code (TRAP_HWBKPT = 4 for a debug register, SI_KERNEL = 0x80 for int3).
// Where debug registers never trap (DR false: some hypervisors), the server must keep
// conditions on int3s; it accepts gdb's hbreak and watchpoints as GNU gdbserver does there,
// and says once that they will not trigger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DR, SERVER, fixtureBin, gdbEx, gdbOpts, tmpDir } from './helpers.js';

const PROG = fixtureBin('gdb_prog');
const tmp = tmpDir('utrace-gdb-cond-');
const opts = gdbOpts;
const gdb = (cmds: string[]): string => gdbEx(cmds, PROG);

for (const mt of [false, true]) {
  const mode = mt ? 'loop-mt' : 'loop';
  const how = mt ? 'multi-threaded: on a debug register (an int3 where they do not trap)' : 'single-threaded: an int3, the step over it emulated';
  test(`a target-side condition, ${how}: false 700 times without a stop reply, then the hit at 700; the program sees no int3`, opts, () => {
    const log = path.join(tmp, `dr-${mode}.rsp`);
    const out = gdb([`set remotelogfile ${log}`, `target remote | ${SERVER} stdio -- ${PROG} ${mode}`,
      'set breakpoint condition-evaluation target', 'break tick if i == 700', 'continue', 'p i', 'p $_siginfo.si_code',
      'p/x $pc', 'bt 1', 'next', 'delete', 'continue']);
    assert.match(out, /Breakpoint 1, tick \(i=700\)/, out);
    assert.match(out, /^\$1 = 700$/m);
    if (mt && DR) assert.match(out, /^\$2 = 4$/m, 'a debug-register trap (TRAP_HWBKPT)');
    else assert.match(out, /^\$2 = 128$/m, 'an int3 trap (SI_KERNEL)');
    const bp = /Breakpoint 1 at (0x[0-9a-f]+):/.exec(out)?.[1];
    assert.ok(bp, out);
    assert.match(out, new RegExp(`^\\$3 = ${bp}$`, 'm'), 'stopped on the breakpoint address, not after it');
    assert.match(out, /sum=999000/, 'the program computed its sum: no int3 or lost instruction on the way');
    assert.match(out, /exited normally/);
    const rsp = fs.readFileSync(log, 'latin1');
    assert.match(rsp, /^w \$Z0,[0-9a-f]+,1;X[0-9a-f]+,/m, 'the condition went to the server as bytecode');
    // Between the user's `continue` and `p i`: a few stops for ld.so's library events, none for
    // the 700 hits of the false condition.
    const run = rsp.slice(rsp.indexOf('\nc continue\n'), rsp.indexOf('\nc p i\n'));
    assert.ok(run.length > 0, rsp.slice(0, 500));
    const stops = run.split('\n').filter((l) => /^r \$T05/.test(l)).length;
    assert.ok(stops >= 1 && stops <= 6, `${stops} stop replies for 700 hits`);
  });
}

test('with the four debug registers taken by hbreak and watchpoints, the conditional breakpoint is an int3 and still stops only at 700', opts, () => {
  if (!DR) {
    // Debug registers that never trap: hbreak and watch are accepted (as gdbserver accepts
    // them), the server warns once, and the conditional breakpoint (an int3) still works.
    const out = gdb([`target remote | ${SERVER} stdio -- ${PROG} loop`,
      'set breakpoint condition-evaluation target', 'hbreak add', 'watch g', 'break tick if i == 700', 'continue',
      'delete 1 2', 'p i', 'p $_siginfo.si_code', 'delete', 'continue']);
    assert.doesNotMatch(out, /Cannot insert|Could not insert/, out);
    assert.equal(out.match(/debug registers do not trap/g)?.length, 1, out);
    assert.match(out, /Breakpoint 3, tick \(i=700\)/, out);
    assert.match(out, /^\$1 = 700$/m);
    assert.match(out, /^\$2 = 128$/m, 'an int3 trap (SI_KERNEL)');
    assert.match(out, /sum=999000/);
    assert.match(out, /exited normally/);
    return;
  }
  const out = gdb([`target remote | ${SERVER} stdio -- ${PROG} loop`,
    'set breakpoint condition-evaluation target', 'set can-use-hw-watchpoints 1',
    'hbreak add', 'hbreak worker', 'hbreak late_writer', 'watch g',
    'break tick if i == 700', 'continue', 'p i', 'p $_siginfo.si_code', 'p/x $pc', 'delete', 'continue']);
  assert.match(out, /Hardware watchpoint 4: g/, out);
  assert.doesNotMatch(out, /Could not insert/, out);
  assert.match(out, /Breakpoint 5, tick \(i=700\)/, out);
  assert.match(out, /^\$1 = 700$/m);
  assert.match(out, /^\$2 = 128$/m, 'an int3 trap (SI_KERNEL)');
  const bp = /Breakpoint 5 at (0x[0-9a-f]+):/.exec(out)?.[1];
  assert.match(out, new RegExp(`^\\$3 = ${bp}$`, 'm'), 'the PC put back on the int3');
  assert.match(out, /sum=999000/);
  assert.match(out, /exited normally/);
});

test('gdb\'s hbreak and watchpoints take the debug registers back from a conditional breakpoint inserted before them', opts, () => {
  if (!DR) {
    // No debug registers to take back: the conditional breakpoint is an int3 from the start
    // in a multi-threaded process; the hardware breakpoint is accepted with a warning.
    const out = gdb([`target remote | ${SERVER} stdio -- ${PROG} loop-mt`,
      'set breakpoint condition-evaluation target', 'break tick if i == 300', 'continue', 'p $_siginfo.si_code',
      'hbreak worker', 'continue']);
    assert.match(out, /Breakpoint 1, tick \(i=300\)/, out);
    assert.match(out, /^\$1 = 128$/m, 'an int3 trap (SI_KERNEL)');
    assert.doesNotMatch(out, /Cannot insert/, out);
    assert.match(out, /debug registers do not trap/, out);
    assert.match(out, /sum=999000/);
    assert.match(out, /exited normally/);
    return;
  }
  const out = gdb([`target remote | ${SERVER} stdio -- ${PROG} loop-mt`,
    'set breakpoint condition-evaluation target', 'break tick if i == 300', 'continue', 'p $_siginfo.si_code',
    'hbreak add', 'hbreak worker', 'hbreak late_writer', 'watch g', 'delete 1', 'break tick if i == 700', 'continue', 'p i',
    'p $_siginfo.si_code', 'delete', 'continue']);
  assert.match(out, /Breakpoint 1, tick \(i=300\)/, out);
  assert.match(out, /^\$1 = 4$/m, 'first on a debug register');
  assert.doesNotMatch(out, /Could not insert/, out);
  assert.match(out, /Breakpoint 6, tick \(i=700\)/, out);
  assert.match(out, /^\$2 = 700$/m);
  assert.match(out, /^\$3 = 128$/m, 'then an int3: the four debug registers went to gdb');
  assert.match(out, /sum=999000/);
  assert.match(out, /exited normally/);
});

test('a conditional breakpoint on a debug register in threads created after it was set: each new thread gets it', opts, () => {
  const out = gdb([`target remote | ${SERVER} stdio -- ${PROG} threads`,
    'set breakpoint condition-evaluation target', 'break worker if (long)arg == 5', 'continue', 'p (long)arg',
    'p $_siginfo.si_code', 'delete', 'continue']);
  assert.match(out, /hit Breakpoint 1, worker \(arg=0x5\)/, out);
  assert.match(out, /^\$1 = 5$/m);
  if (DR) assert.match(out, /^\$2 = 4$/m, 'a debug-register trap in a thread created after the breakpoint');
  else assert.match(out, /^\$2 = 128$/m, 'an int3 trap (SI_KERNEL): no debug registers here');
  assert.match(out, /exited normally/, out);
});

// Threads hitting one int3 together: each false hit steps over it with the other threads held.
// Two step-overs at once each waited for the other thread to be held (a hang), and threads held
// for a step-over were never released. UTRACE_DEBUG_REGS=0 keeps the breakpoint on an int3 on
// machines whose debug registers work. Repeated: the collisions depend on scheduling.
test('int3 conditions hit by several threads at once: one stop at the true hit, every false one stepped over, no hang (x5)', opts, () => {
  for (let i = 0; i < 5; i++) {
    const out = gdb([`target remote | env UTRACE_DEBUG_REGS=0 ${SERVER} stdio -- ${PROG} threads`,
      'set breakpoint condition-evaluation target', 'break worker if (long)arg == 5', 'continue', 'p (long)arg',
      'p $_siginfo.si_code', 'delete', 'break worker if (long)arg == 99', 'continue']);
    assert.match(out, /hit Breakpoint 1, worker \(arg=0x5\)/, `run ${i}: ${out}`);
    assert.match(out, /^\$1 = 5$/m);
    assert.match(out, /^\$2 = 128$/m, 'an int3 trap (SI_KERNEL)');
    assert.doesNotMatch(out, /Breakpoint 2, /, 'a false condition stopped');
    assert.match(out, /exited normally/, `run ${i}: every worker ran once (counter 36): ${out}`);
  }
});
