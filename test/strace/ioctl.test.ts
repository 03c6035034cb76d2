// ioctl decoding: request names from the generated header table, _IOC decomposition, -X styles,
// and the device families. Expected lines are what strace 6.1 prints for the same calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';
import { ioc, ioctlName, ioctlNames, iocStr } from '../../src/engines/strace/decoders/ioctl.js';

const M = 0x10000000n;
const none = new FakeMemory();
const line = (s: string): string => s.replace(/ +=/, ' =');
const fmt = (c: Parameters<typeof formatCall>[0]): string => line(formatCall(c));

test('ioctl name table: generated from the headers, sorted, numbers as the kernel computes them', () => {
  const names = ioctlNames();
  assert.ok(names.length > 2000);
  for (let i = 1; i < names.length; i++) {
    const [a, an] = names[i - 1]!;
    const [b, bn] = names[i]!;
    assert.ok(a < b || (a === b && an < bn), `${an} before ${bn}`);
  }
  assert.equal(ioc('TCGETS'), 0x5401);
  assert.equal(ioc('FS_IOC_FIEMAP'), 0xc020660b);
  assert.equal(ioc('EVIOCGVERSION'), 0x80044501);
  assert.equal(ioc('HDIO_GET_QDMA'), 0x0305);
  assert.equal(ioc('SECCOMP_IOCTL_NOTIF_RECV'), 0xc0502100);
  assert.equal(ioc('LOOP_SET_FD'), 0x4c00);
  assert.equal(ioctlName(0x40049409), 'BTRFS_IOC_CLONE or FICLONE');
  assert.equal(ioctlName(0x5402), 'SNDCTL_TMR_START or TCSETS');
  assert.equal(ioctlName(0x80204d01), 'MIXER_READ(1) or MEMGETINFO');
  assert.equal(ioctlName(0x80044d0d), 'MIXER_READ(13) or OTPSELECT');
  assert.equal(ioctlName(ioc('RNDZAPENTCNT')), 'FASTRPC_IOCTL_INIT_ATTACH or RNDZAPENTCNT');
  // v4l2 sub-device requests are left out: strace names these VIDIOC_* alone
  assert.equal(ioctlName(ioc('VIDIOC_G_STD')), 'VIDIOC_G_STD');
  assert.equal(ioctlName(0xdead), undefined);
  assert.equal(iocStr(0xcfedb45e), '_IOC(_IOC_READ|_IOC_WRITE, 0xb4, 0x5e, 0xfed)');
  assert.throws(() => ioc('NO_SUCH_IOCTL'), /not in ioctls.gen.ts/);
});

test('ioctl requests under -X abbrev, raw, verbose; unknown ones; hex argument by default', () => {
  const c = { name: 'ioctl', args: [-1, 0x80044501, 0], ret: -9, mem: none } as const;
  assert.equal(fmt(c), 'ioctl(-1, EVIOCGVERSION, NULL) = -1 EBADF (Bad file descriptor)');
  assert.equal(fmt({ ...c, opts: { xlat: 'verbose' } }), 'ioctl(-1, 0x80044501 /* EVIOCGVERSION */, NULL) = -1 EBADF (Bad file descriptor)');
  assert.match(fmt({ ...c, opts: { xlat: 'raw' } }), /^ioctl\(-1, 0x80044501, NULL\) = -1 /);
  const u = { name: 'ioctl', args: [-1, 0x3e03, 0xdeadbeefbadc0dedn], ret: -9, mem: none } as const;
  assert.equal(fmt(u), 'ioctl(-1, _IOC(_IOC_NONE, 0x3e, 0x3, 0), 0xdeadbeefbadc0ded) = -1 EBADF (Bad file descriptor)');
  assert.equal(fmt({ ...u, opts: { xlat: 'verbose' } }), 'ioctl(-1, 0x3e03 /* _IOC(_IOC_NONE, 0x3e, 0x3, 0) */, 0xdeadbeefbadc0ded) = -1 EBADF (Bad file descriptor)');
  // the request is the low 32 bits of the register
  assert.equal(fmt({ name: 'ioctl', args: [-1, 0xffffffff00005401n, 0], ret: -9, mem: none }), 'ioctl(-1, TCGETS, NULL) = -1 EBADF (Bad file descriptor)');
});

test('ioctl fs family: FIEMAP, inode flags, FIFREEZE, FITRIM, fsxattr', () => {
  const fm = Buffer.alloc(32 + 2 * 56);
  fm.writeBigUInt64LE(16045690984503111693n, 0);
  fm.writeBigUInt64LE(18072662651678146782n, 8);
  fm.writeUInt32LE(7, 16);
  fm.writeUInt32LE(2, 20);
  fm.writeUInt32LE(3735929054, 24);
  fm.writeBigUInt64LE(1n, 32);
  fm.writeUInt32LE(1, 32 + 40);
  fm.writeUInt32LE(0xffffc070, 32 + 56 + 40);
  const mem = new FakeMemory().map(M, fm);
  const head = '{fm_start=16045690984503111693, fm_length=18072662651678146782, fm_flags=FIEMAP_FLAG_SYNC|FIEMAP_FLAG_XATTR|FIEMAP_FLAG_CACHE, fm_extent_count=3735929054}';
  const F = 0xc020660b;
  assert.equal(fmt({ name: 'ioctl', args: [-1, F, M], ret: -9, mem }), `ioctl(-1, FS_IOC_FIEMAP, ${head}) = -1 EBADF (Bad file descriptor)`);
  assert.equal(fmt({ name: 'ioctl', args: [-1, F, M], ret: 42, mem }), `ioctl(-1, FS_IOC_FIEMAP, ${head} => {fm_flags=FIEMAP_FLAG_SYNC|FIEMAP_FLAG_XATTR|FIEMAP_FLAG_CACHE, fm_mapped_extents=2, ...}) = 42`);
  assert.equal(
    fmt({ name: 'ioctl', args: [-1, F, M], ret: 42, mem, opts: { verbose: true } }),
    `ioctl(-1, FS_IOC_FIEMAP, ${head} => {fm_flags=FIEMAP_FLAG_SYNC|FIEMAP_FLAG_XATTR|FIEMAP_FLAG_CACHE, fm_mapped_extents=2, fm_extents=[{fe_logical=1, fe_physical=0, fe_length=0, fe_flags=FIEMAP_EXTENT_LAST}, {fe_logical=0, fe_physical=0, fe_length=0, fe_flags=0xffffc070 /* FIEMAP_EXTENT_??? */}]}) = 42`,
  );
  assert.equal(fmt({ name: 'ioctl', args: [-1, F, 0], ret: -9, mem }), 'ioctl(-1, FS_IOC_FIEMAP, NULL) = -1 EBADF (Bad file descriptor)');
  assert.equal(fmt({ name: 'ioctl', args: [-1, F, M + 0x1000n], ret: -9, mem }), 'ioctl(-1, FS_IOC_FIEMAP, 0x10001000) = -1 EBADF (Bad file descriptor)');

  const fl = new FakeMemory().u32(M, 0xd000000).u32(M + 8n, 0x3);
  assert.equal(fmt({ name: 'ioctl', args: [-1, 0x40086602, M], ret: -9, mem: fl }), 'ioctl(-1, FS_IOC_SETFLAGS, [0xd000000 /* FS_???_FL */]) = -1 EBADF (Bad file descriptor)');
  assert.equal(fmt({ name: 'ioctl', args: [-1, 0x80046601, M + 8n], ret: 0, mem: fl }), 'ioctl(-1, FS_IOC32_GETFLAGS, [FS_SECRM_FL|FS_UNRM_FL]) = 0');
  assert.equal(fmt({ name: 'ioctl', args: [-1, 0x80046601, M + 8n], ret: -9, mem: fl }), 'ioctl(-1, FS_IOC32_GETFLAGS, 0x10000008) = -1 EBADF (Bad file descriptor)');
  assert.equal(fmt({ name: 'ioctl', args: [-1, 0xc0045877, 0], ret: -9, mem: none }), 'ioctl(-1, FIFREEZE) = -1 EBADF (Bad file descriptor)');

  const tr = Buffer.alloc(24);
  tr.writeBigUInt64LE(0xdeadbeefcafef00dn, 0);
  tr.writeBigUInt64LE(18072662651678146782n, 8);
  tr.writeBigUInt64LE(13464652301225279710n, 16);
  assert.equal(
    fmt({ name: 'ioctl', args: [-1, ioc('FITRIM'), M], ret: -9, mem: new FakeMemory().map(M, tr) }),
    'ioctl(-1, FITRIM, {start=0xdeadbeefcafef00d, len=18072662651678146782, minlen=13464652301225279710}) = -1 EBADF (Bad file descriptor)',
  );
  const fx = Buffer.alloc(28);
  fx.writeUInt32LE(0x7ffe0004, 0);
  fx.writeUInt32LE(3735928559, 4);
  fx.writeUInt32LE(4207869677, 8);
  fx.writeUInt32LE(0xcafef00d, 12);
  fx.writeUInt32LE(3133063390, 16);
  const xm = new FakeMemory().map(M, fx);
  assert.equal(
    fmt({ name: 'ioctl', args: [-1, ioc('FS_IOC_FSSETXATTR'), M], ret: -9, mem: xm }),
    'ioctl(-1, FS_IOC_FSSETXATTR, {fsx_xflags=0x7ffe0004 /* FS_XFLAG_??? */, fsx_extsize=3735928559, fsx_projid=0xcafef00d, fsx_cowextsize=3133063390}) = -1 EBADF (Bad file descriptor)',
  );
  assert.equal(
    fmt({ name: 'ioctl', args: [-1, ioc('FS_IOC_FSGETXATTR'), M], ret: 42, mem: xm }),
    'ioctl(-1, FS_IOC_FSGETXATTR, {fsx_xflags=0x7ffe0004 /* FS_XFLAG_??? */, fsx_extsize=3735928559, fsx_nextents=4207869677, fsx_projid=0xcafef00d, fsx_cowextsize=3133063390}) = 42',
  );
});

test('ioctl small families: nsfs, random, watchdog, inotify, nbd, tiocm', () => {
  assert.equal(fmt({ name: 'ioctl', args: [5, ioc('NS_GET_NSTYPE')], ret: 268435456, mem: none }), 'ioctl(5, NS_GET_NSTYPE) = 268435456 (CLONE_NEWUSER)');
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('NS_GET_NSTYPE')], ret: -9, mem: none }), 'ioctl(-1, NS_GET_NSTYPE) = -1 EBADF (Bad file descriptor)');
  const z = new FakeMemory().u32(M, 0).i32(M + 4n, 6);
  assert.equal(fmt({ name: 'ioctl', args: [5, ioc('NS_GET_OWNER_UID'), M], ret: 0, mem: z }), 'ioctl(5, NS_GET_OWNER_UID, [0]) = 0');
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('RNDGETENTCNT'), M], ret: -9, mem: z }), 'ioctl(-1, RNDGETENTCNT, 0x10000000) = -1 EBADF (Bad file descriptor)');
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('RNDADDTOENTCNT'), M + 4n], ret: -9, mem: z }), 'ioctl(-1, RNDADDTOENTCNT, [6]) = -1 EBADF (Bad file descriptor)');
  const pool = Buffer.concat([Buffer.from([3, 0, 0, 0, 8, 0, 0, 0]), Buffer.from('12345678')]);
  assert.equal(
    fmt({ name: 'ioctl', args: [-1, ioc('RNDADDENTROPY'), M], ret: -9, mem: new FakeMemory().map(M, pool) }),
    'ioctl(-1, RNDADDENTROPY, {entropy_count=3, buf_size=8, buf="12345678"}) = -1 EBADF (Bad file descriptor)',
  );
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('RNDZAPENTCNT'), 0], ret: -9, mem: none }), 'ioctl(-1, FASTRPC_IOCTL_INIT_ATTACH or RNDZAPENTCNT) = -1 EBADF (Bad file descriptor)');
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('WDIOC_KEEPALIVE'), M], ret: -9, mem: z }), 'ioctl(-1, WDIOC_KEEPALIVE) = -1 EBADF (Bad file descriptor)');
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('WDIOC_SETTIMEOUT'), M + 4n], ret: -9, mem: z }), 'ioctl(-1, WDIOC_SETTIMEOUT, [6]) = -1 EBADF (Bad file descriptor)');
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('INOTIFY_IOC_SETNEXTWD'), 0xdeadbeefbadc0dedn], ret: -9, mem: none }), 'ioctl(-1, INOTIFY_IOC_SETNEXTWD, -1159983635) = -1 EBADF (Bad file descriptor)');
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('NBD_SET_FLAGS'), 0x8000800bn], ret: -9, mem: none }), 'ioctl(-1, NBD_SET_FLAGS, NBD_FLAG_HAS_FLAGS|NBD_FLAG_READ_ONLY|NBD_FLAG_SEND_FUA|0x80008000) = -1 EBADF (Bad file descriptor)');
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('NBD_SET_SIZE'), 0xcafef00dbadc0dedn], ret: -9, mem: none }), 'ioctl(-1, NBD_SET_SIZE, 14627392581506174445) = -1 EBADF (Bad file descriptor)');
  const m = new FakeMemory().u32(M, 0xffff1e00);
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('TIOCMBIS'), M], ret: -9, mem: m }), 'ioctl(-1, TIOCMBIS, [0xffff1e00 /* TIOCM_??? */]) = -1 EBADF (Bad file descriptor)');
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('TIOCMGET'), 0], ret: -9, mem: m }), 'ioctl(-1, TIOCMGET, NULL) = -1 EBADF (Bad file descriptor)');
});

test('ioctl hdio family: geometry, drive command, nice bits, bus state, identity', () => {
  const g = Buffer.alloc(16);
  g.writeUInt8(202, 0);
  g.writeUInt8(254, 1);
  g.writeUInt16LE(47806, 2);
  g.writeBigUInt64LE(13464652301225294542n, 8);
  const gm = new FakeMemory().map(M, g);
  assert.equal(fmt({ name: 'ioctl', args: [-1, 0x0301, M], ret: 42, mem: gm }), 'ioctl(-1, HDIO_GETGEO, {heads=202, sectors=254, cylinders=47806, start=13464652301225294542}) = 42');
  assert.equal(fmt({ name: 'ioctl', args: [-1, 0x0301, M], ret: -9, mem: gm }), 'ioctl(-1, HDIO_GETGEO, 0x10000000) = -1 EBADF (Bad file descriptor)');
  const cmd = new FakeMemory().map(M, Buffer.from([0xca, 255, 238, 0])).map(M + 0x100n, Buffer.concat([Buffer.from([0x80, 129, 130, 131]), Buffer.alloc(64, 0x84)]));
  assert.equal(
    fmt({ name: 'ioctl', args: [-1, 0x031f, M], ret: 42, mem: cmd }),
    'ioctl(-1, HDIO_DRIVE_CMD, {command=ATA_CMD_WRITE, sector_number=255, feature=238, sector_count=0} => {status=0xca, error=255, nsector=238}) = 42',
  );
  assert.equal(
    fmt({ name: 'ioctl', args: [-1, 0x031f, M + 0x100n], ret: 42, mem: cmd, opts: { strsize: 4 } }),
    'ioctl(-1, HDIO_DRIVE_CMD, {command=0x80 /* ATA_CMD_??? */, sector_number=129, feature=130, sector_count=131} => {status=0x80, error=129, nsector=130, buf="\\x84\\x84\\x84\\x84"...}) = 42',
  );
  assert.equal(
    fmt({ name: 'ioctl', args: [-1, 0x0329, 0xfacefeedded2ffffn], ret: -9, mem: none }),
    'ioctl(-1, HDIO_SET_NICE, 1 << IDE_NICE_DSC_OVERLAP|1 << IDE_NICE_ATAPI_OVERLAP|1 << IDE_NICE_1|1 << IDE_NICE_0|1 << IDE_NICE_2|0xfacefeedded2ffe0) = -1 EBADF (Bad file descriptor)',
  );
  assert.equal(fmt({ name: 'ioctl', args: [-1, 0x032d, 2], ret: -9, mem: none }), 'ioctl(-1, HDIO_SET_BUSSTATE, BUSSTATE_TRISTATE) = -1 EBADF (Bad file descriptor)');
  const u = new FakeMemory().u64(M, 18072662652281011951n);
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('HDIO_GET_DMA'), M], ret: 42, mem: u }), 'ioctl(-1, HDIO_GET_DMA, [18072662652281011951]) = 42');
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('HDIO_GET_QDMA'), 0], ret: -9, mem: none }), 'ioctl(-1, HDIO_GET_QDMA, 0) = -1 EBADF (Bad file descriptor)');
  const id = new FakeMemory().map(M, Buffer.alloc(512));
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('HDIO_GET_IDENTITY'), M], ret: 42, mem: id, opts: { strsize: 2 } }), 'ioctl(-1, HDIO_GET_IDENTITY, "\\0\\0"...) = 42');
});

test('ioctl counter family: COUNTER_ADD_WATCH_IOCTL, no-argument requests', () => {
  const mem = new FakeMemory().map(M, Buffer.from([5, 2, 23, 42, 6, 69])).map(M + 0x100n, Buffer.from([6, 3, 142, 160, 7, 173]));
  assert.equal(
    fmt({ name: 'ioctl', args: [-1, 0x40063e00, M], ret: -9, mem }),
    'ioctl(-1, COUNTER_ADD_WATCH_IOCTL, {component={type=COUNTER_COMPONENT_EXTENSION, scope=COUNTER_SCOPE_COUNT, parent=23, id=42}, event=COUNTER_EVENT_CAPTURE, channel=69}) = -1 EBADF (Bad file descriptor)',
  );
  assert.equal(
    fmt({ name: 'ioctl', args: [-1, 0x40063e00, M + 0x100n], ret: -9, mem, opts: { xlat: 'verbose' } }),
    'ioctl(-1, 0x40063e00 /* COUNTER_ADD_WATCH_IOCTL */, {component={type=0x6 /* COUNTER_COMPONENT_??? */, scope=0x3 /* COUNTER_SCOPE_??? */, parent=142, id=160}, event=0x7 /* COUNTER_EVENT_??? */, channel=173}) = -1 EBADF (Bad file descriptor)',
  );
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('COUNTER_ENABLE_EVENTS_IOCTL'), 1], ret: -9, mem }), 'ioctl(-1, COUNTER_ENABLE_EVENTS_IOCTL) = -1 EBADF (Bad file descriptor)');
});

test('ioctl lirc family: modes, features, u32 settings', () => {
  const mem = new FakeMemory().u32(M, 0x2c000202).u32(M + 4n, 3).u32(M + 8n, 0x1f).u32(M + 12n, 40000);
  assert.equal(
    fmt({ name: 'ioctl', args: [-1, ioc('LIRC_GET_FEATURES'), M], ret: 42, mem }),
    'ioctl(-1, LIRC_GET_FEATURES, [LIRC_CAN_SEND_PULSE|LIRC_CAN_SET_SEND_DUTY_CYCLE|LIRC_CAN_USE_WIDEBAND_RECEIVER|LIRC_CAN_GET_REC_RESOLUTION|0x8000000]) = 42',
  );
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('LIRC_GET_FEATURES'), M], ret: -9, mem }), 'ioctl(-1, LIRC_GET_FEATURES, 0x10000000) = -1 EBADF (Bad file descriptor)');
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('LIRC_SET_REC_MODE'), M + 4n], ret: -9, mem }), 'ioctl(-1, LIRC_SET_REC_MODE, [0x3 /* LIRC_MODE_??? */]) = -1 EBADF (Bad file descriptor)');
  assert.equal(fmt({ name: 'ioctl', args: [-1, ioc('LIRC_SET_TRANSMITTER_MASK'), M + 8n], ret: -9, mem }), 'ioctl(-1, LIRC_SET_TRANSMITTER_MASK, [0x1f]) = -1 EBADF (Bad file descriptor)');
  assert.equal(
    fmt({ name: 'ioctl', args: [-1, ioc('LIRC_SET_REC_CARRIER_RANGE'), M + 12n], ret: -9, mem }),
    'ioctl(-1, IPMICTL_SET_MAINTENANCE_MODE_CMD or LIRC_SET_REC_CARRIER_RANGE, [40000]) = -1 EBADF (Bad file descriptor)',
  );
});

test('ioctl HID requests sized by the caller\'s buffer: NAME(len); a fixed-size name of the same number wins', () => {
  const c = (req: number, opts = {}): string => fmt({ name: 'ioctl', args: [-1, req, M], ret: -9, mem: none, opts });
  // HIDIOCGPHYS(8) = _IOC(_IOC_READ, 'H', 0x12, 8); HIDIOCSFEATURE(64) = _IOC(_IOC_READ|_IOC_WRITE, 'H', 0x06, 64).
  assert.equal(c(0x80084812), 'ioctl(-1, HIDIOCGPHYS(8), 0x10000000) = -1 EBADF (Bad file descriptor)');
  assert.equal(c(0xc0404806), 'ioctl(-1, HIDIOCSFEATURE(64), 0x10000000) = -1 EBADF (Bad file descriptor)');
  assert.equal(c(0x80084812, { xlat: 'verbose' }), 'ioctl(-1, 0x80084812 /* HIDIOCGPHYS(8) */, 0x10000000) = -1 EBADF (Bad file descriptor)');
  assert.equal(c(ioc('HIDIOCGSTRING')), 'ioctl(-1, HIDIOCGSTRING, 0x10000000) = -1 EBADF (Bad file descriptor)');
  assert.equal(ioctlName(0x81044804), 'HIDIOCGSTRING');
  assert.equal(c(0x4813), 'ioctl(-1, _IOC(_IOC_NONE, 0x48, 0x13, 0), 0x10000000) = -1 EBADF (Bad file descriptor)');
});
