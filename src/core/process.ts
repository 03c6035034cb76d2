/**
 * Process: what the threads of one thread group share: the address space (memory access and
 * the breakpoint table that hides our int3 bytes from every engine), the seccomp filter it
 * was started with, and its exit status.
 */
import { BREAKPOINT_INSN } from '../arch/x86_64/regs.js';
import { Resume } from './actions.js';
import type { TraceBackend } from './backend.js';
import type { Engine } from './engine.js';
import { isGone, UtraceError } from './errors.js';
import { PTRACE_O_EXITKILL } from './ptrace.js';
import type { Task } from './task.js';
import type { ExitStatus } from './types.js';
import { BreakpointWatchdog, watchdogEnabled } from './watchdog.js';

interface Breakpoint {
  orig: number;
  owners: Set<Engine>;
}

export class Process {
  readonly pid: number;
  /** @internal */ readonly _backend: TraceBackend;
  /** @internal */ _threads = new Set<Task>();
  /** @internal */ _breakpoints = new Map<bigint, Breakpoint>();
  /** @internal syscall numbers the seccomp filter traps, or null when there is no filter */ _seccomp: ReadonlySet<number> | null = null;
  /** @internal the filter also traps every number the arch's table does not name */ _seccompUnnamed = false;
  /** @internal started by tracer.spawn (killed, not detached, on fatal errors) */ _spawned = false;
  /** @internal */ _exitResolve!: (s: ExitStatus) => void;
  /** @internal */ _exited = false;
  /** @internal restores our int3 bytes if we die (attached processes only; see watchdog.ts) */ _watchdog: BreakpointWatchdog | null = null;
  /** @internal our int3 bytes are out of memory while every thread is held (_lift) */ _lifted = false;
  /** Watchdogs turned off (UTRACE_BREAKPOINT_WATCHDOG=0). */
  private _unguarded = false;
  /** Settles when the process is gone (its leader reaped). */
  readonly exit: Promise<ExitStatus>;

  /** @internal */
  constructor(pid: number, backend: TraceBackend) {
    this.pid = pid;
    this._backend = backend;
    this.exit = new Promise((r) => (this._exitResolve = r));
    void this.exit.then(() => this._dropWatchdog());
  }

  get threads(): readonly Task[] {
    return [...this._threads];
  }

  /** Whether the process runs under a seccomp prefilter (spawned with syscalls). */
  get seccompFiltered(): boolean {
    return this._seccomp !== null;
  }

  /** @internal */
  _read(tid: number, addr: bigint, len: number): Buffer {
    if (len <= 0) return Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(len);
    const n = this._backend.readMemory(tid, addr, buf, len);
    const out = buf.subarray(0, n);
    if (this._breakpoints.size) {
      for (const [a, bp] of this._breakpoints) {
        if (a >= addr && a < addr + BigInt(n)) out[Number(a - addr)] = bp.orig;
      }
    }
    return out;
  }

  /** @internal */
  _write(tid: number, addr: bigint, bytes: Uint8Array): number {
    let data = bytes;
    if (this._breakpoints.size && this._lifted) {
      for (const [a, bp] of this._breakpoints) if (a >= addr && a < addr + BigInt(bytes.length)) bp.orig = bytes[Number(a - addr)]!;
    } else if (this._breakpoints.size) {
      for (const [a, bp] of this._breakpoints) {
        if (a >= addr && a < addr + BigInt(bytes.length)) {
          if (data === bytes) data = Uint8Array.from(bytes);
          const i = Number(a - addr);
          bp.orig = data[i]!;
          data[i] = BREAKPOINT_INSN;
          this._watchdog?.inserted(a, bp.orig);
        }
      }
    }
    return this._backend.writeMemory(tid, addr, data, data.length);
  }

  /**
   * Up to len bytes at addr (fewer where the range runs into unmapped memory), whether the
   * threads run or not: a tracer may read a running tracee's memory (process_vm_readv,
   * /proc/PID/mem), as gdbserver does in non-stop mode. Through any live thread, another one
   * if that one has just exited (threads come and go). Breakpoint bytes read as the original.
   */
  readMemory(addr: bigint, len: number): Buffer {
    return this._viaLiveThread((tid) => this._read(tid, addr, len));
  }

  /** Write bytes at addr (also into read-only text), whether the threads run or not, as
   * readMemory. Returns bytes written; throws (EFAULT, EIO...) when none could be. */
  writeMemory(addr: bigint, bytes: Uint8Array): number {
    return this._viaLiveThread((tid) => this._write(tid, addr, bytes));
  }

  /** fn through the first thread that still has the address space; one that exited meanwhile
   * (ESRCH) gives way to the next. */
  private _viaLiveThread<T>(fn: (tid: number) => T): T {
    let gone: unknown;
    for (const tid of this._liveTids()) {
      try {
        return fn(tid);
      } catch (e) {
        if (!isGone(e)) throw e;
        gone = e;
      }
    }
    throw gone;
  }

  /** The threads to reach the address space through, live ones first: not past their exit
   * stop (a zombie leader has no address space), stopped ones (they cannot exit under us). */
  private _liveTids(): number[] {
    const stopped: number[] = [];
    const running: number[] = [];
    for (const t of this._threads) {
      if (t.state === 'dead' || t._exiting) continue;
      (t.state === 'stopped' ? stopped : running).push(t.tid);
    }
    const out = stopped.concat(running);
    return out.length ? out : [this._anyTid()];
  }

  /** Insert a software breakpoint (int3) at addr for engine. Idempotent per engine; the
   * byte is shared by all engines and removed when the last owner removes it. */
  insertBreakpoint(engine: Engine, addr: bigint): void {
    const bp = this._breakpoints.get(addr);
    if (bp) {
      bp.owners.add(engine);
      this._revalidate(addr, bp);
      return;
    }
    const tid = this._anyTid();
    const guard = this._guard();
    if (!this._lifted && guard && this._allHeld()) this._lift(); // gdb's always-inserted at its prompt
    if (this._lifted) {
      // Every thread is held: the int3 goes in when one of them runs (_unlift).
      const b = Buffer.alloc(1);
      if (this._backend.readMemory(tid, addr, b, 1) !== 1) {
        throw new UtraceError('EFAULT', 'insertBreakpoint', tid, `0x${addr.toString(16)}`);
      }
      guard?.inserted(addr, b[0]!);
      this._breakpoints.set(addr, { orig: b[0]!, owners: new Set([engine]) });
      return;
    }
    // gdb re-inserts a conditional breakpoint at every hit: one peek and one poke when the
    // thread is stopped. Otherwise (a running thread: non-stop; or a watchdog, which must
    // know the original byte before the int3 is in memory) read, then write.
    let orig = guard ? -1 : this._backend.swapByte(tid, addr, BREAKPOINT_INSN);
    if (orig < 0) {
      const b = Buffer.alloc(1);
      if (this._backend.readMemory(tid, addr, b, 1) !== 1) {
        throw new UtraceError('EFAULT', 'insertBreakpoint', tid, `0x${addr.toString(16)}`);
      }
      orig = b[0]!;
      guard?.inserted(addr, orig);
      this._backend.writeMemory(tid, addr, Buffer.from([BREAKPOINT_INSN]), 1);
    }
    this._breakpoints.set(addr, { orig, owners: new Set([engine]) });
  }

  /**
   * A breakpoint inserted again: is our int3 still there? A library unloaded and another
   * mapped at the same address took it away with the old page (gdb, which cannot tell either,
   * inserts its breakpoint again, as GNU gdbserver expects). The byte found is then the
   * original, and the int3 goes back in. One peek, at a re-insert only.
   */
  private _revalidate(addr: bigint, bp: { orig: number }): void {
    const tid = this._anyTid();
    const b = Buffer.alloc(1);
    if (this._backend.readMemory(tid, addr, b, 1) !== 1) return; // unmapped: nothing to plant
    if (b[0] === (this._lifted ? bp.orig : BREAKPOINT_INSN)) return;
    bp.orig = b[0]!;
    this._watchdog?.inserted(addr, bp.orig);
    if (!this._lifted) this._backend.writeMemory(tid, addr, Buffer.from([BREAKPOINT_INSN]), 1);
  }

  removeBreakpoint(engine: Engine, addr: bigint): boolean {
    const bp = this._breakpoints.get(addr);
    if (!bp || !bp.owners.delete(engine)) return false;
    if (bp.owners.size === 0) {
      this._breakpoints.delete(addr);
      if (this._lifted) {
        this._watchdog?.removed(addr);
        return true;
      }
      try {
        const tid = this._anyTid();
        if (this._backend.swapByte(tid, addr, bp.orig) < 0) this._backend.writeMemory(tid, addr, Buffer.from([bp.orig]), 1);
      } catch (e) {
        if (!(e instanceof UtraceError && e.code === 'ESRCH')) throw e;
      }
      this._watchdog?.removed(addr);
    }
    return true;
  }

  /** @internal a breakpoint at addr that an engine other than `engine` inserted */
  _breakpointOwnedByOthers(addr: bigint, engine: Engine | undefined): boolean {
    const bp = this._breakpoints.get(addr);
    if (!bp) return false;
    for (const e of bp.owners) if (e !== engine) return true;
    return false;
  }

  /** Is there one of our breakpoints at addr? */
  hasBreakpoint(addr: bigint): boolean {
    return this._breakpoints.has(addr);
  }

  /** @internal remove every breakpoint an engine owns (engine detached) */
  _dropOwner(engine: Engine): void {
    for (const addr of [...this._breakpoints.keys()]) this.removeBreakpoint(engine, addr);
  }

  /** @internal restore all original bytes (last engine gone, or tracer closing) */
  _removeAllBreakpoints(): void {
    const lifted = this._lifted;
    this._lifted = false;
    for (const [addr, bp] of lifted ? [] : this._breakpoints) {
      try {
        this._backend.writeMemory(this._anyTid(), addr, Buffer.from([bp.orig]), 1);
      } catch {
        /* process gone: nothing left to restore */
      }
    }
    this._breakpoints.clear();
    this._dropWatchdog();
  }

  /** @internal a new address space (exec): none of our bytes are in it, and the watchdog's
   * memory descriptor is for the old one */
  _forgetBreakpoints(): void {
    this._breakpoints.clear();
    this._lifted = false;
    this._dropWatchdog();
  }

  /**
   * @internal Every thread is held (an attached process): take our int3 bytes out of memory
   * until one of them runs again (_unlift, before its restart). Should we die meanwhile, the
   * kernel lets the threads go with no int3 of ours in their way, whether or not the watchdog
   * has run yet. Reads already showed the original bytes; inserts and removals meanwhile only
   * change the table.
   */
  _lift(): void {
    if (this._lifted) return;
    const tid = this._anyTid();
    for (const [addr, bp] of this._breakpoints) this._backend.writeMemory(tid, addr, Buffer.from([bp.orig]), 1);
    this._lifted = true;
  }

  /** @internal A thread is about to run: our int3 bytes go back in. */
  _unlift(): void {
    if (!this._lifted) return;
    this._lifted = false;
    const tid = this._anyTid();
    for (const addr of this._breakpoints.keys()) this._backend.writeMemory(tid, addr, Buffer.from([BREAKPOINT_INSN]), 1);
  }

  /** @internal Every live thread is stopped and held by a STOP vote (no pass under way). */
  _allHeld(): boolean {
    for (const t of this._threads) {
      if (t._state === 'dead') continue;
      if (t._state !== 'stopped' || t._passes > 0 || !t._engines.some((e) => e._vote === Resume.STOP)) return false;
    }
    return true;
  }

  /** @internal Started by us with PTRACE_O_EXITKILL: it dies with us, nothing to guard. */
  _diesWithUs(): boolean {
    for (const t of this._threads) if (t._options & PTRACE_O_EXITKILL) return true;
    return false;
  }

  /** The watchdog for an attached process, started at its first breakpoint. A process we
   * started dies with us (PTRACE_O_EXITKILL) and needs none. */
  private _guard(): BreakpointWatchdog | null {
    if (this._watchdog || this._unguarded) return this._watchdog;
    // Decided once: the environment is a slow property to read at every breakpoint insert.
    if (!watchdogEnabled()) {
      this._unguarded = true;
      return null;
    }
    if (this._diesWithUs()) return null;
    try {
      this._watchdog = new BreakpointWatchdog(this.pid);
    } catch {
      // No watchdog (e.g. /proc/PID/mem refused): breakpoints work, without that promise.
    }
    return this._watchdog;
  }

  /** @internal */
  _dropWatchdog(): void {
    this._watchdog?.close();
    this._watchdog = null;
  }

  /** @internal a fork child inherited our int3 bytes: put the originals back in its copy */
  _scrubInherited(childPid: number): void {
    for (const [addr, bp] of this._breakpoints) {
      try {
        this._backend.writeMemory(childPid, addr, Buffer.from([bp.orig]), 1);
      } catch {
        /* child gone */
      }
    }
  }

  /** @internal */
  _anyTid(): number {
    // Not a thread past its exit stop: a zombie leader has no address space to reach.
    let exiting = 0;
    for (const t of this._threads) {
      if (t.state === 'dead') continue;
      if (!t._exiting) return t.tid;
      exiting ||= t.tid;
    }
    return exiting || this.pid;
  }
}
