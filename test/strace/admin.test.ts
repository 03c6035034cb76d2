// System administration decoders (acct, host names, swap, umount2, syslog, reboot, modules,
// namespaces, kcmp); expected lines are what strace 6.1 prints for the call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';

const M = 0x10000000n;

test('system administration calls', () => {
  const slot = Buffer.alloc(12);
  slot.writeInt32LE(23, 0);
  slot.writeInt32LE(42, 4);
  const mem = new FakeMemory().str(M, 'acct_sample').str(M + 0x100n, 'example.org').map(M + 0x200n, slot).map(M + 0x300n, 'log line\n');
  const cases: [string, (number | bigint)[], number | bigint, string, ('raw' | 'verbose')?][] = [
    ['acct', [M], -2, 'acct("acct_sample") = -1 ENOENT (No such file or directory)'],
    ['sethostname', [0, 64], -14, 'sethostname(NULL, 64) = -1 EFAULT (Bad address)'],
    ['sethostname', [M + 0x100n, 65], -22, 'sethostname(0x10000100, 65) = -1 EINVAL (Invalid argument)'],
    ['setdomainname', [M + 0x100n, 11], 0, 'setdomainname("example.org", 11) = 0'],
    ['swapon', [M, 0x8000 | 42], -2, 'swapon("acct_sample", SWAP_FLAG_PREFER|42) = -1 ENOENT (No such file or directory)'],
    ['swapon', [M, 42], -2, 'swapon("acct_sample", 42) = -1 ENOENT (No such file or directory)'],
    ['umount2', [M, 0x1f], -22, 'umount2("acct_sample", MNT_FORCE|MNT_DETACH|MNT_EXPIRE|UMOUNT_NOFOLLOW|0x10) = -1 EINVAL (Invalid argument)'],
    ['syslog', [0xbadc0ded00000000n, 0xfacefeeddeadbeefn, -1], 0, 'syslog(0 /* SYSLOG_ACTION_CLOSE */) = 0'],
    ['syslog', [3, M + 0x300n, 64], 9, 'syslog(3 /* SYSLOG_ACTION_READ_ALL */, "log line\\n", 64) = 9'],
    ['syslog', [0xfeedbeef, 0, -1], -22, 'syslog(-17973521 /* SYSLOG_ACTION_??? */, NULL, -1) = -1 EINVAL (Invalid argument)'],
    ['syslog', [8, 0, 8], 0, 'syslog(8 /* SYSLOG_ACTION_CONSOLE_LEVEL */, NULL, 8 /* LOGLEVEL_DEBUG+1 */) = 0'],
    ['syslog', [8, 0, 8], 0, 'syslog(8, NULL, 8) = 0', 'raw'],
    ['reboot', [0, 0, 0], -22, 'reboot(0 /* LINUX_REBOOT_MAGIC_??? */, 0 /* LINUX_REBOOT_MAGIC_??? */, LINUX_REBOOT_CMD_CAD_OFF) = -1 EINVAL (Invalid argument)'],
    ['finit_module', [0, 0, 0xffffffff00000002n], -38, 'finit_module(0, NULL, MODULE_INIT_IGNORE_VERMAGIC) = -1 ENOSYS (Function not implemented)'],
    ['delete_module', [M, 0x800], -38, 'delete_module("acct_sample", O_NONBLOCK) = -1 ENOSYS (Function not implemented)'],
    ['unshare', [0xbadc0ded0000000fn], -22, 'unshare(0xbadc0ded0000000f /* CLONE_??? */) = -1 EINVAL (Invalid argument)'],
    ['setns', [3, 0x40000000], -22, 'setns(3, CLONE_NEWNET) = -1 EINVAL (Invalid argument)'],
    ['setns', [3, 0x81fdff7f], -22, 'setns(3, 0x81fdff7f /* CLONE_NEW??? */) = -1 EINVAL (Invalid argument)'],
    ['kcmp', [-87158697, -553988398, 0xda7adead, 0xdec0ded3dec0ded4n, 0xba5e1e55deadc0den], -3, 'kcmp(-87158697, -553988398, 0xda7adead /* KCMP_??? */, 0xdec0ded3dec0ded4, 0xba5e1e55deadc0de) = -1 ESRCH (No such process)'],
    ['kcmp', [1, 2, 7, 23, M + 0x200n], -3, 'kcmp(1, 2, KCMP_EPOLL_TFD, 23, {efd=23, tfd=42, toff=0}) = -1 ESRCH (No such process)'],
    ['kcmp', [1, 2, 1, 3, 4], 0, 'kcmp(1, 2, KCMP_VM) = 0'],
    ['ioprio_get', [1, 13278], 0x4004, 'ioprio_get(IOPRIO_WHO_PROCESS, 13278) = 16388 (IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 4))'],
    ['ioprio_get', [1, 13278], 0, 'ioprio_get(0x1 /* IOPRIO_WHO_PROCESS */, 13278) = 0 (IOPRIO_PRIO_VALUE(0 /* IOPRIO_CLASS_NONE */, 0))', 'verbose'],
    ['ioprio_get', [0xfa57beef, -629534633], -22, 'ioprio_get(0xfa57beef /* IOPRIO_WHO_??? */, -629534633) = -1 EINVAL (Invalid argument)'],
    ['ioprio_set', [2, 77, 8191], 0, 'ioprio_set(IOPRIO_WHO_PGRP, 77, IOPRIO_PRIO_VALUE(IOPRIO_CLASS_NONE, 8191)) = 0'],
    ['ioprio_set', [2, 77, 8191], 0, 'ioprio_set(0x2 /* IOPRIO_WHO_PGRP */, 77, 8191 /* IOPRIO_PRIO_VALUE(0 /* IOPRIO_CLASS_NONE */, 8191) */) = 0', 'verbose'],
    ['ioprio_set', [2, 77, 8191], 0, 'ioprio_set(0x2, 77, 8191) = 0', 'raw'],
  ];
  for (const [name, args, ret, want, xlat] of cases) {
    // Column padding before " = " is not what this test is about.
    const line = formatCall({ name, args, ret, mem, opts: xlat ? { xlat } : {} }).replace(/\) +=/, ') =');
    assert.equal(line, want);
  }
});
