/**
 * Time formatting shared by decoders and the line formatter: strace's sprinttime_nsec
 * ("2023-11-14T22:13:20.000000005+0000", local time zone) and the -t/-tt/-ttt/-r leaders.
 */

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Local-time ISO 8601 as strace prints in structure comments; undefined if out of range. */
export function isoTime(sec: bigint, nsec?: bigint | number): string | undefined {
  // JS Date covers ±8.64e15 ms; strace's localtime() fails beyond a similar range anyway.
  if (sec > 8_000_000_000_000n || sec < -8_000_000_000_000n) return undefined;
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
