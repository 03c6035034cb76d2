/**
 * `utrace strace` once its options are good (strace.ts reads them): the strace engine and its
 * outputs on one Tracer, for a command it starts, processes it attaches (-p) or joins through
 * their host, and -D's detached tracer.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Attach, Event, makePipe, errnoMessage, errnoNumber, execWhenReady, releaseStdio, startDaemonChild, Tracer, UtraceError, type Task } from '../api.js';
import { StraceEngine } from '../engines/strace/engine.js';
import { PathTrace } from '../engines/strace/pathtrace.js';
import { taskCommText } from '../engines/strace/pidcomm.js';
import { JsonEventWriter } from '../engines/strace/json.js';
import { TimelineWriter } from '../engines/strace/timeline.js';
import { comm } from '../engines/strace/engine.js';
import { durationText, leaderStamp } from '../engines/strace/timefmt.js';
import { attachError, BufferedSink, dieOfSignal, exitLikeChild, installSignalHandlers, UsageError } from './common.js';
import { normalizeArgv, shortTakesValue } from './strace-options.js';
import { straceName, summarySort, type ParsedStrace } from './strace.js';
import { ownIo, pipeTo, say, type CommandIo } from './io.js';
import type { InheritedState } from './inherited.js';
import { hostingAllowed, hostLaunched, launcherSignals } from './host/launcher.js';

/**
 * The tracer process is called what it stands in for (/proc/PID/comm "strace", not "node"): a
 * traced program that names its parent or its tracer (TracerPid), as with -Y, sees strace's
 * name. Only the kernel's short name changes; the command line in ps stays ours.
 */
function nameSelfStrace(): void {
  try {
    fs.writeFileSync('/proc/self/comm', 'strace');
  } catch {
    /* no procfs: the name stays */
  }
}

/**
 * -D: this process becomes the program, keeping its pid as its shell's child; the tracer is
 * started as a detached grandchild (-DD: in a process group of its own, -DDD: a session), and
 * says through a pipe when it has seized us.
 */
function daemonize(argv: string[], p: ParsedStrace, name: string, err: (m: string) => void, inherit: readonly number[]): number {
  const [r, w] = makePipe();
  const { opts, command } = normalizeArgv(argv);
  const words = opts.flatMap((a) => {
    if (a.startsWith('--')) return a.startsWith('--daemonize=') ? [] : [a];
    // A short group: drop its D letters (before a letter that takes the rest as its value).
    let out = '-';
    for (let j = 1; j < a.length; j++) {
      if (shortTakesValue(a[j]!)) {
        out += a.slice(j);
        break;
      }
      if (a[j] !== 'D') out += a[j];
    }
    return out === '-' ? [] : [out];
  });
  const script = process.argv[1]!;
  process.env['UTRACE_STRACE_ARGV0'] = name;
  try {
    startDaemonChild(process.execPath, [process.execPath, script, 'strace', ...words, `--daemon-of=${process.pid},${w}`, '--', ...command],
      w, p.daemonize);
  } catch (e) {
    err((e as Error).message);
    return 1;
  } finally {
    delete process.env['UTRACE_STRACE_ARGV0'];
    fs.closeSync(w);
  }
  const file = command[0]!.includes('/') ? command[0]! : lookPath(command[0]!) ?? command[0]!;
  try {
    execWhenReady(r, file, command, commandEnv(process.env, p.env) ?? { ...process.env }, inherit);
  } catch (e) {
    err(e instanceof UtraceError && e.code === 'ENOENT' ? `Can't stat '${command[0]}': No such file or directory` : (e as Error).message);
  }
  return 1;
}

/** -D's tracer: seize the process that waits for us, tell it to exec, trace it to its end. */
async function daemonTrace(tracer: Tracer, built: StraceOutput, of: { pid: number; fd: number }, err: (m: string) => void): Promise<number> {
  let tasks: Task[];
  try {
    tasks = await tracer.attachProcess(of.pid);
  } catch (e) {
    process.stderr.write(attachError(of.pid, e));
    fs.closeSync(of.fd);
    built.finish();
    await tracer.close();
    return 1;
  }
  // Only its main thread, which execs (Node's other threads end then).
  const main = tasks.find((t) => t.tid === of.pid)!;
  built.engine.attach(main);
  // Its exec shows the trace, if the execve line did not (-e trace= without it).
  const gate = tracer.attachTask(main, Attach.CREATE, { name: 'strace-D', reportExec: () => built.showTrace() }, undefined);
  gate.setEvents(Event.EXEC);
  try {
    fs.writeSync(of.fd, 'x');
  } catch (e) {
    err((e as Error).message);
  }
  fs.closeSync(of.fd);
  await main.process.exit;
  built.finish();
  await built.closed;
  await tracer.close();
  return 0;
}

/**
 * The trace from the program's first execve on (-D's tracer seizes it before that, in our
 * code): what is written before is dropped, the execve line's own leader (pid, time) kept.
 */
function untilExec(write: (s: string) => void): { write: (s: string) => void; show: () => void } {
  let shown = false;
  let held = '';
  return {
    write: (s) => {
      if (shown) return write(s);
      if (s.startsWith('execve(')) {
        shown = true;
        write(held + s);
        return;
      }
      held = s.endsWith('\n') ? '' : held + s;
    },
    show: () => {
      shown = true;
    },
  };
}

/** -d: the ptrace options the first thread was seized with, said once a run as strace says
 * its own (a host runs several commands' runs). */
function debugOptionsOnce(p: ParsedStrace, err: (m: string) => void): (task: Task) => void {
  let said = !p.debug;
  return (task) => {
    if (said) return;
    said = true;
    err(`ptrace_setoptions = 0x${(task.ptraceOptions >>> 0).toString(16)}`);
  };
}

/** A failed attach (-p) as strace words it: "attach: ptrace(PTRACE_SEIZE, PID): No such process". */
function straceAttachError(pid: number, e: unknown): string {
  const n = e instanceof UtraceError ? errnoNumber(e.code) : undefined;
  const line = `attach: ptrace(PTRACE_SEIZE, ${pid}): ${n !== undefined ? errnoMessage(n) : (e as Error).message}`;
  // The errno name and our hint on a line of their own, strace's line kept as scripts match it;
  // none for ESRCH, whose text says it all (strace's options-syntax compares that line alone).
  if (!(e instanceof UtraceError) || e.code === 'ESRCH') return line;
  return `${line}\n${straceName()}: hint: ${e.code}${e.hint ? `: ${e.hint}` : ''}`;
}

/** A pipe output that goes nowhere: the one made for a host is made when joining it. */
function nullPipe(): { fd: number; done: Promise<void> } {
  return { fd: fs.openSync('/dev/null', 'w'), done: Promise.resolve() };
}

/** PROG as execvp finds it in our PATH, if it has no '/' and is found there. */
function lookPath(prog: string): string | undefined {
  if (prog.includes('/')) return undefined;
  for (const dir of (process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const f = path.join(dir || '.', prog);
    try {
      if (fs.statSync(f).isFile()) {
        fs.accessSync(f, fs.constants.X_OK);
        return f;
      }
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** The command's environment after -E VAR=VAL (set) and -E VAR (remove), in order. */
export function commandEnv(base: NodeJS.ProcessEnv, edits: readonly string[]): Record<string, string | undefined> | undefined {
  if (!edits.length) return undefined;
  const env: Record<string, string | undefined> = { ...base };
  for (const e of edits) {
    const eq = e.indexOf('=');
    if (eq < 0) delete env[e];
    else env[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return env;
}

/**
 * The trace itself, after straceMain checked the options (p) and answered -h and -V.
 * @param env what bin/utrace.js was given, which the command inherits (cli/inherited.ts)
 */
export async function runStrace(argv: string[], p: ParsedStrace, name: string, err: (m: string) => void,
  env: Partial<InheritedState>): Promise<number> {
  const { command, pids } = p;
  if (p.daemonize && !p.daemonOf) return daemonize(argv, p, name, err, env.fds ?? []);
  const quietAttach = p.quiet.has('attach') || p.daemonOf !== undefined;
  const debugOptions = debugOptionsOnce(p, err);
  nameSelfStrace();
  const tracer = new Tracer({ colocate: p.colocate });
  // -b execve: the launched command let go at its next execve (then we end, as strace does).
  const launched: { tgid: number; host?: { letGo(): void }; left: () => void } = { tgid: 0, left: () => undefined };
  const leftLaunched = new Promise<'detached'>((resolve) => (launched.left = () => resolve('detached')));
  // Without -f: a child the kernel traced for us unasked (clone with CLONE_PTRACE), let go.
  if (!quietAttach && !p.follow) tracer.on('stray-detached', (tid: number) => err(`Detached unknown pid ${tid}`));
  let built: StraceOutput;
  try {
    // Joining a host (-p): the trace goes through the host, which is handed our pipe then.
    const io = pids.length && hostingAllowed() ? { ...ownIo(), openPipe: nullPipe } : ownIo();
    built = buildStraceOutput(tracer, p, io, {
      hideUntilExec: p.daemonOf !== undefined,
      onAttach: quietAttach ? undefined : (tid) => err(`Process ${tid} attached`),
      onUnknownDetached: quietAttach ? undefined : (tid) => err(`Detached unknown pid ${tid}`),
      onExecDetached: (tgid) => {
        if (!quietAttach) err(`Process ${tgid} detached`);
        if (tgid === launched.tgid) {
          launched.host?.letGo();
          launched.left();
        }
      },
    });
  } catch (e) {
    if (e instanceof UsageError) {
      err(e.message);
      return 1;
    }
    throw e;
  }
  const { engine, timeline } = built;
  // The trace's reader (-o '|COMMAND') is waited for, as strace's pclose does.
  const finish = async (): Promise<void> => {
    built.finish();
    await built.closed;
  };

  if (p.daemonOf) return daemonTrace(tracer, built, p.daemonOf, err);
  // -p with a command: both traced by our own tracer (the command is launched, then the
  // processes attached), as strace does.
  if (pids.length && !command.length && hostingAllowed()) {
    built.finish();
    await tracer.close();
    return straceJoin(argv, p, err);
  }
  /** -p PID attached and traced (strace's message, the timeline's name): its exit. Throws as
   * attachProcess does. (Wrapped: an async function would wait for a promise it returns.) */
  const attachPid = async (pid: number): Promise<{ exit: Promise<unknown> }> => {
    const tasks = await tracer.attachProcess(pid);
    if (!quietAttach) err(`Process ${pid} attached${tasks.length > 1 ? ` with ${tasks.length} threads` : ''}`);
    timeline?.processName(pid, comm(pid));
    for (const t of tasks) engine.attach(t);
    debugOptions(tasks[0]!);
    return { exit: tasks[0]!.process.exit };
  };
  if (pids.length && !command.length) {
    const procs: Promise<unknown>[] = [];
    // Installed before the first attach: a signal arriving mid-attach must still detach.
    let stopping = false;
    const stop = installSignalHandlers(async () => {
      stopping = true;
      engine.detachAll();
      await tracer.close();
      if (!quietAttach) for (const pid of pids) err(`Process ${pid} detached`);
    });
    for (const pid of pids) {
      if (stopping) break;
      try {
        procs.push((await attachPid(pid)).exit);
      } catch (e) {
        err(straceAttachError(pid, e));
        stop.dispose();
        await tracer.close();
        await finish();
        return 1;
      }
    }
    await Promise.race([Promise.all(procs), stop.done]);
    stop.dispose();
    await finish();
    return stop.signal ? dieOfSignal(stop.signal) : 0;
  }

  // The program is looked up in our PATH, not the one -E gives it (as strace does).
  const file = p.env.length ? lookPath(command[0]!) : undefined;
  let task: Task;
  try {
    task = await tracer.spawn(file ? [file, ...command.slice(1)] : command, {
      argv0: command[0],
      env: commandEnv(process.env, p.env),
      inheritFds: env.fds,
      stdio: [0, 1, 2].map((fd) => (env.closedStd?.includes(fd) ? 'close' : 'inherit')),
      signals: env.signals,
      // Only when following (-f), as strace's --seccomp-bpf: the filter is inherited, and in
      // a child we do not trace every selected syscall would fail with ENOSYS.
      // Nor with -b: a process let go would keep the filter, its selected calls failing.
      syscalls: p.noSeccomp || !p.follow || p.detachOnExecve ? undefined : engine.prefilter,
      unnamedSyscalls: true,
      // A program that exists but cannot be run: its execve fails traced, then strace's
      // launcher says so and exits 1.
      execFailure: { message: `${name}: exec: `, status: 1 },
      user: p.runAs,
    });
  } catch (e) {
    if (e instanceof UtraceError) {
      err(`Can't stat '${command[0]}': ${e.code === 'ENOENT' ? 'No such file or directory' : e.message}`);
      await finish();
      return 1;
    }
    throw e;
  }
  // The program has its stdin and stdout: ours must not keep a pipe open behind its back
  // (the trace goes to stderr or -o; nothing of ours reads stdin).
  releaseStdio([0, 1]);
  debugOptions(task);
  timeline?.processName(task.tgid, command[0]!.split('/').pop()!);
  const ops = engine.attach(task, true).ops;
  launched.tgid = task.tgid;
  engine.keepFirstExec(task.tgid);
  // Joinable for as long as it lives: we are its host (host/launcher.ts).
  const lh = hostLaunched(tracer, task, command, name, [{ name: 'strace', owns: (e) => e.ops === ops }]);
  launched.host = lh?.host;
  // Interrupted (once the commands that joined have left), strace detaches, its calls in flight
  // ending " <detached ...>", passes the signal on to the program it launched, and dies of it.
  let fatal: NodeJS.Signals | undefined;
  const stop = launcherSignals(lh, name, () => engine.detachAll(), async (signal) => {
    fatal = signal;
    engine.detachAll();
    // Really detached first: dying while still its tracer would kill it (PTRACE_O_EXITKILL).
    await tracer.close();
    if (!quietAttach) for (const pid of [task.tgid, ...pids]) err(`Process ${pid} detached`);
    try {
      process.kill(task.tgid, signal);
    } catch {
      /* already gone */
    }
  });
  // -p PID as well: attached once the command is held, before it runs (as strace: a failed
  // attach ends the trace, the command killed).
  const attached: Promise<unknown>[] = [];
  for (const pid of pids) {
    try {
      attached.push((await attachPid(pid)).exit);
    } catch (e) {
      err(straceAttachError(pid, e));
      engine.detachAll();
      try {
        task.process.threads[0]?.signal(9);
      } catch {
        /* already gone */
      }
      task.start();
      await task.process.exit;
      stop.dispose();
      await tracer.close();
      await finish();
      return 1;
    }
  }
  task.start();
  const st = await Promise.race([task.process.exit, stop.done.then(() => undefined), leftLaunched]);
  if (st === 'detached') {
    // -b execve: the program goes on untraced (our host lets it go too); what -f follows is
    // traced to its end. strace never sees the program's exit: its status is 0.
    await Promise.race([engine.allGone(), stop.done]);
    stop.dispose();
    await finish();
    await lh?.close();
    await tracer.close();
    return fatal ? dieOfSignal(fatal) : 0;
  }
  // Followed children may outlive the program (a daemon, a pid namespace's init), and so may
  // the processes of -p: traced to their end, as by strace; a signal to us still ends it all.
  if (st && !fatal) {
    if (p.follow) await Promise.race([engine.allGone(), stop.done]);
    else if (attached.length) await Promise.race([Promise.all(attached), stop.done]);
  }
  stop.dispose();
  await finish();
  await lh?.close();
  return fatal ? dieOfSignal(fatal) : exitLikeChild(st!);
}

/**
 * An output that cannot be written (-o /dev/full: ENOSPC) is said once, as strace says it
 * ("NAME: FILE: No space left on device"), and the trace goes on without it: the exit status
 * stays the program's.
 */
class ReportingSink extends BufferedSink {
  private _failed = false;

  constructor(fd: number, buffered: boolean, private readonly _file: string, private readonly _say: (msg: string) => void) {
    super(fd, buffered);
  }

  override write(s: string): void {
    if (this._failed) return;
    // Not through _guard: no closure per line (a buffered write only writes at 64 KiB).
    try {
      super.write(s);
    } catch (e) {
      this._fail(e);
    }
  }

  override flush(): void {
    this._guard(() => super.flush());
  }

  private _guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      this._fail(e);
    }
  }

  private _fail(e: unknown): void {
    const n = errnoNumber((e as NodeJS.ErrnoException).code ?? '');
    if (n === undefined) throw e;
    if (!this._failed) this._say(`${straceName()}: ${this._file}: ${errnoMessage(n)}`);
    this._failed = true;
  }
}

export interface StraceOutput {
  engine: StraceEngine;
  /** Flush the trace, print the -c table, close the files (idempotent). */
  finish: () => void;
  /** The --timeline writer, for process and thread names. */
  timeline: TimelineWriter | undefined;
  /** Settles once what reads the trace is done (-o '|COMMAND': the command ended). */
  closed: Promise<void>;
  /** hideUntilExec: the program has exec'd, show the trace from now on. */
  showTrace: () => void;
}

/**
 * The strace engine and its outputs (-o, --json, --timeline, -c) from parsed options; shared
 * by `utrace strace` and `utrace run --strace`. A file that cannot be opened is a UsageError.
 */
export function buildStraceOutput(tracer: Tracer, p: ParsedStrace, io: CommandIo,
  extra: {
    onAttach?: (tid: number) => void; onUnknownDetached?: (tid: number) => void; onExecDetached?: (tgid: number) => void; hideUntilExec?: boolean;
  } = {}): StraceOutput {
  const { filter } = p;
  const open = (file: string, opt: string): number => io.openOutput(file, opt, p.append);
  const toFile = p.output !== undefined;
  // -ff with -o: FILE.TID per thread, as strace; without -o it is plain -f.
  const perTask = toFile && p.outputSeparately;
  if (perTask && p.json) throw new UsageError('--json: not with -ff (one file per thread)');
  // -o '|COMMAND' (or '!COMMAND'): the trace is COMMAND's input; it is waited for at the end.
  const piped = toFile && /^[|!]/.test(p.output!) && io.openPipe ? io.openPipe(p.output!.slice(1)) : undefined;
  const sink = toFile && !perTask ? new ReportingSink(piped ? piped.fd : open(p.output!, '-o'), true, p.output!, (m) => say(io, m))
    : new BufferedSink(io.stderr, false);
  // Open until the thread is done (or the trace ends).
  const taskSinks = new Map<number, BufferedSink>();
  const outputFor = perTask ? (tid: number) => {
    const file = `${p.output!}.${tid}`;
    const s = new ReportingSink(open(file, '-o'), true, file, (m) => say(io, m));
    taskSinks.set(tid, s);
    return {
      write: (text: string) => s.write(text),
      end: () => {
        taskSinks.delete(tid);
        s.close();
      },
    };
  } : undefined;
  const timelineFd = p.timeline ? open(p.timeline, '--timeline') : undefined;
  const timeline = timelineFd !== undefined ? new TimelineWriter((s) => fs.writeSync(timelineFd, s)) : undefined;
  const json = p.json ? new JsonEventWriter((line) => sink.write(line.endsWith('\n') ? line : line + '\n')) : undefined;
  const summary = p.summary;
  const { absolute, relative } = p;
  const pathTrace = p.tracePaths.length ? new PathTrace(p.tracePaths, io.cwd) : undefined;
  const durationPrecision = p.syscallTimes;
  const gate = extra.hideUntilExec ? untilExec((s) => sink.write(s)) : undefined;
  const engine = new StraceEngine(tracer, {
    filter,
    follow: p.follow > 0,
    write: json ? () => undefined : gate ? gate.write : (s) => sink.write(s),
    outputFor,
    format: {
      // Pid prefixes whenever more than one process may be traced (as strace decides at start).
      followForks: p.follow > 0 || p.pids.length + (p.command.length ? 1 : 0) > 1,
      toFile,
      stamp: absolute || relative ? (ns, prev) => leaderStamp(ns, prev, absolute, relative) : undefined,
      syscallTimes: durationPrecision !== undefined,
      durationText: durationPrecision ? (ns) => durationText(ns, durationPrecision) : undefined,
      quietExit: p.quiet.has('exit'),
      quietSuperseded: p.quiet.has('thread-execve'),
      syscallNumber: p.syscallNumber,
      instructionPointer: p.instructionPointer,
      column: p.column,
      pidPrefix: p.pidPrefix,
      taskComm: p.decodePids.has('comm') ? (tid) => taskCommText(tid, p.hexStrings) : undefined,
      signalSelected: (s) => filter.signalSelected(s),
      statusSelected: filter.statusGiven ? (s) => filter.statusSelected(s) : undefined,
    },
    decode: {
      ...(p.strsize !== undefined ? { strsize: p.strsize } : {}),
      ...(p.verbose ? { verbose: true } : {}),
      ...(p.xlat ? { xlat: p.xlat } : {}),
      ...(p.hexStrings !== 'none' ? { hexStrings: p.hexStrings } : {}),
    },
    summary,
    summaryClock: p.wallClock ? 'wall' : 'system',
    json,
    timeline,
    fdPaths: p.decodeFds.has('path'),
    onMessage: (m) => say(io, `${straceName()}: ${m}`),
    onInvalidSyscall: p.debug ? (tid, nr) => say(io, `${straceName()}: pid ${tid} invalid syscall 0x${(nr >>> 0).toString(16)}`) : undefined,
    decodeFds: p.decodeFds,
    pidns: p.decodePids.has('pidns'),
    pidComm: p.decodePids.has('comm'),
    pathTrace,
    onAttach: extra.onAttach,
    onUnknownDetached: extra.onUnknownDetached,
    detachOnExec: p.detachOnExecve,
    onExecDetached: extra.onExecDetached,
  });
  if (p.overheadNs !== undefined) engine.summary.overheadNs = p.overheadNs;
  // A child of ours nobody traces (a CLONE_PARENT child without -f) was reaped: strace's note.
  if (!p.quiet.has('exit')) tracer.on('stray-exit', (pid: number) => say(io, `${straceName()}: Exit of unknown pid ${pid} ignored`));
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    engine.formatter.flush();
    sink.flush();
    for (const s of taskSinks.values()) s.close();
    if (summary) {
      const table = engine.summary.format(summarySort(p.sortBy), p.summaryColumns);
      // Into the -o file, as strace writes it (with -ff: stderr, there is no one file).
      if (toFile && !perTask) sink.write(table);
      else say(io, table);
      sink.flush();
    }
    timeline?.close();
    if (timelineFd !== undefined) fs.closeSync(timelineFd);
    if (toFile && !perTask) sink.close();
  };
  return { engine, finish, timeline, closed: piped?.done ?? Promise.resolve(), showTrace: () => gate?.show() };
}

/** argv without its -p/--attach options (what a host is sent: the process is given there). */
export function withoutPids(argv: string[]): string[] {
  // Normalized: every value attached to its option word (-fp123, --attach=123).
  return normalizeArgv(argv).opts.flatMap((a) => {
    if (/^--[a-zA-Z]=$/.test(a)) return [`-${a[2]}`, '']; // -X '' as normalized (back to words)
    if (a.startsWith('--')) return a.startsWith('--attach=') ? [] : [a];
    for (let j = 1; j < a.length; j++) {
      if (!shortTakesValue(a[j]!)) continue;
      if (a[j] !== 'p') return [a];
      return j === 1 ? [] : [a.slice(0, j)]; // -fp123: keep -f
    }
    return [a];
  });
}

/**
 * strace -p: join the host of each process (one is started in the background when none
 * runs: host/join.ts), so that other utrace commands can trace the same processes, and killing
 * this command never detaches anyone else. The host writes our trace to our own stderr or -o
 * file, handed over with the request.
 */
async function straceJoin(argv: string[], p: ParsedStrace, err: (m: string) => void): Promise<number> {
  const { ensureHost, join, targetOf, JoinGroup } = await import('./host/join.js');
  const quietAttach = p.quiet.has('attach');
  // Each process has a host of its own, which sees only it: the prefix strace gives several.
  const words = p.pids.length > 1 ? [...withoutPids(argv), '--pid-prefix'] : withoutPids(argv);
  const handed = [{ role: 'stdout', fd: 1 }, { role: 'stderr', fd: 2 }];
  const out = p.output;
  let outFd: number | undefined;
  let piped: Promise<void> | undefined;
  if (out !== undefined && !p.outputSeparately) {
    try {
      if (/^[|!]/.test(out)) {
        // -o '|COMMAND': run here, its pipe handed over as the file of that name.
        const pipe = pipeTo(out.slice(1));
        outFd = pipe.fd;
        piped = pipe.done;
      } else outFd = fs.openSync(out, p.append ? 'a' : 'w');
    } catch (e) {
      err(`Can't fopen '${out}': ${(e as Error).message}`);
      return 1;
    }
    handed.push({ role: `file:${path.resolve(out)}`, fd: outFd });
  }
  const group = new JoinGroup();
  let code = 0;
  try {
    for (const pid of p.pids) {
      if (group.stopping) break;
      try {
        const target = targetOf(pid);
        await ensureHost(target);
        group.add(await join(target, [{ kind: 'strace', words }], handed, ['strace', ...argv]));
      } catch (e) {
        err(straceAttachError(pid, e));
        code = 1;
        break;
      }
      if (!quietAttach) err(`Process ${pid} attached`);
    }
    if (code) group.leaveAll();
    // Every member ends: the process exited, or we left (a signal, or an attach error).
    const ends = await group.ended();
    if (group.stopping || ends.some((e) => e.kind === 'left')) {
      if (!quietAttach && !code) for (const pid of p.pids.slice(0, group.members.length)) err(`Process ${pid} detached`);
    }
    if (group.signal && !code) code = dieOfSignal(group.signal);
  } finally {
    group.dispose();
    if (outFd !== undefined) fs.closeSync(outFd);
  }
  await piped;
  return code;
}
