/**
 * An emulated tracer (PtraceClient): the ptrace(2) requests and wait(2) of one process whose
 * tracees are threads the personality (engine.ts) holds.
 */
import { Resume, SignalAction, SyscallAction, UtraceError, procStatus, ptraceAbi as P, type TaskMemory } from '../../api.js';
import * as fs from 'node:fs';
import type { PtracePersonality } from './engine.js';
import { err, ppidOf, SIGINFO_SIZE, type Tracee } from './tracee.js';

/** What a wait found. */
export type WaitOutcome =
  | { kind: 'event'; pid: number; status: number; exited: boolean; realChild: boolean }
  /** Tracees match but none has anything to report. */
  | { kind: 'empty' }
  /** No emulated tracee matches: the caller should let the kernel answer (real children, ECHILD). */
  | { kind: 'none' };

/** UTRACE_PTRACE_DEBUG=1: log the stops and deaths reported to clients (stderr). */
const DEBUG = !!process.env['UTRACE_PTRACE_DEBUG'];
const log = (s: string): void => void process.stderr.write(`[ptrace] ${s}\n`);
const SYSCALL_INFO_SIZE = 88;
/** sizeof(struct user) on x86_64 and the offset of u_debugreg within it (<sys/user.h>). */
const USER_SIZE = 912;
const DEBUGREG_OFFSET = 848;
const GPR_BYTES = 27 * 8;
const NT_PRSTATUS = 1;
const NT_PRFPREG = 2;
const NT_X86_XSTATE = 0x202;

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
