// target.xml against gdb's amd64 register numbering and `g` layout, and qXfer chunking.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { amd64LinuxTargetXml, parseQXferRead, qXferSlice, targetXmlBuffer } from '../../src/engines/gdb/protocol/tdesc.js';
import { RspParseError } from '../../src/engines/gdb/protocol/packet.js';

/** Minimal well-formedness check: declaration, balanced tags, quoted attributes, one root. */
function assertWellFormedXml(xml: string): void {
  let rest = xml.replace(/^<\?xml version="1\.0"\?>\s*/, '');
  assert.notEqual(rest, xml, 'XML declaration first');
  rest = rest.replace(/^<!DOCTYPE target SYSTEM "gdb-target\.dtd">\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  const re = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<&]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(rest)) !== null) {
    consumed = re.lastIndex;
    if (m[5] !== undefined) {
      assert.ok(stack.length > 0 || m[5].trim() === '', 'text outside the root');
      assert.ok(!/[<&]/.test(m[5]));
      continue;
    }
    const [, close, name, , selfClose] = m;
    if (close) {
      assert.equal(stack.pop(), name, `mismatched </${name}>`);
    } else {
      if (stack.length === 0) roots++;
      if (!selfClose) stack.push(name!);
    }
  }
  assert.equal(consumed, rest.length, `unparsable XML near: ${rest.slice(consumed, consumed + 60)}`);
  assert.deepEqual(stack, []);
  assert.equal(roots, 1);
}

interface XmlReg {
  name: string;
  bitsize: number;
  regnum: number;
  feature: string;
}

/** Registers in document order with gdb's numbering rule (explicit regnum, else previous + 1). */
function xmlRegisters(xml: string): XmlReg[] {
  const regs: XmlReg[] = [];
  let feature = '';
  let next = 0;
  for (const m of xml.matchAll(/<feature name="([^"]+)">|<reg ([^>]*)\/>/g)) {
    if (m[1]) {
      feature = m[1];
      continue;
    }
    const attr = (k: string): string | undefined => new RegExp(`\\b${k}="([^"]*)"`).exec(m[2]!)?.[1];
    const regnum = attr('regnum') !== undefined ? Number(attr('regnum')) : next;
    next = regnum + 1;
    regs.push({ name: attr('name')!, bitsize: Number(attr('bitsize')), regnum, feature });
  }
  return regs;
}

// gdb's amd64 layout, as gdbserver's target.xml numbers it: first register of each row,
// regnum, size, g offset.
const SPEC_ROWS: Array<[string, number, number, number]> = [
  ['rax', 0, 8, 0], ['rbx', 1, 8, 8], ['rcx', 2, 8, 16], ['rdx', 3, 8, 24], ['rsi', 4, 8, 32], ['rdi', 5, 8, 40],
  ['rbp', 6, 8, 48], ['rsp', 7, 8, 56], ['r8', 8, 8, 64], ['r15', 15, 8, 120],
  ['rip', 16, 8, 128], ['eflags', 17, 4, 136],
  ['cs', 18, 4, 140], ['ss', 19, 4, 144], ['ds', 20, 4, 148], ['es', 21, 4, 152], ['fs', 22, 4, 156], ['gs', 23, 4, 160],
  ['st0', 24, 10, 164], ['st7', 31, 10, 234],
  ['fctrl', 32, 4, 244], ['fstat', 33, 4, 248], ['ftag', 34, 4, 252], ['fiseg', 35, 4, 256], ['fioff', 36, 4, 260],
  ['foseg', 37, 4, 264], ['fooff', 38, 4, 268], ['fop', 39, 4, 272],
  ['xmm0', 40, 16, 276], ['xmm15', 55, 16, 516], ['mxcsr', 56, 4, 532],
  ['orig_rax', 57, 8, 536], ['fs_base', 58, 8, 544], ['gs_base', 59, 8, 552],
  ['ymm0h', 60, 16, 560], ['ymm15h', 75, 16, 800],
];

for (const avx of [false, true]) {
  test(`target.xml (avx=${avx}) is well-formed and matches the numbering and g layout of docs/gdb-server.md`, () => {
    const xml = amd64LinuxTargetXml({ avx });
    assertWellFormedXml(xml);
    assert.match(xml, /<architecture>i386:x86-64<\/architecture>/);
    assert.match(xml, /<osabi>GNU\/Linux<\/osabi>/);
    const features = [...xml.matchAll(/<feature name="([^"]+)">/g)].map((m) => m[1]);
    const expected = ['org.gnu.gdb.i386.core', 'org.gnu.gdb.i386.sse', 'org.gnu.gdb.i386.linux', 'org.gnu.gdb.i386.segments'];
    assert.deepEqual(features, avx ? [...expected, 'org.gnu.gdb.i386.avx'] : expected);

    const regs = xmlRegisters(xml);
    assert.equal(regs.length, avx ? 76 : 60);
    // Remote numbering is dense and in document order, so g offsets are the running sum of sizes.
    regs.forEach((r, i) => assert.equal(r.regnum, i, r.name));
    const offsets = new Map<string, { regnum: number; size: number; offset: number; feature: string }>();
    let off = 0;
    for (const r of regs) {
      offsets.set(r.name, { regnum: r.regnum, size: r.bitsize / 8, offset: off, feature: r.feature });
      off += r.bitsize / 8;
    }
    assert.equal(off, avx ? 816 : 560);
    for (const [name, regnum, size, offset] of SPEC_ROWS) {
      if (!avx && regnum >= 60) {
        assert.equal(offsets.has(name), false);
        continue;
      }
      assert.deepEqual(
        { regnum: offsets.get(name)?.regnum, size: offsets.get(name)?.size, offset: offsets.get(name)?.offset },
        { regnum, size, offset },
        name,
      );
    }
    assert.equal(offsets.get('orig_rax')!.feature, 'org.gnu.gdb.i386.linux');
    assert.equal(offsets.get('fs_base')!.feature, 'org.gnu.gdb.i386.segments');
    assert.match(xml, /<reg name="orig_rax" bitsize="64" type="int" regnum="57"\/>/);
    // Types referenced by registers are defined or predefined.
    const defined = new Set([...xml.matchAll(/<(?:flags|vector|union) id="([^"]+)"/g)].map((m) => m[1]));
    const predefined = ['int', 'int32', 'int64', 'data_ptr', 'code_ptr', 'i387_ext', 'uint128'];
    for (const m of xml.matchAll(/<reg [^>]*type="([^"]+)"/g)) assert.ok(defined.has(m[1]) || predefined.includes(m[1]!), m[1]);
  });
}

test('qXferSlice: m while more remains, l for the last piece, l for offset past the end', () => {
  const data = targetXmlBuffer({ avx: true });
  let offset = 0;
  const pieces: Buffer[] = [];
  for (;;) {
    const r = qXferSlice(data, offset, 0x1000);
    pieces.push(r.subarray(1));
    offset += r.length - 1;
    if (r[0] === 0x6c) break;
    assert.equal(r[0], 0x6d);
    assert.equal(r.length - 1, 0x1000);
  }
  assert.deepEqual(Buffer.concat(pieces), data);
  assert.deepEqual(qXferSlice(Buffer.from('abc'), 0, 3), Buffer.from('labc'));
  assert.deepEqual(qXferSlice(Buffer.from('abc'), 0, 2), Buffer.from('mab'));
  assert.deepEqual(qXferSlice(Buffer.from('abc'), 3, 10), Buffer.from('l'));
  assert.deepEqual(qXferSlice(Buffer.from('abc'), 99, 10), Buffer.from('l'));
});

test('parseQXferRead', () => {
  assert.deepEqual(parseQXferRead('qXfer:features:read:target.xml:0,1000'), { object: 'features', annex: 'target.xml', offset: 0, length: 0x1000 });
  assert.deepEqual(parseQXferRead('qXfer:auxv:read::1000,1000'), { object: 'auxv', annex: '', offset: 0x1000, length: 0x1000 });
  assert.deepEqual(parseQXferRead('qXfer:exec-file:read:1148:0,1000'), { object: 'exec-file', annex: '1148', offset: 0, length: 0x1000 });
  assert.equal(parseQXferRead('qXfer:siginfo:write::0:abc'), undefined);
  assert.equal(parseQXferRead('qSupported'), undefined);
  assert.throws(() => parseQXferRead('qXfer:auxv:read::zz,1'), RspParseError);
});
