/**
 * Where `utrace gdbserver unix:PATH` puts its socket: always mode 0600 inside a directory of
 * mode 0700 that we own. In a private directory PATH is the socket; in a shared one (/tmp, a
 * 0755 directory) PATH is a symlink to a socket in a fresh `.utrace-gdb-XXXXXX` directory.
 * Stale leftovers of a killed server are cleared, a live server or a foreign file is not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { askStatus } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const prog = path.join(root, 'test/fixtures/bin/spin');
const isRoot = process.getuid?.() === 0;
const haveSetpriv = spawnSync('setpriv', ['--version']).status === 0;

interface Server {
  child: ChildProcess;
  log: () => string;
}

function startServer(sock: string): Promise<Server> {
  const child = spawn(process.execPath, [utrace, 'gdbserver', `unix:${sock}`, '--', prog], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no Listening line: ${log}`)), 10000);
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (/Listening on/.test(log)) {
        clearTimeout(t);
        resolve({ child, log: () => log });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`server exited (${code}): ${log}`));
    });
  });
}

function stop(s: Server, sig: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return Promise.resolve(s.child.exitCode);
  return new Promise((r) => {
    s.child.on('exit', (c) => r(c));
    s.child.kill(sig);
  });
}

function privateDirs(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.startsWith('.utrace-gdb-')).map((n) => path.join(dir, n));
}

test('unix:PATH in a private (0700) directory: PATH is the socket itself, mode 0600', { timeout: 30000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-us-'));
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  const sock = path.join(dir, 'g.sock');
  const s = await startServer(sock);
  try {
    const st = fs.lstatSync(sock);
    assert.ok(st.isSocket(), 'PATH is the socket');
    assert.equal(st.mode & 0o777, 0o600);
    assert.deepEqual(privateDirs(dir), [], 'no extra directory in a private one');
    assert.match(await askStatus(sock), /^\+?\$T05/);
  } finally {
    await stop(s);
  }
  assert.equal(fs.existsSync(sock), false);
  fs.rmSync(dir, { recursive: true });
});

test('unix:PATH in a shared directory: PATH links to a 0600 socket in a fresh 0700 directory; all removed on exit', { timeout: 30000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-us-'));
  fs.chmodSync(dir, 0o1777); // like /tmp
  const sock = path.join(dir, 'g.sock');
  const s = await startServer(sock);
  let priv: string;
  try {
    assert.ok(fs.lstatSync(sock).isSymbolicLink(), 'PATH is a symlink');
    const dirs = privateDirs(dir);
    assert.equal(dirs.length, 1);
    priv = dirs[0]!;
    const target = fs.readlinkSync(sock);
    assert.equal(path.dirname(target), priv);
    const pst = fs.statSync(priv);
    assert.equal(pst.mode & 0o777, 0o700);
    assert.equal(pst.uid, process.getuid!());
    const sst = fs.lstatSync(target);
    assert.ok(sst.isSocket());
    assert.equal(sst.mode & 0o777, 0o600);
    assert.match(s.log(), new RegExp(`Listening on ${sock} \\(a link to ${target}`));
    // gdb's `target remote PATH` and connect(2) follow the link.
    assert.match(await askStatus(sock), /^\+?\$T05/);
  } finally {
    await stop(s);
  }
  assert.equal(fs.existsSync(priv), false, 'private directory removed');
  assert.throws(() => fs.lstatSync(sock), /ENOENT/, 'link removed');
  fs.rmSync(dir, { recursive: true });
});

test('unix socket in a shared directory: another user cannot even reach it (the 0700 directory)', { timeout: 30000, skip: !(isRoot && haveSetpriv) && 'needs root and setpriv to act as another user' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-us-'));
  fs.chmodSync(dir, 0o755);
  const sock = path.join(dir, 'g.sock');
  const s = await startServer(sock);
  try {
    fs.chmodSync(fs.readlinkSync(sock), 0o666); // a careless socket mode: the directory still locks
    const client = `const c=require('net').createConnection(${JSON.stringify(sock)});` +
      `c.on('connect',()=>{console.log('connected');process.exit(0)});c.on('error',(e)=>{console.log(e.code);process.exit(0)});`;
    const other = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', client],
      { encoding: 'utf8', timeout: 15000, cwd: '/' });
    assert.equal(other.stdout.trim(), 'EACCES', other.stderr);
    assert.doesNotMatch(s.log(), /another user/, 'stopped by the directory, before SO_PEERCRED');
  } finally {
    await stop(s);
  }
  fs.rmSync(dir, { recursive: true });
});

test('a killed server\'s leftovers are cleared; a live server and a foreign file at PATH are not touched', { timeout: 30000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-us-'));
  fs.chmodSync(dir, 0o1777);
  const sock = path.join(dir, 'g.sock');
  const first = await startServer(sock);
  const firstDir = privateDirs(dir)[0]!;
  // A second server at the same PATH while the first is live: refused, the first keeps working.
  const second = spawnSync(process.execPath, [utrace, 'gdbserver', `unix:${sock}`, '--', prog], { encoding: 'utf8', timeout: 15000 });
  assert.equal(second.status, 1);
  assert.match(second.stderr, /another server is listening/);
  assert.match(await askStatus(sock), /^\+?\$T05/);
  // SIGKILL: the link, the directory and the socket stay behind…
  await stop(first, 'SIGKILL');
  assert.ok(fs.lstatSync(sock).isSymbolicLink());
  assert.ok(fs.existsSync(firstDir));
  // …and the next server at that PATH clears them.
  const third = await startServer(sock);
  try {
    assert.equal(fs.existsSync(firstDir), false, 'stale private directory removed');
    assert.deepEqual(privateDirs(dir).length, 1);
    assert.match(await askStatus(sock), /^\+?\$T05/);
  } finally {
    await stop(third);
  }
  // A regular file at PATH is never removed.
  fs.writeFileSync(sock, 'precious');
  const fourth = spawnSync(process.execPath, [utrace, 'gdbserver', `unix:${sock}`, '--', prog], { encoding: 'utf8', timeout: 15000 });
  assert.equal(fourth.status, 1);
  assert.match(fourth.stderr, /exists and is not a stale socket of ours/);
  assert.equal(fs.readFileSync(sock, 'utf8'), 'precious');
  assert.deepEqual(privateDirs(dir), [], 'nothing made when refusing');
  fs.rmSync(dir, { recursive: true });
});
