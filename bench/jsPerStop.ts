/**
 * The JavaScript of one syscall stop alone, without a kernel: the scripted kernel of the core's
 * table tests (test/core/fakeBackend.ts) hands a Tracer with the strace engine of `utrace
 * strace -f -o FILE` the stops of a getppid loop (entry, exit, entry, ...), and the loop's CPU
 * time per stop is printed (min and median of 7 rounds). For comparing two builds of the hot
 * path (issue 20); not a row of `npm run bench`. In a real trace the same code runs about four
 * times slower per stop (caches and branch predictors are cold after each switch to the tracee
 * and the kernel), so what it shows is work saved, not the time a trace saves.
 *
 * `node --max-semi-space-size=4 dist/bench/jsPerStop.js [STOPS/2, default 100000] [FILE] [THREADS]
 * [interleave]` (the young generation bin/utrace.js gives Node), best pinned: `taskset -c 1 ...`.
 * THREADS > 1: the program's threads (made by clone events) take turns, a whole call each; with
 * `interleave`, every thread enters its call before any leaves it (each line then prints as
 * strace's `<unfinished ...>` and `<... resumed>` pair), as busy threads served in turn do.
 */
import { FakeKernel } from '../test/core/fakeBackend.js';
import { Tracer } from '../src/index.js';
import * as P from '../src/core/ptrace.js';
import { StraceEngine } from '../src/engines/strace/engine.js';
import { StraceFilter } from '../src/engines/strace/filter.js';
import * as fs from 'node:fs';

const NR_GETPPID = 110n;

async function main(n: number, file: string, threads: number, interleave: boolean): Promise<void> {
  const kernel = new FakeKernel();
  kernel.restart = () => undefined; // no request log: it would grow by one line per stop
  const tracer = new Tracer({ backend: kernel, colocate: 'off' });
  // What `utrace strace -f -o FILE` gives the engine, and a sink that writes 64 KiB at a time.
  const fd = fs.openSync(file, 'w');
  let lines: string[] = [];
  let len = 0;
  const flush = (): void => {
    fs.writeSync(fd, lines.join(''));
    lines = [];
    len = 0;
  };
  const engine = new StraceEngine(tracer, {
    filter: new StraceFilter(),
    follow: true,
    format: { followForks: true, toFile: true },
    write: (text) => {
      lines.push(text);
      if ((len += text.length) >= 1 << 16) flush();
    },
  });
  const task = await tracer.spawn(['/bin/true']);
  engine.attach(task, false);
  task.start();
  const tids = [task.tid];
  for (let t = 1; t < threads; t++) {
    const tid = task.tid + t;
    kernel.setEventMessage(task.tid, tid);
    kernel.stop(task.tid, P.SIGTRAP, P.PTRACE_EVENT_CLONE);
    kernel.stop(tid, P.SIGSTOP, P.PTRACE_EVENT_STOP);
    tids.push(tid);
  }
  const entry = Buffer.alloc(88);
  entry[0] = P.SYSCALL_INFO_ENTRY;
  entry.writeBigUInt64LE(NR_GETPPID, 24);
  const exit = Buffer.alloc(88);
  exit[0] = P.SYSCALL_INFO_EXIT;
  exit.writeBigInt64LE(4242n, 24);
  const stop = (tid: number, info: Buffer): void => {
    kernel.setSyscallInfo(tid, info);
    kernel.stop(tid, P.SIGTRAP | 0x80);
  };
  const run = (calls: number): void => {
    for (let i = 0; i < calls; i += tids.length) {
      if (interleave) {
        for (const tid of tids) stop(tid, entry);
        for (const tid of tids) stop(tid, exit);
      } else {
        for (const tid of tids) {
          stop(tid, entry);
          stop(tid, exit);
        }
      }
    }
  };
  run(20_000); // optimized before it is timed
  const ns: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = process.cpuUsage();
    run(n);
    const t = process.cpuUsage(t0);
    ns.push(((t.user + t.system) * 1000) / (2 * n));
  }
  engine.formatter.flush();
  flush();
  fs.closeSync(fd);
  ns.sort((a, b) => a - b);
  const how = threads > 1 ? `, ${threads} threads${interleave ? ' interleaved' : ' in turn'}` : '';
  console.log(`JS per syscall stop (fake kernel, strace -f -o FILE, getppid${how}): min ${ns[0]!.toFixed(0)} ns, median ${ns[3]!.toFixed(0)} ns`);
}

main(Number(process.argv[2] ?? 100_000), process.argv[3] ?? '/dev/null', Number(process.argv[4] ?? 1), process.argv[5] === 'interleave').catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
