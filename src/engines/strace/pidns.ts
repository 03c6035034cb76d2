/**
 * --pidns-translation: a pid a tracee passes or gets back is a number of the tracee's own pid
 * namespace; strace shows what it is in the tracer's ("2 /\* 8876 in strace's PID NS *\/").
 * The kernel publishes every id of a process at each namespace level it is visible in
 * (/proc/PID/status NSpid, NStgid, NSpgid, NSsid: outermost first, as seen from procfs's
 * namespace), so the translation is a look-up: find a task of the tracee's namespace whose id
 * of that kind at the tracee's level is the number, and take its entry at ours. The tracee's own
 * /proc entry comes from the core (procDir: through a pidfd), not from its number at our level,
 * which sibling namespaces share (each has a pid 2; strace's suite leaves such namespaces).
 * Nothing here runs unless the option was given.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { procDir } from '../../api.js';
import { cmt, num, type Value } from './value.js';

export type PidKind = 'tid' | 'tgid' | 'pgid' | 'sid';

const FIELD: Record<PidKind, string> = { tid: 'NSpid', tgid: 'NStgid', pgid: 'NSpgid', sid: 'NSsid' };

let ownNs: string | undefined;

function nsOf(pid: number | 'self'): string | undefined {
  return nsOfPath(`/proc/${pid}`);
}

function nsOfPath(dir: string): string | undefined {
  try {
    return readlinkSync(`${dir}/ns/pid`);
  } catch {
    return undefined;
  }
}

/** The ids of `field` in /proc/PATH/status, outermost namespace first. */
function ids(statusPath: string, field: string): number[] | undefined {
  let text: string;
  try {
    text = readFileSync(statusPath, 'latin1');
  } catch {
    return undefined;
  }
  const at = text.indexOf(`\n${field}:`);
  if (at < 0) return undefined;
  const end = text.indexOf('\n', at + 1);
  return text.slice(at + field.length + 2, end < 0 ? undefined : end).trim().split(/\s+/).map(Number);
}

/** Our own level in procfs's namespace tree (0 unless /proc was mounted by an ancestor's). */
let ownLevel: number | undefined;

function procEntries(): string[] {
  try {
    return readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
}

/**
 * What `value` (an id of `kind` in the namespace of thread `tracee`) is in ours; undefined when
 * the tracee shares our namespace or no such task is found.
 */
export function translatePid(tracee: number, value: number, kind: PidKind): number | undefined {
  if (value <= 0) return undefined;
  ownNs ??= nsOf('self');
  ownLevel ??= Math.max(0, (ids('/proc/self/status', 'NSpid')?.length ?? 1) - 1);
  const dir = procDir(tracee);
  if (!dir) return undefined;
  const ns = nsOfPath(dir);
  if (ns === undefined || ns === ownNs) return undefined;
  const own = ids(`${dir}/status`, 'NSpid');
  const base = ownLevel!;
  if (!own || own.length < base + 2) return undefined;
  const level = own.length - 1;
  const field = FIELD[kind];
  // Most often the tracee's own id (getpid, kill(getpid(), …)).
  const mine = ids(`${dir}/status`, field);
  if (mine && mine.length === level + 1 && mine[level] === value) return mine[base];
  for (const p of procEntries()) {
    // Process-wide ids are the same in every thread: the leader's status answers.
    const tasks = kind === 'tid' ? taskIds(p) : [p];
    for (const t of tasks) {
      const path = kind === 'tid' ? `/proc/${p}/task/${t}/status` : `/proc/${p}/status`;
      const v = ids(path, field);
      if (!v || v.length !== level + 1 || v[level] !== value) continue;
      if (nsOfPath(`/proc/${p}`) !== ns) continue;
      return v[base];
    }
  }
  return undefined;
}

/**
 * `value` (an id of `kind` in the namespace of thread `tracee`) as a number of ours: itself
 * when the tracee shares our namespace, its translation otherwise (undefined: not found).
 */
export function ourPid(tracee: number, value: number, kind: PidKind): number | undefined {
  if (value <= 0) return undefined;
  ownNs ??= nsOf('self');
  const dir = procDir(tracee);
  const ns = dir === undefined ? undefined : nsOfPath(dir);
  if (ns === undefined || ns === ownNs) return value;
  return translatePid(tracee, value, kind);
}

function taskIds(p: string): string[] {
  try {
    return readdirSync(`/proc/${p}/task`);
  } catch {
    return [];
  }
}

/** A process id of the tracee's namespace as strace prints it, with what it is in ours. */
export function pidNsValue(tracee: number, pid: number, kind: PidKind = 'tgid'): Value {
  const ours = translatePid(tracee, pid, kind);
  return ours === undefined ? num(pid) : cmt(num(pid), pidNsComment(ours));
}

/** The comment strace adds after a translated id. */
export function pidNsComment(ours: number): string {
  return `${ours} in strace's PID NS`;
}
