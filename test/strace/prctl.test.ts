// prctl, arch_prctl and seccomp decoders; expected lines are what strace 6.1 prints for the call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';

const M = 0x10000000n;
const empty = new FakeMemory();
type Case = [string, (number | bigint)[], number | bigint, string, ('raw' | 'verbose')?];

function check(cases: Case[], mem: FakeMemory, verbose = false): void {
  for (const [name, args, ret, want, xlat] of cases) {
    // The return value's column padding is not what these tests are about.
    const line = formatCall({ name, args, ret, mem, opts: { ...(xlat ? { xlat } : {}), verbose } });
    assert.equal(line.replace(/\) +=/, ') ='), want);
  }
}

test('prctl: each option prints only its arguments', () => {
  const mem = new FakeMemory().u32(M, 2).u64(M + 0x10n, 0xdeadc0debadc0dedn).str(M + 0x20n, '0123456789abcdef');
  check(
    [
      ['prctl', [0xbadc0ded00000007n, 0xfacefeeddeadbeefn], 0, 'prctl(PR_GET_KEEPCAPS) = 0'],
      ['prctl', [21, 1, 2, 3, 4], 0, 'prctl(PR_GET_SECCOMP) = 0'],
      ['prctl', [3, 0xdeadc0defacebeefn], 1, 'prctl(PR_GET_DUMPABLE) = 1 (SUID_DUMP_USER)'],
      ['prctl', [4, 3], -22, 'prctl(PR_SET_DUMPABLE, 0x3 /* SUID_DUMP_??? */) = -1 EINVAL (Invalid argument)'],
      ['prctl', [23, 0xff], -22, 'prctl(PR_CAPBSET_READ, 0xff /* CAP_??? */) = -1 EINVAL (Invalid argument)'],
      ['prctl', [47, 2, 0xff, 0, 0], -22, 'prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, 0xff /* CAP_??? */, 0, 0) = -1 EINVAL (Invalid argument)'],
      ['prctl', [19, 0], -22, 'prctl(PR_GET_ENDIAN, NULL) = -1 EINVAL (Invalid argument)'],
      ['prctl', [37, M], 0, 'prctl(PR_GET_CHILD_SUBREAPER, [2]) = 0'],
      ['prctl', [5, M], 0, 'prctl(PR_GET_UNALIGN, [PR_UNALIGN_SIGBUS]) = 0'],
      ['prctl', [6, 3], -22, 'prctl(PR_SET_UNALIGN, PR_UNALIGN_NOPRINT|PR_UNALIGN_SIGBUS) = -1 EINVAL (Invalid argument)'],
      ['prctl', [26, 0], -22, 'prctl(PR_SET_TSC, 0 /* PR_TSC_??? */) = -1 EINVAL (Invalid argument)'],
      ['prctl', [33, 0, 0, 0, 0], 0, 'prctl(PR_MCE_KILL, PR_MCE_KILL_CLEAR, 0, 0, 0) = 0'],
      ['prctl', [33, 1, 0xff, 0, 0], -22, 'prctl(PR_MCE_KILL, PR_MCE_KILL_SET, 0xff /* PR_MCE_KILL_??? */, 0, 0) = -1 EINVAL (Invalid argument)'],
      ['prctl', [34, 0, 0, 0, 0], 2, 'prctl(PR_MCE_KILL_GET, 0, 0, 0, 0) = 2 (PR_MCE_KILL_DEFAULT)'],
      ['prctl', [15, M + 0x20n], 0, 'prctl(PR_SET_NAME, "0123456789abcde"...) = 0'],
      ['prctl', [15, M + 0x21n], 0, 'prctl(PR_SET_NAME, "123456789abcdef"...) = 0'],
      ['prctl', [15, M + 0x22n], 0, 'prctl(PR_SET_NAME, "23456789abcdef") = 0'],
      ['prctl', [0x59616d61, 0xffffffff], 0, 'prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY) = 0'],
      ['prctl', [0x59616d61, 0xffffffff], 0, 'prctl(0x59616d61 /* PR_SET_PTRACER */, -1 /* PR_SET_PTRACER_ANY */) = 0', 'verbose'],
      ['prctl', [28, 0, 0xdeadbeefn, 5, 0], 0, 'prctl(PR_SET_SECUREBITS, 0) = 0'],
      ['prctl', [27], 0xff, 'prctl(PR_GET_SECUREBITS) = 0xff (SECBIT_NOROOT|SECBIT_NOROOT_LOCKED|SECBIT_NO_SETUID_FIXUP|SECBIT_NO_SETUID_FIXUP_LOCKED|SECBIT_KEEP_CAPS|SECBIT_KEEP_CAPS_LOCKED|SECBIT_NO_CAP_AMBIENT_RAISE|SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)'],
      ['prctl', [27], 0x100, 'prctl(PR_GET_SECUREBITS) = 0x100'],
      ['prctl', [46, 1, 2], 3, 'prctl(PR_GET_FP_MODE) = 0x3 (PR_FP_MODE_FR|PR_FP_MODE_FRE)'],
      ['prctl', [45, 0x23], 0, 'prctl(PR_SET_FP_MODE, PR_FP_MODE_FR|PR_FP_MODE_FRE|0x20) = 0'],
      ['prctl', [52, 0, 5], 3, 'prctl(PR_GET_SPECULATION_CTRL, PR_SPEC_STORE_BYPASS) = 0x3 (PR_SPEC_PRCTL|PR_SPEC_ENABLE)'],
      ['prctl', [52, 3, 5], 1, 'prctl(PR_GET_SPECULATION_CTRL, 0x3 /* PR_SPEC_??? */) = 1'],
      ['prctl', [53, 1, 8], 0, 'prctl(PR_SET_SPECULATION_CTRL, PR_SPEC_INDIRECT_BRANCH, PR_SPEC_FORCE_DISABLE) = 0'],
      ['prctl', [53, 3, 8], 0, 'prctl(PR_SET_SPECULATION_CTRL, 0x3 /* PR_SPEC_??? */, 0x8) = 0'],
      ['prctl', [54, 0x20, 0, 0, 0], -22, 'prctl(PR_PAC_RESET_KEYS, 0x20 /* PR_PAC_??? */, 0, 0, 0) = -1 EINVAL (Invalid argument)'],
      ['prctl', [60, 0, 1, 0, 1], -22, 'prctl(PR_PAC_SET_ENABLED_KEYS, 0, PR_PAC_APIAKEY, 0, 0x1) = -1 EINVAL (Invalid argument)'],
      ['prctl', [61, 0, 0, 0, 0], 1, 'prctl(0x3d, 0, 0, 0, 0) = 0x1', 'raw'],
      ['prctl', [50, 0x400ff], -22, 'prctl(PR_SVE_SET_VL, PR_SVE_SET_VL_ONEXEC|0xff) = -1 EINVAL (Invalid argument)'],
      ['prctl', [63, 0x10000], -22, 'prctl(PR_SME_SET_VL, 0x10000|0) = -1 EINVAL (Invalid argument)'],
      ['prctl', [55, 0, 1, 2, 3], -22, 'prctl(PR_SET_TAGGED_ADDR_CTRL, !PR_TAGGED_ADDR_ENABLE|PR_MTE_TCF_NONE, 0x1, 0x2, 0x3) = -1 EINVAL (Invalid argument)'],
      ['prctl', [55, 0x57ae57f4, 1, 2, 3], -22, 'prctl(PR_SET_TAGGED_ADDR_CTRL, !PR_TAGGED_ADDR_ENABLE|PR_MTE_TCF_ASYNC|0xcafe<<PR_MTE_TAG_SHIFT|0x57a80000, 0x1, 0x2, 0x3) = -1 EINVAL (Invalid argument)'],
      ['prctl', [59, 1, 0xdeadbeeffacefeedn, 0, 0], -22, 'prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0xdeadbeeffacefeed, 0, NULL) = -1 EINVAL (Invalid argument)'],
      ['prctl', [62, 0xffffffff00000000n, 1234, 0, M + 0x10n], 0, 'prctl(PR_SCHED_CORE, PR_SCHED_CORE_GET, 1234, 0 /* PIDTYPE_PID */, [0xdeadc0debadc0ded]) = 0'],
      ['prctl', [62, 4, 1234, 7, 0], -22, 'prctl(PR_SCHED_CORE, 0x4 /* PR_SCHED_CORE_??? */, 1234, 0x7 /* PIDTYPE_??? */, NULL) = -1 EINVAL (Invalid argument)'],
      ['prctl', [0x53564d41, 0, 0, 1, M + 0x20n], -22, 'prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, NULL, 1, "0123456789abcdef") = -1 EINVAL (Invalid argument)'],
      ['prctl', [0x1234, 1, 2, 3, 4], -22, 'prctl(0x1234 /* PR_??? */, 0x1, 0x2, 0x3, 0x4) = -1 EINVAL (Invalid argument)'],
    ],
    mem,
  );
});

test('arch_prctl: FS/GS bases, CPUID, XSAVE feature permissions', () => {
  const mem = new FakeMemory().u64(M, 0n).u64(M + 8n, 0x687ffn);
  check(
    [
      ['arch_prctl', [0x1004, M], 0, 'arch_prctl(ARCH_GET_GS, [NULL]) = 0'],
      ['arch_prctl', [0x1012, 0xbadfaceddeadbeefn], -19, 'arch_prctl(ARCH_SET_CPUID, 0xbadfaceddeadbeef) = -1 ENODEV (No such device)'],
      ['arch_prctl', [0x1011, 0xdeadc0de], 1, 'arch_prctl(ARCH_GET_CPUID) = 1'],
      ['arch_prctl', [0x1021, 0], -14, 'arch_prctl(ARCH_GET_XCOMP_SUPP, NULL) = -1 EFAULT (Bad address)'],
      [
        'arch_prctl',
        [0x1022, M + 8n],
        0,
        'arch_prctl(ARCH_GET_XCOMP_PERM, [0x687ff /* XFEATURE_MASK_FPSSE|XFEATURE_MASK_YMM|XFEATURE_MASK_BNDREGS|XFEATURE_MASK_BNDCSR|XFEATURE_MASK_AVX512|XFEATURE_MASK_PT|XFEATURE_MASK_PKRU|XFEATURE_MASK_PASID|XFEATURE_MASK_LBR|XFEATURE_MASK_XTILE */]) = 0',
      ],
      ['arch_prctl', [0x1022, M + 8n], 0, 'arch_prctl(0x1022, [0x687ff]) = 0', 'raw'],
      ['arch_prctl', [0x1023, 0x12], 0x60000, 'arch_prctl(ARCH_REQ_XCOMP_PERM, 0x12 /* XFEATURE_XTILE_DATA */) = 0x60000 (XFEATURE_MASK_XTILE)'],
      ['arch_prctl', [0x1023, 0xb], -22, 'arch_prctl(ARCH_REQ_XCOMP_PERM, 0xb /* XFEATURE_??? */) = -1 EINVAL (Invalid argument)'],
    ],
    mem,
  );
});

test('seccomp and classic BPF programs', () => {
  // struct sock_fprog {len=3, filter=M+0x100}; then 3 instructions.
  const prog = Buffer.alloc(16);
  prog.writeUInt16LE(3, 0);
  prog.writeBigUInt64LE(M + 0x100n, 8);
  const insns = Buffer.alloc(24);
  insns.writeUInt16LE(0x20, 0); // BPF_LD|BPF_W|BPF_ABS, k=0
  insns.writeUInt16LE(0x15, 8); // BPF_JMP|BPF_K|BPF_JEQ
  insns[10] = 0;
  insns[11] = 1;
  insns.writeUInt32LE(3, 12);
  insns.writeUInt16LE(0x06, 16); // BPF_RET|BPF_K
  insns.writeUInt32LE(0x50010, 20);
  const mem = new FakeMemory().map(M, prog).map(M + 0x100n, insns).u32(M + 0x200n, 0x7fff0000);
  check(
    [
      ['seccomp', [1, 0, M], -22, 'seccomp(SECCOMP_SET_MODE_FILTER, 0, {len=3, filter=0x10000100}) = -1 EINVAL (Invalid argument)'],
      ['seccomp', [0xffffffff, 0xffffffff, 0xfacefeeddeadbeefn], -22, 'seccomp(0xffffffff /* SECCOMP_SET_MODE_??? */, 0xffffffff, 0xfacefeeddeadbeef) = -1 EINVAL (Invalid argument)'],
      ['seccomp', [0, 0, 0], 0, 'seccomp(SECCOMP_SET_MODE_STRICT, 0, NULL) = 0'],
      ['seccomp', [2, 0, M + 0x200n], 0, 'seccomp(SECCOMP_GET_ACTION_AVAIL, 0, [SECCOMP_RET_ALLOW]) = 0'],
      ['seccomp', [3, 0xdeadbeef, 0], -22, 'seccomp(SECCOMP_GET_NOTIF_SIZES, 0xdeadbeef, NULL) = -1 EINVAL (Invalid argument)'],
    ],
    mem,
  );
  check(
    [
      [
        'seccomp',
        [1, 0x7f, M],
        0,
        'seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC|SECCOMP_FILTER_FLAG_LOG|SECCOMP_FILTER_FLAG_SPEC_ALLOW|SECCOMP_FILTER_FLAG_NEW_LISTENER|SECCOMP_FILTER_FLAG_TSYNC_ESRCH|SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV|0x40, {len=3, filter=[BPF_STMT(BPF_LD|BPF_W|BPF_ABS, 0), BPF_JUMP(BPF_JMP|BPF_K|BPF_JEQ, 0x3, 0, 0x1), BPF_STMT(BPF_RET|BPF_K, SECCOMP_RET_ERRNO|0x10)]}) = 0',
      ],
      ['prctl', [22, 2, M], 0, 'prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, {len=3, filter=[BPF_STMT(BPF_LD|BPF_W|BPF_ABS, 0), BPF_JUMP(BPF_JMP|BPF_K|BPF_JEQ, 0x3, 0, 0x1), BPF_STMT(BPF_RET|BPF_K, SECCOMP_RET_ERRNO|0x10)]}) = 0'],
      ['prctl', [22, 0xffffffffffffffffn, 1, 2, 3], -22, 'prctl(PR_SET_SECCOMP, 0xffffffffffffffff /* SECCOMP_MODE_??? */, 0x1, 0x2, 0x3) = -1 EINVAL (Invalid argument)'],
    ],
    mem,
    true,
  );
  assert.equal(formatCall({ name: 'seccomp', args: [1, 0, 0x1234], ret: -14, mem: empty }).replace(/\) +=/, ') ='), 'seccomp(SECCOMP_SET_MODE_FILTER, 0, 0x1234) = -1 EFAULT (Bad address)');
});
