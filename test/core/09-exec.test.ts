/**
 * exec: the report carries the new file name; exec from a non-leader thread re-keys the
 * task (formerTid is the thread's old tid, the Task's tid becomes the tgid, the old leader
 * is reported gone), and the new image runs as untraced.
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Attach, Event, Resume } from '../../src/index.js';
import type { Engine, EngineOps, ExecReport, Task } from '../../src/index.js';
import { capture, cleanup, exitGuard, exitOf, fixture, newTracer, T, untraced, waitFor, withTimeout } from './helpers.js';

afterEach(cleanup);
after(exitGuard);

test('exec from the leader: report with the file name, formerTid = tid, image runs', T, async () => {
  const bin = fixture('exec_thread');
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([bin, 'leader'], { stdio: ['ignore', out.fd, 'inherit'] });
  const execs: (ExecReport & { tid: number; pc: bigint })[] = [];
  tracer.attachTask(task, Attach.CREATE, {
    reportExec(_a, eng, ex) {
      // Before the new image runs: registers are those of its entry point, readable.
      execs.push({ ...ex, tid: eng.task.tid, pc: eng.task.regs().get('rip') });
    },
  }).setEvents(Event.EXEC);
  task.start();
  assert.deepEqual(await exitOf(task), { code: 0, signal: null, core: false });
  const pid = task.tgid;
  assert.equal(out.text(), `before exec pid=${pid}\nafter exec pid=${pid} tid=${pid}\n`);
  const real = fs.realpathSync(bin);
  assert.equal(execs.length, 2, 'the spawn exec and the program\'s own');
  for (const x of execs) {
    assert.equal(x.filename, real);
    assert.equal(x.formerTid, pid);
    assert.equal(x.tid, pid);
    assert.ok(x.pc > 0n);
  }
});

test('exec from a non-leader thread re-keys the task: formerTid differs, tid becomes the tgid', T, async () => {
  const bin = fixture('exec_thread');
  const tracer = newTracer();
  const out = capture();
  const leader = await tracer.spawn([bin, 'thread'], { stdio: ['ignore', out.fd, 'inherit'] });
  const pid = leader.tgid;
  const log: string[] = [];
  let thread: Task | undefined;
  let threadTid = 0;
  let execReport: { ex: ExecReport; task: Task; tidInReport: number } | undefined;
  let held: Engine<string> | undefined;
  const ops: EngineOps<string> = {
    reportClone(_a, _e: Engine<string>, _f, child) {
      thread = child;
      threadTid = child.tid;
      tracer.attachTask(child, Attach.CREATE, ops, 'thread').setEvents(MASK);
    },
    reportExec(_a, eng: Engine<string>, ex) {
      log.push(`${eng.data}:exec`);
      execReport = { ex: { ...ex }, task: eng.task, tidInReport: eng.task.tid };
      held = eng;
      return ex.formerTid !== pid ? Resume.STOP : Resume.RESUME; // hold it there to look
    },
    reportDeath(eng: Engine<string>, groupDead) {
      // The old leader's death is told apart from an exit: by whom it was superseded.
      const by = eng.task.supersededBy;
      log.push(`${eng.data}:death${groupDead ? ':group' : ''}${by === undefined ? '' : by === threadTid ? ':superseded' : `:superseded-by-${by}`}`);
    },
    reportReap(eng: Engine<string>) {
      log.push(`${eng.data}:reap`);
    },
  };
  const MASK = Event.CLONE | Event.EXEC | Event.DEATH | Event.REAP;
  const le = tracer.attachTask(leader, Attach.CREATE, ops, 'leader');
  le.setEvents(MASK);
  leader.start();
  await waitFor(() => execReport && execReport.ex.formerTid !== pid && held?.holding, 5000, 'exec report from the thread');
  assert.ok(thread);
  assert.notEqual(threadTid, pid);
  const rep = execReport!;
  assert.equal(rep.ex.formerTid, threadTid, 'formerTid is the exec-ing thread\'s old tid');
  assert.equal(rep.ex.filename, fs.realpathSync(bin));
  assert.equal(rep.task, thread, 'reported to the engines of the thread that called execve');
  assert.equal(rep.tidInReport, pid, 'its Task already has the tgid as tid');
  assert.equal(thread!.tid, pid);
  assert.equal(tracer.task(pid), thread, 'the tracer finds the re-keyed task by the tgid');
  assert.equal(tracer.task(threadTid), undefined, 'nothing is left under the old tid');
  assert.equal(leader.state, 'dead', 'the old leader is gone');
  assert.equal(le.detached, true);
  held!.control(Resume.RESUME);
  assert.deepEqual(await exitOf(thread!), { code: 0, signal: null, core: false });
  assert.equal(out.text(), `before exec pid=${pid}\nafter exec pid=${pid} tid=${pid}\n`);
  // The spawn's own exec first. The old leader: death (not of the group) and reap before
  // the exec report; the thread (now the leader): its own death, of the whole group, last.
  assert.deepEqual(log, ['leader:exec', 'leader:death:superseded', 'leader:reap', 'thread:exec', 'thread:death:group', 'thread:reap']);
});

test('exec from a non-leader thread, untraced reference', T, () => {
  const out = untraced(fixture('exec_thread'), ['thread']);
  const m = /^before exec pid=(\d+)\nafter exec pid=(\d+) tid=(\d+)\n$/.exec(out);
  assert.ok(m, out);
  assert.equal(m[1], m[2]);
  assert.equal(m[2], m[3]);
});

test('STOP in the exec report holds the new image before its first instruction', T, async () => {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('getppid_loop'), '3'], { stdio: ['ignore', out.fd, 'inherit'] });
  let entryPc = 0n;
  const e = tracer.attachTask(task, Attach.CREATE, {
    reportExec(_a, eng) {
      entryPc = eng.task.regs().get('rip');
      return Resume.STOP;
    },
  });
  e.setEvents(Event.EXEC);
  task.start();
  await withTimeout(e.stopped(), 5000, 'held after exec');
  assert.equal(task.regs().get('rip'), entryPc);
  assert.equal(out.text(), '');
  e.control(Resume.RESUME);
  assert.equal((await exitOf(task)).code, 0);
  assert.equal(out.text(), 'getppid x 3\n');
});
