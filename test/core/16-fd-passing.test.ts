/**
 * Descriptors passed over a unix socket (SCM_RIGHTS): what a resident tracer receives from a
 * joining command. Real sockets and files, no tracee.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { receiveWithFds, sendWithFds } from '../../src/core/sockets.js';

/** The descriptor under a Node socket (no public API gives it; stable for years). */
function fdOf(s: net.Socket): number {
  return (s as unknown as { _handle: { fd: number } })._handle.fd;
}

async function pair(): Promise<{ client: net.Socket; server: net.Socket; close: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-fdpass-'));
  const sock = path.join(dir, 's');
  const srv = net.createServer({ pauseOnConnect: true });
  const accepted = new Promise<net.Socket>((r) => srv.once('connection', r));
  await new Promise<void>((r) => srv.listen(sock, r));
  const client = net.connect(sock);
  await new Promise((r) => client.once('connect', r));
  const server = await accepted;
  return {
    client, server,
    close: () => {
      client.destroy();
      server.destroy();
      srv.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('a message with three descriptors arrives with its own copies of them; the next read gets nothing', async () => {
  const { client, server, close } = await pair();
  try {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-fdpass-files-'));
    const files = [0, 1, 2].map((i) => fs.openSync(path.join(dir, `f${i}`), 'w+'));
    assert.equal(sendWithFds(fdOf(client), Buffer.from('hello'), files), 5);
    for (const f of files) fs.closeSync(f);
    const buf = Buffer.alloc(64);
    let r = receiveWithFds(fdOf(server), buf);
    for (let i = 0; !r && i < 100; i++) {
      await new Promise((res) => setTimeout(res, 5));
      r = receiveWithFds(fdOf(server), buf);
    }
    assert.ok(r);
    assert.equal(buf.subarray(0, r.bytes).toString(), 'hello');
    assert.equal(r.fds.length, 3);
    r.fds.forEach((fd, i) => {
      fs.writeSync(fd, `through ${i}`);
      fs.closeSync(fd);
      assert.equal(fs.readFileSync(path.join(dir, `f${i}`), 'utf8'), `through ${i}`);
    });
    assert.equal(receiveWithFds(fdOf(server), buf), null, 'nothing more yet: null, not a wait');
    client.end();
    await new Promise((res) => setTimeout(res, 20));
    assert.deepEqual(receiveWithFds(fdOf(server), buf), { bytes: 0, fds: [] }, 'end of file');
    fs.rmSync(dir, { recursive: true, force: true });
  } finally {
    close();
  }
});

test('bad descriptors are refused by the sender with EBADF', async () => {
  const { client, close } = await pair();
  try {
    assert.throws(() => sendWithFds(fdOf(client), Buffer.from('x'), [987654]), { code: 'EBADF', syscall: 'sendmsg' });
  } finally {
    close();
  }
});
