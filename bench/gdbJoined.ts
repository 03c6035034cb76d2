/**
 * Benchmark row for issue #16: gdb joining a process that a warm host already holds. The
 * host-side conditional-breakpoint session of bench/gdb.ts (`break tick if ($hits = $hits + 1,
 * i < 0)`, never true, 5000 hits, 8 round trips each), run by gdb against a running process
 * (test/fixtures/gdb_bench_wait: it sleeps until gdb sets `go`):
 *
 * - ours: `utrace host --background PID` holds the process and has served one gdb session
 *   already (connect, info threads, detach: untimed); the timed gdb then does
 *   `target remote RUNTIME/PID/gdb`, the per-process endpoint;
 * - reference: `target remote | gdbserver --attach - PID` on a fresh process of the same
 *   program, the same script.
 *
 * Same gdb, script and binary; only the server changes. Runs are interleaved (reference, then
 * ours) and the medians compared. Each run's output is checked (every hit evaluated, the
 * program's own call counter, its normal exit); any mismatch throws.
 *
 * Needs test/fixtures/bin/gdb_bench_wait (`node scripts/build-fixtures.mjs`), gdb and gdbserver.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { GdbRow } from './gdb.js';
import { median, shq, which } from './common.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HITS = 5000;

/** The program, started and waiting for gdb (it said "ready"). */
async function waiting(prog: string): Promise<ChildProcess> {
  const p = spawn(prog, [String(HITS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready')) resolve();
    });
    p.once('exit', (c, s) => reject(new Error(`gdb joined bench: ${prog} exited ${c ?? s} before it waited`)));
  });
  return p;
}

function exited(p: ChildProcess): Promise<number | null> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve(p.exitCode);
  return new Promise((r) => p.once('exit', (c) => r(c)));
}

/** One gdb -batch run; ms is its wall time. */
function runGdb(target: string, script: string, prog: string, env: NodeJS.ProcessEnv): { ms: number; out: string } {
  const argv = ['120', 'gdb', '-batch', '-nx', '-ex', target, '-x', script, prog];
  const t0 = performance.now();
  const r = spawnSync('timeout', argv, { encoding: 'utf8', env, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`gdb joined bench: \`gdb -ex '${target}' -x ${script}\` exited ${r.status ?? r.signal}\n${out}`);
  return { ms, out };
}

function check(out: string, who: string): void {
  const fail = (what: string): never => {
    throw new Error(`gdb joined bench: ${what} (${who})\n--- gdb output ---\n${out}`);
  };
  const p = [...out.matchAll(/^\$\d+ = (.*)$/gm)].map((m) => m[1]!.trim());
  if (!/Breakpoint 2, done \(n=5000\)/.test(out)) fail('did not stop at done(n=5000)');
  if (/Breakpoint 1, tick/.test(out)) fail('stopped at tick although the condition is never true');
  if (p[0] !== String(HITS)) fail(`host-side condition evaluated ${p[0]} times, expected ${HITS}`);
  if (p[1] !== String(HITS)) fail(`tick() called ${p[1]} times, expected ${HITS}`);
  if (!/exited normally/.test(out)) fail('program did not exit normally');
}

export async function gdbJoinedRows(reps: number): Promise<GdbRow[]> {
  const gdbserver = which('gdbserver');
  if (!gdbserver) throw new Error('gdb joined bench: gdbserver is not installed (the reference server)');
  if (!which('gdb')) throw new Error('gdb joined bench: gdb is not installed');
  const prog = path.join(root, 'test/fixtures/bin/gdb_bench_wait');
  if (!fs.existsSync(prog)) throw new Error(`gdb joined bench: missing fixture ${prog}; run \`node scripts/build-fixtures.mjs\``);
  const utrace = path.join(root, 'bin/utrace.js');
  const ver = spawnSync(gdbserver, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]?.match(/[\d.]+\S*$/)?.[0] ?? '';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-gdb-joined-'));
  // A RUNTIME of its own: the host's endpoint is dir/utrace/PID/gdb.
  const env = { ...process.env, XDG_RUNTIME_DIR: dir };
  const script = path.join(dir, 'host.gdb');
  fs.writeFileSync(script, [
    'set breakpoint condition-evaluation host',
    'set $hits = 0',
    'set var go = 1',
    'break tick if ($hits = $hits + 1, i < 0)',
    'break done',
    'continue',
    'info breakpoints',
    'print $hits',
    'print calls',
    'continue',
  ].join('\n') + '\n');
  const a: number[] = [];
  const b: number[] = [];
  try {
    for (let i = 0; i < reps; i++) {
      const refProc = await waiting(prog);
      const rr = runGdb(`target remote | ${shq(gdbserver)} --attach - ${refProc.pid}`, script, prog, env);
      check(rr.out, 'gdbserver --attach');
      if ((await exited(refProc)) !== 0) throw new Error('gdb joined bench: the program under gdbserver did not exit 0');
      b.push(rr.ms);

      const ours = await waiting(prog);
      const h = spawnSync(utrace, ['host', '--background', String(ours.pid)], { encoding: 'utf8', env });
      if (h.status !== 0) throw new Error(`gdb joined bench: utrace host --background ${ours.pid}: ${h.stderr}`);
      const sock = path.join(dir, 'utrace', String(ours.pid), 'gdb');
      // The host's first gdb session (untimed): it is warm for the timed one.
      const wr = spawnSync('timeout', ['60', 'gdb', '-batch', '-nx', '-ex', `target remote ${sock}`, '-ex', 'info threads', '-ex', 'detach', prog], { encoding: 'utf8', env });
      if (wr.status !== 0 || !/Inferior 1 \(process \d+\) detached/.test(`${wr.stdout}${wr.stderr}`)) {
        throw new Error(`gdb joined bench: the warm-up session failed\n${wr.stdout}${wr.stderr}`);
      }
      const ro = runGdb(`target remote ${sock}`, script, prog, env);
      check(ro.out, 'utrace host endpoint');
      if ((await exited(ours)) !== 0) throw new Error('gdb joined bench: the program under the utrace host did not exit 0');
      a.push(ro.ms);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return [{
    name: `gdb joining a warm host (target remote RUNTIME/PID/gdb, after one session): break tick if ($hits = $hits + 1, i < 0) never true, ${HITS} hits, host-side conditions`,
    ours: median(a), ref: median(b), refName: `gdbserver ${ver} --attach`.replace('  ', ' '), target: 1.0,
  }];
}

// `node dist/bench/gdbJoined.js`: print the row (BENCH_REPS, default 3).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const reps = Number(process.env.BENCH_REPS ?? 3);
  gdbJoinedRows(reps).then((rows) => {
    for (const r of rows) {
      const ratio = r.ours / r.ref;
      console.log(`${r.name}\n  ours ${r.ours.toFixed(0)} ms   ${r.refName} ${r.ref.toFixed(0)} ms   ratio ${ratio.toFixed(2)} (target <= ${r.target})${ratio <= r.target ? '' : '  ** over target **'}`);
    }
  }).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
