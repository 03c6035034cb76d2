// g/G/p/P conversion between Linux register buffers and gdb numbering.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { RspParseError } from '../../src/engines/gdb/protocol/packet.js';
import {
  AMD64_REGISTERS,
  G_SIZE_AVX,
  G_SIZE_SSE,
  USER_REGS_INDEX,
  XSTATE_BV_OFFSET,
  XSTATE_YMM_OFFSET,
  decodeG,
  encodeG,
  expeditedRegisters,
  fullTagToFxsave,
  fxsaveTagToFull,
  i387Tag,
  readRegister,
  readRegisterValue,
  registerByName,
  writeRegister,
} from '../../src/engines/gdb/protocol/regs.js';

const le64 = (v: bigint): string => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return b.toString('hex');
};

function makeGpr(): Buffer {
  const gpr = Buffer.alloc(27 * 8);
  for (let i = 0; i < 27; i++) gpr.writeBigUInt64LE(BigInt.asUintN(64, 0x1111111100000000n * BigInt(i + 1) + BigInt(i)), i * 8);
  gpr.writeBigUInt64LE(0x246n, USER_REGS_INDEX.eflags * 8);
  gpr.writeBigUInt64LE(0x33n, USER_REGS_INDEX.cs * 8);
  gpr.writeBigUInt64LE(0x2bn, USER_REGS_INDEX.ss * 8);
  return gpr;
}

/** 80-bit extended: 1.0 = exponent 0x3fff, integer bit set. */
const ONE = Buffer.from('0000000000000080ff3f', 'hex');
const ZERO = Buffer.alloc(10);
const NAN = Buffer.from('000000000000c0ffff7f', 'hex');
const DENORMAL = Buffer.from('01000000000000000000', 'hex');
const UNNORMAL = Buffer.from('0000000000000040ff3f', 'hex'); // integer bit clear, exponent nonzero

function makeFp(): Buffer {
  const fp = Buffer.alloc(512);
  fp.writeUInt16LE(0x037f, 0); // fcw
  fp.writeUInt16LE(0x3800, 2); // fsw: TOP = 7
  fp[4] = 0x80; // physical reg 7 in use
  fp.writeUInt16LE(0xf9ab, 6); // fop: top 5 bits are junk gdb must not show
  fp.writeBigUInt64LE(0x1122334455667788n, 8); // FPU IP
  fp.writeBigUInt64LE(0x99aabbccddeeff00n, 16); // FPU DP
  fp.writeUInt32LE(0x1f80, 24); // mxcsr
  fp.writeUInt32LE(0xffff, 28); // mxcsr_mask
  ONE.copy(fp, 32); // ST0
  for (let i = 0; i < 16; i++) fp.fill(0x10 + i, 160 + 16 * i, 176 + 16 * i);
  fp.fill(0x5a, 416, 512); // reserved area must never leak into g
  return fp;
}

function makeXstate(avxInUse: boolean): Buffer {
  const x = Buffer.alloc(1088);
  makeFp().copy(x, 0);
  x.writeBigUInt64LE(avxInUse ? 7n : 3n, XSTATE_BV_OFFSET);
  for (let i = 0; i < 16; i++) x.fill(0xa0 + i, XSTATE_YMM_OFFSET + 16 * i, XSTATE_YMM_OFFSET + 16 * (i + 1));
  return x;
}

function field(g: string, name: string): string {
  const r = registerByName(name)!;
  return g.slice(r.offset * 2, (r.offset + r.size) * 2);
}

test('g is 560 bytes without AVX and 816 with; fields sit at the offsets of docs/gdb-server.md, Registers', () => {
  const gpr = makeGpr();
  const fp = makeFp();
  const g = encodeG(gpr, fp, undefined, false);
  assert.equal(g.length, G_SIZE_SSE * 2);
  assert.equal(encodeG(gpr, fp, makeXstate(true), true).length, G_SIZE_AVX * 2);
  const slot = (name: keyof typeof USER_REGS_INDEX): string => gpr.toString('hex', USER_REGS_INDEX[name] * 8, USER_REGS_INDEX[name] * 8 + 8);
  assert.equal(g.slice(0, 16), slot('rax'));
  assert.equal(g.slice(16, 32), slot('rbx'));
  assert.equal(g.slice(6 * 16, 7 * 16), slot('rbp'));
  assert.equal(g.slice(7 * 16, 8 * 16), slot('rsp'));
  assert.equal(g.slice(8 * 16, 9 * 16), slot('r8'));
  assert.equal(g.slice(15 * 16, 16 * 16), slot('r15'));
  assert.equal(g.slice(128 * 2, 136 * 2), slot('rip'));
  assert.equal(g.slice(136 * 2, 140 * 2), '46020000'); // eflags, 32 bits
  assert.equal(g.slice(140 * 2, 144 * 2), '33000000'); // cs
  assert.equal(g.slice(144 * 2, 148 * 2), '2b000000'); // ss
  assert.equal(g.slice(164 * 2, 174 * 2), ONE.toString('hex')); // st0
  assert.equal(field(g, 'fctrl'), '7f030000');
  assert.equal(field(g, 'fstat'), '00380000');
  assert.equal(field(g, 'ftag'), 'ff3f0000'); // one value pushed on an empty stack: 0x3fff
  assert.equal(field(g, 'fop'), 'ab010000'); // 0xf9ab & 0x7ff
  assert.equal(field(g, 'fioff'), '88776655');
  assert.equal(field(g, 'fiseg'), '44332211');
  assert.equal(field(g, 'fooff'), '00ffeedd');
  assert.equal(field(g, 'foseg'), 'ccbbaa99');
  assert.equal(g.slice(276 * 2, 292 * 2), '10'.repeat(16)); // xmm0
  assert.equal(g.slice(516 * 2, 532 * 2), '1f'.repeat(16)); // xmm15
  assert.equal(g.slice(532 * 2, 536 * 2), '801f0000'); // mxcsr
  assert.equal(g.slice(536 * 2, 544 * 2), slot('orig_rax'));
  assert.equal(g.slice(544 * 2, 552 * 2), slot('fs_base'));
  assert.equal(g.slice(552 * 2, 560 * 2), slot('gs_base'));
  assert.ok(!g.includes('5a5a5a5a'), 'reserved FXSAVE bytes are not exposed');
});

test('AVX halves: from YMM_Hi128, zeros when XSTATE_BV says init, xx when unknown', () => {
  const gpr = makeGpr();
  const fp = makeFp();
  const g = encodeG(gpr, fp, makeXstate(true), true);
  assert.equal(g.slice(560 * 2, 576 * 2), 'a0'.repeat(16));
  assert.equal(g.slice(800 * 2, 816 * 2), 'af'.repeat(16));
  const init = encodeG(gpr, fp, makeXstate(false), true);
  assert.equal(init.slice(560 * 2), '00'.repeat(256));
  const unknown = encodeG(gpr, fp, undefined, true);
  assert.equal(unknown.slice(560 * 2), 'x'.repeat(512));
  assert.equal(unknown.length, G_SIZE_AVX * 2);
});

test('decodeG(encodeG(x)) changes nothing, for both layouts', () => {
  const gpr = makeGpr();
  const fp = makeFp();
  const xs = makeXstate(true);
  for (const avx of [false, true]) {
    const r = decodeG(encodeG(gpr, fp, xs, avx), gpr, fp, xs);
    assert.deepEqual(r.changed, { gpr: false, fp: false, xstate: false });
    assert.deepEqual(r.gpr, gpr);
    assert.deepEqual(r.fp, fp);
    assert.deepEqual(r.xstate, xs);
    assert.notEqual(r.gpr, gpr, 'copies, not the originals');
  }
});

test('decodeG writes only what changed, into the right buffer', () => {
  const gpr = makeGpr();
  const fp = makeFp();
  const xs = makeXstate(true);
  const g = encodeG(gpr, fp, xs, true);
  const put = (hex: string, name: string, value: string): string => {
    const r = registerByName(name)!;
    return hex.slice(0, r.offset * 2) + value + hex.slice((r.offset + r.size) * 2);
  };

  let r = decodeG(put(g, 'rip', le64(0x401000n)), gpr, fp, xs);
  assert.deepEqual(r.changed, { gpr: true, fp: false, xstate: false });
  assert.equal(r.gpr.readBigUInt64LE(USER_REGS_INDEX.rip * 8), 0x401000n);

  r = decodeG(put(g, 'eflags', '47020000'), gpr, fp, xs);
  assert.equal(r.gpr.readBigUInt64LE(USER_REGS_INDEX.eflags * 8), 0x247n);

  r = decodeG(put(g, 'xmm3', 'ff'.repeat(16)), gpr, fp, xs);
  assert.deepEqual(r.changed, { gpr: false, fp: true, xstate: false });
  assert.equal(r.fp.toString('hex', 160 + 48, 160 + 64), 'ff'.repeat(16));

  r = decodeG(put(g, 'ymm2h', '55'.repeat(16)), gpr, fp, xs);
  assert.deepEqual(r.changed, { gpr: false, fp: false, xstate: true });
  assert.equal(r.xstate!.toString('hex', XSTATE_YMM_OFFSET + 32, XSTATE_YMM_OFFSET + 48), '55'.repeat(16));

  // ftag written as "all empty" clears the abridged byte.
  r = decodeG(put(g, 'ftag', 'ffff0000'), gpr, fp, xs);
  assert.equal(r.fp[4], 0);
  // fop keeps the 5 bits above the opcode.
  r = decodeG(put(g, 'fop', '23010000'), gpr, fp, xs);
  assert.equal(r.fp.readUInt16LE(6), 0xf923);
  // Segment-style fields: fiseg is the high half of the 64-bit FPU IP.
  r = decodeG(put(g, 'fiseg', '00000000'), gpr, fp, xs);
  assert.equal(r.fp.readBigUInt64LE(8), 0x55667788n);
});

test('decodeG: prefixes on a register boundary are accepted, others rejected', () => {
  const gpr = makeGpr();
  const fp = makeFp();
  const g = encodeG(gpr, fp, undefined, false);
  const rax = decodeG(le64(5n), gpr, fp);
  assert.equal(rax.gpr.readBigUInt64LE(USER_REGS_INDEX.rax * 8), 5n);
  assert.deepEqual(rax.changed, { gpr: true, fp: false, xstate: false });
  assert.throws(() => decodeG(g + '00'.repeat(257), gpr, fp), RspParseError, 'longer than the AVX layout');
  assert.throws(() => decodeG(g.slice(0, 20), gpr, fp), RspParseError, 'cut inside rbx');
  assert.throws(() => decodeG(g.slice(0, 15), gpr, fp), RspParseError, 'odd');
  assert.throws(() => decodeG('zz' + g.slice(2), gpr, fp), RspParseError);
  // Unavailable registers (xx) are left alone.
  const xx = decodeG('x'.repeat(16) + g.slice(16), gpr, fp);
  assert.deepEqual(xx.changed, { gpr: false, fp: false, xstate: false });
  // AVX halves without an xstate buffer cannot be stored: reported, not thrown.
  const noXs = decodeG(encodeG(gpr, fp, makeXstate(true), true), gpr, fp);
  assert.deepEqual(noXs.skipped, Array.from({ length: 16 }, (_, i) => 60 + i));
});

test('ftag expansion: empty, valid, zero, special, and TOP rotation', () => {
  const fp = makeFp();
  fp[4] = 0;
  assert.equal(fxsaveTagToFull(fp), 0xffff, 'all empty');

  assert.equal(i387Tag(ONE), 0);
  assert.equal(i387Tag(ZERO), 1);
  assert.equal(i387Tag(NAN), 2);
  assert.equal(i387Tag(DENORMAL), 2);
  assert.equal(i387Tag(UNNORMAL), 2);

  // TOP=7, one value: physical 7 = ST0.
  const one = makeFp();
  assert.equal(fxsaveTagToFull(one), 0x3fff);
  ZERO.copy(one, 32);
  assert.equal(fxsaveTagToFull(one), 0x7fff);
  NAN.copy(one, 32);
  assert.equal(fxsaveTagToFull(one), 0xbfff);

  // TOP=5, three values: physical 5,6,7 = ST0,ST1,ST2 = 1.0, 0.0, NaN.
  const three = makeFp();
  three.writeUInt16LE(5 << 11, 2);
  three[4] = 0xe0;
  ONE.copy(three, 32);
  ZERO.copy(three, 48);
  NAN.copy(three, 64);
  assert.equal(fxsaveTagToFull(three), (2 << 14) | (1 << 12) | (0 << 10) | 0x3ff);

  // TOP=0 with all eight in use and a valid value everywhere.
  const full = makeFp();
  full.writeUInt16LE(0, 2);
  full[4] = 0xff;
  for (let i = 0; i < 8; i++) ONE.copy(full, 32 + 16 * i);
  assert.equal(fxsaveTagToFull(full), 0);
  // A single register in ST3 (physical 3 with TOP 0) being zero.
  ZERO.copy(full, 32 + 16 * 3);
  assert.equal(fxsaveTagToFull(full), 1 << 6);

  for (const tag of [0xffff, 0x3fff, 0x0000, 0x5555, 0xaaaa, 0x7fff, 0xfffc]) {
    assert.equal(fullTagToFxsave(tag), [0, 1, 2, 3, 4, 5, 6, 7].reduce((a, r) => (((tag >> (2 * r)) & 3) === 3 ? a : a | (1 << r)), 0));
  }
});

test('p/P: single registers, orig_rax = -1, AVX halves only with the AVX layout', () => {
  const gpr = makeGpr();
  const fp = makeFp();
  const xs = makeXstate(false);
  assert.equal(readRegister(0x10, gpr, fp, xs, false), gpr.toString('hex', 16 * 8, 17 * 8));
  assert.equal(readRegister(0x22, gpr, fp, xs, false), 'ff3f0000');
  assert.equal(readRegister(60, gpr, fp, xs, false), undefined);
  assert.equal(readRegister(60, gpr, fp, xs, true), '00'.repeat(16));
  assert.equal(readRegister(76, gpr, fp, xs, true), undefined);
  assert.equal(readRegister(-1, gpr, fp, xs, true), undefined);

  const r = writeRegister(0x39, 'ffffffffffffffff', gpr, fp, xs);
  assert.deepEqual(r.changed, { gpr: true, fp: false, xstate: false });
  assert.equal(r.gpr.readBigInt64LE(USER_REGS_INDEX.orig_rax * 8), -1n);
  assert.throws(() => writeRegister(0x39, 'ff', gpr, fp, xs), RspParseError);
  assert.throws(() => writeRegister(99, '00', gpr, fp, xs), RangeError);

  // Writing an AVX half while the component is in init state: stale bytes become zeros, BV gains YMM
  // (and x87/SSE, with the legacy area refreshed from fp, so a lone SETREGSET loses nothing).
  const stale = makeXstate(false);
  stale.fill(0x99, 0, 160); // legacy area out of date on purpose
  const w = writeRegister(61, '01'.repeat(16), gpr, fp, stale);
  assert.deepEqual(w.changed, { gpr: false, fp: false, xstate: true });
  assert.equal(w.xstate!.readBigUInt64LE(XSTATE_BV_OFFSET) & 7n, 7n);
  assert.equal(w.xstate!.toString('hex', XSTATE_YMM_OFFSET, XSTATE_YMM_OFFSET + 16), '00'.repeat(16));
  assert.equal(w.xstate!.toString('hex', XSTATE_YMM_OFFSET + 16, XSTATE_YMM_OFFSET + 32), '01'.repeat(16));
  assert.deepEqual(w.xstate!.subarray(0, 416), fp.subarray(0, 416));
  // Writing zeros into an init-state component is not a change.
  assert.deepEqual(writeRegister(61, '00'.repeat(16), gpr, fp, makeXstate(false)).changed, { gpr: false, fp: false, xstate: false });
});

test('expedited registers and register values for agent expressions', () => {
  const gpr = makeGpr();
  const fp = makeFp();
  assert.deepEqual(
    expeditedRegisters(gpr).map(([n]) => n),
    [6, 7, 16],
  );
  assert.deepEqual(expeditedRegisters(gpr)[2], [16, gpr.toString('hex', 16 * 8, 17 * 8)]);
  assert.equal(readRegisterValue(17, gpr, fp), 0x246n);
  assert.equal(readRegisterValue(0, gpr, fp), gpr.readBigUInt64LE(USER_REGS_INDEX.rax * 8));
  assert.equal(readRegisterValue(56, gpr, fp), 0x1f80n);
  assert.equal(readRegisterValue(200, gpr, fp), undefined);
  assert.equal(readRegisterValue(60, gpr, fp), undefined, 'no xstate');
  assert.equal(AMD64_REGISTERS.length, 76);
  assert.throws(() => encodeG(Buffer.alloc(8), fp, undefined, false), RangeError);
});
