/**
 * The joining side: a command that targets a process another utrace already hosts (or that it
 * has a host started for) sends its engines there, with its descriptors, and waits.
 *
 * Proof of rights: the command opens /proc/PID/mem itself. The kernel grants that only to a
 * process allowed to ptrace PID (same checks as PTRACE_ATTACH: uid, dumpability, capabilities,
 * Yama's ptrace_scope), so a command refused there gets the errno a direct attach would get,
 * and a host never traces for a command that could not have traced the process itself.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendWithFds, UtraceError, type ExitStatus } from '../../api.js';
import { LineReader, type EngineSpec, type JoinRequest, type Reply } from './protocol.js';
import { hostPaths, processId, readHostInfo, runtimeRoot, sameProcess, type ProcessId } from './runtime.js';
import { hostAlive, removeStale, socketFd } from './serve.js';

/** A descriptor handed to the host, by role (see JoinRequest.fds). */
export interface HandedFd {
  role: string;
  fd: number;
}

export interface Joined {
  /** The engine names the host attached. */
  engines: string[];
  /** Settles when this command's engines are gone: 'exit' with the process's status, or
   * 'left' (it asked to leave, or its engines left on their own: gdb hung up). */
  done: Promise<{ kind: 'exit'; status: ExitStatus } | { kind: 'left' }>;
  /** Ask the host to remove our engines (their output is flushed first); done settles. */
  leave(): void;
  /** The host's pid. */
  hostPid: number;
}

/** The target as named by a command: the process must exist now. */
export function targetOf(pid: number): ProcessId {
  const id = processId(pid);
  if (!id) throw new UtraceError('ESRCH', 'attach', pid);
  return id;
}

/** The live host of pid, if any (its host.json matches a live host and this very process). */
export async function findHost(target: ProcessId): Promise<{ hostPid: number } | undefined> {
  const paths = hostPaths(target.pid, runtimeRoot());
  const info = readHostInfo(paths);
  if (!info || info.target.start !== target.start || !sameProcess(info.host)) {
    await removeStale(runtimeRoot(), target.pid); // a dead host's directory (SIGKILLed)
    return undefined;
  }
  return (await hostAlive(paths)) ? { hostPid: info.host.pid } : undefined;
}

/** Open /proc/PID/mem as the kernel's yes to "may I ptrace PID?"; refused: the same error and
 * hint a direct attach gives. */
export function ptraceProof(pid: number): number {
  try {
    return fs.openSync(`/proc/${pid}/mem`, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EPERM';
    const err = new UtraceError(code === 'EACCES' ? 'EPERM' : code, 'attach', pid);
    if (code === 'EACCES' || code === 'EPERM') err.hint = 'permission denied: not the same user, or ptrace is restricted (kernel.yama.ptrace_scope)';
    throw err;
  }
}

/**
 * Join the host of target with these engines and descriptors. Throws a UtraceError with the
 * host's errno name when it refuses (or the proof is refused).
 */
export async function join(target: ProcessId, engines: EngineSpec[], handed: HandedFd[], argv: string[]): Promise<Joined> {
  const mem = ptraceProof(target.pid);
  const paths = hostPaths(target.pid, runtimeRoot());
  const info = readHostInfo(paths);
  const s = net.connect(paths.ctl);
  s.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
  } catch (e) {
    fs.closeSync(mem);
    throw new UtraceError((e as NodeJS.ErrnoException).code ?? 'ECONNREFUSED', 'connect', target.pid, `host of ${target.pid} (${paths.ctl})`);
  }
  const req: JoinRequest = {
    op: 'join', target, client: { pid: process.pid, argv }, cwd: process.cwd(), engines,
    fds: ['mem', ...handed.map((h) => h.role)],
  };
  try {
    sendWithFds(socketFd(s), Buffer.from(JSON.stringify(req) + '\n'), [mem, ...handed.map((h) => h.fd)]);
  } finally {
    fs.closeSync(mem);
  }
  const lines = new LineReader();
  const replies: Reply[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  s.on('data', (b: Buffer) => {
    try {
      for (const l of lines.push(b)) replies.push(JSON.parse(l) as Reply);
    } catch {
      s.destroy();
    }
    wake?.();
  });
  s.on('close', () => {
    closed = true;
    wake?.();
  });
  const next = async (): Promise<Reply | undefined> => {
    while (!replies.length && !closed) await new Promise<void>((r) => (wake = r));
    return replies.shift();
  };
  const first = await next();
  if (!first) throw new UtraceError('ECONNRESET', 'join', target.pid, 'the host hung up');
  if (first.ev === 'error') {
    const e = new UtraceError(first.code, 'attach', target.pid, first.message);
    if (first.hint) e.hint = first.hint;
    s.destroy();
    throw e;
  }
  if (first.ev !== 'joined') throw new UtraceError('EPROTO', 'join', target.pid, `unexpected reply ${first.ev}`);
  const done = (async (): Promise<{ kind: 'exit'; status: ExitStatus } | { kind: 'left' }> => {
    for (;;) {
      const r = await next();
      if (!r || r.ev === 'left') return { kind: 'left' };
      if (r.ev === 'exit' && r.status) return { kind: 'exit', status: r.status };
    }
  })();
  void done.finally(() => s.destroy());
  return {
    engines: first.engines,
    done,
    hostPid: info?.host.pid ?? 0,
    leave: () => {
      if (!s.destroyed) s.write(JSON.stringify({ op: 'leave' }) + '\n');
    },
  };
}

const UTRACE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../bin/utrace.cjs');

/**
 * A host for pid, started in the background if none runs: a process of its own, so that
 * killing the command (even with SIGKILL) never takes the ptrace attachment with it; the host
 * removes the command's engines and stays for the others. Resolves once the host serves;
 * rejects with the attach error the host met (EPERM with its hint, ESRCH...).
 */
export async function ensureHost(target: ProcessId): Promise<number> {
  const found = await findHost(target);
  if (found) return found.hostPid;
  const child = spawn(process.execPath, [UTRACE, 'host', String(target.pid), '--ready-fd=3'], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: process.env,
  });
  const ready = child.stdio[3] as net.Socket;
  let text = '';
  const line = await new Promise<string>((resolve) => {
    ready.on('data', (b: Buffer) => {
      text += b.toString();
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    ready.on('close', () => resolve(text));
    child.on('error', (e) => resolve(`error ${JSON.stringify({ code: 'ENOEXEC', message: e.message })}`));
  });
  ready.destroy();
  child.unref();
  if (line.startsWith('ready')) return child.pid!;
  if (line.startsWith('hosted')) {
    // Another command started a host at the same moment: that one serves.
    const again = await findHost(target);
    if (again) return again.hostPid;
  }
  let err: { code?: string; message?: string; hint?: string } = {};
  try {
    err = JSON.parse(line.replace(/^error /, '')) as typeof err;
  } catch {
    err = { code: 'EIO', message: `the host did not start${line ? `: ${line}` : ''}` };
  }
  const e = new UtraceError(err.code ?? 'EIO', 'attach', target.pid, err.message);
  if (err.hint) e.hint = err.hint;
  throw e;
}

export type JoinEnd = Awaited<Joined['done']>;

/**
 * What a joining command holds: the members it joined. A signal (SIGINT, SIGTERM, SIGHUP; with
 * sigint false, SIGINT is ignored: gdb's Ctrl-C reaches its whole process group, and gdb sends
 * the interrupt itself) makes every member leave, one joined after the signal too; ended()
 * waits for them all.
 */
export class JoinGroup {
  readonly members: Joined[] = [];
  private _stopping = false;
  private readonly _stop: Promise<void>;
  private readonly _handler: (signal: NodeJS.Signals) => void;
  private _signal: NodeJS.Signals | undefined;
  private readonly _sigs: NodeJS.Signals[];

  constructor(opts: { sigint?: boolean } = {}) {
    let resolve!: () => void;
    this._stop = new Promise((r) => (resolve = r));
    this._handler = (signal: NodeJS.Signals) => {
      this._signal ??= signal;
      this._stopping = true;
      this.leaveAll();
      resolve();
    };
    this._sigs = opts.sigint === false ? ['SIGTERM', 'SIGHUP'] : ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of this._sigs) process.on(s, this._handler);
    if (opts.sigint === false) process.on('SIGINT', ignore);
  }

  /** A signal came. */
  get stopping(): boolean {
    return this._stopping;
  }

  /** The first signal that came, if any. */
  get signal(): NodeJS.Signals | undefined {
    return this._signal;
  }

  /** Settles at the first signal. */
  get stopped(): Promise<void> {
    return this._stop;
  }

  add(j: Joined): Joined {
    this.members.push(j);
    if (this._stopping) j.leave(); // the signal came while joining
    return j;
  }

  leaveAll(): void {
    for (const m of this.members) m.leave();
  }

  /** Every member's end (the process exited, or it left); the handlers are removed. */
  async ended(): Promise<JoinEnd[]> {
    try {
      return await Promise.all(this.members.map((m) => m.done));
    } finally {
      this.dispose();
    }
  }

  dispose(): void {
    for (const s of this._sigs) process.off(s, this._handler);
    process.off('SIGINT', ignore);
  }
}

function ignore(): void {
  /* see JoinGroup */
}
