/**
 * Typed errors. Every failure of a syscall, and every rule of the engine API that is broken,
 * surfaces as a UtraceError whose `code` is the errno name (`ESRCH`, `EPERM`, ...), as in
 * Node's own errors.
 */
import { errnoMessage, errnoName, errnoNumber } from './errno.js';

export class UtraceError extends Error {
  /** errno name, e.g. 'ESRCH'; `UNKNOWN_ERRNO_<n>` for numbers without a name. */
  readonly code: string;
  readonly errno: number;
  /** The syscall or API call that failed, e.g. 'ptrace(PTRACE_SEIZE)' or 'attachTask'. */
  readonly syscall: string;
  /** The thread concerned, when there is one. */
  readonly tid: number | undefined;
  /** A human hint about the likely cause (e.g. another tracer's pid). */
  hint: string | undefined;

  constructor(code: string | number, syscall: string, tid?: number, detail?: string) {
    const errno = typeof code === 'number' ? code : (errnoNumber(code) ?? 0);
    const name = typeof code === 'number' ? errnoName(code) : code;
    const what = tid !== undefined && tid > 0 ? `${syscall} ${tid}` : syscall;
    super(`${what}: ${name} (${errnoMessage(errno)})${detail ? `: ${detail}` : ''}`);
    this.name = 'UtraceError';
    this.code = name;
    this.errno = errno;
    this.syscall = syscall;
    this.tid = tid !== undefined && tid > 0 ? tid : undefined;
    this.hint = undefined;
  }
}

export function fail(code: string, syscall: string, tid?: number, detail?: string): never {
  throw new UtraceError(code, syscall, tid, detail);
}

/** True for errors that only mean "the thread is gone" (it died under us). */
export function isGone(e: unknown): boolean {
  return e instanceof UtraceError && e.code === 'ESRCH';
}
