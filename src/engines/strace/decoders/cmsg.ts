/**
 * Control messages of sendmsg/recvmsg (struct cmsghdr lists, strace msghdr.c): SOL_SOCKET's
 * descriptors, credentials, security labels and timestamps, SOL_IP's packet info, TTL, TOS,
 * errors and original destinations. A type with no printer, or data shorter than its printer
 * needs, prints no cmsg_data at all, as strace.
 */
import * as fs from 'node:fs';
import { Ctx, timespecValue, timevalValue } from '../printer.js';
import { addr, arr, call, cmt, field, hexStr, num, str, struct, sym, type Field, type Value } from '../value.js';
import { ip_cmsg_types, scmvals, socketlayers } from '../xlat/tables.gen.js';
import type { Xlat } from '../xlat/xlat.js';
import { ifindexValue } from './common.js';
import { uidValue } from './file.js';

const CMSG_HDR = 16;
const SOL_IP = 0;
const SOL_SOCKET = 1;

type Printer = (c: Ctx, data: Buffer, at: bigint, sockaddr: SockaddrAt) => Value;

/** Elements of `size` bytes, at most -s of them unless -v (strace's print_local_array). */
function localArray(c: Ctx, data: Buffer, size: number, each: (b: Buffer, off: number) => Value): Value {
  const n = Math.floor(data.length / size);
  const shown = c.abbrev && n > c.o.strsize ? c.o.strsize : n;
  const items: Value[] = [];
  for (let i = 0; i < shown; i++) items.push(each(data, i * size));
  return arr(items, shown < n);
}

const unavailable = sym('???');
const inet = (b: Buffer, off: number): Value => call('inet_addr', str(Buffer.from(`${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`)));

/** The sockaddr printer (net.ts), given the tracee address of an address inside a message. */
export type SockaddrAt = (c: Ctx, ad: bigint, len: bigint) => Value;

const timespecs = (data: Buffer): Value => (data.length < 48 ? unavailable : arr([0, 16, 32].map((o) => timespecValue(data, o))));

const SOCKET_PRINTERS = new Map<string, [Printer, number]>([
  ['SCM_RIGHTS', [(c, d) => localArray(c, d, 4, (b, o) => c.fd(BigInt(b.readInt32LE(o)))), 4]],
  ['SCM_CREDENTIALS', [(_c, d) => struct([field('pid', num(d.readInt32LE(0))), field('uid', uidValue(BigInt(d.readUInt32LE(4)))), field('gid', uidValue(BigInt(d.readUInt32LE(8))))]), 12]],
  ['SCM_SECURITY', [(_c, d) => str(d), 1]],
  ['SO_TIMESTAMP_OLD', [(_c, d) => (d.length < 16 ? unavailable : timevalValue(d, 0)), 1]],
  ['SO_TIMESTAMPNS_OLD', [(_c, d) => (d.length < 16 ? unavailable : timespecValue(d, 0)), 1]],
  ['SO_TIMESTAMPING_OLD', [(_c, d) => timespecs(d), 1]],
  ['SO_TIMESTAMP_NEW', [(_c, d) => (d.length < 16 ? unavailable : timevalValue(d, 0)), 1]],
  ['SO_TIMESTAMPNS_NEW', [(_c, d) => (d.length < 16 ? unavailable : timespecValue(d, 0)), 1]],
  ['SO_TIMESTAMPING_NEW', [(_c, d) => timespecs(d), 1]],
]);

const IP_PRINTERS = new Map<string, [Printer, number]>([
  ['IP_PKTINFO', [(c, d) => struct([field('ipi_ifindex', ifindexValue(c, d.readUInt32LE(0))), field('ipi_spec_dst', inet(d, 4)), field('ipi_addr', inet(d, 8))]), 12]],
  ['IP_TTL', [(c, d) => localArray(c, d, 4, (b, o) => num(b.readUInt32LE(o))), 4]],
  ['IP_TOS', [(c, d) => localArray(c, d, 1, (b, o) => sym(hexStr(BigInt(b[o]!)))), 1]],
  ['IP_RECVOPTS', [(c, d) => localArray(c, d, 1, (b, o) => sym(hexStr(BigInt(b[o]!)))), 1]],
  ['IP_RETOPTS', [(c, d) => localArray(c, d, 1, (b, o) => sym(hexStr(BigInt(b[o]!)))), 1]],
  [
    'IP_RECVERR',
    [
      (c, d, at, sa) =>
        struct([
          field('ee_errno', num(d.readUInt32LE(0))),
          field('ee_origin', num(d[4]!)),
          field('ee_type', num(d[5]!)),
          field('ee_code', num(d[6]!)),
          field('ee_info', num(d.readUInt32LE(8))),
          field('ee_data', num(d.readUInt32LE(12))),
          field('offender', sa(c, at + 16n, 16n)),
        ]),
      32,
    ],
  ],
  ['IP_ORIGDSTADDR', [(c, d, at, sa) => sa(c, at, BigInt(Math.min(d.length, 128))), 16]],
  ['IP_CHECKSUM', [(c, d) => localArray(c, d, 4, (b, o) => num(b.readUInt32LE(o))), 4]],
  ['SCM_SECURITY', [(_c, d) => str(d), 1]],
]);

function typeAndData(c: Ctx, level: number, type: number, data: Buffer, at: bigint, sa: SockaddrAt): Field[] {
  const by = (x: Xlat, printers: Map<string, [Printer, number]>, dflt: string): Field[] => {
    const f = [field('cmsg_type', c.xval(BigInt(type >>> 0), x, dflt))];
    const name = x.lookup(BigInt(type >>> 0));
    const p = name === undefined ? undefined : printers.get(name);
    if (p && data.length >= p[1]) f.push(field('cmsg_data', p[0](c, data, at, sa)));
    return f;
  };
  if (level === SOL_SOCKET) return by(scmvals, SOCKET_PRINTERS, 'SCM_???');
  if (level === SOL_IP) return by(ip_cmsg_types, IP_PRINTERS, 'IP_???');
  return [field('cmsg_type', sym(hexStr(BigInt(type >>> 0))))];
}

let optmemMax: number | undefined;
/** The most control data the kernel takes (net.core.optmem_max, rounded up to 8). */
function optmem(): number {
  if (optmemMax === undefined) {
    let v = NaN;
    try {
      v = Number(fs.readFileSync('/proc/sys/net/core/optmem_max', 'utf8'));
    } catch {
      /* not readable: strace's own fallback */
    }
    optmemMax = Number.isInteger(v) && v > 0 ? (v + 7) & ~7 : 8 * (2 * 1024 + 512);
  }
  return optmemMax;
}

/** msg_control of `inLen` bytes at `ad`. */
export function cmsgValue(c: Ctx, ad: bigint, inLen: bigint, sa: SockaddrAt): Value {
  const controlLen = inLen > BigInt(optmem()) ? optmem() : Number(inLen);
  const b = controlLen < CMSG_HDR ? undefined : c.fetch(ad, controlLen);
  if (!b) return addr(ad);
  const items: Value[] = [];
  let off = 0;
  let left = controlLen;
  while (left >= CMSG_HDR) {
    const cmsgLen = b.readBigUInt64LE(off);
    const level = b.readInt32LE(off + 8);
    const type = b.readInt32LE(off + 12);
    const len = cmsgLen > BigInt(left) ? left : Number(cmsgLen);
    const data = b.subarray(off + CMSG_HDR, off + Math.max(len, CMSG_HDR));
    items.push(struct([field('cmsg_len', num(cmsgLen)), field('cmsg_level', c.xval(BigInt(level >>> 0), socketlayers, 'SOL_???')), ...typeAndData(c, level, type, data, ad + BigInt(off + CMSG_HDR), sa)]));
    if (len < CMSG_HDR) {
      left -= CMSG_HDR;
      break;
    }
    const step = (cmsgLen + 7n) & ~7n;
    if (step >= BigInt(left)) {
      left = 0;
      break;
    }
    off += Number(step);
    left -= Number(step);
  }
  // Unparsed bytes: "..." and where they start; a list cut at optmem_max: "...".
  if (left) items.push(cmt(sym('...'), hexStr(ad + BigInt(controlLen - left))));
  else if (controlLen < inLen) items.push(sym('...'));
  return arr(items);
}
