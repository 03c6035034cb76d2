// keyctl(2) over fake tracee memory (linux/keyctl.h): each command's arguments, the buffers the
// kernel fills at exit, structures read at entry, unreadable memory, and the -X styles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';

const M = 0x10000000n;
const none = new FakeMemory();
const EINVAL = ' = -1 EINVAL (Invalid argument)';
const fmt = (c: Parameters<typeof formatCall>[0]): string => formatCall(c).replace(/ +=/, ' =');
const k = (args: (bigint | number)[], ret: number, mem: FakeMemory = none, opts?: Record<string, unknown>): string =>
  fmt({ name: 'keyctl', args, ret, mem, opts: { strsize: 10, ...opts } });

test('keyctl: key ids, ids of users, permissions, plain commands', () => {
  assert.equal(k([0, -1, -1], 42), 'keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, -1) = 42');
  assert.equal(k([0, 0xdeadbeef, 1], -22), `keyctl(KEYCTL_GET_KEYRING_ID, -559038737, 1)${EINVAL}`);
  assert.equal(k([3, -6], -22), `keyctl(KEYCTL_REVOKE, KEY_SPEC_GROUP_KEYRING)${EINVAL}`);
  assert.equal(k([4, -8, 0xffffffff, 2718281828], 0), 'keyctl(KEYCTL_CHOWN, KEY_SPEC_REQUESTOR_KEYRING, -1, 2718281828) = 0');
  assert.equal(k([5, 5, 0x3f010000], 0), 'keyctl(KEYCTL_SETPERM, 5, KEY_POS_VIEW|KEY_POS_READ|KEY_POS_WRITE|KEY_POS_SEARCH|KEY_POS_LINK|KEY_POS_SETATTR|KEY_USR_VIEW) = 0');
  assert.equal(k([5, 5, 0xc0c0c0c0], -22), `keyctl(KEYCTL_SETPERM, 5, 0xc0c0c0c0 /* KEY_??? */)${EINVAL}`);
  assert.equal(k([5, 5, 0], -22), `keyctl(KEYCTL_SETPERM, 5, 0)${EINVAL}`);
  assert.equal(k([14, -1], 0), 'keyctl(KEYCTL_SET_REQKEY_KEYRING, KEY_REQKEY_DEFL_NO_CHANGE) = 0');
  assert.equal(k([14, 0xbadc0ded], -22), `keyctl(KEYCTL_SET_REQKEY_KEYRING, -1159983635 /* KEY_REQKEY_DEFL_??? */)${EINVAL}`);
  assert.equal(k([18], 0), 'keyctl(KEYCTL_SESSION_TO_PARENT) = 0');
  assert.equal(k([19, 7, 60, 19, -3], -1), 'keyctl(KEYCTL_REJECT, 7, 60, ENODEV, KEY_SPEC_SESSION_KEYRING) = -1 EPERM (Operation not permitted)');
  assert.equal(k([19, 7, 60, 2718281828, 0], -22), `keyctl(KEYCTL_REJECT, 7, 60, 2718281828, 0)${EINVAL}`);
  assert.equal(k([22, 0xffffffff, -6], -22), `keyctl(KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_GROUP_KEYRING)${EINVAL}`);
  assert.equal(k([30, -1, 9, -1, 0xffffffff], -22), `keyctl(KEYCTL_MOVE, KEY_SPEC_THREAD_KEYRING, 9, KEY_SPEC_THREAD_KEYRING, KEYCTL_MOVE_EXCL|0xfffffffe)${EINVAL}`);
  assert.equal(
    k([0xbadc0dedfacefeedn, 0xdeadfee1badc0de5n, 1, 2, 3], -95),
    'keyctl(0xfacefeed /* KEYCTL_??? */, 0xdeadfee1badc0de5, 0x1, 0x2, 0x3) = -1 EOPNOTSUPP (Operation not supported)',
  );
});

test('keyctl: strings and buffers the caller passes, iovecs', () => {
  const mem = new FakeMemory().map(M, 'user\0').map(M + 0x100n, 'a long description\0').map(M + 0x200n, 'secret');
  assert.equal(k([10, -4, M, M + 0x100n, 0], -126, mem), 'keyctl(KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", "a long des"..., 0) = -1 ENOKEY (Required key not available)');
  assert.equal(k([2, 5, M + 0x200n, 6], 0, mem), 'keyctl(KEYCTL_UPDATE, 5, "secret", 6) = 0');
  assert.equal(k([2, 5, M + 0x2000n, 6], -14, mem), 'keyctl(KEYCTL_UPDATE, 5, 0x10002000, 6) = -1 EFAULT (Bad address)');
  assert.equal(k([1, 0], 7), 'keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL) = 7');
  assert.equal(k([12, 5, M + 0x200n, 6, -3], 0, mem), 'keyctl(KEYCTL_INSTANTIATE, 5, "secret", 6, KEY_SPEC_SESSION_KEYRING) = 0');
  const iov = Buffer.alloc(32);
  iov.writeBigUInt64LE(M, 0);
  iov.writeBigUInt64LE(5n, 8);
  iov.writeBigUInt64LE(M + 0x5000n, 16);
  iov.writeBigUInt64LE(3n, 24);
  mem.map(M + 0x300n, iov);
  assert.equal(k([20, 5, M + 0x300n, 2, 0], 0, mem), 'keyctl(KEYCTL_INSTANTIATE_IOV, 5, [{iov_base="user\\0", iov_len=5}, {iov_base=0x10005000, iov_len=3}], 2, 0) = 0');
  assert.equal(k([29, 5, M, 0], 0, mem), 'keyctl(KEYCTL_RESTRICT_KEYRING, 5, "user", NULL) = 0');
});

test('keyctl: buffers the kernel fills, shown at exit up to what it wrote', () => {
  const mem = new FakeMemory().map(M, 'keyring;0;0;3f030000;_tid\0').map(M + 0x100n, Buffer.alloc(9, 0xff));
  assert.equal(k([6, -1, M, 256], 26, mem), 'keyctl(KEYCTL_DESCRIBE, KEY_SPEC_THREAD_KEYRING, "keyring;0;"..., 256) = 26');
  // A short buffer: the kernel wrote nothing, its 9 bytes are shown as they are.
  assert.equal(k([6, -1, M + 0x100n, 9], 26, mem), 'keyctl(KEYCTL_DESCRIBE, KEY_SPEC_THREAD_KEYRING, "\\377\\377\\377\\377\\377\\377\\377\\377\\377", 9) = 26');
  assert.equal(k([11, -1, M, 256], 0, mem), 'keyctl(KEYCTL_READ, KEY_SPEC_THREAD_KEYRING, "", 256) = 0');
  assert.equal(k([17, 5, M, 9], -22, mem), `keyctl(KEYCTL_GET_SECURITY, 5, 0x10000000, 9)${EINVAL}`);
  assert.equal(k([6, 5, 0, 9], -22, mem), `keyctl(KEYCTL_DESCRIBE, 5, NULL, 9)${EINVAL}`);
  const caps = new FakeMemory().map(M, Buffer.from([0xeb, 0x03, 0, 0]));
  assert.equal(
    k([31, M, 4], 2, caps),
    'keyctl(KEYCTL_CAPABILITIES, [KEYCTL_CAPS0_CAPABILITIES|KEYCTL_CAPS0_PERSISTENT_KEYRINGS|KEYCTL_CAPS0_PUBLIC_KEY|KEYCTL_CAPS0_INVALIDATE|KEYCTL_CAPS0_RESTRICT_KEYRING|KEYCTL_CAPS0_MOVE, KEYCTL_CAPS1_NS_KEYRING_NAME|KEYCTL_CAPS1_NS_KEY_TAG], 4) = 2',
  );
  assert.equal(k([31, M, 2], 2, caps, { xlat: 'raw' }), 'keyctl(0x1f, [0xeb, 0x3], 2) = 2');
  assert.equal(k([31, M + 0x1000n, 2], -14, caps), 'keyctl(KEYCTL_CAPABILITIES, 0x10001000, 2) = -1 EFAULT (Bad address)');
});

test('keyctl: dh and pkey parameter structures, read at entry even when the call fails', () => {
  const dh = Buffer.alloc(12);
  dh.writeInt32LE(-6, 0);
  dh.writeInt32LE(1234567890, 4);
  dh.writeInt32LE(-1153374643, 8);
  const kdf = Buffer.alloc(56);
  kdf.writeBigUInt64LE(M + 0x100n, 0);
  kdf.writeBigUInt64LE(M + 0x200n, 8);
  kdf.writeUInt32LE(3, 16);
  kdf.writeUInt32LE(0xdeadfeed, 48);
  const mem = new FakeMemory().map(M, dh).map(M + 0x40n, kdf).map(M + 0x100n, 'hmac(aes)\0').map(M + 0x200n, '\x01\x02\x03');
  assert.equal(
    k([23, M, M + 0x800n, 16, M + 0x40n], -95, mem),
    'keyctl(KEYCTL_DH_COMPUTE, {private=KEY_SPEC_GROUP_KEYRING, prime=1234567890, base=-1153374643}, 0x10000800, 16, {hashname="hmac(aes)", otherinfo="\\1\\2\\3", otherinfolen=3, __spare=[0, 0, 0, 0, 0, 0, 0, 0xdeadfeed]}) = -1 EOPNOTSUPP (Operation not supported)',
  );
  assert.equal(k([23, 0, 0, 16, 0], -95, mem), 'keyctl(KEYCTL_DH_COMPUTE, NULL, NULL, 16, NULL) = -1 EOPNOTSUPP (Operation not supported)');
  const pk = Buffer.alloc(40);
  pk.writeInt32LE(-2, 0);
  pk.writeUInt32LE(6, 4);
  pk.writeUInt32LE(3, 8);
  const pmem = new FakeMemory().map(M, pk).map(M + 0x100n, 'enc=pkcs1\0').map(M + 0x200n, 'abcdef').map(M + 0x300n, 'xyz');
  assert.equal(
    k([25, M, M + 0x100n, M + 0x200n, M + 0x300n], 3, pmem),
    'keyctl(KEYCTL_PKEY_ENCRYPT, {key_id=KEY_SPEC_PROCESS_KEYRING, in_len=6, out_len=3}, "enc=pkcs1", "abcdef", "xyz") = 3',
  );
  assert.equal(
    k([28, M, M + 0x100n, M + 0x200n, M + 0x300n], -22, pmem),
    `keyctl(KEYCTL_PKEY_VERIFY, {key_id=KEY_SPEC_PROCESS_KEYRING, in_len=6, in2_len=3}, "enc=pkcs1", "abcdef", "xyz")${EINVAL}`,
  );
  assert.equal(
    k([26, M + 0x1000n, M + 0x100n, M + 0x200n, M + 0x300n], -14, pmem),
    'keyctl(KEYCTL_PKEY_DECRYPT, 0x10001000, "enc=pkcs1", 0x10000200, 0x10000300) = -1 EFAULT (Bad address)',
  );
  assert.equal(k([24, -1, 0, M + 0x100n, M + 0x900n], -22, pmem), `keyctl(KEYCTL_PKEY_QUERY, KEY_SPEC_THREAD_KEYRING, 0, "enc=pkcs1", 0x10000900)${EINVAL}`);
});

test('keyctl -X verbose and raw', () => {
  assert.equal(k([0, -1, -1], 42, none, { xlat: 'verbose' }), 'keyctl(0 /* KEYCTL_GET_KEYRING_ID */, -1 /* KEY_SPEC_THREAD_KEYRING */, -1) = 42');
  assert.equal(k([19, 7, 60, 19, 0], -1, none, { xlat: 'verbose' }), 'keyctl(0x13 /* KEYCTL_REJECT */, 7, 60, 19 /* ENODEV */, 0) = -1 EPERM (Operation not permitted)');
  assert.equal(k([19, 7, 60, 19, 0], -1, none, { xlat: 'raw' }), 'keyctl(0x13, 7, 60, 19, 0) = -1 EPERM (Operation not permitted)');
  assert.equal(k([30, -1, 9, -1, 1], -22, none, { xlat: 'raw' }), `keyctl(0x1e, -1, 9, -1, 0x1)${EINVAL}`);
});
