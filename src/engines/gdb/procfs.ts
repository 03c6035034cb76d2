/**
 * What the gdb engine reads from /proc: the CPU a thread last ran on (the `core:` of stop
 * replies), whether a signal is pending for it, a thread's name, a process's auxv and
 * executable, and whether the CPU has AVX.
 */
import * as fs from 'node:fs';
import { XSTATE_MIN_AVX_SIZE } from './protocol/index.js';
import type { ThreadState } from './model.js';

/** A whole /proc file, or undefined when it cannot be read (the process is gone). */
export function readProc(path: string): Buffer | undefined {
  try {
    return fs.readFileSync(path);
  } catch {
    return undefined;
  }
}

/** /proc/PID/auxv (qXfer:auxv:read, the svr4 library list). */
export function auxvOf(pid: number): Buffer | undefined {
  return readProc(`/proc/${pid}/auxv`);
}

/** The target of /proc/PID/exe (qXfer:exec-file:read). */
export function exePath(pid: number): Buffer | undefined {
  try {
    return Buffer.from(fs.readlinkSync(`/proc/${pid}/exe`));
  } catch {
    return undefined;
  }
}

/** /proc/PID/task/TID/comm, '' once the thread is gone. */
export function threadName(pid: number, tid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

const statBuf = Buffer.alloc(1024);

/** /proc/PID/task/TID/stat of the thread into statBuf: its length, or -1 (gone). The file
 * stays open per thread and is re-read with one pread (the kernel regenerates it at offset 0)
 * instead of open, fstat, read, read and close. */
function readStat(ts: ThreadState): number {
  try {
    if (ts.statFd === undefined) ts.statFd = fs.openSync(`/proc/${ts.task.tgid}/task/${ts.tid}/stat`, 'r');
    return fs.readSync(ts.statFd, statBuf, 0, statBuf.length, 0);
  } catch {
    closeStat(ts);
    return -1;
  }
}

/** Stat field `field` (1-based, as proc(5) numbers them) of the n bytes in statBuf, a number. */
function statField(n: number, field: number): number | undefined {
  // Counted in spaces from the last ')' (a plain loop: Buffer.indexOf calls cost more than
  // the bytes they skip); field 3 follows it.
  let i = statBuf.lastIndexOf(0x29, n - 1) + 2;
  if (n <= 0 || i <= 1) return undefined;
  for (let spaces = 0; i < n && spaces < field - 3; i++) if (statBuf[i] === 0x20) spaces++;
  if (i >= n) return undefined;
  let v = 0;
  let digits = 0;
  for (; i < n && statBuf[i]! >= 0x30 && statBuf[i]! <= 0x39; i++, digits++) v = v * 10 + statBuf[i]! - 0x30;
  return digits ? v : undefined;
}

/**
 * The CPU a thread last ran on (field 39 of /proc/PID/task/TID/stat), for the `core:` of stop
 * replies, as gdbserver reports it. Read at every stop.
 */
export function coreOf(ts: ThreadState): number | undefined {
  return (ts.lastCore = statField(readStat(ts), 39));
}

const statusBuf = Buffer.alloc(4096);

/** The 64-bit hex mask after `key` in the n bytes of statusBuf, as [low 32 bits, high 32]. */
function statusMask(n: number, key: string): [number, number] | undefined {
  const i = statusBuf.indexOf(key, 0, 'latin1');
  if (i < 0 || i + key.length + 16 > n) return undefined;
  const at = i + key.length;
  const hi = parseInt(statusBuf.toString('latin1', at, at + 8), 16);
  const lo = parseInt(statusBuf.toString('latin1', at + 8, at + 16), 16);
  return Number.isNaN(hi) || Number.isNaN(lo) ? undefined : [lo, hi];
}

/**
 * A signal pending for the thread and not blocked: its own (SigPnd: tkill, a fault) or its
 * process's (ShdPnd: kill, alarm and interval timers, SIGCHLD), from its
 * /proc/PID/task/TID/status (the stat file shows the thread's own set only). A resume meets
 * it before any instruction, so a step must not be emulated (gdb hears the signal first, as
 * from gdbserver). Ignored signals count: a traced thread still stops for them. One pread of
 * a file kept open per thread (about 12 us here).
 */
export function signalPending(ts: ThreadState): boolean {
  const n = readStatus(ts);
  if (n === undefined) return false; // gone: the real resume reports it
  const own = statusMask(n, 'SigPnd:\t');
  const shared = statusMask(n, 'ShdPnd:\t');
  const blocked = statusMask(n, 'SigBlk:\t') ?? [0, 0];
  if (!own || !shared) return true; // unreadable: step for real, which cannot go wrong
  return ((own[0] | shared[0]) & ~blocked[0]) !== 0 || ((own[1] | shared[1]) & ~blocked[1]) !== 0;
}

/** /proc/PID/task/TID/status into statusBuf: its length, or undefined if the thread is gone. */
function readStatus(ts: ThreadState): number | undefined {
  try {
    if (ts.statusFd === undefined) ts.statusFd = fs.openSync(`/proc/${ts.task.tgid}/task/${ts.tid}/status`, 'r');
    return fs.readSync(ts.statusFd, statusBuf, 0, statusBuf.length, 0);
  } catch {
    closeStat(ts);
    return undefined;
  }
}

/** Is signal signo (1-64) pending for the thread itself (SigPnd: a fault, an int3's trap)? */
export function ownSignalPending(ts: ThreadState, signo: number): boolean {
  const n = readStatus(ts);
  const own = n === undefined ? undefined : statusMask(n, 'SigPnd:\t');
  if (!own) return false;
  const bit = signo - 1;
  return ((bit < 32 ? own[0] : own[1]) & (1 << (bit & 31))) !== 0;
}

/** Close the stat and status files kept open (the thread is gone). */
export function closeStat(ts: ThreadState): void {
  for (const fd of [ts.statFd, ts.statusFd]) {
    if (fd === undefined) continue;
    try {
      fs.closeSync(fd);
    } catch {
      /* closed */
    }
  }
  ts.statFd = undefined;
  ts.statusFd = undefined;
}

let avxCache: boolean | undefined;
/** Serve ymm only where the kernel's XSAVE area carries AVX state. */
export function cpuHasAvx(): boolean {
  if (avxCache === undefined) {
    try {
      avxCache = /\bavx\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    } catch {
      avxCache = false;
    }
  }
  return avxCache && XSTATE_MIN_AVX_SIZE > 0;
}
