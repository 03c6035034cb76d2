/**
 * A tracer in a pid namespace whose /proc was mounted by an ancestor namespace (`unshare -Urpf`
 * without remounting /proc, as strace's own suite runs it): /proc numbers processes and
 * TracerPid in the ancestor's pids. A followed child must still be seen to its exit, not taken
 * for a leader killed by another thread's execve (TracerPid compared with the wrong pid, or read
 * from the task of another namespace that has the same number at our level). As the
 * namespace's init, utrace is left the zombies of former tracees: it reaps them, or a nested
 * namespace's init could never finish exiting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { procStatus } from '../../src/core/procfs.js';
import { fixture, siblingNamespace } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const canUnshare = spawnSync('unshare', ['-Urpf', 'true']).status === 0;

test('procStatus reads our own pid\'s entry', () => {
  assert.equal(procStatus(process.pid)?.['Pid'], String(process.pid));
});

const sh = ['/bin/sh', '-c', 'sleep 1.5 & wait; exit 3'];

test('under unshare -Urpf with the old /proc, a followed child that outlives a second exits normally', { skip: !canUnshare && 'unshare -Urpf not permitted here' }, () => {
  const t0 = Date.now();
  const r = spawnSync('unshare', ['-Urpf', utrace, 'strace', '-f', '-qq', '-e', 'trace=exit_group', '-e', 'signal=none',
    ...sh], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 3, r.stderr);
  assert.doesNotMatch(r.stderr, /killed by SIGKILL/);
  // Both processes' exit_group calls are seen.
  assert.equal(r.stderr.match(/exit_group\(/g)?.length, 2, r.stderr);
  assert.ok(Date.now() - t0 < 20000);
});

test('the same while another namespace numbers its tasks as ours are numbered', { skip: !canUnshare && 'unshare -Urpf not permitted here' }, async () => {
  const other = await siblingNamespace();
  try {
    const r = spawnSync('unshare', ['-Urpf', '--kill-child', utrace, 'strace', '-f', '-e', 'trace=exit_group', '-e', 'signal=none', ...sh],
      { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.signal, null, `timed out: ${r.stderr}`);
    assert.equal(r.status, 3, r.stderr);
    assert.equal(r.stderr.match(/\+\+\+ exited with 0 \+\+\+/g)?.length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /killed by SIGKILL/);
  } finally {
    other.kill();
  }
});

test('as a pid namespace\'s init, utrace strace -f reaps the zombies of former tracees left to it', { skip: !canUnshare && 'unshare -Urpf not permitted here' }, () => {
  // ns_zombies leaves 3 zombies of a nested namespace to us and exits; that namespace's init
  // then waits in the kernel for them to be reaped, and we wait for it.
  const r = spawnSync('unshare', ['-Urpf', '--kill-child', utrace, 'strace', '-f', '-e', 'trace=exit_group', '-e', 'signal=none',
    fixture('ns_zombies')], { encoding: 'utf8', timeout: 15000 });
  assert.equal(r.signal, null, `timed out: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'zombies 3\n');
  // The program, the nested init and its 3 children, each to its end.
  assert.equal(r.stderr.match(/\+\+\+ exited with 0 \+\+\+/g)?.length, 5, r.stderr);
});
