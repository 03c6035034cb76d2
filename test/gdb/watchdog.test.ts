/**
 * SIGKILL to utrace while breakpoints are inserted in an *attached* process: the breakpoint
 * watchdog (src/core/watchdog.ts) writes the original bytes back, and the process runs on.
 * Driven through real gdb (breakpoints inserted while running, and always-inserted at the
 * prompt), through the core API directly, and once with the watchdog off to show what it
 * prevents: the int3 stays and the program dies of SIGTRAP. Last, issue 19's scenario repeated
 * (bench/sigkill.ts): a breakpoint hit every millisecond, gdb continuing at each hit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTally, runScenario } from '../../bench/sigkill.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const VICTIM = path.join(root, 'test/fixtures/bin/bp_victim');
const haveGdb = spawnSync('gdb', ['--version']).status === 0;
const gdbOpts = { timeout: 60000, skip: !haveGdb && 'gdb not installed' };
const FILE = fs.readFileSync(VICTIM);
const SYMS = new Map(execFileSync('nm', [VICTIM]).toString().split('\n')
  .map((l) => l.split(' ')).filter((f) => f[1] === 'T').map((f) => [f[2]!, parseInt(f[0]!, 16)]));

interface Victim {
  child: ChildProcess;
  pid: number;
  base: number;
  out: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function until<T>(f: () => T | undefined | false, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function startVictim(): Promise<Victim> {
  const child = spawn(VICTIM, [], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  await until(() => /ready/.test(out), 5000, 'the victim');
  const pid = child.pid!;
  const base = parseInt(fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').find((l) => l.includes('bp_victim'))!.split('-')[0]!, 16);
  return { child, pid, base, out: () => out, exit };
}

/** The victim's byte at an address (as root: /proc/PID/mem). */
function memByte(pid: number, addr: number): number {
  const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, addr);
    return b[0]!;
  } finally {
    fs.closeSync(fd);
  }
}
/** The same byte in the executable file. */
const fileByte = (v: Victim, addr: number): number => FILE[addr - v.base]!;
const tracerOf = (pid: number): number => Number(/TracerPid:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const stateOf = (pid: number): string => /State:\s+(\S)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;

/** gdb attached through `utrace gdbserver stdio --attach`, in its own process group. */
function gdbAttach(v: Victim, cmds: string[], env: NodeJS.ProcessEnv = process.env): { gdb: ChildProcess; out: () => string } {
  const args = ['-batch', '-nx', '-ex', `target remote | ${process.execPath} ${utrace} gdbserver stdio --attach ${v.pid}`];
  for (const c of cmds) args.push('-ex', c);
  const gdb = spawn('gdb', [...args, VICTIM], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
  let out = '';
  gdb.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  gdb.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { gdb, out: () => out };
}

function killGroup(c: ChildProcess): void {
  try {
    process.kill(-c.pid!, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** Breakpoint addresses as gdb reports them ("Breakpoint N at 0x…"). */
async function gdbBreakpoints(out: () => string, n: number): Promise<number[]> {
  return until(() => {
    const a = [...out().matchAll(/Breakpoint \d+ at (0x[0-9a-f]+)/g)].map((m) => parseInt(m[1]!, 16));
    return a.length >= n ? a : undefined;
  }, 20000, `gdb's breakpoints: ${out()}`);
}

test('gdb breakpoints inserted while the attached program runs; utrace SIGKILLed: original bytes back, program runs on', gdbOpts, async () => {
  const v = await startVictim();
  const { gdb, out } = gdbAttach(v, ['break target', 'break never', 'continue']);
  try {
    const addrs = await gdbBreakpoints(out, 2);
    await until(() => addrs.every((a) => memByte(v.pid, a) === 0xcc), 20000, 'int3 bytes in memory');
    const utracePid = tracerOf(v.pid);
    assert.ok(utracePid > 0);
    process.kill(utracePid, 'SIGKILL');
    await until(() => tracerOf(v.pid) === 0 && addrs.every((a) => memByte(v.pid, a) === fileByte(v, a)), 3000, 'the original bytes');
    for (const a of addrs) assert.notEqual(fileByte(v, a), 0xcc);
    assert.notEqual(stateOf(v.pid), 't', 'not left in a tracing stop');
    process.kill(v.pid, 'SIGUSR1'); // now target() runs 1000 times
    assert.deepEqual(await v.exit, { code: 0, signal: null });
    assert.match(v.out(), /^done 1498500$/m);
  } finally {
    killGroup(gdb);
    v.child.kill('SIGKILL');
  }
});

test('gdb at the prompt with breakpoint always-inserted on; utrace SIGKILLed: original bytes back, program resumes', gdbOpts, async () => {
  const v = await startVictim();
  const { gdb, out } = gdbAttach(v, ['set breakpoint always-inserted on', 'break target', 'break never', 'echo prompt\\n', 'shell sleep 20']);
  try {
    const addrs = await gdbBreakpoints(out, 2);
    await until(() => /prompt/.test(out()), 20000, 'gdb at its prompt');
    // Every thread is held: the int3 bytes wait out of memory until a thread runs (reads
    // through gdb show the original bytes either way).
    for (const a of addrs) assert.equal(memByte(v.pid, a), fileByte(v, a), 'kept out of memory while every thread is held');
    assert.equal(stateOf(v.pid), 't', 'held by the debugger');
    process.kill(tracerOf(v.pid), 'SIGKILL');
    await until(() => tracerOf(v.pid) === 0 && addrs.every((a) => memByte(v.pid, a) === fileByte(v, a)), 3000, 'the original bytes');
    process.kill(v.pid, 'SIGUSR1');
    assert.deepEqual(await v.exit, { code: 0, signal: null });
    assert.match(v.out(), /^done 1498500$/m);
  } finally {
    killGroup(gdb);
    v.child.kill('SIGKILL');
  }
});

test('control: with the watchdog off (UTRACE_BREAKPOINT_WATCHDOG=0) the int3 outlives utrace and kills the program', gdbOpts, async () => {
  const v = await startVictim();
  const { gdb, out } = gdbAttach(v, ['break target', 'continue'], { ...process.env, UTRACE_BREAKPOINT_WATCHDOG: '0' });
  try {
    const [addr] = await gdbBreakpoints(out, 1);
    await until(() => memByte(v.pid, addr!) === 0xcc, 20000, 'the int3');
    process.kill(tracerOf(v.pid), 'SIGKILL');
    await until(() => tracerOf(v.pid) === 0, 3000, 'the kernel to detach');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(memByte(v.pid, addr!), 0xcc, 'left behind');
    process.kill(v.pid, 'SIGUSR1');
    assert.deepEqual(await v.exit, { code: null, signal: 'SIGTRAP' });
  } finally {
    killGroup(gdb);
    v.child.kill('SIGKILL');
  }
});

/** A tracer process using the core API: attaches (or spawns), inserts breakpoints, removes the
 * last one, prints what it saw, and SIGKILLs itself before the removal is sent lazily. */
const SCRIPT = `
import * as fs from 'node:fs';
import { Tracer, Attach } from ${JSON.stringify(path.join(root, 'dist/src/index.js'))};
const [mode, target, ...hex] = process.argv.slice(2);
const tracer = new Tracer();
const tasks = mode === 'attach' ? await tracer.attachProcess(Number(target)) : [await tracer.spawn([target])];
// A started program is held before its execve: any mapped code address will do.
const addrs = mode === 'attach' ? hex.map((h) => BigInt(h))
  : [BigInt('0x' + fs.readFileSync('/proc/' + tasks[0].tid + '/maps', 'utf8').split('\\n').find((l) => l.includes(' r-xp ')).split('-')[0])];
const eng = tracer.attachTask(tasks[0], Attach.CREATE, {});
const proc = tasks[0].process;
const us = [];
for (const a of addrs) {
  const t = process.hrtime.bigint();
  proc.insertBreakpoint(eng, a);
  us.push(Number(process.hrtime.bigint() - t) / 1000);
}
proc.removeBreakpoint(eng, addrs[addrs.length - 1]);
console.log(JSON.stringify({ watchdog: proc._watchdog !== null, us }));
process.kill(process.pid, 'SIGKILL');
`;

test('core API: an attached process gets a watchdog at its first breakpoint, a started one does not; SIGKILL restores every byte', { timeout: 30000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-wd-'));
  const script = path.join(dir, 'tracer.mjs');
  fs.writeFileSync(script, SCRIPT);
  const v = await startVictim();
  try {
    const addrs = [SYMS.get('target')!, SYMS.get('never')!, SYMS.get('never')! + 4].map((o) => v.base + o);
    const r = spawnSync(process.execPath, [script, 'attach', String(v.pid), ...addrs.map((a) => `0x${a.toString(16)}`)], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    const seen = JSON.parse(r.stdout.trim()) as { watchdog: boolean; us: number[] };
    assert.equal(seen.watchdog, true);
    // Restored: the two still inserted, and the one removed just before the kill.
    await until(() => tracerOf(v.pid) === 0 && addrs.every((a) => memByte(v.pid, a) === fileByte(v, a)), 3000, 'the original bytes');
    process.kill(v.pid, 'SIGUSR1');
    assert.deepEqual(await v.exit, { code: 0, signal: null });
    // A started program dies with its tracer (PTRACE_O_EXITKILL): no watchdog.
    const s = spawnSync(process.execPath, [script, 'spawn', VICTIM], { encoding: 'utf8', timeout: 20000 });
    assert.equal((JSON.parse(s.stdout.trim()) as { watchdog: boolean }).watchdog, false, s.stderr);
    process.stderr.write(`# breakpoint insertion, attached: first ${seen.us[0]!.toFixed(0)} µs (watchdog start), then ${seen.us.slice(1).map((u) => u.toFixed(0)).join(', ')} µs\n`);
  } finally {
    v.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('issue 19, repeated: SIGKILL of the host (the tracer) with a breakpoint on a function called every millisecond; held at gdb\'s prompt the program always exits normally; continuing at each hit it is counted (npm run stress: 100 runs)', { ...gdbOpts, timeout: 240000 }, async () => {
  // Guaranteed: every thread held, no int3 of ours in memory, no thread in a trap stop.
  const held = await runScenario('held', 2);
  assert.equal(held.ok, held.runs, formatTally('held', held));
  assert.ok(held.helperRssKiB === undefined || held.helperRssKiB < 2048, `watchdog helper RSS ${held.helperRssKiB} KiB`);
  // Measured, not guaranteed (docs/design.md, "Reliability"): the helper races the program.
  const loop = await runScenario('loop', 2);
  process.stderr.write(`# ${formatTally('held', held)}\n# ${formatTally('loop', loop)}\n`);
  assert.equal(loop.other, 0, formatTally('loop', loop));
});

test('issue 19 as users meet it: SIGKILL of the `utrace gdbserver --attach` command (the host holds the attachment) leaves the program running to its normal exit, breakpoint hit every millisecond or stepped over by a false condition (npm run stress: 100 + 20 runs)', { ...gdbOpts, timeout: 240000 }, async () => {
  const loop = await runScenario('loop', 3, undefined, false, 'command');
  const stepping = await runScenario('stepping', 2, undefined, false, 'command');
  process.stderr.write(`# ${formatTally('loop', loop, 'command')}\n# ${formatTally('stepping', stepping, 'command')}\n`);
  assert.equal(loop.ok, loop.runs, formatTally('loop', loop, 'command'));
  assert.equal(stepping.ok, stepping.runs, formatTally('stepping', stepping, 'command'));
});

test('the sentinel: its holder\'s death alone makes the helper write every byte back, while the tracer\'s own lock is still held; a goodbye then ends it quietly', { timeout: 30000 }, async () => {
  const { native } = await import('../../src/core/addon.js');
  const { nativeExecutable } = await import('../../src/native/native.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-wd-'));
  const file = (name: string, size: number): number => {
    const fd = fs.openSync(path.join(dir, name), 'w+', 0o600);
    fs.ftruncateSync(fd, size);
    return fd;
  };
  const v = await startVictim();
  const table = file('table', 0), lock = file('lock', 4096), sent = file('sentinel', 4096);
  let holder: ChildProcess | undefined, helper: ChildProcess | undefined;
  try {
    // An int3 in never() (never called), listed in the table as the core would list it.
    const addr = v.base + SYMS.get('never')!;
    const orig = fileByte(v, addr);
    const mem = fs.openSync(`/proc/${v.pid}/mem`, 'r+');
    fs.writeSync(mem, Buffer.from([0xcc]), 0, 1, addr);
    const slot = Buffer.alloc(16);
    slot.writeBigUInt64LE(BigInt(addr), 0);
    slot[8] = orig;
    slot[9] = 1;
    fs.writeSync(table, slot, 0, 16, 0);
    // Another process holds the sentinel's lock (deathSentinel, as utrace does); this thread
    // holds the tracer's own lock.
    const holderJs = `import { native } from ${JSON.stringify(path.join(root, 'dist/src/core/addon.js'))}; native.deathSentinel(3); console.log('held'); setInterval(() => {}, 1e6);`;
    holder = spawn(process.execPath, ['--input-type=module', '-e', holderJs], { stdio: ['ignore', 'pipe', 'inherit', sent] });
    let said = '';
    holder.stdout!.on('data', (d: Buffer) => (said += d.toString()));
    await until(() => said.includes('held'), 10000, 'the sentinel');
    native.deathLock(lock);
    helper = spawn(nativeExecutable('utrace-watchdog'), [String(v.pid), String(process.pid)], { stdio: ['pipe', 'ignore', 'pipe', mem, table, lock, sent] });
    fs.closeSync(mem);
    let err = '';
    helper.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const helperExit = new Promise<number | null>((r) => helper!.on('exit', (c) => r(c)));
    const waiter = await until(() => fs.readdirSync('/proc').find((d) => /^\d+$/.test(d) &&
      (() => { try { return new RegExp(`^PPid:\\s+${helper!.pid}$`, 'm').test(fs.readFileSync(`/proc/${d}/status`, 'utf8')); } catch { return false; } })()), 5000, 'the sentinel\'s waiter');
    await until(() => stateOf(Number(waiter)) === 'S', 5000, 'the waiter to block');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(memByte(v.pid, addr), 0xcc, 'nobody died: nothing written');
    const kib = (pid: number, k: string): string => new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? '?';
    const memUse = `helper RSS ${kib(helper.pid!, 'Rss')} KiB (PSS ${kib(helper.pid!, 'Pss')}), its waiter RSS ${kib(Number(waiter), 'Rss')} KiB (PSS ${kib(Number(waiter), 'Pss')})`;
    const t0 = process.hrtime.bigint();
    holder.kill('SIGKILL');
    await until(() => memByte(v.pid, addr) === orig, 3000, 'the original byte');
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(helper.exitCode, null, 'the helper still waits on our lock');
    // Goodbye: table emptied, lock unlocked: the helper ends quietly, and its waiter with it.
    fs.ftruncateSync(table, 0);
    native.deathUnlock(lock);
    assert.equal(await helperExit, 0);
    assert.equal(err, '');
    await until(() => !fs.existsSync(`/proc/${waiter}/status`) || stateOf(Number(waiter)) === 'Z', 3000, 'the waiter to end');
    process.kill(v.pid, 'SIGUSR1');
    assert.deepEqual(await v.exit, { code: 0, signal: null });
    process.stderr.write(`# sentinel's death -> original byte back: ${ms.toFixed(2)} ms (polled every 10 ms); ${memUse}\n`);
  } finally {
    holder?.kill('SIGKILL');
    helper?.kill('SIGKILL');
    v.child.kill('SIGKILL');
    for (const fd of [table, lock, sent]) fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
