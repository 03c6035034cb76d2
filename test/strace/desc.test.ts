// Descriptor I/O decoders against real strace 6.1 output (see file.test.ts for method).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';

const M = 0x10000000n;

function iovecs(list: [bigint, number][]): Buffer {
  const b = Buffer.alloc(16 * list.length);
  list.forEach(([base, len], i) => {
    b.writeBigUInt64LE(base, i * 16);
    b.writeBigUInt64LE(BigInt(len), i * 16 + 8);
  });
  return b;
}

test('read/write strings: escapes, -s truncation, bad pointers', () => {
  const data = Buffer.concat([Buffer.from('ab\0\x01\x012\n\t"\\\x7f\xff', 'latin1'), Buffer.from('0123456789012345678901234567890123456789')]);
  const mem = new FakeMemory().map(M, data).map(M + 0x1000n, 'hello\n');
  assert.equal(formatCall({ name: 'write', args: [1, M, 52], ret: 52, mem }), 'write(1, "ab\\0\\1\\0012\\n\\t\\"\\\\\\177\\37701234567890123456789"..., 52) = 52');
  const m2 = new FakeMemory().map(M, '012345678901234567890123456789012');
  assert.equal(formatCall({ name: 'write', args: [1, M, 31], ret: 31, mem: m2 }), 'write(1, "0123456789012345678901234567890", 31) = 31');
  assert.equal(formatCall({ name: 'write', args: [1, M, 32], ret: 32, mem: m2 }), 'write(1, "01234567890123456789012345678901", 32) = 32');
  assert.equal(formatCall({ name: 'write', args: [1, M, 33], ret: 33, mem: m2 }), 'write(1, "01234567890123456789012345678901"..., 33) = 33');
  assert.equal(formatCall({ name: 'write', args: [1, 1, 5], ret: 5, mem }), 'write(1, 0x1, 5)                        = 5');
  // A buffer running into unmapped memory prints as an address (strace's umoven short read).
  const m3 = new FakeMemory().map(M + 0xfffdn, 'abc');
  assert.equal(formatCall({ name: 'write', args: [4, M + 0xfffdn, 10], ret: -14, mem: m3 }), 'write(4, 0x1000fffd, 10)                = -1 EFAULT (Bad address)');
  assert.equal(formatCall({ name: 'read', args: [3, M + 0x1000n, 100], ret: 6, mem }), 'read(3, "hello\\n", 100)                 = 6');
  assert.equal(formatCall({ name: 'read', args: [1000, M, 10], ret: -9, mem }), 'read(1000, 0x10000000, 10)              = -1 EBADF (Bad file descriptor)');
  assert.equal(formatCall({ name: 'read', args: [0, M, 10], ret: 0, mem }), 'read(0, "", 10)                         = 0');
  assert.equal(formatCall({ name: 'pwrite64', args: [1000, M + 0x1000n, 1, 100], ret: -9, mem }), 'pwrite64(1000, "h", 1, 100)             = -1 EBADF (Bad file descriptor)');
  assert.equal(formatCall({ name: 'pread64', args: [3, M, 10, 5], ret: -29, mem }), 'pread64(3, 0x10000000, 10, 5)           = -1 ESPIPE (Illegal seek)');
  // -s 4 and -x / -xx
  assert.equal(formatCall({ name: 'read', args: [3, M + 0x1000n, 100], ret: 6, mem, opts: { strsize: 4 } }), 'read(3, "hell"..., 100)                 = 6');
  assert.equal(formatCall({ name: 'read', args: [3, M + 0x1000n, 100], ret: 6, mem, opts: { hexStrings: 'non-ascii' } }), 'read(3, "hello\\n", 100)                 = 6');
  assert.equal(formatCall({ name: 'read', args: [3, M + 0x1000n, 100], ret: 6, mem, opts: { hexStrings: 'all' } }), 'read(3, "\\x68\\x65\\x6c\\x6c\\x6f\\x0a", 100) = 6');
});

test('readv/writev', () => {
  const mem = new FakeMemory()
    .map(M + 0x100n, 'abcdefghijkl')
    .map(M + 0x200n, 'ABCDEFGH')
    .map(M + 0x300n, Buffer.alloc(16))
    .map(M + 0x1000n, iovecs([[M + 0x100n, 3], [M + 0x200n, 5], [M + 0x300n, 10]]));
  const want = '[{iov_base="abc", iov_len=3}, {iov_base="ABCDE", iov_len=5}, {iov_base="\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0", iov_len=10}], 3) = 18';
  assert.equal(formatCall({ name: 'writev', args: [4, M + 0x1000n, 3], ret: 18, mem }), `writev(4, ${want}`);
  assert.equal(formatCall({ name: 'readv', args: [3, M + 0x1000n, 3], ret: 18, mem }), `readv(3, ${want}`);
  // readv shows only as many bytes as were read.
  assert.equal(
    formatCall({ name: 'readv', args: [3, M + 0x1000n, 3], ret: 4, mem }),
    'readv(3, [{iov_base="abc", iov_len=3}, {iov_base="A", iov_len=5}, {iov_base="", iov_len=10}], 3) = 4',
  );
});

test('dup, fcntl, lseek, pipe', () => {
  const mem = new FakeMemory().i32(M, 3, 4);
  assert.equal(formatCall({ name: 'pipe2', args: [M, 0o2000000], ret: 0, mem }), 'pipe2([3, 4], O_CLOEXEC)                = 0');
  assert.equal(formatCall({ name: 'pipe', args: [M], ret: 0, mem }), 'pipe([3, 4])                            = 0');
  assert.equal(formatCall({ name: 'lseek', args: [0, 0, 1], ret: 0, mem }), 'lseek(0, 0, SEEK_CUR)                   = 0');
  assert.equal(formatCall({ name: 'dup', args: [1], ret: 5, mem }), 'dup(1)                                  = 5');
  assert.equal(formatCall({ name: 'dup2', args: [1, 10], ret: 10, mem }), 'dup2(1, 10)                             = 10');
  assert.equal(formatCall({ name: 'dup3', args: [1, 11, 0o2000000], ret: 11, mem }), 'dup3(1, 11, O_CLOEXEC)                  = 11');
  assert.equal(formatCall({ name: 'fcntl', args: [3, 1], ret: 1, mem }), 'fcntl(3, F_GETFD)                       = 0x1 (flags FD_CLOEXEC)');
  assert.equal(formatCall({ name: 'fcntl', args: [0, 1], ret: 0, mem }), 'fcntl(0, F_GETFD)                       = 0');
  assert.equal(formatCall({ name: 'fcntl', args: [3, 2, 1], ret: 0, mem }), 'fcntl(3, F_SETFD, FD_CLOEXEC)           = 0');
  assert.equal(formatCall({ name: 'fcntl', args: [3, 3], ret: 0, mem }), 'fcntl(3, F_GETFL)                       = 0 (flags O_RDONLY)');
  assert.equal(formatCall({ name: 'fcntl', args: [3, 3], ret: 0x8002, mem }), 'fcntl(3, F_GETFL)                       = 0x8002 (flags O_RDWR|O_LARGEFILE)');
  assert.equal(formatCall({ name: 'fcntl', args: [3, 4, 0o4000], ret: 0, mem }), 'fcntl(3, F_SETFL, O_RDONLY|O_NONBLOCK)  = 0');
  assert.equal(formatCall({ name: 'fcntl', args: [3, 1030, 20], ret: 20, mem }), 'fcntl(3, F_DUPFD_CLOEXEC, 20)           = 20');
  assert.equal(formatCall({ name: 'fcntl', args: [3, 1031, 65536], ret: 65536, mem }), 'fcntl(3, F_SETPIPE_SZ, 65536)           = 65536');
  assert.equal(formatCall({ name: 'fcntl', args: [3, 1032], ret: 65536, mem }), 'fcntl(3, F_GETPIPE_SZ)                  = 65536');
  assert.equal(formatCall({ name: 'fcntl', args: [3, 8, 123], ret: -3, mem }), 'fcntl(3, F_SETOWN, 123)                 = -1 ESRCH (No such process)');
  assert.equal(formatCall({ name: 'fcntl', args: [3, 1234, 5], ret: -22, mem }), 'fcntl(3, 0x4d2 /* F_??? */, 0x5)        = -1 EINVAL (Invalid argument)');
  const fl = Buffer.alloc(32);
  fl.writeInt16LE(2, 0);
  const m2 = new FakeMemory().map(M + 0x2000n, fl);
  assert.equal(
    formatCall({ name: 'fcntl', args: [3, 5, M + 0x2000n], ret: 0, mem: m2 }),
    'fcntl(3, F_GETLK, {l_type=F_UNLCK, l_whence=SEEK_SET, l_start=0, l_len=0, l_pid=0}) = 0',
  );
});

test('ioctl: tty and fd requests, unknown requests', () => {
  const t = Buffer.alloc(36);
  t.writeUInt32LE(0o2400, 0); // ICRNL|IXON
  t.writeUInt32LE(0o5, 4); // OPOST|ONLCR
  t.writeUInt32LE(0o277, 8); // B38400|CS8|CREAD
  t.writeUInt32LE(0o105073, 12); // ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE
  const mem = new FakeMemory().map(M + 0x3000n, t).i32(M + 0x3100n, 1);
  assert.equal(
    formatCall({ name: 'ioctl', args: [6, 0x5401, M + 0x3000n], ret: 0, mem }),
    'ioctl(6, TCGETS, {c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, c_cflag=B38400|CS8|CREAD, c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE, ...}) = 0',
  );
  const ws = new FakeMemory().map(M + 0x3000n, Buffer.alloc(8));
  assert.equal(formatCall({ name: 'ioctl', args: [6, 0x5413, M + 0x3000n], ret: 0, mem: ws }), 'ioctl(6, TIOCGWINSZ, {ws_row=0, ws_col=0, ws_xpixel=0, ws_ypixel=0}) = 0');
  assert.equal(formatCall({ name: 'ioctl', args: [3, 0x5421, M + 0x3100n], ret: 0, mem }), 'ioctl(3, FIONBIO, [1])                  = 0');
  assert.equal(formatCall({ name: 'ioctl', args: [3, 0x5451], ret: 0, mem }), 'ioctl(3, FIOCLEX)                       = 0');
  const z = new FakeMemory().i32(M + 0x3100n, 0);
  assert.equal(formatCall({ name: 'ioctl', args: [3, 0x541b, M + 0x3100n], ret: 0, mem: z }), 'ioctl(3, FIONREAD, [0])                 = 0');
  assert.equal(
    formatCall({ name: 'ioctl', args: [3, 0xc0085499, M + 0x3100n], ret: -25, mem }),
    'ioctl(3, _IOC(_IOC_READ|_IOC_WRITE, 0x54, 0x99, 0x8), 0x10003100) = -1 ENOTTY (Inappropriate ioctl for device)',
  );
  assert.equal(formatCall({ name: 'ioctl', args: [3, 0x1234, 0], ret: -25, mem }), 'ioctl(3, _IOC(_IOC_NONE, 0x12, 0x34, 0), 0) = -1 ENOTTY (Inappropriate ioctl for device)');
  assert.equal(formatCall({ name: 'ioctl', args: [3, 0x540f, M + 0x3100n], ret: -25, mem }), 'ioctl(3, TIOCGPGRP, 0x10003100)         = -1 ENOTTY (Inappropriate ioctl for device)');
  assert.equal(formatCall({ name: 'ioctl', args: [4, 0x40049409, 3], ret: -95, mem }), 'ioctl(4, BTRFS_IOC_CLONE or FICLONE, 3) = -1 EOPNOTSUPP (Operation not supported)');
  assert.equal(formatCall({ name: 'ioctl', args: [1, 0x5401, 0x7ffc67f64d50n], ret: -25, mem }), 'ioctl(1, TCGETS, 0x7ffc67f64d50)        = -1 ENOTTY (Inappropriate ioctl for device)');
});

test('poll, ppoll, select', () => {
  const pf = Buffer.alloc(16);
  pf.writeInt32LE(3, 0);
  pf.writeInt16LE(1, 4);
  pf.writeInt32LE(4, 8);
  pf.writeInt16LE(5, 12);
  const after = Buffer.from(pf);
  after.writeInt16LE(4, 14);
  const ts = Buffer.alloc(16);
  ts.writeBigInt64LE(1000n, 8);
  const left = Buffer.alloc(16);
  left.writeBigInt64LE(122n, 8);
  const mem = new FakeMemory().map(M + 0x4000n, pf).map(M + 0x4100n, ts);
  const exit = new FakeMemory().map(M + 0x4000n, after).map(M + 0x4100n, left);
  assert.equal(
    formatCall({ name: 'poll', args: [M + 0x4000n, 2, 0], ret: 1, mem, exitMem: exit }),
    'poll([{fd=3, events=POLLIN}, {fd=4, events=POLLIN|POLLOUT}], 2, 0) = 1 ([{fd=4, revents=POLLOUT}])',
  );
  assert.equal(formatCall({ name: 'poll', args: [M + 0x4000n, 1, 0], ret: 0, mem, exitMem: exit }), 'poll([{fd=3, events=POLLIN}], 1, 0)     = 0 (Timeout)');
  assert.equal(
    formatCall({ name: 'ppoll', args: [M + 0x4000n, 2, M + 0x4100n, 0, 8], ret: 1, mem, exitMem: exit }),
    'ppoll([{fd=3, events=POLLIN}, {fd=4, events=POLLIN|POLLOUT}], 2, {tv_sec=0, tv_nsec=1000}, NULL, 8) = 1 ([{fd=4, revents=POLLOUT}], left {tv_sec=0, tv_nsec=122})',
  );
  const fds = Buffer.alloc(128);
  fds[0] = 0b1010;
  const outFds = Buffer.alloc(128);
  outFds[0] = 0b10;
  const tv = Buffer.alloc(16);
  tv.writeBigInt64LE(1n, 0);
  const tvLeft = Buffer.alloc(16);
  tvLeft.writeBigInt64LE(999999n, 8);
  const sm = new FakeMemory().map(M + 0x5000n, fds).map(M + 0x5100n, tv);
  const se = new FakeMemory().map(M + 0x5000n, outFds).map(M + 0x5100n, tvLeft);
  assert.equal(
    formatCall({ name: 'select', args: [20, M + 0x5000n, 0, 0, M + 0x5100n], ret: 1, mem: sm, exitMem: se }),
    'select(20, [1 3], NULL, NULL, {tv_sec=1, tv_usec=0}) = 1 (in [1], left {tv_sec=0, tv_usec=999999})',
  );
});

test('epoll, eventfd, timerfd, signalfd', () => {
  const ev = Buffer.alloc(12);
  ev.writeUInt32LE(0x80000001, 0);
  ev.writeBigUInt64LE(0x123456789n, 4);
  const mem = new FakeMemory().map(M + 0x6000n, ev);
  assert.equal(formatCall({ name: 'epoll_create1', args: [0o2000000], ret: 7, mem }), 'epoll_create1(EPOLL_CLOEXEC)            = 7');
  assert.equal(
    formatCall({ name: 'epoll_ctl', args: [7, 1, 3, M + 0x6000n], ret: 0, mem }),
    'epoll_ctl(7, EPOLL_CTL_ADD, 3, {events=EPOLLIN|EPOLLET, data={u32=591751049, u64=4886718345}}) = 0',
  );
  assert.equal(formatCall({ name: 'epoll_ctl', args: [7, 2, 3, 0], ret: 0, mem }), 'epoll_ctl(7, EPOLL_CTL_DEL, 3, NULL)    = 0');
  assert.equal(formatCall({ name: 'epoll_wait', args: [7, M + 0x6100n, 10, 0], ret: 0, mem }), 'epoll_wait(7, [], 10, 0)                = 0');
  const ev2 = Buffer.alloc(12);
  ev2.writeUInt32LE(4, 0);
  ev2.writeBigUInt64LE(4n, 4);
  const m2 = new FakeMemory().map(M + 0x6100n, ev2);
  assert.equal(formatCall({ name: 'epoll_wait', args: [7, M + 0x6100n, 10, -1], ret: 1, mem: m2 }), 'epoll_wait(7, [{events=EPOLLOUT, data={u32=4, u64=4}}], 10, -1) = 1');
  assert.equal(formatCall({ name: 'epoll_pwait', args: [7, M + 0x6100n, 10, 0, 0, 8], ret: 0, mem }), 'epoll_pwait(7, [], 10, 0, NULL, 8)      = 0');
  assert.equal(formatCall({ name: 'eventfd2', args: [5, 0o2004000], ret: 8, mem }), 'eventfd2(5, EFD_CLOEXEC|EFD_NONBLOCK)   = 8');
  assert.equal(formatCall({ name: 'timerfd_create', args: [1, 0o2000000], ret: 9, mem }), 'timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC) = 9');
  const its = Buffer.alloc(32);
  its.writeBigInt64LE(1n, 0);
  its.writeBigInt64LE(2n, 16);
  its.writeBigInt64LE(500n, 24);
  const m3 = new FakeMemory().map(M + 0x7000n, its).map(M + 0x7100n, Buffer.alloc(32));
  assert.equal(
    formatCall({ name: 'timerfd_settime', args: [9, 1, M + 0x7000n, M + 0x7100n], ret: 0, mem: m3 }),
    'timerfd_settime(9, TFD_TIMER_ABSTIME, {it_interval={tv_sec=1, tv_nsec=0}, it_value={tv_sec=2, tv_nsec=500}}, {it_interval={tv_sec=0, tv_nsec=0}, it_value={tv_sec=0, tv_nsec=0}}) = 0',
  );
  const ss = Buffer.alloc(8);
  ss[0] = 0b10; // SIGINT
  ss[1] = 0b10; // SIGUSR1 (10)
  const m4 = new FakeMemory().map(M + 0x8000n, ss);
  assert.equal(formatCall({ name: 'signalfd4', args: [-1, M + 0x8000n, 8, 0o4000], ret: 12, mem: m4 }), 'signalfd4(-1, [INT USR1], 8, SFD_NONBLOCK) = 12');
  assert.equal(formatCall({ name: 'close', args: [1000], ret: -9, mem }), 'close(1000)                             = -1 EBADF (Bad file descriptor)');
});

test('-y shows fd paths', () => {
  const mem = new FakeMemory().map(M, 'hi');
  const fdPath = (_pid: number, fd: number): string | undefined => (fd === 3 ? '/etc/<x>' : fd === 1 ? '/dev/pts/0' : undefined);
  assert.equal(formatCall({ name: 'write', args: [1, M, 2], ret: 2, mem, opts: { fdPath } }), 'write(1</dev/pts/0>, "hi", 2)           = 2');
  assert.equal(formatCall({ name: 'dup', args: [1], ret: 3, mem, opts: { fdPath } }), 'dup(1</dev/pts/0>)                      = 3</etc/\\74x\\76>');
});

test('poll and select details: negative fds and counts, an unreadable next element', () => {
  const M2 = 0x10000000n;
  const squeeze = (s: string): string => s.replace(/ +=/, ' =');
  const fds = Buffer.alloc(16);
  fds.writeInt32LE(-1, 0);
  fds.writeUInt16LE(1, 4);
  fds.writeInt32LE(1, 8);
  fds.writeUInt16LE(4, 12);
  const mem = new FakeMemory().map(M2, fds);
  assert.equal(squeeze(formatCall({ name: 'poll', args: [M2, 2, 0], ret: 0, mem })), 'poll([{fd=-1}, {fd=1, events=POLLOUT}], 2, 0) = 0 (Timeout)');
  // -s1: one element shown; the next cannot be read, so its address is named.
  assert.equal(
    squeeze(formatCall({ name: 'poll', args: [M2 + 8n, 2, 0], ret: -14, mem, opts: { strsize: 1 } })),
    'poll([{fd=1, events=POLLOUT}, ... /* 0x10000010 */], 2, 0) = -1 EFAULT (Bad address)',
  );
  const set = new FakeMemory().map(M2, Buffer.alloc(8));
  assert.equal(squeeze(formatCall({ name: 'select', args: [-1, 0, M2, 0, 0], ret: -22, mem: set })), 'select(-1, NULL, 0x10000000, NULL, NULL) = -1 EINVAL (Invalid argument)');
  // A failed preadv still shows its iovec array, with addresses.
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(0x20000000n, 0);
  iov.writeBigUInt64LE(8n, 8);
  assert.equal(
    squeeze(formatCall({ name: 'preadv', args: [0, M2, 1, -1], ret: -22, mem: new FakeMemory().map(M2, iov) })),
    'preadv(0, [{iov_base=0x20000000, iov_len=8}], 1, -1) = -1 EINVAL (Invalid argument)',
  );
});

test('fcntl F_SETOWN_EX/F_GETOWN_EX owner and F_SETLK without l_pid; recvmsg name within the offered length', () => {
  const M2 = 0x10000000n;
  const sq = (c: Parameters<typeof formatCall>[0]): string => formatCall(c).replace(/ +=/, ' =');
  const own = Buffer.alloc(8);
  own.writeInt32LE(1, 0);
  own.writeInt32LE(1032, 4);
  const mem = new FakeMemory().map(M2, own);
  assert.equal(sq({ name: 'fcntl', args: [0, 15, M2], ret: 0, mem }), 'fcntl(0, F_SETOWN_EX, {type=F_OWNER_PID, pid=1032}) = 0');
  assert.equal(sq({ name: 'fcntl', args: [0, 16, M2], ret: 0, mem }), 'fcntl(0, F_GETOWN_EX, {type=F_OWNER_PID, pid=1032}) = 0');
  const fl = Buffer.alloc(32);
  fl.writeBigInt64LE(5n, 8);
  fl.writeInt32LE(77, 24);
  const mf = new FakeMemory().map(M2, fl);
  assert.equal(sq({ name: 'fcntl', args: [0, 6, M2], ret: -22, mem: mf }), 'fcntl(0, F_SETLK, {l_type=F_RDLCK, l_whence=SEEK_SET, l_start=5, l_len=0}) = -1 EINVAL (Invalid argument)');
  assert.equal(sq({ name: 'fcntl', args: [0, 5, M2], ret: 0, mem: mf }), 'fcntl(0, F_GETLK, {l_type=F_RDLCK, l_whence=SEEK_SET, l_start=5, l_len=0, l_pid=77}) = 0');
  // recvmsg that failed: only the offered name length.
  const hdr = Buffer.alloc(56);
  hdr.writeUInt32LE(36, 8);
  assert.equal(sq({ name: 'recvmsg', args: [3, M2, 0x40], ret: -14, mem: new FakeMemory().map(M2, hdr) }), 'recvmsg(3, {msg_namelen=36}, MSG_DONTWAIT) = -1 EFAULT (Bad address)');
});

test('-y paths are bytes (latin1 strings): bytes past 0x7f print as octal escapes, never as U+FFFD', () => {
  const fdPath = (_pid: number, fd: number): string | undefined => (fd === 3 ? Buffer.from([0x2f, 0x61, 0x80, 0xff, 0x3e]).toString('latin1') : undefined);
  assert.equal(formatCall({ name: 'fsync', args: [3], ret: 0, mem: new FakeMemory(), opts: { fdPath } }).replace(/ +=/, ' ='), 'fsync(3</a\\200\\377\\76>) = 0');
});
