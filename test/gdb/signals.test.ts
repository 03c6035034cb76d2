// Linux <-> gdb signal numbers.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { GDB_SIGNAL, gdbSignalFromLinux, linuxSignalFromGdb } from '../../src/engines/gdb/protocol/signals.js';

test('signals that differ, Linux -> gdb, as gdb numbers them (include/gdb/signals.def)', () => {
  const table: Array<[string, number, number]> = [
    ['BUS', 7, 10], ['USR1', 10, 30], ['USR2', 12, 31], ['CHLD', 17, 20], ['CONT', 18, 19], ['STOP', 19, 17],
    ['TSTP', 20, 18], ['URG', 23, 16], ['IO', 29, 23], ['PWR', 30, 32], ['SYS', 31, 12], ['STKFLT', 16, 143],
    ['RT32', 32, 77], ['RT33', 33, 45], ['RT63', 63, 75], ['RT64', 64, 78],
  ];
  for (const [name, linux, gdb] of table) assert.equal(gdbSignalFromLinux(linux), gdb, name);
});

test('signals that coincide', () => {
  for (const s of [0, 1, 2, 3, 4, 5, 6, 8, 9, 11, 13, 14, 15, 21, 22, 24, 25, 26, 27, 28]) {
    assert.equal(gdbSignalFromLinux(s), s);
    assert.equal(linuxSignalFromGdb(s), s);
  }
});

test('both directions round-trip for every Linux signal gdb can name', () => {
  for (let s = 0; s <= 64; s++) {
    const g = gdbSignalFromLinux(s);
    if (s === 16) {
      assert.equal(g, GDB_SIGNAL.UNKNOWN);
      continue;
    }
    assert.equal(linuxSignalFromGdb(g), s, `linux ${s} -> gdb ${g}`);
  }
  // Observed packets: vCont;C1e (USR1), Xb (SEGV), QPassSignals 14 (gdb CHLD = 0x14).
  assert.equal(linuxSignalFromGdb(0x1e), 10);
  assert.equal(linuxSignalFromGdb(0x14), 17);
  assert.equal(linuxSignalFromGdb(0x4d), 32);
});

test('gdb-only signals have no Linux number; out-of-range Linux signals are UNKNOWN', () => {
  for (const g of [7 /* EMT */, 29 /* LOST */, 34, 44, 76 /* CANCEL */, 79, 142, 143, 144, 150, -1, 1000]) {
    assert.equal(linuxSignalFromGdb(g), undefined, String(g));
  }
  assert.equal(linuxSignalFromGdb(33), 29, 'GDB_SIGNAL_POLL is SIGIO on Linux');
  for (const s of [65, 200, -1, 1.5, NaN]) assert.equal(gdbSignalFromLinux(s), 143);
});
