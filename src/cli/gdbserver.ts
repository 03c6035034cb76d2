/**
 * `utrace gdbserver`: a GDB remote serial protocol server (docs/cli.md).
 *
 *   utrace gdbserver [--listen ADDR] [--multi] [--once] (-- CMD [ARG…] | --attach PID)
 *   utrace gdbserver [--once] [--multi] [--attach] COMM [PROG [ARGS…] | PID]   (gdbserver's form)
 */
import { parseArgs } from 'node:util';
import { Tracer } from '../api.js';
import { GdbSession } from '../engines/gdb/session.js';
import {
  StdioTransport, isLoopback, listenAndServe, parseListenAddress, runConnection, type ListenAddress,
} from '../engines/gdb/server.js';

const USAGE = `usage: utrace gdbserver [options] [--listen ADDR] (-- CMD [ARG...] | --attach PID)
       utrace gdbserver [--once] [--multi] [--attach] COMM [PROG [ARG...] | PID]

Serve the GDB remote protocol (gdbserver-compatible) for a program or a running process.

ADDR / COMM:
  HOST:PORT | :PORT   TCP (default host 127.0.0.1; other hosts are bound only when named)
  unix:PATH           unix socket, mode 0600 in a 0700 directory of ours (when PATH's
                      directory is shared, PATH links into a fresh .utrace-gdb-XXXXXX);
                      peers of another user are refused; removed on exit
  stdio | -           fd 0/1 (target remote | utrace gdbserver stdio -- prog)

options:
  --listen ADDR                 where to listen (instead of COMM)
  --attach [PID]                attach to a running process
  --multi                       extended-remote: stay up without a process (run/attach from gdb)
  --once                        exit after the first connection closes
  --no-disable-randomization    keep ASLR on for started programs (default: off, like gdbserver)
  --startup-with-shell          start programs through $SHELL (vRun default follows gdb)
  --remote-debug                log every packet on stderr
  -h, --help                    show this help
`;

function usageError(msg: string): Error {
  const e = new Error(msg);
  (e as Error & { usage?: boolean }).usage = true;
  return e;
}

interface Parsed {
  addr: ListenAddress;
  multi: boolean;
  once: boolean;
  attachPid: number | undefined;
  command: string[] | undefined;
  remoteDebug: boolean;
  noAslr: boolean;
  shell: boolean;
}

export function parseGdbserverArgs(argv: string[]): Parsed | 'help' {
  const dd = argv.indexOf('--');
  const head = dd >= 0 ? argv.slice(0, dd) : argv;
  const tail = dd >= 0 ? argv.slice(dd + 1) : undefined;
  // `--attach=PID` / `--attach PID` (ours) and `--attach COMM PID` (gdbserver's) share one flag.
  let attachValue: string | undefined;
  const pre: string[] = [];
  for (const a of head) {
    if (a.startsWith('--attach=')) {
      attachValue = a.slice(9);
      pre.push('--attach');
    } else pre.push(a);
  }
  const { values, positionals } = parseArgs({
    args: pre,
    allowPositionals: true,
    strict: true,
    options: {
      listen: { type: 'string' },
      attach: { type: 'boolean' },
      multi: { type: 'boolean' },
      once: { type: 'boolean' },
      'remote-debug': { type: 'boolean' },
      debug: { type: 'boolean' },
      'disable-randomization': { type: 'boolean' },
      'no-disable-randomization': { type: 'boolean' },
      'startup-with-shell': { type: 'boolean' },
      'no-startup-with-shell': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const pos = [...positionals];
  let comm = values.listen;
  if (comm === undefined) {
    comm = pos.shift();
    if (comm === undefined) throw usageError('missing --listen ADDR (or COMM)');
  }
  const addr = parseListenAddress(comm);
  let attachPid: number | undefined;
  let command: string[] | undefined;
  if (values.attach) {
    const v = attachValue ?? pos.shift();
    if (v === undefined || !/^\d+$/.test(v)) throw usageError(`--attach: expected a PID, got '${v ?? ''}'`);
    attachPid = Number(v);
    if (pos.length || tail) throw usageError('--attach takes a PID, not a command');
  } else if (tail) {
    if (pos.length) throw usageError(`unexpected argument '${pos[0]}' before --`);
    command = tail;
    if (!command.length) throw usageError('missing command after --');
  } else if (pos.length) {
    command = pos;
  }
  if (!command && attachPid === undefined && !values.multi) throw usageError('no program to debug: give -- CMD, --attach PID or --multi');
  return {
    addr,
    multi: !!values.multi,
    once: !!values.once,
    attachPid,
    command,
    remoteDebug: !!values['remote-debug'] || !!values.debug,
    noAslr: !values['no-disable-randomization'],
    shell: !!values['startup-with-shell'] && !values['no-startup-with-shell'],
  };
}

export async function gdbserverMain(argv: string[]): Promise<number> {
  let opts: Parsed | 'help';
  try {
    opts = parseGdbserverArgs(argv);
  } catch (e) {
    process.stderr.write(`utrace gdbserver: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  if (opts === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = (m: string): void => {
    process.stderr.write(m + '\n');
  };
  const stdio = opts.addr.kind === 'stdio';
  if (opts.addr.kind === 'tcp' && !isLoopback(opts.addr.host)) {
    log(`utrace gdbserver: warning: listening on ${opts.addr.host}, reachable from other machines; anyone who connects controls the debugged process`);
  }
  if (opts.attachPid !== undefined && !opts.multi && process.env['UTRACE_NO_HOST'] !== '1') {
    // Served by the process's host, which other utrace commands can join too.
    const { gdbserverJoin } = await import('./host/gdbJoin.js');
    return gdbserverJoin(opts.addr, opts.attachPid, argv, log);
  }
  const tracer = new Tracer();
  let stop: () => void = () => undefined;
  const stopSignal = new Promise<void>((r) => (stop = r));
  let exiting = false;
  const session = new GdbSession({
    tracer,
    extended: opts.multi,
    log,
    // The protocol owns fd 0/1 in stdio mode: the program reads /dev/null and writes to stderr.
    inferiorStdio: stdio ? ['ignore', 2, 2] : undefined,
    disableRandomization: opts.noAslr,
    startupWithShell: opts.shell,
    onExitRequest: () => {
      exiting = true;
      session.closeConnection();
      stop();
    },
  });
  const onSignal = (): void => {
    exiting = true;
    session.closeConnection();
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    try {
      if (opts.command) {
        const inf = await session.launch(opts.command);
        log(`Process ${opts.command[0]} created; pid = ${inf.pid}`);
        if (stdio) log('stdin/stdout redirected');
      } else if (opts.attachPid !== undefined) {
        await session.attach(opts.attachPid);
        log(`Attached; pid = ${opts.attachPid}`);
      }
    } catch (e) {
      const err = e as Error & { hint?: string };
      log(`utrace gdbserver: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`);
      await session.releaseAll();
      await tracer.close();
      return 1;
    }
    const multi = opts.multi;
    const serve = { session, log, once: opts.once, trace: opts.remoteDebug };
    if (opts.addr.kind === 'stdio') {
      const done = runConnection(new StdioTransport(), serve);
      await Promise.race([done, stopSignal]);
      session.closeConnection();
      await session.disconnect();
    } else {
      try {
        await listenAndServe(opts.addr, { ...serve, keepServing: () => multi && !exiting, stopSignal });
      } catch (e) {
        log(`utrace gdbserver: cannot listen on ${opts.addr.kind === 'tcp' ? `${opts.addr.host}:${opts.addr.port}` : opts.addr.path}: ${(e as Error).message}`);
        await session.releaseAll();
        await tracer.close();
        return 1;
      }
      await session.releaseAll();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  await tracer.close();
  // stdin may keep the loop alive in stdio mode.
  process.stdin.destroy();
  return 0;
}
