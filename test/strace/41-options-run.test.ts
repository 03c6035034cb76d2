/**
 * strace's options on real processes: descriptors the shell opened reach the program, the first
 * execve as typed, -P, -E, -z, timestamps, -f waiting for every followed process, messages under
 * the name a wrapper gives. Compared with the real strace where it is installed.
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
const fixtures = path.join(root, 'test/fixtures');
const haveStrace = spawnSync('strace', ['-V']).status === 0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-opts-'));

function run(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(utrace, ['strace', ...args], { encoding: 'utf8', timeout: 30000, ...opts });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Through a shell, as a user types it (redirections included). */
function sh(cmd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('/bin/sh', ['-c', cmd], { encoding: 'utf8', timeout: 30000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('descriptors 3..9 the shell opened reach the program; the tracer\'s own do not', () => {
  // What the program gets without us is the reference (a test runner may pass descriptors on).
  // No pipeline: the shell would hold the pipe's descriptors while ls looks.
  const prog = `/bin/sh -c 'readlink /proc/$$/fd/9; ls /proc/$$/fd' 9>>/dev/full`;
  const want = sh(prog);
  const a = sh(`'${utrace}' strace -qq -e trace=none -- ${prog}`);
  assert.equal(a.status, 0, a.stderr);
  assert.match(want.stdout, /^\/dev\/full\n0\n1\n2\n(.*\n)?9\n$/);
  assert.equal(a.stdout, want.stdout);
  const b = sh(`'${utrace}' strace -qq -e trace=none -- /bin/sh -c 'ls /proc/$$/fd'`);
  assert.equal(b.stdout, sh(`/bin/sh -c 'ls /proc/$$/fd'`).stdout);
});

test('the program and its first execve as typed: a relative path stays relative', { skip: !haveStrace && 'strace not installed' }, () => {
  const ours = run(['-e', 'trace=execve', '-o', path.join(dir, 'exec-ours'), './bin/strace_calls'], { cwd: fixtures });
  const theirs = spawnSync('strace', ['-e', 'trace=execve', '-o', path.join(dir, 'exec-theirs'), './bin/strace_calls'], { cwd: fixtures });
  assert.equal(ours.status, theirs.status, ours.stderr);
  const first = (f: string): string => fs.readFileSync(path.join(dir, f), 'utf8').split('\n')[0]!.replace(/0x[0-9a-f]+/, 'ADDR');
  assert.match(first('exec-ours'), /^execve\("\.\/bin\/strace_calls", \["\.\/bin\/strace_calls"\]/);
  assert.equal(first('exec-ours'), first('exec-theirs'));
});

test('-P PATH: only calls naming PATH or using a descriptor open on it, as strace shows them', { skip: !haveStrace && 'strace not installed' }, () => {
  const file = path.join(dir, 'p-sample');
  fs.writeFileSync(file, 'x');
  const rel = path.relative(process.cwd(), file);
  const ours = run(['-P', rel, '-o', path.join(dir, 'p-ours'), '/bin/cat', rel]);
  const theirs = spawnSync('strace', ['-P', rel, '-o', path.join(dir, 'p-theirs'), '/bin/cat', rel], { encoding: 'utf8' });
  assert.equal(ours.status, 0, ours.stderr);
  assert.equal(theirs.status, 0, theirs.stderr);
  assert.match(ours.stderr, new RegExp(`: Requested path "${rel.replace(/[.]/g, '\\.')}" resolved into "${file.replace(/[.]/g, '\\.')}"`));
  const lines = (f: string): string[] => fs.readFileSync(path.join(dir, f), 'utf8').split('\n');
  const got = lines('p-ours');
  assert.ok(got.some((l) => l.startsWith(`openat(AT_FDCWD, "${rel}", O_RDONLY)`)), got.join('\n'));
  assert.ok(got.some((l) => /^read\(3, "x", \d+\) += 1$/.test(l)), 'a read on the descriptor open on it');
  assert.ok(!got.some((l) => l.startsWith('execve(') || l.startsWith('brk(')), 'nothing else');
  assert.deepEqual(got, lines('p-theirs'));
  // strace says it even under -qqq (the note comes from reading the options, before -q's
  // set applies); only -e quiet=path-resolution silences it.
  const note = (r: { stderr: string }): boolean => r.stderr.includes(`Requested path "${rel}"`);
  const qqq = ['-qqq', '-P', rel, '-o', '/dev/null', '/bin/true'];
  assert.equal(note(run(qqq)), note(spawnSync('strace', qqq, { encoding: 'utf8' })), '-qqq: as strace');
  assert.equal(note(run(['-e', 'quiet=path-resolution', '-P', rel, '-o', '/dev/null', '/bin/true'])), false);
});

test('-E sets and removes variables for the program only; the program is looked up in our PATH', () => {
  const r = run(['-qqq', '-e', 'trace=none', '-E', 'FOO=bar', '--env=HOME', '-E', 'PATH=/nonexistent', 'sh', '-c', 'echo "$FOO ${HOME-unset} $PATH ${UTRACE_STRACE_ARGV0-none} ${UTRACE_INHERITED_FDS-none}"'],
    { env: { ...process.env, UTRACE_STRACE_ARGV0: '/x/strace' } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'bar unset /nonexistent none none\n', 'no UTRACE_ variable reaches the program');
});

test('-z and -Z: only successful, only failed calls', () => {
  const prog = path.join(fixtures, 'bin/strace_calls');
  const z = run(['-z', '-e', 'trace=openat,getppid', '-o', path.join(dir, 'z'), prog]);
  const Z = run(['-Z', '-e', 'trace=openat,getppid', '-o', path.join(dir, 'Zf'), prog]);
  assert.equal(z.status, 0, z.stderr);
  assert.equal(Z.status, 0, Z.stderr);
  const zl = fs.readFileSync(path.join(dir, 'z'), 'utf8').split('\n').filter((l) => /^[a-z]/.test(l));
  const Zl = fs.readFileSync(path.join(dir, 'Zf'), 'utf8').split('\n').filter((l) => /^[a-z]/.test(l));
  assert.ok(zl.some((l) => l.startsWith('getppid()')) && zl.every((l) => !/= -1 /.test(l)), zl.join('\n'));
  assert.ok(Zl.some((l) => l.includes('"/nonexistent/utrace"')) && Zl.every((l) => /= -1 /.test(l)), Zl.join('\n'));
});

test('timestamps: --timestamps=unix,ns, -r with -t, --syscall-times=ns', () => {
  const prog = path.join(fixtures, 'bin/strace_calls');
  const r = run(['--timestamps=unix,ns', '-e', 'trace=getppid', '-o', path.join(dir, 'ts'), prog]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(fs.readFileSync(path.join(dir, 'ts'), 'utf8'), /^\d{10}\.\d{9} getppid\(\) +=/m);
  run(['-t', '-r', '-e', 'trace=getppid', '-o', path.join(dir, 'tr'), prog]);
  assert.match(fs.readFileSync(path.join(dir, 'tr'), 'utf8'), /^\d\d:\d\d:\d\d \(\+ +\d+\.\d{6}\) getppid\(\) +=/m);
  run(['--syscall-times=ns', '-e', 'trace=getppid', '-o', path.join(dir, 'T'), prog]);
  assert.match(fs.readFileSync(path.join(dir, 'T'), 'utf8'), /^getppid\(\) += \d+ <\d+\.\d{9}>$/m);
});

test('-f traces a child that outlives the program to its end', () => {
  const out = path.join(dir, 'late');
  const r = run(['-f', '-qq', '-e', 'trace=write', '-o', out, '/bin/sh', '-c', '(sleep 0.3; echo late) & exit 0']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'late\n');
  assert.match(fs.readFileSync(out, 'utf8'), /write\(1, "late\\n", 5\) += 5/);
});

test('messages start with the name a wrapper gives (UTRACE_STRACE_ARGV0), worded as strace\'s', () => {
  const env = { ...process.env, UTRACE_STRACE_ARGV0: '/x/strace' };
  const a = run(['-Q', 'true'], { env });
  assert.equal(a.status, 1);
  assert.equal(a.stderr, "/x/strace: invalid option -- 'Q'\nTry '/x/strace -h' for more information.\n");
  const b = run(['--summary-o', '--bogus', 'true']);
  assert.equal(b.stderr, "utrace strace: unrecognized option '--bogus'\nTry 'utrace strace -h' for more information.\n");
  const v = run(['-V']);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^utrace strace -- version \d+\.\d+\.\d+\n/);
});

test('-c counts system time (a sleep costs next to none), -w wall time; the table goes to the -o file, as strace writes it', () => {
  const secs = (file: string): number => {
    const m = /^ *[\d.]+ +([\d.]+) +\d+ +\d+ +(\d+ +)?clock_nanosleep$/m.exec(fs.readFileSync(file, 'utf8'));
    assert.ok(m, fs.readFileSync(file, 'utf8'));
    return Number(m[1]);
  };
  const sys = path.join(dir, 'c-sys');
  const wall = path.join(dir, 'c-wall');
  assert.equal(run(['-c', '-o', sys, '/bin/sleep', '0.3']).status, 0);
  assert.equal(run(['-c', '-w', '-S', 'calls', '-o', wall, '/bin/sleep', '0.3']).status, 0);
  assert.ok(secs(sys) < 0.1, `system time ${secs(sys)}`);
  assert.ok(secs(wall) >= 0.25, `wall time ${secs(wall)}`);
  const w = run(['-w', 'true']);
  assert.equal(w.status, 1);
  assert.match(w.stderr, /-w\/--summary-wall-clock must be given with/);
});

test('-y prints a descriptor\'s path byte for byte: a name that is not UTF-8 keeps its bytes (octal escapes)', () => {
  // The shell creates "f\200\377" (not UTF-8) and dup2s it to 5: both descriptors show the name.
  const r = run(['-y', '-e', 'trace=dup2', '--', '/bin/sh', '-c', 'exec 5>"$(printf \'f\\200\\377\')"'], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  const at = `${dir}/f\\200\\377`.replace(/[\\/.]/g, '\\$&');
  assert.match(r.stderr, new RegExp(`^dup2\\(3<${at}>, 5\\) += 5<${at}>$`, 'm'));
});
