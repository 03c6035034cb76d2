/**
 * What the gdb engine reads from /proc: the CPU a thread last ran on (the `core:` of stop
 * replies), a thread's name, a process's auxv and executable, and whether the CPU has AVX.
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

/**
 * A signal (1-31) queued for this very thread and not blocked (fields 31 and 32 of its stat:
 * its private pending set and its mask): a resume meets it before any instruction, so a step
 * must not be emulated (gdb hears the signal first, as from gdbserver). One pread.
 */
export function ownSignalPending(ts: ThreadState): boolean {
  const n = readStat(ts);
  const pending = statField(n, 31) ?? 0;
  const blocked = statField(n, 32) ?? 0;
  return (pending & ~blocked) !== 0;
}

/**
 * Has the thread exited, whether or not the core has heard of it yet (a zombie or dead in its
 * stat, or gone from /proc)? A thread exits while its exit waits its turn among the tracer's
 * events; asked to stop, it never will.
 */
export function exitedOnProc(ts: ThreadState): boolean {
  const n = readStat(ts);
  if (n <= 0) return true;
  const state = statBuf[statBuf.lastIndexOf(0x29, n - 1) + 2];
  return state === 0x5a || state === 0x58 || state === 0x78; // Z, X, x
}

/** Close the stat file coreOf keeps open (the thread is gone). */
export function closeStat(ts: ThreadState): void {
  if (ts.statFd === undefined) return;
  try {
    fs.closeSync(ts.statFd);
  } catch {
    /* closed */
  }
  ts.statFd = undefined;
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
