/**
 * strace -D: the two steps Node cannot take itself (native/daemon.c): start the tracer as a
 * detached grandchild, and become the traced program once the tracer has seized us.
 */
import { native } from './addon.js';
import { UtraceError } from './errors.js';

/** `argv` (argv[0] = file) as a grandchild of ours, keepFd inherited; mode 2: own process
 * group, 3: own session. Returns its pid. */
export function startDaemonChild(file: string, argv: string[], keepFd: number, mode: number): number {
  const r = native.daemonChild(file, argv, keepFd, mode);
  if (r < 0) throw new UtraceError(-r, 'fork', process.pid);
  return r;
}

/**
 * Wait for a byte on readyFd, then execve the program in this process (signal dispositions
 * and mask back to the defaults; `inherit` descriptors kept). Returns only if that fails.
 */
export function execWhenReady(readyFd: number, file: string, argv: string[], env: Record<string, string | undefined>,
  inherit: readonly number[] = []): never {
  const envp = Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  const r = native.execAfter(readyFd, file, argv, envp, [...inherit]);
  if (r === 0) throw new UtraceError('ECHILD', 'execve', process.pid, 'the tracer ended before it attached');
  throw new UtraceError(-r, 'execve', process.pid);
}
