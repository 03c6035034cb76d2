/**
 * File-system ioctls (include/uapi/linux/fs.h, fiemap.h): inode flags (FS_IOC_GETFLAGS), FIEMAP,
 * FIFREEZE/FITHAW, FITRIM, FS_IOC_FSGETXATTR/FSSETXATTR, FICLONE.
 */
import { Ctx, I32, RVAL_DECODED } from '../printer.js';
import { addr, arr, field, hexStr, num, struct, sym, type Field, type Value } from '../value.js';
import { fiemap_extent_flags, fiemap_flags, fs_xflags, inode_flags } from '../xlat/tables.gen.js';
import { ioc, registerIoctlFamily } from './ioctl.js';

/** [FS_APPEND_FL|...] behind an int *. */
function inodeFlags(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return addr(ad);
  const b = c.fetch(ad, 4);
  return b ? arr([c.flags(BigInt(b.readUInt32LE(0)), inode_flags, 'FS_???_FL')]) : addr(ad);
}

/** struct fiemap head: fm_start, fm_length, fm_flags, fm_mapped_extents, fm_extent_count. */
const FIEMAP_SIZE = 32;
const EXTENT_SIZE = 56;

function fiemap(c: Ctx, arg: bigint): number {
  if (c.entering) {
    const b = c.fetch(arg, FIEMAP_SIZE);
    if (!b) {
      c.push(addr(arg));
      return RVAL_DECODED;
    }
    c.push(
      struct([
        field('fm_start', num(b.readBigUInt64LE(0))),
        field('fm_length', num(b.readBigUInt64LE(8))),
        field('fm_flags', c.flags(BigInt(b.readUInt32LE(16)), fiemap_flags, 'FIEMAP_FLAG_???')),
        field('fm_extent_count', num(b.readUInt32LE(24))),
      ]),
    );
    c.noTrailingSep = true;
    return 0;
  }
  if (c.failed) return 0;
  const b = c.fetch(arg, FIEMAP_SIZE);
  if (!b) return 0;
  const mapped = b.readUInt32LE(20);
  const f: Field[] = [
    field('fm_flags', c.flags(BigInt(b.readUInt32LE(16)), fiemap_flags, 'FIEMAP_FLAG_???')),
    field('fm_mapped_extents', num(mapped)),
  ];
  if (c.abbrev) {
    c.changeLast(struct(f, true));
    return 0;
  }
  f.push(
    field(
      'fm_extents',
      c.array(arg + BigInt(FIEMAP_SIZE), BigInt(mapped), EXTENT_SIZE, (e) =>
        struct([
          field('fe_logical', num(e.readBigUInt64LE(0))),
          field('fe_physical', num(e.readBigUInt64LE(8))),
          field('fe_length', num(e.readBigUInt64LE(16))),
          field('fe_flags', c.flags(BigInt(e.readUInt32LE(40)), fiemap_extent_flags, 'FIEMAP_EXTENT_???')),
        ]),
      ),
    ),
  );
  c.changeLast(struct(f));
  return 0;
}

/** struct fsxattr; fsx_nextents is only meaningful when the kernel filled it (GET). */
function fsxattr(c: Ctx, ad: bigint, get: boolean): Value {
  const b = c.fetch(ad, 28);
  if (!b) return addr(ad);
  const f: Field[] = [
    field('fsx_xflags', c.flags(BigInt(b.readUInt32LE(0)), fs_xflags, 'FS_XFLAG_???')),
    field('fsx_extsize', num(b.readUInt32LE(4))),
  ];
  if (get) f.push(field('fsx_nextents', num(b.readUInt32LE(8))));
  f.push(field('fsx_projid', sym(hexStr(BigInt(b.readUInt32LE(12))))));
  f.push(field('fsx_cowextsize', num(b.readUInt32LE(16))));
  return struct(f);
}

type FsKind = 'none' | 'int' | 'flagsIn' | 'flagsOut' | 'fiemap' | 'trim' | 'xattrIn' | 'xattrOut';
let KINDS: Map<number, FsKind> | undefined;
function kinds(): Map<number, FsKind> {
  KINDS ??= new Map<number, FsKind>([
    [ioc('FS_IOC_GETFLAGS'), 'flagsOut'],
    [ioc('FS_IOC32_GETFLAGS'), 'flagsOut'],
    [ioc('FS_IOC_SETFLAGS'), 'flagsIn'],
    [ioc('FS_IOC32_SETFLAGS'), 'flagsIn'],
    [ioc('FS_IOC_FIEMAP'), 'fiemap'],
    [ioc('FIFREEZE'), 'none'],
    [ioc('FITHAW'), 'none'],
    [ioc('FITRIM'), 'trim'],
    [ioc('FS_IOC_FSSETXATTR'), 'xattrIn'],
    [ioc('FS_IOC_FSGETXATTR'), 'xattrOut'],
    [ioc('FICLONE'), 'int'],
  ]);
  return KINDS;
}

function fs(c: Ctx, code: number, arg: bigint): number | undefined {
  const kind = kinds().get(code);
  if (kind === undefined) return undefined;
  switch (kind) {
    case 'none':
      return RVAL_DECODED;
    case 'int':
      c.push(num(I32(arg)));
      return RVAL_DECODED;
    case 'flagsIn':
      c.push(inodeFlags(c, arg));
      return RVAL_DECODED;
    case 'flagsOut':
      if (c.entering) return 0;
      c.push(inodeFlags(c, arg));
      return 0;
    case 'fiemap':
      return fiemap(c, arg);
    case 'trim': {
      const b = c.fetch(arg, 24);
      c.push(
        b
          ? struct([
              field('start', sym(hexStr(b.readBigUInt64LE(0)))),
              field('len', num(b.readBigUInt64LE(8))),
              field('minlen', num(b.readBigUInt64LE(16))),
            ])
          : addr(arg),
      );
      return RVAL_DECODED;
    }
    case 'xattrIn':
      c.push(fsxattr(c, arg, false));
      return RVAL_DECODED;
    case 'xattrOut':
      if (c.entering) return 0;
      c.push(fsxattr(c, arg, true));
      return 0;
  }
}

registerIoctlFamily([0x66, 0x58, 0x94], fs);
