/**
 * Netlink messages in the data of sendto/sendmsg on a netlink socket (include/uapi/linux/
 * netlink.h): each struct nlmsghdr {len, type, flags, seq, pid} with its payload, one message
 * printed as {hdr} or [{hdr}, payload], several as an array of those. The generic message types
 * (NLMSG_ERROR's struct nlmsgerr, NLMSG_DONE's int) are decoded here; payloads of
 * protocol-specific types print as hex strings until their protocol has a decoder.
 *
 * Every length comes from the tracee: the walk is bounded by the buffer length given to the
 * call and by -s (messages and bytes shown), and never reads more than it prints.
 */
import type { Ctx } from '../printer.js';
import { addr, arr, field, hexstr, num, struct, sym, type Value } from '../value.js';
import { errnoName } from '../../../api.js';
import { netlink_ack_flags, netlink_flags, nl_generic_types, nl_sock_diag_types } from '../xlat/tables.gen.js';
import { xlat, type Xlat } from '../xlat/xlat.js';

export const NLMSG_HDRLEN = 16;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLMSG_MIN_TYPE = 0x10;
/** struct nlmsgerr: int error + the offending request's header. */
const NLMSGERR_SIZE = 4 + NLMSG_HDRLEN;

const NETLINK_SOCK_DIAG = 4;
/** Message types of each protocol, beyond the generic ones below NLMSG_MIN_TYPE. */
const PROTOCOL_TYPES = new Map<number, Xlat>([[NETLINK_SOCK_DIAG, nl_sock_diag_types]]);

const ackFlags = xlat('netlink_ack_flags_all', [...netlink_flags.entries, ...netlink_ack_flags.entries]);

/** The payload bytes as a hex-escaped string (-s applies), or the address when unreadable. */
function rawPayload(c: Ctx, ad: bigint, len: number): Value {
  const want = Math.min(len, c.o.strsize);
  const b = c.fetchAlways(ad, want);
  return b ? hexstr(b, len > want) : addr(ad);
}

function header(c: Ctx, b: Buffer, proto: number): Value {
  const type = b.readUInt16LE(4);
  const flags = BigInt(b.readUInt16LE(6));
  const types = type < NLMSG_MIN_TYPE ? nl_generic_types : PROTOCOL_TYPES.get(proto);
  const typeV = types ? c.xval(BigInt(type), types, type < NLMSG_MIN_TYPE ? 'NLMSG_???' : undefined) : sym(`0x${type.toString(16)}`);
  const flagsX = type === NLMSG_ERROR ? ackFlags : netlink_flags;
  return struct([
    field('nlmsg_len', num(b.readUInt32LE(0))),
    field('nlmsg_type', typeV),
    field('nlmsg_flags', c.flags(flags, flagsX)),
    field('nlmsg_seq', num(b.readUInt32LE(8))),
    field('nlmsg_pid', num(b.readUInt32LE(12))),
  ]);
}

/** The payload of one message: `len` bytes at `ad` (already clipped to the buffer). */
function payload(c: Ctx, proto: number, type: number, ad: bigint, len: number, depth: number): Value {
  if (type === NLMSG_ERROR && len >= NLMSGERR_SIZE) {
    const b = c.fetchAlways(ad, NLMSGERR_SIZE);
    if (!b) return addr(ad);
    const err = b.readInt32LE(0);
    const errV = err < 0 && err > -4096 ? sym(`-${errnoName(-err)}`) : num(err);
    // The request that failed follows, cut to what the buffer holds.
    return struct([field('error', errV), field('msg', depth < 2 ? messages(c, ad + 4n, len - 4, proto, depth + 1) : addr(ad + 4n))]);
  }
  if (type === NLMSG_DONE && len >= 4) {
    const b = c.fetchAlways(ad, 4);
    return b ? num(b.readInt32LE(0)) : addr(ad);
  }
  return rawPayload(c, ad, len);
}

/** One message at `ad` with `avail` bytes left in the buffer; returns the value and its size. */
function message(c: Ctx, ad: bigint, avail: number, proto: number, depth: number): { v: Value; next: number } | undefined {
  const b = c.fetchAlways(ad, NLMSG_HDRLEN);
  if (!b) return undefined;
  const len = b.readUInt32LE(0);
  const hdr = header(c, b, proto);
  if (len < NLMSG_HDRLEN) return { v: hdr, next: 0 };
  const body = Math.min(len, avail) - NLMSG_HDRLEN;
  if (body <= 0) return { v: hdr, next: (len + 3) & ~3 };
  return { v: arr([hdr, payload(c, proto, b.readUInt16LE(4), ad + BigInt(NLMSG_HDRLEN), body, depth)]), next: (len + 3) & ~3 };
}

/**
 * The messages in `total` bytes at `ad` on a socket of netlink protocol `proto`: one prints
 * alone, several as an array.
 */
export function messages(c: Ctx, ad: bigint, total: number, proto: number, depth = 0): Value {
  if (ad === 0n) return addr(ad);
  if (total < NLMSG_HDRLEN) return rawPayload(c, ad, total);
  const out: Value[] = [];
  let off = 0;
  const cap = c.abbrev ? c.o.strsize : 4096;
  while (off < total) {
    const at = ad + BigInt(off);
    const left = total - off;
    if (out.length >= cap) return { t: 'arr', a: out, more: true };
    if (left < NLMSG_HDRLEN) {
      out.push(rawPayload(c, at, left));
      break;
    }
    const m = message(c, at, left, proto, depth);
    if (!m) {
      if (out.length === 0) return addr(ad);
      return { t: 'arr', a: out, moreAt: at };
    }
    out.push(m.v);
    if (m.next === 0 || m.next >= left) break;
    off += m.next;
  }
  if (out.length === 1) return out[0]!;
  return arr(out);
}
