// Hostile tracee memory: decoders must never throw, never read unboundedly, and print bounded
// lines (5k random cases here; scripts can run fuzzDecoders(100000, seed) for more).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzDecoders } from './fuzz-decoders.js';
import { FakeMemory, formatCall } from './helpers.js';

const M = 0x10000000n;

test('fuzzDecoders: 5000 random calls', () => {
  const r = fuzzDecoders(5000, 20240601);
  assert.deepEqual(r.failures, []);
});

test('cyclic iovec lists and huge counts stay bounded', () => {
  // An iovec whose base points at itself, repeated: printing stops at -s elements.
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(M, 0);
  iov.writeBigUInt64LE(16n, 8);
  const mem = new FakeMemory().map(M, iov);
  const line = formatCall({ name: 'writev', args: [1, M, 0xffffffffn], ret: -14, mem });
  assert.equal(line, 'writev(1, [{iov_base="\\0\\0\\0\\20\\0\\0\\0\\0\\20\\0\\0\\0\\0\\0\\0\\0", iov_len=16}, ... /* 0x10000010 */], 4294967295) = -1 EFAULT (Bad address)');
  const big = new FakeMemory().map(M, Buffer.alloc(16 * 40));
  const l2 = formatCall({ name: 'writev', args: [1, M, 1n << 40n], ret: 0, mem: big });
  assert.ok(l2.endsWith('...], 1099511627776) = 0'));
  assert.ok(big.maxRequest <= 16 * 32);
  // A msghdr whose iov points back into the msghdr itself.
  const mh = Buffer.alloc(56);
  mh.writeBigUInt64LE(M, 16);
  mh.writeBigUInt64LE(1n << 60n, 24);
  const m2 = new FakeMemory().map(M, mh);
  const l3 = formatCall({ name: 'sendmsg', args: [3, M, 0], ret: 0, mem: m2 });
  assert.ok(l3.length < 2000, l3);
});

test('unterminated and unreadable strings', () => {
  // A path running into unmapped memory prints as an address, like strace's umovestr.
  const m = new FakeMemory().map(M, 'abc');
  assert.equal(formatCall({ name: 'chdir', args: [M], ret: -2, mem: m }), 'chdir(0x10000000)                       = -1 ENOENT (No such file or directory)');
  // A path longer than PATH_MAX is cut with "...".
  const long = new FakeMemory().map(M, Buffer.alloc(5000, 0x61));
  const l = formatCall({ name: 'chdir', args: [M], ret: -36, mem: long });
  assert.ok(l.startsWith(`chdir("${'a'.repeat(4095)}"...)`), l.slice(0, 30));
  // execve with an unterminated argv that runs into unmapped memory.
  const argv = new FakeMemory().str(M, '/bin/x').u64(M + 0x100n, M, M);
  assert.equal(
    formatCall({ name: 'execve', args: [M, M + 0x100n, 0], ret: -14, mem: argv }),
    'execve("/bin/x", ["/bin/x", "/bin/x", ... /* 0x10000110 */], NULL) = -1 EFAULT (Bad address)',
  );
});
