/**
 * ATA disk ioctls (include/uapi/linux/hdreg.h, plain numbers 0x03xx): geometry, drive commands,
 * identity blocks, the per-setting HDIO_GET_x / HDIO_SET_x pairs (unsigned long by pointer /
 * by value), the nice bits and the bus state.
 */
import { Ctx, RVAL_DECODED } from '../printer.js';
import { addr, arr, field, hexStr, hexstr, num, struct, sym, type Field, type Value } from '../value.js';
import { hdio_busstate, hdio_drive_cmds, hdio_ide_nice_bits } from '../xlat/tables.gen.js';
import { xlat } from '../xlat/xlat.js';
import { ioc, registerIoctlFamily } from './ioctl.js';

/** HDIO_SET_NICE bits print as `1 << IDE_NICE_x`. */
const niceFlags = xlat(
  'hdio_nice_flags',
  () => hdio_ide_nice_bits.entries.map(([bit, name]) => [1n << bit, `1 << ${name}`] as const),
);

type Kind = 'geo' | 'cmd' | 'reset' | 'ulongOut' | 'ulongIn' | 'identity' | 'oldIdentity' | 'niceOut' | 'niceIn' | 'busOut' | 'busIn';

const GETS = ['32BIT', 'ACOUSTIC', 'ADDRESS', 'DMA', 'KEEPSETTINGS', 'MULTCOUNT', 'NOWERR', 'UNMASKINTR', 'WCACHE'];
const SETS = ['32BIT', 'ACOUSTIC', 'ADDRESS', 'DMA', 'KEEPSETTINGS', 'MULTCOUNT', 'NOWERR', 'PIO_MODE', 'UNMASKINTR', 'WCACHE'];

let KINDS: Map<number, Kind> | undefined;
function kinds(): Map<number, Kind> {
  if (KINDS) return KINDS;
  const rows: [string, Kind][] = [
    ['HDIO_GETGEO', 'geo'],
    ['HDIO_DRIVE_CMD', 'cmd'],
    ['HDIO_DRIVE_RESET', 'reset'],
    ['HDIO_SCAN_HWIF', 'reset'],
    ['HDIO_UNREGISTER_HWIF', 'ulongIn'],
    ['HDIO_GET_IDENTITY', 'identity'],
    ['HDIO_OBSOLETE_IDENTITY', 'oldIdentity'],
    ['HDIO_GET_NICE', 'niceOut'],
    ['HDIO_SET_NICE', 'niceIn'],
    ['HDIO_GET_BUSSTATE', 'busOut'],
    ['HDIO_SET_BUSSTATE', 'busIn'],
    ...GETS.map((s): [string, Kind] => [`HDIO_GET_${s}`, 'ulongOut']),
    ...SETS.map((s): [string, Kind] => [`HDIO_SET_${s}`, 'ulongIn']),
  ];
  KINDS = new Map(rows.map(([n, k]) => [ioc(n), k]));
  return KINDS;
}

/** unsigned long behind a pointer, shaped by `f`: [v]. */
function ulongPtr(c: Ctx, ad: bigint, f: (v: bigint) => Value): Value {
  const b = c.fetch(ad, 8);
  return b ? arr([f(b.readBigUInt64LE(0))]) : addr(ad);
}

/** struct hd_geometry { u8 heads; u8 sectors; u16 cylinders; unsigned long start; } */
function geometry(c: Ctx, ad: bigint): Value {
  const b = c.fetch(ad, 16);
  if (!b) return addr(ad);
  return struct([
    field('heads', num(b[0]!)),
    field('sectors', num(b[1]!)),
    field('cylinders', num(b.readUInt16LE(2))),
    field('start', num(b.readBigUInt64LE(8))),
  ]);
}

/** HDIO_DRIVE_CMD: u8 args[4] in, {status, error, nsector} and sector_count*512 bytes out. */
function driveCmd(c: Ctx, ad: bigint): number {
  if (c.entering) {
    const b = c.fetch(ad, 4);
    if (!b) {
      c.push(addr(ad));
      return RVAL_DECODED;
    }
    c.push(
      struct([
        field('command', c.xval(BigInt(b[0]!), hdio_drive_cmds, 'ATA_CMD_???')),
        field('sector_number', num(b[1]!)),
        field('feature', num(b[2]!)),
        field('sector_count', num(b[3]!)),
      ]),
    );
    c.priv = { count: b[3]! };
    c.noTrailingSep = true;
    return 0;
  }
  if (c.failed) return 0;
  const b = c.fetch(ad, 4);
  if (!b) return 0;
  const count = (c.priv as { count: number }).count;
  const f: Field[] = [field('status', sym(hexStr(BigInt(b[0]!)))), field('error', num(b[1]!)), field('nsector', num(b[2]!))];
  if (count) {
    const len = count * 512;
    const want = Math.min(len, c.o.strsize);
    const d = c.fetch(ad + 4n, want);
    f.push(field('buf', d ? hexstr(d, len > want) : addr(ad + 4n)));
  }
  c.changeLast(struct(f));
  return 0;
}

function hdio(c: Ctx, code: number, arg: bigint): number | undefined {
  const kind = kinds().get(code);
  if (kind === undefined) return undefined;
  switch (kind) {
    case 'geo':
      if (c.entering) return 0;
      c.push(geometry(c, arg));
      return 0;
    case 'cmd':
      return driveCmd(c, arg);
    case 'reset': {
      const b = c.fetch(arg, 12);
      c.push(b ? arr([0, 4, 8].map((o) => sym(hexStr(BigInt(b.readUInt32LE(o)))))) : addr(arg));
      return RVAL_DECODED;
    }
    case 'ulongIn':
      c.push(num(arg));
      return RVAL_DECODED;
    case 'ulongOut':
      if (c.entering) return 0;
      c.push(ulongPtr(c, arg, (v) => num(v)));
      return 0;
    case 'identity':
    case 'oldIdentity':
      if (c.entering) return 0;
      c.push(c.failed ? addr(arg) : c.buf(arg, kind === 'identity' ? 512n : 142n));
      return 0;
    case 'niceOut':
      if (c.entering) return 0;
      c.push(ulongPtr(c, arg, (v) => c.flags(v, niceFlags)));
      return 0;
    case 'niceIn':
      c.push(c.flags(arg, niceFlags));
      return RVAL_DECODED;
    case 'busOut':
      if (c.entering) return 0;
      c.push(ulongPtr(c, arg, (v) => c.xval(v, hdio_busstate, 'BUSSTATE_???')));
      return 0;
    case 'busIn':
      c.push(c.xval(arg, hdio_busstate, 'BUSSTATE_???'));
      return RVAL_DECODED;
  }
}

registerIoctlFamily([0x03], hdio);
