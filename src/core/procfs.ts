/**
 * /proc/PID/status as a record of its fields ("Uid" -> "0\t0\t0\t0", "SigBlk" -> hex mask),
 * or undefined once the task is gone. One reader for the core and the engines.
 */
import * as fs from 'node:fs';
import { native } from './addon.js';
import type { UtraceError } from './errors.js';

export function procStatus(pid: number): Record<string, string> | undefined {
  const dir = procDir(pid);
  return dir === undefined ? undefined : readStatus(dir);
}

function readStatus(dir: string): Record<string, string> | undefined {
  try {
    const o: Record<string, string> = {};
    for (const line of fs.readFileSync(`${dir}/status`, 'utf8').split('\n')) {
      const i = line.indexOf(':');
      if (i > 0) o[line.slice(0, i)] = line.slice(i + 1).trim();
    }
    return o;
  } catch {
    return undefined;
  }
}

/**
 * Our own pid as /proc numbers it. It differs from process.pid when /proc was mounted by an
 * ancestor pid namespace (`unshare -pf` without a new mount of /proc): ids /proc shows, such as
 * TracerPid, are then in that namespace's numbering.
 */
export function ownProcPid(): string {
  ownPid ??= readStatus('/proc/self')?.['Pid'] ?? String(process.pid);
  return ownPid;
}
let ownPid: string | undefined;

/**
 * The /proc directory of `pid` (a pid or tid of our namespace): /proc/PID when /proc is ours,
 * else /proc/N with N the same task's number in /proc's namespace.
 */
export function procDir(pid: number): string | undefined {
  if (ownProcPid() === String(process.pid)) return `/proc/${pid}`;
  const n = procNumber(pid);
  if (n !== undefined) return n > 0 ? `/proc/${n}` : undefined;
  return scanNSpid(pid);
}

/** PIDFD_THREAD (<linux/pidfd.h>: O_EXCL): a pidfd for any thread, not only a leader (6.9). */
const PIDFD_THREAD = 0o200;
let threadPidfds = true;

/**
 * `pid`'s number in /proc's namespace, from a pidfd: its fdinfo gives the task's id as that
 * procfs's namespace numbers it (Pid:, -1 once reaped), and a pidfd names one task, whatever
 * other namespace has a task of the same number (NSpid at our level alone cannot tell them
 * apart: each sibling namespace has its pid 2). 0 when gone; undefined when pidfds cannot
 * say (a non-leader thread before Linux 6.9, or no pidfds at all).
 */
function procNumber(pid: number): number | undefined {
  let fd: number;
  try {
    fd = native.pidfdOpen(pid, threadPidfds ? PIDFD_THREAD : 0);
  } catch (e) {
    const code = (e as UtraceError).code;
    if (code === 'ESRCH') return 0;
    if (code === 'EINVAL' && threadPidfds) {
      threadPidfds = false; // a kernel before PIDFD_THREAD
      return procNumber(pid);
    }
    return undefined;
  }
  try {
    const m = /^Pid:\s*(-?\d+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'));
    return m ? Math.max(0, Number(m[1])) : undefined;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Without pidfds: the first entry whose NSpid has `pid` at our level (ambiguous when other
 * namespaces at our level have a task of that number). */
function scanNSpid(pid: number): string | undefined {
  level ??= (readStatus('/proc/self')?.['NSpid'] ?? '').split(/\s+/).length - 1;
  let names: string[];
  try {
    names = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return undefined;
  }
  for (const n of names) {
    if (readStatus(`/proc/${n}`)?.['NSpid']?.split(/\s+/)[level] === String(pid)) return `/proc/${n}`;
  }
  return undefined;
}
let level: number | undefined;
