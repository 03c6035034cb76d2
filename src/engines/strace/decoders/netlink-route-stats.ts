/**
 * The attributes of RTM_*STATS messages (struct if_stats_msg, include/uapi/linux/if_link.h):
 * IFLA_STATS_* with the link counters, the per-device-kind extended statistics (bridge VLAN,
 * multicast and STP counters from if_bridge.h, bonding 802.3ad counters from if_bonding.h), the
 * offload counters and the per-address-family nest (MPLS, linux/mpls.h).
 */
import { field, hexStr, num, sym, type Field, type Value } from '../value.js';
import {
  addrfams,
  bond_3ad_stats_attrs,
  bond_xstats_attrs,
  br_mcast_dirs,
  bridge_vlan_info_flags,
  bridge_xstats_attrs,
  link_xstats_types,
  mpls_stats_attrs,
  rtnl_ifla_offload_xstats,
  rtnl_ifla_stats_attrs,
} from '../xlat/tables.gen.js';
import { xvalStr } from '../printer.js';
import { nested, structTailAttr, u64Attr, type AttrSpec } from './netlink.js';
import { linkStatsAttr } from './netlink-route-link.js';

const A = (x: AttrSpec['types'], n: string): number => Number(x.valueOf(n) ?? -1n);
const spec = (types: AttrSpec['types'], dflt: string, dec?: AttrSpec['dec']): AttrSpec => (dec ? { types, dflt, dec } : { types, dflt });
const u64f = (b: Buffer, o: number): Value => num(b.readBigUInt64LE(o));
/** Named u64 counters in order. */
const u64Fields = (b: Buffer, names: readonly string[], at = 0): Field[] => names.map((n, i) => field(n, u64f(b, at + i * 8)));

/** struct bridge_vlan_xstats: four u64 counters, vid, flags, and the padding when not zero. */
const BR_VLAN = structTailAttr(40, (c, b) => {
  const f = [
    ...u64Fields(b, ['rx_bytes', 'rx_packets', 'tx_bytes', 'tx_packets']),
    field('vid', num(b.readUInt16LE(32))),
    field('flags', c.flags(BigInt(b.readUInt16LE(34)), bridge_vlan_info_flags, 'BRIDGE_VLAN_INFO_???')),
  ];
  const pad = b.readUInt32LE(36);
  if (pad) f.push(field('pad2', sym(hexStr(BigInt(pad)))));
  return f;
});
/** struct br_mcast_stats: u64 counters, most of them a [BR_MCAST_DIR_RX, BR_MCAST_DIR_TX] pair. */
const MCAST_FIELDS: readonly [string, boolean][] = [
  ['igmp_v1queries', true],
  ['igmp_v2queries', true],
  ['igmp_v3queries', true],
  ['igmp_leaves', true],
  ['igmp_v1reports', true],
  ['igmp_v2reports', true],
  ['igmp_v3reports', true],
  ['igmp_parse_errors', false],
  ['mld_v1queries', true],
  ['mld_v2queries', true],
  ['mld_leaves', true],
  ['mld_v1reports', true],
  ['mld_v2reports', true],
  ['mld_parse_errors', false],
  ['mcast_bytes', true],
  ['mcast_packets', true],
];
const MCAST_SIZE = MCAST_FIELDS.reduce((n, [, pair]) => n + (pair ? 16 : 8), 0);
const BR_MCAST = structTailAttr(MCAST_SIZE, (c, b) => {
  const f: Field[] = [];
  let o = 0;
  for (const [name, pair] of MCAST_FIELDS) {
    if (!pair) {
      f.push(field(name, u64f(b, o)));
      o += 8;
      continue;
    }
    const dir = (i: number): Value => ({ t: 'kv', k: `[${xvalStr(BigInt(i), br_mcast_dirs, 'BR_MCAST_DIR_???', c.o.xlat, 'd')}]`, v: u64f(b, o + i * 8) });
    f.push(field(name, { t: 'arr', a: [dir(0), dir(1)] }));
    o += 16;
  }
  return f;
});
/** struct bridge_stp_xstats. */
const BR_STP = structTailAttr(48, (_c, b) => u64Fields(b, ['transition_blk', 'transition_fwd', 'rx_bpdu', 'tx_bpdu', 'rx_tcn', 'tx_tcn']));

const BRIDGE_XSTATS = spec(bridge_xstats_attrs, 'BRIDGE_XSTATS_???', {
  [A(bridge_xstats_attrs, 'BRIDGE_XSTATS_VLAN')]: BR_VLAN,
  [A(bridge_xstats_attrs, 'BRIDGE_XSTATS_MCAST')]: BR_MCAST,
  [A(bridge_xstats_attrs, 'BRIDGE_XSTATS_STP')]: BR_STP,
});
/**
 * Every BOND_3AD_STAT_* but the padding is a u64 counter. Unknown types are named
 * BOND_XSTATS_??? as strace 6.1 does.
 */
const BOND_3AD = spec(
  bond_3ad_stats_attrs,
  'BOND_XSTATS_???',
  Object.fromEntries(bond_3ad_stats_attrs.entries.filter(([, n]) => n !== 'BOND_3AD_STAT_PAD').map(([v]) => [Number(v), u64Attr])),
);
const BOND_XSTATS = spec(bond_xstats_attrs, 'BOND_XSTATS_???', { [A(bond_xstats_attrs, 'BOND_XSTATS_3AD')]: nested(BOND_3AD) });
const LINK_XSTATS = spec(link_xstats_types, 'LINK_XSTATS_TYPE_???', {
  [A(link_xstats_types, 'LINK_XSTATS_TYPE_BRIDGE')]: nested(BRIDGE_XSTATS),
  [A(link_xstats_types, 'LINK_XSTATS_TYPE_BOND')]: nested(BOND_XSTATS),
});
const OFFLOAD_XSTATS = spec(rtnl_ifla_offload_xstats, 'IFLA_OFFLOAD_XSTATS_???', {
  [A(rtnl_ifla_offload_xstats, 'IFLA_OFFLOAD_XSTATS_CPU_HIT')]: linkStatsAttr(8, 25),
});
/** struct mpls_link_stats. */
const MPLS_STATS = spec(mpls_stats_attrs, 'MPLS_STATS_???', {
  [A(mpls_stats_attrs, 'MPLS_STATS_LINK')]: structTailAttr(72, (_c, b) =>
    u64Fields(b, ['rx_packets', 'tx_packets', 'rx_bytes', 'tx_bytes', 'rx_errors', 'tx_errors', 'rx_dropped', 'tx_dropped', 'rx_noroute']),
  ),
});
const AF_MPLS = Number(addrfams.valueOf('AF_MPLS') ?? 28n);
const STATS_AF_SPEC = spec(addrfams, 'AF_???', { [AF_MPLS]: nested(MPLS_STATS) });

const S = (n: string): number => A(rtnl_ifla_stats_attrs, n);
export const IFSTATS = spec(rtnl_ifla_stats_attrs, 'IFLA_STATS_???', {
  [S('IFLA_STATS_LINK_64')]: linkStatsAttr(8, 25),
  [S('IFLA_STATS_LINK_XSTATS')]: nested(LINK_XSTATS),
  [S('IFLA_STATS_LINK_XSTATS_SLAVE')]: nested(LINK_XSTATS),
  [S('IFLA_STATS_LINK_OFFLOAD_XSTATS')]: nested(OFFLOAD_XSTATS),
  [S('IFLA_STATS_AF_SPEC')]: nested(STATS_AF_SPEC),
});
