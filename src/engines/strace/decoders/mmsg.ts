/**
 * sendmmsg and recvmmsg: arrays of struct mmsghdr (a msghdr and the msg_len the kernel sets;
 * include/linux/socket.h), printed with net.ts's msghdr.
 */
import { Ctx, RVAL_DECODED, U32, type Decoder } from '../printer.js';
import { addr, field, struct, num, type Value } from '../value.js';
import { msg_flags } from '../xlat/tables.gen.js';
import { timespecText } from './common.js';
import { msghdrValue } from './net.js';

const MMSGHDR_SIZE = 64;
/** UIO_MAXIOV: the kernel handles no more messages per call. */
const VLEN_MAX = 1024n;

/**
 * The vector: `count` elements, the first `withLen` of them with their msg_len; the data of a received
 * message is limited to its msg_len; `namelens` are the name lengths offered at entry.
 */
function mmsgVec(c: Ctx, ad: bigint, count: bigint, withLen: bigint, recv: boolean, namelens?: readonly number[]): Value {
  const shown = count > VLEN_MAX ? VLEN_MAX : count;
  const v = c.array(ad, shown, MMSGHDR_SIZE, (b, i, at) => {
    const len = b.readUInt32LE(56);
    const hdr = msghdrValue(c, at, recv ? BigInt(len) : undefined, namelens?.[i]);
    return struct(BigInt(i) < withLen ? [field('msg_hdr', hdr), field('msg_len', num(len))] : [field('msg_hdr', hdr)]);
  }, true);
  return v.t === 'arr' && count > shown && v.moreAt === undefined ? { ...v, more: true } : v;
}

/** Decodes input the caller supplied at exit, when a failed call made no output valid. */
function asInput<T>(c: Ctx, f: () => T): T {
  const was = c.entering;
  c.entering = true;
  try {
    return f();
  } finally {
    c.entering = was;
  }
}

const flagsOf = (c: Ctx, v: bigint): Value => c.flags(U32(v), msg_flags, 'MSG_???');

export const mmsgDecoders: Record<string, Decoder> = {
  sendmmsg: (c) => {
    if (c.entering) {
      c.push(c.fd(c.a[0]));
      // -e verbose=none: the vector stays an address, and nothing waits for the exit.
      if (c.o.notVerbose) c.push(c.ptr(1), c.uint(2), flagsOf(c, c.a[3]));
      return c.o.notVerbose ? RVAL_DECODED : 0;
    }
    // The messages are input: shown even when the call failed, with msg_len once it succeeded.
    const n = U32(c.a[2]);
    c.push(asInput(c, () => mmsgVec(c, c.a[1], n, c.failed ? 0n : c.rval, false)), c.uint(2), flagsOf(c, c.a[3]));
    return 0;
  },
  recvmmsg: (c) => {
    const n = U32(c.a[2]);
    if (c.entering) {
      c.push(c.fd(c.a[0]));
      if (c.o.notVerbose) {
        c.push(c.ptr(1), c.uint(2), flagsOf(c, c.a[3]), c.ptr(4));
        return RVAL_DECODED;
      }
      // The name lengths offered, and the timeout as passed (printed at exit, in place).
      const names: number[] = [];
      const shown = Number(n < VLEN_MAX ? n : VLEN_MAX);
      const all = c.fetch(c.a[1], shown * MMSGHDR_SIZE);
      for (let i = 0; i < shown; i++) {
        const b = all ? all.subarray(i * MMSGHDR_SIZE) : c.fetch(c.a[1] + BigInt(i * MMSGHDR_SIZE), 12);
        if (!b) break;
        names.push(b.readUInt32LE(8));
      }
      c.priv = { names, timeout: c.timespec(c.a[4]) };
      return 0;
    }
    const p = c.priv as { names: number[]; timeout: Value };
    c.push(c.failed ? addr(c.a[1]) : mmsgVec(c, c.a[1], c.rval, c.rval, true, p.names), c.uint(2), flagsOf(c, c.a[3]), p.timeout);
    if (!c.failed && c.a[4] !== 0n) {
      const b = c.fetch(c.a[4], 16);
      if (b) c.aux = `left ${timespecText(b)}`;
    }
    return 0;
  },
};
