// Real gdb 13 against `utrace gdbserver`: single steps over the syscall instruction of vfork,
// fork and clone, as gdb.base/step-over-syscall.exp does them (fixture gdb_step_syscalls: each
// syscall under a label, *_after the next instruction). A step over vfork or fork ends right
// after the instruction, the way gdbserver's does; a false target-side condition on a clone's
// syscall instruction is stepped over by the server without losing the step or the children.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVER, fixtureBin, gdbEx, gdbOpts } from './helpers.js';

const PROG = fixtureBin('gdb_step_syscalls');
const gdb = (cmds: string[]): string => gdbEx([`target remote | ${SERVER} stdio -- ${PROG}`, ...cmds], PROG);

test('stepi over vfork (the second one, displaced stepping off): the step ends right after the syscall insn', gdbOpts, () => {
  // The first vfork runs under `continue`, the second under the step: its exit stop (vforkdone)
  // must be seen as an exit, and the step told there, not one instruction later.
  const out = gdb(['set displaced-stepping off', 'break *vfork_insn', 'continue', 'continue', 'stepi',
    'p $pc == &vfork_after', 'p/x $pc', 'delete', 'break marker', 'continue', 'continue']);
  assert.match(out, /^\$1 = 1$/m, out);
  assert.match(out, /Breakpoint 2, marker \(\)/, out);
  assert.match(out, /\[Inferior 1 \(process \d+\) exited normally\]/, out);
});

test('stepi over fork with displaced stepping on: after the fork event the step ends at once, no instruction run', gdbOpts, () => {
  // gdb moves the PC out of its scratch pad at the fork event and steps again from the fork's
  // return: that step finishes the syscall (no instruction), as it does with gdbserver.
  const out = gdb(['break *fork_insn', 'continue', 'set displaced-stepping on', 'stepi', 'p $pc == &fork_after',
    'set displaced-stepping off', 'delete', 'break marker', 'continue', 'continue']);
  assert.match(out, /^\$1 = 1$/m, out);
  assert.match(out, /Breakpoint 2, marker \(\)/, out);
  assert.match(out, /\[Inferior 1 \(process \d+\) exited normally\]/, out);
});

test('a false target-side condition on clone\'s syscall insn and in the child: each clone stepped over, marker reached', gdbOpts, () => {
  const out = gdb(['set breakpoint condition-evaluation target', 'break *clone_insn if zero', 'break clone_child if zero',
    'break marker', 'continue', 'info breakpoints', 'continue']);
  assert.match(out, /Breakpoint 3, marker \(\)/, out);
  // No hit of a false condition was reported to gdb (it counts those it hears of): marker's only.
  assert.deepEqual(out.match(/breakpoint already hit \d+ time/g), ['breakpoint already hit 1 time'], out);
  assert.match(out, /\[Inferior 1 \(process \d+\) exited normally\]/, out);
});
