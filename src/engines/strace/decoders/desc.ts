/**
 * Descriptor I/O: read/write and vectored/positional variants, close/dup*, fcntl, ioctl, lseek,
 * pipe, poll/ppoll/select/pselect6, epoll_*, eventfd, timerfd_*, signalfd. Output follows
 * strace 6.x (io.c, desc.c, fcntl.c, ioctl.c, term.c, poll.c, epoll.c, ...).
 */
import { Ctx, I32, RV, RVAL_DECODED, U32, flagsStr, type Decoder } from '../printer.js';
import { NULL, addr, arr, field, hexStr, num, struct, sym, type Value } from '../value.js';
import {
  clocknames,
  efd_flags,
  epollctls,
  epollevents,
  epollflags,
  f_owner_types,
  f_seals,
  fcntl_leases,
  fcntlcmds,
  fdflags,
  lockfcmds,
  notifyflags,
  open_mode_flags,
  pollflags,
  rwf_flags,
  sfd_flags,
  timerfd_create_flags,
  timerfd_settime_flags,
  whence_codes,
} from '../xlat/tables.gen.js';
import { ioctl } from './ioctl-families.js';
import { sigsetArg } from './signal.js';
import { iovArray, itimerspecAt, timespecText, timevalAt, timevalText } from './common.js';
import { openFlagsStr } from './file.js';
import { sigName } from '../../qualifier/signals.js';

// ---- read/write ---------------------------------------------------------------------------

const readLike =
  (extra: (c: Ctx) => Value[] = () => []): Decoder =>
  (c) => {
    if (c.entering) {
      c.push(c.fd(c.a[0]));
      return 0;
    }
    c.push(c.failed ? c.ptr(1) : c.buf(c.a[1], c.rval), c.ulong(2), ...extra(c));
    return 0;
  };

const writeLike =
  (extra: (c: Ctx) => Value[] = () => []): Decoder =>
  (c) => {
    c.push(c.fd(c.a[0]), c.buf(c.a[1], c.a[2]), c.ulong(2), ...extra(c));
    return RVAL_DECODED;
  };

const readvLike =
  (extra: (c: Ctx) => Value[] = () => []): Decoder =>
  (c) => {
    if (c.entering) {
      c.push(c.fd(c.a[0]));
      return 0;
    }
    c.push(iovArray(c, c.a[1], c.a[2], c.rval, !c.failed), c.ulong(2), ...extra(c));
    return 0;
  };

const writevLike =
  (extra: (c: Ctx) => Value[] = () => []): Decoder =>
  (c) => {
    c.push(c.fd(c.a[0]), iovArray(c, c.a[1], c.a[2], undefined), c.ulong(2), ...extra(c));
    return RVAL_DECODED;
  };

/** preadv/pwritev split the 64-bit offset into two registers (lo, hi); on x86_64 lo is it all. */
const offLoHi = (i: number) => (c: Ctx) => [c.long(i)];
/** preadv2/pwritev2 flags (RWF_*, <linux/fs.h>). */
const rwf = (i: number) => (c: Ctx) => [c.flags(U32(c.a[i]!), rwf_flags, 'RWF_???')];

// ---- fcntl -------------------------------------------------------------------------------

/** struct flock; l_pid only where the kernel fills it in (F_GETLK at exit). */
function flockValue(c: Ctx, ad: bigint, withPid = false): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 32);
  if (!b) return addr(ad);
  return struct([
    field('l_type', c.xval(BigInt(b.readInt16LE(0)), lockfcmds, 'F_???')),
    field('l_whence', c.xval(BigInt(b.readInt16LE(2)), whence_codes, 'SEEK_???')),
    field('l_start', num(b.readBigInt64LE(8))),
    field('l_len', num(b.readBigInt64LE(16))),
    ...(withPid ? [field('l_pid', num(b.readInt32LE(24)))] : []),
  ]);
}

/** struct f_owner_ex {int type; pid_t pid}. */
function ownerValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 8);
  if (!b) return addr(ad);
  const type = b.readInt32LE(0);
  // F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP (<asm-generic/fcntl.h>).
  const kind = type === 0 ? 'tid' : type === 2 ? 'pgid' : 'tgid';
  return struct([field('type', c.xval(BigInt(type), f_owner_types, 'F_OWNER_???')), field('pid', c.pidv(BigInt(b.readInt32LE(4)), kind))]);
}

const F = Object.fromEntries(fcntlcmds.entries.map(([v, n]) => [n, Number(v)])) as Record<string, number>;

const fcntl: Decoder = (c) => {
  const cmd = Number(I32(c.a[1]));
  const arg = c.a[2];
  if (c.entering) {
    c.push(c.fd(c.a[0]), c.xval(BigInt(cmd), fcntlcmds, 'F_???'));
    switch (cmd) {
      case F.F_SETFD:
        c.push(c.flags(arg, fdflags, 'FD_???'));
        return RVAL_DECODED;
      case F.F_SETOWN:
        c.push(c.pidOrPgrp(arg));
        return RVAL_DECODED;
      case F.F_SETPIPE_SZ:
        c.push(c.int(2));
        return RVAL_DECODED;
      case F.F_DUPFD:
      case F.F_DUPFD_CLOEXEC:
        c.push(c.int(2));
        return RVAL_DECODED | RV.FD;
      case F.F_SETFL:
        c.push(sym(openFlagsStr(c, U32(arg))));
        return RVAL_DECODED;
      case F.F_SETLK:
      case F.F_SETLKW:
      case F.F_OFD_SETLK:
      case F.F_OFD_SETLKW:
        c.push(flockValue(c, arg));
        return RVAL_DECODED;
      case F.F_SETLEASE:
        c.push(c.xval(U32(arg), fcntl_leases, 'F_???'));
        return RVAL_DECODED;
      case F.F_NOTIFY:
        c.push(c.flags(U32(arg), notifyflags, 'DN_???'));
        return RVAL_DECODED;
      case F.F_SETSIG:
        c.push(c.signo(arg));
        return RVAL_DECODED;
      case F.F_ADD_SEALS:
        c.push(c.flags(U32(arg), f_seals, 'F_SEAL_???'));
        return RVAL_DECODED;
      case F.F_GETOWN:
        return RVAL_DECODED | RV.PID_OR_PGRP;
      case F.F_GETPIPE_SZ:
        return RVAL_DECODED;
      case F.F_SETOWN_EX:
        c.push(ownerValue(c, arg));
        return RVAL_DECODED;
      case F.F_GETLK:
      case F.F_OFD_GETLK:
      case F.F_GETOWN_EX:
        return 0;
      case F.F_GETFD:
      case F.F_GETFL:
      case F.F_GETLEASE:
      case F.F_GETSIG:
      case F.F_GET_SEALS:
        c.noTrailingSep = true;
        return 0;
      default:
        c.push(sym(hexStr(arg)));
        return RVAL_DECODED;
    }
  }
  const rv = c.rval;
  switch (cmd) {
    case F.F_GETLK:
    case F.F_OFD_GETLK:
      c.push(flockValue(c, arg, true));
      return 0;
    case F.F_GETOWN_EX:
      c.push(ownerValue(c, arg));
      return 0;
    case F.F_GETFD:
      if (c.failed || rv === 0n) return 0;
      c.aux = `flags ${flagsStr(rv, fdflags, undefined, c.o.xlat)}`;
      return RV.HEX;
    case F.F_GETFL:
      if (c.failed) return 0;
      c.aux = `flags ${openFlagsStr(c, U32(rv))}`;
      return RV.HEX;
    case F.F_GETLEASE:
      if (c.failed) return 0;
      c.aux = fcntl_leases.lookup(rv);
      return RV.HEX;
    case F.F_GETSIG:
      if (c.failed || rv === 0n) return 0;
      c.aux = sigName(Number(rv));
      return 0;
    case F.F_GET_SEALS:
      if (c.failed || rv === 0n) return 0;
      c.aux = `seals ${flagsStr(rv, f_seals, undefined, c.o.xlat)}`;
      return RV.HEX;
  }
  return 0;
};

// ---- poll / select -----------------------------------------------------------------------

function pollfdsIn(c: Ctx, ad: bigint, n: bigint): Value {
  return c.array(ad, n, 8, (b) => {
    const fd = field('fd', c.fd(BigInt(b.readInt32LE(0))));
    // The kernel ignores the events of a negative fd, and so does strace.
    if (b.readInt32LE(0) < 0) return struct([fd]);
    return struct([fd, field('events', c.flags(BigInt(b.readUInt16LE(4)), pollflags, 'POLL???'))]);
  });
}

/** The aux text after poll's return: "[{fd=4, revents=POLLOUT}]". */
function pollRevents(c: Ctx, ad: bigint, n: bigint): string | undefined {
  const max = c.abbrev ? c.o.strsize : 4096;
  const cnt = n > 65536n ? 65536 : Number(n);
  const b = c.fetch(ad, cnt * 8);
  if (!b) return undefined;
  const parts: string[] = [];
  let ready = Number(c.rval);
  for (let i = 0; i < cnt && ready > 0; i++) {
    const rev = b.readUInt16LE(i * 8 + 6);
    if (!rev) continue;
    if (parts.length >= max) {
      parts.push('...');
      break;
    }
    parts.push(`{fd=${b.readInt32LE(i * 8)}, revents=${flagsStr(BigInt(rev), pollflags, 'POLL???', c.o.xlat)}}`);
    ready--;
  }
  return `[${parts.join(', ')}]`;
}

const poll: Decoder = (c) => {
  if (c.entering) {
    c.push(pollfdsIn(c, c.a[0], U32(c.a[1])), c.uint(1), c.int(2));
    c.noTrailingSep = true;
    return 0;
  }
  if (c.failed) return 0;
  if (c.rval === 0n) {
    c.aux = 'Timeout';
    return 0;
  }
  c.aux = pollRevents(c, c.a[0], U32(c.a[1]));
  return 0;
};

const ppoll: Decoder = (c) => {
  if (c.entering) {
    c.push(pollfdsIn(c, c.a[0], U32(c.a[1])), c.uint(1), c.timespec(c.a[2]), sigsetArg(c, c.a[3], c.a[4]), c.ulong(4));
    c.noTrailingSep = true;
    return 0;
  }
  if (c.failed) return 0;
  if (c.rval === 0n) {
    c.aux = 'Timeout';
    return 0;
  }
  const r = pollRevents(c, c.a[0], U32(c.a[1]));
  const ts = c.a[2] ? c.fetch(c.a[2], 16) : undefined;
  const parts = [r, ts ? `left ${timespecText(ts)}` : undefined].filter((x) => x !== undefined);
  c.aux = parts.length ? parts.join(', ') : undefined;
  return 0;
};

const MAX_FDSET_BITS = 65536;

function fdsetBytes(nfds: number): number {
  // Whole longs, as the kernel copies them.
  return Math.ceil(Math.min(Math.max(nfds, 0), MAX_FDSET_BITS) / 64) * 8;
}

function fdsetValue(c: Ctx, ad: bigint, nfds: number): Value {
  // A negative count makes the set meaningless: strace shows where it is.
  if (ad === 0n || nfds < 0) return addr(ad);
  const len = fdsetBytes(nfds);
  const b = c.fetch(ad, len);
  if (!b) return addr(ad);
  const names: string[] = [];
  const lim = Math.min(nfds, MAX_FDSET_BITS);
  for (let i = 0; i < lim; i++) if ((b[i >> 3] >> (i & 7)) & 1) names.push(String(i));
  return { t: 'set', names, neg: false };
}

function selectLike(ts: 'val' | 'spec'): Decoder {
  return (c) => {
    const nfds = Number(I32(c.a[0]));
    if (c.entering) {
      c.push(c.int(0));
      for (let i = 1; i <= 3; i++) c.push(fdsetValue(c, c.a[i], nfds));
      if (ts === 'val') {
        c.push(timevalAt(c, c.a[4]));
      } else {
        c.push(c.timespec(c.a[4]));
        // pselect6's 6th argument points at {const sigset_t *ss; size_t ss_len}.
        const ad = c.a[5];
        const b = ad ? c.fetch(ad, 16) : undefined;
        if (ad === 0n) c.push(NULL);
        else if (!b) c.push(addr(ad));
        else c.push(struct([field('sigmask', sigsetArg(c, b.readBigUInt64LE(0), b.readBigUInt64LE(8))), field('sigsetsize', num(b.readBigUInt64LE(8)))]));
      }
      c.noTrailingSep = true;
      return 0;
    }
    if (c.failed) return 0;
    if (c.rval === 0n) {
      c.aux = 'Timeout';
      return 0;
    }
    // strace decode_select: "in [3], out [4], left {...}", within a 1024-byte buffer.
    let out = '';
    let sep = '';
    let ready = Number(c.rval);
    const names = ['in', 'out', 'except'];
    const lim = Math.min(nfds, MAX_FDSET_BITS);
    for (let i = 0; i < 3 && ready > 0; i++) {
      const ad = c.a[i + 1];
      const b = ad ? c.fetch(ad, fdsetBytes(nfds)) : undefined;
      if (!b) continue;
      let first = true;
      for (let j = 0; j < lim; j++) {
        if (!((b[j >> 3] >> (j & 7)) & 1)) continue;
        if (out.length < 1024 - 24) {
          if (first) {
            out += `${sep}${names[i]} [${j}`;
            first = false;
            sep = ', ';
          } else out += ` ${j}`;
        }
        if (--ready === 0) break;
      }
      if (out !== '') out += ']';
    }
    if (c.a[4]) {
      const tb = c.fetch(c.a[4], 16);
      const str = tb ? (ts === 'val' ? timevalText(tb) : timespecText(tb)) : hexStr(c.a[4]);
      if (out.length + 6 + sep.length + str.length < 1024) out += `${sep}left ${str}`;
    }
    c.aux = out;
    return 0;
  };
}

// ---- epoll -------------------------------------------------------------------------------

function epollEventFields(c: Ctx, b: Buffer, off: number): Value {
  const data = b.readBigUInt64LE(off + 4);
  return struct([
    field('events', c.flags(BigInt(b.readUInt32LE(off)), epollevents, 'EPOLL???')),
    field('data', struct([field('u32', num(data & 0xffffffffn)), field('u64', num(data))])),
  ]);
}

const epollWaitLike =
  (extra: (c: Ctx) => Value[]): Decoder =>
  (c) => {
    if (c.entering) {
      c.push(c.fd(c.a[0]));
      return 0;
    }
    const n = c.failed ? 0n : c.rval;
    c.push(c.failed ? c.ptr(1) : c.array(c.a[1], n, 12, (b) => epollEventFields(c, b, 0)), c.int(2), ...extra(c));
    return 0;
  };

// ---- decoders ----------------------------------------------------------------------------

const entry =
  (...fmt: ((c: Ctx) => Value)[]): Decoder =>
  (c) => {
    for (const f of fmt) c.push(f(c));
    return RVAL_DECODED;
  };
const FD = (i: number) => (c: Ctx) => c.fd(c.a[i]);

const pipeDecoder =
  (withFlags: boolean): Decoder =>
  (c) => {
    if (c.entering) return 0;
    const ad = c.a[0];
    const b = c.fetch(ad, 8);
    c.push(b ? arr([c.fd(BigInt(b.readInt32LE(0))), c.fd(BigInt(b.readInt32LE(4)))]) : addr(ad));
    if (withFlags) c.push(c.flags(U32(c.a[1]), open_mode_flags, 'O_???'));
    return 0;
  };

export const descDecoders: Record<string, Decoder> = {
  read: readLike(),
  write: writeLike(),
  pread64: readLike((c) => [c.long(3)]),
  pwrite64: writeLike((c) => [c.long(3)]),
  readv: readvLike(),
  writev: writevLike(),
  preadv: readvLike(offLoHi(3)),
  pwritev: writevLike(offLoHi(3)),
  preadv2: readvLike((c) => [c.long(3), ...rwf(5)(c)]),
  pwritev2: writevLike((c) => [c.long(3), ...rwf(5)(c)]),
  // A socket being closed shows its details as last seen (its peer may have gone already).
  close: entry((c) => c.fd(c.a[0], true)),
  dup: (c) => {
    c.push(c.fd(c.a[0]));
    return RVAL_DECODED | RV.FD;
  },
  dup2: (c) => {
    c.push(c.fd(c.a[0]), c.fd(c.a[1]));
    return RVAL_DECODED | RV.FD;
  },
  dup3: (c) => {
    c.push(c.fd(c.a[0]), c.fd(c.a[1]), c.flags(U32(c.a[2]), open_mode_flags, 'O_???'));
    return RVAL_DECODED | RV.FD;
  },
  fcntl,
  ioctl,
  lseek: entry(FD(0), (c) => c.long(1), (c) => c.xval(U32(c.a[2]), whence_codes, 'SEEK_???', 'x')),
  pipe: pipeDecoder(false),
  pipe2: pipeDecoder(true),
  poll,
  ppoll,
  select: selectLike('val'),
  pselect6: selectLike('spec'),
  epoll_create: (c) => {
    c.push(c.int(0));
    return RVAL_DECODED | RV.FD;
  },
  epoll_create1: (c) => {
    c.push(c.flags(U32(c.a[0]), epollflags, 'EPOLL_???'));
    return RVAL_DECODED | RV.FD;
  },
  epoll_ctl: (c) => {
    const op = U32(c.a[1]);
    c.push(c.fd(c.a[0]), c.xval(op, epollctls, 'EPOLL_CTL_???'), c.fd(c.a[2]));
    const ad = c.a[3];
    // EPOLL_CTL_DEL ignores the event: strace prints only its address.
    if (op === 2n || ad === 0n) c.push(c.ptr(3));
    else {
      const b = c.fetch(ad, 12);
      c.push(b ? epollEventFields(c, b, 0) : addr(ad));
    }
    return RVAL_DECODED;
  },
  epoll_wait: epollWaitLike((c) => [c.int(3)]),
  epoll_pwait: epollWaitLike((c) => [c.int(3), sigsetArg(c, c.a[4], c.a[5]), c.ulong(5)]),
  epoll_pwait2: epollWaitLike((c) => [c.timespec(c.a[3]), sigsetArg(c, c.a[4], c.a[5]), c.ulong(5)]),
  eventfd: (c) => {
    c.push(c.uint(0));
    return RVAL_DECODED | RV.FD;
  },
  eventfd2: (c) => {
    c.push(c.uint(0), c.flags(U32(c.a[1]), efd_flags, 'EFD_???'));
    return RVAL_DECODED | RV.FD;
  },
  timerfd_create: (c) => {
    c.push(c.xval(U32(c.a[0]), clocknames, 'CLOCK_???', 'd'), c.flags(U32(c.a[1]), timerfd_create_flags, 'TFD_???'));
    return RVAL_DECODED | RV.FD;
  },
  timerfd_settime: (c) => {
    if (c.entering) {
      c.push(c.fd(c.a[0]), c.flags(U32(c.a[1]), timerfd_settime_flags, 'TFD_TIMER_???'), itimerspecAt(c, c.a[2]));
      return 0;
    }
    c.push(itimerspecAt(c, c.a[3]));
    return 0;
  },
  timerfd_gettime: (c) => {
    if (c.entering) {
      c.push(c.fd(c.a[0]));
      return 0;
    }
    c.push(itimerspecAt(c, c.a[1]));
    return 0;
  },
  signalfd: (c) => {
    c.push(c.fd(c.a[0]), sigsetArg(c, c.a[1], c.a[2]), c.ulong(2));
    return RVAL_DECODED | RV.FD;
  },
  signalfd4: (c) => {
    c.push(c.fd(c.a[0]), sigsetArg(c, c.a[1], c.a[2]), c.ulong(2), c.flags(U32(c.a[3]), sfd_flags, 'SFD_???'));
    return RVAL_DECODED | RV.FD;
  },
};
