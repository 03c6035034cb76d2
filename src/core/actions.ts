/**
 * Events, resume actions and their arbitration: the vocabulary of the engine API
 * (docs/engine-contract.md, after the 2009 utrace.h).
 *
 * A callback's return value is a resume action in the low 4 bits OR-ed with event-specific
 * bits (syscall RUN/ABORT, signal DELIVER/IGN/...). Within one report pass the smallest
 * resume action wins for the thread; only STOP is sticky across passes.
 */

/** Event bits for Engine.setEvents(). One line each, in the kernel API's order. */
export const Event = {
  /** A report point before other reports (and for REPORT/INTERRUPT requests). */
  QUIESCE: 1 << 0,
  /** The dead thread is reaped: the last callback an engine ever gets. */
  REAP: 1 << 1,
  /** The thread created a thread or process (clone, fork, vfork). */
  CLONE: 1 << 2,
  /** A successful execve; the new image has not run yet. */
  EXEC: 1 << 3,
  /** The thread is exiting; registers are still readable. */
  EXIT: 1 << 4,
  /** The thread is dead. */
  DEATH: 1 << 5,
  /** Before a system call runs. */
  SYSCALL_ENTRY: 1 << 6,
  /** After a system call, before user mode sees its result. */
  SYSCALL_EXIT: 1 << 7,
  /** A signal with a handler is about to be delivered (or a REPORT/INTERRUPT pass). */
  SIGNAL: 1 << 8,
  /** A signal whose disposition is "ignore". */
  SIGNAL_IGN: 1 << 9,
  /** A signal whose default action stops the process. */
  SIGNAL_STOP: 1 << 10,
  /** A signal whose default action terminates the process. */
  SIGNAL_TERM: 1 << 11,
  /** A signal whose default action dumps core. */
  SIGNAL_CORE: 1 << 12,
  /** Job-control stop or continue completed. */
  JCTL: 1 << 13,
  /** All signal events. */
  SIGNAL_ALL: 0x1f << 8,
  /** Syscall entry and exit. */
  SYSCALL: (1 << 6) | (1 << 7),
} as const;

export const EVENT_ALL_BITS = (1 << 14) - 1;

/** Resume actions, strictest first. */
export enum Resume {
  STOP = 0,
  INTERRUPT = 1,
  REPORT = 2,
  SINGLESTEP = 3,
  BLOCKSTEP = 4,
  RESUME = 5,
  DETACH = 6,
}

export const RESUME_MASK = 0x0f;

/** Syscall-entry disposition bits. */
export const SyscallAction = {
  RUN: 0x00,
  ABORT: 0x10,
  /** Input flag: the entry pass is being repeated after the thread was held at entry. */
  RESUMED: 0x100,
  MASK: 0xf0,
} as const;

/** Signal disposition bits; the last engine called decides. */
export const SignalAction = {
  DELIVER: 0x00,
  IGN: 0x10,
  TERM: 0x20,
  CORE: 0x30,
  STOP: 0x40,
  TSTP: 0x50,
  REPORT: 0x60,
  HANDLER: 0x70,
  /** Flag: keep the signal pending, to be delivered after the thread resumes. */
  HOLD: 0x100,
  MASK: 0xf0,
} as const;

/** Flags for Tracer.attachTask / attachPid. */
export const Attach = {
  CREATE: 1,
  EXCLUSIVE: 2,
  MATCH_OPS: 4,
  MATCH_DATA: 8,
} as const;

/** The thread's action for one pass: the strictest vote; DETACH counts as RESUME. */
export function combine(a: Resume, b: Resume): Resume {
  const x = a === Resume.DETACH ? Resume.RESUME : a;
  const y = b === Resume.DETACH ? Resume.RESUME : b;
  return x < y ? x : y;
}

export function validResume(action: number): boolean {
  const r = action & RESUME_MASK;
  return r >= Resume.STOP && r <= Resume.DETACH;
}
