/**
 * Benchmark rows for the gdbserver engine (issue #4), measured against the real gdbserver in the
 * same run. Every row runs the same `gdb -batch -nx` command and script twice per repetition,
 * once through `target remote | gdbserver - PROG` and once through
 * `target remote | bin/utrace.js gdbserver stdio PROG` (as users run `utrace`); only the server changes. Runs are
 * interleaved (reference, then ours) and the medians are compared. Nothing is subtracted: the
 * times include gdb and server startup (docs/gdb-server.md, "Per-stop and per-packet work").
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
 * Each row also reports a floor: the part of the row no server written in Node can avoid. Per
 * repetition, after the two timed runs, an untimed run records gdbserver's session
 * (bench/rsp-replay.mjs record, between gdb and gdbserver), then a third timed run replaces the
 * server with bench/rsp-replay.mjs replay, a Node peer that traces nothing and answers each of
 * gdb's packets with gdbserver's recorded reply. Same gdb, script and binary, so the replay run's
 * output gets the row's checks too. gdbserver's median minus the replay's, per hit (or step), is
 * what is left for the tracing itself. Before the rows, test/fixtures/bin/trapcost reports what
 * an int3 and a single-step trap cost on this machine, without any tracer.
 *
 * Needs the fixtures test/fixtures/bin/gdb_bench and trapcost (`node scripts/build-fixtures.mjs`).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, shq, which } from './common.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HITS = 5000;
const STEPS = 10000;

export interface GdbRow {
  name: string;
  ours: number;
  ref: number;
  refName: string;
  target: number;
  /** Median of the replay runs: gdb with a Node peer replaying gdbserver's replies. */
  floor?: number;
  /** A line to print under the row. */
  note?: string;
}

interface Run {
  ms: number;
  out: string;
}

/** One timed `gdb -batch` run: same command for both servers, only `server` differs. */
function runGdb(server: string, script: string, prog: string, extra: string[] = []): Run {
  const argv = [...prefix.slice(1), 'timeout', '120', 'gdb', '-batch', '-nx', ...extra, '-ex', 'set remotetimeout 30', '-ex', `target remote | ${server}`, '-x', script, prog];
  const t0 = performance.now();
  const r = spawnSync(prefix[0] ?? 'timeout', prefix.length ? argv : argv.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
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

/** What one int3 and one single-step trap cost here, caught in-process (test/fixtures/trapcost.c). */
function trapCost(bin: string): { int3: number; step: number } {
  const r = spawnSync(bin, { encoding: 'utf8' });
  const m = /int3_us=([\d.]+) step_us=([\d.]+)/.exec(r.stdout ?? '');
  if (r.status !== 0 || !m) throw new Error(`gdb bench: ${bin} exited ${r.status ?? r.signal}: ${r.stdout}${r.stderr}`);
  return { int3: Number(m[1]), step: Number(m[2]) };
}

/** What every gdb run is started under (bench.ts: taskset for the pinned rows). */
let prefix: string[] = [];
let printedTrap = false;

/** @param pin a command prefix for every run (['taskset', '-c', '0'] pinned, [] unpinned) */
export async function gdbRows(reps: number, pin: string[] = []): Promise<GdbRow[]> {
  prefix = pin;
  const gdbserverPath = which('gdbserver');
  if (!gdbserverPath) throw new Error('gdb bench: gdbserver is not installed (the reference server); install it with `apt-get install -y gdbserver`');
  if (!which('gdb')) throw new Error('gdb bench: gdb is not installed; install it with `apt-get install -y gdb`');
  const prog = path.join(root, 'test/fixtures/bin/gdb_bench');
  const trapcost = path.join(root, 'test/fixtures/bin/trapcost');
  for (const f of [prog, trapcost]) {
    if (!fs.existsSync(f)) throw new Error(`gdb bench: missing fixture ${f}; run \`node scripts/build-fixtures.mjs\``);
  }
  const ver = spawnSync(gdbserverPath, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]?.match(/[\d.]+\S*$/)?.[0] ?? '';
  const refName = `gdbserver ${ver}`.trim();
  const servers = {
    ref: `${shq(gdbserverPath)} - ${shq(prog)}`,
    ours: `${shq(path.join(root, 'bin/utrace.js'))} gdbserver stdio ${shq(prog)}`,
  };
  const rspReplay = `${shq(process.execPath)} ${shq(path.join(root, 'bench/rsp-replay.mjs'))}`;

  const trap = trapCost(trapcost);
  const firstTime = !printedTrap;
  printedTrap = true;
  if (firstTime) console.log(`  this machine: an int3 trap costs ${trap.int3.toFixed(1)} us, a single-step (#DB) trap ${trap.step.toFixed(1)} us (a real single-step pays one; utrace emulates the instructions it knows instead)`);

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
  const pair = (name: string, script: string, check: (server: string, r: Run) => void, count: number, unit: string, target = 1.0): void => {
    const a: number[] = [];
    const b: number[] = [];
    const c: number[] = [];
    const key = path.basename(script, '.gdb');
    for (let i = 0; i < reps; i++) {
      const rr = runGdb(servers.ref, script, prog);
      check(servers.ref, rr);
      b.push(rr.ms);
      const ro = runGdb(servers.ours, script, prog);
      check(servers.ours, ro);
      a.push(ro.ms);
      // Untimed: this repetition's gdbserver session, then the timed replay of it.
      const replayFile = path.join(dir, `${key}-${i}.replay.json`);
      const recorder = `${rspReplay} record ${shq(replayFile)} -- ${servers.ref}`;
      check(recorder, runGdb(recorder, script, prog));
      const replay = `${rspReplay} replay ${shq(replayFile)}`;
      const rp = runGdb(replay, script, prog);
      check(replay, rp);
      expect(!/^rsp-replay:/m.test(rp.out), 'gdb did not send the recorded packets', replay, rp.out);
      c.push(rp.ms);
    }
    const ref = median(b);
    const floor = median(c);
    rows.push({
      name, ours: median(a), ref, refName, target, floor,
      note: `floor: gdb + a Node peer replaying gdbserver's own replies (no tracing): ${floor.toFixed(0)} ms `
        + `(gdbserver ${ref.toFixed(0)} ms: leaves ${((ref - floor) * 1000 / count).toFixed(1)} us per ${unit} for the tracing work)`,
    });
  };
  try {
    pair(`gdbserver engine: break tick if ($hits = $hits + 1, i < 0) never true, ${HITS} hits, host-side conditions`, host, checkHost, HITS, 'hit');
    pair(`gdbserver engine: break tick if i < 0 never true, ${HITS} hits, target-side conditions`, target, checkTarget, HITS, 'hit');
    // Unpinned, co-scheduling keeps the stepped thread on the server's CPU (issue 20).
    pair(`gdbserver engine: stepi ${STEPS}`, stepi, checkStepi, STEPS, 'step', pin.length ? 1.0 : 0.8);
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
      if (r.note) console.log(`  ${r.note}`);
    }
  }).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
