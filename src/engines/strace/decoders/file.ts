/**
 * File-system syscalls: open/creat/openat2, stat family, statx, access, readlink, getdents,
 * mkdir/unlink/rename/link/symlink, chmod/chown, utimensat, truncate, getcwd/chdir, umask,
 * mknod, statfs. Output follows strace 6.x (open.c, stat.c, statx.c, dirent*.c, utimes.c, ...).
 */
import { Ctx, RV, RVAL_DECODED, U32, flagsStr, symbolicModeStr, type Decoder } from '../printer.js';
import { renderValue } from '../render.js';
import { extTail } from './common.js';
import { isoTime } from '../timefmt.js';
import { NULL, addr, arr, cmt, field, hexStr, num, struct, sym, type Field, type Value } from '../value.js';
import {
  access_modes,
  advise,
  at_flags,
  at_statx_sync_types,
  dirent_types,
  faccessat_flags,
  flockcmds,
  fsmagic,
  open_access_modes,
  open_mode_flags,
  openat2_resolve,
  renameat2_flags,
  statfs_flags,
  statx_attrs,
  statx_masks,
  xattr_flags,
} from '../xlat/tables.gen.js';

const O_CREAT = 0o100n;
const O_TMPFILE_BIT = 0o20000000n; // __O_TMPFILE
const O_ACCMODE = 3n;
/** mode_t arguments: strace prints them as unsigned short, so higher bits never show. */
const U16 = (v: bigint): bigint => v & 0xffffn;

/** dev_t: makedev(major, minor); -X raw the number, -X verbose both. */
export function devValue(c: Ctx, dev: bigint): Value {
  if (c.o.xlat === 'abbrev') return Ctx.makedev(dev);
  const n = hexStr(dev);
  return sym(c.o.xlat === 'raw' ? n : `${n} /* ${renderValue(Ctx.makedev(dev))} */`);
}

/** open flags: the access mode, then the other bits (strace tprint_open_modes). */
export function openFlagsStr(c: Ctx, flags: bigint): string {
  if (c.o.xlat === 'raw') return flagsStr(flags, open_mode_flags, undefined, 'raw');
  const acc = open_access_modes.lookup(flags & O_ACCMODE);
  const rest = flags & ~O_ACCMODE;
  let s: string;
  if (acc !== undefined) {
    s = acc;
    if (rest) s += `|${flagsStr(rest, open_mode_flags, undefined)}`;
  } else {
    s = flagsStr(flags, open_mode_flags, 'O_???');
  }
  return c.o.xlat === 'verbose' ? `${flags === 0n ? '0' : `0x${flags.toString(16)}`} /* ${s} */` : s;
}

function pushOpen(c: Ctx, flagsIdx: number): void {
  const flags = U32(c.a[flagsIdx]);
  c.push(sym(openFlagsStr(c, flags)));
  // The mode is meaningful (and printed) only when a file may be created.
  if (flags & (O_CREAT | O_TMPFILE_BIT)) c.push(c.mode(U16(c.a[flagsIdx + 1])));
}

/** `uid_t`: -1 stays -1 (strace printuid). */
export function uidValue(v: bigint): Value {
  const u = U32(v);
  return u === 0xffffffffn ? num(-1) : num(u);
}

/**
 * `v /* date *\/` for a time of `sec` seconds and `frac` units of 10^-digits s. strace prints no
 * date for the zero time (e.g. an unset stx_btime) nor for an out-of-range fraction; the date is
 * a comment, so -X raw keeps it.
 */
export function timeCmt(v: Value, sec: bigint, frac: bigint, digits: 6 | 9 = 9): Value {
  if ((sec === 0n && frac === 0n) || frac < 0n || frac >= 10n ** BigInt(digits)) return v;
  const t = isoTime(sec);
  if (t === undefined) return v;
  if (frac === 0n) return cmt(v, t);
  // isoTime ends in a fixed-width ±HHMM zone; the fraction goes before it.
  return cmt(v, `${t.slice(0, -5)}.${frac.toString().padStart(digits, '0')}${t.slice(-5)}`);
}

/** struct stat (x86_64 layout, 144 bytes). */
export function statValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 144);
  if (!b) return addr(ad);
  const mode = BigInt(b.readUInt32LE(24));
  const f: Field[] = [];
  if (!c.abbrev) {
    f.push(field('st_dev', devValue(c, b.readBigUInt64LE(0))));
    f.push(field('st_ino', num(b.readBigUInt64LE(8))));
  }
  f.push(field('st_mode', sym(symbolicModeStr(mode, c.o.xlat))));
  if (!c.abbrev) {
    f.push(field('st_nlink', num(b.readBigUInt64LE(16))));
    f.push(field('st_uid', num(b.readUInt32LE(28))));
    f.push(field('st_gid', num(b.readUInt32LE(32))));
    f.push(field('st_blksize', num(b.readBigInt64LE(56))));
    f.push(field('st_blocks', num(b.readBigInt64LE(64))));
  }
  const fmt = mode & 0o170000n;
  if (fmt === 0o020000n || fmt === 0o060000n) f.push(field('st_rdev', devValue(c, b.readBigUInt64LE(40))));
  else f.push(field('st_size', num(b.readBigInt64LE(48))));
  if (c.abbrev) return struct(f, true);
  for (const [name, off] of [['st_atime', 72], ['st_mtime', 88], ['st_ctime', 104]] as const) {
    const sec = b.readBigInt64LE(off);
    const nsec = b.readBigUInt64LE(off + 8);
    f.push(field(name, timeCmt(num(sec), sec, nsec)));
    f.push(field(`${name}_nsec`, num(nsec)));
  }
  return struct(f);
}

function statxTs(c: Ctx, b: Buffer, off: number): Value {
  const sec = b.readBigInt64LE(off);
  const nsec = BigInt(b.readUInt32LE(off + 8));
  return timeCmt(struct([field('tv_sec', num(sec)), field('tv_nsec', num(nsec))]), sec, nsec);
}

/** struct statx (256 bytes). */
export function statxValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 256);
  if (!b) return addr(ad);
  const f: Field[] = [];
  const mask = b.readUInt32LE(0);
  f.push(field('stx_mask', c.flags(BigInt(mask), statx_masks, 'STATX_???')));
  if (!c.abbrev) f.push(field('stx_blksize', num(b.readUInt32LE(4))));
  f.push(field('stx_attributes', c.flags(b.readBigUInt64LE(8), statx_attrs, 'STATX_ATTR_???')));
  // With -v the fields the kernel did not fill in (stx_mask, STATX_* bits) are left out.
  const has = (bit: number): boolean => (mask & bit) !== 0;
  if (!c.abbrev) {
    if (has(0x4)) f.push(field('stx_nlink', num(b.readUInt32LE(16))));
    if (has(0x8)) f.push(field('stx_uid', num(b.readUInt32LE(20))));
    if (has(0x10)) f.push(field('stx_gid', num(b.readUInt32LE(24))));
  }
  if (c.abbrev || has(0x3)) f.push(field('stx_mode', sym(symbolicModeStr(BigInt(b.readUInt16LE(28)), c.o.xlat))));
  if (!c.abbrev && has(0x100)) f.push(field('stx_ino', num(b.readBigUInt64LE(32))));
  if (c.abbrev || has(0x200)) f.push(field('stx_size', num(b.readBigUInt64LE(40))));
  if (c.abbrev) return struct(f, true);
  if (has(0x400)) f.push(field('stx_blocks', num(b.readBigUInt64LE(48))));
  f.push(field('stx_attributes_mask', c.flags(b.readBigUInt64LE(56), statx_attrs, 'STATX_ATTR_???')));
  if (has(0x20)) f.push(field('stx_atime', statxTs(c, b, 64)));
  if (has(0x800)) f.push(field('stx_btime', statxTs(c, b, 80)));
  if (has(0x80)) f.push(field('stx_ctime', statxTs(c, b, 96)));
  if (has(0x40)) f.push(field('stx_mtime', statxTs(c, b, 112)));
  f.push(field('stx_rdev_major', num(b.readUInt32LE(128))));
  f.push(field('stx_rdev_minor', num(b.readUInt32LE(132))));
  f.push(field('stx_dev_major', num(b.readUInt32LE(136))));
  f.push(field('stx_dev_minor', num(b.readUInt32LE(140))));
  f.push(field('stx_mnt_id', sym(`0x${b.readBigUInt64LE(144).toString(16)}`)));
  return struct(f);
}

/** statx flags: the AT_STATX_* sync type, then AT_* flags. */
function statxFlagsStr(c: Ctx, v: bigint): string {
  if (c.o.xlat === 'raw') return `0x${v.toString(16)}`;
  const sync = v & 0x6000n;
  // An invalid sync type (both bits) prints as the two flags.
  let s = at_statx_sync_types.lookup(sync) ?? flagsStr(sync, at_statx_sync_types, undefined);
  const rest = v & ~0x6000n;
  if (rest) s += `|${flagsStr(rest, at_flags, undefined)}`;
  return s;
}

/** Counts dirent records in a getdents buffer, or decodes them with -v. */
function direntsValue(c: Ctx, ad: bigint, count: bigint, is64: boolean): Value {
  const len = c.rval;
  if (c.failed) return addr(ad);
  // Cap what we read: a real getdents returns at most `count` bytes, a hostile one anything.
  const LIMIT = 1 << 20;
  if (len > BigInt(LIMIT) || len > count) return addr(ad);
  const n = Number(len);
  const b = n ? c.fetch(ad, n) : Buffer.alloc(0);
  if (!b) return addr(ad);
  const entries: Value[] = [];
  let cnt = 0;
  let more = false;
  for (let off = 0; off + (is64 ? 19 : 18) <= n; ) {
    const reclen = b.readUInt16LE(16);
    const rl = b.readUInt16LE(off + 16);
    void reclen;
    if (rl === 0) break;
    cnt++;
    if (!c.abbrev) {
      if (entries.length >= c.o.strsize && entries.length >= 4096) {
        more = true;
      } else {
        const ino = b.readBigUInt64LE(off);
        const doff = b.readBigInt64LE(off + 8);
        let type: number;
        let nameStart: number;
        if (is64) {
          type = b[off + 18];
          nameStart = off + 19;
        } else {
          type = off + rl - 1 < n ? b[off + rl - 1] : 0;
          nameStart = off + 18;
        }
        const nameEnd = Math.min(off + rl, n);
        const nb = b.subarray(nameStart, nameEnd);
        const z = nb.indexOf(0);
        entries.push(
          struct([
            field('d_ino', num(ino)),
            field('d_off', num(doff)),
            field('d_reclen', num(rl)),
            ...(is64 ? [field('d_type', c.xval(BigInt(type), dirent_types, 'DT_???'))] : []),
            field('d_name', { t: 'str', b: z >= 0 ? nb.subarray(0, z) : nb, more: false }),
            ...(is64 ? [] : [field('d_type', c.xval(BigInt(type), dirent_types, 'DT_???'))]),
          ]),
        );
      }
    }
    off += rl;
  }
  if (c.abbrev) return cmt(addr(ad), `${cnt} entries`);
  return arr(entries, more);
}

function getdents(is64: boolean): Decoder {
  return (c) => {
    if (c.entering) {
      c.push(c.fd(c.a[0]));
      return 0;
    }
    c.push(direntsValue(c, c.a[1], U32(c.a[2]), is64), c.uint(2));
    return 0;
  };
}

function utimensValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 32);
  if (!b) return addr(ad);
  const items: Value[] = [];
  for (let i = 0; i < 2; i++) {
    const sec = b.readBigInt64LE(i * 16);
    const nsec = b.readBigUInt64LE(i * 16 + 8);
    const ts = struct([field('tv_sec', num(sec)), field('tv_nsec', num(nsec))]);
    // UTIME_NOW / UTIME_OMIT replace the whole timespec in strace's output (-X: a comment).
    const special = nsec === (1n << 30n) - 1n ? 'UTIME_NOW' : nsec === (1n << 30n) - 2n ? 'UTIME_OMIT' : undefined;
    if (special === undefined) items.push(timeCmt(ts, sec, nsec));
    else if (c.o.xlat === 'abbrev') items.push(sym(special));
    else items.push(c.o.xlat === 'verbose' ? cmt(ts, special) : ts);
  }
  return arr(items);
}

function timevalPair(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 32);
  if (!b) return addr(ad);
  const items: Value[] = [];
  for (let i = 0; i < 2; i++) {
    const sec = b.readBigInt64LE(i * 16);
    const usec = b.readBigUInt64LE(i * 16 + 8);
    const tv = struct([field('tv_sec', num(sec)), field('tv_usec', num(usec))]);
    items.push(timeCmt(tv, sec, usec, 6));
  }
  return arr(items);
}

/** statfs (x86_64, 120 bytes). */
function statfsValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 120);
  if (!b) return addr(ad);
  const h32 = (off: number): Value => sym(hexStr(BigInt(b.readUInt32LE(off))));
  return struct([
    field('f_type', c.xval(b.readBigInt64LE(0), fsmagic, undefined)),
    field('f_bsize', num(b.readBigInt64LE(8))),
    field('f_blocks', num(b.readBigUInt64LE(16))),
    field('f_bfree', num(b.readBigUInt64LE(24))),
    field('f_bavail', num(b.readBigUInt64LE(32))),
    field('f_files', num(b.readBigUInt64LE(40))),
    field('f_ffree', num(b.readBigUInt64LE(48))),
    field('f_fsid', struct([field('val', arr([h32(56), h32(60)]))])),
    field('f_namelen', num(b.readBigInt64LE(64))),
    field('f_frsize', num(b.readBigInt64LE(72))),
    field('f_flags', c.flags(b.readBigInt64LE(80), statfs_flags, 'ST_???')),
  ]);
}

/** A decoder that prints `fmt` entries at entry. */
function entry(...fmt: ((c: Ctx) => Value)[]): Decoder {
  return (c) => {
    for (const f of fmt) c.push(f(c));
    return RVAL_DECODED;
  };
}

const P = (i: number) => (c: Ctx) => c.path(c.a[i]);
const FD = (i: number) => (c: Ctx) => c.fd(c.a[i]);
const DIRFD = (i: number) => (c: Ctx) => c.dirfd(c.a[i]);
const MODE = (i: number) => (c: Ctx) => c.mode(U16(c.a[i]));
const LONG = (i: number) => (c: Ctx) => c.long(i);
const UID = (i: number) => (c: Ctx) => uidValue(c.a[i]);
const ATFLAGS = (i: number, x = at_flags) => (c: Ctx) => c.flags(U32(c.a[i]), x, 'AT_???');

/** Decoders of syscalls that print a path and a stat buffer at exit. */
function statLike(first: (c: Ctx) => Value, bufIdx: number, flagsIdx?: number, pre?: (c: Ctx) => Value): Decoder {
  return (c) => {
    if (c.entering) {
      if (pre) c.push(pre(c));
      c.push(first(c));
      return 0;
    }
    c.push(statValue(c, c.a[bufIdx]));
    if (flagsIdx !== undefined) c.push(c.flags(U32(c.a[flagsIdx]), at_flags, 'AT_???'));
    return 0;
  };
}

function readlinkDecoder(pathIdx: number): Decoder {
  return (c) => {
    if (c.entering) {
      if (pathIdx === 1) c.push(c.dirfd(c.a[0]));
      c.push(c.path(c.a[pathIdx]));
      return 0;
    }
    const bufIdx = pathIdx + 1;
    // The result is not NUL-terminated: print exactly rval bytes.
    c.push(c.failed ? c.ptr(bufIdx) : c.buf(c.a[bufIdx], c.rval), c.ulong(bufIdx + 1));
    return 0;
  };
}

export const fileDecoders: Record<string, Decoder> = {
  open: (c) => {
    c.push(c.path(c.a[0]));
    pushOpen(c, 1);
    return RVAL_DECODED | RV.FD;
  },
  openat: (c) => {
    c.push(c.dirfd(c.a[0]), c.path(c.a[1]));
    pushOpen(c, 2);
    return RVAL_DECODED | RV.FD;
  },
  creat: (c) => {
    c.push(c.path(c.a[0]), c.mode(U16(c.a[1])));
    return RVAL_DECODED | RV.FD;
  },
  openat2: (c) => {
    c.push(c.dirfd(c.a[0]), c.path(c.a[1]));
    const size = c.a[3];
    const b = size >= 24n ? c.fetch(c.a[2], 24) : undefined;
    if (!b) c.push(c.ptr(2));
    else {
      const flags = b.readBigUInt64LE(0);
      const mode = b.readBigUInt64LE(8);
      const f: Field[] = [field('flags', sym(openFlagsStr(c, flags)))];
      // As open(): the mode when a file may be created, or when it is set anyway.
      if (mode || flags & (O_CREAT | O_TMPFILE_BIT)) f.push(field('mode', c.mode(mode)));
      f.push(field('resolve', c.flags(b.readBigUInt64LE(16), openat2_resolve, 'RESOLVE_???')));
      const tail = extTail(c, c.a[2], 24, size);
      if (tail) f.push(tail);
      c.push(struct(f));
    }
    c.push(c.ulong(3));
    return RVAL_DECODED | RV.FD;
  },
  stat: statLike(P(0), 1),
  lstat: statLike(P(0), 1),
  fstat: statLike(FD(0), 1),
  newfstatat: (c) => {
    if (c.entering) {
      c.push(c.dirfd(c.a[0]), c.path(c.a[1]));
      return 0;
    }
    c.push(statValue(c, c.a[2]), c.flags(U32(c.a[3]), at_flags, 'AT_???'));
    return 0;
  },
  statx: (c) => {
    if (c.entering) {
      c.push(c.dirfd(c.a[0]), c.path(c.a[1]), sym(statxFlagsStr(c, U32(c.a[2]))), c.flags(U32(c.a[3]), statx_masks, 'STATX_???'));
      return 0;
    }
    c.push(statxValue(c, c.a[4]));
    return 0;
  },
  access: entry(P(0), (c) => c.flags(U32(c.a[1]), access_modes, '?_OK')),
  faccessat: entry(DIRFD(0), P(1), (c) => c.flags(U32(c.a[2]), access_modes, '?_OK')),
  faccessat2: entry(DIRFD(0), P(1), (c) => c.flags(U32(c.a[2]), access_modes, '?_OK'), ATFLAGS(3, faccessat_flags)),
  readlink: readlinkDecoder(0),
  readlinkat: readlinkDecoder(1),
  getdents: getdents(false),
  getdents64: getdents(true),
  mkdir: entry(P(0), MODE(1)),
  mkdirat: entry(DIRFD(0), P(1), MODE(2)),
  rmdir: entry(P(0)),
  unlink: entry(P(0)),
  unlinkat: entry(DIRFD(0), P(1), ATFLAGS(2)),
  rename: entry(P(0), P(1)),
  renameat: entry(DIRFD(0), P(1), DIRFD(2), P(3)),
  renameat2: entry(DIRFD(0), P(1), DIRFD(2), P(3), (c) => c.flags(U32(c.a[4]), renameat2_flags, 'RENAME_???')),
  link: entry(P(0), P(1)),
  linkat: entry(DIRFD(0), P(1), DIRFD(2), P(3), ATFLAGS(4)),
  symlink: entry(P(0), P(1)),
  symlinkat: entry(P(0), DIRFD(1), P(2)),
  chmod: entry(P(0), MODE(1)),
  fchmod: entry(FD(0), MODE(1)),
  fchmodat: entry(DIRFD(0), P(1), MODE(2)),
  fchmodat2: entry(DIRFD(0), P(1), MODE(2), ATFLAGS(3)),
  chown: entry(P(0), UID(1), UID(2)),
  lchown: entry(P(0), UID(1), UID(2)),
  fchown: entry(FD(0), UID(1), UID(2)),
  fchownat: entry(DIRFD(0), P(1), UID(2), UID(3), ATFLAGS(4)),
  utimensat: entry(DIRFD(0), P(1), (c) => utimensValue(c, c.a[2]), ATFLAGS(3)),
  utimes: entry(P(0), (c) => timevalPair(c, c.a[1])),
  futimesat: entry(DIRFD(0), P(1), (c) => timevalPair(c, c.a[2])),
  utime: entry(P(0), (c) => {
    const ad = c.a[1];
    if (ad === 0n) return NULL;
    const b = c.fetch(ad, 16);
    if (!b) return addr(ad);
    const t = (k: string, off: number): Field => {
      const sec = b.readBigInt64LE(off);
      return field(k, timeCmt(num(sec), sec, 0n));
    };
    return struct([t('actime', 0), t('modtime', 8)]);
  }),
  truncate: entry(P(0), LONG(1)),
  ftruncate: entry(FD(0), LONG(1)),
  getcwd: (c) => {
    if (c.entering) return 0;
    // rval includes the NUL: print it as a C string.
    c.push(c.failed ? c.ptr(0) : c.path(c.a[0]), c.ulong(1));
    return 0;
  },
  chdir: entry(P(0)),
  fchdir: entry(FD(0)),
  chroot: entry(P(0)),
  umask: (c) => {
    c.push(c.mode(U16(c.a[0])));
    return RVAL_DECODED | RV.OCT;
  },
  fsync: entry(FD(0)),
  fdatasync: entry(FD(0)),
  syncfs: entry(FD(0)),
  flock: entry(FD(0), (c) => c.flags(U32(c.a[1]), flockcmds, 'LOCK_???')),
  fadvise64: entry(FD(0), LONG(1), (c) => c.ulong(2), (c) => c.xval(U32(c.a[3]), advise, 'POSIX_FADV_???')),
  statfs: (c) => {
    if (c.entering) {
      c.push(c.path(c.a[0]));
      return 0;
    }
    c.push(statfsValue(c, c.a[1]));
    return 0;
  },
  fstatfs: (c) => {
    if (c.entering) {
      c.push(c.fd(c.a[0]));
      return 0;
    }
    c.push(statfsValue(c, c.a[1]));
    return 0;
  },
  sendfile: (c) => {
    if (c.entering) {
      c.push(c.fd(c.a[0]), c.fd(c.a[1]));
      const off = c.a[2];
      const b = off ? c.fetch(off, 8) : undefined;
      if (!b) {
        c.push(c.ptr(2), c.ulong(3));
        return RVAL_DECODED;
      }
      // The offset is value-result: [before] => [after], finished at exit.
      c.push(arr([num(b.readBigUInt64LE(0))]));
      c.noTrailingSep = true;
      return 0;
    }
    if (!c.failed && c.rval !== 0n) {
      const b = c.fetch(c.a[2], 8);
      c.changeLast(b ? arr([num(b.readBigUInt64LE(0))]) : c.ptr(2));
    }
    c.push(c.ulong(3));
    return 0;
  },
};

/** xattr value: the bytes, a trailing NUL omitted (strace print_xattr_val). */
function xattrVal(c: Ctx, ad: bigint, len: bigint): Value {
  if (ad === 0n) return NULL;
  // Past XATTR_SIZE_MAX the kernel refuses the value: strace shows the address only.
  if (len > 65536n) return addr(ad);
  const v = c.buf(ad, len);
  if (v.t === 'str' && !v.more && v.b.length && v.b[v.b.length - 1] === 0) return { ...v, b: v.b.subarray(0, v.b.length - 1) };
  return v;
}

function getxattrLike(first: (c: Ctx) => Value): Decoder {
  return (c) => {
    if (c.entering) {
      c.push(first(c), c.cstr(c.a[1]));
      return 0;
    }
    c.push(c.failed ? c.ptr(2) : xattrVal(c, c.a[2], c.rval < c.a[3] ? c.rval : c.a[3]), c.ulong(3));
    return 0;
  };
}

function setxattrLike(first: (c: Ctx) => Value): Decoder {
  return (c) => {
    c.push(first(c), c.cstr(c.a[1]), xattrVal(c, c.a[2], c.a[3]), c.ulong(3), c.flags(U32(c.a[4]), xattr_flags, 'XATTR_???'));
    return RVAL_DECODED;
  };
}

function listxattrLike(first: (c: Ctx) => Value): Decoder {
  return (c) => {
    if (c.entering) {
      c.push(first(c));
      return 0;
    }
    // With size 0 the kernel only reports the length: nothing was written to the buffer.
    c.push(c.failed || c.a[2] === 0n ? c.ptr(1) : c.buf(c.a[1], c.rval), c.ulong(2));
    return 0;
  };
}

Object.assign(fileDecoders, {
  getxattr: getxattrLike(P(0)),
  lgetxattr: getxattrLike(P(0)),
  fgetxattr: getxattrLike(FD(0)),
  setxattr: setxattrLike(P(0)),
  lsetxattr: setxattrLike(P(0)),
  fsetxattr: setxattrLike(FD(0)),
  listxattr: listxattrLike(P(0)),
  llistxattr: listxattrLike(P(0)),
  flistxattr: listxattrLike(FD(0)),
  removexattr: entry(P(0), (c) => c.cstr(c.a[1])),
  lremovexattr: entry(P(0), (c) => c.cstr(c.a[1])),
  fremovexattr: entry(FD(0), (c) => c.cstr(c.a[1])),
  copy_file_range: (c: Ctx) => {
    const off = (ad: bigint): Value => {
      if (ad === 0n) return NULL;
      const b = c.fetchAlways(ad, 8);
      return b ? arr([num(b.readBigInt64LE(0))]) : addr(ad);
    };
    c.push(c.fd(c.a[0]), off(c.a[1]), c.fd(c.a[2]), off(c.a[3]), c.ulong(4), c.uint(5));
    return RVAL_DECODED;
  },
} satisfies Record<string, Decoder>);

// mknod prints the device only for character and block devices.
fileDecoders.mknod = (c) => {
  const mode = U16(c.a[1]);
  c.push(c.path(c.a[0]), sym(symbolicModeStr(mode, c.o.xlat)));
  const fmt = mode & 0o170000n;
  if (fmt === 0o020000n || fmt === 0o060000n) c.push(devValue(c, U32(c.a[2])));
  return RVAL_DECODED;
};
fileDecoders.mknodat = (c) => {
  const mode = U16(c.a[2]);
  c.push(c.dirfd(c.a[0]), c.path(c.a[1]), sym(symbolicModeStr(mode, c.o.xlat)));
  const fmt = mode & 0o170000n;
  if (fmt === 0o020000n || fmt === 0o060000n) c.push(devValue(c, U32(c.a[3])));
  return RVAL_DECODED;
};
