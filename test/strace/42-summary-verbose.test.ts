/**
 * The -c table's -U columns and -O overhead (table tests and on a real sleep), and -e verbose=SET
 * on real calls: structures of a call outside the set print as addresses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDurationNs, parseStraceCommandLine } from '../../src/cli/strace-options.js';
import { UsageError } from '../../src/cli/common.js';
import { SyscallSummary, summaryColumn } from '../../src/engines/strace/summary.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const caps = path.join(root, 'test/fixtures/bin/caps_calls');

function strace(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(utrace, ['strace', ...args], { encoding: 'utf8', timeout: 30000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('-O: a decimal number with an exponent and a unit (default us), in ns', () => {
  const rows: [string, number | undefined][] = [
    ['1', 1000], ['4.5e2ms', 450_000_000], ['4.5e-1s', 450_000_000], ['456789012ns', 456789012], ['.5us', 500],
    ['1e3', 1_000_000], ['foo', undefined], ['1x', undefined], ['-1', undefined], ['', undefined], ['1e999s', undefined],
  ];
  for (const [v, ns] of rows) assert.equal(parseDurationNs(v), ns, v);
  assert.throws(() => parseStraceCommandLine(['-c', '-O', 'foo', 'true']), (e: Error) => e instanceof UsageError && e.message === "invalid -O argument: 'foo'");
});

test('-U: strace\'s column names, unknown ones refused, only with -c/-C', () => {
  const rows: [string, string | undefined][] = [
    ['time', 'percent'], ['time_percent', 'percent'], ['total-time', 'time'], ['shortest', 'min'], ['time_max', 'max'],
    ['avg-time', 'avg'], ['count', 'calls'], ['error', 'errors'], ['syscall_name', 'name'], ['percent', undefined],
    ['seconds', undefined], ['', undefined],
  ];
  for (const [v, col] of rows) assert.equal(summaryColumn(v), col, v);
  assert.deepEqual(parseStraceCommandLine(['-c', '-U', 'max_time,name', 'true']).summaryColumns, ['max', 'name']);
  assert.throws(() => parseStraceCommandLine(['-c', '-U', 'name,', 'true']), /unknown column name: ''/);
  assert.throws(() => parseStraceCommandLine(['-U', 'name', 'true']), /-U\/--summary-columns must be given with/);
  assert.match(parseStraceCommandLine(['-S', 'calls', 'true']).warnings.join(), /-S\/--summary-sort-by has no effect without/);
});

test('the table with chosen columns: widths, the name padded unless last, totals as min/max of all', () => {
  const s = new SyscallSummary();
  s.add('read', 0.000010, false, 0);
  s.add('read', 0.000030, true, 0);
  s.add('write', 0.002, false, 1);
  assert.equal(s.format('max', ['min', 'max', 'name', 'errors']), [
    'shortest  longest syscall             errors',
    '-------- -------- ---------------- ---------',
    '0.002000 0.002000 write                     ',
    '0.000010 0.000030 read                     1',
    '-------- -------- ---------------- ---------',
    '0.000010 0.002000 total                    1',
    '',
  ].join('\n'));
  // Without the name it is added last; the default table is unchanged.
  assert.equal(s.format('calls', ['calls']).split('\n')[2], '        2 read');
  assert.equal(s.format().split('\n')[0], '% time     seconds  usecs/call     calls    errors syscall');
  // -O: taken off every call, not below zero.
  const o = new SyscallSummary();
  o.overheadNs = 20_000;
  o.add('read', 0.000010, false, 0);
  o.add('read', 0.000050, false, 0);
  assert.match(o.format('time', ['time', 'name']), /\n {3}0\.000030 read\n/);
});

test('-c -w -O on a real sleep: the overhead comes off the call', () => {
  const r = strace(['-c', '-w', '-O', '2e2ms', '-e', 'trace=clock_nanosleep,nanosleep', '-U', 'total-time,calls,name', 'sleep', '0.5']);
  assert.equal(r.status, 0, r.stderr);
  const m = /^\s+(\d+\.\d+)\s+1 (?:clock_)?nanosleep$/m.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.ok(Number(m[1]) >= 0.29 && Number(m[1]) < 0.45, r.stderr);
});

test('-e verbose=: capget/capset outside the set show addresses; a header that does not read leaves the data an address', () => {
  const verbose = strace(['-e', 'trace=capget,capset', caps]);
  assert.equal(verbose.status, 0, verbose.stderr);
  const [hdr, data, bad] = verbose.stdout.trim().split(' ');
  assert.match(verbose.stderr, /^capget\(\{version=_LINUX_CAPABILITY_VERSION_3, pid=0\}, \{effective=/m);
  // capset's header is unreadable: the data is not decoded (strace does not read it either).
  assert.match(verbose.stderr, new RegExp(`^capset\\(${bad}, ${data}\\) += -1 EFAULT`, 'm'));
  const quiet = strace(['-e', 'trace=capget,capset', '-e', 'verbose=!capget,capset', caps]);
  const [hdr2, data2, bad2] = quiet.stdout.trim().split(' ');
  assert.match(quiet.stderr, new RegExp(`^capget\\(${hdr2}, ${data2}\\) += 0$`, 'm'));
  assert.match(quiet.stderr, new RegExp(`^capset\\(${bad2}, ${data2}\\) += -1 EFAULT`, 'm'));
  assert.ok(hdr);
});

test('-e verbose=none: execve\'s argv and envp as addresses, the path still decoded', () => {
  const r = strace(['-e', 'trace=execve', '-e', 'verbose=none', '/bin/true']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^execve\("\/bin\/true", 0x[0-9a-f]+, 0x[0-9a-f]+\) = 0$/m);
  const v = strace(['-e', 'trace=execve', '--verbose=execve', '/bin/true']);
  assert.match(v.stderr, /^execve\("\/bin\/true", \["\/bin\/true"\], 0x[0-9a-f]+ \/\* \d+ vars \*\/\) = 0$/m);
});
