/**
 * The x86 debug-register allocator of one process (Inferior.hw): four slots (addresses in
 * DR0-DR3, enabled and sized by DR7, hits read from DR6) shared by
 * - gdb's hardware breakpoints (Z1) and watchpoints (Z2 write, Z4 access; a range is split into
 *   naturally aligned 1/2/4/8-byte pieces, one slot each; x86 cannot trap reads only, Z3);
 * - stand-ins for software breakpoints with target-side conditions (a Z0 on a debug register
 *   rather than an int3: docs/gdb-server.md, "Target-side breakpoint conditions").
 * gdb's own come first: a stand-in gives its slot up and becomes an int3 again. Debug
 * registers are per thread: every change is written to every live thread of the process, and
 * a new thread gets them at its first stop (callbacks.ts).
 */
import { debugRegistersTrap } from '../../api.js';
import type { StopReason } from './protocol/index.js';
import { isLive, type Inferior, type ThreadState } from './model.js';

export interface HwSlot {
  /** 0 exec, 1 write, 3 access (DR7 RW bits). */
  rw: 0 | 1 | 3;
  addr: bigint;
  len: number;
  /** The Z packet this slot serves (a split watchpoint uses several slots); Z0 (0): a
   * debug-register stand-in for a software breakpoint with target-side conditions. */
  zType: number;
  zAddr: bigint;
  zLen: number;
}

function dr7(inf: Inferior): bigint {
  let v = 0n;
  inf.hw.forEach((s, i) => {
    if (!s) return;
    const lenBits = s.len === 1 ? 0n : s.len === 2 ? 1n : s.len === 8 ? 2n : 3n;
    v |= 1n << BigInt(2 * i);
    v |= (BigInt(s.rw) | (lenBits << 2n)) << BigInt(16 + 4 * i);
  });
  return v ? v | 0x100n : 0n; // LE: exact data breakpoints, as gdbserver sets
}

/** Write the process's slots into one (held) thread. */
export function applyDebugRegs(ts: ThreadState): void {
  const inf = ts.inf;
  const t = ts.task;
  t.setDebugReg(7, 0n);
  inf.hw.forEach((s, i) => t.setDebugReg(i, s ? s.addr : 0n));
  t.setDebugReg(7, dr7(inf));
}

/** Write the process's slots into every live thread of it. */
export function applyDebugRegsAll(inf: Inferior, log: (m: string) => void): void {
  for (const ts of inf.live()) {
    try {
      applyDebugRegs(ts);
    } catch (e) {
      log(`debug registers on ${ts.tid}: ${String(e)}`);
    }
  }
}

/** The slot whose DR6 hit bit is set; DR6 is cleared (the CPU never clears it). */
export function debugHit(ts: ThreadState): HwSlot | undefined {
  if (!ts.inf.hw.some((s) => s)) return undefined;
  let dr6: bigint;
  try {
    dr6 = ts.task.debugReg(6);
  } catch {
    return undefined;
  }
  if ((dr6 & 0xfn) === 0n) return undefined;
  ts.task.setDebugReg(6, 0n);
  for (let i = 0; i < 4; i++) {
    const s = ts.inf.hw[i];
    if (dr6 & (1n << BigInt(i)) && s) return s;
  }
  return undefined;
}

/** The stop reason gdb hears for a hit of this slot. */
export function slotReason(s: HwSlot): StopReason {
  if (s.zType === 0) return { kind: 'swbreak' };
  if (s.zType === 1) return { kind: 'hwbreak' };
  return { kind: s.zType === 2 ? 'watch' : s.zType === 3 ? 'rwatch' : 'awatch', address: s.zAddr };
}

/** DR6 hit bits -> stop reason. */
export function debugStopReason(ts: ThreadState): StopReason | undefined {
  const s = debugHit(ts);
  return s ? slotReason(s) : undefined;
}

/** Watchpoints on the debug registers: emulated accesses would not trigger them. */
export function hasWatchpoints(inf: Inferior): boolean {
  return inf.hw.some((s) => s !== null && s.zType >= 2);
}

/** Take slots for Z`type` at addr,len (one for an execute breakpoint, one per aligned piece of
 * a watched range). False when too few are free. */
export function hwInsert(inf: Inferior, type: number, addr: bigint, len: number, log: (m: string) => void): boolean {
  if (inf.hw.some((s) => s && s.zType === type && s.zAddr === addr && s.zLen === len)) return true;
  const rw: 0 | 1 | 3 = type <= 1 ? 0 : type === 2 ? 1 : 3;
  const chunks: { addr: bigint; len: number }[] = [];
  if (type <= 1) chunks.push({ addr, len: 1 });
  else {
    // Split into naturally aligned 1/2/4/8-byte pieces, one debug register each.
    let a = addr;
    let left = len;
    while (left > 0) {
      let size = 8;
      while (size > 1 && (a % BigInt(size) !== 0n || size > left)) size >>= 1;
      chunks.push({ addr: a, len: size });
      a += BigInt(size);
      left -= size;
    }
  }
  if (type !== 0) evictDrBps(inf, chunks.length);
  const free = inf.hw.map((s, i) => (s ? -1 : i)).filter((i) => i >= 0);
  if (chunks.length > free.length || len <= 0) return false;
  chunks.forEach((c, k) => {
    inf.hw[free[k]!] = { rw, addr: c.addr, len: c.len, zType: type, zAddr: addr, zLen: len };
  });
  applyDebugRegsAll(inf, log);
  return true;
}

/** Free the slots of Z`type` at addr,len. */
export function hwRemove(inf: Inferior, type: number, addr: bigint, len: number, log: (m: string) => void): void {
  inf.hw = inf.hw.map((s) => (s && s.zType === type && s.zAddr === addr && s.zLen === len ? null : s));
  applyDebugRegsAll(inf, log);
}

// ---------------------------------------------------------------- conditional breakpoints

/** gdb's own hbreak/watchpoints come first: debug-register stand-ins for conditional
 * breakpoints give their slots up (and become int3s) until `need` slots are free. */
function evictDrBps(inf: Inferior, need: number): void {
  for (let i = 0; i < 4 && inf.hw.filter((s) => !s).length < need; i++) {
    const s = inf.hw[i];
    if (!s || s.zType !== 0) continue;
    try {
      inf.proc.insertBreakpoint(inf.owner!, s.zAddr);
    } catch {
      continue; // unmapped: keep it on the debug register
    }
    inf.drBps.delete(s.zAddr);
    inf.hw[i] = null;
  }
}

/**
 * May a software breakpoint with target-side conditions be served by a debug register?
 * A false condition then costs one stop and no step-over: an execute breakpoint traps before
 * the instruction runs and the kernel sets RF in the saved flags, so the thread simply
 * continues (an int3 must be lifted, the instruction single-stepped with every other thread
 * held, and the int3 put back). Only when a slot is free and every thread of the process is
 * held (debug registers are per thread and written with ptrace, and new threads get them at
 * their first stop), so all-stop only; and only where debug registers trap at all.
 */
export function drForConditions(inf: Inferior, nonStop: boolean): boolean {
  if (nonStop || !inf.hw.includes(null) || !debugRegistersTrap()) return false;
  for (const t of inf.threads.values()) if (!t.held && isLive(t)) return false;
  return true;
}

/**
 * The process gets its second thread (the parent stopped here, the child not yet running):
 * conditional breakpoints kept as int3s for their emulated step-over (single-threaded
 * processes only) move to free debug registers, which need no step-over while other threads
 * run. The child copies the debug registers at its first stop.
 */
export function condBpsToDebugRegs(inf: Inferior, log: (m: string) => void): void {
  if (!debugRegistersTrap()) return;
  for (const [addr, conds] of inf.swbps) {
    if (!conds.length || inf.drBps.has(addr) || !inf.hw.includes(null)) continue;
    if (!hwInsert(inf, 0, addr, 1, log)) continue;
    inf.drBps.add(addr);
    try {
      inf.proc.removeBreakpoint(inf.owner!, addr);
    } catch {
      /* unmapped meanwhile */
    }
  }
}
