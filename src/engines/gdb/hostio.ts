/**
 * vFile host I/O (gdb manual, "Host I/O Packets"): gdb's `sysroot target:` reads the program and its
 * libraries through these; `remote put`, `remote get` and `remote delete` write, read and
 * remove files (open with O_CREAT/O_WRONLY/O_TRUNC, pwrite, unlink). Without them gdb warns and reads the local files, which works here
 * but prints a line gdbserver users never see.
 *
 * Files are opened with the permissions of the traced process's user, not ours: a root utrace
 * must not hand /etc/shadow to a session debugging `nobody`'s program. The kernel decides, not
 * us: when the process's filesystem credentials (fsuid, fsgid, supplementary groups from
 * /proc/PID/status) differ from ours and we are root, every vFile operation for it runs in a
 * helper process (hostio-helper.js) that has dropped to exactly those credentials before it
 * reads a request. So path walks, symlinks, ACLs, LSMs and the sticky-directory rules all apply
 * as they would to the program itself, with no check-then-open race. Emulating access(2) from
 * the uid/gid in /proc would miss ACLs and race with renames; setfsuid in our own process would
 * need per-thread syscalls from the native layer and still leave our capabilities in force.
 * The helper is started once per credential set (about 50 ms) and then costs one pipe round
 * trip per packet. A non-root utrace can only trace processes of its own uid and gid, so it
 * opens files itself; a tracee of fsuid 0 (root with capabilities) is served by us too.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hexDecodeString, parseHexNumber } from './protocol/index.js';
import { procStatus } from '../../api.js';
import { childProcess } from '../../builtins.js';

/** gdb's fileio errno values (gdb/include/gdb/fileio.h). */
const FILEIO_ERRNO: Record<string, number> = {
  EPERM: 1, ENOENT: 2, EINTR: 4, EBADF: 9, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17,
  ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, EFBIG: 27,
  ENOSPC: 28, ESPIPE: 29, EROFS: 30, ENAMETOOLONG: 91,
};

function fail(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code ?? '';
  return `F-1,${(FILEIO_ERRNO[code] ?? 9999).toString(16)}`;
}

/** gdb fileio open flags -> Linux. */
function openFlags(f: number): number {
  const c = fs.constants;
  let o = f & 3; // RDONLY 0, WRONLY 1, RDWR 2 are the same
  if (f & 0x8) o |= c.O_APPEND;
  if (f & 0x200) o |= c.O_CREAT;
  if (f & 0x400) o |= c.O_TRUNC;
  if (f & 0x800) o |= c.O_EXCL;
  return o;
}

/** struct fio_stat: big-endian, 4-byte fields except size/blksize/blocks (8). */
function fioStat(st: fs.Stats): Buffer {
  const b = Buffer.alloc(64);
  let o = 0;
  const u32 = (v: number): void => {
    b.writeUInt32BE(v >>> 0, o);
    o += 4;
  };
  const u64 = (v: number): void => {
    b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(v))), o);
    o += 8;
  };
  u32(st.dev);
  u32(st.ino);
  u32(st.mode);
  u32(st.nlink);
  u32(st.uid);
  u32(st.gid);
  u32(st.rdev);
  u64(st.size);
  u64(st.blksize);
  u64(st.blocks);
  u32(Math.floor(st.atimeMs / 1000));
  u32(Math.floor(st.mtimeMs / 1000));
  u32(Math.floor(st.ctimeMs / 1000));
  return b;
}

/** A vFile handler working with this process's own permissions, with its own descriptor
 * table (the helper runs one of these after dropping privileges). Descriptors are few and
 * close() frees them. */
export function localHostIo(): (p: string) => string | Buffer {
  const fds = new Set<number>();
  return (p: string): string | Buffer => {
    const colon = p.indexOf(':', 6);
    const op = p.slice(6, colon < 0 ? undefined : colon);
    const args = colon < 0 ? [] : p.slice(colon + 1).split(',');
    try {
      switch (op) {
        case 'setfs':
          return 'F0';
        case 'open': {
          // Only the permission bits of gdb's mode count (as gdbserver's fileio_to_host_mode).
          const fd = fs.openSync(hexDecodeString(args[0]!), openFlags(parseHexNumber(args[1]!)), parseHexNumber(args[2] ?? '0') & 0o777);
          fds.add(fd);
          return `F${fd.toString(16)}`;
        }
        case 'pread': {
          const fd = parseHexNumber(args[0]!);
          if (!fds.has(fd)) return 'F-1,9';
          const len = Math.min(parseHexNumber(args[1]!), 0x47ff);
          const buf = Buffer.alloc(len);
          const n = fs.readSync(fd, buf, 0, len, parseHexNumber(args[2]!));
          return Buffer.concat([Buffer.from(`F${n.toString(16)};`), buf.subarray(0, n)]);
        }
        case 'pwrite': {
          // vFile:pwrite:FD,OFFSET,DATA: DATA is binary and may hold commas.
          const c1 = p.indexOf(',', colon + 1);
          const c2 = c1 < 0 ? -1 : p.indexOf(',', c1 + 1);
          if (c2 < 0) return 'F-1,16'; // EINVAL (22)
          const fd = parseHexNumber(p.slice(colon + 1, c1));
          if (!fds.has(fd)) return 'F-1,9';
          const data = Buffer.from(p.slice(c2 + 1), 'latin1');
          const n = fs.writeSync(fd, data, 0, data.length, parseHexNumber(p.slice(c1 + 1, c2)));
          return `F${n.toString(16)}`;
        }
        case 'close': {
          const fd = parseHexNumber(args[0]!);
          if (!fds.delete(fd)) return 'F-1,9';
          fs.closeSync(fd);
          return 'F0';
        }
        case 'fstat': {
          const fd = parseHexNumber(args[0]!);
          if (!fds.has(fd)) return 'F-1,9';
          const st = fioStat(fs.fstatSync(fd));
          return Buffer.concat([Buffer.from(`F${st.length.toString(16)};`), st]);
        }
        case 'readlink': {
          const target = Buffer.from(fs.readlinkSync(hexDecodeString(args[0]!)));
          return Buffer.concat([Buffer.from(`F${target.length.toString(16)};`), target]);
        }
        case 'unlink':
          fs.unlinkSync(hexDecodeString(args[0]!));
          return 'F0';
        default:
          return '';
      }
    } catch (e) {
      return fail(e);
    }
  };
}

/** Filesystem credentials of a process: what the kernel checks its file accesses against. */
export interface FsCreds {
  uid: number;
  gid: number;
  groups: number[];
}

/** fsuid, fsgid and groups of pid (the 4th Uid:/Gid: field is the filesystem id). */
export function fsCredsOf(pid: number): FsCreds | undefined {
  const st = procStatus(pid);
  if (!st) return undefined;
  const field = (name: string): string[] => (st[name] ?? '').split(/\s+/).filter(Boolean);
  const uid = Number(field('Uid')[3]);
  const gid = Number(field('Gid')[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return undefined;
  return { uid, gid, groups: field('Groups').map(Number).filter(Number.isInteger) };
}

function sameCreds(a: FsCreds, b: FsCreds): boolean {
  const ga = [...new Set(a.groups)].sort((x, y) => x - y).join(',');
  const gb = [...new Set(b.groups)].sort((x, y) => x - y).join(',');
  return a.uid === b.uid && a.gid === b.gid && ga === gb;
}

const HELPER = fileURLToPath(new URL('./hostio-helper.js', import.meta.url));
const EACCES_REPLY = `F-1,${FILEIO_ERRNO['EACCES']!.toString(16)}`;

/** A helper process holding one set of credentials; requests are answered in order. */
class CredHelper {
  private readonly child: ChildProcess;
  private readonly pending: ((reply: string | Buffer) => void)[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private dead = false;

  constructor(creds: FsCreds, onLog: (m: string) => void) {
    this.child = childProcess().spawn(process.execPath, [HELPER, String(creds.uid), String(creds.gid), creds.groups.join(',')], {
      stdio: ['pipe', 'pipe', 'inherit'],
      cwd: '/',
      env: {},
    });
    this.child.unref();
    const unrefStream = (s: unknown): void => (s as { unref?: () => void } | null)?.unref?.();
    unrefStream(this.child.stdin);
    unrefStream(this.child.stdout);
    this.child.stdin!.on('error', () => this.die());
    this.child.stdout!.on('data', (d: Buffer) => this.onData(d));
    this.child.on('error', (e) => {
      onLog(`vFile: cannot start the file helper: ${e.message}`);
      this.die();
    });
    this.child.on('exit', () => this.die());
  }

  request(packet: string): Promise<string | Buffer> {
    if (this.dead) return Promise.resolve(EACCES_REPLY);
    return new Promise((resolve) => {
      this.pending.push(resolve);
      const body = Buffer.from(packet, 'latin1');
      const frame = Buffer.alloc(4 + body.length);
      frame.writeUInt32BE(body.length, 0);
      body.copy(frame, 4);
      this.child.stdin!.write(frame);
    });
  }

  close(): void {
    this.child.stdin?.end();
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (this.buf.length < 4 + len) break;
      const body = Buffer.from(this.buf.subarray(4, 4 + len));
      this.buf = this.buf.subarray(4 + len);
      const reply = body.length && body[0] === 0x46 /* F */ && !body.includes(0x3b /* ; */) ? body.toString('latin1') : body;
      this.pending.shift()?.(reply);
    }
  }

  /** Fail closed: whatever was asked gets EACCES. */
  private die(): void {
    if (this.dead) return;
    this.dead = true;
    for (const r of this.pending.splice(0)) r(EACCES_REPLY);
  }
}

export interface HostIoOptions {
  /** The process whose user's permissions apply when gdb has not chosen one with setfs. */
  defaultPid?: () => number | undefined;
  /** May gdb select this pid with setfs? (our own processes only: otherwise `setfs:1` would
   * lend it init's permissions) */
  allowPid?: (pid: number) => boolean;
  log?: (m: string) => void;
}

export interface HostIo {
  (p: string): string | Buffer | Promise<string | Buffer>;
  /** End the helper processes (the session is over). */
  close(): void;
}

/**
 * The session's vFile handler: each request runs with the permissions of the process gdb
 * selected (`vFile:setfs:PID`, one of ours; else the current inferior; with neither, ours, as
 * gdbserver),
 * either here or in a helper with those credentials. Descriptors gdb sees are our own numbers,
 * mapped to the (backend, descriptor) that opened the file.
 */
export function hostIo(opts: HostIoOptions = {}): HostIo {
  const local = localHostIo();
  const helpers = new Map<string, CredHelper>();
  const files = new Map<number, { backend: (p: string) => string | Buffer | Promise<string | Buffer>; fd: number }>();
  let nextFd = 3;
  let fsPid = 0;
  const log = opts.log ?? (() => undefined);
  const ours = (): FsCreds => ({ uid: process.geteuid!(), gid: process.getegid!(), groups: process.getgroups!() });

  /** The backend for the selected process, or undefined when its credentials are unknown. */
  const backend = (): ((p: string) => string | Buffer | Promise<string | Buffer>) | undefined => {
    const pid = fsPid || opts.defaultPid?.();
    if (!pid) return local;
    const creds = fsCredsOf(pid);
    if (!creds) return undefined;
    // Not root: we can only trace our own uid/gid, and could not switch anyway. A root tracee
    // (fsuid 0) reads what we read.
    if (process.geteuid!() !== 0 || creds.uid === 0 || sameCreds(creds, ours())) return local;
    const key = `${creds.uid}:${creds.gid}:${creds.groups.join(',')}`;
    let h = helpers.get(key);
    if (!h) {
      h = new CredHelper(creds, log);
      helpers.set(key, h);
    }
    const helper = h;
    return (p) => helper.request(p);
  };

  const withFd = (p: string, op: string, args: string[]): string | Buffer | Promise<string | Buffer> => {
    const vfd = parseHexNumber(args[0]!);
    const f = files.get(vfd);
    if (!f) return 'F-1,9';
    if (op === 'close') files.delete(vfd);
    return f.backend(`vFile:${op}:${[f.fd.toString(16), ...args.slice(1)].join(',')}`);
  };

  const handler = ((p: string): string | Buffer | Promise<string | Buffer> => {
    const colon = p.indexOf(':', 6);
    const op = p.slice(6, colon < 0 ? undefined : colon);
    const args = colon < 0 ? [] : p.slice(colon + 1).split(',');
    try {
      switch (op) {
        case 'setfs': {
          const pid = parseHexNumber(args[0] ?? '0');
          if (pid !== 0 && !(opts.allowPid?.(pid) ?? false)) return `F-1,${FILEIO_ERRNO['EPERM']!.toString(16)}`;
          fsPid = pid;
          return 'F0';
        }
        case 'pread':
        case 'pwrite':
        case 'close':
        case 'fstat':
          return withFd(p, op, args);
        case 'open':
        case 'readlink':
        case 'unlink': {
          const b = backend();
          if (!b) return EACCES_REPLY; // the process is gone: whose permissions? none.
          if (op !== 'open') return b(p);
          const map = (r: string | Buffer): string | Buffer => {
            const m = typeof r === 'string' ? /^F([0-9a-f]+)$/.exec(r) : null;
            if (!m) return r;
            const vfd = nextFd++;
            files.set(vfd, { backend: b, fd: parseInt(m[1]!, 16) });
            return `F${vfd.toString(16)}`;
          };
          const r = b(p);
          return r instanceof Promise ? r.then(map) : map(r);
        }
        default:
          return '';
      }
    } catch (e) {
      return fail(e);
    }
  }) as HostIo;
  handler.close = () => {
    for (const h of helpers.values()) h.close();
    helpers.clear();
    for (const f of files.values()) if (f.backend === local) local(`vFile:close:${f.fd.toString(16)}`);
    files.clear();
  };
  return handler;
}
