// A signal that becomes pending while gdb steps a thread whose steps are emulated (the thread
// never runs: nothing dequeues the signal) must still stop the step, as gdbserver's real
// single-step meets it first. Emulated steps look for a pending signal (the thread's own and
// its process's: an alarm is process-wide) at the first step after gdb's prompt and at least
// once a millisecond. gdb's branch-to-self.exp (a host-side condition on a `jmp .`: gdb steps
// over it for ever, the SIGALRM handler makes the condition true) and sigstep.exp (stepi with
// a timer expired while gdb waited). Real gdb 13 in batch mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, SERVER, fixtureBin, gdbEx, gdbOpts } from './helpers.js';

const PROG = fixtureBin('gdb_jmp_self');
const LOOP = fs.readFileSync(path.join(ROOT, 'test/fixtures/gdb_jmp_self.c'), 'utf8').split('\n').findIndex((l) => l.includes('loop-line')) + 1;

test('a host-side condition on a jump to itself: the SIGALRM that makes it true arrives while gdb steps over it (3 runs)', gdbOpts, () => {
  for (let run = 0; run < 3; run++) {
    const out = gdbEx(['set remotetimeout 30', `target remote | ${SERVER} stdio -- ${PROG}`, 'set breakpoint condition-evaluation host',
      `break gdb_jmp_self.c:${LOOP} if counter > 3`, 'continue', 'p counter', 'kill'], PROG);
    assert.match(out, new RegExp(`Breakpoint 1, main \\(\\) at .*gdb_jmp_self\\.c:${LOOP}`), `run ${run}\n${out}`);
    assert.match(out, /^\$1 = 5$/m, out);
  }
});

test('stepi with a SIGALRM pending since gdb\'s prompt stops for the signal before the instruction', gdbOpts, () => {
  const out = gdbEx(['set remotetimeout 30', `target remote | ${SERVER} stdio -- ${PROG}`, 'handle SIGALRM stop print',
    `break gdb_jmp_self.c:${LOOP}`, 'continue', 'shell sleep 1.5', 'stepi', 'p counter', 'p $_siginfo.si_signo', 'stepi', 'kill'], PROG);
  assert.match(out, /Breakpoint 1, main/, out);
  assert.match(out, /Program received signal SIGALRM, Alarm clock\./, out);
  // Stopped for the signal before the handler ran; the next stepi delivers it (gdb passes it)
  // and ends on the handler's first instruction.
  assert.match(out, /^\$1 = 0$/m, out);
  assert.match(out, /^\$2 = 14$/m, out);
  assert.match(out, /^handler \(sig=.*gdb_jmp_self\.c:8$/m, out);
});
