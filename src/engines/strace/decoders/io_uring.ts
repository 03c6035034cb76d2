/**
 * io_uring_setup and io_uring_enter (include/uapi/linux/io_uring.h). io_uring_register still
 * prints raw.
 */
import { Ctx, RV, RVAL_DECODED, U32, type Decoder } from '../printer.js';
import { arr, field, hexStr, num, struct, sym, addr, type Field, type Value } from '../value.js';
import { uring_enter_flags, uring_setup_features, uring_setup_flags } from '../xlat/tables.gen.js';

const SETUP_ATTACH_WQ = 1n << 5n;
const PARAMS_SIZE = 120;

/** io_sqring_offsets / io_cqring_offsets: seven u32 offsets (names differ past the fourth). */
function ringOffsets(b: Buffer, o: number, names: readonly string[]): Value {
  return struct(names.map((n, i) => field(n, num(b.readUInt32LE(o + i * 4)))));
}
const SQ_OFF = ['head', 'tail', 'ring_mask', 'ring_entries', 'flags', 'dropped', 'array'];
const CQ_OFF = ['head', 'tail', 'ring_mask', 'ring_entries', 'overflow', 'cqes', 'flags'];

/** struct io_uring_params: what the caller passed, and on success what the kernel filled in. */
function params(c: Ctx, ad: bigint): Value {
  const b = c.fetchAlways(ad, PARAMS_SIZE);
  if (!b) return addr(ad);
  const flags = BigInt(b.readUInt32LE(8));
  const f: Field[] = [
    field('flags', c.flags(flags, uring_setup_flags, 'IORING_SETUP_???')),
    field('sq_thread_cpu', sym(hexStr(BigInt(b.readUInt32LE(12))))),
    field('sq_thread_idle', num(b.readUInt32LE(16))),
  ];
  if (flags & SETUP_ATTACH_WQ) f.push(field('wq_fd', c.fd(BigInt(b.readInt32LE(24)))));
  const resv = [0, 1, 2].map((i) => b.readUInt32LE(28 + i * 4));
  if (resv.some((x) => x !== 0)) f.push(field('resv', arr(resv.map((x) => sym(hexStr(BigInt(x)))))));
  if (!c.failed) {
    f.push(
      field('sq_entries', num(b.readUInt32LE(0))),
      field('cq_entries', num(b.readUInt32LE(4))),
      field('features', c.flags(BigInt(b.readUInt32LE(20)), uring_setup_features, 'IORING_FEAT_???')),
      field('sq_off', ringOffsets(b, 40, SQ_OFF)),
      field('cq_off', ringOffsets(b, 80, CQ_OFF)),
    );
  }
  return struct(f);
}

export const ioUringDecoders: Record<string, Decoder> = {
  io_uring_setup: (c) => {
    if (c.entering) {
      c.push(c.uint(0));
      return RV.FD;
    }
    c.push(params(c, c.a[1]));
    return RV.FD;
  },
  io_uring_enter: (c) => {
    c.push(c.fd(c.a[0]), c.uint(1), c.uint(2), c.flags(U32(c.a[3]), uring_enter_flags, 'IORING_ENTER_???'), c.sigset(c.a[4], c.a[5]), c.ulong(5));
    return RVAL_DECODED;
  },
};
