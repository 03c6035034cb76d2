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
 * `node dist/bench/sigkill.js [RUNS] [held|loop|stepping] [--command] [--diagnose]` prints the
 * counts (--command: SIGKILL the `utrace gdbserver` command gdb started, not the tracer);
 * `npm run stress` and test/gdb/watchdog.test.ts call runScenario. --diagnose runs
 * test/fixtures/bp_victim_diag (a SIGTRAP handler reports what the released thread saw) with the
 * helper's timings (UTRACE_WATCHDOG_DEBUG) and says of each death which window it fell in
 * (diagnose()).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const utrace = path.join(root, 'bin/utrace.js');
const VICTIM = path.join(root, 'test/fixtures/bin/bp_victim');
const DIAG_VICTIM = path.join(root, 'test/fixtures/bin/bp_victim_diag');

export type Variant = 'held' | 'loop' | 'stepping';
/**
 * Whom the SIGKILL is for: 'command', the `utrace gdbserver --attach` that gdb started (what a
 * user kills: it joined the process's host, which holds the ptrace attachment and detaches when
 * its last member is gone); 'tracer', the process named by TracerPid (the host itself: the
 * breakpoint watchdog's case).
 */
export type Whom = 'command' | 'tracer';
/** ok: normal exit; sigtrap: died of SIGTRAP (a leftover int3 or trap); other: anything else. */
export interface Outcome {
  result: 'ok' | 'sigtrap' | 'other';
  detail: string;
  hog: boolean;
  /** Resident size of the breakpoint watchdog helper just before the kill (KiB), if found. */
  helperRssKiB?: number;
  /** --diagnose: how long after the kill the helper woke (ms), and whether the sentinel's lock
   * woke it first. */
  wakeMs?: number;
  bySentinel?: boolean;
}

/** VmRSS (KiB) of the tracer's breakpoint watchdog (its child utrace-watchdog), from one
 * procStatuses() scan. */
export function helperRss(tracer: number, statuses = procStatuses()): number | undefined {
  for (const st of statuses.values()) {
    if (/^Name:\s+utrace-watchdog$/m.test(st) && new RegExp(`^PPid:\\s+${tracer}$`, 'm').test(st)) return Number(/^VmRSS:\s+(\d+)/m.exec(st)?.[1]);
  }
  return undefined;
}

/** Every process's /proc/PID/status, by pid (one that ends while it is read is left out). */
function procStatuses(): Map<number, string> {
  const all = new Map<number, string>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      all.set(Number(d), fs.readFileSync(`/proc/${d}/status`, 'utf8'));
    } catch {
      /* gone */
    }
  }
  return all;
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

/** The `utrace … gdbserver … --attach PID` process among gdb's descendants, from one
 * procStatuses() scan. */
function commandOf(gdbPid: number, pid: number, statuses: Map<number, string>): number | undefined {
  const parent = new Map<number, number>();
  for (const [p, st] of statuses) parent.set(p, Number(/^PPid:\s+(\d+)/m.exec(st)?.[1]));
  const under = (p: number): boolean => {
    for (let q = parent.get(p); q !== undefined && q > 1; q = parent.get(q)) if (q === gdbPid) return true;
    return false;
  };
  // Not the shell gdb runs `target remote | …` through (dash, gdb's /bin/sh without $SHELL,
  // stays as its parent): the command itself.
  const shell = (c: string): boolean => /^(\S*\/)?(ba|da)?sh$/.test(c.split(' ')[0]!);
  for (const p of parent.keys()) {
    if (!under(p)) continue;
    let c: string;
    try {
      c = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue; // gone
    }
    if (/\bgdbserver\b/.test(c) && c.includes(`--attach ${pid}`) && !shell(c)) return p;
  }
  return undefined;
}

function killGroup(c: ChildProcess | undefined): void {
  try {
    if (c?.pid) process.kill(-c.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

const ms = (ns: bigint): string => (Number(ns) / 1e6).toFixed(2);

/**
 * Which window a death fell in, from the diagnostic victim's line (the trap the released thread
 * took: si_code, PC, when its last idle() call began) and the helper's timings, all on
 * CLOCK_MONOTONIC: a trap taken before the kill and still in its trap stop (the tracer had not
 * parked it: the kernel delivers the SIGTRAP when it lets the thread go), or a trap taken after
 * the kill, before the helper had written the original byte back.
 */
export function diagnose(diag: string, killedAt: bigint, helper: string): string {
  const num = (k: string, s: string): bigint | undefined => {
    const m = new RegExp(`${k}[= +]+(\\d+)`).exec(s);
    return m ? BigInt(m[1]!) : undefined;
  };
  const began = num('began', diag), ended = num('ended', diag), at = num('at', diag);
  const woken = num('woken', helper), wrote = num('wrote', helper);
  const code = /code=(-?\d+)/.exec(diag)?.[1];
  const where = /pc=(\S+)/.exec(diag)?.[1];
  const what = code === '128' ? `int3 (PC ${where})` : code === '2' ? `single-step trap (PC ${where})` : `SIGTRAP code ${code} (PC ${where})`;
  const wake = woken !== undefined ? `; helper woken ${ms(woken - killedAt)} ms after the kill, wrote ${wrote ?? '?'} us later` : '; helper timings missing';
  const late = at !== undefined ? `, delivered ${ms(at - killedAt)} ms after the kill` : '';
  if (began === undefined || ended === undefined || ended > began) return `${what}${late}, not in idle()${wake}`;
  if (began < killedAt) return `${what} taken ${ms(killedAt - began)} ms BEFORE the kill, trap stop not yet parked${late}${wake}`;
  return `${what} taken ${ms(began - killedAt)} ms AFTER the kill${woken !== undefined ? (began < woken ? ', before the helper woke' : ', after the helper woke') : ''}${late}${wake}`;
}

/** One run of the scenario. */
export async function runOnce(variant: Variant, hog: boolean, diagnosing = false, whom: Whom = 'tracer'): Promise<Outcome> {
  // The hog checks that we live, so a run killed from outside (a test timeout) leaves none behind.
  const hogProc = hog ? spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do :; done`], { stdio: 'ignore', detached: true }) : undefined;
  const wdLog = diagnosing ? path.join(os.tmpdir(), `utrace-sigkill-wd-${process.pid}.log`) : '';
  if (wdLog) fs.rmSync(wdLog, { force: true });
  // In tmp: a victim killed by SIGTRAP dumps core in its working directory.
  const victim = spawn(diagnosing ? DIAG_VICTIM : VICTIM, [], { stdio: ['ignore', 'pipe', 'pipe'], cwd: os.tmpdir() });
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
    gdb = spawn('gdb', [...args, diagnosing ? DIAG_VICTIM : VICTIM], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      cwd: os.tmpdir(), // a core of gdb's own lands there, not in the checkout
      env: wdLog ? { ...process.env, UTRACE_WATCHDOG_DEBUG: wdLog } : process.env,
    });
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
    // One scan of /proc serves both lookups.
    const statuses = procStatuses();
    const helperRssKiB = helperRss(tracer, statuses);
    const victimPid = whom === 'tracer' ? tracer : commandOf(gdb.pid!, pid, statuses);
    if (!victimPid) return { result: 'other', detail: 'no utrace gdbserver command under gdb', hog };
    if (victimPid === tracer && whom === 'command') return { result: 'other', detail: 'the command is the tracer (no host)', hog };
    const killedAt = process.hrtime.bigint();
    process.kill(victimPid, 'SIGKILL');
    // The host detaches once its last member is gone: no tracer at all.
    const gone = await Promise.race([
      until(() => (whom === 'tracer' ? tracerOf(pid) !== tracer : tracerOf(pid) <= 0), 5000, 'the tracer to go').then(() => true, () => false),
      exit.then(() => true),
    ]);
    if (!gone) return { result: 'other', detail: `still traced 5 s after SIGKILL of the ${whom}`, hog };
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
    // The helper's line reaches gdb's stderr only while gdb still reads it: its debug file.
    const wd = wdLog && fs.existsSync(wdLog) ? fs.readFileSync(wdLog, 'utf8') : '';
    const said = /utrace watchdog: .*/.exec(gout + wd)?.[0] ?? 'the watchdog said nothing';
    const diag = /DIAG .*/.exec(vout)?.[0];
    const woken = /woken (\d+)/.exec(said)?.[1];
    const timing = woken ? { wakeMs: Number(BigInt(woken) - killedAt) / 1e6, bySentinel: / by the sentinel/.test(said) } : {};
    if (diag) return { result: 'sigtrap', detail: `SIGTRAP: ${diagnose(diag, killedAt, said)} (${said.replace(/ \[.*/, '')})`, hog, ...timing };
    if (st.signal === 'SIGTRAP') return { result: 'sigtrap', detail: `SIGTRAP (${said})`, hog };
    if (process.env['SIGKILL_DEBUG']) process.stderr.write(`[${said}]`);
    if (st.code === 0 && /^done 1498500$/m.test(vout)) return { result: 'ok', detail: '', hog, helperRssKiB, ...timing };
    return { result: 'other', detail: `exit ${st.code ?? st.signal}: ${vout.trim().split('\n').pop()}`, hog };
  } catch (e) {
    return { result: 'other', detail: String(e).slice(0, 200), hog };
  } finally {
    killGroup(gdb);
    victim.kill('SIGKILL');
    killGroup(hogProc);
    if (wdLog) fs.rmSync(wdLog, { force: true });
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
  /** --diagnose: the helper's wake-up after the kill, per run (ms), and how often the sentinel
   * came first. */
  wakes: number[];
  bySentinel: number;
}

/** runs runs, every other one with a CPU hog. */
export async function runScenario(variant: Variant, runs: number, progress?: (i: number, o: Outcome) => void, diagnosing = false, whom: Whom = 'tracer'): Promise<Tally> {
  const t: Tally = { runs, ok: 0, sigtrap: 0, other: 0, withHog: { runs: 0, ok: 0 }, details: [], wakes: [], bySentinel: 0 };
  for (let i = 0; i < runs; i++) {
    const hog = i % 2 === 1;
    const o = await runOnce(variant, hog, diagnosing, whom);
    t[o.result]++;
    if (hog) {
      t.withHog.runs++;
      if (o.result === 'ok') t.withHog.ok++;
    }
    if (o.wakeMs !== undefined) t.wakes.push(o.wakeMs);
    if (o.bySentinel) t.bySentinel++;
    if (o.helperRssKiB !== undefined) t.helperRssKiB = Math.max(t.helperRssKiB ?? 0, o.helperRssKiB);
    if (o.result !== 'ok') t.details.push(`run ${i + 1}${hog ? ' (hog)' : ''}: ${o.detail}`);
    progress?.(i, o);
  }
  return t;
}

export function formatTally(variant: Variant, t: Tally, whom: Whom = 'tracer'): string {
  const w = [...t.wakes].sort((a, b) => a - b);
  const wakes = w.length ? `; helper woken ${w[w.length >> 1]!.toFixed(2)} ms after the kill (median; max ${w[w.length - 1]!.toFixed(2)}), the sentinel first in ${t.bySentinel} of ${w.length}` : '';
  return `sigkill of the ${whom}, ${variant}: ${t.ok}/${t.runs} normal exit (${t.withHog.ok}/${t.withHog.runs} with a CPU hog), ` +
    `${t.sigtrap} SIGTRAP, ${t.other} other` + (t.helperRssKiB !== undefined ? `; watchdog helper RSS ${t.helperRssKiB} KiB` : '') + wakes + (t.details.length ? `\n  ${t.details.slice(0, 20).join('\n  ')}` : '');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const runs = Number(args[0] ?? 20);
  const variant = (args[1] ?? 'held') as Variant;
  const diagnosing = process.argv.includes('--diagnose');
  const whom: Whom = process.argv.includes('--command') ? 'command' : 'tracer';
  const t = await runScenario(variant, runs, (i, o) => process.stderr.write(o.result === 'ok' ? '.' : o.result === 'sigtrap' ? 'T' : 'x'), diagnosing, whom);
  process.stderr.write('\n');
  console.log(formatTally(variant, t, whom));
}
