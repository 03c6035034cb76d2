/**
 * Tracees that fight back, under `utrace strace -f`: a program that calls
 * ptrace(PTRACE_TRACEME), one that clones with CLONE_UNTRACED (a child process, and a thread
 * that then execs), and set-user-ID programs under a root and an unprivileged tracer. Each must
 * end with the program's own exit status, without a hang, and with a trace that says what
 * happened (docs/design.md, "Tracees that fight back").
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
const FIX = path.join(root, 'test/fixtures/bin/fightback');
const isRoot = process.getuid?.() === 0;
const haveSetpriv = spawnSync('setpriv', ['--version']).status === 0;
const haveStrace = spawnSync('strace', ['-V']).status === 0;
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

interface Run {
  status: number | null;
  stdout: string;
  trace: string;
  ms: number;
}

/** `utrace strace ARGS` with the trace in a file; `as` runs utrace itself under setpriv. */
function strace(args: string[], as?: string[]): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-fb-'));
  fs.chmodSync(dir, 0o777);
  const out = path.join(dir, 'trace');
  const cmd = [process.execPath, utrace, 'strace', '-o', out, ...args];
  const t0 = Date.now();
  const r = as ? spawnSync('setpriv', [...as, ...cmd], { encoding: 'utf8', timeout: 30000, cwd: '/' })
    : spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', timeout: 30000 });
  const ms = Date.now() - t0;
  const trace = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(r.error, undefined, `utrace strace ${args.join(' ')}: ${r.error?.message} ${r.stderr}`);
  return { status: r.status, stdout: r.stdout, trace, ms };
}

/**
 * The lines of one call in a -f trace (`PID  line` with -o, `[pid PID] line` on stderr), an
 * interrupted one (`… <unfinished ...>`, later `<... NAME resumed>…`) joined back into one:
 * which calls get cut depends on how the processes happened to interleave.
 */
function callLines(trace: string, name: string): string[] {
  const open = new Map<string, string>();
  const out: string[] = [];
  for (const raw of trace.split('\n')) {
    const m = /^(?:\[pid +(\d+)\] |(\d+) +)?(.*)$/.exec(raw)!;
    const pid = m[1] ?? m[2] ?? '';
    const line = m[3]!;
    const cut = / <unfinished \.\.\.>$/.exec(line);
    const resumed = new RegExp(`^<\\.\\.\\. ${name} resumed>`).exec(line);
    if (cut && line.startsWith(`${name}(`)) open.set(pid, line.slice(0, cut.index));
    else if (resumed && open.has(pid)) {
      out.push(`${pid} ${open.get(pid)}${line.slice(resumed[0].length)}`);
      open.delete(pid);
    } else if (line.startsWith(`${name}(`)) out.push(`${pid} ${line}`);
  }
  return out.map((l) => l.replace(/ +=/, ' ='));
}

const tracerPidOf = (pid: number): string => /TracerPid:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;

test('PTRACE_TRACEME in a traced process and its traced child fails with EPERM, as under strace', { timeout: 60000 }, () => {
  const r = strace(['-f', '--', FIX, 'traceme']);
  assert.equal(r.status, 0, r.stdout + r.trace); // the fixture's exit 0 = both calls got EPERM
  assert.match(r.stdout, /^parent: traceme -1 EPERM$/m);
  assert.match(r.stdout, /^child: traceme -1 EPERM$/m);
  const lines = callLines(r.trace, 'ptrace');
  assert.equal(lines.length, 2, r.trace);
  assert.match(lines[0]!, /^\d+ ptrace\(PTRACE_TRACEME\) = -1 EPERM \(Operation not permitted\)$/);
  assert.match(lines[1]!, /^\d+ ptrace\(PTRACE_TRACEME\) = -1 EPERM \(Operation not permitted\)$/);
  assert.notEqual(lines[0]!.split(' ')[0], lines[1]!.split(' ')[0], 'one line per process');
  assert.match(r.trace, /\+\+\+ exited with 0 \+\+\+\n$/);
  if (haveStrace) {
    const s = spawnSync('strace', ['-f', FIX, 'traceme'], { encoding: 'utf8', timeout: 30000 });
    assert.equal(s.status, 0);
    const noPid = (l: string): string => l.replace(/^\d* /, '');
    assert.deepEqual(lines.map(noPid).sort(), callLines(s.stderr, 'ptrace').map(noPid).sort());
  }
});

test('CLONE_UNTRACED: the child escapes tracing (no attach, none of its calls), the parent is traced to its exit', { timeout: 60000 }, () => {
  const r = strace(['-f', '--', FIX, 'untraced']);
  assert.equal(r.status, 0, r.stdout + r.trace);
  assert.match(r.stdout, /^child TracerPid 0$/m, 'the child runs untraced');
  assert.match(r.stdout, /^child exited 7$/m);
  const m = /clone\(child_stack=NULL, flags=CLONE_UNTRACED\|SIGCHLD\) = (\d+)/.exec(r.trace);
  assert.ok(m, r.trace);
  assert.doesNotMatch(r.trace, /utrace-untraced-child/);
  assert.doesNotMatch(r.trace, new RegExp(`^${m![1]} `, 'm'), 'no line of the child');
  assert.match(r.trace, /openat\(AT_FDCWD, "\/utrace-traced-parent", O_RDONLY\) = -1 ENOENT/);
  assert.match(r.trace, /wait4\(\d+, \[\{WIFEXITED\(s\) && WEXITSTATUS\(s\) == 7\}\]/);
  assert.match(r.trace, /\+\+\+ exited with 0 \+\+\+\n$/);
});

test('CLONE_UNTRACED under the seccomp prefilter: the child stays traced instead of losing its syscalls to ENOSYS', { timeout: 60000 }, () => {
  const r = strace(['-f', '-e', 'trace=openat,exit_group', '--', FIX, 'untraced']);
  assert.equal(r.status, 0, r.stdout + r.trace);
  const child = /^child TracerPid (\d+)$/m.exec(r.stdout);
  assert.ok(child && child[1] !== '0', `child kept traced: ${r.stdout}`);
  assert.match(r.stdout, /^child exited 7$/m);
  // Its calls work (ENOENT, not ENOSYS) and are traced (cut by the parent's lines or not).
  assert.match(callLines(r.trace, 'openat').join('\n'), /^\d+ openat\(AT_FDCWD, "\/utrace-untraced-child", O_RDONLY\) = -1 ENOENT/m, r.trace);
  assert.match(r.trace, /^\d+ +exit_group\(7\)(?: += \?| <unfinished \.\.\.>)$/m);
  assert.doesNotMatch(r.trace, /ENOSYS/);
});

test('without -f no seccomp prefilter: an untraced child\'s selected syscalls still work', { timeout: 60000 }, () => {
  const r = strace(['-e', 'trace=openat', '--', '/bin/sh', '-c', 'cat /etc/passwd >/dev/null && echo cat-ok']);
  assert.equal(r.status, 0, r.trace);
  assert.match(r.stdout, /^cat-ok$/m);
  assert.doesNotMatch(r.trace, /ENOSYS|Error 38/);
});

test('an untraced thread that execs: utrace strace -p does not hang; the old leader is reported killed', { timeout: 60000 }, async () => {
  const prog = spawn(FIX, ['untraced-exec'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  prog.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => prog.on('exit', (c) => r(c)));
  try {
    while (!/ready/.test(out)) await new Promise((r) => setTimeout(r, 20));
    const pid = prog.pid!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-fb-'));
    const traceFile = path.join(dir, 'trace');
    const t0 = Date.now();
    const tracer = spawn(process.execPath, [utrace, 'strace', '-f', '-o', traceFile, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    tracer.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const done = new Promise<number | null>((r) => tracer.on('exit', (c) => r(c)));
    while (!/attached/.test(err)) await new Promise((r) => setTimeout(r, 20));
    process.kill(pid, 'SIGUSR1');
    const code = await Promise.race([done, new Promise<'hang'>((r) => setTimeout(() => r('hang'), 10000))]);
    if (code === 'hang') tracer.kill('SIGKILL');
    assert.equal(code, 0, `utrace strace -p ended: ${err}`);
    const ms = Date.now() - t0;
    const trace = fs.readFileSync(traceFile, 'utf8');
    fs.rmSync(dir, { recursive: true, force: true });
    assert.match(trace, /clone\(child_stack=0x[0-9a-f]+, flags=CLONE_VM\|.*\|CLONE_UNTRACED\) = (\d+|\?)$/m); // "?": killed before its exit was read
    assert.match(trace, /\+\+\+ killed by SIGKILL \+\+\+\n$/, trace);
    assert.ok(ms < 8000, `took ${ms} ms`);
    // The process goes on untraced as /bin/sleep, and ends normally.
    assert.equal(fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), 'sleep');
    assert.equal(tracerPidOf(pid), '0');
    assert.equal(await exited, 0);
  } finally {
    prog.kill('SIGKILL');
  }
});

test('an untraced thread that execs in a launched program: utrace strace ends with the program\'s status', { timeout: 60000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-fb-'));
  const traceFile = path.join(dir, 'trace');
  const tracer = spawn(process.execPath, [utrace, 'strace', '-f', '-o', traceFile, '--', FIX, 'untraced-exec'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  tracer.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<number | null>((r) => tracer.on('exit', (c) => r(c)));
  let m: RegExpExecArray | null;
  while (!(m = /ready (\d+)/.exec(out))) await new Promise((r) => setTimeout(r, 20));
  process.kill(Number(m[1]), 'SIGUSR1');
  const code = await Promise.race([done, new Promise<'hang'>((r) => setTimeout(() => r('hang'), 10000))]);
  if (code === 'hang') tracer.kill('SIGKILL');
  assert.equal(code, 0, 'the exit status of /bin/sleep 3, which took the process over');
  assert.match(fs.readFileSync(traceFile, 'utf8'), /CLONE_UNTRACED/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('set-user-ID program, root tracer: the privilege change takes effect and tracing goes on', { timeout: 60000, skip: !isRoot && 'needs root to make a set-user-ID copy' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-suid-'));
  const copy = path.join(dir, 'suid-nobody');
  fs.copyFileSync(FIX, copy);
  fs.chownSync(copy, 65534, 65534);
  fs.chmodSync(copy, 0o4755);
  try {
    const plain = spawnSync(copy, ['ids'], { encoding: 'utf8' });
    assert.match(plain.stdout, /^ruid=0 euid=65534 /, 'the file system honours set-user-ID here');
    const r = strace(['-f', '-e', 'trace=execve,geteuid,exit_group', '--', copy, 'ids']);
    assert.equal(r.status, 0, r.trace);
    assert.match(r.stdout, /^ruid=0 euid=65534 /);
    assert.match(r.trace, /execve\(".*suid-nobody", \[.*\], .*\) = 0/);
    assert.match(r.trace, /geteuid\(\) += 65534/);
    assert.match(r.trace, /\+\+\+ exited with 0 \+\+\+\n$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('set-user-ID root program, unprivileged tracer: the kernel runs it without the privilege (as under strace)', { timeout: 60000, skip: !(isRoot && haveSetpriv) && 'needs root and setpriv' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-suid-'));
  fs.chmodSync(dir, 0o755);
  const copy = path.join(dir, 'suid-root');
  fs.copyFileSync(FIX, copy);
  fs.chmodSync(copy, 0o4755);
  try {
    const plain = spawnSync('setpriv', [...NOBODY, copy, 'ids'], { encoding: 'utf8' });
    assert.match(plain.stdout, /^ruid=65534 euid=0 /, 'untraced, nobody gets euid 0');
    const r = strace(['-f', '-e', 'trace=execve,geteuid,exit_group', '--', copy, 'ids'], NOBODY);
    assert.equal(r.status, 0, r.stdout + r.trace);
    assert.match(r.stdout, /^ruid=65534 euid=65534 /, 'traced by nobody: no privilege');
    assert.match(r.trace, /execve\(".*suid-root", \[.*\], .*\) = 0/);
    assert.match(r.trace, /geteuid\(\) += 65534/);
    assert.match(r.trace, /\+\+\+ exited with 0 \+\+\+\n$/);
    if (haveStrace) {
      const s = spawnSync('setpriv', [...NOBODY, 'strace', '-f', '-o', '/dev/null', copy, 'ids'], { encoding: 'utf8', cwd: '/' });
      assert.match(s.stdout, /^ruid=65534 euid=65534 /, 'the same under strace');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
