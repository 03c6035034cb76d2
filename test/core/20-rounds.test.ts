/**
 * Several busy threads, one tracer: every thread is served in turn (native/wait.c, rounds).
 * waitid hands out the first waitable tracee in the kernel's list order, and a thread that
 * stopped again before the tracer looked was served again ahead of those waiting longer:
 * before rounds, of four threads making 5000 getppid calls each, two made most of their calls
 * while the other two made a few, and the other two then ran alone.
 * And a stop taken ahead may go stale: the thread killed, or its tid taken by another
 * thread's execve.
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Attach, Event } from '../../src/index.js';
import type { EngineOps, Task } from '../../src/index.js';
import { capture, cleanup, exitGuard, exitOf, fixture, newTracer, waitFor } from './helpers.js';

afterEach(cleanup);
after(exitGuard);

const NR_GETPPID = 110;
const T = { timeout: 60_000 };

/** A slow engine's callback: the stops taken with this one wait in the round meanwhile. */
function busy(ms: number): void {
  const t0 = performance.now();
  while (performance.now() - t0 < ms);
}

/** The tid of each getppid exit, in the order the engines saw them. */
async function getppidOrder(threads: number, calls: number): Promise<number[]> {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('stress_threads'), String(threads), String(calls)], { stdio: 'ignore' });
  const order: number[] = [];
  const ops: EngineOps = {
    reportClone(_a, _e, _f, child: Task) {
      tracer.attachTask(child, Attach.CREATE, ops).setEvents(Event.SYSCALL_EXIT | Event.CLONE);
    },
    reportSyscallExit(_a, e, call) {
      if (call.nr === NR_GETPPID) order.push(e.task.tid);
    },
  };
  tracer.attachTask(task, Attach.CREATE, ops).setEvents(Event.SYSCALL_EXIT | Event.CLONE);
  task.start();
  assert.equal((await exitOf(task, 30_000)).code, 7);
  return order;
}

test('busy threads are served in turn: none waits while others run ahead', T, async () => {
  const ratios: number[] = [];
  const seen: string[] = [];
  for (let run = 0; run < 3; run++) {
    const order = await getppidOrder(4, 5000);
    assert.equal(order.length, 20_000);
    // Calls per thread in the first half of the trace: served in turn the four threads make
    // about as many (the fewest 0.72-0.93 of the most; strace 0.95-0.99); served in list
    // order two of them made 2-19% of what the other two did, then ran alone to the end.
    const counts = new Map<number, number>();
    for (const tid of order.slice(0, order.length / 2)) counts.set(tid, (counts.get(tid) ?? 0) + 1);
    assert.equal(counts.size, 4, `run ${run}: every thread made calls in the first half`);
    ratios.push(Math.min(...counts.values()) / Math.max(...counts.values()));
    seen.push([...counts.values()].join('/'));
  }
  // The median of three: a CPU hog next to the test brings single runs down to a third (15
  // runs with two hogs: 0.33-0.89; without: 0.72-0.82).
  const median = [...ratios].sort((x, y) => x - y)[1]!;
  assert.ok(median >= 0.3, `calls per thread in the first half: ${seen.join(', ')}`);
});

test('a non-leader execve while busy threads\' stops wait their turn: the exec is reported, the new image runs', T, async () => {
  for (let run = 0; run < 10; run++) {
    const tracer = newTracer();
    const out = capture();
    const task = await tracer.spawn([fixture('exec_busy_threads'), '3', '5'], { stdio: ['ignore', out.fd, 'inherit'] });
    let execs = 0;
    let newLeader: Task | undefined;
    const MASK = Event.SYSCALL_ENTRY | Event.SYSCALL_EXIT | Event.CLONE | Event.EXEC;
    const ops: EngineOps = {
      reportClone(_a, _e, _f, child: Task) {
        tracer.attachTask(child, Attach.CREATE, ops).setEvents(MASK);
      },
      reportSyscallEntry() {
        busy(1); // the stops taken with the execve's wait their turn while it runs
      },
      reportSyscallExit() {},
      reportExec(_a, e, ex) {
        execs++;
        if (ex.formerTid !== task.tgid) newLeader = e.task;
      },
    };
    tracer.attachTask(task, Attach.CREATE, ops).setEvents(MASK);
    task.start();
    await waitFor(() => newLeader, 20_000, `run ${run}: the thread's exec`);
    // The thread that called execve is the process now (the old leader's Task is gone).
    assert.deepEqual(await exitOf(newLeader!, 20_000), { code: 0, signal: null, core: false }, `run ${run}`);
    assert.equal(out.text(), 'after exec\n', `run ${run}`);
    assert.equal(execs, 2, `run ${run}: the spawn's exec and the thread's`);
  }
});

test('SIGKILL while stops wait their turn: each thread\'s exit is reported, not a stale syscall stop', T, async () => {
  for (let run = 0; run < 10; run++) {
    const tracer = newTracer();
    const task = await tracer.spawn([fixture('stress_threads'), '4', '100000000'], { stdio: 'ignore' });
    const exited = new Set<number>();
    const died = new Set<number>();
    let reports = 0;
    let killer = 0;
    const MASK = Event.SYSCALL_ENTRY | Event.CLONE | Event.EXIT | Event.DEATH;
    const ops: EngineOps = {
      reportClone(_a, _e, _f, child: Task) {
        tracer.attachTask(child, Attach.CREATE, ops).setEvents(MASK);
      },
      reportSyscallEntry(_a, e) {
        busy(0.5);
        if (++reports === 200) {
          // Every thread is in a stop or about to be: the tracer is the slowest part.
          killer = e.task.tid;
          process.kill(task.tgid, 'SIGKILL');
        }
      },
      reportExit(_a, e) {
        exited.add(e.task.tid);
      },
      reportDeath(e) {
        died.add(e.task.tid);
      },
    };
    tracer.attachTask(task, Attach.CREATE, ops).setEvents(MASK);
    task.start();
    assert.equal((await exitOf(task, 20_000)).signal, 9);
    assert.equal(died.size, 5, `run ${run}: the main thread and four workers`);
    // The thread whose report sent the signal may die without its exit stop (the kernel's
    // choice, the same before rounds); every other one was in a stop, or in a round, and
    // stops again at its exit. A round that handed out its old syscall stop instead would
    // restart it from there, and its exit report would be lost (1 to 3 threads a run, without
    // the check).
    const lost = [...died].filter((t) => t !== killer && !exited.has(t));
    assert.deepEqual(lost, [], `run ${run}: threads with no exit report`);
  }
});
