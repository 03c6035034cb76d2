/**
 * Memory management: mmap/munmap/mprotect/brk/madvise/mremap/msync/mlock*, pkey_alloc/pkey_free, remap_file_pages. Output follows
 * strace 6.x mem.c (mmap flags: the MAP_TYPE value, then flag bits, then n<<MAP_HUGE_SHIFT).
 */
import { Ctx, I32, RV, RVAL_DECODED, U32, flagsStr, xvalStr, type Decoder } from '../printer.js';
import { hexStr, sym, type Value } from '../value.js';
import { madvise_cmds, mlock_flags, mlockall_flags, mmap_flags, mmap_prot, mremap_flags, msync_flags, pkey_access } from '../xlat/tables.gen.js';

const MAP_TYPE = 0xfn;
const MAP_HUGE_SHIFT = 26n;
const MAP_HUGE_MASK = 0x3fn;

export function mmapFlagsStr(c: Ctx, flags: bigint): string {
  if (c.o.xlat === 'raw') return hexStr(flags);
  const parts: string[] = [];
  const type = flags & MAP_TYPE;
  parts.push(xvalStr(type, mmap_flags, 'MAP_???', 'abbrev'));
  let rest = flags & ~MAP_TYPE;
  const huge = (rest >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
  rest &= ~(MAP_HUGE_MASK << MAP_HUGE_SHIFT);
  if (rest) parts.push(flagsStr(rest, mmap_flags, undefined));
  if (huge) parts.push(`${huge}<<MAP_HUGE_SHIFT`);
  const s = parts.join('|');
  return c.o.xlat === 'verbose' ? `${hexStr(flags)} /* ${s} */` : s;
}

const prot = (c: Ctx, v: bigint): Value => c.flags(U32(v), mmap_prot, 'PROT_???');

export const memDecoders: Record<string, Decoder> = {
  mlock2: (c) => {
    c.push(c.x(0), c.ulong(1), c.flags(U32(c.a[2]), mlock_flags, 'MLOCK_???'));
    return RVAL_DECODED;
  },
  pkey_alloc: (c) => {
    c.push(c.x(0), c.flags(c.a[1], pkey_access, 'PKEY_???'));
    return RVAL_DECODED;
  },
  pkey_free: (c) => {
    c.push(c.int(0));
    return RVAL_DECODED;
  },
  remap_file_pages: (c) => {
    // prot is an unsigned long here.
    c.push(c.x(0), c.ulong(1), c.flags(c.a[2], mmap_prot, 'PROT_???'), c.ulong(3), sym(mmapFlagsStr(c, U32(c.a[4]))));
    return RVAL_DECODED;
  },
  mmap: (c) => {
    c.push(c.ptr(0), c.ulong(1), prot(c, c.a[2]), sym(mmapFlagsStr(c, U32(c.a[3]))), c.fd(c.a[4]), c.x(5));
    return RVAL_DECODED | RV.HEX;
  },
  munmap: (c) => {
    c.push(c.ptr(0), c.ulong(1));
    return RVAL_DECODED;
  },
  mprotect: (c) => {
    c.push(c.ptr(0), c.ulong(1), prot(c, c.a[2]));
    return RVAL_DECODED;
  },
  pkey_mprotect: (c) => {
    // strace prints pkey_mprotect's prot with all 64 bits of the register.
    c.push(c.ptr(0), c.ulong(1), c.flags(c.a[2], mmap_prot, 'PROT_???'), c.int(3));
    return RVAL_DECODED;
  },
  brk: (c) => {
    c.push(c.ptr(0));
    return RVAL_DECODED | RV.HEX;
  },
  madvise: (c) => {
    c.push(c.ptr(0), c.ulong(1), c.xval(BigInt(Number(I32(c.a[2]))) & 0xffffffffn, madvise_cmds, 'MADV_???'));
    return RVAL_DECODED;
  },
  mremap: (c) => {
    const flags = U32(c.a[3]);
    c.push(c.ptr(0), c.ulong(1), c.ulong(2), c.flags(flags, mremap_flags, 'MREMAP_???'));
    // The new address is an argument only with MREMAP_FIXED.
    if (flags & 2n) c.push(c.ptr(4));
    return RVAL_DECODED | RV.HEX;
  },
  msync: (c) => {
    c.push(c.ptr(0), c.ulong(1), c.flags(U32(c.a[2]), msync_flags, 'MS_???'));
    return RVAL_DECODED;
  },
  mlock: (c) => {
    c.push(c.ptr(0), c.ulong(1));
    return RVAL_DECODED;
  },
  munlock: (c) => {
    c.push(c.ptr(0), c.ulong(1));
    return RVAL_DECODED;
  },
  mlockall: (c) => {
    c.push(c.flags(U32(c.a[0]), mlockall_flags, 'MCL_???'));
    return RVAL_DECODED;
  },
  munlockall: () => RVAL_DECODED,
};
