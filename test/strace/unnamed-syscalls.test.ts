/**
 * A syscall number the table does not name (past its end, or a hole in it) is shown whatever
 * -e trace= selects, as strace shows it: no name can select or exclude it (strace's own
 * nsyscalls tests run `-e trace=none`). With -f the seccomp prefilter must stop those numbers
 * too, holes included; without one every call stops and the core reports only the selected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSeccompFilter } from '../../src/core/seccomp.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const prog = path.join(root, 'test/fixtures/bin/unnamed_syscalls');
const PAST_END = 'syscall_0x258(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)';
const HOLE = 'syscall_0x190(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)';

function trace(args: string[]): string[] {
  const r = spawnSync('node', [utrace, 'strace', '-qq', ...args, prog], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr.split('\n').filter(Boolean);
}

for (const follow of [false, true]) {
  const f = follow ? ['-f'] : [];
  const how = follow ? 'with -f (seccomp prefilter)' : 'without -f (every call stops)';
  test(`-e trace=none ${how}: only the two unnamed calls`, () => {
    assert.deepEqual(trace([...f, '-e', 'trace=none']), [PAST_END, HOLE]);
  });
  test(`-e trace=getpid ${how}: the unnamed calls, then getpid`, () => {
    const lines = trace([...f, '-e', 'trace=getpid']);
    assert.deepEqual(lines.slice(0, 2), [PAST_END, HOLE]);
    assert.match(lines[2]!, /^getpid\(\) += \d+$/);
    assert.equal(lines.length, 3, lines.join('\n'));
  });
}

test('the seccomp filter stops an unnamed number only when asked, and a listed one always', () => {
  // Run the classic BPF program by hand over seccomp_data for x86_64.
  const run = (prog: Uint8Array, nr: number): 'trace' | 'allow' => {
    const data = Buffer.alloc(64);
    data.writeUInt32LE(nr >>> 0, 0);
    data.writeUInt32LE(0xc000003e, 4);
    let pc = 0;
    let a = 0;
    for (;;) {
      const o = pc * 8;
      const code = Buffer.from(prog).readUInt16LE(o);
      const jt = prog[o + 2]!;
      const jf = prog[o + 3]!;
      const k = Buffer.from(prog).readUInt32LE(o + 4);
      if (code === 0x20) a = data.readUInt32LE(k);
      else if (code === 0x06) return (k >>> 16) === 0x7ff0 ? 'trace' : 'allow';
      else {
        const hit = code === 0x15 ? a === k : code === 0x25 ? a > k : code === 0x35 ? a >= k : (a & k) !== 0;
        pc += hit ? jt : jf;
      }
      pc++;
    }
  };
  const named = [0, 1, 2, 39, 334, 424, 450];
  const plain = buildSeccompFilter([39], named);
  const unnamed = buildSeccompFilter([39], named, true);
  const table: [number, 'trace' | 'allow', 'trace' | 'allow'][] = [
    [39, 'trace', 'trace'], [1, 'allow', 'allow'], [450, 'allow', 'allow'],
    [3, 'allow', 'trace'], [400, 'allow', 'trace'], [451, 'allow', 'trace'], [600, 'allow', 'trace'],
  ];
  for (const [nr, withoutUnnamed, withUnnamed] of table) {
    assert.equal(run(plain, nr), withoutUnnamed, `nr ${nr}`);
    assert.equal(run(unnamed, nr), withUnnamed, `nr ${nr} (unnamed)`);
  }
});
