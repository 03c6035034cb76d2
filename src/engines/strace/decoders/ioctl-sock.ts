/**
 * Socket ioctls, type byte 0x89 (include/uapi/linux/sockios.h, asm-generic/sockios.h): the
 * owner and out-of-band int * requests, bridge names, struct ifreq (include/uapi/linux/if.h)
 * by the member each request uses, and SIOCGIFCONF's struct ifconf. A request known here with
 * a NULL argument prints NULL; one whose argument is not decoded prints its address.
 */
import { Ctx, RVAL_DECODED } from '../printer.js';
import { addr, arr, chg, cmt, field, hexStr, num, str, struct, sym, type Field, type Value } from '../value.js';
import { arp_hardware_types, iffflags } from '../xlat/tables.gen.js';
import { ifindexValue } from './common.js';
import { ioc, ioctlName, registerIoctlFamily } from './ioctl.js';
import { charArray } from './ioctl-struct.js';
import { sockaddrValue } from './net.js';

const IFNAMSIZ = 16;
/** struct ifreq: ifr_name[16], then a 24-byte union. */
const IFREQ_SIZE = 40;
const U = 16;
/** struct ifconf { int ifc_len; union { char *ifc_buf; struct ifreq *ifc_req; }; } */
const IFCONF_SIZE = 16;
const ARPHRD_ETHER = 1;

/** The union member a request reads or writes (of the ifreq `b`, read from `at`), and how it prints. */
type Member = (c: Ctx, b: Buffer, at: bigint) => Field;

const sockaddrAt =
  (name: string): Member =>
  (c, _b, at) =>
    field(name, sockaddrValue(c, at + BigInt(U), 16n));

/** ifr_hwaddr: the hardware type, and an Ethernet address as 6 colon-separated bytes. */
const hwaddr: Member = (c, b) => {
  const fam = b.readUInt16LE(U);
  const data = b.subarray(U + 2, U + 16);
  const bytes = fam === ARPHRD_ETHER ? data.subarray(0, 6) : data;
  const mac = [...bytes].map((x) => x.toString(16).padStart(2, '0')).join(':');
  return field('ifr_hwaddr', struct([field('sa_family', c.xval(BigInt(fam), arp_hardware_types, 'ARPHRD_???')), field('sa_data', sym(mac))]));
};

const int =
  (name: string): Member =>
  (_c, b) =>
    field(name, num(b.readInt32LE(U)));
const name =
  (n: string): Member =>
  (_c, b) =>
    field(n, charArray(b, U, IFNAMSIZ));
const flags: Member = (c, b) => field('ifr_flags', c.flags(BigInt(b.readUInt16LE(U)), iffflags, 'IFF_???'));
/** struct ifmap { unsigned long mem_start, mem_end; unsigned short base_addr; unsigned char irq, dma, port; } */
const ifmap: Member = (_c, b) => {
  const h = (v: bigint | number): Value => sym(hexStr(BigInt(v)));
  return field(
    'ifr_map',
    struct([
      field('mem_start', h(b.readBigUInt64LE(U))),
      field('mem_end', h(b.readBigUInt64LE(U + 8))),
      field('base_addr', h(b.readUInt16LE(U + 16))),
      field('irq', h(b[U + 18]!)),
      field('dma', h(b[U + 19]!)),
      field('port', h(b[U + 20]!)),
    ]),
  );
};
const ifindex: Member = (_c, b) => field('ifr_ifindex', num(b.readInt32LE(U)));
const bridgeIf: Member = (c, b) => field('ifr_ifindex', ifindexValue(c, b.readInt32LE(U)));

/** How a request's argument prints. */
type Kind =
  | { k: 'ptr' }
  | { k: 'intIn' }
  | { k: 'intOut' }
  | { k: 'ifname' }
  | { k: 'ifconf' }
  /** ifreq: `in` printed from the caller's structure, `out` added at exit when the call worked. */
  | { k: 'ifreq'; named: boolean; in?: Member; out?: Member };

let KINDS: Map<number, Kind> | undefined;
function kinds(): Map<number, Kind> {
  if (KINDS) return KINDS;
  const set = (m: Member): Kind => ({ k: 'ifreq', named: true, in: m });
  const get = (m: Member): Kind => ({ k: 'ifreq', named: true, out: m });
  const rows: [string, Kind][] = [
    ['FIOSETOWN', { k: 'intIn' }],
    ['SIOCSPGRP', { k: 'intIn' }],
    ['FIOGETOWN', { k: 'intOut' }],
    ['SIOCGPGRP', { k: 'intOut' }],
    ['SIOCATMARK', { k: 'intOut' }],
    ['SIOCSIFENCAP', { k: 'intIn' }],
    ['SIOCGIFENCAP', { k: 'intOut' }],
    ['SIOCBRADDBR', { k: 'ifname' }],
    ['SIOCBRDELBR', { k: 'ifname' }],
    ['SIOCGIFCONF', { k: 'ifconf' }],
    ['SIOCSIFADDR', set(sockaddrAt('ifr_addr'))],
    ['SIOCGIFADDR', get(sockaddrAt('ifr_addr'))],
    ['SIOCSIFBRDADDR', set(sockaddrAt('ifr_broadaddr'))],
    ['SIOCGIFBRDADDR', get(sockaddrAt('ifr_broadaddr'))],
    ['SIOCSIFDSTADDR', set(sockaddrAt('ifr_dstaddr'))],
    ['SIOCGIFDSTADDR', get(sockaddrAt('ifr_dstaddr'))],
    ['SIOCSIFNETMASK', set(sockaddrAt('ifr_netmask'))],
    ['SIOCGIFNETMASK', get(sockaddrAt('ifr_netmask'))],
    ['SIOCSIFFLAGS', set(flags)],
    ['SIOCGIFFLAGS', get(flags)],
    ['SIOCSIFHWADDR', set(hwaddr)],
    ['SIOCGIFHWADDR', get(hwaddr)],
    ['SIOCSIFHWBROADCAST', set(hwaddr)],
    ['SIOCADDMULTI', set(hwaddr)],
    ['SIOCDELMULTI', set(hwaddr)],
    ['SIOCSIFMAP', set(ifmap)],
    ['SIOCGIFMAP', get(ifmap)],
    ['SIOCSIFMETRIC', set(int('ifr_metric'))],
    ['SIOCGIFMETRIC', get(int('ifr_metric'))],
    ['SIOCSIFMTU', set(int('ifr_mtu'))],
    ['SIOCGIFMTU', get(int('ifr_mtu'))],
    ['SIOCSIFTXQLEN', set(int('ifr_qlen'))],
    ['SIOCGIFTXQLEN', get(int('ifr_qlen'))],
    ['SIOCSIFNAME', set(name('ifr_newname'))],
    ['SIOCSIFSLAVE', set(name('ifr_slave'))],
    ['SIOCGIFSLAVE', get(name('ifr_slave'))],
    ['SIOCGIFINDEX', get(ifindex)],
    // SIOCGIFNAME maps an index to its name: no name goes in.
    ['SIOCGIFNAME', { k: 'ifreq', named: false, in: ifindex, out: (_c, b) => field('ifr_name', charArray(b, 0, IFNAMSIZ)) }],
    ['SIOCBRADDIF', { k: 'ifreq', named: false, in: bridgeIf }],
    ['SIOCBRDELIF', { k: 'ifreq', named: false, in: bridgeIf }],
  ];
  KINDS = new Map(rows.map(([n, k]) => [ioc(n), k]));
  return KINDS;
}

/** The caller's ifreq kept from entry for the exit print. */
function ifreq(c: Ctx, arg: bigint, kind: Extract<Kind, { k: 'ifreq' }>): number {
  if (c.entering) {
    const b = c.fetch(arg, IFREQ_SIZE);
    if (!b) {
      c.push(addr(arg));
      return RVAL_DECODED;
    }
    const f: Field[] = kind.named ? [field('ifr_name', charArray(b, 0, IFNAMSIZ))] : [];
    if (kind.in) f.push(kind.in(c, b, arg));
    if (!kind.out) {
      c.push(struct(f));
      return RVAL_DECODED;
    }
    c.priv = f;
    return 0;
  }
  const f = c.priv as Field[];
  const b = c.failed ? undefined : c.fetch(arg, IFREQ_SIZE);
  c.push(struct(b && kind.out ? [...f, kind.out(c, b, arg)] : f));
  return 0;
}

/** An ifc_len, with how many ifreqs it holds when it is a whole number of them. */
function ifcLen(n: number): Value {
  return n > 0 && n % IFREQ_SIZE === 0 ? cmt(num(n), `${n / IFREQ_SIZE} * sizeof(struct ifreq)`) : num(n);
}

/**
 * SIOCGIFCONF: the kernel fills ifc_buf with up to ifc_len bytes of ifreqs (name and address)
 * and sets ifc_len to what it used; with a NULL ifc_buf it only reports the length needed.
 */
function ifconf(c: Ctx, arg: bigint): number {
  if (c.entering) {
    const b = c.fetch(arg, IFCONF_SIZE);
    if (!b) {
      c.push(addr(arg));
      return RVAL_DECODED;
    }
    c.priv = b;
    return 0;
  }
  const before = c.priv as Buffer;
  const lenIn = before.readInt32LE(0);
  const buf = before.readBigUInt64LE(8);
  const after = c.failed ? undefined : c.fetch(arg, IFCONF_SIZE);
  const lenOut = after ? after.readInt32LE(0) : lenIn;
  if (buf === 0n) {
    c.push(struct([field('ifc_len', ifcLen(lenOut)), field('ifc_buf', addr(0n))]));
    return 0;
  }
  const len = lenIn === lenOut ? ifcLen(lenIn) : chg(ifcLen(lenIn), ifcLen(lenOut));
  c.push(struct([field('ifc_len', len), field('ifc_buf', after ? ifreqs(c, buf, lenOut) : addr(buf))]));
  return 0;
}

/** The ifreqs SIOCGIFCONF wrote: -s of them at most, `...` when more were written. */
function ifreqs(c: Ctx, buf: bigint, len: number): Value {
  const n = Math.max(0, Math.floor(len / IFREQ_SIZE));
  const shown = Math.min(n, c.o.strsize);
  const items: Value[] = [];
  for (let i = 0; i < shown; i++) {
    const at = buf + BigInt(i * IFREQ_SIZE);
    const b = c.fetch(at, IFREQ_SIZE);
    if (!b) return addr(buf);
    items.push(struct([field('ifr_name', charArray(b, 0, IFNAMSIZ)), sockaddrAt('ifr_addr')(c, b, at)]));
  }
  return arr(items, n > shown);
}

/** A bridge name (char *, at most IFNAMSIZ bytes): `...` when no NUL ends it within them. */
function bridgeName(c: Ctx, arg: bigint): Value {
  const b = c.fetch(arg, IFNAMSIZ);
  if (!b) return c.cstr(arg, IFNAMSIZ);
  const z = b.indexOf(0);
  return z >= 0 ? str(b.subarray(0, z)) : str(b, true);
}

function sock(c: Ctx, code: number, arg: bigint): number | undefined {
  const kind = kinds().get(code);
  // Other named requests of the family: their argument is an address (NULL when 0).
  if (kind === undefined && ioctlName(code) === undefined) return undefined;
  if (arg === 0n) {
    if (c.entering) c.push(addr(0n));
    return RVAL_DECODED;
  }
  switch (kind?.k) {
    case 'intIn':
      c.push(c.intPtr(arg));
      return RVAL_DECODED;
    case 'intOut':
      if (!c.entering) c.push(c.failed ? addr(arg) : c.intPtr(arg));
      return 0;
    case 'ifname':
      c.push(bridgeName(c, arg));
      return RVAL_DECODED;
    case 'ifconf':
      return ifconf(c, arg);
    case 'ifreq':
      return ifreq(c, arg, kind);
    default:
      c.push(addr(arg));
      return RVAL_DECODED;
  }
}

registerIoctlFamily([0x89], sock);
