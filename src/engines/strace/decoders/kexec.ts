/**
 * kexec_load and kexec_file_load (include/uapi/linux/kexec.h).
 */
import { Ctx, RVAL_DECODED, flagsStr, xvalStr, type Decoder } from '../printer.js';
import { addr, field, hexStr, num, struct, sym, type Value } from '../value.js';
import { kexec_arch, kexec_file_load_flags, kexec_load_flags } from '../xlat/tables.gen.js';

/** KEXEC_SEGMENT_MAX: the kernel refuses more, so more are not read. */
const SEGMENT_MAX = 16n;
const ARCH_MASK = 0xffff0000n;

/** kexec_load's flags: the architecture (high 16 bits of the low word), then the flags. */
function kexecLoadFlags(c: Ctx, v: bigint): Value {
  if (c.o.xlat === 'raw') return sym(hexStr(v));
  const arch = xvalStr(v & ARCH_MASK, kexec_arch, 'KEXEC_ARCH_???', c.o.xlat);
  const rest = v & ~ARCH_MASK;
  return sym(rest === 0n ? arch : `${arch}|${flagsStr(rest, kexec_load_flags, 'KEXEC_???', c.o.xlat)}`);
}

export const kexecDecoders: Record<string, Decoder> = {
  kexec_load: (c) => {
    const n = c.a[1];
    // struct kexec_segment {buf, bufsz, mem, memsz}
    const segs = n > SEGMENT_MAX
      ? addr(c.a[2])
      : c.array(c.a[2], n, 32, (b) => struct([
        field('buf', addr(b.readBigUInt64LE(0))),
        field('bufsz', num(b.readBigUInt64LE(8))),
        field('mem', addr(b.readBigUInt64LE(16))),
        field('memsz', num(b.readBigUInt64LE(24))),
      ]));
    c.push(addr(c.a[0]), c.ulong(1), segs, kexecLoadFlags(c, c.a[3]));
    return RVAL_DECODED;
  },
  kexec_file_load: (c) => {
    c.push(c.fd(c.a[0]), c.fd(c.a[1]), c.ulong(2), c.buf(c.a[3], c.a[2]), c.flags(c.a[4], kexec_file_load_flags, 'KEXEC_FILE_???'));
    return RVAL_DECODED;
  },
};
