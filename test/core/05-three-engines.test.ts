/**
 * Three independent engines on a program with 8 threads and 3 forked children, each
 * following every new thread and child by attaching itself in reportClone: every engine
 * sees exactly what a single engine sees alone (syscall entries and exits, clones, deaths).
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Attach, Event, SYSCALL_NR } from '../../src/index.js';
import type { Engine, EngineOps, Task, Tracer } from '../../src/index.js';
import { capture, cleanup, exitGuard, exitOf, fixture, newTracer, untraced } from './helpers.js';

afterEach(cleanup);
after(exitGuard);

const GETPPID = SYSCALL_NR['getppid']!;
const N = 150;

interface Counts {
  getppidEntries: number;
  getppidExits: number;
  entries: number;
  exits: number;
  clones: number;
  threadClones: number;
  deaths: number;
  tids: Set<number>;
}

function follower(tracer: Tracer, c: Counts): EngineOps<Counts> {
  const ops: EngineOps<Counts> = {
    reportSyscallEntry(_a, _e, call) {
      c.entries++;
      if (call.nr === GETPPID) c.getppidEntries++;
    },
    reportSyscallExit(_a, _e, call) {
      c.exits++;
      if (call.nr === GETPPID) c.getppidExits++;
    },
    reportClone(_a, _e, flags, child: Task) {
      c.clones++;
      if (flags & 0x10000n) c.threadClones++;
      // Follow the new thread or child: it starts with no engines.
      follow(tracer, child, ops, c);
    },
    reportDeath(eng: Engine<Counts>) {
      c.deaths++;
      c.tids.add(eng.task.tid);
    },
  };
  return ops;
}

function follow(tracer: Tracer, task: Task, ops: EngineOps<Counts>, c: Counts): void {
  tracer.attachTask(task, Attach.CREATE | Attach.EXCLUSIVE | Attach.MATCH_OPS, ops, c)
    .setEvents(Event.SYSCALL | Event.CLONE | Event.DEATH);
}

function newCounts(): Counts {
  return { getppidEntries: 0, getppidExits: 0, entries: 0, exits: 0, clones: 0, threadClones: 0, deaths: 0, tids: new Set() };
}

async function run(engines: number): Promise<{ counts: Counts[]; out: string }> {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('threads_fork'), String(N)], { stdio: ['ignore', out.fd, 'inherit'] });
  const counts: Counts[] = [];
  for (let i = 0; i < engines; i++) {
    const c = newCounts();
    counts.push(c);
    follow(tracer, task, follower(tracer, c), c);
  }
  task.start();
  assert.deepEqual(await exitOf(task, 20_000), { code: 0, signal: null, core: false });
  return { counts, out: out.text() };
}

function deterministic(c: Counts) {
  return {
    getppidEntries: c.getppidEntries, getppidExits: c.getppidExits, clones: c.clones,
    threadClones: c.threadClones, deaths: c.deaths, distinctTids: c.tids.size,
  };
}

test('three engines each see what one engine sees alone (8 threads, 3 forked children)', { timeout: 40_000 }, async () => {
  const expectedOut = `threads=8 children=3 getppid=${8 * N + 3 * 2 * N}\n`;
  assert.equal(untraced(fixture('threads_fork'), [String(N)]), expectedOut);
  const single = await run(1);
  assert.equal(single.out, expectedOut);
  const s = single.counts[0]!;
  assert.deepEqual(deterministic(s), {
    getppidEntries: 8 * N + 3 * 2 * N, getppidExits: 8 * N + 3 * 2 * N,
    clones: 11, threadClones: 8, deaths: 12, distinctTids: 12,
  });
  const triple = await run(3);
  assert.equal(triple.out, expectedOut);
  for (const [i, c] of triple.counts.entries()) {
    assert.deepEqual(deterministic(c), deterministic(s), `engine ${i} vs the single engine`);
  }
  // Within one run every engine saw every report, including the non-deterministic ones
  // (futex calls depend on timing, so those only compare within the run).
  const [a, b, c] = triple.counts as [Counts, Counts, Counts];
  for (const x of [b, c]) {
    assert.equal(x.entries, a.entries);
    assert.equal(x.exits, a.exits);
    assert.deepEqual([...x.tids].sort(), [...a.tids].sort());
  }
  // Every thread exits through exit/exit_group, which has an entry but no exit report.
  assert.equal(a.entries - a.exits, 12);
});
