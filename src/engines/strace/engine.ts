/**
 * The strace engine: wires the decoders and the formatter to the engine API. Written only
 * against the public API (src/index.ts), like any user's engine: one engine per traced
 * thread, following new threads and processes from reportClone when -f is given.
 */
import {
  Attach, Event, Resume, SYSCALLS, SyscallAction, detachEngines, procDir,
  type Engine, type EngineOps, type SignalReport, type SyscallReport, type Task, type Tracer,
} from '../../api.js';
import { DEFAULT_DECODE_OPTIONS, type DecodeOptions } from './printer.js';
import { decodeEntry, type DecodedSyscall } from './syscall.js';
import { PerTaskFormatter, TraceFormatter, type FormatOptions, type TaskOutput, type Formatter } from './format.js';
import { InjectState, type InjectRule, type Poke } from '../qualifier/inject.js';
import { applyPokes } from '../qualifier/poke.js';
import { StopMemory } from './stopmemory.js';
import type { StraceFilter } from './filter.js';
import { SyscallSummary } from './summary.js';
import { dumpText } from './dumpio.js';
import { pidNsComment, pidNsValue, translatePid } from './pidns.js';
import { pidCommText } from './pidcomm.js';
import { cmt, num, sym, type Value } from './value.js';
import { fdText, type DecodeFdsName } from './fdinfo.js';
import type { PathTrace } from './pathtrace.js';
import type { JsonEventWriter } from './json.js';
import type { TimelineWriter } from './timeline.js';
import { readFileSync, readlinkSync } from 'node:fs';

export interface StraceOptions {
  filter: StraceFilter;
  /** -f: follow clone/fork/vfork. */
  follow: boolean;
  format: FormatOptions;
  decode?: Partial<DecodeOptions>;
  /** Sink for trace lines (already buffered by the caller as it sees fit). */
  write: (s: string) => void;
  /** -ff with -o: an output per thread instead (`write` unused); each gets whole lines, no prefix. */
  outputFor?: (tid: number) => TaskOutput;
  /** -c (summary only) or -C (summary and trace). */
  summary?: 'only' | 'also';
  /**
   * What -c counts: the CPU time the thread spent in the call (strace's default, system
   * time) or the wall-clock time from entry to exit (-w).
   */
  summaryClock?: 'system' | 'wall';
  json?: JsonEventWriter;
  timeline?: TimelineWriter;
  /** -y: print paths of file descriptors. */
  fdPaths?: boolean;
  /** --decode-fds=SET (-yy: all): what descriptors are; path as fdPaths. */
  decodeFds?: ReadonlySet<DecodeFdsName>;
  /** --pidns-translation: ids of a tracee's pid namespace also as they are in ours. */
  pidns?: boolean;
  /** -Y (--decode-pids=comm): ids followed by the "<comm>" of the process they name. */
  pidComm?: boolean;
  /** -P: only calls that name these paths or use descriptors open on them. */
  pathTrace?: PathTrace;
  /** A new thread or process is now traced (strace's "Process N attached" message). */
  onAttach?: (tid: number) => void;
  /**
   * Without -f: a child the kernel traced for us anyway (clone with CLONE_PTRACE), which we let
   * go (strace's "Detached unknown pid N").
   */
  onUnknownDetached?: (tid: number) => void;
  /** A message strace prints and goes on (a poke that could not be made), without the name. */
  onMessage?: (msg: string) => void;
  /**
   * -b execve: a process that has exec'd is let go (its call in flight ends " <detached ...>"),
   * except at the first execve of a process given to keepFirstExec (the launched command's).
   */
  detachOnExec?: boolean;
  /** -b execve let process tgid go (strace's "Process N detached"). */
  onExecDetached?: (tgid: number) => void;
  /** -d: a call whose number the table does not know (strace's "invalid syscall" debug line). */
  onInvalidSyscall?: (tid: number, nr: number) => void;
}

interface TaskState {
  call?: DecodedSyscall;
  entryNs: bigint;
  /** The thread's CPU time at entry (-c without -w). */
  entryCpuNs?: bigint;
  inject?: InjectRule;
  exitCode?: number;
  /** The call that last returned ERESTART_RESTARTBLOCK: restart_syscall resumes it. */
  restartNr?: number;
  /** The program we launched, before its first execve succeeded ('pending'); 'failed' once
   * one failed: what runs then is the launcher's own error path, not the program. */
  launch?: 'pending' | 'failed';
}

/** restart_syscall (x86_64) and the calls whose restart it is (ERESTART_RESTARTBLOCK users:
 * nanosleep, clock_nanosleep, poll, futex's waits): stopped at too when it alone is traced,
 * so that it can name the call it resumes. */
/** clone flags (linux/sched.h): the child is traced too / may not be traced. */
const CLONE_PTRACE = 0x2000n;
const CLONE_UNTRACED = 0x800000n;
const NR_RESTART_SYSCALL = 219;
const NR_EXECVE = 59;
const NR_EXECVEAT = 322;
const RESTARTERS = [35, 230, 7, 202];
const ERESTART_RESTARTBLOCK = -516n;

/** Wall-clock nanoseconds with a monotonic fine part. */
const wallBase = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
const nowNs = (): bigint => wallBase + process.hrtime.bigint();
const noTime = (): bigint => 0n;

export class StraceEngine {
  readonly formatter: Formatter;
  readonly summary = new SyscallSummary();
  private readonly _o: StraceOptions;
  private readonly _inject: InjectState;
  private readonly _decode: DecodeOptions;
  private readonly _ops: EngineOps<TaskState>;
  private readonly _events: number;
  private readonly _trace: boolean;
  /** A syscall's entry and exit time: nowNs where anything shows or counts it, else 0n (two
   * clock reads and BigInts per call saved). */
  private readonly _callNs: () => bigint;
  private readonly _engines = new Set<Engine<TaskState>>();
  /**
   * Engines attached before this one get their syscall-entry reports after ours (entry runs in
   * reverse attach order), so an ABORT they vote is not in the action we see at entry. Set this
   * when such an engine may skip calls and force their results (a user's sandbox): at exit a
   * call skipped by anyone has its syscall number at -1 (x86_64 orig_rax) and is marked
   * (INJECTED), as calls aborted by engines attached after us already are. Costs one register
   * read per traced exit, so it is off unless engines are composed that way; an engine that
   * says when it injects (InjectEngine.onInjected) should call markInjected instead, for free.
   */
  detectEarlierAborts = false;
  private _allGone: (() => void)[] = [];
  /** -b execve: processes whose next execve is their own start, not a reason to detach. */
  private readonly _execKeep = new Set<number>();
  /** Former tids of exec'd threads whose superseded leader we saw die (reportExec's to come). */
  private readonly _supersededSeen = new Set<number>();

  constructor(private readonly _tracer: Tracer, opts: StraceOptions) {
    this._o = opts;
    this._trace = opts.summary !== 'only';
    const f = opts.format;
    this._callNs = f.timestamps || f.relative || f.stamp || f.syscallTimes || f.durationText || opts.summary ||
      opts.json || opts.timeline ? nowNs : noTime;
    this._inject = new InjectState(opts.filter.inject);
    this._decode = {
      ...DEFAULT_DECODE_OPTIONS,
      ...opts.decode,
      fdPath: opts.fdPaths || opts.decodeFds?.has('path') ? fdPath : undefined,
      fdText: opts.decodeFds?.size ? (pid: number, fd: number, via?: number, closing?: boolean) => fdText(opts.decodeFds!, pid, fd, via, closing) : undefined,
      pidTranslate: opts.pidns ? translatePid : undefined,
      netlinkProtocol,
    };
    if (opts.pidComm) {
      const hexStyle = this._decode.hexStrings;
      this._decode = { ...this._decode, pidComm: (tid, pid, kind) => pidCommText(tid, pid, kind, hexStyle) };
    }
    const silent = (): void => undefined;
    this.formatter = opts.outputFor && this._trace
      ? new PerTaskFormatter(opts.outputFor, opts.format)
      : new TraceFormatter(this._trace ? opts.write : silent, opts.format);
    const self = this;
    const selected = opts.filter.traceGiven ? new Set(this.prefilter) : undefined;
    this._ops = {
      name: 'strace',
      syscalls: selected,
      // A number the table does not name is shown whatever -e trace= says (strace's rule).
      unnamedSyscalls: true,
      // Not following (-f): a child the program forks is never traced by us, even for a moment
      // (the program may trace it itself: strace under strace). A CLONE_PTRACE child the
      // kernel gives us then is let go by the core (Tracer 'stray-detached').
      threadsOnly: !opts.follow,
      reportSyscallEntry: (a, e, call) => self._entry(e, call, a),
      reportSyscallExit: (a, e, call) => self._exit(e, call),
      reportSignal: (a, e, sig) => self._signal(e, sig),
      reportClone: (a, e, flags, child) => self._clone(e.task, child),
      reportExit: (a, e, exit) => {
        e.data.exitCode = exit.code;
        if (opts.pidComm) this.formatter.pinComm(e.task.tid);
        // The call that ends the thread never returns: "= ?" now, as strace prints it at the
        // exit stop (a leader gone with pthread_exit dies only when its process does).
        if (this._trace) this.formatter.syscallNoReturn(e.task.tid, nowNs());
      },
      reportExec: (a, e, exec) => {
        // A non-leader thread's execve: it is the leader's tid now. The leader's death (reported
        // first, with supersededBy) printed the superseded line, unless we did not trace it.
        e.data.launch = undefined;
        if (exec.formerTid !== e.task.tid) {
          e.data.call?.renumber(e.task.tid);
          if (!this._supersededSeen.delete(exec.formerTid)) this.formatter.superseded(e.task.tid, exec.formerTid, nowNs());
        }
        return opts.detachOnExec ? this._detachOnExec(e) : undefined;
      },
      // A group-stop (the core seizes, so it sees them): "--- stopped by SIGSTOP ---".
      reportJctl: (a, e, type, notify, signal) => {
        if (type === 'stopped' && this._trace) {
          this._ip(e.task);
          this.formatter.stopped(e.task.tid, signal, nowNs());
        }
      },
      reportDeath: (e, groupDead, signal) => self._death(e, signal),
      // Gone for good without a death report (detached, failed): no longer waited for.
      release: (data) => self._released(data),
    };
    // Even -e trace=none (an empty set) shows calls the table does not name: under a seccomp
    // prefilter (-f) only those stop; without one every call stops, as under strace, and the
    // core reports none of the others.
    this._events = Event.SYSCALL | Event.SIGNAL_ALL | Event.EXIT | Event.DEATH | Event.EXEC | Event.JCTL |
      (opts.follow || opts.onUnknownDetached ? Event.CLONE : 0);
  }

  /** The syscall numbers a seccomp prefilter may restrict stops to (undefined: all). */
  get prefilter(): number[] | undefined {
    if (!this._o.filter.traceGiven) return undefined;
    const nrs = this._o.filter.selectedSyscalls();
    return nrs.includes(NR_RESTART_SYSCALL) ? [...new Set([...nrs, ...RESTARTERS])] : nrs;
  }

  /** Attach to one thread (every thread of an attached process, or the spawned task).
   * launched: the task was spawned and is held before its first execve; if that execve fails,
   * the calls that follow (the launcher's message and exit) are not shown, as under strace. */
  attach(task: Task, launched = false): Engine<TaskState> {
    const e = this._tracer.attachTask(task, Attach.CREATE, this._ops, { entryNs: 0n, launch: launched ? 'pending' : undefined });
    e.setEvents(this._events);
    this._engines.add(e);
    this.formatter.addTask(task.tid);
    // Attached (-p) to a thread already in a group-stop: the stop was reported before we were.
    const stopSig = task.groupStop;
    if (stopSig && this._trace) this.formatter.stopped(task.tid, stopSig, nowNs());
    return e;
  }

  /** -b execve: the next execve of process tgid starts the command we launched (kept traced). */
  keepFirstExec(tgid: number): void {
    this._execKeep.add(tgid);
  }

  private _detachOnExec(e: Engine<TaskState>): number | undefined {
    const tgid = e.task.tgid;
    if (this._execKeep.delete(tgid)) return undefined;
    this.formatter.detached(e.task.tid);
    this._o.onExecDetached?.(tgid);
    return Resume.DETACH;
  }

  /**
   * Another engine skipped the call `task` is in and forced its result (called from its
   * syscall-entry report): the call is printed with (INJECTED).
   */
  markInjected(task: Task): void {
    let e: Engine<TaskState>;
    try {
      e = this._tracer.attachTask(task, Attach.MATCH_OPS, this._ops);
    } catch {
      return; // not traced by us
    }
    if (e.data.call) e.data.call.injected = true;
  }

  /**
   * Resolves once no traced thread is left (at once if none is): with -f, strace goes on
   * until the last process it follows is gone, not only the one it started.
   */
  allGone(): Promise<void> {
    if (!this._engines.size) return Promise.resolve();
    return new Promise((resolve) => this._allGone.push(resolve));
  }

  /** Detach from every thread (the tracees go on untraced). */
  detachAll(): void {
    detachEngines(this._engines, (e) => this.formatter.detached(e.task.tid));
  }

  private _entry(e: Engine<TaskState>, call: SyscallReport, action = 0): number | undefined | Promise<number | undefined> {
    const st = e.data;
    const task = e.task;
    const nr = call.nr;
    st.call = undefined;
    if (st.launch === 'failed') return undefined;
    if (this._o.onInvalidSyscall && (nr < 0 || !SYSCALLS[nr])) this._o.onInvalidSyscall(task.tid, nr);
    // strace tampers only with calls it traces (-e trace=, -P): a fault= set wider than the
    // trace set neither injects nor counts (:when=) the calls outside it.
    const traced = this._o.filter.syscallSelected(nr) && (!this._o.pathTrace || this._o.pathTrace.matches(nr, call.args, task, task.tgid));
    const rule = traced ? this._inject.check(task.tid, nr) : undefined;
    st.inject = rule;
    // poke_enter= before the call is decoded: what it prints is what the kernel gets.
    const poked = rule?.pokeEnter ? this._poke(task, nr, call.args, rule.pokeEnter) : false;
    if (traced) {
      let sp: bigint | undefined;
      if (nr === 15 /* rt_sigreturn */) sp = task.regs().sp;
      const f = this._o.filter;
      let prevName: string | undefined;
      if (nr === NR_RESTART_SYSCALL && st.restartNr !== undefined) prevName = SYSCALLS[st.restartNr]?.name;
      const d = decodeEntry({ nr, tid: task.tid, pid: task.tgid, args: call.args, argsUnsigned: true, mem: new StopMemory(task), sp, raw: f.raw.has(nr), prevName },
        f.abbrev.has(nr) && f.verbose.has(nr) ? this._decode
          : { ...this._decode, verbose: this._decode.verbose || !f.abbrev.has(nr), notVerbose: !f.verbose.has(nr) });
      st.entryNs = this._callNs();
      st.call = d;
      if (rule && (rule.error !== undefined || rule.retval !== undefined)) d.injected = true;
      if (poked) d.poked = true;
      if (rule?.delayEnter !== undefined || rule?.delayExit !== undefined) d.delayed = true;
      // An engine attached after this one (closer to user mode, so called first at entry)
      // aborted the call: its result is injected, as with our own -e inject=.
      if (action & SyscallAction.ABORT) d.injected = true;
      if (this._trace) {
        this._ip(task);
        this.formatter.syscallEntry(d, st.entryNs);
      }
      if (this._o.summary && this._o.summaryClock !== 'wall') st.entryCpuNs = cpuNs(task.tid);
    }
    // Sent as the call starts, as strace does (the kernel's own: si_code SI_KERNEL); a seccomp
    // entry cannot carry one, so that call gets it at its exit.
    if (rule?.signal !== undefined && !call.seccomp) {
      call.sendSignal(rule.signal);
      st.inject = { ...rule, signal: undefined };
    }
    const vote = rule && (rule.error !== undefined || rule.retval !== undefined) ? Resume.RESUME | SyscallAction.ABORT : undefined;
    // delay_enter=: the thread stays stopped that long before the call runs.
    if (rule?.delayEnter) return delayUs(rule.delayEnter).then(() => vote);
    return vote;
  }

  /** inject's poke_enter=/poke_exit= on the call `task` is in: made (at least in part)? */
  private _poke(task: Task, nr: number, args: readonly bigint[], pokes: readonly Poke[]): boolean {
    return applyPokes(task, task.tid, nr, args, pokes, (m) => this._o.onMessage?.(m));
  }

  private _exit(e: Engine<TaskState>, call: SyscallReport): undefined | Promise<undefined> {
    const st = e.data;
    if (st.launch === 'pending' && (call.nr === NR_EXECVE || call.nr === NR_EXECVEAT)) {
      const r = call.ret ?? 0n;
      st.launch = r < 0n && r > -4096n ? 'failed' : undefined;
    }
    if (call.nr !== NR_RESTART_SYSCALL) st.restartNr = call.ret === ERESTART_RESTARTBLOCK ? call.nr : undefined;
    const rule = st.inject;
    st.inject = undefined;
    if (rule) {
      if (rule.error !== undefined) call.setReturn(BigInt(-rule.error));
      else if (rule.retval !== undefined) call.setReturn(rule.retval);
      if (rule.signal !== undefined) call.sendSignal(rule.signal);
    }
    // poke_exit= before the results are decoded; delay_exit= after they print.
    const poked = rule?.pokeExit ? this._poke(e.task, call.nr, call.args, rule.pokeExit) : false;
    const delay = rule?.delayExit ? delayUs(rule.delayExit).then(() => undefined) : undefined;
    const d = st.call;
    if (!d) return delay;
    if (poked) d.poked = true;
    st.call = undefined;
    // rt_sigreturn restores orig_rax = -1 itself (restore_sigcontext): not a skipped call.
    if (this.detectEarlierAborts && !d.injected && d.nr !== 15 && d.nr !== -1 && e.task.regs().getSigned('orig_rax') === -1n) {
      d.injected = true;
    }
    const ns = this._callNs();
    const ret = call.ret ?? 0n;
    const f = this._o.filter;
    // Memory is read at exit only by a decoder that is not done, or a dump.
    const mem = !d.done || f.dumping ? new StopMemory(e.task) : undefined;
    if (rule?.retval !== undefined) d.retvalInjected();
    d.exit(ret, mem);
    if (mem && f.dumping && !d.injected) {
      d.dump = dumpText(d.nr, call.args, d.rval, e.task.tgid, mem,
        (dir, fd) => (dir === 'read' ? f.readFds : f.writeFds).has(fd));
    }
    if (this._trace) {
      this._ip(e.task);
      this.formatter.syscallExit(d, ns, ns - st.entryNs);
    }
    if (this._o.summary) {
      let spent = ns - st.entryNs;
      if (this._o.summaryClock !== 'wall') {
        // Between the entry and exit stops the thread ran only the call, in the kernel.
        const cpu = cpuNs(e.task.tid);
        spent = cpu !== undefined && st.entryCpuNs !== undefined ? cpu - st.entryCpuNs : 0n;
      }
      this.summary.add(d.name, Number(spent) / 1e9, ret < 0n && ret > -4096n, d.nr);
    }
    this._o.json?.syscall(d, st.entryNs, ns);
    this._o.timeline?.syscall(d, st.entryNs, ns);
    return delay;
  }

  private _signal(e: Engine<TaskState>, sig: SignalReport | null): undefined {
    if (!sig || e.data.launch === 'failed') return undefined;
    const ns = nowNs();
    if (this._trace && this._o.filter.signalSelected(sig.signo)) {
      const tid = e.task.tid;
      const pidValue = this._o.pidComm ? (pid: number) => this._pidValue(tid, pid)
        : this._o.pidns ? (pid: number) => pidNsValue(tid, pid) : undefined;
      this._ip(e.task);
      this.formatter.signal(tid, sig.signo, sig.info, ns, pidValue);
    }
    this._o.json?.signal(e.task.tgid, e.task.tid, sig.signo, sig.info, ns);
    this._o.timeline?.signal(e.task.tgid, e.task.tid, sig.signo, sig.info, ns);
    return undefined;
  }

  /** -i: the instruction pointer of the thread at its stop, for the line about to print. */
  private _ip(task: Task): void {
    if (!this._o.format.instructionPointer) return;
    let pc: bigint | undefined;
    try {
      pc = task.regs().pc;
    } catch {
      pc = undefined; // gone under us: sixteen '?'
    }
    this.formatter.setIp(task.tid, pc);
  }

  /** si_pid of a signal's siginfo, as decoders print ids (-Y, --pidns-translation). */
  private _pidValue(tid: number, pid: number): Value {
    const comm = this._decode.pidComm?.(tid, pid, 'tgid') ?? '';
    const shown = comm ? sym(`${pid}${comm}`) : num(pid);
    const ours = this._o.pidns ? translatePid(tid, pid, 'tgid') : undefined;
    return ours === undefined ? shown : cmt(shown, pidNsComment(ours));
  }

  private _clone(parent: Task, child: Task): void {
    if (!this._o.follow) {
      // Not followed: the core lets the child go unless someone else takes it. The flags the
      // core reports for a fork event are fork's; the call's own are in the parent's registers.
      const flags = callCloneFlags(parent);
      if ((flags & CLONE_PTRACE) && !(flags & CLONE_UNTRACED)) this._o.onUnknownDetached?.(child.tid);
      return;
    }
    this.attach(child);
    this._o.onAttach?.(child.tid);
    this._o.timeline?.threadName(child.tgid, child.tid, comm(child.tid));
  }

  private _released(data: TaskState): void {
    for (const e of this._engines) {
      if (e.data !== data) continue;
      this._engines.delete(e);
      if (!this._engines.size) for (const resolve of this._allGone.splice(0)) resolve();
      return;
    }
  }

  private _death(e: Engine<TaskState>, signal: number): void {
    const task = e.task;
    const ns = nowNs();
    this._engines.delete(e);
    this._inject.forget(task.tid);
    const execer = task.supersededBy;
    if (execer !== undefined) {
      // Not an exit: another thread's execve replaced the process image (de_thread).
      // The formatter hands the leader's tid over to the execer: no removeTask after this.
      this._supersededSeen.add(execer);
      this.formatter.superseded(task.tid, execer, ns);
    } else if (signal) {
      const core = false;
      if (this._trace) this.formatter.killed(task.tid, signal, core, ns);
      this._o.json?.killed(task.tgid, task.tid, signal, core, ns);
      this._o.timeline?.killed(task.tgid, task.tid, signal, core, ns);
    } else {
      // The death's own status where known: a leader's is its process's (exit_group's code
      // from another thread after a pthread_exit), not its exit report's.
      const code = task.exitStatus?.code ?? e.data.exitCode ?? 0;
      if (this._trace) this.formatter.exited(task.tid, code, ns);
      this._o.json?.exited(task.tgid, task.tid, code, ns);
      this._o.timeline?.exited(task.tgid, task.tid, code, ns);
    }
    if (execer === undefined) this.formatter.removeTask(task.tid);
    if (!this._engines.size) for (const resolve of this._allGone.splice(0)) resolve();
  }
}

// /proc/PID of a tracee is procDir(PID): under `unshare -pf` /proc numbers tasks as an ancestor
// namespace does.

/** The flags argument of the clone or clone3 call `task` is stopped in (0 for fork, vfork). */
function callCloneFlags(task: Task): bigint {
  try {
    const r = task.regs();
    const nr = Number(r.get('orig_rax'));
    if (nr === 56 /* clone */) return r.get('rdi');
    if (nr === 435 /* clone3: struct clone_args, flags first */) {
      const b = task.readMemory(r.get('rdi'), 8);
      return b.length === 8 ? b.readBigUInt64LE(0) : 0n;
    }
  } catch {
    /* gone */
  }
  return 0n;
}

/** inject's delay_enter=/delay_exit= (microseconds; timers count whole milliseconds). */
function delayUs(us: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.ceil(us / 1000)));
}

/** CPU time a thread has run, in ns (/proc/TID/schedstat's first field). */
function cpuNs(tid: number): bigint | undefined {
  try {
    const text = readFileSync(`${procDir(tid) ?? '/proc/0'}/schedstat`, 'latin1');
    return BigInt(text.slice(0, text.indexOf(' ')));
  } catch {
    return undefined;
  }
}

/**
 * -y: what descriptor `fd` of `pid` names; AT_FDCWD (-100) names the working directory. The
 * link's bytes come back one character per byte (latin1): a file name need not be UTF-8.
 */
function fdPath(pid: number, fd: number): string | undefined {
  try {
    const dir = procDir(pid);
    return dir === undefined ? undefined : readlinkSync(fd === -100 ? `${dir}/cwd` : `${dir}/fd/${fd}`, 'latin1');
  } catch {
    return undefined;
  }
}

/**
 * The protocol of a netlink socket fd: its inode from /proc/PID/fd, looked up in the Eth column
 * of /proc/PID/net/netlink (the table of the tracee's network namespace).
 */
function netlinkProtocol(pid: number, fd: number): number | undefined {
  let inode: string;
  const dir = procDir(pid);
  if (dir === undefined) return undefined;
  try {
    const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${dir}/fd/${fd}`));
    if (!m) return undefined;
    inode = m[1]!;
  } catch {
    return undefined;
  }
  try {
    for (const line of readFileSync(`${dir}/net/netlink`, 'utf8').split('\n').slice(1)) {
      const w = line.trim().split(/\s+/);
      if (w.length >= 10 && w[9] === inode) return Number(w[1]);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export function comm(tid: number): string {
  try {
    return readFileSync(`${procDir(tid) ?? '/proc/0'}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
