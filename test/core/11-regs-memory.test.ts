/**
 * Examine: registers readable (and writable) in a callback, memory read/write including
 * read-only text, breakpoints hidden from readMemory and removed on detach.
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Attach, Event, Resume, SignalAction, SYSCALL_NR } from '../../src/index.js';
import type { Engine, EngineOps, SyscallReport, Task } from '../../src/index.js';
import {
  capture, cleanup, exitGuard, exitOf, fixture, newTracer, peekBytes, T, untraced, waitFor, withTimeout,
} from './helpers.js';

afterEach(cleanup);
after(exitGuard);

const GETPPID = SYSCALL_NR['getppid']!;
const MOV_EAX_1 = Buffer.from([0xb8, 0x01, 0x00, 0x00, 0x00]);

/** The marker fixture passes &marker as getppid's (unused) first argument. */
const isMarkerCall = (call: SyscallReport) => call.nr === GETPPID && call.args[0] !== 0n;

/** Offset of `mov eax, 1` inside marker(). */
function movOffset(task: Task, marker: bigint): number {
  const code = task.readMemory(marker, 32);
  const i = code.indexOf(MOV_EAX_1);
  assert.ok(i >= 0, `mov eax,1 in marker(): ${code.toString('hex')}`);
  return i;
}

function mapping(pid: number, addr: bigint): string {
  for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+)/.exec(line);
    if (m && addr >= BigInt('0x' + m[1]) && addr < BigInt('0x' + m[2])) return m[3]!;
  }
  return '';
}

async function runMarker(ops: (t: { tracer: ReturnType<typeof newTracer> }) => EngineOps[], events: number) {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('marker')], { stdio: ['ignore', out.fd, 'inherit'] });
  const engines = ops({ tracer }).map((o) => {
    const e = tracer.attachTask(task, Attach.CREATE, o);
    e.setEvents(events);
    return e;
  });
  task.start();
  return { tracer, task, engines, out };
}

test('untraced reference output', T, () => {
  assert.equal(untraced(fixture('marker')), 'marker=1\n');
});

test('registers in a callback: orig_rax is the syscall number, args in rdi..r9; fp, xstate, debug sets', T, async () => {
  const seen: string[] = [];
  const { task, out } = await runMarker(() => [{
    reportSyscallEntry(_a, eng, call) {
      const r = eng.task.regs();
      if (r.get('orig_rax') !== BigInt(call.nr)) seen.push(`orig_rax ${r.get('orig_rax')} != ${call.nr}`);
      const argRegs = ['rdi', 'rsi', 'rdx', 'r10', 'r8', 'r9'] as const;
      argRegs.forEach((name, i) => {
        if (r.get(name) !== call.args[i]) seen.push(`${name} != args[${i}]`);
      });
      if (!isMarkerCall(call)) return;
      assert.equal(eng.task.regset('fp').length, 512);
      assert.ok(eng.task.regset('xstate').length >= 512);
      assert.equal(typeof eng.task.debugReg(7), 'bigint');
      assert.deepEqual(eng.task.regset('general'), r.buf);
      seen.push('marker-call');
    },
    reportSyscallExit(_a, eng, call) {
      if (!isMarkerCall(call)) return;
      // At exit rax holds the result: getppid returns our pid (we spawned it).
      assert.equal(eng.task.regs().getSigned('rax'), call.ret);
      assert.equal(call.ret, BigInt(process.pid));
    },
  }], Event.SYSCALL);
  assert.equal((await exitOf(task)).code, 0);
  assert.deepEqual(seen, ['marker-call']);
  assert.equal(out.text(), 'marker=1\n');
});

test('writeMemory into read-only text takes effect; readMemory reads it back', T, async () => {
  let where = '';
  let readBack: Buffer | undefined;
  let written = 0;
  const { task, out } = await runMarker(() => [{
    reportSyscallEntry(_a, eng, call) {
      if (!isMarkerCall(call)) return;
      const marker = call.args[0]!;
      where = mapping(eng.task.tgid, marker);
      const i = movOffset(eng.task, marker);
      written = eng.task.writeMemory(marker + BigInt(i + 1), Buffer.from([42]));
      readBack = eng.task.readMemory(marker + BigInt(i), 5);
    },
  }], Event.SYSCALL_ENTRY);
  assert.deepEqual(await exitOf(task), { code: 0, signal: null, core: false });
  assert.equal(where, 'r-xp', 'marker() is in read-only, executable text');
  assert.equal(written, 1);
  assert.deepEqual(readBack, Buffer.from([0xb8, 42, 0, 0, 0]));
  assert.equal(out.text(), 'marker=42\n', 'the program runs the rewritten code');
});

test('breakpoints: hidden from readMemory, present in memory, removed when their engine detaches', T, async () => {
  let marker = 0n;
  let hidden: Buffer | undefined;
  let raw: Buffer | undefined;
  let afterDetach: Buffer | undefined;
  let original: Buffer | undefined;
  const { task, out, engines } = await runMarker(({ tracer }) => [
    // Engine 0 holds the thread so we can look at memory after engine 1 is gone.
    {
      reportSyscallEntry(_a, _e, call) {
        if (isMarkerCall(call)) return Resume.STOP;
      },
    },
    {
      reportSyscallEntry(_a, eng: Engine, call) {
        if (!isMarkerCall(call)) return;
        marker = call.args[0]!;
        original = eng.task.readMemory(marker, 8);
        tracer.process(eng.task.tgid)!.insertBreakpoint(eng, marker);
        tracer.process(eng.task.tgid)!.insertBreakpoint(eng, marker + 1n);
        hidden = eng.task.readMemory(marker, 8);
        raw = peekBytes(eng.task.tgid, marker, 8);
        return Resume.DETACH;
      },
    },
  ], Event.SYSCALL_ENTRY);
  const holder = engines[0]!;
  await withTimeout(holder.stopped(), 5000, 'held at the marker call');
  await waitFor(() => engines[1]!.detached, 2000, 'engine 1 detached');
  afterDetach = peekBytes(task.tgid, marker, 8);
  assert.deepEqual(hidden, original, 'readMemory shows the original bytes');
  assert.equal(raw![0], 0xcc);
  assert.equal(raw![1], 0xcc);
  assert.deepEqual(raw!.subarray(2), original!.subarray(2));
  assert.deepEqual(afterDetach, original, 'the breakpoints went with their engine');
  assert.equal(task.process.hasBreakpoint(marker), false);
  holder.control(Resume.RESUME);
  assert.deepEqual(await exitOf(task), { code: 0, signal: null, core: false });
  assert.equal(out.text(), 'marker=1\n', 'marker() ran unharmed: no int3 left');
});

test('breakpoints: a write over one updates the saved byte; the last engine leaving removes all', T, async () => {
  let raw: Buffer | undefined;
  let seenByRead: Buffer | undefined;
  const { task, out, tracer } = await runMarker(({ tracer }) => [{
    reportSyscallEntry(_a, eng: Engine, call) {
      if (!isMarkerCall(call)) return;
      const marker = call.args[0]!;
      const i = movOffset(eng.task, marker);
      const imm = marker + BigInt(i + 1);
      const proc = tracer.process(eng.task.tgid)!;
      proc.insertBreakpoint(eng, imm);
      eng.task.writeMemory(imm, Buffer.from([42])); // lands in the saved original
      seenByRead = eng.task.readMemory(imm, 1);
      raw = peekBytes(eng.task.tgid, imm, 1);
      return Resume.DETACH; // the only engine: the thread is detached for real
    },
  }], Event.SYSCALL_ENTRY);
  // Detached: its exit status comes from the process (we spawned it), not the thread.
  assert.deepEqual(await withTimeout(task.process.exit, 10_000, 'exit'), { code: 0, signal: null, core: false });
  assert.deepEqual(seenByRead, Buffer.from([42]));
  assert.deepEqual(raw, Buffer.from([0xcc]));
  assert.equal(out.text(), 'marker=42\n', 'the written byte was put back in place of the int3');
  assert.deepEqual(tracer.tasks(), []);
});

test('breakpoint traps: only the engines that inserted the int3 hear its SIGTRAP', T, async () => {
  // Engine 0 (attached first) listens to every signal; engine 1 breaks on marker(). Engine 0
  // must see no SIGTRAP (the trap is not a signal of the program); engine 1 sees it with the
  // PC one past the int3, rewinds it, removes its breakpoint and lets the thread go on.
  const heard: string[] = [];
  let marker = 0n;
  const { task, out, engines } = await runMarker(({ tracer }) => [
    {
      reportSyscallEntry() {},
      reportSignal(_a, _e, sig) {
        if (sig) heard.push(`0:${sig.signo}`);
      },
    },
    {
      reportSyscallEntry(_a, eng: Engine, call) {
        if (!isMarkerCall(call)) return;
        marker = call.args[0]!;
        tracer.process(eng.task.tgid)!.insertBreakpoint(eng, marker);
      },
      reportSignal(_a, eng: Engine, sig) {
        if (!sig) return;
        const regs = eng.task.regs();
        heard.push(`1:${sig.signo}:${regs.pc === marker + 1n}`);
        if (sig.signo !== 5 || regs.pc !== marker + 1n) return;
        regs.pc = marker;
        eng.task.setRegs(regs);
        tracer.process(eng.task.tgid)!.removeBreakpoint(eng, marker);
        return Resume.RESUME | SignalAction.IGN;
      },
    },
  ], Event.SYSCALL_ENTRY | Event.SIGNAL_ALL);
  assert.deepEqual(await exitOf(task), { code: 0, signal: null, core: false });
  assert.equal(out.text(), 'marker=1\n');
  assert.deepEqual(heard, ['1:5:true'], 'engine 0 heard nothing, engine 1 its own trap');
  assert.equal(engines.length, 2);
});
