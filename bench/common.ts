/**
 * What bench rows share (bench.ts runs them): a row, the context it runs in (pinned or not),
 * medians, timing a command, and a ref/ours pair.
 */
import { spawnSync } from 'node:child_process';

export interface Row {
  name: string;
  ours: number;
  ref: number;
  refName: string;
  target: number;
  /** A line printed under the row (the gdb rows' floor). */
  note?: string;
}

/** What a row source gets: repetitions, and the prefix that pins a command (empty: unpinned). */
export interface BenchCtx {
  reps: number;
  pinned: boolean;
  /** Put in front of every command the row runs: ['taskset', '-c', CPU] or []. */
  prefix: string[];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall time of one command (ms); its exit status must be `code`. */
export function timeCmd(ctx: BenchCtx, argv: string[], code = 0): number {
  const full = [...ctx.prefix, ...argv];
  const t0 = performance.now();
  // stderr kept for a failure's message only: the tracers' "Process N attached" lines are noise.
  const r = spawnSync(full[0]!, full.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== code) throw new Error(`${full.join(' ')}: exit ${r.status ?? r.signal}\n${r.stderr ?? ''}`);
  return performance.now() - t0;
}

/** ref then ours, reps times; the medians. */
export function pair(ctx: BenchCtx, name: string, refName: string, target: number, ours: () => number,
  ref: () => number): Row {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < ctx.reps; i++) {
    b.push(ref());
    a.push(ours());
  }
  return { name, ours: median(a), ref: median(b), refName, target };
}

/** A word quoted for /bin/sh. */
export const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The path of a command on PATH, if any. */
export function which(cmd: string): string | undefined {
  const r = spawnSync('/bin/sh', ['-c', `command -v ${shq(cmd)}`], { encoding: 'utf8' });
  const p = (r.stdout ?? '').trim();
  return r.status === 0 && p ? p : undefined;
}
