/**
 * strace's -e qualifiers: trace=, signal=, status=, inject=, fault= (strace filter_qualify.c,
 * basic_filters.c). Parsing follows strace exactly, including its quirks: a later -e trace=
 * replaces an earlier one, a leading '!' inverts the whole set, '?' makes a token optional,
 * tokens may be names, numbers, %classes (and the legacy bare class names), or /regex.
 * Errors are thrown as FilterError with strace's messages ("invalid system call 'foo'").
 */
import { SYSCALLS, SYSCALL_CLASS_NAMES, SYSCALL_NR } from '../../arch/x86_64/syscalls.gen.js';
import { errnoNumber } from '../../core/errno.js';
import { sigNumber } from './signals.js';

export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterError';
  }
}

const NSYSCALLS = SYSCALLS.length;
/** Classes strace still accepts without the '%' (older syntax). */
const LEGACY_CLASSES: Record<string, string> = {
  file: '%file',
  ipc: '%ipc',
  network: '%network',
  process: '%process',
  signal: '%signal',
  desc: '%desc',
  memory: '%memory',
};

/** A set of small non-negative integers that may be "everything except …" (strace number_set). */
export class NumberSet {
  private readonly _items = new Set<number>();
  private _not = false;

  has(n: number): boolean {
    return this._items.has(n) !== this._not;
  }
  add(n: number): void {
    this._items.add(n);
  }
  clear(): void {
    this._items.clear();
    this._not = false;
  }
  invert(): void {
    this._not = !this._not;
  }
  get inverted(): boolean {
    return this._not;
  }
  static all(): NumberSet {
    const s = new NumberSet();
    s.invert();
    return s;
  }
}

export type StatusName = 'successful' | 'failed' | 'unfinished' | 'unavailable' | 'detached';
const STATUSES: StatusName[] = ['successful', 'failed', 'unfinished', 'unavailable', 'detached'];

/** One -e inject=/fault= rule (strace struct inject_opts). */
export interface IInjectRule {
  /** Call number (per thread, 1-based) of the first injection. */
  readonly first: number;
  /** Last call number to inject, or Infinity. */
  readonly last: number;
  /** Inject every `step` calls after `first`; 0 = only once. */
  readonly step: number;
  /** errno to return (positive), if any. */
  readonly error?: number;
  /** Return value to force, if any. */
  readonly retval?: bigint;
  /** Signal to deliver on injection. */
  readonly signal?: number;
  /** Microseconds to sleep before the syscall runs / after it returns. */
  readonly delayEnter?: number;
  readonly delayExit?: number;
  /** Syscall number to run instead (must be a %pure syscall), with error/retval. */
  readonly syscall?: number;
}

function parseWhen(v: string): { first: number; last: number; step: number } | undefined {
  const m = /^(\d+)(?:\.\.(\d+))?(\+(\d*))?$/.exec(v);
  if (!m) return undefined;
  const first = Number(m[1]);
  if (first < 1 || first > 0xffff) return undefined;
  let last = Infinity;
  if (m[2] !== undefined) {
    last = Number(m[2]);
    // 65535 is strace's "infinity" marker and cannot be a last value.
    if (last < first || last >= 0xffff) return undefined;
  }
  let step: number;
  if (m[3] !== undefined) {
    step = m[4] === '' ? 1 : Number(m[4]);
    if (step < 1 || step > 0xffff) return undefined;
  } else step = last === Infinity ? 0 : 1;
  return { first, last, step };
}

/** strace parse_ts: a number with an optional s/ms/us/ns suffix, microseconds by default. */
function parseDelayUs(v: string): number | undefined {
  const m = /^(\d+(?:\.\d*)?|\.\d+)(s|ms|us|ns)?$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const mult = m[2] === 's' ? 1e6 : m[2] === 'ms' ? 1e3 : m[2] === 'ns' ? 1e-3 : 1;
  const us = n * mult;
  return Number.isFinite(us) ? us : undefined;
}

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
  private readonly _inject = new Map<number, IInjectRule>();
  /** Warnings strace prints but does not fail on (e.g. inadvertent error injection). */
  readonly warnings: string[] = [];

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
        parseTokens(v, this.signals, 'signal', (t) => {
          if (/^\d+$/.test(t)) {
            const n = Number(t);
            return n <= 255 ? n : undefined;
          }
          return sigNumber(t);
        });
        break;
      case 'status':
        this.statusGiven = true;
        parseTokens(v, this.status, 'status', (t) => {
          const i = STATUSES.indexOf(t as StatusName);
          return i >= 0 ? i : undefined;
        });
        break;
      case 'inject':
        this._parseInject(v, false);
        break;
      case 'fault':
        this._parseInject(v, true);
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
    return this.trace.has(nr);
  }

  /** Numbers of all selected syscalls (seccomp prefilter), injected ones included. */
  selectedSyscalls(): number[] {
    const out: number[] = [];
    for (let nr = 0; nr < NSYSCALLS; nr++) if (SYSCALLS[nr] && (this.trace.has(nr) || this._inject.has(nr))) out.push(nr);
    return out;
  }

  signalSelected(sig: number): boolean {
    return this.signals.has(sig);
  }

  statusSelected(s: StatusName): boolean {
    return this.status.has(STATUSES.indexOf(s));
  }

  injection(nr: number): IInjectRule | undefined {
    return this._inject.get(nr);
  }

  get hasInjections(): boolean {
    return this._inject.size > 0;
  }

  private _parseInject(spec: string, faultOnly: boolean): void {
    const what = faultOnly ? 'fault argument' : 'inject argument';
    const bad = (): never => {
      throw new FilterError(`invalid ${what} '${spec}'`);
    };
    if (spec === '' || spec.startsWith(':')) bad();
    const [name, ...tokens] = spec.split(':').filter((t, i) => i === 0 || t !== '');
    let when = { first: 1, last: Infinity, step: 1 };
    let error: number | undefined;
    let retval: bigint | undefined;
    let signal: number | undefined;
    let delayEnter: number | undefined;
    let delayExit: number | undefined;
    let syscall: number | undefined;
    for (const tok of tokens) {
      const eq = tok.indexOf('=');
      const key = eq >= 0 ? tok.slice(0, eq + 1) : tok;
      const val = eq >= 0 ? tok.slice(eq + 1) : '';
      switch (key) {
        case 'when=': {
          const w = parseWhen(val);
          if (!w) bad();
          when = w!;
          break;
        }
        case 'syscall=': {
          const nr = SYSCALL_NR[val];
          if (syscall !== undefined || nr === undefined || !(SYSCALLS[nr]!.classes & (SYSCALL_CLASS_NAMES['%pure'] ?? 0))) bad();
          syscall = nr;
          break;
        }
        case 'error=': {
          if (error !== undefined || retval !== undefined) bad();
          let n = /^\d+$/.test(val) ? Number(val) : errnoNumber(val);
          if (/^\d+$/.test(val) && n! > 4095) n = undefined;
          if (n === undefined || n < 1) bad();
          error = n;
          break;
        }
        case 'retval=': {
          if (faultOnly || error !== undefined || retval !== undefined) bad();
          // strtoull(val, 0): decimal, 0x hex or 0 octal, optionally negated (wraps around).
          const m = /^([+-]?)(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.exec(val);
          if (!m) return bad();
          const digits = m[2];
          const mag = /^0x/i.test(digits) ? BigInt(digits) : digits.length > 1 && digits[0] === '0' ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
          if (mag > 0xffffffffffffffffn) bad();
          let r = m[1] === '-' ? -mag : mag;
          // strtoull semantics: negative numbers wrap around.
          r = BigInt.asUintN(64, r);
          if (BigInt.asIntN(64, r) < 0n && BigInt.asIntN(64, r) >= -4095n) {
            this.warnings.push(`Inadvertent injection of error ${-BigInt.asIntN(64, r)} is possible for retval=${r}`);
          }
          retval = r;
          break;
        }
        case 'signal=': {
          if (faultOnly || signal !== undefined) bad();
          const s = /^\d+$/.test(val) ? Number(val) : sigNumber(val);
          if (s === undefined || s < 1 || s > 64) bad();
          signal = s;
          break;
        }
        case 'delay_enter=':
        case 'delay_exit=': {
          if (faultOnly) bad();
          const us = parseDelayUs(val);
          if (us === undefined) bad();
          if (key === 'delay_enter=') {
            if (delayEnter !== undefined) bad();
            delayEnter = us;
          } else {
            if (delayExit !== undefined) bad();
            delayExit = us;
          }
          break;
        }
        default:
          bad();
      }
    }
    const set = new NumberSet();
    parseSyscallSet(name, set);
    if (error === undefined && retval === undefined && signal === undefined && delayEnter === undefined && delayExit === undefined) {
      if (faultOnly) error = 38; // ENOSYS, strace's default for fault=
      else bad();
    }
    const rule: IInjectRule = { ...when, error, retval, signal, delayEnter, delayExit, syscall };
    for (let nr = 0; nr < NSYSCALLS; nr++) if (SYSCALLS[nr] && set.has(nr)) this._inject.set(nr, rule);
  }
}

const KNOWN_UNSUPPORTED = new Set(['abbrev', 'a', 'verbose', 'v', 'raw', 'x', 'read', 'reads', 'r', 'write', 'writes', 'w', 'trace-fd', 'trace-fds', 'fd', 'fds', 'kvm', 'quiet', 'silent', 'silence', 'q', 'decode-fd', 'decode-fds', 'decode-pid', 'decode-pids', 'secontext']);

/** The part strace's qualify_* parsers share: clear the set, apply leading '!'s, and take
 * 'none' / 'all'. Returns the token list left to parse, or undefined when done. */
function setPrefix(str: string, set: NumberSet): string | undefined {
  set.clear();
  let s = str;
  while (s.startsWith('!')) {
    set.invert();
    s = s.slice(1);
  }
  if (s === 'none') return undefined;
  if (s === 'all') {
    set.invert();
    return undefined;
  }
  return s;
}

function parseTokens(str: string, set: NumberSet, what: string, conv: (t: string) => number | undefined): void {
  const s = setPrefix(str, set);
  if (s === undefined) return;
  let done = false;
  for (const tok of s.split(',')) {
    if (tok === '') continue;
    const n = conv(tok);
    if (n === undefined) throw new FilterError(`invalid ${what} '${tok}'`);
    set.add(n);
    done = true;
  }
  if (!done) throw new FilterError(`invalid ${what} '${str}'`);
}

/** strace qualify_syscall_tokens. */
export function parseSyscallSet(str: string, set: NumberSet): void {
  const s = setPrefix(str, set);
  if (s === undefined) return;
  let done = false;
  for (const tok of s.split(',')) {
    if (tok === '') continue;
    done = addSyscallToken(tok, set);
    if (!done) throw new FilterError(`invalid system call '${tok}'`);
  }
  if (!done) throw new FilterError(`invalid system call '${str}'`);
}

function addSyscallToken(token: string, set: NumberSet): boolean {
  let t = token;
  let optional = false;
  while (t.startsWith('?')) {
    t = t.slice(1);
    optional = true;
  }
  let found = false;
  if (/^\d/.test(t)) {
    if (/^\d+$/.test(t)) {
      const n = Number(t);
      if (n < NSYSCALLS && SYSCALLS[n]) {
        set.add(n);
        found = true;
      }
    }
  } else if (t.startsWith('/')) {
    let re: RegExp;
    try {
      re = new RegExp(t.slice(1));
    } catch {
      throw new FilterError(`regcomp: ${t.slice(1)}: Invalid regular expression`);
    }
    for (let nr = 0; nr < NSYSCALLS; nr++) {
      const e = SYSCALLS[nr];
      if (e && re.test(e.name)) {
        set.add(nr);
        found = true;
      }
    }
  } else {
    const cls = SYSCALL_CLASS_NAMES[t] ?? (LEGACY_CLASSES[t] ? SYSCALL_CLASS_NAMES[LEGACY_CLASSES[t]] : undefined);
    if (t.startsWith('%') || cls !== undefined) {
      if (cls !== undefined) {
        for (let nr = 0; nr < NSYSCALLS; nr++) {
          const e = SYSCALLS[nr];
          if (e && e.classes & cls) {
            set.add(nr);
            found = true;
          }
        }
        // An empty class is still a valid class.
        found = true;
      }
    } else {
      const nr = SYSCALL_NR[t];
      if (nr !== undefined) {
        set.add(nr);
        found = true;
      }
    }
  }
  return found || optional;
}

/**
 * Per-thread injection counters (strace copies the rules into each tcb and counts calls
 * there): decides whether this call of `nr` by `tid` is tampered with.
 */
export class InjectState {
  private readonly _perTask = new Map<number, Map<number, { first: number; last: number }>>();

  constructor(private readonly _filter: StraceFilter) {}

  /** Called once per syscall entry; returns the rule to apply now, if any. */
  check(tid: number, nr: number): IInjectRule | undefined {
    const rule = this._filter.injection(nr);
    if (!rule) return undefined;
    let t = this._perTask.get(tid);
    if (!t) {
      t = new Map();
      this._perTask.set(tid, t);
    }
    let c = t.get(nr);
    if (!c) {
      c = { first: rule.first, last: rule.last };
      t.set(nr, c);
    }
    if (c.first === 0 || c.last === 0) return undefined;
    c.first--;
    if (c.last !== Infinity) c.last--;
    if (c.first !== 0) return undefined;
    c.first = rule.step;
    return rule;
  }

  /** Forget a thread's counters (it exited). */
  forget(tid: number): void {
    this._perTask.delete(tid);
  }
}
