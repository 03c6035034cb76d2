/**
 * One test per report (the ten callbacks), each against a real process: quiesce, signal,
 * clone, jctl, exec, syscall entry, syscall exit, exit, death, reap; plus the ordering
 * exit -> death -> reap (reap last).
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Attach, Event, Resume, SYSCALL_NR } from '../../src/index.js';
import type { Engine, Task } from '../../src/index.js';
import {
  capture, cleanup, exitGuard, exitOf, fixture, newTracer, parseCounterAddr, peekWord, procState, T, waitFor,
} from './helpers.js';

afterEach(cleanup);
after(exitGuard);

const GETPPID = SYSCALL_NR['getppid']!;
const SIGUSR1 = 10;
const SIGSTOP = 19;
const SIGCONT = 18;
const CLONE_THREAD = 0x10000n;

test('syscall entry and exit reports: one each per call, registers readable', T, async () => {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('getppid_loop'), '50'], { stdio: ['ignore', out.fd, 'inherit'] });
  let entries = 0;
  let exits = 0;
  let badRegs = 0;
  let badRet = 0;
  let quiesces = 0;
  const ppid = BigInt(process.pid);
  const e = tracer.attachTask(task, Attach.CREATE, {
    reportQuiesce(_a, _e, ev) {
      if (ev === Event.SYSCALL_ENTRY || ev === Event.SYSCALL_EXIT) quiesces++;
    },
    reportSyscallEntry(_a, eng, call) {
      assert.equal(call.entry, true);
      if (call.nr !== GETPPID) return;
      entries++;
      // The registers agree with the report: orig_rax holds the syscall number.
      if (eng.task.regs().get('orig_rax') !== BigInt(call.nr)) badRegs++;
    },
    reportSyscallExit(_a, _e, call) {
      assert.equal(call.entry, false);
      if (call.nr !== GETPPID) return;
      exits++;
      if (call.ret !== ppid) badRet++;
    },
  });
  e.setEvents(Event.SYSCALL | Event.QUIESCE);
  task.start();
  const st = await exitOf(task);
  assert.deepEqual(st, { code: 0, signal: null, core: false });
  assert.equal(out.text(), 'getppid x 50\n');
  assert.equal(entries, 50);
  assert.equal(exits, 50);
  assert.equal(badRegs, 0, 'orig_rax equals the syscall number at entry');
  assert.equal(badRet, 0, 'getppid returns our pid (we are the parent)');
  assert.ok(quiesces >= 100, `a quiesce report precedes each syscall report (${quiesces})`);
});

test('quiesce report: event bit first, then the report; 0 for a REPORT request', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('getppid_loop'), '3'], { stdio: 'ignore' });
  const log: string[] = [];
  const e = tracer.attachTask(task, Attach.CREATE, {
    reportQuiesce(_a, _e, ev) {
      log.push(`q${ev}`);
    },
    reportExec() {
      log.push('exec');
    },
  });
  e.setEvents(Event.QUIESCE | Event.EXEC);
  // A REPORT request on the held thread: a quiesce report with event 0 once the spawn
  // hold is dropped, before anything else happens.
  assert.equal(e.control(Resume.REPORT), undefined);
  assert.deepEqual(log, []);
  task.start();
  await exitOf(task);
  assert.deepEqual(log.slice(0, 3), ['q0', `q${Event.EXEC}`, 'exec']);
});

test('signal report: a handled signal is reported with its number and disposition', T, async () => {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('sig'), 'raise'], { stdio: ['ignore', out.fd, 'inherit'] });
  const seen: { signo: number; disposition: string; code: number }[] = [];
  const e = tracer.attachTask(task, Attach.CREATE, {
    reportSignal(_a, _e, sig) {
      if (sig) seen.push({ signo: sig.signo, disposition: sig.disposition, code: sig.code });
    },
  });
  e.setEvents(Event.SIGNAL_ALL);
  task.start();
  assert.equal((await exitOf(task)).code, 0);
  assert.deepEqual(seen, [{ signo: SIGUSR1, disposition: 'handler', code: 0 /* SI_USER */ }]);
  assert.equal(out.text(), 'usr1=1 usr2=0\n');
});

test('clone report: every thread and fork child, before it runs, with its flags', T, async () => {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('threads_fork'), '5'], { stdio: ['ignore', out.fd, 'inherit'] });
  const clones: { flags: bigint; child: Task; parent: number; childState: string }[] = [];
  const e = tracer.attachTask(task, Attach.CREATE, {
    reportClone(_a, eng, flags, child) {
      clones.push({ flags, child, parent: eng.task.tid, childState: child.state });
    },
  });
  e.setEvents(Event.CLONE);
  task.start();
  assert.equal((await exitOf(task)).code, 0);
  assert.equal(out.text(), 'threads=8 children=3 getppid=70\n');
  const threads = clones.filter((c) => c.flags & CLONE_THREAD);
  const forks = clones.filter((c) => !(c.flags & CLONE_THREAD));
  assert.equal(threads.length, 8);
  assert.equal(forks.length, 3);
  for (const c of threads) assert.equal(c.child.tgid, task.tgid);
  for (const c of forks) {
    assert.equal(c.child.tgid, c.child.tid);
    assert.notEqual(c.child.tgid, task.tgid);
  }
  for (const c of clones) assert.equal(c.parent, task.tid);
  // Children with no engine are not held: they all ran to completion.
  assert.equal(new Set(clones.map((c) => c.child.tid)).size, 11);
});

test('jctl report: stopped on SIGSTOP, continued on SIGCONT', T, async () => {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('spin')], { stdio: ['ignore', out.fd, 'inherit'] });
  const jctl: string[] = [];
  const e = tracer.attachTask(task, Attach.CREATE, {
    reportJctl(_a, _e, type) {
      jctl.push(type);
    },
  });
  e.setEvents(Event.JCTL);
  task.start();
  const addr = await parseCounterAddr(out);
  process.kill(task.tgid, SIGSTOP);
  await waitFor(() => jctl.includes('stopped'), 5000, 'jctl stopped');
  await waitFor(() => /^[tT]$/.test(procState(task.tgid) ?? ''), 5000, 'stopped state');
  const c1 = peekWord(task.tgid, addr);
  process.kill(task.tgid, SIGCONT);
  await waitFor(() => jctl.includes('continued'), 5000, 'jctl continued');
  await waitFor(() => peekWord(task.tgid, addr) > c1, 5000, 'progress after SIGCONT');
  assert.deepEqual(jctl, ['stopped', 'continued']);
  task.signal(9);
  assert.equal((await exitOf(task)).signal, 9);
});

test('exec report: the new file name, formerTid = tid for the leader', T, async () => {
  const tracer = newTracer();
  const bin = fixture('getppid_loop');
  const task = await tracer.spawn([bin, '1'], { stdio: 'ignore' });
  const execs: { filename: string; formerTid: number }[] = [];
  const e = tracer.attachTask(task, Attach.CREATE, {
    reportExec(_a, _e, ex) {
      execs.push({ ...ex });
    },
  });
  e.setEvents(Event.EXEC);
  task.start();
  await exitOf(task);
  assert.deepEqual(execs, [{ filename: fs.realpathSync(bin), formerTid: task.tid }]);
});

test('exit report: status readable, registers readable, STOP holds the thread there', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn(['/bin/sh', '-c', 'exit 3'], { stdio: 'ignore' });
  let report: { code: number | undefined; signal: number | undefined } | undefined;
  let rip = 0n;
  const e: Engine = tracer.attachTask(task, Attach.CREATE, {
    reportExit(_a, eng, ex) {
      report = { code: ex.code, signal: ex.signal };
      rip = eng.task.regs().get('rip');
      return Resume.STOP;
    },
    reportDeath() {},
  });
  e.setEvents(Event.EXIT | Event.DEATH);
  task.start();
  await withStopped(e);
  assert.deepEqual(report, { code: 3, signal: undefined });
  assert.notEqual(rip, 0n);
  // Held in the exit report: still readable, not dead.
  assert.equal(task.state, 'stopped');
  assert.equal(task.regs().get('rip'), rip);
  e.control(Resume.RESUME);
  assert.deepEqual(await exitOf(task), { code: 3, signal: null, core: false });
});

async function withStopped(e: Engine): Promise<void> {
  await waitFor(() => e.holding, 5000, 'engine to hold the thread');
  await e.stopped();
}

test('death report: groupDead and the fatal signal', T, async () => {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('spin')], { stdio: ['ignore', out.fd, 'inherit'] });
  const deaths: [boolean, number][] = [];
  const e = tracer.attachTask(task, Attach.CREATE, {
    reportDeath(_e, groupDead, signal) {
      deaths.push([groupDead, signal]);
    },
  });
  e.setEvents(Event.DEATH);
  task.start();
  await parseCounterAddr(out);
  process.kill(task.tgid, 'SIGTERM');
  assert.deepEqual(await exitOf(task), { code: null, signal: 15, core: false });
  assert.deepEqual(deaths, [[true, 15]]);
  assert.equal(task.state, 'dead');
});

test('reap report: last, after death; the engine is detached and released', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('getppid_loop'), '2'], { stdio: 'ignore' });
  const log: string[] = [];
  let reaped: Task | undefined;
  const e = tracer.attachTask(task, Attach.CREATE, {
    reportExit() {
      log.push('exit');
    },
    reportDeath() {
      log.push('death');
    },
    reportReap(_e, t) {
      log.push('reap');
      reaped = t;
    },
    reportSyscallExit() {
      log.push('sysexit');
    },
    release() {
      log.push('release');
    },
  }, { tag: 1 });
  e.setEvents(Event.EXIT | Event.DEATH | Event.REAP | Event.SYSCALL_EXIT);
  task.start();
  await exitOf(task);
  const tail = log.filter((x) => x !== 'sysexit');
  assert.deepEqual(tail, ['exit', 'death', 'reap', 'release']);
  assert.equal(log.indexOf('sysexit') < log.indexOf('exit'), true);
  assert.equal(log.lastIndexOf('sysexit') < log.indexOf('exit'), true, 'no syscall report after exit');
  assert.equal(reaped, task);
  assert.equal(e.detached, true);
});

test('exit, death, reap in that order for every thread of a multi-threaded process', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('threads_fork'), '3'], { stdio: 'ignore' });
  const log = new Map<number, string[]>();
  const ops = {
    reportClone(_a: number, _e: Engine, _f: bigint, child: Task) {
      const c = tracer.attachTask(child, Attach.CREATE, ops);
      c.setEvents(MASK);
    },
    reportExit(_a: number, eng: Engine) {
      push(eng.task.tid, 'exit');
    },
    reportDeath(eng: Engine) {
      push(eng.task.tid, 'death');
    },
    reportReap(eng: Engine) {
      push(eng.task.tid, 'reap');
    },
  };
  const MASK = Event.CLONE | Event.EXIT | Event.DEATH | Event.REAP;
  const push = (tid: number, s: string) => {
    const l = log.get(tid) ?? [];
    l.push(s);
    log.set(tid, l);
  };
  tracer.attachTask(task, Attach.CREATE, ops).setEvents(MASK);
  task.start();
  assert.equal((await exitOf(task)).code, 0);
  assert.equal(log.size, 12, 'main + 8 threads + 3 children');
  for (const [tid, l] of log) assert.deepEqual(l, ['exit', 'death', 'reap'], `thread ${tid}`);
});

test('a leader that leaves with pthread_exit: exiting (a zombie, not stoppable) while its worker runs; dies with the process status', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('leader_exit'), '7'], { stdio: 'ignore' });
  const deaths: [number, boolean][] = [];
  let worker: Task | undefined;
  const ops = {
    reportClone(_a: number, _e: Engine, _f: bigint, child: Task) {
      worker = child;
      tracer.attachTask(child, Attach.CREATE, ops).setEvents(MASK);
    },
    reportDeath(eng: Engine, groupDead: boolean) {
      deaths.push([eng.task.tid, groupDead]);
    },
  };
  // No EXIT report asked for: the core must still see the leader leave.
  const MASK = Event.CLONE | Event.DEATH;
  tracer.attachTask(task, Attach.CREATE, ops).setEvents(MASK);
  task.start();
  await waitFor(() => task.exiting, 5000, 'the leader to pass its exit stop');
  assert.ok(worker && worker.state !== 'dead' && !worker.exiting, 'the worker lives on');
  assert.equal(task.state, 'running', 'a zombie leader has no death to report yet');
  await waitFor(() => procState(task.tgid) === 'Z', 2000, 'the leader to be a zombie');
  assert.equal((await exitOf(task)).code, 7, 'the process status is the worker\'s exit(7)');
  assert.deepEqual(deaths.map(([tid]) => tid), [worker!.tid, task.tid], 'the worker dies first, then the leader');
  assert.equal(deaths[1]![1], true, 'the leader\'s death is the group\'s');
});
