// Table tests over fake tracee memory for io_uring_register (opcodes and their structs) and
// bpf's attr reading (field groups by size, the tail past the member, value-result info_len).
// Expected lines are what strace 6.1 prints for the call. Plus the fuzzer over these decoders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DecodeOptions } from '../../src/engines/strace/printer.js';
import { fuzzDecoders } from './fuzz-decoders.js';
import { FakeMemory, formatCall } from './helpers.js';

const M = 0x10000000n;
const fdPath = (_pid: number, fd: number): string | undefined => (fd === 0 ? '/dev/null' : fd === 3 ? '/dev/full' : undefined);
const line = (name: string, args: (number | bigint)[], ret: number | bigint, mem: FakeMemory, opts: Partial<DecodeOptions> = {}): string =>
  formatCall({ name, args, ret, mem, opts: { fdPath, ...opts } }).replace(/\) +=/, ') =');
const EOPNOTSUPP = ' = -1 EOPNOTSUPP (Operation not supported)';

test('io_uring_register: fd, opcode names by -X style, nr_args unsigned, plain opcodes', () => {
  const none = new FakeMemory();
  assert.equal(line('io_uring_register', [0, 0xbadc0ded, M, 0xdeadbeef], -22, none), 'io_uring_register(0</dev/null>, 0xbadc0ded /* IORING_REGISTER_??? */, 0x10000000, 3735928559) = -1 EINVAL (Invalid argument)');
  assert.equal(line('io_uring_register', [0, 1, M, 3], -95, none), `io_uring_register(0</dev/null>, IORING_UNREGISTER_BUFFERS, 0x10000000, 3)${EOPNOTSUPP}`);
  assert.equal(line('io_uring_register', [0, 1, M, 3], -95, none, { xlat: 'verbose' }), `io_uring_register(0</dev/null>, 0x1 /* IORING_UNREGISTER_BUFFERS */, 0x10000000, 3)${EOPNOTSUPP}`);
  assert.equal(line('io_uring_register', [0, 1, M, 3], -95, none, { xlat: 'raw' }), `io_uring_register(0</dev/null>, 0x1, 0x10000000, 3)${EOPNOTSUPP}`);
  // 24 (SYNC_CANCEL, kernel 6.1) is past strace 6.1's table
  assert.equal(line('io_uring_register', [0, 24, 0, 0], -95, none), `io_uring_register(0</dev/null>, 0x18 /* IORING_REGISTER_??? */, NULL, 0)${EOPNOTSUPP}`);
});

test('io_uring_register: descriptor arrays, files_update with FILES_SKIP, buffers as addresses', () => {
  const fds = Buffer.alloc(16);
  [3, 0, -1, -2].forEach((v, i) => fds.writeInt32LE(v, i * 4));
  const upd = Buffer.alloc(16);
  upd.writeUInt32LE(7, 0);
  upd.writeBigUInt64LE(M + 0x100n, 8);
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(0xfacefeedn, 0);
  iov.writeBigUInt64LE(10n, 8);
  const mem = new FakeMemory().map(M + 0x100n, fds).map(M + 0x200n, upd).map(M + 0x300n, iov);
  assert.equal(line('io_uring_register', [0, 2, M + 0x100n, 4], -95, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_FILES, [3</dev/full>, 0</dev/null>, -1, -2], 4)${EOPNOTSUPP}`);
  assert.equal(line('io_uring_register', [0, 6, M + 0x200n, 4], -95, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_FILES_UPDATE, {offset=7, fds=[3</dev/full>, 0</dev/null>, -1, IORING_REGISTER_FILES_SKIP]}, 4)${EOPNOTSUPP}`);
  assert.equal(line('io_uring_register', [0, 6, M + 0x200n, 4], -95, mem, { xlat: 'verbose' }), `io_uring_register(0</dev/null>, 0x6 /* IORING_REGISTER_FILES_UPDATE */, {offset=7, fds=[3</dev/full>, 0</dev/null>, -1, -2 /* IORING_REGISTER_FILES_SKIP */]}, 4)${EOPNOTSUPP}`);
  // the fifth descriptor is past the mapping
  assert.equal(line('io_uring_register', [0, 4, M + 0x100n, 5], -95, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_EVENTFD, [3</dev/full>, 0</dev/null>, -1, -2, ... /* 0x10000110 */], 5)${EOPNOTSUPP}`);
  assert.equal(line('io_uring_register', [0, 0, M + 0x300n, 1], -95, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_BUFFERS, [{iov_base=0xfacefeed, iov_len=10}], 1)${EOPNOTSUPP}`);
});

test('io_uring_register: probe is entry => exit, or shown once at exit when zeroed', () => {
  const p = Buffer.alloc(16 + 8 * 2);
  p[0] = 1;
  p[1] = 3;
  p.writeUInt32LE(0xffffffff, 8);
  p[16] = 46;
  p.writeUInt16LE(1, 18);
  p[24] = 47;
  p[25] = 0xaf;
  p.writeUInt16LE(0xbeef, 26);
  const mem = new FakeMemory().map(M, p).map(M + 0x100n, Buffer.alloc(16 + 8));
  const body = '{last_op=IORING_OP_READV, ops_len=3, resv2=[0, 0xffffffff, 0], ops=[{op=IORING_OP_URING_CMD, flags=IO_URING_OP_SUPPORTED}, {op=47 /* IORING_OP_??? */, resv=0xaf, flags=IO_URING_OP_SUPPORTED|0xbeee}';
  assert.equal(line('io_uring_register', [0, 8, M, 2], -95, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_PROBE, ${body}]}, 2)${EOPNOTSUPP}`);
  // ops_len 3 > nr_args 2: the kernel knows more than was asked
  assert.equal(line('io_uring_register', [0, 8, M, 2], 0, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_PROBE, ${body}]} => ${body}, ...]}, 2) = 0`);
  assert.equal(line('io_uring_register', [0, 8, M + 0x100n, 1], -95, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_PROBE, 0x10000100, 1)${EOPNOTSUPP}`);
  assert.equal(line('io_uring_register', [0, 8, M + 0x100n, 1], 0, mem), 'io_uring_register(0</dev/null>, IORING_REGISTER_PROBE, {last_op=IORING_OP_NOP, ops_len=0, ops=[]}, 1) = 0');
  // more ops than exist, or unreadable: the address
  assert.equal(line('io_uring_register', [0, 8, M, 0xfacefeed], -95, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_PROBE, 0x10000000, 4207869677)${EOPNOTSUPP}`);
});

test('io_uring_register: restrictions, rsrc register/update2 with tails, max workers, ring fds, pbuf', () => {
  const r = Buffer.alloc(48);
  r.writeUInt16LE(0, 0);
  r[2] = 23;
  r.writeUInt16LE(2, 16);
  r[18] = 0xc0;
  r.writeUInt32LE(5, 24);
  r.writeUInt16LE(4, 32);
  r[34] = 0xef;
  const reg = Buffer.alloc(40);
  reg.writeUInt32LE(1, 0);
  reg.writeUInt32LE(3, 4);
  reg.writeBigUInt64LE(M + 0x200n, 16);
  reg[39] = 0xa7;
  const fd3 = Buffer.alloc(4);
  fd3.writeInt32LE(3, 0);
  const upd2 = Buffer.alloc(32);
  upd2.writeUInt32LE(9, 0);
  upd2.writeBigUInt64LE(M + 0x200n, 8);
  upd2.writeUInt32LE(1, 24);
  upd2.writeUInt32LE(0xfacecafe, 28);
  const w = Buffer.alloc(12);
  [0, 1, 7].forEach((v, i) => w.writeUInt32LE(v, i * 4));
  const ring = Buffer.alloc(32);
  ring.writeUInt32LE(0xffffffff, 0);
  ring.writeBigUInt64LE(0xbadc0ded00000003n, 8);
  ring.writeUInt32LE(2, 16);
  ring.writeUInt32LE(0x5050505, 20);
  const buf = Buffer.alloc(40);
  buf.writeUInt32LE(8, 8);
  buf.writeUInt16LE(42, 12);
  buf.writeBigUInt64LE(0xdeadn, 24);
  const mem = new FakeMemory().map(M, r).map(M + 0x100n, reg).map(M + 0x200n, fd3).map(M + 0x300n, upd2)
    .map(M + 0x400n, w).map(M + 0x500n, ring).map(M + 0x600n, buf);
  assert.equal(line('io_uring_register', [0, 11, M, 3], -95, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_RESTRICTIONS, [{opcode=IORING_RESTRICTION_REGISTER_OP, register_op=IORING_UNREGISTER_PBUF_RING}, {opcode=IORING_RESTRICTION_SQE_FLAGS_ALLOWED, sqe_flags=IOSQE_CQE_SKIP_SUCCESS|0x80, resv2=[0, 0x5, 0]}, {opcode=0x4 /* IORING_RESTRICTION_??? */ /* op: 0xef */}], 3)${EOPNOTSUPP}`);
  assert.equal(line('io_uring_register', [0, 13, M + 0x100n, 40], -95, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_FILES2, {nr=1, flags=IORING_RSRC_REGISTER_SPARSE|0x2, data=[3</dev/full>], tags=NULL, /* bytes 32..39 */ "\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xa7"}, 40)${EOPNOTSUPP}`);
  assert.equal(line('io_uring_register', [0, 13, M + 0x100n, 48], -95, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_FILES2, {nr=1, flags=IORING_RSRC_REGISTER_SPARSE|0x2, data=[3</dev/full>], tags=NULL, ???}, 48)${EOPNOTSUPP}`);
  assert.equal(line('io_uring_register', [0, 13, M + 0x100n, 24], -95, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_FILES2, 0x10000100, 24)${EOPNOTSUPP}`);
  assert.equal(line('io_uring_register', [0, 14, M + 0x300n, 32], -95, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_FILES_UPDATE2, {offset=9, data=[3</dev/full>], tags=NULL, nr=1, resv2=0xfacecafe}, 32)${EOPNOTSUPP}`);
  const workers = '[[IO_WQ_BOUND]=0, [IO_WQ_UNBOUND]=1, [2 /* IO_WQ_??? */]=7]';
  assert.equal(line('io_uring_register', [0, 19, M + 0x400n, 3], -95, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_IOWQ_MAX_WORKERS, ${workers} => 0x10000400, 3)${EOPNOTSUPP}`);
  assert.equal(line('io_uring_register', [0, 19, M + 0x400n, 3], 0, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_IOWQ_MAX_WORKERS, ${workers} => ${workers}, 3) = 0`);
  assert.equal(line('io_uring_register', [0, 19, M + 0x400n, 3], 0, mem, { xlat: 'raw' }), 'io_uring_register(0</dev/null>, 0x13, [[0]=0, [1]=1, [2]=7] => [[0]=0, [1]=1, [2]=7], 3) = 0');
  assert.equal(line('io_uring_register', [0, 20, M + 0x500n, 2], -95, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_RING_FDS, [{offset=-1, data=3</dev/full>}, {offset=2, resv=0x5050505, data=0</dev/null>}], 2)${EOPNOTSUPP}`);
  assert.equal(line('io_uring_register', [0, 21, M + 0x500n, 2], -95, mem), `io_uring_register(0</dev/null>, IORING_UNREGISTER_RING_FDS, [{offset=4294967295, data=0xbadc0ded00000003}, {offset=2, resv=0x5050505}], 2)${EOPNOTSUPP}`);
  assert.equal(line('io_uring_register', [0, 22, M + 0x600n, 1], -95, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_PBUF_RING, {ring_addr=NULL, ring_entries=8, bgid=42, resv=[0, 0xdead, 0]}, 1)${EOPNOTSUPP}`);
  assert.equal(line('io_uring_register', [0, 17, M + 0x400n, 5], -95, mem), `io_uring_register(0</dev/null>, IORING_REGISTER_IOWQ_AFF, [32], 5)${EOPNOTSUPP}`);
});

test('bpf: MAP_CREATE field groups by size, NUMA node only with its flag, name without NUL', () => {
  const a = Buffer.alloc(80);
  a.writeUInt32LE(2, 0);
  a.writeUInt32LE(4, 4);
  a.writeUInt32LE(8, 8);
  a.writeUInt32LE(1, 12);
  a.writeUInt32LE(4 | 0x8000, 16);
  a.writeInt32LE(3, 20);
  a.writeUInt32LE(0xffffffff, 24);
  a.write('0123456789abcdef', 28, 'latin1');
  a.writeBigUInt64LE(5n, 64);
  a[79] = 1;
  const mem = new FakeMemory().map(M, a);
  const g1 = 'map_type=BPF_MAP_TYPE_ARRAY, key_size=4, value_size=8, max_entries=1';
  // only 4 bytes given: the rest of the first group reads as zeros
  assert.equal(line('bpf', [0, M, 4], -22, mem), 'bpf(BPF_MAP_CREATE, {map_type=BPF_MAP_TYPE_ARRAY, key_size=0, value_size=0, max_entries=0}, 4) = -1 EINVAL (Invalid argument)');
  assert.equal(line('bpf', [0, M, 36], -22, mem), `bpf(BPF_MAP_CREATE, {${g1}, map_flags=BPF_F_NUMA_NODE|0x8000, inner_map_fd=3</dev/full>, numa_node=4294967295 /* NUMA_NO_NODE */, map_name="0123456"...}, 36) = -1 EINVAL (Invalid argument)`);
  const all = `${g1}, map_flags=BPF_F_NUMA_NODE|0x8000, inner_map_fd=3</dev/full>, numa_node=4294967295 /* NUMA_NO_NODE */, map_name="0123456789abcde"..., map_ifindex=0, btf_fd=0</dev/null>, btf_key_type_id=0, btf_value_type_id=0, btf_vmlinux_value_type_id=0, map_extra=5`;
  assert.equal(line('bpf', [0, M, 72], 3, mem), `bpf(BPF_MAP_CREATE, {${all}}, 72) = 3</dev/full>`);
  assert.equal(line('bpf', [0, M, 80], -7, mem), `bpf(BPF_MAP_CREATE, {${all}, ...}, 80) = -1 E2BIG (Argument list too long)`);
  // unreadable, empty or bigger than a page: the address
  assert.equal(line('bpf', [0, M + 8n, 80], -14, mem), 'bpf(BPF_MAP_CREATE, 0x10000008, 80) = -1 EFAULT (Bad address)');
  assert.equal(line('bpf', [0, M, 0], -22, mem), 'bpf(BPF_MAP_CREATE, 0x10000000, 0) = -1 EINVAL (Invalid argument)');
  assert.equal(line('bpf', [0, M, 4097], -7, mem), 'bpf(BPF_MAP_CREATE, 0x10000000, 4097) = -1 E2BIG (Argument list too long)');
  // an injected value no int holds is no descriptor
  assert.equal(line('bpf', [0, 0, 256], 0xbadc0de1e55beefn, mem), 'bpf(BPF_MAP_CREATE, NULL, 256) = 841540765612359407');
});

test('bpf: OBJ_GET_INFO_BY_FD shows info_len before => after at exit', () => {
  const a = Buffer.alloc(16);
  a.writeInt32LE(3, 0);
  a.writeUInt32LE(152, 4);
  a.writeBigUInt64LE(M + 0x100n, 8);
  const mem = new FakeMemory().map(M, a);
  assert.equal(line('bpf', [15, M, 16], -9, mem), 'bpf(BPF_OBJ_GET_INFO_BY_FD, {info={bpf_fd=3</dev/full>, info_len=152, info=0x10000100}}, 16) = -1 EBADF (Bad file descriptor)');
  // the kernel writes the length it filled in after the entry read
  class KernelWrites extends FakeMemory {
    private reads = 0;
    override readMemory(ad: bigint, len: number): Buffer | undefined {
      const r = super.readMemory(ad, len);
      if (++this.reads === 1) this.map(M + 4n, Buffer.from([104, 0, 0, 0]));
      return r;
    }
  }
  const k = new KernelWrites().map(M, a);
  assert.equal(line('bpf', [15, M, 16], 0, k), 'bpf(BPF_OBJ_GET_INFO_BY_FD, {info={bpf_fd=3</dev/full>, info_len=152 => 104, info=0x10000100}}, 16) = 0');
});

test('fuzzDecoders over io_uring_register and bpf: no throw, bounded lines and reads', () => {
  const r = fuzzDecoders(4000, 20261207, ['io_uring_register', 'bpf']);
  assert.deepEqual(r.failures, []);
});
