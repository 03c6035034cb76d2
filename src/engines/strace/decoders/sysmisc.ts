/**
 * Small system calls with one structure or one constant each: personality, ustat, lookup_dcookie,
 * _sysctl, modify_ldt and set/get_thread_area (struct user_desc of
 * asm/ldt.h), from the kernel's personality.h, ustat and sysctl UAPI layouts.
 */
import { Ctx, RV, RVAL_DECODED, U32, flagsStr, xvalStr, type Decoder } from '../printer.js';
import { NULL, addr, field, num, struct, sym, type Value } from '../value.js';
import { personality_flags, personality_types } from '../xlat/tables.gen.js';

const PER_MASK = 0xffn;

/** The persona word: execution domain | flag bits. */
function personaStr(c: Ctx, v: bigint): string {
  const type = xvalStr(v & PER_MASK, personality_types, 'PER_???', c.o.xlat);
  const flags = v & ~PER_MASK;
  return flags ? `${type}|${flagsStr(flags, personality_flags, undefined, c.o.xlat)}` : type;
}

/** %#08x as strace prints user_desc's base and limit. */
function hex08(v: number): string {
  return v === 0 ? '00000000' : `0x${v.toString(16).padStart(6, '0')}`;
}

/** entry_number: -1 (let the kernel choose) or unsigned. */
function entryNumber(v: number): string {
  return v === 0xffffffff ? '-1' : String(v);
}

/** struct user_desc (16 bytes: three u32 then the bit fields). */
function userDesc(b: Buffer): Value {
  const bits = b.readUInt32LE(12);
  return struct([
    field('entry_number', sym(entryNumber(b.readUInt32LE(0)))),
    field('base_addr', sym(hex08(b.readUInt32LE(4)))),
    field('limit', sym(hex08(b.readUInt32LE(8)))),
    field('seg_32bit', num(bits & 1)),
    field('contents', num((bits >> 1) & 3)),
    field('read_exec_only', num((bits >> 3) & 1)),
    field('limit_in_pages', num((bits >> 4) & 1)),
    field('seg_not_present', num((bits >> 5) & 1)),
    field('useable', num((bits >> 6) & 1)),
    field('lm', num((bits >> 7) & 1)),
  ]);
}

function userDescAt(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetchAlways(ad, 16);
  return b ? userDesc(b) : addr(ad);
}

export const sysmiscDecoders: Record<string, Decoder> = {
  personality: (c) => {
    if (c.entering) {
      const v = U32(c.a[0]);
      // 0xffffffff only queries the persona.
      c.push(sym(v === 0xffffffffn ? '0xffffffff' : personaStr(c, v)));
      c.noTrailingSep = true;
      return RV.HEX;
    }
    if (!c.failed) c.aux = personaStr(c, U32(c.rval));
    return RV.HEX;
  },
  ustat: (c) => {
    if (c.entering) {
      c.push(Ctx.makedev(U32(c.a[0])));
      return 0;
    }
    const ad = c.a[1];
    const b = ad === 0n ? undefined : c.fetch(ad, 16);
    c.push(
      ad === 0n
        ? NULL
        : b
          ? struct([field('f_tfree', num(b.readUInt32LE(0))), field('f_tinode', num(b.readBigUInt64LE(8)))])
          : addr(ad),
    );
    return 0;
  },
  lookup_dcookie: (c) => {
    if (c.entering) {
      c.push(c.ulong(0));
      return 0;
    }
    c.push(c.failed ? addr(c.a[1]) : c.buf(c.a[1], c.rval), c.ulong(2));
    return 0;
  },
  _sysctl: (c) => {
    const ad = c.a[0];
    const b = ad === 0n ? undefined : c.fetchAlways(ad, 48);
    if (!b) c.push(addr(ad));
    else {
      // The name vector is printed as its address: its integers name nothing without the
      // kernel's (removed) binary sysctl tables.
      c.push(
        struct([
          field('name', addr(b.readBigUInt64LE(0))),
          field('nlen', num(b.readInt32LE(8))),
          field('oldval', addr(b.readBigUInt64LE(16))),
          field('oldlenp', addr(b.readBigUInt64LE(24))),
          field('newval', addr(b.readBigUInt64LE(32))),
          field('newlen', num(b.readBigUInt64LE(40))),
        ]),
      );
    }
    return RVAL_DECODED;
  },
  modify_ldt: (c) => {
    const count = c.a[2];
    c.push(c.int(0), count === 16n ? userDescAt(c, c.a[1]) : c.ptr(1), c.ulong(2));
    return RVAL_DECODED | RV.U32ERR;
  },
  set_thread_area: (c) => {
    if (c.entering) {
      c.push(userDescAt(c, c.a[0]));
      c.noTrailingSep = true;
      return 0;
    }
    if (!c.failed) {
      const b = c.fetchAlways(c.a[0], 4);
      if (b) c.aux = `entry_number=${b.readUInt32LE(0)}`;
    }
    return 0;
  },
  get_thread_area: (c) => {
    if (c.entering) return 0;
    const ad = c.a[0];
    if (!c.failed) c.push(userDescAt(c, ad));
    else {
      // The kernel read only entry_number before failing.
      const b = ad === 0n ? undefined : c.fetchAlways(ad, 4);
      c.push(b ? sym(`{entry_number=${entryNumber(b.readUInt32LE(0))}, ...}`) : addr(ad));
    }
    return 0;
  },
};

