/**
 * Transports for the RSP server: TCP, unix socket and stdio, each turned into a Transport
 * for RspConnection, plus the accept loop with gdbserver's connection rules (one client at a
 * time; --once exits after the first; --multi keeps serving between clients).
 */
import * as dns from 'node:dns/promises';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { socketPeer } from '../../api.js';
import { RspConnection, withoutStopParts, type HotReader, type Transport } from './protocol/index.js';
import type { GdbSession } from './session.js';

/**
 * Write a reply with one write(2) on the stream's descriptor when nothing is queued in the
 * stream, else (or for what a full socket buffer left over) through the stream, which keeps
 * the order. The direct write leaves no stream bookkeeping to run after the reply is out:
 * gdb, woken by the reply, often waits for our CPU until we go idle.
 */
function writeDirect(stream: net.Socket, fd: number | undefined, data: Buffer): void {
  if (fd !== undefined && fd >= 0 && stream.writableLength === 0) {
    try {
      const n = fs.writeSync(fd, data);
      if (n === data.length) return;
      data = data.subarray(n);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') {
        stream.destroy();
        return;
      }
    }
  }
  stream.write(data);
}

function streamFd(stream: net.Socket): number | undefined {
  const fd = (stream as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * The stream's 'data' events, and after each one the hot reader (when one is set) reading the
 * descriptor on directly: bytes come in order either way, since the stream buffers nothing
 * while it flows and libuv reads again only after the event.
 */
export class HotInput {
  private reader: HotReader | undefined;
  private buf: Buffer | undefined;
  constructor(private readonly stream: net.Socket, private readonly fd: number | undefined) {}
  use(reader: HotReader): void {
    if (this.fd !== undefined) this.reader = reader;
  }
  on(cb: (b: Buffer) => void): void {
    this.stream.on('data', (b: Buffer) => {
      cb(b);
      const reader = this.reader;
      if (!reader || this.stream.destroyed || this.stream.isPaused()) return;
      const buf = (this.buf ??= Buffer.allocUnsafeSlow(64 * 1024));
      // destroyed too: the reader may go on after a turn of the event loop (Tracer.readWhileHeld),
      // when a closed descriptor's number may belong to another socket already.
      reader(this.fd!, buf, (n) => cb(buf.subarray(0, n)), () => !this.stream.destroyed && !this.stream.isPaused());
    });
  }
}

/** Above this many bytes of replies waiting for the peer to read them, we stop reading its
 * packets until they drain: a client that floods without reading is slowed, not dropped. */
const OUTPUT_HIGH_WATER = 1 << 20;

/**
 * Flow control of one input stream: paused while the connection's packet queue is full
 * (RspConnection calls pause/resume) or while our replies pile up unread (checked after each
 * write); the kernel's socket or pipe buffer then fills and slows the sender. Memory stays
 * bounded: at most the queue, one read's worth of packets, and the replies to those.
 */
class InputGate {
  private reasons = 0;
  constructor(private readonly input: net.Socket, private readonly output: net.Socket) {}
  set(reason: 1 | 2, on: boolean): void {
    const was = this.reasons;
    this.reasons = on ? was | reason : was & ~reason;
    if (!was && this.reasons) this.input.pause();
    else if (was && !this.reasons && !this.input.destroyed) this.input.resume();
  }
  /** After a write: pause while replies wait unread, until the stream drains them. */
  checkOutput(): void {
    if (this.reasons & 2 || this.output.writableLength <= OUTPUT_HIGH_WATER) return;
    this.set(2, true);
    this.output.once('drain', () => this.set(2, false));
  }
}

/** net.Socket as a Transport. Node queues partial writes in order. */
export class SocketTransport implements Transport {
  private readonly fd: number | undefined;
  private readonly input: HotInput;
  private readonly gate: InputGate;
  constructor(private readonly sock: net.Socket) {
    sock.setNoDelay?.(true);
    sock.on('error', () => sock.destroy());
    this.fd = streamFd(sock);
    this.input = new HotInput(sock, this.fd);
    this.gate = new InputGate(sock, sock);
  }
  write(data: Buffer): void {
    if (this.sock.destroyed) return;
    writeDirect(this.sock, this.fd, data);
    this.gate.checkOutput();
  }
  onData(cb: (b: Buffer) => void): void {
    this.input.on(cb);
  }
  useHotReader(reader: HotReader): void {
    this.input.use(reader);
  }
  pause(): void {
    this.gate.set(1, true);
  }
  resume(): void {
    this.gate.set(1, false);
  }
  onClose(cb: () => void): void {
    this.sock.on('close', cb);
  }
  close(): void {
    this.sock.end();
    setTimeout(() => this.sock.destroy(), 200).unref();
  }
}

/** fd 0 / fd 1 (`target remote | utrace gdbserver stdio …`): protocol only on these. */
export class StdioTransport implements Transport {
  private closed = false;
  private closeCbs: (() => void)[] = [];
  private readonly input: HotInput;
  private readonly out: net.Socket;
  /** 1 when stdout is a pipe or socket (gdb's `target remote | …`), written directly; a file
   * or tty stdout writes synchronously through the stream anyway. */
  private readonly outFd: number | undefined;
  private readonly gate: InputGate;
  constructor() {
    const stdin = process.stdin as unknown as net.Socket;
    // A pipe or socket (gdb's `target remote | …`) only: a file or tty stdin is left to the stream.
    this.input = new HotInput(stdin, streamFd(stdin));
    this.out = process.stdout as unknown as net.Socket;
    this.outFd = typeof this.out.writableLength === 'number' && streamFd(this.out) !== undefined ? 1 : undefined;
    this.gate = new InputGate(stdin, this.out);
    process.stdin.on('end', () => this.fireClose());
    process.stdin.on('error', () => this.fireClose());
    this.out.on('error', () => this.fireClose());
  }
  write(data: Buffer): void {
    if (this.closed) return;
    writeDirect(this.out, this.outFd, data);
    if (typeof this.out.writableLength === 'number') this.gate.checkOutput();
  }
  onData(cb: (b: Buffer) => void): void {
    this.input.on(cb);
  }
  useHotReader(reader: HotReader): void {
    this.input.use(reader);
  }
  pause(): void {
    this.gate.set(1, true);
  }
  resume(): void {
    if (!this.closed) this.gate.set(1, false);
  }
  onClose(cb: () => void): void {
    this.closeCbs.push(cb);
  }
  close(): void {
    this.fireClose();
  }
  private fireClose(): void {
    if (this.closed) return;
    this.closed = true;
    process.stdin.pause();
    for (const cb of this.closeCbs) cb();
  }
}

export type ListenAddress =
  | { kind: 'tcp'; host: string; port: number; family?: 4 | 6 }
  | { kind: 'unix'; path: string }
  | { kind: 'stdio' };

/**
 * Parse `[tcp:|tcp4:|tcp6:]HOST:PORT` (HOST may be `[IPV6]`), `:PORT`, `PORT`, `unix:PATH`,
 * `stdio` or `-`. Throws with a clear message; a word before a HOST:PORT that is not one of
 * those protocols is refused by name.
 */
export function parseListenAddress(text: string): ListenAddress {
  if (text === 'stdio' || text === '-') return { kind: 'stdio' };
  if (text.startsWith('unix:')) {
    const p = text.slice(5);
    if (!p) throw new Error(`bad address '${text}': unix:PATH needs a path`);
    return { kind: 'unix', path: p };
  }
  let rest = text;
  let family: 4 | 6 | undefined;
  const proto = /^(tcp|tcp4|tcp6):/.exec(text);
  if (proto) {
    rest = text.slice(proto[0].length);
    family = proto[1] === 'tcp4' ? 4 : proto[1] === 'tcp6' ? 6 : undefined;
  } else {
    // PROTO:HOST:PORT with an unknown PROTO (HOST:PORT alone has one colon, or brackets).
    const other = /^([A-Za-z][\w.+-]*):(?:\[[^\]]*\]|[^:[\]]*):\d+$/.exec(text);
    if (other) throw new Error(`bad address '${text}': unknown protocol '${other[1]}:' (expected tcp:, tcp4:, tcp6:, unix:, or none)`);
  }
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(rest) ?? /^()()(\d+)$/.exec(rest);
  if (!m) throw new Error(`bad address '${text}': expected HOST:PORT, [IPV6]:PORT, :PORT, tcp6:…, unix:PATH or stdio`);
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port in '${text}'`);
  const host = m[1] ?? m[2] ?? '';
  if (m[1] !== undefined && m[1] !== '' && net.isIP(m[1]) !== 6) throw new Error(`bad address '${text}': '[${m[1]}]' is not an IPv6 address`);
  if (family === 4 && net.isIP(host) === 6) throw new Error(`bad address '${text}': tcp4: with an IPv6 address`);
  if (family === 6 && net.isIP(host) === 4) throw new Error(`bad address '${text}': tcp6: with an IPv4 address`);
  // No host: the loopback address of the family (the whole network only when named).
  const dflt = family === 6 ? '::1' : '127.0.0.1';
  return { kind: 'tcp', host: host === '' ? dflt : host, port, ...(family ? { family } : {}) };
}

/**
 * Check that a TCP address's host name resolves (before a program is started for it), with
 * gdbserver's words when it does not: `HOST:PORT: cannot resolve name: …`.
 */
export async function checkListenAddress(addr: ListenAddress, text: string): Promise<void> {
  if (addr.kind !== 'tcp' || net.isIP(addr.host)) return;
  try {
    await dns.lookup(addr.host, addr.family ? { family: addr.family } : {});
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOTFOUND' ? 'Name or service not known' : code === 'EAI_AGAIN' ? 'Temporary failure in name resolution' : String(code ?? e);
    throw new Error(`${text}: cannot resolve name: ${why}`);
  }
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export interface ServeOptions {
  session: GdbSession;
  log: (m: string) => void;
  once: boolean;
  /** Log every packet to stderr (--remote-debug, `monitor set remote-debug`): asked per packet. */
  trace?: () => boolean;
}

/** Run one RSP connection over a transport until it closes. */
export function runConnection(transport: Transport, opts: ServeOptions): Promise<void> {
  return new Promise((resolve) => {
    const { session } = opts;
    const conn = new RspConnection(transport, session.handle, {
      onInterrupt: () => session.interrupt(),
      onError: (err) => opts.log(`rsp: ${err.message}`),
      onWarning: (m) => opts.log(`rsp: ${m}`),
      onClose: () => resolve(),
      maxPacketSize: 0x10000,
      // As gdbserver: runs of zeros in `m` and `g` hex and in binary vFile/qXfer data shrink.
      rle: true,
      trace: opts.trace ? (dir, b) => {
        if (opts.trace!()) session.debugLog(`[remote] ${dir === 'recv' ? 'getpkt' : 'putpkt'} (${JSON.stringify(b.toString('latin1').slice(0, 300))})`);
      } : undefined,
    });
    const off = session.opts.disabledPackets;
    if (off?.has('T') || off?.has('Tthread')) {
      // --disable-packet=T / Tthread: every stop reply goes out through this connection.
      const parts = { T: off.has('T'), Tthread: off.has('Tthread') };
      const send = conn.send.bind(conn);
      const notify = conn.sendNotification.bind(conn);
      conn.send = (p) => send(typeof p === 'string' ? withoutStopParts(p, parts) : p);
      conn.sendNotification = (name, p) => notify(name, typeof p === 'string' ? withoutStopParts(p, parts) : p);
    }
    session.attachConnection(conn);
    // Reading on is worth it only while gdb can send: not while a reply waits on a promise
    // (all threads stopping, a file read), which the event loop must settle first.
    // Nor while reading is paused (a flooding client: its packets are handled first).
    transport.useHotReader?.((fd, buf, onRead, more) =>
      session.tracer.readWhileHeld(fd, buf, onRead, () => !conn.busy && !conn.readingPaused && (more?.() ?? true)));
  });
}

/** Listen on TCP or a unix socket; serve one client at a time. Resolves when done serving. */
export async function listenAndServe(addr: Exclude<ListenAddress, { kind: 'stdio' }>, opts: ServeOptions & {
  /** Keep listening after a client leaves (not --once; --multi, or a process is left). */
  keepServing: () => boolean;
  stopSignal: Promise<void>;
}): Promise<void> {
  const server = net.createServer({ pauseOnConnect: true });
  let busy = false;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const unix = addr.kind === 'unix' ? prepareUnixSocket(addr.path) : undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const onListening = (): void => {
        server.off('error', reject);
        resolve();
      };
      if (addr.kind === 'tcp') server.listen({ host: addr.host, port: addr.port, exclusive: true }, onListening);
      else {
        // The socket is created mode 0600. bind(2) runs inside listen(), so the umask is
        // ours only for that call, also when it fails.
        const old = process.umask(0o177);
        try {
          server.listen(unix!.bindPath, onListening);
        } finally {
          process.umask(old);
        }
      }
    });
    if (unix) {
      fs.chmodSync(unix.bindPath, 0o600);
      if (unix.linkPath) fs.symlinkSync(unix.bindPath, unix.linkPath);
    }
  } catch (e) {
    server.close();
    if (unix) removeUnixSocket(unix);
    throw e;
  }
  const listeningOn = (): void => {
    if (addr.kind === 'tcp') opts.log(`Listening on port ${(server.address() as net.AddressInfo).port}`);
    else opts.log(`Listening on ${addr.path}`);
  };
  if (addr.kind === 'tcp') {
    listeningOn();
  } else if (unix!.linkPath) {
    opts.log(`Listening on ${addr.path} (a link to ${unix!.bindPath}: ${path.dirname(unix!.linkPath)} is not a private directory)`);
  } else {
    opts.log(`Listening on ${addr.path}`);
  }
  const cleanup = (): void => {
    server.close();
    if (unix) removeUnixSocket(unix);
  };
  void opts.stopSignal.then(() => {
    cleanup();
    done();
  });
  server.on('connection', (sock) => {
    if (addr.kind === 'unix' && !peerIsUs(sock)) {
      // The socket is 0600, but its mode can be changed or the path be somewhere shared: the
      // kernel's word on who connected decides.
      opts.log('A client of another user tried to connect to the unix socket; refused');
      sock.destroy();
      return;
    }
    if (busy) {
      // gdbserver serves one client; a second one is refused.
      opts.log('Another client tried to connect while one is connected; refused');
      sock.destroy();
      return;
    }
    busy = true;
    if (addr.kind === 'tcp') opts.log(`Remote debugging from host ${sock.remoteAddress}, port ${sock.remotePort}`);
    const transport = new SocketTransport(sock);
    void runConnection(transport, opts).then(async () => {
      if (!opts.once && opts.keepServing()) {
        // As gdbserver: the processes stay, stopped, for the next gdb.
        await opts.session.park();
        busy = false;
        opts.log('Remote side has terminated connection.  GDBserver will reopen the connection.');
        listeningOn();
        return;
      }
      await opts.session.disconnect();
      busy = false;
      cleanup();
      done();
    });
    sock.resume();
  });
  await finished;
}

/** Is the peer of a unix-socket connection our own user (or root)? Unknown counts as no. */
function peerIsUs(sock: net.Socket): boolean {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return false;
  try {
    const { uid } = socketPeer(fd);
    return uid === process.getuid!() || uid === 0;
  } catch {
    return false;
  }
}

/**
 * Where a unix socket for `unix:PATH` is bound. The socket is always mode 0600 inside a
 * directory that only we can enter (owner = our euid, mode 0700 or stricter):
 * - PATH's directory is such a directory: the socket is PATH itself;
 * - otherwise (/tmp, a home directory of mode 0755, …): a fresh private directory is made
 *   next to PATH (`.utrace-gdb-XXXXXX`, mode 0700), the socket is bound in it, and PATH is a
 *   symlink to it, so `target remote PATH` works unchanged (gdb and connect(2) follow links).
 * The socket's mode is a second lock, SO_PEERCRED (peerIsUs) a third.
 */
export interface UnixEndpoint {
  /** Where the socket is bound. */
  bindPath: string;
  /** The user's path, a symlink to bindPath (only when a private directory was made). */
  linkPath?: string;
  /** The private directory we made (removed on exit). */
  privateDir?: string;
}

const PRIVATE_DIR_PREFIX = '.utrace-gdb-';

/** Is dir a directory only our euid can enter or change? */
function isPrivateDir(dir: string): boolean {
  try {
    const st = fs.statSync(dir);
    return st.isDirectory() && st.uid === process.geteuid!() && (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** Is a socket bound at p listening? Read from /proc/net/unix, not by connecting: a probe
 * connection would be the one client a gdbserver without --multi serves. */
function listening(p: string): boolean {
  try {
    for (const line of fs.readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
      // Num RefCount Protocol Flags Type St Inode Path; Flags 00010000 = __SO_ACCEPTCON
      const f = line.trim().split(/\s+/);
      if (f.length >= 8 && f.slice(7).join(' ') === p && (parseInt(f[3]!, 16) & 0x10000) !== 0) return true;
    }
    return false;
  } catch {
    return true; // cannot tell: do not remove it
  }
}

/** Remove what a killed server of ours left at p (a socket, or our link and its private
 * directory); refuse anything else, and a live server. */
function clearStale(p: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return; // nothing there
  }
  const inUse = (): Error =>
    Object.assign(new Error(`${p}: another server is listening there`), { code: 'EADDRINUSE' });
  if (st.uid === process.geteuid!() && st.isSocket()) {
    if (listening(p)) throw inUse();
    fs.unlinkSync(p);
    return;
  }
  if (st.uid === process.geteuid!() && st.isSymbolicLink()) {
    const target = fs.readlinkSync(p);
    const dir = path.dirname(target);
    if (path.basename(dir).startsWith(PRIVATE_DIR_PREFIX) && path.dirname(dir) === path.dirname(path.resolve(p))) {
      if (listening(target)) throw inUse();
      fs.unlinkSync(p);
      if (isPrivateDir(dir)) fs.rmSync(dir, { recursive: true, force: true });
      return;
    }
  }
  throw Object.assign(new Error(`${p} exists and is not a stale socket of ours; remove it or choose another path`), { code: 'EEXIST' });
}

/** Decide where unix:PATH is bound (see UnixEndpoint) and clear a stale socket left at PATH. */
export function prepareUnixSocket(userPath: string): UnixEndpoint {
  const p = path.resolve(userPath);
  clearStale(p);
  const parent = path.dirname(p);
  if (isPrivateDir(parent)) return { bindPath: p };
  const dir = fs.mkdtempSync(path.join(parent, PRIVATE_DIR_PREFIX)); // mode 0700, a fresh name
  fs.chmodSync(dir, 0o700);
  return { bindPath: path.join(dir, path.basename(p)), linkPath: p, privateDir: dir };
}

/** Remove the socket, our link (if it still points to it) and our private directory. */
export function removeUnixSocket(u: UnixEndpoint): void {
  const quiet = (f: () => void): void => {
    try {
      f();
    } catch {
      /* gone already */
    }
  };
  if (u.linkPath) {
    quiet(() => {
      if (fs.readlinkSync(u.linkPath!) === u.bindPath) fs.unlinkSync(u.linkPath!);
    });
  }
  quiet(() => fs.unlinkSync(u.bindPath));
  if (u.privateDir) quiet(() => fs.rmdirSync(u.privateDir!));
}
