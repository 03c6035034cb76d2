// The server's own step over a breakpoint whose target-side condition is false, cut by a
// signal: the instruction under the int3 faults (test/fixtures/gdb_nested_faults.c, whose
// SIGSEGV handler makes the same load twice more). The step over must end there, the int3
// back, so the fault is decided on as any signal: before, the step over stayed on, each later
// resume of the thread was a single-step, and gdb heard its trap in the handler as "received
// signal SIGTRAP" (gdb's signest.exp, 4 PASS of gdbserver's 5). Real gdb 13.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVER, fixtureBin, gdbExAsync, gdbOpts } from './helpers.js';

const PROG = fixtureBin('gdb_nested_faults');

test('a fault under a false-condition breakpoint, passed to a handler that faults there again: every fault is told, then the exit; no SIGTRAP', gdbOpts, async () => {
  for (const where of ['target', 'host']) {
    const out = await gdbExAsync(['set sysroot /', `set breakpoint condition-evaluation ${where}`, `target remote | ${SERVER} stdio -- ${PROG}`,
      'continue', 'break if 0', 'handle SIGSEGV nostop print pass', 'continue'], PROG, 60, { UTRACE_DEBUG_REGS: '0' });
    assert.doesNotMatch(out, /SIGTRAP/, `${where}-side condition\n${out}`);
    assert.equal(out.match(/Program received signal SIGSEGV/g)?.length, 3, `${where}-side condition\n${out}`);
    assert.match(out, /\[Inferior 1 \(process \d+\) exited normally\]/, out);
  }
});
