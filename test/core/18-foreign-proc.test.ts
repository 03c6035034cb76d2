/**
 * A tracer in a pid namespace whose /proc was mounted by an ancestor namespace (`unshare -Urpf`
 * without remounting /proc, as strace's own suite runs it): /proc numbers processes and
 * TracerPid in the ancestor's pids. A followed child must still be seen to its exit, not taken
 * for a leader killed by another thread's execve (TracerPid compared with the wrong pid), also
 * while another namespace of the same level uses the same numbers (its entries in /proc have
 * the same NSpid at our level).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { procStatus } from '../../src/core/procfs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const canUnshare = spawnSync('unshare', ['-Urpf', 'true']).status === 0;

test('procStatus reads our own pid\'s entry', () => {
  assert.equal(procStatus(process.pid)?.['Pid'], String(process.pid));
});

function followedChild(): void {
  const t0 = Date.now();
  const r = spawnSync('unshare', ['-Urpf', '--kill-child', utrace, 'strace', '-f', '-qq', '-e', 'trace=exit_group', '-e', 'signal=none',
    '/bin/sh', '-c', 'sleep 1.5 & wait; exit 3'], { encoding: 'utf8', timeout: 30000, killSignal: 'SIGKILL' });
  assert.equal(r.status, 3, r.stderr);
  assert.doesNotMatch(r.stderr, /killed by SIGKILL/);
  // Both processes' exit_group calls are seen.
  assert.equal(r.stderr.match(/exit_group\(/g)?.length, 2, r.stderr);
  assert.ok(Date.now() - t0 < 20000);
}

test('under unshare -Urpf with the old /proc, a followed child that outlives a second exits normally', { skip: !canUnshare && 'unshare -Urpf not permitted here' }, () => {
  followedChild();
});

test('the same while a sibling namespace holds the same pids (inner pids 2..61)', { skip: !canUnshare && 'unshare -Urpf not permitted here' }, async () => {
  const decoy = spawn('unshare', ['-Urpf', '--kill-child', '/bin/sh', '-c', 'i=0; while [ $i -lt 60 ]; do sleep 30 & i=$((i+1)); done; echo up; wait'],
    { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await new Promise<void>((resolve, reject) => {
      decoy.stdout.once('data', () => resolve());
      decoy.once('exit', () => reject(new Error('the decoy namespace did not start')));
    });
    followedChild();
  } finally {
    decoy.kill('SIGKILL');
  }
});
