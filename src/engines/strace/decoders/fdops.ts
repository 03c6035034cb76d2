/**
 * Calls that make or move data between descriptors: splice/tee, sync_file_range, fallocate,
 * readahead, close_range, memfd_create/memfd_secret, inotify, userfaultfd, pidfd_open/getfd,
 * process_mrelease, landlock_restrict_self.
 */
import { Ctx, RV, RVAL_DECODED, U32, flagsStr, type Decoder } from '../printer.js';
import { NULL, addr, arr, hexStr, num, sym, type Value } from '../value.js';
import { iovArray, kernelBoundedString } from './common.js';
import { openFlagsStr } from './file.js';
import { siginfoAt } from './signal.js';
import {
  close_range_flags,
  fan_classes,
  fan_event_flags,
  fan_init_flags,
  fan_mark_flags,
  falloc_flags,
  inotify_flags,
  inotify_init_flags,
  memfd_create_flags,
  memfd_secret_flags,
  pidfd_open_flags,
  splice_flags,
  sync_file_range_flags,
  uffd_flags,
} from '../xlat/tables.gen.js';

/** loff_t *: [offset], NULL, or the address. */
function offPtr(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetchAlways(ad, 8);
  return b ? arr([num(b.readBigInt64LE(0))]) : addr(ad);
}

/** How much of a memfd name the kernel reads: NAME_MAX less the "memfd:" prefix, and its NUL. */
const MFD_NAME_MAX_LEN = 255 - 6 + 1;
const MFD_HUGE_SHIFT = 26n;
const MFD_HUGE_MASK = 0x3fn;

/** memfd_create's flags: MFD_* names, leftover bits, then N<<MFD_HUGE_SHIFT for the page size. */
function memfdFlags(c: Ctx, v: bigint): Value {
  if (c.o.xlat === 'raw') return sym(hexStr(v));
  const huge = (v >> MFD_HUGE_SHIFT) & MFD_HUGE_MASK;
  const rest = v & ~(MFD_HUGE_MASK << MFD_HUGE_SHIFT);
  const parts: string[] = [];
  if (rest || !huge) parts.push(flagsStr(rest, memfd_create_flags, undefined, 'abbrev'));
  if (huge) parts.push(`${huge}<<MFD_HUGE_SHIFT`);
  const s = parts.join('|');
  return sym(c.o.xlat === 'verbose' && v !== 0n && s !== hexStr(v) ? `${hexStr(v)} /* ${s} */` : s);
}

/** An unsigned int flags argument no flag is defined for yet: hex. */
const ux = (c: Ctx, i: number): Value => sym(hexStr(U32(c.a[i])));
const fd0 = (c: Ctx): Value => c.fd(c.a[0]);

// FAN_CLASS_NOTIF | FAN_CLASS_CONTENT | FAN_CLASS_PRE_CONTENT
const FAN_ALL_CLASS_BITS = 0xcn;

export const fdopsDecoders: Record<string, Decoder> = {
  splice: (c) => {
    c.push(c.fd(c.a[0]), offPtr(c, c.a[1]), c.fd(c.a[2]), offPtr(c, c.a[3]), c.ulong(4), c.flags(U32(c.a[5]), splice_flags, 'SPLICE_F_???'));
    return RVAL_DECODED;
  },
  vmsplice: (c) => {
    // The pages are the data written into the pipe: shown as writev's.
    c.push(c.fd(c.a[0]), iovArray(c, c.a[1], c.a[2], undefined), c.ulong(2), c.flags(U32(c.a[3]), splice_flags, 'SPLICE_F_???'));
    return RVAL_DECODED;
  },
  tee: (c) => {
    c.push(c.fd(c.a[0]), c.fd(c.a[1]), c.ulong(2), c.flags(U32(c.a[3]), splice_flags, 'SPLICE_F_???'));
    return RVAL_DECODED;
  },
  sync_file_range: (c) => {
    c.push(fd0(c), c.long(1), c.long(2), c.flags(U32(c.a[3]), sync_file_range_flags, 'SYNC_FILE_RANGE_???'));
    return RVAL_DECODED;
  },
  fallocate: (c) => {
    c.push(fd0(c), c.flags(U32(c.a[1]), falloc_flags, 'FALLOC_FL_???'), c.long(2), c.long(3));
    return RVAL_DECODED;
  },
  readahead: (c) => {
    c.push(fd0(c), c.long(1), c.ulong(2));
    return RVAL_DECODED;
  },
  close_range: (c) => {
    c.push(c.uint(0), c.uint(1), c.flags(U32(c.a[2]), close_range_flags, 'CLOSE_RANGE_???'));
    return RVAL_DECODED;
  },
  memfd_create: (c) => {
    c.push(kernelBoundedString(c, c.a[0], MFD_NAME_MAX_LEN), memfdFlags(c, U32(c.a[1])));
    return RVAL_DECODED | RV.FD;
  },
  memfd_secret: (c) => {
    c.push(c.flags(U32(c.a[0]), memfd_secret_flags));
    return RVAL_DECODED | RV.FD;
  },
  fanotify_init: (c) => {
    // The notification class is a value inside the flags word; the rest are flags.
    const flags = U32(c.a[0]);
    const cls = flags & FAN_ALL_CLASS_BITS;
    const rest = flags & ~FAN_ALL_CLASS_BITS;
    const clsText = (c.xval(cls, fan_classes, 'FAN_CLASS_???') as { s: string }).s;
    c.push(sym(rest ? `${clsText}|${flagsStr(rest, fan_init_flags, 'FAN_???', c.o.xlat)}` : clsText), sym(openFlagsStr(c, U32(c.a[1]))));
    return RVAL_DECODED | RV.FD;
  },
  fanotify_mark: (c) => {
    const dirfd = Number(BigInt.asIntN(32, c.a[3]));
    const nofd = c.o.xlat === 'raw' ? '-1' : c.o.xlat === 'verbose' ? '-1 /* FAN_NOFD */' : 'FAN_NOFD';
    c.push(
      fd0(c),
      c.flags(U32(c.a[1]), fan_mark_flags, 'FAN_MARK_???'),
      c.flags(c.a[2], fan_event_flags, 'FAN_???'),
      dirfd === -1 ? sym(nofd) : c.dirfd(c.a[3]),
      c.path(c.a[4]),
    );
    return RVAL_DECODED;
  },
  inotify_init: () => RVAL_DECODED | RV.FD,
  inotify_init1: (c) => {
    c.push(c.flags(U32(c.a[0]), inotify_init_flags, 'IN_???'));
    return RVAL_DECODED | RV.FD;
  },
  inotify_add_watch: (c) => {
    c.push(fd0(c), c.path(c.a[1]), c.flags(U32(c.a[2]), inotify_flags, 'IN_???'));
    return RVAL_DECODED;
  },
  inotify_rm_watch: (c) => {
    c.push(fd0(c), c.int(1));
    return RVAL_DECODED;
  },
  userfaultfd: (c) => {
    c.push(c.flags(U32(c.a[0]), uffd_flags, 'UFFD_???'));
    return RVAL_DECODED | RV.FD;
  },
  pidfd_open: (c) => {
    c.push(c.pidv(c.a[0]), c.flags(U32(c.a[1]), pidfd_open_flags, 'PIDFD_???'));
    return RVAL_DECODED | RV.FD;
  },
  pidfd_send_signal: (c) => {
    // The flags argument has no flags defined yet: strace prints it in hex.
    c.push(fd0(c), c.signo(c.a[1]), siginfoAt(c, c.a[2]), ux(c, 3));
    return RVAL_DECODED;
  },
  pidfd_getfd: (c) => {
    c.push(fd0(c), c.fdVia(c.a[0], c.a[1]), ux(c, 2));
    return RVAL_DECODED | RV.FD;
  },
  process_mrelease: (c) => {
    c.push(fd0(c), ux(c, 1));
    return RVAL_DECODED;
  },
  landlock_restrict_self: (c) => {
    c.push(fd0(c), ux(c, 1));
    return RVAL_DECODED;
  },
};
