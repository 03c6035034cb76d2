// Signals that gdb passes (QPassSignals) arriving while gdb steps a thread: gdbserver reports
// them anyway, so gdb can step over the handler with a breakpoint at its return; delivered
// silently under the step, the step would end in the handler's first instruction and `next`
// would stop there (gdb's sigrepeat.exp). A SIGSEGV is never passed silently either: a
// breakpoint can cause one (gdb's catch-gdb-caused-signals.exp). Real gdb 13 in batch mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVER, fixtureBin, gdbEx, gdbOpts } from './helpers.js';

const PROG = fixtureBin('gdb_sig_next');

test('`next` over a loop that a 1 ms SIGALRM handler ends stops after the loop, not in the handler (5 runs)', gdbOpts, () => {
  for (let run = 0; run < 5; run++) {
    const out = gdbEx(['set remotetimeout 30', `target remote | ${SERVER} stdio -- ${PROG}`, 'handle SIGALRM nostop noprint pass',
      'break on_alarm', 'break main', 'continue', 'disable 1', 'advance 39', 'next', 'info line *$pc', 'p hits', 'continue'], PROG);
    assert.match(out, /^39\t {2}while \(hits < 200\)/m, out);
    assert.doesNotMatch(out, /on_alarm \(sig=/, `run ${run}: the step ended in the handler\n${out}`);
    assert.match(out, /^Line 41 of .*gdb_sig_next\.c/m, `run ${run}\n${out}`);
    assert.match(out, /^\$1 = 2\d\d$/m, out);
    assert.match(out, /hits=2\d\d/);
    assert.match(out, /exited normally/);
  }
});

test('a SIGSEGV under `handle SIGSEGV nostop noprint` still reaches gdb when gdb steps, and the program handles it', gdbOpts, () => {
  const out = gdbEx(['set remotetimeout 30', `target remote | ${SERVER} stdio -- ${PROG} segv`, 'handle SIGSEGV nostop noprint pass',
    'break on_segv', 'disable 1', 'break main', 'continue', 'next', 'next', 'next', 'next', 'continue'], PROG);
  assert.doesNotMatch(out, /on_segv \(sig=/, out);
  assert.match(out, /faults=1/, out);
  assert.match(out, /exited normally/, out);
});

test('$_siginfo written by gdb (qXfer:siginfo:write) is the siginfo the program\'s handler gets', gdbOpts, () => {
  const prog = fixtureBin('gdb_siginfo_write');
  const out = gdbEx(['set remotetimeout 30', `target remote | ${SERVER} stdio -- ${prog}`, 'continue', 'p $_siginfo.si_code',
    'set $_siginfo.si_code = 999', 'set $_siginfo.si_errno = 666', 'set $_siginfo._sifields._sigfault.si_addr = 0x666',
    'p $_siginfo.si_code', 'continue'], prog);
  assert.match(out, /Program received signal SIGSEGV/, out);
  assert.match(out, /^\$1 = 1$/m, 'SEGV_MAPERR before');
  assert.doesNotMatch(out, /Unable to write siginfo/, out);
  assert.match(out, /^\$2 = 999$/m, out);
  assert.match(out, /signo=11 code=999 errno=666 addr=0x666/, out);
});
