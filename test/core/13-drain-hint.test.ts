/**
 * How long the drain blocks. With one thread counted running it waits on the thread resumed
 * last; that thread may have stopped already while another runs, and the wait must not then
 * sit out its bound (about 4 ms) before it sees the other thread's stop. And a thread that
 * simply runs (a main thread in pthread_join) is no reason to block at all. All-stop
 * debuggers make exactly this pattern: resume every thread, one stops, the others are
 * stopped too; the test does it from promises, as an engine would.
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Attach, Event, Resume } from '../../src/index.js';
import type { Engine, EngineOps, Task } from '../../src/index.js';
import { T, cleanup, exitGuard, exitOf, fixture, newTracer, waitFor, withTimeout } from './helpers.js';

afterEach(cleanup);
after(exitGuard);

const NR_GETPPID = 110;
const WORKERS = 3;
const ROUNDS = 100;

/** ms per round of "resume the three workers, each stops at its next getppid entry". */
async function rounds(holdMain: boolean): Promise<number> {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('stress_threads'), String(WORKERS), '100000'], { stdio: 'ignore' });
  const engines = new Map<number, Engine>();
  const held = new Set<number>();
  let hold = true;
  let allHeld: (() => void) | undefined;
  const ops: EngineOps = {
    reportClone(_a, _e, _f, child: Task) {
      const c = tracer.attachTask(child, Attach.CREATE, ops);
      c.setEvents(Event.SYSCALL_ENTRY | Event.CLONE);
      engines.set(child.tid, c);
    },
    reportSyscallEntry(_a, e, call) {
      if (!hold || call.nr !== NR_GETPPID) return Resume.RESUME;
      held.add(e.task.tid);
      if (held.size === WORKERS) allHeld?.();
      return Resume.STOP;
    },
  };
  const main = tracer.attachTask(task, Attach.CREATE, ops);
  main.setEvents(Event.SYSCALL_ENTRY | Event.CLONE);
  task.start();
  await waitFor(() => held.size === WORKERS, 5000, 'the workers held at getppid');
  const workers = [...held];
  if (holdMain) {
    main.control(Resume.STOP);
    await withTimeout(main.stopped(), 5000, 'main thread stopped');
  }
  const t0 = performance.now();
  for (let r = 0; r < ROUNDS; r++) {
    held.clear();
    const again = new Promise<void>((resolve) => (allHeld = resolve));
    for (const tid of workers) engines.get(tid)!.control(Resume.RESUME);
    await withTimeout(again, 5000, `round ${r}: all workers held again`);
  }
  const perRound = (performance.now() - t0) / ROUNDS;
  hold = false;
  for (const tid of workers) engines.get(tid)!.control(Resume.RESUME);
  if (holdMain) main.control(Resume.RESUME);
  process.kill(task.tgid, 'SIGKILL');
  await exitOf(task);
  return perRound;
}

// Each round is three syscall stops of microseconds each; waiting out the bound made most
// rounds take 4-6 ms.
test('every thread held between rounds: the one-thread hint never waits out the bound', T, async () => {
  const ms = await rounds(true);
  assert.ok(ms < 2, `${ms.toFixed(2)} ms per round`);
});

test('a thread that simply runs (in pthread_join) does not make each drain wait out the bound', T, async () => {
  const ms = await rounds(false);
  assert.ok(ms < 2, `${ms.toFixed(2)} ms per round`);
});
