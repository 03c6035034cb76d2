// Memory of a process whose threads all run (non-stop), while threads come and go: gdb 13
// reads and writes a global through the server with no thread stopped, as in gdb's own
// gdb.threads/access-mem-running-thread-exit. A thread paused for each access used to exit
// first now and then, or /proc showed it exited before the tracer heard of it: "Cannot access
// memory at address" (1 run in 2 of that suite file).
// Fixture: test/fixtures/thread_churn.c (workers creating and joining threads, leader gone).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVER, fixtureBin, gdbEx, gdbOpts } from './helpers.js';

const CHURN = fixtureBin('thread_churn');

/** gdb in non-stop on thread_churn with 8 workers, every thread running: `each(i)` for i < n,
 * then kill. The transcript. */
function whileChurning(settings: string[], n: number, each: (i: number) => string[]): string {
  const cmds = ['set non-stop on', ...settings, `target remote | ${SERVER} stdio -- ${CHURN} 8`, 'continue -a &', 'shell sleep 0.3'];
  for (let i = 0; i < n; i++) cmds.push(...each(i));
  cmds.push('kill');
  return gdbEx(cmds, CHURN);
}

/** The values gdb printed (`$N = V`), in order. */
const printed = (out: string): number[] => [...out.matchAll(/^\$\d+ = (\d+)$/gm)].map((m) => Number(m[1]));

test('non-stop: a global written and read 50 times each, info threads between, while every thread runs and threads churn', gdbOpts, () => {
  const out = whileChurning([], 50, (i) => ['info threads', `print churn_var = ${1000 + i}`, 'print churn_var']);
  assert.doesNotMatch(out, /Cannot access memory/, out);
  assert.deepEqual(printed(out), Array.from({ length: 50 }, (_, i) => [1000 + i, 1000 + i]).flat(), out);
});

test('non-stop, thread events off: 150 writes and reads of a global back to back while threads come and go by the thousand', gdbOpts, () => {
  const out = whileChurning(['set print thread-events off'], 75, (i) => [`print churn_var = ${1000 + i}`, 'print churn_var']);
  assert.doesNotMatch(out, /Cannot access memory/, out.slice(0, 4000));
  assert.deepEqual(printed(out), Array.from({ length: 75 }, (_, i) => [1000 + i, 1000 + i]).flat(), out.slice(0, 4000));
});
