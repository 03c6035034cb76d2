/**
 * Co-scheduling: a tracee thread that stops often and the tracer's thread (the JS main thread,
 * which makes every ptrace request and runs the drain) are kept on one CPU. Every ptrace stop
 * is two wake-ups: tracee to tracer and back. Across CPUs each one is an inter-processor
 * interrupt, and on a virtual machine waking a halted vCPU goes through the hypervisor (tens
 * of microseconds); on one CPU it is a plain context switch. docs/design.md, "Co-scheduling",
 * has the measurements and the rules; in short:
 *
 *  - When: a thread whose engine-relevant stops come faster than RATE_ON a second (measured
 *    over a window of WINDOW stops), on a machine where the tracer may use two CPUs or more,
 *    in a process with one thread (its compute is never serialized with other threads'), and
 *    only while the core follows its clones (a new thread or child inherits the pinned mask
 *    and must get the program's own back). One thread at a time: a second busy tracee runs
 *    on another CPU. It ends when the rate falls below RATE_OFF, at a clone, at detach or
 *    death. Mode 'on' skips the rate and CPU-count tests, 'off' never co-schedules.
 *  - Invisible to the program: its sched_getaffinity returns the mask it would have had
 *    (rewritten at the syscall's exit, before engines see it); its own sched_setaffinity runs
 *    for real, becomes the mask it would have had, and the pin is taken again inside it; the
 *    mask is put back when co-scheduling ends. To see those calls the core needs their exit
 *    stop: engines tracing every syscall give it; under a seccomp prefilter the two calls are
 *    in the filter (Tracer.spawn); otherwise a co-scheduled thread is restarted with
 *    PTRACE_SYSCALL instead of PTRACE_CONT, and a step over a syscall is looked at.
 */
import { nowMs } from './clock.js';
import { isGone } from './errors.js';
import type { Task } from './task.js';

export type ColocateMode = 'auto' | 'on' | 'off';

export const NR_SCHED_SETAFFINITY = 203;
export const NR_SCHED_GETAFFINITY = 204;

/** What the core needs of the kernel for this (waitHub has it; a scripted backend may not). */
export interface AffinityOps {
  getAffinity(tid: number, buf: Uint8Array): number;
  setAffinity(tid: number, buf: Uint8Array, length: number): void;
  getCpu(): number;
}

/** Stops per measuring window. */
const WINDOW = 64;
/** Co-schedule above this many stops a second (a traced syscall loop makes 20k-100k, gdb stepping 1k-4k). */
const RATE_ON = 500;
/** Stop below this many. */
const RATE_OFF = 50;
/** Room for 1024 CPUs, as glibc's cpu_set_t. */
const MASK_BYTES = 128;

/** UTRACE_COLOCATE=0|off, 1|on, auto (the default). */
export function colocateModeFromEnv(env: NodeJS.ProcessEnv = process.env): ColocateMode {
  const v = (env['UTRACE_COLOCATE'] ?? '').toLowerCase();
  if (v === '0' || v === 'off' || v === 'no') return 'off';
  if (v === '1' || v === 'on' || v === 'yes' || v === 'force') return 'on';
  return 'auto';
}

/** Per-thread state, on Task._co while the thread is co-scheduled. */
interface Pin {
  /** The mask the program would have had (its own). */
  mask: Uint8Array;
  length: number;
}

const popcount = (m: Uint8Array, n: number): number => {
  let c = 0;
  for (let i = 0; i < n; i++) for (let b = m[i]!; b; b &= b - 1) c++;
  return c;
};
const hasCpu = (m: Uint8Array, n: number, cpu: number): boolean => cpu >> 3 < n && (m[cpu >> 3]! & (1 << (cpu & 7))) !== 0;

/**
 * The one co-scheduler of this Node process (there is one tracer thread, whatever the number
 * of Tracers).
 */
class Colocator {
  private ops: AffinityOps | null = null;
  /** The tracer thread's own mask, saved while it is pinned. */
  private tracerMask: Uint8Array | null = null;
  private tracerLength = 0;
  /** CPUs the tracer may use (0: not read yet). */
  private tracerCpus = 0;
  private cpu = -1;
  /** The co-scheduled thread (at most one). */
  member: Task | null = null;
  private readonly one = new Uint8Array(MASK_BYTES);

  /** @returns whether co-scheduling can work here at all (the backend has the calls). */
  private ready(task: Task): AffinityOps | null {
    if (this.ops) return this.ops;
    const b = task._backend as Partial<AffinityOps>;
    if (!b.getAffinity || !b.setAffinity || !b.getCpu) return null;
    this.ops = b as AffinityOps;
    return this.ops;
  }

  /**
   * One stop of task (not counting the core's own syscall stops): measure its rate, start or
   * end co-scheduling. follows: the core sees its clones.
   */
  onStop(task: Task, mode: ColocateMode, follows: boolean): void {
    if (mode === 'on') {
      if (!task._co && !this.member) this.tryPin(task, mode, follows);
      return;
    }
    if (++task._coStops < WINDOW) {
      // A thread gone quiet may not complete a window for long: look at the clock now and then.
      if (task._co && (task._coStops & 7) === 0 && nowMs() - task._coT0 > (WINDOW * 1000) / RATE_OFF) this.release(task, true);
      return;
    }
    const now = nowMs();
    const ms = now - task._coT0;
    task._coStops = 0;
    task._coT0 = now;
    if (task._co) {
      if (ms > (WINDOW * 1000) / RATE_OFF) this.release(task, true);
    } else if (ms < (WINDOW * 1000) / RATE_ON) this.tryPin(task, mode, follows);
  }

  private tryPin(task: Task, mode: ColocateMode, follows: boolean): void {
    if (mode === 'off' || !follows || this.member || task._exiting || task._proc._threads.size !== 1) return;
    const ops = this.ready(task);
    if (!ops) return;
    try {
      if (!this.tracerCpus) {
        const m = new Uint8Array(MASK_BYTES);
        const n = ops.getAffinity(0, m);
        this.tracerCpus = popcount(m, n);
      }
      if (this.tracerCpus < 2 && mode !== 'on') return;
      const mask = new Uint8Array(MASK_BYTES);
      const length = ops.getAffinity(task.tid, mask);
      // The tracer's current CPU, if the program may run there; else the first it may.
      const tracerMask = new Uint8Array(MASK_BYTES);
      const tl = ops.getAffinity(0, tracerMask);
      let cpu = ops.getCpu();
      if (!hasCpu(mask, length, cpu)) {
        cpu = -1;
        for (let c = 0; c < Math.min(length, tl) * 8; c++) if (hasCpu(mask, length, c) && hasCpu(tracerMask, tl, c)) { cpu = c; break; }
        if (cpu < 0) return;
      }
      this.one.fill(0);
      this.one[cpu >> 3] = 1 << (cpu & 7);
      ops.setAffinity(task.tid, this.one, length);
      this.tracerMask = tracerMask;
      this.tracerLength = tl;
      try {
        ops.setAffinity(0, this.one, tl);
      } catch (e) {
        ops.setAffinity(task.tid, mask, length);
        throw e;
      }
      this.cpu = cpu;
      task._co = { mask, length } satisfies Pin;
      this.member = task;
    } catch (e) {
      if (!isGone(e)) throw e;
    }
  }

  /** End co-scheduling of task; restore: give it its own mask back (not when it died). */
  release(task: Task, restore: boolean): void {
    const pin = task._co as Pin | null;
    if (!pin) return;
    task._co = null;
    task._coExit = false;
    // A syscall stop the core asked for alone may be pending: entry and exit are known again
    // only by asking the kernel.
    task._sysKnown = false;
    if (this.member === task) this.member = null;
    const ops = this.ops!;
    if (restore) {
      try {
        ops.setAffinity(task.tid, pin.mask, pin.length);
      } catch (e) {
        if (!isGone(e)) throw e;
      }
    }
    if (!this.member && this.tracerMask) {
      ops.setAffinity(0, this.tracerMask, this.tracerLength);
      this.tracerMask = null;
      this.cpu = -1;
    }
  }

  /** A co-scheduled thread made a thread or a child: it inherited the pin; it gets the
   * program's own mask, and co-scheduling of the parent ends (its process has two threads
   * now, or a child that is likely the one to run). */
  onClone(task: Task, childTid: number): void {
    const pin = task._co as Pin | null;
    if (!pin) return;
    try {
      this.ops!.setAffinity(childTid, pin.mask, pin.length);
    } catch (e) {
      if (!isGone(e)) throw e;
    }
    this.release(task, true);
  }

  /**
   * At the exit of the thread's syscall nr (args: its arguments, ret: its result): make a
   * sched_getaffinity return the program's own mask, and take a sched_setaffinity as the
   * program's new own mask (the pin is taken again inside it, or dropped if the program left
   * the CPU).
   */
  atSyscallExit(task: Task, nr: number, args: readonly bigint[], ret: bigint): void {
    if (ret < 0n) return;
    const tid = Number(args[0]) || task.tid;
    const target = this.member;
    if (!target || target.tid !== tid || target.tgid !== task.tgid) return;
    const pin = target._co as Pin;
    const ops = this.ops!;
    if (nr === NR_SCHED_GETAFFINITY) {
      const n = Number(ret);
      const out = Buffer.alloc(n);
      out.set(pin.mask.subarray(0, Math.min(n, pin.length)));
      task._proc._write(task.tid, args[2]!, out);
      return;
    }
    // sched_setaffinity succeeded: the kernel's mask is now the program's own.
    try {
      pin.mask.fill(0);
      pin.length = ops.getAffinity(tid, pin.mask);
      if (hasCpu(pin.mask, pin.length, this.cpu)) ops.setAffinity(tid, this.one, pin.length);
      else this.release(target, false);
    } catch (e) {
      if (!isGone(e)) throw e;
    }
  }
}

export const colocator = new Colocator();
export const affinityCall = (nr: number): boolean => nr === NR_SCHED_GETAFFINITY || nr === NR_SCHED_SETAFFINITY;

/** At a syscall exit of a co-scheduled thread (or one the core asked for): nr, args and result
 * from what the entry stop loaded, else from the registers. */
export function colocateSyscallExit(task: Task): void {
  let nr = task._sysNr;
  if (nr >= 0 && !affinityCall(nr)) return;
  task._inCallback++;
  try {
    const r = task.regs();
    nr = Number(BigInt.asIntN(64, r.get('orig_rax')));
    if (!affinityCall(nr)) return;
    colocator.atSyscallExit(task, nr, [r.get('rdi'), r.get('rsi'), r.get('rdx')], r.getSigned('rax'));
  } catch (e) {
    if (!isGone(e)) throw e;
  } finally {
    task._inCallback--;
  }
}

/** After a single step of a co-scheduled thread: if the step ran a syscall instruction it
 * completed that call (orig_rax is its number; -1 after any other instruction). */
export function colocateAfterStep(task: Task): void {
  task._sysNr = -1;
  colocateSyscallExit(task);
}
