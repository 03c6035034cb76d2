/**
 * Issue #16's evidence: separate commands on one live multi-threaded process, each joining
 * while the others trace and each ending its own way; joiners the kernel would refuse are
 * refused the same way. Every test has its own RUNTIME (XDG_RUNTIME_DIR).
 *
 * (The host SIGKILLed with gdb breakpoints inserted is test/gdb/watchdog.test.ts: its
 * `gdbserver --attach` joins a host, and the process it SIGKILLs is that host.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveGdb } from '../gdb/helpers.js';
import { collect, exited, read, threads, until } from './procs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const TICKER = path.join(root, 'test/fixtures/bin/mt_ticker');
const SPIN = path.join(root, 'test/fixtures/bin/gdb_prog');

function runtime(): { env: NodeJS.ProcessEnv; base: string; dir: string } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-host-ev-'));
  return { env: { ...process.env, XDG_RUNTIME_DIR: base }, base, dir: path.join(base, 'utrace') };
}

interface PsEngine { kind: string; owner: { pid: number }; events: string[] }
interface PsHost { target: { pid: number }; host: { pid: number }; threads: number; engines: PsEngine[] }
function ps(env: NodeJS.ProcessEnv, json = true): PsHost[] | string {
  const r = spawnSync('node', [utrace, 'ps', ...(json ? ['--json'] : [])], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return json ? (JSON.parse(r.stdout) as PsHost[]) : r.stdout;
}
const psJson = (env: NodeJS.ProcessEnv): PsHost[] => ps(env) as PsHost[];

/** Completed getppid calls per thread in a strace -f file: tid -> results. */
function getppids(trace: string): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const x of trace.matchAll(/^(\d+) +(?:getppid\(|<\.\.\. getppid resumed>)\) += (.*)$/gm)) {
    const tid = Number(x[1]);
    if (!m.has(tid)) m.set(tid, []);
    m.get(tid)!.push(x[2]!);
  }
  return m;
}

/** 8 bytes of prog's code at addr in pid's memory and in the file (the first mapping of a PIE
 * binary is its offset 0). */
function codeAt(pid: number, prog: string, addr: number): { mem: string; file: string } {
  const maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8');
  const base = parseInt(maps.split('\n').find((l) => l.includes(path.basename(prog)))!.split('-')[0]!, 16);
  const mem = Buffer.alloc(8);
  const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
  try {
    fs.readSync(fd, mem, 0, 8, addr);
  } finally {
    fs.closeSync(fd);
  }
  return { mem: mem.toString('hex'), file: fs.readFileSync(prog).subarray(addr - base, addr - base + 8).toString('hex') };
}

test('one live multi-threaded process, separate commands: the launcher\'s trace, a second trace, an injection and gdb join and leave (SIGKILL, SIGINT, detach); every trace whole; the program exits with its own status', { timeout: 180000, skip: !haveGdb && 'gdb not installed' }, async () => {
  const { env, dir } = runtime();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-host-ev-out-'));
  const [t1, t2] = [path.join(tmp, 't1'), path.join(tmp, 't2')];
  const ITERS = 12000; // >= 1 ms each: the program outlives every join by seconds
  // 1. The launcher: strace -f of a program it starts, which others can join while it lives.
  const launcher = spawn('node', [utrace, 'strace', '-f', '-o', t1, '--', TICKER, '3', String(ITERS)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lo = collect(launcher);
  const launcherDone = exited(launcher);
  const kids: ReturnType<typeof spawn>[] = [];
  try {
    await until(() => lo.out.includes('ready') && psJson(env).length === 1, 20000, `the program and its host (${lo.err})`);
    const h0 = psJson(env)[0]!;
    const pid = h0.target.pid;
    assert.equal(h0.host.pid, launcher.pid, 'the launcher hosts its program');
    assert.deepEqual(h0.engines.map((e) => [e.kind, e.owner.pid]), [['strace', launcher.pid]]);
    const workers = threads(pid).filter((t) => t !== pid).sort();
    assert.equal(workers.length, 3);

    // 2. A second trace with another filter, from another command.
    const s2 = spawn('node', [utrace, 'strace', '-f', '-e', 'trace=nanosleep,clock_nanosleep', '-o', t2, '-p', String(pid)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    kids.push(s2);
    const s2o = collect(s2);
    await until(() => read(t2).split('\n').length > 10, 20000, `the second trace (${s2o.err})`);

    // 3. An injection from a third command: the first trace shows its calls as (INJECTED).
    const inj = spawn('node', [utrace, 'run', '--inject', 'getppid:retval=4242', '-p', String(pid)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    kids.push(inj);
    const io = collect(inj);
    const injected = (): number => [...read(t1).matchAll(/ = 4242 \(INJECTED\)$/gm)].length;
    await until(() => injected() > 6, 20000, `injected calls in the first trace (${io.err})`);

    // `utrace ps`: one host (the launcher), its engines in attach order with their owners.
    const table = ps(env, false) as string;
    const rows = table.trimEnd().split('\n');
    assert.match(rows[0]!, /^PID +HOST +THREADS +ENGINE +OWNER +EVENTS +COMMAND$/);
    assert.match(rows[1]!, new RegExp(`^${pid} +${launcher.pid} +4 +strace +${launcher.pid} strace -f -o .*syscall-entry,syscall-exit.* +${TICKER.slice(0, 20)}`));
    assert.match(rows[2]!, new RegExp(`^ +strace +${s2.pid} strace -f -e trace=nanosleep`));
    assert.match(rows[3]!, new RegExp(`^ +inject +${inj.pid} run --inject getppid:retval=4242 .* +syscall-entry,syscall-exit`));
    assert.equal(rows.length, 4, table);

    // 4. gdb joins on the endpoint while all that runs: break, bt, step, detach.
    const src = fs.readFileSync(path.join(root, 'test/fixtures/mt_ticker.c'), 'utf8').split('\n');
    const line = src.findIndex((l) => l.includes('done_count[id]++')) + 1;
    const loopLine = src.findIndex((l) => l.includes('for (long i = 0; i < iters')) + 1;
    const g = spawnSync('timeout', ['90', 'gdb', '-batch', '-nx', '-ex', `target remote ${path.join(dir, String(pid), 'gdb')}`,
      '-ex', `break mt_ticker.c:${line}`, '-ex', 'continue', '-ex', 'bt', '-ex', 'delete', '-ex', 'next', '-ex', 'detach', TICKER], { encoding: 'utf8', env });
    const gout = g.stdout + g.stderr;
    assert.match(gout, new RegExp(`Breakpoint 1, worker \\(arg=.*\\) at .*mt_ticker\\.c:${line}`), gout);
    assert.match(gout, /^#0 +worker \(arg=/m, gout);
    assert.match(gout, /^#1 +.* in start_thread/m, gout);
    // next (the breakpoint deleted first: another thread would hit it meanwhile): the loop.
    assert.match(gout, new RegExp(`^#1 .*\\n(.*\\n)*${loopLine}\\t +for \\(long i`, 'm'), `next: the line after the breakpoint\n${gout}`);
    assert.match(gout, /\[Inferior 1 \(process \d+\) detached\]/, gout);
    const bp = Number(/Breakpoint 1 at (0x[0-9a-f]+)/.exec(gout)![1]);
    const code = codeAt(pid, TICKER, bp);
    assert.equal(code.mem, code.file, 'no breakpoint byte left');
    await until(() => (psJson(env)[0]?.engines.length ?? 0) === 3, 5000, 'gdb\'s engine to leave');

    // 5. Each command ends its own way: the injector SIGKILLed, the second trace SIGINT.
    inj.kill('SIGKILL');
    assert.equal((await exited(inj)).signal, 'SIGKILL');
    await until(() => psJson(env)[0]?.engines.every((e) => e.kind !== 'inject') ?? false, 5000, 'the injector\'s engine to leave');
    const after = injected();
    const plain = (): number => [...read(t1).matchAll(/getppid\(\) += (\d+)$/gm)].filter((m) => m[1] !== '4242').length;
    const p0 = plain();
    await until(() => plain() > p0 + 10, 10000, 'real getppid calls again');
    assert.ok(injected() <= after + 3, 'no injection after the injector left (calls in flight aside)');
    s2.kill('SIGINT');
    // strace -p detaches, then dies of the signal (as strace does).
    assert.deepEqual(await exited(s2), { code: null, signal: 'SIGINT' }, s2o.err);
    assert.match(s2o.err, new RegExp(`Process ${pid} detached`));
    assert.deepEqual(psJson(env)[0]?.engines.map((e) => e.owner.pid), [launcher.pid]);

    // 6. The program runs to its own end; the launcher exits with its status.
    assert.deepEqual(await launcherDone, { code: 0, signal: null }, lo.err);
    for (let i = 0; i < 3; i++) assert.match(lo.out, new RegExp(`^thread ${i} iterations=${ITERS}$`, 'm'));
    assert.match(lo.out, /^done$/m);
    assert.doesNotMatch(lo.err, /staying until/, 'nobody was left when the program ended');

    // The first trace is whole: every call of every worker, the injected ones marked, to the exit.
    const trace1 = read(t1);
    const calls = getppids(trace1);
    for (const tid of workers) {
      const rs = calls.get(tid) ?? [];
      assert.equal(rs.length, ITERS, `thread ${tid}: every getppid traced once`);
      for (const r of rs) assert.match(r, new RegExp(`^(${launcher.pid}|4242 \\(INJECTED\\))$`), `thread ${tid}`);
    }
    assert.ok(after > 6 && [...trace1.matchAll(/4242 \(INJECTED\)$/gm)].length === injected());
    assert.match(trace1, /^\d+ +\+\+\+ exited with 0 \+\+\+\n$/m);
    assert.ok(trace1.endsWith('+++ exited with 0 +++\n'), trace1.slice(-300));
    // The second: its filter only, whole lines, from its join to its leave.
    const trace2 = read(t2).trimEnd().split('\n');
    assert.ok(trace2.length > 10);
    // gdb's breakpoint traps are gdb's, not signals of the program: neither trace shows them.
    assert.doesNotMatch(trace1, /SIGTRAP/);
    for (const l of trace2) {
      assert.match(l, /^\d+ +((clock_)?nanosleep\(|<\.\.\. (clock_)?nanosleep resumed>|restart_syscall\()/, `only its filter: ${l}`);
      // Whole lines (gdb's stops interrupt the sleeps: ERESTART_RESTARTBLOCK, then a restart).
      assert.match(l, /( = [-?\d].*|<unfinished \.\.\.>|<detached \.\.\.>)$/, `a whole line: ${l}`);
    }
    assert.doesNotMatch(trace2.join('\n'), /getppid|\+\+\+ exited/);
    assert.deepEqual(fs.existsSync(dir) ? fs.readdirSync(dir) : [], [], 'RUNTIME/PID removed');
  } finally {
    for (const k of kids) k.kill('SIGKILL');
    launcher.kill('SIGKILL');
  }
});

test('a launcher interrupted while another command traces its program: its engines leave, it says so once and stays; the program is killed once the other leaves', { timeout: 60000 }, async () => {
  const { env } = runtime();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-host-ev-out-'));
  const [t1, t2] = [path.join(tmp, 't1'), path.join(tmp, 't2')];
  const launcher = spawn('node', [utrace, 'strace', '-o', t1, '--', SPIN, 'spin'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const lo = collect(launcher);
  const launcherDone = exited(launcher);
  let s2: ReturnType<typeof spawn> | undefined;
  try {
    await until(() => psJson(env).length === 1, 20000, `the host (${lo.err})`);
    const pid = psJson(env)[0]!.target.pid;
    s2 = spawn('node', [utrace, 'strace', '-o', t2, '-p', String(pid)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    await until(() => read(t2).split('\n').length > 5, 20000, 'the second trace');
    launcher.kill('SIGINT');
    await until(() => /staying until it leaves/.test(lo.err), 10000, 'the launcher to say it stays');
    assert.match(lo.err, new RegExp(`another command traces ${pid}: strace \\(pid ${s2.pid}\\); staying until it leaves, then ${pid} is killed`));
    await until(() => psJson(env)[0]?.engines.length === 1, 5000, 'the launcher\'s engine to leave');
    const n1 = read(t1).length;
    const n2 = read(t2).length;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(read(t1).length, n1, 'the launcher\'s trace has stopped');
    assert.ok(read(t2).length > n2, 'the other trace goes on');
    assert.equal(launcher.exitCode, null, 'the launcher stays as the host');
    // A second interrupt would end every engine now; here the other command leaves by itself.
    s2.kill('SIGTERM');
    assert.deepEqual(await exited(s2), { code: null, signal: 'SIGTERM' });
    const r = await launcherDone;
    // strace, interrupted, detaches and passes the signal on to what it launched (SPIN dies of it).
    assert.equal(r.signal, 'SIGINT', 'the launcher ends as its program: by the SIGINT passed on (as strace does when interrupted)');
    assert.equal([...lo.err.matchAll(/staying until/g)].length, 1, 'said once');
    assert.ok(!fs.existsSync(`/proc/${pid}/status`) || /Z|X/.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')), 'the program is gone');
  } finally {
    s2?.kill('SIGKILL');
    launcher.kill('SIGKILL');
  }
});

const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
const root0 = process.getuid?.() === 0;

/** The first line of stderr that names the refusal, without the command's own name. */
const refusal = (err: string): string => (err.split('\n').find((l) => /attach|EPERM|EACCES/.test(l)) ?? err).replace(/^utrace( strace)?: /, '');

test('a joiner of another uid is refused as its direct attach is (EPERM and the same hint); the host and its trace go on', { timeout: 60000, skip: !root0 && 'needs root to run a command as nobody' }, async () => {
  const { env } = runtime();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-host-ev-out-'));
  const t1 = path.join(tmp, 't1');
  const launcher = spawn('node', [utrace, 'strace', '-o', t1, '--', SPIN, 'spin'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await until(() => psJson(env).length === 1, 20000, 'the host');
    const pid = psJson(env)[0]!.target.pid;
    // The same RUNTIME named to it: nobody can neither read it (0700, ours) nor ptrace our process.
    const joined = spawnSync(asNobody[0]!, [...asNobody.slice(1), 'node', utrace, 'strace', '-o', '/dev/null', '-p', String(pid)], { env, encoding: 'utf8', timeout: 30000 });
    const direct = spawnSync(asNobody[0]!, [...asNobody.slice(1), 'node', utrace, 'strace', '-o', '/dev/null', '-p', String(pid)],
      { env: { ...env, UTRACE_NO_HOST: '1' }, encoding: 'utf8', timeout: 30000 });
    assert.equal(joined.status, 1, joined.stderr);
    assert.equal(direct.status, 1, direct.stderr);
    assert.match(joined.stderr, /EPERM/, joined.stderr);
    assert.equal(refusal(joined.stderr), refusal(direct.stderr), `joined:\n${joined.stderr}\ndirect:\n${direct.stderr}`);
    const hint = (s: string): string | undefined => s.split('\n').find((l) => /hint/.test(l));
    assert.equal(hint(joined.stderr), hint(direct.stderr));
    // Nothing changed for the host: the same engines, the trace goes on.
    assert.deepEqual(psJson(env)[0]!.engines.map((e) => e.owner.pid), [launcher.pid]);
    const n = read(t1).length;
    await until(() => read(t1).length > n, 5000, 'the trace to go on');
  } finally {
    launcher.kill('SIGKILL');
  }
});

const YAMA = '/proc/sys/kernel/yama/ptrace_scope';
test('Yama ptrace_scope 1: a joiner that is not the program\'s ancestor is refused the same way as its direct attach', { timeout: 60000, skip: (!fs.existsSync(YAMA) && 'no Yama here') || (!root0 && 'needs root to set ptrace_scope') }, async () => {
  const saved = fs.readFileSync(YAMA, 'utf8').trim();
  const { env, base } = runtime();
  fs.chownSync(base, 65534, 65534); // nobody's RUNTIME: host and joiner are both nobody
  let host: ReturnType<typeof spawn> | undefined;
  try {
    fs.writeFileSync(YAMA, '1');
    // The host launches the program: its parent, so Yama lets it trace; a sibling may not.
    host = spawn(asNobody[0]!, [...asNobody.slice(1), 'node', utrace, 'host', '--', SPIN, 'spin'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const ho = collect(host);
    await until(() => /hosting \d+/.test(ho.err), 20000, `the host (${ho.err})`);
    const pid = Number(/hosting (\d+)/.exec(ho.err)![1]);
    const joined = spawnSync(asNobody[0]!, [...asNobody.slice(1), 'node', utrace, 'strace', '-o', '/dev/null', '-p', String(pid)], { env, encoding: 'utf8', timeout: 30000 });
    const direct = spawnSync(asNobody[0]!, [...asNobody.slice(1), 'node', utrace, 'strace', '-o', '/dev/null', '-p', String(pid)],
      { env: { ...env, UTRACE_NO_HOST: '1' }, encoding: 'utf8', timeout: 30000 });
    assert.equal(joined.status, 1, joined.stderr);
    assert.equal(direct.status, 1, direct.stderr);
    assert.match(joined.stderr, /EPERM/);
    assert.equal(refusal(joined.stderr), refusal(direct.stderr), `joined:\n${joined.stderr}\ndirect:\n${direct.stderr}`);
    assert.match(joined.stderr, /ptrace_scope/);
  } finally {
    fs.writeFileSync(YAMA, saved);
    host?.kill('SIGKILL');
  }
});
