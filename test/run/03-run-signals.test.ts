/**
 * Ctrl-C to `utrace run` (issue #5, cli.md "Common"): a seized process (-p) is detached from
 * every engine and goes on untraced, never left stopped, to its own exit; a launched one is
 * killed, as `utrace strace` (test/strace/20-signals.test.ts) and strace do, with nothing left
 * behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { collect, exited, hostTraces, read, state, status, threads, until } from '../cli/procs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const ticker = path.join(root, 'test/fixtures/bin/mt_ticker');
const spinBin = path.join(root, 'test/fixtures/bin/spin');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-run-sig-'));

test('SIGINT to utrace run -p: every thread detached, never left stopped; the program goes on to its own exit', { timeout: 60000 }, async () => {
  const ITERS = 3000; // >= 1 ms per iteration: the program outlives the attach by seconds
  const target = spawn(ticker, ['3', String(ITERS)], { stdio: ['ignore', 'pipe', 'ignore'] });
  const t = collect(target);
  const targetDone = exited(target);
  let tracer: ChildProcess | undefined;
  try {
    await until(() => t.out.includes('ready'), 10000, 'the fixture to start its threads');
    const pid = target.pid!;
    const tids = threads(pid);
    assert.equal(tids.length, 4, 'main thread and three workers');
    const out = path.join(tmp, 'attach-trace');
    tracer = spawn('node', [utrace, 'run', `--strace=-o ${out}`, '--inject', 'getppid:retval=4242', '-p', String(pid)],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    const u = collect(tracer);
    const done = exited(tracer);
    // The attachment is held by a host started for this command (`utrace host PID`).
    await until(() => tids.every((tid) => hostTraces(pid, tid)), 10000, 'the attach of every thread');
    // The trace is being written: injected getppid calls of every worker thread reach the file
    // (whole, or as `<... getppid resumed>` when threads interleave).
    const injectedTids = (): Set<number> =>
      new Set([...read(out).matchAll(/^(\d+) +(?:getppid\(|<\.\.\. getppid resumed>)\) += 4242 \(INJECTED\)$/gm)].map((m) => Number(m[1])));
    const workers = tids.filter((tid) => tid !== pid).sort();
    await until(() => workers.every((tid) => injectedTids().has(tid)), 10000, `the trace of every worker (${u.err})`);
    tracer.kill('SIGINT');
    const r = await done;
    assert.deepEqual(r, { code: 0, signal: null }, u.err);
    assert.ok(target.exitCode === null, 'the program is still running after utrace left');
    // Untraced, and not stopped (no 't' tracing stop, no 'T' stop left behind), for a while.
    for (let i = 0; i < 10; i++) {
      for (const tid of threads(pid)) {
        assert.equal(status(pid, tid)['TracerPid'], '0', `thread ${tid}`);
        assert.doesNotMatch(state(pid, tid) ?? 'gone', /^[tT]$/, `thread ${tid} stopped after the detach`);
      }
      await new Promise((res) => setTimeout(res, 20));
    }
    const trace = read(out);
    // Several threads: lines are prefixed with the tid. Every worker was traced.
    assert.deepEqual([...injectedTids()].sort(), workers, trace.slice(0, 500));
    assert.doesNotMatch(trace, /\+\+\+ (exited|killed)/, 'utrace left before the program ended');
    assert.match(trace, /\n$/, 'flushed to the end of a line');
    // It finishes its own work and exits with its own status.
    const st = await targetDone;
    assert.deepEqual(st, { code: 0, signal: null });
    for (let i = 0; i < 3; i++) assert.match(t.out, new RegExp(`^thread ${i} iterations=${ITERS}$`, 'm'));
    assert.match(t.out, /^done$/m);
  } finally {
    tracer?.kill('SIGKILL');
    target.kill('SIGKILL');
  }
});

test('SIGINT to utrace run -- CMD (strace + inject): the launched program is killed, like strace; nothing left behind', { timeout: 60000 }, async () => {
  const out = path.join(tmp, 'launched-trace');
  const tracer = spawn('node', [utrace, 'run', `--strace=-f -o ${out}`, '--inject', 'getppid:retval=42', '--', spinBin],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const u = collect(tracer);
  const done = exited(tracer);
  let child: number | undefined;
  try {
    await until(() => u.out.includes('counter'), 10000, 'the program to start');
    const children = fs.readFileSync(`/proc/${tracer.pid}/task/${tracer.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    assert.equal(children.length, 1);
    child = children[0]!;
    await until(() => /getppid\(\) += 42 \(INJECTED\)/.test(read(out)), 10000, 'injected calls in the trace');
    tracer.kill('SIGINT');
    const r = await done;
    // utrace exits like the killed program (the signal re-raised), as utrace strace does.
    assert.ok(r.signal === 'SIGKILL' || r.code === 137, JSON.stringify(r) + u.err);
    // The program is gone (not running untraced, not a zombie of ours, not stopped).
    const s = state(child);
    assert.ok(s === undefined || s === 'Z' || s === 'X', `the launched program is still there in state ${s}`);
    if (s === 'Z') assert.notEqual(status(child)['PPid'], String(tracer.pid));
    // The engines saw its death: the trace is complete up to it.
    const trace = read(out);
    assert.match(trace, /\+\+\+ killed by SIGKILL \+\+\+\n$/, trace.slice(-300));
    assert.doesNotMatch(trace, /<detached \.\.\.>/);
  } finally {
    tracer.kill('SIGKILL');
    if (child !== undefined) {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        /* gone, as it should be */
      }
    }
  }
});

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) test(`${sig} to utrace run -- CMD blocked in a long sleep: killed promptly, the trace ends with its death`, { timeout: 60000 }, async () => {
  // A program blocked in a long sleep (a syscall in progress): the kill still ends it promptly.
  const out = path.join(tmp, `sleep-trace-${sig}`);
  const tracer = spawn('node', [utrace, 'run', `--strace=-o ${out}`, '--', '/bin/sleep', '1000'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const u = collect(tracer);
  const done = exited(tracer);
  try {
    await until(() => /clock_nanosleep\(|nanosleep\(/.test(read(out)), 10000, 'the sleep');
    const child = Number(fs.readFileSync(`/proc/${tracer.pid}/task/${tracer.pid}/children`, 'utf8').trim());
    const t0 = Date.now();
    tracer.kill(sig);
    const r = await done;
    assert.ok(Date.now() - t0 < 5000, 'prompt');
    assert.ok(r.signal === 'SIGKILL' || r.code === 137, JSON.stringify(r) + u.err);
    const s = state(child);
    assert.ok(s === undefined || s === 'Z' || s === 'X', `sleep still there in state ${s}`);
    assert.match(read(out), /nanosleep\([^]*\+\+\+ killed by SIGKILL \+\+\+\n$/);
  } finally {
    tracer.kill('SIGKILL');
  }
});
