/**
 * A host's sockets, in RUNTIME/PID: `ctl`, where commands join (protocol.ts), and `gdb`, the
 * per-process gdb endpoint (`target remote RUNTIME/PID/gdb`: each connection is a new gdb
 * engine on the process). Both are 0600 inside the 0700 directory, and a peer of another uid
 * (SO_PEERCRED) is refused, root excepted (it could attach directly anyway).
 *
 * Claiming RUNTIME/PID is what makes a host: the control socket's bind() is the lock, so of two
 * commands that want to host the same process at once, one hosts and the other joins. A socket
 * left by a host that died (connect refused) is removed and claimed again.
 *
 * The sockets are made listening by the native layer and handed to Node's net module at their
 * first connection: most launched programs are never joined, and `node:net` brings `cluster`,
 * `child_process`, `dgram` and the streams with it (about 7 ms of every `utrace strace` start).
 */
import * as fs from 'node:fs';
import type * as net from 'node:net';
import { listenUnix, receiveWithFds, socketPeer, UtraceError, watchReadable } from '../../api.js';
import { netModule } from '../../builtins.js';
import { servedIo, type CommandIo } from '../io.js';
import type { Host, Member } from './host.js';
import { LineReader, parseRequest, type EngineSpec, type JoinRequest, type Reply, type Request } from './protocol.js';
import { commandLine, hostPaths, privateDir, processId, readHostInfo, removeHostDir, runtimeDir, runtimeRoot, sameProcess, staleHostDirs, type HostInfo, type HostPaths } from './runtime.js';
import type { RunEngine } from '../../engines/run.js';

/** Builds a joining command's engines in the host (cli/engines.ts). */
export type EngineFactory = (host: Host, specs: EngineSpec[], io: CommandIo, fds: Map<string, number>) => Promise<RunEngine[]>;

/** Serves a gdb connection that came to RUNTIME/PID/gdb as a new member. */
export type GdbEndpoint = (host: Host, socket: net.Socket, peer: { pid: number; uid: number }) => Promise<Member | undefined>;

/** The descriptor under a Node socket (no public API gives it; stable for years). */
export function socketFd(s: net.Socket | net.Server): number {
  return (s as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
}

/** How long a joining command may take to send its request after connecting. */
const REQUEST_MS = 5000;

function myUid(): number {
  return process.getuid?.() ?? 0;
}

export interface Served {
  paths: HostPaths;
  close(): void;
}

/** Is a host listening on paths.ctl? (refused or missing: no) */
export function hostAlive(paths: HostPaths): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netModule().connect(paths.ctl);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Remove the RUNTIME/PID directories of dead hosts or dead processes (all, or only pid's)
 * that nobody listens on. */
export async function removeStale(root = runtimeRoot(), only?: number): Promise<void> {
  for (const p of staleHostDirs(root, only)) if (!(await hostAlive(p))) removeHostDir(p);
}

/**
 * Claim RUNTIME/PID for host and serve its sockets. Returns undefined when another live host
 * already has it (the caller joins that one instead).
 */
export async function serveHost(host: Host, factory: EngineFactory, gdb: GdbEndpoint | undefined, log: (m: string) => void,
  command?: string[]): Promise<Served | undefined> {
  const paths = hostPaths(host.pid, runtimeDir());
  privateDir(paths.dir);
  let ctlFd: number;
  for (let attempt = 0; ; attempt++) {
    try {
      ctlFd = listenUnix(paths.ctl);
      break;
    } catch (e) {
      if (!(e instanceof UtraceError && e.code === 'EADDRINUSE') || attempt > 0) throw e;
      if (await hostAlive(paths)) return undefined;
      fs.rmSync(paths.ctl, { force: true }); // a dead host's socket
    }
  }
  const sockets: LazyServer[] = [];
  try {
    fs.chmodSync(paths.ctl, 0o600);
    const target = processId(host.pid);
    const self = processId(process.pid)!;
    const info: HostInfo = { target: target ?? { pid: host.pid, start: 0 }, command: command ? command.join(' ') : commandLine(host.pid), host: self };
    fs.writeFileSync(paths.info + '.tmp', JSON.stringify(info) + '\n', { mode: 0o600 });
    fs.renameSync(paths.info + '.tmp', paths.info);
    sockets.push(lazyServer(ctlFd, log, () => {
      const ctl = netModule().createServer({ pauseOnConnect: true });
      ctl.on('connection', (s: net.Socket) => void onControl(host, s, info, factory, log));
      return ctl;
    }));
  } catch (e) {
    fs.closeSync(ctlFd);
    throw e;
  }
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const s of sockets) s.close();
    // Only what is still ours: another host may have claimed the pid since (pid reuse).
    if (readHostInfo(paths)?.host.pid === process.pid) {
      for (const f of [paths.ctl, paths.gdb, paths.info]) fs.rmSync(f, { force: true });
      try {
        fs.rmdirSync(paths.dir);
      } catch {
        /* not empty: someone else's now */
      }
    }
  };
  if (gdb) {
    try {
      fs.rmSync(paths.gdb, { force: true });
      const gdbFd = listenUnix(paths.gdb);
      sockets.push(lazyServer(gdbFd, log, () => netModule().createServer((s) => {
        const peer = peerOf(s);
        if (!peer) return void s.destroy();
        gdb(host, s, peer).catch((e) => {
          log(`utrace host: gdb connection: ${e instanceof Error ? e.message : String(e)}`);
          s.destroy();
        });
      })));
      fs.chmodSync(paths.gdb, 0o600);
    } catch (e) {
      close(); // no half host: the control socket and host.json go too
      throw e;
    }
  }
  void host.ended.then(close);
  return { paths, close };
}

interface LazyServer {
  close(): void;
}

/** A listening descriptor served by the net.Server `make` builds at its first connection. */
function lazyServer(fd: number, log: (m: string) => void, make: () => net.Server): LazyServer {
  let server: net.Server | undefined;
  let closed = false;
  const cancel = watchReadable(fd, () => {
    if (closed) return;
    try {
      server = make();
      server.on('error', (e) => log(`utrace host: ${e.message}`));
      server.listen({ fd });
    } catch (e) {
      log(`utrace host: cannot serve ${fd}: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  return {
    close() {
      if (closed) return;
      closed = true;
      if (server) server.close(); // closes fd
      else {
        cancel();
        fs.closeSync(fd);
      }
    },
  };
}

/** The peer of a unix socket if it may talk to us: our uid, or root. */
function peerOf(s: net.Socket): { pid: number; uid: number } | undefined {
  try {
    const p = socketPeer(socketFd(s));
    return p.uid === myUid() || p.uid === 0 ? { pid: p.pid, uid: p.uid } : undefined;
  } catch {
    return undefined;
  }
}

function send(s: net.Socket, r: Reply): void {
  if (!s.destroyed) s.write(JSON.stringify(r) + '\n');
}

/** The first line and the descriptors that came with it, read without the stream (it would
 * drop the descriptors); undefined if the client hung up or sent nothing in time. */
async function firstLine(s: net.Socket): Promise<{ line: string; fds: number[]; rest: string } | undefined> {
  const fd = socketFd(s);
  const buf = Buffer.alloc(64 * 1024);
  const fds: number[] = [];
  let text = '';
  const end = Date.now() + REQUEST_MS;
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    let r;
    try {
      r = receiveWithFds(fd, buf);
    } catch {
      break; // EMSGSIZE (too many descriptors) or a dead socket
    }
    if (r) {
      fds.push(...r.fds);
      if (r.bytes === 0) break;
      text += buf.subarray(0, r.bytes).toString('utf8');
      const nl = text.indexOf('\n');
      if (nl >= 0) return { line: text.slice(0, nl), fds, rest: text.slice(nl + 1) };
      if (text.length > buf.length) break;
      continue;
    }
    if (Date.now() > end) break;
    await new Promise((res) => setTimeout(res, wait));
  }
  for (const f of fds) closeQuietly(f);
  return undefined;
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    /* already closed */
  }
}

async function onControl(host: Host, s: net.Socket, info: HostInfo, factory: EngineFactory, log: (m: string) => void): Promise<void> {
  s.on('error', () => undefined);
  const peer = peerOf(s);
  if (!peer) {
    send(s, { ev: 'error', code: 'EPERM', message: 'refused: another user\'s host' });
    s.end();
    return;
  }
  const first = await firstLine(s);
  if (!first) return void s.destroy();
  let req: Request;
  try {
    req = parseRequest(first.line);
  } catch (e) {
    for (const f of first.fds) closeQuietly(f);
    send(s, { ev: 'error', code: 'EINVAL', message: `bad request: ${(e as Error).message}` });
    s.end();
    return;
  }
  if (req.op !== 'join') for (const f of first.fds) closeQuietly(f);
  switch (req.op) {
    case 'status':
      send(s, { ev: 'status', target: info.target, command: info.command, host: info.host, threads: host.threads().length, engines: host.status() });
      s.end();
      return;
    case 'stop':
      send(s, { ev: 'stopping' });
      s.end();
      await host.stop();
      return;
    case 'leave':
      s.end();
      return;
    case 'join':
      return join(host, s, req, first.fds, first.rest, factory);
  }
}

async function join(host: Host, s: net.Socket, req: JoinRequest, fdList: number[], rest: string, factory: EngineFactory): Promise<void> {
  const fds = new Map<string, number>();
  req.fds.forEach((role, i) => {
    if (fdList[i] !== undefined) fds.set(role, fdList[i]!);
  });
  for (let i = req.fds.length; i < fdList.length; i++) closeQuietly(fdList[i]!);
  const closeAll = (): void => {
    for (const f of new Set(fds.values())) closeQuietly(f);
  };
  const fail = (code: string, message: string, hint?: string): void => {
    closeAll();
    send(s, { ev: 'error', code, message, ...(hint ? { hint } : {}) });
    s.end();
  };
  if (!sameProcess(req.target) || req.target.pid !== host.pid) return fail('ESRCH', `process ${req.target.pid} is not the one this host traces`);
  // The proof: /proc/PID/mem, which the kernel lets a process open only if it may ptrace PID.
  const mem = fds.get('mem');
  let memOk = false;
  try {
    memOk = mem !== undefined && fs.readlinkSync(`/proc/self/fd/${mem}`) === `/proc/${host.pid}/mem`;
  } catch {
    memOk = false;
  }
  if (!memOk) return fail('EPERM', `attach ${host.pid}: no proof of ptrace rights (/proc/${host.pid}/mem)`);
  closeQuietly(mem!);
  fds.delete('mem');
  const io = servedIo(req.cwd, fds);
  let engines: RunEngine[];
  let member: Member;
  try {
    engines = await factory(host, req.engines, io, fds);
    member = await host.join({ pid: req.client.pid, argv: req.client.argv }, engines, (st) => {
      send(s, { ev: 'exit', status: st });
      s.end();
    });
  } catch (e) {
    const err = e as Error & { code?: string; hint?: string };
    return fail(err instanceof UtraceError || typeof err.code === 'string' ? String(err.code) : 'EINVAL', err.message, err.hint);
  }
  send(s, { ev: 'joined', engines: engines.map((e) => e.name) });
  let leaving = false;
  const leave = (): void => {
    if (leaving) return;
    leaving = true;
    void host.leave(member).then(() => {
      closeAll();
      send(s, { ev: 'left' });
      s.end();
    });
  };
  // The member's engines all left on their own (gdb hung up): tell the command, once.
  void member.gone.then((st) => {
    if (st === undefined && !leaving) {
      leaving = true;
      closeAll();
      send(s, { ev: 'left' });
      s.end();
    } else if (st !== undefined) closeAll();
  });
  const lines = new LineReader();
  const onLines = (text: string): void => {
    let ls: string[];
    try {
      ls = lines.push(text);
    } catch {
      return leave(); // garbage: drop the client (its engines with it)
    }
    for (const l of ls) {
      let r: Request;
      try {
        r = parseRequest(l);
      } catch {
        return leave();
      }
      if (r.op === 'leave') return leave();
    }
  };
  if (rest) onLines(rest);
  s.on('data', (b: Buffer) => onLines(b.toString('utf8')));
  // A command that exits, is killed or hangs up leaves as if it had said so.
  s.on('close', leave);
  s.on('end', leave);
  s.resume();
}
