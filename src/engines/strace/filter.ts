/**
 * strace's -e qualifiers: trace=, signal=, status=, inject=, fault= (strace filter_qualify.c,
 * basic_filters.c). Parsing follows strace exactly, including its quirks: a later -e trace=
 * replaces an earlier one, an unknown qualifier is a syscall set. The set and inject grammars
 * are the qualifier module's (shared with the inject engine). Errors are thrown as FilterError
 * with strace's messages ("invalid system call 'foo'").
 */
import { SYSCALLS } from '../../tables.js';
import { InjectRules, type InjectRule } from '../qualifier/inject.js';
import { FilterError, NSYSCALLS, NumberSet, parseSyscallSet, parseTokenSet } from '../qualifier/sets.js';
import { sigNumber } from '../qualifier/signals.js';

export { FilterError };

export type StatusName = 'successful' | 'failed' | 'unfinished' | 'unavailable' | 'detached';
const STATUSES: StatusName[] = ['successful', 'failed', 'unfinished', 'unavailable', 'detached'];

export class StraceFilter {
  /** -e trace= (default: all). */
  readonly trace = NumberSet.all();
  /** -e signal= (default: all). */
  readonly signals = NumberSet.all();
  /** -e status= (default: all). */
  readonly status = NumberSet.all();
  /** Whether -e status= was given (the formatter then stages lines). */
  statusGiven = false;
  /** Whether -e trace= was given (no prefilter needed otherwise). */
  traceGiven = false;
  /** Warnings strace prints but does not fail on (e.g. inadvertent error injection). */
  readonly warnings: string[] = [];
  /** -e inject= / fault= rules. */
  readonly inject = new InjectRules(this.warnings);
  /** -e read=SET / write=SET: descriptors whose data is dumped in hex (default none). */
  readonly readFds = new NumberSet();
  readonly writeFds = new NumberSet();
  /** -e raw=SET: syscalls whose arguments are printed undecoded, in hex (default none). */
  readonly raw = new NumberSet();
  /** -e verbose=SET (default all): a call outside it has its structures shown as addresses. */
  readonly verbose = NumberSet.all();
  /** -e abbrev=SET (default all): a call outside it is printed as with -v. */
  readonly abbrev = NumberSet.all();
  /** Whether read= or write= was given (dumps are looked for only then). */
  dumping = false;

  /**
   * Applies one -e argument: "trace=SET", "signal=SET", "status=SET", "inject=SPEC",
   * "fault=SPEC", the short qualifier names strace accepts, or a bare SET (= trace).
   */
  apply(expr: string): this {
    const m = /^([a-z-]+)=(.*)$/s.exec(expr);
    const q = m ? m[1] : '';
    const v = m ? m[2] : expr;
    switch (q) {
      case 'trace':
      case 't':
        this.traceGiven = true;
        parseSyscallSet(v, this.trace);
        break;
      case 'signal':
      case 'signals':
      case 's':
        parseTokenSet(v, this.signals, 'signal', (t) => {
          if (/^\d+$/.test(t)) {
            const n = Number(t);
            return n <= 255 ? n : undefined;
          }
          return sigNumber(t);
        });
        break;
      case 'status':
        this.statusGiven = true;
        parseTokenSet(v, this.status, 'status', (t) => {
          const i = STATUSES.indexOf(t as StatusName);
          return i >= 0 ? i : undefined;
        });
        break;
      case 'inject':
        this.inject.add(v, false);
        break;
      case 'read':
      case 'reads':
      case 'r':
        parseTokenSet(v, this.readFds, 'descriptor', fdNumber);
        this.dumping = true;
        break;
      case 'write':
      case 'writes':
      case 'w':
        parseTokenSet(v, this.writeFds, 'descriptor', fdNumber);
        this.dumping = true;
        break;
      case 'raw':
      case 'x':
        parseSyscallSet(v, this.raw);
        break;
      case 'verbose':
      case 'v':
        parseSyscallSet(v, this.verbose);
        break;
      case 'abbrev':
      case 'a':
        parseSyscallSet(v, this.abbrev);
        break;
      case 'fault':
        this.inject.add(v, true);
        break;
      default:
        if (m && KNOWN_UNSUPPORTED.has(q)) throw new FilterError(`-e ${q}= is not supported`);
        // strace treats an unknown qualifier as a syscall set: "abc=1" is an invalid syscall.
        this.traceGiven = true;
        parseSyscallSet(expr, this.trace);
    }
    return this;
  }

  syscallSelected(nr: number): boolean {
    // A number the table does not know is always traced (printed raw), whatever trace= says,
    // as strace does: no qualifier can name it.
    if (nr < 0 || nr >= NSYSCALLS || !SYSCALLS[nr]) return true;
    return this.trace.has(nr);
  }

  /** Numbers of all selected syscalls (seccomp prefilter), injected ones included. */
  selectedSyscalls(): number[] {
    const out: number[] = [];
    for (let nr = 0; nr < NSYSCALLS; nr++) if (SYSCALLS[nr] && (this.trace.has(nr) || this.inject.injection(nr))) out.push(nr);
    return out;
  }

  signalSelected(sig: number): boolean {
    return this.signals.has(sig);
  }

  statusSelected(s: StatusName): boolean {
    return this.status.has(STATUSES.indexOf(s));
  }

  injection(nr: number): InjectRule | undefined {
    return this.inject.injection(nr);
  }
}

/** A descriptor number of -e read=/write= (0 to INT_MAX). */
function fdNumber(t: string): number | undefined {
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n <= 0x7fffffff ? n : undefined;
}

const KNOWN_UNSUPPORTED = new Set(['trace-fd', 'trace-fds', 'fd', 'fds', 'kvm', 'quiet', 'silent', 'silence', 'q', 'decode-fd', 'decode-fds', 'decode-pid', 'decode-pids', 'secontext']);
