// gdb's `remote put` and `remote delete` (vFile open with O_CREAT/O_WRONLY/O_TRUNC, pwrite,
// unlink) through real gdb, and the vFile write packets through a raw RSP client. Who may
// write is tested with the reads in hostio.test.ts (the same backend opens both).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connectRsp, exited, fixtureBin, gdbEx, gdbOpts, startServer, tmpDir } from './helpers.js';

const PROG = fixtureBin('gdb_prog');
const tmp = tmpDir('utrace-gdb-put-');

const gdb = (cmds: string[]): string => gdbEx(['set sysroot /', ...cmds], PROG);

test('remote put and remote delete: vFile open(O_CREAT|O_WRONLY|O_TRUNC), pwrite, unlink', gdbOpts, async () => {
  const src = path.join(tmp, 'local.bin');
  const data = Buffer.alloc(70000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff; // '$', '#', '}' and '*' included
  fs.writeFileSync(src, data);
  const dst = path.join(tmp, 'remote.bin');
  const srv = await startServer(['127.0.0.1:0', PROG, 'spin']);
  const out = gdb([`target remote 127.0.0.1:${srv.port}`, `remote put ${src} ${dst}`, 'shell sync',
    `remote get ${dst} ${dst}.back`, `remote delete ${dst}`, `remote delete ${dst}`, 'kill']);
  assert.deepEqual(fs.readFileSync(`${dst}.back`), data);
  assert.equal(fs.existsSync(dst), false, 'deleted');
  // (batch gdb says nothing on success) Only the second delete fails.
  assert.equal(out.match(/Remote I\/O error/g)?.length, 1, out);
  assert.match(out, /Remote I\/O error: No such file or directory/, 'the second delete');
  assert.equal(await exited(srv.child), 0);
});

test('RSP vFile writes: pwrite at an offset, binary data with commas, a bad descriptor', gdbOpts, async () => {
  const srv = await startServer(['--once', '127.0.0.1:0', PROG, 'spin']);
  const { c, sock } = await connectRsp(srv.port!);
  const file = path.join(tmp, 'w.txt');
  const hex = (s: string): string => Buffer.from(s).toString('hex');
  const fd = /^F([0-9a-f]+)$/.exec(await c.request(`vFile:open:${hex(file)},601,1a4`))?.[1];
  assert.ok(fd);
  assert.equal(await c.request(`vFile:pwrite:${fd},0,a,b,c`), 'F5');
  assert.equal(await c.request(`vFile:pwrite:${fd},2,XY`), 'F2');
  assert.equal(await c.request(`vFile:close:${fd}`), 'F0');
  assert.equal(fs.readFileSync(file, 'utf8'), 'a,XYc');
  assert.equal(fs.statSync(file).mode & 0o777, 0o644);
  assert.equal(await c.request(`vFile:pwrite:${fd},0,zz`), 'F-1,9');
  assert.equal(await c.request(`vFile:unlink:${hex(file)}`), 'F0');
  assert.equal(fs.existsSync(file), false);
  sock.destroy();
  assert.equal(await exited(srv.child), 0);
});

const canDrop = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

test('vFile writes run as the traced program\'s user: nobody cannot unlink root\'s file, and what it creates is nobody\'s', { ...gdbOpts, skip: !canDrop && 'needs root and setpriv' }, async () => {
  fs.chmodSync(tmp, 0o755); // nobody walks through it
  const dir = fs.mkdtempSync(path.join(tmp, 'own-'));
  fs.chmodSync(dir, 0o755);
  const shared = path.join(dir, 'shared');
  fs.mkdirSync(shared, { mode: 0o777 });
  fs.chmodSync(shared, 0o777);
  const rootFile = path.join(dir, 'root-owned');
  fs.writeFileSync(rootFile, 'keep\n');
  const v = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', PROG, 'spin'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const srv = await startServer(['--once', '127.0.0.1:0', '--attach', String(v.pid)]);
  const { c, sock } = await connectRsp(srv.port!);
  try {
    const hex = (s: string): string => Buffer.from(s).toString('hex');
    assert.equal(await c.request(`vFile:unlink:${hex(rootFile)}`), 'F-1,d');
    assert.ok(fs.existsSync(rootFile));
    const made = path.join(shared, 'made');
    const fd = /^F([0-9a-f]+)$/.exec(await c.request(`vFile:open:${hex(made)},601,1a4`))?.[1];
    assert.ok(fd);
    assert.equal(await c.request(`vFile:pwrite:${fd},0,hi`), 'F2');
    assert.equal(await c.request(`vFile:close:${fd}`), 'F0');
    assert.equal(fs.statSync(made).uid, 65534, 'created by the program\'s user, not by root');
    assert.equal(fs.readFileSync(made, 'utf8'), 'hi');
  } finally {
    sock.destroy();
    await exited(srv.child);
    v.kill('SIGKILL');
  }
});
