/**
 * INTERRUPT against a thread blocked in a syscall: the quiesce report comes soon (the
 * blocking call is broken by PTRACE_INTERRUPT), and afterwards the program behaves exactly as
 * untraced: the call restarts transparently (read still returns the data written later,
 * nanosleep lasts its full length and returns 0).
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Attach, Event, Resume, SYSCALL_NR } from '../../src/index.js';
import type { Engine, Task, Tracer } from '../../src/index.js';
import {
  blockedIn, capture, cleanup, exitGuard, exitOf, fifo, fixture, newTracer, procState, T, waitFor, withTimeout,
} from './helpers.js';

afterEach(cleanup);
after(exitGuard);

const READ = SYSCALL_NR['read']!;
const NANOSLEEP = SYSCALL_NR['nanosleep']!;
const RESTART = SYSCALL_NR['restart_syscall']!;
const ERESTART_RESTARTBLOCK = -516n;

interface Setup {
  tracer: Tracer;
  task: Task;
  e: Engine;
  quiesce: { ev: number; at: number }[];
  exits: { nr: number; ret: bigint }[];
  out: ReturnType<typeof capture>;
}

async function setup(args: string[], stdin: number | 'ignore', syscalls: boolean): Promise<Setup> {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('block'), ...args], { stdio: [stdin, out.fd, 'inherit'] });
  const quiesce: { ev: number; at: number }[] = [];
  const exits: { nr: number; ret: bigint }[] = [];
  const e = tracer.attachTask(task, Attach.CREATE, {
    reportQuiesce(_a, _e, ev) {
      if (ev === 0) quiesce.push({ ev, at: performance.now() });
    },
    reportSyscallExit(_a, _e, call) {
      if (call.nr === READ || call.nr === NANOSLEEP || call.nr === RESTART) exits.push({ nr: call.nr, ret: call.ret! });
    },
  });
  e.setEvents(Event.QUIESCE | (syscalls ? Event.SYSCALL_EXIT : 0));
  task.start();
  return { tracer, task, e, quiesce, exits, out };
}

async function blockedInSyscall(task: Task, nr: number): Promise<void> {
  await waitFor(() => blockedIn(task.tgid) === nr && procState(task.tgid) === 'S', 5000, `blocked in syscall ${nr}`);
}

for (const syscalls of [false, true]) {
  const how = syscalls ? 'with syscall reports' : 'without syscall reports';

  test(`INTERRUPT breaks a blocking read(); the read still returns data written later (${how})`, T, async () => {
    const input = fifo();
    const s = await setup(['read'], input.fd, syscalls);
    await waitFor(() => s.out.text() === 'ready\n', 5000, 'ready');
    await blockedInSyscall(s.task, READ);
    const t0 = performance.now();
    assert.equal(s.e.control(Resume.INTERRUPT), undefined);
    await waitFor(() => s.quiesce.length > 0, 2000, 'quiesce report after INTERRUPT');
    assert.ok(s.quiesce[0]!.at - t0 < 1000, 'the report comes soon, not when the read ends');
    // Back in the read, transparently restarted; nothing was read yet.
    await blockedInSyscall(s.task, READ);
    assert.equal(s.out.text(), 'ready\n');
    input.write('hello\n');
    assert.deepEqual(await exitOf(s.task), { code: 0, signal: null, core: false });
    assert.equal(s.out.text(), 'ready\nread 6 errno=0: hello\n\n');
    assert.equal(s.quiesce.length, 1);
    if (syscalls) assert.deepEqual(s.exits.at(-1), { nr: READ, ret: 6n }, 'the read as the program saw it');
  });

  test(`INTERRUPT breaks nanosleep(); the sleep restarts and lasts its full length (${how})`, T, async () => {
    const s = await setup(['sleep', '400'], 'ignore', syscalls);
    await waitFor(() => s.out.text() === 'ready\n', 5000, 'ready');
    await blockedInSyscall(s.task, NANOSLEEP);
    const t0 = performance.now();
    s.e.control(Resume.INTERRUPT);
    await waitFor(() => s.quiesce.length > 0, 2000, 'quiesce report after INTERRUPT');
    assert.ok(s.quiesce[0]!.at - t0 < 300, 'the report comes before the sleep would have ended');
    assert.deepEqual(await exitOf(s.task), { code: 0, signal: null, core: false });
    assert.equal(s.out.text(), 'ready\nnanosleep rc=0 elapsed_ok=1\n');
    if (syscalls) {
      // Tracers see the kernel's restart: the interrupted sleep, then restart_syscall
      // finishing it with 0, which is all the program sees.
      assert.deepEqual(s.exits.slice(-2), [
        { nr: NANOSLEEP, ret: ERESTART_RESTARTBLOCK }, { nr: RESTART, ret: 0n },
      ]);
    }
  });
}

test('STOP while blocked: held at the interruption, then RESUME; the read goes on', T, async () => {
  const input = fifo();
  const s = await setup(['read'], input.fd, false);
  await waitFor(() => s.out.text() === 'ready\n', 5000, 'ready');
  await blockedInSyscall(s.task, READ);
  assert.equal(s.e.control(Resume.STOP), 'EINPROGRESS');
  await withTimeout(s.e.stopped(), 2000, 'stopped');
  assert.equal(s.task.state, 'stopped');
  assert.match(procState(s.task.tgid) ?? '', /^t$/);
  input.write('x\n'); // written while held: must not be consumed yet
  assert.equal(s.out.text(), 'ready\n');
  s.e.control(Resume.RESUME);
  assert.deepEqual(await exitOf(s.task), { code: 0, signal: null, core: false });
  assert.equal(s.out.text(), 'ready\nread 2 errno=0: x\n\n');
});

test('the event loop stays responsive while a traced thread blocks in a syscall (bounded waits)', T, async () => {
  const tracer = newTracer();
  // A busy phase (syscall stops drained synchronously) then a blocking sleep.
  const task = await tracer.spawn(['/bin/sh', '-c', 'i=0; while [ $i -lt 300 ]; do i=$((i+1)); done; sleep 0.6'], { stdio: 'ignore' });
  let calls = 0;
  const ops = {
    reportSyscallEntry(): void {
      calls++;
    },
    reportClone(_a: number, _e: Engine, _f: bigint, child: Task): void {
      tracer.attachTask(child, Attach.CREATE, ops).setEvents(Event.SYSCALL_ENTRY | Event.CLONE);
    },
  };
  tracer.attachTask(task, Attach.CREATE, ops).setEvents(Event.SYSCALL_ENTRY | Event.CLONE);
  let last = performance.now();
  let worst = 0;
  const iv = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 2);
  task.start();
  const st = await task.exit;
  clearInterval(iv);
  assert.equal(st.code, 0);
  assert.ok(calls > 10);
  // Bounded by the watchdog (about 1 ms) and the 4 ms drain slice; a hang would be 600 ms.
  assert.ok(worst < 100, `the event loop stalled for ${worst.toFixed(1)} ms`);
});
