/**
 * One gdb connection: the RSP packet handlers wired to the tracing core through the public
 * engine API only (spec ../shared/spec/gdb-server.md). One engine per traced thread, with the
 * thread's ThreadState as engine data.
 *
 * All-stop model: while gdb is at its prompt every thread is held by our engine (a STOP vote,
 * or a pending signal "gate" promise, see ThreadState.gate). A resume packet releases the
 * threads its actions name; the first reportable event makes us stop every other thread
 * before the stop reply goes out, and events that arrive meanwhile are queued and reported on
 * later resumes without running the thread.
 */
import * as fs from 'node:fs';
import { Attach, Event, Resume, SignalAction, emulate } from '../../api.js';
import type { Engine, EngineOps, ExecReport, Process, SignalReport, SpawnOptions, SyscallReport, Task, Tracer } from '../../api.js';
import {
  AMD64_REGISTERS, DEFERRED, GDB_SIGNAL, RspParseError, THREAD_ALL, THREAD_ANY, VCONT_SUPPORTED_REPLY, XSTATE_MIN_AVX_SIZE,
  decodeG, encodeG, evaluateConditions, expeditedRegisters, formatConsoleOutput, formatExited,
  formatKilled, formatQSupported, formatTStop, formatThreadExited, formatThreadId, gdbSignalFromLinux, hexDecode,
  hexDecodeString, hexEncode, linuxSignalFromGdb, parseHexBigInt, parseHexNumber, parsePid,
  parseQSupported, parseQXferRead, parseThreadId, parseVCont, parseZPacket, qXferSlice,
  readRegister, readRegisterValue, resolveVCont, supports, vContActionFor, targetXmlBuffer, writeRegister,
  type QSupported, type ThreadId, type VContAction, type RspConnection, type StopReason,
} from './protocol/index.js';
import { hostIo } from './hostio.js';
import { NO_R_DEBUG, findRDebug, svr4LibraryList } from './svr4.js';

const SIGINT = 2;
const SIGTRAP = 5;
const SIGKILL = 9;
const SIGSTOP = 19;
const SI_USER = 0;
const SI_TKILL = -6;
const SI_KERNEL = 0x80;
const TRAP_BRKPT = 1;
const TRAP_TRACE = 2;
const TRAP_HWBKPT = 4;
const CLONE_THREAD = 0x10000n;
const CLONE_VFORK = 0x4000n;
/** gdb must get an answer to non-resume packets within its 2 s remote timeout. */
const QUICK_MS = 1500;
const DEBUG = !!process.env['UTRACE_GDB_DEBUG'];
/** Instructions of one range step (vCont;r) emulated in a row before real steps take over
 * (these, unlike the synchronous emulation, let a 0x03 from gdb in). */
const MAX_EMULATED_RANGE_STEP = 1000;

const BASE_EVENTS = Event.QUIESCE | Event.SIGNAL_ALL | Event.CLONE | Event.EXEC | Event.DEATH | Event.REAP;

/** A stop to report for one thread. */
interface ThreadStop {
  kind: 'thread';
  ts: ThreadState;
  /** gdb signal number. */
  signal: number;
  reason?: StopReason;
  /** swbreak: the breakpoint address (a queued hit whose breakpoint gdb removed is dropped). */
  bpAddr?: bigint;
  /** The step was emulated: the thread did not run, so it is on the CPU it was last seen on. */
  emulated?: boolean;
}
interface ExitStop {
  kind: 'exit';
  inf: Inferior;
  code: number | null;
  signal: number | null;
}
/** A thread exited (`w`), reported only when gdb turned QThreadEvents on (non-stop). */
interface ThreadExitStop {
  kind: 'texit';
  ts: ThreadState;
  code: number;
}
type StopEvent = ThreadStop | ExitStop | ThreadExitStop;

interface HwSlot {
  /** 0 exec, 1 write, 3 access (DR7 RW bits). */
  rw: 0 | 1 | 3;
  addr: bigint;
  len: number;
  /** The Z packet this slot serves (a split watchpoint uses several slots); Z0 (0): a
   * debug-register stand-in for a software breakpoint with target-side conditions. */
  zType: number;
  zAddr: bigint;
  zLen: number;
}

export class ThreadState {
  engine!: Engine<ThreadState>;
  /** Held stopped by us (STOP vote or gate); register access is allowed. */
  held = false;
  /** Bumped on every release, so a late engine.stopped() cannot mark a running thread held. */
  gen = 0;
  stopRequested = false;
  waiters: (() => void)[] = [];
  /** A signal stop kept open until gdb decides what to deliver: resolves the report's vote. */
  gate: ((vote: number) => void) | undefined;
  gateReport: SignalReport | undefined;
  /** gdb considers the thread running. */
  resumed = false;
  resumeAction: VContAction | undefined;
  stepping = false;
  range: { start: bigint; end: bigint } | undefined;
  /** Linux signal we tgkill'ed to deliver gdb's vCont;C at a non-signal stop. */
  injectSig = 0;
  /** The siginfo of the current stop, for qXfer:siginfo:read. */
  siginfo: Buffer | undefined;
  /** Internal step over a breakpoint whose target-side condition was false. */
  stepOver: { addr: bigint; others: ThreadState[] } | undefined;
  /** Stepping over a breakpoint on our own: do not stop it with control(STOP). */
  busy = false;
  /** vfork parent waiting for the vfork syscall to return (vforkdone). */
  vforkWait = false;
  /** A new thread whose first stop is still to come (a REPORT pass is owed there). */
  fresh = false;
  /** Non-stop: gdb asked to stop it (vCont;t, vCtrlC); its stop report is on its way. */
  tStop = false;
  /** /proc/PID/task/TID/stat, kept open for the `core:` of stop replies. */
  statFd: number | undefined;
  /** The CPU coreOf last read. */
  lastCore: number | undefined;
  /** The last stop gdb was told about (non-stop `?` repeats it). */
  lastStop: ThreadStop | undefined;
  gone = false;

  constructor(readonly inf: Inferior, readonly task: Task) {}
  get tid(): number {
    return this.task.tid;
  }
  get id(): ThreadId {
    return { pid: this.inf.pid, tid: this.task.tid };
  }
}

export class Inferior {
  readonly threads = new Map<Task, ThreadState>();
  /** Software breakpoints gdb inserted, with their target-side conditions. */
  readonly swbps = new Map<bigint, Buffer[]>();
  /** Those of them served by a debug register instead of an int3 (see drForConditions). */
  readonly drBps = new Set<bigint>();
  hw: (HwSlot | null)[] = [null, null, null, null];
  /** Engine that owns our int3 bytes in the core's table (one per process). */
  owner: Engine | undefined;
  /** Exec events to let pass before the first stop of a new program (2 with a shell). */
  expectExecs = 0;
  /** ld.so's r_debug address (0: not known yet), for qXfer:libraries-svr4. */
  rDebug = 0n;
  /** The last library list served (its later chunks come from it). */
  svr4Doc: Buffer | undefined;
  started: (() => void) | undefined;
  gone = false;
  constructor(readonly pid: number, readonly proc: Process, readonly attached: boolean) {}
  live(): ThreadState[] {
    const out: ThreadState[] = [];
    for (const t of this.threads.values()) if (isLive(t)) out.push(t);
    return out;
  }
}

/** A thread gdb may see: not dead, and not past its exit stop (a leader gone with pthread_exit
 * is a zombie until its process ends; gdbserver drops it from the thread list too). */
function isLive(t: ThreadState): boolean {
  return !t.gone && t.task.state !== 'dead' && !t.task.exiting;
}

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
}

type ResumeKind = Resume.RESUME | Resume.SINGLESTEP;

export class GdbSession {
  readonly tracer: Tracer;
  extended: boolean;
  readonly inferiors = new Map<number, Inferior>();
  private conn: RspConnection | undefined;
  private readonly log: (m: string) => void;
  private readonly opts: GdbSessionOptions;
  private q: QSupported = { features: new Map() };
  private multiprocess = false;
  private avx = false;
  private state: 'stopped' | 'running' | 'stopping' = 'stopped';
  /** Non-stop mode (QNonStop:1): each thread stops and runs on its own; stops go out as
   * `%Stop` notifications, one outstanding at a time, the rest fetched with vStopped. */
  private nonStop = false;
  /** QThreadEvents:1: report thread creation (`T05create:`) and exit (`w`) in non-stop. */
  private threadEvents = false;
  /** Non-stop: the stop sent last (as `%Stop` or as a vStopped reply), not yet acked. */
  private notifHead: StopEvent | undefined;
  /** Non-stop: a notification sequence is open (until a vStopped is answered OK). */
  private notifPending = false;
  private queue: StopEvent[] = [];
  private stopWaiter: ((reply: string) => void) | undefined;
  private gThread: ThreadState | undefined;
  private lastReply = 'W00';
  private lastStop: ThreadStop | undefined;
  private passSignals = new Set<number>();
  /** Parsed QPassSignals lists by text: gdb alternates two (empty before a step, its list
   * before a continue), so one remembered text would miss every time. */
  private readonly passSignalsSeen = new Map<string, Set<number>>();
  private catchSyscalls: { all: boolean; nrs: Set<number> } | undefined;
  private threadsXml: Buffer | undefined;
  // vRun state
  private env: Record<string, string | undefined> = { ...process.env };
  private cwd: string | undefined;
  private startupWithShell: boolean;
  private noAslr: boolean;
  private lastProgram: string[] | undefined;
  private readonly ops: EngineOps<ThreadState>;
  private readonly hostio = hostIo({
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
    this.ops = this.makeOps();
    this.tracer.on('engine-error', (engine: Engine, name: string, err: unknown) => {
      if (engine.ops === this.ops) this.log(`gdbserver: ${name} on thread ${engine.task.tid}: ${err instanceof Error ? err.stack : String(err)}`);
    });
  }

  // ================================================================ inferiors

  /** Start a program stopped at its first instruction (after exec), as gdbserver does. */
  async launch(argv: string[], shell = this.startupWithShell): Promise<Inferior> {
    let args = argv;
    if (shell) {
      const sh = this.env['SHELL'] || '/bin/sh';
      args = [sh, '-c', `exec ${shQuote(argv[0]!)} ${argv.slice(1).join(' ')}`];
    }
    const task = await this.tracer.spawn(args, {
      env: this.env, cwd: this.cwd, stdio: this.opts.inferiorStdio, setpgid: true, noAslr: this.noAslr,
    });
    const inf = this.addInferior(task.process, false);
    const ts = this.addThread(inf, task);
    inf.expectExecs = shell ? 2 : 1;
    const started = new Promise<void>((resolve) => (inf.started = resolve));
    ts.resumed = true;
    task.start();
    const died = task.process.exit.then(() => {
      throw new Error(`${argv[0]}: exited before it started`);
    });
    await Promise.race([started, died]);
    this.lastProgram = argv;
    this.gThread = ts;
    ts.resumed = false;
    this.lastStop = ts.lastStop = { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP };
    this.lastReply = this.stopReply(ts, this.lastStop);
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
      this.lastStop = ts.lastStop = { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP };
      this.lastReply = this.stopReply(ts, this.lastStop);
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
    await this.withTimeout(Promise.all(inf.live().map((ts) => this.holdThread(ts))), 'attach: threads did not stop');
    for (const ts of inf.live()) {
      // Non-stop (vAttach): gdb counts the threads as running and stops each with vCont;t,
      // which then reports T00 at once (they are held already), as gdbserver does.
      ts.resumed = this.nonStop;
      ts.lastStop = { kind: 'thread', ts, signal: GDB_SIGNAL.NONE };
    }
    const main = inf.live().find((t) => t.tid === pid) ?? inf.live()[0]!;
    this.gThread = main;
    this.lastStop = { kind: 'thread', ts: main, signal: GDB_SIGNAL.NONE };
    this.lastReply = this.stopReply(main, this.lastStop);
    return inf;
  }

  /** Seize a running process and stop all its threads (reply T00 like gdbserver). */
  async attach(pid: number): Promise<Inferior> {
    return this.adoptAttached(await this.tracer.attachProcess(pid));
  }

  private addInferior(proc: Process, attached: boolean): Inferior {
    const inf = new Inferior(proc.pid, proc, attached);
    this.inferiors.set(proc.pid, inf);
    proc.exit.then((st) => this.onInferiorExit(inf, st.code, st.signal), () => undefined);
    return inf;
  }

  private addThread(inf: Inferior, task: Task): ThreadState {
    const ts = new ThreadState(inf, task);
    ts.engine = this.tracer.attachTask(task, Attach.CREATE, this.ops, ts);
    ts.engine.setEvents(this.eventMask());
    inf.threads.set(task, ts);
    inf.owner ??= ts.engine;
    this.threadsXml = undefined;
    return ts;
  }

  private eventMask(): number {
    return BASE_EVENTS | (this.catchSyscalls ? Event.SYSCALL : 0);
  }

  private allThreads(): ThreadState[] {
    const out: ThreadState[] = [];
    for (const inf of this.inferiors.values()) {
      if (inf.gone) continue;
      for (const t of inf.threads.values()) if (isLive(t)) out.push(t);
    }
    return out;
  }

  // ================================================================ holding and releasing

  private markHeld(ts: ThreadState): void {
    ts.held = true;
    const w = ts.waiters;
    ts.waiters = [];
    for (const f of w) f();
  }

  private markGone(ts: ThreadState): void {
    ts.gone = true;
    ts.held = false;
    closeStat(ts);
    const w = ts.waiters;
    ts.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once the thread is held by us (or gone). */
  private holdThread(ts: ThreadState): Promise<void> {
    if (ts.held || !isLive(ts) || ts.engine.detached) return Promise.resolve();
    return new Promise((resolve) => {
      ts.waiters.push(resolve);
      if (ts.stopRequested || ts.busy) return;
      ts.stopRequested = true;
      const gen = ts.gen;
      try {
        if (ts.engine.control(Resume.STOP) === undefined) return this.markHeld(ts);
        ts.engine.stopped().then(
          () => {
            if (ts.gen === gen && !ts.held) this.markHeld(ts);
          },
          () => this.markGone(ts),
        );
      } catch {
        this.markGone(ts);
      }
    });
  }

  /** Let a held thread go: continue or step, delivering a Linux signal if given. */
  private release(ts: ThreadState, kind: ResumeKind, sig: number): void {
    if (DEBUG) this.dbg(`release ${ts.tid} kind ${kind} sig ${sig} gate ${!!ts.gate} core-state ${ts.task.state}`);
    ts.held = false;
    ts.gen++;
    ts.stopRequested = false;
    ts.siginfo = undefined;
    const e = ts.engine;
    if (e.detached) return;
    if (ts.gate) {
      const gate = ts.gate;
      const rep = ts.gateReport!;
      ts.gate = undefined;
      ts.gateReport = undefined;
      try {
        e.control(Resume.RESUME); // drops a STOP requested while it sat in the gate
      } catch {
        /* dead */
      }
      if (sig) rep.signo = sig;
      gate(kind | (sig ? SignalAction.DELIVER : SignalAction.IGN));
      return;
    }
    try {
      if (sig) {
        // Not at a signal-delivery stop: queue it, and let it through when it arrives.
        ts.injectSig = sig;
        ts.task.signal(sig);
      }
      e.control(kind);
    } catch {
      /* dead: its death is reported separately */
    }
  }

  private resumeKind(ts: ThreadState): ResumeKind {
    return ts.stepping ? Resume.SINGLESTEP : Resume.RESUME;
  }

  /** Threads gdb resumed may run: always in non-stop, only between a resume and the next
   * stop report in all-stop. */
  private get running(): boolean {
    return this.nonStop || this.state === 'running';
  }

  /** What a callback votes when it has nothing to report: go on if gdb runs it, else hold. */
  private proceed(ts: ThreadState): number {
    if (this.running && ts.resumed && !ts.stopRequested) return this.resumeKind(ts);
    this.markHeld(ts);
    return Resume.STOP;
  }

  private async stopAll(): Promise<void> {
    for (;;) {
      const pending = this.allThreads().filter((t) => !t.held);
      if (pending.length === 0) return;
      const t = DEBUG ? setTimeout(() => this.dbg(`stopAll waiting for ${pending.filter((x) => !x.held && !x.gone).map((x) => `${x.tid}:${x.task.state}:${x.stopRequested}:${x.busy}:${(readProc(`/proc/${x.inf.pid}/task/${x.tid}/stat`)?.toString() ?? "none").split(") ")[1]?.slice(0, 2)}`).join(' ')}`), 1000) : undefined;
      await Promise.all(pending.map((t) => this.holdThread(t)));
      if (t) clearTimeout(t);
    }
  }

  // ================================================================ events

  private dbg(m: string): void {
    if (DEBUG) this.log(`[gdb] ${m} (state ${this.state})`);
  }

  private queueStop(ev: StopEvent): void {
    if (DEBUG) this.dbg(`queue ${ev.kind === 'exit' ? `exit ${ev.inf.pid}` : ev.kind === 'texit' ? `thread exit ${ev.ts.tid}` : `${ev.ts.tid} sig ${ev.signal} ${ev.reason?.kind ?? ''}`}`);
    this.queue.push(ev);
    if (this.nonStop) {
      // One notification at a time; later stops wait for gdb's vStopped. Sent after the
      // reply of the packet being handled (a vCont;t of a held thread queues at once).
      if (!this.notifPending) {
        this.notifPending = true;
        queueMicrotask(() => this.sendNotification());
      }
      return;
    }
    if (this.state === 'running') {
      this.state = 'stopping';
      // Every thread held already (one thread, or all stopped at once): report now, in this
      // very callback, rather than a promise turn later.
      if (this.queue.length === 1 && this.validStop(ev) && this.allHeld()) return this.reportNext();
      void this.stopAll().then(() => this.reportNext(), (e) => this.log(`stop: ${String(e)}`));
    }
  }

  private allHeld(): boolean {
    for (const inf of this.inferiors.values()) {
      if (inf.gone) continue;
      for (const t of inf.threads.values()) if (!t.held && isLive(t)) return false;
    }
    return true;
  }

  /** Is a stop for this thread queued and not yet told to gdb? */
  private hasQueued(ts: ThreadState): boolean {
    for (const ev of this.queue) if (ev.kind === 'thread' && ev.ts === ts && ev !== this.notifHead) return true;
    return false;
  }

  /** Drop queued events (never the one gdb is about to ack with vStopped). */
  private filterQueue(keep: (ev: StopEvent) => boolean): void {
    this.queue = this.queue.filter((ev) => ev === this.notifHead || keep(ev));
  }

  // ---------------------------------------------------------------- non-stop notifications

  /** Format the first valid queued stop for gdb (it stays queued until acked). */
  private nextNonStopReply(): string | undefined {
    while (this.queue.length) {
      const ev = this.queue[0]!;
      if (!this.validStop(ev)) {
        this.queue.shift();
        // A stale stop (say, a hit of a breakpoint gdb removed meanwhile): gdb still counts
        // the thread as running, so it runs again.
        if (ev.kind === 'thread' && ev.ts.resumed && ev.ts.held && !ev.ts.gone && !this.hasQueued(ev.ts)) {
          this.release(ev.ts, this.resumeKind(ev.ts), 0);
        }
        continue;
      }
      this.notifHead = ev;
      if (ev.kind === 'exit') return this.exitReply(ev);
      if (ev.kind === 'texit') return formatThreadExited(ev.code, ev.ts.id, this.multiprocess);
      const ts = ev.ts;
      ts.resumed = false;
      ts.stepping = false;
      ts.range = undefined;
      ts.lastStop = ev;
      return this.stopReply(ts, ev);
    }
    this.notifHead = undefined;
    return undefined;
  }

  private sendNotification(): void {
    const reply = this.nextNonStopReply();
    if (reply === undefined) {
      this.notifPending = false;
      return;
    }
    this.dbg(`%Stop:${reply.slice(0, 40)}`);
    this.conn?.sendNotification('Stop', reply);
  }

  /** vStopped: gdb took the last stop; answer the next one, or OK when none is left. */
  private vStopped(): string {
    if (this.notifHead) {
      const i = this.queue.indexOf(this.notifHead);
      if (i >= 0) this.queue.splice(i, 1);
      this.notifHead = undefined;
    }
    const reply = this.nextNonStopReply();
    if (reply !== undefined) return reply;
    this.notifPending = false;
    return 'OK';
  }

  /** `?` in non-stop: a stop for every thread gdb may see stopped, the first one now, the
   * rest through vStopped (OK when nothing is stopped), as gdbserver's handle_status. */
  private nonStopStatus(): string {
    const fresh: StopEvent[] = [];
    for (const ts of this.allThreads()) {
      if (ts.resumed || !ts.held) continue;
      const last = ts.lastStop;
      fresh.push(last ? { ...last, ts } : { kind: 'thread', ts, signal: GDB_SIGNAL.NONE });
    }
    // Stops of threads gdb still counts as running follow (they were never told).
    const pending = this.queue.filter((ev) => ev !== this.notifHead && (ev.kind !== 'thread' || ev.ts.resumed));
    this.queue = [...fresh, ...pending];
    this.notifHead = undefined;
    const reply = this.nextNonStopReply();
    this.notifPending = reply !== undefined;
    return reply ?? 'OK';
  }

  private validStop(ev: StopEvent): boolean {
    if (ev.kind === 'exit') return true;
    if (ev.kind === 'texit') return !ev.ts.inf.gone;
    const ts = ev.ts;
    if (!isLive(ts) || ts.inf.gone) return false;
    // gdb pulled the breakpoint out before hearing of the hit: the PC is already back on it,
    // so the instruction simply runs again (gdbserver "discarding pending breakpoint status").
    if (ev.bpAddr !== undefined && !ts.inf.swbps.has(ev.bpAddr)) return false;
    return true;
  }

  /** Everything is held: send the first valid queued stop. */
  private reportNext(): void {
    while (this.queue.length) {
      const ev = this.queue.shift()!;
      if (!this.validStop(ev)) continue;
      this.deliverStop(ev);
      return;
    }
    // Nothing left to say (stale events only): carry on as gdb asked.
    this.state = 'running';
    for (const ts of this.allThreads()) {
      if (ts.resumed && ts.held) this.release(ts, this.resumeKind(ts), 0);
    }
  }

  private deliverStop(ev: StopEvent): void {
    if (DEBUG) this.dbg(`deliver ${ev.kind}`);
    let reply: string;
    if (ev.kind === 'exit') {
      reply = this.exitReply(ev);
      this.lastStop = undefined;
    } else if (ev.kind === 'texit') {
      reply = formatThreadExited(ev.code, ev.ts.id, this.multiprocess);
    } else {
      reply = this.stopReply(ev.ts, ev);
      this.gThread = ev.ts;
      this.lastStop = ev.ts.lastStop = ev;
    }
    for (const ts of this.allThreads()) {
      ts.resumed = false;
      ts.stepping = false;
      ts.range = undefined;
    }
    this.state = 'stopped';
    this.lastReply = reply;
    const w = this.stopWaiter;
    this.stopWaiter = undefined;
    w?.(reply);
  }

  private exitReply(ev: ExitStop): string {
    const inf = ev.inf;
    this.forget(inf);
    if (ev.signal !== null) {
      this.log(`\nChild terminated with signal = ${ev.signal}`);
      return formatKilled(gdbSignalFromLinux(ev.signal), inf.pid, this.multiprocess);
    }
    this.log(`\nChild exited with status ${ev.code ?? 0}`);
    return formatExited(ev.code ?? 0, inf.pid, this.multiprocess);
  }

  private stopReply(ts: ThreadState, ev: ThreadStop): string {
    let registers: Array<[number, string]> = [];
    try {
      registers = expeditedRegisters(ts.task.regs().buf);
    } catch {
      /* dead meanwhile: gdb reads what it needs */
    }
    let reason = ev.reason;
    if (reason?.kind === 'swbreak' && !supports(this.q, 'swbreak')) reason = undefined;
    if (reason?.kind === 'hwbreak' && !supports(this.q, 'hwbreak')) reason = undefined;
    const core = ev.emulated && ts.lastCore !== undefined ? ts.lastCore : coreOf(ts);
    return formatTStop({ signal: ev.signal, reason, registers, thread: ts.id, core }, this.multiprocess);
  }

  private onInferiorExit(inf: Inferior, code: number | null, signal: number | null): void {
    if (inf.gone) return;
    for (const ts of inf.threads.values()) this.markGone(ts);
    // Its threads' stops are moot; their exits (`w`) still go out, before the `W`.
    this.filterQueue((e) => e.kind !== 'thread' || e.ts.inf !== inf);
    this.queueStop({ kind: 'exit', inf, code, signal });
  }

  private forget(inf: Inferior): void {
    inf.gone = true;
    this.inferiors.delete(inf.pid);
    for (const ts of inf.threads.values()) this.markGone(ts);
    this.filterQueue((e) => (e.kind === 'exit' ? e.inf !== inf : e.ts.inf !== inf));
    if (this.gThread?.inf === inf) this.gThread = undefined;
    this.threadsXml = undefined;
  }

  // ================================================================ engine callbacks

  private makeOps(): EngineOps<ThreadState> {
    return {
      name: 'gdbserver',
      reportQuiesce: (_a, e, event) => this.onQuiesce(e.data, event),
      reportSignal: (_a, e, sig) => (sig ? this.onSignal(e.data, sig) : undefined),
      reportClone: (_a, e, flags, child) => this.onClone(e.data, flags, child),
      reportExec: (_a, e, exec) => this.onExec(e.data, exec),
      reportSyscallEntry: (_a, e, call) => this.onSyscall(e.data, call, true),
      reportSyscallExit: (_a, e, call) => this.onSyscall(e.data, call, false),
      reportDeath: () => undefined,
      reportReap: (e) => {
        const ts = e.data;
        ts.inf.threads.delete(ts.task);
        this.threadsXml = undefined;
        const wasGone = ts.gone;
        this.markGone(ts);
        if (this.gThread === ts) this.gThread = undefined;
        // A thread of a live process exited: `w` when gdb asked for thread events (non-stop).
        if (!wasGone && this.nonStop && this.threadEvents && !ts.inf.gone && ts.tid !== ts.inf.pid) {
          void ts.task.exit.then((st) => {
            if (!ts.inf.gone) this.queueStop({ kind: 'texit', ts, code: st.code ?? 0 });
          });
        }
      },
    };
  }

  /** Event 0 is a report point owed to a step we asked for, or a new thread's first stop. */
  private onQuiesce(ts: ThreadState, event: number): number | void {
    if (event !== 0) return undefined;
    if (ts.fresh) return this.onNewThread(ts);
    if (ts.stepOver) return this.finishStepOver(ts);
    if (!ts.stepping) return undefined;
    return this.onStepDone(ts);
  }

  private onStepDone(ts: ThreadState): number {
    const hw = this.checkDebugStatus(ts);
    if (hw) return this.holdWith(ts, { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason: hw });
    if (ts.range && this.running) {
      const pc = ts.task.regs().pc;
      if (pc >= ts.range.start && pc < ts.range.end) return Resume.SINGLESTEP; // range stepping
    }
    return this.holdWith(ts, { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP });
  }

  private holdWith(ts: ThreadState, ev: ThreadStop): number {
    this.markHeld(ts);
    this.queueStop(ev);
    return Resume.STOP;
  }

  private onSignal(ts: ThreadState, rep: SignalReport): number | Promise<number> | void {
    if (DEBUG) this.dbg(`signal ${rep.signo} code ${rep.code} on ${ts.tid}`);
    const sig = rep.signo;
    if (ts.injectSig && sig === ts.injectSig) {
      ts.injectSig = 0;
      return this.resumeKind(ts) | SignalAction.DELIVER;
    }
    ts.siginfo = rep.info; // the core's own copy for this report
    let ev: ThreadStop | undefined;
    if (sig === SIGTRAP) {
      if (rep.code === SI_KERNEL) {
        const regs = ts.task.regs();
        const addr = regs.pc - 1n;
        if (ts.inf.swbps.has(addr)) {
          // x86 reports int3 with the PC after it: put it back on the breakpoint, in the thread.
          regs.pc = addr;
          ts.task.setRegs(regs);
          const conds = ts.inf.swbps.get(addr)!;
          if (conds.length && !ts.stepping && !this.conditionTrue(ts, conds)) return this.stepOverBreakpoint(ts, addr);
          ev = { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason: { kind: 'swbreak' }, bpAddr: addr };
        } else if (ts.inf.proc.hasBreakpoint(addr)) {
          return undefined; // another engine's breakpoint: its business
        }
      }
      if (!ev && rep.code === TRAP_HWBKPT) {
        const hit = this.debugHit(ts);
        if (hit?.zType === 0) {
          // A debug-register breakpoint traps before the instruction: the PC is on it.
          const addr = hit.zAddr;
          const conds = ts.inf.swbps.get(addr) ?? [];
          if (conds.length && !ts.stepping && !this.conditionTrue(ts, conds)) {
            // The kernel set RF: resumed, the instruction runs without trapping again.
            return this.proceed(ts) | SignalAction.IGN;
          }
          ev = { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason: { kind: 'swbreak' }, bpAddr: addr };
        } else if (hit) {
          ev = { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason: hit.zType === 1 ? { kind: 'hwbreak' } : { kind: hit.zType === 2 ? 'watch' : hit.zType === 3 ? 'rwatch' : 'awatch', address: hit.zAddr } };
        }
      }
      if (!ev) {
        const hw = this.checkDebugStatus(ts);
        if (hw) ev = { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason: hw };
      }
      if (!ev && ts.stepping && (rep.code === TRAP_BRKPT || rep.code === TRAP_TRACE)) {
        // A step over `syscall` ends with TRAP_BRKPT: still our step.
        ev = { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP };
      }
    }
    // A trap of ours (breakpoint, watchpoint, step) is never delivered: the thread is held
    // with a plain STOP, released synchronously by the resume packet (no promise turn).
    if (ev) return this.holdWith(ts, ev) | SignalAction.IGN;
    const gdbSig = gdbSignalFromLinux(sig);
    if (this.passSignals.has(gdbSig) && sig !== SIGTRAP) return this.resumeKind(ts) | SignalAction.DELIVER;
    ev = { kind: 'thread', ts, signal: gdbSig };
    return new Promise<number>((resolve) => {
      ts.gate = resolve;
      ts.gateReport = rep;
      this.markHeld(ts);
      this.queueStop(ev!);
    });
  }

  private conditionTrue(ts: ThreadState, conds: Buffer[]): boolean {
    const gpr = ts.task.regs().buf; // read only: no copy
    let fp: Buffer | undefined;
    const r = evaluateConditions(conds, {
      readRegister: (n) => {
        // General registers straight from the stop's cached user_regs_struct; the FP set is
        // fetched only for an FP or vector register.
        const reg = AMD64_REGISTERS[n];
        if (reg?.source.buf === 'gpr') {
          const off = reg.source.slot * 8;
          return reg.size === 8 ? gpr.readBigUInt64LE(off) : BigInt(gpr.readUInt32LE(off));
        }
        fp ??= ts.task.regset('fp');
        const v = readRegisterValue(n, gpr, fp);
        if (v === undefined) throw new Error(`no register ${n}`);
        return v;
      },
      readMemory: (addr, len) => {
        const b = ts.task.readMemory(addr, len);
        return b.length === len ? b : undefined;
      },
    });
    if (r.error) this.log(`breakpoint condition: ${r.error}`);
    return r.stop;
  }

  /** A false target-side condition: step over the breakpoint here, without gdb. Other
   * threads of the process are held meanwhile so none runs past the lifted int3. */
  private stepOverBreakpoint(ts: ThreadState, addr: bigint): number | Promise<number> {
    const others = ts.inf.live().filter((o) => o !== ts && !o.held);
    // Nothing else runs: the instruction under the int3 is emulated when the core can (the
    // int3 stays; no single-step trap).
    if (others.length === 0 && !hasWatchpoints(ts.inf)) {
      try {
        if (ts.task.emulateStep(ts.inf.owner)) return this.proceed(ts) | SignalAction.IGN;
      } catch {
        /* gone */
      }
    }
    ts.busy = true;
    const step = (): number => {
      try {
        ts.inf.proc.removeBreakpoint(ts.inf.owner!, addr);
      } catch {
        /* gone */
      }
      ts.stepOver = { addr, others };
      return Resume.SINGLESTEP | SignalAction.IGN;
    };
    // Nothing else runs (one thread, or all held): no promise turn.
    if (others.length === 0) return step();
    return Promise.all(others.map((o) => this.holdThread(o))).then(step);
  }

  private finishStepOver(ts: ThreadState): number {
    const { addr, others } = ts.stepOver!;
    ts.stepOver = undefined;
    ts.busy = false;
    if (ts.inf.swbps.has(addr)) {
      try {
        ts.inf.proc.insertBreakpoint(ts.inf.owner!, addr);
      } catch {
        /* unmapped meanwhile */
      }
    }
    if (this.running) {
      for (const o of others) {
        if (o.held && o.resumed && !o.gone && !o.stopRequested && !this.queue.some((e) => e.kind === 'thread' && e.ts === o)) {
          this.release(o, this.resumeKind(o), 0);
        }
      }
    }
    return this.proceed(ts);
  }

  private onClone(ts: ThreadState, flags: bigint, child: Task): number {
    this.dbg(`clone ${ts.tid} -> ${child.tid} flags ${flags.toString(16)}`);
    if (flags & CLONE_THREAD) {
      if (!this.nonStop && ts.inf.live().length === 1) this.condBpsToDebugRegs(ts.inf);
      const cts = this.addThread(ts.inf, child);
      cts.resumed = ts.resumed;
      cts.resumeAction = { action: 'c' };
      // A report pass at its first stop, in the same drain as the stop: debug registers
      // (per thread, not inherited) are copied there, and it runs on or stays held as the
      // others do. (A STOP and a promise would keep it until the event loop turns.)
      cts.fresh = true;
      try {
        cts.engine.control(Resume.REPORT);
      } catch {
        this.markGone(cts); // died at once
      }
      return this.proceed(ts);
    }
    const vfork = (flags & CLONE_VFORK) !== 0n;
    if (!supports(this.q, vfork ? 'vfork-events' : 'fork-events')) return this.proceed(ts); // the core detaches the child
    const cinf = this.addInferior(child.process, ts.inf.attached);
    const cts = this.addThread(cinf, child);
    cts.stopRequested = true;
    const gen = cts.gen;
    if (cts.engine.control(Resume.STOP) === undefined) this.markHeld(cts);
    else cts.engine.stopped().then(() => cts.gen === gen && this.markHeld(cts), () => this.markGone(cts));
    if (vfork) {
      ts.vforkWait = true;
      this.updateEvents();
    }
    return this.holdWith(ts, {
      kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason: { kind: vfork ? 'vfork' : 'fork', child: { pid: child.tid, tid: child.tid } },
    });
  }

  /** The first stop of a new thread (its owed report pass). */
  private onNewThread(cts: ThreadState): number {
    cts.fresh = false;
    this.dbg(`new thread ${cts.tid} stopped (resumed ${cts.resumed})`);
    if (cts.inf.hw.some((s) => s)) {
      try {
        this.applyDebugRegs(cts);
      } catch (e) {
        this.log(`debug registers for new thread ${cts.tid}: ${String(e)}`);
      }
    }
    if (this.nonStop && this.threadEvents && cts.resumed) {
      return this.holdWith(cts, { kind: 'thread', ts: cts, signal: GDB_SIGNAL.TRAP, reason: { kind: 'create' } });
    }
    return this.proceed(cts);
  }

  private onExec(ts: ThreadState, exec: ExecReport): number {
    const inf = ts.inf;
    inf.swbps.clear(); // a new address space: the core dropped its table too
    inf.drBps.clear();
    inf.hw = [null, null, null, null];
    inf.rDebug = 0n;
    inf.svr4Doc = undefined;
    this.threadsXml = undefined;
    if (inf.expectExecs > 0) {
      if (--inf.expectExecs > 0) return Resume.RESUME; // the shell's exec
      this.markHeld(ts);
      inf.started?.();
      inf.started = undefined;
      return Resume.STOP;
    }
    const reason: StopReason | undefined = supports(this.q, 'exec-events') ? { kind: 'exec', path: exec.filename } : undefined;
    return this.holdWith(ts, { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason });
  }

  private onSyscall(ts: ThreadState, call: SyscallReport, entry: boolean): number | void {
    if (!entry && ts.vforkWait) {
      // The first syscall exit after the vfork event is the vfork's own return: the child
      // has exec'd or exited and released the shared memory.
      ts.vforkWait = false;
      this.updateEvents();
      return this.holdWith(ts, { kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, reason: { kind: 'vforkdone' } });
    }
    const c = this.catchSyscalls;
    if (c && (c.all || c.nrs.has(call.nr)) && ts.resumed) {
      return this.holdWith(ts, {
        kind: 'thread', ts, signal: GDB_SIGNAL.TRAP,
        reason: { kind: entry ? 'syscall_entry' : 'syscall_return', syscall: call.nr },
      });
    }
    if (ts.stepping) return Resume.SINGLESTEP;
    return undefined;
  }

  private updateEvents(): void {
    for (const ts of this.allThreads()) {
      try {
        ts.engine.setEvents(this.eventMask() | (ts.vforkWait ? Event.SYSCALL_EXIT : 0));
      } catch {
        /* dead */
      }
    }
  }

  // ================================================================ debug registers

  private dr7(inf: Inferior): bigint {
    let v = 0n;
    inf.hw.forEach((s, i) => {
      if (!s) return;
      const lenBits = s.len === 1 ? 0n : s.len === 2 ? 1n : s.len === 8 ? 2n : 3n;
      v |= 1n << BigInt(2 * i);
      v |= (BigInt(s.rw) | (lenBits << 2n)) << BigInt(16 + 4 * i);
    });
    return v ? v | 0x100n : 0n; // LE: exact data breakpoints, as gdbserver sets
  }

  private applyDebugRegs(ts: ThreadState): void {
    const inf = ts.inf;
    const t = ts.task;
    t.setDebugReg(7, 0n);
    inf.hw.forEach((s, i) => t.setDebugReg(i, s ? s.addr : 0n));
    t.setDebugReg(7, this.dr7(inf));
  }

  /** The slot whose DR6 hit bit is set; DR6 is cleared (the CPU never clears it). */
  private debugHit(ts: ThreadState): HwSlot | undefined {
    if (!ts.inf.hw.some((s) => s)) return undefined;
    let dr6: bigint;
    try {
      dr6 = ts.task.debugReg(6);
    } catch {
      return undefined;
    }
    if ((dr6 & 0xfn) === 0n) return undefined;
    ts.task.setDebugReg(6, 0n);
    for (let i = 0; i < 4; i++) {
      const s = ts.inf.hw[i];
      if (dr6 & (1n << BigInt(i)) && s) return s;
    }
    return undefined;
  }

  /** DR6 hit bits -> stop reason. */
  private checkDebugStatus(ts: ThreadState): StopReason | undefined {
    const s = this.debugHit(ts);
    if (!s) return undefined;
    if (s.zType === 0) return { kind: 'swbreak' };
    if (s.zType === 1) return { kind: 'hwbreak' };
    return { kind: s.zType === 2 ? 'watch' : s.zType === 3 ? 'rwatch' : 'awatch', address: s.zAddr };
  }

  /**
   * May a software breakpoint with target-side conditions be served by a debug register?
   * A false condition then costs one stop and no step-over: an execute breakpoint traps before
   * the instruction runs and the kernel sets RF in the saved flags, so the thread simply
   * continues (an int3 must be lifted, the instruction single-stepped with every other thread
   * held, and the int3 put back). Only when a slot is free and every thread of the process is
   * held (debug registers are per thread and written with ptrace, and new threads get them at
   * their first stop), so all-stop only.
   */
  private drForConditions(inf: Inferior): boolean {
    if (this.nonStop || !inf.hw.includes(null)) return false;
    for (const t of inf.threads.values()) if (!t.held && isLive(t)) return false;
    return true;
  }

  private hwInsert(inf: Inferior, type: number, addr: bigint, len: number): boolean {
    if (inf.hw.some((s) => s && s.zType === type && s.zAddr === addr && s.zLen === len)) return true;
    const rw: 0 | 1 | 3 = type <= 1 ? 0 : type === 2 ? 1 : 3;
    const chunks: { addr: bigint; len: number }[] = [];
    if (type <= 1) chunks.push({ addr, len: 1 });
    else {
      // Split into naturally aligned 1/2/4/8-byte pieces, one debug register each.
      let a = addr;
      let left = len;
      while (left > 0) {
        let size = 8;
        while (size > 1 && (a % BigInt(size) !== 0n || size > left)) size >>= 1;
        chunks.push({ addr: a, len: size });
        a += BigInt(size);
        left -= size;
      }
    }
    if (type !== 0) this.evictDrBps(inf, chunks.length);
    const free = inf.hw.map((s, i) => (s ? -1 : i)).filter((i) => i >= 0);
    if (chunks.length > free.length || len <= 0) return false;
    chunks.forEach((c, k) => {
      inf.hw[free[k]!] = { rw, addr: c.addr, len: c.len, zType: type, zAddr: addr, zLen: len };
    });
    this.applyDebugRegsAll(inf);
    return true;
  }

  /** gdb's own hbreak/watchpoints come first: debug-register stand-ins for conditional
   * breakpoints give their slots up (and become int3s) until `need` slots are free. */
  private evictDrBps(inf: Inferior, need: number): void {
    for (let i = 0; i < 4 && inf.hw.filter((s) => !s).length < need; i++) {
      const s = inf.hw[i];
      if (!s || s.zType !== 0) continue;
      try {
        inf.proc.insertBreakpoint(inf.owner!, s.zAddr);
      } catch {
        continue; // unmapped: keep it on the debug register
      }
      inf.drBps.delete(s.zAddr);
      inf.hw[i] = null;
    }
  }

  private hwRemove(inf: Inferior, type: number, addr: bigint, len: number): void {
    inf.hw = inf.hw.map((s) => (s && s.zType === type && s.zAddr === addr && s.zLen === len ? null : s));
    this.applyDebugRegsAll(inf);
  }

  private applyDebugRegsAll(inf: Inferior): void {
    for (const ts of inf.live()) {
      try {
        this.applyDebugRegs(ts);
      } catch (e) {
        this.log(`debug registers on ${ts.tid}: ${String(e)}`);
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

  /** Interrupt (0x03, vCtrlC): stop everything and report SIGINT on the current thread; in
   * non-stop, stop one running thread (the current one if it runs) and report SIGINT. */
  interrupt(): void {
    const info = killInfo(SIGINT, SI_USER);
    if (this.nonStop) {
      const cur = this.gThread && !this.gThread.gone && this.gThread.resumed ? this.gThread : undefined;
      const ts = cur ?? this.allThreads().find((t) => t.resumed && !this.hasQueued(t));
      if (ts) this.stopNonStop(ts, GDB_SIGNAL.INT, info);
      return;
    }
    if (this.state !== 'running') return;
    const ts = (this.gThread && !this.gThread.gone ? this.gThread : undefined) ?? this.allThreads()[0];
    if (!ts) return;
    const ev: ThreadStop = { kind: 'thread', ts, signal: GDB_SIGNAL.INT };
    void this.holdThread(ts).then(() => {
      ts.siginfo = info;
    });
    this.queueStop(ev);
  }

  /** The client went away: detach what we attached to, kill what we started. */
  async disconnect(): Promise<void> {
    const w = this.stopWaiter;
    this.stopWaiter = undefined;
    w?.('');
    this.hostio.close();
    await this.releaseAll();
  }

  /** Leave no process stopped and no int3 behind: detach attached ones, kill started ones. */
  async releaseAll(): Promise<void> {
    for (const inf of [...this.inferiors.values()]) {
      try {
        if (inf.attached) await this.detach(inf);
        else await this.kill(inf);
      } catch (e) {
        this.log(`cleanup of process ${inf.pid}: ${String(e)}`);
      }
    }
  }

  async detach(inf: Inferior): Promise<void> {
    this.log(`Detaching from process ${inf.pid}`);
    this.forget(inf);
    const threads = [...inf.threads.values()].filter((t) => t.task.state !== 'dead');
    // Stop everything first: debug registers and memory need held threads.
    await this.withTimeout(Promise.all(threads.map((t) => (t.gate || t.held ? undefined : this.holdThreadForce(t)))), 'detach: threads did not stop').catch(() => undefined);
    inf.hw = [null, null, null, null];
    for (const ts of threads) {
      try {
        if (ts.held) this.applyDebugRegs(ts);
      } catch {
        /* dead */
      }
    }
    for (const addr of inf.swbps.keys()) {
      try {
        inf.proc.removeBreakpoint(inf.owner!, addr);
      } catch {
        /* gone */
      }
    }
    inf.swbps.clear();
    inf.drBps.clear();
    for (const ts of threads) {
      if (ts.gate) {
        // Hand back a real signal gdb has not seen consumed; drop our own traps.
        const rep = ts.gateReport!;
        const keep = rep.signo !== SIGTRAP && rep.signo !== SIGINT;
        ts.gate(Resume.RESUME | (keep ? SignalAction.DELIVER : SignalAction.IGN));
        ts.gate = undefined;
        await ts.engine.barrier();
      }
    }
    for (const ts of threads) {
      try {
        ts.engine.detach();
      } catch {
        /* already gone */
      }
    }
  }

  private holdThreadForce(ts: ThreadState): Promise<void> {
    ts.busy = false;
    return this.holdThread(ts);
  }

  async kill(inf: Inferior): Promise<void> {
    this.log(`Killing process(es): ${inf.pid}`);
    this.forget(inf);
    try {
      process.kill(inf.pid, SIGKILL);
    } catch {
      /* already gone */
    }
    for (const ts of inf.threads.values()) {
      if (ts.gate) {
        ts.gate(Resume.RESUME | SignalAction.IGN);
        ts.gate = undefined;
      } else {
        try {
          ts.engine.control(Resume.RESUME);
        } catch {
          /* dead */
        }
      }
    }
    await this.withTimeout(inf.proc.exit, `kill ${inf.pid}: no exit`).catch((e) => this.log(String(e)));
  }

  private withTimeout<T>(p: Promise<T>, what: string, ms = QUICK_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(what)), ms);
      p.then((v) => {
        clearTimeout(t);
        resolve(v);
      }, (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
  }

  // ================================================================ packets

  /** The RspConnection packet handler. */
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

  private errorReply(p: string, e: unknown): string {
    if (!(e instanceof RspParseError)) this.log(`'${p.slice(0, 40)}': ${e instanceof Error ? e.message : String(e)}`);
    return 'E01';
  }

  private dispatch(p: string, raw: Buffer): string | Buffer | undefined | typeof DEFERRED | Promise<string | Buffer | undefined> {
    const c = p[0];
    switch (c) {
      case 'q':
        return this.query(p);
      case 'Q':
        return this.setQ(p);
      case 'v':
        return this.vPacket(p);
      case '?':
        if (this.nonStop) return this.nonStopStatus();
        // Formatted now: qSupported (multiprocess) may have come after the stop.
        if (this.lastStop && !this.lastStop.ts.gone && this.state === 'stopped') return this.stopReply(this.lastStop.ts, this.lastStop);
        return this.lastReply;
      case '!':
        this.extended = true;
        return 'OK';
      case 'H':
        return this.setThread(p);
      case 'T':
        return this.threadAlive(p);
      case 'g':
        return this.readRegs();
      case 'G':
        return this.writeRegs(p.slice(1));
      case 'p':
        return this.readReg(p.slice(1));
      case 'P':
        return this.writeReg(p.slice(1));
      case 'm':
        return this.readMem(p.slice(1));
      case 'M':
        return this.writeMemHex(p.slice(1));
      case 'X':
        return this.writeMemBin(raw);
      case 'Z':
      case 'z':
        return this.breakpoint(p);
      case 'c':
      case 's':
      case 'C':
      case 'S':
        return this.legacyResume(p);
      case 'D':
        return this.detachPacket(p);
      case 'k':
        return this.killAll();
      default:
        return '';
    }
  }

  // ---------------------------------------------------------------- q / Q

  private query(p: string): string | Buffer | Promise<string | Buffer> {
    if (p.startsWith('qSupported')) return this.qSupported(p);
    if (p.startsWith('qXfer:')) return this.qXfer(p);
    if (p === 'qC') {
      const ts = this.currentThread();
      return ts ? `QC${formatThreadId(ts.id, this.multiprocess)}` : '';
    }
    if (p.startsWith('qAttached')) {
      const pid = p.length > 10 ? parsePid(p.slice(10)) : this.currentThread()?.inf.pid;
      const inf = pid === undefined ? undefined : this.inferiors.get(pid);
      if (!inf) return 'E01';
      return inf.attached ? '1' : '0';
    }
    if (p === 'qfThreadInfo') {
      const ids = this.allThreads().map((t) => formatThreadId(t.id, this.multiprocess));
      return ids.length ? 'm' + ids.join(',') : 'l';
    }
    if (p === 'qsThreadInfo') return 'l';
    if (p.startsWith('qSymbol')) return 'OK';
    if (p.startsWith('qRcmd,')) return this.monitor(hexDecodeString(p.slice(6)));
    return ''; // qTStatus, qOffsets, qGetTLSAddr, qThreadExtraInfo, …: unsupported
  }

  private qSupported(p: string): string {
    this.q = parseQSupported(p);
    this.threadEvents = false; // a new negotiation (a new gdb, or a reconnect)
    this.multiprocess = supports(this.q, 'multiprocess');
    this.avx = this.q.features.has('xmlRegisters') && cpuHasAvx();
    const f: Array<[string, string | boolean]> = [
      ['PacketSize', '47ff'], ['QPassSignals', true], ['QProgramSignals', true], ['QStartupWithShell', true],
      ['QEnvironmentHexEncoded', true], ['QEnvironmentReset', true], ['QEnvironmentUnset', true],
      ['QSetWorkingDir', true], ['QCatchSyscalls', true], ['qXfer:libraries-svr4:read', true],
      ['augmented-libraries-svr4-read', true], ['qXfer:features:read', true],
      ['qXfer:auxv:read', true], ['qXfer:exec-file:read', true], ['qXfer:threads:read', true],
      ['qXfer:siginfo:read', true], ['QStartNoAckMode', true], ['QDisableRandomization', true],
      ['ConditionalBreakpoints', true], ['multiprocess', this.multiprocess], ['QNonStop', true],
    ];
    if (supports(this.q, 'swbreak')) f.push(['swbreak', true]);
    if (supports(this.q, 'hwbreak')) f.push(['hwbreak', true]);
    for (const name of ['fork-events', 'vfork-events', 'exec-events']) if (supports(this.q, name)) f.push([name, true]);
    f.push(['vContSupported', true], ['QThreadEvents', true]);
    return formatQSupported(f);
  }

  private qXfer(p: string): string | Buffer | Promise<string | Buffer> {
    const x = parseQXferRead(p);
    if (!x) return '';
    let data: Buffer | undefined;
    switch (x.object) {
      case 'libraries-svr4': {
        const inf = this.currentThread()?.inf;
        if (!inf) return 'E01';
        if (x.offset > 0 && inf.svr4Doc) return qXferSlice(inf.svr4Doc, x.offset, x.length);
        return this.withMemory((ts) => {
          const doc = this.libraryList(ts, x.annex);
          if (doc === undefined) return 'E01';
          inf.svr4Doc = doc;
          return qXferSlice(doc, x.offset, x.length);
        });
      }
      case 'features':
        if (x.annex !== 'target.xml') return 'E00';
        data = targetXmlBuffer({ avx: this.avx });
        break;
      case 'auxv': {
        const inf = this.currentThread()?.inf;
        if (!inf) return 'E01';
        data = readProc(`/proc/${inf.pid}/auxv`);
        break;
      }
      case 'exec-file': {
        const pid = x.annex ? parsePid(x.annex) : this.currentThread()?.inf.pid;
        if (pid === undefined) return 'E01';
        try {
          data = Buffer.from(fs.readlinkSync(`/proc/${pid}/exe`));
        } catch {
          return 'E01';
        }
        break;
      }
      case 'threads':
        if (x.offset === 0 || !this.threadsXml) this.threadsXml = this.buildThreadsXml();
        data = this.threadsXml;
        break;
      case 'siginfo': {
        const ts = this.currentThread();
        if (!ts?.siginfo) return 'E01';
        data = ts.siginfo;
        break;
      }
      default:
        return '';
    }
    if (!data) return 'E01';
    return qXferSlice(data, x.offset, x.length);
  }

  /** The svr4 library list, read through a held thread of the current process. */
  private libraryList(ts: ThreadState, annex: string): Buffer | undefined {
    const inf = ts.inf;
    const read = (addr: bigint, len: number): Buffer | undefined => {
      try {
        return ts.task.readMemory(addr, len);
      } catch {
        return undefined;
      }
    };
    const doc = svr4LibraryList({
      read, annex,
      rDebug: () => {
        // Found once ld.so has set DT_DEBUG (0 before that), for this address space.
        if (!inf.rDebug) {
          const auxv = readProc(`/proc/${inf.pid}/auxv`);
          inf.rDebug = auxv ? findRDebug(read, auxv) : NO_R_DEBUG;
        }
        return inf.rDebug;
      },
      warn: (m) => this.log(m),
    });
    return doc === undefined ? undefined : Buffer.from(doc, 'latin1');
  }

  private buildThreadsXml(): Buffer {
    const lines = ['<threads>'];
    for (const ts of this.allThreads()) {
      let name = '';
      try {
        name = fs.readFileSync(`/proc/${ts.inf.pid}/task/${ts.tid}/comm`, 'utf8').trim();
      } catch {
        /* gone */
      }
      lines.push(`<thread id="${formatThreadId(ts.id, this.multiprocess)}" core="${coreOf(ts)}" name="${xmlEscape(name)}"/>`);
    }
    lines.push('</threads>');
    return Buffer.from(lines.join('\n'));
  }

  /** QNonStop:0: back to all-stop; every thread is stopped first (gdb sends it on every
   * connect, when nothing runs). */
  private allStop(): string | Promise<string> {
    if (!this.nonStop) return 'OK';
    this.nonStop = false;
    this.notifHead = undefined;
    this.notifPending = false;
    this.queue = this.queue.filter((ev) => ev.kind !== 'texit');
    this.state = 'stopping';
    return this.withTimeout(this.stopAll(), 'threads did not stop').then(() => {
      for (const ts of this.allThreads()) {
        ts.resumed = false;
        ts.stepping = false;
        ts.range = undefined;
      }
      this.state = 'stopped';
      return 'OK';
    });
  }

  private setQ(p: string): string | Promise<string> {
    if (p === 'QStartNoAckMode') return 'OK';
    if (p === 'QNonStop:1') {
      this.nonStop = true;
      this.state = 'stopped';
      return 'OK';
    }
    if (p === 'QNonStop:0') return this.allStop();
    if (p.startsWith('QThreadEvents:')) {
      if (p !== 'QThreadEvents:0' && p !== 'QThreadEvents:1') return 'E01';
      this.threadEvents = p.endsWith('1');
      return 'OK';
    }
    if (p.startsWith('QPassSignals:')) {
      let set = this.passSignalsSeen.get(p);
      if (!set) {
        set = new Set(p.slice(13).split(';').filter(Boolean).map(parseHexNumber));
        if (this.passSignalsSeen.size >= 8) this.passSignalsSeen.clear();
        this.passSignalsSeen.set(p, set);
      }
      this.passSignals = set;
      return 'OK';
    }
    if (p.startsWith('QProgramSignals:')) return 'OK';
    if (p.startsWith('QCatchSyscalls:')) {
      const parts = p.slice(15).split(';');
      if (parts[0] === '0') this.catchSyscalls = undefined;
      else if (parts[0] === '1') {
        const nrs = parts.slice(1).filter(Boolean).map(parseHexNumber);
        this.catchSyscalls = { all: nrs.length === 0, nrs: new Set(nrs) };
      } else return 'E01';
      this.updateEvents();
      return 'OK';
    }
    if (p === 'QEnvironmentReset') {
      this.env = { ...process.env };
      return 'OK';
    }
    if (p.startsWith('QEnvironmentHexEncoded:')) {
      const kv = hexDecodeString(p.slice(23));
      const eq = kv.indexOf('=');
      if (eq < 0) return 'E01';
      this.env[kv.slice(0, eq)] = kv.slice(eq + 1);
      return 'OK';
    }
    if (p.startsWith('QEnvironmentUnset:')) {
      delete this.env[hexDecodeString(p.slice(18))];
      return 'OK';
    }
    if (p.startsWith('QSetWorkingDir:')) {
      const d = p.slice(15);
      this.cwd = d ? hexDecodeString(d) : undefined;
      return 'OK';
    }
    if (p.startsWith('QStartupWithShell:')) {
      this.startupWithShell = p.endsWith(':1');
      return 'OK';
    }
    if (p.startsWith('QDisableRandomization:')) {
      this.noAslr = p.endsWith(':1');
      return 'OK';
    }
    return '';
  }

  private monitor(cmd: string): string {
    const out = (text: string): void => this.conn?.send(formatConsoleOutput(text));
    const c = cmd.trim();
    if (c === 'help') {
      out('The following monitor commands are supported:\n  help\n    Print this message\n  exit\n    Quit the server\n');
      return 'OK';
    }
    if (c === 'exit') {
      setImmediate(() => this.opts.onExitRequest?.());
      return 'OK';
    }
    out(`Unknown monitor command.\n\n`);
    return 'OK';
  }

  // ---------------------------------------------------------------- threads

  private currentThread(): ThreadState | undefined {
    const g = this.gThread;
    if (g && isLive(g)) return g;
    const first = this.allThreads()[0];
    this.gThread = first;
    return first;
  }

  private findThread(id: ThreadId): ThreadState | undefined {
    if (id.tid === THREAD_ANY || id.tid === THREAD_ALL) {
      if (id.pid === THREAD_ANY || id.pid === THREAD_ALL) return this.currentThread() ?? this.allThreads()[0];
      return this.inferiors.get(id.pid)?.live()[0];
    }
    for (const ts of this.allThreads()) if (ts.tid === id.tid && (id.pid <= 0 || ts.inf.pid === id.pid)) return ts;
    return undefined;
  }

  private setThread(p: string): string {
    const kind = p[1];
    const id = parseThreadId(p.slice(2));
    if (kind === 'c') return id.tid === THREAD_ALL ? 'OK' : this.findThread(id) ? 'OK' : 'E01';
    if (kind !== 'g') return '';
    if (id.tid === THREAD_ALL && id.pid === THREAD_ALL) return this.currentThread() ? 'OK' : 'E01';
    const ts = this.findThread(id);
    if (!ts) return 'E01';
    this.gThread = ts;
    return 'OK';
  }

  private threadAlive(p: string): string {
    const ts = this.findThread(parseThreadId(p.slice(1)));
    return ts && isLive(ts) ? 'OK' : 'E01';
  }

  private needThread(): ThreadState {
    const ts = this.currentThread();
    if (!ts) throw new Error('no thread');
    return ts;
  }

  // ---------------------------------------------------------------- registers and memory

  /** The current thread, for register access: E01 while it runs (non-stop). */
  private regThread(): ThreadState {
    const ts = this.needThread();
    if (!ts.held) throw new RspParseError('the selected thread is running');
    return ts;
  }

  private regBuffers(ts: ThreadState): { gpr: Buffer; fp: Buffer; xstate: Buffer | undefined } {
    const t = ts.task;
    return { gpr: t.regset('general'), fp: t.regset('fp'), xstate: this.avx ? t.regset('xstate') : undefined };
  }

  private readRegs(): string {
    const { gpr, fp, xstate } = this.regBuffers(this.regThread());
    return encodeG(gpr, fp, xstate, this.avx);
  }

  private storeRegs(ts: ThreadState, r: ReturnType<typeof decodeG>): void {
    if (r.changed.gpr) ts.task.setRegset('general', r.gpr);
    if (r.changed.xstate && r.xstate) ts.task.setRegset('xstate', r.xstate);
    else if (r.changed.fp) ts.task.setRegset('fp', r.fp);
  }

  private writeRegs(hex: string): string {
    const ts = this.regThread();
    const { gpr, fp, xstate } = this.regBuffers(ts);
    this.storeRegs(ts, decodeG(hex, gpr, fp, xstate));
    return 'OK';
  }

  private readReg(text: string): string {
    const { gpr, fp, xstate } = this.regBuffers(this.regThread());
    return readRegister(parseHexNumber(text), gpr, fp, xstate, this.avx) ?? 'E01';
  }

  private writeReg(text: string): string {
    const eq = text.indexOf('=');
    if (eq < 0) throw new RspParseError('P needs n=value');
    const ts = this.regThread();
    const { gpr, fp, xstate } = this.regBuffers(ts);
    const n = parseHexNumber(text.slice(0, eq));
    if (n >= (this.avx ? 76 : 60)) return 'E01';
    this.storeRegs(ts, writeRegister(n, text.slice(eq + 1), gpr, fp, xstate));
    return 'OK';
  }

  private parseAddrLen(text: string): [bigint, number] {
    const comma = text.indexOf(',');
    if (comma < 0) throw new RspParseError('expected addr,length');
    return [parseHexBigInt(text.slice(0, comma)), parseHexNumber(text.slice(comma + 1))];
  }

  /**
   * Run a memory access of the current process through a thread the core lets us use: the
   * current thread when held, else another held thread of the process (they share the
   * address space). In non-stop gdb also reads memory while the selected thread runs
   * (`print global`); when every thread runs, the current one is paused for the access.
   */
  private withMemory<T>(fn: (ts: ThreadState) => T): T | Promise<T> {
    const ts = this.needThread();
    if (ts.held) return fn(ts);
    for (const o of ts.inf.threads.values()) if (o.held && !o.gone) return fn(o);
    return this.withTimeout(this.holdThread(ts), 'thread did not stop for a memory access').then(() => {
      try {
        return fn(ts);
      } finally {
        if (this.nonStop && ts.resumed && ts.held && !ts.tStop && !this.hasQueued(ts)) this.release(ts, this.resumeKind(ts), 0);
      }
    });
  }

  private readMem(text: string): string | Promise<string> {
    const [addr, len] = this.parseAddrLen(text);
    if (len > 0x100000) return 'E01';
    return this.withMemory((ts) => {
      let b: Buffer;
      try {
        b = ts.task.readMemory(addr, len);
      } catch {
        return 'E01';
      }
      if (b.length === 0 && len > 0) return 'E01';
      return hexEncode(b);
    });
  }

  private writeMem(addr: bigint, data: Buffer): string | Promise<string> {
    if (data.length === 0) return 'OK';
    return this.withMemory((ts) => (ts.task.writeMemory(addr, data) === data.length ? 'OK' : 'E01'));
  }

  private writeMemHex(text: string): string | Promise<string> {
    const colon = text.indexOf(':');
    if (colon < 0) throw new RspParseError('M needs addr,len:data');
    const [addr, len] = this.parseAddrLen(text.slice(0, colon));
    const data = hexDecode(text.slice(colon + 1));
    if (data.length !== len) throw new RspParseError('M length mismatch');
    return this.writeMem(addr, data);
  }

  private writeMemBin(raw: Buffer): string | Promise<string> {
    const colon = raw.indexOf(0x3a);
    if (colon < 0) throw new RspParseError('X needs addr,len:data');
    const [addr, len] = this.parseAddrLen(raw.toString('latin1', 1, colon));
    const data = raw.subarray(colon + 1);
    if (data.length !== len) throw new RspParseError('X length mismatch');
    if (len === 0) return 'OK'; // gdb's probe for X support
    return this.writeMem(addr, data);
  }

  // ---------------------------------------------------------------- breakpoints

  private breakpoint(p: string): string {
    const z = parseZPacket(p);
    if (z.type === 3 || z.type > 4) return ''; // x86 cannot trap reads only: gdb retries with Z4
    const ts = this.needThread();
    const inf = ts.inf;
    if (z.type === 0) {
      if (z.insert) {
        const conds = z.options.conditions;
        // Inserted again (gdb does so when the conditions change): same kind as before.
        if (inf.drBps.has(z.addr)) {
          inf.swbps.set(z.addr, conds);
          return 'OK';
        }
        // A debug register spares a false condition the step over the breakpoint, but traps
        // with a #DB (~15 us on a VM). A single-threaded process whose instruction there the
        // core can emulate does better with an int3 (~1 us) and the emulated step.
        const emulated = conds.length > 0 && inf.live().length === 1 && this.emulable(ts, z.addr);
        if (conds.length && !emulated && !inf.swbps.has(z.addr) && this.drForConditions(inf) && this.hwInsert(inf, 0, z.addr, 1)) {
          inf.drBps.add(z.addr);
          inf.swbps.set(z.addr, conds);
          return 'OK';
        }
        try {
          inf.proc.insertBreakpoint(inf.owner!, z.addr);
        } catch {
          return 'E01';
        }
        inf.swbps.set(z.addr, conds);
      } else {
        // OK even when absent: gdb removes inherited breakpoints from fork children.
        inf.swbps.delete(z.addr);
        if (inf.drBps.delete(z.addr)) {
          this.hwRemove(inf, 0, z.addr, 1);
          return 'OK';
        }
        try {
          inf.proc.removeBreakpoint(inf.owner!, z.addr);
        } catch {
          return 'E01';
        }
      }
      return 'OK';
    }
    if (z.insert) return this.hwInsert(inf, z.type, z.addr, z.type === 1 ? 1 : z.kind) ? 'OK' : 'E01';
    this.hwRemove(inf, z.type, z.addr, z.type === 1 ? 1 : z.kind);
    return 'OK';
  }

  // ---------------------------------------------------------------- resume

  private legacyResume(p: string): string | typeof DEFERRED {
    const sig = p[0] === 'C' || p[0] === 'S' ? p.slice(1, 3) : '';
    const ts = this.currentThread();
    const kind = p[0]!.toLowerCase();
    const actions: VContAction[] = [];
    if (ts) actions.push({ action: (kind + (sig ? '' : '')) as 'c' | 's', thread: ts.id, ...(sig ? { signal: parseInt(sig, 16) } : {}) });
    if (sig && ts) actions[0]!.action = kind === 's' ? 'S' : 'C';
    if (kind === 'c') actions.push({ action: 'c' });
    return this.resume(actions);
  }

  /**
   * Non-stop vCont: each thread takes its leftmost matching action; threads gdb counts as
   * running ignore c/s/r, stopped ones ignore t. Answered OK at once; stops follow as
   * notifications.
   */
  private resumeNonStop(actions: VContAction[]): string {
    const threads = this.allThreads();
    const resolved = resolveVCont(actions, threads.map((ts) => ({ pid: ts.inf.pid, tid: ts.tid, ts })));
    for (const { thread: { ts }, action: a } of resolved) {
      if (!a) continue;
      if (a.action === 't') {
        this.stopNonStop(ts, GDB_SIGNAL.NONE);
        continue;
      }
      if (ts.resumed || this.hasQueued(ts)) continue;
      ts.resumed = true;
      ts.resumeAction = a;
      ts.stepping = a.action === 's' || a.action === 'S' || a.action === 'r';
      ts.range = a.action === 'r' ? { start: a.start!, end: a.end! } : undefined;
      const sig = a.signal !== undefined ? linuxSignalFromGdb(a.signal) ?? 0 : 0;
      this.release(ts, this.resumeKind(ts), sig);
    }
    return 'OK';
  }

  /** Non-stop: stop one thread gdb counts as running and report it with `signal`
   * (0 for vCont;t, SIGINT for vCtrlC), unless another stop of it is on its way. */
  private stopNonStop(ts: ThreadState, signal: number, info?: Buffer): void {
    if (!ts.resumed || ts.gone || this.hasQueued(ts)) return;
    ts.tStop = true;
    const report = (): void => {
      ts.tStop = false;
      if (ts.gone || !ts.resumed || !ts.held || this.hasQueued(ts)) return;
      // gdbserver stops a thread with a SIGSTOP it sends (tkill), and `$_siginfo` then shows
      // that; we stop it with PTRACE_INTERRUPT, which has no siginfo of its own: show the same.
      ts.siginfo = info ?? killInfo(SIGSTOP, SI_TKILL);
      this.queueStop({ kind: 'thread', ts, signal });
    };
    if (ts.held) report();
    else void this.holdThread(ts).then(report);
  }

  private resume(actions: VContAction[]): string | typeof DEFERRED {
    if (this.nonStop) return this.resumeNonStop(actions);
    const threads = this.allThreads();
    if (threads.length === 0) return this.lastReply.startsWith('W') || this.lastReply.startsWith('X') ? this.lastReply : 'W00';
    // Once per resume packet (two per breakpoint hit with host-side conditions): plain loops.
    const go: { ts: ThreadState; action: VContAction }[] = [];
    for (const ts of threads) {
      const action = vContActionFor(actions, ts.inf.pid, ts.tid, true);
      if (action) go.push({ ts, action });
    }
    // Stops already queued for threads gdb resumes are reported without running anything.
    let pending = -1;
    if (this.queue.length > 0) {
      this.queue = this.queue.filter((ev) => this.validStop(ev));
      pending = this.queue.findIndex((ev) => ev.kind === 'exit' || go.some((r) => r.ts === ev.ts));
    }
    // The stop reply goes out from deliverStop itself, at once (often from inside the drain
    // that saw the stop), and ends the connection's turn there too.
    const conn = this.conn;
    const waiter = (r: string): void => {
      if (r !== '') conn?.send(r);
      conn?.complete();
    };
    if (pending >= 0) {
      const [ev] = this.queue.splice(pending, 1);
      this.stopWaiter = waiter;
      this.deliverStop(ev!);
      return DEFERRED;
    }
    if (go.length === 0) return 'E01';
    this.stopWaiter = waiter;
    // One thread stepped and nothing else resumed: what the core can emulate is executed
    // without running the thread (no trap, no context switch) and the stop told at once.
    if (go.length === 1 && this.emulateSteps(go[0]!.ts, go[0]!.action)) {
      const ts = go[0]!.ts;
      ts.siginfo = undefined; // as after a real step
      this.deliverStop({ kind: 'thread', ts, signal: GDB_SIGNAL.TRAP, emulated: true });
      return DEFERRED;
    }
    for (const { ts, action } of go) {
      const a = action!;
      ts.resumed = true;
      ts.resumeAction = a;
      ts.stepping = a.action === 's' || a.action === 'S' || a.action === 'r';
      ts.range = a.action === 'r' ? { start: a.start!, end: a.end! } : undefined;
    }
    this.state = 'running';
    for (const { ts, action } of go) {
      const a = action!;
      const sig = a.signal !== undefined ? linuxSignalFromGdb(a.signal) ?? 0 : 0;
      this.release(ts, this.resumeKind(ts), sig);
    }
    return DEFERRED;
  }

  /**
   * vCont;s or ;r of the only thread gdb resumes (all-stop), with no signal: emulate its
   * instructions (Task.emulateStep) instead of single-stepping them, one for s, until the PC
   * leaves the range for r. True when the step is done; false to step for real (from wherever
   * emulation stopped). Not with watchpoints set: they must fire for the accesses.
   */
  private emulateSteps(ts: ThreadState, a: VContAction): boolean {
    if ((a.action !== 's' && a.action !== 'r') || a.signal !== undefined) return false;
    if (!ts.held || ts.gate || ts.injectSig || ts.stepOver || ts.fresh || ts.gone) return false;
    if (hasWatchpoints(ts.inf)) return false;
    try {
      for (let n = 0; n < MAX_EMULATED_RANGE_STEP; n++) {
        // A debug-register breakpoint on the instruction traps before it runs: step for real.
        const pc0 = ts.task.regs().pc;
        if (ts.inf.hw.some((s) => s !== null && s.zType <= 1 && s.zAddr === pc0)) return false;
        if (!ts.task.emulateStep()) return false;
        if (a.action === 's') return true;
        const pc = ts.task.regs().pc;
        if (pc < a.start! || pc >= a.end!) return true;
      }
    } catch {
      /* gone: the real resume reports it */
    }
    return false;
  }

  /**
   * The process gets its second thread (the parent stopped here, the child not yet running):
   * conditional breakpoints kept as int3s for their emulated step-over (single-threaded
   * processes only) move to free debug registers, which need no step-over while other threads
   * run. The child copies the debug registers at its first stop.
   */
  private condBpsToDebugRegs(inf: Inferior): void {
    for (const [addr, conds] of inf.swbps) {
      if (!conds.length || inf.drBps.has(addr) || !inf.hw.includes(null)) continue;
      if (!this.hwInsert(inf, 0, addr, 1)) continue;
      inf.drBps.add(addr);
      try {
        inf.proc.removeBreakpoint(inf.owner!, addr);
      } catch {
        /* unmapped meanwhile */
      }
    }
  }

  /** Would Task.emulateStep know the instruction at addr? (Its operands are not read.) */
  private emulable(ts: ThreadState, addr: bigint): boolean {
    try {
      const regs = ts.task.regs().clone();
      regs.pc = addr;
      return emulate(ts.task.readMemory(addr, 15), regs, { load: () => 0n }) !== undefined;
    } catch {
      return false;
    }
  }

  // ---------------------------------------------------------------- v packets

  private vPacket(p: string): string | Buffer | typeof DEFERRED | Promise<string | Buffer | undefined> {
    if (p === 'vCont?') return VCONT_SUPPORTED_REPLY;
    if (p.startsWith('vCont;')) return this.resume(parseVCont(p));
    if (p.startsWith('vFile:')) return this.hostio(p);
    if (p.startsWith('vKill;')) {
      const inf = this.inferiors.get(parsePid(p.slice(6)));
      if (!inf) return 'E01';
      return this.kill(inf).then(() => 'OK');
    }
    if (p.startsWith('vRun;')) return this.vRun(p);
    if (p.startsWith('vAttach;')) return this.vAttach(parsePid(p.slice(8)));
    if (p === 'vCtrlC') {
      this.interrupt();
      return 'OK';
    }
    if (p === 'vStopped') return this.nonStop ? this.vStopped() : '';
    return ''; // vMustReplyEmpty and anything unknown
  }

  private async vRun(p: string): Promise<string> {
    const parts = p.slice(5).split(';').map((h) => hexDecodeString(h));
    let argv = parts;
    if (!argv[0]) {
      if (!this.lastProgram) return 'E01';
      argv = [this.lastProgram[0]!, ...parts.slice(1)];
    }
    try {
      await this.launch(argv);
    } catch (e) {
      this.log(`vRun: ${e instanceof Error ? e.message : String(e)}`);
      return 'E01';
    }
    this.log(`Process ${argv[0]} created; pid = ${this.gThread?.inf.pid}`);
    return this.lastReply;
  }

  private async vAttach(pid: number): Promise<string> {
    try {
      await this.attach(pid);
    } catch (e) {
      this.log(`vAttach: ${e instanceof Error ? e.message : String(e)}`);
      return 'E01';
    }
    this.log(`Attached; pid = ${pid}`);
    // Non-stop: no stop reply; gdb stops the threads with vCont;t and hears T00 for each.
    return this.nonStop ? 'OK' : this.lastReply;
  }

  private async detachPacket(p: string): Promise<string | undefined> {
    const pid = p.startsWith('D;') ? parsePid(p.slice(2)) : this.currentThread()?.inf.pid;
    const inf = pid === undefined ? undefined : this.inferiors.get(pid);
    if (!inf) return 'E01';
    await this.detach(inf);
    if (!this.extended && this.inferiors.size === 0) setImmediate(() => this.opts.onExitRequest?.());
    return 'OK';
  }

  private async killAll(): Promise<undefined> {
    for (const inf of [...this.inferiors.values()]) await this.kill(inf);
    this.lastReply = 'X09';
    if (!this.extended) setImmediate(() => this.opts.onExitRequest?.());
    return undefined;
  }
}

// ---------------------------------------------------------------- helpers

/** The siginfo of a signal we sent with kill/tkill. */
function killInfo(signo: number, code: number): Buffer {
  const info = Buffer.alloc(128);
  info.writeInt32LE(signo, 0);
  info.writeInt32LE(code, 8);
  info.writeInt32LE(process.pid, 16);
  info.writeUInt32LE(process.getuid?.() ?? 0, 20);
  return info;
}

function shQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

function readProc(path: string): Buffer | undefined {
  try {
    return fs.readFileSync(path);
  } catch {
    return undefined;
  }
}

const statBuf = Buffer.alloc(1024);

/**
 * The CPU a thread last ran on (field 39 of /proc/PID/task/TID/stat), for the `core:` of stop
 * replies, as gdbserver reports it. Read at every stop, so the file stays open per thread and
 * is re-read with one pread (the kernel regenerates it at offset 0) instead of open, fstat,
 * read, read and close.
 */
/** Watchpoints on the debug registers: emulated accesses would not trigger them. */
function hasWatchpoints(inf: Inferior): boolean {
  return inf.hw.some((s) => s !== null && s.zType >= 2);
}

function coreOf(ts: ThreadState): number | undefined {
  let n = 0;
  try {
    if (ts.statFd === undefined) ts.statFd = fs.openSync(`/proc/${ts.inf.pid}/task/${ts.tid}/stat`, 'r');
    n = fs.readSync(ts.statFd, statBuf, 0, statBuf.length, 0);
  } catch {
    closeStat(ts);
    return undefined;
  }
  // Field 39 is the 37th after "pid (comm) ": count spaces from the last ')' (a plain loop:
  // 36 Buffer.indexOf calls cost more than the bytes they skip).
  let i = statBuf.lastIndexOf(0x29, n - 1) + 2;
  if (i <= 1) return undefined;
  for (let spaces = 0; i < n && spaces < 36; i++) if (statBuf[i] === 0x20) spaces++;
  if (i >= n) return undefined;
  let core = 0;
  let digits = 0;
  for (; i < n && statBuf[i]! >= 0x30 && statBuf[i]! <= 0x39; i++, digits++) core = core * 10 + statBuf[i]! - 0x30;
  return (ts.lastCore = digits ? core : undefined);
}

function closeStat(ts: ThreadState): void {
  if (ts.statFd === undefined) return;
  try {
    fs.closeSync(ts.statFd);
  } catch {
    /* closed */
  }
  ts.statFd = undefined;
}

let avxCache: boolean | undefined;
/** Serve ymm only where the kernel's XSAVE area carries AVX state. */
function cpuHasAvx(): boolean {
  if (avxCache === undefined) {
    try {
      avxCache = /\bavx\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    } catch {
      avxCache = false;
    }
  }
  return avxCache && XSTATE_MIN_AVX_SIZE > 0;
}
