/**
 * The ptrace personality (issue #7, part 1): a small C ptrace tool (test/fixtures/
 * ptrace_client.c) runs one fixed sequence of requests — SEIZE with options, INTERRUPT,
 * GETSIGINFO, bad requests, SYSCALL stops with GET_SYSCALL_INFO / GETREGS / PEEKUSER,
 * SETREGS changing a call, GETREGSET, GETFPREGS, POKE/PEEK, LISTEN refused, SINGLESTEP, a
 * signal injected back, a fork auto-attached and DETACHed, TRACEEXIT, the exit — once with
 * the kernel's ptrace and once served by the personality; the transcripts (every wait status,
 * result and errno) must be identical.
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { PtracePersonality, PtraceTool } from '../../src/index.js';
import type { ExitStatus } from '../../src/index.js';
import { capture, cleanup, exitGuard, fifo, fixture, newTracer, procState, T, withTimeout } from '../core/helpers.js';

afterEach(cleanup);
after(exitGuard);

/** Lines grouped by the role they start with (a child's stops interleave differently). */
function grouped(text: string): string {
  const lines = text.split('\n').filter(Boolean);
  const order = ['main', 'target', 'child', 'vchild', 'other'];
  return order.flatMap((r) => lines.filter((l) => l.startsWith(`${r}: `))).join('\n');
}

async function native(mode?: string): Promise<{ out: string; target: ExitStatus }> {
  // A FIFO, not Node's stdin socket: the client lets the target go by writing to /proc/PID/fd/0.
  const stdin = fifo();
  const target = spawn(fixture('ptrace_target'), [], { stdio: [stdin.fd, 'ignore', 'inherit'] });
  const targetExit = new Promise<[number | null, NodeJS.Signals | null]>((r) => target.on('exit', (c, s) => r([c, s])));
  await new Promise((r) => setTimeout(r, 100));
  const client = spawn(fixture('ptrace_client'), [String(target.pid), ...(mode ? [mode] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  client.stdout.on('data', (d) => (out += d));
  await new Promise((r) => client.on('close', r));
  if (mode) stdin.write('g');
  const [code, signal] = await targetExit;
  return { out, target: { code, signal: signal ? (signal === 'SIGKILL' ? 9 : -1) : null, core: false } };
}

async function emulated(mode?: string): Promise<{ out: string; target: ExitStatus; tool: ExitStatus }> {
  const tracer = newTracer();
  const stdin = fifo();
  const task = await tracer.spawn([fixture('ptrace_target')], { stdio: [stdin.fd, 'ignore', 'inherit'] });
  const personality = new PtracePersonality(tracer);
  personality.adopt(task);
  task.start();
  await new Promise((r) => setTimeout(r, 100));
  const out = capture();
  const tool = await new PtraceTool(tracer, personality)
    .spawn([fixture('ptrace_client'), String(task.tgid), ...(mode ? [mode] : [])], { stdio: ['ignore', out.fd, 'inherit'] });
  const toolSt = await withTimeout(tool.process.exit, 15000, 'tool exit');
  if (mode) stdin.write('g');
  const targetSt = await withTimeout(task.process.exit, 15000, 'target exit');
  return { out: out.text(), target: targetSt, tool: toolSt };
}

test('every request and wait status: the personality gives the kernel\'s transcript', T, async () => {
  const n = await native();
  const e = await emulated();
  assert.equal(n.target.code, 3);
  assert.equal(e.target.code, 3);
  assert.equal(e.tool.code, 0);
  // The sequence must really have run (a transcript of errors only would also be equal).
  assert.match(n.out, /target: target stopped status=0x80057f sig=5 event=128/); // INTERRUPT
  assert.match(n.out, /target:   target siginfo signo=5 code=2$/m); // single-step trap
  assert.match(n.out, /target: target stopped status=0x1057f sig=5 event=1/); // fork event
  assert.match(n.out, /child: child stopped status=0x80057f/); // auto-attached child
  assert.match(n.out, /target:   exit event status=0x300/); // TRACEEXIT
  assert.match(grouped(n.out), /target:   vfork event: pid is vchild\ntarget: syscall = 0 \ntarget: target stopped status=0x5057f sig=5 event=5\ntarget:   vfork-done event: pid is vchild/);
  assert.match(n.out, /target:   exit rval=target/); // getppid turned into getpid by SETREGS
  assert.match(n.out, /cont after exit = -1 ESRCH/);
  assert.equal(grouped(e.out), grouped(n.out));
});

test('ATTACH and its SIGSTOP, SYSEMU with a call emulated by the client, SINGLEBLOCK, GETSIGMASK, ARCH_PRCTL, debug registers, DETACH: as the kernel', T, async () => {
  const n = await native('attach');
  const e = await emulated('attach');
  assert.match(n.out, /target: target stopped status=0x137f sig=19/);
  assert.match(n.out, /target:   target siginfo signo=5 code=1$/m); // a step through a syscall: TRAP_BRKPT
  assert.match(n.out, /dr0=0x1000/);
  assert.equal(grouped(e.out), grouped(n.out));
  assert.equal(n.target.code, 3);
  assert.equal(e.target.code, 3, 'the read the client emulated returned its byte');
});

test('job control under SEIZE: SIGSTOP stop, group-stop, LISTEN, the SIGCONT trap and signal stop, SETSIGINFO, DETACH with a signal: as the kernel', T, async () => {
  const n = await native('jobctl');
  const e = await emulated('jobctl');
  assert.match(n.out, /status=0x80137f sig=19 event=128/); // group-stop of a seized tracee
  assert.match(n.out, /status=0x80057f sig=5 event=128/); // the SIGCONT notification
  assert.match(n.out, /siginfo after set: signo=18 errno=42/);
  assert.equal(grouped(e.out), grouped(n.out));
  assert.equal(e.target.code, 3);
});

test('TRACEME from the tool\'s own child, the exec SIGTRAP, a thread auto-attached by TRACECLONE, TRACEEXIT, the exit and its reap: as the kernel', T, async () => {
  const argv = [fixture('ptrace_client'), '0', 'traceme', fixture('ptrace_loop')];
  const nc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  let nout = '';
  nc.stdout.on('data', (d) => (nout += d));
  const ncode = await new Promise((r) => nc.on('close', r));
  assert.equal(ncode, 0);
  const tracer = newTracer();
  const out = capture();
  const tool = await new PtraceTool(tracer, new PtracePersonality(tracer)).spawn(argv, { stdio: ['ignore', out.fd, 'inherit'] });
  assert.equal((await withTimeout(tool.process.exit, 15000, 'tool exit')).code, 0);
  // A thread's exit status is its own code if its tracer reaps it before the process exits,
  // the process's if after (wait_task_zombie): a race in the kernel too, so it is not compared.
  const strip = (t: string): string => grouped(t.split('\n').filter((l) => !/^work \d+$/.test(l))
    .map((l) => l.replace(/^child: child exited \d+$/, 'child: child exited N')).join('\n'));
  assert.match(nout, /status=0x3057f sig=5 event=3/); // clone event
  assert.match(nout, /target: target exited 4/);
  assert.equal(strip(out.text()), strip(nout));
});

test('a client that exits while its tracee is stopped: the tracee goes on (or dies with PTRACE_O_EXITKILL); PTRACE_KILL: as with the kernel', T, async () => {
  for (const mode of ['abandon', 'exitkill', 'kill']) {
    const n = await native(mode);
    const e = await emulated(mode);
    assert.equal(grouped(e.out), grouped(n.out), mode);
    assert.match(e.out, /target stopped status=0x80057f/, mode);
    if (mode === 'kill') assert.match(n.out, /target killed 9/);
    if (mode === 'abandon') {
      assert.equal(n.target.code, 3);
      assert.equal(e.target.code, 3, 'not left stopped: it read its byte and finished');
    } else {
      assert.equal(n.target.signal, 9);
      assert.equal(e.target.signal, 9);
    }
  }
});

test('a tool that ptraces a process other than the target: EPERM / ESRCH, and a wait with no tracee is the kernel\'s ECHILD', T, async () => {
  const tracer = newTracer();
  const stdin = fifo();
  const task = await tracer.spawn([fixture('ptrace_target')], { stdio: [stdin.fd, 'ignore', 'inherit'] });
  const personality = new PtracePersonality(tracer);
  personality.adopt(task);
  task.start();
  const tool = new PtraceTool(tracer, personality);
  const results: string[] = [];
  // pid 1 exists but is not served; a pid above pid_max does not exist.
  for (const pid of ['1', '99999999']) {
    const out = capture();
    const t = await tool.spawn([fixture('ptrace_client'), pid, 'other'], { stdio: ['ignore', out.fd, 'inherit'] });
    const st = await withTimeout(t.process.exit, 10000, 'tool exit');
    assert.equal(st.code, 0);
    results.push(out.text());
  }
  assert.match(results[0]!, /attach other = -1 EPERM/);
  assert.match(results[0]!, /seize other = -1 EPERM/);
  assert.match(results[0]!, /cont other = -1 ESRCH/);
  assert.match(results[0]!, /wait nohang = -1 ECHILD/);
  assert.match(results[1]!, /attach other = -1 ESRCH/);
  // The target was never touched: not stopped, and it finishes normally.
  assert.notEqual(procState(task.tid), 't');
  stdin.write('g');
  assert.equal((await withTimeout(task.process.exit, 10000, 'target exit')).code, 3);
  void fs;
});
