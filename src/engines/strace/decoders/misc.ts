/**
 * Everything else in scope: futex, getrandom, uname, sysinfo, getcpu, membarrier
 * (strace futex.c, getrandom.c, uname.c, sysinfo.c, getcpu.c, membarrier.c).
 */
import { Ctx, RVAL_DECODED, U32, xvalStr, type Decoder } from '../printer.js';
import { NULL, addr, arr, field, hexStr, num, struct, sym, type Field, type Value } from '../value.js';
import { futexbitset, futexops, futexwakecmps, futexwakeops, getrandom_flags, membarrier_cmds } from '../xlat/tables.gen.js';

const futex: Decoder = (c) => {
  const op = U32(c.a[1]);
  const cmd = Number(op & 127n);
  const val = c.uint(2);
  const val2 = () => c.uint(3);
  const val3 = U32(c.a[5]);
  c.push(c.ptr(0), c.xval(op, futexops, 'FUTEX_???'));
  switch (cmd) {
    case 0: // FUTEX_WAIT
      c.push(val, c.timespec(c.a[3]));
      break;
    case 6: // FUTEX_LOCK_PI
    case 13: // FUTEX_LOCK_PI2
      c.push(c.timespec(c.a[3]));
      break;
    case 9: // FUTEX_WAIT_BITSET
      c.push(val, c.timespec(c.a[3]), c.xval(val3, futexbitset, undefined));
      break;
    case 10: // FUTEX_WAKE_BITSET
      c.push(val, c.xval(val3, futexbitset, undefined));
      break;
    case 3: // FUTEX_REQUEUE
      c.push(val, val2(), c.ptr(4));
      break;
    case 4: // FUTEX_CMP_REQUEUE
    case 12: // FUTEX_CMP_REQUEUE_PI
      c.push(val, val2(), c.ptr(4), num(val3));
      break;
    case 5: {
      // FUTEX_WAKE_OP: the encoded operation, as strace spells it out.
      const parts: string[] = [];
      const opv = (val3 >> 28n) & 0xfn;
      if (opv & 8n) parts.push('FUTEX_OP_OPARG_SHIFT<<28');
      const opName = futexwakeops.lookup(opv & 7n);
      parts.push(opName ? `${opName}<<28` : `${hexStr(opv & 7n)}<<28 /* FUTEX_OP_??? */`);
      parts.push(`${hexStr((val3 >> 12n) & 0xfffn)}<<12`);
      const cmpv = (val3 >> 24n) & 0xfn;
      const cmpName = futexwakecmps.lookup(cmpv);
      parts.push(cmpName ? `${cmpName}<<24` : `${hexStr(cmpv)}<<24 /* FUTEX_OP_CMP_??? */`);
      parts.push(hexStr(val3 & 0xfffn));
      c.push(val, val2(), c.ptr(4), sym(c.o.xlat === 'raw' ? hexStr(val3) : parts.join('|')));
      break;
    }
    case 11: // FUTEX_WAIT_REQUEUE_PI
      c.push(val, c.timespec(c.a[3]), c.ptr(4));
      break;
    case 1: // FUTEX_WAKE
    case 2: // FUTEX_FD
      c.push(val);
      break;
    case 7: // FUTEX_UNLOCK_PI
    case 8: // FUTEX_TRYLOCK_PI
      break;
    default:
      c.push(val, c.ptr(3), c.ptr(4), sym(hexStr(val3)));
  }
  return RVAL_DECODED;
};

/** struct utsname: six 65-byte strings. */
function utsnameValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 390);
  if (!b) return addr(ad);
  const names = ['sysname', 'nodename', 'release', 'version', 'machine', 'domainname'];
  const f: Field[] = [];
  const n = c.abbrev ? 2 : 6;
  for (let i = 0; i < n; i++) {
    const s = b.subarray(i * 65, i * 65 + 65);
    const z = s.indexOf(0);
    f.push(field(names[i], { t: 'str', b: z >= 0 ? s.subarray(0, z) : s, more: z < 0 }));
  }
  return struct(f, c.abbrev);
}

function sysinfoValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 112);
  if (!b) return addr(ad);
  return struct([
    field('uptime', num(b.readBigInt64LE(0))),
    field('loads', arr([num(b.readBigUInt64LE(8)), num(b.readBigUInt64LE(16)), num(b.readBigUInt64LE(24))])),
    field('totalram', num(b.readBigUInt64LE(32))),
    field('freeram', num(b.readBigUInt64LE(40))),
    field('sharedram', num(b.readBigUInt64LE(48))),
    field('bufferram', num(b.readBigUInt64LE(56))),
    field('totalswap', num(b.readBigUInt64LE(64))),
    field('freeswap', num(b.readBigUInt64LE(72))),
    field('procs', num(b.readUInt16LE(80))),
    field('totalhigh', num(b.readBigUInt64LE(88))),
    field('freehigh', num(b.readBigUInt64LE(96))),
    field('mem_unit', num(b.readUInt32LE(104))),
  ]);
}

export const miscDecoders: Record<string, Decoder> = {
  futex,
  getrandom: (c) => {
    if (c.entering) return 0;
    if (c.failed) c.push(c.ptr(0));
    else {
      const v = c.buf(c.a[0], c.rval);
      c.push(v.t === 'str' ? { ...v, x: true } : v);
    }
    c.push(c.ulong(1), c.flags(U32(c.a[2]), getrandom_flags, 'GRND_???'));
    return 0;
  },
  uname: (c) => {
    if (c.entering) return 0;
    c.push(utsnameValue(c, c.a[0]));
    return 0;
  },
  sysinfo: (c) => {
    if (c.entering) return 0;
    c.push(sysinfoValue(c, c.a[0]));
    return 0;
  },
  getcpu: (c) => {
    if (c.entering) return 0;
    c.push(c.uintPtr(c.a[0]), c.uintPtr(c.a[1]), c.ptr(2));
    return 0;
  },
  membarrier: (c) => {
    c.push(sym(xvalStr(U32(c.a[0]), membarrier_cmds, 'MEMBARRIER_CMD_???', c.o.xlat)), c.x(1));
    return RVAL_DECODED;
  },
};
