/**
 * The structures of the btrfs ioctls (include/uapi/linux/btrfs.h, btrfs_tree.h) as values:
 * object ids and key types by name, device ids as makedev(), open bounds as UINT64_MAX,
 * UUIDs, the balance, search, dedupe, feature and subvolume structures. ioctl-btrfs.ts says
 * which request prints which, at entry or at exit.
 */
import { Ctx, U64, VERBOSE_ARRAY_CAP, xvalStr, type XlatStyle } from '../printer.js';
import { isoTime } from '../timefmt.js';
import { addr, arr, cmt, field, hexStr, num, struct, sym, type Field, type Value } from '../value.js';
import { xlat, type Xlat } from '../xlat/xlat.js';
import {
  btrfs_balance_args,
  btrfs_balance_flags,
  btrfs_balance_state,
  btrfs_compress_types,
  btrfs_csum_types,
  btrfs_features_compat_ro,
  btrfs_features_incompat,
  btrfs_fs_info_flags,
  btrfs_key_types,
  btrfs_qgroup_inherit_flags,
  btrfs_qgroup_limit_flags,
  btrfs_space_info_flags,
  btrfs_tree_objectids,
} from '../xlat/tables.gen.js';
import { charArray } from './ioctl-struct.js';

const u64 = (b: Buffer, off: number): bigint => b.readBigUInt64LE(off);
const u32 = (b: Buffer, off: number): bigint => BigInt(b.readUInt32LE(off));

/** The object ids as the u64 values the structures carry (the header spells some as -N). */
const OBJECTIDS: Xlat = xlat(
  'btrfs_tree_objectids',
  () => btrfs_tree_objectids.entries.map(([v, n]) => [U64(v), n] as const),
);
/** The header defines no compat feature bit: every set bit is unknown. */
const FEATURES_COMPAT: Xlat = xlat('btrfs_features_compat', []);

/** A tree or object id: its name (decimal under -X verbose), else the number. */
export function objectid(c: Ctx, v: bigint): Value {
  return sym(xvalStr(v, OBJECTIDS, undefined, c.o.xlat, 'u'));
}

/** An item key type (u32 in search keys and headers). */
export function keyType(c: Ctx, v: bigint): Value {
  return sym(xvalStr(v, btrfs_key_types, undefined, c.o.xlat, 'u'));
}

/** A u64 whose all-ones value means "no bound". */
export function bound64(style: XlatStyle, v: bigint): Value {
  if (v !== 0xffffffffffffffffn || style === 'raw') return num(v);
  return sym(style === 'verbose' ? `${v} /* UINT64_MAX */` : 'UINT64_MAX');
}

/** A btrfs device id, printed as the dev_t it is compared with: makedev(0, 0x1). */
export function devid(c: Ctx, v: bigint): Value {
  const major = ((v >> 8n) & 0xfffn) | ((v >> 32n) & ~0xfffn & 0xffffffffn);
  const minor = (v & 0xffn) | ((v >> 12n) & ~0xffn & 0xffffffffn);
  const text = `makedev(${hexStr(major)}, ${hexStr(minor)})`;
  if (c.o.xlat === 'raw') return sym(hexStr(v));
  return sym(c.o.xlat === 'verbose' ? `${hexStr(v)} /* ${text} */` : text);
}

/** 16 bytes as a UUID: 8-4-4-4-12 hex digits in byte order. */
export function uuid(b: Buffer, off: number): Value {
  const h = b.subarray(off, off + 16).toString('hex');
  return sym(`${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`);
}

/** struct btrfs_ioctl_timespec {u64 sec; u32 nsec}, with the date in a comment. */
export function btrfsTime(b: Buffer, off: number): Value {
  const sec = u64(b, off);
  const nsec = u32(b, off + 8);
  const v = struct([field('sec', num(sec)), field('nsec', num(nsec))]);
  const t = sec <= 0x7fffffffffffffffn ? isoTime(sec, nsec) : undefined;
  return t === undefined ? v : cmt(v, t);
}

/** struct btrfs_ioctl_vol_args {s64 fd; char name[4088]} (4096 bytes). */
export const VOL_ARGS_SIZE = 4096;
export function volArgs(c: Ctx, b: Buffer): Value {
  return struct([field('fd', c.fd(u64(b, 0))), field('name', charArray(b, 8, VOL_ARGS_SIZE - 8))]);
}

/** struct btrfs_qgroup_limit (40 bytes). */
function qgroupLimit(c: Ctx, b: Buffer, off: number): Value {
  return struct([
    field('flags', c.flags(u64(b, off), btrfs_qgroup_limit_flags, 'BTRFS_QGROUP_LIMIT_???')),
    field('max_rfer', num(u64(b, off + 8))),
    field('max_excl', num(u64(b, off + 16))),
    field('rsv_rfer', num(u64(b, off + 24))),
    field('rsv_excl', num(u64(b, off + 32))),
  ]);
}
export const QGROUP_LIMIT_ARGS_SIZE = 48;
/** struct btrfs_ioctl_qgroup_limit_args {u64 qgroupid; struct btrfs_qgroup_limit lim}. */
export function qgroupLimitArgs(c: Ctx, b: Buffer): Value {
  return struct([field('qgroupid', num(u64(b, 0))), field('lim', qgroupLimit(c, b, 8))]);
}

/**
 * struct btrfs_qgroup_inherit behind a pointer: head (72 bytes) and, under -v, its
 * num_qgroups + 2 * (num_ref_copies + num_excl_copies) ids; `...` in their place otherwise.
 */
const INHERIT_HEAD = 72;
export function qgroupInherit(c: Ctx, ad: bigint): Value {
  const b = ad === 0n ? undefined : c.fetch(ad, INHERIT_HEAD);
  if (!b) return addr(ad);
  const f: Field[] = [
    field('flags', c.flags(u64(b, 0), btrfs_qgroup_inherit_flags, 'BTRFS_QGROUP_INHERIT_???')),
    field('num_qgroups', num(u64(b, 8))),
    field('num_ref_copies', num(u64(b, 16))),
    field('num_excl_copies', num(u64(b, 24))),
    field('lim', qgroupLimit(c, b, 32)),
  ];
  if (c.abbrev) return struct(f, true);
  const n = u64(b, 8) + 2n * u64(b, 16) + 2n * u64(b, 24);
  f.push(field('qgroups', c.array(ad + BigInt(INHERIT_HEAD), n, 8, (e) => num(u64(e, 0)))));
  return struct(f);
}

/** struct btrfs_balance_args (136 bytes, packed). */
const BALANCE_ARGS_SIZE = 136;
function balanceArgs(c: Ctx, b: Buffer, off: number): Value {
  const style = c.o.xlat;
  return struct([
    field('profiles', c.flags(u64(b, off), btrfs_space_info_flags, 'BTRFS_BLOCK_GROUP_???')),
    field('usage', bound64(style, u64(b, off + 8))),
    field('devid', devid(c, u64(b, off + 16))),
    field('pstart', bound64(style, u64(b, off + 24))),
    field('pend', bound64(style, u64(b, off + 32))),
    field('vstart', bound64(style, u64(b, off + 40))),
    field('vend', bound64(style, u64(b, off + 48))),
    field('target', bound64(style, u64(b, off + 56))),
    field('flags', c.flags(u64(b, off + 64), btrfs_balance_args, 'BTRFS_BALANCE_ARGS_???')),
  ]);
}

/** struct btrfs_ioctl_balance_args (1024 bytes): what the caller asks, or (out) the state too. */
export const BALANCE_SIZE = 1024;
export function balance(c: Ctx, b: Buffer, out: boolean): Value {
  const f: Field[] = [field('flags', c.flags(u64(b, 0), btrfs_balance_flags, 'BTRFS_BALANCE_???'))];
  if (out) f.push(field('state', c.flags(u64(b, 8), btrfs_balance_state, 'BTRFS_BALANCE_STATE_???')));
  f.push(
    field('data', balanceArgs(c, b, 16)),
    field('meta', balanceArgs(c, b, 16 + BALANCE_ARGS_SIZE)),
    field('sys', balanceArgs(c, b, 16 + 2 * BALANCE_ARGS_SIZE)),
  );
  return struct(f);
}

/** The progress of a running balance (BTRFS_IOC_BALANCE_PROGRESS): state and counters. */
export function balanceProgress(c: Ctx, b: Buffer): Value {
  const at = 16 + 3 * BALANCE_ARGS_SIZE;
  return struct([
    field('flags', c.flags(u64(b, 0), btrfs_balance_flags, 'BTRFS_BALANCE_???')),
    field('state', c.flags(u64(b, 8), btrfs_balance_state, 'BTRFS_BALANCE_STATE_???')),
    field('stat', struct([field('expected', num(u64(b, at))), field('considered', num(u64(b, at + 8))), field('completed', num(u64(b, at + 16)))])),
  ]);
}

/** struct btrfs_ioctl_defrag_range_args (48 bytes). */
export const DEFRAG_RANGE_SIZE = 48;
export function defragRange(c: Ctx, b: Buffer, flags: Xlat): Value {
  return struct([
    field('start', num(u64(b, 0))),
    field('len', bound64(c.o.xlat, u64(b, 8))),
    field('flags', c.flags(u64(b, 16), flags, 'BTRFS_DEFRAG_RANGE_???')),
    field('extent_thresh', num(u32(b, 24))),
    field('compress_type', c.xval(u32(b, 28), btrfs_compress_types, 'BTRFS_COMPRESS_???')),
  ]);
}

/**
 * struct btrfs_ioctl_search_key (104 bytes) as the caller fills it; the default object id
 * range (FIRST_FREE..LAST_FREE) is left out unless -v.
 */
export const SEARCH_KEY_SIZE = 104;
export function searchKey(c: Ctx, b: Buffer): Value {
  const style = c.o.xlat;
  const f: Field[] = [field('tree_id', objectid(c, u64(b, 0)))];
  const minObj = u64(b, 8);
  const maxObj = u64(b, 16);
  if (!c.abbrev || minObj !== 256n) f.push(field('min_objectid', objectid(c, minObj)));
  if (!c.abbrev || maxObj !== U64(-256n)) f.push(field('max_objectid', objectid(c, maxObj)));
  f.push(
    field('min_offset', bound64(style, u64(b, 24))),
    field('max_offset', bound64(style, u64(b, 32))),
    field('min_transid', bound64(style, u64(b, 40))),
    field('max_transid', bound64(style, u64(b, 48))),
    field('min_type', keyType(c, u32(b, 56))),
    field('max_type', keyType(c, u32(b, 60))),
    field('nr_items', num(u32(b, 64))),
  );
  return struct(f);
}

/**
 * The items a search returned: nr_items search headers, each followed by `len` bytes of item
 * data, inside `buf`; only their headers print. `...` under abbreviation.
 */
const SEARCH_HEADER_SIZE = 32;
export function searchItems(c: Ctx, buf: Buffer, nrItems: number): Value {
  const items: Value[] = [];
  let off = 0;
  for (let i = 0; i < nrItems; i++) {
    if (off + SEARCH_HEADER_SIZE > buf.length || items.length >= VERBOSE_ARRAY_CAP) return arr(items, true);
    const len = buf.readUInt32LE(off + 28);
    items.push(
      struct([
        field('transid', num(u64(buf, off))),
        field('objectid', objectid(c, u64(buf, off + 8))),
        field('offset', num(u64(buf, off + 16))),
        field('type', keyType(c, u32(buf, off + 24))),
        field('len', num(len)),
      ]),
    );
    off += SEARCH_HEADER_SIZE + len;
  }
  return arr(items);
}

/** struct btrfs_ioctl_feature_flags (24 bytes). */
export const FEATURES_SIZE = 24;
export function features(c: Ctx, b: Buffer, off: number): Value {
  return struct([
    field('compat_flags', c.flags(u64(b, off), FEATURES_COMPAT, 'BTRFS_FEATURE_COMPAT_???')),
    field('compat_ro_flags', c.flags(u64(b, off + 8), btrfs_features_compat_ro, 'BTRFS_FEATURE_COMPAT_RO_???')),
    field('incompat_flags', c.flags(u64(b, off + 16), btrfs_features_incompat, 'BTRFS_FEATURE_INCOMPAT_???')),
  ]);
}

/** struct btrfs_ioctl_fs_info_args (1024 bytes), filled by the kernel as `flags` asked. */
export const FS_INFO_SIZE = 1024;
export function fsInfo(c: Ctx, b: Buffer): Value {
  const style = c.o.xlat;
  const flags = u64(b, 48);
  const f: Field[] = [
    field('max_id', bound64(style, u64(b, 0))),
    field('num_devices', bound64(style, u64(b, 8))),
    field('fsid', uuid(b, 16)),
    field('nodesize', num(u32(b, 32))),
    field('sectorsize', num(u32(b, 36))),
    field('clone_alignment', num(u32(b, 40))),
  ];
  if (flags & 1n) {
    f.push(field('csum_type', c.xval(BigInt(b.readUInt16LE(44)), btrfs_csum_types, 'BTRFS_CSUM_TYPE_???')));
    f.push(field('csum_size', num(b.readUInt16LE(46))));
  }
  f.push(field('flags', c.flags(flags, btrfs_fs_info_flags, 'BTRFS_FS_INFO_FLAG_???')));
  if (flags & 2n) f.push(field('generation', bound64(style, u64(b, 56))));
  if (flags & 4n) f.push(field('metadata_uuid', uuid(b, 64)));
  return struct(f);
}

/** struct btrfs_scrub_progress (15 u64 counters, from offset 32 of the scrub args). */
const SCRUB_COUNTERS = [
  'data_extents_scrubbed',
  'tree_extents_scrubbed',
  'data_bytes_scrubbed',
  'tree_bytes_scrubbed',
  'read_errors',
  'csum_errors',
  'verify_errors',
  'no_csum',
  'csum_discards',
  'super_errors',
  'malloc_errors',
  'uncorrectable_errors',
  'corrected_errors',
  'last_physical',
  'unverified_errors',
];
export const SCRUB_SIZE = 1024;
export function scrubProgress(b: Buffer): Value {
  return struct(SCRUB_COUNTERS.map((k, i) => field(k, num(u64(b, 32 + 8 * i)))));
}

/**
 * struct btrfs_data_container behind `ad` (INO_PATHS, LOGICAL_INO): its counters and, under -v,
 * its values (path strings at offsets from val[0], or inum/offset/root triples).
 */
export function dataContainer(c: Ctx, ad: bigint, size: bigint, paths: boolean): Value {
  const b = ad === 0n ? undefined : c.fetch(ad, 16);
  if (!b) return addr(ad);
  const cnt = b.readUInt32LE(8);
  const f: Field[] = [
    field('bytes_left', num(u32(b, 0))),
    field('bytes_missing', num(u32(b, 4))),
    field('elem_cnt', num(cnt)),
    field('elem_missed', num(u32(b, 12))),
  ];
  if (c.abbrev) return struct(f, true);
  const base = ad + 16n;
  // the values never lie past the buffer the caller gave
  const room = size > 16n ? (size - 16n) / 8n : 0n;
  const n = BigInt(cnt) < room ? BigInt(cnt) : room;
  if (paths) {
    f.push(field('val', c.array(base, n, 8, (e) => c.cstr(U64(base + u64(e, 0)), 4096))));
  } else {
    f.push(
      field(
        'val',
        c.array(base, n / 3n, 24, (e) =>
          struct([field('inum', num(u64(e, 0))), field('offset', num(u64(e, 8))), field('root', objectid(c, u64(e, 16)))]),
        ),
      ),
    );
  }
  return struct(f);
}

/** struct btrfs_ioctl_get_subvol_info_args (504 bytes). */
export const SUBVOL_INFO_SIZE = 504;
export function subvolInfo(c: Ctx, b: Buffer): Value {
  const f: Field[] = [
    field('treeid', objectid(c, u64(b, 0))),
    field('name', charArray(b, 8, 256)),
    field('parent_id', objectid(c, u64(b, 264))),
    field('dirid', num(u64(b, 272))),
    field('generation', num(u64(b, 280))),
    field('flags', num(u64(b, 288))),
    field('uuid', uuid(b, 296)),
    field('parent_uuid', uuid(b, 312)),
    field('received_uuid', uuid(b, 328)),
    field('ctransid', num(u64(b, 344))),
    field('otransid', num(u64(b, 352))),
    field('stransid', num(u64(b, 360))),
    field('rtransid', num(u64(b, 368))),
  ];
  ['ctime', 'otime', 'stime', 'rtime'].forEach((k, i) => f.push(field(k, btrfsTime(b, 376 + 16 * i))));
  return struct(f);
}
