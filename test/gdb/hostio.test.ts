/**
 * vFile (gdb's `remote get`, `sysroot target:`) reads files with the permissions of the traced
 * process's user, not utrace's: a root utrace debugging `nobody`'s program must not hand out
 * /etc/shadow. Driven through real gdb and through the RSP packets directly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectRsp } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const PROG = path.join(root, 'test/fixtures/bin/gdb_prog');
const haveGdb = spawnSync('gdb', ['--version']).status === 0;
const canDrop = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
const opts = { timeout: 90000, skip: (!haveGdb || !canDrop) && 'needs gdb, root and setpriv' };

// A world-readable file and a root-only one, in a directory everyone may enter.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-hostio-'));
fs.chmodSync(dir, 0o755);
const PUBLIC = path.join(dir, 'public');
const SECRET = path.join(dir, 'secret');
fs.writeFileSync(PUBLIC, 'anyone may read this\n', { mode: 0o644 });
fs.writeFileSync(SECRET, 'root only\n', { mode: 0o600 });
const SHADOW = fs.readFileSync('/etc/shadow');

const hex = (s: string): string => Buffer.from(s).toString('hex');

/** gdb_prog spin under setpriv (`drop` = setpriv options), or as ourselves. */
async function victim(drop: string[] | null): Promise<ChildProcess> {
  const c = drop ? spawn('setpriv', [...drop, PROG, 'spin'], { stdio: 'ignore' }) : spawn(PROG, ['spin'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 200)); // setpriv has exec'd the program
  return c;
}
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

function gdbAttached(pid: number, cmds: string[]): string {
  const args = ['60', 'gdb', '-batch', '-nx', '-ex', `target remote | ${process.execPath} ${utrace} gdbserver stdio --attach ${pid}`];
  for (const c of cmds) args.push('-ex', c);
  args.push('-ex', 'detach');
  const r = spawnSync('timeout', args, { encoding: 'utf8', cwd: dir });
  return (r.stdout ?? '') + (r.stderr ?? '');
}

function fresh(name: string): string {
  const p = path.join(dir, name);
  fs.rmSync(p, { force: true });
  return p;
}

test('gdb remote get: a nobody program\'s session gets EACCES for /etc/shadow and root-only files, reads public ones', opts, async () => {
  const v = await victim(NOBODY);
  try {
    assert.match(fs.readFileSync(`/proc/${v.pid}/status`, 'utf8'), /^Uid:\s+65534\s+65534\s+65534\s+65534$/m);
    const [shadow, secret, pub] = [fresh('got-shadow'), fresh('got-secret'), fresh('got-public')];
    const out = gdbAttached(v.pid!, [`remote get /etc/shadow ${shadow}`, `remote get ${SECRET} ${secret}`, `remote get ${PUBLIC} ${pub}`]);
    assert.match(out, /Reading symbols from target:/, 'the program itself is read through vFile');
    assert.equal(out.match(/Remote I\/O error: Permission denied/g)?.length, 2, out);
    assert.equal(fs.existsSync(shadow), false);
    assert.equal(fs.existsSync(secret), false);
    assert.equal(fs.readFileSync(pub, 'utf8'), 'anyone may read this\n');
    assert.match(out, /\[Inferior 1 \(process \d+\) detached\]/);
    assert.equal(v.exitCode, null, 'still running after detach');
  } finally {
    v.kill('SIGKILL');
  }
});

test('gdb remote get: a root program\'s session reads /etc/shadow (the check follows the process, not a blanket refusal)', opts, async () => {
  const v = await victim(null);
  try {
    const shadow = fresh('got-shadow-root');
    const out = gdbAttached(v.pid!, [`remote get /etc/shadow ${shadow}`]);
    assert.doesNotMatch(out, /Permission denied/);
    assert.deepEqual(fs.readFileSync(shadow), SHADOW);
  } finally {
    v.kill('SIGKILL');
  }
});

test('gdb remote get: supplementary groups of the program count (nobody in group shadow reads /etc/shadow, not root-only files)', opts, async () => {
  const shadowGid = fs.statSync('/etc/shadow').gid;
  assert.notEqual(shadowGid, 0, '/etc/shadow belongs to a group of its own');
  const v = await victim(['--reuid=65534', '--regid=65534', `--groups=${shadowGid}`]);
  try {
    assert.match(fs.readFileSync(`/proc/${v.pid}/status`, 'utf8'), new RegExp(`^Groups:\\s+${shadowGid}\\s*$`, 'm'));
    const [shadow, secret] = [fresh('got-shadow-grp'), fresh('got-secret-grp')];
    const out = gdbAttached(v.pid!, [`remote get /etc/shadow ${shadow}`, `remote get ${SECRET} ${secret}`]);
    assert.deepEqual(fs.readFileSync(shadow), SHADOW);
    assert.equal(out.match(/Permission denied/g)?.length, 1, out);
    assert.equal(fs.existsSync(secret), false);
  } finally {
    v.kill('SIGKILL');
  }
});

test('RSP vFile: setfs only to our own processes; open/pread/fstat/close as the program\'s user', opts, async () => {
  const v = await victim(NOBODY);
  const server = spawn(process.execPath, [utrace, 'gdbserver', '--once', '127.0.0.1:0', '--attach', String(v.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const t = setInterval(() => {
        const m = /Listening on port (\d+)/.exec(log);
        if (m) {
          clearInterval(t);
          resolve(Number(m[1]));
        } else if (server.exitCode !== null) {
          clearInterval(t);
          reject(new Error(log));
        }
      }, 20);
    });
    const { c, sock } = await connectRsp(port);
    // init (pid 1, root) is not ours: selecting it would lend its permissions.
    assert.equal(await c.request('vFile:setfs:1'), 'F-1,1');
    assert.equal(await c.request(`vFile:setfs:${v.pid!.toString(16)}`), 'F0');
    assert.equal(await c.request(`vFile:open:${hex('/etc/shadow')},0,0`), 'F-1,d');
    assert.equal(await c.request(`vFile:open:${hex(SECRET)},0,0`), 'F-1,d');
    assert.equal(await c.request(`vFile:open:${hex('/nonexistent/x')},0,0`), 'F-1,2');
    // Writing where nobody may not write: EACCES too (O_WRONLY|O_CREAT).
    assert.equal(await c.request(`vFile:open:${hex(path.join(dir, 'created'))},201,1a4`), 'F-1,d');
    assert.equal(fs.existsSync(path.join(dir, 'created')), false);
    const fd = /^F([0-9a-f]+)$/.exec(await c.request(`vFile:open:${hex(PUBLIC)},0,0`))?.[1];
    assert.ok(fd, 'public file opened');
    const data = await c.request(`vFile:pread:${fd},100,0`);
    assert.equal(data, 'F15;anyone may read this\n');
    const st = await c.request(`vFile:fstat:${fd}`);
    assert.match(st, /^F40;/);
    assert.equal(await c.request(`vFile:close:${fd}`), 'F0');
    assert.equal(await c.request(`vFile:close:${fd}`), 'F-1,9');
    assert.equal(await c.request(`vFile:pread:${fd},10,0`), 'F-1,9');
    sock.destroy();
    await new Promise((r) => (server.exitCode !== null ? r(null) : server.on('exit', r)));
  } finally {
    server.kill('SIGKILL');
    v.kill('SIGKILL');
  }
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
