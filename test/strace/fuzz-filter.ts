/**
 * Fuzzing of the -e expression parser: random and mutated expressions must either parse or
 * throw a FilterError naming the problem, never another exception, and never hang.
 */
import { FilterError, StraceFilter } from '../../src/engines/strace/filter.js';

const SEEDS = [
  'trace=open,openat', 'trace=!read', 'trace=%file,%network', 'trace=/^get.*/', 'signal=SIGUSR1',
  'signal=!all', 'status=failed', 'inject=openat:error=ENOENT:when=2..5+2', 'inject=getppid:retval=42',
  'inject=read:signal=SIGSEGV', 'inject=all:delay_enter=100', 'trace=none', 'abbrev=all',
];
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz%!/=:,.+0123456789_^$*()[]{}\\ENOIT- ';

export interface FilterFuzzResult {
  cases: number;
  parsed: number;
  rejected: number;
  failures: string[];
}

export function fuzzFilter(n: number, seed = 1): FilterFuzzResult {
  let x = seed >>> 0 || 1;
  const rnd = (k: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % k;
  };
  const res: FilterFuzzResult = { cases: 0, parsed: 0, rejected: 0, failures: [] };
  for (let i = 0; i < n; i++) {
    let s = SEEDS[rnd(SEEDS.length)]!;
    const edits = rnd(6);
    for (let j = 0; j < edits; j++) {
      const at = rnd(s.length + 1);
      const op = rnd(3);
      const c = ALPHABET[rnd(ALPHABET.length)]!;
      if (op === 0) s = s.slice(0, at) + c + s.slice(at);
      else if (op === 1) s = s.slice(0, at) + s.slice(at + 1);
      else s = s.slice(0, at) + c + s.slice(at + 1);
    }
    if (rnd(20) === 0) s = Array.from({ length: rnd(64) }, () => ALPHABET[rnd(ALPHABET.length)]).join('');
    res.cases++;
    try {
      const f = new StraceFilter().apply(s);
      for (let nr = 0; nr < 8; nr++) f.syscallSelected(nr);
      res.parsed++;
    } catch (e) {
      if (e instanceof FilterError) res.rejected++;
      else if (res.failures.length < 20) res.failures.push(`${JSON.stringify(s)}: ${e instanceof Error ? e.stack : String(e)}`);
    }
  }
  return res;
}
