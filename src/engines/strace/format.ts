/**
 * The trace-line formatter: turns decoded syscalls and task events into strace's output lines,
 * byte for byte (strace.c printleader, syscall.c syscall_exiting_trace, print_event_exit).
 *
 * Line anatomy: [pid prefix][timestamp]name(args) <pad to column 40>= ret[ (INJECTED)][ <dur>]
 * - pid prefix: "[pid  1234] " on the terminal/stderr when several tasks are traced; with -o FILE
 *   "1234  " (%-5d ) on every line under -f (or when several tasks exist).
 * - When another task prints while a syscall is in flight, the open line is closed with
 *   " <unfinished ...>" and the exit later prints "<... name resumed>" plus the rest.
 * Partial lines are written as soon as strace would write them (a blocked read(0, … shows at
 * once), so the sink sees the same byte stream strace produces.
 */
import type { DecodedSyscall } from './syscall.js';
import { renderValue } from './render.js';
import { siginfoValue, signalText } from './siginfo.js';
import type { Value } from './value.js';
import { clockTime, secUsec } from './timefmt.js';

export interface FormatOptions {
  /** -f: follow forks (affects the -o prefix style). */
  readonly followForks?: boolean;
  /** Output goes to a file given by -o (pid prefix "%-5d " instead of "[pid %5u] "). */
  readonly toFile?: boolean;
  /** Number of -t flags: 1 = HH:MM:SS, 2 = with microseconds, 3 = epoch seconds.micros. */
  readonly timestamps?: 0 | 1 | 2 | 3;
  /** -r: relative timestamps (delta from the previous line's start). */
  readonly relative?: boolean;
  /** -T: time spent in each syscall. */
  readonly syscallTimes?: boolean;
  /** Number of -q flags (2+: no "+++ exited with" lines). */
  readonly quiet?: number;
  /** -a COLUMN: where "= " starts (default 40). */
  readonly column?: number;
  /** -e signal=SET: which signals get "--- SIG ---" and "+++ killed by" lines. */
  readonly signalSelected?: (sig: number) => boolean;
  /**
   * -e status=SET: which completed calls are shown. When set, lines are held until the call
   * completes (strace stages them) and never split into unfinished/resumed.
   */
  readonly statusSelected?: (status: SyscallStatus) => boolean;
  /** When set, the leader's timestamps (replaces timestamps/relative): text for a line at ns. */
  readonly stamp?: (ns: bigint, previousNs: bigint | undefined) => string;
  /** When set, -T's text between < and > (replaces seconds.micros). */
  readonly durationText?: (ns: bigint) => string;
  /** When set, whether "+++ exited with" (quietExit) and "superseded" lines are left out (replaces quiet). */
  readonly quietExit?: boolean;
  readonly quietSuperseded?: boolean;
  /** -n: the syscall's number before its name ("[  39] getpid()"). */
  readonly syscallNumber?: boolean;
  /**
   * -o FILE: the pid prefix on every line even while one task is traced (strace decides it
   * once: for several -p, each joined to its own host here, which sees only its process).
   */
  readonly pidPrefix?: boolean;
  /** -Y: "<comm>" of a traced thread, after its id in the pid prefix ('' when unknown). */
  readonly taskComm?: (tid: number) => string;
  /**
   * -i: "[%016x] " after the timestamps: the thread's instruction pointer at the stop the line
   * is printed for (setIp), sixteen '?' for a thread that has ended.
   */
  readonly instructionPointer?: boolean;
}

export type SyscallStatus = 'successful' | 'failed' | 'unfinished' | 'unavailable' | 'detached';

interface TaskState {
  /** The syscall in flight, between entry and exit. */
  call?: DecodedSyscall;
  /** Its entry time (ns), for -T. */
  entryNs?: bigint;
  /** Staged text (status filtering only). */
  staged?: string;
  /** -Y: the thread's "<comm>" as it was when it began to exit (its lines after that). */
  comm?: string;
  /** -i: the instruction pointer at its current stop. */
  ip?: bigint;
  /** Its pid prefix, once made (not with -Y: the name may change). */
  prefix?: string;
}

const SPACES = ' '.repeat(64);
/** n spaces (a result padded to its column): a slice of one string for the usual columns. */
const spaces = (n: number): string => (n <= SPACES.length ? SPACES.slice(0, n) : ' '.repeat(n));

export class TraceFormatter {
  private readonly _o: FormatOptions;
  private readonly _tasks = new Map<number, TaskState>();
  /** Task whose line was written last; its line is still open when _col > 0. */
  private _printing: number | undefined;
  private _col = 0;
  private _lastNs: bigint | undefined;
  /** -o FILE: several tasks were traced at once; strace decides the prefix once, up front. */
  private _many = false;

  constructor(
    private readonly _write: (s: string) => void,
    opts: FormatOptions = {},
  ) {
    this._o = opts;
  }

  /** Registers a traced task (counts for the [pid N] prefix). */
  addTask(tid: number): void {
    if (!this._tasks.has(tid)) this._tasks.set(tid, {});
    if (this._tasks.size > 1) this._many = true;
  }

  /** Forgets a task (after its exit line); does not print. */
  removeTask(tid: number): void {
    this._tasks.delete(tid);
    if (this._printing === tid) {
      this._printing = undefined;
      this._col = 0;
    }
  }

  /**
   * -Y: the thread is exiting: its name now is the one its last lines show (by the time they
   * print, its parent may have reaped it).
   */
  pinComm(tid: number): void {
    if (this._o.taskComm) this._task(tid).comm = this._o.taskComm(tid);
  }

  /** -i: the thread's instruction pointer at the stop its next lines are printed for. */
  setIp(tid: number, ip: bigint | undefined): void {
    this._task(tid).ip = ip;
  }

  get taskCount(): number {
    return this._tasks.size;
  }

  // ---- syscalls ------------------------------------------------------------------------

  /** Prints the entry half: "name(args-known-at-entry". */
  syscallEntry(d: DecodedSyscall, ns: bigint): void {
    const t = this._task(d.tid);
    t.call = d;
    t.entryNs = ns;
    const text = this._head(d);
    if (this._o.statusSelected) {
      t.staged = this._leaderText(d.tid, ns) + text;
      return;
    }
    // The leader and the head in one write (the sink sees the same bytes, in half the calls).
    this._closeOpen();
    this._printing = d.tid;
    const lead = this._leaderText(d.tid, ns);
    this._col = this._leadWidth(lead) + (d.entryText ? this._width(text) : text.length);
    this._write(lead + text);
  }

  /**
   * Prints the exit half. `durationNs` overrides exit-minus-entry time for -T. The decoded
   * syscall must have had exit() called.
   */
  syscallExit(d: DecodedSyscall, ns: bigint, durationNs?: bigint): void {
    const t = this._task(d.tid);
    const entryNs = t.entryNs ?? ns;
    t.call = undefined;
    t.entryNs = undefined;
    let tail = `${d.exitText})`;
    const ret = d.returnText();
    const dur = durationNs ?? ns - entryNs;
    const timing = this._o.syscallTimes && d.kind !== 5
      ? ` <${this._o.durationText ? this._o.durationText(dur) : secUsec(dur < 0n ? 0n : dur)}>` : '';
    if (this._o.statusSelected) {
      const staged = t.staged ?? this._leaderText(d.tid, entryNs) + this._head(d);
      t.staged = undefined;
      const status: SyscallStatus = d.errno ? 'failed' : 'successful';
      if (!this._o.statusSelected(status)) return;
      this._closeOpen();
      this._printing = d.tid;
      this._col = this._width(staged);
      this._write(staged);
      this._col += tail.length;
      this._write(tail);
      this._finishLine(`= ${ret}${timing}`);
      if (d.dump) this._write(d.dump);
      return;
    }
    if (this._printing !== d.tid) {
      // Someone else printed since our entry: reprint the leader and say what resumes.
      this._leader(d.tid, ns);
      tail = `<... ${d.name} resumed>${tail}`;
    }
    this._col += d.exitText ? this._width(tail) : tail.length; // else ASCII: ")", a name
    this._finishLine(`= ${ret}${timing}`, tail);
    if (d.dump) this._write(d.dump);
  }

  /**
   * The task is exiting (or was killed) inside a syscall that will never return: completes the
   * line with " = ?" (strace print_event_exit). No-op when the task is not in a syscall.
   */
  syscallNoReturn(tid: number, ns: bigint): void {
    const t = this._tasks.get(tid);
    const d = t?.call;
    if (!t || !d) return;
    t.call = undefined;
    t.entryNs = undefined;
    // Arguments left for the exit are never printed: " <unfinished ...>" stands for them.
    const tail = `${d.done ? '' : ' <unfinished ...>'})`;
    if (this._o.statusSelected) {
      const staged = t.staged ?? '';
      t.staged = undefined;
      if (!this._o.statusSelected('unfinished')) return;
      this._closeOpen();
      this._printing = tid;
      this._col = this._width(staged);
      this._write(staged);
      this._emit(tail);
      this._finishLine('= ?');
      return;
    }
    if (this._printing !== tid || this._col === 0) {
      this._leader(tid, ns);
      this._emit(`<... ${d.name} resumed>${tail}`);
    } else this._emit(tail);
    this._finishLine('= ?');
  }

  /** The task was detached while in a syscall (Ctrl-C on -p): " <detached ...>". */
  detached(tid: number): void {
    const t = this._tasks.get(tid);
    if (t?.call) {
      if (this._o.statusSelected) {
        if (this._o.statusSelected('detached') && t.staged) this._write(`${t.staged} <detached ...>\n`);
      } else if (this._printing === tid && this._col > 0) {
        this._write(' <detached ...>\n');
        this._col = 0;
        this._printing = undefined;
      }
    }
    this.removeTask(tid);
  }

  // ---- signals and exits ---------------------------------------------------------------

  /**
   * "--- SIGCHLD {si_signo=SIGCHLD, ...} ---" from the raw 128-byte siginfo; without siginfo
   * (PTRACE_GETSIGINFO failed) strace prints "--- SIGxxx (description) ---", we print the name.
   */
  signal(tid: number, signo: number, siginfo: Uint8Array | undefined, ns: bigint, pidValue?: (pid: number) => Value): void {
    if (this._o.signalSelected && !this._o.signalSelected(signo)) return;
    this._task(tid);
    const info = siginfo && siginfo.length >= 12 ? ` ${renderValue(siginfoValue(siginfo, pidValue))}` : '';
    this._fullLine(tid, ns, `--- ${signalText(signo)}${info} ---`);
  }

  /** Group-stop seen with PTRACE_SEIZE: "--- stopped by SIGSTOP ---". */
  stopped(tid: number, signo: number, ns: bigint): void {
    if (this._o.signalSelected && !this._o.signalSelected(signo)) return;
    this._task(tid);
    this._fullLine(tid, ns, `--- stopped by ${signalText(signo)} ---`);
  }

  /** "+++ exited with N +++", then forgets the task. */
  exited(tid: number, code: number, ns: bigint): void {
    this.syscallNoReturn(tid, ns);
    this._gone(tid);
    if (!(this._o.quietExit ?? (this._o.quiet ?? 0) >= 2)) this._fullLine(tid, ns, `+++ exited with ${code} +++`);
    this.removeTask(tid);
  }

  /** "+++ killed by SIGKILL +++" (with " (core dumped)"), then forgets the task. */
  killed(tid: number, signo: number, coreDumped: boolean, ns: bigint): void {
    this.syscallNoReturn(tid, ns);
    this._gone(tid);
    if (!this._o.signalSelected || this._o.signalSelected(signo)) {
      this._fullLine(tid, ns, `+++ killed by ${signalText(signo)} ${coreDumped ? '(core dumped) ' : ''}+++`);
    }
    this.removeTask(tid);
  }

  /**
   * A non-leader thread (`execer`) exec'd and the leader died of it (de_thread): the leader's
   * call never returns ("= ?"); an execve line of the execer still open ends with
   * " <pid changed to LEADER ...>"; then "LEADER +++ superseded by execve in pid EXECER +++";
   * from now on the execer is the leader's tid, its execve returning as "<... execve resumed>".
   */
  superseded(leader: number, execer: number, ns: bigint): void {
    this.syscallNoReturn(leader, ns);
    if (this._printing === execer && this._col > 0 && !this._o.statusSelected) {
      this._write(` <pid changed to ${leader} ...>\n`);
      this._col = 0;
      this._printing = undefined;
    }
    this._gone(leader);
    if (!(this._o.quietSuperseded ?? (this._o.quiet ?? 0) >= 3)) this._fullLine(leader, ns, `+++ superseded by execve in pid ${execer} +++`);
    this.removeTask(leader);
    this.renameTask(execer, leader);
  }

  /** The thread `from` is now known as `to` (a non-leader's execve took the leader's tid). */
  renameTask(from: number, to: number): void {
    const t = this._tasks.get(from);
    if (!t) return;
    this._tasks.delete(from);
    this._tasks.set(to, t);
    t.prefix = undefined;
    t.call?.renumber(to);
    if (this._printing === from) this._printing = to;
  }

  /** Terminates an open line at the end of tracing (" <unfinished ...>"). */
  flush(): void {
    this._closeOpen();
  }

  // ---- internals -----------------------------------------------------------------------

  private _task(tid: number): TaskState {
    let t = this._tasks.get(tid);
    if (!t) {
      t = {};
      this._tasks.set(tid, t);
      if (this._tasks.size > 1) this._many = true;
    }
    return t;
  }

  private _closeOpen(): void {
    if (this._printing !== undefined && this._col > 0) {
      this._write(' <unfinished ...>\n');
      this._col = 0;
    }
  }

  private _prefix(tid: number): string {
    const n = this._tasks.size;
    if (this._o.toFile ? !(this._o.followForks || this._o.pidPrefix || this._many) : n <= 1) return '';
    if (this._o.taskComm) {
      const comm = this._tasks.get(tid)?.comm ?? this._o.taskComm(tid);
      return this._o.toFile ? `${(String(tid) + comm).padEnd(5)} ` : `[pid ${String(tid).padStart(5)}${comm}] `;
    }
    // The same text for every line of a thread: made once.
    const t = this._tasks.get(tid);
    if (t?.prefix !== undefined) return t.prefix;
    const text = this._o.toFile ? `${String(tid).padEnd(5)} ` : `[pid ${String(tid).padStart(5)}] `;
    if (t) t.prefix = text;
    return text;
  }

  private _stamp(ns: bigint): string {
    if (this._o.stamp) {
      const text = this._o.stamp(ns, this._lastNs);
      this._lastNs = ns;
      return text;
    }
    let s = '';
    const ts = this._o.timestamps ?? 0;
    if (ts === 1 || ts === 2) s += `${clockTime(ns, ts === 2)} `;
    else if (ts === 3) s += `${secUsec(ns)} `;
    if (this._o.relative) {
      const d = this._lastNs === undefined ? 0n : ns - this._lastNs;
      const t = secUsec(d < 0n ? 0n : d);
      const [sec, us] = t.split('.');
      s += `${sec.padStart(6)}.${us} `;
    }
    this._lastNs = ns;
    return s;
  }

  /** "name(args known at entry", with -n's "[ NR] " before it. */
  private _head(d: DecodedSyscall): string {
    return `${this._o.syscallNumber ? `[${String(d.nr).padStart(4)}] ` : ''}${d.name}(${d.entryText}`;
  }

  private _leaderText(tid: number, ns: bigint): string {
    const lead = this._prefix(tid) + this._stamp(ns);
    if (!this._o.instructionPointer) return lead;
    const ip = this._tasks.get(tid)?.ip;
    return `${lead}[${ip === undefined ? '?'.repeat(16) : ip.toString(16).padStart(16, '0')}] `;
  }

  /** -i: a thread that has ended has no instruction pointer ("+++" lines). */
  private _gone(tid: number): void {
    const t = this._tasks.get(tid);
    if (t) t.ip = undefined;
  }

  /** strace printleader: closes another open line, starts ours. */
  private _leader(tid: number, ns: bigint): void {
    this._closeOpen();
    this._printing = tid;
    const lead = this._leaderText(tid, ns);
    this._col = this._leadWidth(lead);
    if (lead) this._write(lead);
  }

  /** A leader's columns: ASCII (ids, times, -i's address) but for -Y's names. */
  private _leadWidth(lead: string): number {
    return this._o.taskComm ? this._width(lead) : lead.length;
  }

  private _emit(s: string): void {
    if (!s) return;
    this._write(s);
    this._col += this._width(s);
  }

  /** ") " then spaces up to the column, then the result (strace tabto). `before`: text
   * already counted in the column, written with it (one write for the line's end). */
  private _finishLine(result: string, before = ''): void {
    const col = this._o.column ?? 40;
    const at = this._col + 1;
    this._write(`${before}${at < col ? spaces(col - at + 1) : ' '}${result}\n`);
    this._col = 0;
    this._printing = undefined;
  }

  private _fullLine(tid: number, ns: bigint, text: string): void {
    this._leader(tid, ns);
    this._write(`${text}\n`);
    this._col = 0;
    this._printing = undefined;
  }

  /** Output columns of a string (strace counts bytes; our text is ASCII except -y paths). */
  private _width(s: string): number {
    return Buffer.byteLength(s, 'utf8');
  }
}

/** One thread's output under -ff: its lines, then end() once the thread is done. */
export interface TaskOutput {
  write(s: string): void;
  end(): void;
}

/** What the strace engine needs of a formatter. */
export type Formatter = Pick<TraceFormatter, 'addTask' | 'removeTask' | 'pinComm' | 'syscallEntry' | 'syscallExit' |
  'syscallNoReturn' | 'detached' | 'signal' | 'stopped' | 'exited' | 'killed' | 'superseded' | 'renameTask' | 'flush' | 'setIp'>;

/**
 * strace -ff -o FILE: each thread's lines go to a file of its own (FILE.TID), whole, with no pid
 * prefix: one TraceFormatter per thread, so a line is never cut by another thread's.
 */
export class PerTaskFormatter implements Formatter {
  private readonly _per = new Map<number, { f: TraceFormatter; out: TaskOutput }>();

  constructor(
    private readonly _outputFor: (tid: number) => TaskOutput,
    private readonly _opts: FormatOptions = {},
  ) {}

  private _f(tid: number): TraceFormatter {
    let p = this._per.get(tid);
    if (!p) {
      const out = this._outputFor(tid);
      p = { f: new TraceFormatter((s) => out.write(s), { ...this._opts, followForks: false }), out };
      p.f.addTask(tid);
      this._per.set(tid, p);
    }
    return p.f;
  }

  addTask(tid: number): void {
    this._f(tid);
  }

  removeTask(tid: number): void {
    // The thread is done: its output is ended (a fork storm must not pile up open files).
    const p = this._per.get(tid);
    if (!p) return;
    p.f.removeTask(tid);
    this._per.delete(tid);
    p.out.end();
  }

  pinComm(): void {
    // No pid prefix in a file of its own.
  }

  setIp(tid: number, ip: bigint | undefined): void {
    this._f(tid).setIp(tid, ip);
  }

  syscallEntry(d: DecodedSyscall, ns: bigint): void {
    this._f(d.tid).syscallEntry(d, ns);
  }

  syscallExit(d: DecodedSyscall, ns: bigint, durationNs?: bigint): void {
    this._f(d.tid).syscallExit(d, ns, durationNs);
  }

  syscallNoReturn(tid: number, ns: bigint): void {
    this._per.get(tid)?.f.syscallNoReturn(tid, ns);
  }

  detached(tid: number): void {
    this._per.get(tid)?.f.detached(tid);
  }

  signal(tid: number, signo: number, siginfo: Uint8Array | undefined, ns: bigint, pidValue?: (pid: number) => Value): void {
    this._f(tid).signal(tid, signo, siginfo, ns, pidValue);
  }

  stopped(tid: number, signo: number, ns: bigint): void {
    this._f(tid).stopped(tid, signo, ns);
  }

  exited(tid: number, code: number, ns: bigint): void {
    this._f(tid).exited(tid, code, ns);
  }

  killed(tid: number, signo: number, coreDumped: boolean, ns: bigint): void {
    this._f(tid).killed(tid, signo, coreDumped, ns);
  }

  superseded(leader: number, execer: number, ns: bigint): void {
    // The leader's own output ends with the superseded line; the execer's goes on, as the
    // leader's tid.
    this._f(leader).superseded(leader, execer, ns);
    this.removeTask(leader);
    this.renameTask(execer, leader);
  }

  renameTask(from: number, to: number): void {
    const p = this._per.get(from);
    if (!p) return;
    this._per.delete(from);
    p.f.renameTask(from, to);
    this._per.set(to, p);
  }

  flush(): void {
    for (const p of this._per.values()) p.f.flush();
  }
}
