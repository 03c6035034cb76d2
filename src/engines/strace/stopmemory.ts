/**
 * A tracee's memory as one stop of a thread sees it, read a page at a time and kept: decoding
 * a call reads the same pages again and again (writev's strings side by side, a struct and the
 * strings it points to), and the tracee cannot change them while it is stopped, so each page
 * costs one process_vm_readv per stop, as strace's own cache does. Made anew at every stop
 * (the call changes memory between its entry and exit); a write through it forgets the pages.
 * Reads of more than a few pages go straight through: one large read beats many page reads.
 */
import type { TaskMemory } from '../../api.js';

const PAGE = 4096;
const PAGE_N = BigInt(PAGE);
const PAGE_MASK = ~(PAGE_N - 1n);
/** Longer reads are not cached (a -e read= dump of a large buffer). */
const MAX_CACHED_PAGES = 3n;
const NONE = Buffer.alloc(0);

export class StopMemory implements TaskMemory {
  /** Page base -> the bytes readable from it (shorter than a page: the rest is not); made at
   * the first read (most stops read nothing). */
  private _pages: Map<bigint, Buffer> | undefined;

  constructor(private readonly _mem: TaskMemory) {}

  readMemory(addr: bigint, len: number): Buffer | undefined {
    if (!(len > 0)) return NONE;
    const end = addr + BigInt(len);
    const first = addr & PAGE_MASK;
    const last = (end - 1n) & PAGE_MASK;
    if ((last - first) / PAGE_N >= MAX_CACHED_PAGES) return this._mem.readMemory(addr, len);
    const parts: Buffer[] = [];
    for (let p = first; p <= last; p += PAGE_N) {
      const page = this._page(p);
      const from = p === first ? Number(addr - p) : 0;
      const to = p === last ? Number(end - p) : PAGE;
      if (page.length <= from) break;
      parts.push(page.subarray(from, Math.min(to, page.length)));
      if (page.length < to) break;
    }
    return parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts);
  }

  writeMemory(addr: bigint, bytes: Uint8Array): number {
    this._pages?.clear();
    if (!this._mem.writeMemory) return 0;
    return this._mem.writeMemory(addr, bytes);
  }

  private _page(base: bigint): Buffer {
    const pages = (this._pages ??= new Map());
    let b = pages.get(base);
    if (b === undefined) {
      try {
        b = base >= 0n && base < 1n << 64n ? this._mem.readMemory(base, PAGE) ?? NONE : NONE;
      } catch {
        b = NONE;
      }
      pages.set(base, b);
    }
    return b;
  }
}
