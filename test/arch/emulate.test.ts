/**
 * The x86-64 emulator (arch/x86_64/emulate.ts) against the CPU: test/fixtures/emu_insns.c
 * runs a block of every instruction form the emulator knows; from random register and flag
 * values, each instruction is emulated on a copy of the registers, then single-stepped for
 * real, and registers and memory must come out the same. Then Task.emulateStep: a whole pass
 * emulated and never run leaves the program correct to its exit.
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Attach, Event, Resume, SignalAction, SYSCALL_NR, emulate } from '../../src/index.js';
import type { Engine, GprName, Regs, SignalReport, Task } from '../../src/index.js';
import { cleanup, exitGuard, exitOf, fixture, newTracer, T } from '../core/helpers.js';

afterEach(cleanup);
after(exitGuard);

const SIGTRAP = 5;
const RANDOM: GprName[] = ['rax', 'rcx', 'rdx', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14'];
const COMPARED: GprName[] = [...RANDOM, 'rbx', 'rbp', 'rsp', 'r15', 'rip'];
/** CF PF AF ZF SF OF, and DF. */
const FLAGS = 0x8d5n | 0x400n;
const EDGES = [0n, 1n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn,
  0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn];

/** xorshift: reproducible runs (the seed is in the failure message). */
function rng(seed: number): () => bigint {
  let s = BigInt(seed) | 1n;
  return () => {
    s ^= (s << 13n) & 0xffffffffffffffffn;
    s ^= s >> 7n;
    s ^= (s << 17n) & 0xffffffffffffffffn;
    return s;
  };
}

function randomize(regs: Regs, next: () => bigint): void {
  for (const r of RANDOM) {
    const x = next();
    regs.set(r, x % 3n === 0n ? EDGES[Number(x % BigInt(EDGES.length))]! : x % 5n === 0n ? x & 0xffn : x);
  }
  regs.set('eflags', (regs.get('eflags') & ~0x8d5n) | (next() & 0x8d5n));
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

test('every instruction of the fixture block: emulated == single-stepped, registers, flags and memory', T, async () => {
  const seed = Date.now() % 100000;
  const next = rng(seed);
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('emu_insns'), '40']);
  const problems: string[] = [];
  let compared = 0;
  let passes = 0;
  let before: { regs: Regs; mem: Buffer; memAt: bigint; out?: Regs; store?: { addr: bigint; size: number; value: bigint }; code: Buffer } | null = null;

  /** Stack window and data area: any change there must be the predicted store. */
  const snapshot = (t: Task, regs: Regs): { mem: Buffer; memAt: bigint } => {
    const memAt = regs.get('rsp') - 256n;
    return { mem: Buffer.concat([t.readMemory(memAt, 512), t.readMemory(regs.get('rbx'), 512)]), memAt };
  };
  const predict = (t: Task): void => {
    const regs = t.regs().clone();
    const code = t.readMemory(regs.pc, 15);
    const out = regs.clone();
    const r = emulate(code, out, {
      load: (addr, size) => {
        const b = t.readMemory(addr, size);
        if (b.length !== size) return undefined;
        return size === 8 ? b.readBigUInt64LE(0) : BigInt(b.readUIntLE(0, size));
      },
    });
    before = { regs, ...snapshot(t, regs), code };
    if (r) {
      before.out = out;
      before.store = r.store;
    } else {
      problems.push(`not emulated at ${hex(regs.pc)}: ${code.toString('hex')}`);
    }
  };
  const check = (t: Task): void => {
    const b = before!;
    const now = t.regs();
    compared++;
    const where = `insn ${b.code.toString('hex')} at ${hex(b.regs.pc)} (seed ${seed})`;
    if (b.out) {
      for (const r of COMPARED) {
        if (now.get(r) !== b.out.get(r)) problems.push(`${where}: ${r} ${hex(now.get(r))}, emulated ${hex(b.out.get(r))}`);
      }
      const f = now.get('eflags') & FLAGS;
      const g = b.out.get('eflags') & FLAGS;
      if (f !== g) problems.push(`${where}: eflags ${hex(f)}, emulated ${hex(g)}`);
    }
    const after = snapshot(t, b.regs).mem;
    const expect = Buffer.from(b.mem);
    if (b.store) {
      const v = Buffer.alloc(8);
      v.writeBigUInt64LE(b.store.value);
      const put = (base: bigint, off: number): void => {
        const at = Number(b.store!.addr - base);
        for (let k = 0; k < b.store!.size; k++) if (at + k >= 0 && at + k < 512) expect[off + at + k] = v[k]!;
      };
      put(b.memAt, 0);
      put(b.regs.get('rbx'), 512);
    }
    if (b.out && !after.equals(expect)) {
      const k = [...after].findIndex((x, i) => x !== expect[i]);
      problems.push(`${where}: memory byte ${k} is ${after[k]}, expected ${expect[k]}`);
    }
  };

  tracer.attachTask(task, Attach.CREATE, {
    reportSignal(_a, eng: Engine, rep: SignalReport | null) {
      if (!rep || rep.signo !== SIGTRAP) return undefined;
      passes++;
      const regs = eng.task.regs().clone();
      randomize(regs, next);
      eng.task.setRegs(regs);
      predict(eng.task);
      return Resume.SINGLESTEP | SignalAction.IGN;
    },
    reportQuiesce(_a, eng: Engine, ev: number) {
      if (ev !== 0 || !before) return undefined;
      check(eng.task);
      before = null;
      const regs = eng.task.regs();
      if (regs.pc === regs.get('r15')) return Resume.RESUME;
      predict(eng.task);
      return Resume.SINGLESTEP;
    },
  }).setEvents(Event.SIGNAL_ALL | Event.QUIESCE);
  task.start();
  const st = await exitOf(task);
  assert.deepEqual(st, { code: 0, signal: null, core: false });
  assert.equal(passes, 40);
  assert.ok(compared >= 40 * 140, `only ${compared} instructions compared`);
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} differences`);
});

test('Task.emulateStep: a pass never run, only emulated, and the program still exits 0; refused in a system call', T, async () => {
  const next = rng(7);
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('emu_insns'), '5']);
  let emulated = 0;
  let refused = 0;
  tracer.attachTask(task, Attach.CREATE, {
    reportSignal(_a, eng: Engine, rep: SignalReport | null) {
      if (!rep || rep.signo !== SIGTRAP) return undefined;
      const regs = eng.task.regs().clone();
      randomize(regs, next);
      eng.task.setRegs(regs);
      for (;;) {
        const pc = eng.task.regs().pc;
        if (pc === eng.task.regs().get('r15')) break;
        if (!eng.task.emulateStep()) {
          refused++;
          break;
        }
        emulated++;
        if (eng.task.regs().pc === pc) break; // no progress would loop forever
      }
      return Resume.RESUME | SignalAction.IGN;
    },
  }).setEvents(Event.SIGNAL_ALL);
  task.start();
  assert.deepEqual(await exitOf(task), { code: 0, signal: null, core: false });
  assert.equal(refused, 0);
  assert.ok(emulated >= 5 * 140, `${emulated}`);

  // Another engine stepping the thread: its report must follow a real instruction.
  const t3 = await tracer.spawn([fixture('emu_insns'), '1']);
  let whileStepping: boolean | undefined;
  let afterwards: boolean | undefined;
  const stepper = tracer.attachTask(t3, Attach.CREATE, { reportQuiesce: () => undefined });
  stepper.setEvents(Event.QUIESCE);
  tracer.attachTask(t3, Attach.CREATE, {
    reportSignal(_a, eng: Engine, rep: SignalReport | null) {
      if (!rep || rep.signo !== SIGTRAP) return undefined;
      stepper.control(Resume.SINGLESTEP);
      whileStepping = eng.task.emulateStep();
      stepper.control(Resume.RESUME);
      afterwards = eng.task.emulateStep();
      return Resume.RESUME | SignalAction.IGN;
    },
  }).setEvents(Event.SIGNAL_ALL);
  t3.start();
  assert.deepEqual(await exitOf(t3), { code: 0, signal: null, core: false });
  assert.equal(whileStepping, false);
  assert.equal(afterwards, true);

  // At a system call stop the kernel may still restart the call: never emulated.
  const t2 = await tracer.spawn([fixture('getppid_loop'), '3'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const answers: boolean[] = [];
  tracer.attachTask(t2, Attach.CREATE, {
    reportSyscallExit(_a, eng: Engine, call) {
      if (call.nr === SYSCALL_NR['getppid']) answers.push(eng.task.emulateStep());
    },
  }).setEvents(Event.SYSCALL_EXIT);
  t2.start();
  assert.deepEqual(await exitOf(t2), { code: 0, signal: null, core: false });
  assert.deepEqual(answers, [false, false, false]);
});
