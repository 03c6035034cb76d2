/**
 * One gdb connection, GdbSession: what the session knows (the processes and threads it
 * debugs, what gdb negotiated and selected), how processes come and go (launch, adopt,
 * attach, detach, kill), and the dispatch of gdb's packets through the packet table. Built on
 * the public engine API only (docs/gdb-server.md): one engine per traced thread, with the
 * thread's ThreadState (model.ts) as engine data.
 *
 * Where the rest is:
 * - stops.ts: the hold / gate / stop-queue protocol between the engine callbacks and the
 *   packets (which thread is held when, who releases it, how stops are reported), on
 *   holds.ts (how one thread is held and let go), with nonstop.ts (non-stop's notifications);
 * - callbacks.ts: the engine callbacks (what each report from the core means for gdb);
 * - packets/: the packet handlers, one module per family, and the table (packets/index.ts);
 * - stepping.ts (steps without gdb), debugRegs.ts (the debug-register allocator),
 *   procfs.ts (/proc), hostio.ts (vFile), svr4.ts (the library list), protocol/ (pure RSP).
 */
import { Attach, Event, ptraceAbi, setForegroundGroup } from '../../api.js';
import type { Engine, EngineOps, Process, SpawnOptions, Task, Tracer } from '../../api.js';
import {
  DEFERRED, GDB_SIGNAL, RspParseError, THREAD_ALL, THREAD_ANY,
  type QSupported, type RspConnection, type ThreadId,
} from './protocol/index.js';
import { BASE_EVENTS, engineOps } from './callbacks.js';
import { applyDebugRegs } from './debugRegs.js';
import { hostIo } from './hostio.js';
import { Inferior, ThreadState, isLive, type ThreadStop } from './model.js';
import { PACKETS, packetName, type Reply } from './packets/index.js';
import { setGdbDebug } from './debug.js';
import { StopProtocol, withTimeout } from './stops.js';

const { SIGKILL } = ptraceAbi;

export interface GdbSessionOptions {
  tracer: Tracer;
  /** Extended-remote (--multi): stay up without a process; `!` also turns it on. */
  extended: boolean;
  /** Progress and diagnostics (stderr). */
  log: (msg: string) => void;
  /** stdio of programs started by vRun (stdio transport: stdin /dev/null, stdout to stderr). */
  inferiorStdio?: SpawnOptions['stdio'];
  /** `monitor exit` or a plain-mode `k`: the server should shut down. */
  onExitRequest?: () => void;
  /** Disable ASLR for started programs by default (gdbserver does). */
  disableRandomization?: boolean;
  startupWithShell?: boolean;
  /** `--wrapper WRAPPER --`: started programs run as `WRAPPER PROG ARGS` (the wrapper execs PROG). */
  wrapper?: string[];
  /** `--disable-packet=…`: packets and stop-reply parts gdbserver lets one switch off. */
  disabledPackets?: ReadonlySet<string>;
  /** Debug output at start (--debug, --remote-debug, --debug-format=timestamp). */
  debug?: Partial<DebugSettings>;
  /** Where debug lines go (--debug-file); default: log. */
  debugLog?: (msg: string) => void;
  /** Output of breakpoint commands (dprintf-style agent), which gdbserver prints on its
   * stdout; default: stdout. Not stdout where the protocol owns it (stdio transport). */
  printfOutput?: (text: Buffer) => void;
}

/** What `--debug`, `--remote-debug`, `--debug-format` and `monitor set …` switch. */
export interface DebugSettings {
  /** General debugging messages (the stop protocol's log). */
  general: boolean;
  /** Every packet in and out. */
  remote: boolean;
  /** Debug lines start with a timestamp (`--debug-format=timestamp`). */
  timestamp: boolean;
}

/** The exit status of a program that could not be started: gdbserver's 127, from the shell or exec. */
export class StartupExit extends Error {
  constructor(readonly code: number | null, readonly signal: number | null) {
    super(signal !== null ? `During startup program terminated with signal ${signal}.` : `During startup program exited with code ${code ?? 0}.`);
  }
}

export class GdbSession {
  readonly tracer: Tracer;
  extended: boolean;
  readonly inferiors = new Map<number, Inferior>();
  conn: RspConnection | undefined;
  readonly log: (m: string) => void;
  readonly opts: GdbSessionOptions;
  /** Holding, releasing and reporting threads (stops.ts). */
  readonly stops = new StopProtocol(this);

  // What gdb negotiated and chose; set by the packet handlers (packets/).
  /** gdb's qSupported features. */
  q: QSupported = { features: new Map() };
  multiprocess = false;
  /** Registers include the AVX upper halves (gdb takes XML target descriptions, CPU has AVX). */
  avx = false;
  /** QThreadEvents:1: report thread creation (`T05create:`) and exit (`w`) in non-stop. */
  threadEvents = false;
  /** The thread Hg selected (registers, memory), or the last one that stopped. */
  gThread: ThreadState | undefined;
  /** gdb signal numbers delivered without a stop (QPassSignals). */
  passSignals = new Set<number>();
  /** Parsed QPassSignals lists by text: gdb alternates two (empty before a step, its list
   * before a continue), so one remembered text would miss every time. */
  readonly passSignalsSeen = new Map<string, Set<number>>();
  catchSyscalls: { all: boolean; nrs: Set<number> } | undefined;
  /** The qXfer:threads document last served (its later chunks come from it). */
  threadsXml: Buffer | undefined;
  /** The qXfer:osdata document last served, by annex (its later chunks come from it). */
  osdataDoc: { annex: string; doc: Buffer } | undefined;
  // vRun state
  env: Record<string, string | undefined> = { ...process.env };
  cwd: string | undefined;
  startupWithShell: boolean;
  noAslr: boolean;
  lastProgram: string[] | undefined;

  readonly debug: DebugSettings;

  private readonly ops: EngineOps<ThreadState>;
  readonly hostio = hostIo({
    defaultPid: () => this.currentThread()?.inf.pid,
    allowPid: (pid) => this.inferiors.has(pid),
    log: (m) => this.log(m),
  });

  constructor(opts: GdbSessionOptions) {
    this.opts = opts;
    this.tracer = opts.tracer;
    this.extended = opts.extended;
    this.log = opts.log;
    this.startupWithShell = opts.startupWithShell ?? false;
    this.noAslr = opts.disableRandomization ?? true;
    this.debug = { general: false, remote: false, timestamp: false, ...opts.debug };
    setGdbDebug(this.debug.general);
    this.ops = engineOps(this);
    this.tracer.on('engine-error', (engine: Engine, name: string, err: unknown) => {
      if (engine.ops === this.ops) this.log(`gdbserver: ${name} on thread ${engine.task.tid}: ${err instanceof Error ? err.stack : String(err)}`);
    });
  }

  /** Print what a breakpoint's commands printed (stepping.ts runCommands). */
  printfOutput(text: Buffer): void {
    try {
      if (this.opts.printfOutput) this.opts.printfOutput(text);
      else process.stdout.write(text);
    } catch (e) {
      this.log(`breakpoint commands: cannot print: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // ================================================================ inferiors

  /** Start a program stopped at its first instruction (after exec), as gdbserver does. */
  async launch(argv: string[], shell = this.startupWithShell): Promise<Inferior> {
    const wrapper = this.opts.wrapper ?? [];
    let args = [...wrapper, ...argv];
    if (shell) {
      const sh = this.env['SHELL'] || '/bin/sh';
      args = [sh, '-c', `exec ${[...wrapper, argv[0]!].map(shQuote).join(' ')} ${argv.slice(1).join(' ')}`];
    }
    const task = await this.tracer.spawn(args, {
      env: this.env, cwd: this.cwd, stdio: this.opts.inferiorStdio, setpgid: true, noAslr: this.noAslr,
    });
    const inf = this.addInferior(task.process, false);
    const ts = this.addThread(inf, task);
    // Its group gets the terminal on stderr while it lives, as under gdbserver: a program in a
    // background group is stopped by SIGTTIN when it reads the terminal, SIGTTOU when it sets
    // its modes (tcdrain, tcsetattr).
    try {
      const before = setForegroundGroup(2, task.tid);
      const giveBack = (): void => {
        try {
          setForegroundGroup(2, before, task.tid);
        } catch {
          /* the terminal is gone */
        }
      };
      if (before > 0) void task.process.exit.then(giveBack, giveBack);
    } catch (e) {
      this.log(`warning: the terminal stays with the server: ${String(e)}`);
    }
    // The program's exec is the last of: the shell's, the wrapper's, its own.
    inf.expectExecs = (shell ? 2 : 1) + (wrapper.length ? 1 : 0);
    const started = new Promise<void>((resolve) => (inf.started = resolve));
    ts.resumed = true;
    task.start();
    const died = task.process.exit.then((st) => {
      throw new StartupExit(st.code, st.signal);
    });
    try {
      await Promise.race([started, died]);
    } catch (e) {
      this.forget(inf); // gone already: nothing to kill
      throw e;
    }
    this.lastProgram = argv;
    this.gThread = ts;
    ts.resumed = false;
    const first: ThreadStop = { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP };
    ts.lastStop = first;
    this.stops.initialStop(first);
    return inf;
  }

  /**
   * Take over a program another party spawned (`tracer.spawn`, still held before execve, not
   * started): launch() without the spawn, for several engines on one process. Attaches now;
   * the caller attaches its other engines and calls task.start(); the returned promise
   * resolves once the program is held at its first instruction after exec. The process counts
   * as attached: gdb's detach or hang-up leaves it running under the other engines.
   */
  adopt(task: Task, argv: string[]): { inferior: Inferior; started: Promise<void> } {
    const inf = this.addInferior(task.process, true);
    const ts = this.addThread(inf, task);
    inf.expectExecs = 1;
    const started = new Promise<void>((resolve) => (inf.started = resolve));
    ts.resumed = true;
    const died = task.process.exit.then(() => {
      throw new Error(`${argv[0]}: exited before it started`);
    });
    died.catch(() => undefined);
    const done = Promise.race([started, died]).then(() => {
      this.lastProgram = argv;
      this.gThread = ts;
      ts.resumed = false;
      const first: ThreadStop = { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP };
      ts.lastStop = first;
      this.stops.initialStop(first);
    });
    return { inferior: inf, started: done };
  }

  /** attach() on threads already seized by the caller (tracer.attachProcess). */
  async adoptAttached(tasks: Task[]): Promise<Inferior> {
    const pid = tasks[0]!.tgid;
    const inf = this.addInferior(tasks[0]!.process, true);
    for (const t of tasks) {
      const ts = this.addThread(inf, t);
      ts.resumed = true;
    }
    await withTimeout(Promise.all(inf.live().map((ts) => this.stops.holdThread(ts))), 'attach: threads did not stop');
    for (const ts of inf.live()) {
      // Non-stop (vAttach): gdb counts the threads as running and stops each with vCont;t,
      // which then reports T00 at once (they are held already), as gdbserver does.
      ts.resumed = this.stops.nonStop;
      ts.lastStop = { kind: 'thread', ts, signal: GDB_SIGNAL.NONE };
    }
    const main = inf.live().find((t) => t.tid === pid) ?? inf.live()[0]!;
    this.gThread = main;
    this.stops.initialStop({ kind: 'thread', ts: main, signal: GDB_SIGNAL.NONE });
    return inf;
  }

  /** Seize a running process and stop all its threads (reply T00 like gdbserver). */
  async attach(pid: number): Promise<Inferior> {
    return this.adoptAttached(await this.tracer.attachProcess(pid));
  }

  addInferior(proc: Process, attached: boolean): Inferior {
    const inf = new Inferior(proc.pid, proc, attached);
    this.inferiors.set(proc.pid, inf);
    proc.exit.then((st) => this.stops.processExited(inf, st.code, st.signal), () => undefined);
    return inf;
  }

  addThread(inf: Inferior, task: Task): ThreadState {
    const ts = new ThreadState(inf, task);
    ts.engine = this.tracer.attachTask(task, Attach.CREATE, this.ops, ts);
    ts.engine.setEvents(this.eventMask(ts));
    inf.threads.set(task, ts);
    inf.owner ??= ts.engine;
    this.threadsXml = undefined;
    return ts;
  }

  /** A leader's exit stop too: one that leaves early is a zombie with no death to report
   * until its process ends (StopProtocol.leaderExited). */
  private eventMask(ts: ThreadState): number {
    return BASE_EVENTS | (this.catchSyscalls ? Event.SYSCALL : 0) | (ts.tid === ts.inf.pid ? Event.EXIT : 0);
  }

  /** Does gdb catch syscall nr now (QCatchSyscalls)? */
  catchesSyscall(nr: number): boolean {
    const c = this.catchSyscalls;
    return c !== undefined && (c.all || c.nrs.has(nr));
  }

  /** Event masks again, after QCatchSyscalls or a vfork parent's wait for vforkdone. */
  updateEvents(): void {
    for (const ts of this.allThreads()) {
      try {
        ts.engine.setEvents(this.eventMask(ts) | (ts.vforkWait ? Event.SYSCALL_EXIT : 0));
      } catch {
        /* dead */
      }
    }
  }

  /** Every thread gdb may see, of every process. */
  allThreads(): ThreadState[] {
    const out: ThreadState[] = [];
    for (const inf of this.inferiors.values()) {
      if (inf.gone || inf.forkParent) continue;
      for (const t of inf.threads.values()) if (isLive(t)) out.push(t);
    }
    return out;
  }

  /** The process is done with (exited and reported, detached or killed). */
  forget(inf: Inferior): void {
    inf.gone = true;
    this.inferiors.delete(inf.pid);
    for (const ts of inf.threads.values()) this.stops.markGone(ts);
    this.stops.filterQueue((e) => (e.kind === 'exit' ? e.inf !== inf : e.ts.inf !== inf));
    if (this.gThread?.inf === inf) this.gThread = undefined;
    this.threadsXml = undefined;
  }

  /** Fork children of inf that gdb has not heard of: they go where their parent goes. */
  private unannouncedChildren(inf: Inferior): Inferior[] {
    return [...this.inferiors.values()].filter((c) => c.forkParent === inf);
  }

  async detach(inf: Inferior): Promise<void> {
    for (const c of this.unannouncedChildren(inf)) await this.detach(c);
    this.log(`Detaching from process ${inf.pid}`);
    this.forget(inf);
    const threads = [...inf.threads.values()].filter((t) => t.task.state !== 'dead');
    // Stop everything first: debug registers and memory need held threads.
    await withTimeout(Promise.all(threads.map((t) => (t.gate || t.held ? undefined : this.stops.holdThreadForce(t)))), 'detach: threads did not stop').catch(() => undefined);
    this.removeBreakpoints(inf, threads);
    for (const ts of threads) if (ts.gate) await this.stops.openGateForDetach(ts);
    for (const ts of threads) {
      try {
        ts.engine.detach();
      } catch {
        /* already gone */
      }
    }
  }

  /** Every breakpoint and watchpoint gdb inserted in inf, out (its threads held). */
  private removeBreakpoints(inf: Inferior, threads: ThreadState[]): void {
    inf.hw = [null, null, null, null];
    for (const ts of threads) {
      try {
        if (ts.held) applyDebugRegs(ts);
      } catch {
        /* dead */
      }
    }
    for (const addr of inf.swbps.keys()) {
      inf.formerBps.add(addr);
      try {
        inf.proc.removeBreakpoint(inf.owner!, addr);
      } catch {
        /* gone */
      }
    }
    inf.swbps.clear();
    inf.bpCmds.clear();
    inf.drBps.clear();
  }

  async kill(inf: Inferior): Promise<void> {
    for (const c of this.unannouncedChildren(inf)) await this.kill(c);
    this.log(`Killing process(es): ${inf.pid}`);
    this.forget(inf);
    // A clone without CLONE_THREAD is a thread for gdb but a thread group of its own.
    const lwps = [...inf.threads.values()].filter((t) => t.task.tgid !== inf.pid).map((t) => t.tid);
    for (const pid of [inf.pid, ...lwps]) {
      try {
        process.kill(pid, SIGKILL);
      } catch {
        /* already gone */
      }
    }
    this.stops.releaseForKill(inf);
    await withTimeout(inf.proc.exit, `kill ${inf.pid}: no exit`).catch((e) => this.log(String(e)));
  }

  /** Leave no process stopped and no int3 behind: detach attached ones, kill started ones. */
  async releaseAll(): Promise<void> {
    for (const inf of [...this.inferiors.values()]) {
      if (inf.gone) continue; // an unannounced fork child, gone with its parent
      try {
        if (inf.attached) await this.detach(inf);
        else await this.kill(inf);
      } catch (e) {
        this.log(`cleanup of process ${inf.pid}: ${String(e)}`);
      }
    }
  }

  // ================================================================ connection

  /** Serve one gdb connection. */
  attachConnection(conn: RspConnection): void {
    this.conn = conn;
  }

  /** Whether a gdb is connected now. */
  get connected(): boolean {
    return this.conn !== undefined && !this.conn.closed;
  }

  /** Hang up on gdb (server shutting down). */
  closeConnection(): void {
    this.conn?.close();
  }

  /** Interrupt (0x03, vCtrlC): see StopProtocol.interrupt. */
  interrupt(): void {
    this.stops.interrupt();
  }

  /** The client went away: detach what we attached to, kill what we started. */
  async disconnect(): Promise<void> {
    this.stops.dropStopWaiter();
    this.hostio.close();
    await this.releaseAll();
  }

  /**
   * The client went away and the server waits for the next one (gdbserver's "will reopen the
   * connection"): every process stays, all threads stopped, no stop pending. A gdb that
   * connects next asks `?` and hears the last stop, or T00 of the current thread when they
   * were running.
   */
  async park(): Promise<void> {
    const st = this.stops;
    st.dropStopWaiter();
    this.hostio.close();
    const wasRunning = st.nonStop || st.state !== 'stopped';
    if (st.nonStop) {
      await Promise.resolve(st.setNonStop(false)).catch((e) => this.log(String(e)));
    } else if (st.state !== 'stopped') {
      st.state = 'stopping';
      await withTimeout(st.stopAll(), 'threads did not stop').catch((e) => this.log(String(e)));
    }
    // A new gdb starts from scratch: stops nobody heard of are dropped (not exits), and the
    // breakpoints of a gdb that could not remove them (killed while the program ran) go: the
    // next gdb inserts its own, and would not know what to make of a trap at one of these.
    st.filterQueue((ev) => ev.kind === 'exit');
    for (const inf of this.inferiors.values()) {
      if (!inf.gone) this.removeBreakpoints(inf, inf.live());
    }
    for (const ts of this.allThreads()) {
      ts.resumed = false;
      ts.stepping = false;
      ts.range = undefined;
    }
    st.state = 'stopped';
    const cur = this.currentThread();
    if (wasRunning && cur) st.initialStop({ kind: 'thread', ts: cur, signal: GDB_SIGNAL.NONE });
    this.conn = undefined;
  }

  /** A debug line (--debug, --remote-debug), with a timestamp under --debug-format=timestamp. */
  debugLog(m: string): void {
    if (this.debug.timestamp) {
      const t = Date.now();
      m = `${Math.floor(t / 1000)}.${String((t % 1000) * 1000).padStart(6, '0')} ${m}`;
    }
    (this.opts.debugLog ?? this.log)(m);
  }

  /** The RspConnection packet handler: the packet's handler from the table, its reply sent. */
  handle = (packet: Buffer, conn: RspConnection): void | Promise<void> | typeof DEFERRED => {
    this.conn = conn;
    const p = packet.toString('latin1');
    try {
      const r = this.dispatch(p, packet);
      if (r === DEFERRED) return r;
      if (r instanceof Promise) {
        return r.then((reply) => {
          if (reply !== undefined) conn.send(reply);
        }, (e: unknown) => {
          conn.send(this.errorReply(p, e));
        });
      }
      if (r !== undefined) conn.send(r);
    } catch (e) {
      conn.send(this.errorReply(p, e));
    }
  };

  private dispatch(p: string, raw: Buffer): Reply {
    const name = packetName(p);
    if (this.opts.disabledPackets && isDisabled(this.opts.disabledPackets, name)) return '';
    const handler = PACKETS.get(name);
    return handler === undefined ? '' : handler(this, p, raw);
  }

  private errorReply(p: string, e: unknown): string {
    if (!(e instanceof RspParseError)) {
      const m = `'${p.slice(0, 40)}': ${e instanceof Error ? e.message : String(e)}`;
      this.log(m);
      // Also beside the packets that led to it, when those go to a --debug-file.
      if (this.opts.debugLog && (this.debug.general || this.debug.remote)) this.debugLog(`[error] ${m}`);
    }
    return 'E01';
  }

  // ================================================================ threads

  /** The thread register and memory packets apply to (Hg), else the first one. */
  currentThread(): ThreadState | undefined {
    const g = this.gThread;
    if (g && isLive(g)) return g;
    // The selected thread is gone (threads come and go while gdb looks, in non-stop): another
    // of its process, whose memory gdb is reading (gdbserver reads memory per process).
    const next = (g && !g.inf.gone ? g.inf.live()[0] : undefined) ?? this.allThreads()[0];
    this.gThread = next;
    return next;
  }

  findThread(id: ThreadId): ThreadState | undefined {
    if (id.tid === THREAD_ANY || id.tid === THREAD_ALL) {
      if (id.pid === THREAD_ANY || id.pid === THREAD_ALL) return this.currentThread() ?? this.allThreads()[0];
      return this.inferiors.get(id.pid)?.live()[0];
    }
    for (const ts of this.allThreads()) if (ts.tid === id.tid && (id.pid <= 0 || ts.inf.pid === id.pid)) return ts;
    return undefined;
  }

  needThread(): ThreadState {
    const ts = this.currentThread();
    if (!ts) throw new Error('no thread');
    return ts;
  }
}

/** --disable-packet: vCont (vCont? and vCont;), qC, qfThreadInfo (and its qsThreadInfo). */
function isDisabled(off: ReadonlySet<string>, name: string): boolean {
  if (name.startsWith('vCont')) return off.has('vCont');
  if (name === 'qC') return off.has('qC');
  if (name === 'qfThreadInfo' || name === 'qsThreadInfo') return off.has('qfThreadInfo');
  return false;
}

function shQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
