/**
 * `utrace run --gdb stdio --strace=…` with real gdb in non-stop mode (issue #5's evidence for
 * issue #4's non-stop): while gdb holds one thread at a breakpoint, the other threads run and
 * the strace engine on the same threads keeps tracing them; the held thread makes no syscall
 * meanwhile. Then gdb lets it go and the trace runs to the end.
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
const prog = path.join(root, 'test/fixtures/bin/ns_ticker');
const haveGdb = spawnSync('gdb', ['--version']).status === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-run-gdb-ns-'));

/** getppid calls per tid in a `-f -o` trace (`TID getppid() = N`, or split by other threads
 * into `TID getppid( <unfinished ...>` + `TID <... getppid resumed>) = N`). */
function getppidPerTid(text: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const x of text.matchAll(/^(\d+) +getppid\(/gm)) m.set(Number(x[1]), (m.get(Number(x[1])) ?? 0) + 1);
  return m;
}

test('gdb non-stop holds one thread at a breakpoint; --strace keeps tracing the other threads meanwhile', { skip: !haveGdb && 'gdb not installed', timeout: 90000 }, () => {
  const out = path.join(tmp, 'trace');
  const r = spawnSync('timeout', ['-s', 'KILL', '60', 'gdb', '-batch', '-nx', '-ex', 'set non-stop on',
    '-ex', `target remote | node ${utrace} run --gdb stdio --strace='-f -o ${out}' -- ${prog} 3 3000 20`,
    '-ex', 'break marker', '-ex', 'continue', '-ex', 'info threads',
    '-ex', `shell cp ${out} ${out}.at-hit`, '-ex', 'shell sleep 0.5', '-ex', `shell cp ${out} ${out}.later`,
    '-ex', 'thread 2', '-ex', 'p ticks[0]', '-ex', 'delete', '-ex', 'continue', prog], { encoding: 'utf8' });
  const text = r.stdout + r.stderr;
  assert.match(text, /Thread 2 "ns_ticker" hit Breakpoint 1, marker \(id=0\)/, text);
  const rows = [...text.matchAll(/^[* ] (\d+) +Thread (\d+)\.(\d+) "ns_ticker" (.*)$/gm)];
  const held = rows.find((m) => m[1] === '2' && /^marker \(id=0\)/.test(m[4]!));
  assert.ok(held, text);
  const heldTid = Number(held[3]);
  assert.deepEqual(rows.filter((m) => m[4] === '(running)').map((m) => m[1]), ['1', '3', '4'], 'the other threads run');
  assert.match(text, /^\$1 = 21$/m, 'worker 0 stopped in its 21st tick');
  assert.match(text, /thread 0 ticks=3000\nthread 1 ticks=3000\nthread 2 ticks=3000\ndone/, text);
  assert.match(text, /\[Inferior 1 \(process \d+\) exited normally\]/, text);

  // What strace wrote while gdb held worker 0: the other workers' calls, none of worker 0.
  const atHit = fs.readFileSync(`${out}.at-hit`, 'utf8');
  const later = fs.readFileSync(`${out}.later`, 'utf8');
  assert.ok(later.startsWith(atHit) && later.length > atHit.length, 'the trace grew while a thread was held');
  const during = getppidPerTid(later.slice(atHit.length));
  assert.equal(during.get(heldTid) ?? 0, 0, 'the held thread made no syscall');
  const others = [...during].filter(([tid]) => tid !== heldTid);
  assert.equal(others.length, 2, `the two other workers were traced meanwhile: ${JSON.stringify([...during])}`);
  for (const [tid, n] of others) assert.ok(n >= 100, `worker ${tid}: ${n} getppid calls traced in 0.5 s`);
  assert.equal(getppidPerTid(atHit).get(heldTid), 21, 'worker 0 had made exactly its 21 calls before the breakpoint');

  // The whole trace: every worker's 3000 calls, traced once each, to the end.
  const trace = fs.readFileSync(out, 'utf8');
  const all = getppidPerTid(trace);
  assert.equal(all.get(heldTid), 3000);
  assert.deepEqual([...all.values()].sort(), [3000, 3000, 3000]);
  assert.match(trace, /\+\+\+ exited with 0 \+\+\+\n$/);
});
