// Table tests for the decoder families that replaced raw printing (SysV IPC, ...); expected
// lines are what strace 6.1 prints for the call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';

const M = 0x10000000n;
type Case = [string, (number | bigint)[], number | bigint | undefined, string, ('raw' | 'verbose')?];

export function runCases(mem: FakeMemory, cases: readonly Case[]): void {
  for (const [name, args, ret, want, xlat] of cases) {
    // Column padding before " = " is not what these tests are about.
    const line = formatCall({ name, args, ret, mem, opts: xlat ? { xlat } : {} }).replace(/\) +=/, ') =');
    assert.equal(line, want);
  }
}

test('SysV IPC: get, ctl, msgsnd, semop, shmat', () => {
  // A sembuf {0xface, -4083, 0xbeef} then unreadable; an ipc64_perm at M+0x100; a msgbuf at M+0x200.
  const sem = Buffer.alloc(6);
  sem.writeUInt16LE(0xface, 0);
  sem.writeInt16LE(-4083, 2);
  sem.writeUInt16LE(0xbeef, 4);
  const perm = Buffer.alloc(112);
  perm.writeUInt32LE(0x1234, 0);
  perm.writeUInt32LE(1000, 4);
  perm.writeUInt32LE(100, 8);
  perm.writeUInt32LE(0o600, 20);
  perm.writeBigUInt64LE(16384n, 88);
  const msg = Buffer.alloc(8 + 3);
  msg.writeBigInt64LE(5n, 0);
  msg.write('hi\0', 8, 'latin1');
  const mem = new FakeMemory().map(M, sem).map(M + 0x100n, perm).map(M + 0x200n, msg);
  runCases(mem, [
    ['msgget', [0xeca86420fdb9f531n, 0xface1c55], -17, 'msgget(0xfdb9f531, IPC_EXCL|IPC_NOWAIT|0xface1000|0125) = -1 EEXIST (File exists)'],
    ['msgget', [0, 0o600], 3, 'msgget(IPC_PRIVATE, 0600) = 3'],
    ['msgget', [0, 0x3c0], 3, 'msgget(0 /* IPC_PRIVATE */, 0x200 /* IPC_CREAT */|0700) = 3', 'verbose'],
    ['shmget', [1, 4096, 21 << 26], -22, 'shmget(0x1, 4096, 21<<SHM_HUGE_SHIFT|000) = -1 EINVAL (Invalid argument)'],
    ['shmget', [1, 4096, (21 << 26) | 0x200], -22, 'shmget(0x1, 4096, 0x200|21<<26|000) = -1 EINVAL (Invalid argument)', 'raw'],
    ['msgctl', [3, 0x102, M + 0x100n], 0, 'msgctl(3, IPC_64|IPC_STAT, {msg_perm={uid=1000, gid=100, mode=0600, key=4660, cuid=0, cgid=0}, msg_stime=0, msg_rtime=0, msg_ctime=0, msg_qnum=0, msg_qbytes=16384, msg_lspid=0, msg_lrpid=0}) = 0'],
    ['msgctl', [3, 1, M + 0x100n], 0, 'msgctl(3, IPC_SET, {msg_perm={uid=1000, gid=100, mode=0600}, msg_qbytes=16384}) = 0'],
    ['msgctl', [3, 0xdeadbeef, 0], -22, 'msgctl(3, 0xdeadbeef /* MSG_??? */, NULL) = -1 EINVAL (Invalid argument)'],
    ['msgctl', [3, 2, M + 0x100n], -14, 'msgctl(3, IPC_STAT, 0x10000100) = -1 EFAULT (Bad address)'],
    ['semctl', [3, 0, 0xdeadbeef, 0xbadc0dedfffffacen], -22, 'semctl(3, 0, 0xdeadbeef /* SEM_??? */, 0xbadc0dedffffface) = -1 EINVAL (Invalid argument)'],
    ['semctl', [3, 0, 0, 0], 0, 'semctl(3, 0, IPC_RMID, NULL) = 0'],
    ['shmctl', [3, 1, M + 0x100n], 0, 'shmctl(3, IPC_SET, {shm_perm={uid=1000, gid=100, mode=0600}}) = 0'],
    ['msgsnd', [3, M + 0x200n, 3, 0], 0, 'msgsnd(3, {mtype=5, mtext="hi\\0"}, 3, 0) = 0'],
    ['msgrcv', [3, M + 0x200n, 3, -5n, 0x1000], 3, 'msgrcv(3, {mtype=5, mtext="hi\\0"}, 3, -5, MSG_NOERROR) = 3'],
    ['semop', [3, M, 2], -22, 'semop(3, [{sem_num=64206, sem_op=-4083, sem_flg=SEM_UNDO|IPC_NOWAIT|0xa6ef}, ... /* 0x10000006 */], 2) = -1 EINVAL (Invalid argument)'],
    ['semop', [3, 0, 0xdeadbeef], -22, 'semop(3, NULL, 3735928559) = -1 EINVAL (Invalid argument)'],
    ['semtimedop', [3, 0, 1, M + 0x100n], -22, 'semtimedop(3, NULL, 1, {tv_sec=4294967300660, tv_nsec=100}) = -1 EINVAL (Invalid argument)'],
    ['shmat', [3, 0, 0x1000], 0x7f0000000000n, 'shmat(3, NULL, SHM_RDONLY) = 0x7f0000000000'],
    ['shmdt', [0], -22, 'shmdt(NULL) = -1 EINVAL (Invalid argument)'],
  ]);
});

test('personality, ustat, modify_ldt, set/get_thread_area, _sysctl, lookup_dcookie', () => {
  // A user_desc at M (entry -1, base 0x1000, limit 0xfffff, seg_32bit|contents=1|lm).
  const ud = Buffer.alloc(16);
  ud.writeUInt32LE(0xffffffff, 0);
  ud.writeUInt32LE(0x1000, 4);
  ud.writeUInt32LE(0xfffff, 8);
  ud.writeUInt32LE(0x83, 12);
  const mem = new FakeMemory().map(M, ud).u32(M + 0x100n, 12);
  runCases(mem, [
    ['personality', [0xffffffff], 0, 'personality(0xffffffff) = 0 (PER_LINUX)'],
    ['personality', [0x7010006], 0x1f, 'personality(PER_BSD|SHORT_INODE|WHOLE_SECONDS|STICKY_TIMEOUTS|0x10000) = 0x1f (0x1f /* PER_??? */)'],
    ['personality', [6], 0, 'personality(0x6 /* PER_BSD */) = 0 (0 /* PER_LINUX */)', 'verbose'],
    ['ustat', [0xfacefeedffffffffn, 0], -22, 'ustat(makedev(0xfff, 0xfffff), NULL) = -1 EINVAL (Invalid argument)'],
    ['modify_ldt', [1, M, 16], 0xffffffdan, 'modify_ldt(1, {entry_number=-1, base_addr=0x001000, limit=0x0fffff, seg_32bit=1, contents=1, read_exec_only=0, limit_in_pages=0, seg_not_present=0, useable=0, lm=1}, 16) = 4294967258 ENOSYS (Function not implemented)'],
    ['modify_ldt', [1, M, 42], 0, 'modify_ldt(1, 0x10000000, 42) = 0'],
    ['set_thread_area', [M + 0x100n], -38, 'set_thread_area(0x10000100) = -1 ENOSYS (Function not implemented)'],
    ['get_thread_area', [M + 0x100n], -38, 'get_thread_area({entry_number=12, ...}) = -1 ENOSYS (Function not implemented)'],
    ['_sysctl', [M + 0x1000n], -38, '_sysctl(0x10001000) = -1 ENOSYS (Function not implemented)'],
    ['lookup_dcookie', [5, 0, 0], -38, 'lookup_dcookie(5, NULL, 0) = -1 ENOSYS (Function not implemented)'],
  ]);
});

test('move_pages, process_vm_readv/writev, process_madvise, mincore', () => {
  // Two page pointers at M, node/status words at M+0x100 (the third element unreadable), an
  // iovec {M+0x200, 3} at M+0x300 with "abc" behind it, mincore's vector at M+0x400.
  const mem = new FakeMemory()
    .u64(M, 0x7f0000000000n, 0n)
    .i32(M + 0x100n, 1, -14)
    .str(M + 0x200n, 'abc')
    .u64(M + 0x300n, M + 0x200n, 3n)
    .map(M + 0x400n, Buffer.from([1, 0xfe, 3]));
  runCases(mem, [
    ['move_pages', [1234, 2, M, 0, M + 0x100n, 2], 0, 'move_pages(1234, 2, [0x7f0000000000, NULL], NULL, [1, -EFAULT], MPOL_MF_MOVE) = 0'],
    ['move_pages', [1234, 2, M, 0, M + 0x100n, 2], 0, 'move_pages(1234, 2, [0x7f0000000000, NULL], NULL, [1, -14 /* -EFAULT */], 0x2 /* MPOL_MF_MOVE */) = 0', 'verbose'],
    ['move_pages', [1234, 3, M, M + 0x100n, M + 0x100n, 4], -19, 'move_pages(1234, 3, [0x7f0000000000, NULL, ... /* 0x10000010 */], [1, -14, ... /* 0x10000108 */], 0x10000100, MPOL_MF_MOVE_ALL) = -1 ENODEV (No such device)'],
    ['process_vm_readv', [1234, M + 0x300n, 1, M + 0x300n, 1, 0], 2, 'process_vm_readv(1234, [{iov_base="ab", iov_len=3}], 1, [{iov_base=0x10000200, iov_len=3}], 1, 0) = 2'],
    ['process_vm_readv', [1234, M + 0x300n, 1, 0, 1, 0], -14, 'process_vm_readv(1234, [{iov_base=0x10000200, iov_len=3}], 1, NULL, 1, 0) = -1 EFAULT (Bad address)'],
    ['process_vm_writev', [1234, M + 0x300n, 1, M + 0x300n, 1, 0], 3, 'process_vm_writev(1234, [{iov_base="abc", iov_len=3}], 1, [{iov_base=0x10000200, iov_len=3}], 1, 0) = 3'],
    ['process_madvise', [3, M + 0x300n, 1, 21, 0], 3, 'process_madvise(3, [{iov_base=0x10000200, iov_len=3}], 1, MADV_PAGEOUT, 0) = 3'],
    ['mincore', [0x7f0000000000n, 8193, M + 0x400n], 0, 'mincore(0x7f0000000000, 8193, [1, 0, 1]) = 0'],
  ]);
});

test('timers, message queues, adjtimex', () => {
  // A sigevent {ptr 0, SIGALRM, SIGEV_SIGNAL} at M, an itimerspec at M+0x100 (one huge tv_nsec),
  // an mq_attr at M+0x200, a zeroed timex at M+0x300, a timer id at M+0x400.
  const its = Buffer.alloc(32);
  its.writeBigUInt64LE(0xbadc0dedfacefeedn, 8);
  const mem = new FakeMemory()
    .u32(M, 0, 0, 14, 0, 0, 0, 0, 0)
    .map(M + 0x100n, its)
    .u64(M + 0x200n, 0x800n, 10n, 8192n, 0n, 0n, 0n, 0n, 0n)
    .map(M + 0x300n, Buffer.alloc(208))
    .i32(M + 0x400n, 7)
    .str(M + 0x500n, 'q');
  runCases(mem, [
    ['timer_create', [1, M, M + 0x400n], 0, 'timer_create(CLOCK_MONOTONIC, {sigev_signo=SIGALRM, sigev_notify=SIGEV_SIGNAL}, [7]) = 0'],
    ['timer_settime', [7, 1, M + 0x100n, 0], -22, 'timer_settime(7, TIMER_ABSTIME, {it_interval={tv_sec=0, tv_nsec=13464652301697220333}, it_value={tv_sec=0, tv_nsec=0}}, NULL) = -1 EINVAL (Invalid argument)'],
    ['adjtimex', [M + 0x300n], 5, 'adjtimex({modes=0, offset=0, freq=0, maxerror=0, esterror=0, status=0, constant=0, precision=0, tolerance=0, time={tv_sec=0, tv_usec=0}, tick=0, ppsfreq=0, jitter=0, shift=0, stabil=0, jitcnt=0, calcnt=0, errcnt=0, stbcnt=0, tai=0}) = 5 (TIME_ERROR)'],
    ['clock_adjtime', [0, 0], -14, 'clock_adjtime(CLOCK_REALTIME, NULL) = -1 EFAULT (Bad address)'],
    ['mq_open', [M + 0x500n, 0x842, 0o600, M + 0x200n], 3, 'mq_open("q", O_RDWR|O_CREAT|O_NONBLOCK, 0600, {mq_flags=0x800, mq_maxmsg=10, mq_msgsize=8192, mq_curmsgs=0}) = 3'],
    ['mq_open', [0, 0, 0, 0], -14, 'mq_open(NULL, O_RDONLY) = -1 EFAULT (Bad address)'],
    ['mq_timedsend', [3, M + 0x500n, 1, 42, M + 0x100n + 16n], 0, 'mq_timedsend(3, "q", 1, 42, {tv_sec=0, tv_nsec=0}) = 0'],
    ['mq_notify', [3, M + 0x1000n], -14, 'mq_notify(3, 0x10001000) = -1 EFAULT (Bad address)'],
  ]);
});

test('landlock', () => {
  // A ruleset attr (EXECUTE|REFER) at M with 8 zero bytes after it; a path_beneath attr at M+0x100.
  const pb = Buffer.alloc(12);
  pb.writeBigUInt64LE(0xc001n, 0);
  pb.writeInt32LE(-1, 8);
  const mem = new FakeMemory().u64(M, 0x2001n, 0n).map(M + 0x100n, pb);
  runCases(mem, [
    ['landlock_create_ruleset', [M, 8, 0], 3, 'landlock_create_ruleset({handled_access_fs=LANDLOCK_ACCESS_FS_EXECUTE|LANDLOCK_ACCESS_FS_REFER}, 8, 0) = 3'],
    ['landlock_create_ruleset', [M, 16, 0], 3, 'landlock_create_ruleset({handled_access_fs=LANDLOCK_ACCESS_FS_EXECUTE|LANDLOCK_ACCESS_FS_REFER}, 16, 0) = 3'],
    ['landlock_create_ruleset', [M, 24, 0], 3, 'landlock_create_ruleset({handled_access_fs=LANDLOCK_ACCESS_FS_EXECUTE|LANDLOCK_ACCESS_FS_REFER, ...}, 24, 0) = 3'],
    ['landlock_create_ruleset', [M, 7, 0], -22, 'landlock_create_ruleset(0x10000000, 7, 0) = -1 EINVAL (Invalid argument)'],
    ['landlock_create_ruleset', [0, 0, 0xbadcaffe], -22, 'landlock_create_ruleset(NULL, 0, 0xbadcaffe /* LANDLOCK_CREATE_RULESET_??? */) = -1 EINVAL (Invalid argument)'],
    ['landlock_add_rule', [3, 1, M + 0x100n, 0], -22, 'landlock_add_rule(3, LANDLOCK_RULE_PATH_BENEATH, {allowed_access=LANDLOCK_ACCESS_FS_EXECUTE|0xc000, parent_fd=-1}, 0) = -1 EINVAL (Invalid argument)'],
    ['landlock_add_rule', [3, 2, M + 0x100n, 1], -22, 'landlock_add_rule(3, 0x2 /* LANDLOCK_RULE_??? */, 0x10000100, 0x1) = -1 EINVAL (Invalid argument)'],
  ]);
});

test('add_key, request_key; buffers read one byte past -s', () => {
  // 33 bytes of 'a' at M; an unterminated 4-byte string ends the mapping at M+0x100.
  const mem = new FakeMemory().map(M, Buffer.alloc(33, 'a')).map(M + 0x100n, 'user\0').map(M + 0x200n, 'abcd');
  const a32 = 'a'.repeat(32);
  runCases(mem, [
    ['add_key', [M + 0x100n, 0, M, 32, -1], -14, `add_key("user", NULL, "${a32}", 32, KEY_SPEC_THREAD_KEYRING) = -1 EFAULT (Bad address)`],
    ['add_key', [M + 0x100n, 0, M, 33, -1], -14, `add_key("user", NULL, "${a32}"..., 33, KEY_SPEC_THREAD_KEYRING) = -1 EFAULT (Bad address)`],
    ['add_key', [0, 0, M + 1n, 33, 5], -14, 'add_key(NULL, NULL, 0x10000001, 33, 5) = -1 EFAULT (Bad address)'],
    ['request_key', [M + 0x100n, M + 0x200n, 0, -3], -14, 'request_key("user", 0x10000200, NULL, KEY_SPEC_SESSION_KEYRING) = -1 EFAULT (Bad address)'],
  ]);
});
