/**
 * UBI volumes (include/uapi/mtd/ubi-user.h): control device requests (type 'o') and volume
 * requests (type 'O'). Requests that create something print the new number as `=> [N]`.
 */
import { Ctx, RVAL_DECODED } from '../printer.js';
import { addr, arr, field, hexStr, num, str, struct, sym, type Value } from '../value.js';
import { ubi_data_types, ubi_volume_flags, ubi_volume_props, ubi_volume_types } from '../xlat/tables.gen.js';
import { ioc, registerIoctlFamily } from './ioctl.js';
import { capped, fetched } from './ioctl-struct.js';

const UBI_MAX_VOLUME_NAME = 127;
const UBI_MAX_RNVOL = 32;

/**
 * A volume name of `len` bytes (clamped to 0..127) in a 128-byte field, cut at a NUL, with
 * `...` when the byte after the shown ones is not a NUL. Not limited by -s: the field is bounded.
 */
function volName(b: Buffer, off: number, len: number): Value {
  const n = Math.min(Math.max(len, 0), UBI_MAX_VOLUME_NAME);
  const name = b.subarray(off, off + n);
  const z = name.indexOf(0);
  if (z >= 0) return str(name.subarray(0, z));
  return str(name, b[off + n] !== 0);
}

/** A request sent at entry and answered with a number (the new ubi or volume id) at exit. */
function created(c: Ctx, arg: bigint, size: number, f: (b: Buffer) => Value, answer: (b: Buffer) => number): number {
  if (c.entering) {
    const b = c.fetch(arg, size);
    if (!b) {
      c.push(addr(arg));
      return RVAL_DECODED;
    }
    c.push(f(b));
    c.noTrailingSep = true;
    return 0;
  }
  const b = c.fetch(arg, size);
  if (b) c.changeLast(arr([num(answer(b))]));
  return 0;
}

/** struct ubi_mkvol_req { __s32 vol_id, alignment; __s64 bytes; __s8 vol_type; __u8 flags; __s16 name_len; __s8 pad[4]; char name[128]; } */
function mkvol(c: Ctx, b: Buffer): Value {
  const len = b.readInt16LE(18);
  return struct([
    field('vol_id', num(b.readInt32LE(0))),
    field('alignment', num(b.readInt32LE(4))),
    field('bytes', num(b.readBigInt64LE(8))),
    field('vol_type', c.xval(BigInt(b.readInt8(16)), ubi_volume_types, 'UBI_???_VOLUME')),
    field('flags', c.flags(BigInt(b[17]!), ubi_volume_flags, 'UBI_VOL_???')),
    field('name_len', num(len)),
    field('name', volName(b, 24, len)),
  ]);
}

/** struct ubi_rnvol_req { __s32 count; __s8 pad[12]; struct { __s32 vol_id; __s16 name_len; __s8 pad[2]; char name[128]; } ents[32]; } */
function rnvol(c: Ctx, b: Buffer): Value {
  const count = b.readInt32LE(0);
  const ents: Value[] = [];
  for (let i = 0; i < Math.min(Math.max(count, 0), UBI_MAX_RNVOL); i++) {
    const off = 16 + i * 136;
    const len = b.readInt16LE(off + 4);
    ents.push(struct([field('vol_id', num(b.readInt32LE(off))), field('name_len', num(len)), field('name', volName(b, off + 8, len))]));
  }
  return struct([field('count', num(count)), field('ents', capped(c, ents))]);
}

type Handler = (c: Ctx, arg: bigint) => number;
let handlers: Map<number, Handler> | undefined;
function table(): Map<number, Handler> {
  const none: Handler = () => RVAL_DECODED;
  const entry = (size: number, f: (c: Ctx, b: Buffer) => Value): Handler => (c, arg) => (c.push(fetched(c, arg, size, (b) => f(c, b))), RVAL_DECODED);
  const int = entry(4, (_c, b) => arr([num(b.readInt32LE(0))]));
  const dtype = (c: Ctx, v: number): Value => c.xval(BigInt(v), ubi_data_types, 'UBI_???');
  const rows: [string, Handler][] = [
    ['UBI_IOCVOLCRBLK', none],
    ['UBI_IOCVOLRMBLK', none],
    ['UBI_IOCDET', int],
    ['UBI_IOCEBER', int],
    ['UBI_IOCEBISMAP', int],
    ['UBI_IOCEBUNMAP', int],
    ['UBI_IOCRMVOL', int],
    ['UBI_IOCRPEB', int],
    ['UBI_IOCSPEB', int],
    ['UBI_IOCVOLUP', entry(8, (_c, b) => arr([num(b.readBigInt64LE(0))]))],
    [
      'UBI_IOCATT',
      (c, arg) =>
        created(
          c,
          arg,
          24,
          (b) => struct([field('ubi_num', num(b.readInt32LE(0))), field('mtd_num', num(b.readInt32LE(4))), field('vid_hdr_offset', num(b.readInt32LE(8))), field('max_beb_per1024', num(b.readInt16LE(12)))]),
          (b) => b.readInt32LE(0),
        ),
    ],
    ['UBI_IOCMKVOL', (c, arg) => created(c, arg, 152, (b) => mkvol(c, b), (b) => b.readInt32LE(0))],
    ['UBI_IOCEBCH', entry(16, (c, b) => struct([field('lnum', num(b.readInt32LE(0))), field('bytes', num(b.readInt32LE(4))), field('dtype', dtype(c, b.readInt8(8)))]))],
    ['UBI_IOCEBMAP', entry(8, (c, b) => struct([field('lnum', num(b.readInt32LE(0))), field('dtype', dtype(c, b.readInt8(4)))]))],
    ['UBI_IOCRNVOL', entry(16 + UBI_MAX_RNVOL * 136, rnvol)],
    // packed: 12 bytes
    ['UBI_IOCRSVOL', entry(12, (_c, b) => struct([field('bytes', num(b.readBigInt64LE(0))), field('vol_id', num(b.readInt32LE(8)))]))],
    [
      'UBI_IOCSETVOLPROP',
      entry(16, (c, b) => struct([field('property', c.xval(BigInt(b[0]!), ubi_volume_props, 'UBI_VOL_PROP_???')), field('value', sym(hexStr(b.readBigUInt64LE(8))))])),
    ],
  ];
  return (handlers ??= new Map(rows.map(([n, h]) => [ioc(n), h])));
}

registerIoctlFamily([0x6f, 0x4f], (c, code, arg) => table().get(code)?.(c, arg));
