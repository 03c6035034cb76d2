/**
 * The gdb session's data model: an Inferior per traced process, a ThreadState per traced
 * thread (the engine data of that thread's gdb engine), and the stop events the stop queue
 * (stops.ts) keeps until gdb hears of them.
 */
import type { Engine, Process, SignalReport, Task } from '../../api.js';
import type { StopReason, ThreadId } from './protocol/index.js';
import type { HwSlot } from './debugRegs.js';
import type { TlsLayout } from './tls.js';

/** A stop to report for one thread. */
export interface ThreadStop {
  kind: 'thread';
  ts: ThreadState;
  /** gdb signal number. */
  signal: number;
  reason?: StopReason;
  /** swbreak: the breakpoint address, where the PC was put back (a queued hit whose
   * breakpoint gdb removed, or whose PC gdb moved, is dropped). */
  bpAddr?: bigint;
  /** A finished single step of gdb's (no other reason): queued, it is dropped when gdb
   * resumes the thread again (gdb itself forgets a finished step at a new resume). */
  step?: boolean;
  /** The step was emulated: the thread did not run, so it is on the CPU it was last seen on. */
  emulated?: boolean;
  /** The stop's siginfo when it has none from the core (a ^C told at a later resume). */
  siginfo?: Buffer;
}
export interface ExitStop {
  kind: 'exit';
  inf: Inferior;
  code: number | null;
  signal: number | null;
}
/** A thread exited (`w`), reported only when gdb turned QThreadEvents on (non-stop). */
export interface ThreadExitStop {
  kind: 'texit';
  ts: ThreadState;
  code: number;
}
export type StopEvent = ThreadStop | ExitStop | ThreadExitStop;

export class ThreadState {
  engine!: Engine<ThreadState>;
  /** Held stopped by us (STOP vote or gate); register access is allowed. */
  held = false;
  /** Bumped on every release, so a late engine.stopped() cannot mark a running thread held. */
  gen = 0;
  stopRequested = false;
  waiters: (() => void)[] = [];
  /** A signal stop kept open until gdb decides what to deliver: resolves the report's vote. */
  gate: ((vote: number) => void) | undefined;
  gateReport: SignalReport | undefined;
  /** A gate just opened (release): its vote reaches the core a promise turn later and would
   * override a STOP asked before, so a hold waits for it (StopProtocol.holdThread). */
  voting: Promise<void> | undefined;
  /** gdb considers the thread running. */
  resumed = false;
  stepping = false;
  range: { start: bigint; end: bigint } | undefined;
  /** Linux signal gdb gave it at a resume that ran nothing (another thread's queued stop was
   * the reply): delivered at its next release. */
  deferredSig = 0;
  /** Linux signal we tgkill'ed to deliver gdb's vCont;C at a non-signal stop. */
  injectSig = 0;
  /** The siginfo of the current stop, for qXfer:siginfo:read. */
  siginfo: Buffer | undefined;
  /** Internal step over a breakpoint whose target-side condition was false. */
  stepOver: { addr: bigint; others: ThreadState[] } | undefined;
  /** Stepping over a breakpoint on our own: do not stop it with control(STOP). */
  busy = false;
  /** vfork parent waiting for the vfork syscall to return (vforkdone). */
  vforkWait = false;
  /** Held at the exit of syscall nr, reported as something else (vforkdone): a resume while
   * gdb catches nr reports its return first (StopProtocol.resume). */
  atSyscallExit: number | undefined = undefined;
  /** A new thread whose first stop is still to come (a REPORT pass is owed there). */
  fresh = false;
  /** Non-stop: gdb asked to stop it (vCont;t, vCtrlC); its stop report is on its way. */
  tStop = false;
  /** /proc/PID/task/TID/stat, kept open for the `core:` of stop replies. */
  statFd: number | undefined;
  /** /proc/PID/task/TID/status, kept open for signalPending. */
  statusFd: number | undefined;
  /** Let go from an interrupt stop to take the int3 trap queued behind it (holds.ts). */
  takingTrap = false;
  /** When emulated steps last looked for a pending signal (performance.now(), ms). */
  signalCheckAt = -Infinity;
  /** The CPU coreOf last read. */
  lastCore: number | undefined;
  /** The last stop gdb was told about (non-stop `?` repeats it). */
  lastStop: ThreadStop | undefined;
  gone = false;

  constructor(readonly inf: Inferior, readonly task: Task) {}
  get tid(): number {
    return this.task.tid;
  }
  get id(): ThreadId {
    return { pid: this.inf.pid, tid: this.task.tid };
  }
}

export class Inferior {
  readonly threads = new Map<Task, ThreadState>();
  /** Software breakpoints gdb inserted, with their target-side conditions. */
  readonly swbps = new Map<bigint, Buffer[]>();
  /** Target-side commands (dprintf-style agent) of those breakpoints that have some: run at a
   * hit whose condition holds, and the hit is not reported (stepping.ts runCommands). */
  readonly bpCmds = new Map<bigint, Buffer[]>();
  /** Addresses of int3 breakpoints gdb removed (and did not insert again): a thread that hit
   * one while it was in may report the trap only after the removal (stopped by
   * PTRACE_INTERRUPT, its SIGTRAP stays queued until its next resume). */
  readonly formerBps = new Set<bigint>();
  /** Those of them served by a debug register instead of an int3 (see drForConditions). */
  readonly drBps = new Set<bigint>();
  /** The debug-register slots DR0-DR3 (debugRegs.ts). */
  hw: (HwSlot | null)[] = [null, null, null, null];
  /** Engine that owns our int3 bytes in the core's table (one per process). */
  owner: Engine | undefined;
  /** Exec events to let pass before the first stop of a new program (2 with a shell). */
  expectExecs = 0;
  /** ld.so's r_debug address (0: not known yet), for qXfer:libraries-svr4. */
  rDebug = 0n;
  /** The last library list served (its later chunks come from it). */
  svr4Doc: Buffer | undefined;
  /** glibc's TLS layout, once found (tls.ts). */
  tls: TlsLayout | undefined;
  started: (() => void) | undefined;
  /** A fork child whose parent's fork stop gdb has not heard yet: its parent. gdbserver hides
   * such a child (not listed, not resumed by a vCont for all; detached or killed with its
   * parent) until then, so gdb never meets it unannounced. */
  forkParent: Inferior | undefined;
  gone = false;
  constructor(readonly pid: number, readonly proc: Process, readonly attached: boolean) {}
  live(): ThreadState[] {
    const out: ThreadState[] = [];
    for (const t of this.threads.values()) if (isLive(t)) out.push(t);
    return out;
  }
}

/** A thread gdb may see: not dead, and not past its exit stop (a leader gone with pthread_exit
 * is a zombie until its process ends; gdbserver drops it from the thread list too). */
export function isLive(t: ThreadState): boolean {
  return !t.gone && t.task.state !== 'dead' && !t.task.exiting;
}
