/**
 * The wait hub: the real TraceBackend (backend.ts), over the native addon. Every ptrace, wait
 * and tracee-memory call of the core is made here, and here only.
 *
 * Waiting is per Node process, not per Tracer: one waiter thread and one drain loop serve every
 * Tracer, and each stop goes to the StopSink that owns the tid. The strategy (native/wait.c and
 * docs/design.md, "Waiting"): while the event loop is idle, a native waiter thread sleeps in
 * waitid(WNOWAIT) and wakes the loop with one threadsafe call; then the drain consumes stops
 * synchronously, blocking (bounded by a native watchdog) only for threads likely to stop soon,
 * and fuses each restart decided during a dispatch with its next wait (one crossing per stop).
 */
import * as fs from 'node:fs';
import { nowMs } from './clock.js';
import { native } from './addon.js';
import type { SpawnRequest } from '../native/native.js';
import type { StopSink, TraceBackend } from './backend.js';
import type { AffinityOps } from './colocate.js';
import { isGone, UtraceError } from './errors.js';
import { procIsOurs } from './procfs.js';
import { errnoName } from './errno.js';
import { ownProcPid, procDir, procStatus } from './procfs.js';
import * as P from './ptrace.js';
import type { Task } from './task.js';

/** Longest a drain may keep the event loop before yielding (ms). */
const DRAIN_SLICE_MS = 4;

// struct wait_ctl (native/wait.c): where each field sits in the shared Int32Array. Checked
// against the addon's own offsets below.
const CTL_BLOCK_MICROS = 0;
const CTL_HINT_TID = 1;
const CTL_RESUME_TID = 2;
const CTL_RESUME_REQUEST = 3;
const CTL_RESUME_SIGNAL = 4;
const CTL_WANT_SYSINFO = 5;
const CTL_TID = 8;
const CTL_STATUS = 9;
const CTL_SYSINFO_LENGTH = 10;
const CTL_RESUME_ERROR = 11;
const CTL_FOREIGN = 12;

/** The layout this file was written for, by the addon's field names. */
export const WAIT_CTL_LAYOUT: Readonly<Record<string, number>> = {
  blockMicros: CTL_BLOCK_MICROS,
  hintTid: CTL_HINT_TID,
  resumeTid: CTL_RESUME_TID,
  resumeRequest: CTL_RESUME_REQUEST,
  resumeSignal: CTL_RESUME_SIGNAL,
  wantSysinfo: CTL_WANT_SYSINFO,
  tid: CTL_TID,
  status: CTL_STATUS,
  sysinfoLength: CTL_SYSINFO_LENGTH,
  resumeError: CTL_RESUME_ERROR,
  foreign: CTL_FOREIGN,
};

{
  const theirs = native.waitCtlLayout();
  for (const k of new Set([...Object.keys(theirs), ...Object.keys(WAIT_CTL_LAYOUT)])) {
    if (theirs[k] !== WAIT_CTL_LAYOUT[k]) {
      throw new Error(`utrace: native addon and src/core/waitHub.ts disagree on struct wait_ctl (${k}); rebuild the addon (npm install)`);
    }
  }
}

/** struct ptrace_syscall_info as the core reads it (syscallCall.ts): up to the seccomp fields. */
const SYSINFO_BYTES = 88;

/** How long the drain may block for the next stop: Tracer.blockMicros (set there). */
export const waitBound = { micros: 4000 };

const hub = {
  owner: new Map<number, StopSink>(),
  /** Stops of auto-attached children seen before their parent's clone event. */
  orphans: new Map<number, number>(),
  draining: false,
  /** Inside readWhileHeld: it owns the watchdog and the waiter thread meanwhile. */
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
  /** The open Tracers: they hear of strays (reapStrays). */
  sinks: new Set<StopSink>(),
  /** The foreign child a drain last looked at as a stray: once per drain (libuv's stays in
   * front until the event loop runs, and the drain would look at it on every stop). */
  strayTried: 0,
  /** Inputs and outputs of native.waitFast(): no argument conversions on the hot path. */
  ctl: new Int32Array(16),
  ctlReady: false,
  /** struct ptrace_syscall_info of the stop being dispatched, fetched by its wait (same
   * crossing) while the syscall stops before it had theirs read (ctl wantSysinfo): an engine
   * that decodes every call pays no second crossing per stop, one that only counts calls no
   * PTRACE_GET_SYSCALL_INFO. Valid for infoTid only, until it is restarted or its registers
   * change (syscallInfo below). */
  sysinfo: new Uint8Array(SYSINFO_BYTES),
  infoTid: 0,
  infoLen: 0,
  /** The info of the stop being dispatched was read (prefetched or not). */
  infoRead: false,
  /** Set while the drain dispatches a stop: a restart decided then is deferred... */
  dispatching: false,
  /** ...to the drain's next wait, which makes it (resume and wait in one native call, as a
   * C loop does: one JS-to-C crossing per stop instead of two). */
  pendingTid: 0,
  pendingReq: 0,
  pendingSig: 0,
};

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
  const t0 = nowMs();
  let yielded = false;
  let n = 0;
  hub.strayTried = 0;
  try {
    for (;;) {
      const hint = hub.running === 1 ? hub.lastResumed : 0;
      const ctl = hub.ctl;
      const block = hub.running > 0 && hub.fresh > 0;
      ctl[CTL_BLOCK_MICROS] = block ? waitBound.micros : 0;
      ctl[CTL_HINT_TID] = hint;
      const rt = hub.pendingTid;
      if (rt) {
        hub.pendingTid = 0;
        ctl[CTL_RESUME_TID] = rt;
        ctl[CTL_RESUME_REQUEST] = hub.pendingReq;
        ctl[CTL_RESUME_SIGNAL] = hub.pendingSig;
      }
      let r = native.waitFast();
      if (rt) {
        const err = -ctl[CTL_RESUME_ERROR]!;
        if (err > 0) resumeFailed(rt, new UtraceError(errnoName(err), 'ptrace(resume)', rt));
      }
      // The hinted wait looks at one thread only; if the hint is stale (that thread already
      // stopped) another thread's stop would never be consumed: peek at all, without blocking.
      if (r === 0 && hint > 0) {
        ctl[CTL_BLOCK_MICROS] = 0;
        ctl[CTL_HINT_TID] = 0;
        r = native.waitFast();
      }
      const foreign = ctl[CTL_FOREIGN]!;
      if (foreign && foreign !== hub.strayTried) {
        hub.strayTried = foreign;
        reapStrays();
      }
      if (r === 0 && block) {
        // Waited the whole bound in vain: what runs now runs on; stop blocking for it.
        hub.freshGen++;
        hub.fresh = 0;
      }
      if (r !== 1) break;
      const tid = ctl[CTL_TID]!;
      const status = ctl[CTL_STATUS]!;
      const owner = hub.owner.get(tid);
      if (!owner) {
        if (P.WIFSTOPPED(status) && !letStrayGo(tid)) hub.orphans.set(tid, status);
      } else {
        const silen = ctl[CTL_SYSINFO_LENGTH]!;
        hub.infoTid = silen > 0 ? tid : 0;
        hub.infoLen = silen;
        hub.infoRead = false;
        hub.dispatching = true;
        try {
          owner._dispatch(tid, status, silen);
        } catch (e) {
          if (!isGone(e)) owner.emit('error', e);
        } finally {
          hub.dispatching = false;
          hub.infoTid = 0;
        }
        // A syscall stop (SIGTRAP|0x80, or a seccomp event): fetch the next one's info with
        // its wait if this one's was read.
        const code = status >>> 8;
        if (code === 0x85 || code === (0x05 | (P.PTRACE_EVENT_SECCOMP << 8))) ctl[CTL_WANT_SYSINFO] = hub.infoRead ? 1 : 0;
      }
      // The clock every 8 stops: a busy tracee stops every few microseconds, and a quiet one
      // ends the loop through the bounded wait anyway.
      if ((++n & 7) === 0 && nowMs() - t0 > DRAIN_SLICE_MS) {
        // A busy thread's waits look at it alone (the hint), and its next stop would be in
        // front of any stray: look now, while it is held (not waitable).
        reapStrays();
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

/**
 * Reap the strays in front of the waitable children (reap.c, strayChild): children of ours
 * nobody will wait for, which a tracee's clone(CLONE_PARENT) makes (a program may wait for such
 * a child to vanish). Each is told to every open Tracer. Not one we still trace: a child
 * auto-attached by a clone event and killed before that event reached us is the state
 * machine's, once its parent's event is handled; unless it is a thread whose event can no
 * longer come (lostThread).
 */
function reapStrays(): void {
  const out = new Int32Array(4);
  for (let pid = native.strayChild(); pid > 0; pid = native.strayChild()) {
    const st = procStatus(pid);
    const traced = st?.['TracerPid'] === ownProcPid();
    if (traced && !(st!['Tgid'] !== st!['Pid'] && lostThread(pid))) return;
    try {
      if (native.waitPid(pid, out, false) !== 1) return;
    } catch {
      return; // reaped meanwhile by someone else (ECHILD)
    }
    if (!traced) for (const sink of [...hub.sinks]) sink._strayExit(pid, out[1]!);
  }
}

/**
 * Whether `tid`, a dead thread (not a leader) traced by us that no clone event named, never
 * will be named: no thread of its group lives to report one. Its creator was killed between
 * the clone and the event stop (a group exit: SIGKILL, or another thread's exit_group), which
 * the kernel then skips. Such a thread stays a zombie until we reap it, and holds back its leader's
 * exit status (a leader is waitable only after every other thread is reaped): a process
 * killed while its threads churn would never be seen to exit. It was never reported to an
 * engine, so it is reaped silently. While any thread of the group still lives, its clone
 * event may come (the new thread can run and die before its creator's stop is handled).
 */
function lostThread(tid: number): boolean {
  const dir = procDir(tid);
  if (dir === undefined) return false;
  let tids: string[];
  try {
    tids = fs.readdirSync(`${dir}/task`);
  } catch {
    return false;
  }
  for (const t of tids) {
    let stat: string;
    try {
      stat = fs.readFileSync(`${dir}/task/${t}/stat`, 'utf8');
    } catch {
      continue; // reaped meanwhile
    }
    const state = stat[stat.lastIndexOf(')') + 2];
    if (state !== 'Z' && state !== 'X') return false;
  }
  return true;
}

/** The waiter thread's call: a stop of ours is waitable, or a foreign child is in front. */
function onWake(stray: boolean): void {
  if (stray) reapStrays();
  drain();
}

/** Leaving the synchronous loops for the event loop: the waiter thread takes over. */
function idle(yielded: boolean): void {
  if (!yielded && hub.owner.size) native.waiterArm(true);
  native.waiterRef(hub.owner.size > 0);
}

function readWhileHeld(fd: number, buf: Uint8Array, onRead: (n: number) => void, ready?: () => boolean): void {
  // Only with every thread held: a thread that runs (gdb's non-stop mode, another engine's
  // thread) is the event loop's to wait for; draining it here would block each read for the
  // bound. Inside, the only running threads are those onRead resumed: likely to stop soon.
  if (hub.serving || hub.draining || hub.running > 0) return;
  hub.serving = true;
  // Both cheap when already so (after a yield below): no thread is woken.
  native.waiterArm(false);
  native.drainActive(true);
  const t0 = nowMs();
  let yielded = false;
  try {
    for (;;) {
      if (hub.running > 0) drain();
      // A thread runs on: its stops, and the peer's bytes, come through the event loop now.
      if (hub.running > 0) break;
      // The peer waits for something other than a stop (a promise): let the event loop run.
      if (ready && !ready()) break;
      // The slice is used (by the drain or the reads) while gdb keeps talking: one turn of the
      // event loop for the rest of the process, then on. Leaving for good would wake the
      // waiter and the watchdog threads (arm, park) only to take them back at the next packet:
      // a gdb session crosses a slice every few breakpoint hits.
      if (nowMs() - t0 > DRAIN_SLICE_MS) {
        yielded = true;
        break;
      }
      const n = native.readBounded(fd, buf);
      // Quiet for the bound, end of file or an error: the caller's stream sees the latter two
      // itself when the event loop reads the descriptor again.
      if (n <= 0) break;
      onRead(n);
    }
  } finally {
    hub.serving = false;
    if (yielded) setImmediate(() => serveOn(fd, buf, onRead, ready));
    else leaveServing();
  }
}

/** After readWhileHeld's yield: on (it leaves by itself when ready() no longer holds), or, as
 * it refuses while a thread runs, leave as the slice's end would have. A serve or drain on
 * meanwhile leaves for us. Leaving twice is harmless (the waiter armed again). */
function serveOn(fd: number, buf: Uint8Array, onRead: (n: number) => void, ready?: () => boolean): void {
  if (hub.running > 0 && !hub.serving && !hub.draining) leaveServing();
  else readWhileHeld(fd, buf, onRead, ready);
}

function leaveServing(): void {
  native.drainActive(false);
  idle(false);
}

/**
 * A new process traced for us though its parent's tracer may have asked for no fork events
 * (clone with CLONE_PTRACE): the parent's tracer lets it go if no clone event can claim it
 * (StopMachine._stray). A thread, a child of a process we do not trace (CLONE_PARENT), or a
 * foreign /proc: kept for a clone event as before.
 */
function letStrayGo(tid: number): boolean {
  if (hub.orphans.has(tid) || !procIsOurs()) return false;
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${tid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // Fields after the command's closing parenthesis: state (3), ppid (4), ... exit_signal (38).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(f[1]);
  const exitSignal = Number(f[35]);
  if (!(exitSignal > 0)) return false; // a thread (-1)
  return hub.owner.get(ppid)?._stray?.(tid, exitSignal) ?? false;
}

/** The one real backend of this Node process. */
export const waitHub: TraceBackend & AffinityOps = {
  start(sink: StopSink): void {
    hub.sinks.add(sink);
    if (hub.started) return;
    hub.started = true;
    native.waiterStart(onWake);
  },
  forget(sink: StopSink): void {
    hub.sinks.delete(sink);
  },
  own(tid: number, sink: StopSink): void {
    hub.owner.set(tid, sink);
    native.track(tid, true);
  },
  disown(tid: number): void {
    hub.owner.delete(tid);
    native.track(tid, false);
  },
  takeOrphan(tid: number): number | undefined {
    const st = hub.orphans.get(tid);
    if (st !== undefined) hub.orphans.delete(tid);
    return st;
  },
  orphan(tid: number, status: number): void {
    hub.orphans.set(tid, status);
  },
  isOrphan(tid: number): boolean {
    return hub.orphans.has(tid);
  },
  kick,
  refresh(): void {
    native.waiterRef(hub.owner.size > 0);
  },
  readWhileHeld,

  running(task: Task): void {
    // Past its exit stop a thread never stops again, and a leader whose other threads live
    // on reports its death only with theirs: not worth blocking for.
    if (!task._exiting) hub.running++;
  },
  stopped(task: Task): void {
    if (task._state === 'running' && !task._exiting) hub.running--;
    if (task._fresh === hub.freshGen) hub.fresh--;
    task._fresh = 0;
    // A stale hint would make the drain block on a thread that has nothing more to report
    // while another one runs, for the whole bound.
    if (task.tid === hub.lastResumed) hub.lastResumed = 0;
  },
  fresh(task: Task): void {
    if (task._exiting || task._fresh === hub.freshGen) return;
    task._fresh = hub.freshGen;
    hub.fresh++;
  },

  spawn: (req: SpawnRequest) => native.spawn(req),
  seize: (tid, options) => native.seize(tid, options),
  interrupt: (tid) => native.interrupt(tid),
  park(tid: number): number {
    if (tid === hub.infoTid) hub.infoTid = 0;
    native.interrupt(tid);
    native.resume(tid, P.PTRACE_CONT, 0);
    // Blocking, for this one thread: it is already in the kernel with a trap pending, so its
    // stop follows within microseconds (or its death, if SIGKILLed meanwhile).
    const out = new Int32Array(4);
    native.waitPid(tid, out, true);
    return out[1]!;
  },
  restart(task: Task, request: number, signal: number): void {
    const tid = task.tid;
    if (tid === hub.infoTid) hub.infoTid = 0;
    if (hub.dispatching && !hub.pendingTid) {
      // Made by the drain's next wait call (see hub.pendingTid).
      hub.pendingTid = tid;
      hub.pendingReq = request;
      hub.pendingSig = signal;
    } else native.resume(tid, request, signal);
    hub.lastResumed = task._exiting ? 0 : tid;
  },
  detach(tid: number, signal: number): void {
    if (tid === hub.infoTid) hub.infoTid = 0;
    native.resume(tid, P.PTRACE_DETACH, signal);
  },
  setOptions: (tid, options) => native.setOptions(tid, options),
  eventMessage: (tid) => native.getEventMsg(tid),
  getSigInfo: (tid, buf) => native.getSigInfo(tid, buf),
  setSigInfo: (tid, buf) => native.setSigInfo(tid, buf),
  syscallInfo(tid: number, buf: Uint8Array): number {
    hub.infoRead = true;
    // Served from the prefetch only for buffers it covers (bytes past the kernel's length are
    // not the kernel's, with either source).
    if (tid !== hub.infoTid || buf.length > SYSINFO_BYTES) return native.getSyscallInfo(tid, buf);
    buf.set(buf.length === SYSINFO_BYTES ? hub.sysinfo : hub.sysinfo.subarray(0, buf.length));
    return hub.infoLen;
  },
  infoUnused(tid: number): void {
    if (tid === hub.infoTid || hub.dispatching) hub.infoRead = false;
  },
  getRegSet: (tid, nt, buf) => native.getRegSet(tid, nt, buf),
  setRegSet(tid: number, nt: number, buf: Uint8Array, length: number): void {
    if (tid === hub.infoTid) hub.infoTid = 0; // the info would now differ (orig_rax, args)
    native.setRegSet(tid, nt, buf, length);
  },
  peekUser: (tid, offset) => native.peekUser(tid, offset),
  pokeUser(tid: number, offset: number, value: bigint): void {
    if (tid === hub.infoTid) hub.infoTid = 0;
    native.pokeUser(tid, offset, value);
  },
  tgkill: (tgid, tid, signal) => native.tgkill(tgid, tid, signal),

  readMemory: (tid, addr, buf, length) => native.readMemory(tid, addr, buf, length),
  writeMemory: (tid, addr, buf, length) => native.writeMemory(tid, addr, buf, length),
  storeMemory: (tid, addr, buf, length) => native.storeMemory(tid, addr, buf, length),
  swapByte: (tid, addr, byte) => native.swapByte(tid, addr, byte),

  getAffinity: (tid, buf) => native.getAffinity(tid, buf),
  setAffinity: (tid, buf, length) => native.setAffinity(tid, buf, length),
  getCpu: () => native.getCpu(),
};
