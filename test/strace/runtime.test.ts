/**
 * Run-time behaviour of `utrace strace` that strace's own test suite checks (issue 17): what
 * is tampered with, how threads, detaches and signals print. Real tracees, real ptrace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const fixtures = path.join(root, 'test/fixtures/bin');

function tmp(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-run-')), name);
}

function strace(args: string[], opts: { input?: string } = {}): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const r = spawnSync('node', [utrace, 'strace', ...args], { encoding: 'utf8', timeout: 30000, input: opts.input });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

test('fault= applies only to traced calls: a wider fault set leaves untraced calls alone', () => {
  const out = tmp('out');
  // Every descriptor call failing would kill the dynamic loader (mmap is in %desc): strace
  // injects only into the -e trace= set, here writev, which /bin/true never calls.
  const r = strace(['-f', '-o', out, '-e', 'trace=writev', '-e', 'fault=desc', '/bin/true']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(fs.readFileSync(out, 'utf8'), /^\d+ +\+\+\+ exited with 0 \+\+\+\n$/);
  // Traced and in the fault set: injected and marked.
  const out2 = tmp('out');
  const r2 = strace(['-o', out2, '-e', 'trace=chdir', '-e', 'fault=chdir:error=EPERM', '/bin/sh', '-c', 'cd / || exit 7']);
  assert.equal(r2.status, 7, r2.stderr);
  assert.match(fs.readFileSync(out2, 'utf8'), /^chdir\("\/"\) += -1 EPERM \(Operation not permitted\) \(INJECTED\)$/m);
});

test('an exit_group whose result is injected returns and prints that result', () => {
  const out = tmp('out');
  // The failed exit_group returns to the shell's C library, which then calls exit (the
  // thread's own) with the same status: strace shows both, the first with its error.
  const r = strace(['-o', out, '-e', 'trace=exit,exit_group', '-e', 'fault=exit_group:error=ENOSYS', '/bin/sh', '-c', 'exit 42']);
  assert.equal(r.status, 42, r.stderr);
  assert.deepEqual(fs.readFileSync(out, 'utf8').split('\n').map((l) => l.replace(/ +=/, ' =')), [
    'exit_group(42) = -1 ENOSYS (Function not implemented) (INJECTED)',
    'exit(42) = ?',
    '+++ exited with 42 +++',
    '',
  ]);
});

test('a group-stop prints "--- stopped by SIGSTOP ---"; the parent still sees the stop and continues it', () => {
  const out = tmp('out');
  const r = strace(['-f', '-o', out, '-e', 'trace=none', path.join(fixtures, 'stop_cont')]);
  assert.equal(r.status, 0, r.stderr);
  const all = fs.readFileSync(out, 'utf8').split('\n');
  const stop = /^(\d+) +--- SIGSTOP \{si_signo=SIGSTOP, si_code=SI_USER, /.exec(all.find((l) => l.includes('--- SIGSTOP')) ?? '');
  assert.ok(stop, all.join('\n'));
  // The child's own lines, in order (the parent's interleave at random).
  const child = all.filter((l) => l.startsWith(`${stop[1]} `)).map((l) => l.replace(/^\d+ +/, ''));
  assert.deepEqual(child.map((l) => l.replace(/ \{.*/, '')), ['--- SIGSTOP', '--- stopped by SIGSTOP ---', '--- SIGCONT', '+++ exited with 0 +++'], all.join('\n'));
  assert.ok(all.some((l) => /--- SIGCHLD \{si_signo=SIGCHLD, si_code=CLD_STOPPED, /.test(l)), all.join('\n'));
});

test('inject signal= is sent by the kernel at the call (si_code SI_KERNEL), as strace does', () => {
  const out = tmp('out');
  const r = strace(['-o', out, '-e', 'trace=chdir', '-e', 'inject=chdir:error=ENOENT:signal=SIGUSR2', '/bin/sh', '-c', 'cd /']);
  // re-raised: the shell died of it (not SIGUSR1 here: Node answers that one by opening its inspector)
  assert.equal(r.signal, 'SIGUSR2', r.stderr);
  assert.deepEqual(fs.readFileSync(out, 'utf8').split('\n').map((l) => l.replace(/ +=/, ' =')), [
    'chdir("/") = -1 ENOENT (No such file or directory) (INJECTED)',
    '--- SIGUSR2 {si_signo=SIGUSR2, si_code=SI_KERNEL} ---',
    '+++ killed by SIGUSR2 +++',
    '',
  ]);
});

/** Resolves with the stderr seen so far once `re` matches it (rejects after 20 s). */
function waitFor(child: import('node:child_process').ChildProcess, re: RegExp): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${re}: ${text}`)), 20000);
    child.stderr!.on('data', (d: Buffer) => {
      text += d.toString();
      if (re.test(text)) {
        clearTimeout(t);
        resolve(text);
      }
    });
  });
}

function procState(pid: number): string {
  return /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
}

for (const host of [false, true]) {
  test(`strace -p of a stopped process (${host ? 'joining a host' : 'own tracer'}): "stopped by", left stopped, dies of SIGTERM`, async () => {
    const victim = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      process.kill(victim.pid!, 'SIGSTOP');
      while (procState(victim.pid!) !== 'T') await new Promise((r) => setTimeout(r, 10));
      const env = { ...process.env, UTRACE_NO_HOST: host ? '0' : '1' };
      const st = spawn('node', [utrace, 'strace', '-p', String(victim.pid)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      const ended = new Promise<NodeJS.Signals | number | null>((r) => st.on('exit', (code, sig) => r(sig ?? code)));
      // Seized in its group-stop: the core keeps it until the engine is attached, which prints it.
      await waitFor(st, /--- stopped by SIGSTOP ---[^]*attached|attached[^]*--- stopped by SIGSTOP ---/);
      st.kill('SIGTERM');
      // strace detaches and then dies of the signal (its test suite checks 128+15).
      assert.equal(await ended, 'SIGTERM');
      assert.equal(procState(victim.pid!), 'T'); // still in its job-control stop, untraced
      assert.match(fs.readFileSync(`/proc/${victim.pid}/status`, 'utf8'), /^TracerPid:\s+0$/m);
    } finally {
      victim.kill('SIGKILL');
    }
  });
}

test('a CLONE_PARENT child not followed is reaped: "Exit of unknown pid N ignored" unless quiet=exit', () => {
  const prog = path.join(fixtures, 'clone_parent');
  const children = (stdout: string): string[] => [...stdout.matchAll(/^child (\d+)$/gm)].map((m) => m[1]!);
  for (const [opts, told] of [[[], true], [['-q'], true], [['-qq'], false], [['--quiet=exit'], false]] as const) {
    const r = strace(['-o', '/dev/null', '-e', 'trace=none', ...opts, prog, '2']);
    // Status 3: the fixture's child stayed a zombie nobody reaped.
    assert.equal(r.status, 0, `${opts.join(' ')}: ${r.stderr}`);
    const pids = children(r.stdout);
    assert.equal(pids.length, 2, r.stdout);
    const notes = [...r.stderr.matchAll(/: Exit of unknown pid (\d+) ignored$/gm)].map((m) => m[1]);
    assert.deepEqual(notes, told ? pids : [], `${opts.join(' ')}: ${r.stderr}`);
  }
  // Followed (-f), the child is a tracee: its exit is traced, not unknown.
  const out = tmp('out');
  const f = strace(['-f', '-o', out, '-e', 'trace=none', prog]);
  assert.equal(f.status, 0, f.stderr);
  const [pid] = children(f.stdout);
  assert.doesNotMatch(f.stderr, /Exit of unknown pid/);
  assert.match(fs.readFileSync(out, 'utf8'), new RegExp(`^${pid} +\\+\\+\\+ exited with 42 \\+\\+\\+$`, 'm'));
});

test('a first execve that fails is traced, then "NAME: exec: ERROR" and exit status 1, the launcher\'s own calls unseen', () => {
  const r = strace(['/']);
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(lines[0]!, /^execve\("\/", \["\/"\], 0x[\da-f]+ \/\* \d+ vars \*\/\) += -1 EACCES \(Permission denied\)$/);
  assert.deepEqual(lines.slice(1), ['utrace strace: exec: Permission denied', '+++ exited with 1 +++']);
  // With -o: the message on stderr, the trace in the file.
  const out = tmp('out');
  const o = strace(['-o', out, '/etc/passwd']);
  assert.equal(o.status, 1, o.stderr);
  assert.equal(o.stderr, 'utrace strace: exec: Permission denied\n');
  assert.match(fs.readFileSync(out, 'utf8'), /^execve\("\/etc\/passwd", .*= -1 EACCES \(Permission denied\)\n\+\+\+ exited with 1 \+\+\+\n$/);
  // A missing program is still refused before anything runs.
  const m = strace(['/nonexistent/prog']);
  assert.equal(m.status, 1);
  assert.equal(m.stderr, 'utrace strace: Can\'t stat \'/nonexistent/prog\': No such file or directory\n');
});
