/**
 * -o '|COMMAND' and -o '!COMMAND': the trace is COMMAND's input (run by /bin/sh with our stdout
 * and stderr), and utrace strace ends only once COMMAND has, as strace waits for it.
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
const prog = path.join(root, 'test/fixtures/bin/pid_names');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-opipe-'));

test("-o '|COMMAND': the trace is the command's input; the command is waited for", () => {
  const out = path.join(dir, 'count');
  // The command writes only after its input ends and a pause: read at once after we exit.
  const r = spawnSync(utrace, ['strace', '-qq', '-e', 'trace=getppid,kill', '-e', 'signal=none', '-o', `|sleep 0.3; grep -c '^[gk]' > '${out}'`, prog],
    { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.readFileSync(out, 'utf8'), '2\n', 'getppid and kill, counted by the command');
  assert.equal(r.stderr, '');
  const b = spawnSync(utrace, ['strace', '-qq', '-e', 'trace=getppid', '-o', '!cat', prog], { encoding: 'utf8', timeout: 30000 });
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stdout, /^getppid\(\) += \d+\n/, "'!COMMAND' alike, with our stdout");
  const ff = spawnSync(utrace, ['strace', '-ff', '-o', '|cat', prog], { encoding: 'utf8', timeout: 30000 });
  assert.equal(ff.status, 1);
  assert.match(ff.stderr, /piping the output and -ff\/--output-separately are mutually exclusive/);
});
