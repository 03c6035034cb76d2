/**
 * Public types of the engine API: the callbacks an engine implements and the event data
 * they receive. Every callback is optional; an engine enables only the events whose
 * callbacks it has (setEvents checks this).
 */
import type { Engine } from './engine.js';
import type { Task } from './task.js';

/** What a callback returns: a resume action OR-ed with event bits; a Promise keeps the
 * thread stopped until it settles; undefined means RESUME with no opinion on event bits. */
export type ActionResult = number | void | Promise<number | void>;

export interface SyscallReport {
  readonly task: Task;
  /** true at entry, false at exit. */
  readonly entry: boolean;
  /** Syscall number (x86_64 numbering). */
  readonly nr: number;
  /** The six argument registers at entry, unsigned 64-bit. */
  readonly args: readonly bigint[];
  /** Signed return value (exit only). */
  readonly ret: bigint | undefined;
  /** Entry through a seccomp filter rather than a syscall-entry stop. */
  readonly seccomp: boolean;
  /** Change the syscall number (entry). */
  setNr(nr: number): void;
  /** Change argument i (entry). */
  setArg(i: number, value: bigint): void;
  /** Change the result (exit), e.g. -ENOENT. */
  setReturn(value: bigint): void;
  /**
   * Deliver `signo` as the thread leaves this stop, sent by the kernel (si_code SI_KERNEL, as a
   * signal passed to PTRACE_SYSCALL at a syscall stop); 0 cancels. Not at a seccomp entry,
   * whose restart carries no signal (EINVAL): send it at the exit then.
   */
  sendSignal(signo: number): void;
}

export interface SignalReport {
  readonly task: Task;
  /** Signal number; assign to change the signal delivered (0 suppresses). */
  signo: number;
  /** The 128-byte siginfo_t; edits are written back before delivery. */
  readonly info: Buffer;
  /** si_code from info. */
  readonly code: number;
  /** What the kernel would do by default with this signal given the tracee's disposition. */
  readonly disposition: 'handler' | 'ignore' | 'stop' | 'term' | 'core';
}

export interface ExecReport {
  /** Path of the new image (readlink /proc/PID/exe). */
  readonly filename: string;
  /** The thread that called execve (differs from the task's tid when a non-leader execs). */
  readonly formerTid: number;
}

export interface ExitReport {
  /** The raw wait status the thread is exiting with (PTRACE_GETEVENTMSG). */
  readonly status: number;
  readonly code: number | undefined;
  readonly signal: number | undefined;
}

export interface ExitStatus {
  /** Exit code, when the process exited. */
  code: number | null;
  /** Fatal signal number, when killed. */
  signal: number | null;
  core: boolean;
}

export interface EngineOps<D = any> {
  /** A report point, before each other report to this engine (except signal and reap);
   * `event` is the event bit, or 0 for a pass requested by REPORT/INTERRUPT or a step. */
  reportQuiesce?(action: number, engine: Engine<D>, event: number): ActionResult;
  /** A signal about to be delivered, or (signal null) a REPORT/INTERRUPT pass. */
  reportSignal?(action: number, engine: Engine<D>, signal: SignalReport | null): ActionResult;
  /** In the parent, after clone/fork/vfork, before the child runs user code. */
  reportClone?(action: number, engine: Engine<D>, cloneFlags: bigint, child: Task): ActionResult;
  /** Job-control stop or continue; `signal` is the stop's signal (SIGSTOP...), 0 for continued. */
  reportJctl?(action: number, engine: Engine<D>, type: 'stopped' | 'continued', notify: number, signal: number): ActionResult;
  /** After a successful execve, before the new image runs. */
  reportExec?(action: number, engine: Engine<D>, exec: ExecReport): ActionResult;
  /** Before a syscall runs; engines are called in reverse attach order. */
  reportSyscallEntry?(action: number, engine: Engine<D>, call: SyscallReport): ActionResult;
  /** After a syscall; the result is editable. */
  reportSyscallExit?(action: number, engine: Engine<D>, call: SyscallReport): ActionResult;
  /** The thread is exiting; registers still readable; STOP holds it here. */
  reportExit?(action: number, engine: Engine<D>, exit: ExitReport): ActionResult;
  /** The thread is dead; only DETACH is meaningful. */
  reportDeath?(engine: Engine<D>, groupDead: boolean, signal: number): ActionResult;
  /** Last callback, after death; the engine is detached afterwards. */
  reportReap?(engine: Engine<D>, task: Task): void;
  /** The engine is gone for good. */
  release?(data: D): void;
  /**
   * With Event.CLONE: only new threads of the process matter (reportClone still sees a process
   * made by clone() with an exit signal other than SIGCHLD). The kernel is then asked for clone
   * events only (PTRACE_O_TRACECLONE, not FORK/VFORK) unless another engine wants more, so a
   * child the program forks is never traced, not even for a moment: its parent can trace it.
   */
  readonly threadsOnly?: boolean;
  /** Declared syscall interest: only these numbers are reported (a seccomp prefilter, where
   * there is one, stops no other; without one the others stop but are not reported). */
  readonly syscalls?: Iterable<number>;
  /** With `syscalls`: also every number the architecture's table does not name (past its end,
   * or a hole in it), which no list of names can select (strace shows them under any filter). */
  readonly unnamedSyscalls?: boolean;
  /** A name for error messages. */
  readonly name?: string;
}
