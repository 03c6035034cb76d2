/**
 * strace's tampering qualifiers, `inject=SPEC` and `fault=SPEC` (strace filter_qualify.c), as
 * the strace engine's `-e` and the inject engine both take them: SPEC is
 * `SET:error=E|retval=N[:signal=S][:when=W][:delay_enter=T][:delay_exit=T][:syscall=NAME]
 * [:poke_enter=@argN=HEX,...][:poke_exit=@argN=HEX,...]`.
 */
import { SYSCALLS, SYSCALL_CLASS_NAMES, SYSCALL_NR, errnoNumber } from '../../tables.js';
import { FilterError, NSYSCALLS, NumberSet, parseSyscallSet } from './sets.js';
import { sigNumber } from './signals.js';

/** One inject=/fault= rule (strace struct inject_opts). */
export interface InjectRule {
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
  /** Bytes written where arguments point, as the call starts (before it is decoded). */
  readonly pokeEnter?: readonly Poke[];
  /** Bytes written where arguments point, as the call returns (before it is decoded). */
  readonly pokeExit?: readonly Poke[];
}

/** poke_enter=/poke_exit='s @argN=HEX: `data` written at the address argument `arg` holds. */
export interface Poke {
  /** 1-based argument number (1..7, as strace counts them). */
  readonly arg: number;
  readonly data: Buffer;
}

/** Most bytes one poke writes. */
export const POKE_MAX = 1024;

/** @argN=HEX[,@argM=HEX...]: each argument at most once, HEX an even number of digits. */
export function parsePokes(v: string): Poke[] | undefined {
  const out: Poke[] = [];
  for (const item of v.split(',')) {
    const m = /^@arg([1-7])=((?:[0-9a-fA-F]{2})+)$/.exec(item);
    if (!m || m[2]!.length > POKE_MAX * 2) return undefined;
    const arg = Number(m[1]);
    if (out.some((p) => p.arg === arg)) return undefined;
    out.push({ arg, data: Buffer.from(m[2]!, 'hex') });
  }
  return out;
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

/**
 * The inject/fault rules of a trace, by syscall number: a later rule for a call replaces an
 * earlier one, as in strace.
 */
export class InjectRules {
  private readonly _byNr = new Map<number, InjectRule>();

  /** @param warnings where to put what strace warns about but accepts (inadvertent errors) */
  constructor(readonly warnings: string[] = []) {}

  /** Adds one `inject=` (or, with faultOnly, `fault=`) SPEC, without the prefix; throws FilterError. */
  add(spec: string, faultOnly = false): this {
    const what = faultOnly ? 'fault argument' : 'inject argument';
    const bad = (): never => {
      throw new FilterError(`invalid ${what} '${spec}'`);
    };
    const [name, ...tokens] = spec.split(':').filter((t, i) => i === 0 || t !== '');
    // The set first, as strace: an empty or bad one is "invalid system call", whatever follows.
    const set = new NumberSet();
    parseSyscallSet(name!, set);
    let when = { first: 1, last: Infinity, step: 1 };
    let error: number | undefined;
    let retval: bigint | undefined;
    let signal: number | undefined;
    let delayEnter: number | undefined;
    let delayExit: number | undefined;
    let syscall: number | undefined;
    let pokeEnter: Poke[] | undefined;
    let pokeExit: Poke[] | undefined;
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
        case 'poke_enter=':
        case 'poke_exit=': {
          if (faultOnly || (key === 'poke_enter=' ? pokeEnter : pokeExit) !== undefined) bad();
          const pokes = parsePokes(val) ?? bad();
          if (key === 'poke_enter=') pokeEnter = pokes;
          else pokeExit = pokes;
          break;
        }
        default:
          bad();
      }
    }
    if (error === undefined && retval === undefined && signal === undefined && delayEnter === undefined &&
      delayExit === undefined && pokeEnter === undefined && pokeExit === undefined) {
      if (faultOnly) error = 38; // ENOSYS, strace's default for fault=
      else bad();
    }
    const rule: InjectRule = { ...when, error, retval, signal, delayEnter, delayExit, syscall, pokeEnter, pokeExit };
    for (let nr = 0; nr < NSYSCALLS; nr++) if (SYSCALLS[nr] && set.has(nr)) this._byNr.set(nr, rule);
    return this;
  }

  /** The rule for calls of `nr`, if any. */
  injection(nr: number): InjectRule | undefined {
    return this._byNr.get(nr);
  }

  /** Numbers of the syscalls some rule applies to, ascending. */
  syscalls(): number[] {
    const out: number[] = [];
    for (let nr = 0; nr < NSYSCALLS; nr++) if (this._byNr.has(nr)) out.push(nr);
    return out;
  }
}

/**
 * Per-thread injection counters (strace copies the rules into each tcb and counts calls
 * there): decides whether this call of `nr` by `tid` is tampered with.
 */
export class InjectState {
  private readonly _perTask = new Map<number, Map<number, { first: number; last: number }>>();

  constructor(private readonly _rules: Pick<InjectRules, 'injection'>) {}

  /** Called once per syscall entry; returns the rule to apply now, if any. */
  check(tid: number, nr: number): InjectRule | undefined {
    const rule = this._rules.injection(nr);
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
