// One stop's view of tracee memory: a page read once serves every later read in it; reads
// across pages, at the end of what is mapped, and past it answer as the memory itself does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StopMemory } from '../../src/engines/strace/stopmemory.js';
import { FakeMemory } from './helpers.js';

function counted(mem: FakeMemory): { mem: FakeMemory; reads: () => number } {
  let n = 0;
  const orig = mem.readMemory.bind(mem);
  mem.readMemory = (a, l) => {
    n++;
    return orig(a, l);
  };
  return { mem, reads: () => n };
}

test('reads within a page cost one read of the page; the bytes are the memory\'s', () => {
  const bytes = Buffer.from(Array.from({ length: 8192 }, (_, i) => i & 0xff));
  const { mem, reads } = counted(new FakeMemory().map(0x10000n, bytes));
  const m = new StopMemory(mem);
  for (let i = 0; i < 32; i++) assert.deepEqual(m.readMemory(0x10100n + BigInt(i), i + 1), bytes.subarray(0x100 + i, 0x101 + 2 * i));
  assert.equal(reads(), 1);
  // Across the page boundary: the next page, once.
  assert.deepEqual(m.readMemory(0x10ff0n, 32), bytes.subarray(0xff0, 0x1010));
  assert.deepEqual(m.readMemory(0x11000n, 4), bytes.subarray(0x1000, 0x1004));
  assert.equal(reads(), 2);
});

test('the end of the mapping: as many bytes as are there, none past it; a write forgets the pages', () => {
  const { mem, reads } = counted(new FakeMemory().map(0x20000n, Buffer.alloc(4096, 7)));
  let wrote = 0;
  const m = new StopMemory({ readMemory: (a, l) => mem.readMemory(a, l), writeMemory: (_a, b) => (wrote += b.length) });
  assert.equal(m.readMemory(0x20ffcn, 16)?.length, 4, 'cut where the mapping ends');
  assert.equal(m.readMemory(0x21000n, 16)?.length, 0, 'nothing past it');
  assert.equal(m.readMemory(0x20000n, 0)?.length, 0);
  const before = reads();
  m.readMemory(0x20000n, 8);
  assert.equal(reads(), before, 'cached');
  assert.equal(m.writeMemory(0x20000n, Buffer.from([1, 2])), 2);
  assert.equal(wrote, 2);
  m.readMemory(0x20000n, 8);
  assert.equal(reads(), before + 1, 'read again after a write');
  // Large reads go straight through, in one read.
  const big = counted(new FakeMemory().map(0x40000n, Buffer.alloc(65536, 1)));
  assert.equal(new StopMemory(big.mem).readMemory(0x40000n, 65536)?.length, 65536);
  assert.equal(big.reads(), 1);
});
