/**
 * Time formatting shared by decoders and the line formatter: strace's sprinttime_nsec
 * ("2023-11-14T22:13:20.000000005+0000", local time zone) and the -t/-tt/-ttt/-r leaders.
 */

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Local-time ISO 8601 as strace prints in structure comments; undefined if out of range. */
export function isoTime(sec: bigint, nsec?: bigint | number): string | undefined {
  // JS Date covers ±8.64e15 ms; strace's localtime() fails beyond a similar range anyway.
  if (sec > 8_000_000_000_000n || sec < -8_000_000_000_000n) return farUtcTime(sec, nsec);
  const d = new Date(Number(sec) * 1000);
  if (Number.isNaN(d.getTime())) return undefined;
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const ao = Math.abs(off);
  let s = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (nsec !== undefined && BigInt(nsec) !== 0n) {
    const n = BigInt(nsec);
    s += n >= 0n && n < 1_000_000_000n ? `.${n.toString().padStart(9, '0')}` : '';
  }
  return `${s}${sign}${pad(Math.floor(ao / 60))}${pad(ao % 60)}`;
}

/**
 * Beyond Date's range (year 275760) the calendar is computed from the day count (proleptic
 * Gregorian), in UTC only: a far date is shown when the local zone is UTC, as strace's tests run.
 */
function farUtcTime(sec: bigint, nsec?: bigint | number): string | undefined {
  if (new Date(0).getTimezoneOffset() !== 0 || sec > 67_767_976_233_316_800n || sec < -67_768_040_609_740_800n) return undefined;
  let days = sec / 86400n;
  let rem = sec % 86400n;
  if (rem < 0n) {
    rem += 86400n;
    days -= 1n;
  }
  // days since 1970-01-01 -> civil date (H. Hinnant's days_from_civil inverse)
  const z = days + 719468n;
  const era = (z >= 0n ? z : z - 146096n) / 146097n;
  const doe = z - era * 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const day = doy - (153n * mp + 2n) / 5n + 1n;
  const month = mp < 10n ? mp + 3n : mp - 9n;
  const year = yoe + era * 400n + (month <= 2n ? 1n : 0n);
  const r = Number(rem);
  let s = `${year}-${pad(Number(month))}-${pad(Number(day))}T${pad(Math.floor(r / 3600))}:${pad(Math.floor(r / 60) % 60)}:${pad(r % 60)}`;
  if (nsec !== undefined && BigInt(nsec) > 0n && BigInt(nsec) < 1_000_000_000n) s += `.${BigInt(nsec).toString().padStart(9, '0')}`;
  return `${s}+0000`;
}

/** HH:MM:SS in local time (-t), with .uuuuuu for -tt. `ns` is wall-clock nanoseconds. */
export function clockTime(ns: bigint, micro: boolean): string {
  const ms = Number(ns / 1_000_000n);
  const d = new Date(ms);
  const base = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (!micro) return base;
  const us = (ns / 1000n) % 1_000_000n;
  return `${base}.${pad(Number(us), 6)}`;
}

/** seconds.micros (-ttt, -T, -r, summary): `<s>.<uuuuuu>` from nanoseconds. */
export function secUsec(ns: bigint): string {
  const neg = ns < 0n;
  const a = neg ? -ns : ns;
  const us = a / 1000n;
  return `${neg ? '-' : ''}${us / 1_000_000n}.${(us % 1_000_000n).toString().padStart(6, '0')}`;
}

/** Precision of a timestamp or duration (strace's --*-timestamps=PRECISION). */
export type Precision = 's' | 'ms' | 'us' | 'ns';

/** --absolute-timestamps: time of day or seconds since the epoch, at a precision. */
export interface TimestampFormat {
  format: 'none' | 'time' | 'unix';
  precision: Precision;
}

const DIGITS: Record<Precision, number> = { s: 0, ms: 3, us: 6, ns: 9 };

export function parsePrecision(v: string): Precision | undefined {
  return v === 's' || v === 'ms' || v === 'us' || v === 'ns' ? v : undefined;
}

/** ".fff" with the precision's digits of the sub-second part (nanoseconds), or nothing. */
function fraction(subNs: bigint, p: Precision): string {
  const d = DIGITS[p];
  if (!d) return '';
  return `.${(subNs / 10n ** BigInt(9 - d)).toString().padStart(d, '0')}`;
}

/** A duration as seconds with the precision's fraction (-T's "0.000012", -r's). */
export function durationText(ns: bigint, p: Precision): string {
  const a = ns < 0n ? 0n : ns;
  return `${a / 1_000_000_000n}${fraction(a % 1_000_000_000n, p)}`;
}

/** An absolute timestamp of wall-clock nanoseconds (-t, -tt, -ttt and their long forms). */
export function absoluteText(ns: bigint, f: TimestampFormat): string {
  const sec = ns / 1_000_000_000n;
  const frac = fraction(ns % 1_000_000_000n, f.precision);
  if (f.format === 'unix') return `${sec}${frac}`;
  const d = new Date(Number(sec) * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${frac}`;
}

/**
 * The timestamps a trace line starts with, as strace's leader: the absolute time, the time
 * since the previous line (`-r`, seconds right-aligned in 6 columns; `(+…)` after an absolute
 * time), then a space.
 */
export function leaderStamp(ns: bigint, previousNs: bigint | undefined, abs: TimestampFormat | undefined,
  rel: Precision | undefined): string {
  let s = abs && abs.format !== 'none' ? absoluteText(ns, abs) : '';
  if (rel) {
    const [sec, frac] = durationText(previousNs === undefined ? 0n : ns - previousNs, rel).split('.');
    const r = `${sec!.padStart(6)}${frac !== undefined ? `.${frac}` : ''}`;
    s += s ? ` (+${r})` : r;
  }
  return s ? `${s} ` : '';
}
