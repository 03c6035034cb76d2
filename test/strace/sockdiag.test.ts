/**
 * -yy socket details (sockdiag.ts): the sock_diag answers' layouts turned into text without a
 * tracee, then a real program's sockets (unix pair, bound listener, netlink before and after
 * bind, TCP listener and connection), compared with the real strace where it is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inetText, netlinkText, nlAttrs, nlMessages, unixText } from '../../src/engines/strace/sockdiag.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const prog = path.join(root, 'test/fixtures/bin/sock_details');
const haveStrace = spawnSync('strace', ['-V']).status === 0;

function attr(type: number, data: Buffer): Buffer {
  const b = Buffer.alloc((4 + data.length + 3) & ~3);
  b.writeUInt16LE(4 + data.length, 0);
  b.writeUInt16LE(type, 2);
  data.copy(b, 4);
  return b;
}

function unixMsg(ino: number, attrs: Buffer[]): Buffer {
  const h = Buffer.alloc(16);
  h[0] = 1;
  h[1] = 1;
  h.writeUInt32LE(ino, 4);
  return Buffer.concat([h, ...attrs]);
}

const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v, 0);
  return b;
};

test('unix_diag_msg: inode, peer, path, abstract name; a gone peer (0) is not shown', () => {
  const cases: [Buffer, string][] = [
    [unixMsg(100, []), '100'],
    [unixMsg(100, [attr(2, u32(200))]), '100->200'],
    [unixMsg(100, [attr(2, u32(0))]), '100'],
    [unixMsg(100, [attr(0, Buffer.from('/run/x.sock'))]), '100,"/run/x.sock"'],
    [unixMsg(100, [attr(0, Buffer.from('\0ab"c\n')), attr(2, u32(7))]), '100->7,@"ab\\"c\\n"'],
    // A truncated attribute ends the list rather than reading past the message.
    [Buffer.concat([unixMsg(5, [attr(2, u32(9))]), Buffer.from([40, 0, 0, 0])]), '5->9'],
  ];
  for (const [m, want] of cases) assert.equal(unixText(m), want);
});

test('netlink_diag_msg and inet_diag_msg', () => {
  const nl = Buffer.alloc(28);
  nl[2] = 4; // NETLINK_SOCK_DIAG
  nl.writeUInt32LE(4242, 4);
  assert.equal(netlinkText(nl), 'SOCK_DIAG:4242');
  nl[2] = 77;
  assert.equal(netlinkText(nl), '77:4242');

  const in4 = Buffer.alloc(72);
  in4[0] = 2;
  in4.writeUInt16BE(8080, 4);
  Buffer.from([127, 0, 0, 1]).copy(in4, 8);
  assert.equal(inetText(in4), '127.0.0.1:8080');
  in4.writeUInt16BE(443, 6);
  Buffer.from([10, 1, 2, 3]).copy(in4, 24);
  assert.equal(inetText(in4), '127.0.0.1:8080->10.1.2.3:443');

  const in6 = Buffer.alloc(72);
  in6[0] = 10;
  in6.writeUInt16BE(22, 4);
  in6[23] = 1;
  assert.equal(inetText(in6), '[::1]:22');
  in6.writeUInt16BE(50000, 6);
  in6[24] = 0xfe;
  in6[25] = 0x80;
  in6[39] = 2;
  assert.equal(inetText(in6), '[::1]:22->[fe80::2]:50000');
});

test('netlink messages and attributes: lengths past the buffer end the walk', () => {
  const msg = (type: number, payload: Buffer): Buffer => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(16 + payload.length, 0);
    h.writeUInt16LE(type, 4);
    return Buffer.concat([h, payload, Buffer.alloc((4 - (payload.length % 4)) % 4)]);
  };
  const two = Buffer.concat([msg(20, Buffer.from('abcde')), msg(3, Buffer.alloc(4))]);
  assert.deepEqual([...nlMessages(two)].map(([t, p]) => [t, p.length]), [[20, 5], [3, 4]]);
  const bad = Buffer.from(two);
  bad.writeUInt32LE(1000, 0);
  assert.deepEqual([...nlMessages(bad)], []);
  bad.writeUInt32LE(3, 0);
  assert.deepEqual([...nlMessages(bad)], []);
  assert.deepEqual([...nlAttrs(Buffer.from([2, 0, 1, 0]), 0)], []);
});

/** The getsockname and close lines of the fixture under `tracer`, program lines only. */
function trace(tracer: string[], sock: string): string[] {
  const r = spawnSync(tracer[0]!, [...tracer.slice(1), '-yy', '-e', 'trace=getsockname,close', prog, sock], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr.split('\n').filter((l) => /^(getsockname|close)\((?:[3-9]|\d\d)<[A-Z]/.test(l));
}

test('a real program\'s sockets under -yy: unix peers name each other, netlink once bound, TCP addresses', () => {
  const sock = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-sockdiag-')), 's.sock');
  const lines = trace([utrace, 'strace'], sock);
  const m = /^getsockname\(3<UNIX-STREAM:\[(\d+)->(\d+)\]>/.exec(lines[0] ?? '');
  assert.ok(m, lines.join('\n'));
  assert.match(lines[1]!, new RegExp(`^getsockname\\(4<UNIX-STREAM:\\[${m[2]}->${m[1]}\\]>`));
  assert.match(lines[2]!, new RegExp(`^getsockname\\(5<UNIX-STREAM:\\[\\d+,"${sock.replace(/[.]/g, '\\.')}"\\]>`));
  assert.match(lines[3]!, /^getsockname\(6<NETLINK:\[\d+\]>, \{sa_family=AF_NETLINK, nl_pid=0,/);
  const pid = /nl_pid=(\d+)/.exec(lines[4]!)?.[1];
  assert.match(lines[4]!, new RegExp(`^getsockname\\(6<NETLINK:\\[SOCK_DIAG:${pid}\\]>`));
  const port = /^getsockname\(7<TCP:\[127\.0\.0\.1:(\d+)\]>/.exec(lines[5]!)?.[1];
  assert.ok(port, lines[5]);
  assert.match(lines[6]!, new RegExp(`^getsockname\\(8<TCP:\\[127\\.0\\.0\\.1:(\\d+)->127\\.0\\.0\\.1:${port}\\]>, \\{sa_family=AF_INET, sin_port=htons\\(\\1\\)`));
  // close() of the pair's second end still names the peer closed just before.
  assert.match(lines[8]!, new RegExp(`^close\\(4<UNIX-STREAM:\\[${m[2]}->${m[1]}\\]>`));
});

test('-yy socket details as the real strace prints them', { skip: !haveStrace && 'strace not installed' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-sockdiag-'));
  // Inodes, ports and netlink ids differ from run to run; the shapes must not.
  const norm = (l: string[]): string[] => l.map((s) => s.replace(/\d{3,}/g, 'N').replace(/ +=/, ' ='));
  assert.deepEqual(norm(trace([utrace, 'strace'], path.join(dir, 'a'))), norm(trace(['strace'], path.join(dir, 'a'))));
});
