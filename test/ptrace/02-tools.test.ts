/**
 * Unmodified ptrace tools as engines (issue #7, part 2): `utrace run --tool` serves the real
 * strace and the real gdb from the ptrace personality while our own strace engine traces the
 * same process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const bin = (n: string): string => path.join(root, 'test/fixtures/bin', n);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-tool-'));
const T = { timeout: 60_000 };

function fifo(): { fd: number; write(s: string): void; close(): void } {
  const file = path.join(fs.mkdtempSync(path.join(tmp, 'fifo-')), 'in');
  spawnSync('mkfifo', [file]);
  const fd = fs.openSync(file, 'r+');
  return { fd, write: (s) => fs.writeSync(fd, s), close: () => fs.closeSync(fd) };
}

interface Ran { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function collect(cp: ChildProcess, onStderr?: (all: string) => void): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  cp.stdout?.on('data', (d) => (stdout += d));
  cp.stderr?.on('data', (d) => {
    stderr += d;
    onStderr?.(stderr);
  });
  const timer = setTimeout(() => cp.kill('SIGKILL'), 50_000);
  return new Promise((resolve) => cp.on('close', (code, signal) => {
    clearTimeout(timer);
    resolve({ code, signal, stdout, stderr });
  }));
}

/**
 * A strace -f trace made comparable: pids become P1, P2 (in order of appearance), addresses
 * and the parent's pid are blanked, interleaved calls are joined and lines grouped by process.
 */
function normalize(trace: string): string[] {
  const roles = new Map<string, string>();
  const pending = new Map<string, string>();
  const byRole = new Map<string, string[]>();
  for (const raw of trace.split('\n')) {
    const m = /^(\d+) +(.*)$/.exec(raw);
    if (!m) continue;
    const [, pid, body0] = m as unknown as [string, string, string];
    if (!roles.has(pid)) roles.set(pid, `P${roles.size + 1}`);
    let body = body0;
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(body);
    if (resumed && pending.has(pid)) {
      body = pending.get(pid)! + resumed[1];
      pending.delete(pid);
    } else if (body.endsWith(' <unfinished ...>')) {
      pending.set(pid, body.slice(0, -' <unfinished ...>'.length));
      continue;
    }
    const role = roles.get(pid)!;
    if (!byRole.has(role)) byRole.set(role, []);
    byRole.get(role)!.push(body);
  }
  const out: string[] = [];
  for (const [role, lines] of byRole) {
    for (let l of lines) {
      for (const [pid, r] of roles) l = l.replace(new RegExp(`\\b${pid}\\b`, 'g'), r);
      l = l.replace(/getppid\(\)\s+= \d+/, 'getppid() = PPID').replace(/0x[0-9a-f]+/g, 'ADDR').replace(/\s+/g, ' ');
      out.push(`${role} ${l}`);
    }
  }
  return out;
}

/** Real strace attached natively to ptrace_target, released once attached. */
async function nativeStrace(): Promise<string> {
  const out = path.join(tmp, 'native.trace');
  const stdin = fifo();
  const target = spawn(bin('ptrace_target'), [], { stdio: [stdin.fd, 'ignore', 'inherit'] });
  const targetDone = new Promise((r) => target.on('exit', r));
  await new Promise((r) => setTimeout(r, 100));
  const st = spawn('strace', ['-f', '-o', out, '-p', String(target.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let released = false;
  const r = await collect(st, (e) => {
    if (!released && /Process \d+ attached/.test(e)) {
      released = true;
      stdin.write('g');
    }
  });
  await targetDone;
  stdin.close();
  assert.equal(r.code, 0, r.stderr);
  return fs.readFileSync(out, 'utf8');
}

test('real strace as a tool gives the trace real strace gives natively, while our strace engine traces the same process', T, async () => {
  const native = await nativeStrace();
  const theirs = path.join(tmp, 'tool.trace');
  const ours = path.join(tmp, 'ours.trace');
  const stdin = fifo();
  const cp = spawn('node', [utrace, 'run', `--strace=-f -o ${ours}`, '--tool', `strace -f -o ${theirs} -p {pid}`, '--', bin('ptrace_target')],
    { stdio: [stdin.fd, 'pipe', 'pipe'] });
  let released = false;
  const r = await collect(cp, (e) => {
    if (!released && /strace: Process \d+ attached/.test(e)) {
      released = true;
      stdin.write('g');
    }
  });
  stdin.close();
  assert.equal(r.code, 3, r.stderr); // the target's own exit status
  // strace says "attached" before its first stop: the byte we then send may complete the read
  // before the tracee is interrupted, so the read shows or not, in either run.
  const noRead = (l: string): boolean => !/^P1 read\(0, /.test(l);
  const want = normalize(native).filter(noRead);
  const got = normalize(fs.readFileSync(theirs, 'utf8')).filter(noRead);
  assert.ok(want.length >= 12, native);
  assert.deepEqual(got, want);
  assert.match(want.join('\n'), /P1 wait4\(P2, \[\{WIFEXITED\(s\) && WEXITSTATUS\(s\) == 7\}\], 0, NULL\) = P2/);
  // Our engine saw every call the tool saw, in the same order, and the whole run.
  const mine = normalize(fs.readFileSync(ours, 'utf8'));
  let i = 0;
  for (const l of mine) if (i < got.length && l === got[i]) i++;
  assert.equal(i, got.length, `our trace lacks ${got[i]}\n${mine.join('\n')}`);
  assert.match(fs.readFileSync(ours, 'utf8'), /\+\+\+ exited with 3 \+\+\+\n$/);
});

test('real gdb as a tool: break, continue, bt, info registers, threads and detach, while our strace engine traces the target', T, async () => {
  const ours = path.join(tmp, 'gdb-ours.trace');
  const gdb = 'gdb -nx -batch -p {pid} -ex "break work" -ex continue -ex bt -ex "info registers rip" -ex "info threads" -ex detach';
  // The loop starts once gdb has set its breakpoint (however slow gdb is to start).
  const gate = path.join(tmp, 'gdb-gate');
  const cp = spawn('node', [utrace, 'run', `--strace=-f -o ${ours}`, '--tool', gdb, '--', bin('ptrace_loop'), '40', gate],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  cp.stdout!.on('data', (d) => {
    seen += d;
    if (/Breakpoint 1 at/.test(seen) && !fs.existsSync(gate)) fs.writeFileSync(gate, '');
  });
  const r = await collect(cp);
  assert.equal(r.code, 4, r.stderr);
  const out = r.stdout;
  const hit = /Breakpoint 1, work \(n=(\d+)\) at .*ptrace_loop\.c/.exec(out);
  assert.ok(hit, out);
  assert.match(out, new RegExp(`#0  work \\(n=${hit[1]}\\) at `));
  assert.match(out, /#1  0x[0-9a-f]+ in main \(/);
  assert.match(out, /^rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <work\+\d+>$/m);
  assert.match(out, /^\* 1\s+Thread .*work \(n=/m);
  assert.match(out, /^  2\s+Thread /m);
  assert.match(out, /\[Inferior 1 \(process \d+\) detached\]/);
  // The program lost nothing: every iteration ran once, and no breakpoint byte was left
  // behind (it ran on to its own exit status after the detach).
  for (let n = 1; n <= 40; n++) assert.equal(out.split(`\nwork ${n}\n`).length - 1 + (out.startsWith(`work ${n}\n`) ? 1 : 0), 1, `work ${n}`);
  const trace = fs.readFileSync(ours, 'utf8');
  assert.match(trace, /--- SIGTRAP \{si_signo=SIGTRAP, si_code=SI_KERNEL, si_addr=NULL\} ---/); // gdb's breakpoint, seen by us too (strace prints si_addr for SIGTRAP)
  // Each iteration's write once (whole, or `<unfinished ...>` while gdb stops the threads).
  const writes = [...trace.matchAll(/write\(1, "work (\d+)\\n", \d+/g)].map((m) => Number(m[1]));
  assert.deepEqual(writes, Array.from({ length: 40 }, (_, i) => i + 1));
  assert.match(trace, /\+\+\+ exited with 4 \+\+\+\n$/);
});

test('--tool bad input: a missing command or one that does not exist is a clear error and the program is not left behind', T, () => {
  // A gate file that never appears: a ptrace_loop left behind would wait for it forever.
  const gate = path.join(tmp, 'never-created-gate');
  let r = spawnSync('node', [utrace, 'run', '--tool', '', '--', bin('ptrace_loop'), '1', gate], { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--tool: missing command/);
  r = spawnSync('node', [utrace, 'run', '--tool', 'no-such-tool-xyz -p {pid}', '--', bin('ptrace_loop'), '1', gate], { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no-such-tool-xyz: command not found/);
  assert.equal(spawnSync('pgrep', ['-f', gate]).status, 1, 'no ptrace_loop left running');
});

test('real strace as a tool on a program whose main thread calls pthread_exit: both pids end "+++ exited with 3 +++", as natively', T, () => {
  const ours = path.join(tmp, 'leader-tool.trace');
  const theirs = path.join(tmp, 'leader-native.trace');
  // The tool starts with the program and attaches when it is up: the leader waits 1 s before
  // leaving (a zombie leader cannot be attached, natively either).
  const r = spawnSync('node', [utrace, 'run', '--tool', `strace -f -o ${ours} -p {pid}`, '--', bin('leader_exit'), '3', '100', '1000'], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 3, r.stderr);
  assert.equal(spawnSync('strace', ['-f', '-o', theirs, bin('leader_exit'), '3']).status, 3);
  // The leader's wait status is its process's (the worker's exit_group(3)), not its own exit(0).
  const ends = (f: string): string[] => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.includes('+++')).map((l) => l.replace(/^\d+ +/, ''));
  assert.deepEqual(ends(ours), ['+++ exited with 3 +++', '+++ exited with 3 +++'], fs.readFileSync(ours, 'utf8'));
  assert.deepEqual(ends(ours), ends(theirs));
});
