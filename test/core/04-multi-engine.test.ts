/**
 * Several engines on one thread: callbacks in attach order (syscall entry in reverse), one
 * engine's STOP beats another's RESUME (the thread really does not run), an engine
 * detaching mid-run leaves the others' reports intact, an engine attached during a report
 * does not see it, EXCLUSIVE / MATCH_OPS / MATCH_DATA lookups between engines.
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Attach, Event, Resume, SyscallAction, SYSCALL_NR, UtraceError } from '../../src/index.js';
import type { Engine, EngineOps, Task } from '../../src/index.js';
import {
  capture, cleanup, delay, exitGuard, exitOf, fixture, newTracer, parseCounterAddr, peekWord, procState, T,
  waitFor, withTimeout,
} from './helpers.js';

afterEach(cleanup);
after(exitGuard);

const GETPPID = SYSCALL_NR['getppid']!;

test('callbacks run in attach order; syscall entry in reverse attach order', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('getppid_loop'), '2'], { stdio: 'ignore' });
  const log: string[] = [];
  const mk = (name: string): EngineOps => ({
    reportQuiesce(_a, _e, ev) {
      if (ev === Event.SYSCALL_ENTRY || ev === Event.SYSCALL_EXIT || ev === Event.EXEC) log.push(`${name}:q`);
    },
    reportExec() {
      log.push(`${name}:exec`);
    },
    reportSyscallEntry(_a, _e, call) {
      if (call.nr === GETPPID) log.push(`${name}:entry`);
      else log.pop(); // drop the quiesce of calls we do not look at
    },
    reportSyscallExit(_a, _e, call) {
      if (call.nr === GETPPID) log.push(`${name}:exit`);
      else log.pop();
    },
    reportDeath() {
      log.push(`${name}:death`);
    },
  });
  for (const name of ['A', 'B', 'C']) {
    tracer.attachTask(task, Attach.CREATE, mk(name)).setEvents(
      Event.QUIESCE | Event.EXEC | Event.SYSCALL | Event.DEATH);
  }
  task.start();
  await exitOf(task);
  const entry = ['C:q', 'C:entry', 'B:q', 'B:entry', 'A:q', 'A:entry'];
  const exit = ['A:q', 'A:exit', 'B:q', 'B:exit', 'C:q', 'C:exit'];
  assert.deepEqual(log, [
    'A:q', 'A:exec', 'B:q', 'B:exec', 'C:q', 'C:exec',
    ...entry, ...exit, ...entry, ...exit,
    'A:death', 'B:death', 'C:death',
  ]);
});

test('one engine STOPs while another RESUMEs: the thread stays stopped until the first releases it', T, async () => {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('spin')], { stdio: ['ignore', out.fd, 'inherit'] });
  let aSeen = 0;
  let bSeen = 0;
  let bReports = 0;
  const a = tracer.attachTask(task, Attach.CREATE, {
    reportSyscallEntry(_a, _e, call) {
      if (call.nr !== GETPPID) return;
      aSeen++;
      return aSeen === 1 ? Resume.STOP : Resume.RESUME;
    },
  });
  const b = tracer.attachTask(task, Attach.CREATE, {
    reportQuiesce() {
      return Resume.RESUME;
    },
    reportSyscallEntry(action, _e, call) {
      if (action & SyscallAction.RESUMED) bReports++;
      else if (call.nr === GETPPID) bSeen++;
      return Resume.RESUME;
    },
  });
  a.setEvents(Event.SYSCALL_ENTRY);
  b.setEvents(Event.SYSCALL_ENTRY | Event.QUIESCE);
  task.start();
  const addr = await parseCounterAddr(out);
  await withTimeout(a.stopped(), 5000, 'A holds the thread');
  assert.equal(a.holding, true);
  assert.equal(b.holding, false);
  // B asks for the thread to run, twice over: it must not.
  b.control(Resume.RESUME);
  b.control(Resume.REPORT); // B's report pass may wait, but A's hold stands regardless
  assert.equal(bSeen, 1);
  const c0 = peekWord(task.tgid, addr);
  await delay(200);
  assert.equal(peekWord(task.tgid, addr), c0, 'no progress while A holds the thread');
  assert.match(procState(task.tgid) ?? '', /^t$/);
  assert.equal(task.state, 'stopped');
  assert.equal(aSeen, 1);
  const b0 = bSeen;
  // A releases it: progress, and both engines see the following syscalls.
  a.control(Resume.RESUME);
  await waitFor(() => peekWord(task.tgid, addr) > c0, 5000, 'progress after A releases');
  await waitFor(() => aSeen > 2 && bSeen > b0 + 1, 5000, 'more reports to both engines');
  // B's REPORT, asked while held at syscall entry, is the entry pass run again (RESUMED).
  assert.equal(bReports, 1, 'B got the report it asked for');
  task.signal(9);
  assert.equal((await exitOf(task)).signal, 9);
});

test('an engine detaching mid-run: the other engine keeps receiving every event', T, async () => {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('getppid_loop'), '200'], { stdio: ['ignore', out.fd, 'inherit'] });
  const count = (name: string) => ({ name, entries: 0, exits: 0, deaths: 0 });
  const ca = count('A');
  const cb = count('B');
  const mk = (c: ReturnType<typeof count>, detachAt: number): EngineOps => ({
    reportSyscallEntry(_a, _e, call) {
      if (call.nr !== GETPPID) return;
      c.entries++;
      return c.entries === detachAt ? Resume.DETACH : Resume.RESUME;
    },
    reportSyscallExit(_a, _e, call) {
      if (call.nr === GETPPID) c.exits++;
    },
    reportDeath() {
      c.deaths++;
    },
  });
  const a = tracer.attachTask(task, Attach.CREATE, mk(ca, 50));
  const b = tracer.attachTask(task, Attach.CREATE, mk(cb, -1));
  a.setEvents(Event.SYSCALL | Event.DEATH);
  b.setEvents(Event.SYSCALL | Event.DEATH);
  task.start();
  assert.equal((await exitOf(task)).code, 0);
  assert.equal(out.text(), 'getppid x 200\n');
  assert.deepEqual(ca, { name: 'A', entries: 50, exits: 49, deaths: 0 });
  assert.deepEqual(cb, { name: 'B', entries: 200, exits: 200, deaths: 1 });
  assert.equal(a.detached, true);
});

test('an engine attached during a report does not see that report (entry pass and exit pass)', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('getppid_loop'), '8'], { stdio: 'ignore' });
  let n = 0; // getppid calls entered, as seen by A
  let done = 0; // getppid calls exited, counted by A (first in the exit pass, last at entry)
  const seen = new Map<string, string[]>();
  const recorder = (name: string): EngineOps => ({
    reportQuiesce(_a, _e, ev) {
      if (ev) seen.get(name)!.push(`q${ev}`);
    },
    reportSyscallEntry(_a, _e, call) {
      if (call.nr === GETPPID) seen.get(name)!.push(`entry${done + 1}`);
    },
    reportSyscallExit(_a, _e, call) {
      if (call.nr === GETPPID) seen.get(name)!.push(`exit${done}`);
    },
  });
  const attachNew = (name: string) => {
    seen.set(name, []);
    const e = tracer.attachTask(task, Attach.CREATE, recorder(name));
    e.setEvents(Event.SYSCALL | Event.QUIESCE);
    return e;
  };
  // A is attached first, so in the (reverse-order) entry pass it is called last, after B.
  tracer.attachTask(task, Attach.CREATE, {
    reportSyscallEntry(_a, _e, call) {
      if (call.nr !== GETPPID) return;
      n++;
      if (n === 3) attachNew('inEntry');
    },
    reportSyscallExit(_a, _e, call) {
      if (call.nr !== GETPPID) return;
      done++;
      if (n === 5) attachNew('inExit');
    },
    reportQuiesce(_a, _e, ev) {
      if (ev === Event.SYSCALL_EXIT && n === 6) attachNew('inQuiesce');
    },
  }).setEvents(Event.SYSCALL | Event.QUIESCE);
  tracer.attachTask(task, Attach.CREATE, { reportQuiesce() {} }).setEvents(Event.QUIESCE);
  task.start();
  await exitOf(task);
  const firstOf = (name: string) => seen.get(name)!.filter((x) => !x.startsWith('q'))[0];
  // Attached in getppid #3's entry pass: first sees #3's exit (a later report), not its entry.
  assert.equal(firstOf('inEntry'), 'exit3');
  assert.equal(seen.get('inEntry')!.includes('entry3'), false);
  // Attached in #5's exit pass: first sees #6's entry.
  assert.equal(firstOf('inExit'), 'entry6');
  assert.equal(seen.get('inExit')![0], `q${Event.SYSCALL_ENTRY}`, 'its first quiesce is for #6 too');
  // Attached in a quiesce callback of #6's exit pass: not called for that pass at all.
  assert.equal(firstOf('inQuiesce'), 'entry7');
  assert.equal(seen.get('inQuiesce')![0], `q${Event.SYSCALL_ENTRY}`);
  assert.equal(seen.get('inExit')!.filter((x) => x.startsWith('entry')).length, 3);
});

test('EXCLUSIVE, MATCH_OPS and MATCH_DATA between engines, also from inside a callback', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('threads_fork'), '2'], { stdio: 'ignore' });
  const shared: EngineOps = { reportQuiesce() {} };
  const d1 = { id: 1 };
  const d2 = { id: 2 };
  const e1 = tracer.attachTask(task, Attach.CREATE | Attach.EXCLUSIVE | Attach.MATCH_OPS | Attach.MATCH_DATA, shared, d1);
  const e2 = tracer.attachTask(task, Attach.CREATE | Attach.EXCLUSIVE | Attach.MATCH_OPS | Attach.MATCH_DATA, shared, d2);
  assert.throws(() => tracer.attachTask(task, Attach.CREATE | Attach.EXCLUSIVE | Attach.MATCH_OPS | Attach.MATCH_DATA, shared, d2),
    (e: unknown) => e instanceof UtraceError && e.code === 'EEXIST');
  assert.throws(() => tracer.attachTask(task, Attach.CREATE | Attach.EXCLUSIVE | Attach.MATCH_OPS, shared, { id: 3 }),
    (e: unknown) => e instanceof UtraceError && e.code === 'EEXIST');
  assert.equal(tracer.attachTask(task, Attach.MATCH_OPS, shared), e1, 'the first match in attach order');
  assert.equal(tracer.attachTask(task, Attach.MATCH_OPS | Attach.MATCH_DATA, shared, d2), e2);
  assert.equal(tracer.attachTask(task, Attach.MATCH_DATA, undefined, d2), e2);
  e1.detach();
  assert.equal(tracer.attachTask(task, Attach.MATCH_OPS, shared), e2, 'a detached engine no longer matches');
  // A follower that attaches itself to each new thread exactly once, looking itself up.
  const lookups: string[] = [];
  const follower: EngineOps<string> = {
    reportClone(_a, eng: Engine<string>, _f, child: Task) {
      try {
        tracer.attachTask(child, Attach.MATCH_OPS, follower);
        lookups.push('found');
      } catch (err) {
        lookups.push((err as UtraceError).code);
      }
      const c = tracer.attachTask(child, Attach.CREATE | Attach.EXCLUSIVE | Attach.MATCH_OPS, follower, eng.data);
      c.setEvents(Event.CLONE);
      assert.throws(() => tracer.attachTask(child, Attach.CREATE | Attach.EXCLUSIVE | Attach.MATCH_OPS, follower, 'x'),
        (e: unknown) => e instanceof UtraceError && e.code === 'EEXIST');
    },
  };
  tracer.attachTask(task, Attach.CREATE, follower, 'f').setEvents(Event.CLONE);
  task.start();
  assert.equal((await exitOf(task)).code, 0);
  assert.deepEqual(lookups, Array(11).fill('ENOENT'), 'a new thread starts with no engines');
});
