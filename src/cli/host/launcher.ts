/**
 * A launching command hosts its own program: `utrace strace -- CMD`, `utrace run … -- CMD` and
 * `utrace gdbserver :PORT PROG` serve RUNTIME/PID/ctl and RUNTIME/PID/gdb from their own
 * process, on their own tracer, with their own engines first in attach order, so later commands
 * (`strace -p`, `gdbserver --attach`, `run -p`, gdb on the endpoint) join the program for as
 * long as it lives. UTRACE_NO_HOST=1, or a /proc of another pid namespace: not served (the
 * old in-process path; runtime.ts hostingAllowed).
 *
 * The launcher's end, by a signal (Ctrl-C, SIGTERM, SIGHUP):
 * - nobody joined: as before, the program is killed (strace and gdbserver kill what they
 *   launched when they are interrupted);
 * - commands joined: the launcher's engines leave at once, the launcher says so once on
 *   stderr and stays as the host until the last joiner has left; then the program is killed,
 *   as it would have been at the signal. A second signal makes every joiner leave now.
 * A program that exits ends every joiner with its status (their `exit` report), and the
 * launcher exits with that status, as without joiners.
 */
import type { Task, Tracer } from '../../api.js';
import { onStopSignals } from '../common.js';
import { Host, type OwnEngine } from './host.js';
import { hostingAllowed } from './runtime.js';
import type { Served } from './serve.js';

export { hostingAllowed };

export interface LaunchedHost {
  readonly host: Host;
  /** Stop serving once the joiners have their exit report (the program ended). */
  close(): Promise<void>;
}

/**
 * Host task (just spawned, held before its execve, the command's engines attached) and start
 * serving it in the background (a few ms: the program need not wait for it). who starts the
 * messages ("utrace strace").
 */
export function hostLaunched(tracer: Tracer, task: Task, argv: string[], who: string, engines: OwnEngine[]): LaunchedHost | undefined {
  if (!hostingAllowed()) return undefined;
  const log = (m: string): void => void process.stderr.write(m + '\n');
  // Not 'spawned' for the joiners: the program is let go before anyone can join.
  const host = Host.adopt(tracer, [task], false, { log, owned: true, own: { owner: { pid: process.pid, argv: process.argv.slice(2) }, engines } });
  let served: Served | undefined;
  const serving = (async () => {
    const { serveHost } = await import('./serve.js');
    // The engines' code (the gdb server's among it) loads when someone joins: most programs
    // end without a joiner, and a short run would otherwise pay for it at every start.
    const engines = (): Promise<typeof import('./engines.js')> => import('./engines.js');
    served = await serveHost(host, async (...a) => (await engines()).buildHostedEngines(...a),
      async (...a) => (await engines()).serveGdbEndpoint(...a), log, argv);
  })().catch((e: unknown) => log(`${who}: ${task.tgid} cannot be joined: ${e instanceof Error ? e.message : String(e)}`));
  return {
    host,
    async close() {
      await serving;
      const others = host.members;
      if (others.length) {
        process.stderr.write(`${who}: ${others.length === 1 ? 'another command traces' : `${others.length} other commands trace`} ${host.pid}: ${owners(host)}; staying until ${others.length === 1 ? 'it leaves' : 'they leave'}\n`);
      }
      await host.whenAlone();
      // The program ended: the joiners' exit reports are on their way (host.ts). With nobody
      // ever joined there is none to wait for (it cost every gdbserver and strace run 100 ms).
      if (host.everJoined) await Promise.race([host.ended, new Promise((r) => setTimeout(r, 100).unref())]);
      served?.close();
    },
  };
}

export interface LauncherSignals {
  /** Settles once end() has run (the program is being killed). */
  done: Promise<void>;
  dispose(): void;
}

/**
 * SIGINT/SIGTERM/SIGHUP for a launcher: end(signal) at once when nobody joined; else leaveOwn() (its
 * engines leave), one message, and end() once the joiners are gone; a second signal makes them
 * all leave now.
 */
export function launcherSignals(lh: LaunchedHost | undefined | (() => LaunchedHost | undefined), who: string, leaveOwn: () => void | Promise<void>,
  end: (signal: NodeJS.Signals) => void | Promise<void>, then = 'is killed'): LauncherSignals {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  let count = 0;
  const handler = (signal: NodeJS.Signals): void => {
    count++;
    const host = (typeof lh === 'function' ? lh() : lh)?.host;
    if (count === 1) {
      if (!host || !host.members.length) {
        void Promise.resolve(end(signal)).finally(resolve);
        return;
      }
      const n = host.members.length;
      process.stderr.write(`${who}: ${n === 1 ? 'another command traces' : `${n} other commands trace`} ${host.pid}: ${owners(host)}; ` +
        `staying until ${n === 1 ? 'it leaves' : 'they leave'}, then ${host.pid} ${then} (interrupt again to end every engine now)\n`);
      void (async () => {
        await Promise.resolve(leaveOwn()).catch(() => undefined);
        host.ownLeft();
        await host.whenAlone();
        await end(signal);
      })().finally(resolve);
    } else if (count === 2 && host) {
      void host.leaveAll();
    }
  };
  return { done, dispose: onStopSignals(handler) };
}

/** "strace (pid 123), gdb (pid 456)": who the members are. */
function owners(host: Host): string {
  return host.members.map((m) => `${m.owner.argv[0] ?? '?'} (pid ${m.owner.pid})`).join(', ');
}
