// x86_64 registers between Linux's ptrace buffers and gdb's remote numbering
// (gdb's amd64 target description, as gdbserver serves it). One table (AMD64_REGISTERS) defines numbers,
// sizes, `g` offsets and the tdesc attributes; tdesc.ts renders it as XML, so
// the `g` layout and target.xml cannot drift apart.
//
// Sources of the values:
//   gpr    user_regs_struct (PTRACE_GETREGS), 27 little-endian u64
//   fp     user_fpregs_struct (PTRACE_GETFPREGS), the 512-byte FXSAVE image
//   xstate NT_X86_XSTATE (PTRACE_GETREGSET), standard (non-compacted) XSAVE
//          layout; only the AVX upper halves are taken from it
// The x87 control registers follow gdb's amd64 code (i387_supply_fxsave +
// amd64_supply_fxsave): ftag is the full tag word rebuilt from the abridged
// FXSAVE byte, fop keeps 11 bits, and fiseg/foseg are the upper halves of the
// 64-bit FPU instruction/data pointers.

import { RspParseError, hexDigitValue } from './packet.js';

export const GPR_SIZE = 27 * 8;
export const FPREGS_SIZE = 512;
/** XSAVE: XSTATE_BV lives at 512, the AVX YMM_Hi128 component at 576 (16 x 16 bytes). */
export const XSTATE_BV_OFFSET = 512;
export const XSTATE_YMM_OFFSET = 576;
export const XSTATE_MIN_AVX_SIZE = XSTATE_YMM_OFFSET + 16 * 16;
const XFEATURE_X87 = 1n;
const XFEATURE_SSE = 2n;
const XFEATURE_YMM = 4n;
/** FXSAVE bytes that hold architectural state (fcw..xmm15); the rest is reserved or software-defined. */
const FXSAVE_STATE_END = 160 + 16 * 16;

/** `g` sizes in bytes: without and with the AVX feature. */
export const G_SIZE_SSE = 560;
export const G_SIZE_AVX = 816;

/** Registers sent in every T stop reply, as gdbserver does: rbp, rsp, rip. */
export const EXPEDITED_REGNUMS: readonly number[] = [6, 7, 16];

/** user_regs_struct slot (u64 index) of each kernel register name. */
export const USER_REGS_INDEX = {
  r15: 0, r14: 1, r13: 2, r12: 3, rbp: 4, rbx: 5, r11: 6, r10: 7, r9: 8, r8: 9,
  rax: 10, rcx: 11, rdx: 12, rsi: 13, rdi: 14, orig_rax: 15, rip: 16, cs: 17,
  eflags: 18, rsp: 19, ss: 20, fs_base: 21, gs_base: 22, ds: 23, es: 24, fs: 25, gs: 26,
} as const;

export type TdescFeature = 'core' | 'sse' | 'linux' | 'segments' | 'avx';

/** How a register maps onto the Linux buffers. */
type RegSource =
  | { buf: 'gpr'; slot: number } // low `size` bytes of a u64 slot
  | { buf: 'fp'; offset: number } // plain bytes of the FXSAVE image
  | { buf: 'fp16'; offset: number } // u16 in FXSAVE, zero-extended to 32 bits
  | { buf: 'fop' } // u16 at 6, 11 bits used
  | { buf: 'ftag' } // abridged tag byte at 4 <-> full tag word
  | { buf: 'ymmh'; index: number }; // xstate YMM_Hi128[index]

export interface RegisterInfo {
  regnum: number;
  name: string;
  bitsize: number;
  /** tdesc type name. */
  type: string;
  group?: string;
  feature: TdescFeature;
  /** Byte offset in the `g` packet. */
  offset: number;
  /** Size in bytes (bitsize / 8). */
  size: number;
  source: RegSource;
}

function buildTable(): RegisterInfo[] {
  const regs: RegisterInfo[] = [];
  let offset = 0;
  const add = (name: string, bitsize: number, type: string, feature: TdescFeature, source: RegSource, group?: string): void => {
    const size = bitsize / 8;
    regs.push({ regnum: regs.length, name, bitsize, type, feature, offset, size, source, ...(group ? { group } : {}) });
    offset += size;
  };
  const gpr = (name: keyof typeof USER_REGS_INDEX): RegSource => ({ buf: 'gpr', slot: USER_REGS_INDEX[name] });

  for (const name of ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp'] as const) {
    add(name, 64, name === 'rbp' || name === 'rsp' ? 'data_ptr' : 'int64', 'core', gpr(name));
  }
  for (const name of ['r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const) add(name, 64, 'int64', 'core', gpr(name));
  add('rip', 64, 'code_ptr', 'core', gpr('rip'));
  add('eflags', 32, 'i386_eflags', 'core', gpr('eflags'));
  for (const name of ['cs', 'ss', 'ds', 'es', 'fs', 'gs'] as const) add(name, 32, 'int32', 'core', gpr(name));
  for (let i = 0; i < 8; i++) add(`st${i}`, 80, 'i387_ext', 'core', { buf: 'fp', offset: 32 + 16 * i });
  add('fctrl', 32, 'int', 'core', { buf: 'fp16', offset: 0 }, 'float');
  add('fstat', 32, 'int', 'core', { buf: 'fp16', offset: 2 }, 'float');
  add('ftag', 32, 'int', 'core', { buf: 'ftag' }, 'float');
  // 64-bit FXSAVE: FPU IP at 8 (u64), DP at 16 (u64); gdb splits each into off (low) / seg (high).
  add('fiseg', 32, 'int', 'core', { buf: 'fp', offset: 12 }, 'float');
  add('fioff', 32, 'int', 'core', { buf: 'fp', offset: 8 }, 'float');
  add('foseg', 32, 'int', 'core', { buf: 'fp', offset: 20 }, 'float');
  add('fooff', 32, 'int', 'core', { buf: 'fp', offset: 16 }, 'float');
  add('fop', 32, 'int', 'core', { buf: 'fop' }, 'float');
  for (let i = 0; i < 16; i++) add(`xmm${i}`, 128, 'vec128', 'sse', { buf: 'fp', offset: 160 + 16 * i });
  add('mxcsr', 32, 'i386_mxcsr', 'sse', { buf: 'fp', offset: 24 }, 'vector');
  add('orig_rax', 64, 'int', 'linux', gpr('orig_rax'));
  add('fs_base', 64, 'int', 'segments', gpr('fs_base'));
  add('gs_base', 64, 'int', 'segments', gpr('gs_base'));
  for (let i = 0; i < 16; i++) add(`ymm${i}h`, 128, 'uint128', 'avx', { buf: 'ymmh', index: i });
  return regs;
}

/** All registers in remote numbering order (0..75). */
export const AMD64_REGISTERS: readonly RegisterInfo[] = buildTable();

/** Number of registers served: 60 without AVX (through gs_base), 76 with. */
export function registerCount(avx: boolean): number {
  return avx ? 76 : 60;
}

export function registerByName(name: string): RegisterInfo | undefined {
  return AMD64_REGISTERS.find((r) => r.name === name);
}

// ---------------------------------------------------------------------------
// x87 tag word

/** Tag of one 80-bit register as the x87 would compute it: 0 valid, 1 zero, 2 special. (gdb i387_tag) */
export function i387Tag(raw: Buffer): number {
  const integer = (raw[7]! & 0x80) !== 0;
  const exponent = ((raw[9]! & 0x7f) << 8) | raw[8]!;
  if (exponent === 0x7fff) return 2;
  if (exponent === 0) {
    let fractionZero = (raw[7]! & 0x7f) === 0;
    for (let i = 0; i < 7 && fractionZero; i++) if (raw[i] !== 0) fractionZero = false;
    return fractionZero && !integer ? 1 : 2;
  }
  return integer ? 0 : 2;
}

/**
 * Full 16-bit tag word from an FXSAVE image: the abridged byte only says
 * empty / not empty per *physical* register; the rest is recomputed from the
 * contents. st_space holds ST(i) in stack order, so physical register r is
 * ST((r - TOP) mod 8), TOP being fstat bits 11-13.
 */
export function fxsaveTagToFull(fp: Buffer): number {
  const abridged = fp[4]!;
  const top = (fp.readUInt16LE(2) >> 11) & 7;
  let ftag = 0;
  for (let r = 7; r >= 0; r--) {
    let tag = 3; // empty
    if (abridged & (1 << r)) {
      const st = (r + 8 - top) % 8;
      tag = i387Tag(fp.subarray(32 + 16 * st, 32 + 16 * st + 10));
    }
    ftag |= tag << (2 * r);
  }
  return ftag;
}

/** Abridged FXSAVE tag byte: bit r set unless physical register r is tagged empty (3). */
export function fullTagToFxsave(ftag: number): number {
  let abridged = 0;
  for (let r = 0; r < 8; r++) if (((ftag >> (2 * r)) & 3) !== 3) abridged |= 1 << r;
  return abridged;
}

// ---------------------------------------------------------------------------
// Raw access

function xstateHasAvx(xstate: Buffer | undefined): xstate is Buffer {
  return xstate !== undefined && xstate.length >= XSTATE_MIN_AVX_SIZE;
}

function checkBuffers(gpr: Buffer, fp: Buffer): void {
  if (gpr.length < GPR_SIZE) throw new RangeError(`user_regs_struct buffer is ${gpr.length} bytes, need ${GPR_SIZE}`);
  if (fp.length < FPREGS_SIZE) throw new RangeError(`user_fpregs_struct buffer is ${fp.length} bytes, need ${FPREGS_SIZE}`);
}

/**
 * Copies the register's bytes (target order) to out[at..at+size). Returns
 * false, leaving out untouched, when the value is unavailable.
 */
function readInto(reg: RegisterInfo, gpr: Buffer, fp: Buffer, xstate: Buffer | undefined, out: Buffer, at: number): boolean {
  const src = reg.source;
  switch (src.buf) {
    case 'gpr':
      gpr.copy(out, at, src.slot * 8, src.slot * 8 + reg.size);
      return true;
    case 'fp':
      fp.copy(out, at, src.offset, src.offset + reg.size);
      return true;
    case 'fp16':
      out.writeUInt32LE(fp.readUInt16LE(src.offset), at);
      return true;
    case 'fop':
      out.writeUInt32LE(fp.readUInt16LE(6) & 0x7ff, at);
      return true;
    case 'ftag':
      out.writeUInt32LE(fxsaveTagToFull(fp), at);
      return true;
    case 'ymmh': {
      if (!xstateHasAvx(xstate)) return false;
      // A clear XSTATE_BV bit means the component is in its init state (zeros), whatever the buffer holds.
      if ((xstate.readBigUInt64LE(XSTATE_BV_OFFSET) & XFEATURE_YMM) === 0n) {
        out.fill(0, at, at + 16);
      } else {
        const from = XSTATE_YMM_OFFSET + 16 * src.index;
        xstate.copy(out, at, from, from + 16);
      }
      return true;
    }
  }
}

/** Register bytes in target (little-endian) order, or undefined when the value is unavailable. */
function readRaw(reg: RegisterInfo, gpr: Buffer, fp: Buffer, xstate: Buffer | undefined): Buffer | undefined {
  const out = Buffer.alloc(reg.size);
  return readInto(reg, gpr, fp, xstate, out, 0) ? out : undefined;
}

/** Writes a register into the (already copied) buffers. Returns false if it cannot be stored (no xstate). */
function writeRaw(reg: RegisterInfo, value: Buffer, gpr: Buffer, fp: Buffer, xstate: Buffer | undefined): boolean {
  const src = reg.source;
  switch (src.buf) {
    case 'gpr':
      // 32-bit registers (eflags, selectors) replace the low half and keep the rest, as gdbserver's collect does.
      value.copy(gpr, src.slot * 8, 0, reg.size);
      return true;
    case 'fp':
      value.copy(fp, src.offset, 0, reg.size);
      return true;
    case 'fp16':
      value.copy(fp, src.offset, 0, 2);
      return true;
    case 'fop': {
      // Only 11 bits are the opcode; keep the other 5 as they were (gdb i387_collect_fxsave).
      const old = fp.readUInt16LE(6);
      fp.writeUInt16LE((old & ~0x7ff) | (value.readUInt16LE(0) & 0x7ff), 6);
      return true;
    }
    case 'ftag':
      fp[4] = fullTagToFxsave(value.readUInt16LE(0));
      fp[5] = 0;
      return true;
    case 'ymmh': {
      if (!xstateHasAvx(xstate)) return false;
      const current = readRaw(reg, gpr, fp, xstate)!;
      if (current.equals(value.subarray(0, 16))) return true;
      const bv = xstate.readBigUInt64LE(XSTATE_BV_OFFSET);
      if ((bv & XFEATURE_YMM) === 0n) {
        // Leaving init state: the buffer's stale bytes must become the zeros they stood for.
        xstate.fill(0, XSTATE_YMM_OFFSET, XSTATE_YMM_OFFSET + 256);
        xstate.writeBigUInt64LE(bv | XFEATURE_YMM, XSTATE_BV_OFFSET);
      }
      value.copy(xstate, XSTATE_YMM_OFFSET + 16 * src.index, 0, 16);
      return true;
    }
  }
}

function hexOf(reg: RegisterInfo, raw: Buffer | undefined): string {
  return raw === undefined ? 'x'.repeat(reg.size * 2) : raw.toString('hex');
}

const LAYOUT_SSE = AMD64_REGISTERS.slice(0, registerCount(false));
const LAYOUT_AVX = AMD64_REGISTERS.slice(0, registerCount(true));

function layout(avx: boolean): readonly RegisterInfo[] {
  return avx ? LAYOUT_AVX : LAYOUT_SSE;
}

// ---------------------------------------------------------------------------
// Public conversions

/**
 * The `g` reply: every register of the layout as little-endian hex, 560 bytes
 * (1120 digits) without AVX, 816 with. AVX halves are sent as `xx…`
 * (unavailable) when no xstate buffer is given.
 */
export function encodeG(gpr: Buffer, fp: Buffer, xstate: Buffer | undefined, avx: boolean): string {
  checkBuffers(gpr, fp);
  const regs = layout(avx);
  const last = regs[regs.length - 1]!;
  const bytes = Buffer.alloc(last.offset + last.size);
  let unavailable: RegisterInfo[] | undefined;
  for (const reg of regs) {
    if (!readInto(reg, gpr, fp, xstate, bytes, reg.offset)) (unavailable ??= []).push(reg);
  }
  let hex = bytes.toString('hex');
  for (const reg of unavailable ?? []) {
    hex = hex.slice(0, reg.offset * 2) + 'x'.repeat(reg.size * 2) + hex.slice((reg.offset + reg.size) * 2);
  }
  return hex;
}

/** Modified copies of the register buffers and which of them differ from the originals. */
export interface RegisterWriteResult {
  gpr: Buffer;
  fp: Buffer;
  xstate: Buffer | undefined;
  /**
   * What the core must write back: gpr -> PTRACE_SETREGS, fp -> PTRACE_SETFPREGS,
   * xstate -> PTRACE_SETREGSET(NT_X86_XSTATE). xstate is set only when an AVX
   * half changed; its legacy area is then refreshed from `fp` and XSTATE_BV
   * marks x87/SSE present, so writing it alone (or after fp) loses nothing.
   */
  changed: { gpr: boolean; fp: boolean; xstate: boolean };
  /** Registers that could not be stored (AVX halves without an xstate buffer). */
  skipped: number[];
}

function applyWrites(
  writes: Array<{ reg: RegisterInfo; value: Buffer }>,
  gpr: Buffer,
  fp: Buffer,
  xstate: Buffer | undefined,
): RegisterWriteResult {
  checkBuffers(gpr, fp);
  const g2 = Buffer.from(gpr);
  const f2 = Buffer.from(fp);
  const x2 = xstate ? Buffer.from(xstate) : undefined;
  const skipped: number[] = [];
  for (const { reg, value } of writes) {
    if (!writeRaw(reg, value, g2, f2, x2)) skipped.push(reg.regnum);
  }
  const changed = {
    gpr: !g2.equals(gpr),
    fp: !f2.equals(fp),
    xstate: x2 !== undefined && xstate !== undefined && !x2.equals(xstate),
  };
  if (changed.xstate && x2) {
    f2.copy(x2, 0, 0, FXSAVE_STATE_END);
    x2.writeBigUInt64LE(x2.readBigUInt64LE(XSTATE_BV_OFFSET) | XFEATURE_X87 | XFEATURE_SSE, XSTATE_BV_OFFSET);
  }
  return { gpr: g2, fp: f2, xstate: x2, changed, skipped };
}

/** `xx` (unavailable) or hex bytes; throws RspParseError on anything else. */
function parseRegisterHex(hex: string, reg: RegisterInfo): Buffer | undefined {
  if (hex.length !== reg.size * 2) throw new RspParseError(`register ${reg.name} needs ${reg.size * 2} hex digits, got ${hex.length}`);
  if (/^x+$/i.test(hex)) return undefined;
  const out = Buffer.allocUnsafe(reg.size);
  for (let i = 0; i < reg.size; i++) {
    const hi = hexDigitValue(hex.charCodeAt(2 * i));
    const lo = hexDigitValue(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new RspParseError(`bad hex in register ${reg.name}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/**
 * Applies a `G` payload (hex, without the `G`) to copies of the buffers.
 * Accepts a prefix that ends on a register boundary (what gdb's own parser
 * accepts for `g`), skips registers sent as `xx…`, and rejects a payload
 * longer than the AVX layout or cut inside a register (RspParseError).
 */
export function decodeG(hex: string, gpr: Buffer, fp: Buffer, xstate?: Buffer): RegisterWriteResult {
  if (hex.length % 2 !== 0) throw new RspParseError('odd-length G payload');
  const bytes = hex.length / 2;
  if (bytes > G_SIZE_AVX) throw new RspParseError(`G payload of ${bytes} bytes is longer than the register layout (${G_SIZE_AVX})`);
  const writes: Array<{ reg: RegisterInfo; value: Buffer }> = [];
  for (const reg of AMD64_REGISTERS) {
    if (reg.offset >= bytes) break;
    if (reg.offset + reg.size > bytes) throw new RspParseError(`G payload ends inside register ${reg.name}`);
    const value = parseRegisterHex(hex.slice(reg.offset * 2, (reg.offset + reg.size) * 2), reg);
    if (value !== undefined) writes.push({ reg, value });
  }
  return applyWrites(writes, gpr, fp, xstate);
}

/** `p n`: the register as hex, `xx…` if unavailable, undefined if n is not a register of the layout. */
export function readRegister(regnum: number, gpr: Buffer, fp: Buffer, xstate: Buffer | undefined, avx: boolean): string | undefined {
  checkBuffers(gpr, fp);
  if (!Number.isInteger(regnum) || regnum < 0 || regnum >= registerCount(avx)) return undefined;
  const reg = AMD64_REGISTERS[regnum]!;
  return hexOf(reg, readRaw(reg, gpr, fp, xstate));
}

/**
 * `P n=v`: writes one register into copies of the buffers. Throws RangeError
 * for an unknown register and RspParseError for a value of the wrong size.
 * gdb writes P39=ffffffffffffffff (orig_rax = -1) after changing the PC of a
 * thread stopped in a syscall; that lands in gpr like any other register.
 */
export function writeRegister(regnum: number, hexValue: string, gpr: Buffer, fp: Buffer, xstate?: Buffer): RegisterWriteResult {
  const reg = AMD64_REGISTERS[regnum];
  if (reg === undefined || !Number.isInteger(regnum)) throw new RangeError(`no register ${regnum}`);
  const value = parseRegisterHex(hexValue, reg);
  return applyWrites(value === undefined ? [] : [{ reg, value }], gpr, fp, xstate);
}

/**
 * A register as an unsigned integer (little-endian, low 64 bits), for agent
 * expression `reg` ops. undefined if unknown or unavailable.
 */
export function readRegisterValue(regnum: number, gpr: Buffer, fp: Buffer, xstate?: Buffer): bigint | undefined {
  const reg = AMD64_REGISTERS[regnum];
  if (reg === undefined) return undefined;
  checkBuffers(gpr, fp);
  const raw = readRaw(reg, gpr, fp, xstate);
  if (raw === undefined) return undefined;
  let v = 0n;
  for (let i = Math.min(raw.length, 8) - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]!);
  return v;
}

/** `[regnum, hex]` pairs of the expedited registers (06 rbp, 07 rsp, 10 rip) for a T reply. */
export function expeditedRegisters(gpr: Buffer): Array<[number, string]> {
  if (gpr.length < GPR_SIZE) throw new RangeError(`user_regs_struct buffer is ${gpr.length} bytes, need ${GPR_SIZE}`);
  return EXPEDITED_REGNUMS.map((n) => {
    const reg = AMD64_REGISTERS[n]!;
    const src = reg.source as { buf: 'gpr'; slot: number };
    return [n, gpr.toString('hex', src.slot * 8, src.slot * 8 + 8)];
  });
}
