/**
 * Signals: rt_sigaction, rt_sigprocmask, rt_sigreturn, sigaltstack, rt_sigsuspend,
 * rt_sigpending, rt_sigtimedwait, rt_sigqueueinfo, kill/tkill/tgkill, pause, alarm
 * (strace signal.c, sigaltstack.c, sigreturn.c).
 */
import { Ctx, RVAL_DECODED, U32, type Decoder } from '../printer.js';
import { siginfoValue } from '../siginfo.js';
import { sigName } from '../../qualifier/signals.js';
import { NULL, addr, field, hexStr, num, struct, sym, type Field, type Value } from '../value.js';
import { sigact_flags, sigaltstack_flags, sigprocmaskcmds } from '../xlat/tables.gen.js';

const SA_RESTORER = 0x04000000n;

function handlerValue(h: bigint): Value {
  if (h === 0n) return sym('SIG_DFL');
  if (h === 1n) return sym('SIG_IGN');
  if (h === 0xffffffffffffffffn) return sym('SIG_ERR');
  return sym(hexStr(h));
}

/** struct kernel_sigaction: handler, flags, restorer, mask (x86_64). */
function sigactionValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 32);
  if (!b) return addr(ad);
  const flags = b.readBigUInt64LE(8);
  const f: Field[] = [
    field('sa_handler', handlerValue(b.readBigUInt64LE(0))),
    field('sa_mask', c.sigsetFrom(b.subarray(24, 32))),
    field('sa_flags', c.flags(flags, sigact_flags, 'SA_???')),
  ];
  if (flags & SA_RESTORER) f.push(field('sa_restorer', sym(hexStr(b.readBigUInt64LE(16)))));
  return struct(f);
}

function stackValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 24);
  if (!b) return addr(ad);
  const sp = b.readBigUInt64LE(0);
  return struct([
    field('ss_sp', sp === 0n ? NULL : sym(hexStr(sp))),
    field('ss_flags', c.flags(BigInt(b.readUInt32LE(8)), sigaltstack_flags, 'SS_???')),
    field('ss_size', num(b.readBigUInt64LE(16))),
  ]);
}

export function siginfoAt(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 128);
  if (!b) return addr(ad);
  // No signal (waitid with WNOHANG and nothing to report): strace prints an empty structure.
  return b.readInt32LE(0) === 0 ? struct([]) : siginfoValue(b, (pid) => c.pidv(BigInt(pid)), c.o.xlat, (fd) => c.fd(BigInt(fd)));
}

/** The kernel's sigset_t size (64 signals). */
const NSIG_BYTES = 8n;

/**
 * A sigset_t of `len` bytes as a syscall argument: strace shows it only for a length from `min`
 * (a word, but one byte for rt_sigpending) up to the kernel's size, else the address.
 */
export function sigsetArg(c: Ctx, ad: bigint, len: bigint, min = 8n): Value {
  if (ad === 0n) return NULL;
  if (len < min || len > NSIG_BYTES) return addr(ad);
  const b = c.fetch(ad, Number(len));
  return b ? c.sigsetFrom(b) : addr(ad);
}

/** Offset of uc_sigmask in the rt_sigframe's ucontext, from the stack pointer at the syscall. */
const UC_SIGMASK_FROM_SP = 296n;

export const signalDecoders: Record<string, Decoder> = {
  rt_sigaction: (c) => {
    if (c.entering) {
      c.push(c.signo(c.a[0]), sigactionValue(c, c.a[1]));
      return 0;
    }
    c.push(sigactionValue(c, c.a[2]), c.ulong(3));
    return 0;
  },
  rt_sigprocmask: (c) => {
    if (c.entering) {
      c.push(c.xval(U32(c.a[0]), sigprocmaskcmds, 'SIG_???'), sigsetArg(c, c.a[1], c.a[3]));
      return 0;
    }
    c.push(sigsetArg(c, c.a[2], c.a[3]), c.ulong(3));
    return 0;
  },
  // Resumes the call a signal interrupted with ERESTART_RESTARTBLOCK (the kernel's per-thread
  // restart_block): shown as that call, named when the thread's previous call is known.
  restart_syscall: (c) => {
    c.push(sym(`<... resuming interrupted ${c.prevName ?? 'system call'} ...>`));
    return RVAL_DECODED;
  },
  rt_sigreturn: (c) => {
    // The mask being restored lives in the signal frame on the stack.
    const sp = c.sp;
    const b = sp !== undefined ? c.fetch(sp + UC_SIGMASK_FROM_SP, 8) : undefined;
    c.push(struct([field('mask', b ? c.sigsetFrom(b) : sp !== undefined ? addr(sp + UC_SIGMASK_FROM_SP) : sym('?'))]));
    return RVAL_DECODED;
  },
  sigaltstack: (c) => {
    if (c.entering) {
      c.push(stackValue(c, c.a[0]));
      return 0;
    }
    c.push(stackValue(c, c.a[1]));
    return 0;
  },
  rt_sigsuspend: (c) => {
    c.push(sigsetArg(c, c.a[0], c.a[1]), c.ulong(1));
    return RVAL_DECODED;
  },
  rt_sigpending: (c) => {
    if (c.entering) return 0;
    c.push(sigsetArg(c, c.a[0], c.a[1], 1n), c.ulong(1));
    return 0;
  },
  rt_sigtimedwait: (c) => {
    if (c.entering) {
      c.push(sigsetArg(c, c.a[0], c.a[3]));
      // The timeout is input: read it now, it prints after the siginfo filled in at exit.
      c.priv = c.timespec(c.a[2]);
      return 0;
    }
    c.push(siginfoAt(c, c.a[1]), c.priv as Value, c.ulong(3));
    if (!c.failed && c.rval > 0n) c.aux = sigName(Number(c.rval));
    return 0;
  },
  rt_sigqueueinfo: (c) => {
    c.push(c.pidv(c.a[0]), c.signo(c.a[1]), siginfoAt(c, c.a[2]));
    return RVAL_DECODED;
  },
  rt_tgsigqueueinfo: (c) => {
    c.push(c.pidv(c.a[0]), c.pidv(c.a[1], 'tid'), c.signo(c.a[2]), siginfoAt(c, c.a[3]));
    return RVAL_DECODED;
  },
  kill: (c) => {
    c.push(c.pidv(c.a[0]), c.signo(c.a[1]));
    return RVAL_DECODED;
  },
  tkill: (c) => {
    c.push(c.pidv(c.a[0], 'tid'), c.signo(c.a[1]));
    return RVAL_DECODED;
  },
  tgkill: (c) => {
    c.push(c.pidv(c.a[0]), c.pidv(c.a[1], 'tid'), c.signo(c.a[2]));
    return RVAL_DECODED;
  },
  pause: () => RVAL_DECODED,
  alarm: (c) => {
    c.push(c.uint(0));
    return RVAL_DECODED;
  },
};

