// gdbserver features gdb users reach for (issue 15), against real gdb 13 where gdb shows them
// and a raw RSP client where it does not: the server staying up for the next gdb, monitor
// commands, remote put/delete, gdbserver's maintenance options and --wrapper, IPv6 and
// address errors, a program that does not exist, a program named by a relative path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WRAPPER, connectRsp, exited, fixtureBin, gdbOpts, startServer, tmpDir } from './helpers.js';
import { parseGdbserverArgs, programPath } from '../../src/cli/gdbserver.js';

const PROG = fixtureBin('gdb_prog');
const tmp = tmpDir('utrace-gdb-features-');

function gdb(cmds: string[], prog = PROG): string {
  const r = spawnSync('timeout', ['60', 'gdb', '-batch', '-nx', '-ex', 'set sysroot /', ...cmds.flatMap((c) => ['-ex', c]), prog], { encoding: 'utf8' });
  return (r.stdout ?? '') + (r.stderr ?? '');
}

function alive(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0] !== 'Z';
  } catch {
    return false;
  }
}

/** The server run to its end: exit code and stderr. */
function runServer(args: string[], cwd?: string, env?: NodeJS.ProcessEnv): { code: number | null; err: string } {
  const r = spawnSync(process.execPath, [WRAPPER, ...args], { encoding: 'utf8', timeout: 20000, cwd, env: env ?? process.env });
  return { code: r.status, err: r.stderr };
}

// ------------------------------------------------------------------ 1. staying up

test('after gdb disconnects the server waits for the next gdb, the program still stopped at its breakpoint', gdbOpts, async () => {
  const srv = await startServer(['127.0.0.1:0', PROG, 'loop', '5']);
  const first = gdb([`target remote 127.0.0.1:${srv.port}`, 'break tick', 'continue', 'disconnect']);
  assert.match(first, /Breakpoint 1, tick \(i=0\)/, first);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(srv.child.exitCode, null, 'still serving');
  assert.match(srv.stderr(), /Remote side has terminated connection\.  GDBserver will reopen the connection\.\nListening on port \d+/);
  const second = gdb([`target remote 127.0.0.1:${srv.port}`, 'print i', 'break tick', 'continue', 'print i', 'delete', 'continue']);
  assert.match(second, /\$1 = 0/, second);
  assert.match(second, /\$2 = 1/, second);
  assert.match(second, /exited normally/, second);
  // No process left and no --multi: the server is done.
  assert.equal(await exited(srv.child), 0);
});

test('gdb killed while the program runs: the next gdb finds it stopped (T00) and can go on', gdbOpts, async () => {
  const srv = await startServer(['127.0.0.1:0', PROG, 'spin']);
  const pid = Number(/pid = (\d+)/.exec(srv.stderr())![1]);
  const g = spawn('gdb', ['-batch', '-nx', '-ex', 'set sysroot /', '-ex', `target remote 127.0.0.1:${srv.port}`, '-ex', 'continue', PROG], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 2500));
  g.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(alive(pid), 'the program was not killed with the connection');
  const out = gdb([`target remote 127.0.0.1:${srv.port}`, 'print counter > 0', 'break tick', 'continue', 'kill']);
  assert.match(out, /\$1 = 1/, out);
  assert.match(out, /Breakpoint 1, tick/, out);
  assert.equal(await exited(srv.child), 0);
  assert.equal(alive(pid), false);
});

test('the breakpoints of a gdb killed with them inserted are gone for the next gdb (no stray SIGTRAP)', gdbOpts, async () => {
  const srv = await startServer(['127.0.0.1:0', PROG, 'loop', '5']);
  // always-inserted: the int3 at tick stays in while gdb sits in `shell sleep`, where it dies.
  const g = spawn('gdb', ['-batch', '-nx', '-ex', 'set sysroot /', '-ex', 'set breakpoint always-inserted on', '-ex',
    `target remote 127.0.0.1:${srv.port}`, '-ex', 'break tick', '-ex', 'shell touch ' + path.join(tmp, 'inserted'), '-ex', 'shell sleep 60', PROG], { stdio: 'ignore' });
  for (let i = 0; i < 300 && !fs.existsSync(path.join(tmp, 'inserted')); i++) await new Promise((r) => setTimeout(r, 100));
  g.kill('SIGKILL');
  await exited(g);
  await new Promise((r) => setTimeout(r, 300));
  const out = gdb([`target remote 127.0.0.1:${srv.port}`, 'continue']);
  assert.doesNotMatch(out, /SIGTRAP/, out);
  assert.match(out, /exited normally/, out);
  assert.equal(await exited(srv.child), 0);
});

test('--once: the first disconnect ends the server and kills the program', gdbOpts, async () => {
  const srv = await startServer(['--once', '127.0.0.1:0', PROG, 'spin']);
  const pid = Number(/pid = (\d+)/.exec(srv.stderr())![1]);
  gdb([`target remote 127.0.0.1:${srv.port}`, 'disconnect']);
  assert.equal(await exited(srv.child), 0);
  assert.equal(alive(pid), false);
});

test('--multi keeps its process across connections (extended-remote run, disconnect, reconnect)', gdbOpts, async () => {
  const srv = await startServer(['--multi', '127.0.0.1:0']);
  try {
    const first = gdb([`target extended-remote 127.0.0.1:${srv.port}`, `set remote exec-file ${PROG}`, 'set args loop 5',
      'break tick', 'run', 'disconnect']);
    assert.match(first, /Breakpoint 1, tick \(i=0\)/, first);
    await new Promise((r) => setTimeout(r, 300)); // its stderr
    const pid = Number(/Process \S+ created; pid = (\d+)/.exec(srv.stderr())![1]);
    assert.ok(alive(pid));
    const second = gdb([`target extended-remote 127.0.0.1:${srv.port}`, 'info inferiors', 'print i', 'kill']);
    assert.match(second, new RegExp(`process ${pid}`), second);
    assert.match(second, /\$1 = 0/, second);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(srv.child.exitCode, null, '--multi stays up with no process');
  } finally {
    srv.child.kill('SIGTERM');
    assert.equal(await exited(srv.child), 0);
  }
});

// ------------------------------------------------------------------ 2. monitor

test('monitor: help, set debug, set remote-debug, set debug-format, unknown commands (E01), exit', gdbOpts, async () => {
  const srv = await startServer(['127.0.0.1:0', PROG, 'loop', '5']);
  const out = gdb([`target remote 127.0.0.1:${srv.port}`, 'monitor help', 'monitor set debug-format timestamp',
    'monitor set remote-debug 1', 'print g', 'monitor set remote-debug 0', 'monitor set debug 1', 'break tick', 'continue',
    'monitor set debug 0', 'monitor set debug-format none', 'monitor set debug-format bogus', 'monitor set debug 2',
    'monitor frobnicate', 'monitor exit']);
  assert.match(out, /The following monitor commands are supported:\n {2}set debug <0\|1>/);
  assert.match(out, /Timestamps will be added to debug output\./);
  // (gdb prints monitor output on stderr: its order against stdout is not kept here)
  assert.match(out, /Protocol debug output enabled\.\nProtocol debug output disabled\./);
  assert.match(out, /Debug output enabled\.\nDebug output disabled\./);
  assert.match(out, /Breakpoint 1, tick/);
  assert.match(out, /All extra debug format options disabled\./);
  assert.match(out, /Unknown debug-format argument: "bogus"\nProtocol error with Rcmd/);
  assert.equal(out.match(/Unknown monitor command\.\n\nThe following monitor commands are supported:/g)?.length, 2, out);
  assert.equal(out.match(/Protocol error with Rcmd/g)?.length, 3, out);
  assert.equal(await exited(srv.child), 0);
  const err = srv.stderr();
  // Packets with a timestamp while remote-debug was on, and only then.
  assert.match(err, /^\d+\.\d{6} \[remote\] getpkt \(.*\$m[0-9a-f]+,/m);
  assert.match(err, /^\d+\.\d{6} \[gdb\] /m, 'general debug lines');
  // Off again before `break tick`: its Z0 packet is not logged.
  assert.doesNotMatch(err, /\[remote\] getpkt \(.*\$Z0,/);
  assert.match(err, /Killing process\(es\)/, 'monitor exit kills the started program');
});

test('--debug-file=FILE: debug and packet lines go to FILE (mode 0600), messages for the user stay on stderr', gdbOpts, async () => {
  const file = path.join(tmp, 'debug-file.log');
  const srv = await startServer(['--once', '--debug', '--remote-debug', `--debug-file=${file}`, '127.0.0.1:0', PROG, 'loop', '2']);
  const out = gdb([`target remote 127.0.0.1:${srv.port}`, 'break tick', 'continue', 'monitor exit']);
  assert.match(out, /Breakpoint 1, tick/, out);
  assert.equal(await exited(srv.child), 0);
  const log = fs.readFileSync(file, 'utf8');
  assert.match(log, /^\[remote\] getpkt \(.*\$Z0,/m);
  assert.match(log, /^\[gdb\] /m);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const err = srv.stderr();
  assert.doesNotMatch(err, /\[remote\]|\[gdb\]/);
  assert.match(err, /Killing process\(es\)/);
  const bad = runServer(['--debug-file=/nonexistent-dir/x.log', ':0', PROG]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /--debug-file \/nonexistent-dir\/x\.log: ENOENT/);
});

// ------------------------------------------------------------------ 4. maintenance options, --wrapper

test('options as gdbserver takes them: --debug, --remote-debug, --debug-format, --event-loop-debug, --disable-packet', () => {
  const p = parseGdbserverArgs(['--debug', '--remote-debug', '--debug-format=all', '--event-loop-debug', '--disable-packet=threads,T', ':0', PROG]);
  assert.ok(typeof p === 'object');
  assert.equal(p.debug, true);
  assert.equal(p.remoteDebug, true);
  assert.equal(p.timestamp, true);
  assert.deepEqual([...p.disabled].sort(), ['T', 'Tthread', 'qC', 'qfThreadInfo', 'vCont']);
  const w = parseGdbserverArgs(['--wrapper', 'env', 'A=1', '--', ':0', PROG, 'x']);
  assert.ok(typeof w === 'object');
  assert.deepEqual(w.wrapper, ['env', 'A=1']);
  assert.deepEqual(w.command, [PROG, 'x']);
  const bad = runServer(['--disable-packet=vCont,nope', ':0', PROG]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^Don't know how to disable "nope"\.\n\nDisableable packets:\n {2}vCont/);
  const fmt = runServer(['--debug-format=timestamp,bad', ':0', PROG]);
  assert.equal(fmt.code, 1);
  assert.equal(fmt.err, 'Unknown debug-format argument: "bad"\n');
  const list = spawnSync(process.execPath, [WRAPPER, '--disable-packet'], { encoding: 'utf8' });
  assert.equal(list.status, 0);
  assert.match(list.stdout, /^Disableable packets:\n[\s\S]*threads\s+All of the above/);
  const nowrap = runServer(['--wrapper', 'env', ':0', PROG]);
  assert.equal(nowrap.code, 2);
  assert.match(nowrap.err, /--wrapper: the wrapper must be followed by --/);
});

test('--disable-packet=T,vCont,qC: plain S stop replies, no vCont, no qC; gdb still debugs', gdbOpts, async () => {
  const srv = await startServer(['--once', '--disable-packet=T,vCont,qC', '127.0.0.1:0', PROG, 'loop', '5']);
  const { c, sock } = await connectRsp(srv.port!);
  assert.equal(await c.request('vCont?'), '');
  assert.equal(await c.request('qC'), '');
  assert.equal(await c.request('?'), 'S05');
  assert.match(await c.request('qfThreadInfo'), /^m/);
  sock.destroy();
  assert.equal(await exited(srv.child), 0);
  const srv2 = await startServer(['--once', '--disable-packet=Tthread', '127.0.0.1:0', PROG, 'loop', '5']);
  const r = await connectRsp(srv2.port!);
  const stop = await r.c.request('?');
  assert.match(stop, /^T05/);
  assert.doesNotMatch(stop, /thread:/);
  r.sock.destroy();
  assert.equal(await exited(srv2.child), 0);
  const srv3 = await startServer(['--disable-packet=T,vCont', '127.0.0.1:0', PROG, 'loop', '5']);
  const out = gdb([`target remote 127.0.0.1:${srv3.port}`, 'break tick', 'continue', 'print i', 'delete', 'continue']);
  assert.match(out, /Breakpoint 1, tick \(i=0\)/, out);
  assert.match(out, /exited normally/, out);
  assert.equal(await exited(srv3.child), 0);
});

test('--wrapper env VAR=1 --: the program runs under the wrapper, stopped at its own first instruction', gdbOpts, async () => {
  const srv = await startServer(['--wrapper', 'env', 'UTRACE_WRAPPED=yes', '--', '127.0.0.1:0', PROG, 'spin']);
  const pid = Number(/pid = (\d+)/.exec(srv.stderr())![1]);
  assert.equal(fs.readlinkSync(`/proc/${pid}/exe`), fs.realpathSync(PROG), 'held after the wrapper exec\'d the program');
  assert.ok(fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes('UTRACE_WRAPPED=yes'));
  const out = gdb([`target remote 127.0.0.1:${srv.port}`, 'break tick', 'continue', 'kill']);
  assert.match(out, /Breakpoint 1, tick/, out);
  assert.equal(await exited(srv.child), 0);
});

// ------------------------------------------------------------------ 6. run again

test('extended-remote run again: a fresh process each time, under the wrapper, with and without the shell', gdbOpts, async () => {
  const srv = await startServer(['--multi', '--wrapper', 'env', 'UTRACE_WRAPPED=yes', '--', '127.0.0.1:0']);
  try {
    const out = gdb([`target extended-remote 127.0.0.1:${srv.port}`, `set remote exec-file ${PROG}`, 'set args loop 5',
      'break tick', 'run', 'continue', 'print i', 'print (char *)getenv("UTRACE_WRAPPED")', 'run', 'print i',
      'set startup-with-shell off', 'run', 'print i', 'print (char *)getenv("UTRACE_WRAPPED")', 'kill']);
    assert.match(out, /\$1 = 1\n/, out);
    assert.match(out, /\$2 = 0x[0-9a-f]+ "yes"/, out);
    assert.match(out, /\$3 = 0\n/, out);
    assert.match(out, /\$4 = 0\n/, out);
    assert.match(out, /\$5 = 0x[0-9a-f]+ "yes"/, out);
    await new Promise((r) => setTimeout(r, 300));
    const pids = [...srv.stderr().matchAll(/created; pid = (\d+)/g)].map((m) => Number(m[1]));
    assert.equal(new Set(pids).size, 3, srv.stderr());
    for (const pid of pids) assert.equal(alive(pid), false, `${pid} killed by the next run`);
  } finally {
    srv.child.kill('SIGTERM');
    assert.equal(await exited(srv.child), 0);
  }
});

// ------------------------------------------------------------------ 5. addresses, missing and relative programs

test('IPv6: [::1]:PORT and tcp6:[::1]:PORT, gdb connects with tcp6:', gdbOpts, async (t) => {
  const v6 = spawnSync('sh', ['-c', 'test -e /proc/net/if_inet6']).status === 0;
  if (!v6) return t.skip('no IPv6 on this machine');
  for (const form of ['[::1]:0', 'tcp6:[::1]:0', 'tcp6:0']) {
    const srv = await startServer(['--once', form, PROG, 'loop', '5']);
    const out = gdb([`target remote tcp6:[::1]:${srv.port}`, 'break tick', 'continue', 'kill']);
    assert.match(out, /Breakpoint 1, tick \(i=0\)/, `${form}: ${out}`);
    assert.equal(await exited(srv.child), 0);
    assert.match(srv.stderr(), /Remote debugging from host ::1, port \d+/);
  }
});

test('addresses: an unknown protocol prefix and a host that does not resolve are named, nothing is started', () => {
  const unknown = runServer(['udp:localhost:1234', PROG]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /bad address 'udp:localhost:1234': unknown protocol 'udp:'/);
  const noname = runServer(['no-such-host.invalid:1234', PROG, 'spin']);
  assert.equal(noname.code, 1);
  assert.equal(noname.err, 'no-such-host.invalid:1234: cannot resolve name: Name or service not known\nExiting\n');
  const family = runServer(['tcp4:[::1]:1234', PROG]);
  assert.equal(family.code, 2);
  assert.match(family.err, /tcp4: with an IPv6 address/);
});

test('a program that does not exist: gdbserver\'s words, exit 1 (directly and through the shell)', () => {
  const direct = runServer([':0', path.join(tmp, 'nonexistent')]);
  assert.equal(direct.code, 1);
  assert.equal(direct.err, `gdbserver: Cannot exec ${path.join(tmp, 'nonexistent')}\ngdbserver: Error: No such file or directory\nDuring startup program exited with code 127.\nExiting\n`);
  // Through the shell the words are the shell's own (dash: "not found", bash: "No such file
  // or directory"), so compare with what that shell prints for the same exec.
  const missing = path.join(tmp, 'nonexistent');
  for (const sh of ['/bin/sh', '/bin/bash'].filter((f) => fs.existsSync(f))) {
    const own = spawnSync(sh, ['-c', `exec ${missing}`], { encoding: 'utf8' }).stderr;
    const shell = runServer(['--startup-with-shell', ':0', missing], undefined, { ...process.env, SHELL: sh });
    assert.equal(shell.code, 1, sh);
    assert.equal(shell.err, `${own}During startup program exited with code 127.\nExiting\n`, sh);
  }
});

test('a bare program name is the file in the current directory (made absolute), else found on PATH', async () => {
  const dir = path.join(tmp, 'rel');
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(PROG, path.join(dir, 'gdb_prog'));
  fs.chmodSync(path.join(dir, 'gdb_prog'), 0o755);
  assert.equal(programPath('gdb_prog'), 'gdb_prog', 'not in our cwd: left to PATH');
  const child = spawn(process.execPath, [WRAPPER, '--once', '127.0.0.1:0', 'gdb_prog', 'spin'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (/Listening on port/.test(err)) {
        clearInterval(t);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(t);
        reject(new Error(err));
      }
    }, 20);
  });
  assert.match(err, new RegExp(`Process ${path.join(fs.realpathSync(dir), 'gdb_prog').replace(/[/.]/g, '\\$&')} created; pid = \\d+`));
  child.kill('SIGTERM');
  assert.equal(await exited(child), 0);
});
