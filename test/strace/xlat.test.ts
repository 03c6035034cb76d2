// Constant tables: the packed form the generator writes (one "VALUE NAME" line per entry,
// unpacked on first use) reads back as the entries it was made from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packedXlat, unpack, xlat } from '../../src/engines/strace/xlat/xlat.js';
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

test('generated tables read as the UAPI headers define them', () => {
  assert.equal(addrfams.lookup(2n), 'AF_INET');
  assert.equal(addrfams.valueOf('AF_INET6'), 10n);
  assert.equal(btrfs_tree_objectids.valueOf('BTRFS_BALANCE_OBJECTID'), -4n);
  assert.equal(futexops.lookup(0x82n), 'FUTEX_FD|FUTEX_PRIVATE_FLAG');
  assert.equal(kd_kbd_leds.valueOf('LED_SCR<<4'), 0x10n);
});
