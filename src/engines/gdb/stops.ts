/**
 * The hold / gate / stop-queue protocol: when a traced thread is kept stopped for gdb, who lets
 * it go, and how its stops reach gdb. Everything that holds, releases or reports a thread goes
 * through StopProtocol (one per session); docs/gdb-server.md, "All-stop and non-stop", says
 * the same from gdb's side.
 *
 * Held. A thread is held (ThreadState.held) while our engine keeps it stopped, in one of two
 * ways:
 *  - a STOP vote: a callback returns Resume.STOP (proceed, holdWith), or holdThread asks the
 *    core with engine.control(Resume.STOP) and waits for engine.stopped(); release() lets it
 *    go with engine.control(RESUME or SINGLESTEP), synchronously;
 *  - a gate: a real signal gdb has to decide on holds the thread inside its reportSignal
 *    callback, whose vote is a promise (ThreadState.gate); release() resolves it, delivering
 *    the signal gdb chose (vCont;C) or none.
 * Our own traps (breakpoint, watchpoint, step) take the STOP vote, never a gate, so a resume
 * packet releases them without a promise turn.
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
 *    would be a plain SIGTRAP); a finished step of a thread gdb steps again is its stop. The PC of a hit is put back on the breakpoint when it is seen,
 *    so a dropped hit is hit again if the breakpoint is still there. When only stale stops
 *    were left, the threads gdb resumed simply go on (reportNext). A range step still in its
 *    range when its thread is asked to stop is held with no stop to report.
 *  - The last thread gdb resumed died (the others are held): gdb hears `N`, no resumed thread
 *    left (threadDied), as from gdbserver.
 *
 * Non-stop (QNonStop:1): only a thread that stopped is held; the others run. Resume packets
 * are answered OK at once (resumeNonStop). Queued stops go out as `%Stop` notifications, one
 * at a time: the one sent is notifHead until gdb acks it with vStopped, which is answered with
 * the next queued stop, or OK when none is left. `?` restarts that sequence with every
 * stopped thread (nonStopStatus).
 *
 * Who releases a held thread: the resume packets (resume, resumeNonStop); reportNext when only
 * stale stops were queued; nextNonStopReply for a stale stop of a thread gdb counts as running;
 * the end of our own step over a breakpoint with a false condition (resumeHeldForStepOver);
 * withMemory, for a running thread it paused (non-stop); detach and kill in session.ts
 * (holdThreadForce, openGateForDetach, releaseForKill).
 */
import { Resume, SI_TKILL, SignalAction, isGone, ptraceAbi } from '../../api.js';
import type { SignalReport } from '../../api.js';
import {
  DEFERRED, GDB_SIGNAL, NO_RESUMED_REPLY, expeditedRegisters, formatExited, formatKilled, formatTStop, formatThreadExited,
  gdbSignalFromLinux, linuxSignalFromGdb, resolveVCont, supports, vContActionFor, type VContAction,
} from './protocol/index.js';
import { isLive, type ExitStop, type Inferior, type StopEvent, type ThreadState, type ThreadStop } from './model.js';
import { closeStat, coreOf, exitedOnProc, readProc } from './procfs.js';
import { emulateSteps } from './stepping.js';
import type { GdbSession } from './session.js';

const { SIGINT, SIGSTOP, SIGTRAP, SI_USER } = ptraceAbi;
/** gdb must get an answer to non-resume packets within its 2 s remote timeout. */
export const QUICK_MS = 1500;
/** How often a memory access waiting for a thread to stop checks whether it exited instead. */
const EXIT_POLL_MS = 20;
export let DEBUG = !!process.env['UTRACE_GDB_DEBUG'];
/** --debug, `monitor set debug 1|0` (UTRACE_GDB_DEBUG keeps it on). */
export function setGdbDebug(on: boolean): void {
  DEBUG = on || !!process.env['UTRACE_GDB_DEBUG'];
}
/** How long after the death of the last thread gdb resumed `N` waits for an exit instead. */
const NO_RESUMED_DELAY_MS = 100;

export type ResumeKind = Resume.RESUME | Resume.SINGLESTEP;

export class StopProtocol {
  /** All-stop: see the header. */
  state: 'stopped' | 'running' | 'stopping' = 'stopped';
  /** Non-stop mode (QNonStop:1): each thread stops and runs on its own; stops go out as
   * `%Stop` notifications, one outstanding at a time, the rest fetched with vStopped. */
  nonStop = false;
  /** Stops not yet told to gdb (and, in non-stop, notifHead until gdb acks it). */
  private queue: StopEvent[] = [];
  /** Non-stop: the stop sent last (as `%Stop` or as a vStopped reply), not yet acked. */
  private notifHead: StopEvent | undefined;
  /** Non-stop: a notification sequence is open (until a vStopped is answered OK). */
  private notifPending = false;
  /** All-stop resume packets so far (a late decision checks that no new one came). */
  private resumes = 0;
  /** All-stop: sends the reply of the resume packet waiting for a stop. */
  private stopWaiter: ((reply: string) => void) | undefined;
  /** The last stop or exit reply (`?` and vRun/vAttach answer it). */
  lastReply = 'W00';
  lastStop: ThreadStop | undefined;

  constructor(private readonly s: GdbSession) {}

  dbg(m: string): void {
    if (DEBUG) this.s.debugLog(`[gdb] ${m} (state ${this.state})`);
  }

  // ================================================================ holding and releasing

  markHeld(ts: ThreadState): void {
    ts.held = true;
    const w = ts.waiters;
    ts.waiters = [];
    for (const f of w) f();
  }

  markGone(ts: ThreadState): void {
    ts.gone = true;
    ts.held = false;
    closeStat(ts);
    const w = ts.waiters;
    ts.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once the thread is held by us (or gone). */
  holdThread(ts: ThreadState): Promise<void> {
    if (ts.held || !isLive(ts) || ts.engine.detached) return Promise.resolve();
    // Still in the report whose gate release() opened: a STOP now would count as held at once
    // and then be overridden by the gate's vote, the thread running on while reported stopped
    // (a T00 for vCont;t, then its breakpoint hit: two stops of one thread for gdb).
    if (ts.voting) return ts.voting.then(() => this.holdThread(ts));
    return new Promise((resolve) => {
      ts.waiters.push(resolve);
      if (ts.stopRequested || ts.busy) return;
      ts.stopRequested = true;
      const gen = ts.gen;
      try {
        if (ts.engine.control(Resume.STOP) === undefined) return this.markHeld(ts);
        ts.engine.stopped().then(
          () => {
            if (ts.gen === gen && !ts.held) this.markHeld(ts);
          },
          () => this.markGone(ts),
        );
      } catch {
        this.markGone(ts);
      }
    });
  }

  /** holdThread, even while the thread steps over a breakpoint on its own (detach). */
  holdThreadForce(ts: ThreadState): Promise<void> {
    ts.busy = false;
    return this.holdThread(ts);
  }

  /** A new fork child, stopped at its first stop and held there until gdb resumes it. */
  holdForkChild(cts: ThreadState): void {
    cts.stopRequested = true;
    const gen = cts.gen;
    if (cts.engine.control(Resume.STOP) === undefined) this.markHeld(cts);
    else cts.engine.stopped().then(() => cts.gen === gen && this.markHeld(cts), () => this.markGone(cts));
  }

  /** Detach: a thread waiting in its gate goes on, with the real signal gdb has not seen
   * consumed handed back (our own traps dropped). Resolves once its vote is applied. */
  openGateForDetach(ts: ThreadState): Promise<void> {
    const rep = ts.gateReport!;
    const keep = rep.signo !== SIGTRAP && rep.signo !== SIGINT;
    ts.gate!(Resume.RESUME | (keep ? SignalAction.DELIVER : SignalAction.IGN));
    ts.gate = undefined;
    return ts.engine.barrier();
  }

  /** Kill (the SIGKILL is sent): every thread of the process goes on to its death, gates
   * opened with nothing delivered. */
  releaseForKill(inf: Inferior): void {
    for (const ts of inf.threads.values()) {
      if (ts.gate) {
        ts.gate(Resume.RESUME | SignalAction.IGN);
        ts.gate = undefined;
      } else {
        try {
          ts.engine.control(Resume.RESUME);
        } catch {
          /* dead */
        }
      }
    }
  }

  /** Let a held thread go: continue or step, delivering a Linux signal if given. */
  release(ts: ThreadState, kind: ResumeKind, sig: number): void {
    if (DEBUG) this.dbg(`release ${ts.tid} kind ${kind} sig ${sig} gate ${!!ts.gate} core-state ${ts.task.state}`);
    const deferred = ts.deferredSig;
    ts.deferredSig = 0;
    if (deferred && !sig) sig = deferred;
    else if (deferred && deferred !== sig) {
      try {
        ts.task.signal(deferred); // two signals for it: the other is sent again, gdb hears of it
      } catch {
        /* dead */
      }
    }
    ts.held = false;
    ts.gen++;
    ts.stopRequested = false;
    ts.siginfo = undefined;
    ts.atSyscallExit = undefined;
    const e = ts.engine;
    if (e.detached) return;
    if (ts.gate) {
      const gate = ts.gate;
      const rep = ts.gateReport!;
      ts.gate = undefined;
      ts.gateReport = undefined;
      try {
        e.control(Resume.RESUME); // drops a STOP requested while it sat in the gate
      } catch {
        /* dead */
      }
      if (sig) rep.signo = sig;
      gate(kind | (sig ? SignalAction.DELIVER : SignalAction.IGN));
      const voting: Promise<void> = e.barrier().then(() => {
        if (ts.voting === voting) ts.voting = undefined;
      });
      ts.voting = voting;
      return;
    }
    try {
      if (sig) {
        // Not at a signal-delivery stop: queue it, and let it through when it arrives.
        ts.injectSig = sig;
        ts.task.signal(sig);
      }
      e.control(kind);
    } catch {
      /* dead: its death is reported separately */
    }
  }

  resumeKind(ts: ThreadState): ResumeKind {
    return ts.stepping ? Resume.SINGLESTEP : Resume.RESUME;
  }

  /** Threads gdb resumed may run: always in non-stop, only between a resume and the next
   * stop report in all-stop. */
  get running(): boolean {
    return this.nonStop || this.state === 'running';
  }

  /** What a callback votes when it has nothing to report: go on if gdb runs it, else hold.
   * Held too when someone waits for it (holdThread of a thread busy with its own step over
   * sets no stop request: that step over ends here, and the thread stops). */
  proceed(ts: ThreadState): number {
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

  async stopAll(): Promise<void> {
    for (;;) {
      const pending = this.s.allThreads().filter((t) => !t.held);
      if (pending.length === 0) return;
      const t = DEBUG ? setTimeout(() => this.dbg(`stopAll waiting for ${pending.filter((x) => !x.held && !x.gone).map((x) => `${x.tid}:${x.task.state}:${x.stopRequested}:${x.busy}:${(readProc(`/proc/${x.inf.pid}/task/${x.tid}/stat`)?.toString() ?? "none").split(") ")[1]?.slice(0, 2)}`).join(' ')}`), 1000) : undefined;
      await Promise.all(pending.map((t) => this.holdThread(t)));
      if (t) clearTimeout(t);
    }
  }

  private allHeld(): boolean {
    for (const inf of this.s.inferiors.values()) {
      if (inf.gone) continue;
      for (const t of inf.threads.values()) if (!t.held && isLive(t)) return false;
    }
    return true;
  }

  /**
   * Run a memory access of the current process through a thread the core lets us use: the
   * current thread when held, else another held thread of the process (they share the
   * address space). In non-stop gdb also reads memory while the selected thread runs
   * (`print global`); when every thread runs, the current one is paused for the access.
   */
  withMemory<T>(fn: (ts: ThreadState) => T, tries = 10, avoid = new Set<ThreadState>()): T | Promise<T> {
    const cur = this.s.needThread();
    // Every thread of the process reaches its memory, so any stopped one will do; one that
    // died since gdb chose it (threads come and go in non-stop) would fail with ESRCH.
    const stopped = [cur, ...cur.inf.threads.values()].filter((o) => o.held && isLive(o));
    for (const o of stopped) {
      try {
        return fn(o);
      } catch (e) {
        if (!isGone(e)) throw e;
      }
    }
    // Not one that /proc shows exited already: the core may still be behind with its exit.
    const usable = (o: ThreadState): boolean => isLive(o) && !avoid.has(o) && !exitedOnProc(o);
    const ts = usable(cur) ? cur : ([...cur.inf.threads.values()].find(usable) ?? cur);
    if (ts.held || !isLive(ts)) return fn(ts);
    if (DEBUG) this.dbg(`hold ${ts.tid} for a memory access`);
    // It exited instead of stopping (gone, or not yet heard of: its exit waits its turn among
    // the tracer's events): another thread of the process, paused in turn. In a program whose
    // threads keep exiting, a few may go the same way.
    const another = (why: string): T | Promise<T> => {
      if (DEBUG) this.dbg(`memory access through ${ts.tid}: ${why}`);
      avoid.add(ts);
      if (tries > 0) return this.withMemory(fn, tries - 1, avoid);
      throw new Error(`no thread of process ${ts.inf.pid} stopped for a memory access (${why})`);
    };
    return this.holdOrExit(ts).then((held) => {
      if (!held) return another('exited');
      try {
        return fn(ts);
      } catch (e) {
        if (isGone(e)) return another(e instanceof Error ? e.message : String(e));
        throw e;
      } finally {
        if (this.nonStop && ts.resumed && ts.held && !ts.tStop && !this.hasQueued(ts)) this.release(ts, this.resumeKind(ts), 0);
      }
    });
  }

  /** holdThread for a memory access: true once held, false as soon as /proc shows the thread
   * exited (the core may hear of its exit much later, in a program with many threads);
   * rejects when it neither stops nor exits within QUICK_MS. */
  private holdOrExit(ts: ThreadState): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const poll = setInterval(() => {
        if (exitedOnProc(ts)) finish(false);
      }, EXIT_POLL_MS);
      const timer = setTimeout(() => finish(new Error(`thread ${ts.tid} did not stop for a memory access`)), QUICK_MS);
      const finish = (r: boolean | Error): void => {
        clearInterval(poll);
        clearTimeout(timer);
        if (r instanceof Error) reject(r);
        else resolve(r);
      };
      void this.holdThread(ts).then(() => finish(ts.held));
    });
  }

  // ================================================================ the stop queue

  queueStop(ev: StopEvent): void {
    if (DEBUG) this.dbg(`queue ${ev.kind === 'exit' ? `exit ${ev.inf.pid}` : ev.kind === 'texit' ? `thread exit ${ev.ts.tid}` : `${ev.ts.tid} sig ${ev.signal} ${ev.reason?.kind ?? ''}`}`);
    this.queue.push(ev);
    if (this.nonStop) {
      // One notification at a time; later stops wait for gdb's vStopped. Sent after the
      // reply of the packet being handled (a vCont;t of a held thread queues at once).
      if (!this.notifPending) {
        this.notifPending = true;
        queueMicrotask(() => this.sendNotification());
      }
      return;
    }
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
    for (const ev of this.queue) if (ev.kind === 'thread' && ev.ts === ts && ev !== this.notifHead) return true;
    return false;
  }

  /**
   * Non-stop: does gdb still have to take (vStopped) a stop of this thread, or the fork event
   * that made its process? Its resume is ignored then, as gdbserver ignores it for a thread in
   * its notification queue, the one sent and not yet acked included: gdb resumes every thread
   * it counts as running with a wildcard (`vCont;c`) before it has read the `%Stop` of one that
   * stopped, and a fork child run that way exits before gdb's detach (gdb: "Can't detach
   * process.") or stops again with a second stop for a thread gdb was told of once.
   */
  private untold(ts: ThreadState): boolean {
    for (const ev of this.queue) {
      if (ev.kind !== 'thread') continue;
      if (ev.ts === ts) return true;
      const r = ev.reason;
      if ((r?.kind === 'fork' || r?.kind === 'vfork') && r.child.pid === ts.inf.pid) return true;
    }
    return false;
  }

  /** Drop queued events (never the one gdb is about to ack with vStopped). */
  filterQueue(keep: (ev: StopEvent) => boolean): void {
    this.queue = this.queue.filter((ev) => ev === this.notifHead || keep(ev));
  }

  private validStop(ev: StopEvent): boolean {
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
    }, NO_RESUMED_DELAY_MS);
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
    this.lastStop = ev;
    this.lastReply = this.stopReply(ev.ts, ev);
  }

  /** `?`. */
  status(): string {
    if (this.nonStop) return this.nonStopStatus();
    // Formatted now: qSupported (multiprocess) may have come after the stop.
    if (this.lastStop && !this.lastStop.ts.gone && this.state === 'stopped') return this.stopReply(this.lastStop.ts, this.lastStop);
    return this.lastReply;
  }

  private exitReply(ev: ExitStop): string {
    const inf = ev.inf;
    this.s.forget(inf);
    if (ev.signal !== null) {
      this.s.log(`\nChild terminated with signal = ${ev.signal}`);
      return formatKilled(gdbSignalFromLinux(ev.signal), inf.pid, this.s.multiprocess);
    }
    this.s.log(`\nChild exited with status ${ev.code ?? 0}`);
    return formatExited(ev.code ?? 0, inf.pid, this.s.multiprocess);
  }

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

  // ================================================================ non-stop notifications

  /** Format the first valid queued stop for gdb (it stays queued until acked). */
  private nextNonStopReply(): string | undefined {
    while (this.queue.length) {
      const ev = this.queue[0]!;
      if (!this.validStop(ev)) {
        this.queue.shift();
        // A stale stop (say, a hit of a breakpoint gdb removed meanwhile): gdb still counts
        // the thread as running, so it runs again.
        if (ev.kind === 'thread' && ev.ts.resumed && ev.ts.held && !ev.ts.gone && !this.hasQueued(ev.ts)) {
          this.release(ev.ts, this.resumeKind(ev.ts), 0);
        }
        continue;
      }
      this.notifHead = ev;
      if (ev.kind === 'exit') return this.exitReply(ev);
      if (ev.kind === 'texit') return formatThreadExited(ev.code, ev.ts.id, this.s.multiprocess);
      const ts = ev.ts;
      ts.resumed = false;
      ts.stepping = false;
      ts.range = undefined;
      ts.lastStop = ev;
      return this.stopReply(ts, ev);
    }
    this.notifHead = undefined;
    return undefined;
  }

  private sendNotification(): void {
    const reply = this.nextNonStopReply();
    if (reply === undefined) {
      this.notifPending = false;
      return;
    }
    this.dbg(`%Stop:${reply.slice(0, 40)}`);
    this.s.conn?.sendNotification('Stop', reply);
  }

  /** vStopped: gdb took the last stop; answer the next one, or OK when none is left. */
  vStopped(): string {
    if (this.notifHead) {
      const i = this.queue.indexOf(this.notifHead);
      if (i >= 0) this.queue.splice(i, 1);
      this.notifHead = undefined;
    }
    const reply = this.nextNonStopReply();
    if (reply !== undefined) return reply;
    this.notifPending = false;
    return 'OK';
  }

  /** `?` in non-stop: a stop for every thread gdb may see stopped, the first one now, the
   * rest through vStopped (OK when nothing is stopped), as gdbserver's handle_status. */
  private nonStopStatus(): string {
    const fresh: StopEvent[] = [];
    for (const ts of this.s.allThreads()) {
      if (ts.resumed || !ts.held) continue;
      const last = ts.lastStop;
      fresh.push(last ? { ...last, ts } : { kind: 'thread', ts, signal: GDB_SIGNAL.NONE });
    }
    // Stops of threads gdb still counts as running follow (they were never told).
    const pending = this.queue.filter((ev) => ev !== this.notifHead && (ev.kind !== 'thread' || ev.ts.resumed));
    this.queue = [...fresh, ...pending];
    this.notifHead = undefined;
    const reply = this.nextNonStopReply();
    this.notifPending = reply !== undefined;
    return reply ?? 'OK';
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
    this.notifHead = undefined;
    this.notifPending = false;
    this.queue = this.queue.filter((ev) => ev.kind !== 'texit');
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
    if (this.nonStop) return this.resumeNonStop(actions);
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
      if (nr !== undefined && (action.action === 'c' || action.action === 'C') && this.s.catchesSyscall(nr)) {
        this.queue.push({ kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason: { kind: 'syscall_return', syscall: nr } });
      }
    }
    // Stops already queued for threads gdb resumes are reported without running anything,
    // unless moot by now (see moot()).
    let pending = -1;
    if (this.queue.length > 0) {
      this.queue = this.queue.filter((ev) => this.validStop(ev) && !this.moot(ev, go));
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
   * Non-stop vCont: each thread takes its leftmost matching action; threads gdb counts as
   * running ignore c/s/r, stopped ones ignore t. Answered OK at once; stops follow as
   * notifications.
   */
  private resumeNonStop(actions: VContAction[]): string {
    const threads = this.s.allThreads();
    const resolved = resolveVCont(actions, threads.map((ts) => ({ pid: ts.inf.pid, tid: ts.tid, ts })));
    for (const { thread: { ts }, action: a } of resolved) {
      if (!a) continue;
      if (a.action === 't') {
        this.stopNonStop(ts, GDB_SIGNAL.NONE);
        continue;
      }
      if (ts.resumed || this.untold(ts)) continue;
      ts.resumed = true;
      ts.stepping = a.action === 's' || a.action === 'S' || a.action === 'r';
      ts.range = a.action === 'r' ? { start: a.start!, end: a.end! } : undefined;
      const sig = a.signal !== undefined ? linuxSignalFromGdb(a.signal) ?? 0 : 0;
      this.release(ts, this.resumeKind(ts), sig);
    }
    return 'OK';
  }

  /** Non-stop: stop one thread gdb counts as running and report it with `signal`
   * (0 for vCont;t, SIGINT for vCtrlC), unless another stop of it is on its way. */
  private stopNonStop(ts: ThreadState, signal: number, info?: Buffer): void {
    if (!ts.resumed || ts.gone || this.hasQueued(ts)) return;
    ts.tStop = true;
    const report = (): void => {
      ts.tStop = false;
      if (ts.gone || !ts.resumed || !ts.held || this.hasQueued(ts)) return;
      // gdbserver stops a thread with a SIGSTOP it sends (tkill), and `$_siginfo` then shows
      // that; we stop it with PTRACE_INTERRUPT, which has no siginfo of its own: show the same.
      ts.siginfo = info ?? killInfo(SIGSTOP, SI_TKILL);
      this.queueStop({ kind: 'thread', ts, signal });
    };
    if (ts.held) report();
    else void this.holdThread(ts).then(report);
  }

  /** Interrupt (0x03, vCtrlC): stop everything and report SIGINT on the current thread; in
   * non-stop, stop one running thread (the current one if it runs) and report SIGINT. */
  interrupt(): void {
    const info = killInfo(SIGINT, SI_USER);
    const g = this.s.gThread;
    if (this.nonStop) {
      const cur = g && !g.gone && g.resumed ? g : undefined;
      const ts = cur ?? this.s.allThreads().find((t) => t.resumed && !this.hasQueued(t));
      if (ts) this.stopNonStop(ts, GDB_SIGNAL.INT, info);
      return;
    }
    if (this.state !== 'running') return;
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

/** The siginfo of a signal we sent with kill/tkill. */
function killInfo(signo: number, code: number): Buffer {
  const info = Buffer.alloc(128);
  info.writeInt32LE(signo, 0);
  info.writeInt32LE(code, 8);
  info.writeInt32LE(process.pid, 16);
  info.writeUInt32LE(process.getuid?.() ?? 0, 20);
  return info;
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
