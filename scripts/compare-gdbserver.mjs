#!/usr/bin/env node
// Runs the same gdb batch scripts against GNU gdbserver and `utrace gdbserver` (stdio
// transport, same fixture, same gdb), normalises pids/tids/addresses and prints, per
// scenario and overall, the share of identical output lines (spec gdb-server.md §5.1).
// Usage: node scripts/compare-gdbserver.mjs [--verbose]   (needs gdb, gdbserver, built dist/)
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const verbose = process.argv.includes('--verbose');
const prog = path.join(root, 'test/fixtures/bin/gdb_prog');
const cli = path.join(root, 'dist/src/cli/gdbserver.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-cmp-'));
const wrapper = path.join(tmp, 'utrace-gdbserver.mjs');
fs.writeFileSync(wrapper, `import { gdbserverMain } from ${JSON.stringify(cli)};\n` +
  `gdbserverMain(process.argv.slice(2)).then((c) => { process.exitCode = c; });\n`);

execFileSync(process.execPath, [path.join(root, 'scripts/build-fixtures.mjs')], { stdio: 'inherit' });

/** [name, mode argument, gdb commands] */
const scenarios = [
  ['basic', 'basic', [
    'break add', 'continue', 'info registers rip rsp eflags', 'bt', 'finish', 'next', 'step', 'info threads',
    'x/4xw &counter', 'print counter', 'set var g = 5', 'print g', 'info sharedlibrary', 'kill',
  ]],
  ['threads', 'basic', [
    'break worker', 'continue', 'thread 1', 'bt 1', 'delete', 'hbreak late_writer', 'continue', 'delete',
    'watch late', 'continue', 'continue', 'delete', 'catch syscall write', 'continue', 'info registers orig_rax',
    'p $fs_base != 0', 'delete', 'catch fork', 'continue', 'continue',
  ]],
  ['signals', 'usr1', ['handle SIGUSR1 stop print', 'continue', 'p $_siginfo.si_signo', 'continue', 'continue']],
  ['segv', 'segv', ['continue', 'p $_siginfo._sifields._sigfault.si_addr', 'continue']],
  ['abort', 'abort', ['continue', 'continue', 'monitor help']],
  ['fork', 'fork', ['break tick', 'catch fork', 'continue', 'continue', 'info inferiors', 'continue', 'continue']],
  ['regs', 'basic', ['break add', 'continue', 'p $xmm0.v4_int32', 'p $ymm0.v8_int32', 'stepi', 'x/2i $pc', 'p $rip = $rip', 'p $eflags', 'p $orig_rax', 'kill']],
  ['cond', 'loop', ['break tick if i == 700', 'continue', 'p i', 'bt 1', 'delete', 'continue']],
];

function normalise(text) {
  return text
    .split('\n')
    .filter((l) => !/^Reading .* from remote target/.test(l) && !/File transfers from remote targets/.test(l))
    .filter((l) => !/^(Process .* created; pid|Remote debugging using|stdin\/stdout redirected|Listening on|Killing process|Child exited|Child terminated|Detaching from process|Attached; pid)/.test(l))
    .filter((l) => !/^(Warning: ptrace\(regsets_store_inferior_registers\))/.test(l))
    .map((l) => l
      .replace(/(process|Thread|LWP|child process|forked process) \d+(\.\d+)?/g, '$1 N')
      .replace(/expected=\d+/g, 'expected=N')
      .replace(/0x7ff[0-9a-f]{9}/g, '0xSTACK')
      .replace(/core:\d+/g, 'core:N')
      .replace(/\(remote \| .*?\) /, '(remote | SERVER) ')
      .replace(/ {2,}/g, ' '))
    .filter((l) => l.trim() !== '');
}

function run(server, mode, cmds) {
  const script = path.join(tmp, 'script.gdb');
  fs.writeFileSync(script, cmds.join('\n') + '\n');
  const r = spawnSync('timeout', ['60', 'gdb', '-batch', '-nx', '-ex', `target remote | ${server} -- ${prog} ${mode}`, '-x', script, prog], {
    encoding: 'utf8', env: { ...process.env, TERM: 'dumb' },
  });
  return normalise((r.stdout ?? '') + (r.stderr ?? ''));
}

let same = 0;
let total = 0;
for (const [name, mode, cmds] of scenarios) {
  const ref = run('gdbserver -', mode, cmds);
  const ours = run(`${process.execPath} ${wrapper} stdio`, mode, cmds);
  // Line-by-line over the longer transcript (a missing or extra line counts as different).
  const n = Math.max(ref.length, ours.length);
  let s = 0;
  // LCS so one extra line does not shift every later line out of step.
  const dp = Array.from({ length: ref.length + 1 }, () => new Int32Array(ours.length + 1));
  for (let i = ref.length - 1; i >= 0; i--) {
    for (let j = ours.length - 1; j >= 0; j--) {
      dp[i][j] = ref[i] === ours[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
    }
  }
  s = dp[0][0];
  same += s;
  total += n;
  console.log(`${name.padEnd(8)} ${s}/${n} identical lines (${n ? ((100 * s) / n).toFixed(1) : '100.0'}%)`);
  if (verbose && s !== n) {
    const a = path.join(tmp, `${name}.ref`);
    const b = path.join(tmp, `${name}.ours`);
    fs.writeFileSync(a, ref.join('\n') + '\n');
    fs.writeFileSync(b, ours.join('\n') + '\n');
    console.log(spawnSync('diff', [a, b], { encoding: 'utf8' }).stdout);
  }
}
console.log(`overall  ${same}/${total} identical lines (${((100 * same) / total).toFixed(1)}%)`);
fs.rmSync(tmp, { recursive: true, force: true });
