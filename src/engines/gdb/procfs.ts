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

/**
 * The CPU a thread last ran on (field 39 of /proc/PID/task/TID/stat), for the `core:` of stop
 * replies, as gdbserver reports it. Read at every stop, so the file stays open per thread and
 * is re-read with one pread (the kernel regenerates it at offset 0) instead of open, fstat,
 * read, read and close.
 */
export function coreOf(ts: ThreadState): number | undefined {
  let n = 0;
  try {
    if (ts.statFd === undefined) ts.statFd = fs.openSync(`/proc/${ts.task.tgid}/task/${ts.tid}/stat`, 'r');
    n = fs.readSync(ts.statFd, statBuf, 0, statBuf.length, 0);
  } catch {
    closeStat(ts);
    return undefined;
  }
  // Field 39 is the 37th after "pid (comm) ": count spaces from the last ')' (a plain loop:
  // 36 Buffer.indexOf calls cost more than the bytes they skip).
  let i = statBuf.lastIndexOf(0x29, n - 1) + 2;
  if (i <= 1) return undefined;
  for (let spaces = 0; i < n && spaces < 36; i++) if (statBuf[i] === 0x20) spaces++;
  if (i >= n) return undefined;
  let core = 0;
  let digits = 0;
  for (; i < n && statBuf[i]! >= 0x30 && statBuf[i]! <= 0x39; i++, digits++) core = core * 10 + statBuf[i]! - 0x30;
  return (ts.lastCore = digits ? core : undefined);
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
