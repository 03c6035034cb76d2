/**
 * The syscall report: one syscall stop as engines see it (SyscallReport). Number, arguments
 * and result are fetched from the kernel only when an engine reads them
 * (PTRACE_GET_SYSCALL_INFO, or the registers), so an engine that only counts calls costs no
 * extra syscall per stop.
 */
import { UtraceError } from './errors.js';
import * as P from './ptrace.js';
import type { Task } from './task.js';
import type { SyscallReport } from './types.js';

export class SyscallCall implements SyscallReport {
  readonly task: Task;
  readonly entry: boolean;
  readonly seccomp: boolean;
  private _nr: number | undefined;
  private _args: bigint[] | undefined;
  private _ret: bigint | undefined;

  constructor(task: Task, entry: boolean, seccomp: boolean) {
    this.task = task;
    this.entry = entry;
    this.seccomp = seccomp;
    if (task._sysNr >= 0) {
      this._nr = task._sysNr;
      this._args = task._sysArgs ?? undefined;
    }
  }

  get nr(): number {
    if (this._nr === undefined) this._load();
    return this._nr!;
  }

  get args(): bigint[] {
    if (this._args === undefined) this._load();
    return this._args!;
  }

  get ret(): bigint | undefined {
    if (this.entry) return undefined;
    if (this._ret === undefined) this._load();
    return this._ret;
  }

  /** @internal whether the number was ever read (an ABORT needs it settled) */
  get _loaded(): boolean {
    return this._nr !== undefined;
  }

  private _load(): void {
    const task = this.task;
    const v = loadSysinfo(task);
    if (this.entry) {
      if (v && (v.getUint8(0) === P.SYSCALL_INFO_ENTRY || v.getUint8(0) === P.SYSCALL_INFO_SECCOMP)) {
        // The number without a BigInt when it fits (it always does but for -1 and junk).
        this._nr = v.getUint32(28, true) === 0 ? v.getUint32(24, true) : Number(v.getBigUint64(24, true));
        // Through the 64-bit view: DataView's BigInt reads are calls, these are inlined.
        this._args = [sysinfoU64[4]!, sysinfoU64[5]!, sysinfoU64[6]!, sysinfoU64[7]!, sysinfoU64[8]!, sysinfoU64[9]!];
      } else this._fromRegs();
      task._sysNr = this._nr!;
      task._sysArgs = this._args!;
      return;
    }
    if (v && v.getUint8(0) === P.SYSCALL_INFO_EXIT) this._ret = sysinfoI64[3]!;
    if (this._nr === undefined || this._ret === undefined) this._fromRegs();
  }

  private _fromRegs(): void {
    const t = this.task;
    t._inCallback++;
    try {
      const r = t.regs();
      this._nr ??= Number(BigInt.asIntN(64, r.get('orig_rax')));
      this._args ??= (['rdi', 'rsi', 'rdx', 'r10', 'r8', 'r9'] as const).map((n) => r.get(n));
      if (!this.entry) this._ret ??= r.getSigned('rax');
    } finally {
      t._inCallback--;
    }
  }

  setNr(nr: number): void {
    if (!this.entry) throw new UtraceError('EINVAL', 'setNr', this.task.tid, 'only at syscall entry');
    const r = this.task.regs();
    r.set('orig_rax', BigInt(nr));
    this.task.setRegs(r);
    this._nr = nr;
    this.task._sysNr = nr;
  }

  setArg(i: number, value: bigint): void {
    if (!this.entry || i < 0 || i > 5) throw new UtraceError('EINVAL', 'setArg', this.task.tid);
    const args = this.args;
    const r = this.task.regs();
    r.set((['rdi', 'rsi', 'rdx', 'r10', 'r8', 'r9'] as const)[i]!, value);
    this.task.setRegs(r);
    args[i] = BigInt.asUintN(64, value);
  }

  setReturn(value: bigint): void {
    if (this.entry) throw new UtraceError('EINVAL', 'setReturn', this.task.tid, 'only at syscall exit');
    const r = this.task.regs();
    r.set('rax', value);
    this.task.setRegs(r);
    this._ret = BigInt.asIntN(64, value);
  }

  sendSignal(signo: number): void {
    if (!Number.isInteger(signo) || signo < 0 || signo > 64 || (this.entry && this.seccomp && signo)) {
      throw new UtraceError('EINVAL', 'sendSignal', this.task.tid, this.seccomp ? 'not at a seccomp entry' : `bad signal ${signo}`);
    }
    // The restart of a syscall stop passes it: the kernel sends it as its own (send_sig priv).
    this.task._sig = signo;
  }
}

const sysinfoView = new DataView(new ArrayBuffer(88));
const sysinfoBytes = new Uint8Array(sysinfoView.buffer);
// struct ptrace_syscall_info's 64-bit fields (x86_64 is little-endian, as the reads above).
const sysinfoU64 = new BigUint64Array(sysinfoView.buffer);
const sysinfoI64 = new BigInt64Array(sysinfoView.buffer);

/** PTRACE_GET_SYSCALL_INFO for the current stop, or undefined where unsupported. The view is
 * shared: read it before the next call. */
export function loadSysinfo(task: Task): DataView | undefined {
  try {
    return task._backend.syscallInfo(task.tid, sysinfoBytes) > 0 ? sysinfoView : undefined;
  } catch (e) {
    if (e instanceof UtraceError && (e.code === 'EIO' || e.code === 'EINVAL')) return undefined;
    throw e;
  }
}
