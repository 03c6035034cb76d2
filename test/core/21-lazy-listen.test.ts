/**
 * A listening unix socket that costs nothing until someone connects (core/sockets.ts
 * listenUnix, watchReadable): what a host serves RUNTIME/PID/ctl and gdb with, so that a
 * launched program nobody joins never loads node:net. Real sockets, no tracee.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listenUnix, watchReadable } from '../../src/core/sockets.js';
import { UtraceError } from '../../src/core/errors.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function tmpSock(): { sock: string; done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-lazy-'));
  return { sock: path.join(dir, 's'), done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('watchReadable fires once, at the first connection, and Node\'s net then serves that connection', async () => {
  const { sock, done } = tmpSock();
  const fd = listenUnix(sock);
  let fired = 0;
  watchReadable(fd, () => {
    fired++;
    const server = net.createServer((s) => {
      s.end('hello');
      server.close();
    });
    server.listen({ fd });
  });
  try {
    await tick(50);
    assert.equal(fired, 0, 'nothing fired before a connection');
    const got = await new Promise<string>((resolve, reject) => {
      const c = net.connect(sock);
      let text = '';
      c.on('data', (d) => (text += String(d)));
      c.on('end', () => resolve(text));
      c.on('error', reject);
    });
    assert.equal(got, 'hello', 'the pending connection was accepted by the net.Server given the descriptor');
    assert.equal(fired, 1);
  } finally {
    done();
  }
});

test('a cancelled watch never fires; the descriptor is then the caller\'s to close', async () => {
  const { sock, done } = tmpSock();
  const fd = listenUnix(sock);
  let fired = 0;
  const cancel = watchReadable(fd, () => fired++);
  cancel();
  cancel(); // twice: harmless
  const c = net.connect(sock);
  await new Promise((r) => c.once('connect', r));
  await tick(50);
  assert.equal(fired, 0);
  c.destroy();
  fs.closeSync(fd);
  done();
});

test('a callback that throws does not take the process down, and later watches still fire', async () => {
  const { sock, done } = tmpSock();
  const fd = listenUnix(sock);
  const fd2 = listenUnix(`${sock}2`);
  let later = 0;
  watchReadable(fd, () => {
    throw new Error('thrown in a watch callback');
  });
  const c = net.connect(sock);
  await new Promise((r) => c.once('connect', r));
  await tick(50);
  watchReadable(fd2, () => later++);
  const c2 = net.connect(`${sock}2`);
  await new Promise((r) => c2.once('connect', r));
  await tick(50);
  assert.equal(later, 1);
  c.destroy();
  c2.destroy();
  fs.closeSync(fd);
  fs.closeSync(fd2);
  done();
});

test('listenUnix: an existing path is EADDRINUSE, an overlong one ENAMETOOLONG (errno names), the socket file is there', () => {
  const { sock, done } = tmpSock();
  const fd = listenUnix(sock);
  try {
    assert.ok(fs.statSync(sock).isSocket());
    assert.throws(() => listenUnix(sock), (e: unknown) => e instanceof UtraceError && e.code === 'EADDRINUSE' && /bind/.test(e.message));
    assert.throws(() => listenUnix(path.join(os.tmpdir(), 'x'.repeat(120))), (e: unknown) => e instanceof UtraceError && e.code === 'ENAMETOOLONG');
  } finally {
    fs.closeSync(fd);
    done();
  }
});

test('a pending watch does not keep Node running', () => {
  const { sock, done } = tmpSock();
  try {
    const mod = path.join(root, 'dist/src/core/sockets.js');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e',
      `import { listenUnix, watchReadable } from ${JSON.stringify(mod)}; watchReadable(listenUnix(${JSON.stringify(sock)}), () => {}); console.log('set');`],
    { encoding: 'utf8', timeout: 10000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'set');
  } finally {
    done();
  }
});

test('utrace strace launching a program nobody joins loads neither node:net nor node:child_process (joiners: test/cli/host*.test.ts)', () => {
  // The module list at exit, from a preload (Node's own record of what it loaded).
  const { sock: listFile, done } = tmpSock();
  const preload = `${listFile}.cjs`;
  fs.writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(listFile)}, process.moduleLoadList.join('\\n')));`);
  try {
    const env = { ...process.env, UTRACE_INHERITED_FDS: '0 1 2 ', UTRACE_SIGNALS: '0000000000000000 0000000000000000' };
    const r = spawnSync(process.execPath, ['-r', preload, path.join(root, 'bin/utrace.cjs'), 'strace', '-o', '/dev/null', '--', '/bin/true'],
      { encoding: 'utf8', env, timeout: 30000 });
    assert.equal(r.status, 0, r.stderr);
    const loaded = fs.readFileSync(listFile, 'utf8').split('\n');
    assert.ok(loaded.includes('NativeModule fs'), 'the list is Node\'s module list');
    for (const m of ['NativeModule net', 'NativeModule child_process']) assert.ok(!loaded.includes(m), `${m} was loaded`);
  } finally {
    fs.rmSync(preload, { force: true });
    done();
  }
});
