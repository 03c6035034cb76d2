/**
 * `npm run bench`: utrace against strace / native runs, in the same invocation, reported as
 * ratios (lower is better). Each pair is run interleaved several times and the medians are
 * compared, so machine noise hits both sides alike. Not part of `npm test`.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Attach, Event, Tracer } from '../src/index.js';
import { gdbRows } from './gdb.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = (name: string): string => path.join(root, 'test/fixtures/bin', name);
const REPS = Number(process.env.BENCH_REPS ?? 5);
/** BENCH_ONLY=core,strace,filter,compose,gdb: run only these rows. */
const ONLY = process.env.BENCH_ONLY?.split(',');
const want = (key: string): boolean => !ONLY || ONLY.includes(key);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeCmd(argv: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status ?? r.signal}`);
  return performance.now() - t0;
}

/** The loop's own duration as getppid_loop reports it (argument "time"). */
function loopTime(argv: string[]): number {
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const m = /elapsed_ms=([\d.]+)/.exec(r.stderr ?? '');
  if (r.status !== 0 || !m) throw new Error(`${argv.join(' ')}: exit ${r.status ?? r.signal}: ${r.stderr}`);
  return Number(m[1]);
}

/** One engine asking for every syscall entry and exit, doing nothing with them. */
async function nullEngine(argv: string[]): Promise<number> {
  const tracer = new Tracer();
  const t0 = performance.now();
  const task = await tracer.spawn(argv, { stdio: ['ignore', 'ignore', 'inherit'] });
  const ops = {
    reportSyscallEntry: () => undefined,
    reportSyscallExit: () => undefined,
    reportClone: (_a: number, _e: unknown, _f: bigint, child: import('../src/index.js').Task) => {
      tracer.attachTask(child, Attach.CREATE, ops).setEvents(Event.SYSCALL | Event.CLONE);
    },
  };
  tracer.attachTask(task, Attach.CREATE, ops).setEvents(Event.SYSCALL | Event.CLONE);
  task.start();
  const st = await task.exit;
  if (st.code !== 0) throw new Error(`traced run failed: ${JSON.stringify(st)}`);
  return performance.now() - t0;
}

interface Row {
  name: string;
  ours: number;
  ref: number;
  refName: string;
  target: number;
  /** A line printed under the row (the gdb rows' floor). */
  note?: string;
}

async function pair(name: string, refName: string, target: number, ours: () => Promise<number> | number,
  ref: () => number): Promise<Row> {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < REPS; i++) {
    b.push(ref());
    a.push(await ours());
  }
  return { name, ours: median(a), ref: median(b), refName, target };
}

/**
 * Every run is pinned to one CPU (BENCH_CPU, default 0; "none" to leave scheduling alone): on
 * this VM a tracer and its tracee on different vCPUs pay a cross-CPU wake-up per stop that
 * comes and goes with the host (a C ptrace loop measured 2.3 us/stop pinned, 8-22 us/stop
 * unpinned in the same minute), which swamps what the rows compare. Both sides of every
 * ratio run under the same pinning.
 */
function pinSelf(): boolean {
  const cpu = process.env.BENCH_CPU ?? '0';
  if (cpu === 'none' || process.env.BENCH_PINNED) return false;
  const r = spawnSync('taskset', ['-c', cpu, process.execPath, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, BENCH_PINNED: cpu } });
  process.exitCode = r.status ?? 1;
  return true;
}

async function main(): Promise<void> {
  if (pinSelf()) return;
  if (process.env.BENCH_PINNED) console.log(`(pinned to CPU ${process.env.BENCH_PINNED}: tracer, tracee and reference tools alike)`);
  const rows: Row[] = [];
  const loop = fixture('getppid_loop');
  const N = String(process.env.BENCH_N ?? 100000);
  if (want('core')) rows.push(await pair(`core: null engine, all syscall stops, ${N} getppid`, 'strace -f -e trace=getppid -o /dev/null', 1.0,
    () => nullEngine([loop, N]),
    () => timeCmd(['strace', '-f', '-e', 'trace=getppid', '-o', '/dev/null', loop, N])));
  const utrace = path.join(root, 'bin/utrace.js');
  if (want('strace')) rows.push(await pair(`strace engine: full trace of ${N} getppid to a file (-f -o FILE)`, 'strace -f -o FILE', 0.8,
    () => timeCmd([utrace, 'strace', '-f', '-o', '/tmp/utrace-bench.trace', '--', loop, N]),
    () => timeCmd(['strace', '-f', '-o', '/tmp/utrace-bench.strace', loop, N])));
  const M = String(process.env.BENCH_M ?? 5000000);
  if (want('filter')) rows.push(await pair(`strace engine: ${M} getppid, filter never matches (seccomp prefilter)`, 'native run', 1.05,
    () => timeCmd([utrace, 'strace', '-f', '-o', '/dev/null', '-e', 'trace=chdir', '--', loop, M]),
    () => timeCmd([loop, M])));
  // Composition (issue 5): the same full trace with an idle gdb engine attached too (gdb
  // connects over stdio, continues, and waits for the exit). The loop times itself, so gdb's
  // and Node's start-up are left out: what is compared is the cost of the extra engine.
  if (want('compose')) rows.push(await pair(`utrace run: full trace of ${N} getppid with an idle gdb engine (loop time)`, 'the same without gdb', 1.1,
    () => loopTime(['gdb', '-batch', '-nx', '-ex',
      `target remote | node ${utrace} run --gdb stdio --strace='-f -o /tmp/utrace-bench.trace2' -- ${loop} ${N} time`,
      '-ex', 'continue', loop]),
    () => loopTime([utrace, 'run', `--strace=-f -o /tmp/utrace-bench.trace3`, '--', loop, N, 'time'])));
  try {
    if (want('gdb')) rows.push(...(await gdbRows(REPS)));
    if (want('gdbjoined')) rows.push(...(await (await import('./gdbJoined.js')).gdbJoinedRows(REPS)));
  } catch (e) {
    console.log(`gdb rows skipped: ${e instanceof Error ? e.message : String(e)}`);
  }
  const native = median(Array.from({ length: REPS }, () => timeCmd([loop, N])));
  console.log(`\nutrace bench (${REPS} interleaved runs each, medians; ratio = ours / reference)\n`);
  for (const r of rows) {
    const ratio = r.ours / r.ref;
    console.log(`${r.name}\n  ours ${r.ours.toFixed(0)} ms   ${r.refName} ${r.ref.toFixed(0)} ms   ratio ${ratio.toFixed(2)} (target <= ${r.target})${ratio <= r.target ? '' : '  ** over target **'}`);
    if (r.note) console.log(`  ${r.note}`);
  }
  console.log(`native run of the same loop: ${native.toFixed(0)} ms`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
