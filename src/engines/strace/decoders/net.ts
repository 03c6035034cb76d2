/**
 * Sockets: socket/socketpair/bind/connect/listen/accept/accept4/shutdown, send and recv calls (with msghdr,
 * iovec and control messages), getsockname/getpeername (get/setsockopt: sockopt.ts), with AF_UNIX, AF_INET,
 * AF_INET6 (sockaddr-inet.ts) and AF_NETLINK addresses (strace net.c, sockaddr.c, msghdr.c); other
 * families in sockaddr-families.ts.
 */
import { Ctx, I32, RV, RVAL_DECODED, U32, flagsStr, xvalStr, type Decoder } from '../printer.js';
import { NULL, addr, arr, chg, field, num, str, struct, sym, type Field, type Value } from '../value.js';
import {
  addrfams,
  inet_protocols,
  msg_flags,
  netlink_protocols,
  shutdown_modes,
  sock_type_flags,
  socktypes,
} from '../xlat/tables.gen.js';
import type { Xlat } from '../xlat/xlat.js';
import { renderValue } from '../render.js';
import { iovArray } from './common.js';
import { cmsgValue } from './cmsg.js';
import { familyFields } from './sockaddr-families.js';
import { moreFamilyFields } from './sockaddr-families2.js';
import { SOCKADDR_IN6_LEN_V1, SOCKADDR_IN_LEN, in4Fields, in6Fields } from './sockaddr-inet.js';
import { messages as netlinkMessages } from './netlink-protocols.js';

export { ipv4Text, ipv6Text } from './sockaddr-inet.js';

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;
const SOCKADDR_STORAGE = 128;

/** struct sockaddr of `len` bytes at `ad` (strace decode_sockaddr). */
export function sockaddrValue(c: Ctx, ad: bigint, len: bigint): Value {
  if (ad === 0n) return NULL;
  if (len < 2n) return addr(ad);
  const n = len > BigInt(SOCKADDR_STORAGE) ? SOCKADDR_STORAGE : Number(len);
  const b = c.fetch(ad, n);
  if (!b) return addr(ad);
  const fam = b.readUInt16LE(0);
  const f: Field[] = [field('sa_family', c.xval(BigInt(fam), addrfams, 'AF_???'))];
  if (fam === AF_UNIX) {
    if (n > 2) {
      const p = b.subarray(2, Math.min(n, 110));
      if (p[0] === 0 && p.length > 1) {
        // Abstract socket: every byte counts, NULs included.
        f.push(field('sun_path', { t: 'sym', s: `@${renderStr(c, p.subarray(1))}` }));
      } else {
        const z = p.indexOf(0);
        f.push(field('sun_path', str(z >= 0 ? p.subarray(0, z) : p)));
      }
    }
    return struct(f);
  }
  if (fam === AF_INET && n >= SOCKADDR_IN_LEN) return struct([...f, ...in4Fields(c, b, 0)]);
  if (fam === AF_INET6 && n >= SOCKADDR_IN6_LEN_V1) return struct([...f, ...in6Fields(c, b, 0, n)]);
  if (fam === AF_NETLINK && n >= 12) {
    // nl_pad shows only when set; nl_groups as C's %#08x (the width counts the 0x; zero has none).
    const pad = b.readUInt16LE(2);
    if (pad) f.push(field('nl_pad', sym(`0x${pad.toString(16)}`)));
    const groups = b.readUInt32LE(8);
    // nl_pid is a process id for sockets the kernel numbered by their owner's tgid.
    f.push(field('nl_pid', c.pidv(BigInt(b.readInt32LE(4)))), field('nl_groups', sym(groups ? `0x${groups.toString(16).padStart(6, '0')}` : '00000000')));
    return struct(f);
  }
  const more = familyFields(c, fam, b, n) ?? moreFamilyFields(c, fam, b, n);
  if (more) return struct([...f, ...more.f], more.more);
  if (n > 2) f.push(field('sa_data', str(b.subarray(2, n))));
  return struct(f);
}

function renderStr(c: Ctx, b: Buffer): string {
  return renderValue(str(b), c.o.hexStrings);
}

const DOMAIN_PROTOCOLS: Record<number, Xlat> = {
  [AF_INET]: inet_protocols,
  [AF_INET6]: inet_protocols,
  [AF_NETLINK]: netlink_protocols,
};

function sockTypeStr(c: Ctx, v: bigint): string {
  if (c.o.xlat === 'raw') return `0x${v.toString(16)}`;
  const t = xvalStr(v & 0xfn, socktypes, 'SOCK_???', 'abbrev');
  const rest = v & ~0xfn;
  return rest ? `${t}|${flagsStr(rest, sock_type_flags, 'SOCK_???')}` : t;
}

function protocolValue(c: Ctx, domain: number, proto: bigint): Value {
  const x = DOMAIN_PROTOCOLS[domain];
  if (!x) return num(I32(proto));
  return c.xval(U32(proto), x, domain === AF_NETLINK ? 'NETLINK_???' : 'IPPROTO_???', 'u');
}

/** Reads an int-sized socklen at entry (value-result length arguments). */
function readLen(c: Ctx, ad: bigint): bigint | undefined {
  if (ad === 0n) return undefined;
  const b = c.fetchAlways(ad, 4);
  return b ? BigInt(b.readUInt32LE(0)) : undefined;
}

/** [in => out] or [out]; the address when unreadable. */
function lenChanged(c: Ctx, ad: bigint, before: bigint | undefined): Value {
  if (ad === 0n) return NULL;
  if (before === undefined) return addr(ad);
  if (c.failed) return arr([num(before)]);
  const b = c.fetch(ad, 4);
  if (!b) return addr(ad);
  const after = BigInt(b.readUInt32LE(0));
  return arr([after === before ? num(after) : chg(num(before), num(after))]);
}

/** accept/getsockname/getpeername: fd, sockaddr and value-result length at exit. */
function sockaddrResult(withFlags: boolean): Decoder {
  return (c) => {
    if (c.entering) {
      c.push(c.fd(c.a[0]));
      c.priv = readLen(c, c.a[2]);
      return 0;
    }
    const before = c.priv as bigint | undefined;
    let outLen = before ?? 0n;
    if (!c.failed && c.a[2]) {
      const b = c.fetch(c.a[2], 4);
      if (b) outLen = BigInt(b.readUInt32LE(0));
    }
    const shown = before !== undefined && outLen > before ? before : outLen;
    c.push(c.failed || before === undefined ? c.ptr(1) : sockaddrValue(c, c.a[1], shown), lenChanged(c, c.a[2], before));
    if (withFlags) c.push(sockTypeFlags(c, c.a[3]));
    return withFlags ? RV.FD : 0;
  };
}

function sockTypeFlags(c: Ctx, v: bigint): Value {
  return c.flags(U32(v), sock_type_flags, 'SOCK_???');
}

const msgFlags = (c: Ctx, v: bigint): Value => c.flags(U32(v), msg_flags, 'MSG_???');


/** struct msghdr (56 bytes). `dataSize`: bytes of iov data to show (recvmsg: rval). */
export function msghdrValue(c: Ctx, ad: bigint, dataSize: bigint | undefined, namelenBefore?: number): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 56);
  if (!b) return addr(ad);
  const name = b.readBigUInt64LE(0);
  const namelen = b.readUInt32LE(8);
  const iov = b.readBigUInt64LE(16);
  const iovlen = b.readBigUInt64LE(24);
  const control = b.readBigUInt64LE(32);
  const controllen = b.readBigUInt64LE(40);
  const f: Field[] = [];
  // The kernel writes at most the offered length of the name, while msg_namelen tells its full size.
  const shownLen = namelenBefore !== undefined && namelenBefore < namelen ? namelenBefore : namelen;
  f.push(field('msg_name', name === 0n ? NULL : sockaddrValue(c, name, BigInt(shownLen))));
  f.push(field('msg_namelen', namelenBefore !== undefined && namelenBefore !== namelen ? chg(num(namelenBefore), num(namelen)) : num(namelen)));
  f.push(field('msg_iov', iovArray(c, iov, iovlen, dataSize)));
  f.push(field('msg_iovlen', num(iovlen)));
  if (controllen) f.push(field('msg_control', cmsgValue(c, control, controllen, sockaddrValue)));
  f.push(field('msg_controllen', num(controllen)));
  f.push(field('msg_flags', msgFlags(c, BigInt(b.readInt32LE(48) >>> 0))));
  return struct(f);
}

/** Data sent on fd a[0]: netlink messages on a netlink socket, else the bytes. */
function sendData(c: Ctx, ad: bigint, len: bigint): Value {
  const proto = ad !== 0n ? c.o.netlinkProtocol?.(c.pid, Number(I32(c.a[0]))) : undefined;
  if (proto !== undefined) return netlinkMessages(c, ad, len > 0x7fffffffn ? 0x7fffffff : Number(len), proto);
  return c.buf(ad, len);
}

export const netDecoders: Record<string, Decoder> = {
  socket: (c) => {
    const dom = Number(U32(c.a[0]));
    c.push(c.xval(BigInt(dom), addrfams, 'AF_???', 'x'), sym(sockTypeStr(c, U32(c.a[1]))), protocolValue(c, dom, c.a[2]));
    return RVAL_DECODED | RV.FD;
  },
  socketpair: (c) => {
    if (c.entering) {
      const dom = Number(U32(c.a[0]));
      c.push(c.xval(BigInt(dom), addrfams, 'AF_???', 'x'), sym(sockTypeStr(c, U32(c.a[1]))), protocolValue(c, dom, c.a[2]));
      return 0;
    }
    const b = c.fetch(c.a[3], 8);
    c.push(b ? arr([c.fd(BigInt(b.readInt32LE(0))), c.fd(BigInt(b.readInt32LE(4)))]) : c.ptr(3));
    return 0;
  },
  bind: (c) => {
    c.push(c.fd(c.a[0]), sockaddrValue(c, c.a[1], U32(c.a[2])), c.uint(2));
    return RVAL_DECODED;
  },
  connect: (c) => {
    c.push(c.fd(c.a[0]), sockaddrValue(c, c.a[1], U32(c.a[2])), c.uint(2));
    return RVAL_DECODED;
  },
  listen: (c) => {
    c.push(c.fd(c.a[0]), c.int(1));
    return RVAL_DECODED;
  },
  accept: (c) => {
    const r = sockaddrResult(false)(c);
    return c.entering ? r : r | RV.FD;
  },
  accept4: sockaddrResult(true),
  getsockname: sockaddrResult(false),
  getpeername: sockaddrResult(false),
  shutdown: (c) => {
    c.push(c.fd(c.a[0]), c.xval(U32(c.a[1]), shutdown_modes, 'SHUT_???', 'u'));
    return RVAL_DECODED;
  },
  sendto: (c) => {
    c.push(c.fd(c.a[0]), sendData(c, c.a[1], c.a[2]), c.ulong(2), msgFlags(c, c.a[3]), sockaddrValue(c, c.a[4], U32(c.a[5])), c.uint(5));
    return RVAL_DECODED;
  },
  recvfrom: (c) => {
    if (c.entering) {
      c.push(c.fd(c.a[0]));
      c.priv = readLen(c, c.a[5]);
      return 0;
    }
    const before = c.priv as bigint | undefined;
    // MSG_TRUNC returns the datagram's full length, more than the buffer holds.
    c.push(c.failed ? c.ptr(1) : c.buf(c.a[1], c.rval < c.a[2] ? c.rval : c.a[2]), c.ulong(2), msgFlags(c, c.a[3]));
    let outLen = before ?? 0n;
    if (!c.failed && c.a[5]) {
      const b = c.fetch(c.a[5], 4);
      if (b) outLen = BigInt(b.readUInt32LE(0));
    }
    const shown = before !== undefined && outLen > before ? before : outLen;
    c.push(c.failed || c.a[4] === 0n || before === undefined ? c.ptr(4) : sockaddrValue(c, c.a[4], shown), lenChanged(c, c.a[5], before));
    return 0;
  },
  sendmsg: (c) => {
    c.push(c.fd(c.a[0]), msghdrValue(c, c.a[1], undefined), msgFlags(c, c.a[2]));
    return RVAL_DECODED;
  },
  recvmsg: (c) => {
    if (c.entering) {
      c.push(c.fd(c.a[0]));
      const b = c.fetch(c.a[1], 12);
      c.priv = b ? b.readUInt32LE(8) : undefined;
      return 0;
    }
    const before = c.priv as number | undefined;
    // A failed call filled in nothing: strace shows the name length the caller offered.
    const failed = before === undefined ? c.ptr(1) : struct([field('msg_namelen', num(before))]);
    c.push(c.failed ? failed : msghdrValue(c, c.a[1], c.rval, before), msgFlags(c, c.a[2]));
    return 0;
  },
};

