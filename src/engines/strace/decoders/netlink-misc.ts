/**
 * The smaller netlink protocols: NETLINK_NETFILTER (nfnetlink.h: subsystem<<8|message types,
 * struct nfgenmsg), NETLINK_SELINUX (selinux_netlink.h), NETLINK_AUDIT (audit.h message types),
 * NETLINK_XFRM (xfrm.h message types) and NETLINK_GENERIC (genetlink.h: the fixed nlctrl id;
 * other families get their ids at run time and print as numbers).
 */
import type { Ctx } from '../printer.js';
import { call, field, hexStr, num, sym, type Value } from '../value.js';
import {
  addrfams,
  nf_acct_msg_types,
  nf_cthelper_msg_types,
  nf_ctnetlink_exp_msg_types,
  nf_ctnetlink_msg_types,
  nf_cttimeout_msg_types,
  nf_ipset_msg_types,
  nf_nft_compat_msg_types,
  nf_nftables_msg_types,
  nf_osf_msg_types,
  nf_queue_msg_types,
  nf_ulog_msg_types,
  nfnetlink_versions,
  nl_audit_types,
  nl_genl_ids,
  nl_netfilter_msg_types,
  nl_netfilter_subsys_ids,
  nl_selinux_types,
  nl_xfrm_types,
} from '../xlat/tables.gen.js';
import { xlat, type Xlat } from '../xlat/xlat.js';
import { classByName, registerProtocol, structPayload, tableProtocol, type Msg } from './netlink.js';

const NETLINK_SELINUX = 7;
const NETLINK_AUDIT = 9;
const NETLINK_XFRM = 6;
const NETLINK_NETFILTER = 12;
const NETLINK_GENERIC = 16;

// ---- netfilter ---------------------------------------------------------------------------------

const NFNL_SUBSYS_NONE = 0;
/** Message types of each subsystem, by subsystem id (the values, from nfnetlink.h). */
const NF_MSG_TYPES = new Map<bigint, [Xlat, string]>();
for (const [name, x, dflt] of [
  ['NFNL_SUBSYS_CTNETLINK', nf_ctnetlink_msg_types, 'IPCTNL_MSG_CT_???'],
  ['NFNL_SUBSYS_CTNETLINK_EXP', nf_ctnetlink_exp_msg_types, 'IPCTNL_MSG_EXP_???'],
  ['NFNL_SUBSYS_QUEUE', nf_queue_msg_types, 'NFQNL_MSG_???'],
  ['NFNL_SUBSYS_ULOG', nf_ulog_msg_types, 'NFULNL_MSG_???'],
  ['NFNL_SUBSYS_OSF', nf_osf_msg_types, 'OSF_MSG_???'],
  ['NFNL_SUBSYS_IPSET', nf_ipset_msg_types, 'IPSET_CMD_???'],
  ['NFNL_SUBSYS_ACCT', nf_acct_msg_types, 'NFNL_MSG_ACCT_???'],
  ['NFNL_SUBSYS_CTNETLINK_TIMEOUT', nf_cttimeout_msg_types, 'IPCTNL_MSG_TIMEOUT_???'],
  ['NFNL_SUBSYS_CTHELPER', nf_cthelper_msg_types, 'NFNL_MSG_CTHELPER_???'],
  ['NFNL_SUBSYS_NFTABLES', nf_nftables_msg_types, 'NFT_MSG_???'],
  ['NFNL_SUBSYS_NFT_COMPAT', nf_nft_compat_msg_types, 'NFNL_MSG_COMPAT_???'],
] as const) {
  const id = nl_netfilter_subsys_ids.valueOf(name);
  if (id !== undefined) NF_MSG_TYPES.set(id, [x, dflt]);
}

function nfTypeText(type: number): string {
  const batch = nl_netfilter_msg_types.lookup(BigInt(type));
  if (batch) return batch;
  const sub = type >> 8;
  const msg = type & 0xff;
  const subName = nl_netfilter_subsys_ids.lookup(BigInt(sub));
  const subS = subName ?? `${hexStr(BigInt(sub))} /* NFNL_SUBSYS_??? */`;
  const t = NF_MSG_TYPES.get(BigInt(sub));
  const msgName = t?.[0].lookup(BigInt(msg));
  const msgS = msgName ?? (t && subName ? `${hexStr(BigInt(msg))} /* ${t[1]} */` : hexStr(BigInt(msg)));
  return `${subS}<<8|${msgS}`;
}

function nfType(c: Ctx, type: number): Value {
  const n = hexStr(BigInt(type));
  if (c.o.xlat === 'raw') return sym(n);
  const s = nfTypeText(type);
  return sym(c.o.xlat === 'verbose' ? `${n} /* ${s} */` : s);
}

function nfFlagClass(type: number) {
  const t = NF_MSG_TYPES.get(BigInt(type >> 8));
  return classByName(t?.[0].lookup(BigInt(type & 0xff)));
}

/** struct nfgenmsg {u8 nfgen_family; u8 version; __be16 res_id}, then attributes. */
function nfPayload(c: Ctx, m: Msg, ad: bigint, len: number): Value[] | undefined {
  const batch = nl_netfilter_msg_types.lookup(BigInt(m.type)) !== undefined;
  return structPayload(
    c,
    ad,
    len,
    {
      size: 4,
      fields: (cc, b) => {
        const raw = b.readUInt16LE(2);
        const be = b.readUInt16BE(2);
        let res: Value;
        const beName = batch ? undefined : nl_netfilter_subsys_ids.lookup(BigInt(be));
        const rawName = batch ? undefined : nl_netfilter_subsys_ids.lookup(BigInt(raw));
        if (beName && cc.o.xlat !== 'raw') res = call('htons', sym(beName));
        else if (rawName && cc.o.xlat !== 'raw') res = sym(rawName);
        else res = call('htons', num(be));
        return [
          field('nfgen_family', cc.xval(BigInt(b[0]!), addrfams, 'AF_???')),
          field('version', cc.xval(BigInt(b[1]!), nfnetlink_versions, 'NFNETLINK_???')),
          field('res_id', res),
        ];
      },
      attrs: batch ? undefined : { types: NO_NAMES },
    },
    m.depth,
  );
}
const NO_NAMES = xlat('nf_attrs', []);

registerProtocol(NETLINK_NETFILTER, {
  type: nfType,
  flagClass: nfFlagClass,
  payload: (c, m, ad, len) => (m.type >> 8 === NFNL_SUBSYS_NONE && nl_netfilter_msg_types.lookup(BigInt(m.type)) === undefined ? undefined : nfPayload(c, m, ad, len)),
});

// ---- selinux -----------------------------------------------------------------------------------

const SELNL_MSG_SETENFORCE = Number(nl_selinux_types.valueOf('SELNL_MSG_SETENFORCE'));
const SELNL_MSG_POLICYLOAD = Number(nl_selinux_types.valueOf('SELNL_MSG_POLICYLOAD'));
registerProtocol(
  NETLINK_SELINUX,
  tableProtocol(nl_selinux_types, 'SELNL_MSG_???', {
    payload: (c, m, ad, len) => {
      if (m.type === SELNL_MSG_SETENFORCE) return structPayload(c, ad, len, { size: 4, fields: (_, b) => [field('val', num(b.readInt32LE(0)))] }, m.depth);
      if (m.type === SELNL_MSG_POLICYLOAD) return structPayload(c, ad, len, { size: 4, fields: (_, b) => [field('seqno', num(b.readUInt32LE(0)))] }, m.depth);
      return undefined;
    },
  }),
);

// ---- audit, xfrm, generic ----------------------------------------------------------------------

registerProtocol(NETLINK_AUDIT, tableProtocol(nl_audit_types, 'AUDIT_???'));
registerProtocol(
  NETLINK_XFRM,
  tableProtocol(nl_xfrm_types, 'XFRM_MSG_???', {
    flagClass: (t) => {
      const n = nl_xfrm_types.lookup(BigInt(t));
      return n && /^XFRM_MSG_(NEW|GET|DEL)(SA|POLICY|AE|SADINFO|SPDINFO)$/.test(n) ? classByName(n.slice(9)) : undefined;
    },
  }),
);
registerProtocol(NETLINK_GENERIC, {
  type: (c, t) => {
    const name = nl_genl_ids.lookup(BigInt(t));
    const n = hexStr(BigInt(t));
    if (!name || c.o.xlat === 'raw') return sym(n);
    return sym(c.o.xlat === 'verbose' ? `${n} /* ${name} */` : name);
  },
});

