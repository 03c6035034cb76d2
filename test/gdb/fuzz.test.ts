// Fuzzes PacketReader and RspConnection with 20k random and mutated packets
// (longer runs: node -e "import('./dist/test/gdb/fuzz.js').then(m => console.log(m.fuzzPackets(200000, 42)))").

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { fuzzPackets } from './fuzz.js';

test('fuzz: 20k random and mutated packets, no throw, bounded buffers, valid packets decoded exactly', () => {
  const stats = fuzzPackets(20_000, 0x5eed);
  assert.equal(stats.iterations, 20_000);
  assert.ok(stats.verified > 5_000, `verified ${stats.verified}`);
  assert.ok(stats.badChecksums > 0 && stats.errors > 0 && stats.interrupts > 0, JSON.stringify(stats));
  assert.ok(stats.handled > 0);
  assert.ok(stats.maxBuffered <= 4096);
});

test('fuzz: other seeds', () => {
  for (const seed of [1, 2, 3]) fuzzPackets(2_000, seed);
});
