/**
 * The core row's tracer, as a process of its own so that the bench can run it pinned (under
 * taskset) or not, like the reference: one engine asking for every syscall entry and exit,
 * doing nothing with them. `node dist/bench/nullEngine.js PROG ARGS...`
 */
import { Attach, Event, Tracer, type Task } from '../src/index.js';

async function main(argv: string[]): Promise<void> {
  const tracer = new Tracer();
  const task = await tracer.spawn(argv, { stdio: ['ignore', 'ignore', 'inherit'] });
  const ops = {
    reportSyscallEntry: () => undefined,
    reportSyscallExit: () => undefined,
    reportClone: (_a: number, _e: unknown, _f: bigint, child: Task) => {
      tracer.attachTask(child, Attach.CREATE, ops).setEvents(Event.SYSCALL | Event.CLONE);
    },
  };
  tracer.attachTask(task, Attach.CREATE, ops).setEvents(Event.SYSCALL | Event.CLONE);
  task.start();
  const st = await task.exit;
  if (st.code !== 0) throw new Error(`traced run failed: ${JSON.stringify(st)}`);
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
