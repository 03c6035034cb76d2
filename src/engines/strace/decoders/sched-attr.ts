/**
 * sched_setattr / sched_getattr: struct sched_attr (include/uapi/linux/sched/types.h), an
 * extensible structure whose first field is its own size.
 */
import { Ctx, U32, type Decoder } from '../printer.js';
import { addr, field, num, struct, type Field, type Value } from '../value.js';
import { sched_attr_flags, schedulers } from '../xlat/tables.gen.js';

/** SCHED_ATTR_SIZE_VER0 and VER1: without and with sched_util_min/max. */
const VER0 = 48;
const VER1 = 56;
const KEEP_POLICY = 0x08n;
const KEEP_PARAMS = 0x10n;
const E2BIG = -7n;

/**
 * The attr at `ad` as the kernel sees it: `usize` bytes the caller vouches for (getattr's size
 * argument), or, when undefined, the size the structure names (0 means VER0).
 */
function schedAttr(c: Ctx, ad: bigint, usize: number | undefined): Value {
  if (ad === 0n) return addr(ad);
  const head = c.fetch(ad, 4);
  if (!head) return addr(ad);
  const size = head.readUInt32LE(0);
  let len = usize ?? (size === 0 ? VER0 : size);
  if (len < VER0) return struct([field('size', num(size))]);
  if (len > VER1) len = VER1;
  const b = c.fetch(ad, len);
  if (!b) return addr(ad);
  const flags = b.readBigUInt64LE(8);
  const f: Field[] = [field('size', num(size))];
  // Fields the flags tell the kernel to keep are not read by it, and not shown.
  if (!(flags & (KEEP_POLICY | KEEP_PARAMS))) f.push(field('sched_policy', c.xval(BigInt(b.readUInt32LE(4)), schedulers, 'SCHED_???')));
  f.push(field('sched_flags', c.flags(flags, sched_attr_flags, 'SCHED_FLAG_???')));
  if (!(flags & KEEP_PARAMS)) {
    f.push(
      field('sched_nice', num(b.readInt32LE(16))),
      field('sched_priority', num(b.readUInt32LE(20))),
      field('sched_runtime', num(b.readBigUInt64LE(24))),
      field('sched_deadline', num(b.readBigUInt64LE(32))),
      field('sched_period', num(b.readBigUInt64LE(40))),
    );
  }
  if (len >= VER1) f.push(field('sched_util_min', num(b.readUInt32LE(48))), field('sched_util_max', num(b.readUInt32LE(52))));
  // Past the fields this decoder knows (a newer or bogus size).
  const more = usize === undefined && size > VER1;
  return struct(f, more);
}

export const schedAttrDecoders: Record<string, Decoder> = {
  sched_setattr: (c) => {
    if (c.entering) {
      c.push(c.pidv(c.a[0], 'tid'), schedAttr(c, c.a[1], undefined));
      c.noTrailingSep = true;
      return 0;
    }
    // E2BIG: the kernel wrote the size it supports back into the structure.
    if (c.rval === E2BIG && c.a[1] !== 0n) {
      const b = c.fetchAlways(c.a[1], 4);
      if (b) c.changeLast(struct([field('size', num(b.readUInt32LE(0)))]));
    }
    c.push(c.uint(2));
    return 0;
  },
  sched_getattr: (c) => {
    if (c.entering) {
      c.push(c.pidv(c.a[0], 'tid'));
      return 0;
    }
    c.push(schedAttr(c, c.a[1], Number(U32(c.a[2]))), c.uint(2), c.uint(3));
    return 0;
  },
};
