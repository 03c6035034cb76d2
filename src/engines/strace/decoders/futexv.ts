/**
 * futex_waitv (include/uapi/linux/futex.h): an array of struct futex_waitv.
 */
import { Ctx, RVAL_DECODED, U32, type Decoder } from '../printer.js';
import { addr, field, hexStr, struct, sym, type Field, type Value } from '../value.js';
import { clocknames, futex_waiter_flags } from '../xlat/tables.gen.js';

/** FUTEX_WAITV_MAX: the kernel reads no more. */
const WAITV_MAX = 128n;

function waiters(c: Ctx, ad: bigint, n: bigint): Value {
  const shown = n > WAITV_MAX ? WAITV_MAX : n;
  const v = c.array(ad, shown, 24, (b) => {
    const f: Field[] = [
      field('val', sym(hexStr(b.readBigUInt64LE(0)))),
      field('uaddr', addr(b.readBigUInt64LE(8))),
      field('flags', c.flags(BigInt(b.readUInt32LE(16)), futex_waiter_flags, 'FUTEX_???')),
    ];
    const resv = b.readUInt32LE(20);
    if (resv) f.push(field('__reserved', sym(hexStr(BigInt(resv)))));
    return struct(f);
  });
  return v.t === 'arr' && n > shown && v.moreAt === undefined ? { ...v, more: true } : v;
}

export const futexvDecoders: Record<string, Decoder> = {
  futex_waitv: (c) => {
    const n = U32(c.a[1]);
    c.push(waiters(c, c.a[0], n), c.uint(1), sym(hexStr(U32(c.a[2]))), c.timespec(c.a[3]), c.xval(U32(c.a[4]), clocknames, 'CLOCK_???'));
    return RVAL_DECODED;
  },
};
