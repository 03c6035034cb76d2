// Socket decoders against real strace 6.1 output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';
import { ipv6Text } from '../../src/engines/strace/decoders/net.js';

const M = 0x10000000n;

function sin(port: number, ip: number[]): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(2, 0);
  b.writeUInt16BE(port, 2);
  Buffer.from(ip).copy(b, 4);
  return b;
}

test('socket, bind, listen, connect', () => {
  const mem = new FakeMemory().map(M, sin(0, [127, 0, 0, 1])).map(M + 0x200n, sin(48247, [127, 0, 0, 1]));
  const cases: [string, (number | bigint)[], number | bigint, string][] = [
    ['socket', [2, 0o2000001, 6], 3, 'socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP) = 3'],
    ['socket', [2, 1, 0], 4, 'socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4'],
    ['socket', [1, 2, 0], 8, 'socket(AF_UNIX, SOCK_DGRAM, 0)          = 8'],
    ['socket', [16, 0o2000003, 0], 11, 'socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 11'],
    ['socket', [200, 99, 0], -22, 'socket(0xc8 /* AF_??? */, SOCK_RAW|0x60 /* SOCK_??? */, 0) = -1 EINVAL (Invalid argument)'],
    ['bind', [3, M, 16], 0, 'bind(3, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("127.0.0.1")}, 16) = 0'],
    ['listen', [3, 5], 0, 'listen(3, 5)                            = 0'],
    ['connect', [4, M + 0x200n, 16], 0, 'connect(4, {sa_family=AF_INET, sin_port=htons(48247), sin_addr=inet_addr("127.0.0.1")}, 16) = 0'],
    ['shutdown', [4, 1], 0, 'shutdown(4, SHUT_WR)                    = 0'],
  ];
  for (const [name, args, ret, want] of cases) assert.equal(formatCall({ name, args, ret, mem }), want);
});

test('AF_UNIX and AF_INET6 addresses, short and bad addresses', () => {
  const un = Buffer.alloc(110);
  un.writeUInt16LE(1, 0);
  un.write('/tmp/nonexistent.sock', 2);
  const abs = Buffer.from(un);
  abs[2] = 0;
  const s6 = Buffer.alloc(28);
  s6.writeUInt16LE(10, 0);
  s6.writeUInt16BE(443, 2);
  Buffer.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]).copy(s6, 8);
  const mem = new FakeMemory().map(M + 0xb00n, un).map(M + 0xd00n, abs).map(M + 0xc00n, s6);
  assert.equal(
    formatCall({ name: 'connect', args: [8, M + 0xb00n, 110], ret: -2, mem }),
    'connect(8, {sa_family=AF_UNIX, sun_path="/tmp/nonexistent.sock"}, 110) = -1 ENOENT (No such file or directory)',
  );
  assert.equal(
    formatCall({ name: 'connect', args: [8, M + 0xb00n, 24], ret: -2, mem }),
    'connect(8, {sa_family=AF_UNIX, sun_path="/tmp/nonexistent.sock"}, 24) = -1 ENOENT (No such file or directory)',
  );
  assert.equal(formatCall({ name: 'connect', args: [8, M + 0xd00n, 8], ret: -111, mem }), 'connect(8, {sa_family=AF_UNIX, sun_path=@"tmp/n"}, 8) = -1 ECONNREFUSED (Connection refused)');
  assert.equal(
    formatCall({ name: 'connect', args: [9, M + 0xc00n, 28], ret: 0, mem }),
    'connect(9, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
  );
  assert.equal(formatCall({ name: 'connect', args: [9, M + 0xc00n, 5], ret: -22, mem }), 'connect(9, {sa_family=AF_INET6, sa_data="\\1\\273\\0"}, 5) = -1 EINVAL (Invalid argument)');
  assert.equal(formatCall({ name: 'connect', args: [9, 1, 16], ret: -14, mem }), 'connect(9, 0x1, 16)                     = -1 EFAULT (Bad address)');
});

test('value-result lengths: accept4, getsockname, getpeername', () => {
  const before = new FakeMemory().u32(M + 0x100n, 128);
  const after = new FakeMemory().u32(M + 0x100n, 16).map(M + 0x300n, sin(48344, [127, 0, 0, 1]));
  assert.equal(
    formatCall({ name: 'accept4', args: [3, M + 0x300n, M + 0x100n, 0o2004000], ret: 5, mem: before, exitMem: after }),
    'accept4(3, {sa_family=AF_INET, sin_port=htons(48344), sin_addr=inet_addr("127.0.0.1")}, [128 => 16], SOCK_CLOEXEC|SOCK_NONBLOCK) = 5',
  );
  const b16 = new FakeMemory().u32(M + 0x100n, 16);
  const a16 = new FakeMemory().u32(M + 0x100n, 16).map(M + 0x200n, sin(48247, [127, 0, 0, 1]));
  assert.equal(
    formatCall({ name: 'getsockname', args: [3, M + 0x200n, M + 0x100n], ret: 0, mem: b16, exitMem: a16 }),
    'getsockname(3, {sa_family=AF_INET, sin_port=htons(48247), sin_addr=inet_addr("127.0.0.1")}, [16]) = 0',
  );
  assert.equal(
    formatCall({ name: 'getpeername', args: [0, 0x7fff6f4841b0n, M + 0x100n], ret: -88, mem: b16 }),
    'getpeername(0, 0x7fff6f4841b0, [16])    = -1 ENOTSOCK (Socket operation on non-socket)',
  );
});

test('send/recv and msghdr', () => {
  const mem = new FakeMemory().map(M, 'hello').map(M + 0x400n, 'hello');
  assert.equal(formatCall({ name: 'sendto', args: [4, M, 5, 0x4000, 0, 0], ret: 5, mem }), 'sendto(4, "hello", 5, MSG_NOSIGNAL, NULL, 0) = 5');
  assert.equal(formatCall({ name: 'recvfrom', args: [5, M + 0x400n, 100, 0, 0, 0], ret: 5, mem }), 'recvfrom(5, "hello", 100, 0, NULL, NULL) = 5');
  const iov = Buffer.alloc(32);
  iov.writeBigUInt64LE(M + 0x100n, 0);
  iov.writeBigUInt64LE(2n, 8);
  iov.writeBigUInt64LE(M + 0x200n, 16);
  iov.writeBigUInt64LE(3n, 24);
  const mh = Buffer.alloc(56);
  mh.writeBigUInt64LE(M + 0x300n, 16);
  mh.writeBigUInt64LE(2n, 24);
  const sm = new FakeMemory().map(M + 0x100n, 'ab').map(M + 0x200n, 'cde').map(M + 0x300n, iov).map(M + 0x400n, mh);
  assert.equal(
    formatCall({ name: 'sendmsg', args: [4, M + 0x400n, 0], ret: 5, mem: sm }),
    'sendmsg(4, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="ab", iov_len=2}, {iov_base="cde", iov_len=3}], msg_iovlen=2, msg_controllen=0, msg_flags=0}, 0) = 5',
  );
  // recvmsg: msg_namelen is value-result, data limited to the return value.
  const riov = Buffer.alloc(16);
  riov.writeBigUInt64LE(M + 0x500n, 0);
  riov.writeBigUInt64LE(100n, 8);
  const rm = Buffer.alloc(56);
  rm.writeBigUInt64LE(M + 0x700n, 0);
  rm.writeUInt32LE(16, 8);
  rm.writeBigUInt64LE(M + 0x600n, 16);
  rm.writeBigUInt64LE(1n, 24);
  const rmAfter = Buffer.from(rm);
  rmAfter.writeUInt32LE(0, 8);
  const rin = new FakeMemory().map(M + 0x600n, riov).map(M + 0x800n, rm);
  const rout = new FakeMemory().map(M + 0x600n, riov).map(M + 0x800n, rmAfter).map(M + 0x500n, 'abcde');
  assert.equal(
    formatCall({ name: 'recvmsg', args: [5, M + 0x800n, 0x40], ret: 5, mem: rin, exitMem: rout }),
    'recvmsg(5, {msg_name=0x10000700, msg_namelen=16 => 0, msg_iov=[{iov_base="abcde", iov_len=100}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, MSG_DONTWAIT) = 5',
  );
  // SCM_RIGHTS control message
  const cm = Buffer.alloc(24);
  cm.writeBigUInt64LE(20n, 0);
  cm.writeInt32LE(1, 8);
  cm.writeInt32LE(1, 12);
  cm.writeInt32LE(1, 16);
  const mh2 = Buffer.alloc(56);
  mh2.writeBigUInt64LE(M + 0x300n, 16);
  mh2.writeBigUInt64LE(1n, 24);
  mh2.writeBigUInt64LE(M + 0x900n, 32);
  mh2.writeBigUInt64LE(24n, 40);
  const cmem = new FakeMemory().map(M + 0x100n, 'ab').map(M + 0x300n, iov).map(M + 0x900n, cm).map(M + 0xa00n, mh2);
  assert.equal(
    formatCall({ name: 'sendmsg', args: [6, M + 0xa00n, 0], ret: 2, mem: cmem }),
    'sendmsg(6, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="ab", iov_len=2}], msg_iovlen=1, msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[1]}], msg_controllen=24, msg_flags=0}, 0) = 2',
  );
});

test('sockopts and socketpair', () => {
  const mem = new FakeMemory().i32(M + 0x900n, 1).u32(M + 0x100n, 4).i32(M + 0xa00n, 6, 7);
  assert.equal(formatCall({ name: 'setsockopt', args: [4, 6, 1, M + 0x900n, 4], ret: 0, mem }), 'setsockopt(4, SOL_TCP, TCP_NODELAY, [1], 4) = 0');
  const after = new FakeMemory().i32(M + 0x900n, 0).u32(M + 0x100n, 4);
  assert.equal(formatCall({ name: 'getsockopt', args: [4, 1, 4, M + 0x900n, M + 0x100n], ret: 0, mem, exitMem: after }), 'getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0');
  assert.equal(formatCall({ name: 'socketpair', args: [1, 1, 0, M + 0xa00n], ret: 0, mem }), 'socketpair(AF_UNIX, SOCK_STREAM, 0, [6, 7]) = 0');
});

test('inet_ntop for IPv6', () => {
  const t = (hex: string): string => ipv6Text(Buffer.from(hex, 'hex'), 0);
  assert.equal(t('00000000000000000000000000000001'), '::1');
  assert.equal(t('00000000000000000000000000000000'), '::');
  assert.equal(t('00000000000000000000ffff7f000001'), '::ffff:127.0.0.1');
  assert.equal(t('fe800000000000000000000000000001'), 'fe80::1');
  assert.equal(t('20010db8000000010000000000000001'), '2001:db8:0:1::1');
  assert.equal(t('20010db8000100010001000100010001'), '2001:db8:1:1:1:1:1:1');
  assert.equal(t('20010db8000000000001000000000001'), '2001:db8::1:0:0:1');
});

test('AF_NETLINK addresses: nl_pad only when set, nl_groups as %#08x', () => {
  const nl = (pad: number, groups: number): FakeMemory => {
    const b = Buffer.alloc(12);
    b.writeUInt16LE(16, 0);
    b.writeUInt16LE(pad, 2);
    b.writeInt32LE(1234567890, 4);
    b.writeUInt32LE(groups, 8);
    return new FakeMemory().map(M, b);
  };
  const connect = (mem: FakeMemory): string => formatCall({ name: 'connect', args: [-1, M, 12], ret: -9, mem });
  assert.equal(connect(nl(0xffff, 0xfacefeed)), 'connect(-1, {sa_family=AF_NETLINK, nl_pad=0xffff, nl_pid=1234567890, nl_groups=0xfacefeed}, 12) = -1 EBADF (Bad file descriptor)');
  assert.equal(connect(nl(0, 1)), 'connect(-1, {sa_family=AF_NETLINK, nl_pid=1234567890, nl_groups=0x000001}, 12) = -1 EBADF (Bad file descriptor)');
  assert.equal(connect(nl(0, 0)), 'connect(-1, {sa_family=AF_NETLINK, nl_pid=1234567890, nl_groups=00000000}, 12) = -1 EBADF (Bad file descriptor)');
});
