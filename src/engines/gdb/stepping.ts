/**
 * Steps the engine takes without gdb: the steps gdb asks for, emulated when the core knows the
 * instruction (the thread never runs), and the step over a breakpoint whose target-side
 * condition is false (emulated when the core knows the instruction, else the int3 lifted for
 * one real step with the other threads held). docs/gdb-server.md, "Steps gdb asks for, emulated" and
 * "Target-side breakpoint conditions".
 */
import { Resume, SignalAction, emulate } from '../../api.js';
import { AMD64_REGISTERS, evalAgentExpr, evaluateConditions, readRegisterValue, type AgentEnv, type VContAction } from './protocol/index.js';
import { hasWatchpoints } from './debugRegs.js';
import { signalPending } from './procfs.js';
import type { ThreadState } from './model.js';
import type { GdbSession } from './session.js';
import { DEBUG } from './debug.js';

/** Instructions of one range step (vCont;r) emulated in a row before real steps take over
 * (these, unlike the synchronous emulation, let a 0x03 from gdb in). */
const MAX_EMULATED_RANGE_STEP = 1000;

/** UTRACE_GDB_EMULATE=0: every step gdb asks for is a real single-step (to compare with the
 * emulator when its result is in doubt; the tests compare both). */
const EMULATE_STEPS = process.env['UTRACE_GDB_EMULATE'] !== '0';

/**
 * How late emulated steps of a single-threaded process may notice a pending signal, in ms.
 * While its only thread is held, a signal comes from outside (a timer, another process, a
 * child's SIGCHLD), at a moment no instruction depends on; a step that notices it steps for
 * real and stops for it, as gdbserver's real steps do. Looked for at the first step after gdb's
 * prompt (gdb's sigstep.exp: a timer expired while gdb waited, then stepi) and then at most
 * every 10 ms: each look costs more than an emulated step, and a signal that comes faster
 * than gdb's round trips would otherwise be met at every step, the program making no progress
 * between them (a 1 ms timer under `next`, each signal a stop, a breakpoint at the handler's
 * return and a new range step: with 1 ms, the loop that ends at 200 signals saw 400 to 3700).
 */
const SIGNAL_CHECK_MS = 10;

/** Is a signal pending, looked for if SIGNAL_CHECK_MS have passed since the last look? */
function signalDue(ts: ThreadState): boolean {
  const now = performance.now();
  if (now - ts.signalCheckAt < SIGNAL_CHECK_MS) return false;
  ts.signalCheckAt = now;
  return signalPending(ts);
}

/**
 * vCont;s or ;r of the only thread gdb resumes (all-stop), with no signal: emulate its
 * instructions (Task.emulateStep) instead of single-stepping them, one for s, until the PC
 * leaves the range for r. True when the step is done; false to step for real (from wherever
 * emulation stopped). Not with watchpoints set: they must fire for the accesses.
 */
export function emulateSteps(ts: ThreadState, a: VContAction): boolean {
  if (!EMULATE_STEPS) return false;
  if ((a.action !== 's' && a.action !== 'r') || a.signal !== undefined) return false;
  if (!ts.held || ts.gate || ts.injectSig || ts.stepOver || ts.fresh || ts.gone) return false;
  if (hasWatchpoints(ts.inf)) return false;
  // A signal pending: the real step meets it first. With other threads, one of them may have
  // sent it just now (gdb ran it alone, scheduler-locking): looked for at every step then.
  if (ts.inf.threads.size > 1) {
    ts.signalCheckAt = performance.now();
    if (signalPending(ts)) return false;
  } else if (signalDue(ts)) return false;
  try {
    for (let n = 0; n < MAX_EMULATED_RANGE_STEP; n++) {
      if (n > 0 && signalDue(ts)) return false; // a long range: a timer may expire meanwhile
      // A debug-register breakpoint on the instruction traps before it runs: step for real.
      const pc0 = ts.task.regs().pc;
      if (ts.inf.hw.some((s) => s !== null && s.zType <= 1 && s.zAddr === pc0)) return false;
      if (!ts.task.emulateStep()) return false;
      if (a.action === 's') return true;
      const pc = ts.task.regs().pc;
      if (pc < a.start! || pc >= a.end!) return true;
    }
  } catch {
    /* gone: the real resume reports it */
  }
  return false;
}

/** Would Task.emulateStep know the instruction at addr? (Its operands are not read.) */
export function emulable(ts: ThreadState, addr: bigint): boolean {
  try {
    const regs = ts.task.regs().clone();
    regs.pc = addr;
    return emulate(ts.task.readMemory(addr, 15), regs, { load: () => 0n }) !== undefined;
  } catch {
    return false;
  }
}

/** The stopped thread as agent bytecode sees it (registers, memory). */
function agentEnv(ts: ThreadState): AgentEnv {
  const gpr = ts.task.regs().buf; // read only: no copy
  let fp: Buffer | undefined;
  return {
    readRegister: (n) => {
      // General registers straight from the stop's cached user_regs_struct; the FP set is
      // fetched only for an FP or vector register.
      const reg = AMD64_REGISTERS[n];
      if (reg?.source.buf === 'gpr') {
        const off = reg.source.slot * 8;
        return reg.size === 8 ? gpr.readBigUInt64LE(off) : BigInt(gpr.readUInt32LE(off));
      }
      fp ??= ts.task.regset('fp');
      const v = readRegisterValue(n, gpr, fp);
      if (v === undefined) throw new Error(`no register ${n}`);
      return v;
    },
    readMemory: (addr, len) => {
      const b = ts.task.readMemory(addr, len);
      return b.length === len ? b : undefined;
    },
  };
}

/** Evaluate a breakpoint's target-side conditions (agent bytecode) in the stopped thread. */
export function conditionTrue(ts: ThreadState, conds: Buffer[], log: (m: string) => void): boolean {
  const r = evaluateConditions(conds, agentEnv(ts));
  if (r.error) log(`breakpoint condition: ${r.error}`);
  return r.stop;
}

/**
 * Run the target-side commands of the breakpoint at addr (dprintf-style agent), in the
 * stopped thread, once per hit: their printf output goes where gdbserver's goes (the
 * session's printfOutput). Like gdbserver, the first program that fails ends the run; the
 * failure is a line on the log, the hit stays unreported.
 */
export function runCommands(s: GdbSession, ts: ThreadState, addr: bigint): void {
  const programs = ts.inf.bpCmds.get(addr);
  if (!programs) return;
  const env = agentEnv(ts);
  env.printf = (text) => s.printfOutput(text);
  for (const code of programs) {
    const r = evalAgentExpr(code, env, { requireValue: false });
    if ('error' in r) {
      s.log(`breakpoint commands at 0x${addr.toString(16)} (thread ${ts.tid}): ${r.error}`);
      return;
    }
  }
}

/** A false target-side condition, or a hit whose commands ran: step over the breakpoint
 * here, without gdb. Other threads of the process are held meanwhile so none runs past the
 * lifted int3. withCommands: the breakpoint's commands run first (not when the thread stays
 * on the int3 to hit it again). */
export function stepOverBreakpoint(s: GdbSession, ts: ThreadState, addr: bigint, withCommands = false): number | Promise<number> {
  // Someone wants this thread held (another thread's step over, which waits for it; or gdb
  // stopping everything): stay held on the int3, the PC already put back. Released, the thread
  // hits it again and the condition is evaluated again (gdbserver does the same). Stepping
  // over here too would deadlock: each step over waits for the other thread to be held.
  if (ts.stopRequested || ts.waiters.length > 0 || ts.inf.live().some((o) => o !== ts && o.busy)) {
    if (DEBUG) s.stops.dbg(`step over ${addr.toString(16)} by ${ts.tid}: another thread's step over first`);
    return s.stops.proceed(ts) | SignalAction.IGN;
  }
  if (withCommands) runCommands(s, ts, addr);
  const others = ts.inf.live().filter((o) => o !== ts && !o.held);
  if (DEBUG) s.stops.dbg(`step over ${addr.toString(16)} by ${ts.tid}, holding ${others.map((o) => o.tid).join(',')}`);
  // The instruction under the int3 is emulated when the core can: the int3 stays, no
  // single-step trap, and the other threads need not be held (that is what makes a false
  // condition hit by many threads at once affordable). They may run meanwhile: the emulator
  // knows no locked or implicitly locked instruction, and its one load and one store are
  // those of the real instruction, which other CPUs could interleave with just the same.
  if (!hasWatchpoints(ts.inf)) {
    try {
      if (ts.task.emulateStep(ts.inf.owner)) return s.stops.proceed(ts) | SignalAction.IGN;
    } catch {
      /* gone */
    }
  }
  ts.busy = true;
  const step = (): number => {
    try {
      ts.inf.proc.removeBreakpoint(ts.inf.owner!, addr);
    } catch {
      /* gone */
    }
    ts.stepOver = { addr, others };
    return Resume.SINGLESTEP | SignalAction.IGN;
  };
  // Nothing else runs (one thread, or all held): no promise turn. Else hold them, and again
  // any thread created meanwhile, until none runs.
  const gather = (): number | Promise<number> => {
    const running = ts.inf.live().filter((o) => o !== ts && !o.held);
    if (running.length === 0) return step();
    for (const o of running) if (!others.includes(o)) others.push(o);
    return Promise.all(running.map((o) => s.stops.holdThread(o))).then(gather);
  };
  return gather();
}

/** The step over the breakpoint is done: the int3 goes back, the others go on. */
export function finishStepOver(s: GdbSession, ts: ThreadState): number {
  endStepOver(s, ts, 'done');
  return s.stops.proceed(ts);
}

/**
 * The step over the breakpoint ends without its step: the int3 goes back, the others go on.
 * A signal stop cut it (the instruction under the int3 faulted, or a signal came first): the
 * signal is then decided on as any other, with the breakpoint in place (a handler that runs
 * the same code hits it). Left on, each later resume of the thread was a step (resumeKind)
 * whose trap gdb heard as a SIGTRAP.
 */
export function endStepOver(s: GdbSession, ts: ThreadState, why: string): void {
  const { addr, others } = ts.stepOver!;
  if (DEBUG) s.stops.dbg(`step over ${addr.toString(16)} by ${ts.tid} ${why}`);
  ts.stepOver = undefined;
  ts.busy = false;
  if (ts.inf.swbps.has(addr)) {
    try {
      ts.inf.proc.insertBreakpoint(ts.inf.owner!, addr);
    } catch {
      /* unmapped meanwhile */
    }
  }
  s.stops.resumeHeldForStepOver(others);
}
