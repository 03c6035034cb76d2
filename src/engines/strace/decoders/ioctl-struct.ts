/**
 * Shared pieces of the ioctl family decoders: structures described as (name, offset, kind) rows
 * instead of one readXxxLE call per field, and the "read at exit unless the call failed" shape
 * most GET requests have.
 */
import { Ctx, RVAL_DECODED, VERBOSE_ARRAY_CAP } from '../printer.js';
import { addr, arr, field, hexStr, num, str, struct, sym, type Field, type Value } from '../value.js';

/** How one scalar field prints: integer width and sign, or hex (x8..x64). */
export type Kind = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'i64' | 'x8' | 'x16' | 'x32' | 'x64' | 'ptr';
/** [name, byte offset, kind] */
export type Row = readonly [string, number, Kind];

export const KIND_SIZE: Record<Kind, number> = { u8: 1, i8: 1, x8: 1, u16: 2, i16: 2, x16: 2, u32: 4, i32: 4, x32: 4, u64: 8, i64: 8, x64: 8, ptr: 8 };

/** The scalar at `off` as a bigint, read as `k` says. */
export function scalar(b: Buffer, off: number, k: Kind): bigint {
  switch (k) {
    case 'u8':
    case 'x8':
      return BigInt(b.readUInt8(off));
    case 'i8':
      return BigInt(b.readInt8(off));
    case 'u16':
    case 'x16':
      return BigInt(b.readUInt16LE(off));
    case 'i16':
      return BigInt(b.readInt16LE(off));
    case 'u32':
    case 'x32':
      return BigInt(b.readUInt32LE(off));
    case 'i32':
      return BigInt(b.readInt32LE(off));
    case 'i64':
      return b.readBigInt64LE(off);
    default:
      return b.readBigUInt64LE(off);
  }
}

/** One field's value. */
export function scalarValue(b: Buffer, off: number, k: Kind): Value {
  const v = scalar(b, off, k);
  if (k === 'ptr') return addr(v);
  return k[0] === 'x' ? sym(hexStr(v)) : num(v);
}

/** Fields of `rows` read from `b` (offsets relative to `base`). */
export function fieldsOf(b: Buffer, rows: readonly Row[], base = 0): Field[] {
  return rows.map(([k, off, kind]) => field(k, scalarValue(b, base + off, kind)));
}

/** {a=.., b=..} from rows. */
export function structOf(b: Buffer, rows: readonly Row[], base = 0, more = false): Value {
  return struct(fieldsOf(b, rows, base), more);
}

/** Bytes a row list spans. */
export function rowsEnd(rows: readonly Row[]): number {
  return rows.reduce((m, [, off, k]) => Math.max(m, off + KIND_SIZE[k]), 0);
}

/**
 * `size` bytes at `ad` shaped by `f`, or the address (NULL for 0) when unreadable or, at exit,
 * when the call failed.
 */
export function fetched(c: Ctx, ad: bigint, size: number, f: (b: Buffer) => Value): Value {
  if (ad === 0n) return addr(ad);
  const b = c.fetch(ad, size);
  return b ? f(b) : addr(ad);
}

/**
 * At entry of a request whose exit print compares with what the caller sent: the structure
 * is kept in c.priv (0 returned: decode again at exit), or, unreadable, its address printed
 * and the decoding done (RVAL_DECODED).
 */
export function keepAtEntry(c: Ctx, ad: bigint, size: number): number {
  const b = ad === 0n ? undefined : c.fetch(ad, size);
  if (!b) {
    c.push(addr(ad));
    return RVAL_DECODED;
  }
  c.priv = b;
  return 0;
}

/** An argument printed at exit only (GET requests): nothing at entry, so decoders return 0. */
export function later(c: Ctx, f: () => Value): number {
  if (!c.entering) c.push(f());
  return 0;
}

/** A structure printed at exit only (GET requests): undefined at entry, so decoders return 0. */
export function atExit(c: Ctx, ad: bigint, size: number, f: (b: Buffer) => Value): number {
  if (c.entering) return 0;
  c.push(fetched(c, ad, size, f));
  return 0;
}

/** Elements of an in-structure array: -s of them (all under -v), `...` after. */
export function capped(c: Ctx, items: readonly Value[]): Value {
  const cap = c.abbrev ? c.o.strsize : VERBOSE_ARRAY_CAP;
  return items.length > cap ? arr(items.slice(0, cap), true) : arr(items);
}

/** `n` scalars of kind `k` from offset `off`. */
export function scalars(b: Buffer, off: number, n: number, k: Kind): Value[] {
  const out: Value[] = [];
  for (let i = 0; i < n; i++) out.push(scalarValue(b, off + i * KIND_SIZE[k], k));
  return out;
}

/** True when any of `len` bytes from `off` is not zero (padding worth showing). */
export function nonzero(b: Buffer, off: number, len: number): boolean {
  for (let i = off; i < off + len; i++) if (b[i]) return true;
  return false;
}

/** A char[size] name: up to the NUL, else size-1 characters and `...` (strace's cstring fields). */
export function charArray(b: Buffer, off: number, size: number): Value {
  const s = b.subarray(off, off + size);
  const z = s.indexOf(0);
  return z >= 0 ? str(s.subarray(0, z)) : str(s.subarray(0, size - 1), true);
}

/** A GET request's scalar result behind a pointer: [N] at exit, the address when the call failed. */
export function scalarOut(c: Ctx, ad: bigint, k: Kind): number {
  if (c.entering) return 0;
  c.push(fetched(c, ad, KIND_SIZE[k], (b) => arr([scalarValue(b, 0, k)])));
  return 0;
}
