/**
 * -n: each call's number before its name, as the real strace prints it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const haveStrace = spawnSync('strace', ['-V']).status === 0;

test('-n prints "[ NR] " before the name, as strace', { skip: !haveStrace && 'strace not installed' }, () => {
  const args = ['-n', '-qq', '-e', 'trace=umask,chdir', '/bin/sh', '-c', 'umask 022; cd /; echo $$ >/dev/null'];
  const ours = spawnSync(utrace, ['strace', ...args], { encoding: 'utf8' });
  const theirs = spawnSync('strace', args, { encoding: 'utf8' });
  assert.equal(ours.status, 0, ours.stderr);
  assert.match(ours.stderr, /^\[ {2}95\] umask\(022\) +=/m);
  assert.equal(ours.stderr, theirs.stderr);
});
