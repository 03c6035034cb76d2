/**
 * Builds the seccomp-bpf prefilter: SECCOMP_RET_TRACE for the selected syscall numbers,
 * SECCOMP_RET_ALLOW for the rest, so unselected calls never stop (seccomp(2), strace's
 * --seccomp-bpf). The native spawn installs it in the child right before execve.
 *
 * The filter is inherited by every descendant and cannot be removed, and SECCOMP_RET_TRACE
 * with no tracer makes the call fail with ENOSYS. So a descendant that escaped tracing would
 * lose every selected syscall. A guard in front of the list stops every clone3 and any clone
 * with CLONE_UNTRACED (SECCOMP_RET_TRACE with data SECCOMP_GUARD_DATA), whether selected or
 * not, so that the core can clear CLONE_UNTRACED and keep the child traced. (Children that are
 * not followed at all get ENOSYS the same way: the prefilter is for following tracers, as
 * strace uses --seccomp-bpf only with -f.) seccompStop() below does that clearing at the stop.
 */
import { isGone } from './errors.js';
import * as P from './ptrace.js';
import { loadSysinfo } from './syscallCall.js';
import type { Task } from './task.js';

const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGT_K = 0x25;
const BPF_JGE_K = 0x35;
const BPF_JSET_K = 0x45;
const BPF_RET_K = 0x06;
const AUDIT_ARCH_X86_64 = 0xc000003e;
const SECCOMP_RET_ALLOW = 0x7fff0000;
const SECCOMP_RET_TRACE = 0x7ff00000;
/** seccomp_data: nr at 0, arch at 4, args[0] at 16 (its low 32 bits, little-endian). */
const OFF_NR = 0;
const OFF_ARCH = 4;
const OFF_ARG0_LO = 16;
const NR_CLONE = 56;
const NR_CLONE3 = 435;
/** Clone flag that keeps the kernel from attaching the child to our tracer. */
export const CLONE_UNTRACED = 0x00800000;
/** SECCOMP_RET_DATA of the guard's stops (selected calls stop with 0). */
export const SECCOMP_GUARD_DATA = 1;
const MAX_JUMP = 255;

/**
 * selected: the numbers that stop; allNrs: every number the arch's table names; unnamed: also
 * stop every number it does not name (past its end, or in a hole of it).
 */
export function buildSeccompFilter(selected: Iterable<number>, allNrs: readonly number[], unnamed = false): Uint8Array {
  const sel = new Set(selected);
  // Jump offsets are 8-bit: list whichever side is shorter (selected, or its complement).
  const complement = allNrs.filter((n) => !sel.has(n));
  const listSelected = sel.size <= complement.length;
  const list = listSelected ? [...sel] : complement;
  if (list.length > MAX_JUMP) throw new RangeError('seccomp filter: too many syscalls');
  const hit = listSelected ? SECCOMP_RET_TRACE : SECCOMP_RET_ALLOW;
  const miss = listSelected ? SECCOMP_RET_ALLOW : SECCOMP_RET_TRACE;
  const prog: [number, number, number, number][] = [
    [BPF_LD_W_ABS, 0, 0, OFF_ARCH],
    [BPF_JEQ_K, 1, 0, AUDIT_ARCH_X86_64],
    [BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW], // other ABIs are not filtered
    [BPF_LD_W_ABS, 0, 0, OFF_NR],
    // The guard: clone3 (flags in memory), or clone with CLONE_UNTRACED in its flags.
    [BPF_JEQ_K, 3, 0, NR_CLONE3],
    [BPF_JEQ_K, 0, 3, NR_CLONE],
    [BPF_LD_W_ABS, 0, 0, OFF_ARG0_LO],
    [BPF_JSET_K, 0, 1, CLONE_UNTRACED],
    [BPF_RET_K, 0, 0, SECCOMP_RET_TRACE | SECCOMP_GUARD_DATA],
    [BPF_LD_W_ABS, 0, 0, OFF_NR],
  ];
  // Listing the complement, a number not named is not in the list: it stops already.
  if (unnamed && listSelected) {
    for (const [lo, hi] of unnamedRanges(allNrs)) {
      if (hi === undefined) prog.push([BPF_JGE_K, 0, 1, lo]);
      else prog.push([BPF_JGE_K, 0, 2, lo], [BPF_JGT_K, 1, 0, hi]);
      prog.push([BPF_RET_K, 0, 0, SECCOMP_RET_TRACE]);
    }
  }
  list.forEach((nr, i) => prog.push([BPF_JEQ_K, list.length - i, 0, nr]));
  prog.push([BPF_RET_K, 0, 0, miss], [BPF_RET_K, 0, 0, hit]);
  const buf = Buffer.alloc(prog.length * 8);
  prog.forEach(([code, jt, jf, k], i) => {
    buf.writeUInt16LE(code, i * 8);
    buf.writeUInt8(jt, i * 8 + 2);
    buf.writeUInt8(jf, i * 8 + 3);
    buf.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return buf;
}

/** The runs of numbers the table does not name: [lo, hi] inclusive, the last one open ([lo]). */
function unnamedRanges(allNrs: readonly number[]): [number, number?][] {
  const named = [...new Set(allNrs)].sort((a, b) => a - b);
  const out: [number, number?][] = [];
  let next = 0;
  for (const nr of named) {
    if (nr > next) out.push([next, nr - 1]);
    next = nr + 1;
  }
  out.push([next]);
  return out;
}

/**
 * At a seccomp stop: load the call's number and arguments, and for a stop of the guard (above)
 * clear CLONE_UNTRACED so the child is traced: untraced, it would keep our filter and get
 * ENOSYS for every selected syscall. Engines still see the flags the program passed. Returns
 * whether it was the guard's stop.
 */
export function seccompStop(task: Task): boolean {
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
