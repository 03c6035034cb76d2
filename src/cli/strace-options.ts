/**
 * strace's command line, as `utrace strace` reads it: every option `strace --help` documents
 * (short and long, getopt_long's rules) plus utrace's own (--json, --timeline, --no-seccomp),
 * turned into one StraceConfig before anything is started. Parsing is node:util parseArgs on
 * a normalised argv: getopt_long's extras (unique prefixes of long names, optional arguments,
 * an option's value in the next word) are resolved first, so parseArgs sees only `--name=v`,
 * `--name` and short groups. Errors are UsageErrors worded as strace's.
 */
import { pathResolutionNotes } from '../engines/strace/pathresolve.js';
import type { SummarySort } from '../engines/strace/summary.js';
import { parseArgs } from 'node:util';
import { FilterError, StraceFilter } from '../engines/strace/filter.js';
import { parsePrecision, type Precision, type TimestampFormat } from '../engines/strace/timefmt.js';
import type { HexStyle } from '../engines/strace/quote.js';
import { summaryColumn, type SummaryColumn } from '../engines/strace/summary.js';
import { UsageError } from './usage.js';
import { lookupUser, type UserIds } from './passwd.js';

/**
 * 0: no argument, 1: required, 2: optional (only as --name=VALUE; without it parseArgs gets
 * `--name=`, and an empty value means none, as it does for strace's options).
 */
type ArgKind = 0 | 1 | 2;

/** The short options and whether they take a value (strace's getopt string). */
const SHORT: Record<string, ArgKind> = {
  a: 1, A: 0, b: 1, c: 0, C: 0, d: 0, D: 0, e: 1, E: 1, f: 0, F: 0, h: 0, i: 0, I: 1, k: 0,
  n: 0, o: 1, O: 1, p: 1, P: 1, q: 0, r: 0, s: 1, S: 1, t: 0, T: 0, u: 1, U: 1, v: 0, V: 0,
  w: 0, x: 0, X: 1, y: 0, Y: 0, z: 0, Z: 0,
};

/** Long options: argument kind. Qualifier-named ones (--trace=SET) are `-e NAME=SET`. */
const LONG: Record<string, ArgKind> = {
  'abbrev': 1, 'absolute-timestamps': 2, 'attach': 1, 'columns': 1, 'const-print-style': 1,
  'daemonize': 2, 'debug': 0, 'decode-fds': 2, 'decode-pids': 1, 'detach-on': 1, 'env': 1,
  'failed-only': 0, 'fault': 1, 'follow-forks': 0, 'help': 0, 'inject': 1,
  'instruction-pointer': 0, 'interruptible': 1, 'kvm': 1, 'no-abbrev': 0, 'output': 1,
  'output-append-mode': 0, 'output-separately': 0, 'pidns-translation': 0, 'quiet': 2, 'raw': 1,
  'read': 1, 'relative-timestamps': 2, 'seccomp-bpf': 0, 'secontext': 2, 'signal': 1,
  'silence': 1, 'silent': 1, 'stack-traces': 0, 'status': 1, 'string-limit': 1,
  'strings-in-hex': 2, 'successful-only': 0, 'summary': 0, 'summary-columns': 1,
  'summary-only': 0, 'summary-sort-by': 1, 'summary-syscall-overhead': 1,
  'summary-wall-clock': 0, 'syscall-number': 0, 'syscall-times': 2, 'timestamps': 2, 'tips': 2,
  'trace': 1, 'trace-path': 1, 'user': 1, 'verbose': 1, 'version': 0, 'write': 1,
  // utrace's own
  'json': 0, 'timeline': 1, 'no-seccomp': 0, 'colocate': 0, 'no-colocate': 0, 'pid-prefix': 0, 'daemon-of': 1,
};

/** Long options that are the same as a short one with the same argument. */
const LONG_AS_SHORT: Record<string, string> = {
  'attach': 'p', 'columns': 'a', 'const-print-style': 'X', 'debug': 'd', 'detach-on': 'b',
  'env': 'E', 'failed-only': 'Z', 'follow-forks': 'f', 'help': 'h', 'instruction-pointer': 'i',
  'interruptible': 'I', 'no-abbrev': 'v', 'output': 'o', 'output-append-mode': 'A',
  'stack-traces': 'k', 'string-limit': 's', 'successful-only': 'z', 'summary': 'C',
  'summary-columns': 'U', 'summary-only': 'c', 'summary-sort-by': 'S',
  'summary-syscall-overhead': 'O', 'summary-wall-clock': 'w', 'syscall-number': 'n',
  'trace-path': 'P', 'user': 'u', 'version': 'V',
};

/** Long options that are `-e NAME=VALUE`. */
const QUALIFIER_LONG = new Set(['abbrev', 'fault', 'inject', 'kvm', 'raw', 'read', 'signal', 'silence',
  'silent', 'status', 'trace', 'verbose', 'write']);

export type DecodeFdsName = 'path' | 'socket' | 'dev' | 'pidfd';
export type QuietName = 'attach' | 'exit' | 'path-resolution' | 'personality' | 'thread-execve';
const QUIET_NAMES: Record<string, QuietName> = {
  'attach': 'attach', 'exit': 'exit', 'exits': 'exit', 'path-resolution': 'path-resolution',
  'personality': 'personality', 'thread-execve': 'thread-execve', 'superseded': 'thread-execve',
};
const ALL_QUIET: QuietName[] = ['attach', 'exit', 'path-resolution', 'personality', 'thread-execve'];
const DECODE_FDS: DecodeFdsName[] = ['path', 'socket', 'dev', 'pidfd'];
/** -S names (after `_` → `-`) and the order each asks for: the one table of them. */
export const SORT_KEYS: Readonly<Record<string, SummarySort>> = {
  'time': 'time', 'time-percent': 'time', 'time-total': 'time', 'total-time': 'time',
  'min-time': 'min', 'shortest': 'min', 'time-min': 'min', 'max-time': 'max', 'longest': 'max', 'time-max': 'max',
  'avg-time': 'avg', 'time-avg': 'avg', 'calls': 'calls', 'count': 'calls', 'errors': 'errors', 'error': 'errors',
  'name': 'name', 'syscall': 'name', 'syscall-name': 'name', 'nothing': 'nothing', 'none': 'nothing',
};

export interface StraceConfig {
  help: boolean;
  /** Number of -V. */
  version: number;
  /** Number of -f (2: -ff). */
  follow: number;
  outputSeparately: boolean;
  output?: string;
  append: boolean;
  pids: number[];
  command: string[];
  filter: StraceFilter;
  summary?: 'only' | 'also';
  /** -w: wall-clock time in the summary. */
  wallClock: boolean;
  sortBy?: string;
  summaryColumns?: SummaryColumn[];
  /** -O: overhead to subtract per call, in ns. */
  overheadNs?: number;
  /** -t/-tt/-ttt/--absolute-timestamps. */
  absolute?: TimestampFormat;
  /** -r/--relative-timestamps. */
  relative?: Precision;
  /** -T/--syscall-times. */
  syscallTimes?: Precision;
  strsize?: number;
  column?: number;
  xlat?: 'raw' | 'abbrev' | 'verbose';
  verbose: boolean;
  hexStrings: HexStyle;
  decodeFds: Set<DecodeFdsName>;
  /** --decode-pids=comm (-Y), pidns (--pidns-translation). */
  decodePids: Set<'comm' | 'pidns'>;
  quiet: Set<QuietName>;
  /** -P paths. */
  tracePaths: string[];
  /** -E: VAR=VAL sets, VAR alone removes. */
  env: string[];
  user?: string;
  /** -u USER: the ids the command runs with. */
  runAs?: UserIds;
  /** -D count (1 grandchild, 2 pgroup, 3 session). */
  daemonize: number;
  interruptible?: number;
  detachOnExecve: boolean;
  syscallNumber: boolean;
  instructionPointer: boolean;
  debug: boolean;
  seccompBpf: boolean;
  noSeccomp: boolean;
  /** --colocate / --no-colocate: co-scheduling forced or off (core's default: auto). */
  colocate?: 'on' | 'off';
  json: boolean;
  timeline?: string;
  /** --pid-prefix: every line of -o FILE starts with its pid, as when several are traced. */
  pidPrefix: boolean;
  /** Internal (-D's tracer): PID,FD: trace process PID, which execs the command once a byte
   * is written to FD. */
  daemonOf?: { pid: number; fd: number };
  /** Messages strace prints and goes on ("deprecated", "has no effect"). */
  warnings: string[];
}

/**
 * getopt_long's view of argv: the option words in a form parseArgs reads without guessing
 * (prefixes expanded, values attached), and the command after them.
 */
export function normalizeArgv(argv: string[]): { opts: string[]; command: string[] } {
  const opts: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return { opts, command: argv.slice(i + 1) };
    // '+' in strace's getopt string: options end at the first word that is not one.
    if (!a.startsWith('-') || a === '-') return { opts, command: argv.slice(i) };
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const given = a.slice(2, eq < 0 ? undefined : eq);
      const name = longName(given);
      const kind = LONG[name]!;
      if (eq >= 0) {
        if (kind === 0) throw new UsageError(`option '--${name}' doesn't allow an argument`, true);
        opts.push(`--${name}=${a.slice(eq + 1)}`);
      } else if (kind === 1) {
        if (i + 1 >= argv.length) throw new UsageError(`option '--${name}' requires an argument`, true);
        opts.push(`--${name}=${argv[++i]}`);
      } else opts.push(kind === 2 ? `--${name}=` : `--${name}`);
      // -h: strace prints its help at once, whatever follows.
      if (name === 'help') return { opts, command: [] };
      continue;
    }
    // A short group: the first letter taking a value takes the rest, or the next word.
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      const kind = SHORT[c];
      if (kind === undefined) throw new UsageError(`invalid option -- '${c}'`, true);
      if (c === 'h') {
        opts.push(a.slice(0, j + 1));
        return { opts, command: [] };
      }
      if (kind === 1) {
        if (j === a.length - 1) {
          if (i + 1 >= argv.length) throw new UsageError(`option requires an argument -- '${c}'`, true);
          const value = argv[++i]!;
          // An empty value (-e '') cannot be attached: given as --e=, which only this makes.
          if (value === '') {
            if (j > 1) opts.push(a.slice(0, j));
            opts.push(`--${c}=`);
          } else opts.push(`${a}${value}`);
        } else opts.push(a);
        break;
      }
      if (j === a.length - 1) opts.push(a);
    }
  }
  return { opts, command: [] };
}

/** Does the short option letter take a value (-p PID, -o FILE)? */
export function shortTakesValue(c: string): boolean {
  return SHORT[c] === 1;
}

/** getopt_long: an exact name, or the one long option it is a prefix of. */
function longName(given: string): string {
  if (LONG[given] !== undefined) return given;
  const matches = Object.keys(LONG).filter((n) => n.startsWith(given) && given !== '');
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new UsageError(`option '--${given}' is ambiguous; possibilities:${matches.map((m) => ` '--${m}'`).join('')}`, true);
  }
  throw new UsageError(`unrecognized option '--${given}'`, true);
}

/** parseArgs' option table: every short letter and every long name, values as strings. */
const PARSE_OPTIONS = (() => {
  const o: Record<string, { type: 'string' | 'boolean'; short?: string; multiple: true }> = {};
  for (const [c, k] of Object.entries(SHORT)) o[c] = { type: k ? 'string' : 'boolean', short: c, multiple: true };
  for (const [n, k] of Object.entries(LONG)) o[n] = { type: k ? 'string' : 'boolean', multiple: true };
  return o;
})();

const usage = (msg: string): never => {
  throw new UsageError(msg, true);
};

function uint(v: string, opt: string, max = 0x7fffffff): number {
  if (!/^\d+$/.test(v) || Number(v) > max) usage(`invalid ${opt} argument: '${v}'`);
  return Number(v);
}

/** Parse the whole command line (options and command); throws UsageError. */
export function parseStraceCommandLine(argv: string[]): StraceConfig {
  const warnings: string[] = [];
  try {
    return parseInto(argv, warnings);
  } catch (e) {
    // The checks run in strace's order: what it said before the error is printed before it.
    if (e instanceof UsageError) e.before.push(...warnings);
    throw e;
  }
}

function parseInto(argv: string[], warnings: string[]): StraceConfig {
  const { opts, command } = normalizeArgv(argv);
  const { tokens } = parseArgs({ args: opts, options: PARSE_OPTIONS, allowPositionals: false, strict: true, tokens: true });
  const c: StraceConfig = {
    help: false, version: 0, follow: 0, outputSeparately: false, append: false, pids: [], command,
    filter: new StraceFilter(), wallClock: false, verbose: false, hexStrings: 'none', decodeFds: new Set(),
    decodePids: new Set(), quiet: new Set(), tracePaths: [], env: [], daemonize: 0, detachOnExecve: false,
    syscallNumber: false, instructionPointer: false, debug: false, seccompBpf: false,
    noSeccomp: false, json: false, pidPrefix: false, warnings,
  };
  let q = 0;
  let t = 0;
  let longTs = false;
  let absState: TimestampFormat | undefined;
  let x = 0;
  let y = 0;
  let yLong = false; // --decode-fds, -e decode-fds=
  let zCount = 0; // -z, -Z and their long names
  let deprecatedF = false;
  let summaryOnly = false;
  let summaryAlso = false;
  let dCount = 0;
  let daemonizeLong = false;
  let quietSet = false; // -e quiet=, --quiet=SET
  let hexLong = false; // --strings-in-hex
  let followShort = 0; // -f, -ff
  let followLong = false; // --follow-forks
  let separatelyLong = false; // --output-separately
  const qualify = (expr: string): void => {
    if (/^(?:quiet|silent|silence|q)=/.test(expr)) quietSet = true;
    if (/^decode-fds?=/.test(expr)) yLong = true;
    try {
      applyQualifier(c, expr);
    } catch (e) {
      if (e instanceof FilterError) throw new UsageError(e.message, e.tryHelp);
      throw e;
    }
  };
  for (const tok of tokens) {
    if (tok.kind !== 'option') continue;
    const long = tok.rawName.startsWith('--');
    let name = tok.name;
    // The option as the user wrote it, for messages (strace names the long form if given).
    const given = long ? `--${tok.name}` : `-${tok.name}`;
    // --X= (one letter) is made only by normalizeArgv, for -X '' (a user's --X is a prefix).
    const v = tok.value ?? '';
    // An optional argument not given (see ArgKind).
    const arg = tok.value || undefined;
    if (long && LONG_AS_SHORT[name]) name = LONG_AS_SHORT[name]!;
    else if (long && QUALIFIER_LONG.has(name)) {
      qualify(`${name}=${v}`);
      continue;
    }
    switch (name) {
      case 'a': c.column = uint(v, given); break;
      case 'A': c.append = true; break;
      case 'b':
        if (v !== 'execve') throw new UsageError(`Syscall '${v}' for -b isn't supported`);
        c.detachOnExecve = true;
        break;
      // The second of -c and -C ends the option loop.
      case 'c':
        if (summaryAlso) usage('-c/--summary-only and -C/--summary are mutually exclusive');
        summaryOnly = true;
        break;
      case 'C':
        if (summaryOnly) usage('-c/--summary-only and -C/--summary are mutually exclusive');
        summaryAlso = true;
        break;
      case 'd': c.debug = true; break;
      case 'D': dCount++; break;
      case 'daemonize': {
        const n = { '': 1, 'grandchild': 1, 'pgroup': 2, 'pgrp': 2, 'session': 3 }[(arg ?? '').toLowerCase()];
        if (n === undefined) usage(`invalid --daemonize argument: '${v}'`);
        daemonizeLong = true;
        c.daemonize = n!;
        break;
      }
      case 'e': qualify(v); break;
      case 'E': c.env.push(v); break;
      case 'f':
        if (long) followLong = true;
        else followShort++;
        break;
      case 'F': deprecatedF = true; break;
      case 'output-separately':
        separatelyLong = true;
        break;
      // normalizeArgv ended the options here.
      case 'h':
        c.help = true;
        return c;
      case 'i': c.instructionPointer = true; break;
      case 'I': {
        const n = { '1': 1, 'anywhere': 1, 'always': 1, '2': 2, 'waiting': 2, '3': 3, 'never': 3, '4': 4, 'never_tstp': 4 }[v];
        if (n === undefined) usage(`invalid ${given} argument: '${v}'`);
        c.interruptible = n;
        break;
      }
      case 'k': throw new UsageError('Stack traces (-k/--stack-traces option) are not supported by this build of strace');
      case 'n': c.syscallNumber = true; break;
      case 'o': c.output = v; break;
      case 'O': {
        const ns = parseDurationNs(v);
        if (ns === undefined) usage(`invalid -O argument: '${v}'`);
        c.overheadNs = ns;
        break;
      }
      case 'p':
        for (const s of v.split(/[,\s]+/).filter(Boolean)) {
          const n = Number(s);
          if (!/^\d+$/.test(s) || n <= 0 || n > 0x7fffffff) throw new UsageError(`Invalid process id: '${s}'`);
          c.pids.push(n);
        }
        break;
      case 'P': c.tracePaths.push(v); break;
      case 'q': q++; break;
      case 'quiet':
        // Alone, strace's --quiet is the qualifier with -q's set (so `-q --quiet` conflicts).
        qualify(`quiet=${arg === undefined ? 'attach,personality' : v}`);
        break;
      case 'r': c.relative = 'us'; break;
      case 'relative-timestamps': c.relative = precisionArg(arg, 'us', '--relative-timestamps'); break;
      case 's': c.strsize = uint(v, given, 0x3fffffff); break;
      case 'S':
        if (!Object.hasOwn(SORT_KEYS, v.replace(/_/g, '-'))) usage(`invalid sortby: '${v}'`);
        c.sortBy = v;
        break;
      case 't': t++; break;
      case 'absolute-timestamps':
      case 'timestamps': {
        // A later one changes only what it names (format:unix after precision:us keeps us).
        const f = parseAbsolute(arg ?? '', absState);
        if (!f) usage(`invalid --${name} argument: '${v}'`);
        longTs = true;
        absState = f!;
        c.absolute = f!.format === 'none' ? undefined : f;
        break;
      }
      case 'T': c.syscallTimes = 'us'; break;
      case 'syscall-times': c.syscallTimes = precisionArg(arg, 'us', '--syscall-times'); break;
      case 'u': c.user = v; break;
      case 'U': {
        const names = v.split(',');
        const cols: SummaryColumn[] = [];
        names.forEach((name, i) => {
          const col = summaryColumn(name) ?? usage(`unknown column name: '${name}'`);
          // Two names of one column (time, time_percent): strace names the rest of the list.
          if (cols.includes(col)) usage(`call summary column has been provided more than once: '${name}' (-U option residual: '${names.slice(i).join(',')}')`);
          cols.push(col);
        });
        c.summaryColumns = cols;
        break;
      }
      case 'v': c.verbose = true; break;
      case 'V': c.version++; break;
      case 'w': c.wallClock = true; break;
      case 'x': x++; break;
      case 'strings-in-hex': {
        const h = { '': 'all', 'all': 'all', 'non-ascii': 'non-ascii', 'non-ascii-chars': 'non-ascii-chars', 'none': 'none' }[arg ?? ''];
        if (h === undefined) usage(`invalid --strings-in-hex argument: '${v}'`);
        hexLong = true;
        c.hexStrings = h as HexStyle;
        break;
      }
      case 'X':
        if (!['raw', 'abbrev', 'verbose'].includes(v)) usage(`invalid ${given} argument: '${v}'`);
        c.xlat = v as StraceConfig['xlat'];
        break;
      case 'y': y++; break;
      case 'decode-fds':
        qualify(`decode-fds=${arg ?? 'path'}`);
        break;
      case 'Y': c.decodePids.add('comm'); break;
      case 'decode-pids': qualify(`decode-pids=${v}`); break;
      case 'pidns-translation': c.decodePids.add('pidns'); break;
      case 'z':
        zCount++;
        qualify('status=successful');
        break;
      case 'Z':
        zCount++;
        qualify('status=failed');
        break;
      case 'seccomp-bpf': c.seccompBpf = true; break;
      case 'secontext': throw new UsageError(NO_SECONTEXT);
      case 'tips':
        if (arg !== undefined && !tipsArgumentValid(v)) usage(`invalid --tips argument: '${v}'`);
        break;
      case 'json': c.json = true; break;
      case 'colocate': c.colocate = 'on'; break;
      case 'no-colocate': c.colocate = 'off'; break;
      case 'timeline': c.timeline = v; break;
      case 'no-seccomp': c.noSeccomp = true; break;
      case 'pid-prefix': c.pidPrefix = true; break;
      case 'daemon-of': {
        const m = /^(\d+),(\d+)$/.exec(v);
        if (!m) usage(`invalid --daemon-of argument: '${v}'`);
        c.daemonOf = { pid: Number(m![1]), fd: Number(m![2]) };
        break;
      }
      default: usage(`unrecognized option '${tok.rawName}'`);
    }
  }
  afterOptionLoop(c, { q, quietSet, t, longTs, x, hexLong, y, yLong, summaryOnly, summaryAlso, dCount, daemonizeLong,
    followShort, followLong, separatelyLong, deprecatedF, zCount });
  return c;
}

/** What the option loop counted, for the checks after it. */
interface Counted {
  q: number; quietSet: boolean; t: number; longTs: boolean; x: number; hexLong: boolean; y: number; yLong: boolean;
  summaryOnly: boolean; summaryAlso: boolean; dCount: number; daemonizeLong: boolean; followShort: number;
  followLong: boolean; separatelyLong: boolean; deprecatedF: boolean; zCount: number;
}

/**
 * strace's checks once its options are read, in its order (each error ends it; each warning
 * is printed, before any later error): -V, the command, -D, the option pairs that conflict,
 * --seccomp-bpf and -F, the summary's options, what has no effect, -P's notes, -u, -o |, -q.
 */
function afterOptionLoop(c: StraceConfig, k: Counted): void {
  if (c.version) return;
  const { command } = c;
  if (!c.pids.length && !command.length) usage('must have PROG [ARGS] or -p PID');
  if (k.dCount && k.daemonizeLong) throw new UsageError('-D and --daemonize cannot be provided simultaneously');
  if (k.dCount) c.daemonize = k.dCount;
  if (c.daemonize && !command.length) usage('PROG [ARGS] must be specified with -D/--daemonize');
  if (c.daemonize > 3) usage(`Too many -D's (${c.daemonize}), maximum supported -D count is 3`);
  if (k.t && k.longTs) throw new UsageError('-t and --absolute-timestamps cannot be provided simultaneously');
  if (k.x && k.hexLong) throw new UsageError('-x and --strings-in-hex cannot be provided simultaneously');
  if (k.y && k.yLong) throw new UsageError('-y and --decode-fds cannot be provided simultaneously');
  if (k.t) c.absolute = k.t === 1 ? { format: 'time', precision: 's' } : k.t === 2 ? { format: 'time', precision: 'us' } : { format: 'unix', precision: 'us' };
  if (k.x) c.hexStrings = k.x === 1 ? 'non-ascii' : 'all';
  if (k.y) c.decodeFds.add('path');
  if (k.y >= 2) for (const n of DECODE_FDS) c.decodeFds.add(n);
  if (c.seccompBpf && c.detachOnExecve) {
    c.warnings.push('--seccomp-bpf is not enabled because it is not compatible with -b');
    c.seccompBpf = false;
  }
  // As strace: the two spellings are not added up (-f --follow-forks is not -ff).
  if (k.followShort && k.followLong) throw new UsageError('-f and --follow-forks cannot be provided simultaneously');
  if (k.followShort >= 2 && k.separatelyLong) throw new UsageError('-ff and --output-separately cannot be provided simultaneously');
  if (c.seccompBpf && c.pids.length && !command.length) c.warnings.push('--seccomp-bpf is not enabled for processes attached with -p');
  let followLong = k.followLong;
  if (c.seccompBpf && !k.followShort && !followLong) {
    c.warnings.push('--seccomp-bpf cannot be used without -f/--follow-forks, disabling');
    c.seccompBpf = false;
  }
  // -F (any number of them) is --follow-forks, or nothing next to -f.
  if (k.deprecatedF) {
    if (k.followShort || followLong) c.warnings.push('deprecated option -F ignored');
    else {
      c.warnings.push('option -F is deprecated, please use -f/--follow-forks instead');
      followLong = true;
    }
  }
  // -f decides alone (-f --output-separately: one output); else --output-separately does,
  // followed or not (without -f: FILE.PID for the command only).
  c.outputSeparately = k.followShort ? k.followShort >= 2 : k.separatelyLong;
  c.follow = k.followShort || followLong ? (c.outputSeparately ? 2 : 1) : 0;
  if (k.summaryOnly || k.summaryAlso) c.summary = k.summaryOnly ? 'only' : 'also';
  if (c.summary && c.outputSeparately) usage('(-c/--summary-only or -C/--summary) and -ff/--output-separately are mutually exclusive');
  if (c.wallClock && !c.summary) usage('-w/--summary-wall-clock must be given with (-c/--summary-only or -C/--summary)');
  if (c.summaryColumns && !c.summary) usage('-U/--summary-columns must be given with (-c/--summary-only or -C/--summary)');
  if (c.sortBy !== undefined && !c.summary) c.warnings.push('-S/--summary-sort-by has no effect without (-c/--summary-only or -C/--summary)');
  if (c.output === undefined) {
    if (c.outputSeparately && !c.follow) c.warnings.push('--output-separately has no effect without -o/--output');
    if (c.append) c.warnings.push('-A/--output-append-mode has no effect without -o/--output');
  }
  if (c.summary === 'only') {
    const none = (opt: string): number => c.warnings.push(`${opt} has no effect with -c/--summary-only`);
    if (c.instructionPointer) none('-i/--instruction-pointer');
    if (c.syscallNumber) none('-n/--syscall-number');
    if (c.relative) none('-r/--relative-timestamps');
    if (c.absolute) none('-t/--absolute-timestamps');
    if (c.syscallTimes) none('-T/--syscall-times');
    if (c.decodeFds.size) none('-y/--decode-fds');
  }
  if (k.zCount > 1) {
    c.warnings.push('Only the last of -z/--successful-only/-Z/--failed-only options will take effect. See status qualifier for more complex filters.');
  }
  // -P paths are resolved once the options are read, and said so unless -e quiet= (not -q)
  // names path-resolution.
  if (!c.quiet.has('path-resolution')) c.warnings.push(...pathResolutionNotes(c.tracePaths));
  if (c.user !== undefined) {
    if (process.getuid?.() !== 0) throw new UsageError('You must be root to use the -u/--username option');
    c.runAs = lookupUser(c.user);
    if (!c.runAs) throw new UsageError(`Cannot find user '${c.user}'`);
  }
  if (c.output !== undefined && /^[|!]/.test(c.output) && c.outputSeparately) {
    usage('piping the output and -ff/--output-separately are mutually exclusive');
  }
  if (k.q > 0 && k.quietSet) throw new UsageError('-q and -e quiet/--quiet cannot be provided simultaneously');
  // As strace: output to a file (-o) for a command it starts (not only -p) implies -q, unless
  // -q or a quiet set was given: no "Process N attached" lines on the terminal.
  let q = k.q;
  if (!q && !k.quietSet && c.output !== undefined && command.length) q = 1;
  if (q) {
    c.quiet.add('attach').add('personality');
    if (q >= 2) c.quiet.add('exit');
    if (q >= 3) for (const n of ALL_QUIET) c.quiet.add(n);
  }
}

const NO_SECONTEXT = 'SELinux context printing (--secontext option) is not supported by this build of strace';

/** -e NAME=VALUE for the qualifiers handled here; the filter's otherwise. */
function applyQualifier(c: StraceConfig, expr: string): void {
  const m = /^([a-z-]+)=(.*)$/s.exec(expr);
  const q = m?.[1];
  const v = m?.[2] ?? '';
  switch (q) {
    case 'quiet':
    case 'silent':
    case 'silence':
    case 'q':
      parseNameSet(v, 'quiet', QUIET_NAMES, ALL_QUIET, c.quiet);
      return;
    case 'decode-fds':
    case 'decode-fd':
      parseNameSet(v, 'decode-fds', Object.fromEntries(DECODE_FDS.map((n) => [n, n])), DECODE_FDS, c.decodeFds);
      return;
    case 'decode-pids':
    case 'decode-pid':
      parseNameSet(v, 'decode-pids', { comm: 'comm', pidns: 'pidns' }, ['comm', 'pidns'], c.decodePids);
      return;
    case 'secontext':
      throw new FilterError(NO_SECONTEXT);
    case 'kvm':
      if (v !== 'vcpu') throw new FilterError(`invalid -e kvm= argument: '${v}'`);
      return;
  }
  c.filter.apply(expr);
}

/** A [!]name,name… set of fixed names (quiet=, decode-fds=); all and none as usual. */
function parseNameSet<T extends string>(v: string, what: string, names: Record<string, T>, all: T[], out: Set<T>): void {
  out.clear();
  let s = v;
  let not = false;
  while (s.startsWith('!')) {
    not = !not;
    s = s.slice(1);
  }
  const picked = new Set<T>();
  if (s === 'all') for (const n of all) picked.add(n);
  else if (s !== 'none') {
    let any = false;
    for (const tok of s.split(',')) {
      if (!tok) continue;
      const n = names[tok];
      if (n === undefined) throw new FilterError(`invalid ${what} '${tok}'`);
      picked.add(n);
      any = true;
    }
    if (!any) throw new FilterError(`invalid ${what} '${v}'`);
  }
  for (const n of all) if (picked.has(n) !== not) out.add(n);
}

function precisionArg(v: string | undefined, dflt: Precision, opt: string): Precision {
  if (v === undefined) return dflt;
  const p = parsePrecision(v);
  if (!p) usage(`invalid ${opt} argument: '${v}'`);
  return p!;
}

/** --absolute-timestamps=[[format:]FORMAT][,[precision:]PRECISION] (either order). */
export function parseAbsolute(v: string, previous?: TimestampFormat): TimestampFormat | undefined {
  const f: TimestampFormat = { format: previous?.format ?? 'time', precision: previous?.precision ?? 's' };
  if (v === '') {
    if (f.format === 'none') f.format = 'time';
    return f;
  }
  for (const part of v.split(',')) {
    if (part === '') continue;
    const m = /^(?:(format|precision):)?(.*)$/.exec(part)!;
    const val = m[2]!;
    if ((m[1] === 'format' || !m[1]) && ['none', 'time', 'unix'].includes(val)) f.format = val as TimestampFormat['format'];
    else if ((m[1] === 'precision' || !m[1]) && parsePrecision(val)) f.precision = parsePrecision(val)!;
    else return undefined;
  }
  return f;
}

/** --tips=[[id:]ID|random][,[format:]none|compact|full]... in any order, names in any case. */
export function tipsArgumentValid(v: string): boolean {
  return v.split(',').every((tok) => {
    const m = /^(?:(id|format):)?(.*)$/i.exec(tok)!;
    const kind = m[1]?.toLowerCase();
    const val = m[2]!.toLowerCase();
    if (tok === '') return true;
    if (kind !== 'format' && (val === 'random' || (/^\d+$/.test(val) && Number(val) <= 0x7fffffff))) return true;
    return kind !== 'id' && ['none', 'compact', 'full'].includes(val);
  });
}

/** -O OVERHEAD[UNIT]: a decimal number (exponent allowed: 4.5e-1s), microseconds by default. */
export function parseDurationNs(v: string): number | undefined {
  const m = /^(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)(s|ms|us|ns)?$/.exec(v);
  if (!m) return undefined;
  const mult = { s: 1e9, ms: 1e6, us: 1e3, ns: 1 }[m[2] ?? 'us']!;
  const ns = Math.round(Number(m[1]) * mult);
  return Number.isSafeInteger(ns) ? ns : undefined;
}
