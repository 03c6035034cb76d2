/**
 * Tracee memory as the strace decoders see it: an untrusted byte source.
 *
 * Every pointer a decoder follows comes from the traced program and may be garbage, so the
 * helpers here read at most what will be printed (never a tracee-chosen length) and report
 * failure instead of throwing. Semantics follow strace's ucopy.c: a fixed-size read that comes
 * back short counts as unreadable (strace prints the address), and a NUL-terminated read stops at
 * the first NUL or at the limit.
 */
import type { TaskMemory } from '../../api.js';

const U64 = (1n << 64n) - 1n;

/** Reads exactly `len` bytes or nothing (strace's umoven). */
export function readExact(mem: TaskMemory, addr: bigint, len: number): Buffer | undefined {
  if (len <= 0) return Buffer.alloc(0);
  if (addr === 0n || addr + BigInt(len) - 1n > U64) return undefined;
  let b: Buffer | undefined;
  try {
    b = mem.readMemory(addr, len);
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
  mem: TaskMemory,
  addr: bigint,
  max: number,
): { bytes: Buffer; nul: boolean } | undefined {
  if (addr === 0n) return undefined;
  if (max <= 0) return { bytes: Buffer.alloc(0), nul: false };
  let b: Buffer | undefined;
  try {
    // Past the end of the address space there is nothing to read.
    const room = U64 - addr + 1n;
    b = mem.readMemory(addr, room < BigInt(max) ? Number(room) : max);
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
