/**
 * Helpers for tests that watch real processes from outside: /proc status fields, waiting for a
 * condition, a child's end, its output, and whether a utrace host traces it. Shared by the
 * host, strace-signal and run-signal tests.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

/** /proc/PID/task/TID/status as a map ("TracerPid" -> "0", "State" -> "S (sleeping)", …). */
export function status(pid: number, tid = pid): Record<string, string> {
  const o: Record<string, string> = {};
  for (const l of fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8').split('\n')) {
    const i = l.indexOf(':');
    if (i > 0) o[l.slice(0, i)] = l.slice(i + 1).trim();
  }
  return o;
}

/** The state letter of /proc/PID/task/TID/stat (R, S, D, t, T, Z…), or undefined when gone. */
export function state(pid: number, tid = pid): string | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** The thread ids of pid (none once it is gone). */
export function threads(pid: number): number[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}

/** Poll cond every 20 ms; throws "timed out waiting for WHAT" after ms. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** How p ended (at once if it has already). */
export function exited(p: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve({ code: p.exitCode, signal: p.signalCode });
  return new Promise((r) => p.on('exit', (code, signal) => r({ code, signal })));
}

/** Everything p writes to its stdout and stderr, as it comes. */
export function collect(p: ChildProcess): { out: string; err: string } {
  const o = { out: '', err: '' };
  p.stdout?.on('data', (d: Buffer) => (o.out += d.toString()));
  p.stderr?.on('data', (d: Buffer) => (o.err += d.toString()));
  return o;
}

/** A file's text, or '' while it does not exist. */
export function read(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

/** Is the thread traced by a `utrace host` process (one started for a joining command)? */
export function hostTraces(pid: number, tid = pid): boolean {
  try {
    const t = status(pid, tid)['TracerPid'];
    return !!t && t !== '0' && /\0host\0/.test(fs.readFileSync(`/proc/${t}/cmdline`, 'latin1'));
  } catch {
    return false;
  }
}
