/**
 * The attributes of RTM_*LINK messages (struct ifinfomsg, include/uapi/linux/if_link.h): IFLA_*
 * and the nests inside them. Some depend on the message's ifi_family: IFLA_PROTINFO holds bridge
 * port attributes (IFLA_BRPORT_*) for AF_BRIDGE and IPv6 ones (IFLA_INET6_*) for AF_INET6.
 */
import { addr, arr, field, num, struct, sym, type Field, type Value } from '../value.js';
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
} from '../xlat/tables.gen.js';
import { ifindexValue } from './common.js';
import {
  clockTAttr,
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

// ---- IFLA_PROTINFO for AF_BRIDGE: struct ifla_bridge_id and the IFLA_BRPORT_* attributes -------

/** struct ifla_bridge_id {u8 prio[2]; u8 addr[6]}. */
const bridgeIdAttr = structAttr(8, (_c, b): Field[] => [field('prio', arr([num(b[0]!), num(b[1]!)])), field('addr', sym(macText(b.subarray(2, 8))))]);

const BR = (n: string): number => A(rtnl_ifla_brport_attrs, n);
const brportDec: Record<number, AttrDecoder> = {};
for (const n of ['STATE', 'MODE', 'GUARD', 'PROTECT', 'FAST_LEAVE', 'LEARNING', 'UNICAST_FLOOD', 'PROXYARP', 'LEARNING_SYNC', 'PROXYARP_WIFI']) brportDec[BR(`IFLA_BRPORT_${n}`)] = u8Attr;
for (const n of ['TOPOLOGY_CHANGE_ACK', 'CONFIG_PENDING', 'MULTICAST_ROUTER', 'MCAST_FLOOD', 'MCAST_TO_UCAST', 'VLAN_TUNNEL', 'BCAST_FLOOD', 'NEIGH_SUPPRESS', 'ISOLATED', 'MRP_RING_OPEN', 'MRP_IN_OPEN', 'LOCKED'])
  brportDec[BR(`IFLA_BRPORT_${n}`)] = u8Attr;
for (const n of ['PRIORITY', 'DESIGNATED_PORT', 'DESIGNATED_COST', 'ID', 'NO', 'GROUP_FWD_MASK']) brportDec[BR(`IFLA_BRPORT_${n}`)] = u16Attr;
for (const n of ['COST', 'BACKUP_PORT', 'MCAST_EHT_HOSTS_LIMIT', 'MCAST_EHT_HOSTS_CNT']) brportDec[BR(`IFLA_BRPORT_${n}`)] = u32Attr;
for (const n of ['MESSAGE_AGE_TIMER', 'FORWARD_DELAY_TIMER', 'HOLD_TIMER']) brportDec[BR(`IFLA_BRPORT_${n}`)] = clockTAttr;
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
  [L('IFLA_ALT_IFNAME')]: strAttr,
  [L('IFLA_PROTO_DOWN_REASON')]: nested(PROTO_DOWN_REASON),
  [L('IFLA_PARENT_DEV_NAME')]: strAttr,
  [L('IFLA_PARENT_DEV_BUS_NAME')]: strAttr,
  [L('IFLA_GRO_MAX_SIZE')]: u32Attr,
};
const LINK_SPECS = new Map<number, AttrSpec>();

/** The IFLA_* attribute table of a message whose ifi_family is `family`. */
export function linkAttrs(family: number): AttrSpec {
  let sp = LINK_SPECS.get(family);
  if (sp) return sp;
  const dec: Record<number, AttrDecoder> = { ...common };
  if (family === AF_BRIDGE) dec[L('IFLA_PROTINFO')] = nested(BRPORT);
  else if (family === AF_INET6) dec[L('IFLA_PROTINFO')] = nested(INET6);
  sp = spec(rtnl_link_attrs, 'IFLA_???', dec);
  LINK_SPECS.set(family, sp);
  return sp;
}
