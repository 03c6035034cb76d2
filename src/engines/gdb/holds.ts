/**
 * How one traced thread is held for gdb and let go again: ThreadHolds, the base of
 * StopProtocol (stops.ts), which decides when to hold and release and what gdb is told.
 *
 * Held. A thread is held (ThreadState.held) while our engine keeps it stopped, in one of two
 * ways:
 *  - a STOP vote: a callback returns Resume.STOP (StopProtocol.proceed, holdWith), or
 *    holdThread asks the core with engine.control(Resume.STOP) and waits for
 *    engine.stopped(); release() lets it go with engine.control(RESUME or SINGLESTEP),
 *    synchronously;
 *  - a gate: a real signal gdb has to decide on holds the thread inside its reportSignal
 *    callback, whose vote is a promise (ThreadState.gate); release() resolves it, delivering
 *    the signal gdb chose (vCont;C) or none.
 * Our own traps (breakpoint, watchpoint, step) take the STOP vote, never a gate, so a resume
 * packet releases them without a promise turn.
 */
import { Resume, SI_TKILL, SignalAction, ptraceAbi } from '../../api.js';
import { DEBUG } from './debug.js';
import { isLive, type Inferior, type ThreadState } from './model.js';
import { closeStat, ownSignalPending, readProc } from './procfs.js';
import type { GdbSession } from './session.js';

const { SIGINT, SIGSTOP, SIGTRAP } = ptraceAbi;

export type ResumeKind = Resume.RESUME | Resume.SINGLESTEP;

export abstract class ThreadHolds {
  constructor(protected readonly s: GdbSession) {}

  /** A line of the debug log (UTRACE_GDB_DEBUG, --debug). */
  abstract dbg(m: string): void;

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
            if (ts.gen !== gen || ts.held) return;
            if (this.takeQueuedTrap(ts)) return;
            // Stopped for us with PTRACE_INTERRUPT, which has no siginfo; gdbserver stops a
            // thread with a SIGSTOP it sends (tkill), and `$_siginfo` (and the NT_SIGINFO of
            // each thread in a gcore) shows that: the same here, not an error.
            ts.siginfo ??= killInfo(SIGSTOP, SI_TKILL);
            this.markHeld(ts);
          },
          () => this.markGone(ts),
        );
      } catch {
        this.markGone(ts);
      }
    });
  }

  /**
   * A thread that met one of our int3s just as PTRACE_INTERRUPT came stops for the interrupt
   * first (the kernel takes a ptrace trap before it dequeues signals): its PC is one byte past
   * the breakpoint and the SIGTRAP still queued. Held so, gdb would read that PC (and put its
   * own breakpoints by it: one in the middle of a `syscall`, 0f cc, made every thread that
   * restarted the call run `bswap %esp`: gdb.threads/next-fork-other-thread's SIGSEGVs and
   * SIGTRAPs). gdbserver, which stops threads with SIGSTOP, sees the trap first. So the thread
   * is let go to take it: the trap's stop comes before any instruction, and is handled as every
   * hit is (the PC put back, the hit queued, or dropped if gdb removed the breakpoint), which
   * holds the thread. True if it was let go.
   */
  private takeQueuedTrap(ts: ThreadState): boolean {
    const inf = ts.inf;
    if ((!inf.swbps.size && !inf.formerBps.size) || ts.takingTrap) return false;
    let pc: bigint;
    try {
      pc = ts.task.regs().pc - 1n;
    } catch {
      return false;
    }
    if (!inf.swbps.has(pc) && !inf.formerBps.has(pc)) return false;
    if (!ownSignalPending(ts, SIGTRAP)) return false;
    if (DEBUG) this.dbg(`${ts.tid} stopped with the trap of ${pc.toString(16)} queued: let it take it`);
    ts.takingTrap = true;
    try {
      ts.engine.control(Resume.RESUME);
    } catch {
      ts.takingTrap = false;
      return false;
    }
    return true;
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
    ts.takingTrap = false;
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
    // Our own step over a breakpoint, cut by an event (a fork reported, a clone): it goes on.
    return ts.stepping || ts.stepOver ? Resume.SINGLESTEP : Resume.RESUME;
  }

  /** Resolves once every thread of the session is held (threads that appear meanwhile too). */
  async stopAll(): Promise<void> {
    for (;;) {
      const pending = this.s.allThreads().filter((t) => !t.held);
      if (pending.length === 0) return;
      const t = DEBUG ? setTimeout(() => this.dbg(`stopAll waiting for ${pending.filter((x) => !x.held && !x.gone).map((x) => `${x.tid}:${x.task.state}:${x.stopRequested}:${x.busy}:${(readProc(`/proc/${x.inf.pid}/task/${x.tid}/stat`)?.toString() ?? "none").split(") ")[1]?.slice(0, 2)}`).join(' ')}`), 1000) : undefined;
      await Promise.all(pending.map((t) => this.holdThread(t)));
      if (t) clearTimeout(t);
    }
  }

  /** Is every live thread of a living process held? */
  protected allHeld(): boolean {
    for (const inf of this.s.inferiors.values()) {
      if (inf.gone) continue;
      for (const t of inf.threads.values()) if (!t.held && isLive(t)) return false;
    }
    return true;
  }
}

/** The siginfo of a signal we sent with kill/tkill. */
export function killInfo(signo: number, code: number): Buffer {
  const info = Buffer.alloc(128);
  info.writeInt32LE(signo, 0);
  info.writeInt32LE(code, 8);
  info.writeInt32LE(process.pid, 16);
  info.writeUInt32LE(process.getuid?.() ?? 0, 20);
  return info;
}
