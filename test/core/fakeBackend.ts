/**
 * A scripted kernel for table tests of the stop state machine (src/core/stops.ts) without a
 * tracee: it implements TraceBackend, records every request the core makes (restarts,
 * detaches, interrupts, register writes), and delivers the stops a test scripts, with the
 * syscall info and registers the core will ask for. Not a test file itself.
 */
import type { StopSink, TraceBackend } from '../../src/core/backend.js';
import * as P from '../../src/core/ptrace.js';
import type { Task } from '../../src/core/task.js';

/** One request the core made, as a short line: 'SYSCALL 1000 0', 'DETACH 1000 0', 'interrupt 1000'. */
export type Request = string;

const REQUEST_NAMES: Record<number, string> = {
  [P.PTRACE_CONT]: 'CONT',
  [P.PTRACE_SYSCALL]: 'SYSCALL',
  [P.PTRACE_SINGLESTEP]: 'SINGLESTEP',
  [P.PTRACE_SINGLEBLOCK]: 'SINGLEBLOCK',
  [P.PTRACE_LISTEN]: 'LISTEN',
};

const GPR_BYTES = 27 * 8;
/** user_regs_struct offsets (bytes) */
const ORIG_RAX = 15 * 8;

export class FakeKernel implements TraceBackend {
  readonly requests: Request[] = [];
  private readonly sinks = new Map<number, StopSink>();
  private readonly orphans = new Map<number, number>();
  private readonly sysinfo = new Map<number, Buffer>();
  private readonly regs = new Map<number, Buffer>();
  private readonly siginfo = new Map<number, Buffer>();
  private readonly eventMsg = new Map<number, number>();
  private nextPid = 40_000;

  /** The requests made since the last call, and forget them. */
  take(): Request[] {
    return this.requests.splice(0);
  }

  // ---------------------------------------------------------------- what a test scripts

  /** A syscall-entry stop of tid: nr and args as PTRACE_GET_SYSCALL_INFO gives them. */
  syscallEntry(tid: number, nr: number, args: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n]): void {
    const b = Buffer.alloc(88);
    b[0] = P.SYSCALL_INFO_ENTRY;
    b.writeBigUInt64LE(BigInt(nr), 24);
    args.forEach((a, i) => b.writeBigUInt64LE(BigInt.asUintN(64, a), 32 + 8 * i));
    this.sysinfo.set(tid, b);
    this.gpr(tid).writeBigUInt64LE(BigInt(nr), ORIG_RAX);
    this.stop(tid, P.SIGTRAP | 0x80);
  }

  /** The syscall info syscallInfo(tid) answers from now on, as is (a loop replaying the same
   * stops sets it without allocating: bench/jsPerStop.ts). */
  setSyscallInfo(tid: number, info: Buffer): void {
    this.sysinfo.set(tid, info);
  }

  /** The matching syscall-exit stop, with its result. */
  syscallExit(tid: number, rval: bigint): void {
    const b = Buffer.alloc(88);
    b[0] = P.SYSCALL_INFO_EXIT;
    b.writeBigInt64LE(rval, 24);
    b[32] = rval < 0n && rval > -4096n ? 1 : 0;
    this.sysinfo.set(tid, b);
    this.stop(tid, P.SIGTRAP | 0x80);
  }

  /** A signal-delivery stop of tid (si_code SI_USER unless given). */
  signal(tid: number, sig: number, code = 0): void {
    const info = Buffer.alloc(128);
    info.writeInt32LE(sig, 0);
    info.writeInt32LE(code, 8);
    info.writeInt32LE(1, 16); // si_pid: not 0, so not the kernel's step report
    this.siginfo.set(tid, info);
    this.stop(tid, sig);
  }

  /** The thread exited (not a stop): its death status. */
  exited(tid: number, code: number): void {
    this.sinks.get(tid)!._dispatch(tid, (code & 0xff) << 8, 0);
  }

  /** PTRACE_GETEVENTMSG's answer for tid's next event stop (a clone's new tid). */
  setEventMessage(tid: number, msg: number): void {
    this.eventMsg.set(tid, msg);
  }

  /** A raw ptrace stop: WSTOPSIG sig, event ev. */
  stop(tid: number, sig: number, ev = 0): void {
    const sink = this.sinks.get(tid);
    if (!sink) throw new Error(`fake kernel: tid ${tid} is not owned`);
    sink._dispatch(tid, 0x7f | (sig << 8) | (ev << 16), 0);
  }

  /** Register file of tid (the fake's user_regs_struct). */
  gpr(tid: number): Buffer {
    let r = this.regs.get(tid);
    if (!r) this.regs.set(tid, (r = Buffer.alloc(GPR_BYTES)));
    return r;
  }

  origRax(tid: number): bigint {
    return this.gpr(tid).readBigInt64LE(ORIG_RAX);
  }

  // ---------------------------------------------------------------- TraceBackend

  start(): void {}
  forget(): void {}
  own(tid: number, sink: StopSink): void {
    this.sinks.set(tid, sink);
  }
  disown(tid: number): void {
    this.sinks.delete(tid);
  }
  takeOrphan(tid: number): number | undefined {
    const st = this.orphans.get(tid);
    this.orphans.delete(tid);
    return st;
  }
  orphan(tid: number, status: number): void {
    this.orphans.set(tid, status);
  }
  isOrphan(tid: number): boolean {
    return this.orphans.has(tid);
  }
  kick(): void {}
  refresh(): void {}
  readWhileHeld(): void {}
  running(_task: Task): void {}
  stopped(_task: Task): void {}
  fresh(_task: Task): void {}

  spawn(_req: Parameters<TraceBackend['spawn']>[0]): number {
    return this.nextPid++;
  }
  seize(tid: number): void {
    this.requests.push(`seize ${tid}`);
  }
  interrupt(tid: number): void {
    this.requests.push(`interrupt ${tid}`);
  }
  restart(task: Task, request: number, signal: number): void {
    this.requests.push(`${REQUEST_NAMES[request] ?? request} ${task.tid} ${signal}`);
  }
  detach(tid: number, signal: number): void {
    this.requests.push(`DETACH ${tid} ${signal}`);
  }
  setOptions(): void {}
  eventMessage(tid: number): number {
    return this.eventMsg.get(tid) ?? 0;
  }
  getSigInfo(tid: number, buf: Uint8Array): void {
    buf.set(this.siginfo.get(tid) ?? Buffer.alloc(128));
  }
  setSigInfo(tid: number, buf: Uint8Array): void {
    this.siginfo.set(tid, Buffer.from(buf));
    this.requests.push(`setsiginfo ${tid} ${Buffer.from(buf).readInt32LE(0)}`);
  }
  syscallInfo(tid: number, buf: Uint8Array): number {
    const b = this.sysinfo.get(tid);
    if (!b) return 0;
    buf.set(b);
    return b.length;
  }
  getRegSet(tid: number, _nt: number, buf: Uint8Array): number {
    buf.set(this.gpr(tid).subarray(0, buf.length));
    return GPR_BYTES;
  }
  setRegSet(tid: number, _nt: number, buf: Uint8Array, length: number): void {
    this.gpr(tid).set(buf.subarray(0, length));
    this.requests.push(`setregs ${tid}`);
  }
  peekUser(): bigint {
    return 0n;
  }
  pokeUser(): void {}
  tgkill(_tgid: number, tid: number, signal: number): void {
    this.requests.push(`tgkill ${tid} ${signal}`);
  }
  /** No memory is mapped in the fake. */
  readMemory(): number {
    return 0;
  }
  writeMemory(): number {
    return 0;
  }
  storeMemory(): number {
    return 0;
  }
  swapByte(): number {
    return -14; // EFAULT
  }
}
