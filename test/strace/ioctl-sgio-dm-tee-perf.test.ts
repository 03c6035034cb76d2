// The SG_IO, device mapper, TEE and perf_event ioctl families over fake tracee memory: request
// blocks read at entry, responses at exit (even after a failure where the caller's memory holds
// them), partial reads, unknown values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeMemory, formatCall } from './helpers.js';
import { ioc } from '../../src/engines/strace/decoders/ioctl.js';

const M = 0x10000000n;
const D = 0x20000000n;
const none = new FakeMemory();
const EBADF = ' = -1 EBADF (Bad file descriptor)';
const fmt = (c: Parameters<typeof formatCall>[0]): string => formatCall(c).replace(/ +=/, ' =');
const call = (name: string | number, arg: bigint, mem: FakeMemory = none, ret = -9, opts?: Record<string, unknown>): string =>
  fmt({ name: 'ioctl', args: [-1, typeof name === 'number' ? name : ioc(name), arg], ret, mem, ...(opts ? { opts } : {}) });

test('SG_IO v3: the request at entry, the response and received data at exit', () => {
  const h = Buffer.alloc(88);
  h.writeInt32LE(0x53, 0); // 'S'
  h.writeInt32LE(-3, 4); // SG_DXFER_FROM_DEV
  h[8] = 6; // cmd_len
  h[9] = 32; // mx_sb_len
  h.writeUInt32LE(8, 12); // dxfer_len
  h.writeBigUInt64LE(D, 16); // dxferp
  h.writeBigUInt64LE(D + 0x100n, 24); // cmdp
  h.writeBigUInt64LE(0n, 32); // sbp
  h.writeUInt32LE(5000, 40);
  h.writeUInt32LE(0x21, 44); // DIRECT_IO|Q_AT_HEAD
  h[64] = 2;
  h.writeInt32LE(3, 72); // resid: 5 bytes came
  h.writeUInt32LE(7, 76);
  h.writeUInt32LE(1, 80); // SG_INFO_CHECK
  const mem = new FakeMemory().map(M, h).map(D, Buffer.from('abcdefgh', 'latin1')).map(D + 0x100n, Buffer.from([0x12, 0, 0, 0, 0x24, 0]));
  const line =
    '{interface_id=\'S\', dxfer_direction=SG_DXFER_FROM_DEV, cmd_len=6, cmdp="\\x12\\x00\\x00\\x00\\x24\\x00", mx_sb_len=32, iovec_count=0, dxfer_len=8, timeout=5000, flags=SG_FLAG_DIRECT_IO|SG_FLAG_Q_AT_HEAD, dxferp="\\x61\\x62\\x63\\x64\\x65", status=0x2, masked_status=0, msg_status=0, sb_len_wr=0, sbp=NULL, host_status=0, driver_status=0, resid=3, duration=7, info=SG_INFO_CHECK}';
  assert.equal(call('SG_IO', M, mem, 0), `ioctl(-1, SG_IO, ${line}) = 0`);
  // the caller's block holds the response fields even when the call failed
  assert.equal(call('SG_IO', M, mem), `ioctl(-1, SG_IO, ${line})${EBADF}`);
  // only the id readable: the address of the rest; another id: the int
  assert.equal(call('SG_IO', M, new FakeMemory().map(M, h.subarray(0, 4))), `ioctl(-1, SG_IO, {interface_id='S', 0x10000004})${EBADF}`);
  assert.equal(call('SG_IO', M, new FakeMemory().u32(M, 0x83828180)), `ioctl(-1, SG_IO, [2206368128])${EBADF}`);
  assert.equal(call('SG_IO', 0n), `ioctl(-1, SG_IO, NULL)${EBADF}`);
});

test('SG_IO v3: data sent as iovecs, and both ways with => for what came back', () => {
  const h = Buffer.alloc(88);
  h.writeInt32LE(0x53, 0);
  h.writeInt32LE(-2, 4); // SG_DXFER_TO_DEV
  h.writeUInt16LE(2, 10); // iovec_count
  h.writeUInt32LE(5, 12); // dxfer_len: the iovecs say 3 + 4, five bytes go
  h.writeBigUInt64LE(D, 16);
  const iov = Buffer.alloc(32);
  iov.writeBigUInt64LE(D + 0x100n, 0);
  iov.writeBigUInt64LE(3n, 8);
  iov.writeBigUInt64LE(D + 0x200n, 16);
  iov.writeBigUInt64LE(4n, 24);
  const mem = new FakeMemory().map(M, h).map(D, iov).str(D + 0x100n, 'abc').str(D + 0x200n, 'defg');
  assert.match(call('SG_IO', M, mem, 0), /dxfer_len=5, timeout=0, flags=0, dxferp=\[\{iov_base="abc", iov_len=3\}, \{iov_base="de", iov_len=4\}\], status=0/);

  const b = Buffer.from(h);
  b.writeInt32LE(-4, 4); // SG_DXFER_TO_FROM_DEV
  b.writeUInt16LE(0, 10);
  b.writeUInt32LE(3, 12);
  b.writeInt32LE(1, 72);
  const both = new FakeMemory().map(M, b).map(D, Buffer.from([1, 2, 3]));
  assert.match(call('SG_IO', M, both, 0), /dxferp="\\x01\\x02\\x03" => dxferp="\\x01\\x02", status=/);
});

test('SG_IO v4: protocol names, request and response bytes, received data', () => {
  const h = Buffer.alloc(160);
  h.writeInt32LE(0x51, 0); // 'Q'
  h.writeUInt32LE(0, 4); // BSG_PROTOCOL_SCSI
  h.writeUInt32LE(1, 8); // BSG_SUB_PROTOCOL_SCSI_TMF
  h.writeUInt32LE(2, 12); // request_len
  h.writeBigUInt64LE(D, 16);
  h.writeBigUInt64LE(0xabn, 24);
  h.writeUInt32LE(4, 68); // din_xfer_len
  h.writeBigUInt64LE(D + 0x100n, 80); // din_xferp
  h.writeUInt32LE(0x30, 92); // Q_AT_TAIL|Q_AT_HEAD
  h.writeUInt32LE(1, 132); // response_len
  h.writeBigUInt64LE(D + 0x200n, 48);
  h.writeInt32LE(2, 136); // din_resid: two bytes came
  const mem = new FakeMemory().map(M, h).map(D, Buffer.from([0xa0, 0xa1])).map(D + 0x100n, Buffer.from('wxyz', 'latin1')).map(D + 0x200n, Buffer.from([0x70]));
  const out = call('SG_IO', M, mem, 0);
  assert.match(out, /^ioctl\(-1, SG_IO, \{guard='Q', protocol=BSG_PROTOCOL_SCSI, subprotocol=BSG_SUB_PROTOCOL_SCSI_TMF, request_len=2, request="\\xa0\\xa1", request_tag=0xab, /);
  assert.match(out, /dout_xferp=NULL, timeout=0, flags=BSG_FLAG_Q_AT_TAIL\|BSG_FLAG_Q_AT_HEAD, usr_ptr=0, response_len=1, response="\\x70", din_xferp="\\x77\\x78", /);
  assert.match(out, /info=0, duration=0, response_len=1, din_resid=2, dout_resid=0, generated_tag=0\}\) = 0$/);
});

test('perf_event: group flag, counts, ids, filters, program queries', () => {
  assert.equal(call('PERF_EVENT_IOC_ENABLE', 1n), `ioctl(-1, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP)${EBADF}`);
  assert.equal(call('PERF_EVENT_IOC_DISABLE', 0xffffffff00000006n), `ioctl(-1, PERF_EVENT_IOC_DISABLE, 0x6 /* PERF_IOC_FLAG_??? */)${EBADF}`);
  assert.equal(call('PERF_EVENT_IOC_REFRESH', 0xffffffffn), `ioctl(-1, PERF_EVENT_IOC_REFRESH, -1)${EBADF}`);
  assert.equal(call('PERF_EVENT_IOC_PERIOD', M, new FakeMemory().u64(M, 1000n)), `ioctl(-1, PERF_EVENT_IOC_PERIOD, [1000])${EBADF}`);
  assert.equal(call('PERF_EVENT_IOC_SET_FILTER', M, new FakeMemory().str(M, 'common_pid != 0')), `ioctl(-1, PERF_EVENT_IOC_SET_FILTER, "common_pid != 0")${EBADF}`);
  const id = new FakeMemory().u64(M, 77n);
  assert.equal(call('PERF_EVENT_IOC_ID', M, id, 0), 'ioctl(-1, PERF_EVENT_IOC_ID, [77]) = 0');
  assert.equal(call('PERF_EVENT_IOC_ID', M, id), `ioctl(-1, PERF_EVENT_IOC_ID, 0x10000000)${EBADF}`);
  assert.equal(call('PERF_EVENT_IOC_MODIFY_ATTRIBUTES', 0n), `ioctl(-1, PERF_EVENT_IOC_MODIFY_ATTRIBUTES, NULL)${EBADF}`);
  const attr = Buffer.alloc(48);
  attr.writeUInt32LE(0, 0); // PERF_TYPE_HARDWARE
  attr.writeUInt32LE(128, 4); // PERF_ATTR_SIZE_VER7
  attr.writeBigUInt64LE(1n, 8);
  attr.writeBigUInt64LE(4000n, 16);
  attr.writeBigUInt64LE(3n, 24);
  attr.writeBigUInt64LE(4n, 32);
  attr.writeBigUInt64LE(0x10021n, 40); // disabled, exclude_kernel, precise_ip=2
  assert.equal(
    call('PERF_EVENT_IOC_MODIFY_ATTRIBUTES', M, new FakeMemory().map(M, attr)),
    `ioctl(-1, PERF_EVENT_IOC_MODIFY_ATTRIBUTES, {type=PERF_TYPE_HARDWARE, size=PERF_ATTR_SIZE_VER7, config=0x1, sample_period=4000, sample_type=PERF_SAMPLE_IP|PERF_SAMPLE_TID, read_format=PERF_FORMAT_ID, disabled=1, exclude_kernel=1, precise_ip=2 /* requested to have 0 skid */, ...})${EBADF}`,
  );
  // freq set: the union is a frequency; reserved bits in hex; unknown type and size
  attr.writeUInt32LE(77, 0);
  attr.writeUInt32LE(65, 4);
  attr.writeBigUInt64LE((1n << 10n) | (5n << 38n), 40);
  assert.match(
    call('PERF_EVENT_IOC_MODIFY_ATTRIBUTES', M, new FakeMemory().map(M, attr)),
    /\{type=0x4d \/\* PERF_TYPE_\?\?\? \*\/, size=0x41 \/\* PERF_ATTR_SIZE_\?\?\? \*\/, config=0x1, sample_freq=4000, .*, freq=1, __reserved_1=0x5 \/\* Bits 63\.\.38 \*\/, \.\.\.\}\)/,
  );
  assert.equal(call('PERF_EVENT_IOC_MODIFY_ATTRIBUTES', M + 8n, new FakeMemory().map(M, attr)), `ioctl(-1, PERF_EVENT_IOC_MODIFY_ATTRIBUTES, 0x10000008)${EBADF}`);
  // room for 2 ids, 3 programs attached: the ids that fit
  const q = new FakeMemory().u32(M, 2, 3, 11, 12);
  assert.equal(call('PERF_EVENT_IOC_QUERY_BPF', M, q, 0), 'ioctl(-1, PERF_EVENT_IOC_QUERY_BPF, {ids_len=2, prog_cnt=3, ids=[11, 12]}) = 0');
  assert.equal(call('PERF_EVENT_IOC_QUERY_BPF', M, q), `ioctl(-1, PERF_EVENT_IOC_QUERY_BPF, {ids_len=2, ...})${EBADF}`);
});

test('TEE: sessions, shared memory, argument blocks checked against their length', () => {
  assert.equal(call('TEE_IOC_CANCEL', M, new FakeMemory().u32(M, 7, 0x10)), `ioctl(-1, TEE_IOC_CANCEL, {cancel_id=7, session=0x10})${EBADF}`);
  const shm = Buffer.alloc(16);
  shm.writeBigUInt64LE(4096n, 0);
  shm.writeUInt32LE(0x3, 8);
  assert.equal(call('TEE_IOC_SHM_ALLOC', M, new FakeMemory().map(M, shm)), `ioctl(-1, TEE_IOC_SHM_ALLOC, {size=0x1000, flags=TEE_IOCTL_SHM_MAPPED|TEE_IOCTL_SHM_DMA_BUF})${EBADF}`);

  const blk = Buffer.alloc(8 + 2 * 32);
  blk.writeUInt32LE(9, 0); // func
  blk.writeUInt32LE(2, 4); // num_params
  blk.writeBigUInt64LE(0x101n, 8); // VALUE_INPUT|META
  blk.writeBigUInt64LE(0x5n, 16);
  blk.writeBigUInt64LE(6n, 40); // MEMREF_OUTPUT
  blk.writeBigUInt64LE(0x20n, 48);
  blk.writeBigUInt64LE(0x40n, 56);
  blk.writeBigUInt64LE(3n, 64);
  const arg = Buffer.alloc(16);
  arg.writeBigUInt64LE(D, 0);
  arg.writeBigUInt64LE(BigInt(blk.length), 8);
  const mem = new FakeMemory().map(M, arg).map(D, blk);
  assert.equal(
    call('TEE_IOC_SUPPL_RECV', M, mem),
    `ioctl(-1, TEE_IOC_SUPPL_RECV, {buf_len=72, buf_ptr={func=9, num_params=2, params=[{attr=TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT|TEE_IOCTL_PARAM_ATTR_META, a=0x5, b=0, c=0}, {attr=TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT, shm_offs=0x20, size=0x40, shm_id=3}]}})${EBADF}`,
  );
  // a length that disagrees with num_params: the block is not trusted
  arg.writeBigUInt64LE(40n, 8);
  assert.equal(call('TEE_IOC_SUPPL_RECV', M, new FakeMemory().map(M, arg).map(D, blk)), `ioctl(-1, TEE_IOC_SUPPL_RECV, {buf_len=40, buf_ptr=0x20000000})${EBADF}`);

  const open = Buffer.alloc(56);
  Buffer.from('00112233445566778899aabbccddeeff', 'hex').copy(open, 0);
  open.writeUInt32LE(1000, 16); // clnt_uuid: a group id for the GROUP logins
  open.writeUInt32LE(2, 32); // TEE_IOCTL_LOGIN_GROUP
  const oa = Buffer.alloc(16);
  oa.writeBigUInt64LE(D, 0);
  oa.writeBigUInt64LE(56n, 8);
  assert.equal(
    call('TEE_IOC_OPEN_SESSION', M, new FakeMemory().map(M, oa).map(D, open)),
    `ioctl(-1, TEE_IOC_OPEN_SESSION, {buf_len=56, buf_ptr={uuid=00112233-4455-6677-8899-aabbccddeeff, clnt_login=TEE_IOCTL_LOGIN_GROUP, clnt_uuid=1000, cancel_id=0, num_params=0, params=[]}})${EBADF}`,
  );
});

test('device mapper: the header fields each command uses', () => {
  const dm = (fill: (b: Buffer) => void): FakeMemory => {
    const b = Buffer.alloc(305);
    b.writeUInt32LE(4, 0);
    b.writeUInt32LE(47, 4);
    b.writeUInt32LE(305, 12);
    b.writeBigUInt64LE(0x0803n, 40);
    b.write('vg-root', 48, 'latin1');
    fill(b);
    return new FakeMemory().map(M, b);
  };
  assert.equal(call('DM_DEV_STATUS', M, dm(() => {})), `ioctl(-1, DM_DEV_STATUS, [{version=[4, 47, 0], data_size=305, dev=makedev(0x8, 0x3), name="vg-root", flags=0}])${EBADF}`);
  assert.equal(
    call('DM_TABLE_LOAD', M, dm((b) => (b.writeUInt32LE(312, 16), b.writeUInt32LE(2, 20), b.writeUInt32LE(1, 28)))),
    `ioctl(-1, DM_TABLE_LOAD, [{version=[4, 47, 0], data_size=305, data_start=312, dev=makedev(0x8, 0x3), name="vg-root", target_count=2, flags=DM_READONLY_FLAG}, ...])${EBADF}`,
  );
  // suspending carries no event number, resuming does
  assert.match(call('DM_DEV_SUSPEND', M, dm((b) => b.writeUInt32LE(2, 28))), /name="vg-root", flags=DM_SUSPEND_FLAG\}\]\)/);
  assert.match(call('DM_DEV_SUSPEND', M, dm((b) => b.writeUInt32LE(9, 32))), /name="vg-root", event_nr=9, flags=0\}\]\)/);
  assert.equal(call('DM_VERSION', M, dm((b) => b.writeUInt32LE(5, 0))), `ioctl(-1, DM_VERSION, [{version=[5, 47, 0] /* unsupported device mapper ABI version */}])${EBADF}`);
  assert.equal(call('DM_VERSION', M, dm((b) => b.writeUInt32LE(20, 12))), `ioctl(-1, DM_VERSION, [{version=[4, 47, 0], data_size=20 /* data_size too small */}])${EBADF}`);
  // a size that does not cover the header's own first fields, or a short block: the address
  assert.equal(call('DM_VERSION', M, dm((b) => b.writeUInt32LE(0, 12))), `ioctl(-1, DM_VERSION, 0x10000000)${EBADF}`);
  assert.equal(call('DM_VERSION', M + 8n, dm(() => {})), `ioctl(-1, DM_VERSION, 0x10000008)${EBADF}`);
  // after a success, the header the kernel wrote back with the device's counters
  assert.equal(
    call('DM_DEV_STATUS', M, dm((b) => b.writeUInt32LE(3, 20)), 0),
    'ioctl(-1, DM_DEV_STATUS, [{version=[4, 47, 0], data_size=305, dev=makedev(0x8, 0x3), name="vg-root", flags=0}] => [{version=[4, 47, 0], data_size=305, dev=makedev(0x8, 0x3), name="vg-root", target_count=3, open_count=0, event_nr=0, flags=0}]) = 0',
  );
  // a 0xfd request that is not _IOWR(0xfd, nr, struct dm_ioctl): not decoded
  assert.equal(call(0x4004fdde, M), `ioctl(-1, _IOC(_IOC_WRITE, 0xfd, 0xde, 0x4), 0x10000000)${EBADF}`);
});

test('device mapper -v: target specs followed by `next`, messages and strings, misplaced data', () => {
  const load = (count: number, specs: [number, string, string, number][], size = 312 + 200): FakeMemory => {
    const b = Buffer.alloc(size);
    b.writeUInt32LE(4, 0);
    b.writeUInt32LE(size, 12);
    b.writeUInt32LE(312, 16);
    b.writeUInt32LE(count, 20);
    let off = 312;
    for (const [sector, type, params, next] of specs) {
      b.writeBigUInt64LE(BigInt(sector), off);
      b.writeBigUInt64LE(100n, off + 8);
      b.writeUInt32LE(next, off + 20);
      b.write(type, off + 24, 'latin1');
      b.write(params, off + 40, 'latin1');
      off += next;
    }
    return new FakeMemory().map(M, b);
  };
  const v = { verbose: true };
  const head = (n: number, size = 512): string => `[{version=[4, 0, 0], data_size=${size}, data_start=312, target_count=${n}, flags=0}`;
  assert.equal(
    call('DM_TABLE_LOAD', M, load(2, [[0, 'linear', '8:1 0', 56], [100, 'zero', '', 48]]), -9, v),
    `ioctl(-1, DM_TABLE_LOAD, ${head(2)}, {sector_start=0, length=100, target_type="linear", string="8:1 0"}, {sector_start=100, length=100, target_type="zero", string=""}])${EBADF}`,
  );
  assert.equal(call('DM_TABLE_LOAD', M, load(2, [[0, 'linear', '', 56]])), `ioctl(-1, DM_TABLE_LOAD, ${head(2)}, ...])${EBADF}`);
  // a next of 0 would loop over the same spec: the second is misplaced
  assert.match(call('DM_TABLE_LOAD', M, load(5, [[0, 'error', '', 0]]), -9, v), /string=""\}, \?\?\? \/\* misplaced struct dm_target_spec \*\/\]\)/);
  // more specs than -s: `...` after that many
  assert.match(call('DM_TABLE_LOAD', M, load(3, [[0, 'a', '', 48], [1, 'b', '', 48], [2, 'c', '', 48]]), -9, { verbose: true, strsize: 2 }), /target_type="b", string=""\}, \.\.\.\]\)/);

  const msg = Buffer.alloc(330);
  msg.writeUInt32LE(4, 0);
  msg.writeUInt32LE(330, 12);
  msg.writeUInt32LE(312, 16);
  msg.writeBigUInt64LE(7n, 312);
  msg.write('@cancel', 320, 'latin1');
  assert.match(call('DM_TARGET_MSG', M, new FakeMemory().map(M, msg), -9, v), /flags=0\}, \{sector=7, message="@cancel"\}\]\)/);
  msg.writeUInt32LE(325, 16); // the message block would end past data_size
  assert.match(call('DM_TARGET_MSG', M, new FakeMemory().map(M, msg), -9, v), /flags=0\}, \?\?\? \/\* misplaced struct dm_target_msg \*\/\]\)/);
  msg.writeUInt32LE(320, 16);
  assert.match(call('DM_DEV_RENAME', M, new FakeMemory().map(M, msg), -9, v), /event_nr=0, flags=0\}, \{string="@cancel"\}\]\)/);
  msg.writeUInt32LE(400, 16);
  assert.match(call('DM_DEV_SET_GEOMETRY', M, new FakeMemory().map(M, msg), -9, v), /flags=0\}, \?\?\? \/\* misplaced string \*\/\]\)/);
});

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const fixture = path.join(root, 'test/fixtures/bin/ioctl_devs');
/** The ioctl lines of a trace of the fixture, addresses and column padding normalised. */
function ioctlLines(cmd: string[], inject: boolean): string[] {
  const args = ['-e', 'trace=ioctl', ...(inject ? ['-e', 'inject=ioctl:retval=0'] : []), '--', fixture];
  const r = spawnSync(cmd[0]!, [...cmd.slice(1), ...args], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('ioctl('))
    .map((l) => l.replace(/0x7ff[0-9a-f]+/g, 'ADDR').replace(/ +=/, ' ='));
}
const utrace = ['node', path.join(root, 'bin/utrace.js'), 'strace'];
const haveStrace = spawnSync('strace', ['-V']).status === 0;

test('real tracee: SG_IO, device mapper, v4l2 and perf ioctls, failed and with success injected', () => {
  const failed = ioctlLines(utrace, false);
  assert.equal(failed.length, 6);
  assert.match(failed[0]!, /^ioctl\(-1, SG_IO, \{interface_id='S', dxfer_direction=SG_DXFER_FROM_DEV, cmd_len=6, cmdp="\\x12\\x00\\x00\\x00\\x24\\x00", .*dxferp="\\x61\\x62\\x63\\x64\\x65", .*resid=3, duration=0, info=0\}\) = -1 EBADF/);
  assert.equal(failed[4], 'ioctl(-1, VIDIOC_QUERYCAP, ADDR) = -1 EBADF (Bad file descriptor)');
  const ok = ioctlLines(utrace, true);
  assert.equal(ok[4], 'ioctl(-1, VIDIOC_QUERYCAP, {driver="fake", card="", bus_info="", version=KERNEL_VERSION(6, 1, 0), capabilities=V4L2_CAP_VIDEO_CAPTURE}) = 0 (INJECTED)');
  assert.equal(ok[5], 'ioctl(-1, PERF_EVENT_IOC_ID, [77]) = 0 (INJECTED)');
  assert.match(ok[1]!, / => \[\{version=\[4, 0, 0\], data_size=312, name="vg-root", target_count=0, open_count=0, event_nr=0, flags=0\}\]\) = 0 \(INJECTED\)$/);
});

test('real tracee: the same lines as strace prints', { skip: !haveStrace && 'strace not installed' }, () => {
  for (const inject of [false, true]) assert.deepEqual(ioctlLines(utrace, inject), ioctlLines(['strace'], inject));
});
