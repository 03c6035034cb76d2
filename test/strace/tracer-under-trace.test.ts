/**
 * A tracer traced without -f (strace's get_regs test runs strace under strace): the children
 * the program forks are never traced by us, not even for a moment, so the program can seize
 * them (the kernel says EPERM to a second tracer); and -e trace=none costs no syscall stops.
 * Real tracees, real ptrace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const forkSeize = path.join(root, 'test/fixtures/bin/fork_seize_child');
const marker = path.join(root, 'test/fixtures/bin/marker');

test('without -f, a child the program forks is its own to trace: 50 forks, 50 seizes', () => {
  // Before, the fork options were on for the host's thread keeper: each child was ours until
  // its first stop was seen, and about one seize in ten failed with EPERM.
  for (const quiet of ['-qq', '--quiet=none']) {
    const r = spawnSync('node', [utrace, 'strace', quiet, '-o', '/dev/null', '-e', 'trace=none', forkSeize, '50'], { encoding: 'utf8', timeout: 60000 });
    assert.equal(r.stdout, 'seized 50 of 50\n', r.stderr);
    assert.equal(r.status, 0, r.stderr);
  }
});

test('utrace strace under utrace strace: -e trace=none makes fewer ptrace calls than trace=all, and almost none under -f', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-nested-'));
  try {
    const count = (set: string, follow: boolean): number => {
      const out = path.join(dir, `outer-${set}-${follow}`);
      const r = spawnSync('node', [utrace, 'strace', '-qq', '-e', 'signal=none', '-e', 'raw=all', '-e', 'trace=ptrace', '-o', out, '--',
        utrace, 'strace', ...(follow ? ['-f'] : []), '-qq', '-o', path.join(dir, `inner-${set}`), '-e', 'signal=none', '-e', `trace=${set}`, marker],
      { encoding: 'utf8', timeout: 60000 });
      assert.equal(r.status, 0, r.stderr);
      return fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('ptrace(')).length;
    };
    // trace=none still stops at every call, as strace does (a number the table does not name is
    // shown whatever the filter), but reads only the number at entry: no report, no info at exit.
    const none = count('none', false);
    const all = count('all', false);
    assert.ok(none > 0 && none < all, `trace=all ${all}, trace=none ${none}`);
    // Under -f the seccomp prefilter stops only the unnamed numbers: the seize and the options.
    const noneF = count('none', true);
    assert.ok(noneF > 0 && noneF < 12, `trace=none -f: ${noneF} ptrace calls`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
