/**
 * `utrace strace`: strace's command line on the strace engine (docs/cli.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Tracer, UtraceError, type Task } from '../api.js';
import { StraceEngine } from '../engines/strace/engine.js';
import { FilterError, StraceFilter } from '../engines/strace/filter.js';
import { JsonEventWriter } from '../engines/strace/json.js';
import { TimelineWriter } from '../engines/strace/timeline.js';
import { comm } from '../engines/strace/engine.js';
import { attachError, BufferedSink, exitLikeChild, installSignalHandlers, splitCommand, UsageError } from './common.js';
import { ownIo, say, type CommandIo } from './io.js';

export const STRACE_USAGE = `usage: utrace strace [-cCfqrtTvy] [-a column] [-e expr]... [-o file] [-s strsize]
                    [-X raw|abbrev|verbose] [--json] [--timeline FILE] [--no-seccomp]
                    { -p pid[,pid]... | [--] PROG [ARGS] }

  -f            follow forks, vforks and clones (-ff with -o: one file per thread, FILE.TID)
  -p PID        attach to PID (comma-separated or repeated)
  -o FILE       write the trace to FILE instead of stderr
  -e EXPR       trace=SET  signal=SET  status=SET  inject=SET:error=E|retval=N[:signal=S][:when=W]
  -c / -C       count time, calls and errors per syscall (-C: also trace)
  -T            show time spent in each syscall      -t/-tt/-ttt  timestamps
  -r            relative timestamps                  -s N   string limit (default 32)
  -y            print paths of file descriptors      -q/-qq quieter
  -v            verbose structures                   -X     how to print constants
  --json        one JSON object per event (NDJSON) instead of strace lines
  --timeline F  also write a Chrome trace-event timeline (Perfetto) to F
  --no-seccomp  do not use a seccomp-bpf prefilter for -e trace= on a launched command (used only with -f)
`;

const OPTIONS = {
  f: { type: 'boolean', short: 'f', multiple: true },
  p: { type: 'string', short: 'p', multiple: true },
  o: { type: 'string', short: 'o' },
  e: { type: 'string', short: 'e', multiple: true },
  c: { type: 'boolean', short: 'c' },
  C: { type: 'boolean', short: 'C' },
  T: { type: 'boolean', short: 'T' },
  t: { type: 'boolean', short: 't', multiple: true },
  r: { type: 'boolean', short: 'r' },
  s: { type: 'string', short: 's' },
  a: { type: 'string', short: 'a' },
  y: { type: 'boolean', short: 'y' },
  q: { type: 'boolean', short: 'q', multiple: true },
  v: { type: 'boolean', short: 'v' },
  X: { type: 'string', short: 'X' },
  h: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  timeline: { type: 'string' },
  'no-seccomp': { type: 'boolean' },
} as const;

export interface ParsedStrace {
  values: ReturnType<typeof parseStraceArgs>['values'];
  command: string[];
  filter: StraceFilter;
  pids: number[];
}

export function parseStraceArgs(argv: string[]) {
  const [opts, command] = splitCommand(argv, OPTIONS);
  const { values } = parseArgs({ args: opts, options: OPTIONS, allowPositionals: false, strict: true });
  return { values, command };
}

/** Parse and validate everything before anything is launched. */
export function prepareStrace(argv: string[]): ParsedStrace {
  let parsed;
  try {
    parsed = parseStraceArgs(argv);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^.*?: /, ''));
  }
  const { values, command } = parsed;
  const filter = new StraceFilter();
  for (const expr of values.e ?? []) {
    try {
      filter.apply(expr);
    } catch (e) {
      if (e instanceof FilterError) throw new UsageError(e.message);
      throw e;
    }
  }
  const pids: number[] = [];
  for (const p of values.p ?? []) {
    for (const s of p.split(/[,\s]+/).filter(Boolean)) {
      const n = Number(s);
      if (!Number.isInteger(n) || n <= 0) throw new UsageError(`Invalid process id: '${s}'`);
      pids.push(n);
    }
  }
  if (values.s !== undefined && !/^\d+$/.test(values.s)) throw new UsageError(`invalid -s argument: '${values.s}'`);
  if (values.a !== undefined && !/^\d+$/.test(values.a)) throw new UsageError(`invalid -a argument: '${values.a}'`);
  if (values.X !== undefined && !['raw', 'abbrev', 'verbose'].includes(values.X)) {
    throw new UsageError(`invalid -X argument: '${values.X}'`);
  }
  if (!values.h && !pids.length && !command.length) throw new UsageError('must have PROG [ARGS] or -p PID');
  if (pids.length && command.length) throw new UsageError('-p and a command are mutually exclusive');
  return { values, command, filter, pids };
}

export async function straceMain(argv: string[]): Promise<number> {
  let p: ParsedStrace;
  try {
    p = prepareStrace(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`utrace strace: ${e.message}\nTry 'utrace strace -h' for more information.\n`);
      return 1;
    }
    throw e;
  }
  const { values, command, pids } = p;
  if (values.h) {
    process.stdout.write(STRACE_USAGE);
    return 0;
  }
  const quiet = values.q?.length ?? 0;
  const tracer = new Tracer();
  let built: StraceOutput;
  try {
    built = buildStraceOutput(tracer, p, ownIo(), {
      onAttach: quiet === 0 ? (tid) => process.stderr.write(`utrace strace: Process ${tid} attached\n`) : undefined,
    });
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`utrace strace: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const { engine, finish, timeline } = built;

  if (pids.length && process.env['UTRACE_NO_HOST'] !== '1') {
    finish();
    await tracer.close();
    return straceJoin(argv, p);
  }
  if (pids.length) {
    const procs: Promise<unknown>[] = [];
    // Installed before the first attach: a signal arriving mid-attach must still detach.
    let stopping = false;
    const stop = installSignalHandlers(async () => {
      stopping = true;
      engine.detachAll();
      await tracer.close();
      if (quiet === 0) for (const pid of pids) process.stderr.write(`utrace strace: Process ${pid} detached\n`);
    });
    for (const pid of pids) {
      if (stopping) break;
      let tasks: Task[];
      try {
        tasks = await tracer.attachProcess(pid);
      } catch (e) {
        process.stderr.write(attachError(pid, e));
        stop.dispose();
        await tracer.close();
        finish();
        return 1;
      }
      if (quiet === 0) {
        process.stderr.write(`utrace strace: Process ${pid} attached${tasks.length > 1 ? ` with ${tasks.length} threads` : ''}\n`);
      }
      timeline?.processName(pid, comm(pid));
      for (const t of tasks) engine.attach(t);
      procs.push(tasks[0]!.process.exit);
    }
    await Promise.race([Promise.all(procs), stop.done]);
    stop.dispose();
    finish();
    return 0;
  }

  let task: Task;
  try {
    task = await tracer.spawn(command, {
      // Only when following (-f), as strace's --seccomp-bpf: the filter is inherited, and in
      // a child we do not trace every selected syscall would fail with ENOSYS.
      syscalls: values['no-seccomp'] || !values.f ? undefined : engine.prefilter,
    });
  } catch (e) {
    if (e instanceof UtraceError) {
      process.stderr.write(`utrace strace: Can't stat '${command[0]}': ${e.code === 'ENOENT' ? 'No such file or directory' : e.message}\n`);
      finish();
      return 1;
    }
    throw e;
  }
  timeline?.processName(task.tgid, command[0]!.split('/').pop()!);
  engine.attach(task);
  const stop = installSignalHandlers(async () => {
    // strace kills what it launched when interrupted.
    try {
      task.process.threads[0]?.signal(9);
    } catch {
      /* already gone */
    }
  });
  task.start();
  const st = await task.process.exit;
  stop.dispose();
  finish();
  return exitLikeChild(st);
}

export interface StraceOutput {
  engine: StraceEngine;
  /** Flush the trace, print the -c table, close the files (idempotent). */
  finish: () => void;
  /** The --timeline writer, for process and thread names. */
  timeline: TimelineWriter | undefined;
}

/**
 * The strace engine and its outputs (-o, --json, --timeline, -c) from parsed options; shared
 * by `utrace strace` and `utrace run --strace`. A file that cannot be opened is a UsageError.
 */
export function buildStraceOutput(tracer: Tracer, p: ParsedStrace, io: CommandIo,
  extra: { onAttach?: (tid: number) => void } = {}): StraceOutput {
  const { values, filter } = p;
  const open = (file: string, opt: string): number => io.openOutput(file, opt);
  const toFile = values.o !== undefined;
  // -ff with -o: FILE.TID per thread, as strace; without -o it is plain -f.
  const perTask = toFile && (values.f?.length ?? 0) >= 2;
  if (perTask && values.json) throw new UsageError('--json: not with -ff (one file per thread)');
  const sink = new BufferedSink(toFile && !perTask ? open(values.o!, '-o') : io.stderr, toFile && !perTask);
  // Open until the thread is done (or the trace ends).
  const taskSinks = new Map<number, BufferedSink>();
  const outputFor = perTask ? (tid: number) => {
    const s = new BufferedSink(open(`${values.o!}.${tid}`, '-o'), true);
    taskSinks.set(tid, s);
    return {
      write: (text: string) => s.write(text),
      end: () => {
        taskSinks.delete(tid);
        s.close();
      },
    };
  } : undefined;
  const timelineFd = values.timeline ? open(values.timeline, '--timeline') : undefined;
  const timeline = timelineFd !== undefined ? new TimelineWriter((s) => fs.writeSync(timelineFd, s)) : undefined;
  const json = values.json ? new JsonEventWriter((line) => sink.write(line.endsWith('\n') ? line : line + '\n')) : undefined;
  const summary = values.c ? 'only' : values.C ? 'also' : undefined;
  const engine = new StraceEngine(tracer, {
    filter,
    follow: !!values.f,
    write: json ? () => undefined : (s) => sink.write(s),
    outputFor,
    format: {
      followForks: !!values.f,
      toFile,
      timestamps: Math.min(values.t?.length ?? 0, 3) as 0 | 1 | 2 | 3,
      relative: !!values.r,
      syscallTimes: !!values.T,
      quiet: values.q?.length ?? 0,
      column: values.a !== undefined ? Number(values.a) : undefined,
      signalSelected: (s) => filter.signalSelected(s),
      statusSelected: filter.statusGiven ? (s) => filter.statusSelected(s) : undefined,
    },
    decode: {
      ...(values.s !== undefined ? { strsize: Number(values.s) } : {}),
      ...(values.v ? { verbose: true } : {}),
      ...(values.X ? { xlat: values.X as 'raw' | 'abbrev' | 'verbose' } : {}),
    },
    summary,
    json,
    timeline,
    fdPaths: !!values.y,
    onAttach: extra.onAttach,
  });
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    engine.formatter.flush();
    sink.flush();
    for (const s of taskSinks.values()) s.close();
    if (summary) {
      const table = engine.summary.format();
      if (toFile && summary === 'also') sink.write(table);
      else say(io, table);
      sink.flush();
    }
    timeline?.close();
    if (timelineFd !== undefined) fs.closeSync(timelineFd);
    if (toFile && !perTask) sink.close();
  };
  return { engine, finish, timeline };
}

/** argv without its -p options (what a host is sent: the process is given there). */
export function withoutPids(argv: string[]): string[] {
  const [opts] = splitCommand(argv, OPTIONS);
  const { tokens } = parseArgs({ args: opts, options: OPTIONS, allowPositionals: false, strict: true, tokens: true });
  const drop = new Set<number>();
  const rewrite = new Map<number, string>();
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name !== 'p') continue;
    const a = opts[t.index]!;
    if (!t.inlineValue) drop.add(t.index + 1);
    const at = a.startsWith('--') ? 0 : a.indexOf('p');
    if (at <= 1) drop.add(t.index); // -p, -pN, --p...
    else rewrite.set(t.index, a.slice(0, at)); // -fp N, -fpN: keep -f
  }
  return opts.flatMap((a, i) => (drop.has(i) ? [] : [rewrite.get(i) ?? a]));
}

/**
 * strace -p: join the host of each process (one is started in the background when none
 * runs: host/join.ts), so that other utrace commands can trace the same processes, and killing
 * this command never detaches anyone else. The host writes our trace to our own stderr or -o
 * file, handed over with the request.
 */
async function straceJoin(argv: string[], p: ParsedStrace): Promise<number> {
  const { ensureHost, join, targetOf } = await import('./host/join.js');
  const quiet = p.values.q?.length ?? 0;
  const words = withoutPids(argv);
  const handed = [{ role: 'stdout', fd: 1 }, { role: 'stderr', fd: 2 }];
  const out = p.values.o;
  let outFd: number | undefined;
  if (out !== undefined && (p.values.f?.length ?? 0) < 2) {
    try {
      outFd = fs.openSync(out, 'w');
    } catch (e) {
      process.stderr.write(`utrace strace: Can't fopen '${out}': ${(e as Error).message}\n`);
      return 1;
    }
    handed.push({ role: `file:${path.resolve(out)}`, fd: outFd });
  }
  const joined: Awaited<ReturnType<typeof join>>[] = [];
  let stopping = false;
  const stop = installSignalHandlers(async () => {
    stopping = true;
    for (const j of joined) j.leave();
    await Promise.all(joined.map((j) => j.done));
  });
  let code = 0;
  try {
    for (const pid of p.pids) {
      if (stopping) break;
      try {
        const target = targetOf(pid);
        await ensureHost(target);
        const j = await join(target, [{ kind: 'strace', words }], handed, ['strace', ...argv]);
        joined.push(j);
        if (stopping) j.leave(); // the signal came while joining
      } catch (e) {
        process.stderr.write(attachError(pid, e));
        code = 1;
        break;
      }
      if (quiet === 0) process.stderr.write(`utrace strace: Process ${pid} attached\n`);
    }
    if (code) for (const j of joined) j.leave();
    // Every member ends: the process exited, or we left (a signal, or an attach error).
    const ends = await Promise.all(joined.map((j) => j.done));
    if (stopping || ends.some((e) => e.kind === 'left')) {
      if (quiet === 0 && !code) for (const pid of p.pids.slice(0, joined.length)) process.stderr.write(`utrace strace: Process ${pid} detached\n`);
    }
  } finally {
    stop.dispose();
    if (outFd !== undefined) fs.closeSync(outFd);
  }
  return code;
}
