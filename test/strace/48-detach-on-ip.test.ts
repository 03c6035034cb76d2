/**
 * -b execve (--detach-on=execve) and -i (--instruction-pointer) on real processes: a process
 * that exec's is let go (untraced from its new image on, "Process N detached", our status 0 as
 * strace's when the launched command is let go); -i prints the thread's instruction pointer at
 * the stop each line is about, sixteen '?' once the thread has ended.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const ipMarks = path.join(root, 'test/fixtures/bin/ip_marks');

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(utrace, ['strace', ...args], { encoding: 'utf8', timeout: 30000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('-b execve: the command\'s own execve is traced, its next one lets it go, untraced; status 0', () => {
  const r = run(['-b', 'execve', '-e', 'trace=execve', '/bin/sh', '-c', 'exec /bin/sh -c "grep TracerPid /proc/self/status; exit 3"']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'TracerPid:\t0\n'); // nobody traces the new image, not even our host
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(lines[0]!, /^execve\("\/bin\/sh", \["\/bin\/sh", "-c", "exec \/bin\/sh -c \\"grep/);
  assert.match(lines[0]!, /\) += 0$/);
  assert.match(lines[1]!, /^execve\("\/bin\/sh", \["\/bin\/sh", "-c", "grep TracerPid/);
  assert.match(lines.at(-1)!, /^utrace strace: Process \d+ detached$/);
  // --detach-on=execve is the same; -q (attach) hides the message.
  const q = run(['--detach-on=execve', '-qq', '-e', 'trace=none', '/bin/sh', '-c', 'exec /bin/false']);
  assert.equal(q.status, 0, q.stderr);
  assert.equal(q.stderr, '');
});

test('-f -b execve: a forked child is let go at its execve; the command traced to its exit', () => {
  const r = run(['-f', '-b', 'execve', '-e', 'trace=exit_group', '/bin/sh', '-c', 'grep TracerPid /proc/self/status; exit 3']);
  assert.equal(r.status, 3, r.stderr);
  assert.equal(r.stdout, 'TracerPid:\t0\n');
  assert.match(r.stderr, /Process (\d+) attached\n[^]*Process \1 detached\n/);
  assert.match(r.stderr, /exit_group\(3\) += \?\n\+\+\+ exited with 3 \+\+\+\n$/);
});

test('-b: only execve; --seccomp-bpf is not used with it', () => {
  const bad = run(['-b', 'clone', '/bin/true']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^utrace strace: Syscall 'clone' for -b isn't supported\n/);
  const s = run(['-f', '--seccomp-bpf', '-b', 'execve', '-qq', '-e', 'trace=none', '/bin/sh', '-c', 'exec /bin/true']);
  assert.equal(s.status, 0, s.stderr);
  assert.equal(s.stderr, 'utrace strace: --seccomp-bpf is not enabled because it is not compatible with -b\n');
});

test('-i: the instruction pointer after the syscall instruction, at the fault, "?" once ended', () => {
  const r = run(['-i', '-e', 'trace=getppid', ipMarks]);
  const after = /^after_syscall ([0-9a-f]{16})$/m.exec(r.stdout)?.[1];
  assert.ok(after, r.stdout);
  // getppid's result is our pid (the tracer is the program's parent).
  assert.deepEqual(r.stderr.split('\n').map((l) => l.replace(/ {2,}/, ' ').replace(/= \d+$/, '= PID')), [
    `[${after}] getppid() = PID`,
    '[0000000000001000] --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x1000} ---',
    '[????????????????] +++ killed by SIGSEGV (core dumped) +++',
    '',
  ].map((l) => l.replace(/ \(core dumped\)/, r.stderr.includes('(core dumped)') ? ' (core dumped)' : '')));
  // After the pid prefix and the timestamps, as strace prints it.
  const f = run(['-f', '-tt', '-i', '-e', 'trace=getppid', '-e', 'signal=none', '/bin/sh', '-c', `${ipMarks}; true`]);
  assert.match(f.stderr, new RegExp(`^\\[pid +\\d+\\] \\d\\d:\\d\\d:\\d\\d\\.\\d{6} \\[${after!.slice(0, 4)}[0-9a-f]{12}\\] getppid\\(\\)`, 'm'));
});
