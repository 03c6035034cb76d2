/**
 * Clocks and sleeping: clock_gettime/settime/getres, gettimeofday, time, nanosleep,
 * clock_nanosleep, getitimer/setitimer, times (strace time.c, clock_nanosleep.c, times.c).
 */
import { Ctx, RVAL_DECODED, U32, type Decoder } from '../printer.js';
import { isoTime } from '../timefmt.js';
import { NULL, addr, arr, field, num, struct, type Value } from '../value.js';
import { clock_nanosleep_flags, clocknames, itimer_which } from '../xlat/tables.gen.js';
import { itimervalAt, timevalAt } from './common.js';

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
      c.push(b ? arr([num(b.readBigInt64LE(0))]) : addr(ad));
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
      c.push(c.xval(U32(c.a[0]), itimer_which, 'ITIMER_???', 'd'));
      return 0;
    }
    c.push(itimervalAt(c, c.a[1]));
    return 0;
  },
  setitimer: (c) => {
    if (c.entering) {
      c.push(c.xval(U32(c.a[0]), itimer_which, 'ITIMER_???', 'd'), itimervalAt(c, c.a[1]));
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
          ? struct([
              field('tms_utime', num(b.readBigInt64LE(0))),
              field('tms_stime', num(b.readBigInt64LE(8))),
              field('tms_cutime', num(b.readBigInt64LE(16))),
              field('tms_cstime', num(b.readBigInt64LE(24))),
            ])
          : addr(ad),
    );
    return 0;
  },
};
