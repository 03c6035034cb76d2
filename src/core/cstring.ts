/**
 * A thread's memory as engines read it, and NUL-terminated strings in it.
 */

/**
 * A thread's memory as engines see it: a held `Task` is one; a test's memory image is
 * another. Every address and length may come from the traced program: callers bound what they
 * read and treat failure as "unreadable", never as an error of theirs.
 */
export interface TaskMemory {
  /**
   * Up to len bytes at addr: fewer when the range runs into unmapped memory; an empty buffer,
   * undefined or a throw when nothing at addr is readable (or the thread is not held).
   */
  readMemory(addr: bigint, len: number): Buffer | undefined;
  /** Writes bytes at addr, returns how many were written. Read-only memory has none. */
  writeMemory?(addr: bigint, bytes: Uint8Array): number;
}

/**
 * The bytes before the NUL (at most max), or undefined when nothing at addr is readable. Reads
 * a page at a time at most, so a string that ends just before an unmapped page is still found.
 */
export function readCStringBytes(mem: TaskMemory, addr: bigint, max = 4096): Buffer | undefined {
  const parts: Buffer[] = [];
  let total = 0;
  while (total < max) {
    const at = addr + BigInt(total);
    const want = Math.min(max - total, 4096 - Number(at & 4095n));
    let b: Buffer | undefined;
    try {
      b = mem.readMemory(at, want);
    } catch {
      b = undefined;
    }
    if (!b) return parts.length ? Buffer.concat(parts) : undefined;
    if (!b.length) break;
    const z = b.indexOf(0);
    if (z >= 0) {
      parts.push(b.subarray(0, z));
      break;
    }
    parts.push(b);
    total += b.length;
    if (b.length < want) break;
  }
  return Buffer.concat(parts);
}
