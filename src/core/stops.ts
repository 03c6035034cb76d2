/**
 * The stop state machine: what each ptrace stop means and which report pass it gets. How the
 * thread then leaves the stop (restarted, held, detached) is ResumeMachine's (resume.ts);
 * Tracer (tracer.ts) adds the public API on top. The kernel is reached only through a
 * TraceBackend (backend.ts); report passes and vote arbitration are in passes.ts.
 * (backend.ts); report passes and vote arbitration are in passes.ts.
 *
 * The rules are those of docs/engine-contract.md; where user space over ptrace must differ
 * from the kernel's utrace, docs/design.md says how and why.
 */
import * as fs from 'node:fs';
import { Event, Resume, SignalAction, SyscallAction } from './actions.js';
import type { TraceBackend } from './backend.js';
import { DISPOSITION_BIT, signalDisposition } from './dispositions.js';
import type { Engine } from './engine.js';
import { isGone } from './errors.js';
import { abandonPass, newPass, runPass, type Pass } from './passes.js';
import * as P from './ptrace.js';
import { ResumeMachine, exitStatusOf, isStopSignal, selects } from './resume.js';
import { seccompStop } from './seccomp.js';
import { affinityCall, colocateAfterStep, colocateSyscallExit, colocator } from './colocate.js';
import { loadSysinfo, SyscallCall } from './syscallCall.js';
import type { Task } from './task.js';
import type {
  ActionResult, EngineOps, ExecReport, ExitReport, ExitStatus, SignalReport,
} from './types.js';

const CLONE_VM = 0x100n;
const CLONE_VFORK = 0x4000n;
const CLONE_THREAD = 0x10000n;
const SIGCHLD_FLAG = 17n;
const NR_CLONE3 = 435;

// A StopSink (backend.ts) and a PassHost (passes.ts) by shape: the members those interfaces
// name are internal (stripped from the .d.ts), and a published `implements` would name them.
export abstract class StopMachine extends ResumeMachine {
  private readonly _siginfo = Buffer.alloc(128);

  constructor(backend: TraceBackend) {
    super(backend);
    backend.start(this);
  }

  // ---------------------------------------------------------------- stops

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
      task._sysSkip = false;
      if (mode !== 'all') return this._maybeRestart(task);
      // Engines that declared their calls: one nobody selected gets no pass, nor does its exit
      // (and the number read here asks no info of the exit stop: infoUnused).
      const sel = task._sysSel;
      if (sel !== null && !selects(sel, new SyscallCall(task, true, false).nr)) {
        task._sysSkip = true;
        this._backend.infoUnused?.(task.tid);
        return this._maybeRestart(task);
      }
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
    const skipped = task._sysSkip;
    task._sysSkip = false;
    if (mode === 'none' || (mode === 'seccomp' && !wasSeccomp) || skipped) {
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
    (task._tracer as StopMachine)._reportPass(task, () => task._tracer._maybeRestart(task));
  }

  private static _entryDone(action: number, p: Pass): void {
    const task = p.task;
    const m = task._tracer as StopMachine;
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
      proc._seccompUnnamed = task._proc._seccompUnnamed;
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
}
