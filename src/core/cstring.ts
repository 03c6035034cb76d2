/**
 * NUL-terminated strings in a tracee's memory, read a page at a time at most, so a string that
 * ends just before an unmapped page is still found.
 */

/** Reads len bytes at addr; a short, empty or undefined result (or a throw) ends the string. */
export type MemoryReader = (addr: bigint, len: number) => Buffer | undefined;

/** The bytes before the NUL (at most max), or undefined when nothing at addr is readable. */
export function readCStringBytes(read: MemoryReader, addr: bigint, max = 4096): Buffer | undefined {
  const parts: Buffer[] = [];
  let total = 0;
  while (total < max) {
    const at = addr + BigInt(total);
    const want = Math.min(max - total, 4096 - Number(at & 4095n));
    let b: Buffer | undefined;
    try {
      b = read(at, want);
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
