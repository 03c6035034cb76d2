/**
 * The control protocol between a host and the commands that join it, over RUNTIME/PID/ctl (a
 * unix stream socket): one JSON object per line. The client's first line (its request) carries
 * descriptors with it (SCM_RIGHTS: its output files, its gdb connection, and /proc/PID/mem as
 * proof that the kernel lets it ptrace the process); the host reads that line itself, with the
 * descriptors, and the rest of the conversation through the socket's stream.
 *
 *   client                                   host
 *   {op:'join', ...}  + fds          ->
 *                                     <-     {ev:'joined', engines} | {ev:'error', code, message}
 *   (its engines trace; the host writes their output to the client's descriptors)
 *                                     <-     {ev:'exit', status}           the process ended
 *   {op:'leave'}                     ->
 *                                     <-     {ev:'left'}                   its engines are gone
 *
 * A client that hangs up (exit, SIGKILL) leaves as if it had sent 'leave'. Other requests:
 * {op:'status'} (-> {ev:'status', ...}: what `utrace ps` shows) and {op:'stop'} (every engine
 * leaves, the host detaches and ends).
 */
import type { ProcessId } from './runtime.js';

/** An engine a client asks for, as its command line gave it. */
export type EngineSpec =
  | { kind: 'strace'; words: string[] }
  | { kind: 'inject'; specs: string[] }
  | { kind: 'engine'; module: string; args: string[] }
  | { kind: 'gdb' }
  | { kind: 'tool'; command: string[] };

export interface JoinRequest {
  op: 'join';
  /** The process the client means (a reused pid must not match). */
  target: ProcessId;
  /** The joining command, for `utrace ps` and messages: pid and argv. */
  client: { pid: number; argv: string[] };
  cwd: string;
  /** In attach order. */
  engines: EngineSpec[];
  /** What the descriptors sent with this line are, in order: 'mem' (/proc/PID/mem, the proof),
   * 'stdin', 'stdout', 'stderr', 'gdb' (a connected gdb), 'file:PATH' (an output file the
   * client opened, by the absolute path its options name). */
  fds: string[];
}

export interface StatusRequest {
  op: 'status';
}

export interface StopRequest {
  op: 'stop';
}

export interface LeaveRequest {
  op: 'leave';
}

export type Request = JoinRequest | StatusRequest | StopRequest | LeaveRequest;

/** One engine as `utrace ps` lists it. */
export interface EngineStatus {
  kind: string;
  /** The command that owns it (pid, argv[0..]). */
  owner: { pid: number; argv: string[] };
  /** Event names it asked for (on the leader, or its first thread). */
  events: string[];
}

export interface HostStatus {
  target: ProcessId;
  command: string;
  host: ProcessId;
  threads: number;
  engines: EngineStatus[];
}

export type Reply =
  | { ev: 'joined'; engines: string[] }
  | { ev: 'error'; code: string; message: string; hint?: string }
  | { ev: 'exit'; status: { code: number | null; signal: number | null; core: boolean } | null }
  | { ev: 'left' }
  | ({ ev: 'status' } & HostStatus)
  | { ev: 'stopping' };

/** Longest line either side accepts (a join request with many engines is a few KB). */
export const MAX_LINE = 256 * 1024;

/** Splits a byte stream into lines; a line longer than MAX_LINE is an error. */
export class LineReader {
  private _buf = '';

  /** The complete lines in chunk (and what came before it). */
  push(chunk: Buffer | string): string[] {
    this._buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const lines = this._buf.split('\n');
    this._buf = lines.pop()!;
    if (this._buf.length > MAX_LINE) throw new Error(`control message longer than ${MAX_LINE} bytes`);
    return lines.filter((l) => l.length > 0);
  }

  get pending(): boolean {
    return this._buf.length > 0;
  }
}

/** Parse and check a client's request; throws with a message that names what is wrong. */
export function parseRequest(line: string): Request {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new Error('not JSON');
  }
  const o = v as Record<string, unknown>;
  if (!o || typeof o !== 'object') throw new Error('not an object');
  switch (o['op']) {
    case 'status':
    case 'stop':
    case 'leave':
      return { op: o['op'] };
    case 'join': {
      const t = o['target'] as ProcessId | undefined;
      const c = o['client'] as JoinRequest['client'] | undefined;
      if (!t || !Number.isInteger(t.pid) || !Number.isInteger(t.start)) throw new Error('join: bad target');
      if (!c || !Number.isInteger(c.pid) || !isStrings(c.argv)) throw new Error('join: bad client');
      if (typeof o['cwd'] !== 'string') throw new Error('join: bad cwd');
      if (!isStrings(o['fds'])) throw new Error('join: bad fds');
      if (!Array.isArray(o['engines']) || !o['engines'].length) throw new Error('join: no engines');
      for (const e of o['engines'] as EngineSpec[]) checkSpec(e);
      return o as unknown as JoinRequest;
    }
    default:
      throw new Error(`unknown op ${JSON.stringify(o['op'])}`);
  }
}

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

function checkSpec(e: EngineSpec): void {
  switch (e?.kind) {
    case 'strace':
      if (!isStrings(e.words)) throw new Error('join: strace: bad words');
      return;
    case 'inject':
      if (!isStrings(e.specs)) throw new Error('join: inject: bad specs');
      return;
    case 'engine':
      if (typeof e.module !== 'string' || !isStrings(e.args)) throw new Error('join: engine: bad module');
      return;
    case 'gdb':
      return;
    case 'tool':
      if (!isStrings(e.command) || !e.command.length) throw new Error('join: tool: bad command');
      return;
    default:
      throw new Error(`join: unknown engine kind ${JSON.stringify((e as { kind?: unknown })?.kind)}`);
  }
}
