// qXfer:libraries-svr4 document built from a synthetic address space (auxv -> PHDR ->
// PT_DYNAMIC -> DT_DEBUG -> r_debug -> link_map chain), in gdbserver 13's exact form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NO_R_DEBUG, findRDebug, parseSvr4Annex, svr4LibraryList } from '../../src/engines/gdb/svr4.js';
import type { TaskMemory } from '../../src/api.js';

/** Sparse memory: regions of bytes at addresses; reads stop at the first unmapped byte. */
class Mem implements TaskMemory {
  private regions: { addr: bigint; data: Buffer }[] = [];
  /** Later writes win. */
  put(addr: bigint, data: Buffer): void {
    this.regions.unshift({ addr, data });
  }
  u64(addr: bigint, ...vals: bigint[]): void {
    const b = Buffer.alloc(8 * vals.length);
    vals.forEach((v, i) => b.writeBigUInt64LE(BigInt.asUintN(64, v), 8 * i));
    this.put(addr, b);
  }
  readMemory(addr: bigint, len: number): Buffer | undefined {
    const out: number[] = [];
    for (let i = 0n; i < BigInt(len); i++) {
      const a = addr + i;
      const r = this.regions.find((x) => a >= x.addr && a < x.addr + BigInt(x.data.length));
      if (!r) break;
      out.push(r.data[Number(a - r.addr)]!);
    }
    return out.length ? Buffer.from(out) : undefined;
  }
}

const LOAD = 0x555555554000n;
const PHDR = LOAD + 0x40n;
const DYNAMIC = LOAD + 0x3000n;
const R_DEBUG = 0x7ffff7ffe118n;
const MAIN_LM = 0x7ffff7ffe2e0n;

function auxv(phdr: bigint, phnum: number): Buffer {
  const b = Buffer.alloc(16 * 3);
  b.writeBigUInt64LE(3n, 0); // AT_PHDR
  b.writeBigUInt64LE(phdr, 8);
  b.writeBigUInt64LE(5n, 16); // AT_PHNUM
  b.writeBigUInt64LE(BigInt(phnum), 24);
  return b; // AT_NULL
}

function phdrs(types: Array<[number, bigint]>): Buffer {
  const b = Buffer.alloc(56 * types.length);
  types.forEach(([t, vaddr], i) => {
    b.writeUInt32LE(t, 56 * i);
    b.writeBigUInt64LE(vaddr, 56 * i + 16);
  });
  return b;
}

/** A PIE with ld.so's list: main -> libs (name, l_addr, l_ld), r_debug version `version`. */
function image(libs: Array<[string, bigint, bigint]>, version = 1, debugValue = R_DEBUG): Mem {
  const m = new Mem();
  m.put(PHDR, phdrs([[6, 0x40n], [1, 0n], [2, 0x3000n]])); // PT_PHDR, PT_LOAD, PT_DYNAMIC
  m.u64(DYNAMIC, 1n, 0x10n, 21n, debugValue, 0n, 0n); // DT_NEEDED, DT_DEBUG, DT_NULL
  const v = Buffer.alloc(8);
  v.writeInt32LE(version, 0);
  m.put(R_DEBUG, v);
  const lms = [MAIN_LM, ...libs.map((_, i) => 0x7ffff7fc0000n + BigInt(i + 1) * 0x1000n)];
  m.u64(R_DEBUG + 8n, MAIN_LM);
  m.u64(R_DEBUG + 40n, 0n); // r_next
  lms.forEach((lm, i) => {
    const name = i === 0 ? 0x7ffff7f00000n : 0x7ffff7f00100n + BigInt(i) * 0x100n;
    m.put(name, Buffer.from(i === 0 ? '\0' : `${libs[i - 1]![0]}\0`, 'latin1'));
    const [, lAddr, lLd] = i === 0 ? ['', LOAD, DYNAMIC] : libs[i - 1]!;
    m.u64(lm, lAddr, name, lLd, lms[i + 1] ?? 0n, i === 0 ? 0n : lms[i - 1]!);
  });
  return m;
}

const LIBS: Array<[string, bigint, bigint]> = [
  ['linux-vdso.so.1', 0x7ffff7fc8000n, 0x7ffff7fc8440n],
  ['/lib/x86_64-linux-gnu/libc.so.6', 0x7ffff7dd5000n, 0x7ffff7fa7b60n],
  ['/lib64/ld-linux-x86-64.so.2', 0x7ffff7fca000n, 0x7ffff7ffce40n],
];

test('svr4: r_debug from auxv/PT_PHDR/PT_DYNAMIC/DT_DEBUG; the list in gdbserver form (main-lm, no main entry)', () => {
  const m = image(LIBS);
  assert.equal(findRDebug(m, auxv(PHDR, 3)), R_DEBUG);
  const doc = svr4LibraryList({ mem: m, annex: '', rDebug: () => findRDebug(m, auxv(PHDR, 3)) });
  assert.equal(doc,
    '<library-list-svr4 version="1.0" main-lm="0x7ffff7ffe2e0">' +
    '<library name="linux-vdso.so.1" lm="0x7ffff7fc1000" l_addr="0x7ffff7fc8000" l_ld="0x7ffff7fc8440" lmid="0x7ffff7ffe118"/>' +
    '<library name="/lib/x86_64-linux-gnu/libc.so.6" lm="0x7ffff7fc2000" l_addr="0x7ffff7dd5000" l_ld="0x7ffff7fa7b60" lmid="0x7ffff7ffe118"/>' +
    '<library name="/lib64/ld-linux-x86-64.so.2" lm="0x7ffff7fc3000" l_addr="0x7ffff7fca000" l_ld="0x7ffff7ffce40" lmid="0x7ffff7ffe118"/>' +
    '</library-list-svr4>');
});

test('svr4: before ld.so sets DT_DEBUG the list is empty; no PT_DYNAMIC or DT_DEBUG means E01 (undefined)', () => {
  const early = image(LIBS, 1, 0n);
  assert.equal(findRDebug(early, auxv(PHDR, 3)), 0n);
  assert.equal(svr4LibraryList({ mem: early, annex: '', rDebug: () => 0n }), '<library-list-svr4 version="1.0"></library-list-svr4>');
  const stat = new Mem();
  stat.put(PHDR, phdrs([[6, 0x40n], [1, 0n]]));
  assert.equal(findRDebug(stat, auxv(PHDR, 2)), NO_R_DEBUG);
  assert.equal(svr4LibraryList({ mem: stat, annex: '', rDebug: () => NO_R_DEBUG }), undefined);
  const noDebug = new Mem();
  noDebug.put(PHDR, phdrs([[6, 0x40n], [2, 0x3000n]]));
  noDebug.u64(DYNAMIC, 1n, 0x10n, 0n, 0n);
  assert.equal(findRDebug(noDebug, auxv(PHDR, 2)), NO_R_DEBUG);
  assert.equal(findRDebug(new Mem(), auxv(PHDR, 2)), NO_R_DEBUG, 'unreadable program headers');
  assert.equal(findRDebug(new Mem(), Buffer.alloc(16)), NO_R_DEBUG, 'no AT_PHDR');
});

test('svr4: augmented annex start=;prev=;lmid= gives the rest of one namespace; a corrupted l_prev ends the walk', () => {
  const m = image(LIBS);
  assert.deepEqual(parseSvr4Annex('start=7ffff7fc2000;prev=7ffff7fc1000;lmid=7ffff7ffe118;junk=zz;x'), {
    start: 0x7ffff7fc2000n, prev: 0x7ffff7fc1000n, lmid: 0x7ffff7ffe118n,
  });
  const doc = svr4LibraryList({ mem: m, annex: 'start=7ffff7fc2000;prev=7ffff7fc1000;lmid=7ffff7ffe118', rDebug: () => assert.fail('not used') });
  assert.equal(doc,
    '<library-list-svr4 version="1.0">' +
    '<library name="/lib/x86_64-linux-gnu/libc.so.6" lm="0x7ffff7fc2000" l_addr="0x7ffff7dd5000" l_ld="0x7ffff7fa7b60" lmid="0x7ffff7ffe118"/>' +
    '<library name="/lib64/ld-linux-x86-64.so.2" lm="0x7ffff7fc3000" l_addr="0x7ffff7fca000" l_ld="0x7ffff7ffce40" lmid="0x7ffff7ffe118"/>' +
    '</library-list-svr4>');
  const warnings: string[] = [];
  const bad = svr4LibraryList({ mem: m, annex: 'start=7ffff7fc2000;prev=1234', rDebug: () => 0n, warn: (w) => warnings.push(w) });
  assert.equal(bad, '<library-list-svr4 version="1.0"></library-list-svr4>');
  assert.deepEqual(warnings, ['Corrupted shared library list: 0x1234 != 0x7ffff7fc1000']);
});

test('svr4: r_version 2 follows r_next into the other namespaces (their lmid is their r_debug); names are XML-escaped', () => {
  const m = image([['/tmp/a&b<"c">.so', 0x7000n, 0x7100n]], 2);
  const NS2 = 0x7ffff7aa0000n;
  const LM2 = 0x7ffff7ab0000n;
  m.u64(R_DEBUG + 40n, NS2);
  const v = Buffer.alloc(8);
  v.writeInt32LE(2, 0);
  m.put(NS2, v);
  m.u64(NS2 + 8n, LM2);
  m.u64(NS2 + 40n, 0n);
  m.put(0x7ffff7ac0000n, Buffer.from('/ns2/libx.so\0'));
  m.u64(LM2, 0x9000n, 0x7ffff7ac0000n, 0x9100n, 0n, 0n);
  const doc = svr4LibraryList({ mem: m, annex: '', rDebug: () => R_DEBUG });
  assert.equal(doc,
    '<library-list-svr4 version="1.0" main-lm="0x7ffff7ffe2e0">' +
    '<library name="/tmp/a&amp;b&lt;&quot;c&quot;&gt;.so" lm="0x7ffff7fc1000" l_addr="0x7000" l_ld="0x7100" lmid="0x7ffff7ffe118"/>' +
    '<library name="/ns2/libx.so" lm="0x7ffff7ab0000" l_addr="0x9000" l_ld="0x9100" lmid="0x7ffff7aa0000"/>' +
    '</library-list-svr4>');
});

test('svr4: an unreadable r_debug still gives a well-formed empty document', () => {
  const warnings: string[] = [];
  const doc = svr4LibraryList({ mem: new Mem(), annex: '', rDebug: () => R_DEBUG, warn: (w) => warnings.push(w) });
  assert.equal(doc, '<library-list-svr4 version="1.0"></library-list-svr4>');
  assert.match(warnings[0]!, /unable to read r_version/);
});
