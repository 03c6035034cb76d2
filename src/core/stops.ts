/**
 * The stop state machine: what each ptrace stop means, which report pass it gets, and how the
 * thread leaves it: restarted (with the request and signal the votes call for), held, or
 * detached. Stops, restarts and detaches are one machine and live together here; Tracer
 * (tracer.ts) adds the public API on top. The kernel is reached only through a TraceBackend
 * (backend.ts); report passes and vote arbitration are in passes.ts.
 *
 * The rules are those of docs/engine-contract.md; where user space over ptrace must differ
 * from the kernel's utrace, docs/design.md says how and why.
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { SYSCALL_INSN } from '../arch/x86_64/regs.js';
import { Event, Resume, SignalAction, SyscallAction } from './actions.js';
import type { TraceBackend } from './backend.js';
import { DISPOSITION_BIT, signalDisposition } from './dispositions.js';
import type { Engine } from './engine.js';
import { isGone, UtraceError } from './errors.js';
import { abandonPass, detachedWhileWaited, newPass, runPass, type Pass } from './passes.js';
import { ownProcPid, procStatus } from './procfs.js';
import { Process } from './process.js';
import * as P from './ptrace.js';
import { seccompStop } from './seccomp.js';
import {
  affinityCall, colocateAfterStep, colocateModeFromEnv, colocateSyscallExit, colocator, type ColocateMode,
} from './colocate.js';
import { loadSysinfo, SyscallCall } from './syscallCall.js';
import { Task } from './task.js';
import type {
  ActionResult, EngineOps, ExecReport, ExitReport, ExitStatus, SignalReport,
} from './types.js';

export const BASE_OPTIONS =
  P.PTRACE_O_TRACESYSGOOD | P.PTRACE_O_TRACEEXEC | P.PTRACE_O_TRACESECCOMP;
export const CLONE_OPTIONS = P.PTRACE_O_TRACECLONE | P.PTRACE_O_TRACEFORK | P.PTRACE_O_TRACEVFORK;
const CLONE_VM = 0x100n;
const CLONE_VFORK = 0x4000n;
const CLONE_THREAD = 0x10000n;
const SIGCHLD_FLAG = 17n;
const NR_CLONE3 = 435;
/** How often leaders of attached processes are checked for a silent release (ms). */
const LEADER_CHECK_MS = 1000;

type SyscallMode = 'none' | 'seccomp' | 'all';

// A StopSink (backend.ts) and a PassHost (passes.ts) by shape: the members those interfaces
// name are internal (stripped from the .d.ts), and a published `implements` would name them.
export abstract class StopMachine extends EventEmitter {
  /** @internal */ readonly _backend: TraceBackend;
  /** @internal */ _tasks = new Map<number, Task>();
  /** @internal */ protected _procs = new Map<number, Process>();
  /** @internal spawned processes already detached whose exit we still reap */
  protected _watch = new Map<number, Process>();
  /** @internal threads that died during their detach: traced zombies we still reap */
  protected _reaping = new Set<number>();
  /** @internal attach serial of the last engine (engines attached during a pass skip it) */ _serial = 0;
  private readonly _siginfo = Buffer.alloc(128);
  /** Looks for leaders released without a status (see _checkLeaders) while processes are traced. */
  private _leaderTimer: NodeJS.Timeout | null = null;
  /** @internal co-scheduling (colocate.ts) */ _colocate: ColocateMode = colocateModeFromEnv();

  constructor(backend: TraceBackend) {
    super();
    this._backend = backend;
    backend.start(this);
  }

  /** engine.control(): see Tracer.control. */
  abstract control(task: Task, engine: Engine, action: Resume): 'EINPROGRESS' | undefined;

  // ---------------------------------------------------------------- waiting

  /** @internal make sure stops are looked for soon (after a restart outside a drain) */
  _kick(): void {
    this._backend.kick();
  }

  protected _refresh(): void {
    this._backend.refresh();
  }

  // ---------------------------------------------------------------- stops

  /** @internal a stray child exited (backend.ts): the 'stray-exit' event */
  _strayExit(pid: number, status: number): void {
    this.emit('stray-exit', pid, exitStatusOf(status));
  }

  /** @internal */
  _dispatch(tid: number, status: number, silen: number): void {
    let task = this._tasks.get(tid);
    if (!task) {
      if (this._reaping.has(tid)) return this._reap(tid, status);
      const w = this._watch.get(tid);
      if (w && !P.WIFSTOPPED(status)) {
        this._watch.delete(tid);
        this._backend.disown(tid);
        w._exited = true;
        w._exitResolve(exitStatusOf(status));
        this._refresh();
      } else if (P.WIFSTOPPED(status)) {
        this._backend.orphan(tid, status);
      }
      return;
    }
    if (!P.WIFSTOPPED(status)) return this._onDeath(task, status);
    // Only SIGKILL takes a thread out of a stop an engine still holds with a pending
    // callback: that report is over, its late settle ignored.
    if (task._waitingPass) abandonPass(task);
    this._backend.stopped(task);
    task._state = 'stopped';
    task._regs = null;
    const sig = P.WSTOPSIG(status);
    const ev = status >>> 16;
    // Rate of the stops engines cause (not the core's own syscall stops of a co-scheduled thread).
    if (this._colocate !== 'off' && !(task._co && sig === (P.SIGTRAP | 0x80) && this._syscallMode(task) === 'none')) {
      colocator.onStop(task, this._colocate, (task._options & P.PTRACE_O_TRACECLONE) !== 0);
    }
    if (task._awaitingInitial) return this._onInitialStop(task);
    // Any trap clears the kernel's pending PTRACE_INTERRUPT, so this stop may be the only one
    // an interrupt yields: pending requests are applied at it (_maybeRestart).
    if (ev !== P.PTRACE_EVENT_STOP) task._interrupting = false;
    task._listening = false; // a reported stop ends PTRACE_LISTEN
    if (task._detachPending) {
      task._interrupting = false;
      task._stop = ev === P.PTRACE_EVENT_STOP ? (isStopSignal(sig) ? 'group' : 'interrupt') : 'other';
      // Only a signal-delivery-stop has a signal to pass on (a syscall stop is SIGTRAP|0x80).
      if (ev === 0 && sig !== P.SIGTRAP && sig !== (P.SIGTRAP | 0x80)) task._sig = sig;
      return this._detachThread(task);
    }
    if (sig === (P.SIGTRAP | 0x80)) return this._onSyscallStop(task, silen);
    if (ev === 0) return this._onSignalStop(task, sig);
    switch (ev) {
      case P.PTRACE_EVENT_CLONE:
      case P.PTRACE_EVENT_FORK:
      case P.PTRACE_EVENT_VFORK:
        return this._onClone(task, ev);
      case P.PTRACE_EVENT_EXEC:
        return this._onExec(task);
      case P.PTRACE_EVENT_EXIT:
        return this._onExitEvent(task);
      case P.PTRACE_EVENT_SECCOMP:
        return this._onSeccomp(task, silen);
      case P.PTRACE_EVENT_STOP:
        return this._onEventStop(task, sig);
      default:
        task._stop = 'other';
        return this._maybeRestart(task);
    }
  }

  protected _onInitialStop(task: Task): void {
    task._awaitingInitial = false;
    task._sysKnown = false;
    task._stop = 'initial';
    if (task._engines.length === 0) return this._detachThread(task);
    this._maybeRestart(task);
  }

  /** Pending STOP/REPORT requests take effect at the first report point. */
  protected _applyPending(task: Task): boolean {
    let report = false;
    for (const e of task._engines) {
      if (e._stopPending) {
        e._stopPending = false;
        e._vote = Resume.STOP;
      }
      if (e._reportPending) {
        e._reportPending = false;
        if (e._pendingAction === Resume.SINGLESTEP || e._pendingAction === Resume.BLOCKSTEP) {
          e._vote = e._pendingAction;
        } else report = true;
      }
    }
    return report;
  }

  protected _onEventStop(task: Task, sig: number): void {
    // A PTRACE_INTERRUPT sent while the thread was already in a trap we had not reaped yet is
    // not cleared by that trap: it stops the thread again right after the next restart, before
    // any instruction runs. Nobody waits for that stop; a step it cut short is taken again.
    const unasked = !task._interrupting;
    task._interrupting = false;
    task._sysKnown = false; // an interrupt may have cut a syscall short
    if (isStopSignal(sig)) {
      const fresh = !task._inGroupStop;
      task._inGroupStop = true;
      task._groupStopSig = sig;
      task._listening = false;
      task._stop = 'group';
      const report = this._applyPending(task);
      if (fresh) {
        return this._runPass(this._pass(task, Event.JCTL, Event.JCTL, 'reportJctl',
          (e, a) => e.ops.reportJctl!(a, e, 'stopped', 1, sig), () => this._afterReport(task, report)));
      }
      return this._afterReport(task, report);
    }
    if (task._inGroupStop) {
      // Woken from PTRACE_LISTEN by SIGCONT: the job-control stop is over.
      task._inGroupStop = false;
      task._listening = false;
      task._stop = 'interrupt';
      const report = this._applyPending(task);
      return this._runPass(this._pass(task, Event.JCTL, Event.JCTL, 'reportJctl',
        (e, a) => e.ops.reportJctl!(a, e, 'continued', 1, 0), () => this._afterReport(task, report)));
    }
    task._stop = 'interrupt';
    const report = this._applyPending(task);
    if (unasked && !report && task._stepping !== null && task._passes === 0 && task._engines.length > 0 &&
        !task._engines.some((e) => e._vote === Resume.STOP)) {
      return this._restart(task, task._stepping);
    }
    this._afterReport(task, report);
  }

  /** Finish a stop: run an owed REPORT/INTERRUPT pass, then restart if nobody holds. */
  protected _afterReport(task: Task, report: boolean): void {
    if (report) return this._reportPass(task, () => this._maybeRestart(task));
    this._maybeRestart(task);
  }

  /** A REPORT/INTERRUPT (or step-completion) pass: reportQuiesce(0), then reportSignal
   * with no signal for engines that watch signals, as utrace's UTRACE_SIGNAL_REPORT pass. */
  protected _reportPass(task: Task, done: () => void): void {
    this._runPass(this._pass(task, Event.SIGNAL, 0, 'reportSignal',
      (e, a) => e.ops.reportSignal!(a, e, null), done));
  }

  protected _syscallMode(task: Task): SyscallMode {
    return (task._modeCache ??= this._computeSyscallMode(task)) as SyscallMode;
  }

  protected _computeSyscallMode(task: Task): SyscallMode {
    let want = false;
    let declared = true;
    for (const e of task._engines) {
      if (e._detached || !(e._events & Event.SYSCALL)) continue;
      want = true;
      const filter = task._proc._seccomp;
      if (!filter || !e.ops.syscalls) declared = false;
      else for (const nr of e.ops.syscalls) if (!filter.has(nr)) declared = false;
    }
    if (!want) return 'none';
    return declared ? 'seccomp' : 'all';
  }

  protected _wantsEvent(task: Task, bit: number): boolean {
    for (const e of task._engines) if (!e._detached && e._events & bit) return true;
    return false;
  }

  protected _onSyscallStop(task: Task, silen: number): void {
    void silen;
    const mode = this._syscallMode(task);
    // Entry and exit alternate; after an interrupt or attach, ask the kernel which it is.
    let entry: boolean;
    if (task._sysKnown) entry = !task._inSyscall;
    else {
      const v = loadSysinfo(task);
      entry = v ? v.getUint8(0) !== P.SYSCALL_INFO_EXIT : !task._inSyscall;
      task._sysKnown = true;
    }
    task._inSyscall = entry;
    if (entry) {
      task._stop = 'syscall-entry';
      task._sysNr = -1;
      task._sysArgs = null;
      task._seccompExit = false;
      if (mode !== 'all') return this._maybeRestart(task);
      return this._entryPass(task, false, 0);
    }
    task._stop = 'syscall-exit';
    if (task._co || task._coExit) {
      // Before any engine reads the result: the program's own affinity (colocate.ts).
      task._coExit = false;
      colocateSyscallExit(task);
    }
    const wasSeccomp = task._seccompExit;
    task._seccompExit = false;
    // A step that went through this syscall (see _restart) completes here: its report follows.
    const stepped = task._stepOwed !== null;
    task._stepOwed = null;
    if (mode === 'none' || (mode === 'seccomp' && !wasSeccomp)) {
      return stepped ? this._reportPass(task, () => this._maybeRestart(task)) : this._maybeRestart(task);
    }
    this._runPass(this._pass(task, Event.SYSCALL_EXIT, Event.SYSCALL_EXIT, 'reportSyscallExit',
      StopMachine._callExit, stepped ? StopMachine._reportThenRestart : StopMachine._restartAfter,
      new SyscallCall(task, false, wasSeccomp)));
  }

  // The syscall passes' callbacks, static: a stop makes no closures (Pass.call, Pass.done).
  private static _callEntry(e: Engine, a: number, call: unknown): ActionResult {
    return e.ops.reportSyscallEntry!(a, e, call as SyscallCall);
  }

  private static _callExit(e: Engine, a: number, call: unknown): ActionResult {
    return e.ops.reportSyscallExit!(a, e, call as SyscallCall);
  }

  private static _restartAfter(_a: number, p: Pass): void {
    p.task._tracer._maybeRestart(p.task);
  }

  private static _reportThenRestart(_a: number, p: Pass): void {
    const task = p.task;
    task._tracer._reportPass(task, () => task._tracer._maybeRestart(task));
  }

  private static _entryDone(action: number, p: Pass): void {
    const task = p.task;
    const m = task._tracer;
    if (action & SyscallAction.ABORT) {
      // x86_64: a syscall number of -1 skips the call; rax then holds -ENOSYS, which the exit
      // report may replace.
      task._inCallback++;
      try {
        const r = task.regs();
        r.set('orig_rax', -1n);
        task.setRegs(r);
      } finally {
        task._inCallback--;
      }
    }
    task._seccompExit = (p.arg as SyscallCall).seccomp && m._wantsEvent(task, Event.SYSCALL_EXIT);
    m._maybeRestart(task);
  }

  protected _onSeccomp(task: Task, silen: number): void {
    void silen;
    const mode = this._syscallMode(task);
    task._stop = 'seccomp';
    // The number and arguments come with the stop's info (engines read them anyway); the
    // filter's guard stops (a clone that would escape tracing) are told apart by their data.
    const guard = seccompStop(task);
    if (!guard && affinityCall(task._sysNr) && !task._proc._seccomp?.has(task._sysNr)) {
      // In the filter for co-scheduling alone: its exit is wanted only while co-scheduled.
      if (task._co) {
        task._coExit = true;
        task._inSyscall = true;
        task._sysKnown = true;
      }
      return this._maybeRestart(task);
    }
    // In 'all' mode the syscall-entry stop already reported this call; a guard stop of a call
    // nobody selected is no report at all.
    if (mode !== 'seccomp' || (guard && !task._proc._seccomp?.has(task._sysNr))) return this._maybeRestart(task);
    task._inSyscall = true;
    task._sysKnown = true;
    this._entryPass(task, true, 0);
  }

  protected _entryPass(task: Task, seccomp: boolean, flags: number): void {
    // Engines in reverse attach order: the engine attached last is closest to user mode.
    const pass = this._pass(task, Event.SYSCALL_ENTRY, Event.SYSCALL_ENTRY, 'reportSyscallEntry',
      StopMachine._callEntry, StopMachine._entryDone, new SyscallCall(task, true, seccomp), true);
    pass.action |= flags;
    this._runPass(pass);
  }

  protected _onSignalStop(task: Task, sig: number): void {
    task._stop = 'signal';
    task._stopSig = sig;
    const info = this._siginfo;
    this._backend.getSigInfo(task.tid, info);
    const code = info.readInt32LE(8);
    const stepping = task._stepping;
    task._stepping = null;
    // A step that runs a syscall instruction completes at the syscall's exit, where x86
    // reports it as SIGTRAP with si_code SI_USER and si_pid 0 (user_single_step_report).
    const kernelStep = code === P.SI_USER && info.readInt32LE(16) === 0;
    // x86 reports a step as TRAP_TRACE, a block step as TRAP_BRANCH, and a step over a
    // `syscall` instruction as TRAP_BRKPT (or SI_USER from the syscall-exit path); int3 is
    // SI_KERNEL and never a step.
    const stepTrap = sig === P.SIGTRAP &&
      (code === P.TRAP_TRACE || code === P.TRAP_BRANCH || code === P.TRAP_BRKPT || kernelStep);
    if (stepTrap && stepping === null && task._staleStepTrap) {
      task._staleStepTrap = false;
      task._sig = 0;
      return this._maybeRestart(task);
    }
    if (stepTrap) task._staleStepTrap = false;
    if (stepTrap && stepping !== null) {
      // Our own single-step trap: a report point, never a signal.
      task._stop = 'step';
      task._sig = 0;
      if (task._co) colocateAfterStep(task);
      return this._reportPass(task, () => this._maybeRestart(task));
    }
    // An int3 of the core's breakpoint table is an event of the tools that inserted it, not a
    // signal the program gets: like the byte itself, the trap is invisible to the others. A
    // tool is known by its ops (one engine per thread, sharing them: Attach.MATCH_OPS).
    const owners = sig === P.SIGTRAP && code === P.SI_KERNEL ? this._trapOwners(task) : null;
    let anyone = false;
    let partial = false; // some engine wants only some dispositions: then we must know it
    for (const e of task._engines) {
      if (owners && !owners.has(e.ops)) continue;
      const bits = e._events & Event.SIGNAL_ALL;
      if (bits) anyone = true;
      if (bits && bits !== Event.SIGNAL_ALL) partial = true;
    }
    if (!anyone) {
      task._sig = sig;
      return this._maybeRestart(task);
    }
    // The disposition costs a read of /proc/TID/status: only when a mask or an engine needs it.
    let disposition: SignalReport['disposition'] | undefined = partial ? signalDisposition(task.tid, sig) : undefined;
    const report: SignalReport = {
      task, signo: sig, info: Buffer.from(info), code,
      get disposition() {
        return (disposition ??= signalDisposition(task.tid, sig));
      },
    };
    const pass = this._pass(task, disposition ? DISPOSITION_BIT[disposition] : Event.SIGNAL_ALL, null, 'reportSignal',
      (e, a) => e.ops.reportSignal!(a, e, report), (action) => {
        const decision = action & SignalAction.MASK;
        let deliver = report.signo;
        if (action & SignalAction.HOLD) {
          task._heldSig = deliver;
          deliver = 0;
        } else if (decision === SignalAction.IGN) deliver = 0;
        else if (decision === SignalAction.TERM || decision === SignalAction.CORE) deliver = P.SIGKILL;
        else if (decision === SignalAction.STOP) deliver = P.SIGSTOP;
        else if (decision === SignalAction.TSTP) deliver = P.SIGTSTP;
        if (deliver !== 0 && (deliver !== sig || !report.info.equals(info))) {
          report.info.writeInt32LE(deliver, 0);
          try {
            this._backend.setSigInfo(task.tid, report.info);
          } catch (e) {
            if (!isGone(e)) throw e;
          }
        }
        task._sig = deliver;
        this._maybeRestart(task);
      });
    if (owners) pass.engines = pass.engines.filter((e) => owners.has(e.ops));
    this._runPass(pass);
  }

  /** The ops of the engines whose breakpoint this SIGTRAP (SI_KERNEL) stop hit, or null if none of ours. */
  private _trapOwners(task: Task): ReadonlySet<EngineOps> | null {
    const bps = task._proc._breakpoints;
    if (!bps.size) return null;
    let pc: bigint;
    try {
      pc = task._stopRegs().pc;
    } catch (e) {
      if (isGone(e)) return null;
      throw e;
    }
    const owners = bps.get(pc - 1n)?.owners;
    return owners ? new Set([...owners].map((e) => e.ops)) : null;
  }

  protected _onClone(task: Task, ev: number): void {
    task._stop = 'clone';
    const childTid = this._backend.eventMessage(task.tid);
    if (task._co) colocator.onClone(task, childTid);
    const flags = this._cloneFlags(task, ev);
    const isThread = (flags & CLONE_THREAD) !== 0n;
    let proc = task._proc;
    if (!isThread) {
      proc = this._newProcess(childTid);
      proc._seccomp = task._proc._seccomp;
      // Not _spawned: a fork child of a tracee is not our child; once detached we could never
      // reap it (and watching it would keep the event loop alive forever).
      if (!(flags & CLONE_VM)) task._proc._scrubInherited(childTid);
    }
    const child = this._newTask(proc, childTid);
    child._options = task._options;
    child._awaitingInitial = true;
    this._backend.running(child);
    this._backend.fresh(child);
    const finish = (): void => {
      const st = this._backend.takeOrphan(childTid);
      if (st !== undefined) this._dispatch(childTid, st, 0);
      this._maybeRestart(task);
    };
    if (!this._wantsEvent(task, Event.CLONE)) return finish();
    this._runPass(this._pass(task, Event.CLONE, Event.CLONE, 'reportClone',
      (e, a) => e.ops.reportClone!(a, e, flags, child), finish));
  }

  protected _cloneFlags(task: Task, ev: number): bigint {
    if (ev === P.PTRACE_EVENT_FORK) return SIGCHLD_FLAG;
    if (ev === P.PTRACE_EVENT_VFORK) return CLONE_VM | CLONE_VFORK | SIGCHLD_FLAG;
    task._inCallback++;
    try {
      const r = task.regs();
      if (Number(r.get('orig_rax')) === NR_CLONE3) {
        const b = task.readMemory(r.get('rdi'), 8);
        return b.length === 8 ? b.readBigUInt64LE(0) : 0n;
      }
      return r.get('rdi');
    } catch {
      return CLONE_THREAD | CLONE_VM;
    } finally {
      task._inCallback--;
    }
  }

  protected _onExec(task: Task): void {
    const former = this._backend.eventMessage(task.tid);
    if (former !== task.tid) {
      // A non-leader thread exec'd: it takes the leader's tid; the old leader is gone.
      const execer = this._tasks.get(former);
      if (execer) {
        const oldLeader = task;
        this._tasks.delete(former);
        this._backend.disown(former);
        oldLeader._supersededBy = former;
        this._reportGone(oldLeader, 0, false);
        execer._tid = oldLeader.tid;
        this._tasks.set(execer._tid, execer);
        this._backend.own(execer._tid, this);
        this._backend.stopped(execer);
        execer._state = 'stopped';
        execer._regs = null;
        task = execer;
      }
    }
    task._stop = 'exec';
    task._proc._forgetBreakpoints(); // a new address space: nothing of ours is in it
    let filename = '';
    try {
      filename = fs.readlinkSync(`/proc/${task.tid}/exe`);
    } catch {
      /* raced with death */
    }
    const report: ExecReport = { filename, formerTid: former };
    if (!this._wantsEvent(task, Event.EXEC)) return this._maybeRestart(task);
    this._runPass(this._pass(task, Event.EXEC, Event.EXEC, 'reportExec',
      (e, a) => e.ops.reportExec!(a, e, report), () => this._maybeRestart(task)));
  }

  protected _onExitEvent(task: Task): void {
    task._stop = 'exit';
    task._exiting = true;
    const status = this._backend.eventMessage(task.tid);
    task._exitStatus = status;
    const st = exitStatusOf(status);
    const report: ExitReport = { status, code: st.code ?? undefined, signal: st.signal ?? undefined };
    // Nobody asked to see it (a leader's exit stop is taken for Task.exiting alone): invisible,
    // so no hold applies. A thread SIGKILLed out of an engine's STOP must die, as without it.
    if (!this._wantsEvent(task, Event.EXIT)) return this._restart(task, null);
    this._runPass(this._pass(task, Event.EXIT, Event.EXIT, 'reportExit',
      (e, a) => e.ops.reportExit!(a, e, report), () => this._maybeRestart(task)));
  }

  protected _onDeath(task: Task, status: number): void {
    const st = exitStatusOf(status);
    this._backend.stopped(task);
    this._reportGone(task, st.signal ?? 0, task.tid === task.tgid, st);
  }

  /** DEATH then REAP reports, engines released, task forgotten. */
  protected _reportGone(task: Task, signal: number, groupDead: boolean, st?: ExitStatus): void {
    if (task._co) colocator.release(task, false);
    task._state = 'dead';
    task._stop = null;
    const status = st ?? { code: null, signal: signal || null, core: false };
    task._deathStatus = status;
    const engines = [...task._engines];
    for (const e of engines) {
      if (e._detached || !(e._events & Event.DEATH)) continue;
      this._safeCall(e, 'reportDeath', () => e.ops.reportDeath!(e, groupDead, signal));
    }
    for (const e of engines) {
      if (e._detached || !(e._events & Event.REAP)) continue;
      this._safeCall(e, 'reportReap', () => e.ops.reportReap!(e, task));
    }
    for (const e of engines) if (!e._detached) this._release(e);
    task._engines = [];
    if (this._tasks.get(task.tid) === task) {
      this._tasks.delete(task.tid);
      this._backend.disown(task.tid);
    }
    const proc = task._proc;
    proc._threads.delete(task);
    task._exitResolve(status);
    if (groupDead && !proc._exited) {
      proc._exited = true;
      proc._exitResolve(status);
      this._procs.delete(proc.pid);
    }
    this._refresh();
  }

  protected _safeCall(e: Engine, name: string, fn: () => unknown): void {
    e._inFlight++;
    try {
      const r = fn();
      if (r && typeof (r as Promise<unknown>).then === 'function') {
        (r as Promise<unknown>).then(() => e._callbackDone(), (err) => {
          e._callbackDone();
          this.emit('engine-error', e, name, err);
        });
        return;
      }
    } catch (err) {
      this.emit('engine-error', e, name, err);
    }
    e._callbackDone();
  }

  // ---------------------------------------------------------------- passes

  protected _pass(task: Task, bit: number, quiesce: number | null, name: keyof EngineOps,
    call: Pass['call'], done: Pass['done'], arg?: unknown, reversed = false): Pass {
    return newPass(task, this._serial, bit, quiesce, name, call, done, arg, reversed);
  }

  protected _runPass(p: Pass): void {
    runPass(this, p);
  }

  /** @internal */
  _engineFailed(e: Engine, name: string, err: unknown): void {
    // A request that failed because the thread was killed out of its stop under the callback
    // (SIGKILL; exit_group or an execve in another thread, even an untraced one) is no fault
    // of the engine: it stays, and the thread's death report follows.
    if (err instanceof UtraceError && err.code === 'ESRCH' && err.tid === e.task.tid) return;
    this.emit('engine-error', e, name, err);
    if (!e._detached) this._detachEngine(e);
  }

  // ---------------------------------------------------------------- restart

  /** @internal Restart the thread unless someone holds it or a pass is running. */
  _maybeRestart(task: Task): void {
    if (task._state !== 'stopped' || task._passes > 0 || task._spawnHold || task._awaitingInitial) return;
    // A thread seized in a group-stop stops at once (PTRACE_EVENT_STOP), before attachProcess's
    // caller attached its engines: kept until then, not let go as a thread nobody traces.
    if (task._engines.length === 0 && task._attachGrace) return;
    if (task._engines.length === 0) return this._detachThread(task);
    // Requests made while the thread ran (STOP, REPORT, stepping) take effect at its next
    // report point, whatever kind of stop that is.
    if (this._applyPending(task)) return this._reportPass(task, () => this._maybeRestart(task));
    let min = Resume.RESUME;
    for (const e of task._engines) if (e._vote < min) min = e._vote;
    if (min === Resume.STOP) {
      if (this._holdSafely(task)) return;
      for (const e of task._engines) if (e._vote === Resume.STOP) e._settleStop();
      return;
    }
    if (min === Resume.REPORT || min === Resume.INTERRUPT) {
      for (const e of task._engines) {
        if (e._vote === Resume.REPORT || e._vote === Resume.INTERRUPT) e._vote = Resume.RESUME;
      }
      if (task._stop === 'syscall-entry' || (task._stop === 'seccomp' && this._syscallMode(task) === 'seccomp')) {
        // Held at entry and asked for a report: the entry pass runs again.
        return this._entryPass(task, task._stop === 'seccomp', SyscallAction.RESUMED);
      }
      return this._reportPass(task, () => this._maybeRestart(task));
    }
    this._restart(task, min === Resume.SINGLESTEP || min === Resume.BLOCKSTEP ? min : null);
  }

  /**
   * A thread of an attached process is about to be held: make it safe to let go should we die
   * now (SIGKILL; docs/design.md, "Reliability"), whenever the kernel lets it go, before or
   * after the breakpoint watchdog runs:
   *  - once every thread of the process is held, our int3 bytes leave memory (Process._lift)
   *    until one runs again;
   *  - a thread held at the trap of a finished step (the trap flag still set: let go, it would
   *    die of SIGTRAP at its next instruction) or at a SIGTRAP we drop is moved to an event stop
   *    (backend.park), where the kernel lets it go with nothing to deliver.
   * Only in an attached process with a breakpoint watchdog. One extra stop for a held thread;
   * nothing for a stop that is not held (a breakpoint whose condition is false).
   * True when park met another stop first, which is dispatched instead (the hold waits for it).
   */
  protected _holdSafely(task: Task): boolean {
    const proc = task._proc;
    // Only a process we attached to outlives us (one we started is killed with us, or is
    // ours to reap): and only one with a watchdog has our bytes to fear for.
    if (proc._spawned || proc._watchdog === null || proc._diesWithUs()) return false;
    if (proc._breakpoints.size && !proc._lifted && proc._allHeld()) {
      try {
        proc._lift();
      } catch (e) {
        if (!isGone(e)) throw e;
      }
    }
    // Only a trap (SIGTRAP: a breakpoint, a step) we drop: a stop signal or another one is the
    // program's business, and its stop could be a group stop that never reports.
    if (!this._backend.park || !(task._stop === 'step' || (task._stop === 'signal' && task._sig === 0 && task._stopSig === P.SIGTRAP))) return false;
    let st: number;
    try {
      st = this._backend.park(task.tid);
    } catch (e) {
      if (!isGone(e)) throw e;
      return false; // killed under us: its death status is on its way
    }
    if (P.WIFSTOPPED(st) && st >>> 16 === P.PTRACE_EVENT_STOP && !isStopSignal(P.WSTOPSIG(st))) {
      task._stop = 'interrupt';
      task._interrupting = false;
      return false;
    }
    this._setRunning(task);
    this._dispatch(task.tid, st, 0);
    return true;
  }

  protected _wantedOptions(task: Task): number {
    let o = BASE_OPTIONS | (task._options & P.PTRACE_O_EXITKILL);
    // New threads must be followed if anyone may attach to them in reportClone; new processes
    // only if an engine wants more than threads: a fork child traced for a moment could not
    // be seized by its own parent meanwhile (a tracer under trace).
    o |= this._cloneOptions(task);
    // A leader's exit stop is the only sign that it left early (pthread_exit) and will sit as
    // a zombie until its process ends (Task.exiting): one stop per process, taken always.
    if (this._wantsEvent(task, Event.EXIT) || task.tid === task.tgid) o |= P.PTRACE_O_TRACEEXIT;
    return o;
  }

  private _cloneOptions(task: Task): number {
    let o = 0;
    for (const e of task._engines) {
      if (e._detached || !(e._events & Event.CLONE)) continue;
      if (!e.ops.threadsOnly) return CLONE_OPTIONS;
      o = P.PTRACE_O_TRACECLONE;
    }
    return o;
  }

  /**
   * @internal A stopped child of one of our threads that we do not own: the kernel traced it
   * for us unasked (clone with CLONE_PTRACE while our fork options were off). When none of our
   * threads would report a child made with that exit signal, no clone event will claim it: it
   * is let go now (else it would wait stopped forever) and 'stray-detached' (tid) is emitted,
   * strace's "Detached unknown pid". False: kept for the clone event to come.
   */
  _stray(tid: number, exitSignal: number): boolean {
    const could = P.PTRACE_O_TRACEVFORK | (exitSignal === P.SIGCHLD ? P.PTRACE_O_TRACEFORK : P.PTRACE_O_TRACECLONE);
    for (const t of this._tasks.values()) if (t._options & could) return false;
    try {
      this._backend.detach(tid, 0);
    } catch {
      return false;
    }
    this.emit('stray-detached', tid);
    return true;
  }

  protected _restart(task: Task, step: Resume | null): void {
    const tid = task.tid;
    const want = this._wantedOptions(task);
    try {
      if (want !== task._options) {
        this._backend.setOptions(tid, want);
        task._options = want;
        if (task._co && !(want & P.PTRACE_O_TRACECLONE)) colocator.release(task, true);
      }
      const mode = this._syscallMode(task);
      const sysStops = mode === 'all' || task._seccompExit;
      // Stepping and syscall reports on one thread: PTRACE_SINGLESTEP gives no syscall stops
      // (a stepped syscall's exit shows only as a step trap), so a step that would run a
      // syscall goes through it with PTRACE_SYSCALL and is reported at its exit stop; a block
      // step, which may run a syscall mid-block, degrades to single steps.
      if (step === Resume.BLOCKSTEP && mode === 'all') step = Resume.SINGLESTEP;
      if (sysStops && task._stepOwed !== null) {
        step ??= task._stepOwed; // still inside the syscall the step goes through
        task._stepOwed = null;
      }
      if (step !== null && sysStops &&
          (task._stop === 'syscall-entry' || task._stop === 'seccomp' || task._stop === 'clone' ||
           task._stop === 'exec' || this._atSyscallInsn(task))) {
        task._stepOwed = step;
        step = null;
      }
      let req: number;
      if (task._stop === 'group' && step === null) req = P.PTRACE_LISTEN;
      else if (step === Resume.SINGLESTEP) req = P.PTRACE_SINGLESTEP;
      else if (step === Resume.BLOCKSTEP) req = P.PTRACE_SINGLEBLOCK;
      // A co-scheduled thread's sched_*affinity calls must stop (colocate.ts).
      else if (sysStops || task._stepOwed !== null || task._coExit || (task._co && mode === 'none')) req = P.PTRACE_SYSCALL;
      else req = P.PTRACE_CONT;
      // Run without syscall stops, the thread may enter or leave a syscall unseen (a vfork
      // stepped into, whose exit stop comes once syscall stops are back on): entry and exit
      // no longer alternate from the last stop seen, the next one asks the kernel.
      if (req !== P.PTRACE_SYSCALL && req !== P.PTRACE_LISTEN && !sysStops) task._sysKnown = false;
      const sig = req === P.PTRACE_LISTEN ? 0 : task._sig;
      for (const e of task._engines) if (e._vote !== Resume.STOP) e._vote = Resume.RESUME;
      task._sig = 0;
      // A step that ended in another stop (an interrupt, an event) may still have its trap
      // queued: it must not surface later as a signal.
      if (task._stepping !== null && step === null) task._staleStepTrap = true;
      task._stepping = step;
      task._listening = req === P.PTRACE_LISTEN;
      if (req !== P.PTRACE_LISTEN) task._inGroupStop = false;
      task._regs = null;
      if (task._heldSig) {
        // Queue a held signal again while the thread is still stopped: it is dequeued (and
        // reported) before the thread returns to user mode, as with the kernel's front-of-
        // queue hold. Sent after the restart, it could arrive many instructions late.
        const s = task._heldSig;
        task._heldSig = 0;
        this._backend.tgkill(task.tgid, tid, s);
      }
      task._proc._unlift(); // a thread runs: our int3 bytes go back first
      this._backend.restart(task, req, sig);
      task._lastReq = req;
      this._setRunning(task);
    } catch (e) {
      if (!isGone(e)) throw e;
      // Killed under us (SIGKILL): its death status is on its way.
      this._setRunning(task);
    }
    this._kick();
  }

  /** Is the thread about to execute a syscall instruction? (breakpoint bytes hidden) */
  protected _atSyscallInsn(task: Task): boolean {
    task._inCallback++;
    try {
      const b = task.readMemory(task.regs().get('rip'), 2);
      return b.length === 2 && b[0] === SYSCALL_INSN[0] && b[1] === SYSCALL_INSN[1];
    } catch {
      return false;
    } finally {
      task._inCallback--;
    }
  }

  protected _setRunning(task: Task): void {
    if (task._state !== 'running') {
      task._state = 'running';
      this._backend.running(task);
    }
    this._backend.fresh(task);
    task._stop = null;
  }

  protected _interrupt(task: Task): void {
    if (task._interrupting || task._awaitingInitial) return;
    task._interrupting = true;
    this._backend.fresh(task);
    try {
      this._backend.interrupt(task.tid);
    } catch (e) {
      task._interrupting = false;
      if (!isGone(e)) throw e;
    }
  }

  /** @internal an engine's mask changed: ask ptrace for what is now wanted */
  _eventsChanged(task: Task): void {
    task._modeCache = null;
    if (task.state !== 'running' || task._awaitingInitial || task._listening) return;
    // A running thread restarted with PTRACE_CONT gives no syscall stops and a thread
    // without TRACECLONE/EXIT options no such events: interrupt it to re-arm.
    const mode = this._syscallMode(task);
    const needSyscall = mode === 'all' && task._lastReq !== P.PTRACE_SYSCALL;
    const needOptions = (this._wantedOptions(task) & ~task._options) !== 0;
    if (needSyscall || needOptions) this._interrupt(task);
  }

  // ---------------------------------------------------------------- detach

  protected _release(e: Engine): void {
    e._detached = true;
    e._failStop(new UtraceError('ESRCH', 'stopped', e._task.tid, 'engine detached'));
    try {
      e.ops.release?.(e.data);
    } catch (err) {
      this.emit('engine-error', e, 'release', err);
    }
  }

  /** @internal */
  _detachEngine(engine: Engine): void {
    if (engine._detached) return;
    const task = engine._task;
    const i = task._engines.indexOf(engine);
    if (i >= 0) task._engines.splice(i, 1);
    task._modeCache = null;
    try {
      task._proc._dropOwner(engine);
    } catch (err) {
      if (!isGone(err)) this.emit('error', err);
    }
    this._release(engine);
    detachedWhileWaited(this, task, engine);
    if (task.state === 'dead' || task._passes > 0) return;
    if (task._engines.length === 0) return this._detachThread(task);
    if (task.state === 'stopped') this._maybeRestart(task);
  }

  /** A thread that died during its detach reports: its exit reaps it (done by the wait);
   * a stop on its way out (its exit event) is a second chance to detach. */
  protected _reap(tid: number, status: number): void {
    if (P.WIFSTOPPED(status)) {
      try {
        this._backend.detach(tid, 0);
      } catch (e) {
        if (!isGone(e)) throw e;
        return;
      }
    }
    this._reaping.delete(tid);
    this._backend.disown(tid);
    this._refresh();
  }

  /** The last engine left: hand the thread back to the kernel untouched. */
  protected _detachThread(task: Task): void {
    if (task.state === 'dead' || task._spawnHold) return;
    if (task._engines.length > 0) return;
    if (task.state !== 'stopped' || task._listening || task._awaitingInitial) {
      task._detachPending = true;
      this._interrupt(task);
      return;
    }
    const proc = task._proc;
    const last = [...proc._threads].every((t) => t === task || t._engines.length === 0);
    if (last) proc._removeAllBreakpoints(); // also ends the process's breakpoint watchdog
    else proc._unlift(); // it runs on, as the others may soon
    let died = false;
    try {
      // A held signal is passed on: queued again, delivered once the thread runs untraced.
      if (task._heldSig) this._backend.tgkill(task.tgid, task.tid, task._heldSig);
      task._heldSig = 0;
      if (task._co) colocator.release(task, true);
      // A thread in a job-control stop stays stopped after detach, as untraced.
      this._backend.detach(task.tid, task._stop === 'group' ? 0 : task._sig);
    } catch (e) {
      if (!isGone(e)) throw e;
      died = true;
    }
    task._sig = 0;
    task._detachPending = false;
    this._tasks.delete(task.tid);
    proc._threads.delete(task);
    task._state = 'running';
    task._stop = null;
    if (task.tid === proc.pid && proc._spawned && !proc._exited) {
      this._watch.set(task.tid, proc); // still our child: reap it so its status is known
    } else if (died && task.tid !== proc.pid) {
      // Killed out of its stop (another thread's exit_group while the threads are detached
      // one by one): still traced by us, a zombie until we reap it, and its process with it.
      // (Not a leader: its status may never come to us, and the wait would last for ever.)
      this._reaping.add(task.tid);
    } else {
      this._backend.disown(task.tid);
    }
    if (proc._threads.size === 0) this._procs.delete(proc.pid);
    task._exitResolve({ code: null, signal: null, core: false });
    this._refresh();
    this._emitGone(task);
  }

  protected _goneWaiters = new Map<Task, (() => void)[]>();
  protected _emitGone(task: Task): void {
    const w = this._goneWaiters.get(task);
    if (w) {
      this._goneWaiters.delete(task);
      for (const f of w) f();
    }
  }

  protected _untilGone(task: Task): Promise<void> {
    return new Promise((resolve) => {
      const list = this._goneWaiters.get(task) ?? [];
      list.push(resolve);
      this._goneWaiters.set(task, list);
      task.exit.then(() => resolve());
    });
  }

  // ---------------------------------------------------------------- helpers

  protected _newProcess(pid: number): Process {
    const p = new Process(pid, this._backend);
    this._procs.set(pid, p);
    if (!this._leaderTimer) {
      this._leaderTimer = setInterval(() => this._checkLeaders(), LEADER_CHECK_MS);
      this._leaderTimer.unref();
    }
    return p;
  }

  /**
   * The one way a tracee leaves without a wait status: when a thread we do not trace (made
   * with CLONE_UNTRACED) calls execve, de_thread() kills our thread-group leader and releases
   * it silently ("the tracer can sleep in do_wait"), and the process goes on under the same
   * pid, untraced. Nothing would ever wake us for it (strace notices only because wait4 then
   * fails with ECHILD, which a Node process with other children never sees), so the leaders
   * of processes we did not start are looked at once a second: TracerPid no longer ours means
   * the leader is gone. A process we started is our child: its exit status reaches us anyway.
   */
  protected _checkLeaders(): void {
    if (this._procs.size === 0) {
      clearInterval(this._leaderTimer!);
      this._leaderTimer = null;
      return;
    }
    for (const proc of [...this._procs.values()]) {
      if (proc._spawned) continue;
      let leader: Task | undefined;
      for (const t of proc._threads) if (t.tid === proc.pid && t.state !== 'dead') leader = t;
      if (!leader || this._tasks.get(leader.tid) !== leader) continue;
      // TracerPid in /proc's numbering (an ancestor namespace's, after `unshare -pf`).
      if (procStatus(proc.pid)?.['TracerPid'] === ownProcPid()) continue;
      // Killed by de_thread (SIGKILL), as its engines are told; the process's status is not
      // ours to know, as after a detach.
      this._backend.stopped(leader);
      this._reportGone(leader, P.SIGKILL, true, { code: null, signal: null, core: false });
    }
  }

  protected _newTask(proc: Process, tid: number): Task {
    const t = new Task(this, proc, tid);
    proc._threads.add(t);
    this._tasks.set(tid, t);
    this._backend.own(tid, this);
    this._refresh();
    return t;
  }
}

function isStopSignal(sig: number): boolean {
  return sig === P.SIGSTOP || sig === P.SIGTSTP || sig === P.SIGTTIN || sig === P.SIGTTOU;
}

export function exitStatusOf(status: number): ExitStatus {
  if (P.WIFEXITED(status)) return { code: P.WEXITSTATUS(status), signal: null, core: false };
  return { code: null, signal: P.WTERMSIG(status), core: P.WCOREDUMP(status) };
}
