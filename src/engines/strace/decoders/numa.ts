/**
 * NUMA memory policy: mbind, set_mempolicy, get_mempolicy, migrate_pages,
 * set_mempolicy_home_node (linux/mempolicy.h).
 */
import { Ctx, RVAL_DECODED, U32, VERBOSE_ARRAY_CAP, flagsStr, type Decoder } from '../printer.js';
import { addr, arr, hexStr, sym, type Value } from '../value.js';
import { get_mempolicy_flags, mbind_flags, mpol_mode_flags, mpol_modes } from '../xlat/tables.gen.js';

/** MPOL_MODE_FLAGS: the flag bits above the mode. */
const MODE_FLAGS = 0xe000n;

/** A policy mode with its flags: MPOL_BIND|MPOL_F_STATIC_NODES. */
function modeText(v: bigint): string | undefined {
  const flags = v & MODE_FLAGS;
  const mode = v & ~MODE_FLAGS;
  const name = mpol_modes.lookup(mode);
  if (name === undefined && !flags) return undefined;
  const parts = [name ?? ''];
  if (flags) parts.push(flagsStr(flags, mpol_mode_flags, undefined, 'abbrev'));
  if (name === undefined) parts.push(hexStr(mode));
  return parts.filter((p) => p).join('|');
}

function modeValue(c: Ctx, v: bigint): Value {
  if (c.o.xlat === 'raw') return sym(hexStr(v));
  const t = modeText(v) ?? 'MPOL_???';
  if (c.o.xlat === 'verbose' || modeText(v) === undefined) return sym(`${hexStr(v)} /* ${t} */`);
  return sym(t);
}

const BITS = 64n;

/** One word of a node mask as %#0*lx prints it: 16 characters, and no 0x for zero. */
const maskWord = (v: bigint): Value => sym(v === 0n ? '0'.repeat(16) : `0x${v.toString(16).padStart(14, '0')}`);

/**
 * A node mask of `maxnode` bits (the kernel uses maxnode - 1 of them): [0x…, …]. As strace, each
 * word is read before the -s limit is checked, so an unreadable word past it is still reported.
 */
function nodemask(c: Ctx, ad: bigint, maxnode: bigint): Value {
  const nlongs = maxnode === 0n ? 0n : (maxnode + BITS - 2n) / BITS;
  if (ad === 0n) return addr(0n);
  if (c.outFailed) return addr(ad);
  if (nlongs === 0n) return maxnode ? addr(ad) : arr([]);
  const limit = BigInt(c.abbrev ? c.o.strsize : VERBOSE_ARRAY_CAP);
  const items: Value[] = [];
  for (let i = 0n; i < nlongs; i++) {
    const at = ad + i * 8n;
    const b = at + 8n <= 1n << 64n ? c.fetchAlways(at, 8) : undefined;
    if (!b) return i === 0n ? addr(ad) : { t: 'arr', a: items, moreAt: at };
    if (i >= limit) return arr(items, true);
    items.push(maskWord(b.readBigUInt64LE(0)));
  }
  return arr(items);
}

const getMempolicy: Decoder = (c) => {
  if (c.entering) return 0;
  const mb = c.a[0] === 0n ? undefined : c.fetch(c.a[0], 4);
  const modeOut = mb ? arr([modeValue(c, BigInt(mb.readUInt32LE(0)))]) : addr(c.a[0]);
  c.push(modeOut, c.failed ? addr(c.a[1]) : nodemask(c, c.a[1], c.a[2]), c.ulong(2), c.ptr(3), c.flags(U32(c.a[4]), get_mempolicy_flags, 'MPOL_F_???'));
  return 0;
};

export const numaDecoders: Record<string, Decoder> = {
  mbind: (c) => {
    c.push(c.x(0), c.ulong(1), modeValue(c, c.a[2]), nodemask(c, c.a[3], c.a[4]), c.ulong(4), c.flags(U32(c.a[5]), mbind_flags, 'MPOL_MF_???'));
    return RVAL_DECODED;
  },
  set_mempolicy: (c) => {
    c.push(modeValue(c, U32(c.a[0])), nodemask(c, c.a[1], c.a[2]), c.ulong(2));
    return RVAL_DECODED;
  },
  get_mempolicy: getMempolicy,
  migrate_pages: (c) => {
    c.push(c.pidv(c.a[0]), c.ulong(1), nodemask(c, c.a[2], c.a[1]), nodemask(c, c.a[3], c.a[1]));
    return RVAL_DECODED;
  },
  set_mempolicy_home_node: (c) => {
    c.push(c.ptr(0), c.ulong(1), c.ulong(2), c.x(3));
    return RVAL_DECODED;
  },
};
