/**
 * The resident tracer with real processes: independent commands (`utrace strace -p`,
 * `utrace gdbserver --attach`, gdb on RUNTIME/PID/gdb) trace one process together through its
 * host; one that ends (even SIGKILL) takes only its own engines; the host leaves nothing behind.
 * Every test has its own RUNTIME (XDG_RUNTIME_DIR).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeInMemoryAndFile, haveGdb } from '../gdb/helpers.js';
import { exited, status, until } from './procs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const PROG = path.join(root, 'test/fixtures/bin/gdb_prog');
const T = { timeout: 60000 };

function runtime(): { env: NodeJS.ProcessEnv; dir: string } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-host-test-'));
  return { env: { ...process.env, XDG_RUNTIME_DIR: base }, dir: path.join(base, 'utrace') };
}

const lines = (f: string): number => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').length - 1 : 0);

interface PsEngine { kind: string; owner: { pid: number }; events: string[] }
function ps(env: NodeJS.ProcessEnv): { target: { pid: number }; host: { pid: number }; engines: PsEngine[] }[] {
  const r = spawnSync('node', [utrace, 'ps', '--json'], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as ReturnType<typeof ps>;
}

/** The process runs (not stopped) and nobody traces it. */
async function runsUntraced(pid: number): Promise<void> {
  await until(() => status(pid)['TracerPid'] === '0', 5000, 'the host to detach');
  // It sleeps 10 ms per turn: each wake-up is a voluntary context switch.
  const switches = (): number => Number(status(pid)['voluntary_ctxt_switches']);
  const s0 = switches();
  await until(() => switches() > s0 + 5, 5000, 'the process to run');
  assert.doesNotMatch(status(pid)['State']!, /^[tT]/);
}

test('two strace -p commands on one process: both trace it; SIGKILL of one leaves the other tracing; the last one out detaches the host', T, async () => {
  const { env, dir } = runtime();
  const target = spawn(PROG, ['spin'], { stdio: 'ignore' });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-host-out-'));
  const [o1, o2] = [path.join(tmp, 't1'), path.join(tmp, 't2')];
  try {
    const pid = target.pid!;
    const a = spawn('node', [utrace, 'strace', '-o', o1, '-p', String(pid)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    await until(() => lines(o1) > 3, 10000, 'the first trace');
    const b = spawn('node', [utrace, 'strace', '-o', o2, '-e', 'trace=clock_nanosleep', '-p', String(pid)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    await until(() => lines(o2) > 3, 10000, 'the second trace');
    // One host, two strace engines in attach order, each owned by its command.
    const hosts = ps(env);
    assert.equal(hosts.length, 1);
    assert.equal(hosts[0]!.target.pid, pid);
    assert.equal(status(pid)['TracerPid'], String(hosts[0]!.host.pid));
    assert.deepEqual(hosts[0]!.engines.map((e) => [e.kind, e.owner.pid]), [['strace', a.pid], ['strace', b.pid]]);
    assert.ok(hosts[0]!.engines[0]!.events.includes('syscall-entry'));
    // SIGKILL the first command: its engine leaves, the second keeps tracing.
    a.kill('SIGKILL');
    await exited(a);
    await until(() => ps(env)[0]?.engines.length === 1, 5000, 'the killed command\'s engine to leave');
    assert.equal(ps(env)[0]!.engines[0]!.owner.pid, b.pid);
    const n = lines(o2);
    await until(() => lines(o2) > n + 3, 5000, 'the second trace to go on');
    assert.match(fs.readFileSync(o2, 'utf8'), /^clock_nanosleep\(CLOCK_REALTIME, 0, \{tv_sec=0, tv_nsec=10000000\}, NULL\) = 0$/m);
    assert.doesNotMatch(fs.readFileSync(o2, 'utf8'), /^(?!clock_nanosleep|\+\+\+|---)\w+\(/m, 'only the second command\'s filter');
    // The last one leaves on SIGINT: the host detaches, removes its sockets and ends.
    const hostPid = ps(env)[0]!.host.pid;
    b.kill('SIGINT');
    // Having detached, it dies of the signal, as strace does (130 from a shell).
    assert.deepEqual(await exited(b), { code: null, signal: 'SIGINT' });
    await runsUntraced(pid);
    await until(() => !fs.existsSync(`/proc/${hostPid}`) || /^Z/.test(status(hostPid)['State'] ?? 'Z'), 5000, 'the host to end');
    assert.deepEqual(fs.existsSync(dir) ? fs.readdirSync(dir) : [], [], 'RUNTIME/PID removed');
  } finally {
    target.kill('SIGKILL');
  }
});

test('utrace host --background, gdb on RUNTIME/PID/gdb while strace -p traces; gdb detaches, --stop: no int3 left, the process runs untraced', { ...T, skip: !haveGdb && 'gdb not installed' }, async () => {
  const { env, dir } = runtime();
  const target = spawn(PROG, ['spin'], { stdio: 'ignore' });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-host-out-'));
  const o1 = path.join(tmp, 't1');
  try {
    const pid = target.pid!;
    const h = spawnSync('node', [utrace, 'host', '--background', String(pid)], { env, encoding: 'utf8' });
    assert.equal(h.status, 0, h.stderr);
    const sock = path.join(dir, String(pid), 'gdb');
    assert.match(h.stderr, new RegExp(`target remote ${sock}`));
    assert.equal(fs.statSync(sock).mode & 0o777, 0o600);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    const s = spawn('node', [utrace, 'strace', '-o', o1, '-p', String(pid)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    await until(() => lines(o1) > 3, 10000, 'the trace');
    const g = spawnSync('timeout', ['60', 'gdb', '-batch', '-nx', '-ex', `target remote ${sock}`, '-ex', 'break tick', '-ex', 'continue',
      '-ex', 'bt 1', '-ex', 'delete', '-ex', 'detach', PROG], { encoding: 'utf8', env });
    const out = g.stdout + g.stderr;
    assert.match(out, /Breakpoint 1, tick \(i=\d+\)/, out);
    assert.match(out, /\[Inferior 1 \(process \d+\) detached\]/, out);
    // gdb left; strace and the host stay.
    await until(() => ps(env)[0]?.engines.length === 1, 5000, 'gdb\'s engine to leave');
    const n = lines(o1);
    await until(() => lines(o1) > n + 3, 5000, 'the trace to go on after gdb');
    const code = codeInMemoryAndFile(pid, PROG, 'tick');
    assert.deepEqual(code.mem, code.file, 'no breakpoint byte left');
    s.kill('SIGTERM');
    await exited(s);
    assert.equal(ps(env).length, 1, 'a resident host stays without members');
    assert.equal(spawnSync('node', [utrace, 'host', '--stop', String(pid)], { env }).status, 0);
    await runsUntraced(pid);
  } finally {
    target.kill('SIGKILL');
  }
});

test('gdbserver --attach joins a process strace -p traces; gdb\'s engine leaves on detach, strace goes on', { ...T, skip: !haveGdb && 'gdb not installed' }, async () => {
  const { env } = runtime();
  const target = spawn(PROG, ['spin'], { stdio: 'ignore' });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-host-out-'));
  const o1 = path.join(tmp, 't1');
  try {
    const pid = target.pid!;
    const s = spawn('node', [utrace, 'strace', '-o', o1, '-p', String(pid)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    await until(() => lines(o1) > 3, 10000, 'the trace');
    const g = spawnSync('timeout', ['60', 'gdb', '-batch', '-nx', '-ex', `target remote | node ${utrace} gdbserver stdio --attach ${pid}`,
      '-ex', 'break tick', '-ex', 'continue', '-ex', 'p i > 0', '-ex', 'delete', '-ex', 'detach', PROG], { encoding: 'utf8', env });
    const out = g.stdout + g.stderr;
    assert.match(out, /Attached; pid = \d+/, out);
    assert.match(out, /Breakpoint 1, tick/, out);
    assert.match(out, /\[Inferior 1 \(process \d+\) detached\]/, out);
    await until(() => ps(env)[0]?.engines.length === 1, 5000, 'gdb\'s engine to leave');
    const n = lines(o1);
    await until(() => lines(o1) > n + 3, 5000, 'the trace to go on');
    s.kill('SIGINT');
    await exited(s);
    await runsUntraced(pid);
  } finally {
    target.kill('SIGKILL');
  }
});

test('the host refuses garbage and other users, survives a client that hangs up mid-request, and a dead host\'s socket is replaced', T, async () => {
  const { env, dir } = runtime();
  const target = spawn(PROG, ['spin'], { stdio: 'ignore' });
  try {
    const pid = target.pid!;
    assert.equal(spawnSync('node', [utrace, 'host', '--background', String(pid)], { env }).status, 0);
    const ctl = path.join(dir, String(pid), 'ctl');
    // Garbage, then a half request and a hang-up: both dropped.
    const talk = (data: string): Promise<string> => new Promise((resolve) => {
      const c = net.connect(ctl);
      let got = '';
      c.on('data', (b) => (got += b.toString()));
      c.on('close', () => resolve(got));
      c.on('error', () => resolve(got));
      c.on('connect', () => {
        c.write(data);
        if (!data.endsWith('\n')) setTimeout(() => c.destroy(), 100);
      });
    });
    assert.match(await talk('{not json\n'), /"ev":"error","code":"EINVAL"/);
    await talk('{"op":"join","tar');
    assert.equal(ps(env).length, 1, 'the host still answers');
    // Another uid: the 0700 directory keeps it out before the host's own SO_PEERCRED check.
    const other = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'node', '-e',
      `require('net').connect(${JSON.stringify(ctl)}).on('error', (e) => { console.log(e.code); }).on('connect', () => console.log('connected'))`], { encoding: 'utf8' });
    assert.match(other.stdout, /EACCES/, other.stderr);
    // SIGKILL the host: the kernel detaches; the next command replaces the stale socket.
    const hostPid = ps(env)[0]!.host.pid;
    process.kill(hostPid, 'SIGKILL');
    await until(() => status(pid)['TracerPid'] === '0', 5000, 'the kernel to detach the dead host');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-host-out-'));
    const o1 = path.join(tmp, 't1');
    const s = spawn('node', [utrace, 'strace', '-o', o1, '-p', String(pid)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    await until(() => lines(o1) > 3, 10000, 'a trace through a new host');
    assert.notEqual(ps(env)[0]!.host.pid, hostPid);
    s.kill('SIGINT');
    await exited(s);
    await runsUntraced(pid);
  } finally {
    target.kill('SIGKILL');
  }
});

