/**
 * The hold / gate / stop-queue protocol: when a traced thread is kept stopped for gdb, who lets
 * it go, and how its stops reach gdb. Everything that holds, releases or reports a thread goes
 * through StopProtocol (one per session); docs/gdb-server.md, "All-stop and non-stop", says
 * the same from gdb's side. How one thread is held and released (a STOP vote or a gate) is its
 * base, ThreadHolds (holds.ts); non-stop's notification sequence is NonStopNotifier
 * (nonstop.ts), which StopProtocol owns and shares its queue with.
 *
 * All-stop (gdb's default), `state`:
 *  - 'stopped': gdb is at its prompt and every thread is held. A resume packet (resume())
 *    marks the threads its actions name `resumed` and releases them: 'running'. Its reply is
 *    deferred (stopWaiter) until a stop is delivered.
 *  - 'running': the first reportable event holds its thread and queues a stop (queueStop):
 *    'stopping'. Every other thread is held (stopAll), then the first valid queued stop is
 *    delivered as the resume's reply (reportNext, deliverStop): 'stopped'. When every thread
 *    is held already, the reply goes out from the very callback that saw the stop.
 *  - Stops that arrive meanwhile stay queued; a later resume of their thread reports the
 *    first of them at once, without running anything. Only a stop of a thread gdb resumed is
 *    reported (reportNext); one of a thread gdb left stopped (scheduler-locking, an inferior
 *    call) waits for a resume of that thread. A queued stop gone stale is dropped: its thread
 *    died, gdb removed the breakpoint it hit (validStop); at a resume also a finished step of
 *    a thread gdb now continues, and a breakpoint hit whose PC gdb moved (moot: reported, either
 *    would be a plain SIGTRAP); a finished step of a thread gdb steps again is its stop. The
 *    PC of a hit is put back on the breakpoint when it is seen, so a dropped hit is hit again
 *    if the breakpoint is still there. When only stale stops were left, the threads gdb
 *    resumed simply go on (reportNext). A range step still in its range when its thread is
 *    asked to stop is held with no stop to report.
 *  - The last thread gdb resumed died (the others are held): gdb hears `N`, no resumed thread
 *    left (threadDied), as from gdbserver.
 *
 * Non-stop (QNonStop:1): only a thread that stopped is held; the others run; resume packets
 * are answered at once and stops go out as `%Stop` notifications (nonstop.ts).
 *
 * Who releases a held thread: the resume packets (resume, NonStopNotifier.resume); reportNext
 * when only stale stops were queued; NonStopNotifier.nextReply for a stale stop of a thread gdb
 * counts as running; the end of our own step over a breakpoint with a false condition
 * (resumeHeldForStepOver); detach and kill in session.ts (holdThreadForce, openGateForDetach,
 * releaseForKill).
 */
import { Resume, ptraceAbi } from '../../api.js';
import type { Process, SignalReport } from '../../api.js';
import {
  DEFERRED, GDB_SIGNAL, NO_RESUMED_REPLY, expeditedRegisters, formatExited, formatKilled, formatTStop, formatThreadExited,
  gdbSignalFromLinux, linuxSignalFromGdb, supports, vContActionFor, type VContAction,
} from './protocol/index.js';
import { DEBUG } from './debug.js';
import { ThreadHolds, killInfo } from './holds.js';
import { isLive, type ExitStop, type Inferior, type StopEvent, type ThreadState, type ThreadStop } from './model.js';
import { NonStopNotifier } from './nonstop.js';
import { coreOf } from './procfs.js';
import { emulateSteps } from './stepping.js';
import type { GdbSession } from './session.js';

const { SIGINT, SI_USER } = ptraceAbi;
/** gdb must get an answer to non-resume packets within its 2 s remote timeout. */
export const QUICK_MS = 1500;
/** How long after the death of the last thread gdb resumed `N` waits for an exit instead. */
const NO_RESUMED_DELAY_MS = 100;

export class StopProtocol extends ThreadHolds {
  /** All-stop: see the header. */
  state: 'stopped' | 'running' | 'stopping' = 'stopped';
  /** Non-stop mode (QNonStop:1): each thread stops and runs on its own; stops go out as
   * `%Stop` notifications, one outstanding at a time, the rest fetched with vStopped. */
  nonStop = false;
  /** Stops not yet told to gdb (and, in non-stop, the notifier's head until gdb acks it).
   * Changed in place only: the notifier holds this very array. */
  private readonly queue: StopEvent[] = [];
  /** Non-stop's notification sequence. */
  private readonly notifier: NonStopNotifier;
  /** All-stop: a ^C that came while nothing ran, told at the next resume (see interrupt). */
  private interruptPending = false;
  /** All-stop resume packets so far (a late decision checks that no new one came). */
  private resumes = 0;
  /** All-stop: sends the reply of the resume packet waiting for a stop. */
  private stopWaiter: ((reply: string) => void) | undefined;
  /** The last stop or exit reply (`?` and vRun/vAttach answer it). */
  lastReply = 'W00';
  lastStop: ThreadStop | undefined;

  constructor(s: GdbSession) {
    super(s);
    this.notifier = new NonStopNotifier(s, this, this.queue);
  }

  dbg(m: string): void {
    if (DEBUG) this.s.debugLog(`[gdb] ${m} (state ${this.state})`);
  }

  // ================================================================ when to hold and release

  /** Threads gdb resumed may run: always in non-stop, only between a resume and the next
   * stop report in all-stop. */
  get running(): boolean {
    return this.nonStop || this.state === 'running';
  }

  /** What a callback votes when it has nothing to report: go on if gdb runs it, else hold.
   * Held too when someone waits for it (holdThread of a thread busy with its own step over
   * sets no stop request: that step over ends here, and the thread stops). */
  proceed(ts: ThreadState): number {
    // Inside our step over a breakpoint (an event on the way, a clone): the step goes on, the
    // breakpoint is lifted until it ends; its end holds the thread if someone waits for that.
    if (ts.stepOver) return Resume.SINGLESTEP;
    if (this.running && ts.resumed && !ts.stopRequested && ts.waiters.length === 0) return this.resumeKind(ts);
    this.markHeld(ts);
    return Resume.STOP;
  }

  /** What a callback votes to report a stop: hold the thread, queue the stop. */
  holdWith(ts: ThreadState, ev: ThreadStop): number {
    this.markHeld(ts);
    this.queueStop(ev);
    return Resume.STOP;
  }

  /** A signal gdb decides on: the thread waits in the gate until release() delivers it or not. */
  holdInGate(ts: ThreadState, rep: SignalReport, ev: ThreadStop): Promise<number> {
    return new Promise<number>((resolve) => {
      ts.gate = resolve;
      ts.gateReport = rep;
      this.markHeld(ts);
      this.queueStop(ev);
    });
  }

  /** After our own step over a breakpoint: the threads held for it go on where gdb runs them. */
  resumeHeldForStepOver(others: ThreadState[]): void {
    if (!this.running) return;
    for (const o of others) {
      // stopRequested is the step over's own holdThread (gdb's stops leave `running`).
      if (o.held && o.resumed && !o.gone && !this.queue.some((e) => e.kind === 'thread' && e.ts === o)) {
        this.release(o, this.resumeKind(o), 0);
      }
    }
  }

  /**
   * The address space of the current thread's process, for the memory packets. Reached
   * through the process, not through a thread paused for it: in non-stop gdb reads and writes
   * memory while every thread runs (`print global`), and a thread paused for that may exit
   * first (threads come and go). A tracer may access a running tracee's memory, and gdbserver
   * does so (/proc/PID/mem).
   */
  memory(): Process {
    return this.s.needThread().inf.proc;
  }

  // ================================================================ the stop queue

  queueStop(ev: StopEvent): void {
    if (DEBUG) this.dbg(`queue ${ev.kind === 'exit' ? `exit ${ev.inf.pid}` : ev.kind === 'texit' ? `thread exit ${ev.ts.tid}` : `${ev.ts.tid} sig ${ev.signal} ${ev.reason?.kind ?? ''}`}`);
    this.queue.push(ev);
    if (this.nonStop) return this.notifier.queued();
    if (this.state === 'running') {
      this.state = 'stopping';
      // Every thread held already (one thread, or all stopped at once): report now, in this
      // very callback, rather than a promise turn later.
      if (this.queue.length === 1 && this.validStop(ev) && this.allHeld()) return this.reportNext();
      void this.stopAll().then(() => this.reportNext(), (e) => this.s.log(`stop: ${String(e)}`));
    }
  }

  /** Is a stop for this thread queued and not yet told to gdb? */
  hasQueued(ts: ThreadState): boolean {
    for (const ev of this.queue) if (ev.kind === 'thread' && ev.ts === ts && ev !== this.notifier.head) return true;
    return false;
  }

  /** Drop queued events (never the one gdb is about to ack with vStopped). */
  filterQueue(keep: (ev: StopEvent) => boolean): void {
    const head = this.notifier.head;
    retain(this.queue, (ev) => ev === head || keep(ev));
  }

  /** Is a queued stop still worth telling gdb (its thread alive, its breakpoint still in)? */
  validStop(ev: StopEvent): boolean {
    if (ev.kind === 'exit') return true;
    if (ev.kind === 'texit') return !ev.ts.inf.gone;
    const ts = ev.ts;
    if (!isLive(ts) || ts.inf.gone) return false;
    // gdb pulled the breakpoint out before hearing of the hit: the PC is already back on it,
    // so the instruction simply runs again (gdbserver "discarding pending breakpoint status").
    if (ev.bpAddr !== undefined && !ts.inf.swbps.has(ev.bpAddr)) return false;
    return true;
  }

  /**
   * All-stop, at a resume: a queued stop that gdb's time at the prompt made moot (as
   * gdbserver and gdb's own native target judge their pending statuses). Reported, either
   * would be a plain SIGTRAP to gdb, a few bytes past a breakpoint (issue 15):
   *  - a finished step of a thread gdb continues (or range-steps, the PC still in the range):
   *    gdb gave up that step when it heard of another thread's stop; the thread just goes on
   *    as now asked. Stepped again (s, or r with the PC out of the range), the finished step is
   *    the stop, as gdbserver reports it: a second step would run one more instruction than
   *    gdb asked for (a displaced step of a `call` then also ran the callee's first
   *    instruction, and gdb's fix-up of the return address corrupted the saved frame
   *    pointer instead: a SIGSEGV later, gdb.threads/next-fork-other-thread);
   *  - a breakpoint hit whose PC gdb moved (jump, an inferior call): the thread goes on from
   *    there. (A hit of a breakpoint gdb removed is validStop's.)
   */
  private moot(ev: StopEvent, go: { ts: ThreadState; action: VContAction }[]): boolean {
    if (ev.kind !== 'thread') return false;
    const ts = ev.ts;
    if (ev.step) {
      const a = go.find((r) => r.ts === ts)?.action;
      if (!a) return false;
      if (a.action === 'c' || a.action === 'C') return true;
      if (a.action !== 'r') return false;
      try {
        const pc = ts.task.regs().pc;
        return pc >= a.start! && pc < a.end!;
      } catch {
        return true; // dead meanwhile
      }
    }
    if (ev.bpAddr === undefined) return false;
    try {
      return ts.task.regs().pc !== ev.bpAddr;
    } catch {
      return true; // dead meanwhile
    }
  }

  /** Everything is held: send the first valid queued stop of a thread gdb resumed. */
  private reportNext(): void {
    for (let i = 0; i < this.queue.length; ) {
      const ev = this.queue[i]!;
      if (!this.validStop(ev)) {
        this.queue.splice(i, 1);
        continue;
      }
      // A stop of a thread gdb did not resume (scheduler-locking, an inferior call in one
      // thread): gdb expects none from it now; it waits until gdb resumes the thread.
      if (ev.kind === 'thread' && !ev.ts.resumed) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.deliverStop(ev);
      return;
    }
    // Nothing to say (stale events only, or of threads gdb did not resume): carry on as gdb asked.
    this.state = 'running';
    for (const ts of this.s.allThreads()) {
      if (ts.resumed && ts.held) this.release(ts, this.resumeKind(ts), 0);
    }
  }

  /** All-stop: tell gdb of one stop (the reply of its resume packet); gdb is at its prompt. */
  private deliverStop(ev: StopEvent): void {
    if (DEBUG) this.dbg(`deliver ${ev.kind}`);
    let reply: string;
    if (ev.kind === 'exit') {
      reply = this.exitReply(ev);
      this.lastStop = undefined;
    } else if (ev.kind === 'texit') {
      reply = formatThreadExited(ev.code, ev.ts.id, this.s.multiprocess);
    } else {
      reply = this.stopReply(ev.ts, ev);
      if (ev.siginfo) ev.ts.siginfo = ev.siginfo;
      this.s.gThread = ev.ts;
      this.lastStop = ev.ts.lastStop = ev;
    }
    for (const ts of this.s.allThreads()) {
      ts.resumed = false;
      ts.stepping = false;
      ts.range = undefined;
    }
    this.state = 'stopped';
    this.lastReply = reply;
    const w = this.stopWaiter;
    this.stopWaiter = undefined;
    w?.(reply);
  }

  /** The process ended: its threads are gone, and its exit is queued (after their `w`). */
  processExited(inf: Inferior, code: number | null, signal: number | null): void {
    if (inf.gone) return;
    for (const ts of inf.threads.values()) this.markGone(ts);
    // Its threads' stops are moot; their exits (`w`) still go out, before the `W`.
    this.filterQueue((e) => e.kind !== 'thread' || e.ts.inf !== inf);
    this.queueStop({ kind: 'exit', inf, code, signal });
  }

  /**
   * All-stop: a thread gdb resumed died, its process living on. With no thread gdb resumed
   * left, no stop can come: gdb hears `N` (no resumed threads; its no-resumed feature), as
   * from gdbserver, instead of waiting for ever (a thread run alone with scheduler-locking
   * that exits). The other threads are held already: gdb did not resume them. Decided a
   * little later: a thread killed by another's exit_group may be reaped before the exit stop
   * of the thread that called it is seen, and then the process's exit is the answer.
   */
  threadDied(ts: ThreadState): void {
    if (this.nonStop || this.state !== 'running' || !ts.resumed) return;
    ts.resumed = false;
    if (!this.noneResumed() || !supports(this.s.q, 'no-resumed')) return;
    const resumes = this.resumes;
    setTimeout(() => {
      if (this.state !== 'running' || this.resumes !== resumes || !this.noneResumed()) return;
      if (DEBUG) this.dbg(`no resumed thread left (${ts.tid} died)`);
      for (const t of this.s.allThreads()) {
        t.stepping = false;
        t.range = undefined;
      }
      this.state = 'stopped';
      const w = this.stopWaiter;
      this.stopWaiter = undefined;
      w?.(NO_RESUMED_REPLY);
    }, NO_RESUMED_DELAY_MS).unref(); // a server with nothing else to do must not wait for it
  }

  /**
   * A leader's exit stop: it goes on to its exit (a zombie until the process ends, when it
   * left early with pthread_exit), never held: gdb no longer lists it (isLive), so nothing
   * would release it. Whoever waits for it to stop stops waiting. For gdb it died now: with
   * no other resumed thread left, `N` (threadDied; an exit_group's exit comes first).
   */
  leaderExited(ts: ThreadState): void {
    ts.stopRequested = false;
    const w = ts.waiters;
    ts.waiters = [];
    for (const f of w) f();
    this.threadDied(ts);
  }

  /** No thread that gdb resumed is alive (exiting counts as alive: its exit is coming). */
  private noneResumed(): boolean {
    for (const inf of this.s.inferiors.values()) {
      if (inf.gone) continue;
      for (const t of inf.threads.values()) if (t.resumed && !t.gone && t.task.state !== 'dead') return false;
    }
    return true;
  }

  /** The client went away: the resume waiting for a stop gets no reply. */
  dropStopWaiter(): void {
    const w = this.stopWaiter;
    this.stopWaiter = undefined;
    w?.('');
  }

  // ================================================================ stop replies

  /** The stop a new or attached process starts with (vRun, vAttach, `?`). */
  initialStop(ev: ThreadStop): void {
    this.interruptPending = false; // a new process hears nothing of an older one's ^C
    this.lastStop = ev;
    this.lastReply = this.stopReply(ev.ts, ev);
  }

  /** `?`. */
  status(): string {
    if (this.nonStop) return this.notifier.status();
    // Formatted now: qSupported (multiprocess) may have come after the stop.
    if (this.lastStop && !this.lastStop.ts.gone && this.state === 'stopped') return this.stopReply(this.lastStop.ts, this.lastStop);
    return this.lastReply;
  }

  /** The reply that tells gdb of a process exit (forgetting the process). */
  exitReply(ev: ExitStop): string {
    const inf = ev.inf;
    this.s.forget(inf);
    if (ev.signal !== null) {
      this.s.log(`\nChild terminated with signal = ${ev.signal}`);
      return formatKilled(gdbSignalFromLinux(ev.signal), inf.pid, this.s.multiprocess);
    }
    this.s.log(`\nChild exited with status ${ev.code ?? 0}`);
    return formatExited(ev.code ?? 0, inf.pid, this.s.multiprocess);
  }

  /** The `T` reply that tells gdb of a thread's stop. */
  stopReply(ts: ThreadState, ev: ThreadStop): string {
    let registers: Array<[number, string]> = [];
    try {
      registers = expeditedRegisters(ts.task.regs().buf);
    } catch {
      /* dead meanwhile: gdb reads what it needs */
    }
    let reason = ev.reason;
    if (reason?.kind === 'swbreak' && !supports(this.s.q, 'swbreak')) reason = undefined;
    if (reason?.kind === 'hwbreak' && !supports(this.s.q, 'hwbreak')) reason = undefined;
    if (reason?.kind === 'fork' || reason?.kind === 'vfork') {
      const child = this.s.inferiors.get(reason.child.pid);
      if (child) child.forkParent = undefined;
    }
    const core = ev.emulated && ts.lastCore !== undefined ? ts.lastCore : coreOf(ts);
    return formatTStop({ signal: ev.signal, reason, registers, thread: ts.id, core }, this.s.multiprocess);
  }

  // ================================================================ non-stop (nonstop.ts)

  /** vStopped (non-stop): gdb took the last `%Stop`; the next one, or OK. */
  vStopped(): string {
    return this.notifier.vStopped();
  }

  /** QNonStop:1 (enter non-stop) and QNonStop:0 (back to all-stop; every thread is stopped
   * first: gdb sends it on every connect, when nothing runs). */
  setNonStop(on: boolean): string | Promise<string> {
    if (on) {
      this.nonStop = true;
      this.state = 'stopped';
      return 'OK';
    }
    if (!this.nonStop) return 'OK';
    this.nonStop = false;
    this.notifier.reset();
    retain(this.queue, (ev) => ev.kind !== 'texit');
    this.state = 'stopping';
    return withTimeout(this.stopAll(), 'threads did not stop').then(() => {
      for (const ts of this.s.allThreads()) {
        ts.resumed = false;
        ts.stepping = false;
        ts.range = undefined;
      }
      this.state = 'stopped';
      return 'OK';
    });
  }

  // ================================================================ resuming and interrupting

  /** vCont (and the legacy c/s/C/S): all-stop replies once a stop is delivered (DEFERRED). */
  resume(actions: VContAction[]): string | typeof DEFERRED {
    if (this.nonStop) return this.notifier.resume(actions);
    this.resumes++;
    const threads = this.s.allThreads();
    // No thread left: the exit of a process whose threads all died (killed from outside while
    // gdb was at its prompt) is queued or on its way, and is the answer.
    const exitComing = threads.length === 0 && [...this.s.inferiors.values()].some((inf) => !inf.gone && !inf.forkParent);
    if (threads.length === 0 && !exitComing) return this.lastReply.startsWith('W') || this.lastReply.startsWith('X') ? this.lastReply : 'W00';
    // Once per resume packet (two per breakpoint hit with host-side conditions): plain loops.
    const go: { ts: ThreadState; action: VContAction }[] = [];
    for (const ts of threads) {
      const action = vContActionFor(actions, ts.inf.pid, ts.tid, true);
      if (action) go.push({ ts, action });
    }
    // A thread held at a syscall exit told as vforkdone, continued while gdb catches that
    // syscall: its return is the stop (gdbserver's thread, under PTRACE_SYSCALL, stops there).
    for (const { ts, action } of go) {
      const nr = ts.atSyscallExit;
      ts.atSyscallExit = undefined;
      if (nr === undefined) continue;
      if ((action.action === 'c' || action.action === 'C') && this.s.catchesSyscall(nr)) {
        this.queue.push({ kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason: { kind: 'syscall_return', syscall: nr } });
      } else if (action.signal === undefined && (action.action === 's' || action.action === 'r')) {
        // Stepped: gdbserver's thread, stopped in the kernel at PTRACE_EVENT_VFORK_DONE, ends
        // that step on the way out, right after the syscall instruction, which is where ours
        // already is (a real step from the exit stop would run one instruction more). A range
        // step still in its range goes on (moot() drops this stop).
        this.queue.push({ kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, step: true });
      }
    }
    // A ^C that came while nothing ran stops the program now, before it runs (interrupt).
    if (this.interruptPending && go.length > 0) {
      this.interruptPending = false;
      const g = this.s.gThread;
      const ts = go.find((r) => r.ts === g)?.ts ?? go[0]!.ts;
      this.queue.push({ kind: 'thread', ts, signal: GDB_SIGNAL.INT, siginfo: killInfo(SIGINT, SI_USER) });
    }
    // Stops already queued for threads gdb resumes are reported without running anything,
    // unless moot by now (see moot()).
    let pending = -1;
    if (this.queue.length > 0) {
      retain(this.queue, (ev) => this.validStop(ev) && !this.moot(ev, go));
      pending = this.queue.findIndex((ev) => ev.kind === 'exit' || go.some((r) => r.ts === ev.ts));
    }
    // The stop reply goes out from deliverStop itself, at once (often from inside the drain
    // that saw the stop), and ends the connection's turn there too.
    const conn = this.s.conn;
    const waiter = (r: string): void => {
      if (r !== '') conn?.send(r);
      conn?.complete();
    };
    if (pending >= 0) {
      // Nothing runs: a signal gdb gave a thread (vCont;C) waits for its next resume, as
      // gdbserver queues it with the thread (else a signal that stopped it would be lost).
      for (const { ts, action } of go) {
        const sig = action.signal !== undefined ? linuxSignalFromGdb(action.signal) ?? 0 : 0;
        if (sig) ts.deferredSig = sig;
      }
      const [ev] = this.queue.splice(pending, 1);
      this.stopWaiter = waiter;
      this.deliverStop(ev!);
      return DEFERRED;
    }
    if (exitComing) {
      this.stopWaiter = waiter;
      this.state = 'running'; // the exit's queueStop reports it
      return DEFERRED;
    }
    if (go.length === 0) return 'E01';
    this.stopWaiter = waiter;
    // One thread stepped and nothing else resumed: what the core can emulate is executed
    // without running the thread (no trap, no context switch) and the stop told at once.
    if (go.length === 1 && emulateSteps(go[0]!.ts, go[0]!.action)) {
      const ts = go[0]!.ts;
      ts.siginfo = undefined; // as after a real step
      this.deliverStop({ kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, emulated: true });
      return DEFERRED;
    }
    for (const { ts, action } of go) {
      const a = action!;
      ts.resumed = true;
      ts.stepping = a.action === 's' || a.action === 'S' || a.action === 'r';
      ts.range = a.action === 'r' ? { start: a.start!, end: a.end! } : undefined;
    }
    this.state = 'running';
    for (const { ts, action } of go) {
      const a = action!;
      const sig = a.signal !== undefined ? linuxSignalFromGdb(a.signal) ?? 0 : 0;
      this.release(ts, this.resumeKind(ts), sig);
    }
    return DEFERRED;
  }

  /**
   * Interrupt (0x03, vCtrlC): stop everything and report SIGINT on the current thread (in
   * non-stop, NonStopNotifier.interrupt: one running thread).
   * All-stop, when nothing runs (a stop is being reported, or was just sent): gdb sends its
   * 0x03 when the user presses ^C while it waits for a reply, and that reply may be on its
   * way already (a step of a software watchpoint, a breakpoint whose commands continue). The
   * SIGINT is told at the next resume instead of being lost, as gdbserver's (a kill of the
   * process group) stays pending until the program runs again.
   */
  interrupt(): void {
    if (this.nonStop) return this.notifier.interrupt();
    const info = killInfo(SIGINT, SI_USER);
    const g = this.s.gThread;
    if (this.state !== 'running') {
      if (this.s.allThreads().length > 0) this.interruptPending = true;
      return;
    }
    // A thread gdb resumed (reportNext reports no other).
    const ts = (g && !g.gone && g.resumed ? g : undefined) ?? this.s.allThreads().find((t) => t.resumed) ?? this.s.allThreads()[0];
    if (!ts) return;
    const ev: ThreadStop = { kind: 'thread', ts, signal: GDB_SIGNAL.INT };
    void this.holdThread(ts).then(() => {
      ts.siginfo = info;
    });
    this.queueStop(ev);
  }
}

/** p, or a rejection with `what` after ms. */
export function withTimeout<T>(p: Promise<T>, what: string, ms = QUICK_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(what)), ms);
    p.then((v) => {
      clearTimeout(t);
      resolve(v);
    }, (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

/** Keep the elements `keep` accepts, in place (the queue is shared with the notifier). */
function retain<T>(a: T[], keep: (x: T) => boolean): void {
  let n = 0;
  for (const x of a) if (keep(x)) a[n++] = x;
  a.length = n;
}
