/**
 * Tracer: plays the kernel's part of utrace. It owns every ptrace attachment, waits for
 * stops (see native/wait.c for the waiting design), runs engine callbacks in report passes
 * and turns the combined votes into exactly one ptrace restart, or none while any engine
 * holds the thread. All ptrace requests are issued from the JS main thread.
 *
 * Rules implemented here are those of ../shared/spec/engine-api.md; where user space over
 * ptrace must differ from the kernel's utrace, docs/design.md says how and why.
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
// The module's binding, not the global: globalThis.performance is an accessor, looked up at
// every call of the drain loops.
import { performance } from 'node:perf_hooks';
import { native } from '../native/binding.js';
import { SYSCALLS } from '../arch/x86_64/syscalls.gen.js';
import { Regs, SYSCALL_INSN } from '../arch/x86_64/regs.js';
import {
  Attach, combine, Event, Resume, RESUME_MASK, SignalAction, SyscallAction, validResume,
} from './actions.js';
import { Engine } from './engine.js';
import { isGone, UtraceError } from './errors.js';
import { errnoName } from './errno.js';
import { procStatus } from './procfs.js';
import { Process } from './process.js';
import * as P from './ptrace.js';
import { CLONE_UNTRACED, SECCOMP_GUARD_DATA, buildSeccompFilter } from './seccomp.js';
import { Task } from './task.js';
import type {
  ActionResult, EngineOps, ExecReport, ExitReport, ExitStatus, SignalReport, SyscallReport,
} from './types.js';

native.setErrorFactory((errno, syscall, tid) => new UtraceError(errno, syscall, tid));

const BASE_OPTIONS =
  P.PTRACE_O_TRACESYSGOOD | P.PTRACE_O_TRACEEXEC | P.PTRACE_O_TRACESECCOMP;
const CLONE_OPTIONS = P.PTRACE_O_TRACECLONE | P.PTRACE_O_TRACEFORK | P.PTRACE_O_TRACEVFORK;
const CLONE_VM = 0x100n;
const CLONE_VFORK = 0x4000n;
const CLONE_THREAD = 0x10000n;
const SIGCHLD_FLAG = 17n;
const NR_CLONE3 = 435;
/** How often leaders of attached processes are checked for a silent release (ms). */
const LEADER_CHECK_MS = 1000;
/** Longest a drain may keep the event loop before yielding (ms). */
const DRAIN_SLICE_MS = 4;

/**
 * Waiting is per process, not per Tracer: one waiter thread and one drain loop serve every
 * Tracer, and each stop is routed to the tracer that owns the tid.
 */
const hub = {
  owner: new Map<number, Tracer>(),
  /** Stops of auto-attached children seen before their parent's clone event. */
  orphans: new Map<number, number>(),
  draining: false,
  /** Inside Tracer.readWhileHeld: it owns the watchdog and the waiter thread meanwhile. */
  serving: false,
  kicked: false,
  running: 0,
  /** The thread restarted last: most likely to stop next. */
  lastResumed: 0,
  /** Running threads resumed or interrupted since the drain last waited in vain (their
   * Task._fresh is freshGen): only those are worth blocking for. A thread that has simply
   * been running (in pthread_join, or let go by gdb in non-stop) has nothing to report soon,
   * and blocking for it would hold the event loop for the bound each time. */
  fresh: 0,
  freshGen: 1,
  started: false,
  /** Inputs and outputs of native.waitFast() (see native/wait.c): no argument conversions on
   * the hot path. */
  ctl: new Int32Array(16),
  ctlReady: false,
  /** Empty: syscall info is fetched lazily (loadSysinfo), not by every wait. */
  sysinfo: new Uint8Array(0),
  /** Set while the drain dispatches a stop: a restart decided then is deferred... */
  dispatching: false,
  /** ...to the drain's next wait, which makes it (resume and wait in one native call, as a
   * C loop does: one JS-to-C crossing per stop instead of two). */
  pendingTid: 0,
  pendingReq: 0,
  pendingSig: 0,
};

/** A thread counted as running (see Tracer._setRunning) stopped or died. */
function notRunning(task: Task): void {
  if (task._state === 'running' && !task._exiting) hub.running--;
  if (task._fresh === hub.freshGen) hub.fresh--;
  task._fresh = 0;
  // A stale hint would make the drain block on a thread that has nothing more to report
  // while another one runs, for the whole bound.
  if (task.tid === hub.lastResumed) hub.lastResumed = 0;
}

/** The thread is resumed, interrupted or new: its next stop is likely soon. */
function markFresh(task: Task): void {
  if (task._exiting || task._fresh === hub.freshGen) return;
  task._fresh = hub.freshGen;
  hub.fresh++;
}

/** Make a deferred restart now (the drain is about to leave). */
function flushPending(): void {
  const tid = hub.pendingTid;
  if (!tid) return;
  hub.pendingTid = 0;
  try {
    native.resume(tid, hub.pendingReq, hub.pendingSig);
  } catch (e) {
    resumeFailed(tid, e);
  }
}

/** A deferred restart failed: ESRCH means killed under us (SIGKILL), its death status is on
 * its way; anything else is the owner's error. */
function resumeFailed(tid: number, e: unknown): void {
  if (!isGone(e)) hub.owner.get(tid)?.emit('error', e);
}

/** A thread was restarted outside a drain (from a socket handler, a timer, a promise): look
 * for its next stop right after the current job, not a whole event-loop turn later; the
 * stop of a stepped or briefly running thread usually comes within microseconds. */
function kick(): void {
  // Inside readWhileHeld the loop drains after each read itself.
  if (hub.draining || hub.kicked || hub.serving) return;
  hub.kicked = true;
  queueMicrotask(() => {
    hub.kicked = false;
    drain();
  });
}

function drain(): void {
  if (hub.draining) return;
  hub.draining = true;
  if (!hub.ctlReady) {
    native.waitSetup(hub.ctl, hub.sysinfo);
    hub.ctlReady = true;
  }
  const serving = hub.serving;
  if (!serving) {
    native.waiterArm(false);
    native.drainActive(true);
  }
  const t0 = performance.now();
  let yielded = false;
  let n = 0;
  try {
    for (;;) {
      const hint = hub.running === 1 ? hub.lastResumed : 0;
      const ctl = hub.ctl;
      const block = hub.running > 0 && hub.fresh > 0;
      ctl[0] = block ? Tracer.blockMicros : 0;
      ctl[1] = hint;
      const rt = hub.pendingTid;
      if (rt) {
        hub.pendingTid = 0;
        ctl[2] = rt;
        ctl[3] = hub.pendingReq;
        ctl[4] = hub.pendingSig;
      }
      let r = native.waitFast();
      if (rt) {
        const err = -ctl[11]!;
        if (err > 0) resumeFailed(rt, new UtraceError(errnoName(err), 'ptrace(resume)', rt));
      }
      // The hinted wait looks at one thread only; if the hint is stale (that thread already
      // stopped) another thread's stop would never be consumed: peek at all, without blocking.
      if (r === 0 && hint > 0) {
        ctl[0] = 0;
        ctl[1] = 0;
        r = native.waitFast();
      }
      if (r === 0 && block) {
        // Waited the whole bound in vain: what runs now runs on; stop blocking for it.
        hub.freshGen++;
        hub.fresh = 0;
      }
      if (r !== 1) break;
      const tid = ctl[8]!;
      const status = ctl[9]!;
      const owner = hub.owner.get(tid);
      if (!owner) {
        if (P.WIFSTOPPED(status)) hub.orphans.set(tid, status);
      } else {
        hub.dispatching = true;
        try {
          owner._dispatch(tid, status, ctl[10]!);
        } catch (e) {
          if (!isGone(e)) owner.emit('error', e);
        } finally {
          hub.dispatching = false;
        }
      }
      // The clock every 8 stops: a busy tracee stops every few microseconds, and a quiet one
      // ends the loop through the bounded wait anyway.
      if ((++n & 7) === 0 && performance.now() - t0 > DRAIN_SLICE_MS) {
        flushPending();
        yielded = true;
        setImmediate(drain);
        break;
      }
    }
  } finally {
    flushPending();
    hub.draining = false;
    if (!serving) native.drainActive(false);
  }
  if (!serving) idle(yielded);
}

/** Leaving the synchronous loops for the event loop: the waiter thread takes over. */
function idle(yielded: boolean): void {
  if (!yielded && hub.owner.size) native.waiterArm(true);
  native.waiterRef(hub.owner.size > 0);
}

/** See Tracer.readWhileHeld. */
function readWhileHeld(fd: number, buf: Uint8Array, onRead: (n: number) => void, ready?: () => boolean): void {
  // Only with every thread held: a thread that runs (gdb's non-stop mode, another engine's
  // thread) is the event loop's to wait for; draining it here would block each read for the
  // bound. Inside, the only running threads are those onRead resumed: likely to stop soon.
  if (hub.serving || hub.draining || hub.running > 0) return;
  hub.serving = true;
  native.waiterArm(false);
  native.drainActive(true);
  const t0 = performance.now();
  try {
    for (;;) {
      if (hub.running > 0) drain();
      // A thread runs on (or the drain used its slice): its stops, and the peer's bytes,
      // come through the event loop now.
      if (hub.running > 0 || performance.now() - t0 > DRAIN_SLICE_MS) break;
      // The peer waits for something other than a stop (a promise): let the event loop run.
      if (ready && !ready()) break;
      const n = native.readBounded(fd, buf);
      // Quiet for the bound, end of file or an error: the caller's stream sees the latter two
      // itself when the event loop reads the descriptor again.
      if (n <= 0) break;
      onRead(n);
    }
  } finally {
    hub.serving = false;
    native.drainActive(false);
    idle(false);
  }
}

let passIds = 0;

const ALL_NRS = SYSCALLS.filter((s) => s !== undefined).map((s) => s!.nr);

export interface SpawnOptions {
  cwd?: string;
  /** Environment (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Per fd 0..2: 'inherit' (default), 'ignore' (/dev/null) or an open fd. */
  stdio?: 'inherit' | 'ignore' | readonly ('inherit' | 'ignore' | number)[];
  /** argv[0] as the program sees it (default: argv[0]). */
  argv0?: string;
  /** Seccomp prefilter: only these syscall numbers cause syscall stops. */
  syscalls?: Iterable<number>;
  /** Put the child in its own process group. */
  setpgid?: boolean;
  /** Disable address-space randomisation (personality ADDR_NO_RANDOMIZE). */
  noAslr?: boolean;
}

type SyscallMode = 'none' | 'seccomp' | 'all';

interface Pass {
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
  call: (e: Engine, action: number) => ActionResult;
  done: (action: number) => void;
}

/** The default action of a signal when not handled (signal(7)). */
function defaultDisposition(sig: number): 'ignore' | 'stop' | 'term' | 'core' {
  if (sig === 17 || sig === 18 || sig === 23 || sig === 28) return 'ignore';
  if (sig === 19 || sig === 20 || sig === 21 || sig === 22) return 'stop';
  if ([3, 4, 5, 6, 7, 8, 11, 24, 25, 31].includes(sig)) return 'core';
  return 'term';
}

const DISPOSITION_BIT = {
  handler: Event.SIGNAL,
  ignore: Event.SIGNAL_IGN,
  stop: Event.SIGNAL_STOP,
  term: Event.SIGNAL_TERM,
  core: Event.SIGNAL_CORE,
} as const;

/**
 * One syscall stop as engines see it. Number, arguments and result are fetched from the
 * kernel only when an engine reads them (PTRACE_GET_SYSCALL_INFO, or the registers), so an
 * engine that only counts calls costs no extra syscall per stop.
 */
class SyscallCall implements SyscallReport {
  readonly task: Task;
  readonly entry: boolean;
  readonly seccomp: boolean;
  private _nr: number | undefined;
  private _args: bigint[] | undefined;
  private _ret: bigint | undefined;

  constructor(task: Task, entry: boolean, seccomp: boolean) {
    this.task = task;
    this.entry = entry;
    this.seccomp = seccomp;
    if (task._sysNr >= 0) {
      this._nr = task._sysNr;
      this._args = task._sysArgs ?? undefined;
    }
  }

  get nr(): number {
    if (this._nr === undefined) this._load();
    return this._nr!;
  }

  get args(): bigint[] {
    if (this._args === undefined) this._load();
    return this._args!;
  }

  get ret(): bigint | undefined {
    if (this.entry) return undefined;
    if (this._ret === undefined) this._load();
    return this._ret;
  }

  /** @internal whether the number was ever read (an ABORT needs it settled) */
  get _loaded(): boolean {
    return this._nr !== undefined;
  }

  private _load(): void {
    const task = this.task;
    const v = loadSysinfo(task);
    if (this.entry) {
      if (v && (v.getUint8(0) === P.SYSCALL_INFO_ENTRY || v.getUint8(0) === P.SYSCALL_INFO_SECCOMP)) {
        this._nr = Number(v.getBigUint64(24, true));
        this._args = [
          v.getBigUint64(32, true), v.getBigUint64(40, true), v.getBigUint64(48, true),
          v.getBigUint64(56, true), v.getBigUint64(64, true), v.getBigUint64(72, true),
        ];
      } else this._fromRegs();
      task._sysNr = this._nr!;
      task._sysArgs = this._args!;
      return;
    }
    if (v && v.getUint8(0) === P.SYSCALL_INFO_EXIT) this._ret = v.getBigInt64(24, true);
    if (this._nr === undefined || this._ret === undefined) this._fromRegs();
  }

  private _fromRegs(): void {
    const t = this.task;
    t._inCallback++;
    try {
      const r = t.regs();
      this._nr ??= Number(BigInt.asIntN(64, r.get('orig_rax')));
      this._args ??= (['rdi', 'rsi', 'rdx', 'r10', 'r8', 'r9'] as const).map((n) => r.get(n));
      if (!this.entry) this._ret ??= r.getSigned('rax');
    } finally {
      t._inCallback--;
    }
  }

  setNr(nr: number): void {
    if (!this.entry) throw new UtraceError('EINVAL', 'setNr', this.task.tid, 'only at syscall entry');
    const r = this.task.regs();
    r.set('orig_rax', BigInt(nr));
    this.task.setRegs(r);
    this._nr = nr;
    this.task._sysNr = nr;
  }

  setArg(i: number, value: bigint): void {
    if (!this.entry || i < 0 || i > 5) throw new UtraceError('EINVAL', 'setArg', this.task.tid);
    const args = this.args;
    const r = this.task.regs();
    r.set((['rdi', 'rsi', 'rdx', 'r10', 'r8', 'r9'] as const)[i]!, value);
    this.task.setRegs(r);
    args[i] = BigInt.asUintN(64, value);
  }

  setReturn(value: bigint): void {
    if (this.entry) throw new UtraceError('EINVAL', 'setReturn', this.task.tid, 'only at syscall exit');
    const r = this.task.regs();
    r.set('rax', value);
    this.task.setRegs(r);
    this._ret = BigInt.asIntN(64, value);
  }
}

const sysinfoView = new DataView(new ArrayBuffer(88));
const sysinfoBytes = new Uint8Array(sysinfoView.buffer);

/** PTRACE_GET_SYSCALL_INFO for the current stop, or undefined where unsupported. */
function loadSysinfo(task: Task): DataView | undefined {
  try {
    return native.getSyscallInfo(task.tid, sysinfoBytes) > 0 ? sysinfoView : undefined;
  } catch (e) {
    if (e instanceof UtraceError && (e.code === 'EIO' || e.code === 'EINVAL')) return undefined;
    throw e;
  }
}

/**
 * The tracer. Events: 'engine-error' (engine, callbackName, error) when a callback throws
 * (the engine is detached, the thread goes on); 'error' for internal failures.
 */
export class Tracer extends EventEmitter {
  /** How long the drain may block waiting for the next stop before yielding to the event
   * loop (µs): the event-loop latency a quiet tracee can cause, as a busy one causes up to
   * the drain's 4 ms slice. A native watchdog thread enforces it by looking every half of it;
   * shorter bounds cost busy traces more wake-ups (native/wait.c). */
  static blockMicros = 4000;
  /** @internal */ _tasks = new Map<number, Task>();
  private _procs = new Map<number, Process>();
  /** Spawned processes already detached whose exit we still reap. */
  private _watch = new Map<number, Process>();
  private _serial = 0;
  private _closed = false;
  private readonly _siginfo = Buffer.alloc(128);
  /** Looks for leaders released without a status (see _checkLeaders) while processes are traced. */
  private _leaderTimer: NodeJS.Timeout | null = null;

  constructor() {
    super();
    if (!hub.started) {
      hub.started = true;
      native.waiterStart(drain);
    }
  }

  // ---------------------------------------------------------------- processes

  /** Start argv[0] traced, held before execve runs (the spawn hold): attach engines, then
   * call task.start(). */
  async spawn(argv: readonly string[], options: SpawnOptions = {}): Promise<Task> {
    this._checkOpen();
    if (!argv.length) throw new UtraceError('EINVAL', 'spawn', undefined, 'empty argv');
    const env = options.env ?? process.env;
    const file = resolveProgram(argv[0]!, env['PATH'], options.cwd);
    const stdio = normStdio(options.stdio);
    const opened: number[] = [];
    const fds = stdio.map((s) => {
      if (s === 'inherit') return -1;
      if (s === 'ignore') {
        const fd = fs.openSync('/dev/null', 'r+');
        opened.push(fd);
        return fd;
      }
      return s;
    }) as [number, number, number];
    const syscalls = options.syscalls ? new Set(options.syscalls) : null;
    const opts = BASE_OPTIONS | CLONE_OPTIONS | P.PTRACE_O_EXITKILL;
    let pid: number;
    try {
      pid = native.spawn({
        file,
        argv: [options.argv0 ?? argv[0]!, ...argv.slice(1)],
        envp: Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`),
        cwd: options.cwd,
        stdio: fds,
        seccomp: syscalls ? buildSeccompFilter(syscalls, ALL_NRS) : undefined,
        setpgid: options.setpgid ?? false,
        noAslr: options.noAslr ?? false,
        options: opts,
      });
    } finally {
      for (const fd of opened) fs.closeSync(fd);
    }
    const proc = this._newProcess(pid);
    proc._spawned = true;
    proc._seccomp = syscalls;
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
        if (seen.has(tid) || this._tasks.has(tid) || hub.orphans.has(tid)) continue;
        seen.add(tid);
        changed = true;
        try {
          native.seize(tid, opts);
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
        this._setRunning(t);
      }
    }
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

  /** engine.control(): see the spec's Control section. */
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
   * keeps running, after a drain slice (the event loop gets its turn), when ready() says the
   * peer now waits for something else (a promise, which only the event loop settles), or at
   * end of file or a read error, which the caller's own stream on the descriptor then sees.
   * Does nothing when called from a callback or from onRead itself.
   */
  readWhileHeld(fd: number, buf: Uint8Array, onRead: (n: number) => void, ready?: () => boolean): void {
    readWhileHeld(fd, buf, onRead, ready);
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
    this._refresh();
  }

  // ---------------------------------------------------------------- waiting

  /** @internal make sure stops are looked for soon (after a restart outside a drain) */
  _kick(): void {
    kick();
  }

  private _refresh(): void {
    native.waiterRef(hub.owner.size > 0);
  }

  // ---------------------------------------------------------------- stops

  /** @internal */
  _dispatch(tid: number, status: number, silen: number): void {
    let task = this._tasks.get(tid);
    if (!task) {
      const w = this._watch.get(tid);
      if (w && !P.WIFSTOPPED(status)) {
        this._watch.delete(tid);
        hub.owner.delete(tid);
        native.track(tid, false);
        w._exited = true;
        w._exitResolve(exitStatusOf(status));
        this._refresh();
      } else if (P.WIFSTOPPED(status)) {
        hub.orphans.set(tid, status);
      }
      return;
    }
    if (!P.WIFSTOPPED(status)) return this._onDeath(task, status);
    // Only SIGKILL takes a thread out of a stop an engine still holds with a pending
    // callback: that report is over, its late settle ignored.
    if (task._waitingPass) this._abandonPass(task);
    notRunning(task);
    task._state = 'stopped';
    task._regs = null;
    const sig = P.WSTOPSIG(status);
    const ev = status >>> 16;
    if (task._awaitingInitial) return this._onInitialStop(task);
    // Any trap clears the kernel's pending PTRACE_INTERRUPT, so this stop may be the only one
    // an interrupt yields: pending requests are applied at it (_maybeRestart).
    if (ev !== P.PTRACE_EVENT_STOP) task._interrupting = false;
    task._listening = false; // a reported stop ends PTRACE_LISTEN
    if (task._detachPending) {
      task._interrupting = false;
      task._stop = ev === P.PTRACE_EVENT_STOP ? (isStopSignal(sig) ? 'group' : 'interrupt') : 'other';
      // Only a signal-delivery-stop has a signal to pass on (a syscall stop is SIGTRAP|0x80).
      if (ev === 0 && sig !== P.SIGTRAP && sig !== (P.SIGTRAP | 0x80)) task._sig = sig;
      return this._detachThread(task);
    }
    if (sig === (P.SIGTRAP | 0x80)) return this._onSyscallStop(task, silen);
    if (ev === 0) return this._onSignalStop(task, sig);
    switch (ev) {
      case P.PTRACE_EVENT_CLONE:
      case P.PTRACE_EVENT_FORK:
      case P.PTRACE_EVENT_VFORK:
        return this._onClone(task, ev);
      case P.PTRACE_EVENT_EXEC:
        return this._onExec(task);
      case P.PTRACE_EVENT_EXIT:
        return this._onExitEvent(task);
      case P.PTRACE_EVENT_SECCOMP:
        return this._onSeccomp(task, silen);
      case P.PTRACE_EVENT_STOP:
        return this._onEventStop(task, sig);
      default:
        task._stop = 'other';
        return this._maybeRestart(task);
    }
  }

  private _onInitialStop(task: Task): void {
    task._awaitingInitial = false;
    task._sysKnown = false;
    task._stop = 'initial';
    if (task._engines.length === 0) return this._detachThread(task);
    this._maybeRestart(task);
  }

  /** Pending STOP/REPORT requests take effect at the first report point. */
  private _applyPending(task: Task): boolean {
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

  private _onEventStop(task: Task, sig: number): void {
    task._interrupting = false;
    task._sysKnown = false; // an interrupt may have cut a syscall short
    if (isStopSignal(sig)) {
      const fresh = !task._inGroupStop;
      task._inGroupStop = true;
      task._listening = false;
      task._stop = 'group';
      const report = this._applyPending(task);
      if (fresh) {
        return this._runPass(this._pass(task, Event.JCTL, Event.JCTL, 'reportJctl',
          (e, a) => e.ops.reportJctl!(a, e, 'stopped', 1), () => this._afterReport(task, report)));
      }
      return this._afterReport(task, report);
    }
    if (task._inGroupStop) {
      // Woken from PTRACE_LISTEN by SIGCONT: the job-control stop is over.
      task._inGroupStop = false;
      task._listening = false;
      task._stop = 'interrupt';
      const report = this._applyPending(task);
      return this._runPass(this._pass(task, Event.JCTL, Event.JCTL, 'reportJctl',
        (e, a) => e.ops.reportJctl!(a, e, 'continued', 1), () => this._afterReport(task, report)));
    }
    task._stop = 'interrupt';
    const report = this._applyPending(task);
    this._afterReport(task, report);
  }

  /** Finish a stop: run an owed REPORT/INTERRUPT pass, then restart if nobody holds. */
  private _afterReport(task: Task, report: boolean): void {
    if (report) return this._reportPass(task, () => this._maybeRestart(task));
    this._maybeRestart(task);
  }

  /** A REPORT/INTERRUPT (or step-completion) pass: reportQuiesce(0), then reportSignal
   * with no signal for engines that watch signals, as utrace's UTRACE_SIGNAL_REPORT pass. */
  private _reportPass(task: Task, done: () => void): void {
    this._runPass(this._pass(task, Event.SIGNAL, 0, 'reportSignal',
      (e, a) => e.ops.reportSignal!(a, e, null), done));
  }

  private _syscallMode(task: Task): SyscallMode {
    return (task._modeCache ??= this._computeSyscallMode(task)) as SyscallMode;
  }

  private _computeSyscallMode(task: Task): SyscallMode {
    let want = false;
    let declared = true;
    for (const e of task._engines) {
      if (e._detached || !(e._events & Event.SYSCALL)) continue;
      want = true;
      const filter = task._proc._seccomp;
      if (!filter || !e.ops.syscalls) declared = false;
      else for (const nr of e.ops.syscalls) if (!filter.has(nr)) declared = false;
    }
    if (!want) return 'none';
    return declared ? 'seccomp' : 'all';
  }

  private _wantsEvent(task: Task, bit: number): boolean {
    for (const e of task._engines) if (!e._detached && e._events & bit) return true;
    return false;
  }

  private _onSyscallStop(task: Task, silen: number): void {
    void silen;
    const mode = this._syscallMode(task);
    // Entry and exit alternate; after an interrupt or attach, ask the kernel which it is.
    let entry: boolean;
    if (task._sysKnown) entry = !task._inSyscall;
    else {
      const v = loadSysinfo(task);
      entry = v ? v.getUint8(0) !== P.SYSCALL_INFO_EXIT : !task._inSyscall;
      task._sysKnown = true;
    }
    task._inSyscall = entry;
    if (entry) {
      task._stop = 'syscall-entry';
      task._sysNr = -1;
      task._sysArgs = null;
      task._seccompExit = false;
      if (mode !== 'all') return this._maybeRestart(task);
      return this._entryPass(task, false, 0);
    }
    task._stop = 'syscall-exit';
    const wasSeccomp = task._seccompExit;
    task._seccompExit = false;
    // A step that went through this syscall (see _restart) completes here: its report follows.
    const stepped = task._stepOwed !== null;
    task._stepOwed = null;
    const next = stepped
      ? () => this._reportPass(task, () => this._maybeRestart(task))
      : () => this._maybeRestart(task);
    if (mode === 'none' || (mode === 'seccomp' && !wasSeccomp)) return next();
    const call = new SyscallCall(task, false, wasSeccomp);
    this._runPass(this._pass(task, Event.SYSCALL_EXIT, Event.SYSCALL_EXIT, 'reportSyscallExit',
      (e, a) => e.ops.reportSyscallExit!(a, e, call), next));
  }

  private _onSeccomp(task: Task, silen: number): void {
    void silen;
    const mode = this._syscallMode(task);
    task._stop = 'seccomp';
    // The number and arguments come with the stop's info (engines read them anyway); the
    // filter's guard stops (a clone that would escape tracing) are told apart by their data.
    const guard = this._seccompGuard(task);
    // In 'all' mode the syscall-entry stop already reported this call; a guard stop of a call
    // nobody selected is no report at all.
    if (mode !== 'seccomp' || (guard && !task._proc._seccomp?.has(task._sysNr))) return this._maybeRestart(task);
    task._inSyscall = true;
    task._sysKnown = true;
    this._entryPass(task, true, 0);
  }

  /**
   * Load this seccomp stop's number and arguments; for a guard stop (seccomp.ts), clear
   * CLONE_UNTRACED so the child is traced: untraced, it would keep our filter and get ENOSYS
   * for every selected syscall. Engines still see the flags the program passed.
   */
  private _seccompGuard(task: Task): boolean {
    task._sysNr = -1;
    task._sysArgs = null;
    const v = loadSysinfo(task);
    if (!v || v.getUint8(0) !== P.SYSCALL_INFO_SECCOMP) return false;
    const nr = Number(v.getBigUint64(24, true));
    const args: bigint[] = [];
    for (let i = 0; i < 6; i++) args.push(v.getBigUint64(32 + 8 * i, true));
    task._sysNr = nr;
    task._sysArgs = args;
    if (v.getUint32(80, true) !== SECCOMP_GUARD_DATA) return false;
    const untraced = BigInt(CLONE_UNTRACED);
    task._inCallback++;
    try {
      if (nr === NR_CLONE3) {
        const b = task._proc._read(task.tid, args[0]!, 8);
        if (b.length === 8 && b.readBigUInt64LE(0) & untraced) {
          const w = Buffer.alloc(8);
          w.writeBigUInt64LE(b.readBigUInt64LE(0) & ~untraced);
          task._proc._write(task.tid, args[0]!, w);
        }
      } else if (args[0]! & untraced) {
        const r = task.regs();
        r.set('rdi', args[0]! & ~untraced);
        task.setRegs(r);
      }
    } catch (e) {
      if (!isGone(e)) throw e;
    } finally {
      task._inCallback--;
    }
    return true;
  }

  private _entryPass(task: Task, seccomp: boolean, flags: number): void {
    const call = new SyscallCall(task, true, seccomp);
    const pass = this._pass(task, Event.SYSCALL_ENTRY, Event.SYSCALL_ENTRY, 'reportSyscallEntry',
      (e, a) => e.ops.reportSyscallEntry!(a, e, call), (action) => {
        if (action & SyscallAction.ABORT) {
          // x86_64: a syscall number of -1 skips the call; rax then holds -ENOSYS, which
          // the exit report may replace.
          task._inCallback++;
          try {
            const r = task.regs();
            r.set('orig_rax', -1n);
            task.setRegs(r);
          } finally {
            task._inCallback--;
          }
        }
        task._seccompExit = seccomp && this._wantsEvent(task, Event.SYSCALL_EXIT);
        this._maybeRestart(task);
      });
    pass.engines.reverse(); // the engine attached last is closest to user mode
    pass.action |= flags;
    this._runPass(pass);
  }

  private _onSignalStop(task: Task, sig: number): void {
    task._stop = 'signal';
    const info = this._siginfo;
    native.getSigInfo(task.tid, info);
    const code = info.readInt32LE(8);
    const stepping = task._stepping;
    task._stepping = null;
    // A step that runs a syscall instruction completes at the syscall's exit, where x86
    // reports it as SIGTRAP with si_code SI_USER and si_pid 0 (user_single_step_report).
    const kernelStep = code === P.SI_USER && info.readInt32LE(16) === 0;
    // x86 reports a step as TRAP_TRACE, a block step as TRAP_BRANCH, and a step over a
    // `syscall` instruction as TRAP_BRKPT (or SI_USER from the syscall-exit path); int3 is
    // SI_KERNEL and never a step.
    const stepTrap = sig === P.SIGTRAP &&
      (code === P.TRAP_TRACE || code === P.TRAP_BRANCH || code === P.TRAP_BRKPT || kernelStep);
    if (stepTrap && stepping === null && task._staleStepTrap) {
      task._staleStepTrap = false;
      task._sig = 0;
      return this._maybeRestart(task);
    }
    if (stepTrap) task._staleStepTrap = false;
    if (stepTrap && stepping !== null) {
      // Our own single-step trap: a report point, never a signal.
      task._stop = 'step';
      task._sig = 0;
      return this._reportPass(task, () => this._maybeRestart(task));
    }
    let anyone = false;
    let partial = false; // some engine wants only some dispositions: then we must know it
    for (const e of task._engines) {
      const bits = e._events & Event.SIGNAL_ALL;
      if (bits) anyone = true;
      if (bits && bits !== Event.SIGNAL_ALL) partial = true;
    }
    if (!anyone) {
      task._sig = sig;
      return this._maybeRestart(task);
    }
    // The disposition costs a read of /proc/TID/status: only when a mask or an engine needs it.
    let disposition: SignalReport['disposition'] | undefined = partial ? signalDisposition(task.tid, sig) : undefined;
    const report: SignalReport = {
      task, signo: sig, info: Buffer.from(info), code,
      get disposition() {
        return (disposition ??= signalDisposition(task.tid, sig));
      },
    };
    const pass = this._pass(task, disposition ? DISPOSITION_BIT[disposition] : Event.SIGNAL_ALL, null, 'reportSignal',
      (e, a) => e.ops.reportSignal!(a, e, report), (action) => {
        const decision = action & SignalAction.MASK;
        let deliver = report.signo;
        if (action & SignalAction.HOLD) {
          task._heldSig = deliver;
          deliver = 0;
        } else if (decision === SignalAction.IGN) deliver = 0;
        else if (decision === SignalAction.TERM || decision === SignalAction.CORE) deliver = P.SIGKILL;
        else if (decision === SignalAction.STOP) deliver = P.SIGSTOP;
        else if (decision === SignalAction.TSTP) deliver = P.SIGTSTP;
        if (deliver !== 0 && (deliver !== sig || !report.info.equals(info))) {
          report.info.writeInt32LE(deliver, 0);
          try {
            native.setSigInfo(task.tid, report.info);
          } catch (e) {
            if (!isGone(e)) throw e;
          }
        }
        task._sig = deliver;
        this._maybeRestart(task);
      });
    this._runPass(pass);
  }

  private _onClone(task: Task, ev: number): void {
    task._stop = 'clone';
    const childTid = native.getEventMsg(task.tid);
    const flags = this._cloneFlags(task, ev);
    const isThread = (flags & CLONE_THREAD) !== 0n;
    let proc = task._proc;
    if (!isThread) {
      proc = this._newProcess(childTid);
      proc._seccomp = task._proc._seccomp;
      // Not _spawned: a fork child of a tracee is not our child; once detached we could never
      // reap it (and watching it would keep the event loop alive forever).
      if (!(flags & CLONE_VM)) task._proc._scrubInherited(childTid);
    }
    const child = this._newTask(proc, childTid);
    child._options = task._options;
    child._awaitingInitial = true;
    hub.running++;
    markFresh(child);
    const finish = (): void => {
      const st = hub.orphans.get(childTid);
      if (st !== undefined) {
        hub.orphans.delete(childTid);
        this._dispatch(childTid, st, 0);
      }
      this._maybeRestart(task);
    };
    if (!this._wantsEvent(task, Event.CLONE)) return finish();
    this._runPass(this._pass(task, Event.CLONE, Event.CLONE, 'reportClone',
      (e, a) => e.ops.reportClone!(a, e, flags, child), finish));
  }

  private _cloneFlags(task: Task, ev: number): bigint {
    if (ev === P.PTRACE_EVENT_FORK) return SIGCHLD_FLAG;
    if (ev === P.PTRACE_EVENT_VFORK) return CLONE_VM | CLONE_VFORK | SIGCHLD_FLAG;
    task._inCallback++;
    try {
      const r = task.regs();
      if (Number(r.get('orig_rax')) === NR_CLONE3) {
        const b = task.readMemory(r.get('rdi'), 8);
        return b.length === 8 ? b.readBigUInt64LE(0) : 0n;
      }
      return r.get('rdi');
    } catch {
      return CLONE_THREAD | CLONE_VM;
    } finally {
      task._inCallback--;
    }
  }

  private _onExec(task: Task): void {
    const former = native.getEventMsg(task.tid);
    if (former !== task.tid) {
      // A non-leader thread exec'd: it takes the leader's tid; the old leader is gone.
      const execer = this._tasks.get(former);
      if (execer) {
        const oldLeader = task;
        this._tasks.delete(former);
        hub.owner.delete(former);
        native.track(former, false);
        this._reportGone(oldLeader, 0, false);
        execer._tid = oldLeader.tid;
        this._tasks.set(execer._tid, execer);
        hub.owner.set(execer._tid, this);
        native.track(execer._tid, true);
        notRunning(execer);
        execer._state = 'stopped';
        execer._regs = null;
        task = execer;
      }
    }
    task._stop = 'exec';
    task._proc._forgetBreakpoints(); // a new address space: nothing of ours is in it
    let filename = '';
    try {
      filename = fs.readlinkSync(`/proc/${task.tid}/exe`);
    } catch {
      /* raced with death */
    }
    const report: ExecReport = { filename, formerTid: former };
    if (!this._wantsEvent(task, Event.EXEC)) return this._maybeRestart(task);
    this._runPass(this._pass(task, Event.EXEC, Event.EXEC, 'reportExec',
      (e, a) => e.ops.reportExec!(a, e, report), () => this._maybeRestart(task)));
  }

  private _onExitEvent(task: Task): void {
    task._stop = 'exit';
    task._exiting = true;
    const status = native.getEventMsg(task.tid);
    task._exitStatus = status;
    const st = exitStatusOf(status);
    const report: ExitReport = { status, code: st.code ?? undefined, signal: st.signal ?? undefined };
    // Nobody asked to see it (a leader's exit stop is taken for Task.exiting alone): invisible,
    // so no hold applies. A thread SIGKILLed out of an engine's STOP must die, as without it.
    if (!this._wantsEvent(task, Event.EXIT)) return this._restart(task, null);
    this._runPass(this._pass(task, Event.EXIT, Event.EXIT, 'reportExit',
      (e, a) => e.ops.reportExit!(a, e, report), () => this._maybeRestart(task)));
  }

  private _onDeath(task: Task, status: number): void {
    const st = exitStatusOf(status);
    notRunning(task);
    this._reportGone(task, st.signal ?? 0, task.tid === task.tgid, st);
  }

  /** DEATH then REAP reports, engines released, task forgotten. */
  private _reportGone(task: Task, signal: number, groupDead: boolean, st?: ExitStatus): void {
    task._state = 'dead';
    task._stop = null;
    const status = st ?? { code: null, signal: signal || null, core: false };
    task._deathStatus = status;
    const engines = [...task._engines];
    for (const e of engines) {
      if (e._detached || !(e._events & Event.DEATH)) continue;
      this._safeCall(e, 'reportDeath', () => e.ops.reportDeath!(e, groupDead, signal));
    }
    for (const e of engines) {
      if (e._detached || !(e._events & Event.REAP)) continue;
      this._safeCall(e, 'reportReap', () => e.ops.reportReap!(e, task));
    }
    for (const e of engines) if (!e._detached) this._release(e);
    task._engines = [];
    if (this._tasks.get(task.tid) === task) {
      this._tasks.delete(task.tid);
      hub.owner.delete(task.tid);
      native.track(task.tid, false);
    }
    const proc = task._proc;
    proc._threads.delete(task);
    task._exitResolve(status);
    if (groupDead && !proc._exited) {
      proc._exited = true;
      proc._exitResolve(status);
      this._procs.delete(proc.pid);
    }
    this._refresh();
  }

  private _safeCall(e: Engine, name: string, fn: () => unknown): void {
    e._inFlight++;
    try {
      const r = fn();
      if (r && typeof (r as Promise<unknown>).then === 'function') {
        (r as Promise<unknown>).then(() => e._callbackDone(), (err) => {
          e._callbackDone();
          this.emit('engine-error', e, name, err);
        });
        return;
      }
    } catch (err) {
      this.emit('engine-error', e, name, err);
    }
    e._callbackDone();
  }

  // ---------------------------------------------------------------- passes

  private _pass(task: Task, bit: number, quiesce: number | null, name: keyof EngineOps,
    call: (e: Engine, action: number) => ActionResult, done: (action: number) => void): Pass {
    return {
      task, bit, quiesce, engines: task._engines.slice(), i: 0, stage: 0, action: Resume.RESUME,
      serial: this._serial, id: ++passIds, detach: null, name, call, done,
    };
  }

  private _runPass(p: Pass): void {
    p.task._passes++;
    p.task._inCallback++;
    this._continuePass(p);
  }

  private _continuePass(p: Pass): void {
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
        r = quiesce ? e.ops.reportQuiesce!(p.action, e, p.quiesce!) : p.call(e, p.action);
      } catch (err) {
        e._callbackDone();
        this._engineFailed(e, name, err);
        continue;
      }
      if (r && typeof (r as Promise<unknown>).then === 'function') {
        // The pass waits for this engine; if the engine is detached meanwhile it stops
        // waiting (_detachEngine) and a late settle is ignored.
        p.waiting = e;
        p.task._waitingPass = p;
        const resume = (): void => {
          if (p.waiting !== e) return;
          p.waiting = null;
          p.task._waitingPass = null;
          this._continuePass(p);
        };
        (r as Promise<number | void>).then(
          (v) => {
            e._callbackDone();
            if (p.waiting === e) this._vote(p, e, v, quiesce, name);
            resume();
          },
          (err) => {
            e._callbackDone();
            if (p.waiting === e) this._engineFailed(e, name, err);
            resume();
          },
        );
        return;
      }
      e._callbackDone();
      this._vote(p, e, r as number | void, quiesce, name);
    }
    const task = p.task;
    // Detach while the pass still counts, so nothing restarts the thread before done() has
    // applied this pass's decision (signal to deliver, syscall abort); done() then restarts
    // it, or detaches it for real if no engine is left.
    if (p.detach) for (const e of p.detach) this._detachEngine(e);
    task._passes--;
    task._inCallback--;
    if (task.state === 'dead') return;
    try {
      p.done(p.action);
    } catch (e) {
      if (!isGone(e)) this.emit('error', e);
    }
  }

  private _abandonPass(task: Task): void {
    const p = task._waitingPass as Pass;
    task._waitingPass = null;
    p.waiting = null;
    task._passes--;
    task._inCallback--;
  }

  private _vote(p: Pass, e: Engine, r: number | void, quiesce: boolean, name: string): void {
    if (e._detached) return;
    if (r === undefined || r === null) r = Resume.RESUME | (p.action & ~RESUME_MASK);
    if (typeof r !== 'number' || !Number.isInteger(r) || !validResume(r)) {
      this._engineFailed(e, name, new UtraceError('EINVAL', name, p.task.tid, `invalid action ${String(r)}`));
      return;
    }
    const res = (r & RESUME_MASK) as Resume;
    const own = res === Resume.DETACH ? Resume.RESUME : res;
    if (e._passId !== p.id) {
      e._passId = p.id;
      e._vote = own;
    } else if (own < e._vote) e._vote = own;
    if (res === Resume.DETACH) (p.detach ??= []).push(e);
    const combined = combine(p.action & RESUME_MASK, res);
    const bits = quiesce ? p.action & ~RESUME_MASK : (r & ~RESUME_MASK) | (p.action & SyscallAction.RESUMED);
    p.action = combined | bits;
  }

  private _engineFailed(e: Engine, name: string, err: unknown): void {
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
    if (task._engines.length === 0) return this._detachThread(task);
    // Requests made while the thread ran (STOP, REPORT, stepping) take effect at its next
    // report point, whatever kind of stop that is.
    if (this._applyPending(task)) return this._reportPass(task, () => this._maybeRestart(task));
    let min = Resume.RESUME;
    for (const e of task._engines) if (e._vote < min) min = e._vote;
    if (min === Resume.STOP) {
      for (const e of task._engines) if (e._vote === Resume.STOP) e._settleStop();
      return;
    }
    if (min === Resume.REPORT || min === Resume.INTERRUPT) {
      for (const e of task._engines) {
        if (e._vote === Resume.REPORT || e._vote === Resume.INTERRUPT) e._vote = Resume.RESUME;
      }
      if (task._stop === 'syscall-entry' || (task._stop === 'seccomp' && this._syscallMode(task) === 'seccomp')) {
        // Held at entry and asked for a report: the entry pass runs again.
        return this._entryPass(task, task._stop === 'seccomp', SyscallAction.RESUMED);
      }
      return this._reportPass(task, () => this._maybeRestart(task));
    }
    this._restart(task, min === Resume.SINGLESTEP || min === Resume.BLOCKSTEP ? min : null);
  }

  private _wantedOptions(task: Task): number {
    let o = BASE_OPTIONS | (task._options & P.PTRACE_O_EXITKILL);
    // New threads must be followed if anyone may attach to them in reportClone.
    if (this._wantsEvent(task, Event.CLONE)) o |= CLONE_OPTIONS;
    // A leader's exit stop is the only sign that it left early (pthread_exit) and will sit as
    // a zombie until its process ends (Task.exiting): one stop per process, taken always.
    if (this._wantsEvent(task, Event.EXIT) || task.tid === task.tgid) o |= P.PTRACE_O_TRACEEXIT;
    return o;
  }

  private _restart(task: Task, step: Resume | null): void {
    const tid = task.tid;
    const want = this._wantedOptions(task);
    try {
      if (want !== task._options) {
        native.setOptions(tid, want);
        task._options = want;
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
      else req = sysStops || task._stepOwed !== null ? P.PTRACE_SYSCALL : P.PTRACE_CONT;
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
        native.tgkill(task.tgid, tid, s);
      }
      if (hub.dispatching && !hub.pendingTid && req !== P.PTRACE_DETACH) {
        // Made by the drain's next wait call (see hub.pendingTid).
        hub.pendingTid = tid;
        hub.pendingReq = req;
        hub.pendingSig = sig;
      } else native.resume(tid, req, sig);
      task._lastReq = req;
      hub.lastResumed = task._exiting ? 0 : tid;
      this._setRunning(task);
    } catch (e) {
      if (!isGone(e)) throw e;
      // Killed under us (SIGKILL): its death status is on its way.
      this._setRunning(task);
    }
    this._kick();
  }

  /** Is the thread about to execute a syscall instruction? (breakpoint bytes hidden) */
  private _atSyscallInsn(task: Task): boolean {
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

  private _setRunning(task: Task): void {
    if (task._state !== 'running') {
      task._state = 'running';
      // Past its exit stop a thread never stops again, and a leader whose other threads live
      // on reports its death only with theirs: not worth blocking for.
      if (!task._exiting) hub.running++;
    }
    markFresh(task);
    task._stop = null;
  }

  private _interrupt(task: Task): void {
    if (task._interrupting || task._awaitingInitial) return;
    task._interrupting = true;
    markFresh(task);
    try {
      native.interrupt(task.tid);
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

  private _release(e: Engine): void {
    e._detached = true;
    e._failStop(new UtraceError('ESRCH', 'stopped', e._task.tid, 'engine detached'));
    try {
      e.ops.release?.(e.data);
    } catch (err) {
      this.emit('engine-error', e, 'release', err);
    }
  }

  private _detachEngine(engine: Engine): void {
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
    const waiting = task._waitingPass as Pass | null;
    if (waiting && waiting.waiting === engine) {
      // Its pending callback will never count: let the pass go on without it.
      waiting.waiting = null;
      task._waitingPass = null;
      queueMicrotask(() => this._continuePass(waiting));
    }
    if (task.state === 'dead' || task._passes > 0) return;
    if (task._engines.length === 0) return this._detachThread(task);
    if (task.state === 'stopped') this._maybeRestart(task);
  }

  /** The last engine left: hand the thread back to the kernel untouched. */
  private _detachThread(task: Task): void {
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
    try {
      // A held signal is passed on: queued again, delivered once the thread runs untraced.
      if (task._heldSig) native.tgkill(task.tgid, task.tid, task._heldSig);
      task._heldSig = 0;
      // A thread in a job-control stop stays stopped after detach, as untraced.
      native.resume(task.tid, P.PTRACE_DETACH, task._stop === 'group' ? 0 : task._sig);
    } catch (e) {
      if (!isGone(e)) throw e;
    }
    task._sig = 0;
    task._detachPending = false;
    this._tasks.delete(task.tid);
    proc._threads.delete(task);
    task._state = 'running';
    task._stop = null;
    if (task.tid === proc.pid && proc._spawned && !proc._exited) {
      this._watch.set(task.tid, proc); // still our child: reap it so its status is known
    } else {
      hub.owner.delete(task.tid);
      native.track(task.tid, false);
    }
    if (proc._threads.size === 0) this._procs.delete(proc.pid);
    task._exitResolve({ code: null, signal: null, core: false });
    this._refresh();
    this._emitGone(task);
  }

  private _goneWaiters = new Map<Task, (() => void)[]>();
  private _emitGone(task: Task): void {
    const w = this._goneWaiters.get(task);
    if (w) {
      this._goneWaiters.delete(task);
      for (const f of w) f();
    }
  }

  private _untilGone(task: Task): Promise<void> {
    return new Promise((resolve) => {
      const list = this._goneWaiters.get(task) ?? [];
      list.push(resolve);
      this._goneWaiters.set(task, list);
      task.exit.then(() => resolve());
    });
  }

  // ---------------------------------------------------------------- helpers

  private _newProcess(pid: number): Process {
    const p = new Process(pid);
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
  private _checkLeaders(): void {
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
      if (procStatus(proc.pid)?.['TracerPid'] === String(process.pid)) continue;
      // Killed by de_thread (SIGKILL), as its engines are told; the process's status is not
      // ours to know, as after a detach.
      notRunning(leader);
      this._reportGone(leader, P.SIGKILL, true, { code: null, signal: null, core: false });
    }
  }

  private _newTask(proc: Process, tid: number): Task {
    const t = new Task(this, proc, tid);
    proc._threads.add(t);
    this._tasks.set(tid, t);
    hub.owner.set(tid, this);
    native.track(tid, true);
    this._refresh();
    return t;
  }

  private _checkOpen(): void {
    if (this._closed) throw new UtraceError('EBADF', 'tracer', undefined, 'tracer is closed');
  }
}

function isStopSignal(sig: number): boolean {
  return sig === P.SIGSTOP || sig === P.SIGTSTP || sig === P.SIGTTIN || sig === P.SIGTTOU;
}

export function exitStatusOf(status: number): ExitStatus {
  if (P.WIFEXITED(status)) return { code: P.WEXITSTATUS(status), signal: null, core: false };
  return { code: null, signal: P.WTERMSIG(status), core: P.WCOREDUMP(status) };
}

function signalDisposition(tid: number, sig: number): SignalReport['disposition'] {
  const st = procStatus(tid);
  const bit = 1n << BigInt(sig - 1);
  if (st?.['SigCgt'] && BigInt('0x' + st['SigCgt']) & bit) return 'handler';
  if (st?.['SigIgn'] && BigInt('0x' + st['SigIgn']) & bit) return 'ignore';
  return defaultDisposition(sig);
}

function normStdio(s: SpawnOptions['stdio']): ('inherit' | 'ignore' | number)[] {
  if (s === undefined || s === 'inherit') return ['inherit', 'inherit', 'inherit'];
  if (s === 'ignore') return ['ignore', 'ignore', 'ignore'];
  return [0, 1, 2].map((i) => s[i] ?? 'inherit');
}

/** execvp's lookup, done before forking so a missing program is ENOENT from spawn(). */
export function resolveProgram(file: string, pathEnv: string | undefined, cwd?: string): string {
  const check = (p: string): string | undefined => {
    try {
      const st = fs.statSync(p);
      if (st.isDirectory()) return undefined;
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      return undefined;
    }
  };
  if (file.includes('/')) {
    const abs = path.resolve(cwd ?? process.cwd(), file);
    if (!fs.existsSync(abs)) throw new UtraceError('ENOENT', 'spawn', undefined, file);
    if (!check(abs)) throw new UtraceError('EACCES', 'spawn', undefined, file);
    return abs;
  }
  for (const dir of (pathEnv ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const p = check(path.join(dir || '.', file));
    if (p) return p;
  }
  throw new UtraceError('ENOENT', 'spawn', undefined, file);
}

export { Regs };
