// Memory of a process whose threads all run (non-stop), while threads come and go: gdb 13
// reads and writes a global through the server with no thread stopped, as in gdb's own
// gdb.threads/access-mem-running-thread-exit. A thread paused for each access used to exit
// first now and then: "Cannot access memory at address" (1 run in 2 of that suite file).
// Fixture: test/fixtures/thread_churn.c (4 workers creating and joining threads, leader gone).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVER, fixtureBin, gdbEx, gdbOpts } from './helpers.js';

const CHURN = fixtureBin('thread_churn');

test('non-stop: a global written and read 50 times each while every thread runs and threads churn', gdbOpts, () => {
  const cmds = ['set non-stop on', `target remote | ${SERVER} stdio -- ${CHURN} 8`, 'continue &', 'shell sleep 0.3'];
  for (let i = 0; i < 50; i++) cmds.push('info threads', `print churn_var = ${1000 + i}`, 'print churn_var');
  cmds.push('kill');
  const out = gdbEx(cmds, CHURN);
  assert.doesNotMatch(out, /Cannot access memory/, out);
  const values = [...out.matchAll(/^\$\d+ = (\d+)$/gm)].map((m) => Number(m[1]));
  const want: number[] = [];
  for (let i = 0; i < 50; i++) want.push(1000 + i, 1000 + i);
  assert.deepEqual(values, want, out);
});
