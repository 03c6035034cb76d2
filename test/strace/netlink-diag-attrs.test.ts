// Attribute decoders over byte buffers, no tracee: INET_DIAG_* of inet_diag_msg replies (with the
// ULP/TLS/MPTCP and bpf storage nests), SMC_DIAG_* of smc_diag_msg replies, and IFLA_LINKINFO's
// data chosen by its kind (bridge, tun, can, bridge port slaves). Expected lines are what strace
// 6.1 prints for the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';

const M = 0x10000000n;
const proto = (p: number, more: object = {}): object => ({ netlinkProtocol: () => p, ...more });

function nlmsg(type: number, flags: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(16 + payload.length, 0);
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
/**
 * The attributes part of sendto's decoded buffer for `msg`: what follows the fixed structure.
 * `readable` bytes of it are mapped (the rest unreadable).
 */
function attrsOf(msg: Buffer, p: number, readable = msg.length, more: object = {}): string {
  const out = formatCall({ name: 'sendto', args: [3, M, msg.length, 0x40, 0, 0], ret: msg.length, mem: new FakeMemory().map(M, msg.subarray(0, readable)), opts: proto(p, more) });
  const m = /^sendto\(3, \[\{nlmsg_len=.*?\}, \{.*?(?:_inode|ifi_change)=\d+\}, (.*)\], \d+, (?:MSG_DONTWAIT|0x40), NULL, 0\) += \d+$/.exec(out);
  assert.ok(m, out);
  return m[1]!;
}

// ---- inet_diag_msg ---------------------------------------------------------------------------

const SOCK_DIAG_BY_FAMILY = 20;
/** struct inet_diag_msg for AF_INET in state TCP_LISTEN, then `attrs`. */
const inetMsg = (...attrs: Buffer[]): Buffer => {
  const m = Buffer.alloc(72);
  m[0] = 2;
  m[1] = 10;
  return nlmsg(SOCK_DIAG_BY_FAMILY, 0x300, Buffer.concat([m, ...attrs]));
};
const inet = (a: Buffer, readable?: number, more?: object): string => attrsOf(inetMsg(a), 4, readable === undefined ? undefined : 16 + 72 + readable, more);

test('inet_diag_msg: fixed structures (meminfo, vegas, dctcp, bbr) and short data as hex', () => {
  assert.equal(inet(attr(1, u32(1, 2, 3, 4))), '[{nla_len=20, nla_type=INET_DIAG_MEMINFO}, {idiag_rmem=1, idiag_wmem=2, idiag_fmem=3, idiag_tmem=4}]');
  assert.equal(inet(attr(3, u32(1, 2, 3, 4))), '[{nla_len=20, nla_type=INET_DIAG_VEGASINFO}, {tcpv_enabled=1, tcpv_rttcnt=2, tcpv_rtt=3, tcpv_minrtt=4}]');
  assert.equal(inet(attr(9, u32(0x00020001, 3, 4, 5))), '[{nla_len=20, nla_type=INET_DIAG_DCTCPINFO}, {dctcp_enabled=1, dctcp_ce_state=2, dctcp_alpha=3, dctcp_ab_ecn=4, dctcp_ab_tot=5}]');
  assert.equal(inet(attr(16, u32(0xfdacdadf, 0, 3, 4, 5))), '[{nla_len=24, nla_type=INET_DIAG_BBRINFO}, {bbr_bw_lo=0xfdacdadf, bbr_bw_hi=0, bbr_min_rtt=3, bbr_pacing_gain=4, bbr_cwnd_gain=5}]');
  // shorter than the structure: the bytes
  assert.equal(inet(attr(1, Buffer.from([1, 2, 3]))), '[{nla_len=7, nla_type=INET_DIAG_MEMINFO}, "\\x01\\x02\\x03"]');
  // unreadable data: its address
  assert.match(inet(attr(1, u32(1, 2, 3, 4)), 8), /^\[\{nla_len=20, nla_type=INET_DIAG_MEMINFO\}, 0x[0-9a-f]+\]$/);
});

test('inet_diag_msg: scalars, shutdown flags with the number, socket memory counters', () => {
  assert.equal(inet(attr(5, Buffer.from([237]))), '[{nla_len=5, nla_type=INET_DIAG_TOS}, 237]');
  assert.equal(inet(attr(15, u32(0xdeadbeef))), '[{nla_len=8, nla_type=INET_DIAG_MARK}, 3735928559]');
  assert.equal(inet(attr(21, u32(1, 0))), '[{nla_len=12, nla_type=INET_DIAG_CGROUP_ID}, 1]');
  assert.equal(inet(attr(10, Buffer.from([6]))), '[{nla_len=5, nla_type=INET_DIAG_PROTOCOL}, IPPROTO_TCP]');
  assert.equal(inet(attr(10, Buffer.from([5]))), '[{nla_len=5, nla_type=INET_DIAG_PROTOCOL}, 0x5 /* IPPROTO_??? */]');
  assert.equal(inet(attr(8, Buffer.from([0]))), '[{nla_len=5, nla_type=INET_DIAG_SHUTDOWN}, 0]');
  assert.equal(inet(attr(8, Buffer.from([1]))), '[{nla_len=5, nla_type=INET_DIAG_SHUTDOWN}, 0x1 /* RCV_SHUTDOWN */]');
  assert.equal(inet(attr(8, Buffer.from([0x17]))), '[{nla_len=5, nla_type=INET_DIAG_SHUTDOWN}, 0x17 /* RCV_SHUTDOWN|SEND_SHUTDOWN|0x14 */]');
  assert.equal(inet(attr(8, Buffer.from([4]))), '[{nla_len=5, nla_type=INET_DIAG_SHUTDOWN}, 0x4 /* ???_SHUTDOWN */]');
  assert.equal(inet(attr(8, Buffer.from([3])), undefined, { xlat: 'raw' }), '[{nla_len=5, nla_type=0x8}, 0x3]');
  assert.equal(inet(attr(4, Buffer.from('cubic\0'))), '[{nla_len=10, nla_type=INET_DIAG_CONG}, "cubic"]');
  // indexed counters; one past the names; a trailing partial element is ignored
  assert.equal(inet(attr(7, Buffer.concat([u32(1, 2), Buffer.from([9])]))), '[{nla_len=13, nla_type=INET_DIAG_SKMEMINFO}, [[SK_MEMINFO_RMEM_ALLOC]=1, [SK_MEMINFO_RCVBUF]=2]]');
  assert.match(inet(attr(7, u32(0, 0, 0, 0, 0, 0, 0, 0, 0, 7))), /\[SK_MEMINFO_DROPS\]=0, \[9 \/\* SK_MEMINFO_\?\?\? \*\/\]=7\]\]$/);
  // the second counter unreadable
  assert.match(inet(attr(7, u32(1, 2)), 8), /\[\[SK_MEMINFO_RMEM_ALLOC\]=1, \.\.\. \/\* 0x[0-9a-f]+ \*\/\]\]$/);
});

test('inet_diag_msg: socket options bits, md5 keys, socket address lists', () => {
  assert.equal(inet(attr(22, Buffer.from([0, 0]))), '[{nla_len=6, nla_type=INET_DIAG_SOCKOPT}, {}]');
  assert.equal(
    inet(attr(22, Buffer.from([0x03, 0xb5]))),
    '[{nla_len=6, nla_type=INET_DIAG_SOCKOPT}, {recverr=1, is_icsk=1, bind_address_no_port=1, defer_connect=1, unused=0x16 /* bits 3..8 */}]',
  );
  // bytes past the two print when not zero
  assert.equal(inet(attr(22, Buffer.from([0x01, 0, 0, 0]))), '[{nla_len=8, nla_type=INET_DIAG_SOCKOPT}, {recverr=1}]');
  assert.equal(inet(attr(22, Buffer.from([0x01, 0, 0, 0xff]))), '[{nla_len=8, nla_type=INET_DIAG_SOCKOPT}, {recverr=1}, /* bytes 2..3 */ "\\x00\\xff"]');

  const md5 = (family: number, prefix: number, keylen: number, addr: number[], key: string): Buffer => {
    const b = Buffer.alloc(100);
    b[0] = family;
    b[1] = prefix;
    b.writeUInt16LE(keylen, 2);
    Buffer.from(addr).copy(b, 4);
    Buffer.from(key, 'latin1').copy(b, 20);
    return b;
  };
  assert.equal(
    inet(attr(18, Buffer.concat([md5(2, 24, 2, [10, 0, 0, 1], 'ab'), md5(10, 64, 0, [0xfe, 0x80, ...Array<number>(13).fill(0), 1], '')]))),
    '[{nla_len=204, nla_type=INET_DIAG_MD5SIG}, [{tcpm_family=AF_INET, tcpm_prefixlen=24, tcpm_keylen=2, tcpm_addr=inet_addr("10.0.0.1"), tcpm_key="\\x61\\x62"}, ' +
      '{tcpm_family=AF_INET6, tcpm_prefixlen=64, tcpm_keylen=0, inet_pton(AF_INET6, "fe80::1", &tcpm_addr), tcpm_key=""}]]',
  );
  // an unknown family: the address bytes; a key length past the array: its 80 bytes
  assert.match(inet(attr(18, md5(46, 0, 999, [1], 'k'))), /\{tcpm_family=0x2e \/\* AF_\?\?\? \*\/, tcpm_prefixlen=0, tcpm_keylen=999, tcpm_addr="\\x01(\\x00){15}", tcpm_key="\\x6b(\\x00){79}"\}\]\]$/);

  const sin = Buffer.alloc(128);
  sin.writeUInt16LE(2, 0);
  sin.writeUInt16BE(80, 2);
  Buffer.from([127, 0, 0, 1]).copy(sin, 4);
  assert.equal(inet(attr(12, sin)), '[{nla_len=132, nla_type=INET_DIAG_LOCALS}, [{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}]]');
  // the second address unreadable
  assert.match(inet(attr(13, Buffer.concat([sin, sin])), 4 + 128 + 10), /^\[\{nla_len=260, nla_type=INET_DIAG_PEERS\}, \[\{sa_family=AF_INET, .*?\}, \.\.\. \/\* 0x[0-9a-f]+ \*\/\]\]$/);
});

test('inet_diag_msg: ULP info (name, TLS, MPTCP subflow) and bpf storages', () => {
  const ulp = (a: Buffer): string => inet(attr(19, a));
  assert.equal(ulp(attr(1, Buffer.from('tls\0'))), '[{nla_len=12, nla_type=INET_DIAG_ULP_INFO}, [{nla_len=8, nla_type=INET_ULP_INFO_NAME}, "tls"]]');
  const tls = (type: number, v: number): string => ulp(attr(2, attr(type, Buffer.from([v & 0xff, v >> 8]))));
  assert.match(tls(1, 0x303), /\[\{nla_len=6, nla_type=TLS_INFO_VERSION\}, TLS_1_2_VERSION\]\]\]$/);
  assert.match(tls(1, 0x200), /\[\{nla_len=6, nla_type=TLS_INFO_VERSION\}, 0x200 \/\* TLS_\?\?\?_VERSION \*\/\]\]\]$/);
  assert.match(tls(2, 54), /TLS_INFO_CIPHER\}, TLS_CIPHER_CHACHA20_POLY1305\]\]\]$/);
  assert.match(tls(3, 0), /TLS_INFO_TXCONF\}, 0 \/\* TLS_CONF_\?\?\? \*\/\]\]\]$/);
  assert.match(tls(4, 1), /TLS_INFO_RXCONF\}, TLS_CONF_BASE\]\]\]$/);
  const mp = (type: number, data: Buffer): string => ulp(attr(3, attr(type, data)));
  assert.match(mp(1, u32(0xbeeffeed)), /MPTCP_SUBFLOW_ATTR_TOKEN_REM\}, 0xbeeffeed\]\]\]$/);
  assert.match(mp(4, u32(5, 0)), /MPTCP_SUBFLOW_ATTR_MAP_SEQ\}, 5\]\]\]$/);
  assert.match(mp(7, Buffer.from([1, 2])), /MPTCP_SUBFLOW_ATTR_MAP_DATALEN\}, 513\]\]\]$/);
  assert.match(mp(8, u32(0x1c1)), /MPTCP_SUBFLOW_ATTR_FLAGS\}, MPTCP_SUBFLOW_FLAG_MCAP_REM\|MPTCP_SUBFLOW_FLAG_FULLY_ESTABLISHED\|MPTCP_SUBFLOW_FLAG_CONNECTED\|MPTCP_SUBFLOW_FLAG_MAPVALID\]\]\]$/);
  assert.match(mp(8, u32(0xfffffe00)), /FLAGS\}, 0xfffffe00 \/\* MPTCP_SUBFLOW_FLAG_\?\?\? \*\/\]\]\]$/);
  assert.match(mp(10, Buffer.from([237])), /MPTCP_SUBFLOW_ATTR_ID_LOC\}, 237\]\]\]$/);

  const st = (type: number, data: Buffer): string => inet(attr(20, attr(1, attr(type, data))));
  assert.match(st(2, u32(7)), /\[\{nla_len=8, nla_type=SK_DIAG_BPF_STORAGE_MAP_ID\}, 7\]\]\]$/);
  // a map value of an integer's size prints as one hex number, else as bytes
  assert.match(st(3, Buffer.from([0xbe])), /SK_DIAG_BPF_STORAGE_MAP_VALUE\}, 0xbe\]\]\]$/);
  assert.match(st(3, Buffer.from([0xde, 0xc0, 0xad, 0xde, 0xce, 0xfa, 0xef, 0xbe])), /MAP_VALUE\}, 0xbeeffacedeadc0de\]\]\]$/);
  assert.match(st(3, Buffer.from([0xca, 0xff, 0xee])), /MAP_VALUE\}, "\\xca\\xff\\xee"\]\]\]$/);
  assert.match(inet(attr(20, attr(2, u32(1)))), /\[\{nla_len=8, nla_type=0x2 \/\* SK_DIAG_BPF_STORAGE_\?\?\? \*\/\}, "\\x01\\x00\\x00\\x00"\]\]$/);
});

// ---- smc_diag_msg ----------------------------------------------------------------------------

const smcMsg = (...attrs: Buffer[]): Buffer => {
  const m = Buffer.alloc(64);
  m[0] = 43; // AF_SMC
  return nlmsg(SOCK_DIAG_BY_FAMILY, 0x300, Buffer.concat([m, ...attrs]));
};
const smc = (a: Buffer, readable?: number, more?: object): string => attrsOf(smcMsg(a), 4, readable === undefined ? undefined : 16 + 64 + readable, more);

test('smc_diag_msg: connection info cursors, link group info, DMB info, fallback codes', () => {
  const ci = Buffer.alloc(76);
  ci.writeUInt32LE(7, 0);
  ci.writeUInt16LE(2, 18); // rx_prod.wrap
  ci.writeUInt32LE(9, 20); // rx_prod.count
  ci[48] = 0xff;
  assert.match(
    smc(attr(1, ci)),
    /^\[\{nla_len=80, nla_type=SMC_DIAG_CONNINFO\}, \{token=7, sndbuf_size=0, rmbe_size=0, peer_rmbe_size=0, rx_prod=\{reserved=0, wrap=2, count=9\}, rx_cons=\{.*?\}, .*rx_prod_flags=0xff, rx_conn_state_flags=0, .*tx_fin=\{reserved=0, wrap=0, count=0\}\}\]$/,
  );
  assert.match(smc(attr(1, ci), 40), /^\[\{nla_len=80, nla_type=SMC_DIAG_CONNINFO\}, 0x[0-9a-f]+\]$/);
  const lg = Buffer.alloc(147);
  lg[0] = 175;
  Buffer.from('mlx5_0').copy(lg, 1);
  lg[65] = 1;
  Buffer.from('fe80::1').copy(lg, 66);
  lg[146] = 1;
  assert.equal(smc(attr(2, lg)), '[{nla_len=151, nla_type=SMC_DIAG_LGRINFO}, {lnk=[{link_id=175, ibname="mlx5_0", ibport=1, gid="fe80::1", peer_gid=""}], role=SMC_SERV}]');
  lg[146] = 7;
  assert.match(smc(attr(2, lg)), /role=0x7 \/\* SMC_\?\?\? \*\/\}\]$/);
  const dmb = Buffer.concat([u32(1, 0), Buffer.from('0123456789abcdef'.repeat(4), 'hex')]);
  assert.equal(
    smc(attr(4, dmb)),
    '[{nla_len=44, nla_type=SMC_DIAG_DMBINFO}, {linkid=1, peer_gid=0xefcdab8967452301, my_gid=0xefcdab8967452301, token=0xefcdab8967452301, peer_token=0xefcdab8967452301}]',
  );
  assert.equal(smc(attr(5, u32(0, 0x03020000))), '[{nla_len=12, nla_type=SMC_DIAG_FALLBACK}, {reason=0 /* SMC_CLC_DECL_??? */, peer_diagnosis=0x3020000 /* SMC_CLC_DECL_IPSEC */}]');
  assert.equal(smc(attr(5, u32(0x03060000, 0x99999999)), undefined, { xlat: 'raw' }), '[{nla_len=12, nla_type=0x5}, {reason=0x3060000, peer_diagnosis=0x99999999}]');
  assert.equal(smc(attr(3, Buffer.from([0x40]))), '[{nla_len=5, nla_type=SMC_DIAG_SHUTDOWN}, 0x40 /* ???_SHUTDOWN */]');
});

// ---- IFLA_LINKINFO -----------------------------------------------------------------------------

const RTM_GETLINK = 18;
const ifinfo = Buffer.concat([Buffer.from([1, 0, 0x04, 0x03]), u32(1, 1, 0)]);
const IFLA_LINKINFO = 18;
const str0 = (s: string): Buffer => Buffer.from(`${s}\0`);
/** IFLA_LINKINFO holding `attrs`; the decoded IFLA_LINKINFO nest. */
const linkinfo = (...attrs: Buffer[]): string => {
  const out = attrsOf(nlmsg(RTM_GETLINK, 0x300, Buffer.concat([ifinfo, attr(IFLA_LINKINFO, Buffer.concat(attrs))])), 0);
  const m = /^\[\{nla_len=\d+, nla_type=IFLA_LINKINFO\}, (.*)\]$/.exec(out);
  assert.ok(m, out);
  return m[1]!;
};
const KIND = 1;
const DATA = 2;
const XSTATS = 3;
const SLAVE_KIND = 4;
const SLAVE_DATA = 5;

test('IFLA_LINKINFO: bridge data (timers, ids, group address, boolopts, querier state)', () => {
  const br = (a: Buffer): string => linkinfo(attr(KIND, str0('bridge')), attr(DATA, a));
  const pre = '[[{nla_len=11, nla_type=IFLA_INFO_KIND}, "bridge"], [{nla_len=';
  assert.equal(br(attr(1, Buffer.from([0xed, 0, 0xef]))), `${pre}12, nla_type=IFLA_INFO_DATA}, [{nla_len=7, nla_type=IFLA_BR_FORWARD_DELAY}, 15663341 /* 156633.41 s */]]]`);
  assert.match(br(attr(5, u32(3))), /\[\{nla_len=8, nla_type=IFLA_BR_STP_STATE\}, 3\]\]\]$/);
  assert.match(br(attr(6, Buffer.from([0xed, 0xde]))), /IFLA_BR_PRIORITY\}, 57069\]\]\]$/);
  assert.match(br(attr(8, Buffer.from([0x88, 0xc7]))), /IFLA_BR_VLAN_PROTOCOL\}, htons\(ETH_P_PREAUTH\)\]\]\]$/);
  assert.match(br(attr(9, Buffer.from([0xed, 0xde]))), /IFLA_BR_GROUP_FWD_MASK\}, 0xdeed\]\]\]$/);
  assert.match(br(attr(10, Buffer.from([0xbe, 0xef, 0xfa, 0xce, 0xde, 0xc0, 0xde, 0xad]))), /IFLA_BR_ROOT_ID\}, \{prio=\[190, 239\], addr=fa:ce:de:c0:de:ad\}\]\]\]$/);
  assert.match(br(attr(20, Buffer.from([0xab, 0xac, 0xdb]))), /IFLA_BR_GROUP_ADDR\}, ab:ac:db\]\]\]$/);
  assert.match(br(attr(7, Buffer.from([0xa1]))), /IFLA_BR_VLAN_FILTERING\}, 161\]\]\]$/);
  assert.match(br(attr(46, u32(1, 2))), /IFLA_BR_MULTI_BOOLOPT\}, \{optval=1<<BR_BOOLOPT_NO_LL_LEARN, optmask=1<<BR_BOOLOPT_MCAST_VLAN_SNOOPING\}\]\]\]$/);
  assert.match(br(attr(46, u32(0xdeadfae8, 0)))!, /optval=0xdeadfae8 \/\* 1<<BR_BOOLOPT_\?\?\? \*\/, optmask=0\}/);
  const q = (type: number, data: Buffer): string => br(attr(47, attr(type, data)));
  assert.match(q(1, Buffer.from([93, 184, 216, 34])), /\[\{nla_len=8, nla_type=BRIDGE_QUERIER_IP_ADDRESS\}, inet_addr\("93\.184\.216\.34"\)\]\]\]\]$/);
  assert.match(q(2, u32(1)), /BRIDGE_QUERIER_IP_PORT\}, if_nametoindex\("lo"\)\]\]\]\]$/);
  assert.match(q(3, u32(100)), /BRIDGE_QUERIER_IP_OTHER_TIMER\}, 100 \/\* 1\.00 s \*\/\]\]\]\]$/);
  assert.match(q(8, Buffer.from([1])), /nla_type=0x8 \/\* BRIDGE_QUERIER_\?\?\? \*\/\}, "\\x01"\]\]\]\]$/);
  assert.match(br(attr(48, Buffer.from([1, 2]))), /nla_type=0x30 \/\* IFLA_BR_\?\?\? \*\/\}, "\\x01\\x02"\]\]\]$/);
});

test('IFLA_LINKINFO: tun data, can statistics, bridge port slave data, unknown kinds', () => {
  const tun = (a: Buffer): string => linkinfo(attr(KIND, str0('tun')), attr(DATA, a));
  assert.match(tun(attr(1, u32(0xffffffff))), /IFLA_TUN_OWNER\}, -1\]\]\]$/);
  assert.match(tun(attr(2, u32(1000))), /IFLA_TUN_GROUP\}, 1000\]\]\]$/);
  assert.match(tun(attr(3, Buffer.from([2]))), /IFLA_TUN_TYPE\}, IFF_TAP\]\]\]$/);
  assert.match(tun(attr(3, Buffer.from([3]))), /IFLA_TUN_TYPE\}, 0x3 \/\* IFF_\?\?\? \*\/\]\]\]$/);
  assert.match(tun(attr(8, u32(4))), /IFLA_TUN_NUM_QUEUES\}, 4\]\]\]$/);
  assert.equal(
    linkinfo(attr(KIND, str0('can')), attr(XSTATS, u32(1, 2, 3, 4, 5, 6))),
    '[[{nla_len=8, nla_type=IFLA_INFO_KIND}, "can"], [{nla_len=28, nla_type=IFLA_INFO_XSTATS}, {bus_error=1, error_warning=2, error_passive=3, bus_off=4, arbitration_lost=5, restarts=6}]]',
  );
  assert.match(linkinfo(attr(SLAVE_KIND, str0('bridge')), attr(SLAVE_DATA, attr(1, Buffer.from([3])))), /\[\{nla_len=5, nla_type=IFLA_BRPORT_STATE\}, 3\]\]\]$/);
  // the slave kind decides the slave data, not the link kind
  assert.match(linkinfo(attr(KIND, str0('bridge')), attr(SLAVE_DATA, attr(1, Buffer.from([3])))), /IFLA_INFO_SLAVE_DATA\}, "\\x05\\x00\\x01\\x00\\x03\\x00\\x00\\x00"\]\]$/);
  // an unknown kind, or none: the data as bytes
  assert.match(linkinfo(attr(KIND, str0('veth')), attr(DATA, u32(1))), /IFLA_INFO_DATA\}, "\\x01\\x00\\x00\\x00"\]\]$/);
  assert.match(linkinfo(attr(DATA, u32(1))), /^\[\{nla_len=8, nla_type=IFLA_INFO_DATA\}, "\\x01\\x00\\x00\\x00"\]$/);
});

test('IFLA_LINKINFO over hostile bytes: cut or overlong kinds, unreadable data, never a throw', () => {
  // the kind's nla_len runs past the nest: the walk stops there and nothing is decoded by kind
  const overlong = Buffer.concat([attr(KIND, str0('bridge')).subarray(0, 12), attr(DATA, attr(5, u32(3)))]);
  overlong.writeUInt16LE(200, 0);
  assert.match(linkinfo(overlong), /^\[\{nla_len=200, nla_type=IFLA_INFO_KIND\}, "bridge"\]$/);
  // a kind without its NUL still names the kind (bytes up to the attribute's end)
  assert.match(linkinfo(attr(KIND, Buffer.from('tun')), attr(DATA, attr(8, u32(4)))), /IFLA_TUN_NUM_QUEUES\}, 4\]\]\]$/);
  // a 64 KiB kind string is read no further than 64 bytes and matches nothing
  assert.match(linkinfo(attr(KIND, Buffer.alloc(300, 0x62)), attr(DATA, u32(1))), /IFLA_INFO_DATA\}, "\\x01\\x00\\x00\\x00"\]\]$/);
  // the data nest unreadable: its address
  const msg = nlmsg(RTM_GETLINK, 0x300, Buffer.concat([ifinfo, attr(IFLA_LINKINFO, Buffer.concat([attr(KIND, str0('bridge')), attr(DATA, attr(5, u32(3)))]))]));
  const out = attrsOf(msg, 0, msg.length - 8);
  assert.match(out, /\[\{nla_len=12, nla_type=IFLA_INFO_DATA\}, 0x[0-9a-f]+\]\]\]$/);
});
