import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderValue, siginfoValue } from '../../src/engines/strace/index.js';

test('SIGCHLD siginfo: clock_t fields get strace\'s seconds comment when not zero', () => {
  const b = Buffer.alloc(128);
  b.writeInt32LE(17, 0); // si_signo
  b.writeInt32LE(1, 8); // CLD_EXITED
  b.writeInt32LE(4242, 16); // si_pid
  b.writeInt32LE(0, 20); // si_uid
  b.writeInt32LE(3, 24); // si_status
  b.writeBigInt64LE(15n, 32); // si_utime
  b.writeBigInt64LE(0n, 40); // si_stime
  assert.equal(renderValue(siginfoValue(b)),
    '{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=4242, si_uid=0, si_status=3, si_utime=15 /* 0.15 s */, si_stime=0}');
});

test('siginfo by signal and code: poll fd, trap address, MCE lsb, bounds, pkey, seccomp syscall and arch, unknown codes in hex; -X styles', () => {
  const si = (signo: number, code: number, errno = 0, fill?: (b: Buffer) => void): Buffer => {
    const b = Buffer.alloc(128);
    b.writeInt32LE(signo, 0);
    b.writeInt32LE(errno, 4);
    b.writeInt32LE(code, 8);
    fill?.(b);
    return b;
  };
  const r = (b: Buffer, style: 'abbrev' | 'raw' | 'verbose' = 'abbrev'): string => renderValue(siginfoValue(b, undefined, style));
  const addrAt = (b: Buffer): void => void b.writeBigUInt64LE(0xfacefeedn, 16);
  assert.equal(r(si(29, 1, 2, (b) => (b.writeBigInt64LE(-2n, 16), b.writeInt32LE(23, 24)))), '{si_signo=SIGIO, si_code=POLL_IN, si_errno=ENOENT, si_band=-2, si_fd=23}');
  assert.equal(r(si(11, -5, 0, (b) => (b.writeBigInt64LE(5n, 16), b.writeInt32LE(3, 24)))), '{si_signo=SIGSEGV, si_code=SI_SIGIO, si_band=5, si_fd=3}');
  assert.equal(r(si(5, 7, 0, addrAt)), '{si_signo=SIGTRAP, si_code=0x7, si_addr=0xfacefeed}');
  assert.equal(r(si(7, 4, -2, (b) => (addrAt(b), b.writeInt16LE(0x7ead, 24)))), '{si_signo=SIGBUS, si_code=BUS_MCEERR_AR, si_errno=4294967294, si_addr=0xfacefeed, si_addr_lsb=0x7ead}');
  assert.equal(r(si(11, 3, 0, (b) => (addrAt(b), b.writeBigUInt64LE(0x1000n, 40)))), '{si_signo=SIGSEGV, si_code=SEGV_BNDERR, si_addr=0xfacefeed, si_lower=NULL, si_upper=0x1000}');
  assert.equal(r(si(11, 4, 0, (b) => (addrAt(b), b.writeUInt32LE(3141592653, 32)))), '{si_signo=SIGSEGV, si_code=SEGV_PKUERR, si_addr=0xfacefeed, si_pkey=3141592653}');
  const sys = (nr: number, arch: number): Buffer => si(31, 1, 0, (b) => (b.writeInt32LE(nr, 24), b.writeUInt32LE(arch, 28)));
  assert.equal(r(sys(0, 0xc000003e)), '{si_signo=SIGSYS, si_code=SYS_SECCOMP, si_call_addr=NULL, si_syscall=__NR_read, si_arch=AUDIT_ARCH_X86_64}');
  assert.equal(r(sys(0, 0xc000003e), 'verbose'), '{si_signo=31 /* SIGSYS */, si_code=0x1 /* SYS_SECCOMP */, si_call_addr=NULL, si_syscall=0 /* __NR_read */, si_arch=0xc000003e /* AUDIT_ARCH_X86_64 */}');
  assert.equal(r(sys(-1, 0xda7a1057)), '{si_signo=SIGSYS, si_code=SYS_SECCOMP, si_call_addr=NULL, si_syscall=4294967295, si_arch=0xda7a1057 /* AUDIT_ARCH_??? */}');
  assert.equal(r(sys(0, 0xc000003e), 'raw'), '{si_signo=31, si_code=0x1, si_call_addr=NULL, si_syscall=0, si_arch=0xc000003e}');
  assert.equal(r(si(27, 0xbadc0ded | 0, -2, (b) => b.writeUInt32LE(3, 20))), '{si_signo=SIGPROF, si_code=0xbadc0ded, si_errno=4294967294, si_pid=0, si_uid=3}');
});
