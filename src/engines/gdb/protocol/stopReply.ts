// Stop replies and qSupported (gdb manual, "Stop Reply Packets", "General Query
// Packets"). Formats follow
// gdbserver's prepare_resume_reply: reason first, then the expedited
// registers, then thread and core, e.g.
//   T05swbreak:;06:…;07:…;10:…;thread:p1148.1148;core:1;
// All signal numbers here are gdb's (see signals.ts).

import { RspParseError, hexEncode, hexEncodeString } from './packet.js';
import { formatThreadId, type ThreadId } from './threadId.js';

/** At most one reason per stop. Only use fork/vfork/exec/swbreak/hwbreak if gdb offered them in qSupported. */
export type StopReason =
  | { kind: 'swbreak' }
  | { kind: 'hwbreak' }
  /** The data address from DR6 (no PC adjustment: x86 traps after the access). */
  | { kind: 'watch' | 'rwatch' | 'awatch'; address: bigint }
  | { kind: 'syscall_entry' | 'syscall_return'; syscall: number }
  | { kind: 'fork' | 'vfork'; child: ThreadId }
  | { kind: 'vforkdone' }
  /** The new executable's path (sent hex-encoded). */
  | { kind: 'exec'; path: string | Buffer }
  | { kind: 'create' }
  | { kind: 'library' };

export interface TStopReply {
  /** gdb signal number: 0 for attach / vCont;t, 2 for Ctrl-C, 5 for traps. */
  signal: number;
  reason?: StopReason;
  /** [regnum, little-endian hex] pairs, usually expeditedRegisters(gpr). */
  registers?: ReadonlyArray<readonly [number, string]>;
  thread?: ThreadId;
  core?: number;
}

function hex2(n: number, what: string): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xff) throw new RangeError(`${what} ${n} does not fit in two hex digits`);
  return n.toString(16).padStart(2, '0');
}

function reasonText(reason: StopReason, multiprocess: boolean): string {
  switch (reason.kind) {
    case 'swbreak':
    case 'hwbreak':
    case 'vforkdone':
    case 'create':
    case 'library':
      return `${reason.kind}:;`;
    case 'watch':
    case 'rwatch':
    case 'awatch':
      // gdbserver prints the address as 16 digits (sizeof(void *) * 2).
      return `${reason.kind}:${BigInt.asUintN(64, reason.address).toString(16).padStart(16, '0')};`;
    case 'syscall_entry':
    case 'syscall_return':
      return `${reason.kind}:${reason.syscall.toString(16)};`;
    case 'fork':
    case 'vfork':
      return `${reason.kind}:${formatThreadId(reason.child, multiprocess)};`;
    case 'exec':
      return `exec:${typeof reason.path === 'string' ? hexEncodeString(reason.path) : hexEncode(reason.path)};`;
  }
}

/** `T` stop reply. */
export function formatTStop(reply: TStopReply, multiprocess: boolean): string {
  let out = 'T' + hex2(reply.signal, 'signal');
  if (reply.reason) out += reasonText(reply.reason, multiprocess);
  for (const [regnum, value] of reply.registers ?? []) out += `${hex2(regnum, 'register')}:${value};`;
  if (reply.thread) out += `thread:${formatThreadId(reply.thread, multiprocess)};`;
  if (reply.core !== undefined) out += `core:${reply.core.toString(16)};`;
  return out;
}

/**
 * `W` (exited with a code) reply. With multiprocess gdbserver writes
 * `W0;process:14db` (no zero padding); without, `W00`.
 */
export function formatExited(exitCode: number, pid: number | undefined, multiprocess: boolean): string {
  const code = exitCode & 0xff;
  return multiprocess && pid !== undefined ? `W${code.toString(16)};process:${pid.toString(16)}` : `W${hex2(code, 'exit code')}`;
}

/** `X` (killed by a signal) reply; the signal is gdb's number (`Xb;process:14f0` for SIGSEGV). */
export function formatKilled(gdbSignal: number, pid: number | undefined, multiprocess: boolean): string {
  const sig = hex2(gdbSignal, 'signal');
  return multiprocess && pid !== undefined ? `X${gdbSignal.toString(16)};process:${pid.toString(16)}` : `X${sig}`;
}

/** `w AA;tid`: a thread exited (only when gdb enabled QThreadEvents). */
export function formatThreadExited(exitCode: number, thread: ThreadId, multiprocess: boolean): string {
  return `w${(exitCode & 0xff).toString(16)};${formatThreadId(thread, multiprocess)}`;
}

/** `N`: no resumed threads left (only with the no-resumed feature). */
export const NO_RESUMED_REPLY = 'N';

/**
 * A stop reply with parts switched off (gdbserver's --disable-packet): `T` gives the plain
 * `S` form (signal only); `Tthread` drops the `thread:` field. Other replies pass unchanged.
 */
export function withoutStopParts(reply: string, off: { T: boolean; Tthread: boolean }): string {
  if (!/^T[0-9a-fA-F]{2}/.test(reply)) return reply;
  if (off.T) return `S${reply.slice(1, 3)}`;
  if (off.Tthread) return reply.replace(/(^T[0-9a-fA-F]{2}|;)thread:[^;]*;/, '$1');
  return reply;
}

/** `O<hex>` console output (all-stop only; qRcmd replies). */
export function formatConsoleOutput(text: string | Buffer): string {
  return 'O' + (typeof text === 'string' ? hexEncodeString(text) : hexEncode(text));
}

// ---------------------------------------------------------------------------
// qSupported

export interface QSupported {
  /** `name+` -> true, `name-` -> false, `name=value` -> value, `name?` -> '?'. */
  features: Map<string, string | boolean>;
}

/**
 * Parses `qSupported[:f1;f2;…]`. Each call is a fresh negotiation: callers
 * should replace, not merge, what an earlier qSupported said.
 */
export function parseQSupported(payload: string): QSupported {
  if (payload !== 'qSupported' && !payload.startsWith('qSupported:')) throw new RspParseError('not a qSupported packet');
  const features = new Map<string, string | boolean>();
  const list = payload.length > 'qSupported:'.length ? payload.slice('qSupported:'.length) : '';
  for (const item of list.split(';')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq >= 0) {
      features.set(item.slice(0, eq), item.slice(eq + 1));
      continue;
    }
    const last = item[item.length - 1];
    const name = item.slice(0, -1);
    if (last === '+') features.set(name, true);
    else if (last === '-') features.set(name, false);
    else if (last === '?') features.set(name, '?');
    else throw new RspParseError(`bad qSupported feature '${item.slice(0, 60)}'`);
  }
  return { features };
}

/** Whether gdb offered a boolean feature (`name+`). */
export function supports(q: QSupported, name: string): boolean {
  return q.features.get(name) === true;
}

/** Our qSupported reply: `[name, true|false|value]` in order -> `name+;name-;name=value`. */
export function formatQSupported(features: ReadonlyArray<readonly [string, string | boolean]>): string {
  return features
    .map(([name, value]) => (value === true ? `${name}+` : value === false ? `${name}-` : `${name}=${value}`))
    .join(';');
}
