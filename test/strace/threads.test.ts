/**
 * How `utrace strace` prints a thread's life across calls (issue 17, strace's threads-execve,
 * status-*-threads, restart_syscall tests). A non-leader thread's execve: the leader's pending
 * call, "<pid changed to L ...>", "+++ superseded by execve in pid T +++" and the execve's
 * return under the leader's tid; restart_syscall naming the call it resumes. Real tracees,
 * real ptrace; the execve cases run several times, as de_thread races with the tracer's stops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const bin = path.join(root, 'test/fixtures/bin/exec_superseded');
const RUNS = 4;

/**
 * Runs the fixture in `mode` under strace -f -o; its lines with the column padding squeezed,
 * without the first execve's unless `all`.
 */
function run(mode: string, extra: string[] = [], all = false): { lines: string[]; leader: number; thread: number } {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-thr-')), 'out');
  const r = spawnSync('node', [utrace, 'strace', '-f', '-o', out, '-e', 'trace=execve,exit,nanosleep', ...extra, bin, mode],
    { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  const ids = /^leader (\d+) thread (\d+)$/m.exec(r.stdout);
  assert.ok(ids, r.stdout);
  const lines = fs.readFileSync(out, 'utf8').split('\n').map((l) => l.replace(/ {2,}= /, ' = '));
  fs.rmSync(path.dirname(out), { recursive: true });
  return { lines: all ? lines : lines.slice(1), leader: Number(ids[1]), thread: Number(ids[2]) };
}

const pad = (n: number): string => String(n).padEnd(5);
const execLine = (tid: number, envp = '0x[0-9a-f]+'): RegExp =>
  new RegExp(`^${pad(tid)} execve\\("${bin}", \\["${bin.slice(0, 32).replace(/[.]/g, '\\.')}"\\.\\.\\., "after"\\], ${envp} /\\* \\d+ vars \\*/`);

test('the leader already exited: the execve line ends "<pid changed to L ...>", returns as L', () => {
  for (let i = 0; i < RUNS; i++) {
    const { lines, leader: L, thread: T } = run('exit');
    const text = lines.join('\n');
    assert.equal(lines[0], `${pad(L)} exit(42) = ?`, text);
    assert.match(lines[1]!, execLine(T), text);
    assert.ok(lines[1]!.endsWith(` <pid changed to ${L} ...>`), text);
    assert.deepEqual(lines.slice(2), [
      `${pad(L)} +++ superseded by execve in pid ${T} +++`,
      `${pad(L)} <... execve resumed>) = 0`,
      `${pad(L)} +++ exited with 0 +++`,
      '',
    ], text);
  }
});

test('the leader blocked in nanosleep: its call ends "<unfinished ...>) = ?", then superseded', () => {
  for (let i = 0; i < RUNS; i++) {
    const { lines, leader: L, thread: T } = run('sleep');
    const text = lines.join('\n');
    assert.equal(lines[0], `${pad(L)} nanosleep({tv_sec=123, tv_nsec=0},  <unfinished ...>`, text);
    assert.match(lines[1]!, execLine(T), text);
    assert.ok(lines[1]!.endsWith(' <unfinished ...>'), text);
    assert.deepEqual(lines.slice(2), [
      `${pad(L)} <... nanosleep resumed> <unfinished ...>) = ?`,
      `${pad(L)} +++ superseded by execve in pid ${T} +++`,
      `${pad(L)} <... execve resumed>) = 0`,
      `${pad(L)} +++ exited with 0 +++`,
      '',
    ], text);
  }
});

test('--quiet=thread-execve and -qqq leave out the superseded line only; -qq only the exit lines', () => {
  for (const [opt, superseded, exited] of [['--quiet=thread-execve', false, true], ['-qqq', false, false], ['-qq', true, false]] as const) {
    const { lines, leader: L, thread: T } = run('exit', [opt]);
    const text = lines.join('\n');
    assert.ok(lines[1]!.endsWith(` <pid changed to ${L} ...>`), `${opt}\n${text}`);
    assert.deepEqual(lines.slice(2), [
      ...(superseded ? [`${pad(L)} +++ superseded by execve in pid ${T} +++`] : []),
      `${pad(L)} <... execve resumed>) = 0`,
      ...(exited ? [`${pad(L)} +++ exited with 0 +++`] : []),
      '',
    ], `${opt}\n${text}`);
  }
});

test('-e status=unfinished: the leader\'s cut-short call and the superseded line, not the execve', () => {
  const { lines, leader: L, thread: T } = run('sleep', ['-e', 'status=unfinished'], true);
  assert.deepEqual(lines, [
    `${pad(L)} nanosleep({tv_sec=123, tv_nsec=0},  <unfinished ...>) = ?`,
    `${pad(L)} +++ superseded by execve in pid ${T} +++`,
    `${pad(L)} +++ exited with 0 +++`,
    '',
  ], lines.join('\n'));
});

test('restart_syscall resumes a nanosleep cut by an ignored signal, naming it even when only it is traced', () => {
  const sleeper = path.join(root, 'test/fixtures/bin/restart_sleep');
  for (const set of ['restart_syscall,nanosleep', 'restart_syscall']) {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-thr-')), 'out');
    const r = spawnSync('node', [utrace, 'strace', '-o', out, '-e', `trace=${set}`, sleeper], { encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 0, r.stderr);
    const lines = fs.readFileSync(out, 'utf8').split('\n').map((l) => l.replace(/ {2,}= /, ' = '));
    fs.rmSync(path.dirname(out), { recursive: true });
    const want = [
      '--- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---',
      'restart_syscall(<... resuming interrupted nanosleep ...>) = 0',
      '+++ exited with 0 +++',
      '',
    ];
    if (set.includes('nanosleep')) {
      assert.match(lines[0]!, /^nanosleep\(\{tv_sec=0, tv_nsec=200000000\}, NULL\) = \? ERESTART_RESTARTBLOCK \(Interrupted by signal\)$/, lines.join('\n'));
      lines.shift();
    }
    assert.deepEqual(lines, want, `${set}\n${lines.join('\n')}`);
  }
});

test('without -f, a child traced unasked (CLONE_PTRACE) is let go: "Detached unknown pid N" unless --quiet=attach', () => {
  const prog = path.join(root, 'test/fixtures/bin/clone_ptrace_child');
  for (const quiet of [false, true]) {
    const r = spawnSync('node', [utrace, 'strace', '-o', '/dev/null', '-e', 'trace=none', quiet ? '--quiet=attach' : '--quiet=none', prog],
      { encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 0, r.stderr); // the child died of the parent's SIGUSR1: not left stopped
    const child = /^child (\d+)$/m.exec(r.stdout)?.[1];
    assert.ok(child, r.stdout);
    if (quiet) assert.doesNotMatch(r.stderr, /Detached unknown pid/);
    else assert.match(r.stderr, new RegExp(`: Detached unknown pid ${child}\\n`));
  }
  // Followed (-f), it is ours: no such message.
  const f = spawnSync('node', [utrace, 'strace', '-f', '-o', '/dev/null', '-e', 'trace=none', prog], { encoding: 'utf8', timeout: 30000 });
  assert.equal(f.status, 0, f.stderr);
  assert.doesNotMatch(f.stderr, /Detached unknown pid/);
});
