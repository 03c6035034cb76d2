/**
 * Tracer: plays the kernel's part of utrace. It owns every ptrace attachment, waits for
 * stops, runs engine callbacks in report passes and turns the combined votes into exactly one
 * ptrace restart, or none while any engine holds the thread. All ptrace requests are issued
 * from the JS main thread.
 *
 * This file is the public API: processes (spawn, attach), engines (attach, control), close.
 * The stop state machine it runs on is stops.ts (what a stop means, its report pass) over
 * resume.ts (how a thread leaves a stop: restart, hold, detach); the kernel is reached
 * through a backend (backend.ts, waitHub.ts). The rules are those of docs/engine-contract.md.
 */
import * as fs from 'node:fs';
import { Attach, Event, Resume, RESUME_MASK, validResume } from './actions.js';
import type { TraceBackend } from './backend.js';
import { Engine } from './engine.js';
import { isGone, UtraceError } from './errors.js';
import { procStatus } from './procfs.js';
import type { Process } from './process.js';
import * as P from './ptrace.js';
import { spawnRequest, type SpawnOptions } from './spawn.js';
import { NR_SCHED_GETAFFINITY, NR_SCHED_SETAFFINITY, type ColocateMode } from './colocate.js';
import { BASE_OPTIONS, CLONE_OPTIONS } from './resume.js';
import { StopMachine } from './stops.js';
import type { Task } from './task.js';
import type { EngineOps } from './types.js';
import { waitBound, waitHub } from './waitHub.js';

export { exitStatusOf } from './resume.js';
export type { SpawnOptions } from './spawn.js';

export interface TracerOptions {
  /** @internal The kernel (default: the native wait hub); tests give a scripted one. */
  backend?: TraceBackend;
  /** Co-scheduling of a thread that stops often with the tracer's thread, on one CPU
   * (docs/design.md, "Co-scheduling"): 'auto' where it wins (the default, or the environment's
   * UTRACE_COLOCATE=0|1|auto), 'on' to force it, 'off'. */
  colocate?: ColocateMode;
}

/**
 * The tracer. Events: 'engine-error' (engine, callbackName, error) when a callback throws
 * (the engine is detached, the thread goes on); 'error' for internal failures; 'stray-exit'
 * (pid, ExitStatus) when a child of this Node process that was never traced (a tracee's
 * CLONE_PARENT child) exited, and was reaped (every open tracer hears of it).
 */
export class Tracer extends StopMachine {
  /** How long the drain may block waiting for the next stop before yielding to the event
   * loop (µs): the event-loop latency a quiet tracee can cause, as a busy one causes up to
   * the drain's 4 ms slice. A native watchdog thread enforces it by looking every half of it;
   * shorter bounds cost busy traces more wake-ups (native/wait.c). */
  static get blockMicros(): number {
    return waitBound.micros;
  }

  static set blockMicros(us: number) {
    waitBound.micros = us;
  }

  private _closed = false;

  constructor(options: TracerOptions = {}) {
    super(options.backend ?? waitHub);
    if (options.colocate) this._colocate = options.colocate;
  }

  // ---------------------------------------------------------------- processes

  /** Start argv[0] traced, held before execve runs (the spawn hold): attach engines, then
   * call task.start(). */
  async spawn(argv: readonly string[], options: SpawnOptions = {}): Promise<Task> {
    this._checkOpen();
    const opts = BASE_OPTIONS | CLONE_OPTIONS | P.PTRACE_O_EXITKILL;
    // Under a prefilter the core sees sched_*affinity only if the filter stops them too.
    const selected = options.syscalls ? [...options.syscalls] : undefined;
    const filter = selected && this._colocate !== 'off'
      ? { ...options, syscalls: [...selected, NR_SCHED_GETAFFINITY, NR_SCHED_SETAFFINITY] } : options;
    const { req, opened } = spawnRequest(argv, filter, opts);
    const syscalls = selected ? new Set(selected) : null;
    let pid: number;
    try {
      pid = this._backend.spawn(req);
    } finally {
      for (const fd of opened) fs.closeSync(fd);
    }
    const proc = this._newProcess(pid);
    proc._spawned = true;
    proc._seccomp = syscalls;
    proc._seccompUnnamed = syscalls !== null && (options.unnamedSyscalls ?? false);
    const task = this._newTask(proc, pid);
    task._options = opts;
    task._state = 'stopped';
    task._stop = 'spawn';
    task._spawnHold = true;
    task._sig = 0; // the SIGSTOP of the spawn stub is ours, never the program's
    this._kick();
    return task;
  }

  /** Seize every thread of a running process without stopping it. */
  async attachProcess(pid: number): Promise<Task[]> {
    this._checkOpen();
    if (!Number.isInteger(pid) || pid <= 0) throw new UtraceError('ESRCH', 'attach', pid, 'invalid pid');
    if (!fs.existsSync(`/proc/${pid}`)) throw new UtraceError('ESRCH', 'attach', pid);
    const status = procStatus(pid);
    if (status && status['Tgid'] !== String(pid)) {
      throw new UtraceError('ESRCH', 'attach', pid, `${pid} is a thread of ${status['Tgid']}; attach to the process`);
    }
    if (this._procs.has(pid)) throw new UtraceError('EEXIST', 'attach', pid, 'already traced by this tracer');
    if (status && status['PPid'] === String(process.pid) && status['TracerPid'] === '0') {
      // libuv waits for its own children by pid, and for a tracer that is also the parent
      // those waits consume the ptrace stops: the tracee would hang, the parent see a false exit.
      const e = new UtraceError('EPERM', 'attach', pid, 'a child of this Node process');
      e.hint = `process ${pid} was started by this Node process (child_process); start it with tracer.spawn() instead`;
      throw e;
    }
    const proc = this._newProcess(pid);
    const opts = BASE_OPTIONS | CLONE_OPTIONS;
    const seen = new Set<number>();
    for (let changed = true; changed; ) {
      changed = false;
      let tids: number[];
      try {
        tids = fs.readdirSync(`/proc/${pid}/task`).map(Number);
      } catch {
        tids = [];
      }
      for (const tid of tids) {
        if (seen.has(tid) || this._tasks.has(tid) || this._backend.isOrphan(tid)) continue;
        seen.add(tid);
        changed = true;
        try {
          this._backend.seize(tid, opts);
        } catch (e) {
          if (e instanceof UtraceError && e.code === 'EPERM') {
            const st = procStatus(tid);
            const tracer = st?.['TracerPid'];
            if (tracer === String(process.pid)) continue; // auto-attached by a clone event
            if (tid === pid) {
              this._procs.delete(pid);
              if (st?.['State']?.startsWith('Z')) {
                // The kernel refuses to seize a zombie; strace 6 fails the same way.
                e.hint = `the main thread of ${pid} has exited (a zombie until its process ends, e.g. after pthread_exit); its other threads cannot be traced as a process`;
              } else if (tracer && tracer !== '0') {
                e.hint = `process ${pid} is already traced by pid ${tracer} (TracerPid in /proc/${pid}/status)`;
              } else {
                e.hint = 'permission denied: not the same user, or ptrace is restricted (kernel.yama.ptrace_scope)';
              }
              throw e;
            }
          }
          if (isGone(e) && tid !== pid) continue;
          if (tid === pid) this._procs.delete(pid);
          throw e;
        }
        const t = this._newTask(proc, tid);
        t._options = opts;
        t._attachGrace = true;
        this._setRunning(t);
      }
    }
    // The caller attaches its engines when our promise settles (microtasks): the grace ends
    // after that, and a thread that stopped meanwhile (a group-stop) goes on as they vote.
    const seized = [...proc._threads];
    setImmediate(() => {
      for (const t of seized) {
        t._attachGrace = false;
        this._maybeRestart(t);
      }
    });
    this._kick();
    return [...proc._threads].sort((a, b) => (a.tid === pid ? -1 : b.tid === pid ? 1 : a.tid - b.tid));
  }

  task(tid: number): Task | undefined {
    return this._tasks.get(tid);
  }

  tasks(): Task[] {
    return [...this._tasks.values()].filter((t) => t.state !== 'dead');
  }

  process(pid: number): Process | undefined {
    return this._procs.get(pid);
  }

  // ---------------------------------------------------------------- engines

  /** Attach (CREATE) or look up an engine on a task; see Attach flags. */
  attachTask<D>(task: Task, flags: number, ops?: EngineOps<D>, data?: D): Engine<D> {
    if (!Number.isInteger(flags) || flags & ~0xf) throw new UtraceError('EINVAL', 'attachTask', task.tid, 'invalid flags');
    const matches = (e: Engine): boolean =>
      !e._detached &&
      (!(flags & Attach.MATCH_OPS) || e.ops === ops) &&
      (!(flags & Attach.MATCH_DATA) || e.data === data);
    if (!(flags & Attach.CREATE)) {
      const e = task._engines.find(matches);
      if (!e) throw new UtraceError('ENOENT', 'attachTask', task.tid, 'no matching engine');
      return e as Engine<D>;
    }
    if (task.state === 'dead' || this._tasks.get(task.tid) !== task) {
      throw new UtraceError('ESRCH', 'attachTask', task.tid, 'thread is dead or not traced');
    }
    if (!ops || typeof ops !== 'object') throw new UtraceError('EINVAL', 'attachTask', task.tid, 'missing engine ops');
    if (flags & Attach.EXCLUSIVE && task._engines.some(matches)) {
      throw new UtraceError('EEXIST', 'attachTask', task.tid, 'an engine matching EXCLUSIVE exists');
    }
    const e = new Engine<D>(task, ops, data as D, ++this._serial);
    task._engines.push(e);
    task._modeCache = null;
    return e;
  }

  attachPid<D>(tid: number, flags: number, ops?: EngineOps<D>, data?: D): Engine<D> {
    const task = this._tasks.get(tid);
    if (!task || task.state === 'dead') throw new UtraceError('ESRCH', 'attachPid', tid, 'not a traced thread');
    return this.attachTask(task, flags, ops, data);
  }

  /** engine.control(): docs/engine-contract.md, "control, stopped, barrier". */
  control(task: Task, engine: Engine, action: Resume): 'EINPROGRESS' | undefined {
    if (engine._detached || engine._task !== task) throw new UtraceError('ESRCH', 'control', task.tid, 'engine is detached');
    if (!Number.isInteger(action) || !validResume(action) || action & ~RESUME_MASK) {
      throw new UtraceError('EINVAL', 'control', task.tid, `invalid action ${action}`);
    }
    if (action === Resume.DETACH) {
      this._detachEngine(engine);
      return undefined;
    }
    if (task.state === 'dead') throw new UtraceError('ESRCH', 'control', task.tid, 'thread is dead');
    const needsQuiesce =
      action === Resume.REPORT || action === Resume.INTERRUPT ||
      action === Resume.SINGLESTEP || action === Resume.BLOCKSTEP;
    if (needsQuiesce && !(engine._events & Event.QUIESCE)) {
      throw new UtraceError('EINVAL', 'control', task.tid, 'REPORT, INTERRUPT and stepping need Event.QUIESCE');
    }
    const stopped = task.state === 'stopped' && !task._listening && !task._awaitingInitial;
    if (action === Resume.RESUME) {
      engine._vote = Resume.RESUME;
      engine._stopPending = false;
      if (stopped) this._maybeRestart(task);
      return undefined;
    }
    if (stopped) {
      engine._vote = action;
      if (action === Resume.STOP) engine._settleStop();
      else this._maybeRestart(task);
      return undefined;
    }
    // Running (or listening in a group-stop): it must come to a report point first.
    if (action === Resume.STOP) engine._stopPending = true;
    else {
      engine._reportPending = true;
      engine._pendingAction = action;
    }
    this._interrupt(task);
    return action === Resume.STOP ? 'EINPROGRESS' : undefined;
  }

  /**
   * Serve a peer's descriptor synchronously while it keeps talking and no traced thread
   * runs (it returns at once when one does): gdb's next request usually follows our reply
   * within microseconds, and a turn of the event loop per request costs more than the
   * request. Each read goes to onRead at once (buf is reused: copy what must outlive the
   * call); a resume onRead asks for is followed to its stop (reports included) before the
   * next read. Returns when the peer has been quiet for about blockMicros, when a thread
   * keeps running, when ready() says the peer now waits for something else (a promise, which
   * only the event loop settles), or at end of file or a read error, which the caller's own
   * stream on the descriptor then sees. After a drain slice it returns too, and goes on by
   * itself after one turn of the event loop (setImmediate) if ready() still holds: ready()
   * must then also say whether fd is still the peer's. Does nothing when called from a
   * callback or from onRead itself.
   */
  readWhileHeld(fd: number, buf: Uint8Array, onRead: (n: number) => void, ready?: () => boolean): void {
    this._backend.readWhileHeld(fd, buf, onRead, ready);
  }

  /** Detach everything and leave every tracee running as it would untraced. */
  async close(): Promise<void> {
    if (this._closed) return;
    this._closed = true;
    const waits: Promise<unknown>[] = [];
    for (const task of [...this._tasks.values()]) {
      if (task.state === 'dead') continue;
      task._spawnHold = false;
      for (const e of [...task._engines]) this._detachEngine(e);
      if (task._engines.length === 0 && this._tasks.get(task.tid) === task && (task.state as string) !== 'dead') {
        this._detachThread(task);
      }
      if (this._tasks.get(task.tid) === task) waits.push(this._untilGone(task));
    }
    await Promise.all(waits);
    this._backend.forget(this);
    this._refresh();
  }

  private _checkOpen(): void {
    if (this._closed) throw new UtraceError('EBADF', 'tracer', undefined, 'tracer is closed');
  }
}
