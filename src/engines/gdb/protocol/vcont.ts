// vCont parsing and per-thread resolution (gdb manual, "Packets"; in non-stop,
// docs/gdb-server.md, "All-stop and non-stop").
// Observed forms: `vCont;c:p1148.-1`, `vCont;s:p1148.1148`,
// `vCont;C1e:p14db.14db;c:p14db.-1`, `vCont;r5555…248,5555…25a:p1148.1148;c:p1148.-1`,
// `vCont;s:p207e.207e;c`, `vCont;t:p207e.207e`.

import { RspParseError, hexDigitValue, parseHexBigInt } from './packet.js';
import { parseThreadId, threadMatches, type ThreadId } from './threadId.js';

/** gdbserver's exact answer to `vCont?`. */
export const VCONT_SUPPORTED_REPLY = 'vCont;c;C;t;s;S;r';

export type VContActionKind = 'c' | 'C' | 's' | 'S' | 't' | 'r';

export interface VContAction {
  action: VContActionKind;
  /** C/S: the gdb signal number to deliver (convert with linuxSignalFromGdb). */
  signal?: number;
  /** r: keep stepping while start <= pc < end. */
  start?: bigint;
  end?: bigint;
  /** Absent: applies to every thread. */
  thread?: ThreadId;
}

function parseSignal(text: string, whole: string): number {
  if (text.length !== 2 || hexDigitValue(text.charCodeAt(0)) < 0 || hexDigitValue(text.charCodeAt(1)) < 0) {
    throw new RspParseError(`bad signal in vCont action '${whole.slice(0, 60)}'`);
  }
  return parseInt(text, 16);
}

/** Parses `vCont;ACTION[:TID];…` (the whole payload). Throws RspParseError on malformed input or an empty action list. */
export function parseVCont(payload: string): VContAction[] {
  if (!payload.startsWith('vCont;')) throw new RspParseError('not a vCont packet');
  const items = payload.slice('vCont;'.length).split(';');
  const actions: VContAction[] = [];
  for (const item of items) {
    if (item === '') throw new RspParseError('empty vCont action');
    const colon = item.indexOf(':');
    const body = colon < 0 ? item : item.slice(0, colon);
    const action: VContAction = { action: body[0] as VContActionKind };
    switch (body[0]) {
      case 'c':
      case 's':
      case 't':
        if (body.length !== 1) throw new RspParseError(`bad vCont action '${item.slice(0, 60)}'`);
        break;
      case 'C':
      case 'S':
        action.signal = parseSignal(body.slice(1), item);
        break;
      case 'r': {
        const range = body.slice(1).split(',');
        if (range.length !== 2) throw new RspParseError(`bad vCont range '${item.slice(0, 60)}'`);
        action.start = parseHexBigInt(range[0]!);
        action.end = parseHexBigInt(range[1]!);
        break;
      }
      default:
        throw new RspParseError(`unknown vCont action '${item.slice(0, 60)}'`);
    }
    if (colon >= 0) action.thread = parseThreadId(item.slice(colon + 1));
    actions.push(action);
  }
  return actions;
}

export interface ResolvedAction<T extends ThreadId> {
  thread: T;
  /** undefined: no action matched, the thread stays as it is (stopped in all-stop). */
  action: VContAction | undefined;
}

/**
 * For each thread, the leftmost action whose thread id matches it (an action
 * without a thread id matches all). `s:T1;c` steps T1 and continues the rest;
 * `c:p5.-1` leaves process 6 alone.
 */
export function resolveVCont<T extends ThreadId>(actions: readonly VContAction[], threads: readonly T[]): Array<ResolvedAction<T>> {
  return threads.map((thread) => ({ thread, action: vContActionFor(actions, thread.pid, thread.tid) }));
}

/** The leftmost action matching thread pid.tid, skipping `t` (stop) actions when skipStops. */
export function vContActionFor(actions: readonly VContAction[], pid: number, tid: number, skipStops = false): VContAction | undefined {
  for (const a of actions) {
    if (skipStops && a.action === 't') continue;
    if (a.thread === undefined || threadMatches(a.thread, { pid, tid })) return a;
  }
  return undefined;
}
