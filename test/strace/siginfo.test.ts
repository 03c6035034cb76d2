import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderValue, siginfoValue } from '../../src/engines/strace/index.js';

test('SIGCHLD siginfo: clock_t fields get strace\'s seconds comment when not zero', () => {
  const b = Buffer.alloc(128);
  b.writeInt32LE(17, 0); // si_signo
  b.writeInt32LE(1, 8); // CLD_EXITED
  b.writeInt32LE(4242, 16); // si_pid
  b.writeInt32LE(0, 20); // si_uid
  b.writeInt32LE(3, 24); // si_status
  b.writeBigInt64LE(15n, 32); // si_utime
  b.writeBigInt64LE(0n, 40); // si_stime
  assert.equal(renderValue(siginfoValue(b)),
    '{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=4242, si_uid=0, si_status=3, si_utime=15 /* 0.15 s */, si_stime=0}');
});
