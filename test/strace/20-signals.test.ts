/**
 * Faults: SIGINT/SIGTERM/SIGHUP to `utrace strace`. An attached process is detached and keeps
 * running untraced (no pending stop); a launched one is detached and gets the signal, and utrace
 * dies of it, as strace does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exited, hostTraces, status, until } from '../cli/procs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const spinBin = path.join(root, 'test/fixtures/bin/spin');

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  test(`${sig} to utrace strace -p: the process is detached and keeps running`, { timeout: 30000 }, async () => {
    const target = spawn(spinBin, [], { stdio: 'ignore' });
    try {
      const tracer = spawn('node', [utrace, 'strace', '-o', '/dev/null', '-p', String(target.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      tracer.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      // The attachment is held by a host started for this command (`utrace host PID`).
      await until(() => hostTraces(target.pid!), 10000, 'the attach');
      const done = exited(tracer);
      tracer.kill(sig);
      const r = await done;
      // Detached, then dead of the signal itself, as strace (its suite expects 128+N).
      assert.deepEqual(r, { code: null, signal: sig }, err);
      assert.equal(status(target.pid!)['TracerPid'], '0');
      // Running, not stopped: its CPU time keeps growing.
      const ticks = (): number => Number(fs.readFileSync(`/proc/${target.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[11]);
      const t0 = ticks();
      await until(() => ticks() > t0, 5000, 'the detached process to run');
      assert.match(status(target.pid!)['State']!, /^R|^S/);
    } finally {
      target.kill('SIGKILL');
    }
  });
}

test('SIGTERM to utrace strace -- CMD: the launched command is detached and dies of the SIGTERM passed on, like strace', { timeout: 30000 }, async () => {
  const tracer = spawn('node', [utrace, 'strace', '-o', '/dev/null', '--', spinBin], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  tracer.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await until(() => out.includes('counter'), 10000, 'the program to start');
  const children = fs.readFileSync(`/proc/${tracer.pid}/task/${tracer.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  assert.equal(children.length, 1);
  const done = exited(tracer);
  tracer.kill('SIGTERM');
  const r = await done;
  assert.equal(r.signal, 'SIGTERM', JSON.stringify(r)); // strace dies of the signal it got
  await until(() => !fs.existsSync(`/proc/${children[0]}/status`) || /Z|X/.test(status(children[0]!)['State'] ?? 'X'), 10000, 'the program to die');
});

test('SIGTERM to utrace strace -o FILE -- CMD: a call in flight ends " <detached ...>"; a program that ignores the signal lives on untraced', { timeout: 30000 }, async () => {
  const dir = fs.mkdtempSync('/tmp/utrace-detach-');
  const out = path.join(dir, 'trace');
  const mark = path.join(dir, 'mark');
  const tracer = spawn('node', [utrace, 'strace', '--quiet=none', '-o', out, '-e', 'status=detached', '--', '/bin/sh', '-c', `trap '' TERM; echo up; read x; echo still > ${mark}`],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  let err = '';
  tracer.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  tracer.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await until(() => text.includes('up'), 10000, 'the program to start');
  const pid = Number(fs.readFileSync(`/proc/${tracer.pid}/task/${tracer.pid}/children`, 'utf8').trim());
  // Blocked in read(0, ...) once its state says it sleeps.
  await until(() => status(pid)['State']?.startsWith('S') === true, 10000, 'the program to block in read');
  const done = exited(tracer);
  tracer.kill('SIGTERM');
  const r = await done;
  assert.equal(r.signal, 'SIGTERM', JSON.stringify(r));
  assert.equal(fs.readFileSync(out, 'utf8'), 'read(0,  <detached ...>\n');
  assert.match(err, new RegExp(`Process ${pid} detached`));
  assert.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), /^TracerPid:\s+0$/m);
  tracer.stdin!.end('go\n'); // it ignored SIGTERM: reads on and finishes untraced
  await until(() => fs.existsSync(mark), 10000, 'the program to go on');
  fs.rmSync(dir, { recursive: true });
});

test('a closed stderr (EPIPE, e.g. gdb gone) does not stop the trace', { timeout: 30000 }, async () => {
  const out = path.join(fs.mkdtempSync('/tmp/utrace-epipe-'), 'trace');
  const p = spawn('node', [utrace, 'strace', '-f', '--quiet=none', '-o', out, '--', '/bin/sh', '-c', 'sleep 0.3; /bin/true; /bin/true'], { stdio: ['ignore', 'ignore', 'pipe'] });
  p.stderr!.destroy(); // "Process N attached" lines now hit a pipe with no reader
  const r = await exited(p);
  assert.equal(r.code, 0);
  assert.match(fs.readFileSync(out, 'utf8'), /\+\+\+ exited with 0 \+\+\+\n$/);
});

test('a program that dies of SIGUSR1, SIGPIPE, SIGTERM or SIGKILL: utrace strace dies of the same signal (Node\'s own handlers for them do not keep it alive)', { timeout: 30000 }, () => {
  for (const sig of ['USR1', 'PIPE', 'TERM', 'KILL'] as const) {
    const r = spawnSync(utrace, ['strace', '-qq', '-e', 'trace=none', '/bin/sh', '-c', `kill -${sig} $$`], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.signal, `SIG${sig}`, `SIG${sig}: status ${r.status}, stderr ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /Debugger listening/);
  }
});
