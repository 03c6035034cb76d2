/**
 * The btrfs ioctls (type 0x94, include/uapi/linux/btrfs.h): which structure each request takes
 * and when it prints (entry, exit, or entry then " => " what the kernel wrote back). The
 * structures themselves are in ioctl-btrfs-structs.ts. FICLONE (BTRFS_IOC_CLONE) is left to the
 * file-system family; FICLONERANGE, FIDEDUPERANGE and the label requests share btrfs's numbers
 * and are decoded here.
 */
import { Ctx, RVAL_DECODED, U32, xvalStr } from '../printer.js';
import { addr, arr, cmt, field, hexStr, num, struct, sym, type Field, type Value } from '../value.js';
import {
  btrfs_balance_ctl_cmds,
  btrfs_cont_reading_from_srcdev_mode,
  btrfs_defrag_flags,
  btrfs_dev_replace_cmds,
  btrfs_dev_replace_results,
  btrfs_dev_replace_state,
  btrfs_dev_stats_flags,
  btrfs_dev_stats_values,
  btrfs_device_flags,
  btrfs_encoded_io_compression,
  btrfs_encoded_io_encryption,
  btrfs_logical_ino_args_flags,
  btrfs_quota_ctl_cmds,
  btrfs_scrub_flags,
  btrfs_send_flags,
  btrfs_space_info_flags,
  btrfs_subvol_flags,
} from '../xlat/tables.gen.js';
import { ioc, registerIoctlFamily } from './ioctl.js';
import { atExit, capped, charArray, fetched, scalarOut } from './ioctl-struct.js';
import {
  BALANCE_SIZE,
  DEFRAG_RANGE_SIZE,
  FEATURES_SIZE,
  FS_INFO_SIZE,
  QGROUP_LIMIT_ARGS_SIZE,
  SCRUB_SIZE,
  SEARCH_KEY_SIZE,
  SUBVOL_INFO_SIZE,
  VOL_ARGS_SIZE,
  balance,
  balanceProgress,
  bound64,
  btrfsTime,
  dataContainer,
  defragRange,
  devid,
  features,
  fsInfo,
  objectid,
  qgroupInherit,
  qgroupLimitArgs,
  scrubProgress,
  searchKey,
  searchItems,
  subvolInfo,
  uuid,
  volArgs,
} from './ioctl-btrfs-structs.js';

const u64 = (b: Buffer, off: number): bigint => b.readBigUInt64LE(off);
const u32 = (b: Buffer, off: number): bigint => BigInt(b.readUInt32LE(off));

type Request = (c: Ctx, arg: bigint) => number;

/** Nothing but the request (no argument, or one the kernel ignores). */
const bare: Request = () => RVAL_DECODED;

/** A structure the kernel only reads: printed at entry. */
const input =
  (size: number, f: (c: Ctx, b: Buffer) => Value): Request =>
  (c, arg) => {
    c.push(fetched(c, arg, size, (b) => f(c, b)));
    return RVAL_DECODED;
  };

/** A structure the kernel only writes: printed at exit (its address when the call failed). */
const output =
  (size: number, f: (c: Ctx, b: Buffer) => Value): Request =>
  (c, arg) =>
    atExit(c, arg, size, (b) => f(c, b));

/**
 * A structure read and written back: what the caller sent at entry and, when the call
 * succeeded, " => " what `after` reads in it at exit (`before` keeps what it needs in c.priv).
 */
const inOut =
  (size: number, before: (c: Ctx, b: Buffer) => Value, after: (c: Ctx, arg: bigint) => Value | undefined): Request =>
  (c, arg) => {
    if (c.entering) {
      const b = arg === 0n ? undefined : c.fetch(arg, size);
      if (!b) {
        c.push(addr(arg));
        return RVAL_DECODED;
      }
      c.push(before(c, b));
      c.noTrailingSep = true;
      return 0;
    }
    const v = after(c, arg);
    if (v !== undefined) c.changeLast(v);
    return 0;
  };

/** The structure at exit of a successful call, shaped by `f`. */
function ok(c: Ctx, arg: bigint, size: number, f: (b: Buffer) => Value): Value | undefined {
  if (c.failed) return undefined;
  const b = c.fetch(arg, size);
  return b ? f(b) : undefined;
}

// ---- subvolumes and devices ----------------------------------------------------------------

/** struct btrfs_ioctl_vol_args_v2 (4096 bytes); `kind` says what the id-instead-of-name flag is. */
type V2Kind = 'create' | 'destroy' | 'device';
function volArgsV2(c: Ctx, b: Buffer, kind: V2Kind): Value {
  const flags = u64(b, 16);
  const f: Field[] = [
    field('fd', c.fd(u64(b, 0))),
    field('flags', kind === 'device' ? c.flags(flags, btrfs_device_flags, 'BTRFS_DEVICE_???') : c.flags(flags, btrfs_subvol_flags, 'BTRFS_SUBVOL_???')),
  ];
  if (kind === 'create' && flags & 4n) f.push(field('size', num(u64(b, 24))), field('qgroup_inherit', qgroupInherit(c, u64(b, 32))));
  if (kind === 'device' && flags & 8n) f.push(field('devid', devid(c, u64(b, 56))));
  else if (kind === 'destroy' && flags & 16n) f.push(field('subvolid', objectid(c, u64(b, 56))));
  else f.push(field('name', charArray(b, 56, VOL_ARGS_SIZE - 56)));
  return struct(f);
}

const subvolCreate = inOut(
  VOL_ARGS_SIZE,
  (c, b) => volArgsV2(c, b, 'create'),
  (c, arg) => ok(c, arg, 16, (b) => struct([field('transid', num(u64(b, 8)))])),
);

const subvolFlags = (c: Ctx, b: Buffer): Value => c.flags(u64(b, 0), btrfs_subvol_flags, 'BTRFS_SUBVOL_???');

// ---- tree search -----------------------------------------------------------------------------

/** Bytes of a v2 search buffer read at most (the caller may claim any size). */
const SEARCH_BUF_CAP = 1 << 16;
/** BTRFS_SEARCH_ARGS_BUFSIZE: the v1 buffer after the key. */
const SEARCH_V1_BUF = 4096 - SEARCH_KEY_SIZE;

const treeSearch = inOut(
  SEARCH_KEY_SIZE,
  (c, b) => struct([field('key', searchKey(c, b))]),
  (c, arg) =>
    ok(c, arg, SEARCH_KEY_SIZE + SEARCH_V1_BUF, (b) => {
      const nr = b.readUInt32LE(64);
      const key = field('key', struct([field('nr_items', num(nr))]));
      return c.abbrev ? struct([key], true) : struct([key, field('buf', searchItems(c, b.subarray(SEARCH_KEY_SIZE), nr))]);
    }),
);

const EOVERFLOW = -75n;
const treeSearchV2 = inOut(
  SEARCH_KEY_SIZE + 8,
  (c, b) => struct([field('key', searchKey(c, b)), field('buf_size', num(u64(b, SEARCH_KEY_SIZE)))]),
  (c, arg) => {
    // too small a buffer: the kernel says how much one item needs
    if (c.rval === EOVERFLOW) {
      const b = c.fetchAlways(arg + BigInt(SEARCH_KEY_SIZE), 8);
      return b ? struct([field('buf_size', num(u64(b, 0)))]) : undefined;
    }
    return ok(c, arg, SEARCH_KEY_SIZE + 8, (b) => {
      const nr = b.readUInt32LE(64);
      const size = u64(b, SEARCH_KEY_SIZE);
      const f = [field('key', struct([field('nr_items', num(nr))])), field('buf_size', num(size))];
      if (c.abbrev) return struct(f, true);
      const want = size < BigInt(SEARCH_BUF_CAP) ? Number(size) : SEARCH_BUF_CAP;
      const at = arg + BigInt(SEARCH_KEY_SIZE + 8);
      const buf = c.fetch(at, want);
      f.push(field('buf', buf ? searchItems(c, buf, nr) : addr(at)));
      return struct(f);
    });
  },
);

// ---- inode lookups -----------------------------------------------------------------------

const inoLookup = inOut(
  16,
  (c, b) => struct([field('treeid', objectid(c, u64(b, 0))), field('objectid', objectid(c, u64(b, 8)))]),
  (c, arg) => ok(c, arg, 4096, (b) => struct([field('name', charArray(b, 16, 4080))])),
);

const inoLookupUser = inOut(
  16,
  (c, b) => struct([field('dirid', objectid(c, u64(b, 0))), field('treeid', objectid(c, u64(b, 8)))]),
  (c, arg) => ok(c, arg, 4096, (b) => struct([field('name', charArray(b, 16, 256)), field('path', charArray(b, 272, 4096 - 272))])),
);

/** INO_PATHS (paths) and LOGICAL_INO(_V2) (inode triples): the data container at exit. */
function inoPaths(c: Ctx, b: Buffer): Value {
  return struct([field('inum', num(u64(b, 0))), field('size', num(u64(b, 8))), field('fspath', addr(u64(b, 48)))]);
}
function logicalIno(c: Ctx, b: Buffer): Value {
  const f: Field[] = [field('logical', num(u64(b, 0))), field('size', num(u64(b, 8)))];
  // reserved must be 0: shown only when it is not
  if (u64(b, 16) | u64(b, 24) | u64(b, 32)) f.push(field('reserved', arr([16, 24, 32].map((o) => sym(hexStr(u64(b, o)))))));
  f.push(field('flags', c.flags(u64(b, 40), btrfs_logical_ino_args_flags, 'BTRFS_LOGICAL_INO_ARGS_???')), field('inodes', addr(u64(b, 48))));
  return struct(f);
}
const container = (name: string, paths: boolean) => (c: Ctx, arg: bigint) => {
  if (c.failed) return undefined;
  const b = c.fetch(arg, 56);
  return b ? struct([field(name, dataContainer(c, u64(b, 48), u64(b, 8), paths))]) : undefined;
};

// ---- space, scrub, devices ----------------------------------------------------------------

const spaceInfo: Request = (c, arg) => {
  if (c.entering) {
    const b = arg === 0n ? undefined : c.fetch(arg, 16);
    if (!b) {
      c.push(addr(arg));
      return RVAL_DECODED;
    }
    c.priv = u64(b, 0);
    c.push(struct([field('space_slots', num(u64(b, 0)))]));
    c.noTrailingSep = true;
    return 0;
  }
  const v = ok(c, arg, 16, (b) => {
    const total = u64(b, 8);
    const slots = c.priv as bigint;
    const f = [field('total_spaces', num(total))];
    // with no slots the call only counts the spaces
    if (slots === 0n) return struct(f);
    if (c.abbrev) return struct(f, true);
    const n = total < slots ? total : slots;
    f.push(
      field(
        'spaces',
        c.array(arg + 16n, n, 24, (e) =>
          struct([
            field('flags', c.flags(u64(e, 0), btrfs_space_info_flags, 'BTRFS_SPACE_INFO_???')),
            field('total_bytes', num(u64(e, 8))),
            field('used_bytes', num(u64(e, 16))),
          ]),
        ),
      ),
    );
    return struct(f);
  });
  if (v) c.changeLast(v);
  return 0;
};

/** struct btrfs_ioctl_scrub_args: the range asked for (the progress is written back). */
function scrubArgs(c: Ctx, b: Buffer): Value {
  return struct([
    field('devid', devid(c, u64(b, 0))),
    field('start', bound64(c.o.xlat, u64(b, 8))),
    field('end', bound64(c.o.xlat, u64(b, 16))),
    field('flags', c.flags(u64(b, 24), btrfs_scrub_flags, 'BTRFS_SCRUB_???')),
  ]);
}
const scrubDone = (c: Ctx, arg: bigint): Value | undefined => ok(c, arg, SCRUB_SIZE, (b) => struct([field('progress', scrubProgress(b))]));

const devInfo = inOut(
  24,
  (c, b) => struct([field('devid', devid(c, u64(b, 0))), field('uuid', uuid(b, 8))]),
  (c, arg) =>
    ok(c, arg, 4096, (b) =>
      struct([
        field('devid', devid(c, u64(b, 0))),
        field('uuid', uuid(b, 8)),
        field('bytes_used', num(u64(b, 24))),
        field('total_bytes', num(u64(b, 32))),
        field('path', charArray(b, 4096 - 1024, 1024)),
      ]),
    ),
);

/** Values of btrfs_ioctl_get_dev_stats the structure has room for. */
const DEV_STATS_SIZE = 1032;
const DEV_STATS_MAX = (DEV_STATS_SIZE - 24) / 8;
const devStats = inOut(
  24,
  (c, b) =>
    struct([
      field('devid', devid(c, u64(b, 0))),
      field('nr_items', num(u64(b, 8))),
      field('flags', c.flags(u64(b, 16), btrfs_dev_stats_flags, 'BTRFS_DEV_STATS_???')),
    ]),
  (c, arg) =>
    ok(c, arg, DEV_STATS_SIZE, (b) => {
      const nr = u64(b, 8);
      const n = nr < BigInt(DEV_STATS_MAX) ? Number(nr) : DEV_STATS_MAX;
      const vals: Value[] = [];
      for (let i = 0; i < n; i++) {
        const idx = xvalStr(BigInt(i), btrfs_dev_stats_values, undefined, c.o.xlat, 'u');
        vals.push(sym(`[${idx}]=${u64(b, 24 + 8 * i)}`));
      }
      return struct([
        field('nr_items', num(nr)),
        field('flags', c.flags(u64(b, 16), btrfs_dev_stats_flags, 'BTRFS_DEV_STATS_???')),
        { k: 'values', v: arr(vals), bare: true },
      ]);
    }),
);

/** struct btrfs_ioctl_dev_replace_args (2600 bytes). */
const DEV_REPLACE_SIZE = 2600;
const REPLACE_START = 0n;
const REPLACE_STATUS = 1n;
const devReplace: Request = inOut(
  DEV_REPLACE_SIZE,
  (c, b) => {
    const cmd = u64(b, 0);
    c.priv = cmd;
    const f = [field('cmd', c.xval(cmd, btrfs_dev_replace_cmds, 'BTRFS_IOCTL_DEV_REPLACE_CMD_???'))];
    if (cmd === REPLACE_START) {
      f.push(
        field(
          'start',
          struct([
            field('srcdevid', devid(c, u64(b, 16))),
            field('cont_reading_from_srcdev_mode', c.xval(u64(b, 24), btrfs_cont_reading_from_srcdev_mode, 'BTRFS_IOCTL_DEV_REPLACE_CONT_READING_FROM_SRCDEV_MODE_???')),
            field('srcdev_name', charArray(b, 32, 1025)),
            field('tgtdev_name', charArray(b, 32 + 1025, 1025)),
          ]),
        ),
      );
    }
    return struct(f);
  },
  (c, arg) =>
    ok(c, arg, 64, (b) => {
      const f = [field('result', c.xval(u64(b, 8), btrfs_dev_replace_results, 'BTRFS_IOCTL_DEV_REPLACE_RESULT_???'))];
      if (c.priv === REPLACE_STATUS) {
        f.push(
          field(
            'status',
            struct([
              field('replace_state', c.xval(u64(b, 16), btrfs_dev_replace_state, 'BTRFS_IOCTL_DEV_REPLACE_STATE_???')),
              field('progress_1000', num(u64(b, 24))),
              field('time_started', num(u64(b, 32))),
              field('time_stopped', num(u64(b, 40))),
              field('num_write_errors', num(u64(b, 48))),
              field('num_uncorrectable_read_errors', num(u64(b, 56))),
            ]),
          ),
        );
      }
      return struct(f);
    }),
);

// ---- dedupe, send, receive -----------------------------------------------------------------

/** Destinations of a dedupe shown when abbreviated (strace shows two, then `...`). */
const DEDUPE_ABBREV = 2;
const DEDUPE_INFO = 32;
function dedupeInfos(c: Ctx, arg: bigint, count: number, f: (e: Buffer) => Value): Value {
  const v = c.array(arg + 24n, BigInt(count), DEDUPE_INFO, f);
  if (!c.abbrev || v.t !== 'arr' || v.a.length <= DEDUPE_ABBREV) return v;
  return arr(v.a.slice(0, DEDUPE_ABBREV), true);
}
const dedupe: Request = inOut(
  24,
  (c, b) => {
    const count = b.readUInt16LE(16);
    c.priv = count;
    return struct([
      field('src_offset', num(u64(b, 0))),
      field('src_length', num(u64(b, 8))),
      field('dest_count', num(count)),
      field('info', dedupeInfos(c, c.a[2], count, (e) => struct([field('dest_fd', c.fd(u64(e, 0))), field('dest_offset', num(u64(e, 8)))]))),
    ]);
  },
  (c, arg) =>
    c.failed
      ? undefined
      : struct([
          field('info', dedupeInfos(c, arg, c.priv as number, (e) => struct([field('bytes_deduped', num(u64(e, 16))), field('status', num(e.readInt32LE(24)))]))),
        ]),
);

/** struct btrfs_ioctl_send_args (72 bytes): the clone sources listed under -v only. */
function send(c: Ctx, b: Buffer): Value {
  const count = u64(b, 8);
  const src = u64(b, 16);
  return struct([
    field('send_fd', c.fd(u64(b, 0))),
    field('clone_sources_count', num(count)),
    field('clone_sources', c.abbrev ? addr(src) : c.array(src, count, 8, (e) => objectid(c, u64(e, 0)))),
    field('parent_root', objectid(c, u64(b, 24))),
    field('flags', c.flags(u64(b, 32), btrfs_send_flags, 'BTRFS_SEND_FLAGS_???')),
  ]);
}

/** struct btrfs_ioctl_received_subvol_args (200 bytes). */
const receivedSubvol = inOut(
  200,
  (c, b) => struct([field('uuid', uuid(b, 0)), field('stransid', num(u64(b, 16))), field('stime', btrfsTime(b, 32)), field('flags', num(u64(b, 64)))]),
  (c, arg) => ok(c, arg, 64, (b) => struct([field('rtransid', num(u64(b, 24))), field('rtime', btrfsTime(b, 48))])),
);

/** struct btrfs_ioctl_encoded_io_args (128 bytes): what is read is described at exit. */
function encodedHead(b: Buffer): Field[] {
  return [field('iov', addr(u64(b, 0))), field('iovcnt', num(u64(b, 8))), field('offset', num(b.readBigInt64LE(16))), field('flags', num(u64(b, 24)))];
}
function encodedMeta(c: Ctx, b: Buffer): Field[] {
  return [
    field('len', num(u64(b, 32))),
    field('unencoded_len', num(u64(b, 40))),
    field('unencoded_offset', num(u64(b, 48))),
    field('compression', c.xval(u32(b, 56), btrfs_encoded_io_compression, 'BTRFS_ENCODED_IO_COMPRESSION_???')),
    field('encryption', c.xval(u32(b, 60), btrfs_encoded_io_encryption, 'BTRFS_ENCODED_IO_ENCRYPTION_???')),
  ];
}

// ---- the table -------------------------------------------------------------------------------

const nums =
  (names: readonly string[]) =>
  (_c: Ctx, b: Buffer): Value =>
    struct(names.map((k, i) => field(k, num(u64(b, 8 * i)))));
const label = (_c: Ctx, b: Buffer): Value => charArray(b, 0, 256);

let TABLE: Map<number, Request> | undefined;
function table(): Map<number, Request> {
  if (TABLE) return TABLE;
  const vol = input(VOL_ARGS_SIZE, volArgs);
  const rows: [string, Request][] = [
    ['BTRFS_IOC_TRANS_START', bare],
    ['BTRFS_IOC_TRANS_END', bare],
    ['BTRFS_IOC_SYNC', bare],
    ['BTRFS_IOC_SCRUB_CANCEL', bare],
    ['BTRFS_IOC_QUOTA_RESCAN_WAIT', bare],
    // documented as taking vol_args, which the kernel never reads
    ['BTRFS_IOC_DEFRAG', bare],
    ['BTRFS_IOC_BALANCE', bare],
    ['BTRFS_IOC_SNAP_CREATE', vol],
    ['BTRFS_IOC_SUBVOL_CREATE', vol],
    ['BTRFS_IOC_SNAP_DESTROY', vol],
    ['BTRFS_IOC_RESIZE', vol],
    ['BTRFS_IOC_SCAN_DEV', vol],
    ['BTRFS_IOC_FORGET_DEV', vol],
    ['BTRFS_IOC_ADD_DEV', vol],
    ['BTRFS_IOC_RM_DEV', vol],
    ['BTRFS_IOC_DEVICES_READY', vol],
    ['BTRFS_IOC_SNAP_CREATE_V2', subvolCreate],
    ['BTRFS_IOC_SUBVOL_CREATE_V2', subvolCreate],
    ['BTRFS_IOC_SNAP_DESTROY_V2', input(VOL_ARGS_SIZE, (c, b) => volArgsV2(c, b, 'destroy'))],
    ['BTRFS_IOC_RM_DEV_V2', input(VOL_ARGS_SIZE, (c, b) => volArgsV2(c, b, 'device'))],
    ['BTRFS_IOC_WAIT_SYNC', (c, arg) => (c.push(c.u64Ptr(arg)), RVAL_DECODED)],
    ['BTRFS_IOC_DEFAULT_SUBVOL', (c, arg) => (c.push(c.u64Ptr(arg)), RVAL_DECODED)],
    ['BTRFS_IOC_START_SYNC', (c, arg) => scalarOut(c, arg, 'u64')],
    ['BTRFS_IOC_SUBVOL_SETFLAGS', input(8, subvolFlags)],
    ['BTRFS_IOC_SUBVOL_GETFLAGS', output(8, subvolFlags)],
    ['BTRFS_IOC_BALANCE_CTL', (c, arg) => (c.push(c.xval(U32(arg), btrfs_balance_ctl_cmds, 'BTRFS_BALANCE_CTL_???')), RVAL_DECODED)],
    ['BTRFS_IOC_BALANCE_V2', inOut(BALANCE_SIZE, (c, b) => balance(c, b, false), (c, arg) => ok(c, arg, BALANCE_SIZE, (b) => balance(c, b, true)))],
    ['BTRFS_IOC_BALANCE_PROGRESS', output(BALANCE_SIZE, balanceProgress)],
    [
      'BTRFS_IOC_CLONE_RANGE',
      input(32, (c, b) => struct([field('src_fd', c.fd(u64(b, 0))), field('src_offset', num(u64(b, 8))), field('src_length', num(u64(b, 16))), field('dest_offset', num(u64(b, 24)))])),
    ],
    ['BTRFS_IOC_DEFRAG_RANGE', input(DEFRAG_RANGE_SIZE, (c, b) => defragRange(c, b, btrfs_defrag_flags))],
    ['BTRFS_IOC_TREE_SEARCH', treeSearch],
    ['BTRFS_IOC_TREE_SEARCH_V2', treeSearchV2],
    ['BTRFS_IOC_INO_LOOKUP', inoLookup],
    ['BTRFS_IOC_INO_LOOKUP_USER', inoLookupUser],
    ['BTRFS_IOC_SPACE_INFO', spaceInfo],
    ['BTRFS_IOC_SCRUB', inOut(32, scrubArgs, scrubDone)],
    ['BTRFS_IOC_SCRUB_PROGRESS', inOut(8, (c, b) => struct([field('devid', devid(c, u64(b, 0)))]), scrubDone)],
    ['BTRFS_IOC_DEV_INFO', devInfo],
    ['BTRFS_IOC_FS_INFO', output(FS_INFO_SIZE, fsInfo)],
    ['BTRFS_IOC_INO_PATHS', inOut(56, inoPaths, container('fspath', true))],
    ['BTRFS_IOC_LOGICAL_INO', inOut(56, logicalIno, container('inodes', false))],
    ['BTRFS_IOC_LOGICAL_INO_V2', inOut(56, logicalIno, container('inodes', false))],
    ['BTRFS_IOC_SET_RECEIVED_SUBVOL', receivedSubvol],
    ['BTRFS_IOC_SEND', input(72, send)],
    ['BTRFS_IOC_QUOTA_CTL', input(16, (c, b) => struct([field('cmd', c.xval(u64(b, 0), btrfs_quota_ctl_cmds, 'BTRFS_QUOTA_CTL_???'))]))],
    ['BTRFS_IOC_QGROUP_ASSIGN', input(24, nums(['assign', 'src', 'dst']))],
    ['BTRFS_IOC_QGROUP_CREATE', input(16, nums(['create', 'qgroupid']))],
    // _IOR in the header, but the kernel only reads the limits
    ['BTRFS_IOC_QGROUP_LIMIT', input(QGROUP_LIMIT_ARGS_SIZE, qgroupLimitArgs)],
    ['BTRFS_IOC_QUOTA_RESCAN', input(64, nums(['flags']))],
    ['BTRFS_IOC_QUOTA_RESCAN_STATUS', output(64, nums(['flags', 'progress']))],
    ['FS_IOC_SETFSLABEL', input(256, label)],
    ['FS_IOC_GETFSLABEL', output(256, label)],
    ['BTRFS_IOC_GET_DEV_STATS', devStats],
    ['BTRFS_IOC_DEV_REPLACE', devReplace],
    ['BTRFS_IOC_FILE_EXTENT_SAME', dedupe],
    ['BTRFS_IOC_SET_FEATURES', input(2 * FEATURES_SIZE, (c, b) => arr([features(c, b, 0), features(c, b, FEATURES_SIZE)]))],
    ['BTRFS_IOC_GET_FEATURES', output(FEATURES_SIZE, (c, b) => features(c, b, 0))],
    [
      'BTRFS_IOC_GET_SUPPORTED_FEATURES',
      output(3 * FEATURES_SIZE, (c, b) => arr(['supported', 'safe to set', 'safe to clear'].map((what, i) => cmt(features(c, b, i * FEATURES_SIZE), what)))),
    ],
    ['BTRFS_IOC_GET_SUBVOL_INFO', output(SUBVOL_INFO_SIZE, subvolInfo)],
    [
      'BTRFS_IOC_GET_SUBVOL_ROOTREF',
      inOut(
        8,
        (c, b) => struct([field('min_treeid', objectid(c, u64(b, 0)))]),
        (c, arg) =>
          ok(c, arg, 4096, (b) => {
            const n = b[4088];
            const refs: Value[] = [];
            for (let i = 0; i < n; i++) refs.push(struct([field('treeid', objectid(c, u64(b, 8 + 16 * i))), field('dirid', num(u64(b, 16 + 16 * i)))]));
            return struct([field('min_treeid', objectid(c, u64(b, 0))), field('rootref', capped(c, refs)), field('num_items', num(n))]);
          }),
      ),
    ],
    ['BTRFS_IOC_ENCODED_WRITE', input(128, (c, b) => struct([...encodedHead(b), ...encodedMeta(c, b)]))],
    ['BTRFS_IOC_ENCODED_READ', inOut(128, (_c, b) => struct(encodedHead(b)), (c, arg) => ok(c, arg, 128, (b) => struct(encodedMeta(c, b))))],
  ];
  TABLE = new Map(rows.map(([n, r]) => [ioc(n), r]));
  return TABLE;
}

function btrfs(c: Ctx, code: number, arg: bigint): number | undefined {
  return table().get(code)?.(c, arg);
}

registerIoctlFamily([0x94], btrfs);
