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
 * stable sort leaves them; an error count of 0 prints as blanks ("%9.u"). -U picks and orders
 * the columns (the syscall name is always there, last when not named); -O takes a fixed
 * overhead off every call.
 */
import { SYSCALL_NR } from '../../tables.js';

export type SummarySort = 'time' | 'min' | 'max' | 'avg' | 'calls' | 'errors' | 'name' | 'nothing';
export type SummaryColumn = 'percent' | 'time' | 'min' | 'max' | 'avg' | 'calls' | 'errors' | 'name';

/** -U's names (with '_' read as '-'). */
const COLUMN_NAMES: Record<string, SummaryColumn> = {
  'time': 'percent', 'time-percent': 'percent', 'time-total': 'time', 'total-time': 'time',
  'min-time': 'min', 'shortest': 'min', 'time-min': 'min', 'max-time': 'max', 'longest': 'max',
  'time-max': 'max', 'avg-time': 'avg', 'time-avg': 'avg', 'calls': 'calls', 'count': 'calls',
  'errors': 'errors', 'error': 'errors', 'name': 'name', 'syscall': 'name', 'syscall-name': 'name',
};

/** A -U column name, or undefined when there is none by that name. */
export function summaryColumn(name: string): SummaryColumn | undefined {
  return COLUMN_NAMES[name.replace(/_/g, '-')];
}

const DEFAULT_COLUMNS: SummaryColumn[] = ['percent', 'time', 'avg', 'calls', 'errors', 'name'];

/** Each column's header, width and cell (the total row passes the totals as a Row). */
const COLUMNS: Record<SummaryColumn, { head: string; width: number; cell: (r: Row, pct: number) => string }> = {
  percent: { head: '% time', width: 6, cell: (_r, pct) => pct.toFixed(2) },
  time: { head: 'seconds', width: 11, cell: (r) => (r.ns / 1e9).toFixed(6) },
  min: { head: 'shortest', width: 8, cell: (r) => (r.calls ? r.minNs / 1e9 : 0).toFixed(6) },
  max: { head: 'longest', width: 8, cell: (r) => (r.maxNs / 1e9).toFixed(6) },
  avg: { head: 'usecs/call', width: 11, cell: (r) => String(r.calls ? Math.floor(Math.floor(r.ns / r.calls) / 1000) : 0) },
  calls: { head: 'calls', width: 9, cell: (r) => String(r.calls) },
  errors: { head: 'errors', width: 9, cell: (r) => (r.errors ? String(r.errors) : '') },
  name: { head: 'syscall', width: 16, cell: (r) => r.name },
};

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

export class SyscallSummary {
  private readonly _rows = new Map<string, Row>();
  /** -O: taken off each call's time (not below zero). */
  overheadNs = 0;

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
    const ns = Number.isFinite(seconds) && seconds > 0 ? Math.max(0, Math.round(seconds * 1e9) - this.overheadNs) : 0;
    r.ns += ns;
    r.minNs = Math.min(r.minNs, ns);
    r.maxNs = Math.max(r.maxNs, ns);
  }

  get empty(): boolean {
    return this._rows.size === 0;
  }

  /** The table, with a trailing newline; `columns` as -U gives them (default: strace's six). */
  format(sortBy: SummarySort = 'time', columns: readonly SummaryColumn[] = DEFAULT_COLUMNS): string {
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
    const total: Row = { name: 'total', nr: 0, ns: 0, minNs: Infinity, maxNs: 0, calls: 0, errors: 0 };
    for (const r of rows) {
      total.ns += r.ns;
      total.calls += r.calls;
      total.errors += r.errors;
      total.minNs = Math.min(total.minNs, r.minNs);
      total.maxNs = Math.max(total.maxNs, r.maxNs);
    }
    const cols = columns.includes('name') ? columns : [...columns, 'name' as const];
    // Cells are right-aligned to the column's width; the name is left-aligned, unpadded last.
    const line = (cell: (col: SummaryColumn) => string): string => cols.map((col, i) => {
      const text = cell(col);
      if (col !== 'name') return text.padStart(COLUMNS[col].width);
      return i === cols.length - 1 ? text : text.padEnd(COLUMNS[col].width);
    }).join(' ');
    const dashes = line((col) => '-'.repeat(COLUMNS[col].width));
    const lines = [line((col) => COLUMNS[col].head), dashes];
    for (const r of rows) lines.push(line((col) => COLUMNS[col].cell(r, total.ns ? (100 * r.ns) / total.ns : 0)));
    lines.push(dashes, line((col) => COLUMNS[col].cell(total, 100)));
    return `${lines.join('\n')}\n`;
  }
}
