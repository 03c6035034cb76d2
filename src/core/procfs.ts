/**
 * /proc/PID/status as a record of its fields ("Uid" -> "0\t0\t0\t0", "SigBlk" -> hex mask),
 * or undefined once the task is gone. One reader for the core and the engines.
 */
import * as fs from 'node:fs';

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
 * The /proc directory of `pid` (a pid of our namespace): /proc/PID when /proc is ours, else
 * the entry whose NSpid has `pid` at our namespace's level.
 */
function procDir(pid: number): string | undefined {
  if (ownProcPid() === String(process.pid)) return `/proc/${pid}`;
  level ??= (readStatus('/proc/self')?.['NSpid'] ?? '').split(/\s+/).length - 1;
  const at = (dir: string): string | undefined => readStatus(dir)?.['NSpid']?.split(/\s+/)[level!];
  const hit = dirs.get(pid);
  if (hit && at(hit) === String(pid)) return hit;
  let names: string[];
  try {
    names = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return undefined;
  }
  for (const n of names) {
    if (at(`/proc/${n}`) !== String(pid)) continue;
    dirs.set(pid, `/proc/${n}`);
    return `/proc/${n}`;
  }
  return undefined;
}
let level: number | undefined;
const dirs = new Map<number, string>();
