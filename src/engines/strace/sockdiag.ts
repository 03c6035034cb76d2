/**
 * --decode-fds=socket (-yy): what a tracee's socket is, as strace prints it inside `fd<…>`:
 * its protocol name (sockfs's sockprotoname) and, for unix and netlink sockets, details the
 * kernel's sock_diag interface gives for the socket's inode:
 *   UNIX-STREAM:[INO], [INO,"path"], [INO->PEER], [INO->PEER,@"abstract"]
 *   NETLINK:[INO] (not bound yet), NETLINK:[SOCK_DIAG:PORTID] (bound)
 *   TCP:[INO] (not listening or connected yet), TCP:[ADDR:PORT], TCPv6:[[ADDR]:PORT->[ADDR]:PORT]
 * Other sockets show PROTO:[INO]. Nothing here runs unless socket decoding was asked for; the
 * protocol name of an inode never changes and is cached, the details (bound, connected) are
 * asked for each time since they change between calls, and kept: close() shows the last seen
 * (a stream socket whose peer closed first no longer names it). Layouts: linux/sock_diag.h,
 * linux/unix_diag.h, linux/netlink_diag.h, linux/inet_diag.h, linux/netlink.h.
 */
import { netlinkRequest, socketProtocolName } from '../../api.js';
import { quoteBytes } from './quote.js';
import { ipv4Text, ipv6Text } from './decoders/net.js';
import { netlink_protocols } from './xlat/tables.gen.js';

const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLMSG_HDRLEN = 16;
const AF_UNIX = 1;
const AF_NETLINK = 16;
const UDIAG_SHOW_NAME = 0x1;
const UDIAG_SHOW_PEER = 0x4;
const UNIX_DIAG_NAME = 0;
const UNIX_DIAG_PEER = 2;
const NDIAG_PROTO_ALL = 0xff;
const UNIX_DIAG_MSG_LEN = 16;
const NETLINK_DIAG_MSG_LEN = 28;
const INET_DIAG_MSG_LEN = 72;
const AF_INET = 2;
const AF_INET6 = 10;
const CACHE_MAX = 4096;

/** inet_diag answers for these protocol names: [family, IPPROTO_*]. */
const INET_PROTOS: Record<string, readonly [number, number]> = {
  TCP: [AF_INET, 6],
  TCPv6: [AF_INET6, 6],
  UDP: [AF_INET, 17],
  UDPv6: [AF_INET6, 17],
  UDPLITE: [AF_INET, 136],
  UDPLITEv6: [AF_INET6, 136],
};

/** Protocol names by socket inode (stable for the inode's life). */
const protoCache = new Map<number, string | null>();
/** The details last seen of each socket inode. */
const detailCache = new Map<number, string>();

function remember<V>(m: Map<number, V>, k: number, v: V): void {
  // Inodes of closed sockets are not reused soon, but keep the tables bounded.
  if (m.size >= CACHE_MAX) m.clear();
  m.set(k, v);
}

function protocolOf(fdLink: string, inode: number): string | undefined {
  let p = protoCache.get(inode);
  if (p === undefined) {
    p = socketProtocolName(fdLink) ?? null;
    remember(protoCache, inode, p);
  }
  return p ?? undefined;
}

/**
 * The text inside `fd<…>` for socket `inode`, whose /proc/PID/fd/N path is `fdLink`; with
 * `closing`, the details last seen when there are any.
 */
export function socketText(fdLink: string, inode: number, closing = false): string {
  const proto = protocolOf(fdLink, inode);
  if (proto === undefined) return `socket:[${inode}]`;
  let details = closing ? detailCache.get(inode) : undefined;
  if (details === undefined) {
    try {
      if (proto.startsWith('UNIX')) details = unixDetails(inode);
      else if (proto === 'NETLINK') details = netlinkDetails(inode);
      else if (INET_PROTOS[proto]) details = inetDetails(inode, ...INET_PROTOS[proto]!);
    } catch {
      // No sock_diag for this family (module not loaded, another netns): the inode alone.
    }
    if (details !== undefined) remember(detailCache, inode, details);
  }
  return `${proto}:[${details ?? inode}]`;
}

function header(len: number, flags: number): Buffer {
  const b = Buffer.alloc(len);
  b.writeUInt32LE(len, 0);
  b.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4);
  b.writeUInt16LE(NLM_F_REQUEST | flags, 6);
  return b;
}

/** Each message of a netlink answer: [type, payload]. */
export function* nlMessages(b: Buffer): Generator<[number, Buffer]> {
  for (let off = 0; off + NLMSG_HDRLEN <= b.length; ) {
    const len = b.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > b.length) return;
    yield [b.readUInt16LE(off + 4), b.subarray(off + NLMSG_HDRLEN, off + len)];
    off += (len + 3) & ~3;
  }
}

/** The attributes after a fixed header of `skip` bytes: [type, payload]. */
export function* nlAttrs(b: Buffer, skip: number): Generator<[number, Buffer]> {
  for (let off = skip; off + 4 <= b.length; ) {
    const len = b.readUInt16LE(off);
    if (len < 4 || off + len > b.length) return;
    yield [b.readUInt16LE(off + 2) & 0x3fff, b.subarray(off + 4, off + len)];
    off += (len + 3) & ~3;
  }
}

/** unix_diag_req for one inode (an exact lookup, no dump); "INO[->PEER][,NAME]" or undefined. */
function unixDetails(inode: number): string | undefined {
  const req = header(NLMSG_HDRLEN + 24, 0);
  req.writeUInt8(AF_UNIX, 16);
  req.writeUInt32LE(0xffffffff, 20); // udiag_states: any
  req.writeUInt32LE(inode, 24);
  req.writeUInt32LE(UDIAG_SHOW_NAME | UDIAG_SHOW_PEER, 28);
  req.writeUInt32LE(0xffffffff, 32); // udiag_cookie: INET_DIAG_NOCOOKIE
  req.writeUInt32LE(0xffffffff, 36);
  for (const [type, m] of nlMessages(netlinkRequest(NETLINK_SOCK_DIAG, req))) {
    if (type !== SOCK_DIAG_BY_FAMILY || m.length < UNIX_DIAG_MSG_LEN || m.readUInt32LE(4) !== inode) continue;
    return unixText(m);
  }
  return undefined;
}

/** "INO[->PEER][,NAME]" from a unix_diag_msg and its attributes. */
export function unixText(m: Buffer): string {
  let s = String(m.readUInt32LE(4));
  let name = '';
  for (const [type, v] of nlAttrs(m, UNIX_DIAG_MSG_LEN)) {
    if (type === UNIX_DIAG_PEER && v.length >= 4 && v.readUInt32LE(0)) s += `->${v.readUInt32LE(0)}`;
    else if (type === UNIX_DIAG_NAME && v.length) {
      // An abstract name starts with a NUL and may hold more; a path ends at its first NUL.
      if (v[0] === 0) name = `,@${quoteBytes(v.subarray(1), false)}`;
      else {
        const z = v.indexOf(0);
        name = `,${quoteBytes(z >= 0 ? v.subarray(0, z) : v, false)}`;
      }
    }
  }
  return s + name;
}

/**
 * netlink_diag dumps only (no lookup by inode) and lists bound sockets only: "PROTO:PORTID"
 * for the one with this inode, undefined for an unbound one.
 */
function netlinkDetails(inode: number): string | undefined {
  const req = header(NLMSG_HDRLEN + 20, NLM_F_DUMP);
  req.writeUInt8(AF_NETLINK, 16);
  req.writeUInt8(NDIAG_PROTO_ALL, 17);
  req.writeUInt32LE(0xffffffff, 28); // ndiag_cookie: INET_DIAG_NOCOOKIE
  req.writeUInt32LE(0xffffffff, 32);
  for (const [type, m] of nlMessages(netlinkRequest(NETLINK_SOCK_DIAG, req))) {
    if (type === NLMSG_DONE || type === NLMSG_ERROR) break;
    if (type !== SOCK_DIAG_BY_FAMILY || m.length < NETLINK_DIAG_MSG_LEN || m.readUInt32LE(16) !== inode) continue;
    return netlinkText(m);
  }
  return undefined;
}

/** "PROTO:PORTID" from a netlink_diag_msg (the protocol without NETLINK_, else its number). */
export function netlinkText(m: Buffer): string {
  const proto = m[2]!;
  const name = netlink_protocols.lookup(BigInt(proto));
  return `${name ? name.replace(/^NETLINK_/, '') : proto}:${m.readUInt32LE(4)}`;
}

/**
 * inet_diag dumps one family and protocol (lookups need the whole address tuple) and lists
 * listening and connected sockets only: "ADDR:PORT[->ADDR:PORT]" for the one with this inode.
 */
function inetDetails(inode: number, family: number, protocol: number): string | undefined {
  const req = header(NLMSG_HDRLEN + 56, NLM_F_DUMP);
  req.writeUInt8(family, 16);
  req.writeUInt8(protocol, 17);
  // Every state but bound-inactive (1 << 13, kernels from 6.5 list bound sockets that neither
  // listen nor connect when asked for it): such a socket has no address pair to show yet.
  req.writeUInt32LE(0xffffdfff, 20);
  req.writeUInt32LE(0xffffffff, 64); // id.idiag_cookie: INET_DIAG_NOCOOKIE
  req.writeUInt32LE(0xffffffff, 68);
  for (const [type, m] of nlMessages(netlinkRequest(NETLINK_SOCK_DIAG, req))) {
    if (type === NLMSG_DONE || type === NLMSG_ERROR) break;
    if (type !== SOCK_DIAG_BY_FAMILY || m.length < INET_DIAG_MSG_LEN || m.readUInt32LE(68) !== inode) continue;
    return inetText(m);
  }
  return undefined;
}

/** "ADDR:PORT[->ADDR:PORT]" from an inet_diag_msg (IPv6 addresses in brackets). */
export function inetText(m: Buffer): string {
  const v6 = m[0] === AF_INET6;
  const ep = (port: number, off: number): string => `${v6 ? `[${ipv6Text(m, off)}]` : ipv4Text(m, off)}:${port}`;
  const sport = m.readUInt16BE(4);
  const dport = m.readUInt16BE(6);
  const dstSet = dport !== 0 || m.subarray(24, v6 ? 40 : 28).some((x) => x !== 0);
  return ep(sport, 8) + (dstSet ? `->${ep(dport, 24)}` : '');
}
