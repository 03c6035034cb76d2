/**
 * `utrace strace`: strace's command line on the strace engine (docs/cli.md). This half reads
 * and checks the options and answers -h, -V and usage errors; the run (the tracer, the engine,
 * its outputs) is in strace-run.ts, loaded only once the options are good: strace's test
 * suite starts us hundreds of times for a usage error, which must not load the tracer.
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SummarySort } from '../engines/strace/summary.js';
import { SORT_KEYS, parseStraceCommandLine, type StraceConfig } from './strace-options.js';
import { UsageError } from './usage.js';
import type { InheritedState } from './inherited.js';

export const STRACE_USAGE = `usage: utrace strace [-ACcdfFhqrtTvVwxyYzZ] [-a column] [-e expr]... [-o file] [-s strsize]
                    [-X raw|abbrev|verbose] [-O overhead] [-S sortby] [-U columns] [-P path]...
                    [-E var[=val]]... [-I n] [--json] [--timeline FILE] [--no-seccomp]
                    { -p pid[,pid]... | [--] PROG [ARGS] }

  -f, --follow-forks        follow forks, vforks and clones (-ff with -o: one file per thread, FILE.TID)
  -p, --attach=PID          attach to PID (comma-separated or repeated)
  -o, --output=FILE         write the trace to FILE instead of stderr (-A: append)
  -e EXPR                   trace=SET  signal=SET  status=SET  quiet=SET  decode-fds=SET
                            inject=SET:error=E|retval=N[:signal=S][:when=W]  fault=SET[:error=E]
                            (also as --trace=SET, --signal=SET, --status=SET, --quiet=SET, ...)
  -P, --trace-path=PATH     trace only syscalls that access PATH
  -c, --summary-only        count time, calls and errors per syscall (-C, --summary: also trace)
  -w, --summary-wall-clock  wall-clock time in the summary   -S/-U/-O  sort, columns, overhead
  -z, -Z                    only successful / only failed calls
  -T, --syscall-times[=P]   time spent in each syscall (P: s, ms, us, ns)
  -t/-tt/-ttt, --absolute-timestamps[=FORMAT,PRECISION]   timestamps (FORMAT: time, unix, none)
  -r, --relative-timestamps[=P]   time since the previous line
  -s, --string-limit=N      string limit (default 32)   -a, --columns=N  result column (default 40)
  -x/-xx, --strings-in-hex[=non-ascii|all]   strings in hex
  -y/-yy, --decode-fds[=SET]  print paths of file descriptors
  -q/-qq/-qqq, --quiet[=SET]  quieter (attach, exit, personality, thread-execve, path-resolution)
  -v, --no-abbrev           verbose structures        -X, --const-print-style=raw|abbrev|verbose
  -E, --env=VAR[=VAL]       set or remove VAR in the command's environment
  -u, --user=USER           run the command as USER (its uid, gid and groups; root only)
  -d, --debug               say the ptrace options set (ptrace_setoptions = 0xN)
  -Y, --decode-pids=comm    print the command name of processes after their ids
  -D, -DD, -DDD             the tracer as a detached grandchild (-DD: own process group, -DDD: session)
  -V, --version             version                   -h, --help  this help
  --json                    one JSON object per event (NDJSON) instead of strace lines
  --timeline F              also write a Chrome trace-event timeline (Perfetto) to F
  --pid-prefix              with -o, every line starts with its pid (as with -f)
  --no-seccomp              do not use a seccomp-bpf prefilter for -e trace= on a launched command
  --colocate, --no-colocate  force / turn off co-scheduling of a thread that stops often with the
                            tracer on one CPU (default: where it wins; UTRACE_COLOCATE=0|1)
`;

export type ParsedStrace = StraceConfig;

/**
 * The name messages start with, as strace's start with its argv[0]: "utrace strace", or what
 * a wrapper standing in for strace says in UTRACE_STRACE_ARGV0 (taken out of the environment,
 * so the traced program does not see it).
 */
export function straceName(): string {
  const v = process.env['UTRACE_STRACE_ARGV0'];
  if (v !== undefined) {
    delete process.env['UTRACE_STRACE_ARGV0'];
    cachedName = v;
  }
  return cachedName;
}
let cachedName = 'utrace strace';

/** Options utrace strace knows but does not do: refused, never silently ignored. */
function refuseUnsupported(c: StraceConfig): void {
  const no = (what: string): never => {
    throw new UsageError(`${what} is not supported by utrace strace`);
  };
  if (c.sortBy !== undefined && !summarySort(c.sortBy)) no(`-S ${c.sortBy}`);
}

/** Names that cannot be paths (PATH_MAX 4096 with its NUL), refused up front as strace does. */
function checkNameLengths(c: StraceConfig): void {
  const prog = c.command[0];
  // A bare name is joined to PATH's directories: already too long on its own.
  if (prog !== undefined && !prog.includes('/') && Buffer.byteLength(prog) > 4095) throw new UsageError('exec: File name too long');
  // -ff: FILE.TID must fit, whatever the thread id (up to 10 digits and the dot, and the NUL).
  if (c.output !== undefined && c.outputSeparately && Buffer.byteLength(c.output) >= 4096 - 12) {
    throw new UsageError(`${c.output}: File name too long`);
  }
}

/** -S's names for the orders the summary knows. */
export function summarySort(by: string | undefined): SummarySort | undefined {
  if (by === undefined) return 'time';
  const key = by.replace(/_/g, '-');
  return Object.hasOwn(SORT_KEYS, key) ? SORT_KEYS[key] : undefined;
}

/** Parse and validate everything before anything is launched. */
export function prepareStrace(argv: string[]): ParsedStrace {
  let c: StraceConfig;
  try {
    c = parseStraceCommandLine(argv);
  } catch (e) {
    // parseArgs' own errors (none expected after normalisation) read as usage errors too.
    if (e instanceof UsageError) throw e;
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError((e as Error).message, true);
    throw e;
  }
  refuseUnsupported(c);
  checkNameLengths(c);
  return c;
}

/** strace's -V, in its format, for utrace. */
function versionText(): string {
  const pkg = JSON.parse(fs.readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string };
  return `utrace strace -- version ${pkg.version}\nutrace: multi-engine tracing of live Linux processes (strace-compatible command line).\n\nOptional features enabled: (none)\n`;
}

/** @param env what bin/utrace.js was given, which the command inherits (cli/inherited.ts) */
export async function straceMain(argv: string[], env: Partial<InheritedState> = {}): Promise<number> {
  const name = straceName();
  const err = (msg: string): void => {
    process.stderr.write(`${name}: ${msg}\n`);
  };
  let p: ParsedStrace;
  try {
    p = prepareStrace(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      for (const w of e.before) err(w);
      err(e.message);
      if (e.tryHelp) process.stderr.write(`Try '${name} -h' for more information.\n`);
      return 1;
    }
    throw e;
  }
  for (const w of p.warnings) err(w);
  for (const w of p.filter.warnings) err(w);
  if (p.help) {
    process.stdout.write(STRACE_USAGE);
    return 0;
  }
  if (p.version) {
    process.stdout.write(versionText());
    return 0;
  }
  const { runStrace } = await import('./strace-run.js');
  return runStrace(argv, p, name, err, env);
}
