/**
 * The backend: everything the core asks of the kernel, behind one typed interface. The stop
 * state machine (stops.ts), tasks and processes never call ptrace, wait or the memory calls
 * themselves; they call a TraceBackend, and the backend delivers each stop it waits for to the
 * StopSink that owns the thread.
 *
 * Two implementations: waitHub.ts (the real one: the native addon, the waiting strategy of
 * native/wait.c, one per Node process) and test/core/fakeBackend.ts (a scripted kernel for
 * table tests of the state machine without a tracee).
 */
import type { SpawnRequest } from '../native/native.js';
import type { Task } from './task.js';

/** The owner of a thread's stops (a Tracer). */
export interface StopSink {
  /** One wait status of tid: a ptrace stop or its death. silen: syscall-info length or 0. */
  _dispatch(tid: number, status: number, silen: number): void;
  /** Internal failures (a deferred restart that failed for another reason than death). */
  emit(event: 'error', error: unknown): boolean;
  /** A stray child of this Node process (never traced, e.g. a tracee's CLONE_PARENT child)
   * exited and was reaped: its pid and wait status. */
  _strayExit(pid: number, status: number): void;
  /** A stopped child of one of its threads, not its own, with this exit signal: let go when no
   * clone event of its threads can claim it (true), else kept for that event (false). */
  _stray?(tid: number, exitSignal: number): boolean;
}

export interface TraceBackend {
  // ---------------------------------------------------------------- stop delivery

  /** Called once per Tracer: start waiting (idempotent); sink hears of strays until forget(). */
  start(sink: StopSink): void;
  /** sink (a closed Tracer) hears of nothing more. */
  forget(sink: StopSink): void;
  /** Stops and the death of tid go to sink; its exit is ours to reap. */
  own(tid: number, sink: StopSink): void;
  /** No longer ours: its stops are not waited for, its exit not reaped. */
  disown(tid: number): void;
  /** A stop of an auto-attached thread seen before its parent's clone event: taken once. */
  takeOrphan(tid: number): number | undefined;
  /** Keep such a stop until then. */
  orphan(tid: number, status: number): void;
  isOrphan(tid: number): boolean;
  /** Look for stops soon (after a restart made outside the wait loop). */
  kick(): void;
  /** Whether anything is still owned (keeps the event loop alive while so). */
  refresh(): void;
  /** See Tracer.readWhileHeld. */
  readWhileHeld(fd: number, buf: Uint8Array, onRead: (n: number) => void, ready?: () => boolean): void;

  // ---------------------------------------------------------------- what runs (wait strategy)

  /** The thread now runs (restarted, seized, or a new child on its way): likely to stop soon. */
  running(task: Task): void;
  /** A thread counted by running() stopped or died. */
  stopped(task: Task): void;
  /** An interrupt was sent: its stop is likely soon. */
  fresh(task: Task): void;

  // ---------------------------------------------------------------- ptrace requests

  spawn(req: SpawnRequest): number;
  seize(tid: number, options: number): void;
  interrupt(tid: number): void;
  /** PTRACE_CONT / SYSCALL / SINGLESTEP / SINGLEBLOCK / LISTEN with a signal; may be made
   * later, by the wait loop's next wait (one crossing per stop), but always before it waits. */
  restart(task: Task, request: number, signal: number): void;
  detach(tid: number, signal: number): void;
  /** A thread held in a signal-delivery stop of a trap of ours (the signal dropped): move it
   * to an event stop without running a user instruction (PTRACE_INTERRUPT, then PTRACE_CONT
   * with no signal; it stops in PTRACE_EVENT_STOP before returning to user mode) and wait for
   * that stop: its wait status (another stop or its death if something came first). Optional:
   * without it, held threads stay where they are. */
  park?(tid: number): number;
  setOptions(tid: number, options: number): void;
  eventMessage(tid: number): number;
  getSigInfo(tid: number, buf: Uint8Array): void;
  setSigInfo(tid: number, buf: Uint8Array): void;
  /** PTRACE_GET_SYSCALL_INFO into buf: its length, or throws (EIO/EINVAL where unsupported). */
  syscallInfo(tid: number, buf: Uint8Array): number;
  /** The info read at this stop was the core's own look (a call nobody selected): the next
   * stop of the thread needs none fetched ahead. Optional (a hint). */
  infoUnused?(tid: number): void;
  getRegSet(tid: number, nt: number, buf: Uint8Array): number;
  setRegSet(tid: number, nt: number, buf: Uint8Array, length: number): void;
  peekUser(tid: number, offset: number): bigint;
  pokeUser(tid: number, offset: number, value: bigint): void;
  tgkill(tgid: number, tid: number, signal: number): void;

  // ---------------------------------------------------------------- memory

  readMemory(tid: number, addr: bigint, buf: Uint8Array, length: number): number;
  /** Also into read-only text (/proc/PID/mem or POKEDATA). */
  writeMemory(tid: number, addr: bigint, buf: Uint8Array, length: number): number;
  /** As the thread's own store would (page protections apply). */
  storeMemory(tid: number, addr: bigint, buf: Uint8Array, length: number): number;
  /** One byte at addr of a stopped thread: the byte that was there, or -errno. */
  swapByte(tid: number, addr: bigint, byte: number): number;
}
