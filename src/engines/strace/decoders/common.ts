/**
 * Structure printers shared by several decoder families (iovec arrays, timespec pairs, ...).
 */
import * as fs from 'node:fs';
import { Ctx, timespecValue, timevalValue } from '../printer.js';
import { readCString } from '../memory.js';
import { quoteBytes } from '../quote.js';
import { NULL, addr, field, num, str, struct, sym, type Field, type Value } from '../value.js';

/**
 * struct iovec array (strace tprint_iov_upto). `dataSize` limits how many bytes of buffer content
 * are shown in total (the return value of readv); undefined means all (writev at entry).
 * `showData` false prints iov_base as addresses.
 */
export function iovArray(c: Ctx, ad: bigint, count: bigint, dataSize: bigint | undefined, showData = true): Value {
  let left = dataSize;
  // Without data (a failed readv) the array itself is still shown, as strace does.
  return c.array(ad, count, 16, (b) => {
    const base = b.readBigUInt64LE(0);
    const len = b.readBigUInt64LE(8);
    let v: Value;
    if (!showData) v = addr(base);
    else {
      let n = len;
      if (left !== undefined) {
        if (n > left) n = left;
        left -= n;
      }
      v = c.buf(base, n);
    }
    return struct([field('iov_base', v), field('iov_len', num(len))]);
  }, !showData);
}

/** struct timespec at addr. */
export function timespecAt(c: Ctx, ad: bigint): Value {
  return c.timespec(ad);
}

/** struct timeval at addr. */
export function timevalAt(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 16);
  return b ? timevalValue(b, 0) : addr(ad);
}

/** struct itimerspec {it_interval, it_value}. */
export function itimerspecAt(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 32);
  if (!b) return addr(ad);
  return struct([field('it_interval', timespecValue(b, 0)), field('it_value', timespecValue(b, 16))]);
}

/** struct itimerval {it_interval, it_value} (timevals). */
export function itimervalAt(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 32);
  if (!b) return addr(ad);
  return struct([field('it_interval', timevalValue(b, 0)), field('it_value', timevalValue(b, 16))]);
}

/** Text of a timespec for aux strings ("left {tv_sec=0, tv_nsec=122}"). */
export function timespecText(b: Buffer): string {
  return `{tv_sec=${b.readBigInt64LE(0)}, tv_nsec=${b.readBigUInt64LE(8)}}`;
}
export function timevalText(b: Buffer): string {
  return `{tv_sec=${b.readBigInt64LE(0)}, tv_usec=${b.readBigUInt64LE(8)}}`;
}

/**
 * A string the kernel reads at most `max` bytes of (reboot's command, a memfd name): all of it
 * when a NUL ends it within them, else `max` bytes and `...`; -s cuts it further.
 */
export function kernelBoundedString(c: Ctx, ad: bigint, max: number): Value {
  if (ad === 0n) return NULL;
  const r = readCString(c.mem, ad, max);
  if (!r) return addr(ad);
  const lim = c.o.strsize;
  if (r.nul && r.bytes.length <= lim) return str(r.bytes);
  return str(r.bytes.subarray(0, lim), true);
}

let ifnames: Map<number, string> | undefined;
/** Interface names by index, from /sys/class/net (the tracer's network namespace, as strace). */
function ifname(index: number): string | undefined {
  if (!ifnames) {
    ifnames = new Map();
    try {
      for (const n of fs.readdirSync('/sys/class/net')) {
        const i = Number(fs.readFileSync(`/sys/class/net/${n}/ifindex`, 'utf8'));
        if (Number.isInteger(i)) ifnames.set(i, n);
      }
    } catch {
      /* no sysfs: numbers only */
    }
  }
  return ifnames.get(index);
}

/** An interface index: if_nametoindex("lo"), or the number (strace's print_ifindex). */
export function ifindexValue(c: Ctx, index: number): Value {
  const name = c.o.xlat === 'raw' ? undefined : ifname(index);
  if (name === undefined) return num(index);
  const s = `if_nametoindex("${name}")`;
  return sym(c.o.xlat === 'verbose' ? `${index} /* ${s} */` : s);
}

/** Longest tail of an extensible structure examined (the kernel's limit, PAGE_SIZE). */
const EXT_TAIL_MAX = 4096;

/**
 * What follows the known `known` bytes of an extensible structure of `size` bytes (openat2's
 * open_how, clone3's clone_args): nothing when those bytes are all zero (the kernel accepts
 * them), `???` when they cannot be read, else `/* bytes K..N *\/ "\x.."` with the bytes in hex.
 */
export function extTail(c: Ctx, ad: bigint, known: number, size: bigint): Field | undefined {
  if (size <= BigInt(known)) return undefined;
  const want = size - BigInt(known) > BigInt(EXT_TAIL_MAX) ? EXT_TAIL_MAX : Number(size) - known;
  const b = c.fetchAlways(ad + BigInt(known), want);
  if (!b) return { k: 'tail', v: sym('???'), bare: true };
  if (b.every((x) => x === 0)) return undefined;
  const lim = c.o.strsize;
  const shown = b.subarray(0, Math.min(lim, b.length));
  return { k: 'tail', v: sym(`/* bytes ${known}..${size - 1n} */ ${quoteBytes(shown, b.length > lim, 'all')}`), bare: true };
}

/** CPU set: [0 1 5] for `len` bytes (strace affinity.c). */
export function cpusetValue(c: Ctx, ad: bigint, len: bigint): Value {
  if (ad === 0n) return NULL;
  const n = len > 8192n ? 8192 : Number(len);
  const b = c.fetch(ad, n);
  if (!b) return addr(ad);
  const names: string[] = [];
  for (let i = 0; i < n * 8; i++) if ((b[i >> 3] >> (i & 7)) & 1) names.push(String(i));
  return { t: 'set', names, neg: false };
}
