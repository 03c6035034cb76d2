// Table tests over fake tracee memory for io_uring_register (opcodes and their structs), bpf
// (field groups by size, the tail past the member, value-result fields, instructions and info
// structs) and perf_event_open (perf_event_attr by version, E2BIG's size). Expected lines are
// what strace 6.1 prints for the call. Plus the fuzzer over these decoders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ctx, type DecodeOptions } from '../../src/engines/strace/printer.js';
import { renderValue } from '../../src/engines/strace/render.js';
import { infoValue, insnValue } from '../../src/engines/strace/decoders/bpf-info.js';
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

test('bpf: commands by member, PROG_QUERY ids only after a success, LINK_CREATE by attach type', () => {
  const q = Buffer.alloc(28);
  q.writeInt32LE(-1, 0);
  q.writeUInt32LE(1, 8);
  q.writeBigUInt64LE(M + 0x100n, 16);
  q.writeUInt32LE(3, 24);
  const ids = Buffer.alloc(8);
  ids.writeUInt32LE(7, 0);
  ids.writeUInt32LE(9, 4);
  const k = Buffer.alloc(48);
  k.writeUInt32LE(42, 8);
  k.writeUInt32LE(1, 16);
  k.writeUInt32LE(2, 20);
  k.writeBigUInt64LE(M + 0x300n, 24);
  const syms = Buffer.alloc(16);
  syms.writeBigUInt64LE(M + 0x400n, 0);
  const mem = new FakeMemory().map(M, q).map(M + 0x100n, ids).map(M + 0x200n, k).map(M + 0x300n, syms).str(M + 0x400n, 'foo');
  const head = 'target_fd=-1, attach_type=BPF_CGROUP_INET_INGRESS, query_flags=BPF_F_QUERY_EFFECTIVE, attach_flags=0';
  assert.equal(line('bpf', [16, M, 28], -22, mem), `bpf(BPF_PROG_QUERY, {query={${head}, prog_ids=0x10000100, prog_cnt=3}}, 28) = -1 EINVAL (Invalid argument)`);
  assert.equal(line('bpf', [16, M, 28], 0, mem), `bpf(BPF_PROG_QUERY, {query={${head}, prog_ids=[7, 9, ... /* 0x10000108 */], prog_cnt=3}}, 28) = 0`);
  assert.equal(line('bpf', [28, M + 0x200n, 48], -22, mem), 'bpf(BPF_LINK_CREATE, {link_create={prog_fd=0</dev/null>, target_fd=0</dev/null>, attach_type=BPF_TRACE_KPROBE_MULTI, flags=0, kprobe_multi={flags=BPF_F_KPROBE_MULTI_RETURN, cnt=2, syms=["foo", NULL], addrs=NULL, cookies=NULL}}}, 48) = -1 EINVAL (Invalid argument)');
  // another attach type: what follows the common part is the tail
  k.writeUInt32LE(1, 8);
  const other = new FakeMemory().map(M, k);
  assert.equal(line('bpf', [28, M, 48], -22, other), 'bpf(BPF_LINK_CREATE, {link_create={prog_fd=0</dev/null>, target_fd=0</dev/null>, attach_type=BPF_CGROUP_INET_EGRESS, flags=0}, ...}, 48) = -1 EINVAL (Invalid argument)');
  assert.equal(line('bpf', [28, M, 20], -22, other), 'bpf(BPF_LINK_CREATE, {link_create={prog_fd=0</dev/null>, target_fd=0</dev/null>, attach_type=BPF_CGROUP_INET_EGRESS, flags=0, target_btf_id=1}}, 20) = -1 EINVAL (Invalid argument)');
  // 0x20 (BPF_F_XDP_HAS_FRAGS, 5.18) is past strace 6.1's prog_flags
  const p = Buffer.alloc(48);
  p.writeUInt32LE(0x21, 44);
  assert.equal(line('bpf', [5, M, 48], -22, new FakeMemory().map(M, p)), 'bpf(BPF_PROG_LOAD, {prog_type=BPF_PROG_TYPE_UNSPEC, insn_cnt=0, insns=NULL, license=NULL, log_level=0, log_size=0, log_buf=NULL, kern_version=KERNEL_VERSION(0, 0, 0), prog_flags=BPF_F_STRICT_ALIGNMENT|0x20}, 48) = -1 EINVAL (Invalid argument)');
});

test('bpf: eBPF instructions, map and program info', () => {
  const c = new Ctx('bpf', 1, 1, [], new FakeMemory());
  const insn = (code: number, regs: number, off: number, imm: number): string =>
    renderValue(insnValue(c, Buffer.from([code, regs, off & 0xff, (off >> 8) & 0xff, imm & 0xff, (imm >> 8) & 0xff, (imm >> 16) & 0xff, (imm >>> 24) & 0xff])));
  assert.equal(insn(0xb7, 0x01, 0, 0), '{code=BPF_ALU64|BPF_K|BPF_MOV, dst_reg=BPF_REG_1, src_reg=BPF_REG_0, off=0, imm=0}');
  assert.equal(insn(0x63, 0x1a, -4, 0), '{code=BPF_STX|BPF_W|BPF_MEM, dst_reg=BPF_REG_10, src_reg=BPF_REG_1, off=-4, imm=0}');
  assert.equal(insn(0x18, 0x11, 0, 5), '{code=BPF_LD|BPF_DW|BPF_IMM, dst_reg=BPF_REG_1, src_reg=BPF_REG_1, off=0, imm=0x5}');
  assert.equal(insn(0x95, 0xba, -8531, 0xbadc0ded), '{code=BPF_JMP|BPF_K|BPF_EXIT, dst_reg=BPF_REG_10, src_reg=0xb /* BPF_REG_??? */, off=-8531, imm=0xbadc0ded}');
  const map = Buffer.alloc(80);
  map.writeUInt32LE(2, 0);
  map.writeUInt32LE(256, 4);
  map.write('m', 24, 'latin1');
  assert.equal(renderValue(infoValue(c, 'map', map, map, 40)), '{type=BPF_MAP_TYPE_ARRAY, id=256, key_size=0, value_size=0, max_entries=0, map_flags=0, name="m"}');
  // program info: lengths the caller set show before => after, arrays the smaller count
  const before = Buffer.alloc(220);
  before.writeUInt32LE(1, 52);
  before.writeBigUInt64LE(M, 56);
  const after = Buffer.from(before);
  after.writeUInt32LE(2, 52);
  after.writeUInt32LE(82, 16);
  const m = new FakeMemory().u32(M, 265, 264);
  const c2 = new Ctx('bpf', 1, 1, [], m);
  c2.entering = false;
  const v = renderValue(infoValue(c2, 'prog', before, after, 64));
  assert.equal(v, '{type=BPF_PROG_TYPE_UNSPEC, id=0, tag="\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00", jited_prog_len=0 => 82, jited_prog_insns=NULL, xlated_prog_len=0, xlated_prog_insns=NULL, load_time=0, created_by_uid=0, nr_map_ids=1 => 2, map_ids=[265]}');
});

test('perf_event_open: abbreviated attr, -v fields by size, E2BIG size, addresses', () => {
  const a = Buffer.alloc(136);
  a.writeUInt32LE(3, 0);
  a.writeUInt32LE(112, 4);
  a.writeBigUInt64LE(0x01020207n, 8);
  a.writeBigUInt64LE(0x800n, 24);
  a.writeBigUInt64LE((1n << 10n) | (3n << 15n) | (1n << 25n) | (5n << 38n), 40);
  a.writeUInt32LE(11, 92);
  a.writeUInt16LE(0xefee, 110);
  const mem = new FakeMemory().map(M, a);
  const head = 'type=PERF_TYPE_HW_CACHE, size=PERF_ATTR_SIZE_VER5, config=0x1<<24|0x2 /* PERF_COUNT_HW_CACHE_RESULT_??? */<<16|PERF_COUNT_HW_CACHE_OP_PREFETCH<<8|0x7 /* PERF_COUNT_HW_CACHE_??? */, sample_freq=0, sample_type=PERF_SAMPLE_BRANCH_STACK, read_format=0';
  assert.equal(line('perf_event_open', [M, 0, -1, -1, 8], -22, mem), `perf_event_open({${head}, freq=1, precise_ip=3 /* must have 0 skid */, use_clockid=1, __reserved_1=0x5 /* Bits 63..38 */, ...}, 0, -1, -1, PERF_FLAG_FD_CLOEXEC) = -1 EINVAL (Invalid argument)`);
  const v = line('perf_event_open', [M, 0, -1, -1, 8], -22, mem, { verbose: true });
  assert.match(v, /, wakeup_events=0, config1=0, config2=0, branch_sample_type=0, sample_regs_user=0, clockid=CLOCK_TAI, sample_regs_intr=0, aux_watermark=0, sample_max_stack=0 \/\* bytes 110\.\.111: 0xefee \*\/\}, 0, -1/);
  // the kernel answers E2BIG with the size it supports
  class KernelWrites extends FakeMemory {
    private reads = 0;
    override readMemory(ad: bigint, len: number): Buffer | undefined {
      const r = super.readMemory(ad, len);
      if (++this.reads === 2) this.u32(M + 4n, 128);
      return r;
    }
  }
  a.writeUInt32LE(160, 4);
  const k = new KernelWrites().map(M, a);
  assert.match(line('perf_event_open', [M, 0, -1, -1, 0], -7, k), /^perf_event_open\(\{type=PERF_TYPE_HW_CACHE, size=0xa0 \/\* PERF_ATTR_SIZE_\?\?\? \*\/ => PERF_ATTR_SIZE_VER7, /);
  // smaller than the first version, unreadable, or -e verbose=none: the address
  a.writeUInt32LE(56, 4);
  assert.equal(line('perf_event_open', [M, 0, -1, -1, 0], -22, new FakeMemory().map(M, a)), 'perf_event_open(0x10000000, 0, -1, -1, 0) = -1 EINVAL (Invalid argument)');
  assert.equal(line('perf_event_open', [M + 0x1000n, 0, -1, -1, 0], -14, mem), 'perf_event_open(0x10001000, 0, -1, -1, 0) = -1 EFAULT (Bad address)');
  assert.equal(line('perf_event_open', [M, 0, -1, -1, 0], -22, mem, { notVerbose: true }), 'perf_event_open(0x10000000, 0, -1, -1, 0) = -1 EINVAL (Invalid argument)');
});

test('fuzzDecoders over io_uring_register, bpf and perf_event_open: no throw, bounded lines and reads', () => {
  const r = fuzzDecoders(6000, 20261207, ['io_uring_register', 'bpf', 'perf_event_open']);
  assert.deepEqual(r.failures, []);
});
