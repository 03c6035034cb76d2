/**
 * Issue 19's scenario, repeated: a program calls idle() every millisecond
 * (test/fixtures/bp_victim.c); gdb attaches through `utrace gdbserver stdio --attach`, breaks
 * on idle and continues; utrace is SIGKILLed; then the program is told to finish (SIGUSR1) and
 * must exit 0 with its normal output. Half of the runs have a CPU hog alongside
 * (`sh -c 'while :; do :; done'`).
 *
 * Two variants:
 *  - 'held': kill once gdb reports the hit (the thread held at the breakpoint, gdb waiting),
 *    after a random 0-20 ms;
 *  - 'loop': the breakpoint's commands are `continue`: gdb hears of a hit every millisecond and
 *    resumes at once (step over the breakpoint, insert, continue); kill at a random moment;
 *  - 'stepping': a condition evaluated by the server (`if i == 2`, never true) makes the
 *    breakpoint be hit and stepped over every millisecond; kill at a random moment.
 *
 * `node dist/bench/sigkill.js [RUNS] [held|stepping]` prints the counts; `npm run stress` and
 * test/gdb/watchdog.test.ts call runScenario.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const utrace = path.join(root, 'bin/utrace.js');
const VICTIM = path.join(root, 'test/fixtures/bin/bp_victim');

export type Variant = 'held' | 'loop' | 'stepping';
/** ok: normal exit; sigtrap: died of SIGTRAP (a leftover int3 or trap); other: anything else. */
export interface Outcome {
  result: 'ok' | 'sigtrap' | 'other';
  detail: string;
  hog: boolean;
  /** Resident size of the breakpoint watchdog helper just before the kill (KiB), if found. */
  helperRssKiB?: number;
}

/** VmRSS (KiB) of the tracer's breakpoint watchdog (its child utrace-watchdog). */
export function helperRss(tracer: number): number | undefined {
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/status`, 'utf8');
      if (!/^Name:\s+utrace-watchdog$/m.test(st) || !new RegExp(`^PPid:\\s+${tracer}$`, 'm').test(st)) continue;
      return Number(/^VmRSS:\s+(\d+)/m.exec(st)?.[1]);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(f: () => T | undefined | false, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function tracerOf(pid: number): number {
  try {
    return Number(/TracerPid:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  } catch {
    return -1;
  }
}

function killGroup(c: ChildProcess | undefined): void {
  try {
    if (c?.pid) process.kill(-c.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** One run of the scenario. */
export async function runOnce(variant: Variant, hog: boolean): Promise<Outcome> {
  // The hog checks that we live, so a run killed from outside (a test timeout) leaves none behind.
  const hogProc = hog ? spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do :; done`], { stdio: 'ignore', detached: true }) : undefined;
  const victim = spawn(VICTIM, [], { stdio: ['ignore', 'pipe', 'pipe'] });
  let vout = '';
  victim.stdout!.on('data', (d: Buffer) => (vout += d.toString()));
  victim.stderr!.on('data', (d: Buffer) => (vout += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => victim.on('exit', (code, signal) => r({ code, signal })));
  let gdb: ChildProcess | undefined;
  let gout = '';
  try {
    await until(() => /ready/.test(vout), 5000, 'the program');
    const pid = victim.pid!;
    const cmds = variant === 'held' ? ['break idle']
      : variant === 'loop' ? ['break idle', 'commands 1\nsilent\ncontinue\nend']
      : ['set breakpoint condition-evaluation target', 'break idle if i == 2'];
    cmds.push('echo continuing\\n', 'continue', 'shell sleep 60');
    // A script file rather than -ex: `commands` reads its body from there.
    const script = path.join(os.tmpdir(), `utrace-sigkill-${process.pid}.gdb`);
    // Libraries read from the local file system, not through the remote protocol: start-up.
    fs.writeFileSync(script, ['set sysroot /', 'set remotetimeout 30', `target remote | ${process.execPath} ${utrace} gdbserver stdio --attach ${pid}`, ...cmds].join('\n') + '\n');
    const args = ['-batch', '-nx', '-x', script];
    gdb = spawn('gdb', [...args, VICTIM], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    gdb.stdout!.on('data', (d: Buffer) => (gout += d.toString()));
    gdb.stderr!.on('data', (d: Buffer) => (gout += d.toString()));
    if (variant === 'held') {
      await until(() => /Breakpoint 1, /.test(gout), 30000, `the breakpoint hit: ${gout}`);
      await sleep(Math.random() * 20);
    } else {
      await until(() => /continuing/.test(gout), 30000, `gdb's continue: ${gout}`);
      await sleep(20 + Math.random() * 300);
    }
    const tracer = tracerOf(pid);
    if (tracer <= 0) return { result: 'other', detail: `not traced before the kill: ${gout.trim().split('\n').pop()}`, hog };
    const helperRssKiB = helperRss(tracer);
    process.kill(tracer, 'SIGKILL');
    const gone = await Promise.race([
      until(() => tracerOf(pid) !== tracer, 5000, 'the tracer to die').then(() => true, () => false),
      exit.then(() => true),
    ]);
    if (!gone) return { result: 'other', detail: 'still traced 5 s after SIGKILL', hog };
    await sleep(20);
    try {
      process.kill(pid, 'SIGUSR1');
    } catch {
      /* dead already: the exit status says how */
    }
    const st = await Promise.race([exit, sleep(10000).then(() => undefined)]);
    if (!st) {
      let state = '?';
      try {
        state = /State:\s+(\S+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
      } catch {
        /* gone */
      }
      return { result: 'other', detail: `no exit 10 s after SIGUSR1 (state ${state})`, hog };
    }
    await sleep(300);
    const said = /utrace watchdog: .*/.exec(gout)?.[0] ?? 'the watchdog said nothing';
    if (st.signal === 'SIGTRAP') return { result: 'sigtrap', detail: `SIGTRAP (${said})`, hog };
    if (process.env['SIGKILL_DEBUG']) process.stderr.write(`[${said}]`);
    if (st.code === 0 && /^done 1498500$/m.test(vout)) return { result: 'ok', detail: '', hog, helperRssKiB };
    return { result: 'other', detail: `exit ${st.code ?? st.signal}: ${vout.trim().split('\n').pop()}`, hog };
  } catch (e) {
    return { result: 'other', detail: String(e).slice(0, 200), hog };
  } finally {
    killGroup(gdb);
    victim.kill('SIGKILL');
    killGroup(hogProc);
  }
}

export interface Tally {
  runs: number;
  ok: number;
  sigtrap: number;
  other: number;
  withHog: { runs: number; ok: number };
  details: string[];
  /** Largest helper RSS seen (KiB). */
  helperRssKiB?: number;
}

/** runs runs, every other one with a CPU hog. */
export async function runScenario(variant: Variant, runs: number, progress?: (i: number, o: Outcome) => void): Promise<Tally> {
  const t: Tally = { runs, ok: 0, sigtrap: 0, other: 0, withHog: { runs: 0, ok: 0 }, details: [] };
  for (let i = 0; i < runs; i++) {
    const hog = i % 2 === 1;
    const o = await runOnce(variant, hog);
    t[o.result]++;
    if (hog) {
      t.withHog.runs++;
      if (o.result === 'ok') t.withHog.ok++;
    }
    if (o.helperRssKiB !== undefined) t.helperRssKiB = Math.max(t.helperRssKiB ?? 0, o.helperRssKiB);
    if (o.result !== 'ok') t.details.push(`run ${i + 1}${hog ? ' (hog)' : ''}: ${o.detail}`);
    progress?.(i, o);
  }
  return t;
}

export function formatTally(variant: Variant, t: Tally): string {
  return `sigkill ${variant}: ${t.ok}/${t.runs} normal exit (${t.withHog.ok}/${t.withHog.runs} with a CPU hog), ` +
    `${t.sigtrap} SIGTRAP, ${t.other} other` + (t.helperRssKiB !== undefined ? `; watchdog helper RSS ${t.helperRssKiB} KiB` : '') + (t.details.length ? `\n  ${t.details.slice(0, 10).join('\n  ')}` : '');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const runs = Number(process.argv[2] ?? 20);
  const variant = (process.argv[3] ?? 'held') as Variant;
  const t = await runScenario(variant, runs, (i, o) => process.stderr.write(o.result === 'ok' ? '.' : o.result === 'sigtrap' ? 'T' : 'x'));
  process.stderr.write('\n');
  console.log(formatTally(variant, t));
}
