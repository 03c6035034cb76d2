/**
 * Unmodified ptrace tools as clients of the personality. The tool runs under our own trace
 * with a seccomp filter that stops only its ptrace, wait4 and waitid calls; every other call
 * it makes runs for real (it reads the target's memory with process_vm_readv or
 * /proc/PID/mem itself). Each intercepted call is answered by the PtraceClient of the
 * calling process: the real call is skipped and its result forced at the exit stop.
 *
 * A blocking wait with nothing to report becomes pause(2) in the kernel, so the tool sleeps
 * interruptibly like in a real wait: a new event wakes it (PTRACE_INTERRUPT, plus the SIGCHLD
 * the tool expects), a signal for the tool interrupts it, and at the exit stop the call
 * either returns the event or is restarted (ERESTARTSYS: EINTR or a restart, as the tool's
 * SA_RESTART says).
 */
import {
  Attach, Event, Resume, SYSCALL_NR, detachEngines, procStatus, UtraceError, errnoNumber, ptraceAbi as P,
  type Engine, type EngineOps, type ExitStatus, type SpawnOptions, type SyscallReport, type Task, type Tracer,
} from '../../api.js';
import { PtracePersonality, type PtraceClient, type WaitOutcome } from './engine.js';

const NR_PTRACE = SYSCALL_NR['ptrace']!;
const NR_WAIT4 = SYSCALL_NR['wait4']!;
const NR_WAITID = SYSCALL_NR['waitid']!;
const NR_PAUSE = SYSCALL_NR['pause']!;
const ERESTARTSYS = 512n;
const RUSAGE_SIZE = 144;
const EVENTS = Event.SYSCALL | Event.CLONE | Event.QUIESCE | Event.DEATH;
/** UTRACE_PTRACE_DEBUG=1: log every request a tool makes and its answer (stderr). */
const DEBUG = !!process.env['UTRACE_PTRACE_DEBUG'];
const log = (s: string): void => void process.stderr.write(`[ptrace-tool] ${s}\n`);

/** The call is waiting in pause(2) for an event. */
interface Blocked {
  nr: number;
  pid: number;
  options: number;
  exits: boolean;
  args: bigint[];
}

interface ToolThread {
  tool: PtraceTool;
  /** The process that forked this one (its real parent), 0 for the tool itself. */
  parent: number;
  /** Result to force at the exit stop of a skipped call. */
  forced: bigint | null;
  blocked: Blocked | null;
}

/** The wait selector of a wait4/waitid call; null: not ours to emulate (pidfd). */
function selector(nr: number, a: readonly bigint[]): { pid: number; options: number; exits: boolean } | null {
  if (nr === NR_WAIT4) {
    return { pid: Number(BigInt.asIntN(32, a[0]!)), options: Number(BigInt.asIntN(32, a[2]!)), exits: true };
  }
  const idtype = Number(a[0]!);
  const options = Number(BigInt.asIntN(32, a[3]!));
  const exits = (options & P.WEXITED) !== 0;
  if (idtype === P.P_ALL || idtype === P.P_PGID) return { pid: -1, options, exits };
  if (idtype === P.P_PID) return { pid: Number(BigInt.asIntN(32, a[1]!)), options, exits };
  return null;
}

function tracePending(tid: number): boolean {
  // Unblocked signals pending for the thread or its process.
  const st = procStatus(tid);
  if (!st) return false;
  const field = (k: string): bigint => (st[k] ? BigInt('0x' + st[k]) : 0n);
  return ((field('SigPnd') | field('ShdPnd')) & ~field('SigBlk')) !== 0n;
}

/**
 * Serves the ptrace and wait calls of a tool process (and its children) from a
 * PtracePersonality. `spawn()` starts the tool; `attach()` adopts a tool thread started
 * otherwise (its process needs the seccomp filter of `spawnOptions()`).
 */
export class PtraceTool {
  private readonly _ops: EngineOps<ToolThread>;
  private readonly _engines = new Set<Engine<ToolThread>>();
  private readonly _hooked = new Set<PtraceClient>();

  constructor(readonly tracer: Tracer, readonly personality: PtracePersonality) {
    this._ops = {
      name: 'ptrace-tool',
      syscalls: [NR_PTRACE, NR_WAIT4, NR_WAITID],
      reportQuiesce: () => undefined,
      reportClone: (_a, e, _flags, child) => void this.attach(child, child.tgid === e.task.tgid ? e.data.parent : e.task.tgid),
      reportSyscallEntry: (_a, e, call) => this._entry(e, call),
      reportSyscallExit: (_a, e, call) => this._exit(e, call),
      reportDeath: (e, groupDead) => this._death(e, groupDead),
    };
  }

  /** Spawn options that stop only the calls we serve. */
  static spawnOptions(base: SpawnOptions = {}): SpawnOptions {
    return { ...base, syscalls: [NR_PTRACE, NR_WAIT4, NR_WAITID] };
  }

  /** Start the tool; resolves with its main thread, already running. */
  async spawn(argv: readonly string[], options: SpawnOptions = {}): Promise<Task> {
    const task = await this.tracer.spawn(argv, PtraceTool.spawnOptions(options));
    this.attach(task);
    task.start();
    return task;
  }

  attach(task: Task, parent = 0): Engine<ToolThread> {
    const e = this.tracer.attachTask<ToolThread>(task, Attach.CREATE, this._ops, { tool: this, parent, forced: null, blocked: null });
    e.setEvents(EVENTS);
    this._engines.add(e);
    return e;
  }

  /** Stop serving (the tool's calls then fail with ENOSYS from its seccomp filter). */
  detachAll(): void {
    detachEngines(this._engines);
  }

  private _client(pid: number): PtraceClient {
    const c = this.personality.client(pid);
    this._hook(c);
    return c;
  }

  private _hook(c: PtraceClient): void {
    if (this._hooked.has(c)) return;
    this._hooked.add(c);
    c.onEvent = () => this._wake(c);
  }

  /** Something to report: wake the client's blocked waits and send the SIGCHLD it expects. */
  private _wake(c: PtraceClient): void {
    for (const e of this._engines) {
      if (e.detached || e.task.tgid !== c.pid || !e.data.blocked || e.task.state !== 'running') continue;
      try {
        e.control(Resume.INTERRUPT);
      } catch {
        /* gone */
      }
    }
    const leader = this.tracer.task(c.pid);
    try {
      leader?.signal(P.SIGCHLD);
    } catch {
      /* gone */
    }
  }

  private _entry(e: Engine<ToolThread>, call: SyscallReport): number | void {
    const d = e.data;
    const task = e.task;
    if (d.blocked) return; // the entry pass repeated while set up as pause(2)
    const a = call.args;
    if (call.nr === NR_PTRACE) {
      const req = Number(BigInt.asIntN(32, a[0]!));
      const pid = Number(BigInt.asIntN(32, a[1]!));
      try {
        if (req === P.PTRACE_TRACEME) this._hook(this.personality.traceme(task));
        d.forced = req === P.PTRACE_TRACEME ? 0n : this._client(task.tgid).request(req, pid, a[2]!, a[3]!, task);
      } catch (err) {
        d.forced = -BigInt(errnoOf(err));
      }
      if (DEBUG) log(`${task.tid} ptrace(0x${req.toString(16)}, ${pid}, 0x${a[2]!.toString(16)}, 0x${a[3]!.toString(16)}) = ${d.forced}`);
      return Resume.RESUME | 0x10; // SyscallAction.ABORT: the result is forced at exit
    }
    if (call.nr !== NR_WAIT4 && call.nr !== NR_WAITID) return;
    const sel = selector(call.nr, a);
    if (!sel) return; // P_PIDFD: the kernel answers
    const client = this._client(task.tgid);
    const out = client.wait(sel.pid, sel.options, sel.exits);
    if (DEBUG) log(`${task.tid} ${call.nr === NR_WAIT4 ? 'wait4' : 'waitid'}(${sel.pid}, 0x${(sel.options >>> 0).toString(16)}) -> ${JSON.stringify(out)}`);
    if (out.kind === 'none' && ((sel.options & P.WNOHANG) || !this._liveChild(task.tgid, sel.pid, sel.options))) {
      return; // real children only (or none): the real call
    }
    if (out.kind === 'event') {
      if (out.realChild) {
        // Our tracee is also the tool's own child: let the kernel reap it (same status).
        if (call.nr === NR_WAIT4) {
          call.setArg(0, BigInt(out.pid));
          call.setArg(2, BigInt((sel.options | P.__WALL) >>> 0));
        } else {
          call.setArg(0, BigInt(P.P_PID));
          call.setArg(1, BigInt(out.pid));
        }
        return;
      }
      d.forced = this._deliver(task, call.nr, a, out);
      return Resume.RESUME | 0x10;
    }
    if (sel.options & P.WNOHANG) {
      d.forced = this._deliver(task, call.nr, a, null);
      return Resume.RESUME | 0x10;
    }
    // Nothing yet: sleep interruptibly in the kernel until an event or a signal.
    d.blocked = { nr: call.nr, ...sel, args: [...a] };
    call.setNr(NR_PAUSE);
  }

  /** A live child of `client` we trace (it may still call PTRACE_TRACEME: a real wait4
   * would sleep past its ptrace stops), matching the wait's pid and clone selection. */
  private _liveChild(client: number, pid: number, options: number): boolean {
    for (const e of this._engines) {
      const t = e.task;
      if (e.detached || e.data.parent !== client || t.tid !== t.tgid || t.state === 'dead') continue;
      if (pid > 0 && t.tid !== pid) continue;
      if (!(options & P.__WALL) && options & P.__WCLONE) continue;
      return true;
    }
    return false;
  }

  private _exit(e: Engine<ToolThread>, call: SyscallReport): void {
    const d = e.data;
    if (d.forced !== null) {
      call.setReturn(d.forced);
      d.forced = null;
      return;
    }
    const b = d.blocked;
    if (!b) return;
    d.blocked = null;
    const task = e.task;
    const out: WaitOutcome = this._client(task.tgid).wait(b.pid, b.options, b.exits);
    if (DEBUG) log(`${task.tid} woken: ${call.ret} -> ${JSON.stringify(out)}`);
    if (out.kind === 'event' && !out.realChild) {
      call.setReturn(this._deliver(task, b.nr, b.args, out));
      return;
    }
    const r = task.regs().clone();
    if (tracePending(task.tid)) {
      // A signal woke it: the kernel restarts the wait or fails it with EINTR (SA_RESTART).
      r.set('rax', -ERESTARTSYS);
      r.set('orig_rax', BigInt(b.nr));
    } else {
      // Woken for nothing (another thread took the event): run the wait again.
      r.set('rax', BigInt(b.nr));
      r.set('orig_rax', -1n);
      r.set('rip', r.get('rip') - 2n);
    }
    task.setRegs(r);
  }

  /** Write a wait's result into the tool's memory; returns the call's return value. */
  private _deliver(task: Task, nr: number, a: readonly bigint[], out: WaitOutcome | null): bigint {
    const ev = out && out.kind === 'event' ? out : null;
    try {
      if (nr === NR_WAIT4) {
        if (ev && a[1]) {
          const b = Buffer.alloc(4);
          b.writeInt32LE(ev.status);
          this._write(task, a[1], b);
        }
        if (ev && a[3]) this._write(task, a[3], Buffer.alloc(RUSAGE_SIZE));
        return ev ? BigInt(ev.pid) : 0n;
      }
      if (a[2]) {
        const info = Buffer.alloc(128);
        if (ev) {
          info.writeInt32LE(P.SIGCHLD, 0);
          const st = ev.status;
          let code: number;
          let value: number;
          if (!ev.exited) [code, value] = [P.CLD_TRAPPED, st >> 8];
          else if ((st & 0x7f) === 0) [code, value] = [P.CLD_EXITED, (st >> 8) & 0xff];
          else [code, value] = [st & 0x80 ? P.CLD_DUMPED : P.CLD_KILLED, st & 0x7f];
          info.writeInt32LE(code, 8);
          info.writeInt32LE(ev.pid, 16);
          info.writeInt32LE(value, 24);
        }
        this._write(task, a[2], info);
      }
      if (ev && a[4]) this._write(task, a[4], Buffer.alloc(RUSAGE_SIZE));
      return 0n;
    } catch {
      return -BigInt(errnoNumber('EFAULT')!);
    }
  }

  private _write(task: Task, addr: bigint, bytes: Buffer): void {
    if (task.writeMemory(addr, bytes) < bytes.length) throw new UtraceError('EFAULT', 'write', task.tid);
  }

  private _death(e: Engine<ToolThread>, groupDead: boolean): void {
    this._engines.delete(e);
    if (!groupDead || e.task.tid !== e.task.tgid) return;
    // A parent sleeping in an emulated wait must now reap this child for real.
    if (e.data.parent) this._wake(this._client(e.data.parent));
    for (const c of this.personality.clients()) if (c.pid === e.task.tgid) c.close();
  }
}

function errnoOf(err: unknown): number {
  if (err instanceof UtraceError) return errnoNumber(err.code) ?? errnoNumber('EIO')!;
  return errnoNumber('EIO')!;
}

export type { ExitStatus };
