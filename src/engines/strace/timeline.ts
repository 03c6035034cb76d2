/**
 * --timeline FILE: Chrome trace-event JSON (the "JSON Array Format" that Perfetto and
 * chrome://tracing open). Written as a stream: "[" first, one event per line as events happen,
 * "]" at close; a viewer also accepts the file if tracing was cut short before close().
 *
 * Mapping: each syscall is a complete slice (ph "X") on its thread's track, ts/dur in
 * microseconds since the first event; signals, exits and kills are instant events (ph "i");
 * process and thread names are metadata events (ph "M").
 */
import type { DecodedSyscall } from './syscall.js';
import { valueToJson, type JsonValue } from './json.js';
import { siginfoValue, signalText } from './siginfo.js';

export class TimelineWriter {
  private _t0: bigint | undefined;
  private _first = true;
  private _closed = false;
  private readonly _named = new Set<string>();

  constructor(private readonly _write: (s: string) => void) {
    this._write('[');
  }

  /** Names a process track (ph M process_name); repeated names are written once. */
  processName(pid: number, name: string): void {
    const key = `p${pid}:${name}`;
    if (this._named.has(key)) return;
    this._named.add(key);
    this._event({ name: 'process_name', ph: 'M', pid, tid: pid, args: { name } });
  }

  /** Names a thread track (ph M thread_name). */
  threadName(pid: number, tid: number, name: string): void {
    const key = `t${tid}:${name}`;
    if (this._named.has(key)) return;
    this._named.add(key);
    this._event({ name: 'thread_name', ph: 'M', pid, tid, args: { name } });
  }

  /** A completed syscall slice. */
  syscall(d: DecodedSyscall, entryNs: bigint, exitNs: bigint): void {
    const args: { [k: string]: JsonValue } = { args: `${d.argsText}`, ret: d.returnText() };
    args.decoded = d.args.map(valueToJson);
    this._event({ name: d.name, cat: 'syscall', ph: 'X', ts: this._us(entryNs), dur: Math.max(0, Number(exitNs - entryNs) / 1000), pid: d.pid, tid: d.tid, args });
  }

  /** A syscall that never returned: a slice up to `endNs`, marked unfinished. */
  unfinished(d: DecodedSyscall, entryNs: bigint, endNs: bigint): void {
    this._event({
      name: d.name,
      cat: 'syscall',
      ph: 'X',
      ts: this._us(entryNs),
      dur: Math.max(0, Number(endNs - entryNs) / 1000),
      pid: d.pid,
      tid: d.tid,
      args: { args: d.entryText, ret: '?', unfinished: true },
    });
  }

  signal(pid: number, tid: number, signo: number, siginfo: Uint8Array | undefined, ns: bigint): void {
    const args: { [k: string]: JsonValue } = {};
    if (siginfo && siginfo.length >= 12) args.siginfo = valueToJson(siginfoValue(siginfo));
    this._event({ name: signalText(signo), cat: 'signal', ph: 'i', s: 't', ts: this._us(ns), pid, tid, args });
  }

  exited(pid: number, tid: number, code: number, ns: bigint): void {
    this._event({ name: `exited with ${code}`, cat: 'exit', ph: 'i', s: 't', ts: this._us(ns), pid, tid, args: { code } });
  }

  killed(pid: number, tid: number, signo: number, coreDumped: boolean, ns: bigint): void {
    this._event({ name: `killed by ${signalText(signo)}`, cat: 'exit', ph: 'i', s: 't', ts: this._us(ns), pid, tid, args: { signal: signalText(signo), core: coreDumped } });
  }

  /** Closes the JSON array. Further events are ignored. */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    this._write('\n]\n');
  }

  private _us(ns: bigint): number {
    if (this._t0 === undefined) this._t0 = ns;
    return Number(ns - this._t0) / 1000;
  }

  private _event(e: { [k: string]: JsonValue }): void {
    if (this._closed) return;
    this._write(`${this._first ? '\n' : ',\n'}${JSON.stringify(e)}`);
    this._first = false;
  }
}
