/**
 * The exact shape of the native addon (native/*.c), and where its files are. Only
 * src/native/binding.ts loads it and only src/core uses it. Numbers are tids/pids, ptrace
 * request numbers and signals; buffers are filled in place so the hot path allocates nothing.
 *
 * Where: node-gyp-build picks build/Release (a local build: `npm install` from source, or the
 * fallback when no prebuild fits), build/Debug, then prebuilds/<platform>-<arch>/ (the binary
 * shipped in the package, made by scripts/prebuild.mjs). Executables built by binding.gyp
 * (NATIVE_EXECUTABLES) sit beside the .node file in either place.
 */
import nodeGypBuild from 'node-gyp-build';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Executables binding.gyp builds (targets of type executable) that the package ships beside
 * the addon: scripts/prebuild.mjs copies each into the prebuild directory. */
export const NATIVE_EXECUTABLES: readonly string[] = ['utrace-watchdog'];

/** The package root: dist/src/native/ (tsc output, or the CLI bundle's rewritten URL) -> ../../.. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

let addonFile: string | undefined;

/** The .node file node-gyp-build resolves for this Node and machine; the error says what was
 * looked for and where. */
export function nativeAddonPath(): string {
  if (addonFile === undefined) {
    try {
      addonFile = nodeGypBuild.path(PACKAGE_ROOT);
    } catch (e) {
      throw new Error(`utrace: the native addon is neither prebuilt for this machine nor built (npm install builds it; needs a C compiler): ${e instanceof Error ? e.message.trim() : String(e)}`);
    }
  }
  return addonFile;
}

/** Path of the executable NAME built beside the addon (prebuilds/linux-x64/NAME or
 * build/Release/NAME, whichever directory the addon itself comes from). The path only: the
 * caller reports a missing file (ENOENT at spawn) in its own words. */
export function nativeExecutable(name: string): string {
  if (!NATIVE_EXECUTABLES.includes(name)) throw new Error(`utrace: '${name}' is not a native executable of this package (NATIVE_EXECUTABLES)`);
  return path.join(path.dirname(nativeAddonPath()), name);
}

export interface SpawnRequest {
  file: string;
  argv: string[];
  envp: string[];
  cwd?: string;
  /** fds to install as 0, 1, 2 in the child; -1 keeps the parent's, -2 closes it. */
  stdio: [number, number, number];
  /** Descriptors 3 and up the child keeps across execve (their close-on-exec flag cleared). */
  inherit?: number[];
  /** The child's signal mask and SIG_IGN signals (bit N-1: signal N); others SIG_DFL. */
  sigBlocked: bigint;
  sigIgnored: bigint;
  /** struct sock_filter[] to install before execve, or undefined. */
  seccomp?: Uint8Array;
  setpgid: boolean;
  noAslr: boolean;
  /** PTRACE_SEIZE options. */
  options: number;
  /** After a failed execve: the line to write to fd 2, indexed by errno (none: nothing), and
   * the exit status (default 127). */
  execErrors?: string[];
  execFailStatus?: number;
  /** Run the program as this user (setgroups, setresgid, setresuid after the seccomp filter). */
  user?: { uid: number; gid: number; groups: number[] };
}

export interface NativeAddon {
  setErrorFactory(factory: (errno: number, syscall: string, tid: number) => Error): void;
  seize(tid: number, options: number): void;
  interrupt(tid: number): void;
  resume(tid: number, request: number, signal: number): void;
  setOptions(tid: number, options: number): void;
  getEventMsg(tid: number): number;
  getSigInfo(tid: number, buf: Uint8Array): void;
  setSigInfo(tid: number, buf: Uint8Array): void;
  getRegSet(tid: number, nt: number, buf: Uint8Array): number;
  setRegSet(tid: number, nt: number, buf: Uint8Array, length: number): void;
  getSyscallInfo(tid: number, buf: Uint8Array): number;
  peekUser(tid: number, offset: number): bigint;
  pokeUser(tid: number, offset: number, value: bigint): void;
  tgkill(tgid: number, tid: number, signal: number): void;
  kill(pid: number, signal: number): void;
  /** Does an execute breakpoint in DR0 stop a (forked, reaped) probe child? */
  debugRegsTrap(): boolean;
  /** strace -D: `file` started as a detached grandchild (mode 2: own process group, 3: own
   * session), keepFd inherited: its pid, or -errno. */
  daemonChild(file: string, argv: string[], keepFd: number, mode: number): number;
  /** strace -D: signals to defaults, one byte read from readyFd, then execve. Returns only on
   * failure: -errno, 0 when readyFd ended without a byte. */
  execAfter(readyFd: number, file: string, argv: string[], envp: string[], inherit: number[]): number;
  /** [pid, uid, gid] of a unix socket's peer. */
  peerCred(fd: number): [number, number, number];
  /** One message with descriptors (SCM_RIGHTS), waiting up to timeoutMs for room: bytes sent. */
  sendFds(fd: number, data: Uint8Array, fds: number[], timeoutMs: number): number;
  /** One message and its descriptors (close-on-exec), without waiting: bytes = -EAGAIN when
   * none is there yet, 0 at end of file. */
  recvFds(fd: number, buf: Uint8Array): { bytes: number; fds: number[] };
  /** The protocol name of the socket a path opens (system.sockprotoname: "UNIX-STREAM"...). */
  sockProtoName(path: string): string;
  /** One request to a kernel netlink family on a socket of its own: every message of the
   * answer (to a dump's end, or the single reply or error), within timeoutMs. */
  netlinkRequest(protocol: number, request: Uint8Array, timeoutMs: number): Buffer;
  listenUnix(path: string, backlog: number): number;
  watchReadable(fd: number, callback: () => void): number;
  unwatch(id: number): void;
  /** The hot path's shared inputs and outputs (struct wait_ctl in native/wait.c, an
   * Int32Array(16)), given once. */
  waitSetup(ctl: Int32Array, sysinfo: Uint8Array): void;
  /** Where each field of struct wait_ctl sits in that Int32Array. */
  waitCtlLayout(): Record<string, number>;
  /** Restart ctl.resumeTid if set, then wait: 1 = event (ctl.tid, status, sysinfoLength: with
   * ctl.wantSysinfo, a syscall stop's PTRACE_GET_SYSCALL_INFO into the sysinfo buffer),
   * 0 = none within ctl.blockMicros, -1 = no children; ctl.resumeError = 0 or -errno of the
   * restart; ctl.foreign = a foreign child seen in front of the others (libuv's or a stray), or 0. */
  waitFast(): number;
  /** out = [pid, status, 0, 0]; 1 = event, 0 = none (non-blocking). */
  waitPid(pid: number, out: Int32Array, blocking: boolean): number;
  /** The main thread enters/leaves a drain loop (arms the watchdog that bounds blocking waits). */
  drainActive(on: boolean): number;
  /** Wait (bounded like the waits, drainActive) for fd to be readable, then read once:
   * bytes read (0 = end of file), -EINTR when the bound ended the wait, or -errno. */
  readBounded(fd: number, buf: Uint8Array): number;
  /** callback(stray): stray when a foreign child sits in front with nothing of ours behind. */
  waiterStart(callback: (stray: boolean) => void): void;
  waiterArm(armed: boolean): void;
  waiterRef(keepAlive: boolean): void;
  /** Track pid's stops and exit as ours (on) or no longer; a tracked thread-group leader is
   * also held by a pidfd, so that its zombie can be reaped if it is left to us (reap.c). */
  track(pid: number, on: boolean): void;
  /** A waitable child of ours that nobody will wait for (not a stop, not tracked, not a former
   * tracee, not libuv's): its pid, or 0 (reap.c). JS thread only. */
  strayChild(): number;
  /** pidfd_open(2): a descriptor (close it with fs.closeSync), or throws. */
  pidfdOpen(pid: number, flags: number): number;
  /** Default disposition back, unblocked, raised: dies of sig as a program would (signals.c). */
  raiseDefault(sig: number): number;
  readMemory(pid: number, addr: bigint, buf: Uint8Array, length: number): number;
  writeMemory(pid: number, addr: bigint, buf: Uint8Array, length: number): number;
  /** Write as the thread's own store would (page protections apply): bytes written, 0 where
   * the first byte is not writable. */
  storeMemory(pid: number, addr: bigint, buf: Uint8Array, length: number): number;
  /** Put one byte at addr (a stopped tracee): the byte that was there, or -errno. */
  swapByte(pid: number, addr: bigint, byte: number): number;
  spawn(req: SpawnRequest): number;
  /** /dev/null over each of our descriptors given (0..2 only). */
  stdioToNull(fds: number[]): void;
  /** tcsetpgrp(fd, pgrp) with SIGTTOU blocked, when the foreground group is `from` (0: ours):
   * the group before, or 0 (nothing done). */
  foreground(fd: number, pgrp: number, from: number): number;
  /** pipe2(O_CLOEXEC): [readFd, writeFd], blocking. */
  pipe(): [number, number];
  /** sched_getaffinity of a thread (0: the calling thread) into buf: bytes the kernel wrote. */
  getAffinity(tid: number, buf: Uint8Array): number;
  /** sched_setaffinity of a thread (0: the calling thread) from buf's first length bytes. */
  setAffinity(tid: number, buf: Uint8Array, length: number): void;
  /** sched_getcpu() of the calling thread. */
  getCpu(): number;
  /** Lock, for the calling thread, a robust process-shared mutex at the start of fd (a file
   * of a page or more): a helper waiting on it hears of this thread's death (EOWNERDEAD). */
  deathLock(fd: number): void;
  /** Unlock and unmap it (same thread). */
  deathUnlock(fd: number): void;
  /** Once per process: a thread that holds a robust mutex in fd until we die (deathlock.c). */
  deathSentinel(fd: number): void;
}
