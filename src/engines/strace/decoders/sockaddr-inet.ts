/**
 * The fields of struct sockaddr_in and sockaddr_in6 after the family (linux/in.h, linux/in6.h),
 * shared by the socket address printer (net.ts) and addresses that embed one (AF_RXRPC's
 * transport). Ports, flow labels and addresses are in network order: -X abbrev spells them as
 * the call that makes them (htons(80), inet_addr("…")), -X raw gives their bytes, -X verbose both.
 */
import { type Ctx } from '../printer.js';
import { call, cmt, field, hexstr, num, str, sym, type Field, type Value } from '../value.js';
import { ifindexValue } from './common.js';

export const SOCKADDR_IN_LEN = 16;
/** sockaddr_in6 without sin6_scope_id (RFC 2133's layout, which the kernel still accepts). */
export const SOCKADDR_IN6_LEN_V1 = 24;
export const SOCKADDR_IN6_LEN = 28;

export function ipv4Text(b: Buffer, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** inet_ntop(AF_INET6) as glibc prints it (longest zero run of 2+ words becomes ::). */
export function ipv6Text(b: Buffer, off: number): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(b.readUInt16BE(off + i * 2));
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) best = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (best >= 0 && i >= best && i < best + bestLen) {
      if (i === best) s += ':';
      continue;
    }
    if (i) s += ':';
    // IPv4-compatible and IPv4-mapped addresses end in dotted quad.
    if (i === 6 && best === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      s += ipv4Text(b, off + 12);
      break;
    }
    s += w[i]!.toString(16);
  }
  if (best >= 0 && best + bestLen === 8) s += ':';
  return s;
}

/** A network-order member: the abbreviated form, or its bytes (with `spelled` as comment). */
function netOrder(c: Ctx, k: string, bytes: Buffer, abbrev: Value, spelled: string): Field {
  if (c.o.xlat === 'abbrev') return field(k, abbrev);
  const raw = hexstr(Buffer.from(bytes));
  return field(k, c.o.xlat === 'raw' ? raw : cmt(raw, spelled));
}

/** sin_port and sin_addr of the sockaddr_in at `off` (16 bytes there). */
export function in4Fields(c: Ctx, b: Buffer, off: number): Field[] {
  const port = b.readUInt16BE(off + 2);
  const a = ipv4Text(b, off + 4);
  return [
    netOrder(c, 'sin_port', b.subarray(off + 2, off + 4), call('htons', num(port)), `htons(${port})`),
    netOrder(c, 'sin_addr', b.subarray(off + 4, off + 8), call('inet_addr', str(Buffer.from(a))), `inet_addr("${a}")`),
  ];
}

/** Port, flow label, address and (when `n` covers it) scope of the sockaddr_in6 at `off`. */
export function in6Fields(c: Ctx, b: Buffer, off: number, n: number): Field[] {
  const port = b.readUInt16BE(off + 2);
  const flow = b.readUInt32BE(off + 4);
  const a = ipv6Text(b, off + 8);
  const addrAbbrev = call('inet_pton', sym('AF_INET6'), str(Buffer.from(a)), sym('&sin6_addr'));
  const f = [
    netOrder(c, 'sin6_port', b.subarray(off + 2, off + 4), call('htons', num(port)), `htons(${port})`),
    netOrder(c, 'sin6_flowinfo', b.subarray(off + 4, off + 8), call('htonl', num(flow)), `htonl(${flow})`),
    // Abbreviated, the address is the bare inet_pton(...) call that fills it in.
    c.o.xlat === 'abbrev'
      ? { k: 'sin6_addr', v: addrAbbrev, bare: true }
      : netOrder(c, 'sin6_addr', b.subarray(off + 8, off + 24), addrAbbrev, `inet_pton(AF_INET6, "${a}")`),
  ];
  if (n >= SOCKADDR_IN6_LEN) {
    // Link-local unicast and multicast addresses name their interface (strace print_ifindex).
    const linkLocal = (b[off + 8] === 0xfe && (b[off + 9]! & 0xc0) === 0x80) || (b[off + 8] === 0xff && (b[off + 9]! & 0x0f) === 0x02);
    const scope = b.readUInt32LE(off + 24);
    f.push(field('sin6_scope_id', linkLocal ? ifindexValue(c, scope) : num(scope)));
  }
  return f;
}
