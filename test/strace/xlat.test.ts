// Constant tables: the packed form the generator writes (one "VALUE NAME" line per entry,
// unpacked on first use) reads back as the entries it was made from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packedValueOf, packedXlat, unpack, xlat } from '../../src/engines/strace/xlat/xlat.js';
import { addrfams, btrfs_tree_objectids, futexops, kd_kbd_leds } from '../../src/engines/strace/xlat/tables.gen.js';

test('unpack: hex and negative values, names with | and <<, blank lines around', () => {
  const rows: [string, [bigint, string][]][] = [
    ['', []],
    ['\n', []],
    ['\n0x0 F_OK\n0x4 R_OK\n', [[0n, 'F_OK'], [4n, 'R_OK']]],
    ['-4 BTRFS_BALANCE_OBJECTID', [[-4n, 'BTRFS_BALANCE_OBJECTID']]],
    ['0xffffffffffffffff ALL', [[0xffffffffffffffffn, 'ALL']]],
    ['0x82 FUTEX_FD|FUTEX_PRIVATE_FLAG\n0x10 LED_SCR<<4', [[0x82n, 'FUTEX_FD|FUTEX_PRIVATE_FLAG'], [0x10n, 'LED_SCR<<4']]],
  ];
  for (const [text, want] of rows) assert.deepEqual(unpack(text), want, JSON.stringify(text));
});

test('packedXlat: the same lookups as the table built from its entries, unpacked once', () => {
  const entries: [bigint, string][] = [[1n, 'A'], [2n, 'B'], [1n, 'A_ALIAS'], [-1n, 'NEG']];
  const packed = packedXlat('t', '\n0x1 A\n0x2 B\n0x1 A_ALIAS\n-1 NEG\n');
  const built = xlat('t', entries);
  assert.deepEqual(packed.entries, built.entries);
  assert.equal(packed.entries, packed.entries, 'unpacked once, then the same array');
  for (const v of [1n, 2n, -1n, 3n]) assert.equal(packed.lookup(v), built.lookup(v));
  for (const n of ['A', 'A_ALIAS', 'NEG', 'C']) assert.equal(packed.valueOf(n), built.valueOf(n));
});

test('a packed table answers valueOf from its text, as its unpacked name index would', () => {
  const text = '\n0x1 A\n0x2 AB\n0x3 X A\n0x4 B_A\n0x5 A\n-7 NEG\n0x6 LED<<4\n';
  const packed = packedXlat('t', text);
  const rows: [string, bigint | undefined][] = [
    ['A', 5n], ['AB', 2n], ['X A', 3n], ['B_A', 4n], ['NEG', -7n], ['LED<<4', 6n],
    ['B', undefined], ['X', undefined], ['A\n', undefined], ['', undefined], ['0x1', undefined], ['LED', undefined],
  ];
  for (const [name, want] of rows) assert.equal(packed.valueOf(name), want, JSON.stringify(name));
  assert.equal(packedValueOf('0x9 LAST', 'LAST'), 9n, 'a last line without its newline');
  assert.equal(packedValueOf('0x9 LAST', 'AST'), undefined);
  // Every generated table: each name, and names that are not there, as the unpacked index says.
  const src = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/engines/strace/xlat/tables.gen.ts'), 'utf8');
  const tables = [...src.matchAll(/packedXlat\('(\w+)', `([^`]*)`\)/g)];
  assert.ok(tables.length > 500, `${tables.length} tables`);
  let names = 0;
  for (const [, name, body] of tables) {
    const index = new Map(unpack(body!).map(([v, n]) => [n, v]));
    for (const n of [...index.keys(), ...[...index.keys()].flatMap((k) => [k.slice(1), `${k}_`, k.slice(0, -1)])]) {
      assert.equal(packedValueOf(body!, n), index.get(n), `${name}: ${n}`);
      names++;
    }
  }
  assert.ok(names > 20000, `${names} names`);
});

test('a table made by a function makes it on first use', () => {
  let made = 0;
  const t = xlat('t', () => (made++, [[1n, 'ONE']]));
  assert.equal(made, 0);
  assert.equal(t.lookup(1n), 'ONE');
  assert.equal(t.valueOf('ONE'), 1n);
  assert.deepEqual(t.entries, [[1n, 'ONE']]);
  assert.equal(made, 1);
});

test('generated tables read as the UAPI headers define them', () => {
  assert.equal(addrfams.lookup(2n), 'AF_INET');
  assert.equal(addrfams.valueOf('AF_INET6'), 10n);
  assert.equal(btrfs_tree_objectids.valueOf('BTRFS_BALANCE_OBJECTID'), -4n);
  assert.equal(futexops.lookup(0x82n), 'FUTEX_FD|FUTEX_PRIVATE_FLAG');
  assert.equal(kd_kbd_leds.valueOf('LED_SCR<<4'), 0x10n);
});
