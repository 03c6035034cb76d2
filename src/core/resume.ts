/**
 * How a stopped thread leaves its stop: restarted with the request and signal the votes call
 * for (PTRACE_CONT, _SYSCALL, _SINGLESTEP, _LISTEN), held, or detached; and the tables of the
 * processes and threads we trace. StopMachine (stops.ts) says what each stop means and runs its
 * report pass on top of this; Tracer (tracer.ts) adds the public API.
 *
 * The rules are those of docs/engine-contract.md; where user space over ptrace must differ
 * from the kernel's utrace, docs/design.md says how and why.
 */
import { EventEmitter } from 'node:events';
import { SYSCALL_INSN } from '../arch/x86_64/regs.js';
import { SYSCALLS } from '../arch/x86_64/syscalls.gen.js';
import { Event, Resume, SyscallAction } from './actions.js';
import type { TraceBackend } from './backend.js';
import type { Engine } from './engine.js';
import { isGone, UtraceError } from './errors.js';
import { detachedWhileWaited } from './passes.js';
import { ownProcPid, procStatus } from './procfs.js';
import { Process } from './process.js';
import * as P from './ptrace.js';
import { colocateModeFromEnv, colocator, type ColocateMode } from './colocate.js';
import { Task } from './task.js';
import type { ExitStatus } from './types.js';

export const BASE_OPTIONS =
  P.PTRACE_O_TRACESYSGOOD | P.PTRACE_O_TRACEEXEC | P.PTRACE_O_TRACESECCOMP;
export const CLONE_OPTIONS = P.PTRACE_O_TRACECLONE | P.PTRACE_O_TRACEFORK | P.PTRACE_O_TRACEVFORK;
/** How often leaders of attached processes are checked for a silent release (ms). */
const LEADER_CHECK_MS = 1000;

export type SyscallMode = 'none' | 'seccomp' | 'all';

/** The calls a thread's engines want reported, when each declared its own (EngineOps.syscalls). */
export interface SyscallSelection {
  readonly nrs: ReadonlySet<number>;
  /** Numbers the arch's table does not name too (EngineOps.unnamedSyscalls). */
  readonly unnamed: boolean;
}

/** Whether a selection takes call nr. */
export function selects(sel: SyscallSelection, nr: number): boolean {
  return sel.nrs.has(nr) || (sel.unnamed && (nr < 0 || nr >= SYSCALLS.length || SYSCALLS[nr] === undefined));
}

export abstract class ResumeMachine extends EventEmitter {
  /** @internal */ readonly _backend: TraceBackend;
  /** @internal */ _tasks = new Map<number, Task>();
  /** @internal */ protected _procs = new Map<number, Process>();
  /** @internal spawned processes already detached whose exit we still reap */
  protected _watch = new Map<number, Process>();
  /** @internal threads that died during their detach: traced zombies we still reap */
  protected _reaping = new Set<number>();
  /** @internal attach serial of the last engine (engines attached during a pass skip it) */ _serial = 0;
  /** Looks for leaders released without a status (see _checkLeaders) while processes are traced. */
  private _leaderTimer: NodeJS.Timeout | null = null;
  /** @internal co-scheduling (colocate.ts) */ _colocate: ColocateMode = colocateModeFromEnv();

  constructor(backend: TraceBackend) {
    super();
    this._backend = backend;
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
  // ---------------------------------------------------------------- what stops.ts provides

  /** @internal a wait status of one of our threads (stops.ts) */
  abstract _dispatch(tid: number, status: number, silen: number): void;
  /** A REPORT/INTERRUPT (or step-completion) pass, then done. */
  protected abstract _reportPass(task: Task, done: () => void): void;
  /** The syscall-entry pass, again for a thread held at entry and asked for a report. */
  protected abstract _entryPass(task: Task, seccomp: boolean, flags: number): void;
  /** DEATH then REAP reports, engines released, task forgotten. */
  protected abstract _reportGone(task: Task, signal: number, groupDead: boolean, st?: ExitStatus): void;

  // ---------------------------------------------------------------- what engines want

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

  protected _syscallMode(task: Task): SyscallMode {
    return (task._modeCache ??= this._computeSyscallMode(task)) as SyscallMode;
  }

  protected _computeSyscallMode(task: Task): SyscallMode {
    let want = false;
    let declared = true; // every engine's calls stop under the process's seccomp filter
    let nrs: Set<number> | null = new Set();
    let unnamed = false;
    const filter = task._proc._seccomp;
    for (const e of task._engines) {
      if (e._detached || !(e._events & Event.SYSCALL)) continue;
      want = true;
      const own = e.ops.syscalls;
      if (!own) {
        declared = false;
        nrs = null;
        continue;
      }
      if (e.ops.unnamedSyscalls) {
        unnamed = true;
        if (!task._proc._seccompUnnamed) declared = false;
      }
      for (const nr of own) {
        nrs?.add(nr);
        if (!filter?.has(nr)) declared = false;
      }
    }
    // Calls outside every engine's declared set are not reported (without a filter they still
    // stop: the number is read at entry and the exit is not looked at).
    task._sysSel = nrs && { nrs, unnamed };
    if (!want) return 'none';
    return declared && filter ? 'seccomp' : 'all';
  }

  protected _wantsEvent(task: Task, bit: number): boolean {
    for (const e of task._engines) if (!e._detached && e._events & bit) return true;
    return false;
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
      if ((task._stop === 'syscall-entry' && !task._sysSkip) || (task._stop === 'seccomp' && this._syscallMode(task) === 'seccomp')) {
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

  /** @internal a stray child exited (backend.ts): the 'stray-exit' event */
  _strayExit(pid: number, status: number): void {
    this.emit('stray-exit', pid, exitStatusOf(status));
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

export function isStopSignal(sig: number): boolean {
  return sig === P.SIGSTOP || sig === P.SIGTSTP || sig === P.SIGTTIN || sig === P.SIGTTOU;
}

export function exitStatusOf(status: number): ExitStatus {
  if (P.WIFEXITED(status)) return { code: P.WEXITSTATUS(status), signal: null, core: false };
  return { code: null, signal: P.WTERMSIG(status), core: P.WCOREDUMP(status) };
}
