/**
 * Strays: children of this Node process that nobody traces or waits for. A traced program's
 * clone(CLONE_PARENT) makes its child ours (the fixture clone_parent then waits for it to be
 * reaped); the tracer reaps it and says so ('stray-exit'), and leaves libuv's own
 * child_process children to libuv. Real tracees, real ptrace.
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn as cpSpawn } from 'node:child_process';
import { Attach, Event, Resume } from '../../src/index.js';
import type { Engine, EngineOps, ExitStatus, Task } from '../../src/index.js';
import { native } from '../../src/core/addon.js';
import { capture, cleanup, delay, exitGuard, fixture, newTracer, ourZombies, procState, T, waitFor, withTimeout } from './helpers.js';

afterEach(cleanup);
after(exitGuard);

/** The program's exit: the engines here may not follow it to the end (the process's). */
const exitOf = (task: Task): Promise<ExitStatus> => withTimeout(task.process.exit, 15_000, `exit of ${task.tgid}`);
const childPids = (text: string): number[] => [...text.matchAll(/^child (\d+)$/gm)].map((m) => Number(m[1]));

test('a traced program\'s CLONE_PARENT children, not followed, are reaped and told as stray exits', T, async () => {
  const tracer = newTracer();
  const strays: [number, ExitStatus][] = [];
  tracer.on('stray-exit', (pid: number, st: ExitStatus) => strays.push([pid, st]));
  const out = capture();
  const task = await tracer.spawn([fixture('clone_parent'), '3'], { stdio: ['ignore', out.fd, 'inherit'] });
  task.start();
  // Status 3: a child stayed a zombie of ours for 10 s (nobody reaped it).
  assert.deepEqual(await exitOf(task), { code: 0, signal: null, core: false });
  const pids = childPids(out.text());
  assert.equal(pids.length, 3, out.text());
  assert.deepEqual(strays, pids.map((p) => [p, { code: 42, signal: null, core: false }]));
  for (const p of pids) assert.ok(!ourZombies().includes(p));
});

test('a CLONE_PARENT child an engine follows is a tracee: its exit is the engine\'s, not a stray', T, async () => {
  const tracer = newTracer();
  const strays: number[] = [];
  tracer.on('stray-exit', (pid: number) => strays.push(pid));
  const deaths = new Map<number, number | null>();
  const follower: EngineOps = {
    name: 'follow',
    reportClone(_a, _e, _f, child: Task) {
      tracer.attachTask(child, Attach.CREATE, follower).setEvents(Event.CLONE | Event.EXIT);
      return Resume.RESUME;
    },
    reportExit(_a, e: Engine, exit) {
      deaths.set(e.task.tid, exit.code ?? null);
      return Resume.RESUME;
    },
  };
  const out = capture();
  const task = await tracer.spawn([fixture('clone_parent'), '2'], { stdio: ['ignore', out.fd, 'inherit'] });
  tracer.attachTask(task, Attach.CREATE, follower).setEvents(Event.CLONE);
  task.start();
  assert.deepEqual(await exitOf(task), { code: 0, signal: null, core: false });
  const pids = childPids(out.text());
  assert.equal(pids.length, 2, out.text());
  for (const p of pids) assert.equal(deaths.get(p), 42);
  assert.deepEqual(strays, [], `program ${task.tgid}, children ${pids.join(' ')}`);
});

test('a zombie of libuv\'s is never taken for a stray', T, () => {
  // While this code runs, libuv cannot reap its child: a build that took every foreign
  // zombie would name it here (and reaping it would lose its 'exit' event for good).
  const cp = cpSpawn('/bin/sh', ['-c', 'exit 7'], { stdio: 'ignore' });
  const pid = cp.pid!;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const end = Date.now() + 5000;
  while (procState(pid) !== 'Z' && Date.now() < end) Atomics.wait(cell, 0, 0, 2);
  assert.equal(procState(pid), 'Z');
  assert.equal(native.strayChild(), 0);
  return new Promise<void>((resolve, reject) => {
    cp.on('exit', (code) => (code === 7 ? resolve() : reject(new Error(`exit ${code}`))));
  });
});

test('child_process children keep their exits while strays are reaped around them', T, async () => {
  const tracer = newTracer();
  const strays: number[] = [];
  tracer.on('stray-exit', (pid: number) => strays.push(pid));
  const out = capture();
  const task = await tracer.spawn([fixture('clone_parent'), '20'], { stdio: ['ignore', out.fd, 'inherit'] });
  task.start();
  const exits: Promise<number | null>[] = [];
  const mine: number[] = [];
  for (let i = 0; i < 10; i++) {
    const cp = cpSpawn('/bin/sh', ['-c', `exit ${i + 1}`], { stdio: 'ignore' });
    mine.push(cp.pid!);
    exits.push(new Promise((resolve) => cp.on('exit', (code) => resolve(code))));
    await waitFor(() => strays.length > i || task.state === 'dead', 10_000, 'a stray');
  }
  assert.deepEqual(await Promise.all(exits), mine.map((_, i) => i + 1));
  assert.deepEqual(await exitOf(task), { code: 0, signal: null, core: false });
  assert.deepEqual(strays, childPids(out.text()));
  for (const p of mine) assert.ok(!strays.includes(p));
});

// A SIGKILL that lands between a thread's clone and its clone event makes the kernel skip the
// event: the new thread dies traced by us and never named. Unreaped, it held back its leader's
// exit for ever (a gdbserver killing such a program never exited). The fixture's workers
// create and join a thread each in a loop; about one kill in two lands in that window.
test('a program killed while its threads churn is seen to exit: threads its clone events never named are reaped', T, async () => {
  const runs = Number(process.env.UTRACE_STRESS_RUNS ?? 8);
  for (let i = 0; i < runs; i++) {
    const tracer = newTracer();
    const follower: EngineOps = {
      name: 'follow',
      reportClone(_a, _e, _f, child: Task) {
        tracer.attachTask(child, Attach.CREATE, follower).setEvents(Event.CLONE);
        return Resume.RESUME;
      },
    };
    const out = capture();
    const task = await tracer.spawn([fixture('thread_churn'), '4'], { stdio: ['ignore', out.fd, 'inherit'] });
    tracer.attachTask(task, Attach.CREATE, follower).setEvents(Event.CLONE);
    task.start();
    await waitFor(() => out.text().includes('ready'), 10_000, 'thread_churn ready');
    await delay(20 + 10 * i);
    process.kill(task.tgid, 'SIGKILL');
    const st = await withTimeout(task.process.exit, 5000, `exit of the killed program (run ${i + 1})`);
    assert.equal(st.signal, 9);
    await withTimeout(tracer.close(), 5000, 'tracer.close()');
    assert.deepEqual(ourZombies(), []);
  }
});
