/**
 * `utrace gdbserver`: a GDB remote serial protocol server (docs/cli.md).
 *
 *   utrace gdbserver [options] [--listen ADDR] (-- CMD [ARG…] | --attach PID)
 *   utrace gdbserver [options] [--attach] COMM [PROG [ARGS…] | PID]   (gdbserver's form)
 *
 * Options, messages and exit codes follow GNU gdbserver's (--wrapper, --debug…,
 * --disable-packet=…); the server stays up for the next gdb unless --once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Tracer } from '../api.js';
import { applyDebugFormat } from '../engines/gdb/packets/monitor.js';
import { hostingAllowed, hostLaunched, launcherSignals, type LaunchedHost, type LauncherSignals } from './host/launcher.js';
import { GdbSession, StartupExit } from '../engines/gdb/session.js';
import {
  StdioTransport, checkListenAddress, isLoopback, listenAndServe, parseListenAddress, runConnection, type ListenAddress,
} from '../engines/gdb/server.js';

const USAGE = `usage: utrace gdbserver [options] [--listen ADDR] (-- CMD [ARG...] | --attach PID)
       utrace gdbserver [options] [--attach] COMM [PROG [ARG...] | PID]

Serve the GDB remote protocol (gdbserver-compatible) for a program or a running process.

ADDR / COMM:
  HOST:PORT | :PORT   TCP (default host 127.0.0.1; other hosts are bound only when named)
  [IPV6]:PORT, tcp6:[HOST]:PORT, tcp4:…, tcp:…
                      TCP over IPv6 (tcp6:PORT: ::1) or IPv4 only
  unix:PATH           unix socket, mode 0600 in a 0700 directory of ours (when PATH's
                      directory is shared, PATH links into a fresh .utrace-gdb-XXXXXX);
                      peers of another user are refused; removed on exit
  stdio | -           fd 0/1 (target remote | utrace gdbserver stdio -- prog)

options:
  --listen ADDR                 where to listen (instead of COMM)
  --attach [PID]                attach to a running process
  --multi                       extended-remote: stay up without a process (run/attach from gdb)
  --once                        exit after the first connection closes (otherwise the server
                                waits for the next gdb while a process is left, or with --multi)
  --wrapper WRAPPER... --       start programs as WRAPPER... PROG ARGS (WRAPPER execs PROG)
  --no-disable-randomization    keep ASLR on for started programs (default: off, like gdbserver)
  --startup-with-shell          start programs through $SHELL (vRun default follows gdb)
  --colocate, --no-colocate     force / turn off co-scheduling of a stepped thread with the
                                server on one CPU (default: where it wins; UTRACE_COLOCATE=0|1)
  --debug                       log the server's workings on stderr
  --remote-debug                log every packet on stderr
  --debug-format=OPT[,OPT...]   all, none, timestamp (debug lines start with the time)
  --debug-file=FILE             write --debug and --remote-debug lines to FILE, not stderr
  --event-loop-debug            accepted
  --disable-packet=OPT[,OPT...] vCont, qC, qfThreadInfo, Tthread, T, threads (the four before T)
  --version                     show the version
  -h, --help                    show this help
`;

/** --disable-packet's names, and what each switches off. */
const DISABLEABLE: ReadonlyArray<[string, string]> = [
  ['vCont', 'All vCont packets'],
  ['qC', 'Querying the current thread'],
  ['qfThreadInfo', 'Thread listing'],
  ['Tthread', 'Passing the thread specifier in the T stop reply packet'],
  ['threads', 'All of the above'],
  ['T', "All 'T' packets"],
];

function disableableList(): string {
  return 'Disableable packets:\n' + DISABLEABLE.map(([n, d]) => `  ${n.padEnd(12)}\t${d}\n`).join('');
}

/** An error that ends the command with this exit code (usage errors: 2, with the usage). */
class CliExit extends Error {
  constructor(message: string, readonly code: number, readonly usage = false, readonly toStdout = false) {
    super(message);
  }
}

function usageError(msg: string): Error {
  return new CliExit(msg, 2, true);
}

interface Parsed {
  addr: ListenAddress;
  /** COMM or --listen as given (messages). */
  addrText: string;
  multi: boolean;
  once: boolean;
  attachPid: number | undefined;
  command: string[] | undefined;
  remoteDebug: boolean;
  debug: boolean;
  timestamp: boolean;
  debugFile: string | undefined;
  noAslr: boolean;
  shell: boolean;
  wrapper: string[] | undefined;
  disabled: Set<string>;
  colocate?: 'on' | 'off';
}

/** --disable-packet=LIST as gdbserver takes it; `threads` stands for vCont, qC, qfThreadInfo, Tthread. */
function parseDisable(list: string, into: Set<string>): void {
  for (const name of list.split(',')) {
    if (name === 'threads') for (const n of ['vCont', 'qC', 'qfThreadInfo', 'Tthread']) into.add(n);
    else if (DISABLEABLE.some(([n]) => n === name)) into.add(name);
    else throw new CliExit(`Don't know how to disable "${name}".\n\n${disableableList()}`, 1);
  }
}

export function parseGdbserverArgs(argv: string[]): Parsed | 'help' | 'version' {
  // `--wrapper W... --` first: its words, and its `--`, are not ours.
  let wrapper: string[] | undefined;
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i));
      break;
    }
    if (a === '--wrapper') {
      const end = argv.indexOf('--', i + 1);
      if (end < 0) throw usageError('--wrapper: the wrapper must be followed by --');
      wrapper = argv.slice(i + 1, end);
      if (!wrapper.length) throw usageError('--wrapper: missing the wrapper before --');
      i = end;
      continue;
    }
    args.push(a);
  }
  const dd = args.indexOf('--');
  const head = dd >= 0 ? args.slice(0, dd) : args;
  const tail = dd >= 0 ? args.slice(dd + 1) : undefined;
  // `--attach=PID` / `--attach PID` (ours) and `--attach COMM PID` (gdbserver's) share one flag.
  let attachValue: string | undefined;
  const disabled = new Set<string>();
  let timestamp = false;
  const pre: string[] = [];
  for (const a of head) {
    if (a.startsWith('--attach=')) {
      attachValue = a.slice(9);
      pre.push('--attach');
    } else if (a === '--disable-packet') {
      throw new CliExit(disableableList(), 0, false, true);
    } else if (a.startsWith('--disable-packet=')) {
      parseDisable(a.slice(17), disabled);
    } else if (a.startsWith('--debug-format=')) {
      const d: { timestamp: boolean } = { timestamp };
      let bad = '';
      if (!applyDebugFormat(d, a.slice(15), (m) => (bad = m))) throw new CliExit(bad.trimEnd(), 1);
      timestamp = d.timestamp;
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
      'debug-file': { type: 'string' },
      'event-loop-debug': { type: 'boolean' },
      'disable-randomization': { type: 'boolean' },
      'no-disable-randomization': { type: 'boolean' },
      'startup-with-shell': { type: 'boolean' },
      'no-startup-with-shell': { type: 'boolean' },
      version: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      colocate: { type: 'boolean' },
      'no-colocate': { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  if (values.version) return 'version';
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
  if (command) command = [programPath(command[0]!), ...command.slice(1)];
  return {
    addr,
    addrText: comm,
    multi: !!values.multi,
    once: !!values.once,
    attachPid,
    command,
    remoteDebug: !!values['remote-debug'],
    debug: !!values.debug,
    timestamp,
    debugFile: values['debug-file'],
    noAslr: !values['no-disable-randomization'],
    shell: !!values['startup-with-shell'] && !values['no-startup-with-shell'],
    wrapper,
    disabled,
    colocate: values.colocate ? 'on' : values['no-colocate'] ? 'off' : undefined,
  };
}

/**
 * The program as gdbserver names it: a bare name (no `/`) that is a file in the current
 * directory is that file, made absolute; anything else is left to the PATH search of exec.
 */
export function programPath(prog: string): string {
  if (prog.includes('/')) return prog;
  const abs = path.resolve(prog);
  try {
    if (fs.statSync(abs).isFile()) return abs;
  } catch {
    /* not here: PATH */
  }
  return prog;
}

/** gdbserver's words for a program that could not be started. */
function startupFailure(prog: string, e: unknown): string {
  if (e instanceof StartupExit) return e.message;
  const code = (e as { code?: string }).code;
  const errno: Record<string, string> = { ENOENT: 'No such file or directory', EACCES: 'Permission denied', ENOEXEC: 'Exec format error' };
  if (code && errno[code]) {
    return `gdbserver: Cannot exec ${prog}\ngdbserver: Error: ${errno[code]}\nDuring startup program exited with code 127.`;
  }
  const err = e as Error & { hint?: string };
  return `utrace gdbserver: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`;
}

export async function gdbserverMain(argv: string[]): Promise<number> {
  let opts: Parsed | 'help' | 'version';
  try {
    opts = parseGdbserverArgs(argv);
  } catch (e) {
    if (e instanceof CliExit && !e.usage) {
      (e.toStdout ? process.stdout : process.stderr).write(e.message.endsWith('\n') ? e.message : `${e.message}\n`);
      return e.code;
    }
    process.stderr.write(`utrace gdbserver: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  if (opts === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (opts === 'version') {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`utrace gdbserver ${pkg.version} (GDB remote protocol, gdbserver-compatible)\n`);
    return 0;
  }
  const log = (m: string): void => {
    process.stderr.write(m + '\n');
  };
  let debugLog: ((m: string) => void) | undefined;
  if (opts.debugFile !== undefined) {
    // gdbserver's --debug-file: the debug lines only; messages for the user stay on stderr.
    let fd: number;
    try {
      fd = fs.openSync(opts.debugFile, 'w', 0o600);
    } catch (e) {
      log(`utrace gdbserver: --debug-file ${opts.debugFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return 1;
    }
    debugLog = (m) => void fs.writeSync(fd, m + '\n');
  }
  const stdio = opts.addr.kind === 'stdio';
  try {
    await checkListenAddress(opts.addr, opts.addrText);
  } catch (e) {
    log(`${(e as Error).message}\nExiting`);
    return 1;
  }
  if (opts.addr.kind === 'tcp' && !isLoopback(opts.addr.host)) {
    log(`utrace gdbserver: warning: listening on ${opts.addr.host}, reachable from other machines; anyone who connects controls the debugged process`);
  }
  if (opts.attachPid !== undefined && !opts.multi && hostingAllowed()) {
    // Served by the process's host, which other utrace commands can join too.
    const { gdbserverJoin } = await import('./host/gdbJoin.js');
    return gdbserverJoin(opts.addr, opts.attachPid, argv, log);
  }
  const tracer = new Tracer({ colocate: opts.colocate });
  let stop: () => void = () => undefined;
  const stopSignal = new Promise<void>((r) => (stop = r));
  let exiting = false;
  const session = new GdbSession({
    tracer,
    extended: opts.multi,
    log,
    // The protocol owns fd 0/1 in stdio mode: the program reads /dev/null and writes to stderr.
    inferiorStdio: stdio ? ['ignore', 2, 2] : undefined,
    // dprintf-style agent output: where the program's own stdout is.
    printfOutput: stdio ? (t) => void process.stderr.write(t) : undefined,
    disableRandomization: opts.noAslr,
    startupWithShell: opts.shell,
    wrapper: opts.wrapper,
    disabledPackets: opts.disabled,
    debug: { general: opts.debug, remote: opts.remoteDebug, timestamp: opts.timestamp },
    debugLog,
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
  // A launched program is joinable while it lives (we host it: host/launcher.ts); then a
  // signal with commands joined detaches gdb's engines, and the program is killed once they
  // have left (gdbserver kills what it launched).
  let lh: LaunchedHost | undefined;
  let launchedPid = 0;
  let sig: LauncherSignals | undefined;
  let ownLeft = false;
  const killLaunched = (): void => {
    try {
      if (launchedPid) process.kill(launchedPid, 'SIGKILL');
    } catch {
      /* gone */
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    try {
      if (opts.command) {
        const inf = await session.launch(opts.command);
        log(`Process ${opts.command[0]} created; pid = ${inf.pid}`);
        if (stdio) log('stdin/stdout redirected');
        const task = [...inf.threads.keys()][0];
        if (!opts.multi && task) {
          launchedPid = inf.pid;
          const ops = (session as unknown as { ops: unknown }).ops;
          lh = hostLaunched(tracer, task, opts.command, 'utrace gdbserver', [{ name: 'gdb', owns: (e) => e.ops === ops }]);
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          sig = launcherSignals(lh, 'utrace gdbserver', async () => {
            ownLeft = true;
            exiting = true;
            session.closeConnection();
            for (const i of [...session.inferiors.values()]) await session.detach(i).catch(() => undefined);
            stop();
          }, () => (ownLeft ? killLaunched() : onSignal()));
        }
      } else if (opts.attachPid !== undefined) {
        await session.attach(opts.attachPid);
        log(`Attached; pid = ${opts.attachPid}`);
      }
    } catch (e) {
      if (opts.command) log(`${startupFailure(opts.command[0]!, e)}\nExiting`);
      else {
        const err = e as Error & { hint?: string };
        log(`utrace gdbserver: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`);
      }
      await session.releaseAll();
      await tracer.close();
      return 1;
    }
    const multi = opts.multi;
    // Asked per packet: `monitor set remote-debug` switches it during a session.
    const serve = { session, log, once: opts.once, trace: () => session.debug.remote };
    if (opts.addr.kind === 'stdio') {
      const done = runConnection(new StdioTransport(), serve);
      await Promise.race([done, stopSignal]);
      session.closeConnection();
      await session.disconnect();
    } else {
      try {
        await listenAndServe(opts.addr, { ...serve, keepServing: () => !exiting && (multi || session.inferiors.size > 0), stopSignal });
      } catch (e) {
        log(`utrace gdbserver: cannot listen on ${opts.addr.kind === 'tcp' ? `${opts.addr.host}:${opts.addr.port}` : opts.addr.path}: ${(e as Error).message}`);
        await session.releaseAll();
        await tracer.close();
        return 1;
      }
      await session.releaseAll();
    }
    // Commands that joined stay traced until they leave (then, after a signal, the program is
    // killed); a program that ended gives them its exit report first.
    if (lh) {
      await lh.close();
      if (ownLeft) await sig!.done;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    sig?.dispose();
  }
  await tracer.close();
  // stdin may keep the loop alive in stdio mode.
  process.stdin.destroy();
  return 0;
}
