/**
 * Loop device ioctls (include/uapi/linux/loop.h), type byte 'L': struct loop_info (the old
 * interface), loop_info64, loop_config, and the fd / number arguments of the rest, including
 * /dev/loop-control's LOOP_CTL_*.
 */
import { Ctx, I32, RVAL_DECODED } from '../printer.js';
import { addr, arr, field, hexStr, num, str, struct, sym, type Field, type Value } from '../value.js';
import { loop_crypt_types, loop_flags } from '../xlat/tables.gen.js';
import { ioc, registerIoctlFamily } from './ioctl.js';
import { charArray, fetched, nonzero, scalars } from './ioctl-struct.js';

const INFO_SIZE = 168;
const INFO64_SIZE = 232;
const CONFIG_SIZE = 304;
const NAME_SIZE = 64;
const KEY_SIZE = 32;

/** A char[64] name. */
const cname = (b: Buffer, off: number): Value => charArray(b, off, NAME_SIZE);

/** lo_encrypt_key: lo_encrypt_key_size bytes of it (at most its 32). */
function key(b: Buffer, off: number, size: number): Value {
  return str(b.subarray(off, off + Math.min(size >>> 0, KEY_SIZE)));
}

const dev = (b: Buffer, off: number): Value => Ctx.makedev(b.readBigUInt64LE(off));
const hex = (v: bigint): Value => sym(hexStr(v));
const flags = (c: Ctx, v: number): Value => c.flags(BigInt(v >>> 0), loop_flags, 'LO_FLAGS_???');

/** The encryption fields show under -v, or when encryption is on. */
function encryption(c: Ctx, type: number, size: number): Field[] | undefined {
  if (c.abbrev && type === 0) return undefined;
  return [field('lo_encrypt_type', c.xval(BigInt(type >>> 0), loop_crypt_types, 'LO_CRYPT_???')), field('lo_encrypt_key_size', num(size >>> 0))];
}

/** struct loop_info: int lo_number; dev lo_device; ulong lo_inode; dev lo_rdevice; int lo_offset, type, key_size, flags; ... */
function info(c: Ctx, b: Buffer): Value {
  const f: Field[] = [field('lo_number', num(b.readInt32LE(0)))];
  if (!c.abbrev) f.push(field('lo_device', dev(b, 8)), field('lo_inode', num(b.readBigUInt64LE(16))), field('lo_rdevice', dev(b, 24)));
  f.push(field('lo_offset', hex(BigInt(b.readUInt32LE(32)))));
  const enc = encryption(c, b.readInt32LE(36), b.readInt32LE(40));
  if (enc) f.push(...enc);
  f.push(field('lo_flags', flags(c, b.readInt32LE(44))), field('lo_name', cname(b, 48)));
  if (enc) f.push(field('lo_encrypt_key', key(b, 112, b.readInt32LE(40))));
  if (c.abbrev) return struct(f, true);
  f.push(field('lo_init', arr(scalars(b, 144, 2, 'x64'))), field('reserved', arr(scalars(b, 160, 4, 'x8'))));
  return struct(f);
}

/** struct loop_info64 at `o`. */
function info64(c: Ctx, b: Buffer, o = 0): Value {
  const f: Field[] = [];
  if (!c.abbrev) f.push(field('lo_device', dev(b, o)), field('lo_inode', num(b.readBigUInt64LE(o + 8))), field('lo_rdevice', dev(b, o + 16)));
  f.push(field('lo_offset', hex(b.readBigUInt64LE(o + 24))));
  if (!c.abbrev) f.push(field('lo_sizelimit', num(b.readBigUInt64LE(o + 32))));
  f.push(field('lo_number', num(b.readUInt32LE(o + 40))));
  const enc = encryption(c, b.readInt32LE(o + 44), b.readInt32LE(o + 48));
  if (enc) f.push(...enc);
  f.push(field('lo_flags', flags(c, b.readInt32LE(o + 52))), field('lo_file_name', cname(b, o + 56)));
  if (enc) f.push(field('lo_crypt_name', cname(b, o + 120)), field('lo_encrypt_key', key(b, o + 184, b.readInt32LE(o + 48))));
  if (c.abbrev) return struct(f, true);
  f.push(field('lo_init', arr(scalars(b, o + 216, 2, 'x64'))));
  return struct(f);
}

/** struct loop_config { __u32 fd, block_size; struct loop_info64 info; __u64 __reserved[8]; } */
function config(c: Ctx, b: Buffer): Value {
  const f: Field[] = [field('fd', num(b.readInt32LE(0))), field('block_size', num(b.readUInt32LE(4))), field('info', info64(c, b, 8))];
  if (nonzero(b, 240, 64)) f.push(field('__reserved', arr(scalars(b, 240, 8, 'x64'))));
  return struct(f);
}

type Handler = (c: Ctx, arg: bigint) => number;
let handlers: Map<number, Handler> | undefined;
function table(): Map<number, Handler> {
  const none: Handler = () => RVAL_DECODED;
  const int: Handler = (c, arg) => (c.push(num(I32(arg))), RVAL_DECODED);
  const ulong: Handler = (c, arg) => (c.push(num(arg)), RVAL_DECODED);
  const fd: Handler = (c, arg) => (c.push(c.fd(arg)), RVAL_DECODED);
  // -e verbose=none leaves the structures as addresses.
  const shown = (c: Ctx, arg: bigint, size: number, f: (c: Ctx, b: Buffer) => Value): Value =>
    c.o.notVerbose ? addr(arg) : fetched(c, arg, size, (b) => f(c, b));
  const inStruct =
    (size: number, f: (c: Ctx, b: Buffer) => Value): Handler =>
    (c, arg) => (c.push(shown(c, arg, size, f)), RVAL_DECODED);
  const outStruct =
    (size: number, f: (c: Ctx, b: Buffer) => Value): Handler =>
    (c, arg) => (c.entering ? 0 : (c.push(shown(c, arg, size, f)), 0));
  const rows: [string, Handler][] = [
    ['LOOP_SET_FD', fd],
    ['LOOP_CHANGE_FD', fd],
    ['LOOP_CLR_FD', none],
    ['LOOP_SET_CAPACITY', none],
    ['LOOP_SET_DIRECT_IO', ulong],
    ['LOOP_SET_BLOCK_SIZE', ulong],
    ['LOOP_SET_STATUS', inStruct(INFO_SIZE, info)],
    ['LOOP_GET_STATUS', outStruct(INFO_SIZE, info)],
    ['LOOP_SET_STATUS64', inStruct(INFO64_SIZE, info64)],
    ['LOOP_GET_STATUS64', outStruct(INFO64_SIZE, info64)],
    ['LOOP_CONFIGURE', inStruct(CONFIG_SIZE, config)],
    ['LOOP_CTL_ADD', int],
    ['LOOP_CTL_REMOVE', int],
    ['LOOP_CTL_GET_FREE', none],
  ];
  return (handlers ??= new Map(rows.map(([n, h]) => [ioc(n), h])));
}

registerIoctlFamily([0x4c], (c, code, arg) => table().get(code)?.(c, arg));
