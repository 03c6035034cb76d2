/**
 * A unix-socket gdbserver refuses peers of another user (SO_PEERCRED), even when the socket
 * file's mode would let them in; its own user is served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { askStatus } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const prog = path.join(root, 'test/fixtures/bin/spin');
const canDrop = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('unix socket: mode 0600; a peer of another uid is refused, our own uid is served', { timeout: 30000, skip: !canDrop && 'needs root and setpriv to act as another user' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-sock-'));
  const sock = path.join(dir, 'gdb.sock');
  const server = spawn('node', [utrace, 'gdbserver', '--listen', `unix:${sock}`, '--', prog], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  try {
    await until(() => /Listening on/.test(log), 10000); // after the server's own chmod
    assert.equal(fs.statSync(sock).mode & 0o777, 0o600);
    // Simulate a careless mode: the kernel's peer credentials must still decide.
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(sock, 0o666);
    // The client runs as nobody: it connects, asks for the stop reply and prints what came back.
    const client = `const c=require('net').createConnection(${JSON.stringify(sock)});let d='';` +
      `c.on('data',(b)=>d+=b);c.on('close',()=>{console.log(JSON.stringify({closed:true,d}));});` +
      `c.on('error',(e)=>console.log(JSON.stringify({error:e.code})));c.write('$?#3f');` +
      `setTimeout(()=>{console.log(JSON.stringify({closed:false,d}));process.exit(0)},5000);`;
    const other = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', client],
      { encoding: 'utf8', timeout: 15000, cwd: '/' });
    const seen = JSON.parse(other.stdout.trim().split('\n')[0] || '{}') as { closed?: boolean; d?: string; error?: string };
    // Refused: the server hangs up at once, with no reply (the client sees EOF or EPIPE/ECONNRESET).
    const refused = (seen.closed === true && seen.d === '') || seen.error === 'EPIPE' || seen.error === 'ECONNRESET';
    assert.ok(refused, `another user: ${other.stdout} ${other.stderr}`);
    await until(() => /another user/.test(log), 5000);
    // Our own user still gets served.
    assert.match(await askStatus(sock), /^\+?\$[TSW]/);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.on('exit', r));
  }
  assert.equal(fs.existsSync(sock), false, 'socket removed on exit');
});
