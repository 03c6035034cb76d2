/**
 * Task: one traced thread. Registers and memory are reachable only while the thread is
 * stopped and held (inside a callback, or by an engine's STOP); otherwise EAGAIN.
 */
import {
  DEBUGREG_OFFSET, FPREGS_SIZE, GPR_SIZE, NT_PRFPREG, NT_PRSTATUS, NT_X86_XSTATE, Regs, XSTATE_MAX,
} from '../arch/x86_64/regs.js';
import { emulate } from '../arch/x86_64/emulate.js';
import { Resume } from './actions.js';
import type { TraceBackend } from './backend.js';
import type { Engine } from './engine.js';
import { UtraceError } from './errors.js';
import type { Process } from './process.js';
import type { ResumeMachine, SyscallSelection } from './resume.js';
import type { ExitStatus } from './types.js';

/** orig_rax outside a system call. */
const ORIG_NONE = 0xffffffffffffffffn;

/** emulateStep's load and store bytes (synchronous, never nested): not an allocation per step. */
const emulationScratch = Buffer.alloc(8);

/** This CPU's XSAVE area size, learnt from the first GETREGSET (0: not yet). */
let xstateSize = 0;

export type TaskState = 'running' | 'stopped' | 'dead';

/** Why the thread is in its current ptrace stop (internal). */
export type StopKind =
  | 'spawn' | 'initial' | 'syscall-entry' | 'syscall-exit' | 'seccomp' | 'signal' | 'step'
  | 'clone' | 'exec' | 'exit' | 'group' | 'interrupt' | 'other';

export class Task {
  readonly tgid: number;
  /** @internal */ _tid: number;
  /** @internal */ _state: TaskState = 'running';
  /** @internal */ _tracer: ResumeMachine;
  /** @internal the tracer's */ readonly _backend: TraceBackend;
  /** @internal */ _proc: Process;
  /** @internal engines in attach order */ _engines: Engine[] = [];
  /** @internal */ _stop: StopKind | null = null;
  /** @internal signal to deliver at restart */ _sig = 0;
  /** @internal active report passes */ _passes = 0;
  /** @internal callbacks are running for this task (register access allowed) */ _inCallback = 0;
  /** @internal */ _regs: Regs | null = null;
  /** @internal syscall number and args of the current call (-1: not fetched) */ _sysNr = -1;
  /** @internal between a syscall-entry and its exit stop */ _inSyscall = false;
  /** @internal _inSyscall is trustworthy (false after attach or an interrupt) */ _sysKnown = false;
  /** @internal */ _sysArgs: bigint[] | null = null;
  /** @internal the syscall was entered via seccomp, resumed with PTRACE_SYSCALL for its exit */ _seccompExit = false;
  /** @internal ptrace options in effect */ _options = 0;
  /** @internal internal PTRACE_INTERRUPT requested (mode change, detach, control) */ _interrupting = false;
  /** @internal in PTRACE_LISTEN (group-stop kept) */ _listening = false;
  /** @internal the initial stop of an auto-attached child has not been seen yet */ _awaitingInitial = false;
  /** @internal detach for real at the next stop */ _detachPending = false;
  /** @internal stepping requested at the last restart */ _stepping: Resume | null = null;
  /** @internal a step going through a syscall with PTRACE_SYSCALL, reported at its exit stop */ _stepOwed: Resume | null = null;
  /** @internal a step was cut short by another stop; its trap may still arrive */ _staleStepTrap = false;
  /** @internal the signal of the signal-delivery stop it is in (ResumeMachine._holdSafely) */ _stopSig = 0;
  /** @internal the report pass waiting for an engine's promise */ _waitingPass: unknown = null;
  /** @internal the spawn hold is on */ _spawnHold = false;
  /** @internal seized by attachProcess, whose caller has not had its turn to attach engines */ _attachGrace = false;
  /** @internal signal to re-send after restart (HOLD) */ _heldSig = 0;
  /** @internal in a job-control stop (PTRACE_EVENT_STOP with a stop signal) */ _inGroupStop = false;
  /** @internal the signal of that stop */ _groupStopSig = 0;
  /** @internal last restart request */ _lastReq = 0;
  /** @internal syscall stop mode for the current engines (null: recompute) */ _modeCache: string | null = null;
  /** @internal the calls the engines selected, when every one declared its own (ops.syscalls);
   * null: every call is wanted. Computed with _modeCache. */ _sysSel: SyscallSelection | null = null;
  /** @internal the syscall being run was selected by no engine: its exit is not reported */ _sysSkip = false;
  /** @internal exit status from PTRACE_EVENT_EXIT */ _exitStatus: number | undefined;
  /** @internal past its exit stop (see exiting) */ _exiting = false;
  /** @internal resumed (or interrupted) since the drain last waited in vain: the generation
   * (hub.freshGen) it was counted in, 0 when not counted */ _fresh = 0;
  /** @internal co-scheduled with the tracer thread (colocate.ts): the program's own mask */ _co: object | null = null;
  /** @internal stops in the current co-scheduling window, and when it began */ _coStops = 0;
  /** @internal */ _coT0 = 0;
  /** @internal the exit of a sched_*affinity call is wanted (restart with PTRACE_SYSCALL) */ _coExit = false;
  /** @internal */ _exitResolve!: (s: ExitStatus) => void;
  /** Settles when the thread dies: exit code or fatal signal (for the leader: the process's). */
  readonly exit: Promise<ExitStatus>;
  /** @internal */ _deathStatus: ExitStatus | undefined;
  /** @internal see supersededBy */ _supersededBy: number | undefined;

  /** @internal */
  constructor(tracer: ResumeMachine, proc: Process, tid: number) {
    this._tracer = tracer;
    this._backend = tracer._backend;
    this._proc = proc;
    this._tid = tid;
    this.tgid = proc.pid;
    this.exit = new Promise((r) => (this._exitResolve = r));
  }

  get tid(): number {
    return this._tid;
  }

  /** The PTRACE_O_* options in effect on the thread (what its seize set, and any set since). */
  get ptraceOptions(): number {
    return this._options;
  }

  get state(): TaskState {
    return this._state;
  }

  /** What `exit` settles with, already readable in reportDeath and reportReap; undefined
   * before. A leader's is its process's: the group's exit code, not its own exit report's. */
  get exitStatus(): ExitStatus | undefined {
    return this._deathStatus;
  }

  /**
   * Set (readable in reportDeath) on a thread-group leader that died because another thread of
   * its process called execve (de_thread): that thread's former tid. The exec'd thread lives on
   * under the leader's tid, and its engines next get reportExec with this as formerTid.
   */
  get supersededBy(): number | undefined {
    return this._supersededBy;
  }

  /**
   * The thread reached its exit stop (PTRACE_EVENT_EXIT): it will not stop again, only die.
   * A thread-group leader whose other threads live on (it called pthread_exit) stays a zombie,
   * and the kernel reports its death only with the whole process's: until then it shows as
   * running, and waiting for it to stop would wait forever.
   */
  /**
   * The signal of the job-control stop the thread is in (SIGSTOP, SIGTSTP...), 0 when none:
   * an engine attached to a thread already stopped that way gets no report of the stop.
   */
  get groupStop(): number {
    return this._inGroupStop ? this._groupStopSig : 0;
  }

  get exiting(): boolean {
    return this._exiting;
  }

  /** Engines attached to this thread, in attach order. */
  get engines(): readonly Engine[] {
    return this._engines;
  }

  /** The process (thread group) this thread belongs to. */
  get process(): Process {
    return this._proc;
  }

  /** Drop the spawn hold: the thread runs unless an engine holds it. */
  start(): void {
    if (!this._spawnHold) return;
    this._spawnHold = false;
    this._tracer._maybeRestart(this);
  }

  /** @internal throws unless registers/memory may be touched now */
  _checkHeld(what: string): void {
    if (this._state === 'dead') throw new UtraceError('ESRCH', what, this._tid, 'thread is dead');
    if (this._state !== 'stopped') throw new UtraceError('EAGAIN', what, this._tid, 'thread is running');
    if (this._inCallback === 0 && !this._spawnHold && !this._engines.some((e) => e._vote === Resume.STOP)) {
      throw new UtraceError('EAGAIN', what, this._tid, 'thread is not held stopped by an engine');
    }
  }

  /** General registers (cached for this stop; call setRegs to change them). */
  regs(): Regs {
    this._checkHeld('regs');
    return this._stopRegs();
  }

  /** @internal the registers of this stop, for the core itself (no held check) */
  _stopRegs(): Regs {
    if (!this._regs) {
      const r = new Regs();
      this._backend.getRegSet(this._tid, NT_PRSTATUS, r.buf);
      this._regs = r;
    }
    return this._regs;
  }

  setRegs(regs: Regs): void {
    this._checkHeld('setRegs');
    this._backend.setRegSet(this._tid, NT_PRSTATUS, regs.buf, GPR_SIZE);
    this._regs = regs === this._regs ? regs : regs.clone();
  }

  /** A register set by name: 'general' (user_regs_struct), 'fp' (FXSAVE), 'xstate' (XSAVE). */
  regset(name: 'general' | 'fp' | 'xstate'): Buffer {
    this._checkHeld('regset');
    if (name === 'general') return Buffer.from(this.regs().buf);
    const buf = Buffer.alloc(name === 'fp' ? FPREGS_SIZE : xstateSize || XSTATE_MAX);
    const n = this._backend.getRegSet(this._tid, name === 'fp' ? NT_PRFPREG : NT_X86_XSTATE, buf);
    if (name === 'xstate') xstateSize = n;
    return buf.subarray(0, n);
  }

  setRegset(name: 'general' | 'fp' | 'xstate', buf: Buffer): void {
    this._checkHeld('setRegset');
    if (name === 'general') return this.setRegs(new Regs(Buffer.from(buf)));
    this._backend.setRegSet(this._tid, name === 'fp' ? NT_PRFPREG : NT_X86_XSTATE, buf, buf.length);
  }

  /** Debug register n (0-7). */
  debugReg(n: number): bigint {
    this._checkHeld('debugReg');
    return this._backend.peekUser(this._tid, DEBUGREG_OFFSET + n * 8);
  }

  setDebugReg(n: number, value: bigint): void {
    this._checkHeld('setDebugReg');
    this._backend.pokeUser(this._tid, DEBUGREG_OFFSET + n * 8, value);
  }

  /** Read up to len bytes (fewer if the range runs into unmapped memory). Breakpoint bytes
   * inserted through the core read as the original bytes. */
  readMemory(addr: bigint, len: number): Buffer {
    this._checkHeld('readMemory');
    return this._proc._read(this._tid, addr, len);
  }

  /** Write bytes, also into read-only text. Writes over inserted breakpoints update the
   * saved original instead. Returns bytes written. */
  writeMemory(addr: bigint, bytes: Uint8Array): number {
    this._checkHeld('writeMemory');
    return this._proc._write(this._tid, addr, bytes);
  }

  /**
   * Executes the thread's next instruction here, without running the thread, when the
   * architecture's emulator knows it (arch/x86_64/emulate.ts: moves, arithmetic, push/pop,
   * jumps, calls, returns...): registers and memory end as a single-step would leave them, and
   * no trap is taken (a single-step trap costs ~15 us on a virtual machine, an int3 ~1).
   * Returns false, having changed nothing, for any other instruction; inside a system call
   * or at a fork, vfork, clone or exec event (the kernel may restart the call at the next
   * resume, or ends a real step on the way out of it, before any instruction); with a signal
   * to deliver at the next resume; when an operand faults or the store would cross a page or
   * land on a breakpoint; when a breakpoint sits on the instruction that `engine` did not
   * insert (its owner must see the hit); and when another engine asked to step the thread (its
   * report follows a real instruction). The caller then steps the thread for real.
   * Left to the caller: other threads of the process must not run meanwhile (they would see
   * the store apart from the registers), hardware watchpoints do not fire for these accesses,
   * and a signal pending for the thread is reported after the instruction instead of before.
   */
  emulateStep(engine?: Engine): boolean {
    this._checkHeld('emulateStep');
    if (this._sig !== 0 || this._exiting) return false;
    // Stopped inside the kernel (an event of fork, exec, a syscall's entry): a real step first
    // finishes the call and traps on the way out, before any instruction. orig_rax alone does
    // not tell, a debugger may have set it to -1 there (gdb does with every PC it writes).
    const k = this._stop;
    if (k === 'clone' || k === 'exec' || k === 'syscall-entry' || k === 'seccomp') return false;
    // Another engine's step wants its report after a real instruction.
    for (const e of this._engines) if (e !== engine && (e._vote === Resume.SINGLESTEP || e._vote === Resume.BLOCKSTEP)) return false;
    const regs = this.regs();
    if (regs.get('orig_rax') !== ORIG_NONE) return false;
    const pc = regs.pc;
    if (this._proc._breakpointOwnedByOthers(pc, engine)) return false;
    const code = this._proc._read(this._tid, pc, 15);
    const next = regs.clone();
    const tid = this._tid;
    const scratch = emulationScratch;
    const done = emulate(code, next, {
      load: (addr, size) => {
        if (this._backend.readMemory(tid, addr, scratch, size) !== size) return undefined;
        return size === 8 ? scratch.readBigUInt64LE(0) : BigInt(scratch.readUIntLE(0, size));
      },
    });
    if (!done) return false;
    const st = done.store;
    if (st) {
      if ((st.addr & 0xfffn) + BigInt(st.size) > 0x1000n) return false;
      for (let k = 0n; k < BigInt(st.size); k++) if (this._proc.hasBreakpoint(st.addr + k)) return false;
      scratch.writeBigUInt64LE(st.value);
      if (this._backend.storeMemory(tid, st.addr, scratch, st.size) !== st.size) return false;
    }
    this.setRegs(next);
    return true;
  }

  /** Queue a signal for this thread (tgkill). */
  signal(signo: number): void {
    if (this._state === 'dead') throw new UtraceError('ESRCH', 'tgkill', this._tid);
    this._backend.tgkill(this.tgid, this._tid, signo);
  }

  toString(): string {
    return `Task(${this._tid}${this._tid !== this.tgid ? `/${this.tgid}` : ''} ${this._state})`;
  }
}
