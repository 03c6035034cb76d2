// qGetTLSAddr's address computation (tls.ts) on a synthetic thread: the DTV entry when
// allocated, the static TLS area when not, libthread_db's errors otherwise; and the glibc
// descriptors read from this machine's C library file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { TD_NOTLS, TD_TLSDEFER, TlsError, tlsAddress, type TlsLayout } from '../../src/engines/gdb/tls.js';
import { readElfSymbols } from '../../src/engines/gdb/elfSymbols.js';
import type { ThreadState } from '../../src/engines/gdb/model.js';

const TP = 0x7ffff7d8a740n;
const DTV = 0x5555555592a0n;
const LM = 0x7ffff7fc1000n;
const LAYOUT: TlsLayout = { modid: { offset: 1152, bytes: 8 }, tlsOffset: { offset: 1144, bytes: 8 }, dtvp: { offset: 8, bytes: 8 }, dtvEntry: 16 };

/** A held thread whose fs base is TP, with 8-byte words of memory. */
function thread(words: Map<bigint, bigint>): ThreadState {
  return {
    task: {
      regs: () => ({ get: (name: string) => (name === 'fs_base' ? TP : 0n) }),
      readMemory: (addr: bigint, len: number) => {
        const v = words.get(addr);
        if (v === undefined || len !== 8) throw new Error('EIO');
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(BigInt.asUintN(64, v));
        return b;
      },
    },
  } as unknown as ThreadState;
}

function image(modid: bigint, dtvSize: bigint, entry: bigint | undefined, tlsOffset: bigint): Map<bigint, bigint> {
  const m = new Map<bigint, bigint>([
    [TP + 8n, DTV], [DTV - 16n, dtvSize], [DTV, 1n], [LM + 1152n, modid], [LM + 1144n, tlsOffset],
    [DTV + 16n, 0x7ffff7d8a700n], // module 1, the program
  ]);
  if (entry !== undefined) m.set(DTV + modid * 16n, entry);
  return m;
}

test('the block of LM\'s module from the DTV, plus the offset', () => {
  assert.equal(tlsAddress(thread(image(3n, 14n, 0x7ffff0000b70n, 0n)), 4n, LM, LAYOUT), 0x7ffff0000b74n);
});

test('lm 0 (a static program): module 1, also without descriptors', () => {
  assert.equal(tlsAddress(thread(image(3n, 14n, undefined, 0n)), 0x10n, 0n, undefined), 0x7ffff7d8a710n);
});

test('not in the DTV (unallocated or beyond it): the static TLS area when the module has a place there', () => {
  assert.equal(tlsAddress(thread(image(3n, 14n, -1n, 0x80n)), 8n, LM, LAYOUT), TP - 0x80n + 8n);
  assert.equal(tlsAddress(thread(image(20n, 14n, undefined, 0x80n)), 0n, LM, LAYOUT), TP - 0x80n);
});

test('a dynamic module the thread has not touched: TD_TLSDEFER; a module without TLS: TD_NOTLS', () => {
  const err = (f: () => unknown, td: number): void => assert.throws(f, (e) => e instanceof TlsError && e.td === td);
  err(() => tlsAddress(thread(image(4n, 14n, -1n, -1n)), 0n, LM, LAYOUT), TD_TLSDEFER); // FORCED_DYNAMIC_TLS_OFFSET
  err(() => tlsAddress(thread(image(4n, 14n, -1n, 0n)), 0n, LM, LAYOUT), TD_TLSDEFER); // NO_TLS_OFFSET
  err(() => tlsAddress(thread(image(0n, 14n, undefined, 0n)), 0n, LM, LAYOUT), TD_NOTLS);
});

const LIBC = '/lib/x86_64-linux-gnu/libc.so.6';
test('this machine\'s libc describes link_map.l_tls_modid for libthread_db (x86_64 glibc >= 2.34)', { skip: !fs.existsSync(LIBC) && 'no libc.so.6 here' }, () => {
  const elf = readElfSymbols(LIBC, ['_thread_db_link_map_l_tls_modid', '_thread_db_pthread_dtvp']);
  assert.ok(elf, 'libc.so.6 reads as ELF64');
  const at = elf.symbols.get('_thread_db_link_map_l_tls_modid');
  assert.notEqual(at, undefined, 'the descriptor symbol is in .dynsym');
  const d = elf.read(at!, 12)!;
  assert.equal(d.readUInt32LE(0), 64, 'l_tls_modid is a 64-bit field');
  const dtvp = elf.read(elf.symbols.get('_thread_db_pthread_dtvp')!, 12)!;
  assert.equal(dtvp.readUInt32LE(8), 8, 'the DTV pointer is tcbhead_t.dtv, 8 bytes into the TCB');
});
