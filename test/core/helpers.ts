/**
 * Shared helpers for the core integration tests (test/core/NN-*.test.ts): fixture paths,
 * output capture, polling, timeouts and the cleanup that guarantees no tracee outlives a
 * test. Not a test file itself (node --test loads it and finds no tests).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Tracer } from '../../src/index.js';
import type { ExitStatus, Task } from '../../src/index.js';

/** dist/test/core -> package root */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Per-test timeout: a hang fails the test instead of blocking CI. */
export const T = { timeout: 20_000 };

export function fixture(name: string): string {
  const p = path.join(ROOT, 'test', 'fixtures', 'bin', name);
  if (!fs.existsSync(p)) throw new Error(`fixture ${name} not built (node scripts/build-fixtures.mjs)`);
  return p;
}

// ------------------------------------------------------------------ cleanup

interface Tracked {
  tracer: Tracer;
  errors: unknown[];
}
const tracers: Tracked[] = [];
const pids = new Set<number>();
const fds = new Set<number>();
const dirs = new Set<string>();

/** A Tracer whose 'engine-error' / 'error' events are recorded (a callback that throws, e.g.
 * a failed assert inside it, must fail the test) and that cleanup() closes. */
export function newTracer(): Tracer {
  const tracer = new Tracer();
  const t: Tracked = { tracer, errors: [] };
  tracer.on('engine-error', (_e, name, err) => t.errors.push(new Error(`engine-error in ${name}: ${String(err?.stack ?? err)}`)));
  tracer.on('error', (err) => t.errors.push(err));
  // Every spawned process is killed at cleanup, even if the test detached from it.
  const spawn = tracer.spawn.bind(tracer);
  tracer.spawn = async (...args: Parameters<Tracer['spawn']>) => {
    const task = await spawn(...args);
    killLater(task.tgid);
    return task;
  };
  tracers.push(t);
  return tracer;
}

/** Errors recorded on a tracer so far (and forget them: the test expected them). */
export function takeErrors(tracer: Tracer): unknown[] {
  const t = tracers.find((x) => x.tracer === tracer);
  if (!t) return [];
  const e = t.errors;
  t.errors = [];
  return e;
}

/** Kill pid (and make sure it is gone) at cleanup. */
export function killLater(pid: number): void {
  if (pid > 0 && pid !== process.pid) pids.add(pid);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** afterEach: SIGKILL every tracee and registered pid, close every tracer (bounded), and
 * report callback errors recorded during the test. */
export async function cleanup(): Promise<void> {
  const errors: unknown[] = [];
  const list = tracers.splice(0);
  for (const { tracer } of list) for (const t of tracer.tasks()) killLater(t.tgid);
  for (const pid of pids) if (alive(pid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  for (const { tracer, errors: e } of list) {
    try {
      await withTimeout(tracer.close(), 5000, 'tracer.close() in cleanup');
    } catch (err) {
      errors.push(err);
    }
    errors.push(...e);
  }
  pids.clear();
  for (const fd of fds) try { fs.closeSync(fd); } catch { /* closed */ }
  fds.clear();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs.clear();
  if (errors.length) throw errors.length === 1 ? errors[0] : new AggregateError(errors, `${errors.length} errors`);
}

/** after(): if anything (a tracee we still wait for, a leaked handle) keeps this test file's
 * process alive once its tests are done, fail the file instead of hanging the run. */
export function exitGuard(): void {
  const t = setTimeout(() => {
    process.stderr.write(`test file did not exit 5 s after its last test: resources ${process.getActiveResourcesInfo().join(', ')}\n`);
    process.exit(1);
  }, 5000);
  t.unref();
}

// ------------------------------------------------------------------ timing

export function withTimeout<V>(p: Promise<V>, ms: number, what: string): Promise<V> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Poll pred every few ms until it holds (returns its value) or fail after ms. */
export async function waitFor<V>(pred: () => V | undefined | null | false, ms: number,
  what: string | (() => string)): Promise<V> {
  const end = Date.now() + ms;
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timeout after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await delay(3);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Settles with the exit status, failing after ms. */
export function exitOf(task: Task, ms = 10_000): Promise<ExitStatus> {
  return withTimeout(task.exit, ms, `exit of ${task.tid}`);
}

// ------------------------------------------------------------------ output

export interface Capture {
  fd: number;
  file: string;
  text(): string;
}

/** A temp file to use as a tracee's stdout (fd passed in SpawnOptions.stdio). */
export function capture(): Capture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-test-'));
  dirs.add(dir);
  const file = path.join(dir, 'out');
  const fd = fs.openSync(file, 'w+');
  fds.add(fd);
  return { fd, file, text: () => fs.readFileSync(file, 'utf8') };
}

/** A FIFO opened read-write (never blocks, never EOF) to use as a tracee's stdin. */
export function fifo(): { fd: number; write(s: string): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-fifo-'));
  dirs.add(dir);
  const file = path.join(dir, 'in');
  execFileSync('mkfifo', [file]);
  const fd = fs.openSync(file, 'r+');
  fds.add(fd);
  return { fd, write: (s) => fs.writeSync(fd, s) };
}

/** stdout of an untraced run, for comparison. */
export function untraced(bin: string, args: string[] = []): string {
  return execFileSync(bin, args, { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'inherit'] });
}

// ------------------------------------------------------------------ /proc

/** One-letter scheduler state from /proc/PID/stat (R, S, T, t, Z, ...), undefined if gone. */
export function procState(pid: number, tid = pid): string | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** The syscall number a blocked thread is in (/proc/PID/syscall), or undefined. */
export function blockedIn(pid: number): number | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/syscall`, 'utf8').trim();
    const n = Number(s.split(' ')[0]);
    return Number.isInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Zombie children of this Node process (what a failed spawn or a lost reap leaves). */
export function ourZombies(): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      if (f[0] === 'Z' && Number(f[1]) === process.pid) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

export function tracerPid(pid: number): number | undefined {
  try {
    const m = /TracerPid:\s*(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Read a 64-bit word of a process's memory behind the tracer's back (/proc/PID/mem). */
export function peekWord(pid: number, addr: bigint): bigint {
  const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
  try {
    const b = Buffer.alloc(8);
    const n = fs.readSync(fd, b, 0, 8, addr as unknown as number);
    if (n !== 8) throw new Error(`short read of /proc/${pid}/mem`);
    return b.readBigUInt64LE(0);
  } finally {
    fs.closeSync(fd);
  }
}

export function peekBytes(pid: number, addr: bigint, len: number): Buffer {
  const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
  try {
    const b = Buffer.alloc(len);
    const n = fs.readSync(fd, b, 0, len, addr as unknown as number);
    return b.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** The address of the spin fixture's counter, once it has printed it. */
export async function parseCounterAddr(out: Capture): Promise<bigint> {
  const m = await waitFor(() => /counter (0x[0-9a-f]+)/.exec(out.text()), 5000, 'spin to print its counter');
  return BigInt(m[1]!);
}

/**
 * Another pid namespace at the same depth as one that `unshare -Urpf` makes, holding `n`
 * sleeping tasks (its pids 2..n+1): tasks of any other such namespace (a utrace under
 * `unshare -Urpf`, its tracees) share those numbers at that level of /proc's NSpid. Resolves
 * once they run; kill() ends it all (--kill-child: its init dies with unshare).
 */
export async function siblingNamespace(n = 60): Promise<{ kill(): void }> {
  const { spawn } = await import('node:child_process');
  const c = spawn('unshare', ['-Urpf', '--kill-child', 'sh', '-c',
    `i=0; while [ $i -lt ${n} ]; do sleep 60 & i=$((i+1)); done; echo ready; wait`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    c.once('error', reject);
    c.once('exit', (code) => reject(new Error(`sibling namespace ended (${code})`)));
    c.stdout!.on('data', (d: Buffer) => { if (d.includes('ready')) resolve(); });
  });
  c.removeAllListeners('exit');
  return { kill: () => c.kill('SIGKILL') };
}
