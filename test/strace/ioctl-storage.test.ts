// ioctl families for storage and memory devices: SCSI generic, userfaultfd, loop, block, MTD.
// Table tests over byte buffers; expected lines are what strace 6.1 prints for the same calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';
import { ioc } from '../../src/engines/strace/decoders/ioctl.js';

const M = 0x10000000n;
const none = new FakeMemory();
const fmt = (c: Parameters<typeof formatCall>[0]): string => formatCall(c).replace(/ +=/, ' =');
const EBADF = ' = -1 EBADF (Bad file descriptor)';
const call = (req: number, arg: bigint | number, mem = none, ret = -9, opts = {}): string => fmt({ name: 'ioctl', args: [-1, req, arg], ret, mem, opts });

test('SCSI generic: no argument, int by value, int * in and out, SG_SCSI_RESET, unnamed request', () => {
  const mem = new FakeMemory().i32(M, 0xfacefeed | 0).i32(M + 4n, 0x100).i32(M + 8n, 1);
  assert.equal(call(0x2202, 0xdeadbeef), `ioctl(-1, SG_GET_TIMEOUT)${EBADF}`);
  assert.equal(call(0x2201, 0), `ioctl(-1, SG_SET_TIMEOUT, NULL)${EBADF}`);
  assert.equal(call(0x2204, 0xfacefeed), `ioctl(-1, SG_SET_TRANSFORM, 0xfacefeed)${EBADF}`);
  assert.equal(call(0x2271, M, mem), `ioctl(-1, SG_SET_COMMAND_Q, [-87097619])${EBADF}`);
  assert.equal(call(0x2282, M, mem), `ioctl(-1, SG_GET_VERSION_NUM, 0x10000000)${EBADF}`);
  assert.equal(call(0x2282, M, mem, 0), 'ioctl(-1, SG_GET_VERSION_NUM, [-87097619]) = 0');
  assert.equal(call(0x2289, M, mem), `ioctl(-1, SG_GET_ACCESS_COUNT, 0x10000000)${EBADF}`);
  assert.equal(call(0x2284, M, mem), `ioctl(-1, SG_SCSI_RESET, [0xfacefeed /* SG_SCSI_RESET_??? */])${EBADF}`);
  assert.equal(call(0x2284, M + 4n, mem), `ioctl(-1, SG_SCSI_RESET, [SG_SCSI_RESET_NO_ESCALATE|SG_SCSI_RESET_NOTHING])${EBADF}`);
  assert.equal(call(0x2284, M + 8n, mem), `ioctl(-1, SG_SCSI_RESET, [SG_SCSI_RESET_DEVICE])${EBADF}`);
  assert.equal(call(0x22ff, 0xdeadbeeffacefeedn), `ioctl(-1, _IOC(_IOC_NONE, 0x22, 0xff, 0), 0xdeadbeeffacefeed)${EBADF}`);
});

test('userfaultfd: api features asked and granted, register, copy with its result, range', () => {
  const api = Buffer.alloc(24);
  api.writeBigUInt64LE(0xaan, 0);
  const granted = Buffer.from(api);
  granted.writeBigUInt64LE(0x3n, 8);
  granted.writeBigUInt64LE((1n << 63n) | 3n, 16);
  const API = ioc('UFFDIO_API');
  assert.equal(call(API, M, new FakeMemory().map(M, api)), `ioctl(-1, UFFDIO_API, {api=0xaa, features=0})${EBADF}`);
  // the kernel rewrites the struct: entry reads one memory, exit another
  const c = { name: 'ioctl', args: [3, API, M], ret: 0, mem: new FakeMemory().map(M, api), exitMem: new FakeMemory().map(M, granted) };
  assert.equal(fmt(c), 'ioctl(3, UFFDIO_API, {api=0xaa, features=0 => features=UFFD_FEATURE_PAGEFAULT_FLAG_WP|UFFD_FEATURE_EVENT_FORK, ioctls=1<<_UFFDIO_REGISTER|1<<_UFFDIO_UNREGISTER|1<<_UFFDIO_API}) = 0');
  assert.equal(call(API, 0), `ioctl(-1, UFFDIO_API, NULL)${EBADF}`);

  const cp = Buffer.alloc(40);
  cp.writeBigUInt64LE(0x7000n, 0);
  cp.writeBigUInt64LE(0x8000n, 8);
  cp.writeBigUInt64LE(0x1000n, 16);
  cp.writeBigUInt64LE(0xdeadbeefn, 24);
  cp.writeBigUInt64LE(0x1000n, 32);
  const cm = new FakeMemory().map(M, cp);
  assert.equal(call(ioc('UFFDIO_COPY'), M, cm, 0), 'ioctl(-1, UFFDIO_COPY, {dst=0x7000, src=0x8000, len=0x1000, mode=UFFDIO_COPY_MODE_DONTWAKE|UFFDIO_COPY_MODE_WP|0xdeadbeec, copy=0x1000}) = 0');
  assert.equal(call(ioc('UFFDIO_COPY'), M, cm, -22), 'ioctl(-1, UFFDIO_COPY, {dst=0x7000, src=0x8000, len=0x1000, mode=UFFDIO_COPY_MODE_DONTWAKE|UFFDIO_COPY_MODE_WP|0xdeadbeec}) = -1 EINVAL (Invalid argument)');
  assert.equal(call(ioc('UFFDIO_WAKE'), M, cm), `ioctl(-1, UFFDIO_WAKE, {start=0x7000, len=0x8000})${EBADF}`);
});

test('loop: fd and number arguments, loop_info64 abbreviated and under -v, loop_config reserved words', () => {
  assert.equal(call(ioc('LOOP_SET_FD'), 0xdeadbeefbadc0dedn), `ioctl(-1, LOOP_SET_FD, -1159983635)${EBADF}`);
  assert.equal(call(ioc('LOOP_CLR_FD'), 0), `ioctl(-1, LOOP_CLR_FD)${EBADF}`);
  assert.equal(call(ioc('LOOP_SET_BLOCK_SIZE'), 0xdeadbeefbadc0dedn), `ioctl(-1, LOOP_SET_BLOCK_SIZE, 16045690984232390125)${EBADF}`);
  const i = Buffer.alloc(232);
  i.writeBigUInt64LE(0x801n, 0); // lo_device
  i.writeBigUInt64LE(0x1234n, 24); // lo_offset
  i.writeUInt32LE(7, 40); // lo_number
  i.writeUInt32LE(1, 52); // LO_FLAGS_READ_ONLY
  i.fill('C', 56, 120); // lo_file_name without NUL
  const mem = new FakeMemory().map(M, i);
  const name = `"${'C'.repeat(63)}"...`;
  assert.equal(call(ioc('LOOP_SET_STATUS64'), M, mem), `ioctl(-1, LOOP_SET_STATUS64, {lo_offset=0x1234, lo_number=7, lo_flags=LO_FLAGS_READ_ONLY, lo_file_name=${name}, ...})${EBADF}`);
  assert.equal(
    call(ioc('LOOP_SET_STATUS64'), M, mem, -9, { verbose: true }),
    `ioctl(-1, LOOP_SET_STATUS64, {lo_device=makedev(0x8, 0x1), lo_inode=0, lo_rdevice=makedev(0, 0), lo_offset=0x1234, lo_sizelimit=0, lo_number=7, lo_encrypt_type=LO_CRYPT_NONE, lo_encrypt_key_size=0, lo_flags=LO_FLAGS_READ_ONLY, lo_file_name=${name}, lo_crypt_name="", lo_encrypt_key="", lo_init=[0, 0]})${EBADF}`,
  );
  assert.equal(call(ioc('LOOP_GET_STATUS64'), M, mem), `ioctl(-1, LOOP_GET_STATUS64, 0x10000000)${EBADF}`);
  // -e verbose=none: the structures stay addresses, read or written.
  assert.equal(call(ioc('LOOP_SET_STATUS64'), M, mem, -9, { notVerbose: true }), `ioctl(-1, LOOP_SET_STATUS64, 0x10000000)${EBADF}`);
  assert.equal(call(ioc('LOOP_GET_STATUS64'), M, mem, 0, { notVerbose: true }), 'ioctl(-1, LOOP_GET_STATUS64, 0x10000000) = 0');
  const cfg = Buffer.alloc(304);
  cfg.writeInt32LE(3, 0);
  cfg.writeUInt32LE(512, 4);
  cfg.writeBigUInt64LE(0xffn, 240 + 56);
  assert.equal(
    call(ioc('LOOP_CONFIGURE'), M, new FakeMemory().map(M, cfg)),
    `ioctl(-1, LOOP_CONFIGURE, {fd=3, block_size=512, info={lo_offset=0, lo_number=0, lo_flags=0, lo_file_name="", ...}, __reserved=[0, 0, 0, 0, 0, 0, 0, 0xff]})${EBADF}`,
  );
});

test('block: scalars in and out, discard range, BLKPG partition, BLKTRACESETUP', () => {
  assert.equal(call(ioc('BLKRRPART'), 0), `ioctl(-1, BLKRRPART)${EBADF}`);
  assert.equal(call(ioc('BLKBSZGET'), 0), `ioctl(-1, BLKBSZGET, NULL)${EBADF}`);
  const mem = new FakeMemory().u64(M, 1n, 2n);
  assert.equal(call(ioc('BLKGETSIZE64'), M, mem, 0), 'ioctl(-1, BLKGETSIZE64, [1]) = 0');
  assert.equal(call(ioc('BLKSECTGET'), M, mem, 0), 'ioctl(-1, BLKSECTGET, [1]) = 0');
  assert.equal(call(ioc('BLKDISCARD'), M, mem), `ioctl(-1, BLKDISCARD, [1, 2])${EBADF}`);
  const pg = Buffer.alloc(24 + 152);
  pg.writeInt32LE(1, 0);
  pg.writeBigUInt64LE(M + 24n, 16);
  pg.writeBigInt64LE(-1n, 24);
  pg.write('sda1', 24 + 20);
  assert.equal(
    call(ioc('BLKPG'), M, new FakeMemory().map(M, pg)),
    `ioctl(-1, BLKPG, {op=BLKPG_ADD_PARTITION, flags=0, datalen=0, data={start=-1, length=0, pno=0, devname="sda1", volname=""}})${EBADF}`,
  );
  const ts = Buffer.alloc(72);
  ts.writeUInt16LE(3, 32);
  ts.write('sda', 0);
  const tm = new FakeMemory().map(M, ts);
  assert.equal(call(ioc('BLKTRACESETUP'), M, tm), `ioctl(-1, BLKTRACESETUP, {act_mask=3, buf_size=0, buf_nr=0, start_lba=0, end_lba=0, pid=0})${EBADF}`);
  assert.equal(call(ioc('BLKTRACESETUP'), M, tm, 0), 'ioctl(-1, BLKTRACESETUP, {act_mask=3, buf_size=0, buf_nr=0, start_lba=0, end_lba=0, pid=0} => {name="sda"}) = 0');
  // pid is the tracee's: --pidns-translation says what it is in ours.
  ts.writeUInt32LE(2, 64);
  const pidTranslate = (_tid: number, pid: number): number | undefined => (pid === 2 ? 4242 : undefined);
  assert.equal(
    call(ioc('BLKTRACESETUP'), M, new FakeMemory().map(M, ts), -9, { pidTranslate }),
    `ioctl(-1, BLKTRACESETUP, {act_mask=3, buf_size=0, buf_nr=0, start_lba=0, end_lba=0, pid=2 /* 4242 in strace's PID NS */})${EBADF}`,
  );
  ts.writeUInt32LE(0xfffffffe, 64);
  assert.equal(call(ioc('BLKTRACESETUP'), M, new FakeMemory().map(M, ts), -9, { pidTranslate }), `ioctl(-1, BLKTRACESETUP, {act_mask=3, buf_size=0, buf_nr=0, start_lba=0, end_lba=0, pid=4294967294})${EBADF}`);
});

test('MTD: erase range, write request mode, file mode, region info in and out, ECC layout capped at -s', () => {
  const mem = new FakeMemory().u32(M, 0x1000, 0x2000, 0, 5);
  assert.equal(call(ioc('MEMERASE'), M, mem), `ioctl(-1, MIXER_WRITE(2) or MEMERASE, {start=0x1000, length=0x2000})${EBADF}`);
  assert.equal(call(ioc('MTDFILEMODE'), 3), `ioctl(-1, MTDFILEMODE, MTD_FILE_MODE_RAW)${EBADF}`);
  assert.equal(call(ioc('MEMGETREGIONINFO'), M, mem), `ioctl(-1, MEMGETREGIONINFO, {regionindex=0x5})${EBADF}`);
  assert.equal(call(ioc('MEMGETREGIONINFO'), M, mem, 0), 'ioctl(-1, MEMGETREGIONINFO, {regionindex=0x5, offset=0x1000, erasesize=0x2000, numblocks=0}) = 0');
  const w = Buffer.alloc(48);
  w[40] = 2;
  assert.equal(call(ioc('MEMWRITE'), M, new FakeMemory().map(M, w)), `ioctl(-1, MEMWRITE, {start=0, len=0, ooblen=0, usr_data=0, usr_oob=0, mode=MTD_OPS_RAW})${EBADF}`);
  const out = call(ioc('ECCGETLAYOUT'), M, new FakeMemory().map(M, Buffer.alloc(328)), 0);
  assert.match(out, /^ioctl\(-1, MIXER_READ\(17\) or ECCGETLAYOUT, \{eccbytes=0, eccpos=\[(0, ){32}\.\.\.\], oobavail=0, oobfree=\[(\{offset=0, length=0\}(, )?){8}\]\}\) = 0$/);
  assert.equal(call(ioc('ECCGETLAYOUT'), M, none), `ioctl(-1, MIXER_READ(17) or ECCGETLAYOUT, 0x10000000)${EBADF}`);
});
