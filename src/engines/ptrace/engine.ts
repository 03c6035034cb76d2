/**
 * The ptrace personality: ptrace(2)'s request semantics and wait statuses rebuilt as one more
 * engine on the framework, as the 2009 utrace patches rebuilt ptrace in the kernel. Each
 * emulated tracer is a PtraceClient; each thread it may trace carries one engine of ours
 * (a "Tracee"), dormant (following clones only) until a client attaches.
 *
 * An emulated ptrace-stop is a hold on the thread: a report callback that returns a Promise
 * settled by the client's resume request (so the signal to deliver, a syscall skip or a step
 * are decided exactly where the kernel decides them), or, for stops that are not reports
 * (the attach SIGSTOP, PTRACE_INTERRUPT, an auto-attached child's first stop), an engine STOP
 * released with control(). Other engines on the same threads keep working: the syscall-entry
 * report runs in reverse attach order, so a client attached last sees a call first and may
 * change it before the others do.
 *
 * What cannot be emulated over a single real ptrace is written in docs/ptrace-personality.md.
 */
import {
  Attach, CLONE_THREAD, CLONE_VFORK, Event, Resume, SignalAction, SyscallAction, UtraceError, procStatus, ptraceAbi as P,
  type Engine, type EngineOps, type ExitStatus, type SignalReport, type SyscallReport, type Task, type TaskMemory, type Tracer,
} from '../../api.js';
import * as fs from 'node:fs';

/** What a wait found. */
export type WaitOutcome =
  | { kind: 'event'; pid: number; status: number; exited: boolean; realChild: boolean }
  /** Tracees match but none has anything to report. */
  | { kind: 'empty' }
  /** No emulated tracee matches: the caller should let the kernel answer (real children, ECHILD). */
  | { kind: 'none' };

type StopKind = 'signal' | 'syscall-entry' | 'syscall-exit' | 'event' | 'group' | 'interrupt' | 'attach' | 'step' | 'exec-trap';

interface Stop {
  kind: StopKind;
  /** The wait status as the kernel encodes it. */
  status: number;
  /** siginfo for GETSIGINFO (null: EINVAL, as for a group-stop). */
  info: Buffer | null;
  eventMsg: bigint;
  signal?: SignalReport;
  call?: SyscallReport;
  /** A syscall-entry stop reached under PTRACE_SYSEMU: the call is skipped however resumed. */
  sysemu?: boolean;
  /** Let the thread go with this engine action (resume action | event bits). */
  release(action: number): void;
}

/** UTRACE_PTRACE_DEBUG=1: log the stops and deaths reported to clients (stderr). */
const DEBUG = !!process.env['UTRACE_PTRACE_DEBUG'];
const log = (s: string): void => void process.stderr.write(`[ptrace] ${s}\n`);
const SIGINFO_SIZE = 128;
const SYSCALL_INFO_SIZE = 88;
/** sizeof(struct user) on x86_64 and the offset of u_debugreg within it (<sys/user.h>). */
const USER_SIZE = 912;
const DEBUGREG_OFFSET = 848;
const GPR_BYTES = 27 * 8;
const NT_PRSTATUS = 1;
const NT_PRFPREG = 2;
const NT_X86_XSTATE = 0x202;

const DORMANT = Event.CLONE | Event.REAP;
const ACTIVE = Event.QUIESCE | Event.SIGNAL_ALL | Event.CLONE | Event.EXEC | Event.EXIT | Event.DEATH |
  Event.REAP | Event.JCTL;

const CSIGNAL = 0xffn;

function err(code: string, tid: number, msg?: string): UtraceError {
  return new UtraceError(code, 'ptrace', tid, msg);
}

function trapInfo(code: number, pid: number, uid = 0, signo = P.SIGTRAP): Buffer {
  const b = Buffer.alloc(SIGINFO_SIZE);
  b.writeInt32LE(signo, 0);
  b.writeInt32LE(code, 8);
  b.writeInt32LE(pid, 16);
  b.writeUInt32LE(uid, 20);
  return b;
}

function uidOf(pid: number): number {
  return Number(procStatus(pid)?.['Uid']?.split(/\s+/)[0] ?? 0);
}

function ppidOf(pid: number): number {
  return Number(procStatus(pid)?.['PPid'] ?? 0);
}

/** One thread the personality knows: its engine, and its emulated ptrace state. */
export class Tracee {
  client: PtraceClient | null = null;
  seized = false;
  options = 0;
  stop: Stop | null = null;
  /** The current stop was already returned by a wait. */
  reported = false;
  /** Wait status of the thread's death, until a wait returns it. */
  death: number | null = null;
  /** Raw exit status from the exit report. */
  exitStatus: number | undefined;
  /** How the client last resumed it. */
  mode: 'cont' | 'syscall' | 'sysemu' = 'cont';
  /** A report pass owed to this client (a step's completion). */
  stepping = false;
  /** The step was started from a syscall-entry stop (x86 then reports it as TRAP_BRKPT). */
  stepFromEntry = false;
  /** PTRACE_INTERRUPT while stopped: trap again right after the next resume. */
  interruptAfterResume = false;
  /** The client's hold that is being set up (a STOP that has not taken effect yet). */
  pendingHold: 'attach' | 'child' | 'interrupt' | null = null;
  listening = false;
  /** Stop signal of the current job-control stop. */
  stopSig = P.SIGSTOP;
  /** A SYSEMU entry: its exit is not a stop. */
  skipExit = false;
  /** Process id of the real parent (a TRACEME tracee is its tracer's child). */
  realParent = 0;
  /** A vfork child whose release (exec or exit) is owed as PTRACE_EVENT_VFORK_DONE. */
  vforkDone = 0;

  constructor(readonly personality: PtracePersonality, public engine: Engine<Tracee>) {}

  get task(): Task {
    return this.engine.task;
  }

  get tid(): number {
    return this.engine.task.tid;
  }

  /** In an emulated ptrace-stop (requests other than KILL/INTERRUPT need one). */
  get stopped(): boolean {
    return this.stop !== null && !this.listening;
  }

  /** @internal the event mask this state needs */
  _events(): number {
    if (!this.client) return DORMANT;
    // The vfork's own syscall exit is where the kernel reports PTRACE_EVENT_VFORK_DONE.
    return this.mode !== 'cont' ? ACTIVE | Event.SYSCALL : this.vforkDone ? ACTIVE | Event.SYSCALL_EXIT : ACTIVE;
  }

  /** @internal */
  _syncEvents(): void {
    if (this.engine.detached) return;
    const want = this._events();
    if (this.engine.events !== want) this.engine.setEvents(want);
  }
}

/**
 * An emulated tracer: the process whose ptrace(2) and wait(2) this serves. `onEvent` is
 * called whenever a wait could now return something (the caller's cue for SIGCHLD).
 */
export class PtraceClient {
  readonly tracees = new Set<Tracee>();
  /** Tracees with something to report, oldest first. */
  private _ready: Tracee[] = [];
  onEvent: (() => void) | null = null;
  closed = false;

  constructor(readonly personality: PtracePersonality, readonly pid: number) {}

  // ------------------------------------------------------------------ requests

  /**
   * ptrace(req, pid, addr, data) with the raw system call's semantics (PEEK* store the word
   * at `data`; GETREGS etc. write into `data`). Returns the syscall's result; throws a
   * UtraceError whose code is the errno the kernel would give. `mem` is the client's memory,
   * where ptrace reads its arguments and writes its results (the client's Task, while held).
   */
  request(req: number, pid: number, addr: bigint, data: bigint, mem: TaskMemory): bigint {
    if (this.closed) throw err('ESRCH', pid, 'client gone');
    switch (req) {
      case P.PTRACE_TRACEME:
        throw err('EPERM', pid, 'PTRACE_TRACEME goes through PtracePersonality.traceme');
      case P.PTRACE_ATTACH:
        this.attach(pid, false, 0);
        return 0n;
      case P.PTRACE_SEIZE:
        if (addr !== 0n) throw err('EIO', pid, 'PTRACE_SEIZE with addr != 0');
        this.attach(pid, true, Number(data & 0xffffffffn));
        return 0n;
    }
    const t = this._tracee(pid);
    if (req === P.PTRACE_KILL) {
      this.kill(t);
      return 0n;
    }
    if (req === P.PTRACE_INTERRUPT) {
      this.interrupt(t);
      return 0n;
    }
    if (!t.stopped) throw err('ESRCH', pid, 'not in a ptrace-stop');
    const task = t.task;
    switch (req) {
      case P.PTRACE_PEEKTEXT:
      case P.PTRACE_PEEKDATA: {
        const b = task.readMemory(addr, 8);
        if (b.length < 8) throw err('EIO', pid, `cannot read 0x${addr.toString(16)}`);
        writeClient(mem, data, b);
        return 0n;
      }
      case P.PTRACE_POKETEXT:
      case P.PTRACE_POKEDATA: {
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(BigInt.asUintN(64, data));
        if (task.writeMemory(addr, b) < 8) throw err('EIO', pid, `cannot write 0x${addr.toString(16)}`);
        return 0n;
      }
      case P.PTRACE_PEEKUSER: {
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(this.peekUser(t, addr));
        writeClient(mem, data, b);
        return 0n;
      }
      case P.PTRACE_POKEUSER:
        this.pokeUser(t, addr, data);
        return 0n;
      case P.PTRACE_GETREGS:
        writeClient(mem, data, task.regset('general'));
        return 0n;
      case P.PTRACE_SETREGS:
        task.setRegset('general', readClient(mem, data, GPR_BYTES));
        return 0n;
      case P.PTRACE_GETFPREGS:
        writeClient(mem, data, task.regset('fp'));
        return 0n;
      case P.PTRACE_SETFPREGS:
        task.setRegset('fp', readClient(mem, data, 512));
        return 0n;
      case P.PTRACE_GETREGSET:
      case P.PTRACE_SETREGSET: {
        const name = addr === BigInt(NT_PRSTATUS) ? 'general' : addr === BigInt(NT_PRFPREG) ? 'fp'
          : addr === BigInt(NT_X86_XSTATE) ? 'xstate' : null;
        if (!name) throw err('EINVAL', pid, `regset 0x${addr.toString(16)} not emulated`);
        const iov = readClient(mem, data, 16);
        const base = iov.readBigUInt64LE(0);
        const len = Number(iov.readBigUInt64LE(8));
        const cur = task.regset(name);
        if (req === P.PTRACE_GETREGSET) {
          const n = Math.min(len, cur.length);
          writeClient(mem, base, cur.subarray(0, n));
          iov.writeBigUInt64LE(BigInt(n), 8);
          writeClient(mem, data, iov);
        } else {
          // The kernel takes an XSAVE area only whole (xstateregs_set).
          if (name === 'xstate' && len < cur.length) throw err('EFAULT', pid, 'partial xstate');
          const n = Math.min(len, cur.length);
          readClient(mem, base, n).copy(cur, 0);
          task.setRegset(name, cur);
          iov.writeBigUInt64LE(BigInt(n), 8);
          writeClient(mem, data, iov);
        }
        return 0n;
      }
      case P.PTRACE_SETOPTIONS:
        this.setOptions(t, Number(BigInt.asUintN(32, data)));
        return 0n;
      case P.PTRACE_GETEVENTMSG: {
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(t.stop!.eventMsg);
        writeClient(mem, data, b);
        return 0n;
      }
      case P.PTRACE_GETSIGINFO:
        writeClient(mem, data, this.getSigInfo(t));
        return 0n;
      case P.PTRACE_SETSIGINFO:
        this.setSigInfo(t, readClient(mem, data, SIGINFO_SIZE));
        return 0n;
      case P.PTRACE_GET_SYSCALL_INFO: {
        const info = this.syscallInfo(t);
        writeClient(mem, data, info.subarray(0, Math.min(Number(addr), info.length)));
        return BigInt(info.length);
      }
      case P.PTRACE_GETSIGMASK: {
        if (addr !== 8n) throw err('EINVAL', pid, 'sigset size must be 8');
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(sigMask(t.tid));
        writeClient(mem, data, b);
        return 0n;
      }
      case P.PTRACE_ARCH_PRCTL: {
        const r = task.regs();
        const code = Number(data);
        if (code === P.ARCH_GET_FS || code === P.ARCH_GET_GS) {
          const b = Buffer.alloc(8);
          b.writeBigUInt64LE(r.get(code === P.ARCH_GET_FS ? 'fs_base' : 'gs_base'));
          writeClient(mem, addr, b);
          return 0n;
        }
        if (code === P.ARCH_SET_FS || code === P.ARCH_SET_GS) {
          r.set(code === P.ARCH_SET_FS ? 'fs_base' : 'gs_base', addr);
          task.setRegs(r);
          return 0n;
        }
        throw err('EINVAL', pid, `arch_prctl code 0x${code.toString(16)}`);
      }
      case P.PTRACE_CONT:
        this.resume(t, 'cont', Number(data));
        return 0n;
      case P.PTRACE_SYSCALL:
        this.resume(t, 'syscall', Number(data));
        return 0n;
      case P.PTRACE_SINGLESTEP:
        this.resume(t, 'step', Number(data));
        return 0n;
      case P.PTRACE_SINGLEBLOCK:
        this.resume(t, 'block', Number(data));
        return 0n;
      case P.PTRACE_SYSEMU:
        this.resume(t, 'sysemu', Number(data));
        return 0n;
      case P.PTRACE_SYSEMU_SINGLESTEP:
        this.resume(t, 'sysemu-step', Number(data));
        return 0n;
      case P.PTRACE_LISTEN:
        this.listen(t);
        return 0n;
      case P.PTRACE_DETACH:
        this.detach(t, Number(data));
        return 0n;
      default:
        // PEEKSIGINFO, SETSIGMASK, SECCOMP_GET_FILTER, ...: not emulated (see the docs).
        throw err('EIO', pid, `request 0x${req.toString(16)} not emulated`);
    }
  }

  /** The tracee `pid` traced by this client, or ESRCH as the kernel says for any other. */
  private _tracee(pid: number): Tracee {
    const t = this.personality.tracee(pid);
    if (!t || t.client !== this || t.death !== null) throw err('ESRCH', pid, 'not traced by this client');
    return t;
  }

  /** PTRACE_ATTACH (seize=false: a SIGSTOP stop follows) or PTRACE_SEIZE with options. */
  attach(pid: number, seize: boolean, options: number): Tracee {
    if (seize && options & ~P.PTRACE_O_MASK) throw err('EIO', pid, 'unknown option bits');
    const t = this.personality.tracee(pid);
    if (!t) {
      const exists = fs.existsSync(`/proc/${pid}`);
      throw err(exists ? 'EPERM' : 'ESRCH', pid, exists ? 'not a thread this personality serves (only the target and its threads)' : undefined);
    }
    if (t.task.tgid === this.pid) throw err('EPERM', pid, 'cannot trace own thread group');
    if (t.client) throw err('EPERM', pid, 'already traced');
    t.client = this;
    t.seized = seize;
    t.options = options;
    t.mode = 'cont';
    t.stop = null;
    t.reported = false;
    t.listening = false;
    t.realParent = ppidOf(t.task.tgid);
    this.tracees.add(t);
    t._syncEvents();
    if (!seize) this.personality._hold(t, 'attach');
    return t;
  }

  setOptions(t: Tracee, options: number): void {
    if (options & ~P.PTRACE_O_MASK) throw err('EINVAL', t.tid, 'unknown option bits');
    t.options = options;
  }

  resume(t: Tracee, how: 'cont' | 'syscall' | 'step' | 'block' | 'sysemu' | 'sysemu-step', sig: number): void {
    if (!Number.isInteger(sig) || sig < 0 || sig > 64) throw err('EIO', t.tid, `invalid signal ${sig}`);
    t.mode = how === 'syscall' ? 'syscall' : how === 'sysemu' || how === 'sysemu-step' ? 'sysemu' : 'cont';
    const step = how === 'step' || how === 'sysemu-step' ? Resume.SINGLESTEP : how === 'block' ? Resume.BLOCKSTEP : null;
    this._release(t, step ?? Resume.RESUME, sig);
  }

  /** PTRACE_LISTEN: only from a SEIZE'd job-control stop (EIO otherwise, as the kernel). */
  listen(t: Tracee): void {
    const stop = t.stop!;
    if (!t.seized || (stop.kind !== 'group' && stop.kind !== 'interrupt')) throw err('EIO', t.tid, 'not in a group-stop of a seized tracee');
    // The core keeps a job-control stop with PTRACE_LISTEN itself: our hold just goes. (On an
    // INTERRUPT stop outside a group-stop the tracee resumes: see the docs.)
    this._release(t, Resume.RESUME, 0);
  }

  detach(t: Tracee, sig: number): void {
    if (!Number.isInteger(sig) || sig < 0 || sig > 64) throw err('EIO', t.tid, `invalid signal ${sig}`);
    t.mode = 'cont';
    this._release(t, Resume.RESUME, sig);
    this._drop(t);
  }

  kill(t: Tracee): void {
    try {
      t.task.signal(P.SIGKILL);
    } catch {
      /* already dead */
    }
    if (t.stopped) this._release(t, Resume.RESUME, 0);
  }

  interrupt(t: Tracee): void {
    if (!t.seized) throw err('EIO', t.tid, 'PTRACE_INTERRUPT needs PTRACE_SEIZE');
    if (t.stopped) {
      t.interruptAfterResume = true;
      return;
    }
    if (t.pendingHold) return;
    this.personality._hold(t, 'interrupt');
  }

  /** Release the current stop. `sig` follows the kernel: delivered from a signal stop,
   * sent anew from syscall/step/attach stops, ignored at event and group stops. */
  private _release(t: Tracee, action: Resume, sig: number): void {
    const stop = t.stop;
    if (!stop) return;
    t.stop = null;
    t.reported = false;
    t.listening = false;
    this._unready(t);
    t.stepping = action === Resume.SINGLESTEP || action === Resume.BLOCKSTEP;
    t.stepFromEntry = stop.kind === 'syscall-entry';
    t._syncEvents();
    let bits = 0;
    let inject = 0;
    switch (stop.kind) {
      case 'signal':
        stop.signal!.signo = sig;
        bits = sig ? SignalAction.DELIVER : SignalAction.IGN;
        break;
      case 'syscall-entry':
        if (stop.sysemu) bits = SyscallAction.ABORT;
        t.skipExit = !!stop.sysemu;
        inject = sig;
        break;
      case 'syscall-exit':
      case 'attach':
      case 'step':
      case 'exec-trap':
        inject = sig;
        break;
      default:
        break;
    }
    if (inject) {
      try {
        t.task.signal(inject); // queued while stopped: reported at once after the restart
      } catch {
        /* gone */
      }
    }
    stop.release(action | bits);
    if (t.interruptAfterResume && t.client) {
      // The kernel re-traps at once: after the restart this release causes (a microtask away).
      t.interruptAfterResume = false;
      queueMicrotask(() => queueMicrotask(() => {
        if (t.client === this && !t.stop) this.personality._hold(t, 'interrupt');
      }));
    }
  }

  peekUser(t: Tracee, off: bigint): bigint {
    if (off & 7n || off < 0n || off >= BigInt(USER_SIZE)) throw err('EIO', t.tid, `bad user offset ${off}`);
    const o = Number(off);
    if (o < GPR_BYTES) return t.task.regs().buf.readBigUInt64LE(o);
    if (o >= DEBUGREG_OFFSET && o < DEBUGREG_OFFSET + 64) return t.task.debugReg((o - DEBUGREG_OFFSET) / 8);
    return 0n;
  }

  pokeUser(t: Tracee, off: bigint, value: bigint): void {
    if (off & 7n || off < 0n || off >= BigInt(USER_SIZE)) throw err('EIO', t.tid, `bad user offset ${off}`);
    const o = Number(off);
    if (o < GPR_BYTES) {
      const r = t.task.regs().clone();
      r.buf.writeBigUInt64LE(BigInt.asUintN(64, value), o);
      t.task.setRegs(r);
    } else if (o >= DEBUGREG_OFFSET && o < DEBUGREG_OFFSET + 64) {
      try {
        t.task.setDebugReg((o - DEBUGREG_OFFSET) / 8, BigInt.asUintN(64, value));
      } catch (e) {
        throw e instanceof UtraceError ? err(e.code, t.tid, 'debug register') : e;
      }
    }
  }

  getSigInfo(t: Tracee): Buffer {
    const stop = t.stop!;
    if (stop.signal) return Buffer.from(stop.signal.info);
    if (!stop.info) throw err('EINVAL', t.tid, 'no siginfo in a group-stop');
    return Buffer.from(stop.info);
  }

  setSigInfo(t: Tracee, info: Buffer): void {
    const stop = t.stop!;
    if (stop.signal) info.copy(stop.signal.info, 0, 0, SIGINFO_SIZE);
    else if (stop.info) info.copy(stop.info, 0, 0, SIGINFO_SIZE);
    else throw err('EINVAL', t.tid, 'no siginfo in a group-stop');
  }

  /** struct ptrace_syscall_info for the current stop; its length is what the kernel returns. */
  syscallInfo(t: Tracee): Buffer {
    const stop = t.stop!;
    const b = Buffer.alloc(SYSCALL_INFO_SIZE);
    b.writeUInt32LE(P.AUDIT_ARCH_X86_64, 4);
    const r = t.task.regs();
    b.writeBigUInt64LE(r.get('rip'), 8);
    b.writeBigUInt64LE(r.get('rsp'), 16);
    // The kernel tells entry from exit by the stop's si_code: SIGTRAP|0x80 only with
    // PTRACE_O_TRACESYSGOOD; without it every stop is PTRACE_SYSCALL_INFO_NONE.
    const sysgood = (stop.status >> 8) === (P.SIGTRAP | 0x80);
    if (stop.kind === 'syscall-entry' && stop.call && sysgood) {
      b.writeUInt8(P.SYSCALL_INFO_ENTRY, 0);
      b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(Number(BigInt.asIntN(64, r.get('orig_rax'))))), 24);
      const a = stop.call.args;
      for (let i = 0; i < 6; i++) b.writeBigUInt64LE(BigInt.asUintN(64, a[i]!), 32 + i * 8);
      return b.subarray(0, 80);
    }
    if (stop.kind === 'syscall-exit' && sysgood) {
      b.writeUInt8(P.SYSCALL_INFO_EXIT, 0);
      const rval = r.getSigned('rax');
      b.writeBigInt64LE(rval, 24);
      b.writeUInt8(rval < 0n && rval >= -4095n ? 1 : 0, 32);
      return b.subarray(0, 33);
    }
    return b.subarray(0, 24);
  }

  // ------------------------------------------------------------------ waiting

  /**
   * wait4/waitid for this client. `pid` as wait4's (-1 any, >0 that one; 0 and < -1 are
   * treated as any). `options` as wait4's; `exits` false for a waitid without WEXITED.
   */
  wait(pid: number, options: number, exits = true): WaitOutcome {
    const matches = (t: Tracee): boolean => {
      if (pid > 0 && t.tid !== pid) return false;
      if (options & P.__WALL) return true;
      const clone = t.tid !== t.task.tgid;
      return options & P.__WCLONE ? clone : !clone;
    };
    let any = false;
    for (const t of this.tracees) {
      if (matches(t)) {
        any = true;
        break;
      }
    }
    if (!any) return { kind: 'none' };
    for (const t of this._ready) {
      if (!matches(t)) continue;
      if (t.death !== null) {
        if (!exits) continue;
        const status = t.death;
        const realChild = t.realParent === this.pid && t.tid === t.task.tgid;
        if (!(options & P.WNOWAIT)) this._forget(t);
        return { kind: 'event', pid: t.tid, status, exited: true, realChild };
      }
      if (t.stop && !t.reported) {
        if (!(options & P.WNOWAIT)) {
          t.reported = true;
          this._unready(t);
        }
        return { kind: 'event', pid: t.tid, status: t.stop.status, exited: false, realChild: false };
      }
    }
    return { kind: 'empty' };
  }

  /** Whether any wait could return something now. */
  get hasEvents(): boolean {
    return this._ready.length > 0;
  }

  /** The client is gone: its tracees are detached (killed with PTRACE_O_EXITKILL). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of [...this.tracees]) {
      if (t.options & P.PTRACE_O_EXITKILL && t.death === null) {
        try {
          t.task.signal(P.SIGKILL);
        } catch {
          /* gone */
        }
      }
      // The kernel's exit_ptrace: a stopped tracee resumes with the signal it stopped for.
      const sig = t.stop?.kind === 'signal' ? t.stop.signal!.signo : 0;
      t.mode = 'cont';
      this._release(t, Resume.RESUME, sig);
      this._drop(t);
    }
    this.personality._clientClosed(this);
  }

  /** @internal a stop or death is ready for wait */
  _post(t: Tracee): void {
    if (DEBUG) log(`client ${this.pid}: ${t.tid} ${t.death !== null ? `died 0x${t.death.toString(16)}` : `${t.stop?.kind} stop 0x${t.stop?.status.toString(16)}`}`);
    if (!this._ready.includes(t)) this._ready.push(t);
    this.onEvent?.();
  }

  /** @internal */
  _unready(t: Tracee): void {
    const i = this._ready.indexOf(t);
    if (i >= 0) this._ready.splice(i, 1);
  }

  /** @internal the tracee is no longer this client's (detach). */
  _drop(t: Tracee): void {
    this._unready(t);
    this.tracees.delete(t);
    t.client = null;
    t.stop = null;
    t.pendingHold = null;
    t.stepping = false;
    t.interruptAfterResume = false;
    t.mode = 'cont';
    t._syncEvents();
  }

  /** @internal the death was reported: forget the tracee. */
  _forget(t: Tracee): void {
    this._unready(t);
    this.tracees.delete(t);
    t.client = null;
  }
}

function writeClient(mem: TaskMemory, addr: bigint, bytes: Buffer): void {
  let n = -1;
  try {
    if (mem.writeMemory) n = mem.writeMemory(addr, bytes);
  } catch {
    /* EFAULT below */
  }
  if (n < bytes.length) throw err('EFAULT', 0, `cannot write client memory at 0x${addr.toString(16)}`);
}

function readClient(mem: TaskMemory, addr: bigint, len: number): Buffer {
  let b: Buffer | undefined;
  try {
    b = mem.readMemory(addr, len);
  } catch {
    /* EFAULT below */
  }
  if (!b || b.length < len) throw err('EFAULT', 0, `cannot read client memory at 0x${addr.toString(16)}`);
  return b;
}

function sigMask(tid: number): bigint {
  const m = procStatus(tid)?.['SigBlk'];
  return m ? BigInt('0x' + m) : 0n;
}

/**
 * The personality: one per Tracer. `adopt()` makes threads traceable by clients; clients are
 * made per tracer process id with `client(pid)`.
 */
export class PtracePersonality {
  private readonly _clients = new Map<number, PtraceClient>();
  private readonly _tracees = new Set<Tracee>();
  private readonly _ops: EngineOps<Tracee>;

  constructor(readonly tracer: Tracer) {
    const self = this;
    this._ops = {
      name: 'ptrace',
      reportQuiesce: () => undefined,
      reportClone: (_a, e, flags, child) => self._onClone(e.data, flags, child),
      reportSignal: (_a, e, sig) => self._onSignal(e.data, sig),
      reportJctl: (_a, e, type) => self._onJctl(e.data, type),
      reportExec: (_a, e, exec) => self._onExec(e.data, exec.formerTid),
      reportSyscallEntry: (a, e, call) => self._onSyscall(e.data, call, a),
      reportSyscallExit: (a, e, call) => self._onSyscall(e.data, call, a),
      reportExit: (_a, e, exit) => self._onExit(e.data, exit.status),
      reportDeath: (e, _g, signal) => self._onDeath(e.data, signal, e.task.exitStatus),
      reportReap: (e) => self._onReap(e.data),
    };
  }

  /** Make a thread traceable (a dormant engine that follows its clones). Idempotent. */
  adopt(task: Task): Tracee {
    const found = this._find(task);
    if (found) return found;
    const e = this.tracer.attachTask<Tracee>(task, Attach.CREATE, this._ops, undefined as unknown as Tracee);
    e.data = new Tracee(this, e);
    e.setEvents(DORMANT);
    this._tracees.add(e.data);
    return e.data;
  }

  /** The traceable thread `tid`, if adopted. */
  tracee(tid: number): Tracee | undefined {
    const task = this.tracer.task(tid);
    return task ? this._find(task) : undefined;
  }

  /** The emulated tracer for process `pid` (made on first use). */
  client(pid: number): PtraceClient {
    let c = this._clients.get(pid);
    if (!c || c.closed) {
      c = new PtraceClient(this, pid);
      this._clients.set(pid, c);
    }
    return c;
  }

  /** Every live client. */
  clients(): PtraceClient[] {
    return [...this._clients.values()];
  }

  /** PTRACE_TRACEME from `task`: its parent process becomes its tracer. */
  traceme(task: Task): PtraceClient {
    const parent = ppidOf(task.tgid);
    const existing = this._find(task);
    if (existing?.client) throw err('EPERM', task.tid, 'already traced');
    const t = existing ?? this.adopt(task);
    const c = this.client(parent);
    t.client = c;
    t.seized = false;
    t.options = 0;
    t.mode = 'cont';
    t.realParent = parent;
    c.tracees.add(t);
    t._syncEvents();
    return c;
  }

  /** Detach every client (as if each tracer exited) and every engine of ours. */
  close(): void {
    for (const c of [...this._clients.values()]) c.close();
    this._clients.clear();
    for (const t of this._tracees) if (!t.engine.detached) t.engine.detach();
    this._tracees.clear();
  }

  private _find(task: Task): Tracee | undefined {
    for (const e of task.engines) if (e.ops === this._ops && !e.detached) return e.data as Tracee;
    return undefined;
  }

  /** @internal */
  _clientClosed(c: PtraceClient): void {
    if (this._clients.get(c.pid) === c) this._clients.delete(c.pid);
  }

  // ------------------------------------------------------------------ stops

  /** Make a stop and tell the client. */
  private _stop(t: Tracee, kind: StopKind, status: number, info: Buffer | null, extra: Partial<Stop>,
    release: (action: number) => void): void {
    t.stepping = false;
    t.stop = { kind, status, info, eventMsg: 0n, ...extra, release };
    t.reported = false;
    t.client!._post(t);
  }

  /** A report held until the client resumes: the Promise our callback returns. */
  private _held(t: Tracee, kind: StopKind, status: number, info: Buffer | null, extra: Partial<Stop> = {}): Promise<number> {
    return new Promise<number>((resolve) => this._stop(t, kind, status, info, extra, resolve));
  }

  /** @internal a stop that is not a report (attach SIGSTOP, INTERRUPT, a new child's first
   * stop): hold with STOP, then make the stop once the thread is held. */
  _hold(t: Tracee, why: 'attach' | 'child' | 'interrupt'): void {
    t.pendingHold = why;
    const e = t.engine;
    let r: 'EINPROGRESS' | undefined;
    try {
      r = e.control(Resume.STOP);
    } catch {
      t.pendingHold = null;
      return;
    }
    const make = (): void => {
      if (t.pendingHold !== why || !t.client || e.detached) return;
      t.pendingHold = null;
      const release = (action: number): void => {
        if (!e.detached) e.control((action & 0x0f) as Resume);
      };
      if (why === 'attach' || (why === 'child' && !t.seized)) {
        // PTRACE_ATTACH's SIGSTOP (SEND_SIG_PRIV: si_code SI_KERNEL); the first stop of a
        // child auto-attached by a non-seizing tracer is a plain queued SIGSTOP (SI_USER).
        const info = Buffer.alloc(SIGINFO_SIZE);
        info.writeInt32LE(P.SIGSTOP, 0);
        info.writeInt32LE(why === 'attach' ? P.SI_KERNEL : P.SI_USER, 8);
        this._stop(t, 'attach', (P.SIGSTOP << 8) | 0x7f, info, {}, release);
      } else {
        const code = P.SIGTRAP | (P.PTRACE_EVENT_STOP << 8);
        this._stop(t, 'interrupt', (code << 8) | 0x7f, trapInfo(code, t.tid, uidOf(t.tid)), {}, release);
      }
    };
    if (r === undefined) make();
    else e.stopped().then(make, () => undefined);
  }

  private _onClone(t: Tracee, flags: bigint, child: Task): number | void | Promise<number> {
    const c = t.client;
    const ct = this.adopt(child);
    if (!c) return;
    const thread = (flags & CLONE_THREAD) !== 0n;
    const vfork = (flags & CLONE_VFORK) !== 0n;
    const sigchld = (flags & CSIGNAL) === BigInt(P.SIGCHLD);
    let ev: number;
    let opt: number;
    if (vfork) [ev, opt] = [P.PTRACE_EVENT_VFORK, P.PTRACE_O_TRACEVFORK];
    else if (!thread && sigchld) [ev, opt] = [P.PTRACE_EVENT_FORK, P.PTRACE_O_TRACEFORK];
    else [ev, opt] = [P.PTRACE_EVENT_CLONE, P.PTRACE_O_TRACECLONE];
    if (!(t.options & opt)) return;
    // Auto-attach: same tracer, options and seize mode; the child's first stop follows.
    ct.client = c;
    ct.seized = t.seized;
    ct.options = t.options;
    ct.mode = 'cont';
    ct.realParent = thread ? 0 : t.task.tgid;
    c.tracees.add(ct);
    ct._syncEvents();
    this._hold(ct, 'child');
    if (vfork && t.options & P.PTRACE_O_TRACEVFORKDONE) {
      t.vforkDone = child.tid;
      t._syncEvents();
    }
    const code = P.SIGTRAP | (ev << 8);
    return this._held(t, 'event', (code << 8) | 0x7f, trapInfo(code, t.tid, uidOf(t.tid)), { eventMsg: BigInt(child.tid) });
  }

  private _onSignal(t: Tracee, sig: SignalReport | null): number | void | Promise<number> {
    if (!t.client) return;
    if (sig === null) {
      if (!t.stepping) return;
      // Our step completed (the core reports a step as a report pass).
      const info = Buffer.alloc(SIGINFO_SIZE);
      info.writeInt32LE(P.SIGTRAP, 0);
      info.writeInt32LE(t.stepFromEntry ? P.TRAP_BRKPT : P.TRAP_TRACE, 8);
      try {
        info.writeBigUInt64LE(t.task.regs().get('rip'), 16);
      } catch {
        /* gone */
      }
      return this._held(t, 'step', (P.SIGTRAP << 8) | 0x7f, info);
    }
    if (sig.signo === P.SIGKILL) return;
    if (sig.disposition === 'stop') t.stopSig = sig.signo;
    return this._held(t, 'signal', (sig.signo << 8) | 0x7f, null, { signal: sig });
  }

  private _onJctl(t: Tracee, type: 'stopped' | 'continued'): number | void | Promise<number> {
    if (!t.client) return;
    if (type === 'stopped') {
      if (!t.seized) return this._held(t, 'group', (t.stopSig << 8) | 0x7f, null); // GETSIGINFO: EINVAL
      const code = (P.PTRACE_EVENT_STOP << 8) | t.stopSig;
      return this._held(t, 'group', (code << 8) | 0x7f, trapInfo(code, t.tid, uidOf(t.tid), t.stopSig));
    }
    if (!t.seized) return;
    // SIGCONT ends the group-stop of a seized (listening) tracee with a PTRACE_EVENT_STOP trap.
    const code = P.SIGTRAP | (P.PTRACE_EVENT_STOP << 8);
    return this._held(t, 'interrupt', (code << 8) | 0x7f, trapInfo(code, t.tid, uidOf(t.tid)));
  }

  private _onExec(t: Tracee, formerTid: number): number | void | Promise<number> {
    if (!t.client) return;
    if (t.options & P.PTRACE_O_TRACEEXEC) {
      const code = P.SIGTRAP | (P.PTRACE_EVENT_EXEC << 8);
      return this._held(t, 'event', (code << 8) | 0x7f, trapInfo(code, t.tid, uidOf(t.tid)), { eventMsg: BigInt(formerTid) });
    }
    if (t.seized) return;
    // Legacy ptrace: a SIGTRAP after a successful execve (SI_USER from the thread itself).
    const info = Buffer.alloc(SIGINFO_SIZE);
    info.writeInt32LE(P.SIGTRAP, 0);
    info.writeInt32LE(P.SI_USER, 8);
    info.writeInt32LE(t.task.tgid, 16);
    return this._held(t, 'exec-trap', (P.SIGTRAP << 8) | 0x7f, info);
  }

  private _onSyscall(t: Tracee, call: SyscallReport, action: number): number | void | Promise<number> {
    if (t.client && !call.entry && t.vforkDone) {
      // The vfork child has exec'd or exited: PTRACE_EVENT_VFORK_DONE, then (PTRACE_SYSCALL)
      // the vfork's exit stop.
      const pid = t.vforkDone;
      t.vforkDone = 0;
      t._syncEvents();
      const code = P.SIGTRAP | (P.PTRACE_EVENT_VFORK_DONE << 8);
      return this._held(t, 'event', (code << 8) | 0x7f, trapInfo(code, t.tid, uidOf(t.tid)), { eventMsg: BigInt(pid) })
        .then((a) => (t.client && t.mode !== 'cont' ? this._syscallStop(t, call) : a));
    }
    if (!t.client || t.mode === 'cont') return;
    if (!call.entry && t.skipExit) {
      t.skipExit = false;
      return;
    }
    if (call.entry && action & SyscallAction.RESUMED) return;
    return this._syscallStop(t, call);
  }

  private _syscallStop(t: Tracee, call: SyscallReport): Promise<number> {
    const code = t.options & P.PTRACE_O_TRACESYSGOOD ? P.SIGTRAP | 0x80 : P.SIGTRAP;
    const kind = call.entry ? 'syscall-entry' : 'syscall-exit';
    // GETEVENTMSG at a syscall stop: PTRACE_EVENTMSG_SYSCALL_ENTRY (1) / _EXIT (2).
    return this._held(t, kind, (code << 8) | 0x7f, trapInfo(code, t.tid, uidOf(t.tid)),
      { call, eventMsg: call.entry ? 1n : 2n, sysemu: call.entry && t.mode === 'sysemu' });
  }

  private _onExit(t: Tracee, status: number): number | void | Promise<number> {
    t.exitStatus = status;
    if (t.stop) {
      // Killed in a stop we held: that stop is over.
      t.stop.release(Resume.RESUME);
      t.stop = null;
      t.client?._unready(t);
    }
    if (!t.client || !(t.options & P.PTRACE_O_TRACEEXIT)) return;
    const code = P.SIGTRAP | (P.PTRACE_EVENT_EXIT << 8);
    return this._held(t, 'event', (code << 8) | 0x7f, trapInfo(code, t.tid, uidOf(t.tid)), { eventMsg: BigInt(status) });
  }

  private _onDeath(t: Tracee, signal: number, st: ExitStatus | undefined): void {
    const c = t.client;
    // Killed in a stop we held (SIGKILL): settle the callback the core has given up on.
    t.stop?.release(Resume.RESUME);
    t.stop = null;
    t.pendingHold = null;
    if (!c) return;
    // The death's own status, as the kernel gives it: a leader gone with pthread_exit dies with
    // its process's, not with the status of its own exit stop.
    t.death = st ? P.waitStatusOf(st) : t.exitStatus ?? (signal & 0x7f);
    c._post(t);
  }

  private _onReap(t: Tracee): void {
    // A client that has not waited yet keeps its Tracee (as a zombie keeps its status).
    this._tracees.delete(t);
  }
}
