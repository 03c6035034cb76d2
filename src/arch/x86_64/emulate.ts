/**
 * Executes one x86-64 user-mode instruction on a register set, in the tracer: the step over a
 * breakpoint or a `stepi` without running the thread. On virtual machines a single-step (#DB)
 * trap costs ~15 us, an int3 trap ~1 us (bench: trapcost), and a stop two context switches.
 *
 * Only instructions whose whole effect is on general registers, flags and at most one memory
 * load and one store are known: moves, lea, push/pop, the ALU group with exact flags, test,
 * inc/dec/not/neg, movzx/movsx/movsxd, cmov/set, jumps, calls, ret, leave, nops and endbr64.
 * Anything else (system calls, string and SIMD instructions, shifts, multiplies, locked or
 * 32-bit-address forms) gives `undefined`: the caller steps the thread for real.
 *
 * Pure: registers in (changed in place), memory through a load callback, the store returned.
 * AF after and/or/xor/test is architecturally undefined; it is cleared here.
 */
import type { Regs, GprName } from './regs.js';

/** Memory as the thread's own loads see it. */
export interface EmuMemory {
  /** The little-endian value of `size` bytes (1, 2, 4, 8) at addr, or undefined if unreadable. */
  load(addr: bigint, size: number): bigint | undefined;
}

/** What is left to do after emulate(): at most one store, made before the registers are set. */
export interface EmuStore {
  addr: bigint;
  size: number;
  value: bigint;
}

export interface EmuResult {
  store?: EmuStore;
  /** Instruction length in bytes. */
  length: number;
}

const REG: readonly GprName[] = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];

const M64 = 0xffffffffffffffffn;
const CF = 1n << 0n;
const PF = 1n << 2n;
const AF = 1n << 4n;
const ZF = 1n << 6n;
const SF = 1n << 7n;
const TF = 1n << 8n;
const OF = 1n << 11n;
const RF = 1n << 16n;
const STATUS = CF | PF | AF | ZF | SF | OF;
/** The user code segment of 64-bit processes (__USER_CS); 0x23 is 32-bit compatibility mode. */
const USER64_CS = 0x33n;

const mask = (bits: number): bigint => (bits === 64 ? M64 : (1n << BigInt(bits)) - 1n);
const sext = (v: bigint, bits: number): bigint => BigInt.asUintN(64, BigInt.asIntN(bits, v));

function parityEven(v: bigint): boolean {
  let b = Number(v & 0xffn);
  b ^= b >> 4;
  b ^= b >> 2;
  b ^= b >> 1;
  return (b & 1) === 0;
}

/** Status flags of a result, with CF and OF given. */
function flagsOf(res: bigint, bits: number, cf: boolean, of: boolean, af: boolean): bigint {
  let f = 0n;
  if (cf) f |= CF;
  if (of) f |= OF;
  if (af) f |= AF;
  if (res === 0n) f |= ZF;
  if ((res >> BigInt(bits - 1)) & 1n) f |= SF;
  if (parityEven(res)) f |= PF;
  return f;
}

/** Condition code cc (the low nibble of Jcc/SETcc/CMOVcc) on eflags. */
function condition(cc: number, fl: bigint): boolean {
  const cf = (fl & CF) !== 0n;
  const zf = (fl & ZF) !== 0n;
  const sf = (fl & SF) !== 0n;
  const of = (fl & OF) !== 0n;
  const pf = (fl & PF) !== 0n;
  let r: boolean;
  switch (cc >> 1) {
    case 0: r = of; break;
    case 1: r = cf; break;
    case 2: r = zf; break;
    case 3: r = cf || zf; break;
    case 4: r = sf; break;
    case 5: r = pf; break;
    case 6: r = sf !== of; break;
    default: r = zf || sf !== of; break;
  }
  return cc & 1 ? !r : r;
}

/** ALU group operation (0 add, 1 or, 2 adc, 3 sbb, 4 and, 5 sub, 6 xor, 7 cmp): result and flags. */
function alu(op: number, a: bigint, b: bigint, bits: number, flags: bigint): { res: bigint; flags: bigint } {
  const m = mask(bits);
  const sign = 1n << BigInt(bits - 1);
  let res: bigint;
  let cf: boolean;
  let of: boolean;
  switch (op) {
    case 0:
    case 2: {
      const cin = op === 2 && flags & CF ? 1n : 0n;
      const full = a + b + cin;
      res = full & m;
      cf = full > m;
      of = ((a ^ res) & (b ^ res) & sign) !== 0n;
      break;
    }
    case 3:
    case 5:
    case 7: {
      const bin = op === 3 && flags & CF ? 1n : 0n;
      res = (a - b - bin) & m;
      cf = a < b + bin;
      of = ((a ^ b) & (a ^ res) & sign) !== 0n;
      break;
    }
    default: {
      res = op === 1 ? a | b : op === 4 ? a & b : a ^ b;
      return { res, flags: flagsOf(res, bits, false, false, false) };
    }
  }
  return { res, flags: flagsOf(res, bits, cf, of, ((a ^ b ^ res) & 0x10n) !== 0n) };
}

/**
 * Emulates the instruction at regs' rip, whose bytes (up to 15; fewer near the end of a
 * mapping) are `code`. On success `regs` holds the registers after it (rip advanced or the
 * branch taken, RF cleared as the CPU does after an instruction) and the result names the
 * store to make; on undefined `regs` may be half-changed: discard it.
 */
export function emulate(code: Uint8Array, regs: Regs, mem: EmuMemory): EmuResult | undefined {
  if (regs.get('cs') !== USER64_CS) return undefined;
  if (regs.get('eflags') & TF) return undefined; // the program steps itself: its trap would be lost
  try {
    return new Insn(code, regs, mem).run();
  } catch (e) {
    if (e === TOO_LONG || e === FAULT || e === UNSUPPORTED) return undefined;
    throw e;
  }
}

const TOO_LONG = new Error('instruction runs past the bytes given');
const FAULT = new Error('memory operand unreadable');
const UNSUPPORTED = new Error('more than one store');

/** One instruction being decoded and executed (a class, not closures: nothing to allocate but
 * itself per instruction, and one shape for the JIT). */
class Insn {
  private i = 0;
  private readonly end: number;
  private rex = 0;
  private o16 = false;
  private segBase = 0n;
  private readonly rip0: bigint;
  private flags: bigint;
  private store: EmuStore | undefined = undefined;
  private nextRip: bigint | undefined = undefined;
  // ModRM operand: a register (rmReg >= 0) or a memory address (rip-relative ones are
  // resolved once the instruction's length is known).
  private regField = 0; // with REX.R
  private ext = 0; // the bare reg field, an opcode extension for group opcodes
  private rmReg = -1;
  private ea = 0n;
  private ripRel = false;

  constructor(
    private readonly code: Uint8Array,
    private readonly regs: Regs,
    private readonly mem: EmuMemory,
  ) {
    this.end = Math.min(code.length, 15);
    this.rip0 = regs.get('rip');
    this.flags = regs.get('eflags');
  }

  private byte(): number {
    if (this.i >= this.end) throw TOO_LONG;
    return this.code[this.i++]!;
  }

  private imm(bytes: number): bigint {
    let v = 0n;
    for (let k = 0; k < bytes; k++) v |= BigInt(this.byte()) << BigInt(8 * k);
    return v;
  }

  /** Immediate of an operand of `bits` (imm32 sign-extended for 64). */
  private immFor(bits: number): bigint {
    return bits === 8 ? this.imm(1) : bits === 16 ? this.imm(2) : sext(this.imm(4), 32) & mask(bits);
  }

  private getReg(n: number, bits: number): bigint {
    if (bits === 8 && this.rex === 0 && n >= 4 && n < 8) return (this.regs.get(REG[n - 4]!) >> 8n) & 0xffn;
    return this.regs.get(REG[n]!) & mask(bits);
  }

  private setReg(n: number, bits: number, v: bigint): void {
    v &= mask(bits);
    if (bits >= 32) return this.regs.set(REG[n]!, v); // a 32-bit write clears the upper half
    if (bits === 8 && this.rex === 0 && n >= 4 && n < 8) {
      const name = REG[n - 4]!;
      return this.regs.set(name, (this.regs.get(name) & ~0xff00n) | (v << 8n));
    }
    const name = REG[n]!;
    this.regs.set(name, (this.regs.get(name) & ~mask(bits)) | v);
  }

  private modrm(): void {
    const m = this.byte();
    const mod = m >> 6;
    const rR = (this.rex & 4) << 1;
    const rX = (this.rex & 2) << 2;
    const rB = (this.rex & 1) << 3;
    this.ext = (m >> 3) & 7;
    this.regField = this.ext | rR;
    const rm = m & 7;
    if (mod === 3) {
      this.rmReg = rm | rB;
      return;
    }
    if (rm === 4) {
      const sib = this.byte();
      const scale = BigInt(sib >> 6);
      const index = ((sib >> 3) & 7) | rX;
      const base = sib & 7;
      if (base === 5 && mod === 0) this.ea = sext(this.imm(4), 32);
      else this.ea = this.regs.get(REG[base | rB]!);
      if (index !== 4) this.ea += this.regs.get(REG[index]!) << scale;
    } else if (rm === 5 && mod === 0) {
      this.ripRel = true;
      this.ea = sext(this.imm(4), 32);
    } else {
      this.ea = this.regs.get(REG[rm | rB]!);
    }
    if (mod === 1) this.ea += sext(this.imm(1), 8);
    else if (mod === 2) this.ea += sext(this.imm(4), 32);
  }

  /** The memory address, once every byte of the instruction has been read. */
  private addr(): bigint {
    return BigInt.asUintN(64, (this.ripRel ? this.rip0 + BigInt(this.i) + this.ea : this.ea) + this.segBase);
  }

  private load(a: bigint, bits: number): bigint {
    const v = this.mem.load(a, bits / 8);
    if (v === undefined) throw FAULT;
    return v;
  }

  private readRm(bits: number): bigint {
    return this.rmReg >= 0 ? this.getReg(this.rmReg, bits) : this.load(this.addr(), bits);
  }

  private writeRm(bits: number, v: bigint): void {
    if (this.rmReg >= 0) return this.setReg(this.rmReg, bits, v);
    this.storeAt(this.addr(), bits / 8, v & mask(bits));
  }

  private storeAt(addr: bigint, size: number, value: bigint): void {
    if (this.store) throw UNSUPPORTED;
    this.store = { addr, size, value };
  }

  private push(v: bigint): void {
    const sp = BigInt.asUintN(64, this.regs.get('rsp') - 8n);
    this.storeAt(sp, 8, v);
    this.regs.set('rsp', sp);
  }

  private pop(): bigint {
    const sp = this.regs.get('rsp');
    const v = this.load(sp, 64);
    this.regs.set('rsp', BigInt.asUintN(64, sp + 8n));
    return v;
  }

  private setStatus(f: bigint): void {
    this.flags = (this.flags & ~STATUS) | f;
  }

  private relJump(disp: bigint): bigint {
    return BigInt.asUintN(64, this.rip0 + BigInt(this.i) + disp);
  }

  run(): EmuResult | undefined {
    const { code, regs } = this;
    // Prefixes: operand size, the segment overrides 64-bit mode ignores (cs/ds/es/ss, used in
    // padding nops and notrack), fs/gs (TLS: the stack protector's canary), and rep only for
    // the encodings that are something else (pause, endbr64, rep ret).
    let rep = false;
    for (;;) {
      const b = code[this.i];
      if (b === 0x66) this.o16 = true;
      else if (b === 0x2e || b === 0x3e || b === 0x26 || b === 0x36) { /* ignored in 64-bit mode */ }
      else if (b === 0x64) this.segBase = regs.get('fs_base');
      else if (b === 0x65) this.segBase = regs.get('gs_base');
      else if (b === 0xf3) rep = true;
      else break;
      if (++this.i >= this.end) return undefined;
    }
    if ((code[this.i]! & 0xf0) === 0x40) this.rex = code[this.i++]!;
    const rex = this.rex;
    const W = (rex & 8) !== 0;
    const rB = (rex & 1) << 3;
    const o16 = this.o16;
    const osz = W ? 64 : o16 ? 16 : 32;

    const op = this.byte();
    if (rep && !(op === 0x90 || op === 0xc3 || op === 0x0f)) return undefined;
    // Near branches ignore 0x66 on Intel and honour it on AMD: not ours to choose.
    if (o16 && (op === 0xc3 || op === 0xe8 || op === 0xe9 || op === 0xeb || (op >= 0x70 && op <= 0x7f) ||
      (op === 0x0f && code[this.i]! >= 0x80 && code[this.i]! <= 0x8f))) return undefined;
    if (op < 0x40 && (op & 7) < 6) {
      // add/or/adc/sbb/and/sub/xor/cmp in their six forms
      const aop = op >> 3;
      const form = op & 7;
      const bits = form & 1 ? osz : 8;
      let a: bigint;
      let b: bigint;
      let dst: 'rm' | 'reg' | 'acc';
      if (form < 4) {
        this.modrm();
        if (form < 2) {
          a = this.readRm(bits);
          b = this.getReg(this.regField, bits);
          dst = 'rm';
        } else {
          a = this.getReg(this.regField, bits);
          b = this.readRm(bits);
          dst = 'reg';
        }
      } else {
        b = this.immFor(bits);
        a = this.getReg(0, bits);
        dst = 'acc';
      }
      const r = alu(aop, a, b, bits, this.flags);
      this.setStatus(r.flags);
      if (aop !== 7) {
        if (dst === 'rm') this.writeRm(bits, r.res);
        else this.setReg(dst === 'reg' ? this.regField : 0, bits, r.res);
      }
    } else if (op === 0x80 || op === 0x81 || op === 0x83) {
      const bits = op === 0x80 ? 8 : osz;
      this.modrm();
      const b = op === 0x83 ? sext(this.imm(1), 8) & mask(bits) : this.immFor(bits);
      const r = alu(this.ext, this.readRm(bits), b, bits, this.flags);
      this.setStatus(r.flags);
      if (this.ext !== 7) this.writeRm(bits, r.res);
    } else if (op === 0x84 || op === 0x85) {
      const bits = op === 0x84 ? 8 : osz;
      this.modrm();
      this.setStatus(alu(4, this.readRm(bits), this.getReg(this.regField, bits), bits, this.flags).flags);
    } else if (op === 0xa8 || op === 0xa9) {
      const bits = op === 0xa8 ? 8 : osz;
      this.setStatus(alu(4, this.getReg(0, bits), this.immFor(bits), bits, this.flags).flags);
    } else if (op === 0xf6 || op === 0xf7) {
      const bits = op === 0xf6 ? 8 : osz;
      this.modrm();
      if (this.ext === 0) {
        const b = this.immFor(bits);
        this.setStatus(alu(4, this.readRm(bits), b, bits, this.flags).flags);
      } else if (this.ext === 2) {
        this.writeRm(bits, ~this.readRm(bits));
      } else if (this.ext === 3) {
        const r = alu(5, 0n, this.readRm(bits), bits, this.flags);
        this.setStatus(r.flags);
        this.writeRm(bits, r.res);
      } else return undefined;
    } else if (op === 0xfe || op === 0xff) {
      const bits = op === 0xfe ? 8 : osz;
      this.modrm();
      const ext = this.ext;
      if (ext === 0 || ext === 1) {
        const r = alu(ext === 0 ? 0 : 5, this.readRm(bits), 1n, bits, this.flags);
        this.setStatus((r.flags & ~CF) | (this.flags & CF)); // inc/dec keep CF
        this.writeRm(bits, r.res);
      } else if (op === 0xff && !o16 && (ext === 2 || ext === 4 || ext === 6)) {
        const target = this.readRm(64);
        if (ext === 2) {
          this.push(this.rip0 + BigInt(this.i));
          this.nextRip = target;
        } else if (ext === 4) this.nextRip = target;
        else this.push(target);
      } else return undefined;
    } else if (op >= 0x88 && op <= 0x8b) {
      const bits = op & 1 ? osz : 8;
      this.modrm();
      if (op < 0x8a) this.writeRm(bits, this.getReg(this.regField, bits));
      else this.setReg(this.regField, bits, this.readRm(bits));
    } else if (op === 0x8d) {
      this.modrm();
      if (this.rmReg >= 0) return undefined;
      this.segBase = 0n; // lea computes the offset only
      this.setReg(this.regField, osz, this.addr());
    } else if (op === 0xc6 || op === 0xc7) {
      const bits = op === 0xc6 ? 8 : osz;
      this.modrm();
      if (this.ext !== 0) return undefined;
      this.writeRm(bits, this.immFor(bits));
    } else if (op >= 0xb0 && op <= 0xbf) {
      const n = (op & 7) | rB;
      if (op < 0xb8) this.setReg(n, 8, this.imm(1));
      else this.setReg(n, osz, this.imm(osz / 8));
    } else if (op >= 0x50 && op <= 0x57) {
      if (o16) return undefined;
      this.push(regs.get(REG[(op & 7) | rB]!));
    } else if (op >= 0x58 && op <= 0x5f) {
      if (o16) return undefined;
      const v = this.pop();
      regs.set(REG[(op & 7) | rB]!, v); // pop %rsp: the loaded value wins
    } else if (op === 0x6a || op === 0x68) {
      if (o16) return undefined;
      this.push(op === 0x6a ? sext(this.imm(1), 8) : sext(this.imm(4), 32));
    } else if (op === 0x90) {
      if (rB) return undefined; // xchg %r8, %rax
    } else if (op === 0x98) {
      if (W) regs.set('rax', sext(regs.get('rax'), 32));
      else if (!o16) this.setReg(0, 32, sext(regs.get('rax'), 16));
      else return undefined;
    } else if (op === 0x99) {
      if (W) regs.set('rdx', regs.get('rax') >> 63n ? M64 : 0n);
      else if (!o16) this.setReg(2, 32, (regs.get('rax') >> 31n) & 1n ? 0xffffffffn : 0n);
      else return undefined;
    } else if (op === 0x63) {
      if (!W) return undefined;
      this.modrm();
      this.setReg(this.regField, 64, sext(this.readRm(32), 32));
    } else if (op === 0xc3) {
      this.nextRip = this.pop();
    } else if (op === 0xc9) {
      if (o16) return undefined;
      regs.set('rsp', regs.get('rbp'));
      regs.set('rbp', this.pop());
    } else if (op === 0xe8) {
      const d = sext(this.imm(4), 32);
      this.push(this.rip0 + BigInt(this.i));
      this.nextRip = this.relJump(d);
    } else if (op === 0xe9) {
      this.nextRip = this.relJump(sext(this.imm(4), 32));
    } else if (op === 0xeb) {
      this.nextRip = this.relJump(sext(this.imm(1), 8));
    } else if (op >= 0x70 && op <= 0x7f) {
      const d = sext(this.imm(1), 8);
      if (condition(op & 15, this.flags)) this.nextRip = this.relJump(d);
    } else if (op === 0x0f) {
      const op2 = this.byte();
      if (rep) {
        // endbr64 / endbr32: nops when CET is off, and a step over them is only a move of rip
        if (op2 !== 0x1e) return undefined;
        const b = this.byte();
        if (b !== 0xfa && b !== 0xfb) return undefined;
      } else if (op2 === 0x1f) {
        this.modrm(); // the multi-byte nop: no access to its operand
      } else if (op2 >= 0x80 && op2 <= 0x8f) {
        const d = sext(this.imm(4), 32);
        if (condition(op2 & 15, this.flags)) this.nextRip = this.relJump(d);
      } else if (op2 >= 0x40 && op2 <= 0x4f) {
        this.modrm();
        const v = this.readRm(osz); // read (and faulting) whatever the condition
        if (condition(op2 & 15, this.flags)) this.setReg(this.regField, osz, v);
        else if (osz === 32) this.setReg(this.regField, 32, this.getReg(this.regField, 32)); // still zero-extends
      } else if (op2 >= 0x90 && op2 <= 0x9f) {
        this.modrm();
        this.writeRm(8, condition(op2 & 15, this.flags) ? 1n : 0n);
      } else if (op2 === 0xb6 || op2 === 0xb7 || op2 === 0xbe || op2 === 0xbf) {
        const from = op2 & 1 ? 16 : 8;
        this.modrm();
        const v = this.readRm(from);
        this.setReg(this.regField, osz, op2 >= 0xbe ? sext(v, from) : v);
      } else return undefined;
    } else {
      return undefined;
    }
    regs.set('rip', this.nextRip ?? this.rip0 + BigInt(this.i));
    regs.set('eflags', this.flags & ~RF);
    return this.store ? { store: this.store, length: this.i } : { length: this.i };
  }
}
