/**
 * What a socket is, from outside it: sockfs's protocol name and one netlink request/answer
 * exchange (sock_diag), as the strace engine's -yy uses them. Real sockets, no tracee.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { netlinkRequest, socketProtocolName } from '../../src/core/sockets.js';

function fdOf(s: net.Server): number {
  return (s as unknown as { _handle: { fd: number } })._handle.fd;
}

test('socketProtocolName: TCP for a listener, undefined for a file or a missing descriptor', async () => {
  const srv = net.createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  try {
    assert.equal(socketProtocolName(`/proc/self/fd/${fdOf(srv)}`), 'TCP');
  } finally {
    srv.close();
  }
  assert.equal(socketProtocolName('/proc/self/exe'), undefined);
  assert.equal(socketProtocolName('/proc/self/fd/987654'), undefined);
});

test('netlinkRequest: a sock_diag dump ends with NLMSG_DONE; a bad family is an errno', () => {
  // SOCK_DIAG_BY_FAMILY dump of unix sockets (linux/unix_diag.h): every answer is one of them.
  const req = Buffer.alloc(40);
  req.writeUInt32LE(40, 0);
  req.writeUInt16LE(20, 4);
  req.writeUInt16LE(0x301, 6);
  req[16] = 1;
  req.writeUInt32LE(0xffffffff, 20);
  const b = netlinkRequest(4, req);
  const types: number[] = [];
  for (let off = 0; off + 16 <= b.length; off += (b.readUInt32LE(off) + 3) & ~3) types.push(b.readUInt16LE(off + 4));
  assert.equal(types.at(-1), 3, 'NLMSG_DONE last');
  assert.ok(types.slice(0, -1).every((t) => t === 20));
  assert.throws(() => netlinkRequest(31, req), { code: 'EPROTONOSUPPORT', syscall: 'socket' });
  // A request the family does not know is answered with NLMSG_ERROR, not a hang.
  const bad = Buffer.from(req);
  bad.writeUInt16LE(0x7ff, 4);
  bad.writeUInt16LE(1, 6);
  const e = netlinkRequest(4, bad);
  assert.equal(e.readUInt16LE(4), 2);
  assert.ok(e.readInt32LE(16) < 0);
});
