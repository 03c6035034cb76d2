/**
 * Co-scheduling (src/core/colocate.ts) with real tracees: while a thread that stops often is
 * pinned to the tracer thread's CPU, the program still sees its own affinity mask, its own
 * sched_setaffinity survives, a multi-threaded program keeps its threads on every CPU, and the
 * mask is back after detach. Forced ('on') so that the rate threshold does not decide.
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Attach, Event } from '../../src/index.js';
import type { EngineOps, Task, Tracer } from '../../src/index.js';
import { T, capture, cleanup, exitGuard, exitOf, fixture, newTracer, untraced, waitFor } from './helpers.js';

afterEach(cleanup);
after(exitGuard);

const NR_GETPPID = 110;

/** Cpus_allowed_list of a thread, as the kernel holds it (the real mask). */
function allowed(pid: number, tid = pid): string {
  const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'));
  return m![1]!;
}

const own = allowed(process.pid);
const single = (list: string): boolean => /^\d+$/.test(list);
/** The machine lets us use more than one CPU: only then is a pin visible as a change. */
const multi = !single(own);

function forced(): Tracer {
  const tracer = newTracer();
  tracer._colocate = 'on';
  return tracer;
}

/** Follow every thread with ops; mask: the events. */
function follow(tracer: Tracer, task: Task, ops: EngineOps, mask: number): void {
  const all: EngineOps = {
    ...ops,
    reportClone(_a, _e, _f, child) {
      tracer.attachTask(child, Attach.CREATE, all).setEvents(mask);
    },
  };
  tracer.attachTask(task, Attach.CREATE, all).setEvents(mask | Event.CLONE);
}

for (const mode of ['every syscall', 'seccomp prefilter'] as const) {
  test(`co-scheduled (${mode}): the program reads its own mask, its sched_setaffinity survives`, T, async () => {
    const expected = untraced(fixture('affinity'), ['1000']);
    const tracer = forced();
    const out = capture();
    const task = await tracer.spawn([fixture('affinity'), '1000'], {
      stdio: ['ignore', out.fd, 'inherit'],
      ...(mode === 'seccomp prefilter' ? { syscalls: [NR_GETPPID] } : {}),
    });
    const seen = new Set<string>();
    let n = 0;
    const ops: EngineOps = {
      syscalls: mode === 'seccomp prefilter' ? [NR_GETPPID] : undefined,
      reportSyscallEntry(_a, _e, call) {
        // Every 50th: reading /proc at each stop is slow on a loaded machine.
        if (call.nr === NR_GETPPID && n++ % 50 === 0) seen.add(allowed(task.tgid));
      },
    };
    follow(tracer, task, ops, Event.SYSCALL_ENTRY);
    task.start();
    assert.deepEqual(await exitOf(task), { code: 0, signal: null, core: false });
    // The same lines as untraced: before/during = its own mask, set/after = what it asked.
    assert.equal(out.text(), expected);
    assert.match(out.text(), /in_mask=1/);
    if (multi) {
      // It was pinned meanwhile (one CPU) and, after its own call, pinned inside its new mask.
      assert.ok([...seen].some(single), `never pinned: ${[...seen].join(' ')}`);
    }
    // The tracer thread has its own mask back once nothing is co-scheduled.
    assert.equal(allowed(process.pid), own);
  });
}

test('a multi-threaded program keeps its threads on all its CPUs', T, async () => {
  const tracer = forced();
  const task = await tracer.spawn([fixture('stress_threads'), '2', '1000'], { stdio: 'ignore' });
  const worker = new Set<string>();
  let n = 0;
  // Sample each worker thread's real mask at its own getppid stops.
  follow(tracer, task, {
    reportSyscallEntry(_a, e, call) {
      if (call.nr === NR_GETPPID && e.task.tid !== task.tgid && n++ % 50 === 0) worker.add(allowed(task.tgid, e.task.tid));
    },
  }, Event.SYSCALL_ENTRY);
  task.start();
  assert.equal((await exitOf(task)).code, 7);
  assert.deepEqual([...worker], [own]);
  assert.equal(allowed(process.pid), own);
});

test('the mask is back after detach, and the tracer thread\'s too', T, async () => {
  const tracer = forced();
  const out = capture();
  const task = await tracer.spawn([fixture('affinity'), 'spin'], { stdio: ['ignore', out.fd, 'inherit'] });
  let stops = 0;
  const engine = tracer.attachTask(task, Attach.CREATE, {
    reportSyscallEntry() {
      stops++;
    },
    reportClone() {},
  });
  engine.setEvents(Event.SYSCALL_ENTRY | Event.CLONE);
  task.start();
  await waitFor(() => out.text() === 'ready\n' && stops > 100, 5000, 'spinning');
  if (multi) {
    assert.ok(single(allowed(task.tgid)), `not pinned: ${allowed(task.tgid)}`);
    assert.equal(allowed(process.pid), allowed(task.tgid), 'tracer thread and tracee on one CPU');
  }
  engine.detach();
  await waitFor(() => task.state !== 'stopped' && !tracer.tasks().includes(task), 5000, 'detached');
  assert.equal(allowed(task.tgid), own);
  assert.equal(allowed(process.pid), own);
  process.kill(task.tgid, 'SIGKILL');
});

test('off: nothing is pinned', T, async () => {
  const tracer = newTracer();
  tracer._colocate = 'off';
  const out = capture();
  const task = await tracer.spawn([fixture('affinity'), 'spin'], { stdio: ['ignore', out.fd, 'inherit'] });
  const seen = new Set<string>();
  tracer.attachTask(task, Attach.CREATE, {
    reportSyscallEntry() {
      if (seen.size < 50) seen.add(allowed(task.tgid));
    },
    reportClone() {},
  }).setEvents(Event.SYSCALL_ENTRY | Event.CLONE);
  task.start();
  await waitFor(() => out.text() === 'ready\n' && seen.size > 0, 5000, 'spinning');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual([...seen], [own]);
  assert.equal(allowed(process.pid), own);
});
