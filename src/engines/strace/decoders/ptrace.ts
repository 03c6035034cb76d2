/**
 * ptrace(2) as strace prints it: the request by name; PTRACE_TRACEME alone (its other arguments
 * are ignored by the kernel); the pid for requests without address and data; the signal for the
 * restarting requests; the structures of linux/ptrace.h and the x86_64 register sets (signal
 * masks, siginfo, PEEKSIGINFO, GET/SETREGS, GET/SETFPREGS, GET/SETREGSET, seccomp metadata,
 * syscall info); addresses elsewhere. A traced program that tries to trace itself or others
 * shows up here: `ptrace(PTRACE_TRACEME) = -1 EPERM`.
 */
import { SYSCALLS, errnoName } from '../../../api.js';
import { Ctx, RVAL_DECODED, type Decoder } from '../printer.js';
import { SIGINFO_SIZE, siginfoValue } from '../siginfo.js';
import { addr, arr, chg, field, hex, num, struct, sym, type Field, type Value } from '../value.js';
import { audit_arch, nt_descriptor_types, ptrace_peeksiginfo_flags, ptrace_syscall_info_op, seccomp_filter_flags } from '../xlat/tables.gen.js';
import { siginfoAt } from './signal.js';
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

/** struct user_regs_struct (sys/user.h, x86_64): 27 registers of 8 bytes, in this order. */
const USER_REGS = ['r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi', 'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs'];
const USER_REGS_SIZE = USER_REGS.length * 8;

/** The registers wholly inside the first `len` bytes. */
function userRegs(b: Buffer, len: number): Field[] {
  const f: Field[] = [];
  for (let i = 0; (i + 1) * 8 <= len; i++) f.push(field(USER_REGS[i]!, hex(b.readBigUInt64LE(i * 8))));
  return f;
}

/**
 * struct user_fpregs_struct (sys/user.h, x86_64, the FXSAVE area): [name, offset, element
 * size, count]; a count of 0 is a scalar. Arrays show the elements wholly inside `len`.
 */
const USER_FPREGS: readonly (readonly [string, number, number, number])[] = [
  ['cwd', 0, 2, 0], ['swd', 2, 2, 0], ['ftw', 4, 2, 0], ['fop', 6, 2, 0], ['rip', 8, 8, 0], ['rdp', 16, 8, 0],
  ['mxcsr', 24, 4, 0], ['mxcr_mask', 28, 4, 0], ['st_space', 32, 4, 32], ['xmm_space', 160, 4, 64], ['padding', 416, 4, 24],
];
const USER_FPREGS_SIZE = 512;

function userFpregs(b: Buffer, len: number): Field[] {
  const rd = (off: number, size: number): bigint => (size === 8 ? b.readBigUInt64LE(off) : BigInt(size === 4 ? b.readUInt32LE(off) : b.readUInt16LE(off)));
  const f: Field[] = [];
  for (const [name, off, size, count] of USER_FPREGS) {
    if (count === 0) {
      if (off + size <= len) f.push(field(name, hex(rd(off, size))));
      continue;
    }
    const n = Math.min(count, Math.floor((len - off) / size));
    if (n > 0) f.push(field(name, arr(Array.from({ length: n }, (_, i) => hex(rd(off + i * size, size))))));
  }
  return f;
}

/** A whole register block (GETREGS, SETFPREGS...), or its address when unreadable. */
function regsBlock(c: Ctx, ad: bigint, size: number, fields: (b: Buffer, len: number) => Field[]): Value {
  const b = ad === 0n ? undefined : c.fetch(ad, size);
  return b ? struct(fields(b, size)) : addr(ad);
}

/**
 * iov_base of a regset transfer of `len` bytes: the registers of the sets we know (a `...`
 * when len runs past the set); the address for other sets, a length that is not a whole
 * number of 8-byte words, or unreadable memory.
 */
function regsetBase(c: Ctx, type: bigint, base: bigint, len: bigint): Value {
  const known = type === NT_PRSTATUS ? ([USER_REGS_SIZE, userRegs] as const) : type === NT_FPREGSET ? ([USER_FPREGS_SIZE, userFpregs] as const) : undefined;
  if (!known || len === 0n || len % 8n !== 0n) return addr(base);
  const [size, fields] = known;
  const n = len < BigInt(size) ? Number(len) : size;
  const b = c.fetch(base, n);
  return b ? struct(fields(b, n), len > BigInt(size)) : addr(base);
}

/** struct ptrace_peeksiginfo_args { __u64 off; __u32 flags; __s32 nr; } */
function peekArgs(c: Ctx, ad: bigint): Value {
  const b = ad === 0n ? undefined : c.fetch(ad, 16);
  if (!b) return addr(ad);
  return struct([
    field('off', num(b.readBigUInt64LE(0))),
    field('flags', c.flags(BigInt(b.readUInt32LE(8)), ptrace_peeksiginfo_flags, 'PTRACE_PEEKSIGINFO_???')),
    field('nr', num(b.readInt32LE(12))),
  ]);
}

/** The `n` siginfo_t the kernel copied out. */
function peekedSiginfos(c: Ctx, ad: bigint, n: bigint): Value {
  return c.array(ad, n, SIGINFO_SIZE, (b) => siginfoValue(b, (pid) => c.pidv(BigInt(pid)), c.o.xlat, (fd) => c.fd(BigInt(fd))));
}

/** struct seccomp_metadata { __u64 filter_off; __u64 flags; } of `size` bytes: filter_off is input, flags output. */
function seccompMetadata(c: Ctx, ad: bigint, size: bigint): Value {
  // filter_off is the caller's input, valid whether or not the call worked.
  const b = ad === 0n || size < 8n ? undefined : c.fetchAlways(ad, !c.failed && size >= 16n ? 16 : 8);
  if (!b) return addr(ad);
  const f = [field('filter_off', num(b.readBigUInt64LE(0)))];
  if (b.length >= 16) f.push(field('flags', c.flags(b.readBigUInt64LE(8), seccomp_filter_flags, 'SECCOMP_FILTER_FLAG_???')));
  return struct(f);
}

const PTRACE_GETREGS = 12n;
const PTRACE_SETREGS = 13n;
const PTRACE_GETFPREGS = 14n;
const PTRACE_SETFPREGS = 15n;
const PTRACE_GETSIGINFO = 0x4202n;
const PTRACE_SETSIGINFO = 0x4203n;
const PTRACE_GETREGSET = 0x4204n;
const PTRACE_SETREGSET = 0x4205n;
const PTRACE_PEEKSIGINFO = 0x4209n;
const PTRACE_GETSIGMASK = 0x420an;
const PTRACE_SETSIGMASK = 0x420bn;
const PTRACE_SECCOMP_GET_FILTER = 0x420cn;
const PTRACE_SECCOMP_GET_METADATA = 0x420dn;
const NT_PRSTATUS = 1n;
const NT_FPREGSET = 2n;

/**
 * What the exit half needs: the iovec as the caller passed it (GETREGSET, SETREGSET) and, for
 * SET, the registers it sent (input, read at entry; the whole iovec prints at exit because
 * the kernel rewrites iov_len inside it).
 */
interface IovAtEntry {
  readonly base: bigint;
  readonly len: bigint;
  readonly sent?: Value;
}

function ptraceEntry(c: Ctx, req: bigint): number {
  c.push(c.xval(req, ptraceCmds, 'PTRACE_???'));
  if (req === 0n) return RVAL_DECODED;
  c.push(c.int(1));
  if (PID_ONLY.has(req)) return RVAL_DECODED;
  const data = c.a[3];
  switch (req) {
    // The register blocks: no address argument; SET's is input, GET's is printed at exit.
    case PTRACE_GETREGS:
    case PTRACE_GETFPREGS:
      return 0;
    case PTRACE_SETREGS:
      c.push(regsBlock(c, data, USER_REGS_SIZE, userRegs));
      return RVAL_DECODED;
    case PTRACE_SETFPREGS:
      c.push(regsBlock(c, data, USER_FPREGS_SIZE, userFpregs));
      return RVAL_DECODED;
    case PTRACE_GETREGSET:
    case PTRACE_SETREGSET: {
      c.push(c.xval(c.a[2], nt_descriptor_types, 'NT_???'));
      const iov = data === 0n ? undefined : c.fetch(data, 16);
      if (!iov) {
        c.push(c.ptr(3));
        return RVAL_DECODED;
      }
      const base = iov.readBigUInt64LE(0);
      const len = iov.readBigUInt64LE(8);
      const at: IovAtEntry = { base, len, sent: req === PTRACE_SETREGSET ? regsetBase(c, c.a[2], base, len) : undefined };
      c.priv = at;
      return 0;
    }
    case PTRACE_SETSIGINFO:
      c.push(c.ptr(2), siginfoAt(c, data));
      return RVAL_DECODED;
    case PTRACE_PEEKSIGINFO:
      c.push(peekArgs(c, c.a[2]));
      return 0;
    // addr is the size of the set (the kernel's 8 bytes).
    case PTRACE_SETSIGMASK:
      c.push(num(c.a[2]), c.sigset(data, c.a[2]));
      return RVAL_DECODED;
    case PTRACE_GETSIGMASK:
    case PTRACE_SECCOMP_GET_METADATA:
      c.push(num(c.a[2]));
      return 0;
    // addr is the index of the filter; data receives its instructions.
    case PTRACE_SECCOMP_GET_FILTER:
      c.push(num(c.a[2]), c.ptr(3));
      return RVAL_DECODED;
    case PTRACE_GETSIGINFO:
      c.push(c.ptr(2));
      return 0;
  }
  c.push(c.ptr(2));
  if (RESTARTS.has(req)) c.push(c.signo(data));
  else if (OPTIONS.has(req)) c.push(data === 0n ? c.int(3) : c.flags(data, ptraceOptions, 'PTRACE_O_???'));
  else c.push(c.ptr(3));
  return RVAL_DECODED;
}

function ptraceExit(c: Ctx, req: bigint): void {
  const data = c.a[3];
  switch (req) {
    case PTRACE_GETREGS:
      c.push(c.failed ? c.ptr(3) : regsBlock(c, data, USER_REGS_SIZE, userRegs));
      return;
    case PTRACE_GETFPREGS:
      c.push(c.failed ? c.ptr(3) : regsBlock(c, data, USER_FPREGS_SIZE, userFpregs));
      return;
    case PTRACE_GETREGSET:
    case PTRACE_SETREGSET: {
      // The kernel writes back how much of the set it transferred.
      const at = c.priv as IovAtEntry;
      const now = c.failed ? undefined : c.fetch(data + 8n, 8)?.readBigUInt64LE(0);
      const len = now ?? at.len;
      const base = at.sent ?? (c.failed ? addr(at.base) : regsetBase(c, c.a[2], at.base, len));
      c.push(struct([field('iov_base', base), field('iov_len', lenChange(at.len, len))]));
      return;
    }
    case PTRACE_PEEKSIGINFO:
      c.push(c.failed ? c.ptr(3) : peekedSiginfos(c, data, c.rval));
      return;
    case PTRACE_GETSIGMASK:
      c.push(c.failed ? c.ptr(3) : c.sigset(data, c.a[2]));
      return;
    case PTRACE_SECCOMP_GET_METADATA:
      c.push(seccompMetadata(c, data, c.a[2]));
      return;
    case PTRACE_GETSIGINFO:
      c.push(c.failed ? c.ptr(3) : siginfoAt(c, data));
      return;
  }
}

const lenChange = (before: bigint, after: bigint): Value => (before === after ? num(after) : chg(num(before), num(after)));

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
  if (c.entering) return ptraceEntry(c, req);
  ptraceExit(c, req);
  return 0;
};

export const ptraceDecoders: Record<string, Decoder> = { ptrace };
