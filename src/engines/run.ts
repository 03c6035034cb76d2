/**
 * Several engines on one process: spawn (or seize) once on one Tracer, attach every engine to
 * the same threads in the order given (that is the attach order: syscall entry reports run in
 * reverse order, everything else in this order), then let the program run. Engines leave
 * independently; the run ends when the traced process exits or when `signal` aborts, which
 * detaches every engine and leaves the process running untraced.
 *
 * This module knows no engine but user engines: each engine brings its RunEngine adapter
 * (strace/run.ts, inject/run.ts, ptrace/run.ts, gdb/run.ts).
 *
 * ```ts
 * import { runEngines, Event } from 'utrace';
 * const { status } = await runEngines({
 *   argv: ['ls', '/'],
 *   engines: [{ name: 'count', events: Event.SYSCALL_EXIT, reportSyscallExit() { n++; } }],
 * });
 * ```
 */
import { Event, Tracer, type Engine, type ExitStatus, type SpawnOptions, type Task } from '../api.js';
import { UserEngineRunner, type UserEngine } from './user.js';

export interface RunContext {
  readonly tracer: Tracer;
  /** true: a program we spawned, held before execve; false: threads of a seized process. */
  readonly spawned: boolean;
  /** The command line when spawned. */
  readonly argv?: readonly string[];
  /** The engines attached before this one (their syscall-entry reports run after its own). */
  readonly before: readonly RunEngine[];
}

/** One engine (over every thread of the process) as runEngines drives it. */
export interface RunEngine {
  readonly name: string;
  /** Attach to the initial threads (the engine follows new ones itself). */
  attach(tasks: Task[], ctx: RunContext): void | Promise<void>;
  /** Called once the program runs; resolves when the engine has left on its own. */
  run?(): Promise<void>;
  /** Detach from every thread (interrupt). */
  detach(): void | Promise<void>;
  /** The run is over (process exited, or everything detached): flush, report. */
  finish?(status: ExitStatus | undefined): void | Promise<void>;
  /** Whether a core engine (one thread's attachment) belongs to this engine. */
  owns?(engine: Engine): boolean;
  /** The engine may skip syscalls (SyscallAction.ABORT) and force their results. */
  readonly abortsCalls?: boolean;
  /** Subscribe to the calls it skips, at their entry (engines that can say so). */
  onInjected?(listener: (task: Task, nr: number) => void): void;
}

export interface RunOptions {
  /** Program to start traced from its first instruction… */
  argv?: string[];
  /** …or a running process to seize (every thread). */
  pid?: number;
  /** In attach order. A plain UserEngine description is run with UserEngineRunner. */
  engines: (RunEngine | UserEngine)[];
  /** Use this tracer (the one the engines were built on); default: a new one, closed at the end. */
  tracer?: Tracer;
  spawn?: SpawnOptions;
  /** Abort: detach every engine and end the run (the process goes on untraced)… */
  signal?: AbortSignal;
  /**
   * …unless this is 'kill' and runEngines spawned the program: then the program is killed
   * (SIGKILL), as strace and gdbserver do on Ctrl-C, the engines see its death, and the run
   * ends with that status. A seized process (pid) is always detached. Default 'detach'.
   */
  abortSpawned?: 'detach' | 'kill';
  /** A callback threw: the engine is detached from every thread, the others go on. Default: stderr. */
  onEngineError?(engine: RunEngine, callback: string, error: unknown, tid: number): void;
  /** Called once every engine is attached and the program was let go. */
  onStarted?(tasks: Task[]): void;
}

export interface RunResult {
  /** How the process ended; undefined when the run was aborted first. */
  status: ExitStatus | undefined;
  /** `signal` aborted the run: the process was detached (status undefined) or killed. */
  interrupted: boolean;
  pid: number;
}

function isRunEngine(e: RunEngine | UserEngine): e is RunEngine {
  return typeof (e as RunEngine).attach === 'function' && typeof (e as RunEngine).detach === 'function';
}

export async function runEngines(opts: RunOptions): Promise<RunResult> {
  if ((opts.argv === undefined) === (opts.pid === undefined)) throw new TypeError('runEngines: give argv or pid (not both)');
  if (opts.argv && !opts.argv.length) throw new TypeError('runEngines: empty argv');
  const ownTracer = !opts.tracer;
  const tracer = opts.tracer ?? new Tracer();
  const engines = opts.engines.map((e) => (isRunEngine(e) ? e : userRunEngine(e)));
  const failed = new Set<RunEngine>();
  const onError = (engine: Engine, callback: string, error: unknown): void => {
    const owner = engines.find((r) => r.owns?.(engine)) ?? engines.find((r) => r.name === engine.ops.name);
    if (!owner) return;
    const tid = engine.task.tid;
    if (failed.has(owner)) return;
    failed.add(owner);
    if (opts.onEngineError) opts.onEngineError(owner, callback, error, tid);
    else process.stderr.write(`utrace: engine ${owner.name}: ${callback} threw on thread ${tid}: ${error instanceof Error ? error.message : String(error)}; engine detached\n`);
    void Promise.resolve().then(() => owner.detach()).catch(() => undefined);
  };
  tracer.on('engine-error', onError);
  let tasks: Task[];
  const ctx = { tracer, spawned: opts.argv !== undefined, argv: opts.argv };
  try {
    tasks = opts.argv ? [await tracer.spawn(opts.argv, opts.spawn)] : await tracer.attachProcess(opts.pid!);
  } catch (e) {
    tracer.off('engine-error', onError);
    if (ownTracer) await tracer.close();
    throw e;
  }
  const proc = tasks[0]!.process;
  try {
    for (let i = 0; i < engines.length; i++) await engines[i]!.attach(tasks, { ...ctx, before: engines.slice(0, i) });
  } catch (err) {
    // Leave nothing half-attached: a spawned program is killed, a seized one let go.
    for (const e of engines) await Promise.resolve(e.detach()).catch(() => undefined);
    if (opts.argv) {
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      tasks[0]!.start();
    }
    tracer.off('engine-error', onError);
    if (ownTracer) await tracer.close();
    throw err;
  }
  let interrupted = false;
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = () => {
      interrupted = true;
      resolve();
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
  if (opts.argv) tasks[0]!.start();
  opts.onStarted?.(tasks);
  for (const e of engines) void e.run?.().catch(() => undefined);
  let status: ExitStatus | undefined;
  await Promise.race([proc.exit.then((s) => void (status = s)), aborted]);
  opts.signal?.removeEventListener('abort', onAbort);
  if (interrupted && !status) {
    if (opts.argv && opts.abortSpawned === 'kill') status = await killSpawned(proc, engines);
    else for (const e of engines) await Promise.resolve(e.detach()).catch(() => undefined);
  }
  for (const e of engines) {
    try {
      await e.finish?.(status);
    } catch (err) {
      process.stderr.write(`utrace: engine ${e.name}: finish: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  tracer.off('engine-error', onError);
  if (ownTracer) await tracer.close();
  return { status, interrupted, pid: proc.pid };
}

/** SIGKILL a program we spawned and wait for its death (seen by every engine). */
async function killSpawned(proc: Task['process'], engines: RunEngine[]): Promise<ExitStatus> {
  try {
    process.kill(proc.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => (timer = setTimeout(r, 5000, undefined)));
  const st = await Promise.race([proc.exit, late]);
  clearTimeout(timer);
  if (st) return st;
  // An engine still holds a thread at its exit report: let everything go, the kill completes.
  for (const e of engines) await Promise.resolve(e.detach()).catch(() => undefined);
  return proc.exit;
}

/** A UserEngine description as a RunEngine. */
export function userRunEngine(def: UserEngine, label = def.name): RunEngine {
  let runner: UserEngineRunner | undefined;
  const ops = new Set<unknown>();
  return {
    name: label,
    // Only a syscall-entry report can skip a call.
    abortsCalls: (def.events & Event.SYSCALL_ENTRY) !== 0,
    attach(tasks, ctx) {
      runner = new UserEngineRunner(ctx.tracer, def);
      for (const t of tasks) {
        const e = runner.attach(t);
        ops.add(e.ops);
      }
    },
    detach() {
      runner?.detachAll();
    },
    async finish(status) {
      await def.finish?.(status);
    },
    owns: (e) => ops.has(e.ops),
  };
}
