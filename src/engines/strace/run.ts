/** The strace engine as one engine of a `runEngines()` run (`utrace run --strace=...`). */
import type { RunEngine } from '../run.js';
import type { StraceEngine } from './engine.js';

/** The strace engine as a RunEngine; `finish` flushes its output. */
export function straceRunEngine(strace: StraceEngine, finish?: () => void): RunEngine {
  const ops = new Set<unknown>();
  return {
    name: 'strace',
    attach(tasks, ctx) {
      // Calls skipped by an engine attached before ours are marked (INJECTED): the engine says
      // so when it can, else the exit report looks for the skip.
      for (const e of ctx.before) {
        if (e.onInjected) e.onInjected((task) => strace.markInjected(task));
        else if (e.abortsCalls) strace.detectEarlierAborts = true;
      }
      for (const t of tasks) ops.add(strace.attach(t).ops);
    },
    detach() {
      strace.detachAll();
    },
    finish() {
      finish?.();
    },
    owns: (e) => ops.has(e.ops),
  };
}
