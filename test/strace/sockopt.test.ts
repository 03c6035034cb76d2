// getsockopt/setsockopt decoders; expected lines are what strace 6.1 prints for the call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { FakeMemory, formatCall } from './helpers.js';

const M = 0x10000000n;
type X = 'raw' | 'verbose';

function line(name: string, args: (number | bigint)[], ret: number, mem: FakeMemory, xlat?: X, exitMem?: FakeMemory, verbose = false): string {
  return formatCall({ name, args, ret, mem, exitMem, opts: { ...(xlat ? { xlat } : {}), verbose } }).replace(/\) +=/, ') =');
}

test('setsockopt: values by level and name, lengths as given', () => {
  const fprog = Buffer.alloc(16);
  fprog.writeUInt16LE(1, 0);
  fprog.writeBigUInt64LE(M + 0x300n, 8);
  const insn = Buffer.from([0x30, 0, 0, 0, 0x00, 0xf0, 0xff, 0xff]); // BPF_LD|BPF_B|BPF_ABS, SKF_AD_OFF+0
  const mreq = Buffer.alloc(16);
  mreq.writeInt32LE(1, 0);
  mreq.writeUInt16LE(1, 4);
  mreq.writeUInt16LE(6, 6);
  Buffer.from([0x02, 0x42, 0xac, 0x11, 0x00, 0x02]).copy(mreq, 8);
  const mem = new FakeMemory()
    .i32(M, -15, -42)
    .map(M + 0x100n, Buffer.from([224, 0, 0, 3, 127, 0, 0, 1]))
    .map(M + 0x200n, fprog)
    .map(M + 0x300n, insn)
    .map(M + 0x400n, mreq)
    .u32(M + 0x500n, 0xfffffff0)
    .u32(M + 0x600n, 0xffffffff)
    .u32(M + 0x700n, 0x101);
  const lo = fs.existsSync('/sys/class/net/lo/ifindex') ? Number(fs.readFileSync('/sys/class/net/lo/ifindex', 'utf8')) : undefined;
  const cases: [string, (number | bigint)[], number, string, X?, boolean?][] = [
    ['setsockopt', [3, 1, 13, M, 8], 0, 'setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=-15, l_linger=-42}, 8) = 0'],
    ['setsockopt', [3, 1, 13, M, 9], 0, 'setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=-15, l_linger=-42}, 9) = 0'],
    ['setsockopt', [3, 1, 13, M, 4], -22, 'setsockopt(3, SOL_SOCKET, SO_LINGER, 0x10000000, 4) = -1 EINVAL (Invalid argument)'],
    ['setsockopt', [3, 1, 3, M, 0xffffffff], -22, 'setsockopt(3, SOL_SOCKET, SO_TYPE, 0x10000000, -1) = -1 EINVAL (Invalid argument)'],
    ['setsockopt', [3, 1, 1, M, 4], 0, 'setsockopt(3, 0x1, 0x1, [-15], 4) = 0', 'raw'],
    ['setsockopt', [3, 1, 1, M, 4], 0, 'setsockopt(3, 0x1 /* SOL_SOCKET */, 0x1 /* SO_DEBUG */, [-15], 4) = 0', 'verbose'],
    ['setsockopt', [3, 1, 26, M + 0x200n, 16], 0, 'setsockopt(3, SOL_SOCKET, SO_ATTACH_FILTER, {len=1, filter=0x10000300}, 16) = 0'],
    ['setsockopt', [3, 1, 26, M + 0x200n, 16], 0, 'setsockopt(3, SOL_SOCKET, SO_ATTACH_FILTER, {len=1, filter=[BPF_STMT(BPF_LD|BPF_B|BPF_ABS, SKF_AD_OFF+SKF_AD_PROTOCOL)]}, 16) = 0', undefined, true],
    ['setsockopt', [3, 1, 26, M + 0x200n, 16], 0, 'setsockopt(3, 0x1, 0x1a, {len=1, filter=[BPF_STMT(0|0x10|0x20, 0xfffff000+0)]}, 16) = 0', 'raw', true],
    ['setsockopt', [0, 0, 35, M + 0x100n, 8], 0, 'setsockopt(0, SOL_IP, IP_ADD_MEMBERSHIP, {imr_multiaddr=inet_addr("224.0.0.3"), imr_interface=inet_addr("127.0.0.1")}, 8) = 0'],
    ['setsockopt', [0, 0, 35, M + 0x100n, 7], -22, 'setsockopt(0, SOL_IP, IP_ADD_MEMBERSHIP, 0x10000100, 7) = -1 EINVAL (Invalid argument)'],
    ['setsockopt', [-1, 263, 0xffffffff, 0, 0], -9, 'setsockopt(-1, SOL_PACKET, 0xffffffff /* PACKET_??? */, NULL, 0) = -1 EBADF (Bad file descriptor)'],
    ['setsockopt', [-1, 263, 0xffffffff, 0, 0], -9, 'setsockopt(-1, 0x107 /* SOL_PACKET */, 0xffffffff /* PACKET_??? */, NULL, 0) = -1 EBADF (Bad file descriptor)', 'verbose'],
    ['setsockopt', [-1, 999, 7, 0, 0], -9, 'setsockopt(-1, 0x3e7 /* SOL_?? */, 7, NULL, 0) = -1 EBADF (Bad file descriptor)'],
    ['setsockopt', [-1, 255, 1, M + 0x500n, 4], -9, 'setsockopt(-1, SOL_RAW, ICMP_FILTER, ~[ICMP_ECHOREPLY 0x1 /* ICMP_??? */ 0x2 /* ICMP_??? */ ICMP_DEST_UNREACH], 4) = -1 EBADF (Bad file descriptor)'],
    ['setsockopt', [-1, 255, 1, M + 0x700n, 4], -9, 'setsockopt(-1, SOL_RAW, ICMP_FILTER, [ICMP_ECHOREPLY ICMP_ECHO], 4) = -1 EBADF (Bad file descriptor)'],
    ['setsockopt', [-1, 255, 1, M + 0x600n, 4], -9, 'setsockopt(-1, SOL_RAW, ICMP_FILTER, ~[], 4) = -1 EBADF (Bad file descriptor)'],
  ];
  if (lo !== undefined) {
    cases.push(
      ['setsockopt', [3, 263, 1, M + 0x400n, 16], 0, `setsockopt(3, SOL_PACKET, PACKET_ADD_MEMBERSHIP, {mr_ifindex=${lo === 1 ? 'if_nametoindex("lo")' : 1}, mr_type=PACKET_MR_PROMISC, mr_alen=6, mr_address=02:42:ac:11:00:02}, 16) = 0`],
      ['setsockopt', [3, 263, 1, M + 0x400n, 16], 0, `setsockopt(3, 0x107, 0x1, {mr_ifindex=1, mr_type=0x1, mr_alen=6, mr_address="\\x02\\x42\\xac\\x11\\x00\\x02"}, 16) = 0`, 'raw'],
    );
  }
  for (const [name, args, ret, want, xlat, verbose] of cases) assert.equal(line(name, args, ret, mem, xlat, undefined, verbose), want);
});

test('getsockopt: the value as long as the length the kernel returned; [in => out]', () => {
  const at = (len: number): FakeMemory => new FakeMemory().u32(M + 0x100n, len);
  const linger = (len: number): FakeMemory => new FakeMemory().i32(M, 1, -1752346657).u32(M + 0x100n, len);
  const cred = new FakeMemory().i32(M, 6659, 0, 0).u32(M + 0x100n, 12);
  const err = new FakeMemory().u32(M, 111).u32(M + 0x100n, 4);
  const cases: [string, (number | bigint)[], number, FakeMemory, FakeMemory, string][] = [
    ['getsockopt', [3, 1, 13, M, M + 0x100n], 0, at(9), linger(8), 'getsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=-1752346657}, [9 => 8]) = 0'],
    ['getsockopt', [3, 1, 13, M, M + 0x100n], 0, at(3), linger(3), 'getsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff="\\x01\\x00\\x00"}, [3]) = 0'],
    ['getsockopt', [3, 1, 13, M, M + 0x100n], 0, at(7), linger(7), 'getsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger="\\xdf\\x4f\\x8d"}, [7]) = 0'],
    ['getsockopt', [3, 1, 17, M, M + 0x100n], 0, at(12), cred, 'getsockopt(3, SOL_SOCKET, SO_PEERCRED, {pid=6659, uid=0, gid=0}, [12]) = 0'],
    ['getsockopt', [3, 1, 26, 0, M + 0x100n], 0, at(4096), at(0), 'getsockopt(3, SOL_SOCKET, SO_GET_FILTER, NULL, [4096 => 0]) = 0'],
    ['getsockopt', [3, 1, 4, M, M + 0x100n], 0, at(4), err, 'getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0'],
    ['getsockopt', [4, 1, 4, M, M + 0x100n], -22, at(0xffffffff), at(0xffffffff), 'getsockopt(4, SOL_SOCKET, SO_ERROR, 0x10000000, [-1]) = -1 EINVAL (Invalid argument)'],
    ['getsockopt', [3, 1, 1, M, M + 0x100n], 0, at(3), new FakeMemory().u32(M, 0).u32(M + 0x100n, 3), 'getsockopt(3, SOL_SOCKET, SO_DEBUG, "\\x00\\x00\\x00", [3]) = 0'],
    ['getsockopt', [-1, 263, 6, M, M + 0x100n], 0, at(12), new FakeMemory().u32(M, 0xffffffff, 0xffffffff, 0xffffffff).u32(M + 0x100n, 12), 'getsockopt(-1, SOL_PACKET, PACKET_STATISTICS, {tp_packets=4294967295, tp_drops=4294967295, tp_freeze_q_cnt=4294967295}, [12]) = 0'],
  ];
  for (const [name, args, ret, mem, exitMem, want] of cases) assert.equal(line(name, args, ret, mem, undefined, exitMem), want);
});
