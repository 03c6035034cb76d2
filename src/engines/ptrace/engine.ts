/**
 * The ptrace personality: ptrace(2)'s request semantics and wait statuses rebuilt as one more
 * engine on the framework, as the 2009 utrace patches rebuilt ptrace in the kernel. Each
 * emulated tracer is a PtraceClient (client.ts); each thread it may trace carries one engine
 * of ours (a "Tracee", tracee.ts), dormant (following clones only) until a client attaches.
 * This file is the engine: the reports that become ptrace-stops.
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
import { Attach, CLONE_THREAD, CLONE_VFORK, Resume, SyscallAction, ptraceAbi as P,
  type EngineOps, type ExitStatus, type SignalReport, type SyscallReport, type Task, type Tracer } from '../../api.js';
import { PtraceClient } from './client.js';
import { DORMANT, err, ppidOf, SIGINFO_SIZE, trapInfo, Tracee, uidOf, type Stop, type StopKind } from './tracee.js';

export type { WaitOutcome } from './client.js';
export { PtraceClient, Tracee };

const CSIGNAL = 0xffn;

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
