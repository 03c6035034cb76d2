/**
 * -e read=/write= hex dumps: the line format and chunking on a fake address space, and a real
 * program's dumps compared with the real strace's where it is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SYSCALL_NR } from '../../src/api.js';
import { dumpLine, dumpText, hexDump } from '../../src/engines/strace/dumpio.js';
import { StraceFilter } from '../../src/engines/strace/filter.js';
import { FakeMemory } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const haveStrace = spawnSync('strace', ['-V']).status === 0;

test('dump lines: 16 bytes, a gap after the 8th, text with dots, padded to the full width', () => {
  const cases: [string, number, number, string][] = [
    ['abc', 0, 5, ' | 00000  61 62 63                                          abc              |\n'],
    ['0123456789abcdef', 16, 5, ' | 00010  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  0123456789abcdef |\n'],
    ['\x00\x7f\x80 ~', 0x100000, 6, ' | 100000  00 7f 80 20 7e                                    ... ~            |\n'],
    ['012345678', 0, 5, ' | 00000  30 31 32 33 34 35 36 37  38                       012345678        |\n'],
  ];
  for (const [bytes, off, w, want] of cases) assert.equal(dumpLine(Buffer.from(bytes, 'latin1'), off, w), want);
});

test('hexDump: offsets widen past 1 MiB; unreadable memory after the first 64 KiB says so, at the start says nothing', () => {
  const big = Buffer.alloc(0x10000 + 0x20, 0x41);
  const m = new FakeMemory().map(0x10000n, big);
  const d = hexDump(m, 7, 0x10000n, BigInt(big.length + 3));
  const lines = d.split('\n').filter(Boolean);
  // Read 64 KiB at a time: the second chunk runs past the mapping, so none of it is shown.
  assert.equal(lines.length, 0x1000 + 1);
  assert.equal(lines.at(-1), ' | <Cannot fetch 35 bytes from pid 7 @0x20000>');
  assert.equal(hexDump(m, 7, 0x900000n, 5n), '');
  const huge = hexDump(new FakeMemory().map(0x1000n, Buffer.alloc(0x100010)), 1, 0x1000n, 0x100010n);
  assert.match(huge.split('\n').at(-2)!, /^ \| 100000 {2}00 /);
  assert.match(huge.split('\n')[0]!, /^ \| 000000 {2}00 /);
});

test('dumpText: reads dump what was returned, writes what was asked (failed or not); iovecs and mmsg say which buffer', () => {
  const f = new StraceFilter().apply('read=3').apply('write=!3');
  const sel = (dir: 'read' | 'write', fd: number): boolean => (dir === 'read' ? f.readFds : f.writeFds).has(fd);
  const m = new FakeMemory().map(0x1000n, 'hello world!');
  const nr = (n: string): number => SYSCALL_NR[n]!;
  assert.equal(dumpText(nr('read'), [3n, 0x1000n, 100n], 5n, 1, m, sel), dumpLine(Buffer.from('hello'), 0, 5));
  assert.equal(dumpText(nr('read'), [3n, 0x1000n, 100n], -9n, 1, m, sel), '');
  assert.equal(dumpText(nr('read'), [4n, 0x1000n, 100n], 5n, 1, m, sel), '');
  assert.equal(dumpText(nr('write'), [3n, 0x1000n, 5n], 5n, 1, m, sel), '');
  assert.equal(dumpText(nr('write'), [1n, 0x1000n, 5n], -9n, 1, m, sel), dumpLine(Buffer.from('hello'), 0, 5));
  // readv: 2 iovecs of 4 and 8 bytes, 6 bytes read; a third empty one never shows.
  const iov = Buffer.alloc(48);
  iov.writeBigUInt64LE(0x1000n, 0); iov.writeBigUInt64LE(4n, 8);
  iov.writeBigUInt64LE(0x1004n, 16); iov.writeBigUInt64LE(8n, 24);
  iov.writeBigUInt64LE(0x1000n, 32); iov.writeBigUInt64LE(0n, 40);
  m.map(0x2000n, iov);
  assert.equal(dumpText(nr('readv'), [3n, 0x2000n, 3n], 6n, 1, m, sel),
    ` * 4 bytes in buffer 0\n${dumpLine(Buffer.from('hell'), 0, 5)} * 2 bytes in buffer 1\n${dumpLine(Buffer.from('o '), 0, 5)}`);
  // sendmmsg of one message with those iovecs: every byte of each buffer.
  const mm = Buffer.alloc(64);
  mm.writeBigUInt64LE(0x2000n, 16); mm.writeBigUInt64LE(3n, 24); mm.writeUInt32LE(12, 56);
  m.map(0x3000n, mm);
  assert.equal(dumpText(nr('sendmmsg'), [1n, 0x3000n, 1n], 1n, 1, m, sel),
    ` = 3 buffers in vector 0\n * 4 bytes in buffer 0\n${dumpLine(Buffer.from('hell'), 0, 5)} * 8 bytes in buffer 1\n${dumpLine(Buffer.from('o world!'), 0, 5)}`);
});

test('-e read= and -e write= bad descriptors are usage errors worded as strace\'s', () => {
  for (const [arg, msg] of [['read=', "invalid descriptor ''"], ['write=-1', "invalid descriptor '-1'"], ['read=1,all', "invalid descriptor 'all'"], ['write=!,', "invalid descriptor '!,'"]]) {
    const r = spawnSync(utrace, ['strace', '-e', arg!, 'true'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.equal(r.stderr.split('\n')[0], `utrace strace: ${msg}`);
  }
});

test('a real program\'s -e read=/write= dumps, as strace prints them', { skip: !haveStrace && 'strace not installed' }, () => {
  const prog = ['/bin/sh', '-c', 'printf "hello, dump\\001\\377 and more than sixteen bytes" | cat >/dev/null'];
  const args = ['-f', '-qq', '-e', 'trace=read,write', '-e', 'read=0', '-e', 'write=1', '-e', 'signal=none'];
  const ours = spawnSync(utrace, ['strace', ...args, ...prog], { encoding: 'utf8' });
  const theirs = spawnSync('strace', [...args, ...prog], { encoding: 'utf8' });
  const dumps = (s: string): string[] => s.split('\n').filter((l) => l.startsWith(' | ') || l.startsWith(' * '));
  assert.equal(ours.status, 0, ours.stderr);
  assert.ok(dumps(theirs.stderr).length >= 6, theirs.stderr);
  assert.deepEqual(dumps(ours.stderr), dumps(theirs.stderr));
});
