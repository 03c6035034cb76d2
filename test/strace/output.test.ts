// -c summary table, --json events and --timeline trace-event output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyscallSummary } from '../../src/engines/strace/summary.js';
import { JsonEventWriter, valueToJson } from '../../src/engines/strace/json.js';
import { TimelineWriter } from '../../src/engines/strace/timeline.js';
import { FakeMemory, decodeCall } from './helpers.js';
import { fdv } from '../../src/engines/strace/value.js';

const M = 0x10000000n;

test('summary table in strace -c format', () => {
  const s = new SyscallSummary();
  s.add('execve', 0.000088, false);
  for (let i = 0; i < 8; i++) s.add('mmap', 0.000005, false);
  s.add('access', 0.000003, true);
  s.add('close', 0, false);
  s.add('openat', 0, false);
  assert.equal(
    s.format(),
    [
      '% time     seconds  usecs/call     calls    errors syscall',
      '------ ----------- ----------- --------- --------- ----------------',
      ' 67.18    0.000088          88         1           execve',
      ' 30.53    0.000040           5         8           mmap',
      '  2.29    0.000003           3         1         1 access',
      '  0.00    0.000000           0         1           close',
      '  0.00    0.000000           0         1           openat',
      '------ ----------- ----------- --------- --------- ----------------',
      '100.00    0.000131          10        12         1 total',
      '',
    ].join('\n'),
  );
  const z = new SyscallSummary();
  z.add('openat', 0, false);
  z.add('close', 0, false);
  z.add('openat', 0, false);
  z.add('close', 0, false);
  assert.equal(
    z.format(),
    [
      '% time     seconds  usecs/call     calls    errors syscall',
      '------ ----------- ----------- --------- --------- ----------------',
      '  0.00    0.000000           0         2           close',
      '  0.00    0.000000           0         2           openat',
      '------ ----------- ----------- --------- --------- ----------------',
      '100.00    0.000000           0         4           total',
      '',
    ].join('\n'),
  );
  assert.ok(z.format('calls').includes('close'));
});

test('JSON values and NDJSON events', () => {
  const mem = new FakeMemory().str(M, '/etc/passwd');
  const d = decodeCall({ name: 'openat', args: [-100, M, 0o2000000], ret: 3, mem, tid: 7 });
  let out = '';
  const w = new JsonEventWriter((l) => (out += l));
  w.syscall(d, 1700000000123456000n, 1700000000123468000n);
  const e = JSON.parse(out);
  assert.deepEqual(e, {
    type: 'syscall',
    time: 1700000000.123456,
    pid: 7,
    tid: 7,
    syscall: 'openat',
    nr: 257,
    args: ['AT_FDCWD', { str: '/etc/passwd' }, 'O_RDONLY|O_CLOEXEC'],
    ret: 3,
    retText: '3',
    duration: 0.000012,
  });
  const f = decodeCall({ name: 'openat', args: [-100, M, 0], ret: -2, mem, tid: 7 });
  out = '';
  w.syscall(f, 0n, 0n);
  const fe = JSON.parse(out);
  assert.equal(fe.ret, -1);
  assert.equal(fe.errno, 'ENOENT');
  assert.equal(fe.error, 'No such file or directory');
  const bin = new FakeMemory().map(M, Buffer.from([0xff, 0x00, 0x41]));
  const r = decodeCall({ name: 'read', args: [3, M, 100], ret: 3, mem: bin });
  assert.deepEqual(r.args.map(valueToJson), [3, { hex: 'ff0041' }, 100]);
  // -y paths are latin1 byte strings: UTF-8 names come back as text, others as hex.
  assert.deepEqual(valueToJson(fdv(3, Buffer.from('/é', 'utf8').toString('latin1'))), { fd: 3, path: '/é' });
  assert.deepEqual(valueToJson(fdv(3, Buffer.from([0x2f, 0xff]).toString('latin1'))), { fd: 3, pathHex: '2fff' });
  out = '';
  w.exited(7, 7, 0, 0n);
  w.killed(7, 8, 9, true, 0n);
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines[0], { type: 'exit', time: 0, pid: 7, tid: 7, code: 0 });
  assert.deepEqual(lines[1], { type: 'killed', time: 0, pid: 7, tid: 8, signal: 'SIGKILL', core: true });
});

test('timeline is valid trace-event JSON, streamed', () => {
  let out = '';
  const t = new TimelineWriter((s) => (out += s));
  t.processName(7, 'cat');
  t.threadName(7, 7, 'cat');
  const mem = new FakeMemory().str(M, '/etc/passwd');
  const d = decodeCall({ name: 'openat', args: [-100, M, 0], ret: 3, mem, tid: 7 });
  t.syscall(d, 1000000n, 1012000n);
  const si = Buffer.alloc(128);
  si.writeInt32LE(17, 0);
  si.writeInt32LE(1, 8);
  t.signal(7, 7, 17, si, 2000000n);
  t.exited(7, 7, 0, 3000000n);
  assert.ok(!out.trimEnd().endsWith(']'), 'open until closed');
  t.close();
  const ev = JSON.parse(out) as Record<string, unknown>[];
  assert.equal(ev.length, 5);
  assert.deepEqual(ev[0], { name: 'process_name', ph: 'M', pid: 7, tid: 7, args: { name: 'cat' } });
  assert.equal(ev[2].ph, 'X');
  assert.equal(ev[2].ts, 0);
  assert.equal(ev[2].dur, 12);
  assert.deepEqual((ev[2].args as Record<string, unknown>).ret, '3');
  assert.equal(ev[3].ph, 'i');
  assert.equal(ev[3].name, 'SIGCHLD');
  assert.equal(ev[3].ts, 1000);
});
