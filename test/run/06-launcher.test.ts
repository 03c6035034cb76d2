/**
 * bin/utrace.js starts Node without NODE_EXTRA_CA_CERTS (Node 20 parses that file at start-up)
 * and the CLI gives it back to the programs it starts. Node warns on stderr when the file named
 * there cannot be loaded, which shows whether Node saw the variable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const MISSING = '/nonexistent/utrace-test-ca.pem';

function envOf(env: NodeJS.ProcessEnv, viaNode = false): { stdout: string; stderr: string } {
  const cmd = viaNode ? process.execPath : utrace;
  const args = [...(viaNode ? [utrace] : []), 'strace', '-e', 'trace=none', '--', '/usr/bin/env'];
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}

const base = (): NodeJS.ProcessEnv => {
  const e = { ...process.env };
  delete e['NODE_EXTRA_CA_CERTS'];
  delete e['UTRACE_NODE_EXTRA_CA_CERTS'];
  return e;
};

test('NODE_EXTRA_CA_CERTS: Node in utrace does not load it, the traced program gets it unchanged', () => {
  // The check itself: run with plain `node`, Node does read the variable and warns.
  assert.match(envOf({ ...base(), NODE_EXTRA_CA_CERTS: MISSING }, true).stderr, /extra certs/i);

  const set = envOf({ ...base(), NODE_EXTRA_CA_CERTS: MISSING });
  assert.doesNotMatch(set.stderr, /extra certs/i);
  const lines = set.stdout.split('\n');
  assert.ok(lines.includes(`NODE_EXTRA_CA_CERTS=${MISSING}`), set.stdout);
  assert.ok(!lines.some((l) => l.startsWith('UTRACE_NODE_EXTRA_CA_CERTS=')), set.stdout);

  // Set but empty stays set but empty; unset stays unset.
  assert.ok(envOf({ ...base(), NODE_EXTRA_CA_CERTS: '' }).stdout.split('\n').includes('NODE_EXTRA_CA_CERTS='));
  assert.ok(!/NODE_EXTRA_CA_CERTS/.test(envOf(base()).stdout));
});
