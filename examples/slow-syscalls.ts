/**
 * Example engine: system calls slower than a threshold (default 50 ms), reported as they
 * return, and a latency histogram (powers of two in µs) of every call at exit.
 *   utrace run --engine examples/slow-syscalls.ts=100 -- CMD     (threshold 100 ms)
 */
import { defineEngine, Event, SYSCALLS, type Engine, type SyscallReport } from 'utrace';

export default defineEngine<{ t: bigint; nr: number }>((ctx) => {
  const thresholdNs = BigInt(Math.round(Number(ctx.args[0] ?? 50) * 1e6));
  const buckets = new Map<number, number>();
  let slow = 0;
  return {
    name: 'slow-syscalls',
    events: Event.SYSCALL,
    data: () => ({ t: 0n, nr: -1 }),
    reportSyscallEntry(action: number, e: Engine<{ t: bigint; nr: number }>, call: SyscallReport) {
      e.data.nr = call.nr;
      e.data.t = process.hrtime.bigint();
    },
    reportSyscallExit(action: number, e: Engine<{ t: bigint; nr: number }>, call: SyscallReport) {
      if (e.data.nr < 0) return;
      const ns = process.hrtime.bigint() - e.data.t;
      const us = Number(ns / 1000n);
      const b = us < 1 ? 0 : Math.floor(Math.log2(us)) + 1;
      buckets.set(b, (buckets.get(b) ?? 0) + 1);
      if (ns >= thresholdNs) {
        slow++;
        const name = SYSCALLS[e.data.nr]?.name ?? `syscall_${e.data.nr}`;
        ctx.log(`slow: [${e.task.tid}] ${name} took ${(Number(ns) / 1e6).toFixed(1)} ms = ${call.ret}`);
      }
      e.data.nr = -1;
    },
    finish() {
      ctx.log(`${slow} slow calls; latency histogram (µs):`);
      const max = Math.max(0, ...buckets.keys());
      const top = Math.max(1, ...buckets.values());
      for (let b = 0; b <= max; b++) {
        const n = buckets.get(b) ?? 0;
        const lo = b === 0 ? 0 : 2 ** (b - 1);
        ctx.log(`  ${`[${lo}, ${2 ** b})`.padEnd(18)} ${String(n).padStart(7)} ${'#'.repeat(Math.ceil((n / top) * 40))}`);
      }
    },
  };
});
