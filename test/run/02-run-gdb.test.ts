/**
 * `utrace run --gdb stdio --strace=…` driven by real gdb in batch mode on a multi-threaded
 * fixture: gdb breaks and detaches halfway; the trace goes on to `+++ exited with 0 +++`.
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
const prog = path.join(root, 'test/fixtures/bin/mt_ticker');
const haveGdb = spawnSync('gdb', ['--version']).status === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-run-gdb-'));

test('gdb breaks and detaches halfway; strace on the same threads traces to the end', { skip: !haveGdb && 'gdb not installed', timeout: 90000 }, async () => {
  const out = path.join(tmp, 'trace');
  const r = spawnSync('timeout', ['-s', 'KILL', '60', 'gdb', '-batch', '-nx',
    '-ex', `target remote | node ${utrace} run --gdb stdio --strace='-f -o ${out}' -- ${prog} 3 50`,
    '-ex', 'break worker', '-ex', 'continue', '-ex', 'info threads', '-ex', 'detach', prog], { encoding: 'utf8' });
  const text = r.stdout + r.stderr;
  assert.match(text, /Breakpoint 1, worker/, text);
  assert.match(text, /detached/, text);
  // utrace goes on after gdb leaves: poll for the end of the trace. exit_group may be split
  // into `exit_group(0 <unfinished ...>` / `<... exit_group resumed>` as threads interleave.
  const deadline = Date.now() + 30000;
  let trace = '';
  while (Date.now() < deadline) {
    trace = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
    if (/exit_group\(0[^]*\+\+\+ exited with 0 \+\+\+\n$/.test(trace)) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.match(trace, /exit_group\(0[^]*\+\+\+ exited with 0 \+\+\+\n$/, `gdb and utrace said:\n${text}`);
  assert.match(trace, /write\(1, "thread 0 iterations=50\\nthread 1 /);
  const tids = new Set([...trace.matchAll(/^(\d+) +getppid\(\)/gm)].map((m) => m[1]));
  assert.equal(tids.size, 3, 'getppid traced on all three worker threads');
});

test('gdb single-steps over a syscall instruction while --strace and --inject run: the call is traced exactly once, and gdb, the program and the trace all see the forced result', { skip: !haveGdb && 'gdb not installed', timeout: 90000 }, () => {
  const out = path.join(tmp, 'trace-stepi');
  const sc = path.join(root, 'test/fixtures/bin/sc_step');
  const r = spawnSync('timeout', ['-s', 'KILL', '60', 'gdb', '-batch', '-nx',
    '-ex', `target remote | node ${utrace} run --gdb stdio --strace='-o ${out}' --inject getppid:retval=42:when=1 -- ${sc}`,
    '-ex', 'break *sc_insn', '-ex', 'continue', '-ex', 'stepi', '-ex', 'info registers rip rax', '-ex', 'delete', '-ex', 'continue', sc],
  { encoding: 'utf8' });
  const text = r.stdout + r.stderr;
  // Stopped after the 2-byte syscall instruction, with the injected result in rax.
  assert.match(text, /^rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <raw_getppid\+11>$/m, text);
  assert.match(text, /^rax\s+0x2a\s+42$/m, text);
  const ppid = /ppid=42 ppid=(\d+)/.exec(text);
  assert.ok(ppid, text);
  assert.match(text, /exited normally/);
  const trace = fs.readFileSync(out, 'utf8');
  assert.deepEqual(trace.match(/^getppid\(\).*$/gm), ['getppid()                               = 42 (INJECTED)', `getppid()                               = ${ppid[1]}`]);
  assert.match(trace, /\+\+\+ exited with 0 \+\+\+\n$/);
});
