/**
 * --pidns-translation on a real program in a new pid namespace: ids it passes and gets back
 * are followed by what they are in ours, as the real strace prints them; without the option,
 * nothing is added. Also from a namespace whose /proc is an ancestor's (`unshare -Urpf utrace …`,
 * as strace's suite runs it the second time) while another namespace numbers its tasks alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { siblingNamespace } from '../core/helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const haveStrace = spawnSync('strace', ['-V']).status === 0;
const canUnshare = spawnSync('unshare', ['-Urpf', 'true']).status === 0;
const prog = ['unshare', '-Urpf', '/bin/sh', '-c', 'kill -0 $$'];
const norm = (s: string): string => s.replace(/\d{2,}/g, 'N');

test('getpid and kill in a new pid namespace, as strace --pidns-translation shows them', { skip: (!haveStrace || !canUnshare) && 'needs strace and unshare -Urpf' }, () => {
  const args = ['-f', '-qq', '--pidns-translation', '-e', 'trace=getpid,kill', '-e', 'signal=none', ...prog];
  const ours = spawnSync(utrace, ['strace', ...args], { encoding: 'utf8', timeout: 30000 });
  const theirs = spawnSync('strace', args, { encoding: 'utf8', timeout: 30000 });
  assert.equal(ours.status, 0, ours.stderr);
  const m = /\[pid +(\d+)\] getpid\(\) += 1 \/\* (\d+) in strace's PID NS \*\//.exec(ours.stderr);
  assert.ok(m, ours.stderr);
  assert.equal(m[1], m[2]);
  assert.equal(norm(ours.stderr), norm(theirs.stderr));
  const plain = spawnSync(utrace, ['strace', '-f', '-qq', '-e', 'trace=getpid', '-e', 'signal=none', ...prog], { encoding: 'utf8', timeout: 30000 });
  assert.match(plain.stderr, /getpid\(\) += 1\n/);
});

test('the same with an ancestor\'s /proc, while another namespace has tasks of the same numbers', { skip: !canUnshare && 'needs unshare -Urpf' }, async () => {
  const other = await siblingNamespace();
  try {
    const r = spawnSync('unshare', ['-Urpf', '--kill-child', utrace, 'strace', '-f', '-qq', '--pidns-translation',
      '-e', 'trace=getpid,kill', '-e', 'signal=none', ...prog], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 0, r.stderr);
    // Our namespace numbers the shell as the sibling one numbers one of its sleeps.
    const m = /\[pid +(\d+)\] getpid\(\) += 1 \/\* (\d+) in strace's PID NS \*\//.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.equal(m[1], m[2]);
    assert.match(r.stderr, new RegExp(`kill\\(1 /\\* ${m[1]} in strace's PID NS \\*/, 0\\) += 0`));
  } finally {
    other.kill();
  }
});
