/**
 * NETLINK_ROUTE (include/uapi/linux/rtnetlink.h and the headers of each message family): every
 * message starts with a family byte and a fixed structure (ifinfomsg, ifaddrmsg, rtmsg, ndmsg,
 * fib_rule_hdr, tcmsg, ...), followed by its attributes. Messages of types without a decoder
 * print {family=..., data="..."}.
 */
import type { Ctx } from '../printer.js';
import { addr, arr, call, field, hexStr, hexstr, num, str, struct, sym, type Field, type Value } from '../value.js';
import { ipv6Text } from './net.js';
import {
  addrfams,
  arp_hardware_types,
  dcb_attrs,
  dcb_commands,
  fib_rule_actions,
  fib_rule_flags,
  ifaddrflags,
  iffflags,
  ip_route_flags,
  neighbor_cache_entry_flags,
  nh_flags,
  nl_route_types,
  nud_states,
  routing_protocols,
  routing_scopes,
  routing_table_ids,
  routing_types,
  rtnl_addr_attrs,
  rtnl_addrlabel_attrs,
  rtnl_mdb_attrs,
  rtnl_mdb_entry_attrs,
  rtnl_mdb_entry_info_attrs,
  rtnl_mdb_router_attrs,
  rtnl_neigh_attrs,
  rtnl_neightbl_attrs,
  rtnl_neightbl_parms_attrs,
  rtnl_netconf_attrs,
  rtnl_nexthop_attrs,
  rtnl_nsid_attrs,
  rtnl_route_attrs,
  rtnl_rule_attrs,
  rtnl_tc_action_attrs,
  rtnl_tc_attrs,
  rtnl_tca_stab_attrs,
  rtnl_tca_stats_attrs,
  rtnl_ifla_stats_attrs,
  tca_act_flags,
  tca_act_hw_stats,
  inet_protocols,
  nexthop_grp_types,
  lwtunnel_encap_types,
  neighbor_cache_entry_ext_flags,
  rtnl_neigh_fdb_ext_attrs,
  fdb_notify_flags,
  igmpmsg_types,
  mdb_flags,
  mdb_router_types,
  mdb_states,
  mrt6msg_types,
  rtnl_families,
  rtnl_ip6mra_creport_attrs,
  rtnl_ipmra_creport_attrs,
  rtnl_mdb_entry_info_eattrs,
  rtnl_mdba_router_pattr_attrs,
  rtnl_nha_res_bucket_attrs,
  rtnl_nha_res_group_attrs,
  rtnl_rtax_metrics,
} from '../xlat/tables.gen.js';
import { ifindexAttr, linkAttrs } from './netlink-route-link.js';
import { IFSTATS } from './netlink-route-stats.js';
import { xlat } from '../xlat/xlat.js';
import { ifindexValue } from './common.js';
import {
  align4,
  attrs,
  inetAddrValue,
  bitset,
  clockTAttr,
  headedAttr,
  inetAddrAttr as inetAddrOf,
  familyStructPayload,
  nested,
  rawBytes,
  registerProtocol,
  arrayAttr,
  s32Attr,
  strAttr,
  structAttr,
  u16Attr,
  u32Attr,
  u64Attr,
  u8Attr,
  xvalAttr,
  type AttrDecoder,
  tableProtocol,
  type AttrSpec,
  type FlagClass,
  type Msg,
  type StructSpec,
} from './netlink.js';

const NETLINK_ROUTE = 0;
const T = (name: string): number => Number(nl_route_types.valueOf(name) ?? -1n);

// ---- attribute data ------------------------------------------------------------------------

const u32f = (b: Buffer, o: number): Value => num(b.readUInt32LE(o));
const u64f = (b: Buffer, o: number): Value => num(b.readBigUInt64LE(o));
/** Named u32/u64 fields in order (the common shape of the statistics structures). */
const u32s = (...names: string[]) => structAttr(names.length * 4, (_, b) => names.map((n, i) => field(n, u32f(b, i * 4))));
const u64s = (...names: string[]) => structAttr(names.length * 8, (_, b) => names.map((n, i) => field(n, u64f(b, i * 8))));

const NO_ADDR: AttrDecoder = () => undefined;
/** An address of the message's family: inet_addr / inet_pton, else the bytes. */
function inetAddrAttr(family: number): AttrDecoder {
  return family === AF_INET ? inetAddr4 : family === AF_INET6 ? inetAddr6 : NO_ADDR;
}
const inetAddr4 = inetAddrOf(4);
const inetAddr6 = inetAddrOf(16);
const AF_INET = 2;
const AF_INET6 = 10;
/** Attribute specs that depend on the message's address family, built once per family. */
function perFamily(make: (family: number) => AttrSpec): (b: Buffer) => AttrSpec {
  const cache = new Map<number, AttrSpec>();
  return (b) => {
    const f = b[0]!;
    let sp = cache.get(f);
    if (!sp) cache.set(f, (sp = make(f)));
    return sp;
  };
}
const A = (x: AttrSpec['types'], n: string): number => Number(x.valueOf(n) ?? -1n);

// ---- attribute tables ----------------------------------------------------------------------

const spec = (types: AttrSpec['types'], dflt: string, dec?: AttrSpec['dec']): AttrSpec => (dec ? { types, dflt, dec } : { types, dflt });

const LINK = perFamily(linkAttrs);
const ADDR = perFamily((f) =>
  spec(rtnl_addr_attrs, 'IFA_???', {
    [A(rtnl_addr_attrs, 'IFA_ADDRESS')]: inetAddrAttr(f),
    [A(rtnl_addr_attrs, 'IFA_LOCAL')]: inetAddrAttr(f),
    [A(rtnl_addr_attrs, 'IFA_LABEL')]: strAttr,
    [A(rtnl_addr_attrs, 'IFA_BROADCAST')]: inetAddrAttr(f),
    [A(rtnl_addr_attrs, 'IFA_ANYCAST')]: inetAddrAttr(f),
    [A(rtnl_addr_attrs, 'IFA_CACHEINFO')]: u32s('ifa_prefered', 'ifa_valid', 'cstamp', 'tstamp'),
    [A(rtnl_addr_attrs, 'IFA_MULTICAST')]: inetAddrAttr(f),
    [A(rtnl_addr_attrs, 'IFA_FLAGS')]: xvalAttr(4, ifaddrflags, 'IFA_F_???', true),
    [A(rtnl_addr_attrs, 'IFA_RT_PRIORITY')]: u32Attr,
    [A(rtnl_addr_attrs, 'IFA_TARGET_NETNSID')]: s32Attr,
  }),
);
/**
 * RTA_MULTIPATH: struct rtnexthop entries, each followed by route attributes up to its rtnh_len.
 * One entry prints as [{rtnexthop}, attributes], several as [[{…}, attributes], {…}, …].
 */
function multipathAttr(inner: () => AttrSpec): AttrDecoder {
  return (c, ad, len, depth) => {
    if (len < RTNH_SIZE) return undefined;
    const entries: Value[][] = [];
    const cap = c.abbrev ? c.o.strsize : 4096;
    let off = 0;
    let more = false;
    let moreAt: bigint | undefined;
    while (len - off >= RTNH_SIZE) {
      if (entries.length >= cap) {
        more = true;
        break;
      }
      const at = ad + BigInt(off);
      const b = c.fetchAlways(at, RTNH_SIZE);
      if (!b) {
        if (!entries.length) return addr(ad);
        moreAt = at;
        break;
      }
      const rl = b.readUInt16LE(0);
      const e: Value[] = [
        struct([
          field('rtnh_len', num(rl)),
          field('rtnh_flags', c.flags(BigInt(b[2]!), nh_flags, 'RTNH_F_???')),
          field('rtnh_hops', num(b[3]!)),
          field('rtnh_ifindex', ifindexValue(c, b.readInt32LE(4))),
        ]),
      ];
      const elen = Math.min(rl, len - off);
      if (elen > RTNH_SIZE) e.push(attrs(c, at + BigInt(RTNH_SIZE), elen - RTNH_SIZE, inner(), depth));
      entries.push(e);
      if (rl < RTNH_SIZE) break;
      off += align4(rl);
    }
    if (entries.length === 1 && !more && moreAt === undefined) return arr(entries[0]!);
    const a = entries.map((e) => (e.length === 1 ? e[0]! : arr(e)));
    return moreAt !== undefined ? { t: 'arr', a, moreAt } : arr(a, more);
  };
}
const RTNH_SIZE = 8;

/** RTA_VIA: struct rtvia {rtvia_family; rtvia_addr[]}. */
const viaAttr: AttrDecoder = (c, ad, len) => {
  if (len < 2) return undefined;
  const n = Math.min(len, 2 + Math.max(16, c.o.strsize));
  const b = c.fetchAlways(ad, n);
  if (!b) return addr(ad);
  const family = b.readUInt16LE(0);
  const f: Field[] = [field('rtvia_family', c.xval(BigInt(family), addrfams, 'AF_???'))];
  const rest = b.subarray(2);
  if (family === AF_INET && rest.length >= 4) f.push(field('rtvia_addr', inetAddrValue(c, rest.subarray(0, 4))));
  else if (family === AF_INET6 && rest.length >= 16) f.push({ k: 'rtvia_addr', v: call('inet_pton', sym('AF_INET6'), str(Buffer.from(ipv6Text(rest, 0))), sym('&rtvia_addr')), bare: true });
  else if (rest.length) f.push(field('rtvia_addr', hexstr(rest.subarray(0, Math.min(rest.length, c.o.strsize)), rest.length > c.o.strsize)));
  return struct(f);
};
const METRICS = spec(rtnl_rtax_metrics, 'RTAX_???');

const ROUTE = perFamily((f) => {
  const sp: AttrSpec = spec(rtnl_route_attrs, 'RTA_???', {
    [A(rtnl_route_attrs, 'RTA_DST')]: inetAddrAttr(f),
    [A(rtnl_route_attrs, 'RTA_SRC')]: inetAddrAttr(f),
    [A(rtnl_route_attrs, 'RTA_IIF')]: ifindexAttr,
    [A(rtnl_route_attrs, 'RTA_OIF')]: ifindexAttr,
    [A(rtnl_route_attrs, 'RTA_GATEWAY')]: inetAddrAttr(f),
    [A(rtnl_route_attrs, 'RTA_PRIORITY')]: u32Attr,
    [A(rtnl_route_attrs, 'RTA_PREFSRC')]: inetAddrAttr(f),
    [A(rtnl_route_attrs, 'RTA_FLOW')]: u32Attr,
    [A(rtnl_route_attrs, 'RTA_TABLE')]: xvalAttr(4, routing_table_ids, undefined),
    [A(rtnl_route_attrs, 'RTA_MARK')]: u32Attr,
    [A(rtnl_route_attrs, 'RTA_UID')]: u32Attr,
    [A(rtnl_route_attrs, 'RTA_METRICS')]: nested(METRICS),
    [A(rtnl_route_attrs, 'RTA_MULTIPATH')]: multipathAttr(() => sp),
    [A(rtnl_route_attrs, 'RTA_CACHEINFO')]: structAttr(32, (_, b) => [
      ...['rta_clntref', 'rta_lastuse', 'rta_expires', 'rta_error', 'rta_used'].map((n, i) => field(n, u32f(b, i * 4))),
      field('rta_id', sym(hexStr(BigInt(b.readUInt32LE(20))))),
      field('rta_ts', u32f(b, 24)),
      field('rta_tsage', u32f(b, 28)),
    ]),
    [A(rtnl_route_attrs, 'RTA_MFC_STATS')]: u64s('mfcs_packets', 'mfcs_bytes', 'mfcs_wrong_if'),
    [A(rtnl_route_attrs, 'RTA_VIA')]: viaAttr,
    [A(rtnl_route_attrs, 'RTA_NEWDST')]: inetAddrAttr(f),
    [A(rtnl_route_attrs, 'RTA_ENCAP_TYPE')]: xvalAttr(2, lwtunnel_encap_types, 'LWTUNNEL_ENCAP_???'),
  });
  return sp;
});
const FDB_EXT = spec(rtnl_neigh_fdb_ext_attrs, 'NFEA_???', {
  [A(rtnl_neigh_fdb_ext_attrs, 'NFEA_ACTIVITY_NOTIFY')]: xvalAttr(1, fdb_notify_flags, 'FDB_NOTIFY_???', true),
});
const NEIGH = perFamily((f) =>
  spec(rtnl_neigh_attrs, 'NDA_???', {
    [A(rtnl_neigh_attrs, 'NDA_DST')]: inetAddrAttr(f),
    [A(rtnl_neigh_attrs, 'NDA_LLADDR')]: (c, ad, len) => {
      const n = Math.min(len, c.o.strsize);
      const b = c.fetchAlways(ad, n);
      return b ? sym([...b].map((x) => x.toString(16).padStart(2, '0')).join(':')) : addr(ad);
    },
    [A(rtnl_neigh_attrs, 'NDA_CACHEINFO')]: u32s('ndm_confirmed', 'ndm_used', 'ndm_updated', 'ndm_refcnt'),
    [A(rtnl_neigh_attrs, 'NDA_PROBES')]: u32Attr,
    [A(rtnl_neigh_attrs, 'NDA_VLAN')]: u16Attr,
    [A(rtnl_neigh_attrs, 'NDA_PORT')]: (c, ad, len) => {
      if (len < 2) return undefined;
      const b = c.fetchAlways(ad, 2);
      return b ? call('htons', num(b.readUInt16BE(0))) : addr(ad);
    },
    [A(rtnl_neigh_attrs, 'NDA_VNI')]: u32Attr,
    [A(rtnl_neigh_attrs, 'NDA_IFINDEX')]: ifindexAttr,
    [A(rtnl_neigh_attrs, 'NDA_MASTER')]: ifindexAttr,
    [A(rtnl_neigh_attrs, 'NDA_LINK_NETNSID')]: u32Attr,
    [A(rtnl_neigh_attrs, 'NDA_SRC_VNI')]: u32Attr,
    [A(rtnl_neigh_attrs, 'NDA_PROTOCOL')]: xvalAttr(1, routing_protocols, 'RTPROT_???'),
    [A(rtnl_neigh_attrs, 'NDA_NH_ID')]: u32Attr,
    [A(rtnl_neigh_attrs, 'NDA_FDB_EXT_ATTRS')]: nested(FDB_EXT),
    [A(rtnl_neigh_attrs, 'NDA_NDM_STATE_MASK')]: xvalAttr(2, nud_states, 'NUD_???', true),
    [A(rtnl_neigh_attrs, 'NDA_NDM_FLAGS_MASK')]: xvalAttr(1, neighbor_cache_entry_flags, 'NTF_???', true),
    [A(rtnl_neigh_attrs, 'NDA_FLAGS_EXT')]: xvalAttr(4, neighbor_cache_entry_ext_flags, 'NTF_EXT_???', true),
  }),
);
const RULE = perFamily((f) =>
  spec(rtnl_rule_attrs, 'FRA_???', {
    [A(rtnl_rule_attrs, 'FRA_DST')]: inetAddrAttr(f),
    [A(rtnl_rule_attrs, 'FRA_SRC')]: inetAddrAttr(f),
    [A(rtnl_rule_attrs, 'FRA_IIFNAME')]: strAttr,
    [A(rtnl_rule_attrs, 'FRA_OIFNAME')]: strAttr,
    [A(rtnl_rule_attrs, 'FRA_PRIORITY')]: u32Attr,
    [A(rtnl_rule_attrs, 'FRA_FWMARK')]: u32Attr,
    [A(rtnl_rule_attrs, 'FRA_FLOW')]: u32Attr,
    [A(rtnl_rule_attrs, 'FRA_SUPPRESS_PREFIXLEN')]: s32Attr,
    [A(rtnl_rule_attrs, 'FRA_SUPPRESS_IFGROUP')]: u32Attr,
    [A(rtnl_rule_attrs, 'FRA_TABLE')]: xvalAttr(4, routing_table_ids, undefined),
    [A(rtnl_rule_attrs, 'FRA_FWMASK')]: u32Attr,
    [A(rtnl_rule_attrs, 'FRA_GOTO')]: u32Attr,
    [A(rtnl_rule_attrs, 'FRA_L3MDEV')]: u8Attr,
    [A(rtnl_rule_attrs, 'FRA_UID_RANGE')]: u32s('start', 'end'),
    [A(rtnl_rule_attrs, 'FRA_SPORT_RANGE')]: structAttr(4, (_, b) => [field('start', num(b.readUInt16LE(0))), field('end', num(b.readUInt16LE(2)))]),
    [A(rtnl_rule_attrs, 'FRA_DPORT_RANGE')]: structAttr(4, (_, b) => [field('start', num(b.readUInt16LE(0))), field('end', num(b.readUInt16LE(2)))]),
    [A(rtnl_rule_attrs, 'FRA_PROTOCOL')]: xvalAttr(1, routing_protocols, 'RTPROT_???'),
    [A(rtnl_rule_attrs, 'FRA_IP_PROTO')]: xvalAttr(1, inet_protocols, 'IPPROTO_???'),
    [A(rtnl_rule_attrs, 'FRA_TUN_ID')]: (c, ad, len) => {
      if (len < 8) return undefined;
      const b = c.fetchAlways(ad, 8);
      return b ? call('htobe64', num(b.readBigUInt64BE(0))) : addr(ad);
    },
  }),
);
const STATS = spec(rtnl_tca_stats_attrs, 'TCA_STATS_???', {
  [A(rtnl_tca_stats_attrs, 'TCA_STATS_BASIC')]: structAttr(12, (_, b) => [field('bytes', u64f(b, 0)), field('packets', u32f(b, 8))]),
  [A(rtnl_tca_stats_attrs, 'TCA_STATS_RATE_EST')]: u32s('bps', 'pps'),
  [A(rtnl_tca_stats_attrs, 'TCA_STATS_QUEUE')]: u32s('qlen', 'backlog', 'drops', 'requeues', 'overlimits'),
  [A(rtnl_tca_stats_attrs, 'TCA_STATS_RATE_EST64')]: u64s('bps', 'pps'),
  [A(rtnl_tca_stats_attrs, 'TCA_STATS_PKT64')]: u64Attr,
});
const STAB = spec(rtnl_tca_stab_attrs, 'TCA_STAB_???', {
  [A(rtnl_tca_stab_attrs, 'TCA_STAB_BASE')]: structAttr(24, (_, b) => [
    field('cell_log', num(b[0]!)),
    field('size_log', num(b[1]!)),
    field('cell_align', num(b.readInt16LE(2))),
    field('overhead', num(b.readInt32LE(4))),
    field('linklayer', u32f(b, 8)),
    field('mpu', u32f(b, 12)),
    field('mtu', u32f(b, 16)),
    field('tsize', u32f(b, 20)),
  ]),
  [A(rtnl_tca_stab_attrs, 'TCA_STAB_DATA')]: arrayAttr(2, (_, b) => num(b.readUInt16LE(0))),
});
const TC = spec(rtnl_tc_attrs, 'TCA_???', {
  [Number(rtnl_tc_attrs.valueOf('TCA_KIND'))]: strAttr,
  [A(rtnl_tc_attrs, 'TCA_STATS')]: structAttr(36, (_, b) => [
    field('bytes', u64f(b, 0)),
    ...['packets', 'drops', 'overlimits', 'bps', 'pps', 'qlen', 'backlog'].map((n, i) => field(n, u32f(b, 8 + i * 4))),
  ]),
  [A(rtnl_tc_attrs, 'TCA_RATE')]: structAttr(2, (_, b) => [field('interval', num(b.readInt8(0))), field('ewma_log', num(b[1]!))]),
  [Number(rtnl_tc_attrs.valueOf('TCA_STATS2'))]: nested(STATS),
  [Number(rtnl_tc_attrs.valueOf('TCA_STAB'))]: nested(STAB),
  [Number(rtnl_tc_attrs.valueOf('TCA_CHAIN'))]: u32Attr,
});
const TC_ACTION = spec(rtnl_tc_action_attrs, 'TCA_ACT_???', {
  [A(rtnl_tc_action_attrs, 'TCA_ACT_KIND')]: strAttr,
  [A(rtnl_tc_action_attrs, 'TCA_ACT_INDEX')]: u32Attr,
  [A(rtnl_tc_action_attrs, 'TCA_ACT_FLAGS')]: xvalAttr(4, tca_act_flags, 'TCA_ACT_FLAGS_???', true),
  [A(rtnl_tc_action_attrs, 'TCA_ACT_HW_STATS')]: xvalAttr(4, tca_act_hw_stats, 'TCA_ACT_HW_STATS_???', true),
  [A(rtnl_tc_action_attrs, 'TCA_ACT_USED_HW_STATS')]: xvalAttr(4, tca_act_hw_stats, 'TCA_ACT_HW_STATS_???', true),
  [A(rtnl_tc_action_attrs, 'TCA_ACT_IN_HW_COUNT')]: u32Attr,
});
const NEIGHTBL_PARMS = spec(rtnl_neightbl_parms_attrs, 'NDTPA_???');
const NEIGHTBL = spec(rtnl_neightbl_attrs, 'NDTA_???', {
  [A(rtnl_neightbl_attrs, 'NDTA_NAME')]: strAttr,
  [A(rtnl_neightbl_attrs, 'NDTA_THRESH1')]: u32Attr,
  [A(rtnl_neightbl_attrs, 'NDTA_THRESH2')]: u32Attr,
  [A(rtnl_neightbl_attrs, 'NDTA_THRESH3')]: u32Attr,
  [A(rtnl_neightbl_attrs, 'NDTA_CONFIG')]: structAttr(32, (_, b) => [
    field('ndtc_key_len', num(b.readUInt16LE(0))),
    field('ndtc_entry_size', num(b.readUInt16LE(2))),
    ...['ndtc_entries', 'ndtc_last_flush', 'ndtc_last_rand', 'ndtc_hash_rnd'].map((n, i) => field(n, u32f(b, 4 + i * 4))),
    field('ndtc_hash_mask', sym(hexStr(BigInt(b.readUInt32LE(20))))),
    field('ndtc_hash_chain_gc', u32f(b, 24)),
    field('ndtc_proxy_qlen', u32f(b, 28)),
  ]),
  [A(rtnl_neightbl_attrs, 'NDTA_STATS')]: u64s(
    'ndts_allocs',
    'ndts_destroys',
    'ndts_hash_grows',
    'ndts_res_failed',
    'ndts_lookups',
    'ndts_hits',
    'ndts_rcv_probes_mcast',
    'ndts_rcv_probes_ucast',
    'ndts_periodic_gc_runs',
    'ndts_forced_gc_runs',
    'ndts_table_fulls',
  ),
  [Number(rtnl_neightbl_attrs.valueOf('NDTA_PARMS'))]: nested(NEIGHTBL_PARMS),
});
const ADDRLABEL = spec(rtnl_addrlabel_attrs, 'IFAL_???');
const DCB = spec(dcb_attrs, 'DCB_ATTR_???');
const NETCONF = spec(rtnl_netconf_attrs, 'NETCONFA_???');
const MDB_EATTRS = spec(rtnl_mdb_entry_info_eattrs, 'MDBA_MDB_EATTR_???', {
  [A(rtnl_mdb_entry_info_eattrs, 'MDBA_MDB_EATTR_TIMER')]: clockTAttr,
});
/** struct br_mdb_entry (if_bridge.h), 26 bytes padded to 28 before its attributes. */
const BR_MDB_ENTRY_SIZE = 28;
const brMdbEntry = (c: Ctx, b: Buffer): Value =>
  struct([
    field('ifindex', ifindexValue(c, b.readUInt32LE(0))),
    field('state', c.xval(BigInt(b[4]!), mdb_states, 'MDB_???')),
    field('flags', c.flags(BigInt(b[5]!), mdb_flags, 'MDB_FLAGS_???')),
    field('vid', num(b.readUInt16LE(6))),
    field(
      'addr',
      struct([field('u', hexstr(b.subarray(8, 24))), field('proto', call('htons', c.xval(BigInt(b.readUInt16BE(24)), addrfams, 'AF_???')))]),
    ),
  ]);
const MDB_ENTRY_INFO = spec(rtnl_mdb_entry_info_attrs, 'MDBA_MDB_ENTRY_???', {
  [A(rtnl_mdb_entry_info_attrs, 'MDBA_MDB_ENTRY_INFO')]: headedAttr(BR_MDB_ENTRY_SIZE, brMdbEntry, MDB_EATTRS),
});
const MDB_ENTRY = spec(rtnl_mdb_entry_attrs, 'MDBA_MDB_???', { 1: nested(MDB_ENTRY_INFO) });
const MDB_ROUTER_PATTRS = spec(rtnl_mdba_router_pattr_attrs, 'MDBA_ROUTER_PATTR_???', {
  [A(rtnl_mdba_router_pattr_attrs, 'MDBA_ROUTER_PATTR_TIMER')]: clockTAttr,
  [A(rtnl_mdba_router_pattr_attrs, 'MDBA_ROUTER_PATTR_TYPE')]: xvalAttr(1, mdb_router_types, 'MDB_RTR_TYPE_???'),
  [A(rtnl_mdba_router_pattr_attrs, 'MDBA_ROUTER_PATTR_INET_TIMER')]: clockTAttr,
  [A(rtnl_mdba_router_pattr_attrs, 'MDBA_ROUTER_PATTR_INET6_TIMER')]: clockTAttr,
  [A(rtnl_mdba_router_pattr_attrs, 'MDBA_ROUTER_PATTR_VID')]: u16Attr,
});
const MDB_ROUTER = spec(rtnl_mdb_router_attrs, 'MDBA_ROUTER_???', {
  [A(rtnl_mdb_router_attrs, 'MDBA_ROUTER_PORT')]: headedAttr(4, (c, b) => ifindexValue(c, b.readUInt32LE(0)), MDB_ROUTER_PATTRS),
});
const MDB = spec(rtnl_mdb_attrs, 'MDBA_???', { 1: nested(MDB_ENTRY), 2: nested(MDB_ROUTER) });
const NSID = spec(rtnl_nsid_attrs, 'NETNSA_???');
const NHA_RES_GROUP = spec(rtnl_nha_res_group_attrs, 'NHA_RES_GROUP_???', {
  [A(rtnl_nha_res_group_attrs, 'NHA_RES_GROUP_BUCKETS')]: u16Attr,
  [A(rtnl_nha_res_group_attrs, 'NHA_RES_GROUP_IDLE_TIMER')]: clockTAttr,
  [A(rtnl_nha_res_group_attrs, 'NHA_RES_GROUP_UNBALANCED_TIMER')]: clockTAttr,
  [A(rtnl_nha_res_group_attrs, 'NHA_RES_GROUP_UNBALANCED_TIME')]: clockTAttr,
});
const NHA_RES_BUCKET = spec(rtnl_nha_res_bucket_attrs, 'NHA_RES_BUCKET_???', {
  [A(rtnl_nha_res_bucket_attrs, 'NHA_RES_BUCKET_INDEX')]: u16Attr,
  [A(rtnl_nha_res_bucket_attrs, 'NHA_RES_BUCKET_IDLE_TIME')]: clockTAttr,
  [A(rtnl_nha_res_bucket_attrs, 'NHA_RES_BUCKET_NH_ID')]: u32Attr,
});
const NEXTHOP = perFamily((f) =>
  spec(rtnl_nexthop_attrs, 'NHA_???', {
    [A(rtnl_nexthop_attrs, 'NHA_ID')]: u32Attr,
    [A(rtnl_nexthop_attrs, 'NHA_GROUP')]: arrayAttr(8, (_, b) => {
      const fl: Field[] = [field('id', u32f(b, 0)), field('weight', num(b[4]!))];
      if (b[5]) fl.push(field('resvd1', sym(hexStr(BigInt(b[5]!)))));
      if (b.readUInt16LE(6)) fl.push(field('resvd2', sym(hexStr(BigInt(b.readUInt16LE(6))))));
      return struct(fl);
    }),
    [A(rtnl_nexthop_attrs, 'NHA_GROUP_TYPE')]: xvalAttr(2, nexthop_grp_types, 'NEXTHOP_GRP_TYPE_???'),
    [A(rtnl_nexthop_attrs, 'NHA_BLACKHOLE')]: u32Attr,
    [A(rtnl_nexthop_attrs, 'NHA_OIF')]: ifindexAttr,
    [A(rtnl_nexthop_attrs, 'NHA_GATEWAY')]: inetAddrAttr(f),
    [A(rtnl_nexthop_attrs, 'NHA_ENCAP_TYPE')]: xvalAttr(2, lwtunnel_encap_types, 'LWTUNNEL_ENCAP_???'),
    [A(rtnl_nexthop_attrs, 'NHA_GROUPS')]: u32Attr,
    [A(rtnl_nexthop_attrs, 'NHA_MASTER')]: ifindexAttr,
    [A(rtnl_nexthop_attrs, 'NHA_FDB')]: u32Attr,
    [A(rtnl_nexthop_attrs, 'NHA_RES_GROUP')]: nested(NHA_RES_GROUP),
    [A(rtnl_nexthop_attrs, 'NHA_RES_BUCKET')]: nested(NHA_RES_BUCKET),
  }),
);

// ---- fixed structures ----------------------------------------------------------------------

type FieldsFn = (c: Ctx, b: Buffer) => Field[];
interface RouteStruct extends StructSpec {
  readonly familyField: string;
}
const fam = (c: Ctx, b: Buffer): Value => c.xval(BigInt(b[0]!), addrfams, 'AF_???');
const u8 = (b: Buffer, o: number): Value => num(b[o]!);
const mk = (familyField: string, size: number, rest: FieldsFn, attrs?: StructSpec['attrs']): RouteStruct => ({
  familyField,
  size,
  attrs,
  fields: (c, b) => [field(familyField, fam(c, b)), ...rest(c, b)],
});

const IFINFOMSG = mk(
  'ifi_family',
  16,
  (c, b) => [
    field('ifi_type', c.xval(BigInt(b.readUInt16LE(2)), arp_hardware_types, 'ARPHRD_???')),
    field('ifi_index', ifindexValue(c, b.readInt32LE(4))),
    field('ifi_flags', c.flags(BigInt(b.readUInt32LE(8)), iffflags, 'IFF_???')),
    field('ifi_change', sym(hexStr(BigInt(b.readUInt32LE(12))))),
  ],
  LINK,
);
const IFADDRMSG = mk(
  'ifa_family',
  8,
  (c, b) => [
    field('ifa_prefixlen', u8(b, 1)),
    field('ifa_flags', c.flags(BigInt(b[2]!), ifaddrflags, 'IFA_F_???')),
    field('ifa_scope', c.xval(BigInt(b[3]!), routing_scopes, undefined, 'u')),
    field('ifa_index', ifindexValue(c, b.readUInt32LE(4))),
  ],
  ADDR,
);
const tos = (c: Ctx, v: number): Value => c.flags(BigInt(v), ip_tos, 'IPTOS_TOS???');
const ip_tos = xlat('ip_type_of_services', [
  [0x10n, 'IPTOS_LOWDELAY'],
  [0x08n, 'IPTOS_THROUGHPUT'],
  [0x04n, 'IPTOS_RELIABILITY'],
  [0x02n, 'IPTOS_MINCOST'],
]);
const RTMSG = mk(
  'rtm_family',
  12,
  (c, b) => [
    field('rtm_dst_len', u8(b, 1)),
    field('rtm_src_len', u8(b, 2)),
    field('rtm_tos', tos(c, b[3]!)),
    field('rtm_table', c.xval(BigInt(b[4]!), routing_table_ids, undefined, 'u')),
    field('rtm_protocol', c.xval(BigInt(b[5]!), routing_protocols, undefined, 'u')),
    field('rtm_scope', c.xval(BigInt(b[6]!), routing_scopes, undefined, 'u')),
    field('rtm_type', c.xval(BigInt(b[7]!), routing_types, undefined, 'u')),
    field('rtm_flags', c.flags(BigInt(b.readUInt32LE(8)), ip_route_flags, 'RTM_F_???')),
  ],
  ROUTE,
);
const NDMSG = mk(
  'ndm_family',
  12,
  (c, b) => [
    field('ndm_ifindex', ifindexValue(c, b.readInt32LE(4))),
    field('ndm_state', c.flags(BigInt(b.readUInt16LE(8)), nud_states, 'NUD_???')),
    field('ndm_flags', c.flags(BigInt(b[10]!), neighbor_cache_entry_flags, 'NTF_???')),
    field('ndm_type', c.xval(BigInt(b[11]!), routing_types, 'RTN_???')),
  ],
  NEIGH,
);
const FIB_RULE_HDR = mk(
  'family',
  12,
  (c, b) => [
    field('dst_len', u8(b, 1)),
    field('src_len', u8(b, 2)),
    field('tos', tos(c, b[3]!)),
    field('table', c.xval(BigInt(b[4]!), routing_table_ids, undefined, 'u')),
    field('action', c.xval(BigInt(b[7]!), fib_rule_actions, 'FR_ACT_???')),
    field('flags', c.flags(BigInt(b.readUInt32LE(8)), fib_rule_flags, 'FIB_RULE_???')),
  ],
  RULE,
);
const TCMSG = mk(
  'tcm_family',
  20,
  (c, b) => [
    field('tcm_ifindex', ifindexValue(c, b.readInt32LE(4))),
    field('tcm_handle', num(b.readUInt32LE(8))),
    field('tcm_parent', num(b.readUInt32LE(12))),
    field('tcm_info', num(b.readUInt32LE(16))),
  ],
  TC,
);
const TCAMSG = mk('tca_family', 4, () => [], TC_ACTION);
const NDTMSG = mk('ndtm_family', 4, () => [], NEIGHTBL);
const IFADDRLBLMSG = mk(
  'ifal_family',
  12,
  (c, b) => [
    field('ifal_prefixlen', u8(b, 2)),
    field('ifal_flags', u8(b, 3)),
    field('ifal_index', ifindexValue(c, b.readUInt32LE(4))),
    field('ifal_seq', num(b.readUInt32LE(8))),
  ],
  ADDRLABEL,
);
const DCBMSG = mk('dcb_family', 4, (c, b) => [field('cmd', c.xval(BigInt(b[1]!), dcb_commands, 'DCB_CMD_???'))], DCB);
const NETCONFMSG = mk('ncm_family', 1, () => [], NETCONF);
const BR_PORT_MSG = mk('family', 8, (c, b) => [field('ifindex', ifindexValue(c, b.readUInt32LE(4)))], MDB);
const RTGENMSG_NSID = mk('rtgen_family', 1, () => [], NSID);
/** RTM_NEWCACHEREPORT: rtgen_family is an AF_* or RTNL_FAMILY_IPMR/IP6MR, naming the attributes. */
const rtnlFamilies = xlat('rtnl_families_all', () => [...addrfams.entries, ...rtnl_families.entries]);
const CREPORT4 = spec(rtnl_ipmra_creport_attrs, 'IPMRA_CREPORT_???', {
  [A(rtnl_ipmra_creport_attrs, 'IPMRA_CREPORT_MSGTYPE')]: xvalAttr(1, igmpmsg_types, 'IGMPMSG_???'),
  [A(rtnl_ipmra_creport_attrs, 'IPMRA_CREPORT_VIF_ID')]: u32Attr,
  [A(rtnl_ipmra_creport_attrs, 'IPMRA_CREPORT_SRC_ADDR')]: inetAddr4,
  [A(rtnl_ipmra_creport_attrs, 'IPMRA_CREPORT_DST_ADDR')]: inetAddr4,
  [A(rtnl_ipmra_creport_attrs, 'IPMRA_CREPORT_TABLE')]: u32Attr,
});
const CREPORT6 = spec(rtnl_ip6mra_creport_attrs, 'IP6MRA_CREPORT_???', {
  [A(rtnl_ip6mra_creport_attrs, 'IP6MRA_CREPORT_MSGTYPE')]: xvalAttr(1, mrt6msg_types, 'MRT6MSG_???'),
  [A(rtnl_ip6mra_creport_attrs, 'IP6MRA_CREPORT_MIF_ID')]: u32Attr,
  [A(rtnl_ip6mra_creport_attrs, 'IP6MRA_CREPORT_SRC_ADDR')]: inetAddr6,
  [A(rtnl_ip6mra_creport_attrs, 'IP6MRA_CREPORT_DST_ADDR')]: inetAddr6,
});
const RTNL_FAMILY_IPMR = Number(rtnl_families.valueOf('RTNL_FAMILY_IPMR'));
const RTNL_FAMILY_IP6MR = Number(rtnl_families.valueOf('RTNL_FAMILY_IP6MR'));
const RTGENMSG_CACHEREPORT: RouteStruct = {
  familyField: 'rtgen_family',
  size: 1,
  fields: (c, b) => [field('rtgen_family', c.xval(BigInt(b[0]!), rtnlFamilies, 'RTNL_FAMILY_???'))],
  attrs: (b) => (b[0] === RTNL_FAMILY_IPMR ? CREPORT4 : b[0] === RTNL_FAMILY_IP6MR ? CREPORT6 : undefined),
};
/** Padding prints only when not zero. */
const pad = (k: string, v: number): Field[] => (v ? [field(k, sym(hexStr(BigInt(v))))] : []);
const IF_STATS_MSG = mk(
  'family',
  12,
  (c, b) => [
    ...pad('pad1', b[1]!),
    ...pad('pad2', b.readUInt16LE(2)),
    field('ifindex', ifindexValue(c, b.readUInt32LE(4))),
    field('filter_mask', bitset(c, b.readUInt32LE(8), rtnl_ifla_stats_attrs, 'IFLA_STATS_???')),
  ],
  IFSTATS,
);
const NHMSG = mk(
  'nh_family',
  8,
  (c, b) => [
    field('nh_scope', c.xval(BigInt(b[1]!), routing_scopes)),
    field('nh_protocol', c.xval(BigInt(b[2]!), routing_protocols, 'RTPROT_???')),
    ...pad('resvd', b[3]!),
    field('nh_flags', c.flags(BigInt(b.readUInt32LE(4)), nh_flags, 'RTNH_F_???')),
  ],
  NEXTHOP,
);

const STRUCTS = new Map<number, RouteStruct>();
const by = (s: RouteStruct, ...names: string[]): void => {
  for (const n of names) if (T(n) >= 0) STRUCTS.set(T(n), s);
};
by(IFINFOMSG, 'RTM_NEWLINK', 'RTM_DELLINK', 'RTM_GETLINK', 'RTM_SETLINK');
by(IFADDRMSG, 'RTM_NEWADDR', 'RTM_DELADDR', 'RTM_GETADDR', 'RTM_GETMULTICAST', 'RTM_GETANYCAST');
by(RTMSG, 'RTM_NEWROUTE', 'RTM_DELROUTE', 'RTM_GETROUTE');
by(NDMSG, 'RTM_NEWNEIGH', 'RTM_DELNEIGH', 'RTM_GETNEIGH');
by(FIB_RULE_HDR, 'RTM_NEWRULE', 'RTM_DELRULE', 'RTM_GETRULE');
by(TCMSG, 'RTM_NEWQDISC', 'RTM_DELQDISC', 'RTM_GETQDISC', 'RTM_NEWTCLASS', 'RTM_DELTCLASS', 'RTM_GETTCLASS');
by(TCMSG, 'RTM_NEWTFILTER', 'RTM_DELTFILTER', 'RTM_GETTFILTER', 'RTM_NEWCHAIN', 'RTM_DELCHAIN', 'RTM_GETCHAIN');
by(TCAMSG, 'RTM_NEWACTION', 'RTM_DELACTION', 'RTM_GETACTION');
by(NDTMSG, 'RTM_NEWNEIGHTBL', 'RTM_GETNEIGHTBL', 'RTM_SETNEIGHTBL');
by(IFADDRLBLMSG, 'RTM_NEWADDRLABEL', 'RTM_DELADDRLABEL', 'RTM_GETADDRLABEL');
by(DCBMSG, 'RTM_GETDCB', 'RTM_SETDCB');
by(NETCONFMSG, 'RTM_NEWNETCONF', 'RTM_DELNETCONF', 'RTM_GETNETCONF');
by(BR_PORT_MSG, 'RTM_NEWMDB', 'RTM_DELMDB', 'RTM_GETMDB');
by(RTGENMSG_NSID, 'RTM_NEWNSID', 'RTM_DELNSID', 'RTM_GETNSID');
by(IF_STATS_MSG, 'RTM_NEWSTATS', 'RTM_GETSTATS');
by(RTGENMSG_CACHEREPORT, 'RTM_NEWCACHEREPORT');
by(NHMSG, 'RTM_NEWNEXTHOP', 'RTM_DELNEXTHOP', 'RTM_GETNEXTHOP');

function routePayload(c: Ctx, m: Msg, ad: bigint, len: number): Value[] {
  const fb = c.fetchAlways(ad, 1);
  if (!fb) return [addr(ad)];
  const s = STRUCTS.get(m.type);
  if (!s) {
    // No structure known for this type: the family, then the rest of the bytes.
    const f: Field[] = [field('family', fam(c, fb))];
    if (len > 1) f.push(field('data', rawBytes(c, ad + 1n, len - 1)));
    return [struct(f)];
  }
  return familyStructPayload(c, ad, len, s, field(s.familyField, fam(c, fb)), m.depth);
}

const RTM_DELACTION = T('RTM_DELACTION');
function routeFlagClass(type: number): FlagClass {
  if (type === RTM_DELACTION) return 'get';
  if (nl_route_types.lookup(BigInt(type)) === undefined) return undefined;
  return (['new', 'del', 'get', undefined] as const)[type & 3];
}

registerProtocol(NETLINK_ROUTE, tableProtocol(nl_route_types, 'RTM_???', { flagClass: routeFlagClass, payload: routePayload }));
