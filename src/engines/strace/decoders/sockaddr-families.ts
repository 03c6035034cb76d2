/**
 * Socket address families beyond unix/inet/netlink (net.ts): AF_AX25 (linux/ax25.h), AF_IPX
 * (linux/ipx.h), AF_X25 (linux/x25.h), AF_PACKET (linux/if_packet.h) here; AF_RXRPC, AF_ALG,
 * AF_NFC, AF_VSOCK, AF_QIPCRTR, AF_XDP, AF_MCTP and AF_IEEE802154 in sockaddr-families2.ts.
 * Each takes the address bytes read (sa_family included) and gives the fields after sa_family,
 * or undefined when the address is too short for the family's structure (then sa_data is shown).
 */
import { type Ctx } from '../printer.js';
import { arr, call, cmt, field, hex, hexstr, num, str, struct, sym, type Field, type Value } from '../value.js';
import { arp_hardware_types, ethernet_protocols, af_packet_types } from '../xlat/tables.gen.js';
import { ifindexValue } from './common.js';

export const AF_AX25 = 3;
export const AF_IPX = 4;
export const AF_X25 = 9;
export const AF_PACKET = 17;

export interface FamilyFields {
  readonly f: Field[];
  /** Bytes past what the fields show (strace's trailing `...`). */
  readonly more?: boolean;
}

/**
 * A fixed char array the kernel reads as a C string: up to its NUL; without one, all but the
 * last byte (which the kernel overwrites with a NUL) and `...`.
 */
export function charArray(a: Buffer): Value {
  const z = a.indexOf(0);
  return z >= 0 ? str(a.subarray(0, z)) : str(a.subarray(0, Math.max(a.length - 1, 0)), true);
}

/** C's %#02x: 0x-prefixed except zero, which is padded to two digits. */
const byte02x = (x: number): Value => sym(x ? `0x${x.toString(16)}` : '00');

/** struct sockaddr_ipx: port, network, node, type; sipx_zero only when set. */
function ipx(b: Buffer, n: number): FamilyFields | undefined {
  if (n < 16) return undefined;
  const f = [
    field('sipx_port', call('htons', num(b.readUInt16BE(2)))),
    field('sipx_network', call('htonl', hex(BigInt(b.readUInt32BE(4))))),
    field('sipx_node', arr([...b.subarray(8, 14)].map(byte02x))),
    field('sipx_type', byte02x(b[14]!)),
  ];
  if (b[15]) f.push(field('sipx_zero', byte02x(b[15])));
  return { f };
}

/** struct sockaddr_x25: a NUL-terminated X.121 address in 16 bytes. */
function x25(b: Buffer, n: number): FamilyFields | undefined {
  if (n < 18) return undefined;
  return { f: [field('sx25_addr', struct([field('x25_addr', charArray(b.subarray(2, 18)))]))] };
}

const AX25_ADDR_LEN = 7;
const AX25_MAX_DIGIS = 8;
const SOCKADDR_AX25_LEN = 16;

/**
 * ax25_address: six characters shifted left one bit, then the SSID byte. A well-formed call
 * (letters and digits, then only spaces; no stray bits) prints as CALL-SSID, all spaces with
 * SSID 0 as `*` (an empty digipeater slot); anything else as its bytes, with what they would
 * spell in a comment when that is printable.
 */
export function ax25Address(b: Buffer): Value {
  const chars = [...b.subarray(0, 6)].map((x) => x >> 1);
  const ssidByte = b[6]!;
  const ssid = (ssidByte >> 1) & 0xf;
  const stray = b.subarray(0, 6).some((x) => (x & 1) !== 0) || (ssidByte & ~0x1e) !== 0;
  const text = String.fromCharCode(...chars).replace(/ +$/, '');
  if (!stray) {
    if (text === '' && ssid === 0) return sym('*');
    if (/^[A-Z0-9]+$/.test(text)) return sym(`${text}-${ssid}`);
  }
  const raw = struct([field('ax25_call', hexstr(Buffer.from(b.subarray(0, AX25_ADDR_LEN))))]);
  const spelled = `${text}-${ssid}`;
  const printable = chars.every((c) => c >= 0x20 && c < 0x7f) && !spelled.includes('*/');
  return printable ? cmt(raw, spelled) : raw;
}

/** struct full_sockaddr_ax25: the sockaddr_ax25 then up to 8 digipeaters, as many as given. */
function ax25(b: Buffer, n: number): FamilyFields | undefined {
  if (n < SOCKADDR_AX25_LEN) return undefined;
  const call0 = ax25Address(b.subarray(2, 9));
  const ndigis = b.readInt32LE(12);
  const head = [field('sax25_call', call0), field('sax25_ndigis', num(ndigis))];
  if (ndigis <= 0 && n === SOCKADDR_AX25_LEN) return { f: head };
  const room = Math.floor((n - SOCKADDR_AX25_LEN) / AX25_ADDR_LEN);
  const want = Math.min(Math.max(ndigis, 0), AX25_MAX_DIGIS);
  const shown = Math.min(want, room);
  const digis: Value[] = [];
  for (let i = 0; i < shown; i++) digis.push(ax25Address(b.subarray(SOCKADDR_AX25_LEN + i * AX25_ADDR_LEN)));
  const more = ndigis > AX25_MAX_DIGIS || (shown < want && (n - SOCKADDR_AX25_LEN) % AX25_ADDR_LEN !== 0);
  return {
    f: [field('fsa_ax25', struct(head)), field('fsa_digipeater', arr(digis, shown < want))],
    more,
  };
}

/** A 16-bit protocol in network order: htons(ETH_P_*) (raw: its two bytes). */
function ethProto(c: Ctx, b: Buffer, off: number): Value {
  const v = b.readUInt16BE(off);
  const name = ethernet_protocols.lookup(BigInt(v));
  const bytes = hexstr(Buffer.from(b.subarray(off, off + 2)));
  const spelled = `htons(${name ?? `0x${v.toString(16)} /* ETH_P_??? */`})`;
  if (c.o.xlat === 'raw') return bytes;
  if (c.o.xlat === 'verbose') return name ? cmt(bytes, spelled) : bytes;
  return sym(spelled);
}

/** struct sockaddr_ll: protocol, interface, hardware type, packet type, hardware address. */
function packet(c: Ctx, b: Buffer, n: number): FamilyFields | undefined {
  if (n < 20) return undefined;
  const halen = b[11]!;
  const f = [
    field('sll_protocol', ethProto(c, b, 2)),
    field('sll_ifindex', ifindexValue(c, b.readUInt32LE(4))),
    field('sll_hatype', c.xval(BigInt(b.readUInt16LE(8)), arp_hardware_types, 'ARPHRD_???')),
    field('sll_pkttype', c.xval(BigInt(b[10]!), af_packet_types, 'PACKET_???')),
    field('sll_halen', num(halen)),
  ];
  if (halen) f.push(field('sll_addr', arr([...b.subarray(12, 12 + Math.min(halen, 8))].map(byte02x), halen > 8)));
  return { f };
}

/** The fields of family `fam` after sa_family, if this family is decoded here. */
export function familyFields(c: Ctx, fam: number, b: Buffer, n: number): FamilyFields | undefined {
  switch (fam) {
    case AF_AX25:
      return ax25(b, n);
    case AF_IPX:
      return ipx(b, n);
    case AF_X25:
      return x25(b, n);
    case AF_PACKET:
      return packet(c, b, n);
    default:
      return undefined;
  }
}
