/**
 * Non-stop mode (QNonStop:1) of the stop protocol: NonStopNotifier, which StopProtocol
 * (stops.ts) owns and hands its packets and queued stops to while non-stop is on.
 *
 * Only a thread that stopped is held; the others run. Resume packets are answered OK at once
 * (resume). Queued stops go out as `%Stop` notifications, one at a time: the one sent is the
 * head until gdb acks it with vStopped, which is answered with the next queued stop, or OK
 * when none is left. `?` restarts that sequence with every stopped thread (status). The queue
 * is StopProtocol's: the notifier is given the array itself, and keeps the head out of what
 * the protocol drops or counts as untold (filterQueue, hasQueued).
 */
import { SI_TKILL, ptraceAbi } from '../../api.js';
import { GDB_SIGNAL, formatThreadExited, linuxSignalFromGdb, resolveVCont, type VContAction } from './protocol/index.js';
import { killInfo, type ResumeKind } from './holds.js';
import type { ExitStop, StopEvent, ThreadState, ThreadStop } from './model.js';
import type { GdbSession } from './session.js';

const { SIGINT, SIGSTOP, SI_USER } = ptraceAbi;

/** What the notifier uses of the protocol that owns it (StopProtocol, stops.ts). */
export interface StopHost {
  validStop(ev: StopEvent): boolean;
  hasQueued(ts: ThreadState): boolean;
  queueStop(ev: StopEvent): void;
  holdThread(ts: ThreadState): Promise<void>;
  release(ts: ThreadState, kind: ResumeKind, sig: number): void;
  resumeKind(ts: ThreadState): ResumeKind;
  exitReply(ev: ExitStop): string;
  stopReply(ts: ThreadState, ev: ThreadStop): string;
  dbg(m: string): void;
}

export class NonStopNotifier {
  /** The stop sent last (as `%Stop` or as a vStopped reply), not yet acked. */
  private notifHead: StopEvent | undefined;
  /** A notification sequence is open (until a vStopped is answered OK). */
  private notifPending = false;

  constructor(
    private readonly s: GdbSession,
    private readonly p: StopHost,
    /** StopProtocol's queue: stops not yet told to gdb, and the head until gdb acks it. */
    private readonly queue: StopEvent[],
  ) {}

  /** The stop gdb is about to ack with vStopped (the protocol never drops it). */
  get head(): StopEvent | undefined {
    return this.notifHead;
  }

  /** A stop was queued: one notification at a time; later stops wait for gdb's vStopped. */
  queued(): void {
    // Sent after the reply of the packet being handled (a vCont;t of a held thread queues at once).
    if (!this.notifPending) {
      this.notifPending = true;
      queueMicrotask(() => this.sendNotification());
    }
  }

  /** Back to all-stop (QNonStop:0): no sequence is open any more. */
  reset(): void {
    this.notifHead = undefined;
    this.notifPending = false;
  }

  /** Format the first valid queued stop for gdb (it stays queued until acked). */
  private nextReply(): string | undefined {
    while (this.queue.length) {
      const ev = this.queue[0]!;
      if (!this.p.validStop(ev)) {
        this.queue.shift();
        // A stale stop (say, a hit of a breakpoint gdb removed meanwhile): gdb still counts
        // the thread as running, so it runs again.
        if (ev.kind === 'thread' && ev.ts.resumed && ev.ts.held && !ev.ts.gone && !this.p.hasQueued(ev.ts)) {
          this.p.release(ev.ts, this.p.resumeKind(ev.ts), 0);
        }
        continue;
      }
      this.notifHead = ev;
      if (ev.kind === 'exit') return this.p.exitReply(ev);
      if (ev.kind === 'texit') return formatThreadExited(ev.code, ev.ts.id, this.s.multiprocess);
      const ts = ev.ts;
      ts.resumed = false;
      ts.stepping = false;
      ts.range = undefined;
      ts.lastStop = ev;
      return this.p.stopReply(ts, ev);
    }
    this.notifHead = undefined;
    return undefined;
  }

  private sendNotification(): void {
    const reply = this.nextReply();
    if (reply === undefined) {
      this.notifPending = false;
      return;
    }
    this.p.dbg(`%Stop:${reply.slice(0, 40)}`);
    this.s.conn?.sendNotification('Stop', reply);
  }

  /** vStopped: gdb took the last stop; answer the next one, or OK when none is left. */
  vStopped(): string {
    if (this.notifHead) {
      const i = this.queue.indexOf(this.notifHead);
      if (i >= 0) this.queue.splice(i, 1);
      this.notifHead = undefined;
    }
    const reply = this.nextReply();
    if (reply !== undefined) return reply;
    this.notifPending = false;
    return 'OK';
  }

  /** `?` in non-stop: a stop for every thread gdb may see stopped, the first one now, the
   * rest through vStopped (OK when nothing is stopped), as gdbserver's handle_status. */
  status(): string {
    const fresh: StopEvent[] = [];
    for (const ts of this.s.allThreads()) {
      if (ts.resumed || !ts.held) continue;
      const last = ts.lastStop;
      fresh.push(last ? { ...last, ts } : { kind: 'thread', ts, signal: GDB_SIGNAL.NONE });
    }
    // Stops of threads gdb still counts as running follow (they were never told).
    const pending = this.queue.filter((ev) => ev !== this.notifHead && (ev.kind !== 'thread' || ev.ts.resumed));
    this.queue.splice(0, this.queue.length, ...fresh, ...pending);
    this.notifHead = undefined;
    const reply = this.nextReply();
    this.notifPending = reply !== undefined;
    return reply ?? 'OK';
  }

  /**
   * vCont: each thread takes its leftmost matching action; threads gdb counts as
   * running ignore c/s/r, stopped ones ignore t. Answered OK at once; stops follow as
   * notifications.
   */
  resume(actions: VContAction[]): string {
    const threads = this.s.allThreads();
    const resolved = resolveVCont(actions, threads.map((ts) => ({ pid: ts.inf.pid, tid: ts.tid, ts })));
    for (const { thread: { ts }, action: a } of resolved) {
      if (!a) continue;
      if (a.action === 't') {
        this.stopThread(ts, GDB_SIGNAL.NONE);
        continue;
      }
      if (ts.resumed || this.untold(ts)) continue;
      ts.resumed = true;
      ts.stepping = a.action === 's' || a.action === 'S' || a.action === 'r';
      ts.range = a.action === 'r' ? { start: a.start!, end: a.end! } : undefined;
      const sig = a.signal !== undefined ? linuxSignalFromGdb(a.signal) ?? 0 : 0;
      this.p.release(ts, this.p.resumeKind(ts), sig);
    }
    return 'OK';
  }

  /** Stop one thread gdb counts as running and report it with `signal`
   * (0 for vCont;t, SIGINT for vCtrlC), unless another stop of it is on its way. */
  private stopThread(ts: ThreadState, signal: number, info?: Buffer): void {
    if (!ts.resumed || ts.gone || this.p.hasQueued(ts)) return;
    ts.tStop = true;
    const report = (): void => {
      ts.tStop = false;
      if (ts.gone || !ts.resumed || !ts.held || this.p.hasQueued(ts)) return;
      // gdbserver stops a thread with a SIGSTOP it sends (tkill), and `$_siginfo` then shows
      // that; we stop it with PTRACE_INTERRUPT, which has no siginfo of its own: show the same.
      ts.siginfo = info ?? killInfo(SIGSTOP, SI_TKILL);
      this.p.queueStop({ kind: 'thread', ts, signal });
    };
    if (ts.held) report();
    else void this.p.holdThread(ts).then(report);
  }

  /** Interrupt (0x03, vCtrlC): stop one running thread (the current one if it runs) and
   * report SIGINT. */
  interrupt(): void {
    const g = this.s.gThread;
    const cur = g && !g.gone && g.resumed ? g : undefined;
    const ts = cur ?? this.s.allThreads().find((t) => t.resumed && !this.p.hasQueued(t));
    if (ts) this.stopThread(ts, GDB_SIGNAL.INT, killInfo(SIGINT, SI_USER));
  }

  /**
   * Does gdb still have to take (vStopped) a stop of this thread, or the fork event
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
}
