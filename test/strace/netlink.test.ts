// Netlink messages sent on netlink sockets (sendto): nlmsghdr chains, generic message types,
// truncated and unreadable buffers. Expected lines are what strace 6.1 prints for the same data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';

const M = 0x10000000n;
const SOCK_DIAG = { netlinkProtocol: () => 4 };
const line = (s: string): string => s.replace(/ +=/, ' =');

function nlmsg(len: number, type: number, flags: number, seq = 0, pid = 0, payload: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(len, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(seq, 8);
  b.writeUInt32LE(pid, 12);
  return Buffer.concat([b, payload]);
}
const send = (mem: FakeMemory, len: number, ret: number, opts: object = SOCK_DIAG): string =>
  line(formatCall({ name: 'sendto', args: [3, M, len, 0x40, 0, 0], ret, mem, opts }));
const NOOP = '{nlmsg_len=20, nlmsg_type=NLMSG_NOOP, nlmsg_flags=NLM_F_REQUEST|0x300, nlmsg_seq=0, nlmsg_pid=0}';

test('netlink: one message, payload as hex, header alone', () => {
  const one = new FakeMemory().map(M, nlmsg(20, 1, 0x301, 0, 0, Buffer.from('abcd')));
  assert.equal(send(one, 20, 20), `sendto(3, [${NOOP}, "\\x61\\x62\\x63\\x64"], 20, MSG_DONTWAIT, NULL, 0) = 20`);
  const bare = new FakeMemory().map(M, nlmsg(16, 1, 0x301));
  assert.equal(send(bare, 16, 16), 'sendto(3, {nlmsg_len=16, nlmsg_type=NLMSG_NOOP, nlmsg_flags=NLM_F_REQUEST|0x300, nlmsg_seq=0, nlmsg_pid=0}, 16, MSG_DONTWAIT, NULL, 0) = 16');
  // shorter than a header: the bytes, in hex
  assert.equal(send(new FakeMemory().map(M, 'abcd'), 4, 4), 'sendto(3, "\\x61\\x62\\x63\\x64", 4, MSG_DONTWAIT, NULL, 0) = 4');
  // not a netlink socket: ordinary data
  assert.equal(send(new FakeMemory().map(M, 'abcd'), 4, 4, {}), 'sendto(3, "abcd", 4, MSG_DONTWAIT, NULL, 0) = 4');
});

test('netlink: several messages, trailing bytes, unreadable second header', () => {
  const two = nlmsg(20, 1, 0x301, 0, 0, Buffer.from('abcd'));
  const mem = new FakeMemory().map(M, Buffer.concat([two, two]));
  assert.equal(send(mem, 40, 40), `sendto(3, [[${NOOP}, "\\x61\\x62\\x63\\x64"], [${NOOP}, "\\x61\\x62\\x63\\x64"]], 40, MSG_DONTWAIT, NULL, 0) = 40`);
  const cut = new FakeMemory().map(M, two);
  assert.equal(send(cut, 40, -14), `sendto(3, [[${NOOP}, "\\x61\\x62\\x63\\x64"], ... /* 0x10000014 */], 40, MSG_DONTWAIT, NULL, 0) = -1 EFAULT (Bad address)`);
  const tail = new FakeMemory().map(M, Buffer.concat([two, Buffer.from([20, 0, 0, 0])]));
  assert.equal(send(tail, 24, 24), `sendto(3, [[${NOOP}, "\\x61\\x62\\x63\\x64"], "\\x14\\x00\\x00\\x00"], 24, MSG_DONTWAIT, NULL, 0) = 24`);
});

test('netlink: NLMSG_ERROR and NLMSG_DONE payloads, protocol message types', () => {
  const inner = nlmsg(16, 1, 0x301, 42, 1234);
  const err = Buffer.alloc(4);
  err.writeInt32LE(-13, 0);
  const mem = new FakeMemory().map(M, nlmsg(36, 2, 1, 0, 0, Buffer.concat([err, inner])));
  assert.equal(
    send(mem, 36, 36),
    'sendto(3, [{nlmsg_len=36, nlmsg_type=NLMSG_ERROR, nlmsg_flags=NLM_F_REQUEST, nlmsg_seq=0, nlmsg_pid=0}, {error=-EACCES, msg={nlmsg_len=16, nlmsg_type=NLMSG_NOOP, nlmsg_flags=NLM_F_REQUEST|0x300, nlmsg_seq=42, nlmsg_pid=1234}}], 36, MSG_DONTWAIT, NULL, 0) = 36',
  );
  // the error structure cut by unreadable memory prints its address
  const short = new FakeMemory().map(M, nlmsg(36, 2, 1, 0, 0, err));
  assert.equal(send(short, 36, -14), 'sendto(3, [{nlmsg_len=36, nlmsg_type=NLMSG_ERROR, nlmsg_flags=NLM_F_REQUEST, nlmsg_seq=0, nlmsg_pid=0}, 0x10000010], 36, MSG_DONTWAIT, NULL, 0) = -1 EFAULT (Bad address)');
  const flags = new FakeMemory().map(M, nlmsg(16, 2, 0x301));
  assert.equal(send(flags, 16, 16), 'sendto(3, {nlmsg_len=16, nlmsg_type=NLMSG_ERROR, nlmsg_flags=NLM_F_REQUEST|NLM_F_CAPPED|NLM_F_ACK_TLVS, nlmsg_seq=0, nlmsg_pid=0}, 16, MSG_DONTWAIT, NULL, 0) = 16');
  const done = Buffer.alloc(4);
  done.writeInt32LE(-87097619, 0);
  const dm = new FakeMemory().map(M, nlmsg(20, 3, 2, 0, 0, done));
  assert.equal(send(dm, 20, 20), 'sendto(3, [{nlmsg_len=20, nlmsg_type=NLMSG_DONE, nlmsg_flags=NLM_F_MULTI, nlmsg_seq=0, nlmsg_pid=0}, -87097619], 20, MSG_DONTWAIT, NULL, 0) = 20');
  const sd = new FakeMemory().map(M, nlmsg(16, 20, 1));
  assert.equal(send(sd, 16, 16), 'sendto(3, {nlmsg_len=16, nlmsg_type=SOCK_DIAG_BY_FAMILY, nlmsg_flags=NLM_F_REQUEST, nlmsg_seq=0, nlmsg_pid=0}, 16, MSG_DONTWAIT, NULL, 0) = 16');
});

test('netlink: hostile lengths stay bounded', () => {
  // a chain of 16-byte messages far longer than -s: at most -s messages, then ...
  const many = Buffer.concat(Array.from({ length: 40 }, (_, i) => nlmsg(16, 1, 1, i)));
  const out = send(new FakeMemory().map(M, many), 640, 640);
  assert.equal(out.match(/nlmsg_len=/g)?.length, 32);
  assert.match(out, /\}, \.\.\.\], 640, /);
  // a header claiming 4 GiB: the payload shown is cut to the buffer and to -s
  const big = new FakeMemory().map(M, nlmsg(0xffffffff, 1, 1, 0, 0, Buffer.alloc(64, 0x41)));
  assert.match(send(big, 80, 80), /^sendto\(3, \[\{nlmsg_len=4294967295, .*\}, "(\\x41){32}"\.\.\.\], 80, /);
});
