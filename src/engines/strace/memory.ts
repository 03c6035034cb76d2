/**
 * Tracee memory as the strace decoders see it: an untrusted byte source.
 *
 * Every pointer a decoder follows comes from the traced program and may be garbage, so the
 * helpers here read at most what will be printed (never a tracee-chosen length) and report
 * failure instead of throwing. Semantics follow strace's ucopy.c: a fixed-size read that comes
 * back short counts as unreadable (strace prints the address), and a NUL-terminated read stops at
 * the first NUL or at the limit.
 */

/** The engine's view of a stopped tracee's memory. */
export interface IMemoryReader {
  /**
   * Reads up to `len` bytes at `addr`. Returns a shorter buffer when the range runs into unmapped
   * memory, and undefined when the first byte is unreadable.
   */
  read(addr: bigint, len: number): Buffer | undefined;
}

const U64 = (1n << 64n) - 1n;

/** Reads exactly `len` bytes or nothing (strace's umoven). */
export function readExact(mem: IMemoryReader, addr: bigint, len: number): Buffer | undefined {
  if (len <= 0) return Buffer.alloc(0);
  if (addr === 0n || addr + BigInt(len) - 1n > U64) return undefined;
  let b: Buffer | undefined;
  try {
    b = mem.read(addr, len);
  } catch {
    return undefined;
  }
  if (!b || b.length < len) return undefined;
  return b.length === len ? b : b.subarray(0, len);
}

/**
 * Reads a NUL-terminated string of at most `max` bytes (strace's umovestr).
 * `nul` tells whether the terminator was seen within `max` bytes; `bytes` excludes it.
 * Returns undefined when the memory is unreadable before a NUL or the limit was reached.
 */
export function readCString(
  mem: IMemoryReader,
  addr: bigint,
  max: number,
): { bytes: Buffer; nul: boolean } | undefined {
  if (addr === 0n) return undefined;
  if (max <= 0) return { bytes: Buffer.alloc(0), nul: false };
  let b: Buffer | undefined;
  try {
    // Past the end of the address space there is nothing to read.
    const room = U64 - addr + 1n;
    b = mem.read(addr, room < BigInt(max) ? Number(room) : max);
  } catch {
    return undefined;
  }
  if (!b || b.length === 0) return undefined;
  const z = b.indexOf(0);
  if (z >= 0 && z < max) return { bytes: b.subarray(0, z), nul: true };
  // No NUL: a short read means the string runs into unreadable memory (strace: address printed).
  if (b.length < max) return undefined;
  return { bytes: b.subarray(0, max), nul: false };
}

/**
 * A sparse, writable fake address space for tests and the fuzzer: mapped regions of bytes;
 * everything else is unreadable.
 */
export class FakeMemory implements IMemoryReader {
  private readonly _regions: { start: bigint; data: Buffer }[] = [];
  /** Total bytes requested through read(), to assert reads stay bounded. */
  bytesRequested = 0;
  /** Largest single read() length requested. */
  maxRequest = 0;

  /** Maps `data` at `addr` (replacing overlapping bytes of the same region if any). */
  map(addr: bigint, data: Buffer | Uint8Array | string): this {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
    this._regions.push({ start: addr, data: buf });
    return this;
  }

  /** Maps a NUL-terminated string. */
  str(addr: bigint, s: string): this {
    return this.map(addr, Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from([0])]));
  }

  u32(addr: bigint, ...vals: number[]): this {
    const b = Buffer.alloc(4 * vals.length);
    vals.forEach((v, i) => b.writeUInt32LE(v >>> 0, 4 * i));
    return this.map(addr, b);
  }

  i32(addr: bigint, ...vals: number[]): this {
    const b = Buffer.alloc(4 * vals.length);
    vals.forEach((v, i) => b.writeInt32LE(v | 0, 4 * i));
    return this.map(addr, b);
  }

  u64(addr: bigint, ...vals: bigint[]): this {
    const b = Buffer.alloc(8 * vals.length);
    vals.forEach((v, i) => b.writeBigUInt64LE(BigInt.asUintN(64, v), 8 * i));
    return this.map(addr, b);
  }

  read(addr: bigint, len: number): Buffer | undefined {
    this.bytesRequested += len;
    if (len > this.maxRequest) this.maxRequest = len;
    const out: Buffer[] = [];
    let cur = addr;
    let want = len;
    // Contiguous regions (adjacent maps) read as one range; a gap ends the read.
    while (want > 0) {
      const r = this._find(cur);
      if (!r) break;
      const off = Number(cur - r.start);
      const n = Math.min(want, r.data.length - off);
      out.push(r.data.subarray(off, off + n));
      cur += BigInt(n);
      want -= n;
    }
    if (out.length === 0) return undefined;
    return Buffer.concat(out);
  }

  private _find(addr: bigint): { start: bigint; data: Buffer } | undefined {
    // Last mapping wins, so tests can overwrite bytes by mapping again.
    for (let i = this._regions.length - 1; i >= 0; i--) {
      const r = this._regions[i];
      if (addr >= r.start && addr < r.start + BigInt(r.data.length)) return r;
    }
    return undefined;
  }
}
