/**
 * The gdb engine's callbacks (EngineOps, one engine per traced thread with its ThreadState as
 * engine data): what each report from the core means for gdb. A callback votes one of
 * - go on as gdb asked, or stay held when gdb did not resume the thread (stops.proceed);
 * - hold the thread and queue a stop for gdb (stops.holdWith);
 * - for a real signal, hold the thread in a gate until gdb says whether it is delivered
 *   (stops.holdInGate);
 * - nothing (undefined) for what is not gdb's business (another engine's breakpoint).
 * The protocol those votes feed is in stops.ts.
 */
import { CLONE_THREAD, CLONE_VFORK, Event, Resume, SignalAction, ptraceAbi } from '../../api.js';
import type { EngineOps, ExecReport, SignalReport, SyscallReport, Task } from '../../api.js';
import { GDB_SIGNAL, gdbSignalFromLinux, supports, type StopReason } from './protocol/index.js';
import { applyDebugRegs, condBpsToDebugRegs, debugHit, debugStopReason, slotReason } from './debugRegs.js';
import type { ThreadState, ThreadStop } from './model.js';
import { DEBUG } from './debug.js';
import { conditionTrue, endStepOver, finishStepOver, runCommands, stepOverBreakpoint } from './stepping.js';
import type { GdbSession } from './session.js';

const { SIGCHLD, SIGILL, SIGSEGV, SIGTRAP, SI_KERNEL, TRAP_BRKPT, TRAP_TRACE, TRAP_HWBKPT } = ptraceAbi;

/** clone(2)'s exit-signal bits. */
const CSIGNAL = 0xffn;

/** The events every gdb engine asks for (plus syscalls while gdb catches some). */
export const BASE_EVENTS = Event.QUIESCE | Event.SIGNAL_ALL | Event.CLONE | Event.EXEC | Event.DEATH | Event.REAP;

export function engineOps(s: GdbSession): EngineOps<ThreadState> {
  return {
    name: 'gdbserver',
    reportQuiesce: (_a, e, event) => onQuiesce(s, e.data, event),
    reportSignal: (_a, e, sig) => (sig ? onSignal(s, e.data, sig) : undefined),
    reportClone: (_a, e, flags, child) => onClone(s, e.data, flags, child),
    reportExec: (_a, e, exec) => onExec(s, e.data, exec),
    reportSyscallEntry: (_a, e, call) => onSyscall(s, e.data, call, true),
    reportSyscallExit: (_a, e, call) => onSyscall(s, e.data, call, false),
    // Asked of leaders only (see GdbSession.eventMask): a leader that leaves early
    // (pthread_exit) sits as a zombie until its process ends, with no death report to come.
    reportExit: (_a, e) => {
      s.stops.leaderExited(e.data);
      return Resume.RESUME;
    },
    reportDeath: (e, groupDead) => {
      if (DEBUG) s.stops.dbg(`death of ${e.data.tid}${groupDead ? ' (group)' : ''}`);
      if (!groupDead) s.stops.threadDied(e.data);
      return undefined;
    },
    reportReap: (e) => {
      const ts = e.data;
      if (DEBUG) s.stops.dbg(`reap of ${ts.tid}`);
      ts.inf.threads.delete(ts.task);
      s.threadsXml = undefined;
      const wasGone = ts.gone;
      s.stops.markGone(ts);
      // A thread of a live process exited: `w` when gdb asked for thread events (non-stop).
      if (!wasGone && s.stops.nonStop && s.threadEvents && !ts.inf.gone && ts.tid !== ts.inf.pid) {
        void ts.task.exit.then((st) => {
          if (!ts.inf.gone) s.stops.queueStop({ kind: 'texit', ts, code: st.code ?? 0 });
        });
      }
    },
  };
}

/** Event 0 is a report point owed to a step we asked for, or a new thread's first stop. */
function onQuiesce(s: GdbSession, ts: ThreadState, event: number): number | void {
  if (event !== 0) return undefined;
  if (ts.fresh) return onNewThread(s, ts);
  if (ts.stepOver) return finishStepOver(s, ts);
  if (!ts.stepping) return undefined;
  return onStepDone(s, ts);
}

function onStepDone(s: GdbSession, ts: ThreadState): number {
  if (DEBUG) s.stops.dbg(`step done ${ts.tid}`);
  const hw = debugStopReason(ts);
  if (hw) return s.stops.holdWith(ts, { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason: hw });
  if (ts.range) {
    const pc = ts.task.regs().pc;
    if (pc >= ts.range.start && pc < ts.range.end) {
      // Range stepping, still in the range: step on, or, when asked to stop (another stop,
      // a step over), stay held with nothing to report (a stop inside the range is none of
      // gdb's business); released, the thread steps the range on.
      if (s.stops.running && !ts.stopRequested) return Resume.SINGLESTEP;
      return s.stops.proceed(ts);
    }
  }
  return s.stops.holdWith(ts, { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, step: true });
}

function onSignal(s: GdbSession, ts: ThreadState, rep: SignalReport): number | Promise<number> | void {
  if (DEBUG) s.stops.dbg(`signal ${rep.signo} code ${rep.code} on ${ts.tid}`);
  // Our own step's trap comes as a report (onQuiesce), never here: a signal cut the step over.
  if (ts.stepOver) endStepOver(s, ts, `cut by signal ${rep.signo}`);
  // Let go to take a trap queued behind our interrupt (ThreadHolds.takeQueuedTrap): held
  // after it whatever it turns out to be, as the interrupt's stop was meant to hold it.
  const tookTrap = ts.takingTrap;
  ts.takingTrap = false;
  const sig = rep.signo;
  if (ts.injectSig && sig === ts.injectSig) {
    ts.injectSig = 0;
    return s.stops.resumeKind(ts) | SignalAction.DELIVER;
  }
  ts.siginfo = rep.info; // the core's own copy for this report
  let ev: ThreadStop | undefined;
  if (sig === SIGTRAP) {
    if (rep.code === SI_KERNEL) {
      const regs = ts.task.regs();
      const addr = regs.pc - 1n;
      if (ts.inf.swbps.has(addr)) {
        // x86 reports int3 with the PC after it: put it back on the breakpoint, in the thread.
        regs.pc = addr;
        ts.task.setRegs(regs);
        const conds = ts.inf.swbps.get(addr)!;
        const cmds = ts.inf.bpCmds.has(addr);
        // Under a permanent breakpoint (the program's own int3) a step over would only trap
        // again, for ever: gdb hears of the hit, as from gdbserver, whose step over traps at
        // once, and skips the int3 itself.
        if ((conds.length || cmds) && !ts.stepping && !permanentBreakpoint(ts, addr)) {
          if (conds.length && !conditionTrue(ts, conds, s.log)) return stepOverBreakpoint(s, ts, addr);
          // Its commands (dprintf-style agent) run and the hit stays unreported (gdbserver).
          if (cmds) return stepOverBreakpoint(s, ts, addr, true);
        }
        // A hit under gdb's step is reported; its commands run as gdbserver runs them there.
        if (cmds && ts.stepping && (!conds.length || conditionTrue(ts, conds, s.log))) runCommands(s, ts, addr);
        ev = { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason: { kind: 'swbreak' }, bpAddr: addr };
      } else if (ts.inf.proc.hasBreakpoint(addr)) {
        return tookTrap ? s.stops.proceed(ts) : undefined; // another engine's breakpoint: its business
      } else if (ts.inf.formerBps.has(addr) && !permanentBreakpoint(ts, addr)) {
        // The hit of a breakpoint gdb has removed since: the thread was stopped for another
        // thread's stop (PTRACE_INTERRUPT, whose stop comes before the queued SIGTRAP) and
        // resumed after the removal. gdb would hear a plain SIGTRAP a byte past the address
        // (issue 15); gdbserver, which sees the trap first, drops the pending hit. Dropped
        // too: the PC goes back and the original instruction runs.
        if (DEBUG) s.stops.dbg(`stale hit of removed breakpoint ${addr.toString(16)} by ${ts.tid}`);
        regs.pc = addr;
        ts.task.setRegs(regs);
        return s.stops.proceed(ts) | SignalAction.IGN;
      }
    }
    if (!ev && rep.code === TRAP_HWBKPT) {
      const hit = debugHit(ts);
      if (hit?.zType === 0) {
        // A debug-register breakpoint traps before the instruction: the PC is on it.
        const addr = hit.zAddr;
        const conds = ts.inf.swbps.get(addr) ?? [];
        const cmds = ts.inf.bpCmds.has(addr);
        if ((conds.length || cmds) && !ts.stepping) {
          const run = !conds.length || conditionTrue(ts, conds, s.log);
          if (run && cmds) runCommands(s, ts, addr);
          // The kernel set RF: resumed, the instruction runs without trapping again.
          if (!run || cmds) return s.stops.proceed(ts) | SignalAction.IGN;
        } else if (cmds && (!conds.length || conditionTrue(ts, conds, s.log))) {
          runCommands(s, ts, addr); // under gdb's step: reported, as for an int3
        }
        ev = { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason: { kind: 'swbreak' }, bpAddr: addr };
      } else if (hit) {
        ev = { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason: slotReason(hit) };
      }
    }
    if (!ev) {
      const hw = debugStopReason(ts);
      if (hw) ev = { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason: hw };
    }
    if (!ev && ts.stepping && (rep.code === TRAP_BRKPT || rep.code === TRAP_TRACE)) {
      // A step over `syscall` ends with TRAP_BRKPT: still our step.
      ev = { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, step: true };
    }
  }
  // A trap of ours (breakpoint, watchpoint, step) is never delivered: the thread is held
  // with a plain STOP, released synchronously by the resume packet (no promise turn).
  if (ev) return s.stops.holdWith(ts, ev) | SignalAction.IGN;
  const gdbSig = gdbSignalFromLinux(sig);
  // Passed without a stop, as gdbserver passes them: not while gdb steps the thread (gdb steps
  // over the handler itself, with a breakpoint at its return; delivered under a step, the
  // step would end in the handler and gdb would stop there), and not a signal a breakpoint
  // can cause (SIGTRAP, SIGILL, SIGSEGV).
  if (s.passSignals.has(gdbSig) && !ts.stepping && sig !== SIGTRAP && sig !== SIGILL && sig !== SIGSEGV) {
    return s.stops.resumeKind(ts) | SignalAction.DELIVER;
  }
  return s.stops.holdInGate(ts, rep, { kind: 'thread', ts, signal: gdbSig });
}

/** x86's int3: the byte under one of our breakpoints when the program has its own there. */
const INT3 = 0xcc;

/** Is the instruction under our breakpoint at addr an int3 of the program's own? */
function permanentBreakpoint(ts: ThreadState, addr: bigint): boolean {
  try {
    return ts.task.readMemory(addr, 1)[0] === INT3; // the core shows the original byte
  } catch {
    return false;
  }
}

function onClone(s: GdbSession, ts: ThreadState, flags: bigint, child: Task): number {
  s.stops.dbg(`clone ${ts.tid} -> ${child.tid} flags ${flags.toString(16)}`);
  if (isLwpClone(flags)) {
    if (!s.stops.nonStop && ts.inf.live().length === 1) condBpsToDebugRegs(ts.inf, s.log);
    const cts = s.addThread(ts.inf, child);
    cts.resumed = ts.resumed;
    // A report pass at its first stop, in the same drain as the stop: debug registers
    // (per thread, not inherited) are copied there, and it runs on or stays held as the
    // others do. (A STOP and a promise would keep it until the event loop turns.)
    cts.fresh = true;
    try {
      cts.engine.control(Resume.REPORT);
    } catch {
      s.stops.markGone(cts); // died at once
    }
    return s.stops.proceed(ts);
  }
  const vfork = (flags & CLONE_VFORK) !== 0n;
  if (!supports(s.q, vfork ? 'vfork-events' : 'fork-events')) return s.stops.proceed(ts); // the core detaches the child
  const cinf = s.addInferior(child.process, ts.inf.attached);
  cinf.forkParent = ts.inf;
  const cts = s.addThread(cinf, child);
  s.stops.holdForkChild(cts);
  if (vfork) {
    ts.vforkWait = true;
    s.updateEvents();
  }
  return s.stops.holdWith(ts, {
    kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason: { kind: vfork ? 'vfork' : 'fork', child: { pid: child.tid, tid: child.tid } },
  });
}

/**
 * Is the clone a new thread for gdb? The kernel reports PTRACE_EVENT_CLONE, and gdbserver adds
 * a thread to the same inferior, for every clone that is no vfork and whose exit signal is not
 * SIGCHLD, CLONE_THREAD or not (a clone(CLONE_VM) child has a thread group of its own). The
 * core passes a fork event as SIGCHLD alone, a vfork event with CLONE_VFORK, a clone event
 * with clone's own flags (clone3: no exit signal among them).
 */
export function isLwpClone(flags: bigint): boolean {
  return (flags & CLONE_THREAD) !== 0n || ((flags & CLONE_VFORK) === 0n && (flags & CSIGNAL) !== BigInt(SIGCHLD));
}

/** The first stop of a new thread (its owed report pass). */
function onNewThread(s: GdbSession, cts: ThreadState): number {
  cts.fresh = false;
  s.stops.dbg(`new thread ${cts.tid} stopped (resumed ${cts.resumed})`);
  if (cts.inf.hw.some((slot) => slot)) {
    try {
      applyDebugRegs(cts);
    } catch (e) {
      s.log(`debug registers for new thread ${cts.tid}: ${String(e)}`);
    }
  }
  if (s.stops.nonStop && s.threadEvents && cts.resumed) {
    return s.stops.holdWith(cts, { kind: 'thread', ts: cts, signal: GDB_SIGNAL.TRAP, reason: { kind: 'create' } });
  }
  return s.stops.proceed(cts);
}

function onExec(s: GdbSession, ts: ThreadState, exec: ExecReport): number {
  const inf = ts.inf;
  inf.swbps.clear(); // a new address space: the core dropped its table too
  inf.bpCmds.clear();
  inf.formerBps.clear();
  inf.drBps.clear();
  inf.hw = [null, null, null, null];
  inf.rDebug = 0n;
  inf.svr4Doc = undefined;
  inf.tls = undefined;
  s.threadsXml = undefined;
  if (inf.expectExecs > 0) {
    if (--inf.expectExecs > 0) return Resume.RESUME; // the shell's exec
    s.stops.markHeld(ts);
    inf.started?.();
    inf.started = undefined;
    return Resume.STOP;
  }
  const reason: StopReason | undefined = supports(s.q, 'exec-events') ? { kind: 'exec', path: exec.filename } : undefined;
  return s.stops.holdWith(ts, { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason });
}

function onSyscall(s: GdbSession, ts: ThreadState, call: SyscallReport, entry: boolean): number | void {
  if (!entry && ts.vforkWait) {
    // The first syscall exit after the vfork event is the vfork's own return: the child
    // has exec'd or exited and released the shared memory.
    ts.vforkWait = false;
    s.updateEvents();
    // gdbserver sees two stops here, PTRACE_EVENT_VFORK_DONE and then the syscall exit: the
    // vfork's return is told at the next resume if gdb catches it then (StopProtocol.resume).
    ts.atSyscallExit = call.nr;
    return s.stops.holdWith(ts, { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason: { kind: 'vforkdone' } });
  }
  if (s.catchesSyscall(call.nr) && ts.resumed) {
    return s.stops.holdWith(ts, {
      kind: 'thread', ts, signal: GDB_SIGNAL.TRAP,
      reason: { kind: entry ? 'syscall_entry' : 'syscall_return', syscall: call.nr },
    });
  }
  if (ts.stepping) return Resume.SINGLESTEP;
  return undefined;
}
