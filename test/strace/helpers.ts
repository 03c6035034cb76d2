/**
 * Helpers to run the strace decoders without ptrace: a fake memory image, and one call decoded
 * against it to the exact line strace would print for a single traced task. Used by the unit
 * tests and the decoder fuzzer.
 */
import { SYSCALL_NR, type TaskMemory } from '../../src/api.js';
import { TraceFormatter, type FormatOptions } from '../../src/engines/strace/format.js';
import { DEFAULT_DECODE_OPTIONS, type DecodeOptions } from '../../src/engines/strace/printer.js';
import { decodeEntry, type DecodedSyscall } from '../../src/engines/strace/syscall.js';

export interface FakeCall {
  /** Kernel syscall name, or a number for raw numbers. */
  readonly name: string | number;
  readonly args?: readonly (bigint | number)[];
  /** Return value; undefined = the call never returns (" = ?"). */
  readonly ret?: bigint | number;
  readonly mem: TaskMemory;
  /** Memory as seen at exit (defaults to `mem`). */
  readonly exitMem?: TaskMemory;
  readonly opts?: Partial<DecodeOptions>;
  readonly fmt?: FormatOptions;
  readonly tid?: number;
  readonly sp?: bigint;
  /** The thread's previous call (restart_syscall). */
  readonly prevName?: string;
}

export function decodeCall(c: FakeCall): DecodedSyscall {
  const nr = typeof c.name === 'number' ? c.name : SYSCALL_NR[c.name];
  if (nr === undefined) throw new Error(`unknown syscall ${String(c.name)}`);
  const args = (c.args ?? []).map((a) => BigInt.asUintN(64, BigInt(a)));
  const d = decodeEntry({ nr, tid: c.tid ?? 1000, pid: c.tid ?? 1000, args, mem: c.mem, sp: c.sp, prevName: c.prevName }, { ...DEFAULT_DECODE_OPTIONS, ...c.opts });
  if (c.ret !== undefined) d.exit(BigInt(c.ret), c.exitMem ?? c.mem);
  return d;
}

/** The strace line (without newline) for one call of a single-task trace. */
export function formatCall(c: FakeCall): string {
  let out = '';
  const f = new TraceFormatter((s) => (out += s), c.fmt);
  const d = decodeCall(c);
  f.addTask(d.tid);
  f.syscallEntry(d, 0n);
  if (c.ret !== undefined) f.syscallExit(d, 0n);
  else f.syscallNoReturn(d.tid, 0n);
  return out.replace(/\n$/, '');
}

/**
 * A sparse fake address space for tests and the fuzzer: mapped regions of bytes;
 * everything else is unreadable.
 */
export class FakeMemory implements TaskMemory {
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

  readMemory(addr: bigint, len: number): Buffer | undefined {
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
