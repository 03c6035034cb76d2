/**
 * The drain's wait, when one thread is counted running, is a waitpid on the thread resumed
 * last. That thread may have stopped already while another one runs: the wait must not then
 * sit out its bound (about 4 ms) before it sees the other thread's stop. All-stop debuggers
 * make exactly this pattern: resume every thread, one stops, the others are stopped too.
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Attach, Event, Resume } from '../../src/index.js';
import type { Engine, EngineOps, Task } from '../../src/index.js';
import { T, cleanup, exitGuard, exitOf, fixture, newTracer, waitFor, withTimeout } from './helpers.js';

afterEach(cleanup);
after(exitGuard);

const NR_GETPPID = 110;

test('rounds of "resume all threads, each stops at its next syscall": no round waits out the bound', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('stress_threads'), '3', '100000'], { stdio: 'ignore' });
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
      if (held.size === 3) allHeld?.();
      return Resume.STOP;
    },
  };
  const main = tracer.attachTask(task, Attach.CREATE, ops);
  main.setEvents(Event.SYSCALL_ENTRY | Event.CLONE);
  task.start();
  // The three workers (the main thread only joins them).
  await waitFor(() => held.size === 3, 5000, 'three workers held at getppid');
  const workers = [...held];
  // The main thread sits in pthread_join: stop it too, or the drain rightly waits out its
  // bound for a thread that runs and never stops.
  main.control(Resume.STOP);
  await withTimeout(main.stopped(), 5000, 'main thread stopped');
  const ROUNDS = 100;
  const t0 = performance.now();
  for (let r = 0; r < ROUNDS; r++) {
    held.clear();
    const again = new Promise<void>((resolve) => (allHeld = resolve));
    for (const tid of workers) engines.get(tid)!.control(Resume.RESUME);
    await withTimeout(again, 5000, `round ${r}: all three held again`);
  }
  const perRound = (performance.now() - t0) / ROUNDS;
  // Each round is three syscall stops (microseconds each). A stale hint made most rounds wait
  // out the drain's 4 ms bound.
  assert.ok(perRound < 2, `${perRound.toFixed(2)} ms per round`);
  hold = false;
  for (const tid of workers) engines.get(tid)!.control(Resume.RESUME);
  main.control(Resume.RESUME);
  process.kill(task.tgid, 'SIGKILL');
  await exitOf(task);
});

test('a thread that simply runs (in pthread_join) does not make each drain wait out the bound', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('stress_threads'), '3', '100000'], { stdio: 'ignore' });
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
      if (held.size === 3) allHeld?.();
      return Resume.STOP;
    },
  };
  const main = tracer.attachTask(task, Attach.CREATE, ops);
  main.setEvents(Event.SYSCALL_ENTRY | Event.CLONE);
  task.start();
  await waitFor(() => held.size === 3, 5000, 'three workers held at getppid');
  const workers = [...held];
  // The main thread is left running: it sits in pthread_join and never stops.
  const ROUNDS = 100;
  const t0 = performance.now();
  for (let r = 0; r < ROUNDS; r++) {
    held.clear();
    const again = new Promise<void>((resolve) => (allHeld = resolve));
    for (const tid of workers) engines.get(tid)!.control(Resume.RESUME);
    await withTimeout(again, 5000, `round ${r}: all three held again`);
  }
  const perRound = (performance.now() - t0) / ROUNDS;
  assert.ok(perRound < 2, `${perRound.toFixed(2)} ms per round`);
  hold = false;
  for (const tid of workers) engines.get(tid)!.control(Resume.RESUME);
  process.kill(task.tgid, 'SIGKILL');
  await exitOf(task);
});
