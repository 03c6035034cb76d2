// The btrfs ioctl family (linux/btrfs.h, btrfs_tree.h) over fake tracee memory: structures at
// entry, at exit, and "sent => received"; -v against abbreviated output; -X raw and verbose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';
import { ioc } from '../../src/engines/strace/decoders/ioctl.js';

const M = 0x10000000n;
const none = new FakeMemory();
const EBADF = ' = -1 EBADF (Bad file descriptor)';
const fmt = (c: Parameters<typeof formatCall>[0]): string => formatCall(c).replace(/ +=/, ' =');
const call = (name: string, arg: bigint, mem: FakeMemory = none, ret = -9, opts?: Record<string, unknown>, exitMem?: FakeMemory): string =>
  fmt({ name: 'ioctl', args: [-1, ioc(name), arg], ret, mem, ...(exitMem ? { exitMem } : {}), ...(opts ? { opts } : {}) });
const v = { verbose: true };
const xv = { xlat: 'verbose' };
const raw = { xlat: 'raw' };

/** A zeroed structure of `size` bytes with u64 `vals` at their byte offsets. */
function st(size: number, vals: Record<number, bigint> = {}): Buffer {
  const b = Buffer.alloc(size);
  for (const [off, x] of Object.entries(vals)) b.writeBigUInt64LE(BigInt.asUintN(64, x), Number(off));
  return b;
}
const mem = (b: Buffer, at = M): FakeMemory => new FakeMemory().map(at, b);

test('btrfs: requests without argument, NULL, values in the argument', () => {
  assert.equal(call('BTRFS_IOC_TRANS_START', 0n), `ioctl(-1, BTRFS_IOC_TRANS_START)${EBADF}`);
  assert.equal(call('BTRFS_IOC_DEFRAG', M), `ioctl(-1, BTRFS_IOC_DEFRAG)${EBADF}`);
  assert.equal(call('BTRFS_IOC_SCRUB_CANCEL', 0n, none, -9, xv), `ioctl(-1, 0x941c /* BTRFS_IOC_SCRUB_CANCEL */)${EBADF}`);
  assert.equal(call('BTRFS_IOC_FS_INFO', 0n), `ioctl(-1, BTRFS_IOC_FS_INFO, NULL)${EBADF}`);
  assert.equal(call('BTRFS_IOC_BALANCE_PROGRESS', M), `ioctl(-1, BTRFS_IOC_BALANCE_PROGRESS, 0x10000000)${EBADF}`);
  assert.equal(call('BTRFS_IOC_BALANCE_CTL', 2n), `ioctl(-1, BTRFS_IOC_BALANCE_CTL, BTRFS_BALANCE_CTL_CANCEL)${EBADF}`);
  assert.equal(call('BTRFS_IOC_BALANCE_CTL', 7n), `ioctl(-1, BTRFS_IOC_BALANCE_CTL, 0x7 /* BTRFS_BALANCE_CTL_??? */)${EBADF}`);
  assert.equal(call('BTRFS_IOC_BALANCE_CTL', 1n, none, -9, raw), `ioctl(-1, 0x40049421, 0x1)${EBADF}`);
  assert.equal(call('BTRFS_IOC_WAIT_SYNC', M, new FakeMemory().u64(M, 42n)), `ioctl(-1, BTRFS_IOC_WAIT_SYNC, [42])${EBADF}`);
  assert.equal(call('BTRFS_IOC_START_SYNC', M, new FakeMemory().u64(M, 42n), 0), 'ioctl(-1, BTRFS_IOC_START_SYNC, [42]) = 0');
  // the subvolume flags: 0x8 is a device flag, not one of theirs
  assert.equal(call('BTRFS_IOC_SUBVOL_SETFLAGS', M, new FakeMemory().u64(M, 0xan)), `ioctl(-1, BTRFS_IOC_SUBVOL_SETFLAGS, BTRFS_SUBVOL_RDONLY|0x8)${EBADF}`);
  assert.equal(call('BTRFS_IOC_SUBVOL_GETFLAGS', M, new FakeMemory().u64(M, 2n), 0, xv), 'ioctl(-1, 0x80089419 /* BTRFS_IOC_SUBVOL_GETFLAGS */, 0x2 /* BTRFS_SUBVOL_RDONLY */) = 0');
  // FICLONE is the file-system family's; FICLONERANGE's struct is decoded here
  assert.equal(call('BTRFS_IOC_CLONE', 5n), `ioctl(-1, BTRFS_IOC_CLONE or FICLONE, 5)${EBADF}`);
  assert.equal(
    call('FICLONERANGE', M, mem(st(32, { 0: 3n, 8: 1n, 16: 2n, 24: 4n }))),
    `ioctl(-1, BTRFS_IOC_CLONE_RANGE or FICLONERANGE, {src_fd=3, src_offset=1, src_length=2, dest_offset=4})${EBADF}`,
  );
});

test('btrfs: vol_args names, vol_args_v2 by flag, qgroup inheritance under -v', () => {
  const va = st(4096, { 0: 3n });
  va.write('sub', 8);
  assert.equal(call('BTRFS_IOC_SNAP_CREATE', M, mem(va)), `ioctl(-1, BTRFS_IOC_SNAP_CREATE, {fd=3, name="sub"})${EBADF}`);
  // a name filling its array: all but the last byte, then ... (-s does not cut it)
  va.fill(0x61, 8);
  assert.equal(call('BTRFS_IOC_RESIZE', M, mem(va)), `ioctl(-1, BTRFS_IOC_RESIZE, {fd=3, name="${'a'.repeat(4087)}"...})${EBADF}`);
  assert.equal(call('BTRFS_IOC_RESIZE', M, mem(va.subarray(0, 100))), `ioctl(-1, BTRFS_IOC_RESIZE, 0x10000000)${EBADF}`);

  const inherit = M + 0x2000n;
  const v2 = st(4096, { 0: 4n, 16: 0x6n, 24: 88n, 32: inherit });
  v2.write('snap', 56);
  const q = st(72 + 16, { 0: 1n, 8: 2n, 32: 3n, 40: 10n, 72: 257n, 80: 258n });
  const m = mem(v2).map(inherit, q);
  const head = 'fd=4, flags=BTRFS_SUBVOL_RDONLY|BTRFS_SUBVOL_QGROUP_INHERIT, size=88, qgroup_inherit={flags=BTRFS_QGROUP_INHERIT_SET_LIMITS, num_qgroups=2, num_ref_copies=0, num_excl_copies=0, lim={flags=BTRFS_QGROUP_LIMIT_MAX_RFER|BTRFS_QGROUP_LIMIT_MAX_EXCL, max_rfer=10, max_excl=0, rsv_rfer=0, rsv_excl=0}';
  assert.equal(call('BTRFS_IOC_SNAP_CREATE_V2', M, m), `ioctl(-1, BTRFS_IOC_SNAP_CREATE_V2, {${head}, ...}, name="snap"})${EBADF}`);
  assert.equal(call('BTRFS_IOC_SNAP_CREATE_V2', M, m, -9, v), `ioctl(-1, BTRFS_IOC_SNAP_CREATE_V2, {${head}, qgroups=[257, 258]}, name="snap"})${EBADF}`);
  // success: the transaction id the kernel wrote back
  const done = mem(st(4096, { 0: 4n, 8: 99n }));
  assert.equal(call('BTRFS_IOC_SUBVOL_CREATE_V2', M, mem(st(4096, { 0: 4n })), 0, undefined, done), 'ioctl(-1, BTRFS_IOC_SUBVOL_CREATE_V2, {fd=4, flags=0, name=""} => {transid=99}) = 0');
  // by id instead of by name
  assert.equal(call('BTRFS_IOC_SNAP_DESTROY_V2', M, mem(st(4096, { 16: 0x10n, 56: 5n }))), `ioctl(-1, BTRFS_IOC_SNAP_DESTROY_V2, {fd=0, flags=BTRFS_SUBVOL_SPEC_BY_ID, subvolid=BTRFS_FS_TREE_OBJECTID})${EBADF}`);
  assert.equal(call('BTRFS_IOC_RM_DEV_V2', M, mem(st(4096, { 16: 0x8n, 56: 2n }))), `ioctl(-1, BTRFS_IOC_RM_DEV_V2, {fd=0, flags=BTRFS_DEVICE_SPEC_BY_ID, devid=makedev(0, 0x2)})${EBADF}`);
});

test('btrfs: balance and defrag: profiles, device ids, open bounds in each -X style', () => {
  const b = st(1024, { 0: 0x5n, 16: 0x1n | (1n << 48n), 32: 1n, 48: -1n, 80: 0x102n });
  const data = '{profiles=BTRFS_BLOCK_GROUP_DATA|BTRFS_AVAIL_ALLOC_BIT_SINGLE, usage=0, devid=makedev(0, 0x1), pstart=0, pend=UINT64_MAX, vstart=0, vend=0, target=0, flags=BTRFS_BALANCE_ARGS_USAGE|BTRFS_BALANCE_ARGS_CONVERT}';
  const empty = '{profiles=0, usage=0, devid=makedev(0, 0), pstart=0, pend=0, vstart=0, vend=0, target=0, flags=0}';
  assert.equal(
    call('BTRFS_IOC_BALANCE_V2', M, mem(b)),
    `ioctl(-1, BTRFS_IOC_BALANCE_V2, {flags=BTRFS_BALANCE_DATA|BTRFS_BALANCE_METADATA, data=${data}, meta=${empty}, sys=${empty}})${EBADF}`,
  );
  const out = mem(st(1024, { 0: 0x5n, 8: 1n }));
  assert.ok(call('BTRFS_IOC_BALANCE_V2', M, mem(b), 0, undefined, out).includes(`} => {flags=BTRFS_BALANCE_DATA|BTRFS_BALANCE_METADATA, state=BTRFS_BALANCE_STATE_RUNNING, data=${empty}`));
  const xl = call('BTRFS_IOC_BALANCE_V2', M, mem(b), -9, xv);
  assert.ok(xl.includes('devid=0x1 /* makedev(0, 0x1) */, pstart=0, pend=18446744073709551615 /* UINT64_MAX */'), xl);
  assert.ok(call('BTRFS_IOC_BALANCE_V2', M, mem(b), -9, raw).includes('{flags=0x5, data={profiles=0x1000000000001, usage=0, devid=0x1, pstart=0, pend=18446744073709551615,'));

  const d = st(48, { 8: -1n, 16: 0x5n });
  d.writeUInt32LE(4096, 24);
  d.writeUInt32LE(3, 28);
  assert.equal(
    call('BTRFS_IOC_DEFRAG_RANGE', M, mem(d)),
    `ioctl(-1, BTRFS_IOC_DEFRAG_RANGE, {start=0, len=UINT64_MAX, flags=BTRFS_DEFRAG_RANGE_COMPRESS|0x4, extent_thresh=4096, compress_type=BTRFS_COMPRESS_ZSTD})${EBADF}`,
  );
  d.writeUInt32LE(9, 28);
  assert.ok(call('BTRFS_IOC_DEFRAG_RANGE', M, mem(d), -9, xv).includes('flags=0x5 /* BTRFS_DEFRAG_RANGE_COMPRESS|0x4 */, extent_thresh=4096, compress_type=0x9 /* BTRFS_COMPRESS_??? */}'));
});

test('btrfs: tree search keys, returned item headers, the v2 buffer size on EOVERFLOW', () => {
  const key = st(104, { 0: 5n, 8: 256n, 16: -256n, 32: -1n, 48: 7n });
  key.writeUInt32LE(1, 56);
  key.writeUInt32LE(0xffffffff, 60);
  key.writeUInt32LE(3, 64);
  const tail = 'min_offset=0, max_offset=UINT64_MAX, min_transid=0, max_transid=7, min_type=BTRFS_INODE_ITEM_KEY, max_type=UINT32_MAX, nr_items=3}';
  // the default object id range is left out unless -v
  assert.equal(call('BTRFS_IOC_TREE_SEARCH', M, mem(key)), `ioctl(-1, BTRFS_IOC_TREE_SEARCH, {key={tree_id=BTRFS_FS_TREE_OBJECTID, ${tail}})${EBADF}`);
  assert.equal(
    call('BTRFS_IOC_TREE_SEARCH', M, mem(key), -9, v),
    `ioctl(-1, BTRFS_IOC_TREE_SEARCH, {key={tree_id=BTRFS_FS_TREE_OBJECTID, min_objectid=BTRFS_FIRST_FREE_OBJECTID, max_objectid=BTRFS_LAST_FREE_OBJECTID, ${tail}})${EBADF}`,
  );
  assert.ok(call('BTRFS_IOC_TREE_SEARCH', M, mem(key), -9, xv).includes('{key={tree_id=5 /* BTRFS_FS_TREE_OBJECTID */, min_offset=0, max_offset=18446744073709551615 /* UINT64_MAX */,'));

  // after the call: nr_items and the headers of the items (each followed by its data)
  const res = Buffer.concat([st(104), st(32, { 0: 9n, 8: 256n, 16: 0n }), Buffer.alloc(4), st(32, { 0: 9n, 8: 257n, 16: 1n }), Buffer.alloc(4096)]).subarray(0, 4096);
  res.writeUInt32LE(2, 64);
  res.writeUInt32LE(1, 104 + 24);
  res.writeUInt32LE(4, 104 + 28);
  res.writeUInt32LE(12, 104 + 36 + 24);
  const s = call('BTRFS_IOC_TREE_SEARCH', M, mem(key), 0, v, mem(res));
  assert.ok(
    s.endsWith(' => {key={nr_items=2}, buf=[{transid=9, objectid=BTRFS_FIRST_FREE_OBJECTID, offset=0, type=BTRFS_INODE_ITEM_KEY, len=4}, {transid=9, objectid=257, offset=1, type=BTRFS_INODE_REF_KEY, len=0}]}) = 0'),
    s,
  );
  assert.ok(call('BTRFS_IOC_TREE_SEARCH', M, mem(key), 0, undefined, mem(res)).endsWith(' => {key={nr_items=2}, ...}) = 0'));

  const k2 = Buffer.concat([key, st(8, { 0: 16n })]);
  assert.ok(call('BTRFS_IOC_TREE_SEARCH_V2', M, mem(k2)).endsWith(`, nr_items=3}, buf_size=16})${EBADF}`));
  const big = Buffer.concat([key, st(8, { 0: 48n })]);
  assert.ok(
    call('BTRFS_IOC_TREE_SEARCH_V2', M, mem(k2), -75, undefined, mem(big)).endsWith(', buf_size=16} => {buf_size=48}) = -1 EOVERFLOW (Value too large for defined data type)'),
  );
});

test('btrfs: devices: info, stats by index name, replace commands and status', () => {
  const di = st(24, { 0: 1n });
  Buffer.from('0123456789abcdeffedcba9876543210', 'hex').copy(di, 8);
  assert.equal(call('BTRFS_IOC_DEV_INFO', M, mem(di)), `ioctl(-1, BTRFS_IOC_DEV_INFO, {devid=makedev(0, 0x1), uuid=01234567-89ab-cdef-fedc-ba9876543210})${EBADF}`);

  const ds = st(24, { 0: 1n, 8: 6n, 16: 1n });
  assert.equal(call('BTRFS_IOC_GET_DEV_STATS', M, mem(ds)), `ioctl(-1, BTRFS_IOC_GET_DEV_STATS, {devid=makedev(0, 0x1), nr_items=6, flags=BTRFS_DEV_STATS_RESET})${EBADF}`);
  const dsOut = st(1032, { 0: 1n, 8: 6n, 24: 1n, 32: 2n, 56: 5n, 64: 6n, 72: 7n });
  const names = '[BTRFS_DEV_STAT_WRITE_ERRS]=1, [BTRFS_DEV_STAT_READ_ERRS]=2, [BTRFS_DEV_STAT_FLUSH_ERRS]=0, [BTRFS_DEV_STAT_CORRUPTION_ERRS]=0, [BTRFS_DEV_STAT_GENERATION_ERRS]=5, [5]=6';
  assert.ok(call('BTRFS_IOC_GET_DEV_STATS', M, mem(ds), 0, undefined, mem(dsOut)).endsWith(` => {nr_items=6, flags=0, [${names}]}) = 0`));
  assert.ok(call('BTRFS_IOC_GET_DEV_STATS', M, mem(ds), 0, xv, mem(dsOut)).includes(', [[0 /* BTRFS_DEV_STAT_WRITE_ERRS */]=1, '));

  const start = st(2600, { 16: 1n, 24: 1n });
  start.write('/dev/a', 32);
  start.write('/dev/b', 32 + 1025);
  assert.equal(
    call('BTRFS_IOC_DEV_REPLACE', M, mem(start)),
    `ioctl(-1, BTRFS_IOC_DEV_REPLACE, {cmd=BTRFS_IOCTL_DEV_REPLACE_CMD_START, start={srcdevid=makedev(0, 0x1), cont_reading_from_srcdev_mode=BTRFS_IOCTL_DEV_REPLACE_CONT_READING_FROM_SRCDEV_MODE_AVOID, srcdev_name="/dev/a", tgtdev_name="/dev/b"}})${EBADF}`,
  );
  const status = st(2600, { 0: 1n, 16: 1n, 24: 500n });
  assert.equal(
    call('BTRFS_IOC_DEV_REPLACE', M, mem(status), 0),
    'ioctl(-1, BTRFS_IOC_DEV_REPLACE, {cmd=BTRFS_IOCTL_DEV_REPLACE_CMD_STATUS} => {result=BTRFS_IOCTL_DEV_REPLACE_RESULT_NO_ERROR, status={replace_state=BTRFS_IOCTL_DEV_REPLACE_STATE_STARTED, progress_1000=500, time_started=0, time_stopped=0, num_write_errors=0, num_uncorrectable_read_errors=0}}) = 0',
  );
});

test('btrfs: dedupe destinations (two when abbreviated), send sources under -v only', () => {
  const d = Buffer.concat([st(24, { 0: 1024n, 8: 4096n }), st(32, { 0: 3n }), st(32, { 0: 3n, 8: 4096n }), st(32, { 0: 4n, 8: 8192n })]);
  d.writeUInt16LE(3, 16);
  const info = '{dest_fd=3, dest_offset=0}, {dest_fd=3, dest_offset=4096}';
  assert.equal(call('FIDEDUPERANGE', M, mem(d)), `ioctl(-1, BTRFS_IOC_FILE_EXTENT_SAME or FIDEDUPERANGE, {src_offset=1024, src_length=4096, dest_count=3, info=[${info}, ...]})${EBADF}`);
  assert.equal(
    call('FIDEDUPERANGE', M, mem(d), -9, v),
    `ioctl(-1, BTRFS_IOC_FILE_EXTENT_SAME or FIDEDUPERANGE, {src_offset=1024, src_length=4096, dest_count=3, info=[${info}, {dest_fd=4, dest_offset=8192}]})${EBADF}`,
  );
  const out = Buffer.from(d);
  out.writeBigUInt64LE(4096n, 24 + 16);
  out.writeInt32LE(1, 24 + 32 + 24);
  assert.ok(call('FIDEDUPERANGE', M, mem(d), 0, undefined, mem(out)).endsWith(' => {info=[{bytes_deduped=4096, status=0}, {bytes_deduped=0, status=1}, ...]}) = 0'));

  const src = M + 0x1000n;
  const sa = st(72, { 0: 5n, 8: 2n, 16: src, 24: 257n, 32: 0x21n });
  const m = mem(sa).u64(src, 256n, 5n);
  assert.equal(
    call('BTRFS_IOC_SEND', M, m),
    `ioctl(-1, BTRFS_IOC_SEND, {send_fd=5, clone_sources_count=2, clone_sources=0x10001000, parent_root=257, flags=BTRFS_SEND_FLAG_NO_FILE_DATA|0x20})${EBADF}`,
  );
  assert.ok(call('BTRFS_IOC_SEND', M, m, -9, v).includes('clone_sources=[BTRFS_FIRST_FREE_OBJECTID, BTRFS_FS_TREE_OBJECTID], parent_root=257'));
});

test('btrfs: features, fs info, space info, received subvolume times', () => {
  const f = st(72, { 0: 1n, 8: 3n, 16: 0x1001n, 24: 0n, 32: 4n, 40: 1n << 13n, 48: 0n, 56: 0n, 64: 0n });
  assert.equal(
    call('BTRFS_IOC_SET_FEATURES', M, mem(f)),
    `ioctl(-1, BTRFS_IOC_SET_FEATURES, [{compat_flags=0x1 /* BTRFS_FEATURE_COMPAT_??? */, compat_ro_flags=BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE|BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE_VALID, incompat_flags=BTRFS_FEATURE_INCOMPAT_MIXED_BACKREF|BTRFS_FEATURE_INCOMPAT_ZONED}, {compat_flags=0, compat_ro_flags=BTRFS_FEATURE_COMPAT_RO_VERITY, incompat_flags=BTRFS_FEATURE_INCOMPAT_EXTENT_TREE_V2}])${EBADF}`,
  );
  const sup = call('BTRFS_IOC_GET_SUPPORTED_FEATURES', M, mem(f), 0);
  assert.ok(sup.includes('} /* supported */, {') && sup.includes('} /* safe to set */, {compat_flags=0, compat_ro_flags=0, incompat_flags=0} /* safe to clear */]) = 0'), sup);

  const fi = st(1024, { 0: 1n, 8: 1n, 48: 3n, 56: 77n });
  fi.writeUInt32LE(16384, 32);
  fi.writeUInt16LE(1, 44);
  fi.writeUInt16LE(8, 46);
  assert.equal(
    call('BTRFS_IOC_FS_INFO', M, mem(fi), 0),
    'ioctl(-1, BTRFS_IOC_FS_INFO, {max_id=1, num_devices=1, fsid=00000000-0000-0000-0000-000000000000, nodesize=16384, sectorsize=0, clone_alignment=0, csum_type=BTRFS_CSUM_TYPE_XXHASH, csum_size=8, flags=BTRFS_FS_INFO_FLAG_CSUM_INFO|BTRFS_FS_INFO_FLAG_GENERATION, generation=77}) = 0',
  );

  assert.equal(call('BTRFS_IOC_SPACE_INFO', M, mem(st(16)), 0, undefined, mem(st(16, { 8: 3n }))), 'ioctl(-1, BTRFS_IOC_SPACE_INFO, {space_slots=0} => {total_spaces=3}) = 0');
  const sp = Buffer.concat([st(16, { 0: 1n, 8: 1n }), st(24, { 0: 0x11n, 8: 100n, 16: 50n })]);
  assert.equal(call('BTRFS_IOC_SPACE_INFO', M, mem(sp), 0), 'ioctl(-1, BTRFS_IOC_SPACE_INFO, {space_slots=1} => {total_spaces=1, ...}) = 0');
  assert.equal(
    call('BTRFS_IOC_SPACE_INFO', M, mem(sp), 0, v),
    'ioctl(-1, BTRFS_IOC_SPACE_INFO, {space_slots=1} => {total_spaces=1, spaces=[{flags=BTRFS_BLOCK_GROUP_DATA|BTRFS_BLOCK_GROUP_RAID1, total_bytes=100, used_bytes=50}]}) = 0',
  );

  const rs = st(200, { 16: 0x12345n, 32: 0n });
  assert.ok(call('BTRFS_IOC_SET_RECEIVED_SUBVOL', M, mem(rs)).includes(', stransid=74565, stime={sec=0, nsec=0} /* 1970-01-01T'));
});

test('btrfs: inode paths and logical inodes: reserved shown when set, containers under -v', () => {
  const fspath = M + 0x1000n;
  const pa = st(56, { 0: 256n, 8: 64n, 48: fspath });
  assert.equal(call('BTRFS_IOC_INO_PATHS', M, mem(pa)), `ioctl(-1, BTRFS_IOC_INO_PATHS, {inum=256, size=64, fspath=0x10001000})${EBADF}`);
  const cont = st(40, { 8: 1n, 16: 8n });
  cont.write('dir\0', 24);
  const m = mem(pa).map(fspath, cont);
  assert.equal(
    call('BTRFS_IOC_INO_PATHS', M, m, 0, v),
    'ioctl(-1, BTRFS_IOC_INO_PATHS, {inum=256, size=64, fspath=0x10001000} => {fspath={bytes_left=0, bytes_missing=0, elem_cnt=1, elem_missed=0, val=["dir"]}}) = 0',
  );
  assert.ok(call('BTRFS_IOC_INO_PATHS', M, m, 0).endsWith(' => {fspath={bytes_left=0, bytes_missing=0, elem_cnt=1, elem_missed=0, ...}}) = 0'));

  const li = st(56, { 0: 4096n, 8: 64n, 24: 7n, 40: 3n, 48: 0n });
  assert.equal(
    call('BTRFS_IOC_LOGICAL_INO_V2', M, mem(li)),
    `ioctl(-1, BTRFS_IOC_LOGICAL_INO_V2, {logical=4096, size=64, reserved=[0, 0x7, 0], flags=BTRFS_LOGICAL_INO_ARGS_IGNORE_OFFSET|0x2, inodes=NULL})${EBADF}`,
  );
  const trip = st(40, { 8: 3n, 16: 257n, 24: 0n, 32: 5n });
  const lm = mem(st(56, { 0: 4096n, 8: 64n, 48: fspath })).map(fspath, trip);
  assert.ok(call('BTRFS_IOC_LOGICAL_INO', M, lm, 0, v).endsWith(' => {inodes={bytes_left=0, bytes_missing=0, elem_cnt=3, elem_missed=0, val=[{inum=257, offset=0, root=BTRFS_FS_TREE_OBJECTID}]}}) = 0'));
});

test('btrfs: quota, qgroups, labels', () => {
  assert.equal(call('BTRFS_IOC_QUOTA_CTL', M, mem(st(16, { 0: 4n }))), `ioctl(-1, BTRFS_IOC_QUOTA_CTL, {cmd=0x4 /* BTRFS_QUOTA_CTL_??? */})${EBADF}`);
  assert.equal(call('BTRFS_IOC_QGROUP_ASSIGN', M, mem(st(24, { 0: 1n, 8: 2n, 16: 3n }))), `ioctl(-1, BTRFS_IOC_QGROUP_ASSIGN, {assign=1, src=2, dst=3})${EBADF}`);
  assert.equal(
    call('BTRFS_IOC_QGROUP_LIMIT', M, mem(st(48, { 0: 257n, 8: 0x20n }))),
    `ioctl(-1, BTRFS_IOC_QGROUP_LIMIT, {qgroupid=257, lim={flags=BTRFS_QGROUP_LIMIT_EXCL_CMPR, max_rfer=0, max_excl=0, rsv_rfer=0, rsv_excl=0}})${EBADF}`,
  );
  const l = Buffer.alloc(256);
  l.write('lbl');
  assert.equal(call('FS_IOC_SETFSLABEL', M, mem(l)), `ioctl(-1, FS_IOC_SETFSLABEL, "lbl")${EBADF}`);
  assert.equal(call('FS_IOC_GETFSLABEL', M, mem(l), 0), 'ioctl(-1, FS_IOC_GETFSLABEL, "lbl") = 0');
  assert.equal(call('FS_IOC_GETFSLABEL', M, mem(l)), `ioctl(-1, FS_IOC_GETFSLABEL, 0x10000000)${EBADF}`);
});
