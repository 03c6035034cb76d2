/**
 * Helpers to run decoders without ptrace: decode one call against a memory image and get the
 * exact line strace would print for a single traced task. Used by unit tests and the fuzzer.
 */
import { SYSCALL_NR } from '../../arch/x86_64/syscalls.gen.js';
import { TraceFormatter, type IFormatOptions } from './format.js';
import type { IMemoryReader } from './memory.js';
import { DEFAULT_DECODE_OPTIONS, type IDecodeOptions } from './printer.js';
import { decodeEntry, type DecodedSyscall } from './syscall.js';

export interface IFakeCall {
  /** Kernel syscall name, or a number for raw numbers. */
  readonly name: string | number;
  readonly args?: readonly (bigint | number)[];
  /** Return value; undefined = the call never returns (" = ?"). */
  readonly ret?: bigint | number;
  readonly mem: IMemoryReader;
  /** Memory as seen at exit (defaults to `mem`). */
  readonly exitMem?: IMemoryReader;
  readonly opts?: Partial<IDecodeOptions>;
  readonly fmt?: IFormatOptions;
  readonly tid?: number;
  readonly sp?: bigint;
}

export function decodeCall(c: IFakeCall): DecodedSyscall {
  const nr = typeof c.name === 'number' ? c.name : SYSCALL_NR[c.name];
  if (nr === undefined) throw new Error(`unknown syscall ${String(c.name)}`);
  const args = (c.args ?? []).map((a) => BigInt.asUintN(64, BigInt(a)));
  const d = decodeEntry({ nr, tid: c.tid ?? 1000, pid: c.tid ?? 1000, args, mem: c.mem, sp: c.sp }, { ...DEFAULT_DECODE_OPTIONS, ...c.opts });
  if (c.ret !== undefined) d.exit(BigInt(c.ret), c.exitMem ?? c.mem);
  return d;
}

/** The strace line (without newline) for one call of a single-task trace. */
export function formatCall(c: IFakeCall): string {
  let out = '';
  const f = new TraceFormatter((s) => (out += s), c.fmt);
  const d = decodeCall(c);
  f.addTask(d.tid);
  f.syscallEntry(d, 0n);
  if (c.ret !== undefined) f.syscallExit(d, 0n);
  else f.syscallNoReturn(d.tid, 0n);
  return out.replace(/\n$/, '');
}
