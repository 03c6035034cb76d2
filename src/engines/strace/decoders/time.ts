/**
 * Clocks and sleeping: clock_gettime/settime/getres, gettimeofday, time, nanosleep,
 * clock_nanosleep, getitimer/setitimer, times (strace time.c, clock_nanosleep.c, times.c).
 */
import { Ctx, RVAL_DECODED, U32, type Decoder } from '../printer.js';
import { isoTime } from '../timefmt.js';
import { NULL, addr, arr, cmt, field, num, struct, type Value } from '../value.js';
import { clock_nanosleep_flags, clocknames, itimer_which } from '../xlat/tables.gen.js';
import { itimervalAt, timevalAt } from './common.js';

/** USER_HZ: the kernel reports clock_t in 1/100 s on x86_64 whatever its internal HZ. */
const USER_HZ = 100n;

/** clock_t ticks with the seconds they make as a comment (not with -X raw), as strace. */
function clockTicks(c: Ctx, v: bigint): Value {
  if (c.o.xlat === 'raw') return num(v);
  return cmt(num(v), `${v / USER_HZ}.${(v % USER_HZ).toString().padStart(2, '0')} s`);
}

const clockid = (c: Ctx, i: number): Value => c.xval(U32(c.a[i]), clocknames, 'CLOCK_???', 'd');

/** EINTR and the kernel's restart codes: the remaining time was written. */
function interrupted(c: Ctx): boolean {
  if (!c.failed) return false;
  const e = Number(-c.rval);
  return e === 4 || e === 512 || e === 513 || e === 514 || e === 516;
}

function timezoneAt(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 8);
  if (!b) return addr(ad);
  return struct([field('tz_minuteswest', num(b.readInt32LE(0))), field('tz_dsttime', num(b.readInt32LE(4)))]);
}

export const timeDecoders: Record<string, Decoder> = {
  clock_gettime: (c) => {
    if (c.entering) {
      c.push(clockid(c, 0));
      return 0;
    }
    c.push(c.timespec(c.a[1]));
    return 0;
  },
  clock_getres: (c) => {
    if (c.entering) {
      c.push(clockid(c, 0));
      return 0;
    }
    c.push(c.timespec(c.a[1]));
    return 0;
  },
  clock_settime: (c) => {
    c.push(clockid(c, 0), c.timespec(c.a[1]));
    return RVAL_DECODED;
  },
  gettimeofday: (c) => {
    if (c.entering) return 0;
    c.push(timevalAt(c, c.a[0]), timezoneAt(c, c.a[1]));
    return 0;
  },
  settimeofday: (c) => {
    c.push(timevalAt(c, c.a[0]), timezoneAt(c, c.a[1]));
    return RVAL_DECODED;
  },
  time: (c) => {
    if (c.entering) return 0;
    const ad = c.a[0];
    if (ad === 0n) c.push(NULL);
    else {
      const b = c.fetch(ad, 8);
      const t = b?.readBigInt64LE(0);
      const d = t === undefined || t === 0n ? undefined : isoTime(t);
      c.push(t === undefined ? addr(ad) : arr([d === undefined ? num(t) : cmt(num(t), d)]));
    }
    if (!c.failed) c.aux = isoTime(c.rval);
    return 0;
  },
  nanosleep: (c) => {
    if (c.entering) {
      c.push(c.timespec(c.a[0]));
      return 0;
    }
    // The remaining time is only meaningful when the sleep was interrupted.
    c.push(interrupted(c) ? c.timespecAlways(c.a[1]) : c.ptr(1));
    return 0;
  },
  clock_nanosleep: (c) => {
    if (c.entering) {
      c.push(clockid(c, 0), c.flags(U32(c.a[1]), clock_nanosleep_flags, 'TIMER_???'), c.timespec(c.a[2]));
      return 0;
    }
    c.push(interrupted(c) && !(U32(c.a[1]) & 1n) ? c.timespecAlways(c.a[3]) : c.ptr(3));
    return 0;
  },
  getitimer: (c) => {
    if (c.entering) {
      c.push(c.xval(U32(c.a[0]), itimer_which, 'ITIMER_???'));
      return 0;
    }
    c.push(itimervalAt(c, c.a[1]));
    return 0;
  },
  setitimer: (c) => {
    if (c.entering) {
      c.push(c.xval(U32(c.a[0]), itimer_which, 'ITIMER_???'), itimervalAt(c, c.a[1]));
      return 0;
    }
    c.push(itimervalAt(c, c.a[2]));
    return 0;
  },
  times: (c) => {
    if (c.entering) return 0;
    const ad = c.a[0];
    const b = ad ? c.fetch(ad, 32) : undefined;
    c.push(
      ad === 0n
        ? NULL
        : b
          ? struct(['tms_utime', 'tms_stime', 'tms_cutime', 'tms_cstime'].map((k, i) => field(k, clockTicks(c, b.readBigUInt64LE(i * 8)))))
          : addr(ad),
    );
    return 0;
  },
};
