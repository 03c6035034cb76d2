#!/usr/bin/env node
// Runs the same gdb batch scripts against GNU gdbserver and `utrace gdbserver` (stdio
// transport, same fixture, same gdb), normalises pids/tids/addresses and prints, per
// scenario and overall, the share of identical output lines (docs/gdb-server.md quotes the result).
// Usage: node scripts/compare-gdbserver.mjs [--verbose] [SCENARIO…]   (needs gdb, gdbserver, built dist/)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
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

const nsProg = path.join(root, 'test/fixtures/bin/ns_ticker');
/** The line of gdb_prog's spin loop that sleeps (a breakpoint with no racy arguments). */
const spinLine = fs.readFileSync(path.join(root, 'test/fixtures/gdb_prog.c'), 'utf8').split('\n').findIndex((l) => l.includes('usleep(10000)')) + 1;

/**
 * name, program arguments, gdb commands; optionally `prog` (default gdb_prog), `pre` (gdb
 * commands before the target command), and `target`: 'remote' (default: `target remote | SERVER
 * stdio -- PROG ARGS`), 'extended' (`target extended-remote | SERVER --multi`; the script runs
 * the program) or 'attach' (a fresh `PROG ARGS` started outside gdb, `SERVER --attach PID`).
 */
const scenarios = [
  { name: 'basic', args: 'basic', cmds: [
    'break add', 'continue', 'info registers rip rsp eflags', 'bt', 'finish', 'next', 'step', 'info threads',
    'x/4xw &counter', 'print counter', 'set var g = 5', 'print g', 'info sharedlibrary', 'kill',
  ] },
  { name: 'threads', args: 'basic', cmds: [
    'break worker', 'continue', 'thread 1', 'bt 1', 'delete', 'hbreak late_writer', 'continue', 'delete',
    'watch late', 'continue', 'continue', 'delete', 'catch syscall write', 'continue', 'info registers orig_rax',
    'p $fs_base != 0', 'delete', 'catch fork', 'continue', 'continue',
  ] },
  { name: 'signals', args: 'usr1', cmds: ['handle SIGUSR1 stop print', 'continue', 'p $_siginfo.si_signo', 'continue', 'continue'] },
  { name: 'segv', args: 'segv', cmds: ['continue', 'p $_siginfo._sifields._sigfault.si_addr', 'continue'] },
  { name: 'abort', args: 'abort', cmds: ['continue', 'continue', 'monitor help'] },
  { name: 'fork', args: 'fork', cmds: ['break tick', 'catch fork', 'continue', 'continue', 'info inferiors', 'continue', 'continue'] },
  { name: 'vfork', args: 'vfork', cmds: ['break tick', 'catch vfork', 'continue', 'continue', 'bt 1', 'info inferiors', 'continue', 'continue'] },
  { name: 'exec', args: 'exec', cmds: ['catch exec', 'continue', 'info inferiors', 'bt 1', 'continue'] },
  { name: 'dlopen', args: 'dlopen', cmds: ['info sharedlibrary', 'break tick', 'continue', 'info sharedlibrary', 'continue'] },
  { name: 'regs', args: 'basic', cmds: ['break add', 'continue', 'p $xmm0.v4_int32', 'p $ymm0.v8_int32', 'stepi', 'x/2i $pc', 'p $rip = $rip', 'p $eflags', 'p $orig_rax', 'kill'] },
  { name: 'cond', args: 'loop', cmds: ['break tick if i == 700', 'continue', 'p i', 'bt 1', 'delete', 'continue'] },
  // Single steps and range steps: ours are mostly emulated (Task.emulateStep), gdbserver's real.
  { name: 'steps', args: 'loop 30', cmds: [
    'break tick', 'continue', 'delete', 'display/i $pc', 'stepi 5', 'stepi', 'stepi', 'stepi',
    'info registers rip rax rdx rsp rbp eflags', 'next', 'step', 'finish', 'info registers rip rax eflags',
    'stepi 200', 'info registers rip rax rcx rdx rsi rdi rsp rbp eflags', 'undisplay', 'continue',
  ] },
  { name: 'extended', target: 'extended', cmds: [
    `set remote exec-file ${prog}`, 'set args fork', 'catch fork', 'break tick', 'run', 'info inferiors', 'continue', 'continue',
    'set follow-fork-mode child', 'run', 'bt 1', 'continue', 'continue', 'set args exec', 'catch exec', 'run', 'continue',
  ] },
  // The process was started outside gdb, so its addresses are randomised (normalised below).
  { name: 'attach', target: 'attach', args: 'spin', cmds: [
    'info threads', 'bt -1', `break gdb_prog.c:${spinLine}`, 'continue', 'p counter > 0', 'delete', 'detach',
  ] },
  // Non-stop: worker 0 (gdb thread 2) held at marker() while the others run; one of them is
  // interrupted (vCont;t), which gdb 13 in batch mode reports at the next execution command.
  { name: 'nonstop', prog: nsProg, args: '3 3000 20', pre: ['set non-stop on'], cmds: [
    'break marker', 'continue', 'info threads', 'thread 2', 'p ticks[0]', 'bt', 'delete', 'thread 3', 'interrupt',
    'shell sleep 0.3', 'info threads', 'continue -a', 'info threads', 'thread 3', 'p $_siginfo.si_signo', 'continue',
  ] },
];

function normalise(text) {
  return text
    .split('\n')
    // gdb's file-transfer progress: printed as gdb fetches files, and interleaved differently
    // with the server's stderr (below) depending on when each write lands.
    .filter((l) => !/^Reading .* from remote target/.test(l) && !/File transfers from remote targets/.test(l))
    // The server's own stderr, which gdb echoes (stdio transport): not about debugging, and
    // each server words it its own way ("Process -- created" is gdbserver parsing `-- PROG`).
    .filter((l) => !/^(Process .* created; pid|Remote debugging using|stdin\/stdout redirected|Listening on|Killing process|Child exited|Child terminated|Detaching from process|Attached; pid)/.test(l))
    // gdbserver 13 on this kernel: its full XSAVE write fails with EFAULT and it warns; we
    // write only the register sets that changed (docs/gdb-server.md, "Registers").
    .filter((l) => !/^(Warning: ptrace\(regsets_store_inferior_registers\))/.test(l))
    .map((l) => l
      // pids and tids differ from run to run
      .replace(/(process|Thread|LWP|child process|forked process) \d+(\.\d+)?/g, '$1 N')
      .replace(/expected=\d+/g, 'expected=N') // futex words hold tids
      .replace(/0x7ff[0-9a-f]{9}/g, '0xSTACK') // stack addresses follow the environment's size
      .replace(/core:\d+/g, 'core:N') // the CPU a thread last ran on
      .replace(/\((remote|extended-remote) \| .*?\) /, '($1 | SERVER) ') // the server command gdb shows in info inferiors
      .replace(/ {2,}/g, ' ')) // column widths follow the server command's length
    .filter((l) => l.trim() !== '');
}

/** One gdb run; `server` is { stdio, multi, attach(pid) } command prefixes of one server. */
function run(server, sc) {
  const script = path.join(tmp, 'script.gdb');
  fs.writeFileSync(script, sc.cmds.join('\n') + '\n');
  const p = sc.prog ?? prog;
  let victim;
  let target;
  if (sc.target === 'extended') target = `target extended-remote | ${server.multi}`;
  else if (sc.target === 'attach') {
    victim = spawn(p, sc.args.split(' '), { stdio: 'ignore' });
    spawnSync('sleep', ['0.2']);
    target = `target remote | ${server.attach(victim.pid)}`;
  } else target = `target remote | ${server.stdio} -- ${p} ${sc.args}`;
  const pre = (sc.pre ?? []).flatMap((c) => ['-ex', c]);
  const r = spawnSync('timeout', ['60', 'gdb', '-batch', '-nx', ...pre, '-ex', target, '-x', script, p], {
    encoding: 'utf8', env: { ...process.env, TERM: 'dumb' },
  });
  victim?.kill('SIGKILL');
  let lines = normalise((r.stdout ?? '') + (r.stderr ?? ''));
  if (sc.target === 'attach') lines = lines.map((l) => l.replace(/0x0000[0-9a-f]{12}\b/g, '0xADDR').replace(/0x[0-9a-f]{12}\b/g, '0xADDR'));
  return lines;
}

const servers = {
  ref: { stdio: 'gdbserver -', multi: 'gdbserver --multi -', attach: (pid) => `gdbserver --attach - ${pid}` },
  ours: {
    stdio: `${process.execPath} ${wrapper} stdio`,
    multi: `${process.execPath} ${wrapper} --multi stdio`,
    attach: (pid) => `${process.execPath} ${wrapper} stdio --attach ${pid}`,
  },
};

let same = 0;
let total = 0;
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
for (const sc of scenarios) {
  if (only.length && !only.includes(sc.name)) continue;
  const name = sc.name;
  const ref = run(servers.ref, sc);
  const ours = run(servers.ours, sc);
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
