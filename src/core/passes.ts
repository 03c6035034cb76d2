/**
 * Report passes and vote arbitration: how one event is told to a thread's engines and how
 * their answers become one decision (docs/engine-contract.md, "Resume actions").
 *
 * A pass calls each engine attached before it began, in attach order (the syscall-entry pass
 * reverses the list first), that asked for the event: reportQuiesce first for engines with
 * Event.QUIESCE when the event has a quiesce report, then the event's own callback. Each answer
 * is a vote: a resume action in the low bits, event bits above. The thread's action is the
 * strictest resume action voted (STOP < INTERRUPT < REPORT < SINGLESTEP < BLOCKSTEP < RESUME;
 * DETACH counts as RESUME for the thread and detaches only its voter, once the pass is over);
 * the event bits are the last engine's. An engine's own vote (its hold, when STOP) is its
 * strictest in this pass and replaces what it voted in earlier passes. A callback that returns
 * a promise suspends the pass until it settles; one that throws, or votes nonsense, is
 * detached and the pass goes on without it.
 */
import { combine, Event, Resume, RESUME_MASK, SyscallAction, validResume } from './actions.js';
import type { Engine } from './engine.js';
import { isGone, UtraceError } from './errors.js';
import type { Task } from './task.js';
import type { ActionResult, EngineOps } from './types.js';

export interface Pass {
  task: Task;
  /** The engine whose asynchronous callback the pass is waiting for. */
  waiting?: Engine | null;
  /** Mask bits an engine needs for the main callback. */
  bit: number;
  /** Event passed to reportQuiesce first, or null for no quiesce report. */
  quiesce: number | null;
  engines: Engine[];
  i: number;
  stage: 0 | 1;
  action: number;
  serial: number;
  /** Pass id: an engine's first vote in this pass replaces its previous one. */
  id: number;
  /** Engines that voted DETACH (made once the pass is over); null: none (no allocation per stop). */
  detach: Engine[] | null;
  name: keyof EngineOps;
  /** The event's callback for one engine; `arg` is the pass's (the report), so that the hot
   * passes (syscall stops) can call through module-level functions, not a closure per stop. */
  call: (e: Engine, action: number, arg: unknown) => ActionResult;
  /** What the thread does once every engine answered (the pass is handed back, same reason). */
  done: (action: number, p: Pass) => void;
  arg: unknown;
}

/** What a pass needs from the state machine that runs it. */
export interface PassHost {
  /** A callback threw or voted nonsense: report it and detach the engine. */
  _engineFailed(e: Engine, name: string, err: unknown): void;
  _detachEngine(e: Engine): void;
  emit(event: 'error', err: unknown): boolean;
}

let passIds = 0;

/** A pass over the engines attached to task now (serial: the last attach serial; engines
 * attached later, even from inside the pass, do not see it). */
export function newPass(task: Task, serial: number, bit: number, quiesce: number | null, name: keyof EngineOps,
  call: Pass['call'], done: Pass['done'], arg: unknown = undefined, reversed = false): Pass {
  return {
    task, bit, quiesce, engines: reversed ? reversedCopy(task._engines) : task._engines.slice(), i: 0, stage: 0,
    action: Resume.RESUME, serial, id: ++passIds, detach: null, name, call, done, arg,
  };
}

function reversedCopy(engines: readonly Engine[]): Engine[] {
  const n = engines.length;
  const out = new Array<Engine>(n);
  for (let i = 0; i < n; i++) out[i] = engines[n - 1 - i]!;
  return out;
}

export function runPass(host: PassHost, p: Pass): void {
  p.task._passes++;
  p.task._inCallback++;
  continuePass(host, p);
}

/** Go on from where the pass stopped (at its start, or after a settled promise). */
export function continuePass(host: PassHost, p: Pass): void {
  while (p.i < p.engines.length) {
    const e = p.engines[p.i]!;
    if (e._detached || e._serial > p.serial) {
      p.i++;
      p.stage = 0;
      continue;
    }
    let quiesce = false;
    if (p.stage === 0) {
      p.stage = 1;
      if (p.quiesce === null || !(e._events & Event.QUIESCE)) continue;
      quiesce = true;
    } else {
      p.stage = 0;
      p.i++;
      if (!(e._events & p.bit)) continue;
    }
    const name = quiesce ? 'reportQuiesce' : p.name;
    e._inFlight++;
    let r: ActionResult;
    try {
      r = quiesce ? e.ops.reportQuiesce!(p.action, e, p.quiesce!) : p.call(e, p.action, p.arg);
    } catch (err) {
      e._callbackDone();
      host._engineFailed(e, name, err);
      continue;
    }
    if (r && typeof (r as Promise<unknown>).then === 'function') {
      // The pass waits for this engine; if the engine is detached meanwhile it stops
      // waiting (detachedWhileWaited) and a late settle is ignored.
      p.waiting = e;
      p.task._waitingPass = p;
      const resume = (): void => {
        if (p.waiting !== e) return;
        p.waiting = null;
        p.task._waitingPass = null;
        continuePass(host, p);
      };
      (r as Promise<number | void>).then(
        (v) => {
          e._callbackDone();
          if (p.waiting === e) vote(host, p, e, v, quiesce, name);
          resume();
        },
        (err) => {
          e._callbackDone();
          if (p.waiting === e) host._engineFailed(e, name, err);
          resume();
        },
      );
      return;
    }
    e._callbackDone();
    vote(host, p, e, r as number | void, quiesce, name);
  }
  const task = p.task;
  // Detach while the pass still counts, so nothing restarts the thread before done() has
  // applied this pass's decision (signal to deliver, syscall abort); done() then restarts
  // it, or detaches it for real if no engine is left.
  if (p.detach) for (const e of p.detach) host._detachEngine(e);
  task._passes--;
  task._inCallback--;
  if (task.state === 'dead') return;
  try {
    p.done(p.action, p);
  } catch (e) {
    if (!isGone(e)) host.emit('error', e);
  }
}

/** The thread left its stop (SIGKILL) while the pass waited for a promise: the report is
 * over, and the promise's late settle is ignored. */
export function abandonPass(task: Task): void {
  const p = task._waitingPass as Pass;
  task._waitingPass = null;
  p.waiting = null;
  task._passes--;
  task._inCallback--;
}

/** engine was detached: if the thread's pass waits for its callback, go on without it. */
export function detachedWhileWaited(host: PassHost, task: Task, engine: Engine): void {
  const waiting = task._waitingPass as Pass | null;
  if (waiting && waiting.waiting === engine) {
    // Its pending callback will never count: let the pass go on without it.
    waiting.waiting = null;
    task._waitingPass = null;
    queueMicrotask(() => continuePass(host, waiting));
  }
}

function vote(host: PassHost, p: Pass, e: Engine, r: number | void, quiesce: boolean, name: string): void {
  if (e._detached) return;
  if (!castVote(p, e, r, quiesce)) {
    host._engineFailed(e, name, new UtraceError('EINVAL', name, p.task.tid, `invalid action ${String(r)}`));
  }
}

/** The state castVote reads and writes: the pass's combined action and DETACH list, the
 * engine's own vote. */
export interface VoteState {
  action: number;
  id: number;
  detach: Engine[] | null;
}

/**
 * The arbitration rule, pure: count engine e's answer r (undefined: RESUME, keeping the event
 * bits so far) in pass p. A quiesce report's bits do not count (only the event's own callback
 * decides a signal or a syscall). Returns false, changing nothing, for an answer that is no
 * resume action.
 */
export function castVote(p: VoteState, e: { _passId: number; _vote: Resume }, r: number | void | null, quiesce: boolean): boolean {
  if (r === undefined || r === null) r = Resume.RESUME | (p.action & ~RESUME_MASK);
  if (typeof r !== 'number' || !Number.isInteger(r) || !validResume(r)) return false;
  const res = (r & RESUME_MASK) as Resume;
  const own = res === Resume.DETACH ? Resume.RESUME : res;
  if (e._passId !== p.id) {
    e._passId = p.id;
    e._vote = own;
  } else if (own < e._vote) e._vote = own;
  if (res === Resume.DETACH) (p.detach ??= []).push(e as Engine);
  const combined = combine(p.action & RESUME_MASK, res);
  const bits = quiesce ? p.action & ~RESUME_MASK : (r & ~RESUME_MASK) | (p.action & SyscallAction.RESUMED);
  p.action = combined | bits;
  return true;
}
