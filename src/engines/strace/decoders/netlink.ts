/**
 * Netlink messages in the data of sendto/sendmsg on a netlink socket (include/uapi/linux/
 * netlink.h): each struct nlmsghdr {len, type, flags, seq, pid} with its payload, one message
 * printed as {hdr} or [{hdr}, payload...], several as an array of those. This file holds the
 * machinery every protocol shares: the message walk, the header (type names and the flag set
 * that depends on whether the type is a NEW, GET or DEL request), NLMSG_ERROR's struct nlmsgerr
 * with its extended-ack attributes, NLMSG_DONE, and the struct nlattr walk. Protocol payloads are
 * decoded by netlink-route.ts, netlink-diag.ts and netlink-misc.ts through `Protocol`.
 *
 * Every length comes from the tracee: the walk is bounded by the buffer length given to the
 * call and by -s (messages, attributes and bytes shown), and never reads more than it prints.
 */
import { xvalStr, type Ctx } from '../printer.js';
import { addr, arr, call, cmt, field, hexstr, kv, num, str, struct, sym, type Field, type Value } from '../value.js';
import { ipv4Text, ipv6Text } from './net.js';
import { errnoName } from '../../../api.js';
import {
  netlink_ack_flags,
  netlink_delete_flags,
  netlink_flags,
  netlink_get_flags,
  netlink_new_flags,
  nl_generic_types,
  nlmsgerr_attrs,
} from '../xlat/tables.gen.js';
import { xlat, type Xlat } from '../xlat/xlat.js';

export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
export const NLMSG_MIN_TYPE = 0x10;
const NLM_F_CAPPED = 0x100;
/** struct nlmsgerr: int error + the offending request's header. */
const NLMSGERR_SIZE = 4 + NLMSG_HDRLEN;
const NLA_F_NESTED = 0x8000;
const NLA_F_NET_BYTEORDER = 0x4000;
const NLA_TYPE_MASK = 0x3fff;
/** Nesting bound for messages inside NLMSG_ERROR and attributes inside attributes. */
const MAX_DEPTH = 8;

export const align4 = (n: number): number => (n + 3) & ~3;

/** Which flag set an nlmsg_flags field of a request uses (netlink.h: GET, NEW, DELETE). */
export type FlagClass = 'get' | 'new' | 'del' | undefined;

/** One message being decoded: what a protocol's payload decoder may look at. */
export interface Msg {
  readonly proto: number;
  readonly type: number;
  readonly flags: number;
  readonly depth: number;
}

/** A netlink protocol (NETLINK_ROUTE, ...): message type names, flag classes, payloads. */
export interface Protocol {
  /** The nlmsg_type of a protocol message (>= NLMSG_MIN_TYPE) as printed. */
  type(c: Ctx, type: number): Value;
  flagClass?(type: number): FlagClass;
  /**
   * The values printed after the header for `len` payload bytes at `ad` (len > 0), or
   * undefined for the hex bytes.
   */
  payload?(c: Ctx, m: Msg, ad: bigint, len: number): Value[] | undefined;
}

const protocols = new Map<number, Protocol>();
export function registerProtocol(proto: number, p: Protocol): void {
  protocols.set(proto, p);
}

/** A protocol whose message types are one table (`dflt` names the unknown ones). */
export function tableProtocol(types: Xlat, dflt: string, more: Omit<Protocol, 'type'> = {}): Protocol {
  return { type: (c, t) => c.xval(BigInt(t), types, dflt), ...more };
}

/** Flag class of a message type from its name: XXX_NEW.../XXX_GET.../XXX_DEL... */
export function classByName(name: string | undefined): FlagClass {
  if (!name) return undefined;
  if (/(^|_)NEW/.test(name)) return 'new';
  if (/(^|_)GET/.test(name)) return 'get';
  if (/(^|_)DEL/.test(name)) return 'del';
  return undefined;
}

const ackFlags = xlat('netlink_ack_flags_all', () => [...netlink_flags.entries, ...netlink_ack_flags.entries]);
const CLASS_FLAGS: Record<'get' | 'new' | 'del', Xlat> = { get: netlink_get_flags, new: netlink_new_flags, del: netlink_delete_flags };

/** The payload bytes as a hex-escaped string (-s applies), or the address when unreadable. */
export function rawBytes(c: Ctx, ad: bigint, len: number): Value {
  const want = Math.min(len, c.o.strsize);
  const b = c.fetchAlways(ad, want);
  return b ? hexstr(b, len > want) : addr(ad);
}

function header(c: Ctx, b: Buffer, proto: number): Value {
  const type = b.readUInt16LE(4);
  const flags = b.readUInt16LE(6);
  const p = protocols.get(proto);
  let typeV: Value;
  let fx: Xlat = netlink_flags;
  if (type < NLMSG_MIN_TYPE) {
    typeV = c.xval(BigInt(type), nl_generic_types, 'NLMSG_???');
    if (type === NLMSG_ERROR) fx = ackFlags;
  } else {
    typeV = p ? p.type(c, type) : sym(`0x${type.toString(16)}`);
    const cls = p?.flagClass?.(type);
    if (cls) fx = CLASS_FLAGS[cls];
  }
  return struct([
    field('nlmsg_len', num(b.readUInt32LE(0))),
    field('nlmsg_type', typeV),
    field('nlmsg_flags', c.flags(BigInt(flags), fx)),
    field('nlmsg_seq', num(b.readUInt32LE(8))),
    // A port id, by default the sender's pid: --pidns-translation annotates it as one.
    field('nlmsg_pid', b.readUInt32LE(12) < 0x80000000 ? c.pidv(BigInt(b.readUInt32LE(12))) : num(b.readUInt32LE(12))),
  ]);
}

function errnoValue(err: number): Value {
  return err < 0 && err > -4096 ? sym(`-${errnoName(-err)}`) : num(err);
}

/**
 * NLMSG_ERROR: {error, msg=the request}; the request is its header alone with NLM_F_CAPPED,
 * else its nlmsg_len; bytes after it are the extended-ack attributes.
 */
function nlmsgerr(c: Ctx, m: Msg, ad: bigint, len: number): Value {
  const e = c.fetchAlways(ad, NLMSGERR_SIZE);
  if (!e) return addr(ad);
  const rest = len - 4;
  const at = ad + 4n;
  const inner = m.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : Math.max(NLMSG_HDRLEN, e.readUInt32LE(4));
  const reqLen = Math.min(rest, inner);
  const s = struct([
    field('error', errnoValue(e.readInt32LE(0))),
    field('msg', m.depth < MAX_DEPTH ? messages(c, at, reqLen, m.proto, m.depth + 1) : addr(at)),
  ]);
  if (rest - reqLen <= 0) return s;
  return arr([s, attrs(c, at + BigInt(reqLen), rest - reqLen, NLMSGERR_ATTRS, m.depth)]);
}

/** The payload of one message: `len` bytes at `ad` (already clipped to the buffer). */
function payload(c: Ctx, m: Msg, ad: bigint, len: number): Value[] {
  if (m.type === NLMSG_ERROR) return [len < NLMSGERR_SIZE ? rawBytes(c, ad, len) : nlmsgerr(c, m, ad, len)];
  if (m.type === NLMSG_DONE && len >= 4) {
    const b = c.fetchAlways(ad, 4);
    return [b ? num(b.readInt32LE(0)) : addr(ad)];
  }
  if (m.type >= NLMSG_MIN_TYPE) {
    const v = protocols.get(m.proto)?.payload?.(c, m, ad, len);
    if (v) return v;
  }
  return [rawBytes(c, ad, len)];
}

/** One message at `ad` with `avail` bytes left in the buffer; returns the value and its size. */
function message(c: Ctx, ad: bigint, avail: number, proto: number, depth: number): { v: Value; next: number } | undefined {
  const b = c.fetchAlways(ad, NLMSG_HDRLEN);
  if (!b) return undefined;
  const len = b.readUInt32LE(0);
  const hdr = header(c, b, proto);
  if (len < NLMSG_HDRLEN) return { v: hdr, next: 0 };
  const body = Math.min(len, avail) - NLMSG_HDRLEN;
  if (body <= 0) return { v: hdr, next: align4(len) };
  const m: Msg = { proto, type: b.readUInt16LE(4), flags: b.readUInt16LE(6), depth };
  return { v: arr([hdr, ...payload(c, m, ad + BigInt(NLMSG_HDRLEN), body)]), next: align4(len) };
}

/**
 * The messages in `total` bytes at `ad` on a socket of netlink protocol `proto`: one prints
 * alone, several as an array.
 */
export function messages(c: Ctx, ad: bigint, total: number, proto: number, depth = 0): Value {
  if (ad === 0n) return addr(ad);
  if (total < NLMSG_HDRLEN) return rawBytes(c, ad, total);
  const out: Value[] = [];
  let off = 0;
  const cap = c.abbrev ? c.o.strsize : 4096;
  while (off < total) {
    const at = ad + BigInt(off);
    const left = total - off;
    if (out.length >= cap) return { t: 'arr', a: out, more: true };
    if (left < NLMSG_HDRLEN) {
      out.push(rawBytes(c, at, left));
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

/** A bit set printed as 1<<NAME|... (strace's "states" style); `shift` for 1<<(NAME-1). */
export function bitset(c: Ctx, v: number, x: Xlat, dflt: string, shift = 0): Value {
  if (c.o.xlat === 'raw' || v === 0) return sym(v ? `0x${(v >>> 0).toString(16)}` : '0');
  const names: string[] = [];
  let rest = v >>> 0;
  for (let bit = 0; bit < 32; bit++) {
    const m = (1 << bit) >>> 0;
    if (!(rest & m)) continue;
    const n = x.lookup(BigInt(bit + shift));
    if (n === undefined) continue;
    names.push(shift ? `1<<(${n}-${shift})` : `1<<${n}`);
    rest = (rest & ~m) >>> 0;
  }
  if (!names.length) return sym(dflt ? `0x${rest.toString(16)} /* ${shift ? `1<<(${dflt}-${shift})` : `1<<${dflt}`} */` : `0x${rest.toString(16)}`);
  if (rest) names.push(`0x${rest.toString(16)}`);
  const s = names.join('|');
  return sym(c.o.xlat === 'verbose' ? `0x${(v >>> 0).toString(16)} /* ${s} */` : s);
}

// ---- attributes (struct nlattr) ----------------------------------------------------------------

/** Decodes the data of one attribute (`len` > 0 bytes at `ad`); undefined prints the hex bytes. */
export type AttrDecoder = (c: Ctx, ad: bigint, len: number, depth: number) => Value | undefined;

/** The attributes of one nesting level: type names and data decoders by type. */
export interface AttrSpec {
  readonly types: Xlat;
  readonly dflt?: string;
  readonly dec?: Readonly<Record<number, AttrDecoder>>;
}

function attrType(c: Ctx, t: number, spec: AttrSpec): Value {
  const base = c.xval(BigInt(t & NLA_TYPE_MASK), spec.types, spec.dflt);
  const hi = t & (NLA_F_NESTED | NLA_F_NET_BYTEORDER);
  if (!hi || c.o.xlat === 'raw') return hi ? sym(`0x${t.toString(16)}`) : base;
  const pre = [hi & NLA_F_NESTED ? 'NLA_F_NESTED' : '', hi & NLA_F_NET_BYTEORDER ? 'NLA_F_NET_BYTEORDER' : ''].filter(Boolean);
  return sym(`${pre.join('|')}|${base.t === 'sym' ? base.s : ''}`);
}

/**
 * The attributes in `len` bytes at `ad`: each {nla_len, nla_type} or [{...}, data]; one prints
 * alone, several as an array (at most -s of them), trailing bytes too short for an attribute as
 * hex. An attribute whose nla_len is shorter than its header or runs past the buffer ends the
 * walk.
 */
export function attrs(c: Ctx, ad: bigint, len: number, spec: AttrSpec, depth: number): Value {
  const out: Value[] = [];
  let off = 0;
  const cap = c.abbrev ? c.o.strsize : 4096;
  let tail: Value | undefined;
  let more = false;
  let moreAt: bigint | undefined;
  while (len - off >= NLA_HDRLEN) {
    if (out.length >= cap) {
      more = true;
      break;
    }
    const at = ad + BigInt(off);
    const h = c.fetchAlways(at, NLA_HDRLEN);
    if (!h) {
      if (out.length === 0) return addr(ad);
      moreAt = at;
      break;
    }
    const nlaLen = h.readUInt16LE(0);
    const type = h.readUInt16LE(2);
    const hv = struct([field('nla_len', num(nlaLen)), field('nla_type', attrType(c, type, spec))]);
    const dataLen = Math.min(nlaLen, len - off) - NLA_HDRLEN;
    if (dataLen > 0) {
      const d = depth < MAX_DEPTH ? spec.dec?.[type & NLA_TYPE_MASK]?.(c, at + BigInt(NLA_HDRLEN), dataLen, depth + 1) : undefined;
      if (d && d.t === 'arr' && spreadValues.has(d)) out.push(arr([hv, ...d.a]));
      else out.push(arr([hv, d ?? rawBytes(c, at + BigInt(NLA_HDRLEN), dataLen)]));
    } else out.push(hv);
    if (nlaLen < NLA_HDRLEN || nlaLen > len - off) {
      off = len;
      break;
    }
    off += align4(nlaLen);
  }
  if (!more && moreAt === undefined && off < len) tail = rawBytes(c, ad + BigInt(off), len - off);
  if (tail) out.push(tail);
  if (out.length === 1 && !more && moreAt === undefined) return out[0]!;
  if (moreAt !== undefined) return { t: 'arr', a: out, moreAt };
  return arr(out, more);
}

/** Values an attribute decoder returns to print as several items after the header. */
const spreadValues = new WeakSet<Value>();
export function spread(vs: Value[]): Value {
  const v = arr(vs);
  spreadValues.add(v);
  return v;
}

/**
 * Attribute data that starts with a fixed structure (or value) of `size` bytes followed by nested
 * attributes at its size rounded up to 4: [{nla_len, nla_type}, value, attributes].
 */
export function headedAttr(size: number, head: (c: Ctx, b: Buffer) => Value, more: AttrSpec): AttrDecoder {
  return (c, ad, len, depth) => {
    if (len < size) return undefined;
    const b = c.fetchAlways(ad, size);
    if (!b) return addr(ad);
    const h = head(c, b);
    const off = align4(size);
    if (len <= off) return h;
    return spread([h, attrs(c, ad + BigInt(off), len - off, more, depth)]);
  };
}

/** Attribute data decoder: nested attributes of `spec`. */
export const nested =
  (spec: AttrSpec): AttrDecoder =>
  (c, ad, len, depth) =>
    attrs(c, ad, len, spec, depth);

/** Fixed-size integer data (the first bytes when longer, hex when shorter). */
function intAttr(size: number, read: (b: Buffer) => Value): AttrDecoder {
  return (c, ad, len) => {
    if (len < size) return undefined;
    const b = c.fetchAlways(ad, size);
    return b ? read(b) : addr(ad);
  };
}
export const u8Attr = intAttr(1, (b) => num(b.readUInt8(0)));
export const u16Attr = intAttr(2, (b) => num(b.readUInt16LE(0)));
export const u32Attr = intAttr(4, (b) => num(b.readUInt32LE(0)));
export const u64Attr = intAttr(8, (b) => num(b.readBigUInt64LE(0)));
export const s32Attr = intAttr(4, (b) => num(b.readInt32LE(0)));
export const x32Attr = intAttr(4, (b) => sym(b.readUInt32LE(0) ? `0x${b.readUInt32LE(0).toString(16)}` : '0'));
export const x16Attr = intAttr(2, (b) => sym(b.readUInt16LE(0) ? `0x${b.readUInt16LE(0).toString(16)}` : '0'));
/** A file descriptor (s32; -y adds its path). */
export const fdAttr: AttrDecoder = (c, ad, len) => {
  if (len < 4) return undefined;
  const b = c.fetchAlways(ad, 4);
  return b ? c.fd(BigInt(b.readInt32LE(0))) : addr(ad);
};
/**
 * A string filling the data: a trailing NUL ends it, NULs inside print escaped; without the
 * trailing NUL it is marked as cut (-s applies).
 */
export const fixedStrAttr: AttrDecoder = (c, ad, len) => {
  const want = Math.min(len, c.o.strsize + 1);
  const b = c.fetchAlways(ad, want);
  if (!b) return addr(ad);
  const terminated = want === len && b[len - 1] === 0;
  const n = terminated ? len - 1 : want;
  const shown = Math.min(n, c.o.strsize);
  return { t: 'str', b: b.subarray(0, shown), more: !terminated || n > shown };
};
/** An integer attribute printed from a table (printxval) or as flags. */
export function xvalAttr(size: 1 | 2 | 4, x: Xlat, dflt: string | undefined, flags = false): AttrDecoder {
  return (c, ad, len) => {
    if (len < size) return undefined;
    const b = c.fetchAlways(ad, size);
    if (!b) return addr(ad);
    const v = BigInt(size === 1 ? b.readUInt8(0) : size === 2 ? b.readUInt16LE(0) : b.readUInt32LE(0));
    return flags ? c.flags(v, x, dflt) : c.xval(v, x, dflt);
  };
}
/** A NUL-terminated string attribute (-s applies). */
export const strAttr: AttrDecoder = (c, ad, len) => {
  const want = Math.min(len, c.o.strsize + 1);
  const b = c.fetchAlways(ad, want);
  if (!b) return addr(ad);
  const z = b.indexOf(0);
  if (z >= 0) return { t: 'str', b: b.subarray(0, z), more: false };
  // No NUL within the data: strace marks the string as cut.
  return { t: 'str', b: b.subarray(0, Math.min(b.length, c.o.strsize)), more: true };
};

/** NLMSGERR_ATTR_*: the extended ack (netlink.h). */
const NLMSGERR_ATTRS: AttrSpec = {
  types: nlmsgerr_attrs,
  dflt: 'NLMSGERR_ATTR_???',
  dec: {
    1: strAttr, // MSG
    2: u32Attr, // OFFS
    3: (c, ad, len) => {
      // COOKIE: the bytes as numbers
      const n = Math.min(len, c.o.strsize);
      const b = c.fetchAlways(ad, n);
      if (!b) return addr(ad);
      return arr([...b].map((x) => num(x)), len > n);
    },
  },
};

// ---- fixed structures at the start of a payload ------------------------------------------------

/** Decodes the fields of a fixed structure from its bytes (after the family byte when `family`). */
export interface StructSpec {
  readonly size: number;
  /** All fields, from the whole structure's bytes. */
  fields(c: Ctx, b: Buffer): Field[];
  /**
   * Attributes after the structure (at its size rounded up to 4), else the bytes print in hex;
   * a function when they depend on the structure (an address family).
   */
  readonly attrs?: AttrSpec | ((b: Buffer) => AttrSpec | undefined);
}

function tail(c: Ctx, ad: bigint, len: number, s: StructSpec, b: Buffer, depth: number): Value {
  const spec = typeof s.attrs === 'function' ? s.attrs(b) : s.attrs;
  return spec ? attrs(c, ad, len, spec, depth) : rawBytes(c, ad, len);
}

/**
 * A payload that starts with a fixed structure: the structure, then its attributes. Shorter than
 * the structure: its bytes in hex; unreadable: its address.
 */
export function structPayload(c: Ctx, ad: bigint, len: number, s: StructSpec, depth: number): Value[] {
  if (len < s.size) return [rawBytes(c, ad, len)];
  const b = c.fetchAlways(ad, s.size);
  if (!b) return [addr(ad)];
  const out: Value[] = [struct(s.fields(c, b))];
  const off = align4(s.size);
  if (len > off) out.push(tail(c, ad + BigInt(off), len - off, s, b, depth));
  return out;
}

/**
 * A payload that starts with a family byte (rtnetlink, sock_diag): the first field prints even
 * when the rest is short ({x_family=AF_INET, ...}) or unreadable ({x_family=AF_INET, 0x…}).
 */
export function familyStructPayload(c: Ctx, ad: bigint, len: number, s: StructSpec, first: Field, depth: number): Value[] {
  if (len < s.size) return [struct([first], true)];
  const b = c.fetchAlways(ad, s.size);
  if (!b) return [struct([first, { k: '', v: addr(ad + 1n), bare: true }])];
  const out: Value[] = [struct(s.fields(c, b))];
  const off = align4(s.size);
  if (len > off) out.push(tail(c, ad + BigInt(off), len - off, s, b, depth));
  return out;
}

// ---- attribute data shapes shared by the families ------------------------------------------------

/** A fixed structure (at least `size` bytes; shorter prints hex, unreadable its address). */
export function structAttr(size: number, fields: (c: Ctx, b: Buffer) => Field[]): AttrDecoder {
  return (c, ad, len) => {
    if (len < size) return undefined;
    const b = c.fetchAlways(ad, size);
    return b ? struct(fields(c, b)) : addr(ad);
  };
}

/**
 * A fixed structure followed by bytes it does not describe (a newer kernel's fields): the
 * structure, then the rest in hex, as [{nla_len, nla_type}, {…}, "\x…"].
 */
export function structTailAttr(size: number, fields: (c: Ctx, b: Buffer) => Field[]): AttrDecoder {
  return (c, ad, len) => {
    if (len < size) return undefined;
    const b = c.fetchAlways(ad, size);
    if (!b) return addr(ad);
    const s = struct(fields(c, b));
    return len > size ? spread([s, rawBytes(c, ad + BigInt(size), len - size)]) : s;
  };
}

/**
 * An array of `size`-byte elements filling the data (fewer bytes than one element print hex):
 * at most -s elements, an unreadable one ends it with its address.
 */
export function arrayAttr(size: number, elem: (c: Ctx, b: Buffer, i: number, at: bigint) => Value): AttrDecoder {
  return (c, ad, len) => {
    if (len < size) return undefined;
    const n = Math.floor(len / size);
    const cap = c.abbrev ? c.o.strsize : 4096;
    const out: Value[] = [];
    for (let i = 0; i < n; i++) {
      if (out.length >= cap) return arr(out, true);
      const at = ad + BigInt(i * size);
      const b = c.fetchAlways(at, size);
      if (!b) return out.length ? { t: 'arr', a: out, moreAt: at } : addr(ad);
      out.push(elem(c, b, i, at));
    }
    return arr(out);
  };
}

/**
 * An array of u32/u64 counters indexed by an enum: [[NAME]=value, ...] (an index without a name
 * prints as a number with the `dflt` comment).
 */
export function indexedArrayAttr(size: 4 | 8, x: Xlat, dflt: string, signed = false, base = 0): AttrDecoder {
  return arrayAttr(size, (c, b, i) => {
    const v = size === 8 ? b.readBigUInt64LE(0) : signed ? b.readInt32LE(0) : b.readUInt32LE(0);
    // with `base`, element i is the constant i + base (IPV4_DEVCONF_* count from 1)
    const name = base && c.o.xlat !== 'raw' ? x.lookup(BigInt(i + base)) : undefined;
    const k = name !== undefined ? (c.o.xlat === 'verbose' ? `${i} /* ${name}-${base} */` : `${name}-${base}`) : xvalStr(BigInt(i), base ? EMPTY : x, dflt, c.o.xlat, 'd');
    return kv(`[${k}]`, num(v));
  });
}
const EMPTY = xlat('empty', []);

/**
 * clock_t ticks (USER_HZ, 100 a second) in 1 to 8 bytes: the number, with the seconds as a
 * comment unless it is 0 or -X raw; longer data prints as hex.
 */
export const clockTAttr: AttrDecoder = (c, ad, len) => {
  if (len > 8) return undefined;
  const b = c.fetchAlways(ad, len);
  if (!b) return addr(ad);
  let v = 0n;
  for (let i = len - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (v === 0n || c.o.xlat === 'raw') return num(v);
  return cmt(num(v), `${v / 100n}.${(v % 100n).toString().padStart(2, '0')} s`);
};

/**
 * An IPv4 (4 bytes) or IPv6 (16 bytes) address: inet_addr("…") / inet_pton(AF_INET6, "…"); with
 * -X raw the bytes, with -X verbose the bytes and the call as a comment.
 */
export function inetAddrValue(c: Ctx, b: Buffer): Value {
  const v = b.length === 4 ? call('inet_addr', str(Buffer.from(ipv4Text(b, 0)))) : call('inet_pton', sym('AF_INET6'), str(Buffer.from(ipv6Text(b, 0))));
  if (c.o.xlat === 'abbrev') return v;
  const bytes = hexstr(b);
  if (c.o.xlat === 'raw') return bytes;
  return { t: 'cmt', v: bytes, c: b.length === 4 ? `inet_addr("${ipv4Text(b, 0)}")` : `inet_pton(AF_INET6, "${ipv6Text(b, 0)}")` };
}
/** An address attribute of `size` bytes (4 or 16); shorter data prints as hex. */
export function inetAddrAttr(size: 4 | 16): AttrDecoder {
  return (c, ad, len) => {
    if (len < size) return undefined;
    const b = c.fetchAlways(ad, size);
    return b ? inetAddrValue(c, b) : addr(ad);
  };
}
