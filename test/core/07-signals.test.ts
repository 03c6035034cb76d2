/**
 * Signal interception: IGN suppresses, a changed signal number delivers the other signal,
 * HOLD delays delivery until the thread resumes, signals injected by the tracer are
 * delivered, the last engine's decision wins, SIGKILL is never reported; job-control stops
 * (external SIGSTOP / SIGCONT) are reported and the group-stop is kept while traced.
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Attach, Event, Resume, SignalAction } from '../../src/index.js';
import type { EngineOps, SignalReport, Task } from '../../src/index.js';
import {
  capture, cleanup, delay, exitGuard, exitOf, fixture, newTracer, parseCounterAddr, peekWord, procState, T,
  untraced, waitFor, withTimeout,
} from './helpers.js';

afterEach(cleanup);
after(exitGuard);

const SIGUSR1 = 10;
const SIGUSR2 = 12;
const SIGSTOP = 19;
const SIGCONT = 18;
const SI_USER = 0;
const SI_TKILL = -6;

async function runSig(mode: 'raise' | 'wait', ops: EngineOps[], during?: (task: Task) => Promise<void>) {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('sig'), mode], { stdio: ['ignore', out.fd, 'inherit'] });
  const engines = ops.map((o) => {
    const e = tracer.attachTask(task, Attach.CREATE, o);
    e.setEvents(Event.SIGNAL_ALL | (o.reportQuiesce ? Event.QUIESCE : 0));
    return e;
  });
  task.start();
  if (during) {
    await waitFor(() => out.text().includes('ready'), 5000, 'fixture ready');
    await during(task);
  }
  const st = await exitOf(task);
  return { st, out: out.text().replace('ready\n', ''), task, engines };
}

function recorder(list: { signo: number; code: number }[], decide?: (s: SignalReport) => number | void): EngineOps {
  return {
    reportSignal(_a, _e, sig) {
      if (!sig) return;
      list.push({ signo: sig.signo, code: sig.code });
      return decide?.(sig);
    },
  };
}

test('untraced reference output', T, () => {
  assert.equal(untraced(fixture('sig'), ['raise']), 'usr1=1 usr2=0\n');
});

test('IGN suppresses the signal: the handler never runs', T, async () => {
  const seen: { signo: number; code: number }[] = [];
  const r = await runSig('raise', [recorder(seen, () => Resume.RESUME | SignalAction.IGN)]);
  assert.deepEqual(r.st, { code: 0, signal: null, core: false });
  assert.equal(r.out, 'usr1=0 usr2=0\n');
  assert.deepEqual(seen, [{ signo: SIGUSR1, code: SI_USER }]);
});

test('changing the signal number delivers the other signal', T, async () => {
  const seen: { signo: number; code: number }[] = [];
  const r = await runSig('raise', [recorder(seen, (s) => {
    s.signo = SIGUSR2;
    return Resume.RESUME | SignalAction.DELIVER;
  })]);
  assert.equal(r.out, 'usr1=0 usr2=1\n');
  assert.deepEqual(seen, [{ signo: SIGUSR1, code: SI_USER }]);
});

test('HOLD keeps the signal pending while the thread is held; delivered after it resumes', T, async () => {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('sig'), 'raise'], { stdio: ['ignore', out.fd, 'inherit'] });
  const seen: { signo: number; code: number }[] = [];
  const e = tracer.attachTask(task, Attach.CREATE, recorder(seen, () =>
    seen.length === 1 ? Resume.STOP | SignalAction.HOLD : Resume.RESUME | SignalAction.DELIVER));
  e.setEvents(Event.SIGNAL_ALL);
  task.start();
  await withTimeout(e.stopped(), 5000, 'held at the signal');
  assert.deepEqual(seen, [{ signo: SIGUSR1, code: SI_USER }]);
  assert.equal(out.text(), '');
  e.control(Resume.RESUME);
  assert.deepEqual(await exitOf(task), { code: 0, signal: null, core: false });
  // Delivered exactly once, after a second report (re-queued with tgkill: an approximation
  // of the kernel's front-of-queue hold, documented).
  assert.equal(out.text(), 'usr1=1 usr2=0\n');
  assert.deepEqual(seen, [{ signo: SIGUSR1, code: SI_USER }, { signo: SIGUSR1, code: SI_TKILL }]);
});

test('a held signal is passed on when the last engine detaches', T, async () => {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('sig'), 'raise'], { stdio: ['ignore', out.fd, 'inherit'] });
  const e = tracer.attachTask(task, Attach.CREATE, {
    reportSignal(_a, _e, sig) {
      if (sig?.signo === SIGUSR1) return Resume.STOP | SignalAction.HOLD;
    },
  });
  e.setEvents(Event.SIGNAL_ALL);
  task.start();
  await withTimeout(e.stopped(), 5000, 'held at the signal');
  e.control(Resume.DETACH);
  assert.deepEqual(await withTimeout(task.process.exit, 5000, 'exit'), { code: 0, signal: null, core: false });
  assert.equal(out.text(), 'usr1=1 usr2=0\n', 'delivered to the program once untraced');
});

test('a signal injected by the tracer (task.signal) is reported and delivered', T, async () => {
  const seen: { signo: number; code: number }[] = [];
  const r = await runSig('wait', [recorder(seen)], async (task) => {
    assert.equal(task.state, 'running');
    task.signal(SIGUSR2);
  });
  assert.equal(r.out, 'usr1=0 usr2=1\n');
  assert.deepEqual(seen, [{ signo: SIGUSR2, code: SI_TKILL }]);
});

test('a signal injected from inside a signal report is delivered too', T, async () => {
  const seen: { signo: number; code: number }[] = [];
  const r = await runSig('raise', [{
    reportSignal(_a, eng, sig) {
      if (!sig) return;
      seen.push({ signo: sig.signo, code: sig.code });
      if (sig.signo === SIGUSR1) eng.task.signal(SIGUSR2);
    },
  }]);
  assert.equal(r.out, 'usr1=1 usr2=1\n');
  assert.deepEqual(seen.map((s) => s.signo).sort(), [SIGUSR1, SIGUSR2]);
});

test('engines are asked in attach order; the last decision wins and sees earlier changes', T, async () => {
  const order: string[] = [];
  const mk = (name: string, decide: (s: SignalReport) => number): EngineOps => ({
    reportSignal(_a, _e, sig) {
      if (!sig) return;
      order.push(`${name}:${sig.signo}`);
      return decide(sig);
    },
  });
  const ign = () => Resume.RESUME | SignalAction.IGN;
  const deliver = () => Resume.RESUME | SignalAction.DELIVER;
  const toUsr2 = (s: SignalReport) => {
    s.signo = SIGUSR2;
    return Resume.RESUME | SignalAction.DELIVER;
  };
  assert.equal((await runSig('raise', [mk('A', ign), mk('B', deliver)])).out, 'usr1=1 usr2=0\n');
  assert.equal((await runSig('raise', [mk('A', deliver), mk('B', ign)])).out, 'usr1=0 usr2=0\n');
  order.length = 0;
  assert.equal((await runSig('raise', [mk('A', toUsr2), mk('B', deliver)])).out, 'usr1=0 usr2=1\n');
  assert.deepEqual(order, [`A:${SIGUSR1}`, `B:${SIGUSR2}`]);
});

test('SIGKILL is never reported; death reports it', T, async () => {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('spin')], { stdio: ['ignore', out.fd, 'inherit'] });
  const seen: number[] = [];
  let death = -1;
  tracer.attachTask(task, Attach.CREATE, {
    reportSignal(_a, _e, sig) {
      if (sig) seen.push(sig.signo);
    },
    reportDeath(_e, _g, signal) {
      death = signal;
    },
  }).setEvents(Event.SIGNAL_ALL | Event.DEATH);
  task.start();
  await parseCounterAddr(out);
  process.kill(task.tgid, 'SIGKILL');
  assert.equal((await exitOf(task)).signal, 9);
  assert.deepEqual(seen, []);
  assert.equal(death, 9);
});

test('job control: SIGSTOP reported, group-stop kept while traced (state T), SIGCONT continues', T, async () => {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('spin')], { stdio: ['ignore', out.fd, 'inherit'] });
  const log: string[] = [];
  const e = tracer.attachTask(task, Attach.CREATE, {
    reportSignal(_a, _e, sig) {
      if (sig) log.push(`signal ${sig.signo} ${sig.disposition}`);
    },
    reportJctl(_a, _e, type) {
      log.push(type);
    },
  });
  e.setEvents(Event.SIGNAL_ALL | Event.JCTL);
  task.start();
  const addr = await parseCounterAddr(out);
  process.kill(task.tgid, SIGSTOP);
  await waitFor(() => log.includes('stopped'), 5000, 'jctl stopped');
  assert.deepEqual(log, [`signal ${SIGSTOP} stop`, 'stopped']);
  // Kept stopped: no progress, stopped state in /proc, for as long as we look.
  const c0 = peekWord(task.tgid, addr);
  for (let i = 0; i < 5; i++) {
    await delay(40);
    assert.match(procState(task.tgid) ?? '', /^[Tt]$/, 'stopped in /proc');
    assert.equal(peekWord(task.tgid, addr), c0, 'no progress in the group-stop');
  }
  const status = (await import('node:fs')).readFileSync(`/proc/${task.tgid}/status`, 'utf8');
  assert.match(status, /State:\s+[tT] \((stopped|tracing stop)\)/);
  process.kill(task.tgid, SIGCONT);
  await waitFor(() => log.includes('continued'), 5000, 'jctl continued');
  await waitFor(() => peekWord(task.tgid, addr) > c0, 5000, 'progress after SIGCONT');
  assert.equal(log.filter((x) => x === 'stopped').length, 1);
  assert.ok(log.includes(`signal ${SIGCONT} ignore`) || !log.some((x) => x.startsWith(`signal ${SIGCONT}`)));
  // A second stop/continue cycle works the same way.
  process.kill(task.tgid, SIGSTOP);
  await waitFor(() => log.filter((x) => x === 'stopped').length === 2, 5000, 'second stop');
  process.kill(task.tgid, SIGCONT);
  await waitFor(() => log.filter((x) => x === 'continued').length === 2, 5000, 'second continue');
  task.signal(9);
  assert.equal((await exitOf(task)).signal, 9);
});

test('SignalAction.STOP turns a handled signal into a job-control stop', T, async () => {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('sig'), 'raise'], { stdio: ['ignore', out.fd, 'inherit'] });
  const jctl: string[] = [];
  tracer.attachTask(task, Attach.CREATE, {
    reportSignal(_a, _e, sig) {
      if (sig?.signo === SIGUSR1) return Resume.RESUME | SignalAction.STOP;
    },
    reportJctl(_a, _e, type) {
      jctl.push(type);
    },
  }).setEvents(Event.SIGNAL_ALL | Event.JCTL);
  task.start();
  await waitFor(() => jctl.includes('stopped'), 5000, 'job-control stop');
  assert.match(procState(task.tgid) ?? '', /^[Tt]$/);
  assert.equal(out.text(), '');
  process.kill(task.tgid, SIGCONT);
  assert.deepEqual(await exitOf(task), { code: 0, signal: null, core: false });
  assert.equal(out.text(), 'usr1=0 usr2=0\n', 'SIGUSR1 became a stop, never reached the handler');
  assert.deepEqual(jctl, ['stopped', 'continued']);
});

test('SIGKILL while an engine holds a signal report with a pending Promise: the thread dies, DEATH is reported, nothing hangs', T, async () => {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('sig'), 'raise'], { stdio: ['ignore', out.fd, 'inherit'] });
  let settle: ((v: number) => void) | undefined;
  const deaths: number[] = [];
  const e = tracer.attachTask(task, Attach.CREATE, {
    reportSignal(_a, _e, sig) {
      if (!sig) return;
      // Never settled by the engine: only SIGKILL gets the thread out.
      return new Promise<number>((r) => (settle = r));
    },
    // The exit stop (PTRACE_EVENT_EXIT) comes while the old report is still pending.
    reportExit() {
      return undefined;
    },
    reportDeath(_e, _g, signal) {
      deaths.push(signal);
    },
  });
  e.setEvents(Event.SIGNAL_ALL | Event.EXIT | Event.DEATH);
  task.start();
  await waitFor(() => settle, 5000, 'signal report held');
  assert.equal(procState(task.tid), 't');
  process.kill(task.tid, 'SIGKILL');
  const st = await exitOf(task);
  assert.equal(st.signal, 9);
  assert.deepEqual(deaths, [9]);
  settle!(Resume.RESUME); // a late settle is ignored
  await delay(20);
  assert.equal(out.text(), '');
});

test('SIGKILL takes a thread out of an engine\'s STOP hold: it dies at once (the leader\'s own exit stop holds nothing)', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('spin')], { stdio: 'ignore' });
  const deaths: number[] = [];
  const e = tracer.attachTask(task, Attach.CREATE, {
    reportDeath(_e, _g, signal) {
      deaths.push(signal);
    },
  });
  e.setEvents(Event.DEATH); // no EXIT report asked for
  task.start();
  await delay(50);
  assert.equal(e.control(Resume.STOP), 'EINPROGRESS');
  await withTimeout(e.stopped(), 5000, 'control(STOP)');
  process.kill(task.tgid, 'SIGKILL');
  // Held by a sticky STOP, the core's exit stop would keep the thread from dying.
  const st = await withTimeout(task.exit, 1000, 'the death of the SIGKILLed thread');
  assert.equal(st.signal, 9);
  assert.deepEqual(deaths, [9]);
});
