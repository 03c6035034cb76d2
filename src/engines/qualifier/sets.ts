/**
 * The set grammar of strace's qualifiers, shared by the strace engine's `-e` and the inject
 * engine (strace filter_qualify.c, basic_filters.c): a leading '!' inverts the whole set,
 * 'all' / 'none', '?' makes a token optional, syscall tokens may be names, numbers, %classes
 * (and the legacy bare class names) or /regex. Errors are thrown as FilterError with strace's
 * messages ("invalid system call 'foo'").
 */
import { SYSCALLS, SYSCALL_CLASS_NAMES, SYSCALL_NR } from '../../tables.js';

export class FilterError extends Error {
  /** @param tryHelp strace follows it with its "Try -h" line */
  constructor(message: string, readonly tryHelp = false) {
    super(message);
    this.name = 'FilterError';
  }
}

/** Number of syscall table slots (some are empty). */
export const NSYSCALLS = SYSCALLS.length;
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

/** A comma-separated set of `what`s (signals, statuses), each token converted by `conv`. */
export function parseTokenSet(str: string, set: NumberSet, what: string, conv: (t: string) => number | undefined): void {
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

/** The personalities a token may name after '@' on x86_64; only the first is traced. */
const PERSONALITIES = ['64', '32', 'x32'];

function addSyscallToken(token: string, set: NumberSet): boolean {
  let t = token;
  let optional = false;
  while (t.startsWith('?')) {
    t = t.slice(1);
    optional = true;
  }
  // NAME@PERS (after the last '@'): the call of that personality only. 32-bit and x32 calls
  // are never seen here, so such a token selects nothing; its name is checked against the
  // 64-bit table (not the 32-bit ones: a name only those have is refused).
  const at = t.lastIndexOf('@');
  if (at >= 0) {
    const pers = t.slice(at + 1);
    if (!PERSONALITIES.includes(pers)) throw new FilterError(`incorrect personality designator '${pers}' in qualification '${t}'`, true);
    const found = selectBase(t.slice(0, at), pers === '64' ? set : new NumberSet());
    return found || optional;
  }
  return selectBase(t, set) || optional;
}

/** A token's name, number, class or regex (or 'all'): its calls added; false if none is. */
function selectBase(t: string, set: NumberSet): boolean {
  let found = false;
  if (t === 'all') {
    for (let nr = 0; nr < NSYSCALLS; nr++) if (SYSCALLS[nr]) set.add(nr);
    return true;
  }
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
  return found;
}
