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

// ---- protocol families (expected lines are what strace 6.1 prints for the same bytes) -------

const proto = (p: number, more: object = {}): object => ({ netlinkProtocol: () => p, ...more });
const attr = (type: number, data: Buffer, len = 4 + data.length): Buffer => {
  const h = Buffer.alloc(4);
  h.writeUInt16LE(len, 0);
  h.writeUInt16LE(type, 2);
  return Buffer.concat([h, data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
};
const HDR = (len: number, type: string, flags: string): string => `{nlmsg_len=${len}, nlmsg_type=${type}, nlmsg_flags=${flags}, nlmsg_seq=0, nlmsg_pid=0}`;

test('netlink route: flag sets by request kind, family structures, attributes', () => {
  // RTM_NEWLINK with REPLACE, RTM_DELLINK with NONREC|BULK, RTM_DELACTION takes GET flags
  for (const [type, flags, name, text] of [
    [16, 0x108, 'RTM_NEWLINK', 'NLM_F_ECHO|NLM_F_REPLACE'],
    [17, 0x300, 'RTM_DELLINK', 'NLM_F_NONREC|NLM_F_BULK'],
    [49, 0x100, 'RTM_DELACTION', 'NLM_F_ROOT'],
  ] as const) {
    const m = new FakeMemory().map(M, nlmsg(16, type, flags));
    assert.equal(send(m, 16, 16, proto(0)), `sendto(3, ${HDR(16, name, text)}, 16, MSG_DONTWAIT, NULL, 0) = 16`);
  }
  // rtmsg then an RTA_DST address of the message's family
  const rtmsg = Buffer.from([2, 0, 0, 0x10, 253, 2, 0, 2, 0, 1, 0, 0]);
  const dst = attr(1, Buffer.from([222, 202, 255, 237]));
  const m = new FakeMemory().map(M, nlmsg(36, 26, 0x300, 0, 0, Buffer.concat([rtmsg, dst])));
  assert.equal(
    send(m, 36, 36, proto(0)),
    `sendto(3, [${HDR(36, 'RTM_GETROUTE', 'NLM_F_DUMP')}, {rtm_family=AF_INET, rtm_dst_len=0, rtm_src_len=0, rtm_tos=IPTOS_LOWDELAY, rtm_table=RT_TABLE_DEFAULT, rtm_protocol=RTPROT_KERNEL, rtm_scope=RT_SCOPE_UNIVERSE, rtm_type=RTN_LOCAL, rtm_flags=RTM_F_NOTIFY}, [{nla_len=8, nla_type=RTA_DST}, inet_addr("222.202.255.237")]], 36, MSG_DONTWAIT, NULL, 0) = 36`,
  );
  // short structure: the family and "..."; no structure for the type: family and data
  const short = new FakeMemory().map(M, nlmsg(20, 26, 1, 0, 0, Buffer.from([1, 2, 3, 4])));
  assert.equal(send(short, 20, 20, proto(0)), `sendto(3, [${HDR(20, 'RTM_GETROUTE', 'NLM_F_REQUEST')}, {rtm_family=AF_UNIX, ...}], 20, MSG_DONTWAIT, NULL, 0) = 20`);
  const unk = new FakeMemory().map(M, nlmsg(21, 0x17, 1, 0, 0, Buffer.from('\x021234', 'latin1')));
  assert.equal(send(unk, 21, 21, proto(0)), `sendto(3, [${HDR(21, '0x17 /* RTM_??? */', 'NLM_F_REQUEST')}, {family=AF_INET, data="\\x31\\x32\\x33\\x34"}], 21, MSG_DONTWAIT, NULL, 0) = 21`);
  // -X raw and -X verbose
  const nh = Buffer.concat([Buffer.from([1, 0xff, 0, 0, 0x22, 0, 0, 0]), attr(0xe, Buffer.from('abcd'))]);
  const nm = new FakeMemory().map(M, nlmsg(32, 0x6a, 0x300, 0, 0, nh));
  assert.equal(
    send(nm, 32, 32, proto(0, { xlat: 'raw' })),
    `sendto(3, [${HDR(32, '0x6a', '0x300')}, {nh_family=0x1, nh_scope=0xff, nh_protocol=0, nh_flags=0x22}, [{nla_len=8, nla_type=0xe}, "\\x61\\x62\\x63\\x64"]], 32, 0x40, NULL, 0) = 32`,
  );
  assert.equal(
    send(nm, 32, 32, proto(0, { xlat: 'verbose' })),
    `sendto(3, [${HDR(32, '0x6a /* RTM_GETNEXTHOP */', '0x300 /* NLM_F_DUMP */')}, {nh_family=0x1 /* AF_UNIX */, nh_scope=0xff /* RT_SCOPE_NOWHERE */, nh_protocol=0 /* RTPROT_UNSPEC */, nh_flags=0x22 /* RTNH_F_PERVASIVE|RTNH_F_UNRESOLVED */}, [{nla_len=8, nla_type=0xe /* NHA_??? */}, "\\x61\\x62\\x63\\x64"]], 32, 0x40 /* MSG_DONTWAIT */, NULL, 0) = 32`,
  );
});

test('netlink attributes: short, overlong, trailing bytes, unreadable second header, -s cap', () => {
  const udm = Buffer.from([1, 1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const UDM = '{udiag_family=AF_UNIX, udiag_type=SOCK_STREAM, udiag_state=TCP_FIN_WAIT1, udiag_ino=0, udiag_cookie=[0, 0]}';
  const run = (body: Buffer, len: number, ret = len): string => send(new FakeMemory().map(M, nlmsg(len, 20, 0x300, 0, 0, body)), len, ret);
  const H = (len: number): string => `sendto(3, [${HDR(len, 'SOCK_DIAG_BY_FAMILY', 'NLM_F_DUMP')}, ${UDM}`;
  assert.equal(run(Buffer.concat([udm, Buffer.from('12')]), 34), `${H(34)}, "\\x31\\x32"], 34, MSG_DONTWAIT, NULL, 0) = 34`);
  assert.equal(run(Buffer.concat([udm, attr(0, Buffer.alloc(0), 12)]), 36), `${H(36)}, {nla_len=12, nla_type=UNIX_DIAG_NAME}], 36, MSG_DONTWAIT, NULL, 0) = 36`);
  assert.equal(run(Buffer.concat([udm, attr(0, Buffer.alloc(0)), Buffer.from('12')]), 38), `${H(38)}, [{nla_len=4, nla_type=UNIX_DIAG_NAME}, "\\x31\\x32"]], 38, MSG_DONTWAIT, NULL, 0) = 38`);
  assert.equal(run(Buffer.concat([udm, attr(0x8000, Buffer.alloc(0))]), 36), `${H(36)}, {nla_len=4, nla_type=NLA_F_NESTED|UNIX_DIAG_NAME}], 36, MSG_DONTWAIT, NULL, 0) = 36`);
  const cut = run(Buffer.concat([udm, attr(0, Buffer.alloc(0))]), 40, -14);
  assert.equal(cut, `${H(40)}, [{nla_len=4, nla_type=UNIX_DIAG_NAME}, ... /* 0x10000024 */]], 40, MSG_DONTWAIT, NULL, 0) = -1 EFAULT (Bad address)`);
  // 40 attributes: -s 32 of them, then ...
  const many = Buffer.concat([udm, ...Array.from({ length: 40 }, (_, i) => attr(8 + i, Buffer.from('abc')))]);
  const out = run(many, 16 + many.length);
  assert.equal(out.match(/nla_len=/g)?.length, 32);
  assert.match(out, /\], \.\.\.\]\], \d+, MSG_DONTWAIT/);
});

test('netlink netfilter, selinux, audit, xfrm, generic: message types and payloads', () => {
  const t = (p: number, type: number, flags: number, body = Buffer.alloc(0)): string =>
    send(new FakeMemory().map(M, nlmsg(16 + body.length, type, flags, 0, 0, body)), 16 + body.length, 16 + body.length, proto(p));
  assert.match(t(12, 0x700, 0x401), /nlmsg_type=NFNL_SUBSYS_ACCT<<8\|NFNL_MSG_ACCT_NEW, nlmsg_flags=NLM_F_REQUEST\|NLM_F_CREATE,/);
  assert.match(t(12, 0x7ff, 1), /nlmsg_type=NFNL_SUBSYS_ACCT<<8\|0xff \/\* NFNL_MSG_ACCT_\?\?\? \*\/,/);
  assert.match(t(12, 0xffff, 1), /nlmsg_type=0xff \/\* NFNL_SUBSYS_\?\?\? \*\/<<8\|0xff,/);
  assert.match(t(12, 0xa00, 1, Buffer.from([1, 0, 0, 10])), /\{nfgen_family=AF_UNIX, version=NFNETLINK_V0, res_id=htons\(NFNL_SUBSYS_NFTABLES\)\}\]/);
  assert.match(t(12, 0x10, 1, Buffer.from([1, 0, 0, 10])), /nlmsg_type=NFNL_MSG_BATCH_BEGIN, .*res_id=htons\(10\)\}\]/);
  const val = Buffer.alloc(4);
  val.writeInt32LE(-69410901, 0);
  assert.match(t(7, 16, 1, val), /nlmsg_type=SELNL_MSG_SETENFORCE, .*\{val=-69410901\}\]/);
  assert.match(t(9, 1000, 1), /nlmsg_type=AUDIT_GET,/);
  assert.match(t(6, 0x12, 0x300), /nlmsg_type=XFRM_MSG_GETSA, nlmsg_flags=NLM_F_DUMP,/);
  assert.match(t(6, 0x16, 0x108), /nlmsg_type=XFRM_MSG_ALLOCSPI, nlmsg_flags=NLM_F_ECHO\|0x100,/);
  assert.match(t(16, 0x10, 0x301), /nlmsg_type=nlctrl, nlmsg_flags=NLM_F_REQUEST\|0x300,/);
});

test('netlink sock_diag: requests and replies by family, extended ack attributes', () => {
  const req = Buffer.alloc(56);
  req[0] = 2;
  req[1] = 6;
  req[2] = 8;
  req.writeUInt32LE(0x80, 4);
  Buffer.from([10, 11, 12, 13]).copy(req, 12);
  Buffer.from([10, 11, 12, 13]).copy(req, 28);
  const m = new FakeMemory().map(M, nlmsg(72, 20, 1, 0, 0, req));
  assert.equal(
    send(m, 72, 72),
    `sendto(3, [${HDR(72, 'SOCK_DIAG_BY_FAMILY', 'NLM_F_REQUEST')}, {sdiag_family=AF_INET, sdiag_protocol=IPPROTO_TCP, idiag_ext=1<<(INET_DIAG_CONG-1), idiag_states=1<<TCP_CLOSE, id={idiag_sport=htons(0), idiag_dport=htons(0), idiag_src=inet_addr("10.11.12.13"), idiag_dst=inet_addr("10.11.12.13"), idiag_if=0, idiag_cookie=[0, 0]}}], 72, MSG_DONTWAIT, NULL, 0) = 72`,
  );
  const fam = new FakeMemory().map(M, nlmsg(17, 20, 1, 0, 0, Buffer.from([0xff])));
  assert.equal(send(fam, 17, 17), `sendto(3, [${HDR(17, 'SOCK_DIAG_BY_FAMILY', 'NLM_F_REQUEST')}, {family=0xff /* AF_??? */}], 17, MSG_DONTWAIT, NULL, 0) = 17`);
  // NLMSG_ERROR with NLM_F_CAPPED: the request's header, then NLMSGERR_ATTR_COOKIE
  const err = Buffer.alloc(4);
  err.writeInt32LE(-13, 0);
  const body = Buffer.concat([err, nlmsg(20, 1, 1), attr(3, Buffer.from([171, 254]))]);
  const em = new FakeMemory().map(M, nlmsg(42, 2, 0x101, 0, 0, body));
  assert.equal(
    send(em, 42, 42),
    `sendto(3, [${HDR(42, 'NLMSG_ERROR', 'NLM_F_REQUEST|NLM_F_CAPPED')}, [{error=-EACCES, msg=${HDR(20, 'NLMSG_NOOP', 'NLM_F_REQUEST')}}, [{nla_len=6, nla_type=NLMSGERR_ATTR_COOKIE}, [171, 254]]]], 42, MSG_DONTWAIT, NULL, 0) = 42`,
  );
});
