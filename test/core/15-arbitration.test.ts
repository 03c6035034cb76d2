/**
 * Vote arbitration by table, without a tracee: the pure rule (castVote), then the state
 * machine against a scripted kernel (fakeBackend.ts) for what the votes make the thread do:
 * strictest wins, STOP is sticky and released by each holder, syscall entry runs in reverse
 * attach order, DETACH removes only its voter, and the last engine's event bits decide.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { castVote, type VoteState } from '../../src/core/passes.js';
import { Attach, Event, Resume, SyscallAction, SignalAction, Tracer, type Engine, type EngineOps, type Task } from '../../src/index.js';
import { FakeKernel } from './fakeBackend.js';

const { STOP, INTERRUPT, REPORT, SINGLESTEP, BLOCKSTEP, RESUME, DETACH } = Resume;
const NAMES = ['STOP', 'INTERRUPT', 'REPORT', 'SINGLESTEP', 'BLOCKSTEP', 'RESUME', 'DETACH'];

// ------------------------------------------------------------------ the pure rule

test('castVote: the strictest resume action wins, DETACH counts as RESUME, bits are the last engine\'s', () => {
  // [votes in call order] -> combined resume action, combined bits
  const rows: [(number | undefined)[], number, number][] = [
    [[RESUME, RESUME], RESUME, 0],
    [[RESUME, STOP], STOP, 0],
    [[STOP, RESUME], STOP, 0],
    [[SINGLESTEP, BLOCKSTEP], SINGLESTEP, 0],
    [[BLOCKSTEP, REPORT], REPORT, 0],
    [[INTERRUPT, REPORT, SINGLESTEP], INTERRUPT, 0],
    [[DETACH, RESUME], RESUME, 0],
    [[DETACH, SINGLESTEP], SINGLESTEP, 0],
    [[undefined, undefined], RESUME, 0],
    [[RESUME | SyscallAction.ABORT, RESUME], RESUME, 0],
    [[RESUME, RESUME | SyscallAction.ABORT], RESUME, SyscallAction.ABORT],
    // undefined keeps the bits voted so far ("no opinion")
    [[RESUME | SyscallAction.ABORT, undefined], RESUME, SyscallAction.ABORT],
    [[STOP | SignalAction.IGN, RESUME | SignalAction.STOP], STOP, SignalAction.STOP],
  ];
  for (const [votes, want, bits] of rows) {
    const p: VoteState = { action: RESUME, id: 1, detach: null };
    votes.forEach((v) => assert.ok(castVote(p, { _passId: 0, _vote: RESUME }, v, false)));
    const label = votes.map((v) => (v === undefined ? 'undefined' : NAMES[v & 0xf] + (v & ~0xf ? `|0x${(v & ~0xf).toString(16)}` : ''))).join(', ');
    assert.equal(p.action & 0xf, want, `[${label}] -> ${NAMES[want]}`);
    assert.equal(p.action & ~0xf, bits, `[${label}] bits`);
  }
});

test('castVote: an engine\'s own vote is its strictest in the pass, replacing earlier passes; DETACH listed once per vote', () => {
  const e = { _passId: 0, _vote: STOP as Resume }; // held since an earlier pass
  const p: VoteState = { action: RESUME, id: 7, detach: null };
  castVote(p, e, RESUME, true); // its quiesce report in a new pass: the hold is replaced
  assert.equal(e._vote, RESUME);
  castVote(p, e, SINGLESTEP, false);
  assert.equal(e._vote, SINGLESTEP);
  castVote(p, e, RESUME, false); // a later, laxer vote in the same pass does not lift it
  assert.equal(e._vote, SINGLESTEP);
  const q: VoteState = { action: RESUME, id: 8, detach: null };
  castVote(q, e, DETACH, false);
  assert.equal(e._vote, RESUME);
  assert.equal(q.detach?.length, 1);
  // a quiesce report's bits never count
  const r: VoteState = { action: RESUME | SyscallAction.ABORT, id: 9, detach: null };
  castVote(r, { _passId: 0, _vote: RESUME }, RESUME, true);
  assert.equal(r.action, RESUME | SyscallAction.ABORT);
});

test('castVote: nonsense is refused and changes nothing', () => {
  for (const bad of [7, 15, -1, 1.5, Number.NaN, '5' as unknown as number]) {
    const p: VoteState = { action: REPORT, id: 3, detach: null };
    const e = { _passId: 0, _vote: RESUME as Resume };
    assert.equal(castVote(p, e, bad, false), false, String(bad));
    assert.deepEqual(p, { action: REPORT, id: 3, detach: null });
    assert.equal(e._vote, RESUME);
  }
});

// ------------------------------------------------------------------ the state machine

interface Rig {
  kernel: FakeKernel;
  tracer: Tracer;
  task: Task;
  calls: string[];
  errors: unknown[];
}

/** A spawned thread (fake) with engines voting by script at syscall entry and exit. */
async function rig(scripts: { entry?: (call: number) => number | void; exit?: () => number | void; events?: number }[]): Promise<Rig & { engines: Engine[] }> {
  const kernel = new FakeKernel();
  const tracer = new Tracer({ backend: kernel });
  const errors: unknown[] = [];
  tracer.on('engine-error', (_e, _n, err) => errors.push(err));
  tracer.on('error', (err) => errors.push(err));
  const task = await tracer.spawn(['/bin/true']);
  const calls: string[] = [];
  const engines = scripts.map((s, i) => {
    const ops: EngineOps = {
      name: `e${i}`,
      reportQuiesce: () => undefined,
      reportSyscallEntry: (_a, _e, call) => {
        calls.push(`entry e${i}`);
        return s.entry?.(call.nr);
      },
      reportSyscallExit: () => {
        calls.push(`exit e${i}`);
        return s.exit?.();
      },
      reportSignal: () => {
        calls.push(`signal e${i}`);
        return undefined;
      },
    };
    const e = tracer.attachTask(task, Attach.CREATE, ops);
    e.setEvents(s.events ?? Event.SYSCALL);
    return e;
  });
  task.start();
  kernel.take();
  return { kernel, tracer, task, calls, errors, engines };
}

test('syscall entry runs in reverse attach order, exit in attach order', async () => {
  const r = await rig([{}, {}, {}]);
  r.kernel.syscallEntry(r.task.tid, 39);
  r.kernel.syscallExit(r.task.tid, 100n);
  assert.deepEqual(r.calls, ['entry e2', 'entry e1', 'entry e0', 'exit e0', 'exit e1', 'exit e2']);
  assert.deepEqual(r.kernel.take(), [`SYSCALL ${r.task.tid} 0`, `SYSCALL ${r.task.tid} 0`]);
  assert.deepEqual(r.errors, []);
});

test('what the thread does for the votes at a syscall exit (table)', async () => {
  // votes at syscall exit, in attach order -> the request made (none: held)
  const rows: [Resume[], string | null][] = [
    [[RESUME, RESUME], 'SYSCALL'],
    [[RESUME, STOP], null],
    [[STOP, STOP], null],
    [[SINGLESTEP, RESUME], 'SINGLESTEP'],
    [[RESUME, BLOCKSTEP], 'SINGLESTEP'], // block steps degrade to single steps while syscalls are traced
    [[BLOCKSTEP, SINGLESTEP], 'SINGLESTEP'],
    [[DETACH, RESUME], 'SYSCALL'],
    [[STOP, SINGLESTEP], null],
  ];
  for (const [votes, want] of rows) {
    const r = await rig(votes.map((v) => ({ exit: () => v, events: Event.SYSCALL | Event.QUIESCE })));
    r.kernel.syscallEntry(r.task.tid, 39);
    r.kernel.take();
    r.kernel.syscallExit(r.task.tid, 1n);
    const label = votes.map((v) => NAMES[v]).join(', ');
    assert.deepEqual(r.kernel.take(), want ? [`${want} ${r.task.tid} 0`] : [], `[${label}]`);
    assert.equal(r.task.state, want ? 'running' : 'stopped', `[${label}] state`);
    assert.deepEqual(r.errors, [], `[${label}] errors`);
  }
});

test('STOP is sticky: the thread runs only when the last holder releases it, through later passes too', async () => {
  const r = await rig([{ exit: () => STOP }, { exit: () => STOP }, {}]);
  const tid = r.task.tid;
  r.kernel.syscallEntry(tid, 39);
  r.kernel.take();
  r.kernel.syscallExit(tid, 1n);
  assert.deepEqual(r.kernel.take(), []);
  assert.ok(r.engines[0]!.holding && r.engines[1]!.holding && !r.engines[2]!.holding);
  r.engines[0]!.control(RESUME);
  assert.deepEqual(r.kernel.take(), [], 'the second hold remains');
  // A REPORT pass while held: engines that vote nothing keep no hold, but the hold of an
  // engine not asked (no QUIESCE) stays.
  r.engines[1]!.control(RESUME);
  assert.deepEqual(r.kernel.take(), [`SYSCALL ${tid} 0`]);
  assert.equal(r.task.state, 'running');
});

test('REPORT while another engine holds at syscall entry: the entry pass runs again (RESUMED) once the hold is released, and its votes decide again', async () => {
  let entries = 0;
  const flags: number[] = [];
  const r = await rig([
    { entry: () => (++entries <= 2 ? STOP : RESUME), events: Event.SYSCALL | Event.QUIESCE },
    { events: Event.SYSCALL | Event.QUIESCE },
  ]);
  const tid = r.task.tid;
  const ops = r.engines[0]!.ops;
  const entry = ops.reportSyscallEntry!;
  (ops as { reportSyscallEntry: typeof entry }).reportSyscallEntry = (a, e, c) => (flags.push(a), entry(a, e, c));
  r.kernel.syscallEntry(tid, 39);
  assert.deepEqual(r.kernel.take(), []);
  assert.ok(r.engines[0]!.holding);
  r.calls.length = 0;
  r.engines[1]!.control(REPORT);
  assert.deepEqual(r.calls, [], 'nothing while e0 holds');
  r.engines[0]!.control(RESUME);
  assert.deepEqual(r.calls, ['entry e1', 'entry e0'], 'the entry pass again, reverse order');
  assert.ok(flags[1]! & SyscallAction.RESUMED, 'with RESUMED');
  assert.ok(r.engines[0]!.holding, 'e0 voted STOP again: held again');
  assert.deepEqual(r.kernel.take(), []);
  r.engines[0]!.control(RESUME);
  assert.deepEqual(r.kernel.take(), [`SYSCALL ${tid} 0`]);
});

test('DETACH removes only the engine that returned it; the last engine\'s DETACH detaches the thread', async () => {
  const r = await rig([{ exit: () => DETACH }, {}]);
  const tid = r.task.tid;
  r.kernel.syscallEntry(tid, 39);
  r.kernel.syscallExit(tid, 1n);
  assert.ok(r.engines[0]!.detached && !r.engines[1]!.detached);
  assert.deepEqual(r.task.engines, [r.engines[1]]);
  assert.deepEqual(r.kernel.take(), [`SYSCALL ${tid} 0`, `SYSCALL ${tid} 0`]);
  r.calls.length = 0;
  r.kernel.syscallEntry(tid, 39);
  assert.deepEqual(r.calls, ['entry e1'], 'a detached engine is not called again');

  const s = await rig([{ exit: () => DETACH }]);
  s.kernel.syscallEntry(s.task.tid, 39);
  s.kernel.take();
  s.kernel.syscallExit(s.task.tid, 1n);
  assert.deepEqual(s.kernel.take(), [`DETACH ${s.task.tid} 0`]);
  assert.equal(s.tracer.task(s.task.tid), undefined);
});

test('the last engine called at syscall entry decides RUN or ABORT (x86_64: orig_rax -1)', async () => {
  const rows: [number | void, number | void, boolean][] = [
    // e0, e1 (e1 is called first at entry, e0 last)
    [RESUME | SyscallAction.ABORT, RESUME, true],
    [RESUME, RESUME | SyscallAction.ABORT, false],
    [undefined, RESUME | SyscallAction.ABORT, true],
    [undefined, undefined, false],
  ];
  for (const [v0, v1, abort] of rows) {
    const r = await rig([{ entry: () => v0 }, { entry: () => v1 }]);
    r.kernel.syscallEntry(r.task.tid, 39);
    const req = r.kernel.take();
    assert.equal(req.includes(`setregs ${r.task.tid}`), abort, `${String(v0)}, ${String(v1)}: ${req.join('; ')}`);
    assert.equal(r.kernel.origRax(r.task.tid), abort ? -1n : 39n);
  }
});

test('a promise keeps the thread stopped until it settles; an invalid vote detaches only its engine', async () => {
  let release!: (v: number) => void;
  const r = await rig([{ exit: () => new Promise<number>((res) => (release = res)) as unknown as number }, { exit: () => 42 }]);
  const tid = r.task.tid;
  r.kernel.syscallEntry(tid, 39);
  r.kernel.take();
  r.kernel.syscallExit(tid, 1n);
  assert.deepEqual(r.kernel.take(), [], 'waiting for the promise');
  assert.deepEqual(r.calls.slice(-1), ['exit e0'], 'the next engine is called after the promise settles');
  release(RESUME);
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(r.calls.slice(-1), ['exit e1']);
  assert.equal(r.errors.length, 1, 'engine-error for the invalid vote 42');
  assert.ok(r.engines[1]!.detached && !r.engines[0]!.detached);
  assert.deepEqual(r.kernel.take(), [`SYSCALL ${tid} 0`]);
});

test('an engine attached during a pass does not see the event in progress', async () => {
  const kernel = new FakeKernel();
  const tracer = new Tracer({ backend: kernel });
  const task = await tracer.spawn(['/bin/true']);
  const seen: string[] = [];
  tracer.attachTask(task, Attach.CREATE, {
    reportSyscallExit: () => {
      seen.push('first');
      tracer.attachTask(task, Attach.CREATE, { reportSyscallExit: () => void seen.push('late') }).setEvents(Event.SYSCALL_EXIT);
    },
    reportSyscallEntry: () => undefined,
  }).setEvents(Event.SYSCALL);
  task.start();
  kernel.syscallEntry(task.tid, 39);
  kernel.syscallExit(task.tid, 0n);
  assert.deepEqual(seen, ['first']);
  kernel.syscallEntry(task.tid, 39);
  kernel.syscallExit(task.tid, 0n);
  assert.deepEqual(seen, ['first', 'first', 'late']);
});

test('signal votes: the last engine\'s decision is what the thread gets', async () => {
  const rows: [number | void, number | void, number][] = [
    [undefined, undefined, 10], // delivered as is
    [RESUME | SignalAction.IGN, undefined, 0],
    [undefined, RESUME | SignalAction.IGN, 0],
    [RESUME | SignalAction.IGN, RESUME | SignalAction.DELIVER, 10],
    [undefined, RESUME | SignalAction.TERM, 9], // forced termination: SIGKILL
  ];
  for (const [v0, v1, sig] of rows) {
    const kernel = new FakeKernel();
    const tracer = new Tracer({ backend: kernel });
    const task = await tracer.spawn(['/bin/true']);
    for (const v of [v0, v1]) tracer.attachTask(task, Attach.CREATE, { reportSignal: () => v }).setEvents(Event.SIGNAL_ALL);
    task.start();
    kernel.take();
    kernel.signal(task.tid, 10);
    const req = kernel.take().filter((x) => !x.startsWith('setsiginfo'));
    assert.deepEqual(req, [`CONT ${task.tid} ${sig}`], `${String(v0)}, ${String(v1)}`);
  }
});
