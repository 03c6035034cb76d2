/**
 * userfaultfd ioctls (include/uapi/linux/userfaultfd.h), type byte 0xaa: uffdio_api, register,
 * copy, zeropage, writeprotect, continue and the uffdio_range of wake/unregister. The request
 * structs are read and written by the kernel, so they print at exit, with the fields the kernel
 * filled (features, ioctls, copy, zeropage) only when the call succeeded.
 */
import { Ctx } from '../printer.js';
import { chg, field, struct, sym, type Field, type Value } from '../value.js';
import { xlat, type Xlat } from '../xlat/xlat.js';
import {
  uffd_api_features,
  uffd_continue_modes,
  uffd_copy_modes,
  uffd_ioctl_bits,
  uffd_register_modes,
  uffd_writeprotect_modes,
  uffd_zeropage_modes,
} from '../xlat/tables.gen.js';
import { ioc, registerIoctlFamily } from './ioctl.js';
import { fieldsOf, keepAtEntry, structOf, type Row } from './ioctl-struct.js';

const RANGE: readonly Row[] = [
  ['start', 0, 'x64'],
  ['len', 8, 'x64'],
];
const COPY: readonly Row[] = [
  ['dst', 0, 'x64'],
  ['src', 8, 'x64'],
  ['len', 16, 'x64'],
];

const u64 = (b: Buffer, off: number): bigint => b.readBigUInt64LE(off);
/** 1<<_UFFDIO_API is bit 63, which the generated table holds as a negative number. */
let bits: Xlat | undefined;
const ioctlBits = (): Xlat => (bits ??= xlat('uffd_ioctl_bits_u64', uffd_ioctl_bits.entries.map(([v, n]) => [BigInt.asUintN(64, v), n])));
const ioctls = (c: Ctx, b: Buffer, off: number): Field => field('ioctls', c.flags(u64(b, off), ioctlBits(), undefined));

/** {range={start, len}, mode=..., <out>=...}: register, zeropage, writeprotect, continue. */
function ranged(modes: Xlat, dflt: string, out?: (c: Ctx, b: Buffer) => Field): (c: Ctx, b: Buffer) => Value {
  return (c, b) => {
    const f = [field('range', structOf(b, RANGE)), field('mode', c.flags(u64(b, 16), modes, dflt))];
    if (out && !c.failed) f.push(out(c, b));
    return struct(f);
  };
}

/** {api=0xaa, features=0 => features=..., ioctls=...}: the features asked for, then granted. */
function api(c: Ctx, b: Buffer, before: Buffer): Value {
  const f: Field[] = fieldsOf(before, [['api', 0, 'x64']]);
  const asked = c.flags(u64(before, 8), uffd_api_features, undefined);
  if (c.failed) return struct([...f, field('features', asked)]);
  const granted = c.flags(u64(b, 8), uffd_api_features, undefined);
  return struct([...f, field('features', chg(asked, sym(`features=${(granted as { s: string }).s}`))), ioctls(c, b, 16)]);
}

type Shape = { size: number; print: (c: Ctx, b: Buffer, before: Buffer) => Value };
let SHAPES: Map<number, Shape> | undefined;
function shapes(): Map<number, Shape> {
  const x = (v: bigint) => sym(`0x${v.toString(16)}`);
  return (SHAPES ??= new Map<number, Shape>([
    [ioc('UFFDIO_API'), { size: 24, print: api }],
    [ioc('UFFDIO_REGISTER'), { size: 32, print: ranged(uffd_register_modes, 'UFFDIO_REGISTER_MODE_???', (c, b) => ioctls(c, b, 24)) }],
    [ioc('UFFDIO_UNREGISTER'), { size: 16, print: (_c, b) => structOf(b, RANGE) }],
    [ioc('UFFDIO_WAKE'), { size: 16, print: (_c, b) => structOf(b, RANGE) }],
    [
      ioc('UFFDIO_COPY'),
      {
        size: 40,
        print: (c, b) => {
          const f = [...fieldsOf(b, COPY), field('mode', c.flags(u64(b, 24), uffd_copy_modes, 'UFFDIO_COPY_MODE_???'))];
          if (!c.failed) f.push(field('copy', x(u64(b, 32))));
          return struct(f);
        },
      },
    ],
    [ioc('UFFDIO_ZEROPAGE'), { size: 32, print: ranged(uffd_zeropage_modes, 'UFFDIO_ZEROPAGE_MODE_???', (_c, b) => field('zeropage', x(u64(b, 24)))) }],
    [ioc('UFFDIO_WRITEPROTECT'), { size: 24, print: ranged(uffd_writeprotect_modes, 'UFFDIO_WRITEPROTECT_MODE_???') }],
    [ioc('UFFDIO_CONTINUE'), { size: 32, print: ranged(uffd_continue_modes, 'UFFDIO_CONTINUE_MODE_???', (_c, b) => field('mapped', x(u64(b, 24)))) }],
  ]));
}

function uffd(c: Ctx, code: number, arg: bigint): number | undefined {
  const s = shapes().get(code);
  if (!s) return undefined;
  // The struct as the caller filled it: the exit print compares against it (api features).
  if (c.entering) return keepAtEntry(c, arg, s.size);
  const before = c.priv as Buffer;
  const b = c.failed ? before : (c.fetch(arg, s.size) ?? before);
  c.push(s.print(c, b, before));
  return 0;
}

registerIoctlFamily([0xaa], uffd);
