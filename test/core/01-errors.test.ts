/**
 * Every error code of the engine API, against real processes: ENOENT (lookups, spawn of a
 * missing program), EEXIST (EXCLUSIVE), ESRCH (dead thread, detached engine, missing pid),
 * EINVAL (missing ops, invalid actions, invalid event bits, event without callback, REPORT
 * without QUIESCE), EAGAIN (registers of a running thread), EPERM (another tracer).
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync, spawn as cpSpawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Attach, Event, Resume, SYSCALL_NR, UtraceError } from '../../src/index.js';
import type { EngineOps } from '../../src/index.js';
import {
  capture, cleanup, exitGuard, exitOf, fixture, killLater, newTracer, ourZombies, parseCounterAddr, T, takeErrors,
  procState, tracerPid, waitFor, withTimeout,
} from './helpers.js';

afterEach(cleanup);
after(exitGuard);

function code(c: string, extra?: (e: UtraceError) => void) {
  return (e: unknown) => {
    assert.ok(e instanceof UtraceError, `UtraceError expected, got ${String(e)}`);
    assert.equal(e.code, c, e.message);
    extra?.(e);
    return true;
  };
}

const noop: EngineOps = { reportQuiesce() {} };

test('spawn of a missing program: ENOENT, no hang, no zombie, no task', T, async () => {
  const tracer = newTracer();
  const before = ourZombies();
  await assert.rejects(withTimeout(tracer.spawn(['/nonexistent/dir/prog']), 5000, 'spawn'), code('ENOENT'));
  await assert.rejects(withTimeout(tracer.spawn(['utrace-no-such-program-xyz']), 5000, 'spawn'), code('ENOENT'));
  await assert.rejects(
    withTimeout(tracer.spawn(['prog'], { cwd: '/nonexistent-dir' }), 5000, 'spawn'),
    (e: unknown) => e instanceof UtraceError && (e.code === 'ENOENT' || e.code === 'ENOTDIR'),
  );
  assert.deepEqual(tracer.tasks(), []);
  assert.deepEqual(ourZombies().filter((z) => !before.includes(z)), []);
});

test('spawn where execve itself fails (missing interpreter): ENOENT seen, exit 127, no zombie', T, async () => {
  const tracer = newTracer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-script-'));
  const script = path.join(dir, 'script');
  fs.writeFileSync(script, '#!/nonexistent/interpreter\n', { mode: 0o755 });
  try {
    const task = await withTimeout(tracer.spawn([script], { stdio: 'ignore' }), 5000, 'spawn');
    const rets: bigint[] = [];
    tracer.attachTask(task, Attach.CREATE, {
      reportSyscallExit(_a, _e, call) {
        if (call.nr === SYSCALL_NR['execve']) rets.push(call.ret!);
      },
    }).setEvents(Event.SYSCALL_EXIT);
    task.start();
    assert.deepEqual(await exitOf(task), { code: 127, signal: null, core: false });
    assert.deepEqual(rets, [-2n], 'execve returned -ENOENT');
    await waitFor(() => !ourZombies().includes(task.tgid), 2000, 'no zombie left');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('execFailure: a path that cannot be run is not refused; its execve fails traced, the child says so and exits', T, async () => {
  const tracer = newTracer();
  // Without it, spawn refuses a directory up front.
  await assert.rejects(withTimeout(tracer.spawn(['/'], { stdio: 'ignore' }), 5000, 'spawn'), code('EACCES'));
  const err = capture();
  const task = await withTimeout(tracer.spawn(['/'], { stdio: ['ignore', 'ignore', err.fd], execFailure: { message: 'prog: exec: ', status: 5 } }), 5000, 'spawn');
  const rets: bigint[] = [];
  tracer.attachTask(task, Attach.CREATE, {
    reportSyscallExit(_a, _e, call) {
      if (call.nr === SYSCALL_NR['execve']) rets.push(call.ret!);
    },
  }).setEvents(Event.SYSCALL_EXIT);
  task.start();
  assert.deepEqual(await exitOf(task), { code: 5, signal: null, core: false });
  assert.deepEqual(rets, [-13n], 'execve returned -EACCES');
  assert.equal(err.text(), 'prog: exec: Permission denied\n');
  await waitFor(() => !ourZombies().includes(task.tgid), 2000, 'no zombie left');
});

test('attaching a missing pid: ESRCH', T, async () => {
  const tracer = newTracer();
  const gone = spawnSync('true').pid!;
  await assert.rejects(tracer.attachProcess(gone), code('ESRCH'));
  assert.throws(() => tracer.attachPid(gone, Attach.CREATE, noop), code('ESRCH'));
  assert.throws(() => tracer.attachPid(gone, 0), code('ESRCH'));
  await assert.rejects(tracer.attachProcess(-5), code('ESRCH'));
  assert.equal(tracer.process(gone), undefined);
});

test('attaching a child_process child of this very process: EPERM with a hint, the child unharmed', T, async () => {
  const tracer = newTracer();
  const child = cpSpawn('sleep', ['5'], { stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => child.on('exit', (c, sig) => r(sig ? -1 : c)));
  await assert.rejects(tracer.attachProcess(child.pid!), (e: unknown) =>
    e instanceof UtraceError && e.code === 'EPERM' && /tracer\.spawn/.test(e.hint ?? ''));
  child.kill('SIGTERM');
  assert.equal(await exited, -1);
});

test('attaching a process whose main thread left with pthread_exit: EPERM (a zombie cannot be seized), with a hint saying so', T, async () => {
  const tracer = newTracer();
  // Not our child: a shell starts it in the background and says its pid.
  const pid = Number(execSync(`${fixture('leader_exit')} 0 5000 >/dev/null 2>&1 & echo $!`, { encoding: 'utf8', shell: '/bin/sh' }).trim());
  killLater(pid);
  await waitFor(() => procState(pid) === 'Z', 5000, 'the leader to be a zombie');
  await assert.rejects(tracer.attachProcess(pid), (e: unknown) =>
    e instanceof UtraceError && e.code === 'EPERM' && /main thread of \d+ has exited/.test(e.hint ?? ''));
});

test('attaching a process traced by strace (child of strace): EPERM with a TracerPid hint', T, async () => {
  const tracer = newTracer();
  const strace = cpSpawn('strace', ['-o', '/dev/null', 'sleep', '30'], { stdio: 'ignore' });
  killLater(strace.pid!);
  const child = await waitFor(() => {
    try {
      const kids = fs.readFileSync(`/proc/${strace.pid}/task/${strace.pid}/children`, 'utf8').trim();
      const pid = Number(kids.split(' ')[0]);
      if (!pid) return undefined;
      killLater(pid);
      const comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      return comm === 'sleep' && tracerPid(pid) === strace.pid ? pid : undefined;
    } catch {
      return undefined;
    }
  }, 5000, 'strace to trace sleep');
  await assert.rejects(tracer.attachProcess(child), code('EPERM', (e) => {
    assert.ok(e.hint, 'EPERM carries a hint');
    assert.match(e.hint!, /TracerPid/);
    assert.match(e.hint!, new RegExp(`\\b${strace.pid}\\b`), 'the hint names the other tracer');
  }));
  assert.equal(tracer.process(child), undefined);
  assert.deepEqual(tracer.tasks(), []);
  assert.equal(tracerPid(child), strace.pid, 'the other tracer is undisturbed');
  strace.kill('SIGKILL');
});

test('attaching a process strace -p is tracing: EPERM with a TracerPid hint', T, async () => {
  const tracer = newTracer();
  const target = cpSpawn(fixture('spin'), [], { stdio: 'ignore' });
  killLater(target.pid!);
  const strace = cpSpawn('strace', ['-o', '/dev/null', '-p', String(target.pid)], { stdio: 'ignore' });
  killLater(strace.pid!);
  await waitFor(() => tracerPid(target.pid!) === strace.pid, 5000, 'strace to attach');
  await assert.rejects(tracer.attachProcess(target.pid!), code('EPERM', (e) => {
    assert.match(e.hint ?? '', /TracerPid/);
    assert.match(e.hint ?? '', new RegExp(`\\b${strace.pid}\\b`));
  }));
  assert.deepEqual(tracer.tasks(), []);
  strace.kill('SIGKILL');
  target.kill('SIGKILL');
});

test('lookups: ENOENT without a match; EEXIST with EXCLUSIVE; MATCH_OPS / MATCH_DATA', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('getppid_loop'), '1'], { stdio: 'ignore' });
  assert.throws(() => tracer.attachTask(task, 0), code('ENOENT'));
  const opsA: EngineOps = { reportQuiesce() {} };
  const opsB: EngineOps = { reportQuiesce() {} };
  const dataA = { a: 1 };
  const a = tracer.attachTask(task, Attach.CREATE, opsA, dataA);
  assert.equal(tracer.attachTask(task, 0), a);
  assert.equal(tracer.attachTask(task, Attach.MATCH_OPS, opsA), a);
  assert.throws(() => tracer.attachTask(task, Attach.MATCH_OPS, opsB), code('ENOENT'));
  assert.throws(() => tracer.attachTask(task, Attach.MATCH_DATA, undefined, { a: 1 }), code('ENOENT'),
    'data matches by identity, not by value');
  assert.equal(tracer.attachTask(task, Attach.MATCH_DATA, undefined, dataA), a);
  assert.throws(() => tracer.attachTask(task, Attach.CREATE | Attach.EXCLUSIVE | Attach.MATCH_OPS, opsA), code('EEXIST'));
  assert.throws(() => tracer.attachTask(task, Attach.CREATE | Attach.EXCLUSIVE, opsB), code('EEXIST'),
    'EXCLUSIVE without MATCH_* conflicts with any engine');
  const b = tracer.attachTask(task, Attach.CREATE | Attach.EXCLUSIVE | Attach.MATCH_OPS, opsB);
  assert.notEqual(a, b);
  assert.equal(tracer.attachTask(task, Attach.MATCH_OPS, opsB), b);
  assert.equal(tracer.attachPid(task.tid, Attach.MATCH_OPS | Attach.MATCH_DATA, opsA, dataA), a);
  assert.throws(() => tracer.attachTask(task, Attach.MATCH_OPS | Attach.MATCH_DATA, opsB, dataA), code('ENOENT'));
  assert.deepEqual(task.engines, [a, b]);
  task.start();
  await exitOf(task);
});

test('ESRCH: dead thread (attach, control, setEvents) and detached engine (every call)', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('getppid_loop'), '1'], { stdio: 'ignore' });
  const inDeath: string[] = [];
  const e = tracer.attachTask(task, Attach.CREATE, {
    reportQuiesce() {},
    reportDeath(eng) {
      for (const act of [Resume.STOP, Resume.RESUME, Resume.REPORT]) {
        try {
          eng.control(act);
          inDeath.push('ok');
        } catch (err) {
          inDeath.push((err as UtraceError).code);
        }
      }
      try {
        eng.setEvents(Event.SYSCALL_ENTRY);
        inDeath.push('ok');
      } catch (err) {
        inDeath.push((err as UtraceError).code);
      }
    },
    reportSyscallEntry() {},
  });
  e.setEvents(Event.DEATH | Event.QUIESCE);
  const gone = tracer.attachTask(task, Attach.CREATE, noop);
  gone.control(Resume.DETACH);
  assert.equal(gone.detached, true);
  assert.throws(() => gone.control(Resume.RESUME), code('ESRCH'));
  assert.throws(() => gone.control(Resume.DETACH), code('ESRCH'));
  assert.throws(() => gone.setEvents(Event.QUIESCE), code('ESRCH'));
  await assert.rejects(gone.stopped(), code('ESRCH'));
  assert.throws(() => tracer.attachTask(task, Attach.MATCH_OPS, noop), code('ENOENT'), 'a detached engine is not found');
  task.start();
  await exitOf(task);
  assert.deepEqual(inDeath, ['ESRCH', 'ESRCH', 'ESRCH', 'ESRCH']);
  assert.equal(task.state, 'dead');
  assert.throws(() => tracer.attachTask(task, Attach.CREATE, noop), code('ESRCH'));
  assert.throws(() => e.control(Resume.STOP), code('ESRCH'));
  assert.throws(() => task.regs(), code('ESRCH'));
  assert.throws(() => task.signal(10), code('ESRCH'));
});

test('EINVAL: missing ops, invalid flags, invalid actions, invalid event bits, event without callback', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('getppid_loop'), '1'], { stdio: 'ignore' });
  assert.throws(() => tracer.attachTask(task, Attach.CREATE), code('EINVAL'));
  assert.throws(() => tracer.attachTask(task, Attach.CREATE, null as unknown as EngineOps), code('EINVAL'));
  assert.throws(() => tracer.attachTask(task, 0x100, noop), code('EINVAL'));
  assert.throws(() => tracer.attachTask(task, 1.5, noop), code('EINVAL'));
  assert.deepEqual(task.engines, []);
  const e = tracer.attachTask(task, Attach.CREATE, { reportQuiesce() {}, reportSyscallEntry() {} });
  for (const bad of [7, -1, 1.5, 0x15, Number.NaN, 'x' as unknown as Resume]) {
    assert.throws(() => e.control(bad as Resume), code('EINVAL'), `control(${String(bad)})`);
  }
  for (const bad of [1 << 14, -1, 0.5, 1 << 30]) {
    assert.throws(() => e.setEvents(bad), code('EINVAL'), `setEvents(${bad})`);
  }
  for (const missing of [Event.CLONE, Event.EXEC, Event.EXIT, Event.DEATH, Event.REAP, Event.SYSCALL_EXIT,
    Event.SIGNAL, Event.SIGNAL_TERM, Event.JCTL]) {
    assert.throws(() => e.setEvents(Event.QUIESCE | missing), code('EINVAL'), `event 0x${missing.toString(16)} without callback`);
  }
  assert.equal(e.events, 0, 'a failed setEvents changes nothing');
  e.setEvents(Event.QUIESCE | Event.SYSCALL_ENTRY);
  assert.equal(e.events, Event.QUIESCE | Event.SYSCALL_ENTRY);
  task.start();
  await exitOf(task);
});

test('EINVAL: REPORT / INTERRUPT / SINGLESTEP / BLOCKSTEP without Event.QUIESCE', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('getppid_loop'), '1'], { stdio: 'ignore' });
  const e = tracer.attachTask(task, Attach.CREATE, { reportQuiesce() {}, reportSyscallEntry() {} });
  e.setEvents(Event.SYSCALL_ENTRY);
  for (const act of [Resume.REPORT, Resume.INTERRUPT, Resume.SINGLESTEP, Resume.BLOCKSTEP]) {
    assert.throws(() => e.control(act), code('EINVAL'), Resume[act]);
  }
  // Allowed ones.
  assert.equal(e.control(Resume.STOP), undefined);
  assert.equal(e.control(Resume.RESUME), undefined);
  e.setEvents(Event.SYSCALL_ENTRY | Event.QUIESCE);
  assert.doesNotThrow(() => e.control(Resume.REPORT));
  task.start();
  await exitOf(task);
});

test('EINVAL: a callback returning an invalid action is an engine error; the engine is detached', T, async () => {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('getppid_loop'), '5'], { stdio: ['ignore', out.fd, 'inherit'] });
  let calls = 0;
  const e = tracer.attachTask(task, Attach.CREATE, {
    reportSyscallEntry() {
      calls++;
      return 9;
    },
  });
  e.setEvents(Event.SYSCALL_ENTRY);
  task.start();
  // The failed engine was the only one: the thread is detached for real and runs on
  // untraced; the process's exit status is still collected (we spawned it).
  assert.equal((await withTimeout(task.process.exit, 10_000, 'process exit')).code, 0);
  assert.equal(out.text(), 'getppid x 5\n');
  assert.equal(calls, 1);
  assert.equal(e.detached, true);
  const errs = takeErrors(tracer);
  assert.equal(errs.length, 1);
  assert.match(String((errs[0] as Error).message), /EINVAL/);
});

test('EAGAIN: registers and memory of a running thread', T, async () => {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('spin')], { stdio: ['ignore', out.fd, 'inherit'] });
  const e = tracer.attachTask(task, Attach.CREATE, noop);
  e.setEvents(Event.QUIESCE);
  // Held by the spawn hold: readable.
  assert.ok(task.regs().get('rip') > 0n);
  task.start();
  const addr = await parseCounterAddr(out);
  assert.equal(task.state, 'running');
  assert.throws(() => task.regs(), code('EAGAIN'));
  assert.throws(() => task.setRegs(task.regs()), code('EAGAIN'));
  assert.throws(() => task.readMemory(addr, 8), code('EAGAIN'));
  assert.throws(() => task.writeMemory(addr, Buffer.alloc(8)), code('EAGAIN'));
  assert.throws(() => task.regset('fp'), code('EAGAIN'));
  // Once held stopped by the engine: allowed.
  assert.equal(e.control(Resume.STOP), 'EINPROGRESS');
  await withTimeout(e.stopped(), 5000, 'stopped');
  assert.equal(task.readMemory(addr, 8).length, 8);
  assert.ok(task.regs().get('rsp') > 0n);
  task.signal(9);
  e.control(Resume.RESUME);
  assert.equal((await exitOf(task)).signal, 9);
});
