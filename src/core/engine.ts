/**
 * Engine: one (ops, thread) attachment. It carries the event mask, the engine's own vote
 * (its hold on the thread) and the promises engines await (stopped, barrier).
 */
import { Event, EVENT_ALL_BITS, Resume } from './actions.js';
import { UtraceError } from './errors.js';
import type { Task } from './task.js';
import type { EngineOps } from './types.js';

/** Which callback each event bit needs. */
const EVENT_CALLBACKS: readonly [number, keyof EngineOps][] = [
  [Event.QUIESCE, 'reportQuiesce'],
  [Event.REAP, 'reportReap'],
  [Event.CLONE, 'reportClone'],
  [Event.EXEC, 'reportExec'],
  [Event.EXIT, 'reportExit'],
  [Event.DEATH, 'reportDeath'],
  [Event.SYSCALL_ENTRY, 'reportSyscallEntry'],
  [Event.SYSCALL_EXIT, 'reportSyscallExit'],
  [Event.SIGNAL_ALL, 'reportSignal'],
  [Event.JCTL, 'reportJctl'],
];

export class Engine<D = any> {
  readonly ops: EngineOps<D>;
  data: D;
  /** @internal */ _task: Task;
  /** @internal */ _events = 0;
  /** @internal current vote of this engine; STOP = a hold on the thread. */ _vote: Resume = Resume.RESUME;
  /** @internal STOP requested while the thread was running. */ _stopPending = false;
  /** @internal REPORT/INTERRUPT/step requested: a report pass is owed. */ _reportPending = false;
  /** @internal action requested while the thread was running */ _pendingAction: Resume = Resume.REPORT;
  /** @internal id of the last pass this engine voted in */ _passId = 0;
  /** @internal */ _detached = false;
  /** @internal callbacks running or queued */ _inFlight = 0;
  /** @internal */ _barrierWaiters: (() => void)[] = [];
  /** @internal */ _stopWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  /** @internal attach serial: engines attached during a pass do not see it */ _serial: number;

  /** @internal */
  constructor(task: Task, ops: EngineOps<D>, data: D, serial: number) {
    this._task = task;
    this.ops = ops;
    this.data = data;
    this._serial = serial;
  }

  get task(): Task {
    return this._task;
  }

  get events(): number {
    return this._events;
  }

  get detached(): boolean {
    return this._detached;
  }

  /** True while this engine holds its thread stopped. */
  get holding(): boolean {
    return !this._detached && this._vote === Resume.STOP && this._task.state === 'stopped';
  }

  /** Replace the event mask. EINVAL for unknown bits or a callback the ops lack; ESRCH if
   * detached. Changes what ptrace is asked for (no syscall stops unless someone wants them). */
  setEvents(mask: number): void {
    if (this._detached) throw new UtraceError('ESRCH', 'setEvents', this._task.tid, 'engine is detached');
    if (!Number.isInteger(mask) || (mask & ~EVENT_ALL_BITS) !== 0) {
      throw new UtraceError('EINVAL', 'setEvents', this._task.tid, `invalid event bits 0x${(mask >>> 0).toString(16)}`);
    }
    for (const [bit, cb] of EVENT_CALLBACKS) {
      if (mask & bit && typeof this.ops[cb] !== 'function') {
        throw new UtraceError('EINVAL', 'setEvents', this._task.tid, `event needs ops.${cb}`);
      }
    }
    if (this._task.state === 'dead' && mask & ~(Event.REAP | Event.DEATH)) {
      throw new UtraceError('ESRCH', 'setEvents', this._task.tid, 'thread is dead');
    }
    this._events = mask;
    this._task._tracer._eventsChanged(this._task);
  }

  /** Ask for a resume action from outside a callback. STOP on a running thread returns
   * 'EINPROGRESS' (await stopped()); each action's rule is in docs/engine-contract.md,
   * "control, stopped, barrier". */
  control(action: Resume): 'EINPROGRESS' | undefined {
    return this._task._tracer.control(this._task, this, action);
  }

  /** Resolves when this engine holds the thread stopped. */
  stopped(): Promise<void> {
    if (this.holding) return Promise.resolve();
    if (this._detached) return Promise.reject(new UtraceError('ESRCH', 'stopped', this._task.tid));
    return new Promise((resolve, reject) => this._stopWaiters.push({ resolve, reject }));
  }

  /** Resolves when no callback of this engine is running or pending on its thread. */
  barrier(): Promise<void> {
    if (this._inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this._barrierWaiters.push(resolve));
  }

  /** Detach this engine (same as control(Resume.DETACH)). */
  detach(): void {
    if (!this._detached) this.control(Resume.DETACH);
  }

  /** @internal */
  _settleStop(): void {
    const w = this._stopWaiters;
    this._stopWaiters = [];
    for (const x of w) x.resolve();
  }

  /** @internal */
  _failStop(e: Error): void {
    const w = this._stopWaiters;
    this._stopWaiters = [];
    for (const x of w) x.reject(e);
  }

  /** @internal */
  _callbackDone(): void {
    if (--this._inFlight === 0) {
      const w = this._barrierWaiters;
      this._barrierWaiters = [];
      for (const f of w) f();
    }
  }

  get name(): string {
    return this.ops.name ?? 'engine';
  }
}

/** Detach every engine of a set (an engine over many threads, say) and empty it; engines
 * already detached or on threads already gone are skipped. `each` runs first for each one
 * still attached (e.g. to note the detach in an output). */
export function detachEngines<D>(engines: Set<Engine<D>>, each?: (e: Engine<D>) => void): void {
  for (const e of engines) {
    if (e.detached) continue;
    each?.(e);
    try {
      e.detach();
    } catch {
      /* gone */
    }
  }
  engines.clear();
}
