/**
 * `utrace host` and `utrace ps`.
 *
 *   utrace host [--background] PID | -- CMD [ARG...]   hold a process, no engine of its own
 *   utrace host --stop PID                             every engine leaves; the host detaches
 *   utrace ps [--json]                                 hosted processes and their engines
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { attachError, exitLikeChild, installSignalHandlers } from '../common.js';
import { Host } from './host.js';
import { LineReader, type HostStatus, type Reply } from './protocol.js';
import { hostPaths, listHosts, runtimeRoot, type HostPaths } from './runtime.js';
import { removeStale, serveHost } from './serve.js';
import { buildHostedEngines, serveGdbEndpoint } from './engines.js';
import { findHost, targetOf } from './join.js';
import { launcherSignals } from './launcher.js';

export const HOST_USAGE = `usage: utrace host [--background] (PID | -- CMD [ARG...])
       utrace host --stop PID

Hold a process so that independent commands can trace it together: every later
'utrace strace -p PID', 'utrace gdbserver --attach PID' and 'utrace run -p PID' joins
this host, and gdb can connect at any time to its endpoint:
  (gdb) target remote RUNTIME/PID/gdb
RUNTIME is $XDG_RUNTIME_DIR/utrace, or /tmp/utrace-UID when that is unset.

  --background   detach from the terminal once the process is hosted
  --stop PID     every engine leaves, the host detaches from PID and ends
`;

const UTRACE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../bin/utrace.cjs');

export async function hostMain(argv: string[]): Promise<number> {
  const dd = argv.indexOf('--');
  const head = dd >= 0 ? argv.slice(0, dd) : argv;
  const command = dd >= 0 ? argv.slice(dd + 1) : [];
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: head,
      allowPositionals: true,
      options: {
        background: { type: 'boolean' },
        stop: { type: 'string' },
        'ready-fd': { type: 'string' },
        // Internal: a --background host (resident: stays until the process ends or --stop),
        // as opposed to one a command started for itself (ends with its last member).
        resident: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`utrace host: ${(e as Error).message}\nTry 'utrace host -h' for more information.\n`);
    return 1;
  }
  if (values.help) {
    process.stdout.write(HOST_USAGE);
    return 0;
  }
  const usage = (m: string): number => {
    process.stderr.write(`utrace host: ${m}\nTry 'utrace host -h' for more information.\n`);
    return 1;
  };
  if (values.stop !== undefined) {
    if (!/^\d+$/.test(values.stop)) return usage(`--stop: invalid process id '${values.stop}'`);
    return stopHost(Number(values.stop));
  }
  const pidArg = positionals[0];
  if (positionals.length > 1) return usage(`unexpected argument '${positionals[1]}'`);
  if ((pidArg === undefined) === !command.length) return usage('give a PID or -- CMD [ARG...] (one of them)');
  if (pidArg !== undefined && (!/^\d+$/.test(pidArg) || Number(pidArg) <= 0)) return usage(`invalid process id '${pidArg}'`);
  const readyFd = values['ready-fd'] !== undefined ? Number(values['ready-fd']) : undefined;
  if (values.background) return background(argv);
  return runHost(pidArg !== undefined ? Number(pidArg) : undefined, command, readyFd, readyFd === undefined || !!values.resident);
}

/** Start ourselves detached (--ready-fd), wait until the process is hosted, and leave. */
async function background(argv: string[]): Promise<number> {
  const args = argv.filter((a) => a !== '--background');
  const dd = args.indexOf('--');
  args.splice(dd >= 0 ? dd : args.length, 0, '--ready-fd=3', '--resident');
  const child = spawn(process.execPath, [UTRACE, 'host', ...args], { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  const line = await new Promise<string>((resolve) => {
    let text = '';
    child.stdio[3]!.on('data', (b: Buffer) => {
      text += b.toString();
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    child.stdio[3]!.on('close', () => resolve(text));
  });
  (child.stdio[3] as net.Socket).destroy();
  child.unref();
  if (line.startsWith('ready ')) {
    const pid = Number(line.slice(6));
    process.stderr.write(`utrace host: hosting ${pid} in the background (host pid ${child.pid}); gdb: target remote ${hostPaths(pid).gdb}\n`);
    return 0;
  }
  reportStartError(line, argv);
  return 1;
}

function reportStartError(line: string, argv: string[]): void {
  if (line.startsWith('hosted')) {
    process.stderr.write(`utrace host: ${argv.find((a) => /^\d+$/.test(a)) ?? 'the process'} is already hosted\n`);
    return;
  }
  try {
    const e = JSON.parse(line.replace(/^error /, '')) as { code: string; message: string; hint?: string };
    process.stderr.write(`utrace host: ${e.message}\n${e.hint ? `utrace: hint: ${e.hint}\n` : ''}`);
  } catch {
    process.stderr.write(`utrace host: the host did not start\n`);
  }
}

/**
 * Host pid (or a launched command) until the process ends or --stop; with readyFd, started by
 * a command or by --background: report on readyFd, stay only while commands are joined (at
 * first until one has joined, within a few seconds).
 */
async function runHost(pid: number | undefined, command: string[], readyFd: number | undefined, resident: boolean): Promise<number> {
  const ready = (s: string): void => {
    if (readyFd === undefined) return;
    try {
      fs.writeSync(readyFd, s + '\n');
      fs.closeSync(readyFd);
    } catch {
      /* the starter is gone */
    }
    readyFd = undefined;
  };
  const log = (m: string): void => void process.stderr.write(m + '\n');
  const background = readyFd !== undefined;
  const forCommand = !resident;
  let host: Host;
  try {
    if (pid !== undefined && (await findHost(targetOf(pid)))) {
      ready('hosted');
      if (!background) log(`utrace host: ${pid} is already hosted`);
      return 1;
    }
    host = pid !== undefined
      ? await Host.attach(pid, { log, stay: resident, untilFirstJoin: !resident })
      : await Host.launch(command, {}, { log, stay: resident, untilFirstJoin: !resident });
  } catch (e) {
    const err = e as Error & { code?: string; hint?: string };
    ready(`error ${JSON.stringify({ code: err.code ?? 'EIO', message: pid !== undefined ? attachError(pid, e).replace(/^utrace: /, '').split('\n')[0] : err.message, hint: err.hint })}`);
    if (!background) process.stderr.write(pid !== undefined ? attachError(pid, e) : `utrace host: ${command[0]}: ${err.message}\n`);
    return 1;
  }
  let served;
  try {
    served = await serveHost(host, buildHostedEngines, serveGdbEndpoint, log);
  } catch (e) {
    ready(`error ${JSON.stringify({ code: 'EIO', message: `runtime directory: ${(e as Error).message}` })}`);
    await host.stop();
    if (!background) log(`utrace host: ${(e as Error).message}`);
    return 1;
  }
  if (!served) {
    ready('hosted');
    await host.stop();
    return 1;
  }
  host.start();
  ready(`ready ${host.pid}`);
  if (!background) log(`utrace host: hosting ${host.pid} (${command.length ? command.join(' ') : 'attached'}); gdb: target remote ${served.paths.gdb}`);
  if (forCommand) {
    // Started for a command: nobody came within 10 s, the host ends.
    setTimeout(() => {
      if (!host.members.length) void host.stop();
    }, 10_000).unref();
  }
  // Ctrl-C with commands joined: they stay traced until they leave, said once; again: they
  // all leave now (host/launcher.ts). Then a launched program is killed, as by its launcher.
  const end = (): Promise<void> => (pid === undefined ? killLaunched(host) : host.stop());
  const sig = background ? installSignalHandlers(end)
    : launcherSignals({ host, close: async () => undefined }, 'utrace host', () => undefined, end, pid === undefined ? 'is killed' : 'is let go');
  const st = await host.ended;
  sig.dispose();
  served.close();
  if (st && command.length) return exitLikeChild(st);
  return 0;
}

async function killLaunched(host: Host): Promise<void> {
  try {
    process.kill(host.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** One request to a host and its one reply. */
function ask(paths: HostPaths, op: 'status' | 'stop'): Promise<Reply | undefined> {
  return new Promise((resolve) => {
    const s = net.connect(paths.ctl);
    const lines = new LineReader();
    let done = false;
    const finish = (r: Reply | undefined): void => {
      if (done) return;
      done = true;
      s.destroy();
      resolve(r);
    };
    s.on('connect', () => s.write(JSON.stringify({ op }) + '\n'));
    s.on('data', (b: Buffer) => {
      try {
        const l = lines.push(b)[0];
        if (l) finish(JSON.parse(l) as Reply);
      } catch {
        finish(undefined);
      }
    });
    s.on('error', () => finish(undefined));
    s.on('close', () => finish(undefined));
    setTimeout(() => finish(undefined), 3000).unref();
  });
}

async function stopHost(pid: number): Promise<number> {
  const r = await ask(hostPaths(pid, runtimeRoot()), 'stop');
  if (!r) {
    process.stderr.write(`utrace host: ${pid} is not hosted (no host answers at ${hostPaths(pid, runtimeRoot()).ctl})\n`);
    return 1;
  }
  if (r.ev === 'error') {
    process.stderr.write(`utrace host: ${r.message}\n`);
    return 1;
  }
  return 0;
}

export const PS_USAGE = `usage: utrace ps [--json]

Hosted processes: pid, command, host pid, and every engine attached with the command that
owns it and the events it asked for.
`;

export async function psMain(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    process.stderr.write(`utrace ps: ${(e as Error).message}\nTry 'utrace ps -h' for more information.\n`);
    return 1;
  }
  if (values.help) {
    process.stdout.write(PS_USAGE);
    return 0;
  }
  const all: HostStatus[] = [];
  await removeStale(runtimeRoot()); // directories left by hosts that were killed
  for (const h of listHosts(runtimeRoot())) {
    const r = await ask(h.paths, 'status');
    if (r?.ev === 'status') all.push({ target: r.target, command: r.command, host: r.host, threads: r.threads, engines: r.engines });
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(all, null, 2) + '\n');
    return 0;
  }
  const rows: string[][] = [['PID', 'HOST', 'THREADS', 'ENGINE', 'OWNER', 'EVENTS', 'COMMAND']];
  for (const h of all) {
    const cmd = h.command.length > 40 ? h.command.slice(0, 39) + '…' : h.command;
    if (!h.engines.length) rows.push([String(h.target.pid), String(h.host.pid), String(h.threads), '-', '-', '-', cmd]);
    h.engines.forEach((e, i) => {
      const owner = `${e.owner.pid} ${e.owner.argv.join(' ')}`;
      rows.push(i === 0 ? [String(h.target.pid), String(h.host.pid), String(h.threads), e.kind, owner.length > 40 ? owner.slice(0, 39) + '…' : owner, e.events.join(',') || '-', cmd]
        : ['', '', '', e.kind, owner.length > 40 ? owner.slice(0, 39) + '…' : owner, e.events.join(',') || '-', '']);
    });
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) process.stdout.write(r.map((x, c) => (c === r.length - 1 ? x : x.padEnd(widths[c]!))).join('  ').trimEnd() + '\n');
  return 0;
}
