/** The inject engine as one engine of a `runEngines()` run (`utrace run --inject SPEC`). */
import type { RunEngine } from '../run.js';
import type { InjectEngine } from './engine.js';

export function injectRunEngine(inject: InjectEngine): RunEngine {
  const ops = new Set<unknown>();
  return {
    name: 'inject',
    abortsCalls: true,
    onInjected: (listener) => inject.onInjected(listener),
    attach(tasks) {
      for (const t of tasks) ops.add(inject.attach(t).ops);
    },
    detach() {
      inject.detachAll();
    },
    owns: (e) => ops.has(e.ops),
  };
}
