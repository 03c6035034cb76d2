// Decoders of the file family against lines printed by real strace 6.1 (x86_64) for the same
// calls and memory contents (test programs mapped data at 0x10000000 to get stable addresses).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';

process.env.TZ = 'UTC';
const M = 0x10000000n;
const AT_FDCWD = -100;
const ENOENT = -2;

function statxBuf(mask: number, mode: number, size: number): Buffer {
  const b = Buffer.alloc(256);
  b.writeUInt32LE(mask, 0);
  b.writeUInt16LE(mode, 28);
  b.writeBigUInt64LE(BigInt(size), 40);
  return b;
}

function statBuf(mode: number, size: number, rdev = 0): Buffer {
  const b = Buffer.alloc(144);
  b.writeUInt32LE(mode, 24);
  b.writeBigUInt64LE(BigInt(rdev), 40);
  b.writeBigInt64LE(BigInt(size), 48);
  return b;
}

test('statx abbreviated', () => {
  const mem = new FakeMemory().str(M, '/etc/passwd');
  const exit = new FakeMemory().str(M, '/etc/passwd').map(M + 0x1000n, statxBuf(0x1fff, 0o100644, 1221));
  assert.equal(
    formatCall({ name: 'statx', args: [AT_FDCWD, M, 0, 0xfff, M + 0x1000n], ret: 0, mem, exitMem: exit }),
    'statx(AT_FDCWD, "/etc/passwd", AT_STATX_SYNC_AS_STAT, STATX_ALL, {stx_mask=STATX_ALL|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFREG|0644, stx_size=1221, ...}) = 0',
  );
  const exit2 = new FakeMemory().str(M, '/etc/passwd').map(M + 0x1000n, statxBuf(0x173f, 0o100644, 1221));
  assert.equal(
    formatCall({ name: 'statx', args: [AT_FDCWD, M, 0x100 | 0x4000, 0x201, M + 0x1000n], ret: 0, mem, exitMem: exit2 }),
    'statx(AT_FDCWD, "/etc/passwd", AT_STATX_DONT_SYNC|AT_SYMLINK_NOFOLLOW, STATX_TYPE|STATX_SIZE, {stx_mask=STATX_TYPE|STATX_MODE|STATX_NLINK|STATX_UID|STATX_GID|STATX_ATIME|STATX_INO|STATX_SIZE|STATX_BLOCKS|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFREG|0644, stx_size=1221, ...}) = 0',
  );
});

test('stat family', () => {
  const mem = new FakeMemory().str(M, '/dev/null').map(M + 0x1000n, statBuf(0o20666, 0, 0x103));
  assert.equal(
    formatCall({ name: 'newfstatat', args: [AT_FDCWD, M, M + 0x1000n, 0], ret: 0, mem }),
    'newfstatat(AT_FDCWD, "/dev/null", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, 0) = 0',
  );
  const m2 = new FakeMemory().str(M, '').map(M + 0x1000n, statBuf(0o100644, 34547));
  assert.equal(
    formatCall({ name: 'newfstatat', args: [3, M, M + 0x1000n, 0x1000], ret: 0, mem: m2 }),
    'newfstatat(3, "", {st_mode=S_IFREG|0644, st_size=34547, ...}, AT_EMPTY_PATH) = 0',
  );
  const m3 = new FakeMemory().str(M, '/nonexist').map(M + 0x1000n, statBuf(0o100644, 1));
  assert.equal(formatCall({ name: 'stat', args: [M, M + 0x1000n], ret: ENOENT, mem: m3 }), 'stat("/nonexist", 0x10001000)           = -1 ENOENT (No such file or directory)');
  const m4 = new FakeMemory().str(M, '/etc').map(M + 0x1000n, statBuf(0o40755, 4096));
  assert.equal(formatCall({ name: 'lstat', args: [M, M + 0x1000n], ret: 0, mem: m4 }), 'lstat("/etc", {st_mode=S_IFDIR|0755, st_size=4096, ...}) = 0');
  const m5 = new FakeMemory().str(M, '/tmp').map(M + 0x1000n, statBuf(0o41777, 4096));
  assert.equal(
    formatCall({ name: 'newfstatat', args: [AT_FDCWD, M, M + 0x1000n, 0], ret: 0, mem: m5 }),
    'newfstatat(AT_FDCWD, "/tmp", {st_mode=S_IFDIR|S_ISVTX|0777, st_size=4096, ...}, 0) = 0',
  );
  assert.equal(formatCall({ name: 'fstat', args: [1000, M + 0x1000n], ret: -9, mem: m5 }), 'fstat(1000, 0x10001000)                 = -1 EBADF (Bad file descriptor)');
});

test('open family', () => {
  const long = '/nonexistent/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  const mem = new FakeMemory().str(M, long).str(M + 0x100n, '/etc/ld.so.cache').str(M + 0x200n, '/tmp/st/newf').str(M + 0x300n, '/tmp/st');
  assert.equal(
    formatCall({ name: 'openat', args: [AT_FDCWD, M, 0o400000 | 0o2000000 | 0x40000000], ret: ENOENT, mem }),
    `openat(AT_FDCWD, "${long}", O_RDONLY|O_NOFOLLOW|O_CLOEXEC|0x40000000) = -1 ENOENT (No such file or directory)`,
  );
  assert.equal(formatCall({ name: 'openat', args: [AT_FDCWD, 1, 0], ret: -14, mem }), 'openat(AT_FDCWD, 0x1, O_RDONLY)         = -1 EFAULT (Bad address)');
  assert.equal(formatCall({ name: 'openat', args: [AT_FDCWD, M + 0x100n, 0o2000000], ret: 3, mem }), 'openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3');
  assert.equal(formatCall({ name: 'open', args: [M + 0x200n, 0o1101, 0o644], ret: 4, mem }), 'open("/tmp/st/newf", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 4');
  assert.equal(formatCall({ name: 'openat', args: [AT_FDCWD, M + 0x300n, 0o20200002, 0o600], ret: 5, mem }), 'openat(AT_FDCWD, "/tmp/st", O_RDWR|O_TMPFILE, 0600) = 5');
  assert.equal(formatCall({ name: 'creat', args: [M + 0x200n, 0o600], ret: 6, mem }), 'creat("/tmp/st/newf", 0600)             = 6');
  // -X raw and -X verbose
  assert.equal(formatCall({ name: 'openat', args: [AT_FDCWD, M + 0x100n, 0o2000000], ret: 3, mem, opts: { xlat: 'raw' } }), 'openat(-100, "/etc/ld.so.cache", 0x80000) = 3');
  assert.equal(
    formatCall({ name: 'openat', args: [AT_FDCWD, M + 0x100n, 0o2000000], ret: 3, mem, opts: { xlat: 'verbose' } }),
    'openat(-100 /* AT_FDCWD */, "/etc/ld.so.cache", 0x80000 /* O_RDONLY|O_CLOEXEC */) = 3',
  );
});

test('access, readlink, getcwd, umask', () => {
  const mem = new FakeMemory().str(M, '/').str(M + 0x100n, '/proc/self/exe').str(M + 0x2000n, '/tmp/st/f1').str(M + 0x5000n, '/tmp/st');
  assert.equal(formatCall({ name: 'access', args: [M, 7], ret: 0, mem }), 'access("/", R_OK|W_OK|X_OK)             = 0');
  assert.equal(formatCall({ name: 'access', args: [M, 0], ret: ENOENT, mem }), 'access("/", F_OK)                       = -1 ENOENT (No such file or directory)');
  assert.equal(formatCall({ name: 'faccessat2', args: [AT_FDCWD, M, 0, 0x200], ret: 0, mem }), 'faccessat2(AT_FDCWD, "/", F_OK, AT_EACCESS) = 0');
  assert.equal(formatCall({ name: 'readlink', args: [M + 0x100n, M + 0x2000n, 4096], ret: 10, mem }), 'readlink("/proc/self/exe", "/tmp/st/f1", 4096) = 10');
  assert.equal(formatCall({ name: 'readlinkat', args: [AT_FDCWD, M + 0x100n, M + 0x2000n, 3], ret: 3, mem }), 'readlinkat(AT_FDCWD, "/proc/self/exe", "/tm", 3) = 3');
  assert.equal(formatCall({ name: 'getcwd', args: [M + 0x5000n, 4096], ret: 8, mem }), 'getcwd("/tmp/st", 4096)                 = 8');
  assert.equal(formatCall({ name: 'getcwd', args: [M + 0x5000n, 2], ret: -34, mem }), 'getcwd(0x10005000, 2)                   = -1 ERANGE (Numerical result out of range)');
  assert.equal(formatCall({ name: 'umask', args: [0o22], ret: 0o22, mem }), 'umask(022)                              = 022');
  assert.equal(formatCall({ name: 'umask', args: [0], ret: 0o22, mem }), 'umask(000)                              = 022');
});

test('directory and link calls', () => {
  const mem = new FakeMemory()
    .str(M, '/tmp/st/dd')
    .str(M + 0x100n, '/tmp/st/nonex')
    .str(M + 0x200n, 'nonex2')
    .str(M + 0x300n, '/tmp/st/nonex2')
    .str(M + 0x400n, 'x')
    .str(M + 0x500n, '/tmp/st/fifo')
    .str(M + 0x600n, '/tmp/st/chr');
  assert.equal(formatCall({ name: 'mkdir', args: [M, 0o755], ret: 0, mem }), 'mkdir("/tmp/st/dd", 0755)               = 0');
  assert.equal(formatCall({ name: 'mkdirat', args: [AT_FDCWD, M, 0], ret: -17, mem }), 'mkdirat(AT_FDCWD, "/tmp/st/dd", 000)    = -1 EEXIST (File exists)');
  assert.equal(formatCall({ name: 'unlinkat', args: [AT_FDCWD, M + 0x100n, 0x200], ret: ENOENT, mem }), 'unlinkat(AT_FDCWD, "/tmp/st/nonex", AT_REMOVEDIR) = -1 ENOENT (No such file or directory)');
  assert.equal(formatCall({ name: 'rename', args: [M + 0x100n, M + 0x300n], ret: ENOENT, mem }), 'rename("/tmp/st/nonex", "/tmp/st/nonex2") = -1 ENOENT (No such file or directory)');
  assert.equal(
    formatCall({ name: 'renameat2', args: [AT_FDCWD, M + 0x100n, 3, M + 0x200n, 1], ret: ENOENT, mem }),
    'renameat2(AT_FDCWD, "/tmp/st/nonex", 3, "nonex2", RENAME_NOREPLACE) = -1 ENOENT (No such file or directory)',
  );
  assert.equal(formatCall({ name: 'chmod', args: [M + 0x100n, 0o4755], ret: ENOENT, mem }), 'chmod("/tmp/st/nonex", 04755)           = -1 ENOENT (No such file or directory)');
  assert.equal(formatCall({ name: 'chown', args: [M + 0x100n, -1, 0], ret: ENOENT, mem }), 'chown("/tmp/st/nonex", -1, 0)           = -1 ENOENT (No such file or directory)');
  assert.equal(formatCall({ name: 'fchownat', args: [3, M + 0x400n, 1000, -1, 0x100], ret: ENOENT, mem }), 'fchownat(3, "x", 1000, -1, AT_SYMLINK_NOFOLLOW) = -1 ENOENT (No such file or directory)');
  assert.equal(formatCall({ name: 'mknodat', args: [AT_FDCWD, M + 0x500n, 0o10644, 0], ret: 0, mem }), 'mknodat(AT_FDCWD, "/tmp/st/fifo", S_IFIFO|0644) = 0');
  assert.equal(formatCall({ name: 'mknod', args: [M + 0x600n, 0o20644, 0x103], ret: 0, mem }), 'mknod("/tmp/st/chr", S_IFCHR|0644, makedev(0x1, 0x3)) = 0');
  assert.equal(formatCall({ name: 'flock', args: [1000, 6], ret: -9, mem }), 'flock(1000, LOCK_EX|LOCK_NB)            = -1 EBADF (Bad file descriptor)');
  assert.equal(formatCall({ name: 'fadvise64', args: [0, 0, 0, 2], ret: 0, mem }), 'fadvise64(0, 0, 0, POSIX_FADV_SEQUENTIAL) = 0');
  assert.equal(formatCall({ name: 'sendfile', args: [1, 0, 0, 100], ret: -22, mem }), 'sendfile(1, 0, NULL, 100)               = -1 EINVAL (Invalid argument)');
});

test('utimensat with special and real times', () => {
  const ts = Buffer.alloc(32);
  ts.writeBigInt64LE(1n, 0);
  ts.writeBigInt64LE((1n << 30n) - 1n, 8);
  ts.writeBigInt64LE(2n, 16);
  ts.writeBigInt64LE((1n << 30n) - 2n, 24);
  const mem = new FakeMemory().str(M, '/tmp/st/nonex').map(M + 0x4000n, ts);
  assert.equal(
    formatCall({ name: 'utimensat', args: [AT_FDCWD, M, M + 0x4000n, 0], ret: ENOENT, mem }),
    'utimensat(AT_FDCWD, "/tmp/st/nonex", [UTIME_NOW, UTIME_OMIT], 0) = -1 ENOENT (No such file or directory)',
  );
  const ts2 = Buffer.alloc(32);
  ts2.writeBigInt64LE(1n, 0);
  ts2.writeBigInt64LE(5n, 8);
  ts2.writeBigInt64LE(1700000000n, 16);
  const mem2 = new FakeMemory().str(M, '/tmp/st/nonex').map(M + 0x4000n, ts2);
  assert.equal(
    formatCall({ name: 'utimensat', args: [AT_FDCWD, M, M + 0x4000n, 0x100], ret: ENOENT, mem: mem2 }),
    'utimensat(AT_FDCWD, "/tmp/st/nonex", [{tv_sec=1, tv_nsec=5} /* 1970-01-01T00:00:01.000000005+0000 */, {tv_sec=1700000000, tv_nsec=0} /* 2023-11-14T22:13:20+0000 */], AT_SYMLINK_NOFOLLOW) = -1 ENOENT (No such file or directory)',
  );
  assert.equal(formatCall({ name: 'utimensat', args: [AT_FDCWD, M, 0, 0], ret: ENOENT, mem }), 'utimensat(AT_FDCWD, "/tmp/st/nonex", NULL, 0) = -1 ENOENT (No such file or directory)');
});

test('getdents64 counts entries', () => {
  const ents: Buffer[] = [];
  for (const name of ['.', '..', 'file']) {
    const reclen = (19 + name.length + 1 + 7) & ~7;
    const e = Buffer.alloc(reclen);
    e.writeBigUInt64LE(1n, 0);
    e.writeUInt16LE(reclen, 16);
    e[18] = 4;
    e.write(name, 19, 'latin1');
    ents.push(e);
  }
  const buf = Buffer.concat(ents);
  const mem = new FakeMemory().map(M + 0x3000n, buf);
  assert.equal(
    formatCall({ name: 'getdents64', args: [3, M + 0x3000n, 32768], ret: buf.length, mem }),
    `getdents64(3, 0x10003000 /* 3 entries */, 32768) = ${buf.length}`,
  );
  assert.equal(formatCall({ name: 'getdents64', args: [3, M + 0x3000n, 32768], ret: 0, mem }), 'getdents64(3, 0x10003000 /* 0 entries */, 32768) = 0');
  assert.equal(
    formatCall({ name: 'getdents64', args: [3, M + 0x3000n, 32768], ret: buf.length, mem, opts: { verbose: true } }),
    `getdents64(3, [{d_ino=1, d_off=0, d_reclen=24, d_type=DT_DIR, d_name="."}, {d_ino=1, d_off=0, d_reclen=24, d_type=DT_DIR, d_name=".."}, {d_ino=1, d_off=0, d_reclen=24, d_type=DT_DIR, d_name="file"}], 32768) = ${buf.length}`,
  );
});

test('statfs', () => {
  const b = Buffer.alloc(120);
  b.writeBigInt64LE(0xef53n, 0);
  b.writeBigInt64LE(4096n, 8);
  b.writeBigUInt64LE(66053021n, 16);
  b.writeBigUInt64LE(60382606n, 24);
  b.writeBigUInt64LE(20927313n, 32);
  b.writeBigUInt64LE(16777216n, 40);
  b.writeBigUInt64LE(16372821n, 48);
  b.writeUInt32LE(0x89f2c03d, 56);
  b.writeUInt32LE(0x766ffa44, 60);
  b.writeBigInt64LE(255n, 64);
  b.writeBigInt64LE(4096n, 72);
  b.writeBigInt64LE(0x1020n, 80);
  const mem = new FakeMemory().str(M, '/').map(M + 0x6000n, b);
  assert.equal(
    formatCall({ name: 'statfs', args: [M, M + 0x6000n], ret: 0, mem }),
    'statfs("/", {f_type=EXT2_SUPER_MAGIC, f_bsize=4096, f_blocks=66053021, f_bfree=60382606, f_bavail=20927313, f_files=16777216, f_ffree=16372821, f_fsid={val=[0x89f2c03d, 0x766ffa44]}, f_namelen=255, f_frsize=4096, f_flags=ST_VALID|ST_RELATIME}) = 0',
  );
});

test('xattrs, copy_file_range', () => {
  const mem = new FakeMemory().str(M, '/tmp/gd').str(M + 0x100n, 'security.selinux').str(M + 0x200n, 'system.posix_acl_access').map(M + 0x300n, 'val\0');
  assert.equal(
    formatCall({ name: 'lgetxattr', args: [M, M + 0x100n, 0x5555555a0000n, 255], ret: -61, mem }),
    'lgetxattr("/tmp/gd", "security.selinux", 0x5555555a0000, 255) = -1 ENODATA (No data available)',
  );
  assert.equal(
    formatCall({ name: 'getxattr', args: [M, M + 0x200n, 0, 0], ret: -61, mem }),
    'getxattr("/tmp/gd", "system.posix_acl_access", NULL, 0) = -1 ENODATA (No data available)',
  );
  assert.equal(formatCall({ name: 'getxattr', args: [M, M + 0x100n, M + 0x300n, 255], ret: 4, mem }), 'getxattr("/tmp/gd", "security.selinux", "val", 255) = 4');
  assert.equal(formatCall({ name: 'copy_file_range', args: [3, 0, 4, 0, 9223372035781033984n, 0], ret: 3, mem }), 'copy_file_range(3, NULL, 4, NULL, 9223372035781033984, 0) = 3');
});

/** The line with strace's return-value column padding squeezed to one space. */
const line = (c: Parameters<typeof formatCall>[0]): string => formatCall(c).replace(/ +=/, ' =');

test('openat2: mode only when set or creating; the tail past open_how', () => {
  const how = (flags: bigint, mode: bigint, resolve: bigint, tail?: Buffer): Buffer => {
    const b = Buffer.alloc(24 + (tail?.length ?? 0));
    b.writeBigUInt64LE(flags, 0);
    b.writeBigUInt64LE(mode, 8);
    b.writeBigUInt64LE(resolve, 16);
    tail?.copy(b, 24);
    return b;
  };
  const mem = new FakeMemory().str(M, 'f').map(M + 0x100n, how(0o200n, 0n, 0n));
  assert.equal(line({ name: 'openat2', args: [-1, M, M + 0x100n, 24], ret: -9, mem }), 'openat2(-1, "f", {flags=O_RDONLY|O_EXCL, resolve=0}, 24) = -1 EBADF (Bad file descriptor)');
  // 8 more bytes that cannot be read.
  assert.equal(line({ name: 'openat2', args: [-1, M, M + 0x100n, 32], ret: -14, mem }), 'openat2(-1, "f", {flags=O_RDONLY|O_EXCL, resolve=0, ???}, 32) = -1 EFAULT (Bad address)');
  const m2 = new FakeMemory().str(M, 'f').map(M + 0x100n, how(0o101n, 0o777n, 1n, Buffer.from([0x80, 0x81, 0, 0, 0, 0, 0, 0])));
  assert.equal(
    line({ name: 'openat2', args: [-1, M, M + 0x100n, 32], ret: -7, mem: m2 }),
    'openat2(-1, "f", {flags=O_WRONLY|O_CREAT, mode=0777, resolve=RESOLVE_NO_XDEV, /* bytes 24..31 */ "\\x80\\x81\\x00\\x00\\x00\\x00\\x00\\x00"}, 32) = -1 E2BIG (Argument list too long)',
  );
  const m3 = new FakeMemory().str(M, 'f').map(M + 0x100n, how(0n, 0n, 0n, Buffer.alloc(8)));
  assert.equal(line({ name: 'openat2', args: [-1, M, M + 0x100n, 32], ret: -9, mem: m3 }), 'openat2(-1, "f", {flags=O_RDONLY, resolve=0}, 32) = -1 EBADF (Bad file descriptor)');
});

test('mode_t arguments print 16 bits; access modes name unknown bits', () => {
  const mem = new FakeMemory().str(M, 'd');
  assert.equal(line({ name: 'mkdir', args: [M, 0xffff0000 | 0o755], ret: 0, mem }), 'mkdir("d", 0755) = 0');
  assert.equal(line({ name: 'umask', args: [0xffff8fff], ret: 0o22, mem }), 'umask(0107777) = 022');
  assert.equal(line({ name: 'mknod', args: [M, 0xffffffff, 0], ret: -22, mem }), 'mknod("d", 0177777) = -1 EINVAL (Invalid argument)');
  assert.equal(line({ name: 'faccessat', args: [-1, 0, 8], ret: -22, mem }), 'faccessat(-1, NULL, 0x8 /* ?_OK */) = -1 EINVAL (Invalid argument)');
  assert.equal(line({ name: 'unlinkat', args: [AT_FDCWD, M, 0x200], ret: -2, mem }), 'unlinkat(AT_FDCWD, "d", AT_REMOVEDIR) = -1 ENOENT (No such file or directory)');
});

test('utimensat/utimes: dates only for valid fractions, also with -X raw; UTIME_* per -X', () => {
  const ts = (...v: bigint[]): Buffer => {
    const b = Buffer.alloc(8 * v.length);
    v.forEach((x, i) => b.writeBigUInt64LE(BigInt.asUintN(64, x), 8 * i));
    return b;
  };
  const mem = new FakeMemory().str(M, 'f').map(M + 0x100n, ts(1492358706n, 123456789n, -1n, 2000000000n));
  assert.equal(
    line({ name: 'utimensat', args: [AT_FDCWD, M, M + 0x100n, 0], ret: -2, mem, opts: { xlat: 'raw' } }),
    'utimensat(-100, "f", [{tv_sec=1492358706, tv_nsec=123456789} /* 2017-04-16T16:05:06.123456789+0000 */, {tv_sec=-1, tv_nsec=2000000000}], 0) = -1 ENOENT (No such file or directory)',
  );
  const now = new FakeMemory().str(M, 'f').map(M + 0x100n, ts(5n, (1n << 30n) - 1n, 6n, (1n << 30n) - 2n));
  assert.equal(line({ name: 'utimensat', args: [AT_FDCWD, M, M + 0x100n, 0], ret: 0, mem: now }), 'utimensat(AT_FDCWD, "f", [UTIME_NOW, UTIME_OMIT], 0) = 0');
  assert.equal(
    line({ name: 'utimensat', args: [AT_FDCWD, M, M + 0x100n, 0], ret: 0, mem: now, opts: { xlat: 'verbose' } }),
    'utimensat(-100 /* AT_FDCWD */, "f", [{tv_sec=5, tv_nsec=1073741823} /* UTIME_NOW */, {tv_sec=6, tv_nsec=1073741822} /* UTIME_OMIT */], 0) = 0',
  );
  const tv = new FakeMemory().str(M, 'f').map(M + 0x100n, ts(1492358607n, 345678n, 0n, -1n));
  assert.equal(
    line({ name: 'utimes', args: [M, M + 0x100n], ret: -22, mem: tv }),
    'utimes("f", [{tv_sec=1492358607, tv_usec=345678} /* 2017-04-16T16:03:27.345678+0000 */, {tv_sec=0, tv_usec=18446744073709551615}]) = -1 EINVAL (Invalid argument)',
  );
});
