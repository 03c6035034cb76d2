/**
 * --decode-fds (-y, -yy): what a tracee's descriptor is, as strace prints it inside `fd<…>`:
 * path (the /proc/PID/fd link; an unlinked file's " (deleted)" goes after the brackets), dev
 * (a device file's path then `<char M:m>` or `<block M:m>`), pidfd (`pid:N`, the process the
 * pidfd refers to, from its fdinfo), socket (protocol and sock_diag details: sockdiag.ts).
 */
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { procDir } from '../../api.js';
import { socketText } from './sockdiag.js';

export type DecodeFdsName = 'path' | 'socket' | 'dev' | 'pidfd';

/** What goes inside `fd<…>` (path escaped unless raw, dev as is) and right after it. */
export interface FdText {
  /** The link's bytes, one character per byte (latin1): a file name need not be UTF-8. */
  readonly path: string;
  /** path is printed as is (socket details, already quoted). */
  readonly raw?: boolean;
  readonly dev?: string;
  readonly after?: string;
}

const DELETED = ' (deleted)';

/**
 * The decoration of descriptor `fd` of process `pid` for the decode-fds set, if any; with
 * `viaPidfd`, of the process that pid's descriptor viaPidfd (a pidfd) refers to (pidfd_getfd);
 * `closing`: fd is being closed (a socket shows what was last seen of it: its peer may be gone).
 */
export function fdText(set: ReadonlySet<DecodeFdsName>, pid: number, fd: number, viaPidfd?: number, closing = false): FdText | undefined {
  let dir = procDir(pid);
  if (dir !== undefined && viaPidfd !== undefined) {
    const target = readlinkOr(`${dir}/fd/${viaPidfd}`) === 'anon_inode:[pidfd]' ? pidfdPid(dir, viaPidfd) : undefined;
    // fdinfo numbers it as /proc does.
    dir = target !== undefined && target > 0 ? `/proc/${target}` : undefined;
  }
  if (dir === undefined) return undefined;
  let link: string;
  try {
    link = readlinkSync(`${dir}/fd/${fd}`, 'latin1');
  } catch {
    return undefined;
  }
  if (set.has('pidfd') && link === 'anon_inode:[pidfd]') {
    const n = pidfdPid(dir, fd);
    if (n !== undefined) return { path: `pid:${n}` };
  }
  if (set.has('socket') && link.startsWith('socket:[')) {
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) return { path: socketText(`${dir}/fd/${fd}`, Number(m[1]), closing), raw: true };
  }
  if (set.has('dev') && link.startsWith('/')) {
    const dev = deviceOf(`${dir}/fd/${fd}`);
    if (dev !== undefined) return { path: link, dev };
  }
  if (!set.has('path')) return undefined;
  // The kernel appends " (deleted)" to an unlinked file's path; a file can also be named so.
  if (link.endsWith(DELETED) && link.startsWith('/') && unlinked(`${dir}/fd/${fd}`)) {
    return { path: link.slice(0, -DELETED.length), after: '(deleted)' };
  }
  return { path: link };
}

function unlinked(path: string): boolean {
  try {
    return statSync(path).nlink === 0;
  } catch {
    return false;
  }
}

function readlinkOr(path: string): string | undefined {
  try {
    return readlinkSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/** The pid a pidfd of the tracee refers to (its fdinfo's Pid:, as /proc numbers it). */
export function pidfdPid(dir: string, fd: number): number | undefined {
  try {
    const m = /^Pid:\s*(-?\d+)/m.exec(readFileSync(`${dir}/fdinfo/${fd}`, 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** "char M:m" / "block M:m" for a device file (dev_t split as the kernel's new_encode_dev). */
function deviceOf(path: string): string | undefined {
  try {
    const st = statSync(path, { bigint: true });
    const kind = st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : undefined;
    if (!kind) return undefined;
    const r = st.rdev;
    const major = ((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn);
    const minor = (r & 0xffn) | ((r >> 12n) & ~0xffn);
    return `${kind} ${major}:${minor}`;
  } catch {
    return undefined;
  }
}
