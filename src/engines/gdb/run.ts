/**
 * The gdb server engine as one engine of a `runEngines()` run (`utrace run --gdb ADDR`).
 * Types only at load: the RSP stack (server, packets) is imported when the engine runs, so a
 * program that imports utrace without running a gdb engine does not load it.
 */
import type { RunEngine } from '../run.js';
import type { GdbSession } from './session.js';
import type { ListenAddress } from './server.js';

/**
 * The gdb server engine on ADDR as a RunEngine. A spawned program is held at its first
 * instruction after exec until gdb lets it go; one connection is served; when it closes (or
 * gdb detaches) only the gdb engine leaves and the other engines go on.
 */
export function gdbRunEngine(session: GdbSession, addr: ListenAddress, log: (m: string) => void = (m) => void process.stderr.write(m + '\n')): RunEngine {
  let ready: Promise<unknown> = Promise.resolve();
  let stop: () => void = () => undefined;
  const stopSignal = new Promise<void>((r) => (stop = r));
  let served: Promise<void> | undefined;
  let ended = false;
  const leave = async (): Promise<void> => {
    if (ended) return;
    ended = true;
    session.closeConnection();
    stop();
    await session.releaseAll();
  };
  return {
    name: 'gdb',
    attach(tasks, ctx) {
      if (ctx.spawned) ready = session.adopt(tasks[0]!, [...ctx.argv!]).started;
      else ready = session.adoptAttached(tasks);
      ready.catch(() => undefined);
    },
    run() {
      served = (async () => {
        const { StdioTransport, listenAndServe, runConnection } = await import('./server.js');
        await ready;
        const serve = { session, log, once: true };
        if (addr.kind === 'stdio') {
          await Promise.race([runConnection(new StdioTransport(), serve), stopSignal]);
          session.closeConnection();
          await session.disconnect();
        } else {
          await listenAndServe(addr, { ...serve, keepServing: () => false, stopSignal });
        }
        ended = true;
      })();
      served.catch((e) => log(`gdb: ${e instanceof Error ? e.message : String(e)}`));
      return served;
    },
    detach: leave,
    async finish() {
      // The process is gone: give a connected gdb a moment to read the exit reply and quit,
      // then hang up. With no gdb there is nobody to wait for.
      if (served && !ended && session.connected) {
        await Promise.race([served.catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
      }
      await leave();
      if (addr.kind === 'stdio') process.stdin.destroy();
    },
    owns: (e) => e.ops === (session as unknown as { ops: unknown }).ops,
  };
}
