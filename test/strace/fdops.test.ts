// splice/tee, sync_file_range, fallocate, readahead, close_range, memfd, inotify, userfaultfd,
// pidfd, landlock_restrict_self, and mlock2/pkey/remap_file_pages; expected lines are what
// strace 6.1 prints for the call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';

const M = 0x10000000n;

test('descriptor calls and memory odds and ends', () => {
  const name = '0123456789'.repeat(30);
  const mem = new FakeMemory()
    .u64(M, 0xdeadbef1facefed1n)
    .u64(M + 8n, 0xdeadbef2facefed2n)
    .str(M + 0x100n, 'file.sample')
    // A memfd name running to the end of readable memory, longer than the kernel reads.
    .map(M + 0x1000n, name.slice(0, 250));
  const cases: [string, (number | bigint)[], number | bigint, string, ('raw' | 'verbose')?][] = [
    ['splice', [-1, M, -2, M + 8n, 1000, 15], -9, 'splice(-1, [-2401053079814340911], -2, [-2401053075519373614], 1000, SPLICE_F_MOVE|SPLICE_F_NONBLOCK|SPLICE_F_MORE|SPLICE_F_GIFT) = -1 EBADF (Bad file descriptor)'],
    ['tee', [-1, -2, 1000, 0x10], -9, 'tee(-1, -2, 1000, 0x10 /* SPLICE_F_??? */) = -1 EBADF (Bad file descriptor)'],
    ['sync_file_range', [-1, 1, 2, 0xffffffff], -9, 'sync_file_range(-1, 1, 2, SYNC_FILE_RANGE_WAIT_BEFORE|SYNC_FILE_RANGE_WRITE|SYNC_FILE_RANGE_WAIT_AFTER|0xfffffff8) = -1 EBADF (Bad file descriptor)'],
    ['fallocate', [3, 1, 0, 4096], 0, 'fallocate(3, FALLOC_FL_KEEP_SIZE, 0, 4096) = 0'],
    ['readahead', [0x80000000, 0x8000000000000000n, 0], -9, 'readahead(-2147483648, -9223372036854775808, 0) = -1 EBADF (Bad file descriptor)'],
    ['close_range', [0xfffffffe, 0xffffffff, 1], -22, 'close_range(4294967294, 4294967295, 0x1 /* CLOSE_RANGE_??? */) = -1 EINVAL (Invalid argument)'],
    ['memfd_create', [M + 0x100n, 0x78000000], -22, 'memfd_create("file.sample", 30<<MFD_HUGE_SHIFT) = -1 EINVAL (Invalid argument)'],
    ['memfd_create', [M + 0x100n, 7], -22, 'memfd_create("file.sample", 0x7 /* MFD_CLOEXEC|MFD_ALLOW_SEALING|MFD_HUGETLB */) = -1 EINVAL (Invalid argument)', 'verbose'],
    ['memfd_create', [M + 0x1000n, 0], -22, `memfd_create("${name.slice(0, 32)}"..., 0) = -1 EINVAL (Invalid argument)`],
    ['memfd_secret', [0xde97face], -22, 'memfd_secret(0xde97face) = -1 EINVAL (Invalid argument)'],
    ['inotify_init1', [0xdeadbeef], -22, 'inotify_init1(IN_NONBLOCK|IN_CLOEXEC|0xdea5b6ef) = -1 EINVAL (Invalid argument)'],
    ['inotify_add_watch', [3, M + 0x100n, 0x100], 1, 'inotify_add_watch(3, "file.sample", IN_CREATE) = 1'],
    ['userfaultfd', [0xffffffff], -22, 'userfaultfd(UFFD_USER_MODE_ONLY|O_NONBLOCK|O_CLOEXEC|0xfff7f7fe) = -1 EINVAL (Invalid argument)'],
    ['pidfd_open', [0, 0x800], -22, 'pidfd_open(0, PIDFD_NONBLOCK) = -1 EINVAL (Invalid argument)'],
    ['pidfd_getfd', [-1, -1, 0xdefaced00000000n], -9, 'pidfd_getfd(-1, -1, 0) = -1 EBADF (Bad file descriptor)'],
    ['process_mrelease', [0, 0xbadc0dedfacefeedn], -22, 'process_mrelease(0, 0xfacefeed) = -1 EINVAL (Invalid argument)'],
    ['mlock2', [0xfacefeeddeadbeefn, 0xcafef00dbadc0dedn, 0xffffffff], -22, 'mlock2(0xfacefeeddeadbeef, 14627392581506174445, MLOCK_ONFAULT|0xfffffffe) = -1 EINVAL (Invalid argument)'],
    ['pkey_alloc', [0, 0xbadc0ded00000002n], -22, 'pkey_alloc(0, PKEY_DISABLE_WRITE|0xbadc0ded00000000) = -1 EINVAL (Invalid argument)'],
    ['remap_file_pages', [0x1000, 4096, 7, 0, 0x22], -22, 'remap_file_pages(0x1000, 4096, 0x7, 0, 0x22) = -1 EINVAL (Invalid argument)', 'raw'],
  ];
  for (const [n, args, ret, want, xlat] of cases) {
    // Column padding before " = " is not what this test is about.
    const line = formatCall({ name: n, args, ret, mem, opts: xlat ? { xlat } : {} }).replace(/\) +=/, ') =');
    assert.equal(line, want);
  }
});
