/**
 * vFile host I/O (spec gdb-server.md §3.7): gdb's `sysroot target:` reads the program and its
 * libraries through these. Without them gdb warns and reads the local files, which works here
 * but prints a line gdbserver users never see.
 */
import * as fs from 'node:fs';
import { hexDecodeString, parseHexNumber } from './protocol/index.js';

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

/** A vFile handler with its own descriptor table (closed when the session ends is not needed:
 * descriptors are few and the server process is short-lived; close() frees them). */
export function hostIo(): (p: string) => string | Buffer {
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
          const fd = fs.openSync(hexDecodeString(args[0]!), openFlags(parseHexNumber(args[1]!)), parseHexNumber(args[2] ?? '0'));
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
