/**
 * One thread the ptrace personality knows (a Tracee: its engine and its emulated ptrace state),
 * the stop it is held in, and the small helpers both the emulated tracer (client.ts) and the
 * personality (engine.ts) use.
 */
import { Event, UtraceError, procStatus, ptraceAbi as P, type Engine, type SignalReport, type SyscallReport, type Task } from '../../api.js';
import type { PtraceClient } from './client.js';
import type { PtracePersonality } from './engine.js';

export type StopKind = 'signal' | 'syscall-entry' | 'syscall-exit' | 'event' | 'group' | 'interrupt' | 'attach' | 'step' | 'exec-trap';

export interface Stop {
  kind: StopKind;
  /** The wait status as the kernel encodes it. */
  status: number;
  /** siginfo for GETSIGINFO (null: EINVAL, as for a group-stop). */
  info: Buffer | null;
  eventMsg: bigint;
  signal?: SignalReport;
  call?: SyscallReport;
  /** A syscall-entry stop reached under PTRACE_SYSEMU: the call is skipped however resumed. */
  sysemu?: boolean;
  /** Let the thread go with this engine action (resume action | event bits). */
  release(action: number): void;
}


export const SIGINFO_SIZE = 128;

export const DORMANT = Event.CLONE | Event.REAP;
const ACTIVE = Event.QUIESCE | Event.SIGNAL_ALL | Event.CLONE | Event.EXEC | Event.EXIT | Event.DEATH |
  Event.REAP | Event.JCTL;

export function err(code: string, tid: number, msg?: string): UtraceError {
  return new UtraceError(code, 'ptrace', tid, msg);
}

export function trapInfo(code: number, pid: number, uid = 0, signo = P.SIGTRAP): Buffer {
  const b = Buffer.alloc(SIGINFO_SIZE);
  b.writeInt32LE(signo, 0);
  b.writeInt32LE(code, 8);
  b.writeInt32LE(pid, 16);
  b.writeUInt32LE(uid, 20);
  return b;
}

export function uidOf(pid: number): number {
  return Number(procStatus(pid)?.['Uid']?.split(/\s+/)[0] ?? 0);
}

export function ppidOf(pid: number): number {
  return Number(procStatus(pid)?.['PPid'] ?? 0);
}


/** One thread the personality knows: its engine, and its emulated ptrace state. */
export class Tracee {
  client: PtraceClient | null = null;
  seized = false;
  options = 0;
  stop: Stop | null = null;
  /** The current stop was already returned by a wait. */
  reported = false;
  /** Wait status of the thread's death, until a wait returns it. */
  death: number | null = null;
  /** Raw exit status from the exit report. */
  exitStatus: number | undefined;
  /** How the client last resumed it. */
  mode: 'cont' | 'syscall' | 'sysemu' = 'cont';
  /** A report pass owed to this client (a step's completion). */
  stepping = false;
  /** The step was started from a syscall-entry stop (x86 then reports it as TRAP_BRKPT). */
  stepFromEntry = false;
  /** PTRACE_INTERRUPT while stopped: trap again right after the next resume. */
  interruptAfterResume = false;
  /** The client's hold that is being set up (a STOP that has not taken effect yet). */
  pendingHold: 'attach' | 'child' | 'interrupt' | null = null;
  listening = false;
  /** Stop signal of the current job-control stop. */
  stopSig = P.SIGSTOP;
  /** A SYSEMU entry: its exit is not a stop. */
  skipExit = false;
  /** Process id of the real parent (a TRACEME tracee is its tracer's child). */
  realParent = 0;
  /** A vfork child whose release (exec or exit) is owed as PTRACE_EVENT_VFORK_DONE. */
  vforkDone = 0;

  constructor(readonly personality: PtracePersonality, public engine: Engine<Tracee>) {}

  get task(): Task {
    return this.engine.task;
  }

  get tid(): number {
    return this.engine.task.tid;
  }

  /** In an emulated ptrace-stop (requests other than KILL/INTERRUPT need one). */
  get stopped(): boolean {
    return this.stop !== null && !this.listening;
  }

  /** @internal the event mask this state needs */
  _events(): number {
    if (!this.client) return DORMANT;
    // The vfork's own syscall exit is where the kernel reports PTRACE_EVENT_VFORK_DONE.
    return this.mode !== 'cont' ? ACTIVE | Event.SYSCALL : this.vforkDone ? ACTIVE | Event.SYSCALL_EXIT : ACTIVE;
  }

  /** @internal */
  _syncEvents(): void {
    if (this.engine.detached) return;
    const want = this._events();
    if (this.engine.events !== want) this.engine.setEvents(want);
  }
}
