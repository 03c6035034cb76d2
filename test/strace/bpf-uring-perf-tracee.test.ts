// bpf, io_uring_register and perf_event_open decoded from a real tracee (fixture
// bpf_uring_perf): the arguments as utrace prints them, and the same lines as strace when
// strace is installed. Return values depend on privileges, so only the arguments are fixed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const fixture = path.join(root, 'test/fixtures/bin/bpf_uring_perf');
const haveStrace = spawnSync('strace', ['-V']).status === 0;
const ARGS = ['-y', '-e', 'trace=bpf,io_uring_register,perf_event_open', fixture];

function lines(cmd: string, args: string[]): string[] {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr.split('\n').filter((l) => l && !l.startsWith('+++'));
}

test('bpf, io_uring_register and perf_event_open of a real tracee', () => {
  const got = lines('node', [utrace, 'strace', ...ARGS]);
  assert.equal(got.length, 3, got.join('\n'));
  assert.match(got[0], /^bpf\(BPF_MAP_CREATE, \{map_type=BPF_MAP_TYPE_ARRAY, key_size=4, value_size=8, max_entries=1, map_flags=0\}, 20\) = (\d+<anon_inode:bpf-map>|-1 E)/);
  assert.match(got[1], /^io_uring_register\((\d+)<\/dev\/null>, IORING_REGISTER_FILES, \[\1<\/dev\/null>, -1\], 2\) = -1 E/);
  assert.match(got[2], /^perf_event_open\(\{type=PERF_TYPE_SOFTWARE, size=PERF_ATTR_SIZE_VER7, config=PERF_COUNT_SW_DUMMY, sample_period=0, sample_type=0, read_format=0, disabled=1, exclude_kernel=1, precise_ip=0 \/\* arbitrary skid \*\/, \.\.\.\}, 0, -1, -1, PERF_FLAG_FD_CLOEXEC\) = /);
});

test('the same lines as strace, with -v too', { skip: !haveStrace && 'strace not installed' }, () => {
  for (const extra of [[], ['-v']]) {
    assert.deepEqual(lines('node', [utrace, 'strace', ...extra, ...ARGS]), lines('strace', [...extra, ...ARGS]));
  }
});
