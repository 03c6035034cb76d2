/**
 * `utrace run --gdb` over TCP and over a unix socket, driven by real gdb in batch mode, with
 * --inject and --strace on the same process (issue #5): gdb breaks, continues and detaches;
 * the trace goes on to `+++ exited with N +++`; gdb, the trace and the program all see the
 * injected result. The stdio variant is test/run/02-run-gdb.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const ticker = path.join(root, 'test/fixtures/bin/mt_ticker');
const calls = path.join(root, 'test/fixtures/bin/run_calls');
const spinBin = path.join(root, 'test/fixtures/bin/spin');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-run-gdbsock-'));

interface Proc {
  p: ChildProcess;
  out: string;
  err: string;
  done: Promise<{ code: number | null; signal: string | null }>;
}

function start(cmd: string, args: string[]): Proc {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const o: Proc = { p, out: '', err: '', done: new Promise((r) => p.on('exit', (code, signal) => r({ code, signal }))) };
  p.stdout!.on('data', (d: Buffer) => (o.out += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (o.err += d.toString()));
  return o;
}

async function until(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Wait for a process, killing it after `ms`. */
async function finish(o: Proc, ms: number): Promise<{ code: number | null; signal: string | null }> {
  const t = setTimeout(() => o.p.kill('SIGKILL'), ms);
  try {
    return await o.done;
  } finally {
    clearTimeout(t);
  }
}

/** Real gdb in batch mode: one -ex per command, then the program for its symbols. */
async function gdb(commands: string[], prog: string): Promise<{ code: number | null; text: string }> {
  const g = start('gdb', ['-batch', '-nx', ...commands.flatMap((c) => ['-ex', c]), prog]);
  const r = await finish(g, 60000);
  return { code: r.code, text: g.out + g.err };
}

function read(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

test('--gdb 127.0.0.1:0 with --inject and --strace: real gdb breaks in a worker thread, continues, detaches; the trace runs to the end', { timeout: 90000 }, async () => {
  const out = path.join(tmp, 'trace-tcp');
  // gdb first, inject before strace: strace is closest to user mode and still marks (INJECTED).
  const u = start('node', [utrace, 'run', '--gdb', '127.0.0.1:0', '--inject', 'getppid:retval=4242', `--strace=-f -o ${out}`,
    '--', ticker, '3', '50']);
  try {
    await until(() => /Listening on port \d+/.test(u.err), 15000, () => `the listener: ${u.err}`);
    const port = Number(/Listening on port (\d+)/.exec(u.err)![1]);
    assert.ok(port > 0 && port < 65536, `a real port, not 0: ${port}`);
    const g = await gdb([`target remote 127.0.0.1:${port}`, 'break worker', 'continue', 'info threads', 'detach'], ticker);
    assert.equal(g.code, 0, g.text);
    assert.match(g.text, /hit Breakpoint 1, worker \(arg=/, g.text);
    const pid = Number(/\[Inferior 1 \(process (\d+)\) detached\]/.exec(g.text)?.[1]);
    assert.ok(pid > 0, g.text);
    assert.match(g.text, new RegExp(`^\\* \\d+ +Thread ${pid}\\.\\d+ "mt_ticker" worker \\(arg=`, 'm'), 'the current thread is at the breakpoint');
    // gdb has left; the other engines go on and the program finishes by itself.
    const r = await finish(u, 30000);
    assert.deepEqual(r, { code: 0, signal: null }, u.err);
    assert.match(u.err, /Remote debugging from host 127\.0\.0\.1, port \d+/);
    for (let i = 0; i < 3; i++) assert.match(u.out, new RegExp(`^thread ${i} iterations=50$`, 'm'), u.out);
    assert.match(u.out, /^done$/m);
    const trace = read(out);
    assert.match(trace, /exit_group\(0[^]*\+\+\+ exited with 0 \+\+\+\n$/, trace.slice(-500));
    assert.match(trace, new RegExp(`^${pid} +\\+\\+\\+ exited with 0 \\+\\+\\+$`, 'm'));
    // Every worker's 50 getppid calls: traced once each and injected.
    const perTid = new Map<string, number>();
    for (const m of trace.matchAll(/^(\d+) +(?:getppid\(\)|<\.\.\. getppid resumed>\)) += 4242 \(INJECTED\)$/gm)) {
      perTid.set(m[1]!, (perTid.get(m[1]!) ?? 0) + 1);
    }
    assert.deepEqual([...perTid.values()], [50, 50, 50], JSON.stringify([...perTid]));
    assert.doesNotMatch(trace, /getppid\(\) += (?!4242)/);
    // The listener is gone.
    const refused = await new Promise<boolean>((res) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => (s.destroy(), res(false)));
      s.on('error', () => res(true));
    });
    assert.ok(refused, `port ${port} still accepts connections`);
  } finally {
    u.p.kill('SIGKILL');
  }
});

test('--gdb unix:PATH: gdb catches getppid and sees the injected result, as do the program and the trace (inject before strace)', { timeout: 90000 }, async () => {
  const out = path.join(tmp, 'trace-unix');
  const sock = path.join(tmp, 'gdb.sock');
  const u = start('node', [utrace, 'run', '--inject', 'getppid:retval=42', `--strace=-o ${out}`, '--gdb', `unix:${sock}`,
    '--', calls, 'getppid']);
  try {
    await until(() => /Listening on /.test(u.err), 15000, () => `the listener: ${u.err}`);
    const st = fs.lstatSync(sock);
    assert.ok(st.isSocket(), 'a socket at PATH');
    assert.equal(st.mode & 0o777, 0o600);
    const g = await gdb([`target remote ${sock}`, 'break main', 'continue', 'catch syscall getppid', 'continue', 'continue',
      'print $rax', 'detach'], calls);
    assert.equal(g.code, 0, g.text);
    assert.match(g.text, /Breakpoint 1, main \(/, g.text);
    assert.match(g.text, /Catchpoint 2 \(call to syscall getppid\)/, g.text);
    assert.match(g.text, /Catchpoint 2 \(returned from syscall getppid\)/, g.text);
    assert.match(g.text, /^\$1 = 42$/m, 'gdb sees the forced result');
    assert.match(g.text, /\[Inferior 1 \(process \d+\) detached\]/);
    const r = await finish(u, 30000);
    assert.deepEqual(r, { code: 0, signal: null }, u.err);
    assert.match(u.out, /^getppid=42$/m, 'the program sees the forced result');
    const trace = read(out);
    assert.equal(trace.match(/getppid\(/g)?.length, 1, trace);
    assert.match(trace, /^getppid\(\) += 42 \(INJECTED\)$/m, trace);
    assert.match(trace, /^write\(1, "getppid=42\\n", 11\) += 11$/m);
    assert.match(trace, /\+\+\+ exited with 0 \+\+\+\n$/);
    assert.ok(!fs.existsSync(sock), 'the socket is removed at the end');
  } finally {
    u.p.kill('SIGKILL');
  }
});

test('SIGINT to utrace run --gdb unix:PATH before gdb connects: the launched program is killed at once, the socket removed', { timeout: 60000 }, async () => {
  const out = path.join(tmp, 'trace-sigint');
  const sock = path.join(tmp, 'gdb-sigint.sock');
  const u = start('node', [utrace, 'run', `--strace=-o ${out}`, '--gdb', `unix:${sock}`, '--', spinBin]);
  try {
    await until(() => /Listening on /.test(u.err), 15000, () => `the listener: ${u.err}`);
    const child = Number(fs.readFileSync(`/proc/${u.p.pid}/task/${u.p.pid}/children`, 'utf8').trim());
    assert.ok(child > 0);
    const t0 = Date.now();
    u.p.kill('SIGINT');
    const r = await finish(u, 20000);
    // No gdb to let read an exit reply: nothing to wait for (it took 2 to 5 s).
    assert.ok(Date.now() - t0 < 1000, `ended ${Date.now() - t0} ms after SIGINT`);
    assert.ok(r.signal === 'SIGKILL' || r.code === 137, JSON.stringify(r) + u.err);
    assert.ok(!fs.existsSync(`/proc/${child}/stat`) || /\) [ZX] /.test(fs.readFileSync(`/proc/${child}/stat`, 'utf8')),
      'the launched program is gone');
    assert.ok(!fs.existsSync(sock), 'the socket is removed');
    assert.match(read(out), /\+\+\+ killed by SIGKILL \+\+\+\n$/);
  } finally {
    u.p.kill('SIGKILL');
  }
});
