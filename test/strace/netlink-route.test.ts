// NETLINK_ROUTE attribute decoders over byte buffers: link attributes (bridge port, IPv6,
// VF info, XDP, statistics), cache reports, nexthop groups, MDB entries, multipath routes, and
// the udev monitor header on NETLINK_KOBJECT_UEVENT. Expected lines are what strace 6.1 prints
// for the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';

const M = 0x10000000n;
const line = (s: string): string => s.replace(/ +=/, ' =');
const proto = (p: number, more: object = {}): object => ({ netlinkProtocol: () => p, ...more });

function nlmsg(type: number, flags: number, payload: Buffer, len = 16 + payload.length): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(len, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  return Buffer.concat([b, payload]);
}
const attr = (type: number, data: Buffer, len = 4 + data.length): Buffer => {
  const h = Buffer.alloc(4);
  h.writeUInt16LE(len, 0);
  h.writeUInt16LE(type, 2);
  return Buffer.concat([h, data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
};
const u32 = (...v: number[]): Buffer => {
  const b = Buffer.alloc(4 * v.length);
  v.forEach((x, i) => b.writeUInt32LE(x >>> 0, i * 4));
  return b;
};
/** The decoded data argument of sendto for `msg` (the whole buffer readable unless `readable`). */
function data(msg: Buffer, opts: object = proto(0), readable = msg.length, ret = msg.length): string {
  const out = line(formatCall({ name: 'sendto', args: [3, M, msg.length, 0x40, 0, 0], ret, mem: new FakeMemory().map(M, msg.subarray(0, readable)), opts }));
  return out.replace(/^sendto\(3, /, '').replace(/, \d+, (MSG_DONTWAIT|0x40[^,]*), NULL, 0\) = .*$/, '');
}
const RTM_GETLINK = 18;
/** struct ifinfomsg for the loopback device with family `family`. */
const ifinfo = (family: number): Buffer => Buffer.concat([Buffer.from([family, 0, 0x04, 0x03]), u32(1, 1, 0)]);
const IFI = (fam: string): string => `{ifi_family=${fam}, ifi_type=ARPHRD_LOOPBACK, ifi_index=if_nametoindex("lo"), ifi_flags=IFF_UP, ifi_change=0}`;
const link = (family: number, ...attrs: Buffer[]): Buffer => nlmsg(RTM_GETLINK, 0x300, Buffer.concat([ifinfo(family), ...attrs]));
const LINKHDR = (len: number): string => `{nlmsg_len=${len}, nlmsg_type=RTM_GETLINK, nlmsg_flags=NLM_F_DUMP, nlmsg_seq=0, nlmsg_pid=0}`;
// index 1 is the loopback device (its name comes from sysfs)
const opts = proto(0);

test('netlink route link: bridge port attributes, clock_t timers, bridge ids', () => {
  const IFLA_PROTINFO = 12;
  const brport = (a: Buffer): string => data(link(7, attr(IFLA_PROTINFO, a)), opts);
  // the outer attribute's length includes the inner one's padding
  const pre = (len: number, n: number): string => `[${LINKHDR(len)}, ${IFI('AF_BRIDGE')}, [{nla_len=${n}, nla_type=IFLA_PROTINFO}, `;
  // IFLA_BRPORT_STATE (u8), IFLA_BRPORT_ID (u16, one byte: hex), IFLA_BRPORT_GROUP_FWD_MASK (hex u16)
  assert.equal(brport(attr(1, Buffer.from([237]))), `${pre(44, 12)}[{nla_len=5, nla_type=IFLA_BRPORT_STATE}, 237]]]`);
  assert.equal(brport(attr(17, Buffer.from([0x61]))), `${pre(44, 12)}[{nla_len=5, nla_type=IFLA_BRPORT_ID}, "\\x61"]]]`);
  assert.equal(brport(attr(31, Buffer.from([0xed, 0xfe]))), `${pre(44, 12)}[{nla_len=6, nla_type=IFLA_BRPORT_GROUP_FWD_MASK}, 0xfeed]]]`);
  // a timer in 3 bytes: the ticks and the seconds; 8 zero bytes: 0 alone; 9 bytes: hex
  assert.equal(brport(attr(21, Buffer.from([0xed, 0x00, 0xef]))), `${pre(44, 12)}[{nla_len=7, nla_type=IFLA_BRPORT_MESSAGE_AGE_TIMER}, 15663341 /* 156633.41 s */]]]`);
  assert.equal(brport(attr(21, Buffer.alloc(8))), `${pre(48, 16)}[{nla_len=12, nla_type=IFLA_BRPORT_MESSAGE_AGE_TIMER}, 0]]]`);
  assert.match(brport(attr(21, Buffer.alloc(9, 0x80))), /MESSAGE_AGE_TIMER\}, "(\\x80){9}"\]\]\]$/);
  assert.equal(
    brport(attr(13, Buffer.from([0xab, 0xcd, 0xab, 0xcd, 0xef, 0xac, 0xbc, 0xcd]))),
    `${pre(48, 16)}[{nla_len=12, nla_type=IFLA_BRPORT_ROOT_ID}, {prio=[171, 205], addr=ab:cd:ef:ac:bc:cd}]]]`,
  );
  // -X raw: numbers only, no seconds comment
  assert.match(data(link(7, attr(IFLA_PROTINFO, attr(21, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0])))), proto(0, { xlat: 'raw' })), /\{nla_len=12, nla_type=0x15\}, 1\]\]\]$/);
  assert.match(data(link(7, attr(IFLA_PROTINFO, attr(21, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0])))), proto(0, { xlat: 'verbose' })), /MESSAGE_AGE_TIMER \*\/\}, 1 \/\* 0\.01 s \*\/\]\]\]$/);
  // unknown attribute type
  assert.match(brport(attr(0xbad, Buffer.from('abcd'))), /\{nla_len=8, nla_type=0xbad \/\* IFLA_BRPORT_\?\?\? \*\/\}, "\\x61\\x62\\x63\\x64"\]\]\]$/);
});

test('netlink route link: IPv6 protinfo (flags, indexed counters, token, address mode)', () => {
  const p6 = (a: Buffer, readable?: number): string => {
    const m = link(10, attr(12, a));
    return data(m, opts, readable ?? m.length, readable === undefined ? m.length : -14);
  };
  assert.match(p6(attr(1, u32(0xdeadc0de))), /IFLA_INET6_FLAGS\}, IF_RS_SENT\|IF_RA_MANAGED\|IF_RA_OTHERCONF\|IF_READY\|0x5eadc00e\]\]\]$/);
  assert.match(p6(attr(1, u32(0xf))), /IFLA_INET6_FLAGS\}, 0xf \/\* IF_\?\?\? \*\/\]\]\]$/);
  // IFLA_INET6_CONF: s32 by DEVCONF_* index; the second element unreadable
  const conf = attr(2, u32(0xdeadbeef, 0xdadacafe));
  assert.match(p6(conf), /\[\[DEVCONF_FORWARDING\]=-559038737, \[DEVCONF_HOPLIMIT\]=-623195394\]\]\]\]$/);
  assert.match(p6(conf, 32 + 8 + 4), /\[\[DEVCONF_FORWARDING\]=-559038737, \.\.\. \/\* 0x1000002c \*\/\]\]\]\]$/);
  // IFLA_INET6_ICMP6STATS: u64 by ICMP6_MIB_* index, index 6 has no name
  const icmp = Buffer.alloc(56);
  for (let i = 0; i < 7; i++) icmp.writeBigUInt64LE(BigInt(i + 1), i * 8);
  assert.match(p6(attr(6, icmp)), /\[ICMP6_MIB_CSUMERRORS\]=6, \[6 \/\* ICMP6_MIB_\?\?\? \*\/\]=7\]\]\]\]$/);
  const tok = Buffer.from('badc0dedfacebeefdecafeeddeadfeed', 'hex');
  assert.match(p6(attr(7, tok)), /IFLA_INET6_TOKEN\}, inet_pton\(AF_INET6, "badc:ded:face:beef:deca:feed:dead:feed"\)\]\]\]$/);
  assert.match(p6(attr(8, Buffer.from([3]))), /IFLA_INET6_ADDR_GEN_MODE\}, IN6_ADDR_GEN_MODE_RANDOM\]\]\]$/);
  assert.match(p6(attr(8, Buffer.from([0xff]))), /IFLA_INET6_ADDR_GEN_MODE\}, 0xff \/\* IN6_ADDR_GEN_MODE_\?\?\? \*\/\]\]\]$/);
});

test('netlink route link: VF info, XDP, statistics, strings, port VSI', () => {
  const l = (...a: Buffer[]): string => data(link(1, ...a), opts);
  // IFLA_VFINFO_LIST > IFLA_VF_INFO > IFLA_VF_LINK_STATE
  const vf = attr(22, attr(1, attr(5, u32(0xbeefdead, 0))));
  assert.match(l(vf), /\[\{nla_len=12, nla_type=IFLA_VF_LINK_STATE\}, \{vf=3203391149, link_state=IFLA_VF_LINK_STATE_AUTO\}\]\]\]\]$/);
  const vlan = Buffer.concat([u32(1, 2, 3), Buffer.from([0x81, 0x00, 0, 0])]);
  assert.match(l(attr(22, attr(1, attr(12, attr(1, vlan))))), /\{vf=1, vlan=2, qos=3, vlan_proto=htons\(ETH_P_8021Q\)\}\]\]\]\]\]$/);
  const guid = Buffer.concat([u32(7, 0), Buffer.from('bebaeddeed0ddcba', 'hex')]);
  assert.match(l(attr(22, attr(1, attr(10, guid)))), /IFLA_VF_IB_NODE_GUID\}, \{vf=7, guid=0xbadc0deddeedbabe\}\]\]\]\]$/);
  // IFLA_XDP: attached mode, flags
  assert.match(l(attr(43, attr(2, Buffer.from([4])))), /\[\{nla_len=5, nla_type=IFLA_XDP_ATTACHED\}, XDP_ATTACHED_MULTI\]\]\]$/);
  assert.match(l(attr(43, attr(3, u32(1)))), /IFLA_XDP_FLAGS\}, XDP_FLAGS_UPDATE_IF_NOEXIST\]\]\]$/);
  // IFLA_EXT_MASK, IFLA_EVENT
  assert.match(l(attr(29, u32(0xdeface80))), /IFLA_EXT_MASK\}, 0xdeface80 \/\* RTEXT_FILTER_\?\?\? \*\/\]\]$/);
  assert.match(l(attr(44, u32(6))), /IFLA_EVENT\}, IFLA_EVENT_BONDING_OPTIONS\]\]$/);
  // IFLA_STATS: 23 counters (the old layout) or 24
  const st = u32(...Array.from({ length: 24 }, (_, i) => i));
  assert.match(l(attr(7, st.subarray(0, 92))), /tx_compressed=22\}\]\]$/);
  assert.match(l(attr(7, st)), /tx_compressed=22, rx_nohandler=23\}\]\]$/);
  assert.match(l(attr(7, st.subarray(0, 88))), /IFLA_STATS\}, "\\x00\\x00/);
  // strings that fill the data: a trailing NUL ends them, else they are cut
  assert.match(l(attr(53, Buffer.from('OH HAI\0\x0b~\0', 'latin1'))), /IFLA_ALT_IFNAME\}, "OH HAI\\0\\v~"\]\]$/);
  assert.match(l(attr(53, Buffer.from('OH HAI', 'latin1'))), /IFLA_ALT_IFNAME\}, "OH HAI"\.\.\.\]\]$/);
  // IFLA_PORT_SELF > IFLA_PORT_VSI_TYPE, padding shown only when not zero
  assert.match(l(attr(25, attr(3, Buffer.from([171, 0x61, 0x62, 0x63, 239, 0, 0, 0])))), /\{vsi_mgr_id=171, vsi_type_id="\\x61\\x62\\x63", vsi_type_version=239\}\]\]\]$/);
  assert.match(l(attr(25, attr(3, Buffer.from([171, 10, 0, 255, 239, 0, 1, 2])))), /vsi_type_version=239, pad="\\x00\\x01\\x02"\}\]\]\]$/);
});

test('netlink route: cache reports, nexthop groups, MDB entries and router ports, multipath', () => {
  // RTM_NEWCACHEREPORT: RTNL_FAMILY_IPMR names IPMRA_CREPORT_* attributes; unknown families
  const cr = (family: number, ...a: Buffer[]): string => data(nlmsg(0x60, 0x600, Buffer.concat([Buffer.from([family, 0, 0, 0]), ...a])), opts);
  assert.match(cr(128, attr(1, Buffer.from([4]))), /\{rtgen_family=RTNL_FAMILY_IPMR\}, \[\{nla_len=5, nla_type=IPMRA_CREPORT_MSGTYPE\}, IGMPMSG_WRVIFWHOLE\]\]$/);
  assert.match(cr(129, attr(1, Buffer.from([4]))), /\[\{nla_len=5, nla_type=IP6MRA_CREPORT_MSGTYPE\}, 0x4 \/\* MRT6MSG_\?\?\? \*\/\]\]$/);
  assert.match(cr(128, attr(3, Buffer.from([222, 173, 250, 206]))), /IPMRA_CREPORT_SRC_ADDR\}, inet_addr\("222\.173\.250\.206"\)\]\]$/);
  assert.match(data(nlmsg(0x60, 0x600, Buffer.concat([Buffer.from([128, 0, 0, 0]), attr(3, Buffer.from([222, 173, 250, 206]))])), proto(0, { xlat: 'verbose' })), /\{rtgen_family=0x80 \/\* RTNL_FAMILY_IPMR \*\/\}, .*"\\xde\\xad\\xfa\\xce" \/\* inet_addr\("222\.173\.250\.206"\) \*\/\]\]$/);
  assert.match(cr(0x2e), /\{rtgen_family=0x2e \/\* RTNL_FAMILY_\?\?\? \*\/\}\]$/);
  // RTM_GETNEXTHOP with NHA_RES_GROUP > NHA_RES_GROUP_BUCKETS
  const nh = Buffer.concat([Buffer.from([1, 0xff, 0, 0]), u32(0x22), attr(12, attr(1, Buffer.from([0, 0])))]);
  assert.match(data(nlmsg(0x6a, 0x300, nh), opts), /\[\{nla_len=12, nla_type=NHA_RES_GROUP\}, \[\{nla_len=6, nla_type=NHA_RES_GROUP_BUCKETS\}, 0\]\]\]$/);
  // RTM_GETMDB: MDBA_ROUTER > MDBA_ROUTER_PORT (an ifindex, then MDBA_ROUTER_PATTR_*)
  const mdb = (a: Buffer): string => data(nlmsg(86, 0x300, Buffer.concat([Buffer.from([1, 0, 0, 0]), u32(1), a])), opts);
  assert.match(mdb(attr(2, attr(1, Buffer.concat([u32(1), attr(2, Buffer.from([0]))])))), /\[\{nla_len=16, nla_type=MDBA_ROUTER_PORT\}, if_nametoindex\("lo"\), \[\{nla_len=5, nla_type=MDBA_ROUTER_PATTR_TYPE\}, MDB_RTR_TYPE_DISABLED\]\]\]\]$/);
  const entry = Buffer.concat([u32(1), Buffer.from([0, 1, 0xef, 0xcd]), Buffer.from('abcdefghijklmnop'), Buffer.alloc(4)]);
  assert.match(
    mdb(attr(1, attr(1, attr(1, entry)))),
    /\{ifindex=if_nametoindex\("lo"\), state=MDB_TEMPORARY, flags=MDB_FLAGS_OFFLOAD, vid=52719, addr=\{u="\\x61.*\\x70", proto=htons\(AF_UNSPEC\)\}\}\]\]\]\]$/,
  );
  // RTA_MULTIPATH: one entry with attributes flattens, two are each bracketed
  const rtm = Buffer.from([2, 0, 0, 0, 253, 2, 0, 2, 0, 1, 0, 0]);
  const gw = attr(5, Buffer.from([222, 173, 190, 239]));
  const nhop = (flags: number, a: Buffer): Buffer => Buffer.concat([Buffer.from([8 + a.length, 0, flags, 171]), u32(1), a]);
  const mp = (...e: Buffer[]): string => data(nlmsg(26, 0x300, Buffer.concat([rtm, attr(9, Buffer.concat(e))])), opts);
  assert.match(mp(nhop(1, attr(1, Buffer.alloc(0)))), /\[\{nla_len=16, nla_type=RTA_MULTIPATH\}, \[\{rtnh_len=12, rtnh_flags=RTNH_F_DEAD, rtnh_hops=171, rtnh_ifindex=if_nametoindex\("lo"\)\}, \{nla_len=4, nla_type=RTA_DST\}\]\]\]$/);
  assert.match(mp(nhop(1, gw), nhop(1, gw)), /RTA_MULTIPATH\}, \[\[\{rtnh_len=16, .*\}, \[\{nla_len=8, nla_type=RTA_GATEWAY\}, inet_addr\("222\.173\.190\.239"\)\]\], \[\{rtnh_len=16, .*\]\]\]\]$/);
});

test('netlink kobject uevent: the udev monitor header, else the bytes as a string', () => {
  const h = Buffer.alloc(40);
  h.write('libudev\0', 0, 'latin1');
  h.writeUInt32BE(0xfeedcafe, 8);
  h.writeUInt32LE(40, 12);
  h.writeUInt32LE(40, 16);
  h.writeUInt32LE(299, 20);
  h.writeUInt32BE(0xc370b302, 24);
  const P = proto(15);
  const HDR = '{prefix="libudev", magic=htonl(0xfeedcafe), header_size=40, properties_off=40, properties_len=299, filter_subsystem_hash=htonl(0xc370b302), filter_devtype_hash=htonl(0), filter_tag_bloom_hi=htonl(0), filter_tag_bloom_lo=htonl(0)}';
  assert.equal(data(h, P), HDR);
  assert.equal(data(Buffer.concat([h, Buffer.from('12345678')]), P), `[${HDR}, "12345678"]`);
  const other = Buffer.from(h);
  other.write('change@\0', 0, 'latin1');
  assert.match(data(other, P), /^"change@\\0\\376\\355\\312\\376\(\\0\\0\\0/);
});

test('netlink route stats: extended bridge and bond statistics, MPLS, trailing bytes', () => {
  // RTM_GETSTATS: struct if_stats_msg, then IFLA_STATS_* attributes
  const st = (...a: Buffer[]): string => data(nlmsg(94, 0x300, Buffer.concat([Buffer.from([1, 0, 0, 0]), u32(1, 0x22), ...a])), opts);
  const vlan = Buffer.alloc(40);
  vlan.writeUInt16LE(57005, 32);
  vlan.writeUInt16LE(2, 34);
  const BRV = '{rx_bytes=0, rx_packets=0, tx_bytes=0, tx_packets=0, vid=57005, flags=BRIDGE_VLAN_INFO_PVID}';
  assert.match(st(attr(2, attr(1, attr(1, vlan)))), new RegExp(`\\[\\{nla_len=44, nla_type=BRIDGE_XSTATS_VLAN\\}, ${BRV.replace(/[{}]/g, '\\$&')}\\]\\]\\]\\]$`));
  // the bytes after the structure print in hex
  assert.match(st(attr(3, attr(1, attr(1, Buffer.concat([vlan, Buffer.from([0xa8, 0xa9])]))))), /vid=57005, flags=BRIDGE_VLAN_INFO_PVID\}, "\\xa8\\xa9"\]\]\]\]$/);
  // bond: LINK_XSTATS_TYPE_BOND > BOND_XSTATS_3AD > BOND_3AD_STAT_LACPDU_RX (u64)
  assert.match(st(attr(2, attr(2, attr(1, attr(0, Buffer.alloc(8)))))), /\[\{nla_len=12, nla_type=BOND_3AD_STAT_LACPDU_RX\}, 0\]\]\]\]\]$/);
  // multicast counters by direction
  const mc = Buffer.alloc(240);
  mc.writeBigUInt64LE(5n, 8);
  assert.match(st(attr(2, attr(1, attr(2, mc)))), /\{igmp_v1queries=\[\[BR_MCAST_DIR_RX\]=0, \[BR_MCAST_DIR_TX\]=5\], igmp_v2queries=/);
  assert.match(st(attr(5, attr(28, attr(1, Buffer.alloc(72))))), /\[\{nla_len=76, nla_type=MPLS_STATS_LINK\}, \{rx_packets=0, .*, rx_noroute=0\}\]\]\]\]$/);
  assert.match(st(attr(4, attr(2, Buffer.from('abcd')))), /\[\{nla_len=8, nla_type=0x2 \/\* IFLA_OFFLOAD_XSTATS_\?\?\? \*\/\}, "\\x61\\x62\\x63\\x64"\]\]\]$/);
});

test('netlink sock_diag: inet_diag_req_v2 bytecode and protocol attributes', () => {
  const req = Buffer.alloc(56);
  req[0] = 2;
  req[1] = 6;
  const bc = (b: Buffer): string => data(nlmsg(20, 1, Buffer.concat([req, attr(1, b)])), proto(4));
  assert.match(bc(Buffer.from([7, 175, 0xcd, 0xaf])), /\[\{nla_len=8, nla_type=INET_DIAG_REQ_BYTECODE\}, \{code=INET_DIAG_BC_S_COND, yes=175, no=45005\}\]\]$/);
  const host = Buffer.concat([Buffer.from([7, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([10, 11, 12, 13])]);
  assert.match(bc(host), /\{code=INET_DIAG_BC_S_COND, yes=0, no=0\}, \{family=AF_INET, prefix_len=0, port=0, addr=inet_addr\("10\.11\.12\.13"\)\}\]\]$/);
  assert.match(bc(Buffer.from([9, 0, 0, 0, 1, 0, 0, 0])), /\{code=INET_DIAG_BC_DEV_COND, yes=0, no=0\}, if_nametoindex\("lo"\)\]\]$/);
  assert.match(bc(Buffer.from([3, 0, 0, 0, 9, 175, 0xcd, 0xaf])), /\{code=INET_DIAG_BC_S_LE, yes=0, no=0\}, \{code=INET_DIAG_BC_DEV_COND, yes=175, no=45005\}\]\]$/);
  assert.match(bc(Buffer.from([6, 0, 0, 0, 0x61, 0x62, 0x63, 0x64])), /\{code=INET_DIAG_BC_AUTO, yes=0, no=0\}, "\\x61\\x62\\x63\\x64"\]\]$/);
  const p = data(nlmsg(20, 1, Buffer.concat([req, attr(3, u32(0x100))])), proto(4));
  assert.match(p, /\[\{nla_len=8, nla_type=INET_DIAG_REQ_PROTOCOL\}, 0x100 \/\* IPPROTO_\?\?\? \*\/\]\]$/);
});
