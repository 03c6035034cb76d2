/**
 * Where hosts are found: RUNTIME is $XDG_RUNTIME_DIR/utrace, or /tmp/utrace-UID when that
 * variable is unset; one directory per hosted process, RUNTIME/PID, holding the host's control
 * socket (ctl), the per-process gdb endpoint (gdb) and a description (host.json). RUNTIME and
 * every directory in it must be ours and mode 0700: a directory of anyone else's is refused,
 * never used (another user could otherwise plant a socket that collects our commands' files).
 *
 * A process is named by its pid and its start time (/proc/PID/stat, field 22, in clock ticks
 * since boot): a pid that was reused for another process never matches a host's record.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { procIsOurs } from '../../api.js';

export class RuntimeError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

/** A process's identity: pid plus start time (clock ticks since boot). */
export interface ProcessId {
  pid: number;
  start: number;
}

/** The start time of pid, or undefined when there is no such process. */
export function startTime(pid: number): number | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // comm (field 2) may hold spaces and parentheses: fields resume after its last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const v = Number(rest[22 - 3]);
  return Number.isFinite(v) ? v : undefined;
}

export function processId(pid: number): ProcessId | undefined {
  const start = startTime(pid);
  return start === undefined ? undefined : { pid, start };
}

/** Is this the same live process? */
export function sameProcess(id: ProcessId): boolean {
  return startTime(id.pid) === id.start;
}

function uid(): number {
  return process.getuid?.() ?? os.userInfo().uid;
}

/**
 * May this command host or join? Not with UTRACE_NO_HOST=1, and not when /proc is another pid
 * namespace's (a command run under `unshare -p` without its own /proc): its pids would name
 * other processes there, and RUNTIME/PID would point the commands outside at the wrong one.
 */
export function hostingAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['UTRACE_NO_HOST'] !== '1' && procIsOurs();
}

/** RUNTIME itself (not created). */
export function runtimeRoot(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_RUNTIME_DIR'];
  // A relative XDG_RUNTIME_DIR is invalid (XDG base directory spec): ignored.
  return xdg && path.isAbsolute(xdg) ? path.join(xdg, 'utrace') : path.join(os.tmpdir(), `utrace-${uid()}`);
}

/** Create dir (mode 0700) or check the one there: ours, a directory (not a link), 0700. */
export function privateDir(dir: string): string {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new RuntimeError(`${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, (e as NodeJS.ErrnoException).code ?? 'EIO');
    }
  }
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) throw new RuntimeError(`${dir} is not a directory; refusing to use it`, 'ENOTDIR');
  if (st.uid !== uid()) throw new RuntimeError(`${dir} belongs to uid ${st.uid}, not to us (uid ${uid()}); refusing to use it`, 'EPERM');
  if ((st.mode & 0o777) !== 0o700) {
    throw new RuntimeError(`${dir} has mode ${(st.mode & 0o777).toString(8)}, not 700; refusing to use it`, 'EPERM');
  }
  return dir;
}

/** RUNTIME, created if missing (its parent must exist). */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  return privateDir(runtimeRoot(env));
}

/** Paths of a hosted process's files. */
export interface HostPaths {
  dir: string;
  ctl: string;
  gdb: string;
  info: string;
}

export function hostPaths(pid: number, root = runtimeRoot()): HostPaths {
  const dir = path.join(root, String(pid));
  return { dir, ctl: path.join(dir, 'ctl'), gdb: path.join(dir, 'gdb'), info: path.join(dir, 'host.json') };
}

/** What host.json says: enough for `utrace ps` and for a joiner to check it found the right
 * process before it connects. */
export interface HostInfo {
  /** The hosted process. */
  target: ProcessId;
  /** Its command line (from /proc at hosting time). */
  command: string;
  /** The host's own process. */
  host: ProcessId;
}

export function readHostInfo(p: HostPaths): HostInfo | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(p.info, 'utf8')) as HostInfo;
    if (typeof v?.target?.pid === 'number' && typeof v?.host?.pid === 'number') return v;
  } catch {
    /* none, or half written: no host */
  }
  return undefined;
}

/** The command line of pid as ps shows it (argv joined by spaces), or its name. */
export function commandLine(pid: number): string {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const argv = raw.split('\0').filter((s, i, a) => s !== '' || i < a.length - 1);
    if (argv.length) return argv.join(' ');
  } catch {
    /* gone */
  }
  try {
    return `[${fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}]`;
  } catch {
    return '?';
  }
}

/** Every RUNTIME/PID directory with a live host of a live target (stale ones: staleHostDirs). */
export function listHosts(root = runtimeRoot()): { paths: HostPaths; info: HostInfo }[] {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  const out: { paths: HostPaths; info: HostInfo }[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const paths = hostPaths(Number(n), root);
    const info = readHostInfo(paths);
    if (info && sameProcess(info.host) && sameProcess(info.target)) out.push({ paths, info });
  }
  return out.sort((a, b) => a.info.target.pid - b.info.target.pid);
}

/**
 * RUNTIME/PID directories that look left behind: their host or their process is dead (a host
 * that was SIGKILLed could not clean up), or they hold no description and the pid is gone.
 * Only candidates: the caller checks that nobody listens on ctl before removing one (a new
 * host of a reused pid may be claiming it).
 */
export function staleHostDirs(root = runtimeRoot(), only?: number): HostPaths[] {
  let names: string[];
  try {
    names = only !== undefined ? [String(only)] : fs.readdirSync(root);
  } catch {
    return [];
  }
  const out: HostPaths[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const paths = hostPaths(Number(n), root);
    if (!fs.existsSync(paths.dir)) continue;
    const info = readHostInfo(paths);
    const stale = info ? !sameProcess(info.host) || !sameProcess(info.target) : startTime(Number(n)) === undefined;
    if (stale) out.push(paths);
  }
  return out;
}

/** Remove a host's directory and the files a host puts there (nothing else: rmdir fails then). */
export function removeHostDir(p: HostPaths): void {
  for (const f of [p.ctl, p.gdb, p.info, p.info + '.tmp']) fs.rmSync(f, { force: true });
  try {
    fs.rmdirSync(p.dir);
  } catch {
    /* something else in it: not ours to remove */
  }
}
