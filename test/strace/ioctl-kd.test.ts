// The console/keyboard ioctl family (linux/kd.h, keyboard.h) over fake tracee memory: values
// sent in the argument, key values K(type, n), structures read at entry or exit, partial reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';
import { ioc } from '../../src/engines/strace/decoders/ioctl.js';

const M = 0x10000000n;
const none = new FakeMemory();
const EBADF = ' = -1 EBADF (Bad file descriptor)';
const fmt = (c: Parameters<typeof formatCall>[0]): string => formatCall(c).replace(/ +=/, ' =');
const call = (name: string, arg: bigint, mem: FakeMemory = none, ret = -9, opts?: Record<string, unknown>): string =>
  fmt({ name: 'ioctl', args: [-1, ioc(name), arg], ret, mem, ...(opts ? { opts } : {}) });
const raw = { xlat: 'raw' };
const verbose = { xlat: 'verbose' };

test('kd: values in the argument, with comments -X raw drops', () => {
  assert.equal(call('KIOCSOUND', 440n), `ioctl(-1, KIOCSOUND, 440 /* 2711 Hz */)${EBADF}`);
  assert.equal(call('KIOCSOUND', 1193183n), `ioctl(-1, KIOCSOUND, 1193183 /* off */)${EBADF}`);
  assert.equal(call('KIOCSOUND', 440n, none, -9, raw), `ioctl(-1, 0x4b2f, 440)${EBADF}`);
  assert.equal(call('KDMKTONE', 0xbadc0deddeadfacen), `ioctl(-1, KDMKTONE, 57005<<16|64206 /* 18 Hz, 57005 ms */)${EBADF}`);
  assert.equal(call('KDMKTONE', 0x10000n), `ioctl(-1, KDMKTONE, 1<<16|0 /* off */)${EBADF}`);
  assert.equal(call('KDSETLED', 0xfen), `ioctl(-1, KDSETLED, LED_NUM|LED_CAP|0xf8)${EBADF}`);
  assert.equal(call('KDSKBLED', 0xfen, none, -9, verbose), `ioctl(-1, 0x4b65 /* KDSKBLED */, 0xfe /* LED_NUM|LED_CAP|LED_SCR<<4|LED_NUM<<4|LED_CAP<<4|0x88 */)${EBADF}`);
  assert.equal(call('KDADDIO', 0x3c0n), `ioctl(-1, KDADDIO, 0x3c0 /* GPFIRST + 12 */)${EBADF}`);
  assert.equal(call('KDADDIO', 0x3e0n), `ioctl(-1, KDADDIO, 0x3e0)${EBADF}`);
  assert.equal(call('KDSKBMODE', 0xfeedfacen), `ioctl(-1, KDSKBMODE, -17958194 /* K_??? */)${EBADF}`);
  assert.equal(call('KDSETMODE', 3n), `ioctl(-1, KDSETMODE, KD_TEXT1)${EBADF}`);
  assert.equal(call('KDSIGACCEPT', 33n, none, -9, verbose), `ioctl(-1, 0x4b4e /* KDSIGACCEPT */, 33 /* SIGRT_1 */)${EBADF}`);
  assert.equal(call('KDSIGACCEPT', 2n ** 64n - 1n), `ioctl(-1, KDSIGACCEPT, 18446744073709551615)${EBADF}`);
  assert.equal(call('KDENABIO', 0n), `ioctl(-1, KDENABIO)${EBADF}`);
  // a 'K' request the header does not define: the argument in hex
  assert.equal(fmt({ name: 'ioctl', args: [-1, 0x4b00, 0xdeadbeefn], ret: -9, mem: none }), `ioctl(-1, _IOC(_IOC_NONE, 0x4b, 0, 0), 0xdeadbeef)${EBADF}`);
});

test('kd: keymap entries name keys, or spell K(type, value)', () => {
  const ent = (table: number, index: number, value: number): FakeMemory => {
    const b = Buffer.alloc(4);
    b[0] = table;
    b[1] = index;
    b.writeUInt16LE(value, 2);
    return new FakeMemory().map(M, b);
  };
  assert.equal(call('KDSKBENT', M, ent(0, 1, 0x100)), `ioctl(-1, KDSKBENT, {kb_table=K_NORMTAB, kb_index=1, kb_value=0x100 /* K_F1 */})${EBADF}`);
  assert.equal(call('KDSKBENT', M, ent(4, 2, 0x841)), `ioctl(-1, KDSKBENT, {kb_table=1<<KG_CTRL, kb_index=2, kb_value=0x841 /* K(KT_META, 'A') */})${EBADF}`);
  assert.equal(call('KDSKBENT', M, ent(0xa8, 3, 0xd5c)), `ioctl(-1, KDSKBENT, {kb_table=1<<KG_ALT|1<<KG_SHIFTR|1<<KG_CTRLR, kb_index=3, kb_value=0xd5c /* K(KT_DEAD2, '\\\\') */})${EBADF}`);
  assert.equal(call('KDSKBENT', M, ent(1, 4, 0xf00d)), `ioctl(-1, KDSKBENT, {kb_table=K_SHIFTTAB, kb_index=4, kb_value=0xf00d /* K(0xf0, 0xd) */})${EBADF}`);
  assert.equal(call('KDSKBENT', M, ent(1, 4, 0x314), -9, raw), `ioctl(-1, 0x4b47, {kb_table=0x1, kb_index=4, kb_value=0x314})${EBADF}`);
  // only the first two bytes readable: the value is ???
  const half = new FakeMemory().map(M, Buffer.from([0, 9]));
  assert.equal(call('KDSKBENT', M, half), `ioctl(-1, KDSKBENT, {kb_table=K_NORMTAB, kb_index=9, kb_value=???})${EBADF}`);
  // GET: the request part even when the call failed, the value only when it succeeded
  assert.equal(call('KDGKBENT', M, ent(0, 5, 0x603)), `ioctl(-1, KDGKBENT, {kb_table=K_NORMTAB, kb_index=5})${EBADF}`);
  assert.equal(call('KDGKBENT', M, ent(0, 5, 0x603), 0), 'ioctl(-1, KDGKBENT, {kb_table=K_NORMTAB, kb_index=5, kb_value=0x603 /* K_UP */}) = 0');
  assert.equal(call('KDGKBENT', M + 1n, none), `ioctl(-1, KDGKBENT, 0x10000001)${EBADF}`);
});

test('kd: string entries, accent tables, unicode maps', () => {
  const s = Buffer.alloc(513);
  s[0] = 25;
  s.write('hello', 1, 'latin1');
  assert.equal(call('KDSKBSENT', M, new FakeMemory().map(M, s)), `ioctl(-1, KDSKBSENT, {kb_func=KVAL(K_PGDN), kb_string="hello"})${EBADF}`);
  assert.equal(call('KDSKBSENT', M, new FakeMemory().map(M, Buffer.from([0, 0x41]))), `ioctl(-1, KDSKBSENT, {kb_func=KVAL(K_F1), kb_string=???})${EBADF}`);
  assert.equal(call('KDGKBSENT', M, new FakeMemory().map(M, s)), `ioctl(-1, KDGKBSENT, {kb_func=KVAL(K_PGDN)})${EBADF}`);

  const d = Buffer.alloc(4 + 6);
  d.writeUInt32LE(3, 0);
  Buffer.from("a'\n\\\x00\xff", 'latin1').copy(d, 4);
  // three entries declared, two present: the third's address after ...
  assert.equal(
    call('KDSKBDIACR', M, new FakeMemory().map(M, d)),
    `ioctl(-1, KDSKBDIACR, {kb_cnt=3, kbdiacr=[{diacr='a', base='\\'', result='\\n'}, {diacr='\\\\', base='\\x00', result='\\xff'}, ... /* 0x1000000a */]})${EBADF}`,
  );
  assert.equal(call('KDGKBDIACR', M, new FakeMemory().map(M, d)), `ioctl(-1, KDGKBDIACR, 0x10000000)${EBADF}`);

  const map = Buffer.alloc(512);
  for (let i = 0; i < 256; i++) map.writeUInt16LE(i < 2 ? 0xefd5 + i : 0xf000 + i, 2 * i);
  assert.equal(
    call('PIO_UNISCRNMAP', M, new FakeMemory().map(M, map), -9, { strsize: 4 }),
    `ioctl(-1, PIO_UNISCRNMAP, [0xefd5, 0xefd6, UNI_DIRECT_BASE+0x2, UNI_DIRECT_BASE+0x3, ...])${EBADF}`,
  );

  const desc = Buffer.alloc(16 + 8);
  desc.writeUInt16LE(2, 0);
  desc.writeBigUInt64LE(M + 16n, 8);
  desc.writeUInt32LE(0x00210041, 16);
  desc.writeUInt32LE(0x00220042, 20);
  const um = new FakeMemory().map(M, desc);
  assert.equal(call('PIO_UNIMAP', M, um), `ioctl(-1, PIO_UNIMAP, {entry_ct=2, entries=[{unicode=0x41, fontpos=0x21}, {unicode=0x42, fontpos=0x22}]})${EBADF}`);
  assert.equal(call('GIO_UNIMAP', M, um), `ioctl(-1, GIO_UNIMAP, {entry_ct=2 => 2, entries=0x10000010})${EBADF}`);
  assert.equal(call('GIO_UNIMAP', M, um, 0), 'ioctl(-1, GIO_UNIMAP, {entry_ct=2 => 2, entries=[{unicode=0x41, fontpos=0x21}, {unicode=0x42, fontpos=0x22}]}) = 0');
});

test('kd: fonts and maps print in hex, GET results after =>', () => {
  const font = Buffer.alloc(32 + 64);
  font.writeUInt32LE(0, 0); // KD_FONT_OP_SET
  font.writeUInt32LE(1, 4);
  font.writeUInt32LE(1, 8); // width 1: 32 bytes a character
  font.writeUInt32LE(1, 16);
  font.writeBigUInt64LE(M + 32n, 24);
  font.fill(0xab, 32);
  const fm = new FakeMemory().map(M, font);
  assert.equal(
    call('KDFONTOP', M, fm, -9, { strsize: 4 }),
    `ioctl(-1, KDFONTOP, {op=KD_FONT_OP_SET, flags=KD_FONT_FLAG_DONT_RECALC, width=1, height=0, charcount=1, data="\\xab\\xab\\xab\\xab"...})${EBADF}`,
  );
  font.writeUInt32LE(1, 0); // KD_FONT_OP_GET
  assert.equal(
    call('KDFONTOP', M, new FakeMemory().map(M, font), 0, { strsize: 2 }),
    'ioctl(-1, KDFONTOP, {op=KD_FONT_OP_GET, flags=KD_FONT_FLAG_DONT_RECALC, width=1, height=0, charcount=1, data=0x10000020} => {width=1, height=0, charcount=1, data="\\xab\\xab"...}) = 0',
  );
  font.writeUInt32LE(3, 0);
  assert.equal(call('KDFONTOP', M, new FakeMemory().map(M, font)), `ioctl(-1, KDFONTOP, {op=KD_FONT_OP_COPY, height=0})${EBADF}`);
  font.writeUInt32LE(0x80000005, 4);
  font.writeUInt32LE(9, 0);
  assert.equal(
    call('KDFONTOP', M, new FakeMemory().map(M, font), -9, verbose),
    `ioctl(-1, 0x4b72 /* KDFONTOP */, {op=0x9 /* KD_FONT_OP_??? */, flags=0x80000005 /* KD_FONT_FLAG_DONT_RECALC|KD_FONT_FLAG_OLD|0x4 */, width=1, height=0, charcount=1, data=0x10000020})${EBADF}`,
  );

  const cmap = new FakeMemory().map(M, Buffer.alloc(48, 0x7f));
  assert.equal(call('PIO_CMAP', M, cmap, -9, { strsize: 2 }), `ioctl(-1, PIO_CMAP, "\\x7f\\x7f"...)${EBADF}`);
  assert.equal(call('GIO_CMAP', M, cmap), `ioctl(-1, GIO_CMAP, 0x10000000)${EBADF}`);
  assert.equal(call('GIO_CMAP', M + 8n, cmap, 0, { strsize: 64 }), 'ioctl(-1, GIO_CMAP, 0x10000008) = 0');

  const rep = new FakeMemory().i32(M, -1, 250);
  assert.equal(call('KDKBDREP', M, rep, 0), 'ioctl(-1, KDKBDREP, {delay=-1, period=250} => {delay=-1, period=250}) = 0');
  assert.equal(call('KDGETKEYCODE', M, new FakeMemory().u32(M, 0xe0, 0x1c), 0), 'ioctl(-1, KDGETKEYCODE, {scancode=0xe0, keycode=0x1c => 0x1c}) = 0');
  assert.equal(call('KDGKBTYPE', M, new FakeMemory().map(M, Buffer.from([2])), 0), 'ioctl(-1, KDGKBTYPE, [KB_101]) = 0');
  assert.equal(call('KDGKBMODE', M, new FakeMemory().i32(M, -1), 0), 'ioctl(-1, KDGKBMODE, [-1 /* K_??? */]) = 0');
  assert.equal(call('KDGETLED', 0n, none, 0), 'ioctl(-1, KDGETLED, NULL) = 0');
});
