/**
 * Shared set-up of the gdb end-to-end tests (test/gdb/*.test.ts): the server as a command line,
 * real gdb in batch mode, a listening server started as a child. Not a test file itself (node
 * --test loads it and finds no tests).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { debugRegistersTrap } from '../../src/api.js';
import { SocketTransport } from '../../src/engines/gdb/server.js';
import { RspTestClient } from './testClient.js';

/** dist/test/gdb -> package root */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const fixtureBin = (name: string): string => path.join(ROOT, 'test/fixtures/bin', name);

/** A fresh temporary directory for one test file. */
export const tmpDir = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** `utrace gdbserver` from dist without the CLI's start-up, as a script path and a command line. */
export const WRAPPER = path.join(tmpDir('utrace-gdb-wrapper-'), 'ug.mjs');
fs.writeFileSync(WRAPPER, `import { gdbserverMain } from ${JSON.stringify(path.join(ROOT, 'dist/src/cli/gdbserver.js'))};\n` +
  `gdbserverMain(process.argv.slice(2)).then((c) => { process.exitCode = c; });\n`);
export const SERVER = `${process.execPath} ${WRAPPER}`;

/** Do debug registers trap on this machine? Some hypervisors never deliver the trap: the server
 * then refuses hardware breakpoints and watchpoints (Z1-Z4) and keeps conditional breakpoints
 * on int3s, and the tests assert that behaviour instead. */
export const DR = debugRegistersTrap();

export const haveGdb = spawnSync('gdb', ['--version']).status === 0;
export const gdbOpts = { skip: !haveGdb && 'gdb not installed', timeout: 90000 };

/** gdb -batch on prog with every command as -ex (later commands run even if one fails). */
export function gdbEx(cmds: string[], prog: string): string {
  const r = spawnSync('timeout', ['60', 'gdb', '-batch', '-nx', ...cmds.flatMap((c) => ['-ex', c]), prog], { encoding: 'utf8' });
  return (r.stdout ?? '') + (r.stderr ?? '');
}

/** gdb -batch as gdbEx, but asynchronous, so that sessions run side by side; killed after
 * `seconds`, with `env` added to the environment. */
export function gdbExAsync(cmds: string[], prog: string, seconds = 60, env?: Record<string, string>): Promise<string> {
  const child = spawn('timeout', [String(seconds), 'gdb', '-batch', '-nx', ...cmds.flatMap((c) => ['-ex', c]), prog],
    { env: { ...process.env, ...env } });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((resolve) => child.on('close', () => resolve(out)));
}

/** For races that depend on scheduling: `session` run `runs` times (UTRACE_TEST_RUNS=N: N
 * times), two at a time; a transcript `check` finds fault with is a failure (the message,
 * then the transcript). */
export async function repeatSessions(runs: number, session: () => Promise<string>,
  check: (out: string) => string | undefined): Promise<{ runs: number; failures: string[] }> {
  const fromEnv = process.env['UTRACE_TEST_RUNS'];
  if (fromEnv) runs = Number(fromEnv);
  const failures: string[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < runs) {
      next++;
      const out = await session();
      const why = check(out);
      if (why) failures.push(`${why}\n${out}`);
    }
  };
  await Promise.all([lane(), lane()]);
  return { runs, failures };
}

/** Start the server as a child and wait for its "Listening on" line (port: TCP only). */
export function startServer(args: string[]): Promise<{ child: ChildProcess; port?: number; stderr: () => string }> {
  const child = spawn(process.execPath, [WRAPPER, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 10000);
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /Listening on (?:port (\d+)|\S+)/.exec(err);
      if (m) {
        clearTimeout(t);
        resolve({ child, port: m[1] ? Number(m[1]) : undefined, stderr: () => err });
      }
    });
    child.on('exit', () => reject(new Error(`server exited: ${err}`)));
  });
}

/** A raw protocol client on a new TCP connection to the server at port. */
export async function connectRsp(port: number, host = '127.0.0.1'): Promise<{ c: RspTestClient; sock: net.Socket }> {
  const sock = net.connect(port, host);
  await new Promise((r) => sock.once('connect', r));
  return { c: new RspTestClient(new SocketTransport(sock)), sock };
}

export interface RspSession {
  srv: Awaited<ReturnType<typeof startServer>>;
  /** The program's pid, and the same in hex as thread ids spell it. */
  pid: number;
  p: string;
  sock: net.Socket;
  c: RspTestClient;
}

/** `--once` over TCP on `prog args`, and a raw protocol client connected to it. */
export async function rspSession(prog: string, args: string[] = []): Promise<RspSession> {
  const srv = await startServer(['--once', '127.0.0.1:0', '--', prog, ...args]);
  const pid = Number(/pid = (\d+)/.exec(srv.stderr())![1]);
  return { srv, pid, p: pid.toString(16), ...(await connectRsp(srv.port!)) };
}

/** The raw reply (ack included) to `?` over a fresh connection to the unix socket at path. */
export function askStatus(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(socketPath);
    let got = '';
    c.on('data', (d) => {
      got += d.toString();
      if (/#[0-9a-f]{2}/.test(got)) {
        c.destroy();
        resolve(got);
      }
    });
    c.on('error', reject);
    c.write('$?#3f');
  });
}

/** The child's exit code, once it has exited. */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.on('exit', (c) => r(c)));
}

/** 16 bytes of fn's code in pid's memory and in the file prog (equal when no int3 is left). */
export function codeInMemoryAndFile(pid: number, prog: string, fn: string): { mem: Buffer; file: Buffer } {
  const sym = execFileSync('nm', [prog]).toString().split('\n').find((l) => new RegExp(` T ${fn}$`).test(l))!;
  const off = parseInt(sym.split(' ')[0]!, 16);
  const base = parseInt(fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').find((l) => l.includes(path.basename(prog)))!.split('-')[0]!, 16);
  const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
  const mem = Buffer.alloc(16);
  try {
    fs.readSync(fd, mem, 0, 16, base + off);
  } finally {
    fs.closeSync(fd);
  }
  return { mem, file: fs.readFileSync(prog).subarray(off, off + 16) };
}
