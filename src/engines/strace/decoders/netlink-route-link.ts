/**
 * The attributes of RTM_*LINK messages (struct ifinfomsg, include/uapi/linux/if_link.h): IFLA_*
 * and the nests inside them. Some depend on the message's ifi_family: IFLA_PROTINFO holds bridge
 * port attributes (IFLA_BRPORT_*) for AF_BRIDGE and IPv6 ones (IFLA_INET6_*) for AF_INET6.
 */
import type { Ctx } from '../printer.js';
import { uidValue } from './file.js';
import { addr, arr, call, cmt, field, hexStr, hexstr, num, struct, sym, type Field, type Value } from '../value.js';
import {
  in6_addr_gen_mode,
  inet6_devconf_indices,
  inet6_if_flags,
  rtnl_ifla_brport_attrs,
  rtnl_ifla_inet6_attrs,
  rtnl_ifla_port_attrs,
  rtnl_ifla_proto_down_reason_attrs,
  rtnl_link_attrs,
  snmp_icmp6_stats,
  snmp_ip_stats,
  ethernet_protocols,
  rtnl_ifla_events,
  rtnl_ifla_ext_filter,
  rtnl_ifla_info_attrs,
  rtnl_ifla_vf_info_attrs,
  rtnl_ifla_vf_link_states,
  rtnl_ifla_vf_port_attrs,
  rtnl_ifla_vf_stats_attrs,
  rtnl_ifla_vf_vlan_list_attrs,
  rtnl_ifla_vfinfo_list_attrs,
  rtnl_ifla_xdp_attrs,
  xdp_attached_types,
  xdp_flags,
  addrfams,
  bridge_flags,
  bridge_modes,
  bridge_vlan_info_flags,
  inet_devconf_indices,
  rtnl_ifla_bridge_attrs,
  rtnl_ifla_bridge_vlan_tunnel_attrs,
  rtnl_ifla_inet_attrs,
  rtnl_ifla_mctp_attrs,
  br_boolopts,
  rtnl_ifla_br_attrs,
  rtnl_ifla_br_mcast_querier_attrs,
  rtnl_ifla_tun_attrs,
  tun_device_types,
} from '../xlat/tables.gen.js';
import { ifindexValue } from './common.js';
import {
  attrs,
  bitset,
  structTailAttr,
  clockTAttr,
  fdAttr,
  fixedStrAttr,
  u64Attr,
  x16Attr,
  indexedArrayAttr,
  inetAddrAttr,
  nested,
  s32Attr,
  strAttr,
  structAttr,
  u16Attr,
  u32Attr,
  u8Attr,
  x32Attr,
  xvalAttr,
  type AttrDecoder,
  type AttrSpec,
} from './netlink.js';

const AF_INET6 = 10;
const AF_BRIDGE = 7;
const A = (x: AttrSpec['types'], n: string): number => Number(x.valueOf(n) ?? -1n);
const spec = (types: AttrSpec['types'], dflt: string, dec?: AttrSpec['dec']): AttrSpec => (dec ? { types, dflt, dec } : { types, dflt });
const u32f = (b: Buffer, o: number): Value => num(b.readUInt32LE(o));

export const ifindexAttr: AttrDecoder = (c, ad, len) => {
  if (len < 4) return undefined;
  const b = c.fetchAlways(ad, 4);
  return b ? ifindexValue(c, b.readUInt32LE(0)) : addr(ad);
};

/** Bytes as aa:bb:cc (a hardware address). */
const macText = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
/** A hardware address: aa:bb:cc, with -X raw the bytes, with -X verbose both. */
function macValue(c: Ctx, b: Buffer): Value {
  if (c.o.xlat === 'abbrev') return sym(macText(b));
  return c.o.xlat === 'raw' ? hexstr(b) : cmt(hexstr(b), macText(b));
}

// ---- IFLA_PROTINFO for AF_BRIDGE: struct ifla_bridge_id and the IFLA_BRPORT_* attributes -------

/** struct ifla_bridge_id {u8 prio[2]; u8 addr[6]}. */
const bridgeIdAttr = structAttr(8, (c, b): Field[] => [field('prio', arr([num(b[0]!), num(b[1]!)])), field('addr', macValue(c, b.subarray(2, 8)))]);

const BR = (n: string): number => A(rtnl_ifla_brport_attrs, n);
const brportDec: Record<number, AttrDecoder> = {};
for (const n of ['STATE', 'MODE', 'GUARD', 'PROTECT', 'FAST_LEAVE', 'LEARNING', 'UNICAST_FLOOD', 'PROXYARP', 'LEARNING_SYNC', 'PROXYARP_WIFI']) brportDec[BR(`IFLA_BRPORT_${n}`)] = u8Attr;
for (const n of ['TOPOLOGY_CHANGE_ACK', 'CONFIG_PENDING', 'MULTICAST_ROUTER', 'MCAST_FLOOD', 'MCAST_TO_UCAST', 'VLAN_TUNNEL', 'BCAST_FLOOD', 'NEIGH_SUPPRESS', 'ISOLATED', 'MRP_RING_OPEN', 'MRP_IN_OPEN', 'LOCKED'])
  brportDec[BR(`IFLA_BRPORT_${n}`)] = u8Attr;
for (const n of ['PRIORITY', 'DESIGNATED_PORT', 'DESIGNATED_COST', 'ID', 'NO']) brportDec[BR(`IFLA_BRPORT_${n}`)] = u16Attr;
brportDec[BR('IFLA_BRPORT_GROUP_FWD_MASK')] = x16Attr;
for (const n of ['COST', 'MCAST_EHT_HOSTS_LIMIT', 'MCAST_EHT_HOSTS_CNT']) brportDec[BR(`IFLA_BRPORT_${n}`)] = u32Attr;
for (const n of ['MESSAGE_AGE_TIMER', 'FORWARD_DELAY_TIMER', 'HOLD_TIMER']) brportDec[BR(`IFLA_BRPORT_${n}`)] = clockTAttr;
brportDec[BR('IFLA_BRPORT_BACKUP_PORT')] = ifindexAttr;
brportDec[BR('IFLA_BRPORT_ROOT_ID')] = bridgeIdAttr;
brportDec[BR('IFLA_BRPORT_BRIDGE_ID')] = bridgeIdAttr;
const BRPORT = spec(rtnl_ifla_brport_attrs, 'IFLA_BRPORT_???', brportDec);

// ---- IFLA_PROTINFO for AF_INET6 (and IFLA_AF_SPEC's AF_INET6 nest): IFLA_INET6_* ---------------

const I6 = (n: string): number => A(rtnl_ifla_inet6_attrs, n);
export const INET6 = spec(rtnl_ifla_inet6_attrs, 'IFLA_INET6_???', {
  [I6('IFLA_INET6_FLAGS')]: xvalAttr(4, inet6_if_flags, 'IF_???', true),
  [I6('IFLA_INET6_CONF')]: indexedArrayAttr(4, inet6_devconf_indices, 'DEVCONF_???', true),
  [I6('IFLA_INET6_STATS')]: indexedArrayAttr(8, snmp_ip_stats, 'IPSTATS_MIB_???'),
  [I6('IFLA_INET6_CACHEINFO')]: structAttr(16, (_c, b) => ['max_reasm_len', 'tstamp', 'reachable_time', 'retrans_time'].map((n, i) => field(n, u32f(b, i * 4)))),
  [I6('IFLA_INET6_ICMP6STATS')]: indexedArrayAttr(8, snmp_icmp6_stats, 'ICMP6_MIB_???'),
  [I6('IFLA_INET6_TOKEN')]: inetAddrAttr(16),
  [I6('IFLA_INET6_ADDR_GEN_MODE')]: xvalAttr(1, in6_addr_gen_mode, 'IN6_ADDR_GEN_MODE_???'),
  [I6('IFLA_INET6_RA_MTU')]: u32Attr,
});

// ---- IFLA_PORT_SELF / IFLA_VF_PORTS: IFLA_PORT_* ------------------------------------------------

/** struct ifla_port_vsi {u8 vsi_mgr_id; u8 vsi_type_id[3]; u8 vsi_type_version; u8 pad[3]}. */
const portVsiAttr = structAttr(8, (_c, b): Field[] => {
  const f: Field[] = [
    field('vsi_mgr_id', num(b[0]!)),
    field('vsi_type_id', { t: 'str', b: b.subarray(1, 4), more: false, x: true }),
    field('vsi_type_version', num(b[4]!)),
  ];
  // the padding prints only when it is not all zero
  if (b[5] || b[6] || b[7]) f.push(field('pad', { t: 'str', b: b.subarray(5, 8), more: false, x: true }));
  return f;
});
const PT = (n: string): number => A(rtnl_ifla_port_attrs, n);
export const PORT = spec(rtnl_ifla_port_attrs, 'IFLA_PORT_???', {
  [PT('IFLA_PORT_VF')]: u32Attr,
  [PT('IFLA_PORT_VSI_TYPE')]: portVsiAttr,
});

const PDR = (n: string): number => A(rtnl_ifla_proto_down_reason_attrs, n);
const PROTO_DOWN_REASON = spec(rtnl_ifla_proto_down_reason_attrs, 'IFLA_PROTO_DOWN_REASON_???', {
  [PDR('IFLA_PROTO_DOWN_REASON_MASK')]: x32Attr,
  [PDR('IFLA_PROTO_DOWN_REASON_VALUE')]: x32Attr,
});

// ---- IFLA_VFINFO_LIST: IFLA_VF_INFO nests of IFLA_VF_* ------------------------------------------

const vfStruct = (size: number, names: string[], last?: (c: Parameters<AttrDecoder>[0], b: Buffer) => Field): AttrDecoder =>
  structAttr(size, (c, b) => {
    const f = names.map((n, i) => field(n, u32f(b, i * 4)));
    if (last) f.push(last(c, b));
    return f;
  });
const VF = (n: string): number => A(rtnl_ifla_vf_info_attrs, n);
const guidAttr = structAttr(16, (_c, b) => [field('vf', u32f(b, 0)), field('guid', sym(hexStr(b.readBigUInt64LE(8))))]);
/** Every IFLA_VF_STATS_* but the padding is a u64 counter. */
const VF_STATS = spec(
  rtnl_ifla_vf_stats_attrs,
  'IFLA_VF_STATS_???',
  Object.fromEntries(rtnl_ifla_vf_stats_attrs.entries.filter(([, n]) => n !== 'IFLA_VF_STATS_PAD').map(([v]) => [Number(v), u64Attr])),
);
const VF_VLAN_LIST = spec(rtnl_ifla_vf_vlan_list_attrs, 'IFLA_VF_VLAN_INFO_???', {
  [A(rtnl_ifla_vf_vlan_list_attrs, 'IFLA_VF_VLAN_INFO')]: vfStruct(16, ['vf', 'vlan', 'qos'], (c, b) =>
    field('vlan_proto', call('htons', c.xval(BigInt(b.readUInt16BE(12)), ethernet_protocols, 'ETH_P_???'))),
  ),
});
const VF_INFO = spec(rtnl_ifla_vf_info_attrs, 'IFLA_VF_???', {
  [VF('IFLA_VF_MAC')]: vfStruct(36, ['vf'], (c, b) => field('mac', macValue(c, b.subarray(4, 36)))),
  [VF('IFLA_VF_VLAN')]: vfStruct(12, ['vf', 'vlan', 'qos']),
  [VF('IFLA_VF_TX_RATE')]: vfStruct(8, ['vf', 'rate']),
  [VF('IFLA_VF_SPOOFCHK')]: vfStruct(8, ['vf', 'setting']),
  [VF('IFLA_VF_LINK_STATE')]: vfStruct(8, ['vf'], (c, b) => field('link_state', c.xval(BigInt(b.readUInt32LE(4)), rtnl_ifla_vf_link_states, 'IFLA_VF_LINK_STATE_???'))),
  [VF('IFLA_VF_RATE')]: vfStruct(12, ['vf', 'min_tx_rate', 'max_tx_rate']),
  [VF('IFLA_VF_RSS_QUERY_EN')]: vfStruct(8, ['vf', 'setting']),
  [VF('IFLA_VF_STATS')]: nested(VF_STATS),
  [VF('IFLA_VF_TRUST')]: vfStruct(8, ['vf', 'setting']),
  [VF('IFLA_VF_IB_NODE_GUID')]: guidAttr,
  [VF('IFLA_VF_IB_PORT_GUID')]: guidAttr,
  [VF('IFLA_VF_VLAN_LIST')]: nested(VF_VLAN_LIST),
  [VF('IFLA_VF_BROADCAST')]: structAttr(32, (c, b) => [field('broadcast', macValue(c, b.subarray(0, 32)))]),
});
const VFINFO_LIST = spec(rtnl_ifla_vfinfo_list_attrs, 'IFLA_VF_INFO_???', {
  [A(rtnl_ifla_vfinfo_list_attrs, 'IFLA_VF_INFO')]: nested(VF_INFO),
});
const VF_PORTS = spec(rtnl_ifla_vf_port_attrs, 'IFLA_VF_PORT_???', { [A(rtnl_ifla_vf_port_attrs, 'IFLA_VF_PORT')]: nested(PORT) });

// ---- IFLA_XDP, IFLA_LINKINFO --------------------------------------------------------------------

const XD = (n: string): number => A(rtnl_ifla_xdp_attrs, n);
const XDP = spec(rtnl_ifla_xdp_attrs, 'IFLA_XDP_???', {
  [XD('IFLA_XDP_FD')]: fdAttr,
  [XD('IFLA_XDP_ATTACHED')]: xvalAttr(1, xdp_attached_types, 'XDP_ATTACHED_???'),
  [XD('IFLA_XDP_FLAGS')]: xvalAttr(4, xdp_flags, 'XDP_FLAGS_???', true),
  [XD('IFLA_XDP_PROG_ID')]: u32Attr,
  [XD('IFLA_XDP_DRV_PROG_ID')]: u32Attr,
  [XD('IFLA_XDP_SKB_PROG_ID')]: u32Attr,
  [XD('IFLA_XDP_HW_PROG_ID')]: u32Attr,
  [XD('IFLA_XDP_EXPECTED_FD')]: fdAttr,
});

// ---- IFLA_LINKINFO: IFLA_INFO_DATA / _XSTATS / _SLAVE_DATA by the kind named beside them --------

/** A hardware address of any length: aa:bb:cc. */
const macAttr: AttrDecoder = (c, ad, len) => {
  const b = c.fetchAlways(ad, len);
  return b ? macValue(c, b) : addr(ad);
};
/** A big-endian ethertype: htons(ETH_P_…). */
const be16ProtoAttr: AttrDecoder = (c, ad, len) => {
  if (len < 2) return undefined;
  const b = c.fetchAlways(ad, 2);
  return b ? call('htons', c.xval(BigInt(b.readUInt16BE(0)), ethernet_protocols, 'ETH_P_???')) : addr(ad);
};
const uidAttr: AttrDecoder = (c, ad, len) => {
  if (len < 4) return undefined;
  const b = c.fetchAlways(ad, 4);
  return b ? uidValue(BigInt(b.readUInt32LE(0))) : addr(ad);
};

const BQ = (n: string): number => A(rtnl_ifla_br_mcast_querier_attrs, n);
const MCAST_QUERIER = spec(rtnl_ifla_br_mcast_querier_attrs, 'BRIDGE_QUERIER_???', {
  [BQ('BRIDGE_QUERIER_IP_ADDRESS')]: inetAddrAttr(4),
  [BQ('BRIDGE_QUERIER_IP_PORT')]: ifindexAttr,
  [BQ('BRIDGE_QUERIER_IP_OTHER_TIMER')]: clockTAttr,
  [BQ('BRIDGE_QUERIER_IPV6_ADDRESS')]: inetAddrAttr(16),
  [BQ('BRIDGE_QUERIER_IPV6_PORT')]: ifindexAttr,
  [BQ('BRIDGE_QUERIER_IPV6_OTHER_TIMER')]: clockTAttr,
});
const BRA = (n: string): number => A(rtnl_ifla_br_attrs, n);
const brDec: Record<number, AttrDecoder> = {};
for (const n of ['FORWARD_DELAY', 'HELLO_TIME', 'MAX_AGE', 'AGEING_TIME', 'HELLO_TIMER', 'TCN_TIMER', 'TOPOLOGY_CHANGE_TIMER', 'GC_TIMER'])
  brDec[BRA(`IFLA_BR_${n}`)] = clockTAttr;
for (const n of ['LAST_MEMBER_INTVL', 'MEMBERSHIP_INTVL', 'QUERIER_INTVL', 'QUERY_INTVL', 'QUERY_RESPONSE_INTVL', 'STARTUP_QUERY_INTVL']) brDec[BRA(`IFLA_BR_MCAST_${n}`)] = clockTAttr;
for (const n of ['STP_STATE', 'ROOT_PATH_COST', 'MCAST_HASH_ELASTICITY', 'MCAST_HASH_MAX', 'MCAST_LAST_MEMBER_CNT', 'MCAST_STARTUP_QUERY_CNT']) brDec[BRA(`IFLA_BR_${n}`)] = u32Attr;
for (const n of ['PRIORITY', 'ROOT_PORT', 'VLAN_DEFAULT_PVID']) brDec[BRA(`IFLA_BR_${n}`)] = u16Attr;
for (const n of ['VLAN_FILTERING', 'TOPOLOGY_CHANGE', 'TOPOLOGY_CHANGE_DETECTED', 'MCAST_ROUTER', 'MCAST_SNOOPING', 'MCAST_QUERY_USE_IFADDR', 'MCAST_QUERIER'])
  brDec[BRA(`IFLA_BR_${n}`)] = u8Attr;
for (const n of ['NF_CALL_IPTABLES', 'NF_CALL_IP6TABLES', 'NF_CALL_ARPTABLES', 'VLAN_STATS_ENABLED', 'MCAST_STATS_ENABLED', 'MCAST_IGMP_VERSION', 'MCAST_MLD_VERSION', 'VLAN_STATS_PER_PORT'])
  brDec[BRA(`IFLA_BR_${n}`)] = u8Attr;
brDec[BRA('IFLA_BR_GROUP_FWD_MASK')] = x16Attr;
brDec[BRA('IFLA_BR_VLAN_PROTOCOL')] = be16ProtoAttr;
brDec[BRA('IFLA_BR_ROOT_ID')] = bridgeIdAttr;
brDec[BRA('IFLA_BR_BRIDGE_ID')] = bridgeIdAttr;
brDec[BRA('IFLA_BR_GROUP_ADDR')] = macAttr;
// struct br_boolopt_multi {u32 optval; u32 optmask}: bits numbered by BR_BOOLOPT_*
brDec[BRA('IFLA_BR_MULTI_BOOLOPT')] = structAttr(8, (c, b) => [
  field('optval', bitset(c, b.readUInt32LE(0), br_boolopts, 'BR_BOOLOPT_???')),
  field('optmask', bitset(c, b.readUInt32LE(4), br_boolopts, 'BR_BOOLOPT_???')),
]);
brDec[BRA('IFLA_BR_MCAST_QUERIER_STATE')] = nested(MCAST_QUERIER);
const BRIDGE_DATA = spec(rtnl_ifla_br_attrs, 'IFLA_BR_???', brDec);

const TUN = (n: string): number => A(rtnl_ifla_tun_attrs, n);
const TUN_DATA = spec(rtnl_ifla_tun_attrs, 'IFLA_TUN_???', {
  [TUN('IFLA_TUN_OWNER')]: uidAttr,
  [TUN('IFLA_TUN_GROUP')]: uidAttr,
  [TUN('IFLA_TUN_TYPE')]: xvalAttr(1, tun_device_types, 'IFF_???'),
  [TUN('IFLA_TUN_PI')]: u8Attr,
  [TUN('IFLA_TUN_VNET_HDR')]: u8Attr,
  [TUN('IFLA_TUN_PERSIST')]: u8Attr,
  [TUN('IFLA_TUN_MULTI_QUEUE')]: u8Attr,
  [TUN('IFLA_TUN_NUM_QUEUES')]: u32Attr,
  [TUN('IFLA_TUN_NUM_DISABLED_QUEUES')]: u32Attr,
});

/** struct can_device_stats (linux/can/netlink.h): IFLA_INFO_XSTATS of "can" links. */
const canStatsAttr = structAttr(24, (_c, b) =>
  ['bus_error', 'error_warning', 'error_passive', 'bus_off', 'arbitration_lost', 'restarts'].map((n, i) => field(n, u32f(b, i * 4))),
);

/** What IFLA_INFO_DATA / IFLA_INFO_XSTATS hold for a link kind, and IFLA_INFO_SLAVE_DATA for a slave kind. */
const KIND_DATA: Record<string, AttrDecoder> = { bridge: nested(BRIDGE_DATA), tun: nested(TUN_DATA) };
const KIND_XSTATS: Record<string, AttrDecoder> = { can: canStatsAttr };
const SLAVE_KIND_DATA: Record<string, AttrDecoder> = { bridge: nested(BRPORT) };

const INFO = (n: string): number => A(rtnl_ifla_info_attrs, n);
const IFLA_INFO_KIND = INFO('IFLA_INFO_KIND');
const IFLA_INFO_SLAVE_KIND = INFO('IFLA_INFO_SLAVE_KIND');
const LINKINFO_BASE: Record<number, AttrDecoder> = { [IFLA_INFO_KIND]: strAttr, [IFLA_INFO_SLAVE_KIND]: strAttr };
const LINKINFO_SPECS = new Map<string, AttrSpec>();

/** The string of the first `type` attribute among `len` bytes at `ad` (the kind names). */
function kindOf(c: Ctx, ad: bigint, len: number, type: number): string | undefined {
  for (let off = 0; len - off >= 4; ) {
    const h = c.fetchAlways(ad + BigInt(off), 4);
    if (!h) return undefined;
    const n = h.readUInt16LE(0);
    if (n < 4 || n > len - off) return undefined;
    if ((h.readUInt16LE(2) & 0x3fff) === type) {
      const b = c.fetchAlways(ad + BigInt(off + 4), Math.min(n - 4, 64));
      if (!b) return undefined;
      const z = b.indexOf(0);
      return b.subarray(0, z >= 0 ? z : b.length).toString('latin1');
    }
    off += (n + 3) & ~3;
  }
  return undefined;
}

/** IFLA_LINKINFO: the kind attributes first name how the data beside them is laid out. */
const linkinfoAttr: AttrDecoder = (c, ad, len, depth) => {
  const kind = kindOf(c, ad, len, IFLA_INFO_KIND);
  const slave = kindOf(c, ad, len, IFLA_INFO_SLAVE_KIND);
  const key = `${kind ?? ''}\0${slave ?? ''}`;
  let sp = LINKINFO_SPECS.get(key);
  if (!sp) {
    const dec = { ...LINKINFO_BASE };
    const data = kind !== undefined ? Object.hasOwn(KIND_DATA, kind) && KIND_DATA[kind] : undefined;
    const xstats = kind !== undefined ? Object.hasOwn(KIND_XSTATS, kind) && KIND_XSTATS[kind] : undefined;
    const slaveData = slave !== undefined ? Object.hasOwn(SLAVE_KIND_DATA, slave) && SLAVE_KIND_DATA[slave] : undefined;
    if (data) dec[INFO('IFLA_INFO_DATA')] = data;
    if (xstats) dec[INFO('IFLA_INFO_XSTATS')] = xstats;
    if (slaveData) dec[INFO('IFLA_INFO_SLAVE_DATA')] = slaveData;
    sp = spec(rtnl_ifla_info_attrs, 'IFLA_INFO_???', dec);
    // kinds are a handful of names; hostile ones are not kept
    if (LINKINFO_SPECS.size < 64) LINKINFO_SPECS.set(key, sp);
  }
  return attrs(c, ad, len, sp, depth);
};

// ---- statistics -------------------------------------------------------------------------------

const STATS_FIELDS = [
  ...['rx_packets', 'tx_packets', 'rx_bytes', 'tx_bytes', 'rx_errors', 'tx_errors', 'rx_dropped', 'tx_dropped', 'multicast', 'collisions'],
  ...['rx_length_errors', 'rx_over_errors', 'rx_crc_errors', 'rx_frame_errors', 'rx_fifo_errors', 'rx_missed_errors'],
  ...['tx_aborted_errors', 'tx_carrier_errors', 'tx_fifo_errors', 'tx_heartbeat_errors', 'tx_window_errors'],
  ...['rx_compressed', 'tx_compressed', 'rx_nohandler', 'rx_otherhost_dropped'],
];
/**
 * struct rtnl_link_stats / rtnl_link_stats64: the structure grew (rx_nohandler,
 * rx_otherhost_dropped), so the fields shown are those the data holds, from the 23 of the
 * oldest layout up to `max`; shorter data prints as hex.
 */
export function linkStatsAttr(size: 4 | 8, max: number): AttrDecoder {
  return (c, ad, len) => {
    const n = Math.min(max, Math.floor(len / size));
    if (n < 23) return undefined;
    const b = c.fetchAlways(ad, n * size);
    if (!b) return addr(ad);
    return struct(STATS_FIELDS.slice(0, n).map((k, i) => field(k, num(size === 8 ? b.readBigUInt64LE(i * 8) : b.readUInt32LE(i * 4)))));
  };
}
/** struct rtnl_link_ifmap. */
const ifmapAttr = structAttr(28, (_c, b) => [
  field('mem_start', sym(hexStr(b.readBigUInt64LE(0)))),
  field('mem_end', sym(hexStr(b.readBigUInt64LE(8)))),
  field('base_addr', sym(hexStr(b.readBigUInt64LE(16)))),
  field('irq', num(b.readUInt16LE(24))),
  field('dma', num(b[26]!)),
  field('port', num(b[27]!)),
]);

// ---- IFLA_AF_SPEC: per address family nests, or IFLA_BRIDGE_* for AF_BRIDGE messages -----------

const INET = spec(rtnl_ifla_inet_attrs, 'IFLA_INET_???', {
  [A(rtnl_ifla_inet_attrs, 'IFLA_INET_CONF')]: indexedArrayAttr(4, inet_devconf_indices, 'IPV4_DEVCONF_???', true, 1),
});
const MCTP = spec(rtnl_ifla_mctp_attrs, 'IFLA_MCTP_???', { [A(rtnl_ifla_mctp_attrs, 'IFLA_MCTP_NET')]: u32Attr });
const AF = (n: string): number => A(addrfams, n);
const AF_SPEC = spec(addrfams, 'AF_???', {
  [AF('AF_INET')]: nested(INET),
  [AF('AF_INET6')]: nested(INET6),
  [AF('AF_MCTP')]: nested(MCTP),
});
/** struct bridge_vlan_info {flags; vid}. */
const vlanFlags = (c: Parameters<AttrDecoder>[0], v: number): Value => c.flags(BigInt(v), bridge_vlan_info_flags, 'BRIDGE_VLAN_INFO_???');
const BT = (n: string): number => A(rtnl_ifla_bridge_vlan_tunnel_attrs, n);
const VLAN_TUNNEL = spec(rtnl_ifla_bridge_vlan_tunnel_attrs, 'IFLA_BRIDGE_VLAN_TUNNEL_???', {
  [BT('IFLA_BRIDGE_VLAN_TUNNEL_ID')]: u32Attr,
  [BT('IFLA_BRIDGE_VLAN_TUNNEL_VID')]: u16Attr,
  [BT('IFLA_BRIDGE_VLAN_TUNNEL_FLAGS')]: xvalAttr(2, bridge_vlan_info_flags, 'BRIDGE_VLAN_INFO_???', true),
});
const BRG = (n: string): number => A(rtnl_ifla_bridge_attrs, n);
const BRIDGE_AF_SPEC = spec(rtnl_ifla_bridge_attrs, 'IFLA_BRIDGE_???', {
  [BRG('IFLA_BRIDGE_FLAGS')]: xvalAttr(2, bridge_flags, 'BRIDGE_FLAGS_???', true),
  [BRG('IFLA_BRIDGE_MODE')]: xvalAttr(2, bridge_modes, 'BRIDGE_MODE_???'),
  [BRG('IFLA_BRIDGE_VLAN_INFO')]: structTailAttr(4, (c, b) => [field('flags', vlanFlags(c, b.readUInt16LE(0))), field('vid', num(b.readUInt16LE(2)))]),
  [BRG('IFLA_BRIDGE_VLAN_TUNNEL_INFO')]: nested(VLAN_TUNNEL),
});

// ---- IFLA_* ---------------------------------------------------------------------------------

const L = (n: string): number => A(rtnl_link_attrs, n);
const common: Record<number, AttrDecoder> = {
  [L('IFLA_IFNAME')]: strAttr,
  [L('IFLA_MTU')]: u32Attr,
  [L('IFLA_LINK')]: u32Attr,
  [L('IFLA_QDISC')]: strAttr,
  [L('IFLA_COST')]: u32Attr,
  [L('IFLA_PRIORITY')]: u32Attr,
  [L('IFLA_MASTER')]: u32Attr,
  [L('IFLA_TXQLEN')]: u32Attr,
  [L('IFLA_WEIGHT')]: u32Attr,
  [L('IFLA_OPERSTATE')]: u8Attr,
  [L('IFLA_LINKMODE')]: u8Attr,
  [L('IFLA_NUM_VF')]: u32Attr,
  [L('IFLA_PORT_SELF')]: nested(PORT),
  [L('IFLA_GROUP')]: u32Attr,
  [L('IFLA_NET_NS_FD')]: u32Attr,
  [L('IFLA_PROMISCUITY')]: u32Attr,
  [L('IFLA_NUM_TX_QUEUES')]: u32Attr,
  [L('IFLA_NUM_RX_QUEUES')]: u32Attr,
  [L('IFLA_CARRIER')]: u8Attr,
  [L('IFLA_CARRIER_CHANGES')]: u32Attr,
  [L('IFLA_LINK_NETNSID')]: s32Attr,
  [L('IFLA_PHYS_PORT_NAME')]: strAttr,
  [L('IFLA_PROTO_DOWN')]: u8Attr,
  [L('IFLA_GSO_MAX_SEGS')]: u32Attr,
  [L('IFLA_GSO_MAX_SIZE')]: u32Attr,
  [L('IFLA_IF_NETNSID')]: s32Attr,
  [L('IFLA_CARRIER_UP_COUNT')]: u32Attr,
  [L('IFLA_CARRIER_DOWN_COUNT')]: u32Attr,
  [L('IFLA_NEW_IFINDEX')]: s32Attr,
  [L('IFLA_MIN_MTU')]: u32Attr,
  [L('IFLA_MAX_MTU')]: u32Attr,
  [L('IFLA_ALT_IFNAME')]: fixedStrAttr,
  [L('IFLA_STATS')]: linkStatsAttr(4, 24),
  [L('IFLA_STATS64')]: linkStatsAttr(8, 25),
  [L('IFLA_MAP')]: ifmapAttr,
  [L('IFLA_LINKINFO')]: linkinfoAttr,
  [L('IFLA_VFINFO_LIST')]: nested(VFINFO_LIST),
  [L('IFLA_VF_PORTS')]: nested(VF_PORTS),
  [L('IFLA_EXT_MASK')]: xvalAttr(4, rtnl_ifla_ext_filter, 'RTEXT_FILTER_???', true),
  [L('IFLA_EVENT')]: xvalAttr(4, rtnl_ifla_events, 'IFLA_EVENT_???'),
  [L('IFLA_XDP')]: nested(XDP),
  [L('IFLA_PROTO_DOWN_REASON')]: nested(PROTO_DOWN_REASON),
  [L('IFLA_PARENT_DEV_NAME')]: fixedStrAttr,
  [L('IFLA_PARENT_DEV_BUS_NAME')]: fixedStrAttr,
  [L('IFLA_GRO_MAX_SIZE')]: u32Attr,
};
const LINK_SPECS = new Map<number, AttrSpec>();

/** The IFLA_* attribute table of a message whose ifi_family is `family`. */
export function linkAttrs(family: number): AttrSpec {
  let sp = LINK_SPECS.get(family);
  if (sp) return sp;
  const dec: Record<number, AttrDecoder> = { ...common };
  // IFLA_PROP_LIST holds IFLA_* attributes again (IFLA_ALT_IFNAME)
  dec[L('IFLA_PROP_LIST')] = (c, ad, len, depth) => nested(linkAttrs(family))(c, ad, len, depth);
  dec[L('IFLA_AF_SPEC')] = nested(family === AF_BRIDGE ? BRIDGE_AF_SPEC : AF_SPEC);
  if (family === AF_BRIDGE) dec[L('IFLA_PROTINFO')] = nested(BRPORT);
  else if (family === AF_INET6) dec[L('IFLA_PROTINFO')] = nested(INET6);
  sp = spec(rtnl_link_attrs, 'IFLA_???', dec);
  LINK_SPECS.set(family, sp);
  return sp;
}
