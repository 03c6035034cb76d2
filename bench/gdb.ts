/**
 * Benchmark rows for the gdbserver engine (issue #4), measured against the real gdbserver in the
 * same run. Every row runs the same `gdb -batch -nx` command and script twice per repetition,
 * once through `target remote | gdbserver - PROG` and once through
 * `target remote | node bin/utrace.js gdbserver stdio PROG`; only the server changes. Runs are
 * interleaved (reference, then ours) and the medians are compared. Nothing is subtracted: the
 * times include gdb and server startup (spec ../shared/spec/gdb-server.md §5–6).
 *
 * Rows:
 *  1. `break tick if …` never true, 5000 hits, host-side conditions (8 round trips per hit).
 *  2. `break tick if i < 0` never true, 5000 hits, target-side conditions (agent bytecode in Z0).
 *  3. `stepi 10000`.
 *
 * Each run's output is checked (hit counts, the program's own call counter, the final $pc of the
 * stepi row must equal gdbserver's), and an untimed run per server with `set remotelogfile`
 * checks that the target-side row really produced no per-hit stop replies. Any mismatch throws.
 *
 * Needs the fixture test/fixtures/bin/gdb_bench (`node scripts/build-fixtures.mjs`).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HITS = 5000;
const STEPS = 10000;

export interface GdbRow {
  name: string;
  ours: number;
  ref: number;
  refName: string;
  target: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function which(cmd: string): string | undefined {
  const r = spawnSync('/bin/sh', ['-c', `command -v ${shq(cmd)}`], { encoding: 'utf8' });
  const p = (r.stdout ?? '').trim();
  return r.status === 0 && p ? p : undefined;
}

interface Run {
  ms: number;
  out: string;
}

/** One timed `gdb -batch` run: same command for both servers, only `server` differs. */
function runGdb(server: string, script: string, prog: string, extra: string[] = []): Run {
  const argv = ['120', 'gdb', '-batch', '-nx', ...extra, '-ex', `target remote | ${server}`, '-x', script, prog];
  const t0 = performance.now();
  const r = spawnSync('timeout', argv, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`gdb bench: \`gdb … -ex 'target remote | ${server}' -x ${script}\` exited ${r.status ?? r.signal}\n${out}`);
  }
  return { ms, out };
}

function expect(cond: boolean, what: string, server: string, out: string): void {
  if (!cond) throw new Error(`gdb bench: ${what} (server: ${server})\n--- gdb output ---\n${out}`);
}

/** `$N = V` lines printed by the script, in order. */
const printed = (out: string): string[] => [...out.matchAll(/^\$\d+ = (.*)$/gm)].map((m) => m[1]!.trim());

export async function gdbRows(reps: number): Promise<GdbRow[]> {
  const gdbserverPath = which('gdbserver');
  if (!gdbserverPath) throw new Error('gdb bench: gdbserver is not installed (the reference server); install it with `apt-get install -y gdbserver`');
  if (!which('gdb')) throw new Error('gdb bench: gdb is not installed; install it with `apt-get install -y gdb`');
  const prog = path.join(root, 'test/fixtures/bin/gdb_bench');
  if (!fs.existsSync(prog)) throw new Error(`gdb bench: missing fixture ${prog}; run \`node scripts/build-fixtures.mjs\``);
  const ver = spawnSync(gdbserverPath, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]?.match(/[\d.]+\S*$/)?.[0] ?? '';
  const refName = `gdbserver ${ver}`.trim();
  const servers = {
    ref: `${shq(gdbserverPath)} - ${shq(prog)}`,
    ours: `${shq(process.execPath)} ${shq(path.join(root, 'bin/utrace.js'))} gdbserver stdio ${shq(prog)}`,
  };

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-gdb-bench-'));
  const write = (name: string, lines: string[]): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, lines.join('\n') + '\n');
    return f;
  };
  // Host side: the condition also counts its evaluations in a gdb convenience variable, so the
  // run proves gdb saw every one of the 5000 hits (gdb's "already hit" only counts true ones).
  const host = write('host.gdb', [
    'set breakpoint condition-evaluation host',
    'set $hits = 0',
    'break tick if ($hits = $hits + 1, i < 0)',
    'break done',
    'continue',
    'info breakpoints',
    'print $hits',
    'print calls',
    'continue',
  ]);
  // Target side: a convenience variable cannot be compiled to agent bytecode (gdb would fall back
  // to the host), so the condition is plain; the remotelogfile check below covers the hits.
  const target = write('target.gdb', [
    'set breakpoint condition-evaluation target',
    'break tick if i < 0',
    'break done',
    'continue',
    'info breakpoints',
    'print calls',
    'continue',
  ]);
  const stepi = write('stepi.gdb', [
    'break main',
    'continue',
    `stepi ${STEPS}`,
    'print calls',
    'print $pc',
    'continue',
  ]);

  const checkHost = (server: string, { out }: Run): void => {
    expect(/Breakpoint 2, done \(n=5000\)/.test(out), 'did not stop at done(n=5000)', server, out);
    expect(!/Breakpoint 1, tick/.test(out), 'stopped at tick although the condition is never true', server, out);
    const p = printed(out);
    expect(p[0] === String(HITS), `host-side condition evaluated ${p[0]} times, expected ${HITS}`, server, out);
    expect(p[1] === String(HITS), `tick() called ${p[1]} times, expected ${HITS}`, server, out);
    expect(/exited normally/.test(out), 'program did not exit normally', server, out);
  };
  const checkTarget = (server: string, { out }: Run): void => {
    expect(/Breakpoint 2, done \(n=5000\)/.test(out), 'did not stop at done(n=5000)', server, out);
    expect(!/Breakpoint 1, tick/.test(out), 'stopped at tick although the condition is never true', server, out);
    expect(/stop only if i < 0 \(target evals\)/.test(out), 'condition not evaluated by the target', server, out);
    expect(printed(out)[0] === String(HITS), `tick() called ${printed(out)[0]} times, expected ${HITS}`, server, out);
    expect(/exited normally/.test(out), 'program did not exit normally', server, out);
  };
  let stepiRef: string | undefined;
  const checkStepi = (server: string, { out }: Run): void => {
    const p = printed(out);
    expect(p.length === 2 && /^\d+$/.test(p[0]!) && Number(p[0]) > 0 && Number(p[0]) < HITS,
      `after stepi ${STEPS}: unexpected state ${JSON.stringify(p)}`, server, out);
    expect(/exited normally/.test(out), 'program did not exit normally', server, out);
    const got = p.join(' | ');
    if (stepiRef === undefined) stepiRef = got;
    expect(got === stepiRef, `after stepi ${STEPS}: ${got}, but gdbserver's run gave ${stepiRef}`, server, out);
  };

  // Untimed: prove that the target-side row evaluates on the target. With a remote log, count
  // the stop replies gdb received; a server that reported every hit would show ~5000.
  for (const [side, server] of [['ref', servers.ref], ['ours', servers.ours]] as const) {
    const log = path.join(dir, `target-${side}.rsp`);
    const r = runGdb(server, target, prog, ['-ex', `set remotelogfile ${log}`]);
    checkTarget(server, r);
    const text = fs.readFileSync(log, 'latin1');
    const stops = text.split('\n').filter((l) => /^r \+?\$T/.test(l)).length;
    const cond = /^w \$Z0,[0-9a-f]+,1;X/m.test(text);
    expect(cond, 'gdb did not send the condition as agent bytecode (Z0,…;X…)', server, r.out);
    expect(stops < 10, `target-side conditions: ${stops} stop replies, expected only a few (no per-hit stops)`, server, r.out);
  }

  const rows: GdbRow[] = [];
  const pair = (name: string, script: string, check: (server: string, r: Run) => void): void => {
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < reps; i++) {
      const rr = runGdb(servers.ref, script, prog);
      check(servers.ref, rr);
      b.push(rr.ms);
      const ro = runGdb(servers.ours, script, prog);
      check(servers.ours, ro);
      a.push(ro.ms);
    }
    rows.push({ name, ours: median(a), ref: median(b), refName, target: 1.0 });
  };
  try {
    pair(`gdbserver engine: break tick if ($hits = $hits + 1, i < 0) never true, ${HITS} hits, host-side conditions`, host, checkHost);
    pair(`gdbserver engine: break tick if i < 0 never true, ${HITS} hits, target-side conditions`, target, checkTarget);
    pair(`gdbserver engine: stepi ${STEPS}`, stepi, checkStepi);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

// `node dist/bench/gdb.js`: print the rows (BENCH_REPS, default 3).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const reps = Number(process.env.BENCH_REPS ?? 3);
  gdbRows(reps).then((rows) => {
    console.log(`\nutrace gdb bench (${reps} interleaved runs each, medians; ratio = ours / reference)\n`);
    for (const r of rows) {
      const ratio = r.ours / r.ref;
      console.log(`${r.name}\n  ours ${r.ours.toFixed(0)} ms   ${r.refName} ${r.ref.toFixed(0)} ms   ratio ${ratio.toFixed(2)} (target <= ${r.target})${ratio <= r.target ? '' : '  ** over target **'}`);
    }
  }).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
