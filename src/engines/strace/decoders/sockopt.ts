/**
 * getsockopt/setsockopt (strace net.c's sockopt printers): the option name from the table of its
 * level (SOL_SOCKET's option 26 is SO_GET_FILTER when read and SO_ATTACH_FILTER when set), and
 * the option value by level and name: ints, struct linger, struct ucred, classic BPF programs,
 * multicast requests, packet-socket rings and statistics, ICMP filters; anything else as an int
 * when it is int-sized, else as bytes.
 */
import { errnoName } from '../../../api.js';
import { Ctx, I32, RVAL_DECODED, U32, type Decoder } from '../printer.js';
import { NULL, addr, arr, call, chg, field, hexstr, num, str, struct, sym, type Field, type Value } from '../value.js';
import {
  getsock_ip_options,
  getsock_ipv6_options,
  getsock_options,
  icmp_filter_flags,
  packet_mreq_type,
  setsock_ip_options,
  setsock_ipv6_options,
  setsock_options,
  sock_alg_options,
  sock_ip_options,
  sock_ipv6_options,
  sock_netlink_options,
  sock_options,
  sock_packet_options,
  sock_raw_options,
  sock_tcp_options,
  sock_tls_options,
  sock_udp_options,
  sock_xdp_options,
  sockopt_txrehash_vals,
  socketlayers,
} from '../xlat/tables.gen.js';
import { xlat, type Xlat } from '../xlat/xlat.js';
import { bpfInsnValue, sockFprogValue } from './seccomp.js';
import { ipv4Text, ipv6Text, sockaddrValue } from './net.js';
import { ifindexValue } from './common.js';
import { uidValue } from './file.js';

const SOL_IP = 0;
const SOL_SOCKET = 1;
const SOL_TCP = 6;
const SOL_UDP = 17;
const SOL_IPV6 = 41;
const SOL_RAW = 255;
const SOL_PACKET = 263;
const SOL_NETLINK = 270;
const SOL_ALG = 279;
const SOL_TLS = 282;
const SOL_XDP = 283;

const joined = (name: string, ...xs: Xlat[]): Xlat => xlat(name, () => xs.flatMap((x) => x.entries));
const GET_SOCKET = joined('getsockopt SOL_SOCKET', sock_options, getsock_options);
const SET_SOCKET = joined('setsockopt SOL_SOCKET', sock_options, setsock_options);
const GET_IP = joined('getsockopt SOL_IP', sock_ip_options, getsock_ip_options);
const SET_IP = joined('setsockopt SOL_IP', sock_ip_options, setsock_ip_options);
const GET_IPV6 = joined('getsockopt SOL_IPV6', sock_ipv6_options, getsock_ipv6_options);
const SET_IPV6 = joined('setsockopt SOL_IPV6', sock_ipv6_options, setsock_ipv6_options);

/** Option-name table and the `???` default of each level strace names. */
function optionTable(level: number, get: boolean): [Xlat, string] | undefined {
  switch (level) {
    case SOL_SOCKET:
      return [get ? GET_SOCKET : SET_SOCKET, 'SO_???'];
    case SOL_IP:
      return [get ? GET_IP : SET_IP, 'IP_???'];
    case SOL_IPV6:
      return [get ? GET_IPV6 : SET_IPV6, 'IPV6_???'];
    case SOL_TCP:
      return [sock_tcp_options, 'TCP_???'];
    case SOL_UDP:
      return [sock_udp_options, 'UDP_???'];
    case SOL_RAW:
      return [sock_raw_options, 'RAW_???'];
    case SOL_PACKET:
      return [sock_packet_options, 'PACKET_???'];
    case SOL_NETLINK:
      return [sock_netlink_options, 'NETLINK_???'];
    case SOL_ALG:
      return [sock_alg_options, 'ALG_???'];
    case SOL_TLS:
      return [sock_tls_options, 'TLS_???'];
    case SOL_XDP:
      return [sock_xdp_options, 'XDP_???'];
  }
  return undefined;
}

/** fd, level, optname: the three arguments both calls start with. */
function head(c: Ctx, get: boolean): Value[] {
  const level = Number(U32(c.a[1]));
  const name = U32(c.a[2]);
  const t = optionTable(level, get);
  return [c.fd(c.a[0]), c.xval(BigInt(level), socketlayers, 'SOL_??'), t ? c.xval(name, t[0], t[1]) : num(name)];
}

// SOL_SOCKET options whose value is a plain int, by name (values from the generated table).
const SOL_SOCKET_INTS = new Set(
  (
    'SO_DEBUG SO_REUSEADDR SO_DONTROUTE SO_BROADCAST SO_SNDBUF SO_RCVBUF SO_KEEPALIVE SO_OOBINLINE SO_NO_CHECK ' +
    'SO_PRIORITY SO_BSDCOMPAT SO_REUSEPORT SO_PASSCRED SO_RCVLOWAT SO_SNDLOWAT SO_DETACH_FILTER SO_TIMESTAMP_OLD ' +
    'SO_ACCEPTCONN SO_SNDBUFFORCE SO_RCVBUFFORCE SO_PASSSEC SO_TIMESTAMPNS_OLD SO_MARK SO_TIMESTAMPING_OLD ' +
    'SO_RXQ_OVFL SO_WIFI_STATUS SO_PEEK_OFF SO_NOFCS SO_LOCK_FILTER SO_SELECT_ERR_QUEUE SO_BUSY_POLL ' +
    'SO_INCOMING_CPU SO_CNX_ADVICE SO_INCOMING_NAPI_ID SO_ZEROCOPY SO_TIMESTAMP_NEW SO_TIMESTAMPNS_NEW ' +
    'SO_TIMESTAMPING_NEW SO_DETACH_REUSEPORT_BPF SO_PREFER_BUSY_POLL SO_BUSY_POLL_BUDGET SO_RESERVE_MEM SO_RCVMARK'
  )
    .split(' ')
    .map((n) => sock_options.valueOf(n))
    .filter((v): v is bigint => v !== undefined)
    .map(Number),
);
/** A constant's value from its generated table (so numbers are never typed twice). */
function val(x: Xlat, name: string): number {
  const v = x.valueOf(name);
  if (v === undefined) throw new Error(`sockopt: ${name} missing from ${x.name}`);
  return Number(v);
}
const SO_LINGER = val(sock_options, 'SO_LINGER');
const SO_PEERCRED = val(sock_options, 'SO_PEERCRED');
const SO_ERROR = val(sock_options, 'SO_ERROR');
const SO_ATTACH_FILTER = val(setsock_options, 'SO_ATTACH_FILTER');
const SO_ATTACH_REUSEPORT_CBPF = val(sock_options, 'SO_ATTACH_REUSEPORT_CBPF');
const SO_TXREHASH = val(sock_options, 'SO_TXREHASH');
const IP_ADD_MEMBERSHIP = val(sock_ip_options, 'IP_ADD_MEMBERSHIP');
const IP_DROP_MEMBERSHIP = val(sock_ip_options, 'IP_DROP_MEMBERSHIP');
const MCAST_JOIN_GROUP = val(sock_ip_options, 'MCAST_JOIN_GROUP');
const MCAST_LEAVE_GROUP = val(sock_ip_options, 'MCAST_LEAVE_GROUP');
const IPV6_MREQ = new Set(['IPV6_ADD_MEMBERSHIP', 'IPV6_DROP_MEMBERSHIP', 'IPV6_JOIN_ANYCAST', 'IPV6_LEAVE_ANYCAST'].map((n) => val(sock_ipv6_options, n)));
const PACKET_ADD_MEMBERSHIP = val(sock_packet_options, 'PACKET_ADD_MEMBERSHIP');
const PACKET_DROP_MEMBERSHIP = val(sock_packet_options, 'PACKET_DROP_MEMBERSHIP');
const PACKET_RX_RING = val(sock_packet_options, 'PACKET_RX_RING');
const PACKET_TX_RING = val(sock_packet_options, 'PACKET_TX_RING');
const PACKET_STATISTICS = val(sock_packet_options, 'PACKET_STATISTICS');
const ICMP_FILTER = val(sock_raw_options, 'ICMP_FILTER');
const NETLINK_LIST_MEMBERSHIPS = val(sock_netlink_options, 'NETLINK_LIST_MEMBERSHIPS');

/** [N] from an int at ad, or the address. */
function intAt(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 4);
  return b ? arr([num(b.readInt32LE(0))]) : addr(ad);
}

/** `len` bytes forced to \x hex (strace's QUOTE_FORCE_HEX), or the address. */
function hexBytes(c: Ctx, ad: bigint, len: number): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, len);
  return b ? hexstr(b) : addr(ad);
}

/**
 * A structure of 4-byte fields of which only the first `len` bytes were returned: whole fields
 * as values, a cut one as its bytes in hex, the rest left out (strace's MAYBE_PRINT_FIELD_LEN).
 */
function cutStruct(c: Ctx, ad: bigint, len: number, names: readonly string[], each: (b: Buffer, i: number) => Value): Value {
  const n = Math.min(len, names.length * 4);
  const b = c.fetch(ad, n);
  if (!b) return addr(ad);
  const f: Field[] = [];
  for (let i = 0; i < names.length && i * 4 < n; i++) {
    f.push(field(names[i]!, i * 4 + 4 <= n ? each(b, i) : hexstr(b.subarray(i * 4, n))));
  }
  return struct(f);
}

const i32 = (b: Buffer, i: number): Value => num(b.readInt32LE(i * 4));
const u32 = (b: Buffer, i: number): Value => num(b.readUInt32LE(i * 4));
const id32 = (b: Buffer, i: number): Value => uidValue(BigInt(b.readUInt32LE(i * 4)));

/** A MAC address of `size` bytes: 00:11:…, with the bytes in hex first under -X raw/verbose. */
function macValue(c: Ctx, b: Buffer): Value {
  const text = [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
  if (c.o.xlat === 'abbrev') return sym(text);
  const bytes = `"${[...b].map((x) => '\\x' + x.toString(16).padStart(2, '0')).join('')}"`;
  return sym(c.o.xlat === 'raw' ? bytes : `${bytes} /* ${text} */`);
}

/** struct icmp_filter: the ICMP types set, or ~ those not set when most are. */
function icmpFilter(c: Ctx, ad: bigint, len: number): Value {
  if (len <= 0) return addr(ad);
  const n = Math.min(len, 4);
  const b = c.fetch(ad, n);
  if (!b) return addr(ad);
  const full = Buffer.alloc(4, 0xff);
  b.copy(full);
  let bits = full.readUInt32LE(0);
  let set = 0;
  for (let v = bits; v; v &= v - 1) set++;
  const neg = set > 16;
  if (neg) bits = ~bits >>> 0;
  const names: string[] = [];
  for (let i = 0; i < 32; i++) if ((bits >>> i) & 1) names.push(symText(c.xval(BigInt(i), icmp_filter_flags, 'ICMP_???')));
  return { t: 'set', names, neg };
}

const symText = (v: Value): string => (v.t === 'sym' ? v.s : v.t === 'num' ? v.v.toString() : '');

/** SO_ERROR's value: [ECONNREFUSED]. */
function errorValue(c: Ctx, ad: bigint, len: number): Value {
  if (len < 4) return hexBytes(c, ad, len);
  const b = c.fetch(ad, 4);
  if (!b) return addr(ad);
  const e = b.readUInt32LE(0);
  const name = e > 0 && e < 4096 ? errnoName(e) : undefined;
  if (!name || name === String(e) || c.o.xlat === 'raw') return arr([num(e)]);
  return arr([sym(c.o.xlat === 'verbose' ? `${e} /* ${name} */` : name)]);
}

function txrehash(c: Ctx, ad: bigint, len: number, exiting: boolean): Value {
  if (len < 4) return exiting ? hexBytes(c, ad, len) : addr(ad);
  const b = c.fetch(ad, 4);
  return b ? arr([c.xval(BigInt(b.readInt32LE(0)), sockopt_txrehash_vals, 'SOCK_TXREHASH_???', 'd')]) : addr(ad);
}

/** getsockopt's value at exit, `ulen` the length given, `rlen` the length returned. */
function getValue(c: Ctx, level: number, name: number, ad: bigint, ulen: number, rlen: number): Value {
  if (ulen <= 0 || rlen <= 0) return addr(ad);
  if (ad !== 0n) {
    switch (level) {
      case SOL_SOCKET:
        if (name === SO_LINGER) return cutStruct(c, ad, rlen, ['l_onoff', 'l_linger'], i32);
        if (name === SO_PEERCRED) return cutStruct(c, ad, rlen, ['pid', 'uid', 'gid'], (b, i) => (i === 0 ? c.pidv(BigInt(b.readInt32LE(i * 4))) : id32(b, i)));
        if (name === SO_ATTACH_FILTER) {
          // The kernel returns the instruction count (a u16) as the length.
          if (rlen > 0xffff) return addr(ad);
          return c.abbrev ? addr(ad) : c.array(ad, BigInt(rlen), 8, (e) => bpfInsnValue(e, false, c.o.xlat));
        }
        if (name === SO_ERROR) return errorValue(c, ad, rlen);
        if (name === SO_TXREHASH) return txrehash(c, ad, rlen, true);
        if (SOL_SOCKET_INTS.has(name)) return rlen >= 4 ? intAt(c, ad) : hexBytes(c, ad, rlen);
        break;
      case SOL_PACKET:
        if (name === PACKET_STATISTICS) return cutStruct(c, ad, rlen, ['tp_packets', 'tp_drops', 'tp_freeze_q_cnt'], u32);
        break;
      case SOL_RAW:
        if (name === ICMP_FILTER) return icmpFilter(c, ad, rlen);
        break;
      case SOL_NETLINK:
        if (name === NETLINK_LIST_MEMBERSHIPS) return c.array(ad, BigInt(Math.floor(Math.min(ulen, rlen) / 4)), 4, (e) => num(e.readUInt32LE(0)));
        return intAt(c, ad);
    }
  }
  return rlen === 4 ? intAt(c, ad) : c.buf(ad, BigInt(rlen));
}

/** struct group_req {u32 gr_interface; sockaddr_storage gr_group} (aligned: 136 bytes). */
function groupReq(c: Ctx, ad: bigint, len: number): Value {
  if (len < 136 || !c.fetch(ad, 136)) return addr(ad);
  return struct([field('gr_interface', ifindexValue(c, c.fetch(ad, 4)!.readUInt32LE(0))), field('gr_group', sockaddrValue(c, ad + 8n, 128n))]);
}

/** setsockopt's value, `len` the length given. */
function setValue(c: Ctx, level: number, name: number, ad: bigint, len: number): Value {
  if (ad !== 0n) {
    switch (level) {
      case SOL_SOCKET:
        if (name === SO_LINGER) {
          if (len < 8) return addr(ad);
          const b = c.fetch(ad, 8);
          return b ? struct([field('l_onoff', i32(b, 0)), field('l_linger', i32(b, 1))]) : addr(ad);
        }
        if (name === SO_ATTACH_FILTER || name === SO_ATTACH_REUSEPORT_CBPF) return len === 16 ? sockFprogValue(c, ad, false) : addr(ad);
        if (name === SO_TXREHASH) return txrehash(c, ad, len, false);
        if (SOL_SOCKET_INTS.has(name)) return len < 4 ? addr(ad) : intAt(c, ad);
        break;
      case SOL_IP:
        if (name === IP_ADD_MEMBERSHIP || name === IP_DROP_MEMBERSHIP) {
          if (len < 8) return addr(ad);
          const b = c.fetch(ad, 8);
          if (!b) return addr(ad);
          const inet = (off: number): Value => call('inet_addr', str(Buffer.from(ipv4Text(b, off))));
          return struct([field('imr_multiaddr', inet(0)), field('imr_interface', inet(4))]);
        }
        if (name === MCAST_JOIN_GROUP || name === MCAST_LEAVE_GROUP) return groupReq(c, ad, len);
        break;
      case SOL_IPV6:
        if (IPV6_MREQ.has(name)) {
          if (len < 20) return addr(ad);
          const b = c.fetch(ad, 20);
          if (!b) return addr(ad);
          return struct([
            { k: 'ipv6mr_multiaddr', v: call('inet_pton', sym('AF_INET6'), str(Buffer.from(ipv6Text(b, 0))), sym('&ipv6mr_multiaddr')), bare: true },
            field('ipv6mr_interface', ifindexValue(c, b.readUInt32LE(16))),
          ]);
        }
        if (name === MCAST_JOIN_GROUP || name === MCAST_LEAVE_GROUP) return groupReq(c, ad, len);
        break;
      case SOL_PACKET:
        if (name === PACKET_RX_RING || name === PACKET_TX_RING) {
          const b = len === 16 ? c.fetch(ad, 16) : undefined;
          if (!b) return addr(ad);
          return struct(['tp_block_size', 'tp_block_nr', 'tp_frame_size', 'tp_frame_nr'].map((k, i) => field(k, u32(b, i))));
        }
        if (name === PACKET_ADD_MEMBERSHIP || name === PACKET_DROP_MEMBERSHIP) {
          const b = len === 16 ? c.fetch(ad, 16) : undefined;
          if (!b) return addr(ad);
          const alen = b.readUInt16LE(6);
          return struct([
            field('mr_ifindex', ifindexValue(c, b.readInt32LE(0))),
            field('mr_type', c.xval(BigInt(b.readUInt16LE(4)), packet_mreq_type, 'PACKET_MR_???')),
            field('mr_alen', num(alen)),
            field('mr_address', macValue(c, b.subarray(8, 8 + Math.min(alen, 8)))),
          ]);
        }
        break;
      case SOL_RAW:
        if (name === ICMP_FILTER) return icmpFilter(c, ad, len);
        break;
      case SOL_NETLINK:
        return len < 4 ? addr(ad) : intAt(c, ad);
    }
  }
  return len === 4 ? intAt(c, ad) : bytesOf(c, ad, len);
}

/** The value as bytes, `len` as given (strace's printstrn): a negative length is a huge one. */
function bytesOf(c: Ctx, ad: bigint, len: number): Value {
  return c.buf(ad, len < 0 ? BigInt.asUintN(64, BigInt(len)) : BigInt(len));
}

export const sockoptDecoders: Record<string, Decoder> = {
  setsockopt: (c) => {
    const len = Number(I32(c.a[4]));
    c.push(...head(c, false), setValue(c, Number(U32(c.a[1])), Number(U32(c.a[2])), c.a[3], len), num(len));
    return RVAL_DECODED;
  },
  getsockopt: (c) => {
    if (c.entering) {
      c.push(...head(c, true));
      const b = c.a[4] ? c.fetchAlways(c.a[4], 4) : undefined;
      if (!b) {
        c.push(addr(c.a[3]), addr(c.a[4]));
        return RVAL_DECODED;
      }
      c.priv = b.readInt32LE(0);
      return 0;
    }
    const ulen = c.priv as number;
    const rb = c.failed ? undefined : c.fetch(c.a[4], 4);
    if (!rb) {
      c.push(addr(c.a[3]), arr([num(ulen)]));
      return 0;
    }
    const rlen = rb.readInt32LE(0);
    c.push(getValue(c, Number(U32(c.a[1])), Number(U32(c.a[2])), c.a[3], ulen, rlen), arr([ulen === rlen ? num(rlen) : chg(num(ulen), num(rlen))]));
    return 0;
  },
};
