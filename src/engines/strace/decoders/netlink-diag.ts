/**
 * NETLINK_SOCK_DIAG (include/uapi/linux/sock_diag.h, inet_diag.h, unix_diag.h, netlink_diag.h,
 * packet_diag.h, smc_diag.h): a request (NLM_F_REQUEST) or a reply structure chosen by the
 * family byte, then its attributes. TCPDIAG_GETSOCK/DCCPDIAG_GETSOCK carry the older
 * inet_diag_req.
 */
import { Ctx, flagsStr, xvalStr } from '../printer.js';
import { addr, arr, call, field, hexStr, hexstr, num, str, struct, sym, type Field, type Value } from '../value.js';
import {
  addrfams,
  ethernet_protocols,
  inet_diag_attrs,
  inet_diag_bytecodes,
  inet_diag_req_attrs,
  inet_diag_ulp_info_attrs,
  mptcp_subflow_attrs,
  mptcp_subflow_flags,
  sk_diag_bpf_storage_attrs,
  sk_diag_bpf_storage_rep_attrs,
  sk_meminfo,
  tls_cipher_types,
  tls_conf_types,
  tls_info_attrs,
  tls_versions,
  inet_protocols,
  netlink_diag_attrs,
  netlink_diag_flags,
  packet_diag_info_flags,
  tpacket_versions,
  sock_shutdown_flags,
  netlink_diag_show,
  netlink_protocols,
  netlink_states,
  nl_sock_diag_types,
  packet_diag_attrs,
  packet_diag_show,
  smc_diag_attrs,
  smc_decl_codes,
  smc_diag_modes,
  smc_link_group_roles,
  smc_states,
  socktypes,
  tcp_states,
  unix_diag_attrs,
  unix_diag_show,
} from '../xlat/tables.gen.js';
import type { Xlat } from '../xlat/xlat.js';
import { extTail, ifindexValue } from './common.js';
import { ipv4Text, ipv6Text, sockaddrValue } from './net.js';
import { bpfInsnValue } from './seccomp.js';
import {
  arrayAttr,
  bitset,
  familyStructPayload,
  fixedStrAttr,
  indexedArrayAttr,
  nested,
  rawBytes,
  registerProtocol,
  spread,
  strAttr,
  structAttr,
  tableProtocol,
  u16Attr,
  u32Attr,
  u64Attr,
  u8Attr,
  x32Attr,
  xvalAttr,
  type AttrDecoder,
  type AttrSpec,
  type Msg,
  type StructSpec,
} from './netlink.js';

const NETLINK_SOCK_DIAG = 4;
const NLM_F_REQUEST = 1;
const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;
const AF_PACKET = 17;
const AF_SMC = 43;
const NDIAG_PROTO_ALL = 255;

const TCPDIAG_GETSOCK = Number(nl_sock_diag_types.valueOf('TCPDIAG_GETSOCK'));
const DCCPDIAG_GETSOCK = Number(nl_sock_diag_types.valueOf('DCCPDIAG_GETSOCK'));

const fam = (c: Ctx, v: number): Value => c.xval(BigInt(v), addrfams, 'AF_???');
const cookie = (b: Buffer, o: number): Value => arr([num(b.readUInt32LE(o)), num(b.readUInt32LE(o + 4))]);

/** struct inet_diag_sockid (48 bytes) at `o`, addresses by `family`. */
function sockid(c: Ctx, b: Buffer, o: number, family: number): Value {
  const f: Field[] = [
    field('idiag_sport', call('htons', num(b.readUInt16BE(o)))),
    field('idiag_dport', call('htons', num(b.readUInt16BE(o + 2)))),
  ];
  for (const [k, off] of [
    ['idiag_src', o + 4],
    ['idiag_dst', o + 20],
  ] as const) {
    if (family === AF_INET) f.push(field(k, call('inet_addr', str(Buffer.from(ipv4Text(b, off))))));
    else if (family === AF_INET6) f.push({ k, v: call('inet_pton', sym('AF_INET6'), str(Buffer.from(ipv6Text(b, off))), sym(`&${k}`)), bare: true });
    else f.push(field(k, arr([0, 4, 8, 12].map((d) => sym(`htonl(${b.readUInt32BE(off + d)})`)))));
  }
  f.push(field('idiag_if', ifindexValue(c, b.readUInt32LE(o + 36))));
  f.push(field('idiag_cookie', cookie(b, o + 40)));
  return struct(f);
}

const V = (x: Xlat, n: string): number => Number(x.valueOf(n) ?? -1n);
const UNIX_ATTRS: AttrSpec = {
  types: unix_diag_attrs,
  dflt: 'UNIX_DIAG_???',
  dec: {
    [V(unix_diag_attrs, 'UNIX_DIAG_NAME')]: strAttr,
    // struct unix_diag_vfs {ino; dev}: the device as glibc's major/minor
    [V(unix_diag_attrs, 'UNIX_DIAG_VFS')]: structAttr(8, (_, b) => [
      field('udiag_vfs_dev', Ctx.makedev(BigInt(b.readUInt32LE(4)))),
      field('udiag_vfs_ino', num(b.readUInt32LE(0))),
    ]),
    [V(unix_diag_attrs, 'UNIX_DIAG_PEER')]: u32Attr,
    [V(unix_diag_attrs, 'UNIX_DIAG_ICONS')]: arrayAttr(4, (_, b) => num(b.readUInt32LE(0))),
    [V(unix_diag_attrs, 'UNIX_DIAG_RQLEN')]: structAttr(8, (_, b) => [field('udiag_rqueue', num(b.readUInt32LE(0))), field('udiag_wqueue', num(b.readUInt32LE(4)))]),
    [V(unix_diag_attrs, 'UNIX_DIAG_UID')]: u32Attr,
  },
};
const RING = structAttr(16, (_, b) =>
  ['ndr_block_size', 'ndr_block_nr', 'ndr_frame_size', 'ndr_frame_nr'].map((n, i) => field(n, num(b.readUInt32LE(i * 4)))),
);
const NETLINK_ATTRS: AttrSpec = {
  types: netlink_diag_attrs,
  dflt: 'NETLINK_DIAG_???',
  dec: {
    [V(netlink_diag_attrs, 'NETLINK_DIAG_GROUPS')]: arrayAttr(8, (_, b) => sym(`0x${b.readBigUInt64LE(0).toString(16)}`)),
    [V(netlink_diag_attrs, 'NETLINK_DIAG_RX_RING')]: RING,
    [V(netlink_diag_attrs, 'NETLINK_DIAG_TX_RING')]: RING,
    [V(netlink_diag_attrs, 'NETLINK_DIAG_FLAGS')]: xvalAttr(4, netlink_diag_flags, 'NDIAG_FLAG_???', true),
  },
};
const PACKET_RING = structAttr(28, (_, b) =>
  ['pdr_block_size', 'pdr_block_nr', 'pdr_frame_size', 'pdr_frame_nr', 'pdr_retire_tmo', 'pdr_sizeof_priv', 'pdr_features'].map((n, i) => field(n, num(b.readUInt32LE(i * 4)))),
);
const PACKET_ATTRS: AttrSpec = {
  types: packet_diag_attrs,
  dflt: 'PACKET_DIAG_???',
  dec: {
    [V(packet_diag_attrs, 'PACKET_DIAG_INFO')]: structAttr(24, (c, b) => [
      field('pdi_index', ifindexValue(c, b.readUInt32LE(0))),
      field('pdi_version', c.xval(BigInt(b.readUInt32LE(4)), tpacket_versions, 'TPACKET_???')),
      field('pdi_reserve', num(b.readUInt32LE(8))),
      field('pdi_copy_thresh', num(b.readUInt32LE(12))),
      field('pdi_tstamp', num(b.readUInt32LE(16))),
      field('pdi_flags', c.flags(BigInt(b.readUInt32LE(20)), packet_diag_info_flags, 'PDI_???')),
    ]),
    // struct packet_diag_mclist: index, count, type, alen, addr[MAX_ADDR_LEN]
    [V(packet_diag_attrs, 'PACKET_DIAG_MCLIST')]: arrayAttr(44, (c, b) => {
      const alen = b.readUInt16LE(10);
      return struct([
        field('pdmc_index', ifindexValue(c, b.readUInt32LE(0))),
        field('pdmc_count', num(b.readUInt32LE(4))),
        field('pdmc_type', num(b.readUInt16LE(8))),
        field('pdmc_alen', num(alen)),
        field('pdmc_addr', hexstr(b.subarray(12, 12 + Math.min(alen, 32)), alen > 32)),
      ]);
    }),
    [V(packet_diag_attrs, 'PACKET_DIAG_UID')]: u32Attr,
    // struct packet_diag_ring
    [V(packet_diag_attrs, 'PACKET_DIAG_RX_RING')]: PACKET_RING,
    [V(packet_diag_attrs, 'PACKET_DIAG_TX_RING')]: PACKET_RING,
    // struct sock_filter instructions
    [V(packet_diag_attrs, 'PACKET_DIAG_FILTER')]: arrayAttr(8, (c, b) => bpfInsnValue(b, false, c.o.xlat)),
  },
};

// ---- INET_DIAG_* attributes of inet_diag_msg replies (inet_diag.h, sock_diag.h, tls.h, mptcp.h) --

const I = (n: string): number => V(inet_diag_attrs, n);
const u32s = (b: Buffer, names: string[], o = 0): Field[] => names.map((n, i) => field(n, num(b.readUInt32LE(o + i * 4))));
const hex32 = (v: number): Value => sym(v ? `0x${v.toString(16)}` : '0');

/** RCV_SHUTDOWN|SEND_SHUTDOWN flags, always with the number: 0x1 /\* RCV_SHUTDOWN *\/. */
const shutdownAttr: AttrDecoder = (c, ad, len) => {
  if (len < 1) return undefined;
  const b = c.fetchAlways(ad, 1);
  return b ? sym(flagsStr(BigInt(b[0]!), sock_shutdown_flags, '???_SHUTDOWN', c.o.xlat === 'raw' ? 'raw' : 'verbose')) : addr(ad);
};

/** The bytes as one integer when they are 1, 2, 4 or 8 (a map value), in hex; else the bytes. */
const naturalHexAttr: AttrDecoder = (c, ad, len) => {
  if (![1, 2, 4, 8].includes(len)) return undefined;
  const b = c.fetchAlways(ad, len);
  if (!b) return addr(ad);
  const v = len === 8 ? b.readBigUInt64LE(0) : BigInt(b.readUIntLE(0, len));
  return sym(hexStr(v));
};

/** An array of struct sockaddr_storage (128 bytes): INET_DIAG_LOCALS / INET_DIAG_PEERS (SCTP). */
const sockaddrsAttr = arrayAttr(128, (c, _b, _i, at) => sockaddrValue(c, at, 128n));

/** struct tcp_diag_md5sig {family; prefixlen; keylen; __be32 addr[4]; key[80]}. */
const md5sigAttr = arrayAttr(100, (c, b) => {
  const family = b[0]!;
  const keylen = b.readUInt16LE(2);
  const f: Field[] = [field('tcpm_family', fam(c, family)), field('tcpm_prefixlen', num(b[1]!)), field('tcpm_keylen', num(keylen))];
  if (family === AF_INET) f.push(field('tcpm_addr', call('inet_addr', str(Buffer.from(ipv4Text(b, 4))))));
  else if (family === AF_INET6) f.push({ k: 'tcpm_addr', v: call('inet_pton', sym('AF_INET6'), str(Buffer.from(ipv6Text(b, 4))), sym('&tcpm_addr')), bare: true });
  else f.push(field('tcpm_addr', hexstr(b.subarray(4, 20))));
  f.push(field('tcpm_key', hexstr(b.subarray(20, 20 + Math.min(keylen, 80)))));
  return struct(f);
});

const SOCKOPT_BITS = ['recverr', 'is_icsk', 'freebind', 'hdrincl', 'mc_loop', 'transparent', 'mc_all', 'nodefrag', 'bind_address_no_port', 'recverr_rfc4884', 'defer_connect'];
/**
 * struct inet_diag_sockopt: two bytes of one-bit fields (the set ones print) and 5 unused bits;
 * bytes after them print only when not zero.
 */
const sockoptAttr: AttrDecoder = (c, ad, len) => {
  if (len < 2) return undefined;
  const b = c.fetchAlways(ad, 2);
  if (!b) return addr(ad);
  const bits = b.readUInt16LE(0);
  const f: Field[] = SOCKOPT_BITS.flatMap((n, i) => (bits & (1 << i) ? [field(n, num(1))] : []));
  if (bits >> 11) f.push(field('unused', sym(`0x${(bits >> 11).toString(16)} /* bits 3..8 */`)));
  const tail = extTail(c, ad, 2, BigInt(len));
  return tail ? spread([struct(f), tail.v]) : struct(f);
};

const TLS = (n: string): number => V(tls_info_attrs, n);
const TLS_ATTRS: AttrSpec = {
  types: tls_info_attrs,
  dflt: 'TLS_INFO_???',
  dec: {
    [TLS('TLS_INFO_VERSION')]: xvalAttr(2, tls_versions, 'TLS_???_VERSION'),
    [TLS('TLS_INFO_CIPHER')]: xvalAttr(2, tls_cipher_types, 'TLS_CIPHER_???'),
    [TLS('TLS_INFO_TXCONF')]: xvalAttr(2, tls_conf_types, 'TLS_CONF_???'),
    [TLS('TLS_INFO_RXCONF')]: xvalAttr(2, tls_conf_types, 'TLS_CONF_???'),
  },
};
const MP = (n: string): number => V(mptcp_subflow_attrs, n);
const MPTCP_ATTRS: AttrSpec = {
  types: mptcp_subflow_attrs,
  dflt: 'MPTCP_SUBFLOW_ATTR_???',
  dec: {
    [MP('MPTCP_SUBFLOW_ATTR_TOKEN_REM')]: x32Attr,
    [MP('MPTCP_SUBFLOW_ATTR_TOKEN_LOC')]: x32Attr,
    [MP('MPTCP_SUBFLOW_ATTR_RELWRITE_SEQ')]: u32Attr,
    [MP('MPTCP_SUBFLOW_ATTR_MAP_SEQ')]: u64Attr,
    [MP('MPTCP_SUBFLOW_ATTR_MAP_SFSEQ')]: u32Attr,
    [MP('MPTCP_SUBFLOW_ATTR_SSN_OFFSET')]: u32Attr,
    [MP('MPTCP_SUBFLOW_ATTR_MAP_DATALEN')]: u16Attr,
    [MP('MPTCP_SUBFLOW_ATTR_FLAGS')]: xvalAttr(4, mptcp_subflow_flags, 'MPTCP_SUBFLOW_FLAG_???', true),
    [MP('MPTCP_SUBFLOW_ATTR_ID_REM')]: u8Attr,
    [MP('MPTCP_SUBFLOW_ATTR_ID_LOC')]: u8Attr,
  },
};
const ULP = (n: string): number => V(inet_diag_ulp_info_attrs, n);
const ULP_ATTRS: AttrSpec = {
  types: inet_diag_ulp_info_attrs,
  dflt: 'INET_ULP_INFO_???',
  dec: {
    [ULP('INET_ULP_INFO_NAME')]: fixedStrAttr,
    [ULP('INET_ULP_INFO_TLS')]: nested(TLS_ATTRS),
    [ULP('INET_ULP_INFO_MPTCP')]: nested(MPTCP_ATTRS),
  },
};
const BS = (n: string): number => V(sk_diag_bpf_storage_attrs, n);
const BPF_STORAGE_ATTRS: AttrSpec = {
  types: sk_diag_bpf_storage_attrs,
  dflt: 'SK_DIAG_BPF_STORAGE_???',
  dec: { [BS('SK_DIAG_BPF_STORAGE_MAP_ID')]: u32Attr, [BS('SK_DIAG_BPF_STORAGE_MAP_VALUE')]: naturalHexAttr },
};
const BPF_STORAGES_ATTRS: AttrSpec = {
  types: sk_diag_bpf_storage_rep_attrs,
  dflt: 'SK_DIAG_BPF_STORAGE_???',
  dec: { [V(sk_diag_bpf_storage_rep_attrs, 'SK_DIAG_BPF_STORAGE')]: nested(BPF_STORAGE_ATTRS) },
};

const INET_ATTRS: AttrSpec = {
  types: inet_diag_attrs,
  dflt: 'INET_DIAG_???',
  dec: {
    [I('INET_DIAG_MEMINFO')]: structAttr(16, (_, b) => u32s(b, ['idiag_rmem', 'idiag_wmem', 'idiag_fmem', 'idiag_tmem'])),
    [I('INET_DIAG_VEGASINFO')]: structAttr(16, (_, b) => u32s(b, ['tcpv_enabled', 'tcpv_rttcnt', 'tcpv_rtt', 'tcpv_minrtt'])),
    [I('INET_DIAG_CONG')]: strAttr,
    [I('INET_DIAG_TOS')]: u8Attr,
    [I('INET_DIAG_TCLASS')]: u8Attr,
    [I('INET_DIAG_SKMEMINFO')]: indexedArrayAttr(4, sk_meminfo, 'SK_MEMINFO_???'),
    [I('INET_DIAG_SHUTDOWN')]: shutdownAttr,
    // struct tcp_dctcp_info {u16 enabled; u16 ce_state; u32 alpha; u32 ab_ecn; u32 ab_tot}
    [I('INET_DIAG_DCTCPINFO')]: structAttr(16, (_, b) => [
      field('dctcp_enabled', num(b.readUInt16LE(0))),
      field('dctcp_ce_state', num(b.readUInt16LE(2))),
      ...u32s(b, ['dctcp_alpha', 'dctcp_ab_ecn', 'dctcp_ab_tot'], 4),
    ]),
    [I('INET_DIAG_PROTOCOL')]: xvalAttr(1, inet_protocols, 'IPPROTO_???'),
    [I('INET_DIAG_SKV6ONLY')]: u8Attr,
    [I('INET_DIAG_LOCALS')]: sockaddrsAttr,
    [I('INET_DIAG_PEERS')]: sockaddrsAttr,
    [I('INET_DIAG_MARK')]: u32Attr,
    // struct tcp_bbr_info: the bandwidth halves in hex
    [I('INET_DIAG_BBRINFO')]: structAttr(20, (_, b) => [
      field('bbr_bw_lo', hex32(b.readUInt32LE(0))),
      field('bbr_bw_hi', hex32(b.readUInt32LE(4))),
      ...u32s(b, ['bbr_min_rtt', 'bbr_pacing_gain', 'bbr_cwnd_gain'], 8),
    ]),
    [I('INET_DIAG_CLASS_ID')]: u32Attr,
    [I('INET_DIAG_MD5SIG')]: md5sigAttr,
    [I('INET_DIAG_ULP_INFO')]: nested(ULP_ATTRS),
    [I('INET_DIAG_SK_BPF_STORAGES')]: nested(BPF_STORAGES_ATTRS),
    [I('INET_DIAG_CGROUP_ID')]: u64Attr,
    [I('INET_DIAG_SOCKOPT')]: sockoptAttr,
  },
};
/** struct inet_diag_bc_op {code; yes; no}. */
const bcOp = (c: Ctx, b: Buffer, o = 0): Value =>
  struct([
    field('code', c.xval(BigInt(b[o]!), inet_diag_bytecodes, 'INET_DIAG_BC_???')),
    field('yes', num(b[o + 1]!)),
    field('no', num(b.readUInt16LE(o + 2))),
  ]);
const BC = (n: string): number => V(inet_diag_bytecodes, n);
/** struct inet_diag_hostcond {family; prefix_len; int port; __be32 addr[]} at `ad`, `len` bytes. */
function hostcond(c: Ctx, ad: bigint, len: number): Value {
  const h = c.fetchAlways(ad, 8);
  if (!h) return addr(ad);
  const family = h[0]!;
  const f: Field[] = [field('family', fam(c, family)), field('prefix_len', num(h[1]!)), field('port', num(h.readInt32LE(4)))];
  const size = family === AF_INET ? 4 : family === AF_INET6 ? 16 : 0;
  const rest = len - 8;
  if (size && rest > 0) {
    if (rest < size) {
      const b = c.fetchAlways(ad + 8n, rest);
      f.push(field('addr', b ? hexstr(b) : addr(ad + 8n)));
    } else {
      const b = c.fetchAlways(ad + 8n, size);
      if (!b) f.push(field('addr', addr(ad + 8n)));
      else if (size === 4) f.push(field('addr', call('inet_addr', str(Buffer.from(ipv4Text(b, 0))))));
      else f.push({ k: 'addr', v: call('inet_pton', sym('AF_INET6'), str(Buffer.from(ipv6Text(b, 0))), sym('&addr')), bare: true });
    }
  }
  return struct(f);
}
/**
 * INET_DIAG_REQ_BYTECODE: the first instruction, then what its code takes (a host condition, an
 * interface, a mark, or the next instruction for the port comparisons), else the bytes.
 */
const bytecodeAttr: AttrDecoder = (c, ad, len) => {
  if (len < 4) return undefined;
  const b = c.fetchAlways(ad, 4);
  if (!b) return addr(ad);
  const op = bcOp(c, b);
  if (len === 4) return op;
  const at = ad + 4n;
  const rest = len - 4;
  const code = b[0]!;
  let v: Value;
  if ((code === BC('INET_DIAG_BC_S_COND') || code === BC('INET_DIAG_BC_D_COND')) && rest >= 8) v = hostcond(c, at, rest);
  else if (code === BC('INET_DIAG_BC_DEV_COND') && rest >= 4) {
    const d = c.fetchAlways(at, 4);
    v = d ? ifindexValue(c, d.readUInt32LE(0)) : addr(at);
  } else if (code === BC('INET_DIAG_BC_MARK_COND') && rest >= 8) {
    const d = c.fetchAlways(at, 8);
    v = d ? struct([field('mark', num(d.readUInt32LE(0))), field('mask', num(d.readUInt32LE(4)))]) : addr(at);
  } else if ([BC('INET_DIAG_BC_S_GE'), BC('INET_DIAG_BC_S_LE'), BC('INET_DIAG_BC_D_GE'), BC('INET_DIAG_BC_D_LE')].includes(code) && rest >= 4) {
    const d = c.fetchAlways(at, 4);
    v = d ? bcOp(c, d) : addr(at);
  } else v = rawBytes(c, at, rest);
  return spread([op, v]);
};
const INET_REQ_ATTRS: AttrSpec = {
  types: inet_diag_req_attrs,
  dflt: 'INET_DIAG_REQ_???',
  dec: {
    [V(inet_diag_req_attrs, 'INET_DIAG_REQ_BYTECODE')]: bytecodeAttr,
    [V(inet_diag_req_attrs, 'INET_DIAG_REQ_PROTOCOL')]: xvalAttr(4, inet_protocols, 'IPPROTO_???'),
  },
};

// ---- SMC_DIAG_* attributes of smc_diag_msg replies (smc_diag.h) -----------------------------------

/** struct smc_diag_cursor {u16 reserved; u16 wrap; u32 count} at `o`. */
const cursor = (b: Buffer, o: number): Value =>
  struct([field('reserved', num(b.readUInt16LE(o))), field('wrap', num(b.readUInt16LE(o + 2))), field('count', num(b.readUInt32LE(o + 4)))]);
const hex8 = (v: number): Value => sym(v ? `0x${v.toString(16)}` : '0');
/** A NUL-padded character array of `n` bytes at `o`. */
const charArray = (b: Buffer, o: number, n: number): Value => {
  const s = b.subarray(o, o + n);
  const z = s.indexOf(0);
  return str(z >= 0 ? s.subarray(0, z) : s);
};
const SMC = (n: string): number => V(smc_diag_attrs, n);
const declCode = (c: Ctx, v: number): Value => sym(xvalStr(BigInt(v), smc_decl_codes, 'SMC_CLC_DECL_???', c.o.xlat === 'raw' ? 'raw' : 'verbose'));
const SMC_ATTRS: AttrSpec = {
  types: smc_diag_attrs,
  dflt: 'SMC_DIAG_???',
  dec: {
    // struct smc_diag_conninfo
    [SMC('SMC_DIAG_CONNINFO')]: structAttr(76, (_, b) => [
      ...u32s(b, ['token', 'sndbuf_size', 'rmbe_size', 'peer_rmbe_size']),
      ...['rx_prod', 'rx_cons', 'tx_prod', 'tx_cons'].map((n, i) => field(n, cursor(b, 16 + i * 8))),
      ...['rx_prod_flags', 'rx_conn_state_flags', 'tx_prod_flags', 'tx_conn_state_flags'].map((n, i) => field(n, hex8(b[48 + i]!))),
      ...['tx_prep', 'tx_sent', 'tx_fin'].map((n, i) => field(n, cursor(b, 52 + i * 8))),
    ]),
    // struct smc_diag_lgrinfo {struct smc_diag_linkinfo lnk[1]; u8 role}
    [SMC('SMC_DIAG_LGRINFO')]: structAttr(147, (c, b) => [
      field(
        'lnk',
        arr([
          struct([
            field('link_id', num(b[0]!)),
            field('ibname', charArray(b, 1, 64)),
            field('ibport', num(b[65]!)),
            field('gid', charArray(b, 66, 40)),
            field('peer_gid', charArray(b, 106, 40)),
          ]),
        ]),
      ),
      field('role', c.xval(BigInt(b[146]!), smc_link_group_roles, 'SMC_???')),
    ]),
    [SMC('SMC_DIAG_SHUTDOWN')]: xvalAttr(1, sock_shutdown_flags, '???_SHUTDOWN', true),
    // struct smcd_diag_dmbinfo {u32 linkid; u64 peer_gid, my_gid, token, peer_token}
    [SMC('SMC_DIAG_DMBINFO')]: structAttr(40, (_, b) => [
      field('linkid', num(b.readUInt32LE(0))),
      ...['peer_gid', 'my_gid', 'token', 'peer_token'].map((n, i) => field(n, sym(hexStr(b.readBigUInt64LE(8 + i * 8))))),
    ]),
    // struct smc_diag_fallback {u32 reason; u32 peer_diagnosis}: SMC_CLC_DECL_* codes, with the number
    [SMC('SMC_DIAG_FALLBACK')]: structAttr(8, (c, b) => [
      field('reason', declCode(c, b.readUInt32LE(0))),
      field('peer_diagnosis', declCode(c, b.readUInt32LE(4))),
    ]),
  },
};

const S = (size: number, fields: StructSpec['fields'], attrs?: AttrSpec): StructSpec => ({ size, fields, attrs });

const UNIX_REQ = S(24, (c, b) => [
  field('sdiag_family', fam(c, b[0]!)),
  field('sdiag_protocol', num(b[1]!)),
  field('udiag_states', bitset(c, b.readUInt32LE(4), tcp_states, 'TCP_???')),
  field('udiag_ino', num(b.readUInt32LE(8))),
  field('udiag_show', c.flags(BigInt(b.readUInt32LE(12)), unix_diag_show, 'UDIAG_SHOW_???')),
  field('udiag_cookie', cookie(b, 16)),
]);
const UNIX_MSG = S(
  16,
  (c, b) => [
    field('udiag_family', fam(c, b[0]!)),
    field('udiag_type', c.xval(BigInt(b[1]!), socktypes, 'SOCK_???')),
    field('udiag_state', c.xval(BigInt(b[2]!), tcp_states, 'TCP_???')),
    field('udiag_ino', num(b.readUInt32LE(4))),
    field('udiag_cookie', cookie(b, 8)),
  ],
  UNIX_ATTRS,
);
const NETLINK_REQ = S(20, (c, b) => [
  field('sdiag_family', fam(c, b[0]!)),
  field('sdiag_protocol', b[1] === NDIAG_PROTO_ALL && c.o.xlat !== 'raw' ? sym('NDIAG_PROTO_ALL') : c.xval(BigInt(b[1]!), netlink_protocols, 'NETLINK_???')),
  field('ndiag_ino', num(b.readUInt32LE(4))),
  field('ndiag_show', c.flags(BigInt(b.readUInt32LE(8)), netlink_diag_show, 'NDIAG_SHOW_???')),
  field('ndiag_cookie', cookie(b, 12)),
]);
const NETLINK_MSG = S(
  28,
  (c, b) => [
    field('ndiag_family', fam(c, b[0]!)),
    field('ndiag_type', c.xval(BigInt(b[1]!), socktypes, 'SOCK_???')),
    field('ndiag_protocol', c.xval(BigInt(b[2]!), netlink_protocols, 'NETLINK_???')),
    field('ndiag_state', c.xval(BigInt(b[3]!), netlink_states, 'NETLINK_???')),
    field('ndiag_portid', num(b.readUInt32LE(4))),
    field('ndiag_dst_portid', num(b.readUInt32LE(8))),
    field('ndiag_dst_group', num(b.readUInt32LE(12))),
    field('ndiag_ino', num(b.readUInt32LE(16))),
    field('ndiag_cookie', cookie(b, 20)),
  ],
  NETLINK_ATTRS,
);
const PACKET_REQ = S(20, (c, b) => [
  field('sdiag_family', fam(c, b[0]!)),
  field('sdiag_protocol', sym(hexStr(BigInt(b[1]!)))),
  field('pdiag_ino', num(b.readUInt32LE(4))),
  field('pdiag_show', c.flags(BigInt(b.readUInt32LE(8)), packet_diag_show, 'PACKET_SHOW_???')),
  field('pdiag_cookie', cookie(b, 12)),
]);
const PACKET_MSG = S(
  16,
  (c, b) => [
    field('pdiag_family', fam(c, b[0]!)),
    field('pdiag_type', c.xval(BigInt(b[1]!), socktypes, 'SOCK_???')),
    field('pdiag_num', c.xval(BigInt(b.readUInt16LE(2)), ethernet_protocols, 'ETH_P_???')),
    field('pdiag_ino', num(b.readUInt32LE(4))),
    field('pdiag_cookie', cookie(b, 8)),
  ],
  PACKET_ATTRS,
);
const INET_REQ_V2 = S(
  56,
  (c, b) => [
    field('sdiag_family', fam(c, b[0]!)),
    field('sdiag_protocol', c.xval(BigInt(b[1]!), inet_protocols, 'IPPROTO_???', 'u')),
    field('idiag_ext', bitset(c, b[2]!, inet_diag_attrs, 'INET_DIAG_???', 1)),
    field('idiag_states', bitset(c, b.readUInt32LE(4), tcp_states, 'TCP_???')),
    field('id', sockid(c, b, 8, b[0]!)),
  ],
  INET_REQ_ATTRS,
);
const INET_REQ_COMPAT = S(
  60,
  (c, b) => [
    field('idiag_family', fam(c, b[0]!)),
    field('idiag_src_len', num(b[1]!)),
    field('idiag_dst_len', num(b[2]!)),
    field('idiag_ext', bitset(c, b[3]!, inet_diag_attrs, 'INET_DIAG_???', 1)),
    field('id', sockid(c, b, 4, b[0]!)),
    field('idiag_states', bitset(c, b.readUInt32LE(52), tcp_states, 'TCP_???')),
    field('idiag_dbs', num(b.readUInt32LE(56))),
  ],
  INET_REQ_ATTRS,
);
const INET_MSG = S(
  72,
  (c, b) => [
    field('idiag_family', fam(c, b[0]!)),
    field('idiag_state', c.xval(BigInt(b[1]!), tcp_states, 'TCP_???')),
    field('idiag_timer', num(b[2]!)),
    field('idiag_retrans', num(b[3]!)),
    field('id', sockid(c, b, 4, b[0]!)),
    field('idiag_expires', num(b.readUInt32LE(52))),
    field('idiag_rqueue', num(b.readUInt32LE(56))),
    field('idiag_wqueue', num(b.readUInt32LE(60))),
    field('idiag_uid', num(b.readUInt32LE(64))),
    field('idiag_inode', num(b.readUInt32LE(68))),
  ],
  INET_ATTRS,
);
const SMC_REQ = S(52, (c, b) => [
  field('diag_family', fam(c, b[0]!)),
  field('diag_ext', bitset(c, b[3]!, smc_diag_attrs, 'SMC_DIAG_???', 1)),
  field('id', sockid(c, b, 4, AF_INET)),
]);
const SMC_MSG = S(
  64,
  (c, b) => [
    field('diag_family', fam(c, b[0]!)),
    field('diag_state', c.xval(BigInt(b[1]!), smc_states, 'SMC_???')),
    field('diag_fallback', c.xval(BigInt(b[2]!), smc_diag_modes, 'SMC_DIAG_MODE_???')),
    field('diag_shutdown', num(b[3]!)),
    field('id', sockid(c, b, 4, AF_INET)),
    field('diag_uid', num(b.readUInt32LE(52))),
    field('diag_inode', num(b.readBigUInt64LE(56))),
  ],
  SMC_ATTRS,
);

/** Structures by family: [request, reply, name of the family field in each]. */
const BY_FAMILY = new Map<number, [StructSpec, string, StructSpec, string]>([
  [AF_UNIX, [UNIX_REQ, 'sdiag_family', UNIX_MSG, 'udiag_family']],
  [AF_INET, [INET_REQ_V2, 'sdiag_family', INET_MSG, 'idiag_family']],
  [AF_INET6, [INET_REQ_V2, 'sdiag_family', INET_MSG, 'idiag_family']],
  [AF_NETLINK, [NETLINK_REQ, 'sdiag_family', NETLINK_MSG, 'ndiag_family']],
  [AF_PACKET, [PACKET_REQ, 'sdiag_family', PACKET_MSG, 'pdiag_family']],
  [AF_SMC, [SMC_REQ, 'diag_family', SMC_MSG, 'diag_family']],
]);

function diagPayload(c: Ctx, m: Msg, ad: bigint, len: number): Value[] {
  const fb = c.fetchAlways(ad, 1);
  if (!fb) return [addr(ad)];
  const family = fb[0]!;
  const req = (m.flags & NLM_F_REQUEST) !== 0;
  let s: StructSpec | undefined;
  let name = '';
  if (m.type === TCPDIAG_GETSOCK || m.type === DCCPDIAG_GETSOCK) {
    if (family === AF_INET || family === AF_INET6) [s, name] = req ? [INET_REQ_COMPAT, 'idiag_family'] : [INET_MSG, 'idiag_family'];
  } else {
    const e = BY_FAMILY.get(family);
    if (e) [s, name] = req ? [e[0], e[1]] : [e[2], e[3]];
  }
  if (!s || len <= 1) {
    const f: Field[] = [field('family', fam(c, family))];
    if (len > 1) f.push(field('data', rawBytes(c, ad + 1n, len - 1)));
    return [struct(f)];
  }
  return familyStructPayload(c, ad, len, s, field(name, fam(c, family)), m.depth);
}

registerProtocol(NETLINK_SOCK_DIAG, tableProtocol(nl_sock_diag_types, 'SOCK_DIAG_???', { flagClass: () => 'get', payload: diagPayload }));
