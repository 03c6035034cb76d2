// Memory, process, signal, time and misc decoders against real strace 6.1 output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, decodeCall, formatCall } from './helpers.js';

process.env.TZ = 'UTC';
const M = 0x10000000n;
const empty = new FakeMemory();

test('memory management', () => {
  const cases: [string, (number | bigint)[], number | bigint, string][] = [
    ['mmap', [M, 65536, 3, 0x32, -1, 0], M, 'mmap(0x10000000, 65536, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = 0x10000000'],
    ['mmap', [0, 4096, 0, 0x8021, -1, 0], 0x7f7f3e49a000n, 'mmap(NULL, 4096, PROT_NONE, MAP_SHARED|MAP_ANONYMOUS|MAP_POPULATE, -1, 0) = 0x7f7f3e49a000'],
    [
      'mmap',
      [0x20000000, 4096, 0x105, 0x10100022, -1, 4096],
      0x20000000,
      'mmap(0x20000000, 4096, PROT_READ|PROT_EXEC|0x100, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE|4<<MAP_HUGE_SHIFT, -1, 0x1000) = 0x20000000',
    ],
    ['mmap', [0, 4096, 1, 0xf, -1, 0], -9, 'mmap(NULL, 4096, PROT_READ, 0xf /* MAP_??? */, -1, 0) = -1 EBADF (Bad file descriptor)'],
    ['mmap', [0, 1974096, 1, 0x802, 3, 0], 0x7f54830d8000n, 'mmap(NULL, 1974096, PROT_READ, MAP_PRIVATE|MAP_DENYWRITE, 3, 0) = 0x7f54830d8000'],
    ['mprotect', [M, 4096, 3], 0, 'mprotect(0x10000000, 4096, PROT_READ|PROT_WRITE) = 0'],
    ['madvise', [M, 4096, 4], 0, 'madvise(0x10000000, 4096, MADV_DONTNEED) = 0'],
    ['madvise', [M, 4096, 999], -22, 'madvise(0x10000000, 4096, 0x3e7 /* MADV_??? */) = -1 EINVAL (Invalid argument)'],
    ['mremap', [M + 0x8000n, 4096, 8192, 1], 0x7f7f3e498000n, 'mremap(0x10008000, 4096, 8192, MREMAP_MAYMOVE) = 0x7f7f3e498000'],
    ['mremap', [M + 0x8000n, 4096, 8192, 3, 0x30000000], -14, 'mremap(0x10008000, 4096, 8192, MREMAP_MAYMOVE|MREMAP_FIXED, 0x30000000) = -1 EFAULT (Bad address)'],
    ['msync', [M, 4096, 4], 0, 'msync(0x10000000, 4096, MS_SYNC)        = 0'],
    ['munmap', [0x20000000, 4096], 0, 'munmap(0x20000000, 4096)                = 0'],
    ['brk', [0], 0x55fc7306d000n, 'brk(NULL)                               = 0x55fc7306d000'],
  ];
  for (const [name, args, ret, want] of cases) assert.equal(formatCall({ name, args, ret, mem: empty }), want);
});

test('clone, clone3, execve, wait4, waitid, exit', () => {
  assert.equal(
    formatCall({ name: 'clone', args: [0x1200011, 0, 0, 0x7f68212c4a10n, 0], ret: 6218, mem: empty }),
    'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f68212c4a10) = 6218',
  );
  const ptid = new FakeMemory().i32(M, 18063);
  assert.equal(
    formatCall({ name: 'clone', args: [0x380011, 0, M, M + 8n, M + 0x100n], ret: 18063, mem: ptid }),
    'clone(child_stack=NULL, flags=CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD, parent_tid=[18063], tls=0x10000100, child_tidptr=0x10000008) = 18063',
  );
  const ca = Buffer.alloc(88);
  ca.writeBigUInt64LE(0x3d0f00n, 0);
  ca.writeBigUInt64LE(0x7f7f3e2ac990n, 16);
  ca.writeBigUInt64LE(0x7f7f3e2ac990n, 24);
  ca.writeBigUInt64LE(0x7f7f3daac000n, 40);
  ca.writeBigUInt64LE(0x7fff80n, 48);
  ca.writeBigUInt64LE(0x7f7f3e2ac6c0n, 56);
  const mem = new FakeMemory().map(M, ca);
  const exit = new FakeMemory().map(M, ca).i32(0x7f7f3e2ac990n, 10070);
  assert.equal(
    formatCall({ name: 'clone3', args: [M, 88], ret: 10070, mem, exitMem: exit }),
    'clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7f7f3e2ac990, parent_tid=0x7f7f3e2ac990, exit_signal=0, stack=0x7f7f3daac000, stack_size=0x7fff80, tls=0x7f7f3e2ac6c0} => {parent_tid=[10070]}, 88) = 10070',
  );
  const argv = new FakeMemory()
    .str(M, '/usr/bin/bash')
    .u64(M + 0x100n, M + 0x200n, M + 0x210n, M + 0x220n, 0n)
    .str(M + 0x200n, 'bash')
    .str(M + 0x210n, '-c')
    .str(M + 0x220n, 'ls / >/dev/null; cat /etc/hostname | wc -c; sleep 0.01')
    .u64(M + 0x1000n, ...Array.from({ length: 35 }, () => M + 0x200n), 0n);
  assert.equal(
    formatCall({ name: 'execve', args: [M, M + 0x100n, M + 0x1000n], ret: 0, mem: argv }),
    'execve("/usr/bin/bash", ["bash", "-c", "ls / >/dev/null; cat /etc/hostna"...], 0x10001000 /* 35 vars */) = 0',
  );
  const st = new FakeMemory().i32(M, 7 << 8).map(M + 0x100n, (() => {
    const b = Buffer.alloc(144);
    b.writeBigInt64LE(157n, 8);
    return b;
  })());
  assert.equal(
    formatCall({ name: 'wait4', args: [10067, M, 0, M + 0x100n], ret: 10067, mem: st }),
    'wait4(10067, [{WIFEXITED(s) && WEXITSTATUS(s) == 7}], 0, {ru_utime={tv_sec=0, tv_usec=157}, ru_stime={tv_sec=0, tv_usec=0}, ...}) = 10067',
  );
  const killed = new FakeMemory().i32(M, 9);
  assert.equal(
    formatCall({ name: 'wait4', args: [-1, M, 0x40000000, 0], ret: 10068, mem: killed }),
    'wait4(-1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], __WALL, NULL) = 10068',
  );
  assert.equal(formatCall({ name: 'wait4', args: [-1, M, 1, 0], ret: -10, mem: killed }), 'wait4(-1, 0x10000000, WNOHANG, NULL)    = -1 ECHILD (No child processes)');
  const si = Buffer.alloc(128);
  si.writeInt32LE(17, 0);
  si.writeInt32LE(1, 8);
  si.writeInt32LE(10069, 16);
  si.writeInt32LE(3, 24);
  const wi = new FakeMemory().map(M + 0x200n, si);
  assert.equal(
    formatCall({ name: 'waitid', args: [1, 10069, M + 0x200n, 4, 0], ret: 0, mem: wi }),
    'waitid(P_PID, 10069, {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=10069, si_uid=0, si_status=3, si_utime=0, si_stime=0}, WEXITED, NULL) = 0',
  );
  assert.equal(formatCall({ name: 'exit_group', args: [3], mem: empty }), 'exit_group(3)                           = ?');
  assert.equal(formatCall({ name: 'exit', args: [0], mem: empty }), 'exit(0)                                 = ?');
});

test('restart_syscall names the call it resumes when the thread\'s interrupted call is known', () => {
  assert.equal(formatCall({ name: 'restart_syscall', ret: 0, mem: empty, prevName: 'clock_nanosleep' }),
    'restart_syscall(<... resuming interrupted clock_nanosleep ...>) = 0');
  assert.equal(formatCall({ name: 'restart_syscall', ret: 0, mem: empty }),
    'restart_syscall(<... resuming interrupted system call ...>) = 0');
});

test('signals', () => {
  const act = Buffer.alloc(32);
  act.writeBigUInt64LE(0x55fc49754259n, 0);
  act.writeBigUInt64LE(0x14000004n, 8);
  act.writeBigUInt64LE(0x7f7f3e2ec050n, 16);
  act[24 + 1] = 0x40; // SIGTERM (15) is bit 14
  const old = Buffer.alloc(32);
  const mem = new FakeMemory().map(M, act).map(M + 0x100n, old);
  assert.equal(
    formatCall({ name: 'rt_sigaction', args: [10, M, 0, 8], ret: 0, mem }),
    'rt_sigaction(SIGUSR1, {sa_handler=0x55fc49754259, sa_mask=[TERM], sa_flags=SA_RESTORER|SA_RESTART|SA_SIGINFO, sa_restorer=0x7f7f3e2ec050}, NULL, 8) = 0',
  );
  assert.equal(formatCall({ name: 'rt_sigaction', args: [12, 0, M + 0x100n, 8], ret: 0, mem }), 'rt_sigaction(SIGUSR2, NULL, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0');
  assert.equal(formatCall({ name: 'rt_sigaction', args: [99, 0, M + 0x5000n, 8], ret: -22, mem }), 'rt_sigaction(99, NULL, 0x10005000, 8)   = -1 EINVAL (Invalid argument)');
  const full = Buffer.alloc(8, 0xff);
  full[3] &= ~0x80; // all but RTMIN (32, bit 31) and RT_1 (33, bit 32)
  full[4] &= ~0x01;
  const rt = Buffer.alloc(8);
  rt.writeBigUInt64LE((1n << 33n) | (1n << 36n) | (1n << 63n));
  const m2 = new FakeMemory().map(M, full).map(M + 0x100n, Buffer.alloc(8)).map(M + 0x200n, rt).map(M + 0x300n, Buffer.alloc(8, 0xff));
  assert.equal(formatCall({ name: 'rt_sigprocmask', args: [0, M, 0, 8], ret: 0, mem: m2 }), 'rt_sigprocmask(SIG_BLOCK, ~[RTMIN RT_1], NULL, 8) = 0');
  assert.equal(formatCall({ name: 'rt_sigprocmask', args: [2, M + 0x200n, 0, 8], ret: 0, mem: m2 }), 'rt_sigprocmask(SIG_SETMASK, [RT_2 RT_5 RT_32], NULL, 8) = 0');
  assert.equal(formatCall({ name: 'rt_sigprocmask', args: [0, M + 0x300n, M + 0x100n, 8], ret: 0, mem: m2 }), 'rt_sigprocmask(SIG_BLOCK, ~[], [], 8)   = 0');
  assert.equal(formatCall({ name: 'rt_sigprocmask', args: [0, 0, M + 0x100n, 8], ret: 0, mem: m2 }), 'rt_sigprocmask(SIG_BLOCK, NULL, [], 8)  = 0');
  const stk = Buffer.alloc(24);
  stk.writeBigUInt64LE(M + 0x1000n, 0);
  stk.writeBigUInt64LE(8192n, 16);
  const ostk = Buffer.alloc(24);
  ostk.writeUInt32LE(2, 8);
  const m3 = new FakeMemory().map(M, stk).map(M + 0x300n, ostk);
  assert.equal(
    formatCall({ name: 'sigaltstack', args: [M, M + 0x300n], ret: 0, mem: m3 }),
    'sigaltstack({ss_sp=0x10001000, ss_flags=0, ss_size=8192}, {ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}) = 0',
  );
  const frame = new FakeMemory().map(M + 296n, rt);
  assert.equal(formatCall({ name: 'rt_sigreturn', args: [], ret: 0, mem: frame, sp: M }), 'rt_sigreturn({mask=[RT_2 RT_5 RT_32]})  = 0');
  assert.equal(formatCall({ name: 'tgkill', args: [10066, 10066, 10], ret: 0, mem: empty }), 'tgkill(10066, 10066, SIGUSR1)           = 0');
  assert.equal(formatCall({ name: 'tgkill', args: [10066, 10066, 0], ret: 0, mem: empty }), 'tgkill(10066, 10066, 0)                 = 0');
  assert.equal(formatCall({ name: 'kill', args: [0, 18], ret: 0, mem: empty }), 'kill(0, SIGCONT)                        = 0');
  assert.equal(formatCall({ name: 'tkill', args: [99999, 40], ret: -3, mem: empty }), 'tkill(99999, SIGRT_8)                   = -1 ESRCH (No such process)');
  const pend = new FakeMemory().map(M, Buffer.alloc(8));
  assert.equal(formatCall({ name: 'rt_sigpending', args: [M, 8], ret: 0, mem: pend }), 'rt_sigpending([], 8)                    = 0');
});

test('prctl, arch_prctl, tid and robust list, rseq, rlimits', () => {
  const mem = new FakeMemory().str(M, 'myname').map(M + 0x400n, Buffer.from('myname\0\0\0\0\0\0\0\0\0\0')).i32(M + 0x500n, 9).u64(M + 0x600n, 0x7f7f3e2ad740n);
  const cases: [string, (number | bigint)[], number | bigint, string][] = [
    ['prctl', [15, M, 0, 0, 0], 0, 'prctl(PR_SET_NAME, "myname")            = 0'],
    ['prctl', [16, M + 0x400n, 0, 0, 0], 0, 'prctl(PR_GET_NAME, "myname")            = 0'],
    ['prctl', [1, 9], 0, 'prctl(PR_SET_PDEATHSIG, SIGKILL)        = 0'],
    ['prctl', [3], 1, 'prctl(PR_GET_DUMPABLE)                  = 1 (SUID_DUMP_USER)'],
    ['prctl', [38, 1, 0, 0, 0], 0, 'prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)  = 0'],
    ['prctl', [23, 21], 1, 'prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN)   = 1'],
    ['prctl', [0x1234, 1, 2, 3, 4], -22, 'prctl(0x1234 /* PR_??? */, 0x1, 0x2, 0x3, 0x4) = -1 EINVAL (Invalid argument)'],
    ['prctl', [2, M + 0x500n], 0, 'prctl(PR_GET_PDEATHSIG, [SIGKILL])      = 0'],
    ['arch_prctl', [0x1003, M + 0x600n], 0, 'arch_prctl(ARCH_GET_FS, [0x7f7f3e2ad740]) = 0'],
    ['arch_prctl', [0x1002, 0x7f54830d5740n], 0, 'arch_prctl(ARCH_SET_FS, 0x7f54830d5740) = 0'],
    ['arch_prctl', [0x3001, M + 0x600n], -22, 'arch_prctl(0x3001 /* ARCH_??? */, 0x10000600) = -1 EINVAL (Invalid argument)'],
    ['set_tid_address', [M + 0x700n], 10066, 'set_tid_address(0x10000700)             = 10066'],
    ['set_robust_list', [0x7f54830d5a20n, 24], 0, 'set_robust_list(0x7f54830d5a20, 24)     = 0'],
    ['rseq', [0x7f54830d6060n, 0x20, 0, 0x53053053], 0, 'rseq(0x7f54830d6060, 0x20, 0, 0x53053053) = 0'],
  ];
  for (const [name, args, ret, want] of cases) assert.equal(formatCall({ name, args, ret, mem }), want);
  const rl = Buffer.alloc(16);
  rl.writeBigUInt64LE(1024n, 0);
  rl.writeBigUInt64LE(4096n, 8);
  const old = Buffer.alloc(16);
  old.writeBigUInt64LE(20000n, 0);
  old.writeBigUInt64LE(20000n, 8);
  const inf = Buffer.alloc(16);
  inf.writeBigUInt64LE(8192n * 1024n, 0);
  inf.writeBigUInt64LE(0xffffffffffffffffn, 8);
  const r = new FakeMemory().map(M + 0x800n, rl).map(M + 0x900n, old).map(M + 0xa00n, inf);
  assert.equal(
    formatCall({ name: 'prlimit64', args: [0, 7, M + 0x800n, M + 0x900n], ret: 0, mem: r }),
    'prlimit64(0, RLIMIT_NOFILE, {rlim_cur=1024, rlim_max=4*1024}, {rlim_cur=20000, rlim_max=20000}) = 0',
  );
  assert.equal(
    formatCall({ name: 'prlimit64', args: [0, 3, 0, M + 0xa00n], ret: 0, mem: r }),
    'prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0',
  );
  assert.equal(formatCall({ name: 'setrlimit', args: [99, M + 0x800n], ret: -22, mem: r }), 'setrlimit(0x63 /* RLIMIT_??? */, {rlim_cur=1024, rlim_max=4*1024}) = -1 EINVAL (Invalid argument)');
});

test('ids, groups, scheduling, uname, getrandom', () => {
  const mem = new FakeMemory().u32(M, 0, 0, 0).u32(M + 0x100n, 0).map(M + 0xa00n, Buffer.from([3, 0, 0, 0, 0, 0, 0, 0])).i32(M + 0xb00n, 0);
  const cases: [string, (number | bigint)[], number | bigint, string][] = [
    ['getuid', [], 0, 'getuid()                                = 0'],
    ['setresuid', [-1, 0, -1], 0, 'setresuid(-1, 0, -1)                    = 0'],
    ['getresuid', [M, M + 4n, M + 8n], 0, 'getresuid([0], [0], [0])                = 0'],
    ['getgroups', [10, M], 0, 'getgroups(10, [])                       = 0'],
    ['getgroups', [0, 0], 0, 'getgroups(0, NULL)                      = 0'],
    ['setgroups', [1, M + 0x100n], 0, 'setgroups(1, [0])                       = 0'],
    ['setpgid', [0, 0], 0, 'setpgid(0, 0)                           = 0'],
    ['sched_yield', [], 0, 'sched_yield()                           = 0'],
    ['sched_getaffinity', [0, 128, M + 0xa00n], 8, 'sched_getaffinity(0, 128, [0 1])        = 8'],
    ['sched_getscheduler', [0], 0, 'sched_getscheduler(0)                   = 0 (SCHED_OTHER)'],
    ['sched_getparam', [0, M + 0xb00n], 0, 'sched_getparam(0, [0])                  = 0'],
    ['sched_get_priority_max', [1], 99, 'sched_get_priority_max(SCHED_FIFO)      = 99'],
    ['sched_setscheduler', [0, 0, M + 0xb00n], 0, 'sched_setscheduler(0, SCHED_OTHER, [0]) = 0'],
    ['getpriority', [0, 0], 20, 'getpriority(PRIO_PROCESS, 0)            = 20'],
    ['syscall_0x1f4' as string, [], 0, ''],
  ];
  for (const [name, args, ret, want] of cases.slice(0, -1)) assert.equal(formatCall({ name, args, ret, mem }), want);
  const uts = Buffer.alloc(390);
  uts.write('Linux', 0);
  uts.write('vm', 65);
  uts.write('6.1.0', 130);
  const um = new FakeMemory().map(M, uts);
  assert.equal(formatCall({ name: 'uname', args: [M], ret: 0, mem: um }), 'uname({sysname="Linux", nodename="vm", ...}) = 0');
  const rnd = new FakeMemory().map(M, Buffer.from([0xd2, 0x0f, 0x7c, 0x03]));
  assert.equal(formatCall({ name: 'getrandom', args: [M, 4, 1], ret: 4, mem: rnd }), 'getrandom("\\xd2\\x0f\\x7c\\x03", 4, GRND_NONBLOCK) = 4');
  const big = new FakeMemory().map(M, Buffer.alloc(64, 0x41));
  assert.equal(formatCall({ name: 'getrandom', args: [M, 64, 0], ret: 64, mem: big }), `getrandom("${'\\x41'.repeat(32)}"..., 64, 0) = 64`);
});

test('calls that never fail (%pure) with an injected retval=: any value is a result; uid/gid getters unsigned', () => {
  const cases: [string, bigint, string][] = [
    ['geteuid', 0x8000000000000000n, 'geteuid() = 9223372036854775808'],
    ['getuid', -4096n, 'getuid() = 18446744073709547520'],
    ['getegid', -2n, 'getegid() = 18446744073709551614'],
    ['getgid', 1000n, 'getgid() = 1000'],
    // Signed, as pid_t is, but never an errno.
    ['getpid', -1n, 'getpid() = -1'],
    ['gettid', -2n, 'gettid() = -2'],
    // A call that can fail still does.
    ['getpgid', -3n, 'getpgid(0) = -1 ESRCH (No such process)'],
  ];
  for (const [name, ret, want] of cases) {
    const d = decodeCall({ name, args: name === 'getpgid' ? [0] : [], mem: empty });
    d.retvalInjected();
    d.exit(ret, empty);
    assert.equal(`${name}(${d.argsText}) = ${d.returnText()}`, want);
  }
  // Not injected (or an injected error=): the errno range is an error, as strace prints it.
  assert.equal(formatCall({ name: 'getppid', ret: -1n, mem: empty }).replace(/ {2,}/, ' '), 'getppid() = -1 EPERM (Operation not permitted)');
  assert.equal(formatCall({ name: 'geteuid', ret: 0x8000000000000000n, mem: empty }).replace(/ {2,}/, ' '), 'geteuid() = 9223372036854775808');
});

test('unknown and undecoded syscalls print raw arguments', () => {
  assert.equal(formatCall({ name: 500, args: [1, 2, 3, 4, 5, 6], ret: -38, mem: empty }), 'syscall_0x1f4(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)');
  assert.equal(formatCall({ name: 'vhangup', args: [], ret: 0, mem: empty }), 'vhangup()                               = 0');
  assert.equal(formatCall({ name: 'pkey_alloc', args: [0, 0], ret: -22, mem: empty }), 'pkey_alloc(0, 0)                        = -1 EINVAL (Invalid argument)');
});

test('time and futex', () => {
  const ts = Buffer.alloc(16);
  ts.writeBigInt64LE(1000n, 8);
  const now = Buffer.alloc(16);
  now.writeBigInt64LE(1140n, 0);
  now.writeBigInt64LE(893189893n, 8);
  const mem = new FakeMemory().map(M + 0x3000n, now).map(M + 0x3100n, ts).map(M + 0x3200n, Buffer.alloc(16));
  const cases: [string, (number | bigint)[], number | bigint, string][] = [
    ['clock_gettime', [1, M + 0x3000n], 0, 'clock_gettime(CLOCK_MONOTONIC, {tv_sec=1140, tv_nsec=893189893}) = 0'],
    ['nanosleep', [M + 0x3100n, 0], 0, 'nanosleep({tv_sec=0, tv_nsec=1000}, NULL) = 0'],
    ['nanosleep', [M + 0x3100n, M + 0x3200n], 0, 'nanosleep({tv_sec=0, tv_nsec=1000}, 0x10003200) = 0'],
    ['nanosleep', [M + 0x3100n, M + 0x3200n], -516, 'nanosleep({tv_sec=0, tv_nsec=1000}, {tv_sec=0, tv_nsec=0}) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)'],
    ['clock_nanosleep', [1, 1, M + 0x3100n, 0], 0, 'clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, {tv_sec=0, tv_nsec=1000}, NULL) = 0'],
    ['clock_nanosleep', [0, 0, M + 0x3100n, 0x7ffc10d2f2f0n], 0, 'clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=1000}, 0x7ffc10d2f2f0) = 0'],
    ['time', [0], 1795693568, 'time(NULL)                              = 1795693568 (2026-11-26T11:46:08+0000)'],
    ['futex', [0x7ffe022bcb9cn, 129, 1], 0, 'futex(0x7ffe022bcb9c, FUTEX_WAKE_PRIVATE, 1) = 0'],
    ['futex', [0x7ffe022bcb9cn, 0, 1, 0], -11, 'futex(0x7ffe022bcb9c, FUTEX_WAIT, 1, NULL) = -1 EAGAIN (Resource temporarily unavailable)'],
    [
      'futex',
      [0x7ffe022bcb9cn, 393, 1, M + 0x3100n, 0, 0xffffffff],
      -11,
      'futex(0x7ffe022bcb9c, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 1, {tv_sec=0, tv_nsec=1000}, FUTEX_BITSET_MATCH_ANY) = -1 EAGAIN (Resource temporarily unavailable)',
    ],
    ['futex', [0x7ffe022bcb9cn, 133, 1, 1, M, 0x04000001], 0, 'futex(0x7ffe022bcb9c, FUTEX_WAKE_OP_PRIVATE, 1, 1, 0x10000000, FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1) = 0'],
    ['futex', [0x7ffe022bcb9cn, 99, 1, 2, 3, 4], -38, 'futex(0x7ffe022bcb9c, 0x63 /* FUTEX_??? */, 1, 0x2, 0x3, 0x4) = -1 ENOSYS (Function not implemented)'],
  ];
  for (const [name, args, ret, want] of cases) assert.equal(formatCall({ name, args, ret, mem }), want);
});

test('capget and getgroups', () => {
  const data = Buffer.alloc(24);
  data.writeUInt32LE(0b11, 0); // effective: CAP_CHOWN, CAP_DAC_OVERRIDE
  data.writeUInt32LE(1 << 21, 4); // permitted: CAP_SYS_ADMIN
  const mem = new FakeMemory().u32(M, 0x20080522, 21193).map(M + 0x100n, data);
  assert.equal(
    formatCall({ name: 'capget', args: [M, M + 0x100n], ret: 0, mem }),
    'capget({version=_LINUX_CAPABILITY_VERSION_3, pid=21193}, {effective=1<<CAP_CHOWN|1<<CAP_DAC_OVERRIDE, permitted=1<<CAP_SYS_ADMIN, inheritable=0}) = 0',
  );
  assert.equal(formatCall({ name: 'getgroups', args: [0, M + 0x100n], ret: 0, mem }), 'getgroups(0, [])                        = 0');
  assert.equal(formatCall({ name: 'getgroups', args: [0, 0], ret: 0, mem }), 'getgroups(0, NULL)                      = 0');
});

test('strace 6.1 details: clone3 set_tid/cgroup/tail, times, rlimits per -X, wait options, siginfo', () => {
  const sq = (c: Parameters<typeof formatCall>[0]): string => formatCall(c).replace(/ +=/, ' =');
  const args = Buffer.alloc(96);
  args.writeBigUInt64LE(0x200000000n, 0); // CLONE_INTO_CGROUP
  args.writeBigUInt64LE(7n, 80);
  const m = new FakeMemory().map(M, args.subarray(0, 88)).map(M + 0x1000n, args);
  assert.equal(sq({ name: 'clone3', args: [M, 88], ret: -9, mem: m }), 'clone3({flags=CLONE_INTO_CGROUP, exit_signal=0, stack=NULL, stack_size=0, cgroup=7}, 88) = -1 EBADF (Bad file descriptor)');
  // 8 bytes past the known structure that cannot be read; after success they are shown again.
  assert.equal(sq({ name: 'clone3', args: [M, 96], ret: 42, mem: m }), 'clone3({flags=CLONE_INTO_CGROUP, exit_signal=0, stack=NULL, stack_size=0, cgroup=7, ???} => {???}, 96) = 42');
  const tids = Buffer.alloc(88);
  tids.writeBigUInt64LE(M + 0x2000n, 64);
  tids.writeBigUInt64LE(2n, 72);
  const m2 = new FakeMemory().map(M, tids).i32(M + 0x2000n, 5, -6);
  assert.equal(sq({ name: 'clone3', args: [M, 88], ret: -22, mem: m2 }), 'clone3({flags=0, exit_signal=0, stack=NULL, stack_size=0, set_tid=[5, -6], set_tid_size=2}, 88) = -1 EINVAL (Invalid argument)');

  const tms = Buffer.alloc(32);
  [33n, 57n, 0n, 100n].forEach((v, i) => tms.writeBigUInt64LE(v, i * 8));
  const mt = new FakeMemory().map(M, tms);
  assert.equal(sq({ name: 'times', args: [M], ret: 5, mem: mt }), 'times({tms_utime=33 /* 0.33 s */, tms_stime=57 /* 0.57 s */, tms_cutime=0 /* 0.00 s */, tms_cstime=100 /* 1.00 s */}) = 5');
  assert.equal(sq({ name: 'times', args: [M], ret: 5, mem: mt, opts: { xlat: 'raw' } }), 'times({tms_utime=33, tms_stime=57, tms_cutime=0, tms_cstime=100}) = 5');

  const rl = Buffer.alloc(16);
  rl.writeBigUInt64LE(8388608n, 0);
  rl.writeBigUInt64LE(0xffffffffffffffffn, 8);
  const mr = new FakeMemory().map(M, rl);
  assert.equal(sq({ name: 'setrlimit', args: [3, M], ret: 0, mem: mr }), 'setrlimit(RLIMIT_STACK, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0');
  assert.equal(sq({ name: 'setrlimit', args: [3, M], ret: 0, mem: mr, opts: { xlat: 'raw' } }), 'setrlimit(0x3, {rlim_cur=8388608, rlim_max=18446744073709551615}) = 0');
  assert.equal(
    sq({ name: 'setrlimit', args: [3, M], ret: 0, mem: mr, opts: { xlat: 'verbose' } }),
    'setrlimit(0x3 /* RLIMIT_STACK */, {rlim_cur=8388608 /* 8192*1024 */, rlim_max=18446744073709551615 /* RLIM64_INFINITY */}) = 0',
  );

  assert.equal(sq({ name: 'wait4', args: [-1, M, 0x40000003, 0], ret: -10, mem: empty }), 'wait4(-1, 0x10000000, WNOHANG|WSTOPPED|__WALL, NULL) = -1 ECHILD (No child processes)');
  assert.equal(sq({ name: 'setgroups', args: [65537, M], ret: -22, mem: empty }), 'setgroups(65537, 0x10000000) = -1 EINVAL (Invalid argument)');

  // waitid with nothing to report leaves the siginfo zeroed: {}.
  const mw = new FakeMemory().map(M, Buffer.alloc(128));
  assert.equal(sq({ name: 'waitid', args: [1, 5, M, 5, 0], ret: 0, mem: mw }), 'waitid(P_PID, 5, {}, WNOHANG|WEXITED, NULL) = 0');
  const si = Buffer.alloc(128);
  si.writeInt32LE(10, 0); // SIGUSR1
  si.writeInt32LE(-1, 4); // si_errno
  si.writeInt32LE(-1, 8); // SI_QUEUE
  si.writeInt32LE(7, 16);
  si.writeUInt32LE(0xffffffff, 20);
  si.writeBigInt64LE(-1n, 24);
  assert.equal(
    sq({ name: 'pidfd_send_signal', args: [3, 12, M, -1], ret: -22, mem: new FakeMemory().map(M, si) }),
    'pidfd_send_signal(3, SIGUSR2, {si_signo=SIGUSR1, si_code=SI_QUEUE, si_errno=4294967295, si_pid=7, si_uid=-1, si_int=-1, si_ptr=0xffffffffffffffff}, 0xffffffff) = -1 EINVAL (Invalid argument)',
  );
  // sigset_t arguments: only the kernel's 8 bytes (rt_sigpending: 1 to 8).
  const ms = new FakeMemory().map(M, Buffer.alloc(16));
  assert.equal(sq({ name: 'rt_sigsuspend', args: [M, 16], ret: -22, mem: ms }), 'rt_sigsuspend(0x10000000, 16) = -1 EINVAL (Invalid argument)');
  assert.equal(sq({ name: 'rt_sigpending', args: [M, 2], ret: 0, mem: ms }), 'rt_sigpending([], 2) = 0');
});

test('ptrace PTRACE_GET_SYSCALL_INFO: the fields within the returned size', () => {
  const sq = (c: Parameters<typeof formatCall>[0]): string => formatCall(c).replace(/ +=/, ' =');
  const info = Buffer.alloc(88);
  info[0] = 2; // PTRACE_SYSCALL_INFO_EXIT
  info.writeUInt32LE(0xc000003e, 4);
  info.writeBigUInt64LE(0x401000n, 8);
  info.writeBigUInt64LE(0x7ffd0000n, 16);
  info.writeBigInt64LE(-2n, 24);
  info[32] = 1;
  const mem = new FakeMemory().map(M, info);
  assert.equal(
    sq({ name: 'ptrace', args: [0x420e, 5, 88, M], ret: 33, mem }),
    'ptrace(PTRACE_GET_SYSCALL_INFO, 5, 88, {op=PTRACE_SYSCALL_INFO_EXIT, arch=AUDIT_ARCH_X86_64, instruction_pointer=0x401000, stack_pointer=0x7ffd0000, exit={rval=-ENOENT, is_error=1}}) = 33',
  );
  // A 32-byte buffer: is_error is not known, so rval stays a number.
  assert.equal(
    sq({ name: 'ptrace', args: [0x420e, 5, 32, M], ret: 33, mem }),
    'ptrace(PTRACE_GET_SYSCALL_INFO, 5, 32, {op=PTRACE_SYSCALL_INFO_EXIT, arch=AUDIT_ARCH_X86_64, instruction_pointer=0x401000, stack_pointer=0x7ffd0000, exit={rval=-2}}) = 33',
  );
  const entry = Buffer.alloc(88);
  entry[0] = 1;
  entry.writeUInt32LE(0xc000003e, 4);
  entry.writeBigUInt64LE(80n, 24); // chdir
  entry.writeBigUInt64LE(0x1234n, 32);
  assert.equal(
    sq({ name: 'ptrace', args: [0x420e, 5, 40, M], ret: 80, mem: new FakeMemory().map(M, entry), opts: { xlat: 'verbose' } }),
    'ptrace(0x420e /* PTRACE_GET_SYSCALL_INFO */, 5, 40, {op=0x1 /* PTRACE_SYSCALL_INFO_ENTRY */, arch=0xc000003e /* AUDIT_ARCH_X86_64 */, instruction_pointer=0, stack_pointer=0, entry={nr=80 /* __NR_chdir */, args=[0x1234]}}) = 80',
  );
  assert.equal(sq({ name: 'ptrace', args: [0x420e, 5, 0, 0], ret: -3, mem: empty }), 'ptrace(PTRACE_GET_SYSCALL_INFO, 5, 0, NULL) = -1 ESRCH (No such process)');
});
