// Table tests for the decoders that replaced raw printing of sched_*attr, kexec, futex_waitv,
// vmsplice, native AIO, quotactl, io_uring_setup/enter, sendmmsg/recvmmsg and bpf; expected lines
// are what strace 6.1 prints for the call. Plus the fuzzer over just these decoders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DECODERS } from '../../src/engines/strace/decoders/index.js';
import { StraceFilter } from '../../src/engines/strace/filter.js';
import type { DecodeOptions } from '../../src/engines/strace/printer.js';
import { fuzzDecoders } from './fuzz-decoders.js';
import { FakeMemory, formatCall } from './helpers.js';

const M = 0x10000000n;
type Case = [string, (number | bigint)[], number | bigint | undefined, string, Partial<DecodeOptions>?];

function runCases(mem: FakeMemory, cases: readonly Case[]): void {
  for (const [name, args, ret, want, opts] of cases) {
    const line = formatCall({ name, args, ret, mem, opts: opts ?? {} }).replace(/\) +=/, ') =');
    assert.equal(line, want);
  }
}

test('sched_setattr / sched_getattr: sizes, kept fields, E2BIG', () => {
  const attr = Buffer.alloc(56);
  attr.writeUInt32LE(56, 0);
  attr.writeBigUInt64LE(1n, 8);
  attr.writeBigUInt64LE(1400000n, 24);
  const keep = Buffer.from(attr);
  keep.writeBigUInt64LE(0x10n, 8);
  const small = Buffer.from(attr);
  small.writeUInt32LE(1, 0);
  const mem = new FakeMemory().map(M, attr).map(M + 0x100n, keep).map(M + 0x200n, small);
  runCases(mem, [
    ['sched_setattr', [0, M, 0], 0, 'sched_setattr(0, {size=56, sched_policy=SCHED_OTHER, sched_flags=SCHED_FLAG_RESET_ON_FORK, sched_nice=0, sched_priority=0, sched_runtime=1400000, sched_deadline=0, sched_period=0, sched_util_min=0, sched_util_max=0}, 0) = 0'],
    ['sched_setattr', [0, M + 0x100n, 0], -22, 'sched_setattr(0, {size=56, sched_flags=SCHED_FLAG_KEEP_PARAMS, sched_util_min=0, sched_util_max=0}, 0) = -1 EINVAL (Invalid argument)'],
    ['sched_setattr', [0, M + 0x200n, 0], -7, 'sched_setattr(0, {size=1} => {size=1}, 0) = -1 E2BIG (Argument list too long)'],
    ['sched_setattr', [0, M + 0x1000n, 0], -14, 'sched_setattr(0, 0x10001000, 0) = -1 EFAULT (Bad address)'],
    ['sched_getattr', [0, M, 48, 0], 0, 'sched_getattr(0, {size=56, sched_policy=SCHED_OTHER, sched_flags=SCHED_FLAG_RESET_ON_FORK, sched_nice=0, sched_priority=0, sched_runtime=1400000, sched_deadline=0, sched_period=0}, 48, 0) = 0'],
    ['sched_getattr', [-1n, M, 0xdefacedcafef00dn, 0xdeadc0den], -22, 'sched_getattr(-1, 0x10000000, 3405705229, 3735929054) = -1 EINVAL (Invalid argument)'],
  ]);
});

test('kexec_load, kexec_file_load, futex_waitv, vmsplice', () => {
  const seg = Buffer.alloc(32);
  seg.writeBigUInt64LE(0x1000n, 0);
  seg.writeBigUInt64LE(16n, 8);
  const waiter = Buffer.alloc(24);
  waiter.writeBigUInt64LE(5n, 0);
  waiter.writeBigUInt64LE(M + 0x100n, 8);
  waiter.writeUInt32LE(0x82, 16);
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(M + 0x300n, 0);
  iov.writeBigUInt64LE(3n, 8);
  const mem = new FakeMemory().map(M, seg).map(M + 0x100n, waiter).map(M + 0x200n, iov).str(M + 0x300n, 'abc');
  runCases(mem, [
    ['kexec_load', [0, 0, 0, 0xbadc0dedda7a1054n], -38, 'kexec_load(NULL, 0, NULL, 0xda7a0000 /* KEXEC_ARCH_??? */|0xbadc0ded00001054 /* KEXEC_??? */) = -1 ENOSYS (Function not implemented)'],
    ['kexec_load', [0x1000, 1, M, 0x2a0003], -38, 'kexec_load(0x1000, 1, [{buf=0x1000, bufsz=16, mem=NULL, memsz=0}], KEXEC_ARCH_SH|KEXEC_ON_CRASH|KEXEC_PRESERVE_CONTEXT) = -1 ENOSYS (Function not implemented)'],
    ['kexec_load', [0x1000, 17, M, 0], -38, 'kexec_load(0x1000, 17, 0x10000000, KEXEC_ARCH_DEFAULT) = -1 ENOSYS (Function not implemented)'],
    ['kexec_file_load', [3, -1n, 3, M + 0x300n, 0xfn], -38, 'kexec_file_load(3, -1, 3, "abc", KEXEC_FILE_UNLOAD|KEXEC_FILE_ON_CRASH|KEXEC_FILE_NO_INITRAMFS|0x8) = -1 ENOSYS (Function not implemented)'],
    ['futex_waitv', [M + 0x100n, 2, 0, 0, 1], -14, 'futex_waitv([{val=0x5, uaddr=0x10000100, flags=FUTEX_32|FUTEX_PRIVATE_FLAG}, ... /* 0x10000118 */], 2, 0, NULL, CLOCK_MONOTONIC) = -1 EFAULT (Bad address)'],
    ['futex_waitv', [0, 1, 0xffffffff, 0, 0xffffffff], -22, 'futex_waitv(NULL, 1, 0xffffffff, NULL, 0xffffffff /* CLOCK_??? */) = -1 EINVAL (Invalid argument)'],
    ['vmsplice', [1, M + 0x200n, 1, 2], 3, 'vmsplice(1, [{iov_base="abc", iov_len=3}], 1, SPLICE_F_NONBLOCK) = 3'],
  ]);
});

test('native AIO: io_setup, io_submit, io_getevents, io_cancel, io_pgetevents', () => {
  const cb = Buffer.alloc(64);
  cb.writeBigUInt64LE(0xfeedn, 0);
  cb.writeUInt16LE(1, 16); // IOCB_CMD_PWRITE
  cb.writeInt16LE(-16657, 18);
  cb.writeBigUInt64LE(M + 0x300n, 24);
  cb.writeBigUInt64LE(3n, 32);
  cb.writeUInt32LE(3, 56); // RESFD|IOPRIO
  cb.writeInt32LE(7, 60);
  const ptrs = Buffer.alloc(24);
  ptrs.writeBigUInt64LE(M, 0);
  ptrs.writeBigUInt64LE(0n, 8);
  ptrs.writeBigUInt64LE(0xffffffffffffffffn, 16);
  const ev = Buffer.alloc(32);
  ev.writeBigUInt64LE(0xfeedn, 0);
  ev.writeBigUInt64LE(M, 8);
  ev.writeBigInt64LE(3n, 16);
  const sig = Buffer.alloc(16);
  sig.writeBigUInt64LE(M + 0x400n, 0);
  sig.writeBigUInt64LE(8n, 8);
  const mem = new FakeMemory().map(M, cb).map(M + 0x100n, ptrs).map(M + 0x200n, ev).str(M + 0x300n, 'abc')
    .u64(M + 0x400n, 0n).map(M + 0x500n, sig).u64(M + 0x600n, 0x7f00n);
  runCases(mem, [
    ['io_setup', [2, M + 0x600n], 0, 'io_setup(2, [0x7f00]) = 0'],
    ['io_setup', [0xdeadbeef, 0], -14, 'io_setup(3735928559, NULL) = -1 EFAULT (Bad address)'],
    ['io_submit', [0x7f00, 3, M + 0x100n], 1, 'io_submit(0x7f00, 3, [{aio_data=0xfeed, aio_lio_opcode=IOCB_CMD_PWRITE, aio_reqprio=IOPRIO_PRIO_VALUE(0x5 /* IOPRIO_CLASS_??? */, 7919), aio_fildes=0, aio_buf="abc", aio_nbytes=3, aio_offset=0, aio_flags=IOCB_FLAG_RESFD|IOCB_FLAG_IOPRIO, aio_resfd=7}, NULL, 0xffffffffffffffff]) = 1'],
    ['io_submit', [0x7f00, -1n, M + 0x100n], -22, 'io_submit(0x7f00, -1, 0x10000100) = -1 EINVAL (Invalid argument)'],
    ['io_getevents', [0x7f00, 1, 2, M + 0x200n, 0], 1, 'io_getevents(0x7f00, 1, 2, [{data=0xfeed, obj=0x10000000, res=3, res2=0}], NULL) = 1'],
    ['io_cancel', [0x7f00, M, M + 0x200n], -22, 'io_cancel(0x7f00, {aio_data=0xfeed, aio_lio_opcode=IOCB_CMD_PWRITE, aio_reqprio=IOPRIO_PRIO_VALUE(0x5 /* IOPRIO_CLASS_??? */, 7919), aio_fildes=0}, 0x10000200) = -1 EINVAL (Invalid argument)'],
    ['io_pgetevents', [0x7f00, 0, 0, 0, 0, M + 0x500n], -22, 'io_pgetevents(0x7f00, 0, 0, NULL, NULL, {sigmask=[], sigsetsize=8}) = -1 EINVAL (Invalid argument)'],
  ]);
});

test('quotactl and quotactl_fd: QCMD, ids, the structures per subcommand', () => {
  const dq = Buffer.alloc(160, 0xff);
  const info = Buffer.alloc(24);
  info.writeUInt32LE(0x10001, 16);
  info.writeUInt32LE(4, 20);
  const mem = new FakeMemory().str(M, '/dev/sda1').map(M + 0x100n, dq).map(M + 0x200n, info).u32(M + 0x300n, 2);
  const raw = { xlat: 'raw' } as const;
  const verbose = { verbose: true } as const;
  runCases(mem, [
    ['quotactl', [0xbadc0ded, 0, 0xca7faced, 0], -22, 'quotactl(QCMD(0xbadc0d /* Q_??? */, 0xed /* ???QUOTA */), NULL, 3397364973, NULL) = -1 EINVAL (Invalid argument)'],
    ['quotactl', [0x80000200, M, 1, M], -2, 'quotactl(QCMD(Q_QUOTAON, USRQUOTA), "/dev/sda1", QFMT_VFS_OLD, "/dev/sda1") = -1 ENOENT (No such file or directory)'],
    ['quotactl', [0x80000200, M, 1, M], -2, 'quotactl(2147484160, "/dev/sda1", 0x1, "/dev/sda1") = -1 ENOENT (No such file or directory)', raw],
    ['quotactl', [0x80000301, M], 0, 'quotactl(QCMD(Q_QUOTAOFF, GRPQUOTA), "/dev/sda1") = 0'],
    ['quotactl', [0x80000700, M, -1n, M + 0x100n], 0, 'quotactl(QCMD(Q_GETQUOTA, USRQUOTA), "/dev/sda1", -1, {dqb_bhardlimit=18446744073709551615, dqb_bsoftlimit=18446744073709551615, dqb_curspace=18446744073709551615, dqb_ihardlimit=18446744073709551615, dqb_isoftlimit=18446744073709551615, dqb_curinodes=18446744073709551615, ...}) = 0'],
    ['quotactl', [0x80000900, M, 0, M + 0x100n], 0, 'quotactl(QCMD(Q_GETNEXTQUOTA, USRQUOTA), "/dev/sda1", 0, {dqb_bhardlimit=18446744073709551615, dqb_bsoftlimit=18446744073709551615, dqb_curspace=18446744073709551615, dqb_ihardlimit=18446744073709551615, dqb_isoftlimit=18446744073709551615, dqb_curinodes=18446744073709551615, dqb_btime=18446744073709551615, dqb_itime=18446744073709551615, dqb_valid=QIF_BLIMITS|QIF_SPACE|QIF_ILIMITS|QIF_INODES|QIF_BTIME|QIF_ITIME|0xffffffc0, dqb_id=4294967295}) = 0', verbose],
    ['quotactl', [0x80000501, M, 0, M + 0x200n], 0, 'quotactl(QCMD(Q_GETINFO, GRPQUOTA), "/dev/sda1", {dqi_bgrace=0, dqi_igrace=0, dqi_flags=DQF_ROOT_SQUASH|DQF_SYS_FILE, dqi_valid=IIF_FLAGS}) = 0'],
    ['quotactl', [0x80000401, M, 0, M + 0x300n], 0, 'quotactl(QCMD(Q_GETFMT, GRPQUOTA), "/dev/sda1", [QFMT_VFS_V0]) = 0'],
    ['quotactl', [0x580100, M, 0, M + 0x300n], 0, 'quotactl(QCMD(Q_XQUOTAON, USRQUOTA), "/dev/sda1", [FS_QUOTA_UDQ_ENFD]) = 0'],
    ['quotactl', [0x580500, M, 0, M + 0x100n], 0, 'quotactl(QCMD(Q_XGETQSTAT, USRQUOTA), "/dev/sda1", {qs_version=-1, ...}) = 0'],
    ['quotactl_fd', [3, 0x80000100, 0, 0], 0, 'quotactl_fd(3, QCMD(Q_SYNC, USRQUOTA)) = 0'],
  ]);
});

test('io_uring_setup, io_uring_enter', () => {
  const p = Buffer.alloc(120);
  p.writeUInt32LE(2, 0);
  p.writeUInt32LE(4, 4);
  p.writeUInt32LE(3, 20);
  p.writeUInt32LE(4, 44);
  const attach = Buffer.alloc(120);
  attach.writeUInt32LE(0x20, 8);
  attach.writeInt32LE(3, 24);
  const mem = new FakeMemory().map(M, p).map(M + 0x100n, attach);
  runCases(mem, [
    ['io_uring_setup', [2, M], 4, 'io_uring_setup(2, {flags=0, sq_thread_cpu=0, sq_thread_idle=0, sq_entries=2, cq_entries=4, features=IORING_FEAT_SINGLE_MMAP|IORING_FEAT_NODROP, sq_off={head=0, tail=4, ring_mask=0, ring_entries=0, flags=0, dropped=0, array=0}, cq_off={head=0, tail=0, ring_mask=0, ring_entries=0, overflow=0, cqes=0, flags=0}}) = 4'],
    ['io_uring_setup', [2, M + 0x100n], -22, 'io_uring_setup(2, {flags=IORING_SETUP_ATTACH_WQ, sq_thread_cpu=0, sq_thread_idle=0, wq_fd=3}) = -1 EINVAL (Invalid argument)'],
    ['io_uring_setup', [0xffffffff, 0], -14, 'io_uring_setup(4294967295, NULL) = -1 EFAULT (Bad address)'],
    ['io_uring_enter', [3, 1, 2, 0xffffffff, 0, 8], -22, 'io_uring_enter(3, 1, 2, IORING_ENTER_GETEVENTS|IORING_ENTER_SQ_WAKEUP|IORING_ENTER_SQ_WAIT|IORING_ENTER_EXT_ARG|IORING_ENTER_REGISTERED_RING|0xffffffe0, NULL, 8) = -1 EINVAL (Invalid argument)'],
  ]);
});

test('sendmmsg / recvmmsg: msg_len, data cut at msg_len, names, the timeout left', () => {
  // Two mmsghdrs at M, each with one iovec at M+0x100/0x110 over "abcdef" at M+0x200.
  const v = Buffer.alloc(128);
  for (let i = 0; i < 2; i++) {
    v.writeBigUInt64LE(M + 0x100n + BigInt(i * 16), i * 64 + 16);
    v.writeBigUInt64LE(1n, i * 64 + 24);
    v.writeUInt32LE(i === 0 ? 6 : 2, i * 64 + 56);
  }
  const iov = Buffer.alloc(32);
  iov.writeBigUInt64LE(M + 0x200n, 0);
  iov.writeBigUInt64LE(6n, 8);
  iov.writeBigUInt64LE(M + 0x200n, 16);
  iov.writeBigUInt64LE(6n, 24);
  const ts = Buffer.alloc(16);
  ts.writeBigUInt64LE(5n, 8);
  const mem = new FakeMemory().map(M, v).map(M + 0x100n, iov).str(M + 0x200n, 'abcdef').map(M + 0x300n, ts);
  const hdr = 'msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="abcdef", iov_len=6}], msg_iovlen=1, msg_controllen=0, msg_flags=0';
  runCases(mem, [
    ['sendmmsg', [3, M, 2, 0x4000], 1, `sendmmsg(3, [{msg_hdr={${hdr}}, msg_len=6}, {msg_hdr={${hdr}}}], 2, MSG_NOSIGNAL) = 1`],
    ['sendmmsg', [-1n, M, 2, 0], -9, `sendmmsg(-1, [{msg_hdr={${hdr}}}, {msg_hdr={${hdr}}}], 2, 0) = -1 EBADF (Bad file descriptor)`],
    ['recvmmsg', [3, M, 2, 0, M + 0x300n], 2, `recvmmsg(3, [{msg_hdr={${hdr}}, msg_len=6}, {msg_hdr={msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="ab", iov_len=6}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, msg_len=2}], 2, 0, {tv_sec=0, tv_nsec=5}) = 2 (left {tv_sec=0, tv_nsec=5})`],
    ['recvmmsg', [3, M, 2, 0, 0], -11, 'recvmmsg(3, 0x10000000, 2, 0, NULL) = -1 EAGAIN (Resource temporarily unavailable)'],
    // -e verbose=none: vectors and the timeout stay addresses, and no time left is shown.
    ['sendmmsg', [3, M, 2, 0x4000], 1, 'sendmmsg(3, 0x10000000, 2, MSG_NOSIGNAL) = 1', { notVerbose: true }],
    ['recvmmsg', [3, M, 2, 0, M + 0x300n], 2, 'recvmmsg(3, 0x10000000, 2, 0, 0x10000300) = 2', { notVerbose: true }],
  ]);
});

test('bpf: commands, BPF_PROG_LOAD fields up to the given size, unknown tail', () => {
  const attr = Buffer.alloc(136);
  attr.writeUInt32LE(0x20, 0);
  attr.writeUInt32LE(0xcafef00d, 40);
  attr.write('x', 48, 'latin1');
  attr.writeUInt8(0xa0, 128);
  const mem = new FakeMemory().map(M, attr);
  const tail = 'prog_flags=0, prog_name="x", prog_ifindex=0, expected_attach_type=BPF_CGROUP_INET_INGRESS, prog_btf_fd=0, func_info_rec_size=0, func_info=NULL, func_info_cnt=0, line_info_rec_size=0, line_info=NULL, line_info_cnt=0, attach_btf_id=0, attach_prog_fd=0, fd_array=NULL';
  const head = 'prog_type=0x20 /* BPF_PROG_TYPE_??? */, insn_cnt=0, insns=NULL, license=NULL, log_level=0, log_size=0, log_buf=NULL, kern_version=KERNEL_VERSION(51966, 240, 13)';
  runCases(mem, [
    ['bpf', [5, M, 128], -7, `bpf(BPF_PROG_LOAD, {${head}, ${tail}}, 128) = -1 E2BIG (Argument list too long)`],
    // the first group of fields is shown whole, the missing bytes being zeros
    ['bpf', [5, M, 8], -22, 'bpf(BPF_PROG_LOAD, {prog_type=0x20 /* BPF_PROG_TYPE_??? */, insn_cnt=0, insns=NULL, license=NULL}, 8) = -1 EINVAL (Invalid argument)'],
    // non-zero bytes past the member: `...`, their hex with -v
    ['bpf', [5, M, 136], -7, `bpf(BPF_PROG_LOAD, {${head}, ${tail}, ...}, 136) = -1 E2BIG (Argument list too long)`],
    ['bpf', [5, M, 136], -7, `bpf(BPF_PROG_LOAD, {${head}, ${tail}, extra_data="\\xa0\\x00\\x00\\x00\\x00\\x00\\x00\\x00" /* bytes 128..135 */}, 136) = -1 E2BIG (Argument list too long)`, { verbose: true }],
    ['bpf', [5, M, 128], -7, 'bpf(0x5, {prog_type=0x20, insn_cnt=0, insns=NULL, license=NULL, log_level=0, log_size=0, log_buf=NULL, kern_version=0xcafef00d, prog_flags=0, prog_name="x", prog_ifindex=0, expected_attach_type=0, prog_btf_fd=0, func_info_rec_size=0, func_info=NULL, func_info_cnt=0, line_info_rec_size=0, line_info=NULL, line_info_cnt=0, attach_btf_id=0, attach_prog_fd=0, fd_array=NULL}, 128) = -1 E2BIG (Argument list too long)', { xlat: 'raw' }],
    ['bpf', [0xdead, 0, 0], -22, 'bpf(0xdead /* BPF_??? */, NULL, 0) = -1 EINVAL (Invalid argument)'],
  ]);
});

test('a number the syscall table does not know is traced whatever trace= says', () => {
  const f = new StraceFilter();
  f.apply('trace=none');
  assert.equal(f.syscallSelected(0), false);
  assert.equal(f.syscallSelected(451), true);
  assert.equal(f.syscallSelected(-1), true);
});

const NEW = [
  'sched_setattr', 'sched_getattr', 'kexec_load', 'kexec_file_load', 'futex_waitv', 'vmsplice',
  'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents',
  'quotactl', 'quotactl_fd', 'io_uring_setup', 'io_uring_enter', 'sendmmsg', 'recvmmsg', 'bpf',
];

test('fuzzDecoders over the new decoders: no throw, bounded lines and reads', () => {
  for (const n of NEW) assert.ok(DECODERS[n], n);
  const r = fuzzDecoders(4000, 20261207, NEW);
  assert.deepEqual(r.failures, []);
});
