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
  // /proc/self is a link to that number: one readlink, not status's forty lines parsed.
  ownPid ??= readLink('/proc/self') ?? String(process.pid);
  return ownPid;
}
let ownPid: string | undefined;

/** A symbolic link's target, or undefined (gone, no /proc). */
function readLink(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined;
  }
}

/** Whether /proc is our pid namespace's: its pids are the ones we see (then /proc/PID is PID). */
export function procIsOurs(): boolean {
  return ownProcPid() === String(process.pid);
}

/**
 * The /proc directory of `pid` (a pid or tid of our namespace): /proc/PID when /proc is ours,
 * else /proc/N with N the same task's number in /proc's namespace.
 */
export function procDir(pid: number): string | undefined {
  if (procIsOurs()) return `/proc/${pid}`;
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

/**
 * Without pidfds: the entry whose NSpid has `pid` at our level. Sibling namespaces of that
 * level reuse the same numbers, so a process whose innermost namespace is at our level must be
 * in ours (its ns/pid link; another user namespace's processes refuse the readlink, and are not
 * ours either). A process of a namespace nested in ours cannot be checked that way: the first
 * such entry is taken, if no exact one is found.
 */
function scanNSpid(pid: number): string | undefined {
  level ??= (readStatus('/proc/self')?.['NSpid'] ?? '').split(/\s+/).length - 1;
  ownNs ??= nsLink('/proc/self') ?? '';
  const want = String(pid);
  /** 2: in our namespace for sure, 1: in a nested one with that id at our level, 0: no. */
  const match = (dir: string): number => {
    const ids = readStatus(dir)?.['NSpid']?.split(/\s+/);
    if (ids?.[level!] !== want) return 0;
    if (ids.length - 1 > level!) return 1;
    return nsLink(dir) === ownNs ? 2 : 0;
  };
  let names: string[];
  try {
    names = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return undefined;
  }
  let nested: string | undefined;
  for (const n of names) {
    const m = match(`/proc/${n}`);
    if (m === 2) return `/proc/${n}`;
    if (m === 1) nested ??= `/proc/${n}`;
  }
  return nested;
}
let level: number | undefined;
let ownNs: string | undefined;

function nsLink(dir: string): string | undefined {
  return readLink(`${dir}/ns/pid`);
}
