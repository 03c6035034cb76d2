// Memory access in non-stop while every thread runs and threads keep exiting (gdb's
// gdb.threads/access-mem-running-thread-exit): the server pauses one thread of the process
// for each access; one that exits instead of stopping, or that /proc already shows exited
// while the tracer has not heard of it yet, must not fail the access ("Cannot access memory").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVER, fixtureBin, gdbEx, gdbOpts } from './helpers.js';

const PROG = fixtureBin('gdb_thread_churn');

test('non-stop, all threads running and coming and going by the thousand: 150 writes and reads of a global all succeed', gdbOpts, () => {
  const cmds = ['set non-stop on', 'set print thread-events off', `target remote | ${SERVER} stdio -- ${PROG}`, 'continue -a &', 'shell sleep 0.5'];
  for (let i = 0; i < 75; i++) cmds.push(`print value = ${1000 + i}`, 'print value');
  cmds.push('kill');
  const out = gdbEx(cmds, PROG);
  assert.doesNotMatch(out, /Cannot access memory/, out.slice(0, 4000));
  for (let i = 0; i < 75; i++) {
    assert.equal(out.match(new RegExp(`^\\$\\d+ = ${1000 + i}$`, 'gm'))?.length, 2, `write and read back of ${1000 + i}: ${out.slice(0, 3000)}`);
  }
});
