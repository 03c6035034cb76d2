/**
 * Spawning a traced program: the options users give, execvp's PATH lookup (done before the
 * fork, so a missing program is ENOENT from spawn() and not a child that fails), the stdio
 * descriptors, and the native request (native/spawn.c forks, stops the child before its
 * execve, installs the seccomp prefilter if any, and seizes it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SYSCALLS } from '../arch/x86_64/syscalls.gen.js';
import type { SpawnRequest } from '../native/native.js';
import { native } from './addon.js';
import { errnoMessage } from './errno.js';
import { UtraceError } from './errors.js';
import { buildSeccompFilter } from './seccomp.js';

export interface SpawnOptions {
  cwd?: string;
  /** Environment (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Per fd 0..2: 'inherit' (default), 'ignore' (/dev/null), 'close' or an open fd. */
  stdio?: 'inherit' | 'ignore' | readonly ('inherit' | 'ignore' | 'close' | number)[];
  /** argv[0] as the program sees it (default: argv[0]). */
  argv0?: string;
  /** Seccomp prefilter: only these syscall numbers cause syscall stops. */
  syscalls?: Iterable<number>;
  /** With `syscalls`: the prefilter also stops every number the arch's table does not name. */
  unnamedSyscalls?: boolean;
  /** Put the child in its own process group. */
  setpgid?: boolean;
  /** Disable address-space randomisation (personality ADDR_NO_RANDOMIZE). */
  noAslr?: boolean;
  /**
   * Descriptors 3 and up of this process the program inherits, as a shell's `9>>FILE` gives
   * them (Node marks what it inherited close-on-exec; these are cleared in the child).
   */
  inheritFds?: readonly number[];
  /**
   * The program's signal mask and ignored signals (bit N-1: signal N; every other signal
   * SIG_DFL). Default: nothing blocked or ignored (not this process's state: Node's own).
   */
  signals?: { blocked: bigint; ignored: bigint };
  /**
   * A program given by a path that exists but that the kernel may refuse to run (a directory,
   * no execute permission, a format it does not know) is not refused by spawn() with EACCES:
   * its execve runs, traced, and fails where engines see it; the child then writes `message`
   * and the error's text ("Permission denied") as a line to its stderr, and exits with
   * `status`, as a shell or strace's launcher does. A missing program is still ENOENT.
   */
  execFailure?: { message: string; status: number };
  /**
   * strace -u: the program runs with this uid, gid and supplementary groups (set in the child
   * before its execve; the tracer keeps its own). Needs root.
   */
  user?: { uid: number; gid: number; groups: readonly number[] };
}
/** errno values up to which execFailure's lines are prepared (<asm-generic/errno.h> ends at 133). */
const ERRNO_MAX = 133;
const ALL_NRS = SYSCALLS.filter((s) => s !== undefined).map((s) => s!.nr);

/** The native request for argv and options, the syscalls of its seccomp prefilter (null:
 * none), and the descriptors opened for it (close them once the request is made, whether it
 * succeeded or not). */
export function spawnRequest(argv: readonly string[], options: SpawnOptions, ptraceOptions: number): {
  req: SpawnRequest;
  syscalls: Set<number> | null;
  opened: number[];
} {
  if (!argv.length) throw new UtraceError('EINVAL', 'spawn', undefined, 'empty argv');
  const env = options.env ?? process.env;
  const file = resolveProgram(argv[0]!, env['PATH'], options.cwd, options.execFailure !== undefined);
  const opened: number[] = [];
  const fds = normStdio(options.stdio).map((s) => {
    if (s === 'inherit') return -1;
    if (s === 'close') return -2;
    if (s === 'ignore') {
      const fd = fs.openSync('/dev/null', 'r+');
      opened.push(fd);
      return fd;
    }
    return s;
  }) as [number, number, number];
  const syscalls = options.syscalls ? new Set(options.syscalls) : null;
  const req: SpawnRequest = {
    file,
    argv: [options.argv0 ?? argv[0]!, ...argv.slice(1)],
    envp: Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`),
    cwd: options.cwd,
    stdio: fds,
    inherit: options.inheritFds?.filter((fd) => fd > 2),
    sigBlocked: options.signals?.blocked ?? 0n,
    sigIgnored: options.signals?.ignored ?? 0n,
    seccomp: syscalls ? buildSeccompFilter(syscalls, ALL_NRS, options.unnamedSyscalls ?? false) : undefined,
    setpgid: options.setpgid ?? false,
    noAslr: options.noAslr ?? false,
    options: ptraceOptions,
    user: options.user ? { ...options.user, groups: [...options.user.groups] } : undefined,
  };
  const fail = options.execFailure;
  if (fail) {
    req.execErrors = Array.from({ length: ERRNO_MAX + 1 }, (_, n) => (n ? `${fail.message}${errnoMessage(n)}\n` : ''));
    req.execFailStatus = fail.status;
  }
  return { req, syscalls, opened };
}

function normStdio(s: SpawnOptions['stdio']): ('inherit' | 'ignore' | 'close' | number)[] {
  if (s === undefined || s === 'inherit') return ['inherit', 'inherit', 'inherit'];
  if (s === 'ignore') return ['ignore', 'ignore', 'ignore'];
  return [0, 1, 2].map((i) => s[i] ?? 'inherit');
}

/** execvp's lookup, done before forking so a missing program is ENOENT from spawn(); a path
 * that exists but is not an executable file is EACCES, unless `tryExec` (the execve fails
 * then, in the child: SpawnOptions.execFailure). */
export function resolveProgram(file: string, pathEnv: string | undefined, cwd?: string, tryExec = false): string {
  const check = (p: string): string | undefined => {
    try {
      const st = fs.statSync(p);
      if (st.isDirectory()) return undefined;
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      return undefined;
    }
  };
  if (file.includes('/')) {
    const abs = path.resolve(cwd ?? process.cwd(), file);
    if (!fs.existsSync(abs)) throw new UtraceError('ENOENT', 'spawn', undefined, file);
    if (!tryExec && !check(abs)) throw new UtraceError('EACCES', 'spawn', undefined, file);
    // As typed: execve resolves it against the same directory, and the traced program's first
    // execve shows the path its user gave (as under strace).
    return file;
  }
  for (const dir of (pathEnv ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const p = check(path.join(dir || '.', file));
    if (p) return p;
  }
  throw new UtraceError('ENOENT', 'spawn', undefined, file);
}

/**
 * Put /dev/null over this process's own fds (of 0..2) once a launched program has its copies:
 * a pipe or terminal we were started with is then the program's alone (a writer to its stdin
 * sees EPIPE once it closes it, a reader of its stdout end of file), as under strace.
 */
export function releaseStdio(fds: readonly number[]): void {
  native.stdioToNull([...fds]);
}

/**
 * Make process group `pgrp` the foreground of the terminal on `fd`, as gdbserver does for the
 * program it starts (so the program reads its terminal and sets its modes without SIGTTIN or
 * SIGTTOU), if the foreground is `from` (default: our own group; a tracer started in the
 * background leaves the terminal alone). Returns the group it had, to give it back to, or 0
 * when nothing was done.
 */
export function setForegroundGroup(fd: number, pgrp: number, from = 0): number {
  return native.foreground(fd, pgrp, from);
}

/** A pipe with blocking, close-on-exec ends: [read, write] (for synchronous writers). */
export function makePipe(): [number, number] {
  return native.pipe();
}
