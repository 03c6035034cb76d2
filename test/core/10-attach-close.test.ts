/**
 * Attaching to a running multi-threaded process without disturbing it, close() leaving
 * every tracee running as untraced (mid-run, with a thread held, in a job-control stop), and
 * Node's own child_process children keeping their exit statuses while we trace.
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn as cpSpawn } from 'node:child_process';
import * as fs from 'node:fs';
import { Attach, Event, Resume, SYSCALL_NR } from '../../src/index.js';
import type { Engine, EngineOps, Task, Tracer } from '../../src/index.js';
import {
  capture, cleanup, delay, exitGuard, exitOf, fixture, killLater, newTracer, ourZombies, parseCounterAddr, peekWord,
  procState, T, tracerPid, untraced, waitFor, withTimeout,
} from './helpers.js';

afterEach(cleanup);
after(exitGuard);

const GETPPID = SYSCALL_NR['getppid']!;

function childExit(cp: ReturnType<typeof cpSpawn>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => cp.on('exit', (code, signal) => resolve({ code, signal })));
}

function collect(cp: ReturnType<typeof cpSpawn>): () => string {
  let s = '';
  cp.stdout!.setEncoding('utf8').on('data', (d: string) => (s += d));
  return () => s;
}

test('attachProcess: seizes every thread of a running process without disturbing it', T, async () => {
  const THREADS = 4;
  const ITERS = 300;
  const expected = `ready\n${Array.from({ length: THREADS }, (_, i) => `thread ${i} iterations=${ITERS}\n`).join('')}done\n`;
  assert.equal(untraced(fixture('mt_ticker'), [String(THREADS), String(ITERS)]), expected);
  // The target is a child of sh, not of Node: libuv waits for its own children with
  // waitpid(pid), which (we being their tracer too) would consume their ptrace stops.
  const sh = cpSpawn('/bin/sh', ['-c', '"$0" "$@" & echo "pid=$!"; wait $!; echo "exit=$?"',
    fixture('mt_ticker'), String(THREADS), String(ITERS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  killLater(sh.pid!);
  const shExit = childExit(sh);
  const all = collect(sh);
  const pid = Number((await waitFor(() => /pid=(\d+)/.exec(all()), 5000, 'pid'))[1]);
  killLater(pid);
  const out = () => all().split('\n').filter((l) => l && !/^(pid|exit)=/.test(l)).map((l) => `${l}\n`).join('');
  await waitFor(() => out().startsWith('ready\n'), 5000, 'ready');
  const tracer = newTracer();
  const tasks = await tracer.attachProcess(pid);
  const tids = fs.readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => a - b);
  assert.equal(tasks[0]!.tid, pid, 'the leader first');
  assert.deepEqual(tasks.map((t) => t.tid).sort((a, b) => a - b), tids, 'every thread');
  assert.equal(tasks.length, THREADS + 1);
  for (const t of tasks) assert.equal(tracerPid(t.tid), process.pid, `thread ${t.tid} traced by us`);
  const perThread = new Map<number, number>();
  const signals: number[] = [];
  const ops: EngineOps = {
    reportSyscallEntry(_a, eng, call) {
      if (call.nr === GETPPID) perThread.set(eng.task.tid, (perThread.get(eng.task.tid) ?? 0) + 1);
    },
    reportSignal(_a, _e, sig) {
      if (sig) signals.push(sig.signo);
    },
  };
  for (const t of tasks) tracer.attachTask(t, Attach.CREATE, ops).setEvents(Event.SYSCALL_ENTRY | Event.SIGNAL_ALL);
  // It keeps making progress while traced: every worker thread keeps calling getppid.
  await waitFor(() => [...perThread.values()].filter((n) => n >= 20).length === THREADS, 10_000, 'progress of every worker');
  assert.equal(perThread.has(pid), false, 'the leader is blocked in pthread_join');
  await withTimeout(tracer.close(), 5000, 'close');
  for (const t of tids) {
    const tp = tracerPid(t);
    assert.ok(tp === 0 || tp === undefined, `thread ${t} detached`);
  }
  assert.deepEqual(await withTimeout(shExit, 10_000, 'exit'), { code: 0, signal: null });
  assert.match(all(), /^exit=0$/m, 'the program exited 0');
  assert.equal(out(), expected, 'output unchanged by tracing');
  assert.deepEqual(signals, [], 'no signal was injected (no SIGSTOP)');
});

async function followAll(tracer: Tracer, task: Task, ops: EngineOps, events: number): Promise<void> {
  const wrapped: EngineOps = {
    ...ops,
    reportClone(a, e, f, child) {
      tracer.attachTask(child, Attach.CREATE, wrapped).setEvents(events);
      return ops.reportClone?.(a, e, f, child);
    },
  };
  tracer.attachTask(task, Attach.CREATE, wrapped).setEvents(events | Event.CLONE);
}

for (const when of [300, 3000]) {
  test(`close() mid-run (after ${when} getppid calls) leaves every tracee running as untraced`, T, async () => {
    const N = 250; // threads phase: 8*N calls; children phase: 3*2*N more
    const expected = untraced(fixture('threads_fork'), [String(N)]);
    assert.equal(expected, `threads=8 children=3 getppid=${8 * N + 6 * N}\n`);
    const tracer = newTracer();
    const out = capture();
    const task = await tracer.spawn([fixture('threads_fork'), String(N)], { stdio: ['ignore', out.fd, 'inherit'] });
    let seen = 0;
    let closing: Promise<void> | undefined;
    await followAll(tracer, task, {
      reportSyscallEntry(_a, _e, call) {
        if (call.nr !== GETPPID) return;
        if (++seen === when) closing = tracer.close();
      },
    }, Event.SYSCALL_ENTRY);
    task.start();
    const st = await withTimeout(task.process.exit, 15_000, 'process exit');
    assert.ok(closing, 'close() happened mid-run');
    await withTimeout(closing!, 5000, 'close');
    assert.deepEqual(st, { code: 0, signal: null, core: false });
    assert.equal(out.text(), expected);
    assert.deepEqual(tracer.tasks(), []);
    assert.deepEqual(ourZombies().filter((z) => z === task.tgid), []);
  });
}

test('close() with an engine holding a thread stopped, and a process in a job-control stop', T, async () => {
  const tracer = newTracer();
  const out1 = capture();
  const out2 = capture();
  const held = await tracer.spawn([fixture('getppid_loop'), '1000'], { stdio: ['ignore', out1.fd, 'inherit'] });
  const stopped = await tracer.spawn([fixture('spin')], { stdio: ['ignore', out2.fd, 'inherit'] });
  let n = 0;
  const he: Engine = tracer.attachTask(held, Attach.CREATE, {
    reportSyscallEntry(_a, _e, call) {
      if (call.nr === GETPPID && ++n === 10) return Resume.STOP;
    },
  });
  he.setEvents(Event.SYSCALL_ENTRY);
  const jctl: string[] = [];
  tracer.attachTask(stopped, Attach.CREATE, {
    reportJctl(_a, _e, type) {
      jctl.push(type);
    },
  }).setEvents(Event.JCTL);
  held.start();
  stopped.start();
  await withTimeout(he.stopped(), 5000, 'held');
  await waitFor(() => out2.text().includes('counter'), 5000, 'spin running');
  process.kill(stopped.tgid, 'SIGSTOP');
  await waitFor(() => jctl.includes('stopped'), 5000, 'group-stop');
  await withTimeout(tracer.close(), 5000, 'close');
  // The held one runs to completion as if never traced.
  assert.deepEqual(await withTimeout(held.process.exit, 10_000, 'held exit'), { code: 0, signal: null, core: false });
  assert.equal(out1.text(), 'getppid x 1000\n');
  // The job-control-stopped one stays stopped, untraced, as it would have without us (the
  // detach wakes it for a moment: it goes back into the group-stop, state T)...
  await waitFor(() => tracerPid(stopped.tgid) === 0, 5000, 'detached');
  await waitFor(() => procState(stopped.tgid) === 'T', 5000, 'state T');
  const addr = await parseCounterAddr(out2);
  const c0 = peekWord(stopped.tgid, addr);
  await delay(100);
  assert.equal(peekWord(stopped.tgid, addr), c0, 'no progress: still in the group-stop');
  assert.equal(procState(stopped.tgid), 'T');
  // ...until SIGCONT, then it runs; SIGTERM ends it with the status an untraced run gives.
  process.kill(stopped.tgid, 'SIGCONT');
  await waitFor(() => procState(stopped.tgid) === 'R' || procState(stopped.tgid) === 'S', 5000, 'running again');
  process.kill(stopped.tgid, 'SIGTERM');
  assert.deepEqual(await withTimeout(stopped.process.exit, 5000, 'spin exit'), { code: null, signal: 15, core: false });
});

test('Node child_process children keep their exit statuses while we trace', T, async () => {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('spin')], { stdio: ['ignore', out.fd, 'inherit'] });
  let reports = 0;
  tracer.attachTask(task, Attach.CREATE, {
    reportSyscallEntry() {
      reports++;
    },
  }).setEvents(Event.SYSCALL_ENTRY);
  task.start();
  await waitFor(() => reports > 50, 5000, 'tracing under way');
  const kids = [7, 0, 3, 42, 1].map((code) => {
    const cp = cpSpawn('/bin/sh', ['-c', `exit ${code}`], { stdio: 'ignore' });
    killLater(cp.pid!);
    return childExit(cp).then((r) => ({ ...r, want: code }));
  });
  const killed = cpSpawn('/bin/sleep', ['30'], { stdio: 'ignore' });
  killLater(killed.pid!);
  const killedExit = childExit(killed);
  killed.kill('SIGTERM');
  for (const k of await withTimeout(Promise.all(kids), 10_000, 'child_process exits')) {
    assert.deepEqual({ code: k.code, signal: k.signal }, { code: k.want, signal: null });
  }
  assert.deepEqual(await withTimeout(killedExit, 10_000, 'killed child'), { code: null, signal: 'SIGTERM' });
  const before = reports;
  await waitFor(() => reports > before + 50, 5000, 'tracing goes on');
  task.signal(9);
  assert.equal((await exitOf(task)).signal, 9);
});

test('a child_process child stopped and continued meanwhile keeps its exit status (threads stopping at once)', T, async () => {
  // Several running threads: the drain takes stops with waitid(WSTOPPED), which also reports
  // (and consumes) the job-control stop of an untraced child. Neither may disturb the other.
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('stress_threads'), '3', '100000000'], { stdio: 'ignore' });
  let reports = 0;
  const ops: EngineOps = {
    reportSyscallEntry() {
      reports++;
    },
    reportClone(_a, _e, _flags, child) {
      tracer.attachTask(child, Attach.CREATE, ops).setEvents(Event.SYSCALL_ENTRY | Event.CLONE);
    },
  };
  tracer.attachTask(task, Attach.CREATE, ops).setEvents(Event.SYSCALL_ENTRY | Event.CLONE);
  task.start();
  await waitFor(() => task.process.threads.length >= 4 && reports > 1000, 10_000, 'threads under way');
  const cp = cpSpawn('/bin/sh', ['-c', 'sleep 0.3; exit 5'], { stdio: 'ignore' });
  killLater(cp.pid!);
  const exited = childExit(cp);
  cp.kill('SIGSTOP');
  await waitFor(() => procState(cp.pid!) === 'T', 5000, 'child stopped');
  const before = reports;
  await waitFor(() => reports > before + 1000, 5000, 'tracing goes on while it is stopped');
  cp.kill('SIGCONT');
  assert.deepEqual(await withTimeout(exited, 10_000, 'child_process exit'), { code: 5, signal: null });
  const after = reports;
  await waitFor(() => reports > after + 1000, 5000, 'tracing goes on');
  task.signal(9);
  assert.equal((await exitOf(task)).signal, 9);
});
