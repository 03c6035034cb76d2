/**
 * ptrace(2) as strace prints it (strace ptrace.c, reduced): the request by name; PTRACE_TRACEME
 * alone (its other arguments are ignored by the kernel); the pid for requests without address
 * and data; the signal for the restarting requests; addresses elsewhere. A traced program that
 * tries to trace itself or others shows up here: `ptrace(PTRACE_TRACEME) = -1 EPERM`.
 */
import { SYSCALLS, errnoName } from '../../../api.js';
import { Ctx, RVAL_DECODED, type Decoder } from '../printer.js';
import { arr, field, hex, num, struct, sym, type Field, type Value } from '../value.js';
import { audit_arch, ptrace_syscall_info_op } from '../xlat/tables.gen.js';
import { xlat } from '../xlat/xlat.js';

const REQUESTS: readonly (readonly [bigint, string])[] = ([
  [0, 'PTRACE_TRACEME'], [1, 'PTRACE_PEEKTEXT'], [2, 'PTRACE_PEEKDATA'], [3, 'PTRACE_PEEKUSER'],
  [4, 'PTRACE_POKETEXT'], [5, 'PTRACE_POKEDATA'], [6, 'PTRACE_POKEUSER'], [7, 'PTRACE_CONT'],
  [8, 'PTRACE_KILL'], [9, 'PTRACE_SINGLESTEP'], [12, 'PTRACE_GETREGS'], [13, 'PTRACE_SETREGS'],
  [14, 'PTRACE_GETFPREGS'], [15, 'PTRACE_SETFPREGS'], [16, 'PTRACE_ATTACH'], [17, 'PTRACE_DETACH'],
  [18, 'PTRACE_GETFPXREGS'], [19, 'PTRACE_SETFPXREGS'], [24, 'PTRACE_SYSCALL'],
  [25, 'PTRACE_GET_THREAD_AREA'], [26, 'PTRACE_SET_THREAD_AREA'], [30, 'PTRACE_ARCH_PRCTL'],
  [31, 'PTRACE_SYSEMU'], [32, 'PTRACE_SYSEMU_SINGLESTEP'], [33, 'PTRACE_SINGLEBLOCK'],
  [0x4200, 'PTRACE_SETOPTIONS'], [0x4201, 'PTRACE_GETEVENTMSG'], [0x4202, 'PTRACE_GETSIGINFO'],
  [0x4203, 'PTRACE_SETSIGINFO'], [0x4204, 'PTRACE_GETREGSET'], [0x4205, 'PTRACE_SETREGSET'],
  [0x4206, 'PTRACE_SEIZE'], [0x4207, 'PTRACE_INTERRUPT'], [0x4208, 'PTRACE_LISTEN'],
  [0x4209, 'PTRACE_PEEKSIGINFO'], [0x420a, 'PTRACE_GETSIGMASK'], [0x420b, 'PTRACE_SETSIGMASK'],
  [0x420c, 'PTRACE_SECCOMP_GET_FILTER'], [0x420d, 'PTRACE_SECCOMP_GET_METADATA'],
  [0x420e, 'PTRACE_GET_SYSCALL_INFO'], [0x420f, 'PTRACE_GET_RSEQ_CONFIGURATION'],
  [0x4210, 'PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG'], [0x4211, 'PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG'],
] as const).map(([v, n]) => [BigInt(v), n] as const);
const ptraceCmds = xlat('ptrace_cmds', REQUESTS);
const ptraceOptions = xlat('ptrace_setoptions_flags', ([
  [0x1, 'PTRACE_O_TRACESYSGOOD'], [0x2, 'PTRACE_O_TRACEFORK'], [0x4, 'PTRACE_O_TRACEVFORK'],
  [0x8, 'PTRACE_O_TRACECLONE'], [0x10, 'PTRACE_O_TRACEEXEC'], [0x20, 'PTRACE_O_TRACEVFORKDONE'],
  [0x40, 'PTRACE_O_TRACEEXIT'], [0x80, 'PTRACE_O_TRACESECCOMP'], [0x100000, 'PTRACE_O_EXITKILL'],
  [0x200000, 'PTRACE_O_SUSPEND_SECCOMP'],
] as const).map(([v, n]) => [BigInt(v), n] as const));
/** PTRACE_SETOPTIONS and PTRACE_SEIZE: data is PTRACE_O_* flags. */
const OPTIONS = new Set([0x4200n, 0x4206n]);

/** Requests whose data argument is a signal to deliver. */
const RESTARTS = new Set([7n, 9n, 17n, 24n, 31n, 32n, 33n]);
/** Requests that use only the pid. */
const PID_ONLY = new Set([8n, 16n, 0x4207n, 0x4208n]);

const PTRACE_GET_SYSCALL_INFO = 0x420en;

/** `name` for -X abbrev, the number for raw, both for verbose. */
function named(c: Ctx, n: bigint, name: string | undefined): Value {
  if (name === undefined || c.o.xlat === 'raw') return num(n);
  return sym(c.o.xlat === 'verbose' ? `${n} /* ${name} */` : name);
}

/**
 * struct ptrace_syscall_info as far as the kernel filled it in: `len` bytes, the smaller of the
 * buffer size and the returned size; a field shows only when it lies wholly within them.
 */
function syscallInfo(c: Ctx, ad: bigint, len: number): Value {
  const b = c.fetch(ad, Math.min(len, 88));
  if (!b) return c.ptr(3);
  const f: Field[] = [];
  if (b.length < 1) return struct(f);
  const op = BigInt(b[0]);
  f.push(field('op', c.xval(op, ptrace_syscall_info_op, 'PTRACE_SYSCALL_INFO_???')));
  if (b.length >= 8) f.push(field('arch', c.xval(BigInt(b.readUInt32LE(4)), audit_arch, 'AUDIT_ARCH_???')));
  if (b.length >= 16) f.push(field('instruction_pointer', hex(b.readBigUInt64LE(8))));
  if (b.length >= 24) f.push(field('stack_pointer', hex(b.readBigUInt64LE(16))));
  const u: Field[] = [];
  if (op === 1n || op === 3n) {
    if (b.length >= 32) {
      const nr = b.readBigUInt64LE(24);
      const e = nr < 4096n ? SYSCALLS[Number(nr)] : undefined;
      u.push(field('nr', named(c, nr, e ? `__NR_${e.name}` : undefined)));
      const n = Math.min(6, Math.floor((b.length - 32) / 8));
      if (n > 0) u.push(field('args', arr(Array.from({ length: n }, (_, i) => hex(b.readBigUInt64LE(32 + i * 8))))));
      if (op === 3n && b.length >= 84) u.push(field('ret_data', num(b.readUInt32LE(80))));
    }
    if (u.length) f.push(field(op === 1n ? 'entry' : 'seccomp', struct(u)));
  } else if (op === 2n) {
    if (b.length >= 32) {
      const rv = b.readBigInt64LE(24);
      const isErr = b.length >= 33 ? b[32] : undefined;
      const name = isErr && rv < 0n && rv >= -4095n ? `-${errnoName(Number(-rv))}` : undefined;
      u.push(field('rval', named(c, rv, name)));
      if (isErr !== undefined) u.push(field('is_error', num(isErr)));
    }
    if (u.length) f.push(field('exit', struct(u)));
  }
  return struct(f);
}

const ptrace: Decoder = (c) => {
  const req = c.a[0];
  if (req === PTRACE_GET_SYSCALL_INFO) {
    if (c.entering) {
      // addr is the size of the buffer at data.
      c.push(c.xval(req, ptraceCmds, 'PTRACE_???'), c.int(1), num(c.a[2]));
      return 0;
    }
    const size = c.a[2];
    const len = c.rval < size ? c.rval : size;
    c.push(c.failed || size === 0n || c.a[3] === 0n ? c.ptr(3) : syscallInfo(c, c.a[3], Number(len)));
    return 0;
  }
  c.push(c.xval(req, ptraceCmds, 'PTRACE_???'));
  if (req === 0n) return RVAL_DECODED;
  c.push(c.int(1));
  if (PID_ONLY.has(req)) return RVAL_DECODED;
  c.push(c.ptr(2));
  if (RESTARTS.has(req)) c.push(c.signo(c.a[3]));
  else if (OPTIONS.has(req)) c.push(c.a[3] === 0n ? c.int(3) : c.flags(c.a[3], ptraceOptions, 'PTRACE_O_???'));
  else c.push(c.ptr(3));
  return RVAL_DECODED;
};

export const ptraceDecoders: Record<string, Decoder> = { ptrace };
