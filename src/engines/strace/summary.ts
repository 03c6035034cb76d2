/**
 * -c / -C: the per-syscall summary table, in strace's format (strace count.c):
 *
 *   % time     seconds  usecs/call     calls    errors syscall
 *   ------ ----------- ----------- --------- --------- ----------------
 *    37.76    0.000088          88         1           execve
 *   ------ ----------- ----------- --------- --------- ----------------
 *   100.00    0.000233           2        96         2 total
 *
 * Rows are sorted by time (strace -S time; or by shortest, longest, average call, calls,
 * errors, name), ties kept in syscall-number order as strace's
 * stable sort leaves them; an error count of 0 prints as blanks ("%9.u").
 */
import { SYSCALL_NR } from '../../api.js';

export type SummarySort = 'time' | 'min' | 'max' | 'avg' | 'calls' | 'errors' | 'name' | 'nothing';

interface Row {
  name: string;
  nr: number;
  ns: number;
  /** Shortest and longest call. */
  minNs: number;
  maxNs: number;
  calls: number;
  errors: number;
}

const DASHES = '------ ----------- ----------- --------- --------- ----------------';

export class SyscallSummary {
  private readonly _rows = new Map<string, Row>();

  /** Accounts one completed syscall. `seconds` is its duration. */
  add(name: string, seconds: number, isError: boolean, nr?: number): void {
    let r = this._rows.get(name);
    if (!r) {
      const n = nr ?? SYSCALL_NR[name] ?? (/^syscall_0x([0-9a-f]+)$/.test(name) ? parseInt(name.slice(10), 16) : 1 << 30);
      r = { name, nr: n, ns: 0, minNs: Infinity, maxNs: 0, calls: 0, errors: 0 };
      this._rows.set(name, r);
    }
    r.calls++;
    if (isError) r.errors++;
    const ns = Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1e9) : 0;
    r.ns += ns;
    r.minNs = Math.min(r.minNs, ns);
    r.maxNs = Math.max(r.maxNs, ns);
  }

  get empty(): boolean {
    return this._rows.size === 0;
  }

  /** The table, with a trailing newline. */
  format(sortBy: SummarySort = 'time'): string {
    const rows = [...this._rows.values()].sort((a, b) => a.nr - b.nr);
    const cmp: Record<SummarySort, ((a: Row, b: Row) => number) | undefined> = {
      time: (a, b) => b.ns - a.ns,
      min: (a, b) => b.minNs - a.minNs,
      max: (a, b) => b.maxNs - a.maxNs,
      avg: (a, b) => b.ns / b.calls - a.ns / a.calls,
      calls: (a, b) => b.calls - a.calls,
      errors: (a, b) => b.errors - a.errors,
      name: (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
      nothing: undefined,
    };
    const c = cmp[sortBy];
    if (c) rows.sort(c); // Array.prototype.sort is stable: ties stay in number order.
    let totalNs = 0;
    let calls = 0;
    let errors = 0;
    for (const r of rows) {
      totalNs += r.ns;
      calls += r.calls;
      errors += r.errors;
    }
    const lines: string[] = [];
    lines.push(`${'% time'.padStart(6)} ${'seconds'.padStart(11)} ${'usecs/call'.padStart(11)} ${'calls'.padStart(9)} ${'errors'.padStart(9)} syscall`);
    lines.push(DASHES);
    for (const r of rows) {
      const pct = totalNs ? (100 * r.ns) / totalNs : 0;
      lines.push(row(pct.toFixed(2), r.ns, r.calls, r.errors, r.name));
    }
    lines.push(DASHES);
    lines.push(row('100.00', totalNs, calls, errors, 'total'));
    return `${lines.join('\n')}\n`;
  }
}

function row(pct: string, ns: number, calls: number, errors: number, name: string): string {
  const secs = (ns / 1e9).toFixed(6);
  const usecs = calls ? Math.floor(Math.floor(ns / calls) / 1000) : 0;
  return `${pct.padStart(6)} ${secs.padStart(11)} ${String(usecs).padStart(11)} ${String(calls).padStart(9)} ${(errors ? String(errors) : '').padStart(9)} ${name}`;
}
