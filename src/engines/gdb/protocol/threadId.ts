// RSP thread ids (gdb manual, "Packets", thread-id): `pPID.TID` with the multiprocess
// extension, a plain hex TID without it; `-1` means all, `0` means any.
// Linux TIDs are unique system-wide, so a plain TID parses with pid ANY and
// still names exactly one thread.

import { RspParseError } from './packet.js';

/** -1: all; 0: any (gdb lets the server pick); otherwise a real pid / tid. */
export const THREAD_ALL = -1;
export const THREAD_ANY = 0;

export interface ThreadId {
  pid: number;
  tid: number;
}

function parsePart(text: string, what: string, whole: string): number {
  if (text === '-1') return THREAD_ALL;
  if (!/^[0-9a-fA-F]{1,8}$/.test(text)) throw new RspParseError(`bad ${what} in thread id '${whole.slice(0, 40)}'`);
  return parseInt(text, 16);
}

/**
 * Parses one thread id:
 *   `p5.6` -> {5, 6}; `p5.-1` and `p5` -> {5, ALL}; `p-1` / `p-1.-1` -> {ALL, ALL};
 *   `-1` -> {ALL, ALL}; `0` -> {ANY, ANY}; `1a2b` -> {ANY, 0x1a2b}.
 * Throws RspParseError on anything else.
 */
export function parseThreadId(text: string): ThreadId {
  if (text.startsWith('p')) {
    const dot = text.indexOf('.');
    const pid = parsePart(dot < 0 ? text.slice(1) : text.slice(1, dot), 'pid', text);
    const tid = dot < 0 ? THREAD_ALL : parsePart(text.slice(dot + 1), 'tid', text);
    return { pid, tid };
  }
  const tid = parsePart(text, 'tid', text);
  if (tid === THREAD_ALL) return { pid: THREAD_ALL, tid: THREAD_ALL };
  if (tid === THREAD_ANY) return { pid: THREAD_ANY, tid: THREAD_ANY };
  return { pid: THREAD_ANY, tid };
}

function formatPart(n: number): string {
  return n < 0 ? '-' + (-n).toString(16) : n.toString(16);
}

/** `p1148.1148` with multiprocess, `1148` without (all -> `-1`, any -> `0`). */
export function formatThreadId(id: ThreadId, multiprocess: boolean): string {
  if (multiprocess) return `p${formatPart(id.pid)}.${formatPart(id.tid)}`;
  return formatPart(id.tid);
}

/**
 * Whether `pattern` (as parsed) names `thread` (a concrete pid/tid). ALL and
 * ANY act as wildcards: `p5.-1` matches every thread of 5 and nothing of 6.
 */
export function threadMatches(pattern: ThreadId, thread: ThreadId): boolean {
  const pidOk = pattern.pid === THREAD_ALL || pattern.pid === THREAD_ANY || pattern.pid === thread.pid;
  const tidOk = pattern.tid === THREAD_ALL || pattern.tid === THREAD_ANY || pattern.tid === thread.tid;
  return pidOk && tidOk;
}

/** True unless the id names one specific thread (a concrete tid; the pid may be a wildcard since tids are unique). */
export function isWildcard(id: ThreadId): boolean {
  return id.tid <= 0;
}

/** Parses a bare hex pid as in `qAttached:PID`, `vKill;PID`, `D;PID`. */
export function parsePid(text: string): number {
  if (!/^[0-9a-fA-F]{1,8}$/.test(text)) throw new RspParseError(`bad pid '${text.slice(0, 40)}'`);
  return parseInt(text, 16);
}
