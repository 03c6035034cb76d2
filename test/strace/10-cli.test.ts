/**
 * `utrace strace` against the real strace on the same fixture: the lines must be identical
 * once addresses and pids are normalised.
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
const fixture = path.join(root, 'test/fixtures/bin/strace_calls');
const haveStrace = spawnSync('strace', ['-V']).status === 0;

function tmp(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-')), name);
}

export function normalize(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/0x[0-9a-f]+/g, '0xADDR').replace(/^\d+ +/, '').replace(/\[pid +\d+\]/g, '[pid N]')
      .replace(/si_pid=\d+/g, 'si_pid=N').replace(/^kill\(\d+/, 'kill(N').replace(/= \d{3,}$/, '= N'))
    .filter((l) => l && !l.startsWith('execve('));
}

function run(cmd: string, args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30000 });
  return { status: r.status, stderr: r.stderr };
}

test('trace of a fixture is identical to strace after normalising addresses and pids', { skip: !haveStrace && 'strace not installed' }, () => {
  const ours = tmp('ours');
  const theirs = tmp('theirs');
  const a = run('node', [utrace, 'strace', '-o', ours, '--', fixture, '3']);
  const b = run('strace', ['-o', theirs, '--', fixture, '3']);
  assert.equal(a.status, 3, a.stderr);
  assert.equal(b.status, 3);
  const want = normalize(fs.readFileSync(theirs, 'utf8'));
  const got = normalize(fs.readFileSync(ours, 'utf8'));
  // The dynamic loader's lines are the same too, but compare from the program's first call.
  const start = (ls: string[]): string[] => ls.slice(ls.findIndex((l) => l.includes('/nonexistent/utrace')));
  assert.deepEqual(start(got), start(want));
  assert.ok(got.includes('+++ exited with 3 +++'));
});

test('-e trace= filters, -e inject= forces results marked (INJECTED), seen by the program', () => {
  const out = tmp('out');
  const r = run('node', [utrace, 'strace', '-o', out, '-e', 'trace=openat,getppid', '-e', 'inject=getppid:retval=42', '--', fixture]);
  assert.equal(r.status, 0, r.stderr);
  const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
  assert.ok(lines.every((l) => /^(openat|getppid)\(|^\+\+\+|^--- SIG/.test(l)), lines.join('\n'));
  assert.ok(lines.includes('getppid()                               = 42 (INJECTED)'), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('openat(AT_FDCWD, "/nonexistent/utrace", O_RDONLY) = -1 ENOENT (No such file or directory)')));
});

test('a signal line and the exit status of a killed program, re-raised like strace', () => {
  const out = tmp('out');
  const r = run('node', [utrace, 'strace', '-o', out, '--', '/bin/sh', '-c', 'kill -TERM $$']);
  assert.equal(r.status, null); // utrace itself died of SIGTERM, as strace does
  const text = fs.readFileSync(out, 'utf8');
  assert.match(text, /--- SIGTERM \{si_signo=SIGTERM, si_code=SI_USER, si_pid=\d+, si_uid=\d+\} ---/);
  assert.match(text, /\+\+\+ killed by SIGTERM \+\+\+/);
});

test('bad input: unknown syscall, malformed inject, unknown option, missing program', () => {
  for (const [args, msg] of [
    [['-e', 'trace=nosuch', 'true'], /invalid system call 'nosuch'/],
    [['-e', 'inject=openat:error=EBOGUS', 'true'], /EBOGUS/],
    [['--bogus', 'true'], /bogus/],
    [['-s', 'x', 'true'], /-s/],
  ] as const) {
    const r = run('node', [utrace, 'strace', ...args]);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
  }
  const r = run('node', [utrace, 'strace', '--', '/nonexistent/program']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /nonexistent\/program/);
});

test('-c prints the summary table with strace columns', () => {
  const r = run('node', [utrace, 'strace', '-c', '--', fixture]);
  assert.equal(r.status, 0);
  assert.match(r.stderr, /% time {5}seconds {2}usecs\/call {5}calls {4}errors syscall/);
  assert.match(r.stderr, /\n\s*\d+\.\d+ +\d+\.\d+ +\d+ +1 +getppid\n/);
  assert.match(r.stderr, /100\.00 +\d+\.\d+ +\d+ +\d+ +\d+ total/);
});

test('--json writes one object per event; --timeline writes Chrome trace events', () => {
  const out = tmp('out.json');
  const tl = tmp('tl.json');
  const r = run('node', [utrace, 'strace', '--json', '-o', out, '--timeline', tl, '--', fixture]);
  assert.equal(r.status, 0, r.stderr);
  const events = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const pp = events.find((e) => e['syscall'] === 'getppid');
  assert.ok(pp, 'getppid event');
  assert.equal(typeof pp['pid'], 'number');
  const trace = JSON.parse(fs.readFileSync(tl, 'utf8')) as { traceEvents?: unknown[] } | unknown[];
  const list = Array.isArray(trace) ? trace : trace.traceEvents!;
  assert.ok(list.some((e) => (e as { name?: string; ph?: string }).name === 'getppid' && (e as { ph?: string }).ph === 'X'));
});

test('-f reports each newly followed process on stderr; -q silences it, and so does -o for a command unless a quiet set is given (as strace)', () => {
  const attached = (args: string[]): number => {
    const r = run('node', [utrace, 'strace', '-f', '-e', 'trace=none', ...args, '--', '/bin/sh', '-c', '/bin/true; /bin/true']);
    assert.equal(r.status, 0, r.stderr);
    return (r.stderr.match(/Process \d+ attached/g) ?? []).length;
  };
  assert.equal(attached([]), 2);
  assert.equal(attached(['-q']), 0);
  assert.equal(attached(['-o', '/dev/null']), 0);
  assert.equal(attached(['-o', '/dev/null', '--quiet=none']), 2);
});

test('a main thread gone with pthread_exit: its exit(0) ends "= ?", and the process exits with the worker\'s code, as strace prints', { skip: !haveStrace && 'strace not installed' }, () => {
  const prog = path.join(root, 'test/fixtures/bin/leader_exit');
  const ours = tmp('ours');
  const theirs = tmp('theirs');
  const a = run('node', [utrace, 'strace', '-f', '-e', 'trace=exit,exit_group', '-o', ours, '--', prog, '3']);
  const b = run('strace', ['-f', '-e', 'trace=exit,exit_group', '-o', theirs, '--', prog, '3']);
  assert.equal(a.status, 3, a.stderr);
  assert.equal(b.status, 3, b.stderr);
  // -o with -f prefixes each line with its pid; the leader's and the worker's lines may
  // interleave differently, so compare per pid.
  const byPid = (f: string): string[] => normalize(fs.readFileSync(f, 'utf8')).sort();
  assert.deepEqual(byPid(ours), byPid(theirs));
  assert.ok(byPid(ours).some((l) => /^exit\(0\) += \?$/.test(l)), byPid(ours).join('\n'));
  assert.ok(byPid(ours).filter((l) => l === '+++ exited with 3 +++').length === 2);
});

test('-ff -o FILE: one file per thread (FILE.TID), whole lines without a pid prefix, as strace writes them', { skip: !haveStrace && 'strace not installed' }, () => {
  const prog = path.join(root, 'test/fixtures/bin/leader_exit');
  const dirOf = (name: string): string => path.dirname(tmp(name));
  const oursDir = dirOf('ours');
  const theirsDir = dirOf('theirs');
  const a = run('node', [utrace, 'strace', '-ff', '-e', 'trace=exit,exit_group', '-o', path.join(oursDir, 't'), '--', prog, '3']);
  const b = run('strace', ['-ff', '-e', 'trace=exit,exit_group', '-o', path.join(theirsDir, 't'), '--', prog, '3']);
  assert.equal(a.status, 3, a.stderr);
  assert.equal(b.status, 3, b.stderr);
  const files = (dir: string): string[] => fs.readdirSync(dir).sort();
  assert.equal(files(oursDir).length, 2, files(oursDir).join(' '));
  assert.ok(files(oursDir).every((f) => /^t\.\d+$/.test(f)), 'FILE.TID only, FILE itself not written');
  // Each thread's file, as a whole (pids differ from run to run, so compare the contents).
  const contents = (dir: string): string[] => files(dir).map((f) => normalize(fs.readFileSync(path.join(dir, f), 'utf8')).join('\n')).sort();
  assert.deepEqual(contents(oursDir), contents(theirsDir));
  assert.ok(contents(oursDir).some((c) => /^exit\(0\) += \?\n\+\+\+ exited with 3 \+\+\+$/.test(c)), contents(oursDir).join('\n--\n'));
});
