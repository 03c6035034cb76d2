/**
 * POSIX timers and message queues (both notify with a struct sigevent), and the kernel clock
 * discipline: timer_create/settime/gettime/getoverrun/delete, mq_open/unlink/timedsend/
 * timedreceive/notify/getsetattr, adjtimex, clock_adjtime (linux/time.h, linux/timex.h,
 * linux/mqueue.h, asm-generic/siginfo.h).
 */
import { Ctx, RV, RVAL_DECODED, U32, timespecValue, xvalStr, type Decoder } from '../printer.js';
import { NULL, addr, field, hexStr, num, struct, sym, type Field, type Value } from '../value.js';
import {
  adjtimex_modes,
  adjtimex_state,
  adjtimex_status,
  clocknames,
  sigev_value,
  timer_settime_flags,
} from '../xlat/tables.gen.js';
import { openFlagsStr } from './file.js';

const SIGEV_THREAD = 2n;
const SIGEV_THREAD_ID = 4n;
const O_CREAT = 0o100n;

const clockid = (c: Ctx, v: bigint): Value => c.xval(U32(v), clocknames, 'CLOCK_???', 'd');

function itimerspec(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 32);
  if (!b) return addr(ad);
  return struct([field('it_interval', timespecValue(b, 0)), field('it_value', timespecValue(b, 16))]);
}

/** struct sigevent (64 bytes; the union at offset 16). */
export function sigeventValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 32);
  if (!b) return addr(ad);
  const f: Field[] = [];
  const ptr = b.readBigUInt64LE(0);
  if (ptr !== 0n) f.push(field('sigev_value', struct([field('sival_int', num(b.readInt32LE(0))), field('sival_ptr', sym(hexStr(ptr)))])));
  const signo = b.readUInt32LE(8);
  const notify = BigInt(b.readUInt32LE(12));
  // The signal is named only when it is one.
  f.push(field('sigev_signo', signo > 0 && signo < 65 ? c.signo(BigInt(signo)) : num(signo)));
  f.push(field('sigev_notify', sym(xvalStr(notify, sigev_value, 'SIGEV_???', c.o.xlat))));
  if (notify === SIGEV_THREAD_ID) f.push(field('sigev_notify_thread_id', num(b.readInt32LE(16))));
  else if (notify === SIGEV_THREAD) {
    f.push(field('sigev_notify_function', addr(b.readBigUInt64LE(16))), field('sigev_notify_attributes', addr(b.readBigUInt64LE(24))));
  }
  return struct(f);
}

/** struct timex (linux/timex.h, 208 bytes). */
function timexValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 208);
  if (!b) return addr(ad);
  const l = (o: number): Value => num(b.readBigInt64LE(o));
  return struct([
    field('modes', c.flags(BigInt(b.readUInt32LE(0)), adjtimex_modes, 'ADJ_???')),
    field('offset', l(8)),
    field('freq', l(16)),
    field('maxerror', l(24)),
    field('esterror', l(32)),
    field('status', c.flags(BigInt(b.readUInt32LE(40)), adjtimex_status, 'STA_???')),
    field('constant', l(48)),
    field('precision', l(56)),
    field('tolerance', l(64)),
    field('time', struct([field('tv_sec', l(72)), field('tv_usec', num(b.readBigUInt64LE(80)))])),
    field('tick', l(88)),
    field('ppsfreq', l(96)),
    field('jitter', l(104)),
    field('shift', num(b.readInt32LE(112))),
    field('stabil', l(120)),
    field('jitcnt', l(128)),
    field('calcnt', l(136)),
    field('errcnt', l(144)),
    field('stbcnt', l(152)),
    field('tai', num(b.readInt32LE(160))),
  ]);
}

function adjtimexExit(c: Ctx, ad: bigint): void {
  c.push(timexValue(c, ad));
  if (!c.failed) {
    const s = adjtimex_state.lookup(c.rval);
    if (s !== undefined && c.o.xlat !== 'raw') c.aux = s;
  }
}

/** struct mq_attr: four longs and four reserved (read whole, as the kernel does), mq_flags in hex. */
function mqAttr(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 64);
  if (!b) return addr(ad);
  return struct([
    field('mq_flags', sym(hexStr(b.readBigUInt64LE(0)))),
    field('mq_maxmsg', num(b.readBigInt64LE(8))),
    field('mq_msgsize', num(b.readBigInt64LE(16))),
    field('mq_curmsgs', num(b.readBigInt64LE(24))),
  ]);
}

export const timersDecoders: Record<string, Decoder> = {
  timer_create: (c) => {
    if (c.entering) {
      c.push(clockid(c, c.a[0]), sigeventValue(c, c.a[1]));
      return 0;
    }
    c.push(c.intPtr(c.a[2]));
    return 0;
  },
  timer_settime: (c) => {
    if (c.entering) {
      c.push(c.int(0), c.flags(U32(c.a[1]), timer_settime_flags), itimerspec(c, c.a[2]));
      return 0;
    }
    c.push(itimerspec(c, c.a[3]));
    return 0;
  },
  timer_gettime: (c) => {
    if (c.entering) {
      c.push(c.int(0));
      return 0;
    }
    c.push(itimerspec(c, c.a[1]));
    return 0;
  },
  timer_getoverrun: (c) => {
    c.push(c.int(0));
    return RVAL_DECODED;
  },
  timer_delete: (c) => {
    c.push(c.int(0));
    return RVAL_DECODED;
  },
  adjtimex: (c) => {
    if (c.entering) return 0;
    adjtimexExit(c, c.a[0]);
    return 0;
  },
  clock_adjtime: (c) => {
    if (c.entering) {
      c.push(clockid(c, c.a[0]));
      return 0;
    }
    adjtimexExit(c, c.a[1]);
    return 0;
  },
  mq_open: (c) => {
    const flags = U32(c.a[1]);
    c.push(c.path(c.a[0]), sym(openFlagsStr(c, flags)));
    if (flags & O_CREAT) c.push(c.mode(c.a[2] & 0xffffn), mqAttr(c, c.a[3]));
    return RVAL_DECODED | RV.FD;
  },
  mq_unlink: (c) => {
    c.push(c.path(c.a[0]));
    return RVAL_DECODED;
  },
  mq_timedsend: (c) => {
    c.push(c.fd(c.a[0]), c.buf(c.a[1], c.a[2]), c.ulong(2), c.uint(3), c.timespec(c.a[4]));
    return RVAL_DECODED;
  },
  mq_timedreceive: (c) => {
    if (c.entering) {
      c.push(c.fd(c.a[0]));
      c.priv = c.timespec(c.a[4]);
      return 0;
    }
    c.push(c.failed ? addr(c.a[1]) : c.buf(c.a[1], c.rval), c.ulong(2), c.uintPtr(c.a[3]), c.priv as Value);
    return 0;
  },
  mq_notify: (c) => {
    c.push(c.fd(c.a[0]), sigeventValue(c, c.a[1]));
    return RVAL_DECODED;
  },
  mq_getsetattr: (c) => {
    if (c.entering) {
      c.push(c.fd(c.a[0]), mqAttr(c, c.a[1]));
      return 0;
    }
    c.push(mqAttr(c, c.a[2]));
    return 0;
  },
};
