/**
 * --json: one JSON object per line (NDJSON) per trace event. The decoded-argument tree
 * (value.ts) maps to JSON as documented in docs/strace-json.md; the same tree renders the text
 * trace, so both outputs always agree.
 */
import type { DecodedSyscall } from './syscall.js';
import { siginfoValue, signalText } from './siginfo.js';
import { errnoMessage, errnoName } from '../../api.js';
import { hexStr, type Value } from './value.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function intJson(v: bigint): JsonValue {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** The JSON form of a decoded argument. */
export function valueToJson(v: Value): JsonValue {
  switch (v.t) {
    case 'num':
      return intJson(v.v);
    case 'sym':
      return v.s;
    case 'null':
      return null;
    case 'addr':
      return hexStr(v.v);
    case 'str': {
      let o: { [k: string]: JsonValue };
      try {
        o = { str: utf8.decode(v.b) };
      } catch {
        o = { hex: v.b.toString('hex') };
      }
      if (v.more) o.trunc = true;
      return o;
    }
    case 'fd': {
      if (v.path === undefined) return v.fd;
      // The path holds the link's bytes as latin1; a name that is not UTF-8 goes as hex.
      const b = Buffer.from(v.path, 'latin1');
      try {
        return { fd: v.fd, path: utf8.decode(b) };
      } catch {
        return { fd: v.fd, pathHex: b.toString('hex') };
      }
    }
    case 'struct': {
      const o: { [k: string]: JsonValue } = {};
      for (const f of v.f) o[f.k] = valueToJson(f.v);
      if (v.more) o['...'] = true;
      return o;
    }
    case 'arr': {
      const a = v.a.map(valueToJson);
      if (v.moreAt !== undefined) a.push(`... /* ${hexStr(v.moreAt)} */`);
      else if (v.more) a.push('...');
      return a;
    }
    case 'set':
      return v.neg ? { not: [...v.names] } : [...v.names];
    case 'chg':
      return { in: valueToJson(v.a), out: valueToJson(v.b) };
    case 'cmt':
      return { value: valueToJson(v.v), comment: v.c };
    case 'call':
      return { fn: v.fn, args: v.args.map(valueToJson) };
    case 'kv':
      return { [v.k]: valueToJson(v.v) };
  }
}

/** Seconds since the epoch with microsecond precision, from nanoseconds. */
export function nsToSeconds(ns: bigint): number {
  return Number(ns / 1000n) / 1e6;
}

export class JsonEventWriter {
  constructor(private readonly _write: (line: string) => void) {}

  /** A completed syscall (call after DecodedSyscall.exit). */
  syscall(d: DecodedSyscall, entryNs: bigint, exitNs: bigint): void {
    const e: { [k: string]: JsonValue } = {
      type: 'syscall',
      time: nsToSeconds(entryNs),
      pid: d.pid,
      tid: d.tid,
      syscall: d.name,
      nr: d.nr,
      args: d.args.map(valueToJson),
    };
    if (d.errno) {
      e.ret = -1;
      const n = errnoName(d.errno);
      e.errno = n.startsWith('UNKNOWN_') ? d.errno : n;
      e.error = errnoMessage(d.errno);
    } else {
      e.ret = d.kind === 5 ? null : intJson(d.rval);
    }
    if (d.ctx.aux !== undefined) e.retAux = d.ctx.aux;
    e.retText = d.returnText();
    e.duration = Number(exitNs - entryNs) / 1e9;
    if (d.injected) e.injected = true;
    this._emit(e);
  }

  /** A syscall that never returned (the task exited or was killed inside it). */
  unfinished(d: DecodedSyscall, entryNs: bigint): void {
    this._emit({ type: 'syscall', time: nsToSeconds(entryNs), pid: d.pid, tid: d.tid, syscall: d.name, nr: d.nr, args: d.args.map(valueToJson), ret: null, unfinished: true });
  }

  signal(pid: number, tid: number, signo: number, siginfo: Uint8Array | undefined, ns: bigint): void {
    const e: { [k: string]: JsonValue } = { type: 'signal', time: nsToSeconds(ns), pid, tid, signal: signalText(signo) };
    if (siginfo && siginfo.length >= 12) e.siginfo = valueToJson(siginfoValue(siginfo));
    this._emit(e);
  }

  exited(pid: number, tid: number, code: number, ns: bigint): void {
    this._emit({ type: 'exit', time: nsToSeconds(ns), pid, tid, code });
  }

  killed(pid: number, tid: number, signo: number, coreDumped: boolean, ns: bigint): void {
    this._emit({ type: 'killed', time: nsToSeconds(ns), pid, tid, signal: signalText(signo), core: coreDumped });
  }

  private _emit(e: { [k: string]: JsonValue }): void {
    this._write(`${JSON.stringify(e)}\n`);
  }
}
