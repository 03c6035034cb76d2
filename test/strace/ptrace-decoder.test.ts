// The ptrace(2) decoder's requests with structured arguments: signal masks, siginfo in and out,
// PTRACE_PEEKSIGINFO, the register blocks and regsets (x86_64 user_regs_struct and
// user_fpregs_struct, cut at the iovec's length), seccomp metadata; under each -X style. Table
// tests over byte buffers; expected lines are what strace 6.1 prints for the same calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';

const M = 0x10000000n;
const R = 0x10001000n;
const ESRCH = ' = -1 ESRCH (No such process)';
type Opts = Parameters<typeof formatCall>[0]['opts'];
const pt = (args: (number | bigint)[], ret: number | bigint, mem: FakeMemory, opts: Opts = {}, exitMem?: FakeMemory): string =>
  formatCall({ name: 'ptrace', args, ret, mem, opts, exitMem }).replace(/\) +=/, ') =');

test('ptrace signal masks: the size as a number, the set by -X', () => {
  const mem = new FakeMemory().map(M, Buffer.from([0, 2, 0, 0, 0, 0, 0, 0])); // SIGUSR1 (10)
  assert.equal(pt([0x420b, 5, 8, M], -3, mem), `ptrace(PTRACE_SETSIGMASK, 5, 8, [USR1])${ESRCH}`);
  assert.equal(pt([0x420b, 5, 8, M], -3, mem, { xlat: 'raw' }), `ptrace(0x420b, 5, 8, [10])${ESRCH}`);
  assert.equal(pt([0x420b, 5, 8, M], -3, mem, { xlat: 'verbose' }), `ptrace(0x420b /* PTRACE_SETSIGMASK */, 5, 8, [10 /* USR1 */])${ESRCH}`);
  assert.equal(pt([0x420a, 5, 8, M], -3, mem), `ptrace(PTRACE_GETSIGMASK, 5, 8, 0x10000000)${ESRCH}`);
  assert.equal(pt([0x420a, 5, 8, M], 0, mem), 'ptrace(PTRACE_GETSIGMASK, 5, 8, [USR1]) = 0');
  assert.equal(pt([0x420c, 5, 42, 0], -3, mem), `ptrace(PTRACE_SECCOMP_GET_FILTER, 5, 42, NULL)${ESRCH}`);
});

test('ptrace siginfo: SETSIGINFO decodes the caller\'s, GETSIGINFO the kernel\'s; PEEKSIGINFO arguments and results', () => {
  const si = Buffer.alloc(128);
  si.writeInt32LE(29, 0); // SIGIO
  si.writeInt32LE(2, 4); // ENOENT
  si.writeInt32LE(1, 8); // POLL_IN
  si.writeBigInt64LE(-2n, 16);
  si.writeInt32LE(23, 24);
  const mem = new FakeMemory().map(M, si);
  assert.equal(pt([0x4203, 5, 0xdeadn, M], -3, mem), `ptrace(PTRACE_SETSIGINFO, 5, 0xdead, {si_signo=SIGIO, si_code=POLL_IN, si_errno=ENOENT, si_band=-2, si_fd=23})${ESRCH}`);
  assert.equal(pt([0x4203, 5, 0xdeadn, M], -3, mem, { xlat: 'raw' }), `ptrace(0x4203, 5, 0xdead, {si_signo=29, si_code=0x1, si_errno=2, si_band=-2, si_fd=23})${ESRCH}`);
  assert.equal(pt([0x4202, 5, 0, M], -3, mem), `ptrace(PTRACE_GETSIGINFO, 5, NULL, 0x10000000)${ESRCH}`);
  assert.equal(pt([0x4202, 5, 0, M], 0, mem), 'ptrace(PTRACE_GETSIGINFO, 5, NULL, {si_signo=SIGIO, si_code=POLL_IN, si_errno=ENOENT, si_band=-2, si_fd=23}) = 0');

  const args = Buffer.alloc(16);
  args.writeBigUInt64LE(0n, 0);
  args.writeUInt32LE(1, 8); // PTRACE_PEEKSIGINFO_SHARED
  args.writeInt32LE(4, 12);
  const tk = Buffer.alloc(256);
  for (const [i, sig] of [[0, 10], [1, 12]] as const) {
    tk.writeInt32LE(sig, i * 128);
    tk.writeInt32LE(-6, i * 128 + 8); // SI_TKILL
    tk.writeInt32LE(77, i * 128 + 16);
  }
  const pm = new FakeMemory().map(M, args).map(R, tk);
  assert.equal(pt([0x4209, 5, M, R], -3, pm), `ptrace(PTRACE_PEEKSIGINFO, 5, {off=0, flags=PTRACE_PEEKSIGINFO_SHARED, nr=4}, 0x10001000)${ESRCH}`);
  assert.equal(
    pt([0x4209, 5, M, R], 2, pm, { xlat: 'verbose' }),
    'ptrace(0x4209 /* PTRACE_PEEKSIGINFO */, 5, {off=0, flags=0x1 /* PTRACE_PEEKSIGINFO_SHARED */, nr=4}, [{si_signo=10 /* SIGUSR1 */, si_code=0xfffffffa /* SI_TKILL */, si_pid=77, si_uid=0}, {si_signo=12 /* SIGUSR2 */, si_code=0xfffffffa /* SI_TKILL */, si_pid=77, si_uid=0}]) = 2',
  );
});

/** A user_regs_struct whose register i holds i + 1. */
function regs(): Buffer {
  const b = Buffer.alloc(216);
  for (let i = 0; i < 27; i++) b.writeBigUInt64LE(BigInt(i + 1), i * 8);
  return b;
}
const iovec = (base: bigint, len: number): Buffer => {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(base, 0);
  b.writeBigUInt64LE(BigInt(len), 8);
  return b;
};

test('ptrace register blocks: GETREGS at exit, SETREGS at entry, no address argument', () => {
  const mem = new FakeMemory().map(R, regs());
  const all = 'r15=0x1, r14=0x2, r13=0x3, r12=0x4, rbp=0x5, rbx=0x6, r11=0x7, r10=0x8, r9=0x9, r8=0xa, rax=0xb, rcx=0xc, rdx=0xd, rsi=0xe, rdi=0xf, orig_rax=0x10, rip=0x11, cs=0x12, eflags=0x13, rsp=0x14, ss=0x15, fs_base=0x16, gs_base=0x17, ds=0x18, es=0x19, fs=0x1a, gs=0x1b';
  assert.equal(pt([12, 5, 0, R], 0, mem), `ptrace(PTRACE_GETREGS, 5, {${all}}) = 0`);
  assert.equal(pt([12, 5, 0, R], -3, mem), `ptrace(PTRACE_GETREGS, 5, 0x10001000)${ESRCH}`);
  assert.equal(pt([13, 5, 0, R], -3, mem), `ptrace(PTRACE_SETREGS, 5, {${all}})${ESRCH}`);
  assert.equal(pt([13, 5, 0, R + 0x100n], -3, mem), `ptrace(PTRACE_SETREGS, 5, 0x10001100)${ESRCH}`);
  const fp = Buffer.alloc(512);
  fp.writeUInt16LE(0x37f, 0);
  fp.writeUInt32LE(0x1f80, 24);
  fp.writeUInt32LE(0xcafe, 160);
  const out = pt([14, 5, 0, R], 0, new FakeMemory().map(R, fp));
  assert.match(out, /^ptrace\(PTRACE_GETFPREGS, 5, \{cwd=0x37f, swd=0, ftw=0, fop=0, rip=0, rdp=0, mxcsr=0x1f80, mxcr_mask=0, st_space=\[(0, ){31}0\], xmm_space=\[0xcafe, (0, ){62}0\], padding=\[(0, ){23}0\]\}\) = 0$/);
});

test('ptrace regsets: the iovec, registers within iov_len (whole words only), the length the kernel wrote back', () => {
  const mem = (len: number): FakeMemory => new FakeMemory().map(M, iovec(R, len)).map(R, regs());
  assert.equal(pt([0x4204, 5, 1, M], -3, mem(8)), `ptrace(PTRACE_GETREGSET, 5, NT_PRSTATUS, {iov_base=0x10001000, iov_len=8})${ESRCH}`);
  assert.equal(pt([0x4204, 5, 1, M], 0, mem(16)), 'ptrace(PTRACE_GETREGSET, 5, NT_PRSTATUS, {iov_base={r15=0x1, r14=0x2}, iov_len=16}) = 0');
  assert.equal(pt([0x4204, 5, 1, M], 0, mem(0)), 'ptrace(PTRACE_GETREGSET, 5, NT_PRSTATUS, {iov_base=0x10001000, iov_len=0}) = 0');
  // SET's registers are input: shown even when the call fails, unless the length is not whole words.
  assert.equal(pt([0x4205, 5, 1, M], -22, mem(8)), 'ptrace(PTRACE_SETREGSET, 5, NT_PRSTATUS, {iov_base={r15=0x1}, iov_len=8}) = -1 EINVAL (Invalid argument)');
  assert.equal(pt([0x4205, 5, 1, M], -22, mem(7)), 'ptrace(PTRACE_SETREGSET, 5, NT_PRSTATUS, {iov_base=0x10001000, iov_len=7}) = -1 EINVAL (Invalid argument)');
  // A longer iovec: `...` past the set, and the kernel's shorter iov_len after " => ".
  const after = new FakeMemory().map(M, iovec(R, 216)).map(R, regs());
  const line = pt([0x4205, 5, 1, M], 0, mem(224), {}, after);
  assert.match(line, /^ptrace\(PTRACE_SETREGSET, 5, NT_PRSTATUS, \{iov_base=\{r15=0x1, .*, gs=0x1b, \.\.\.\}, iov_len=224 => 216\}\) = 0$/);
  assert.equal(pt([0x4205, 5, 3, M], -3, mem(8), { xlat: 'verbose' }), `ptrace(0x4205 /* PTRACE_SETREGSET */, 5, 0x3 /* NT_PRPSINFO */, {iov_base=0x10001000, iov_len=8})${ESRCH}`);
  assert.equal(pt([0x4204, 5, 2, M + 0x800n], -3, mem(8)), `ptrace(PTRACE_GETREGSET, 5, NT_FPREGSET, 0x10000800)${ESRCH}`);
  const fp = new FakeMemory().map(M, iovec(R, 40)).map(R, Buffer.alloc(512));
  assert.equal(pt([0x4204, 5, 2, M], 0, fp), 'ptrace(PTRACE_GETREGSET, 5, NT_FPREGSET, {iov_base={cwd=0, swd=0, ftw=0, fop=0, rip=0, rdp=0, mxcsr=0, mxcr_mask=0, st_space=[0, 0]}, iov_len=40}) = 0');
});

test('ptrace seccomp metadata: the size, filter_off in, flags out', () => {
  const md = Buffer.alloc(16);
  md.writeBigUInt64LE(7n, 0);
  md.writeBigUInt64LE(2n, 8); // SECCOMP_FILTER_FLAG_LOG
  const mem = new FakeMemory().map(M, md);
  assert.equal(pt([0x420d, 5, 16, M], -3, mem), `ptrace(PTRACE_SECCOMP_GET_METADATA, 5, 16, {filter_off=7})${ESRCH}`);
  assert.equal(pt([0x420d, 5, 7, M], -3, mem), `ptrace(PTRACE_SECCOMP_GET_METADATA, 5, 7, 0x10000000)${ESRCH}`);
  assert.equal(pt([0x420d, 5, 16, M], 16, mem), 'ptrace(PTRACE_SECCOMP_GET_METADATA, 5, 16, {filter_off=7, flags=SECCOMP_FILTER_FLAG_LOG}) = 16');
  assert.equal(pt([0x420d, 5, 16, 0], -3, mem), `ptrace(PTRACE_SECCOMP_GET_METADATA, 5, 16, NULL)${ESRCH}`);
});
