/**
 * x86_64 register sets as the kernel lays them out (asm/user.h), and the syscall ABI.
 * Pure data and pure functions: no I/O.
 */

/** struct user_regs_struct field order (27 u64). */
export const GPR_NAMES = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx',
  'rsi', 'rdi', 'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds',
  'es', 'fs', 'gs',
] as const;
export type GprName = (typeof GPR_NAMES)[number];
export const GPR_SIZE = GPR_NAMES.length * 8;
export const GPR_INDEX: Readonly<Record<GprName, number>> = Object.fromEntries(
  GPR_NAMES.map((n, i) => [n, i]),
) as Record<GprName, number>;

/** ELF note types for PTRACE_GETREGSET. */
export const NT_PRSTATUS = 1;
export const NT_PRFPREG = 2;
export const NT_X86_XSTATE = 0x202;
export const FPREGS_SIZE = 512;
/** Upper bound for one XSAVE area (AMX tile data makes it over 8 KiB); the kernel says the
 * real size by how much of it GETREGSET fills. */
export const XSTATE_MAX = 64 * 1024;

/** offsetof(struct user, u_debugreg): debug registers via PTRACE_PEEKUSER/POKEUSER. */
export const DEBUGREG_OFFSET = 848;

/** The `syscall` instruction (0f 05), for step-over-syscall detection. */
export const SYSCALL_INSN = [0x0f, 0x05] as const;
/** int3 */
export const BREAKPOINT_INSN = 0xcc;

/** General registers of a stopped thread, backed by the raw user_regs_struct bytes. */
export class Regs {
  readonly buf: Buffer;
  private readonly _u: BigUint64Array;

  constructor(buf?: Buffer) {
    this.buf = buf ?? Buffer.alloc(GPR_SIZE);
    this._u = new BigUint64Array(this.buf.buffer, this.buf.byteOffset, GPR_NAMES.length);
  }

  get(name: GprName): bigint {
    return this._u[GPR_INDEX[name]]!;
  }

  set(name: GprName, value: bigint): void {
    this._u[GPR_INDEX[name]] = BigInt.asUintN(64, value);
  }

  /** Signed view, for return values. */
  getSigned(name: GprName): bigint {
    return BigInt.asIntN(64, this.get(name));
  }

  get pc(): bigint {
    return this.get('rip');
  }
  set pc(v: bigint) {
    this.set('rip', v);
  }
  get sp(): bigint {
    return this.get('rsp');
  }

  clone(): Regs {
    return new Regs(Buffer.from(this.buf));
  }

  toJSON(): Record<string, string> {
    const o: Record<string, string> = {};
    for (const n of GPR_NAMES) o[n] = '0x' + this.get(n).toString(16);
    return o;
  }
}
