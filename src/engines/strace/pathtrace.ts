/**
 * -P PATH (--trace-path): only syscalls that name one of the paths, or take a descriptor open
 * on one, are shown. Which arguments are paths and descriptors comes from the syscalls' ABI
 * (man 2 pages): the calls listed here by shape, then for the rest of %file the first argument
 * as a path and for the rest of %desc the first as a descriptor. Decided at syscall entry, as
 * strace does: a descriptor matches when /proc/PID/fd/N links to the path.
 */
import * as fs from 'node:fs';
import { SYSCALLS, SYSCALL_CLASS_NAMES, type TaskMemory } from '../../api.js';
import { readCString, readExact } from './memory.js';
import { resolvedPath } from './pathresolve.js';

const PAGE = 4096n;

/** A NUL-terminated path, read a page at a time (it may end just before unmapped memory). */
function readPath(mem: TaskMemory, addr: bigint): string | undefined {
  const parts: Buffer[] = [];
  let at = addr;
  let left = PATH_MAX;
  while (left > 0) {
    const chunk = Math.min(left, Number(PAGE - (at % PAGE)));
    const s = readCString(mem, at, chunk);
    if (!s) return undefined;
    parts.push(s.bytes);
    if (s.nul) return Buffer.concat(parts).toString('utf8');
    at += BigInt(chunk);
    left -= chunk;
  }
  return undefined;
}

type Arg = 'fd' | 'path' | 'fdset' | 'pollfds';

/** Calls whose paths and descriptors are not (only) the first argument: argument index -> kind. */
const SHAPES: Record<string, [number, Arg][]> = {};
const shape = (names: string[], args: [number, Arg][]): void => {
  for (const n of names) SHAPES[n] = args;
};
shape(['dup2', 'dup3', 'sendfile', 'tee'], [[0, 'fd'], [1, 'fd']]);
shape(['splice', 'copy_file_range', 'epoll_ctl'], [[0, 'fd'], [2, 'fd']]);
shape(['faccessat', 'faccessat2', 'fchmodat', 'fchmodat2', 'fchownat', 'futimesat', 'mkdirat', 'mknodat',
  'newfstatat', 'openat', 'openat2', 'readlinkat', 'statx', 'unlinkat', 'utimensat', 'execveat',
  'name_to_handle_at', 'open_tree', 'fspick', 'mount_setattr', 'inotify_add_watch', 'quotactl_fd',
  'getxattrat', 'setxattrat', 'listxattrat', 'removexattrat'], [[0, 'fd'], [1, 'path']]);
shape(['link', 'rename', 'mount', 'pivot_root'], [[0, 'path'], [1, 'path']]);
shape(['symlink', 'quotactl'], [[1, 'path']]);
shape(['symlinkat'], [[1, 'fd'], [2, 'path']]);
shape(['linkat', 'renameat', 'renameat2', 'move_mount'], [[0, 'fd'], [1, 'path'], [2, 'fd'], [3, 'path']]);
shape(['fanotify_mark'], [[0, 'fd'], [3, 'fd'], [4, 'path']]);
shape(['mmap'], [[4, 'fd']]);
shape(['select', 'pselect6'], [[1, 'fdset'], [2, 'fdset'], [3, 'fdset']]);
shape(['poll', 'ppoll'], [[0, 'pollfds']]);
// They make descriptors, take none that could be open on a path.
shape(['accept', 'accept4', 'bpf', 'epoll_create', 'epoll_create1', 'eventfd', 'eventfd2', 'fanotify_init',
  'inotify_init', 'inotify_init1', 'io_uring_setup', 'memfd_create', 'memfd_secret', 'perf_event_open',
  'pidfd_open', 'pipe', 'pipe2', 'signalfd', 'signalfd4', 'socket', 'socketpair', 'timerfd_create',
  'userfaultfd', 'fsopen', 'landlock_create_ruleset'], []);

/**
 * fsconfig(fs_fd, cmd, key, value, aux): what value and aux are depends on cmd (<linux/mount.h>):
 * FSCONFIG_SET_PATH(_EMPTY) gives a path relative to the descriptor aux, FSCONFIG_SET_FD a
 * descriptor in aux; the other commands neither. fs_fd is a filesystem context (fsopen,
 * fspick), never open on a path.
 */
function fsconfigShape(cmd: bigint): [number, Arg][] {
  switch (BigInt.asUintN(32, cmd)) {
    case 3n: // FSCONFIG_SET_PATH
    case 4n: // FSCONFIG_SET_PATH_EMPTY
      return [[3, 'path'], [4, 'fd']];
    case 5n: // FSCONFIG_SET_FD
      return [[4, 'fd']];
    default:
      return [];
  }
}

const FILE = SYSCALL_CLASS_NAMES['%file'] ?? 0;
const DESC = SYSCALL_CLASS_NAMES['%desc'] ?? 0;
const PATH_MAX = 4096;
/** Most descriptors a select set or a poll array is looked at for (as FD_SETSIZE-ish bound). */
const MAX_FDS = 1 << 16;

export class PathTrace {
  private readonly _paths = new Set<string>();

  /** @param paths the -P arguments; each also matches as the absolute path it resolves to */
  constructor(paths: readonly string[], cwd = process.cwd()) {
    for (const p of paths) {
      this._paths.add(p);
      const real = resolvedPath(p, cwd);
      if (real !== undefined) this._paths.add(real);
    }
  }

  /** Whether the call (at entry) names a path or a descriptor of the set. */
  matches(nr: number, args: readonly bigint[], mem: TaskMemory, pid: number): boolean {
    const sc = SYSCALLS[nr];
    if (!sc) return false;
    let shapeArgs = sc.name === 'fsconfig' ? fsconfigShape(args[1] ?? 0n) : SHAPES[sc.name];
    if (!shapeArgs) {
      if (sc.classes & FILE) shapeArgs = [[0, 'path']];
      else if (sc.classes & DESC) shapeArgs = [[0, 'fd']];
      else return false;
    }
    for (const [i, kind] of shapeArgs) {
      const a = args[i] ?? 0n;
      switch (kind) {
        case 'fd':
          if (this._fd(pid, Number(BigInt.asIntN(32, a)))) return true;
          break;
        case 'path': {
          const s = readPath(mem, a);
          if (s !== undefined && this._paths.has(s)) return true;
          break;
        }
        case 'fdset':
          if (this._fdSet(mem, pid, a, Number(BigInt.asUintN(32, args[0] ?? 0n)))) return true;
          break;
        case 'pollfds':
          if (this._pollFds(mem, pid, a, Number(BigInt.asUintN(32, args[1] ?? 0n)))) return true;
          break;
      }
    }
    return false;
  }

  private _fd(pid: number, fd: number): boolean {
    if (fd < 0) return false;
    try {
      return this._paths.has(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      return false;
    }
  }

  private _fdSet(mem: TaskMemory, pid: number, addr: bigint, nfds: number): boolean {
    const n = Math.min(nfds, MAX_FDS);
    if (!addr || n <= 0) return false;
    const bytes = readExact(mem, addr, Math.ceil(n / 64) * 8);
    if (!bytes) return false;
    for (let fd = 0; fd < n; fd++) if (bytes[fd >> 3]! & (1 << (fd & 7)) && this._fd(pid, fd)) return true;
    return false;
  }

  private _pollFds(mem: TaskMemory, pid: number, addr: bigint, nfds: number): boolean {
    const n = Math.min(nfds, MAX_FDS);
    if (!addr || n <= 0) return false;
    // Element by element: the array may run into unmapped memory after a matching entry.
    for (let i = 0; i < n; i++) {
      const b = readExact(mem, addr + BigInt(i * 8), 8);
      if (!b) return false;
      if (this._fd(pid, b.readInt32LE(0))) return true;
    }
    return false;
  }
}
