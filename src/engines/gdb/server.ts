/**
 * Transports for the RSP server: TCP, unix socket and stdio, each turned into an ITransport
 * for RspConnection, plus the accept loop with gdbserver's connection rules (one client at a
 * time; --once exits after the first; --multi keeps serving between clients).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { socketPeer } from '../../index.js';
import { RspConnection, type ITransport } from './protocol/index.js';
import type { GdbSession } from './session.js';

/** net.Socket as an ITransport. Node queues partial writes in order. */
export class SocketTransport implements ITransport {
  constructor(private readonly sock: net.Socket) {
    sock.setNoDelay?.(true);
    sock.on('error', () => sock.destroy());
  }
  write(data: Buffer): void {
    if (!this.sock.destroyed) this.sock.write(data);
  }
  onData(cb: (b: Buffer) => void): void {
    this.sock.on('data', cb);
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
export class StdioTransport implements ITransport {
  private closed = false;
  private closeCbs: (() => void)[] = [];
  constructor() {
    process.stdin.on('end', () => this.fireClose());
    process.stdin.on('error', () => this.fireClose());
    process.stdout.on('error', () => this.fireClose());
  }
  write(data: Buffer): void {
    if (!this.closed) process.stdout.write(data);
  }
  onData(cb: (b: Buffer) => void): void {
    process.stdin.on('data', cb);
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
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'unix'; path: string }
  | { kind: 'stdio' };

/** Parse `HOST:PORT`, `:PORT`, `PORT`, `unix:PATH`, `stdio` or `-`. Throws with a clear message. */
export function parseListenAddress(text: string): ListenAddress {
  if (text === 'stdio' || text === '-') return { kind: 'stdio' };
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    if (!path) throw new Error(`bad address '${text}': unix:PATH needs a path`);
    return { kind: 'unix', path };
  }
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  if (!m) throw new Error(`bad address '${text}': expected HOST:PORT, :PORT, unix:PATH or stdio`);
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port in '${text}'`);
  const host = m[1] ?? m[2] ?? '';
  return { kind: 'tcp', host: host === '' ? '127.0.0.1' : host, port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export interface ServeOptions {
  session: GdbSession;
  log: (m: string) => void;
  once: boolean;
  /** Log every packet to stderr (--remote-debug). */
  trace?: boolean;
}

/** Run one RSP connection over a transport until it closes. */
export function runConnection(transport: ITransport, opts: ServeOptions): Promise<void> {
  return new Promise((resolve) => {
    const { session } = opts;
    const conn = new RspConnection(transport, session.handle, {
      onInterrupt: () => session.interrupt(),
      onError: (err) => opts.log(`rsp: ${err.message}`),
      onWarning: (m) => opts.log(`rsp: ${m}`),
      onClose: () => resolve(),
      maxPacketSize: 0x10000,
      trace: opts.trace ? (dir, b) => opts.log(`${dir === 'recv' ? 'getpkt' : 'putpkt'} ${JSON.stringify(b.toString('latin1').slice(0, 300))}`) : undefined,
    });
    session.attachConnection(conn);
  });
}

/** Listen on TCP or a unix socket; serve one client at a time. Resolves when done serving. */
export async function listenAndServe(addr: Exclude<ListenAddress, { kind: 'stdio' }>, opts: ServeOptions & {
  /** Keep listening after a client leaves (--multi without --once). */
  keepServing: () => boolean;
  stopSignal: Promise<void>;
}): Promise<void> {
  const server = net.createServer({ pauseOnConnect: true });
  let busy = false;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  if (addr.kind === 'unix') {
    try {
      if (fs.statSync(addr.path).isSocket()) fs.unlinkSync(addr.path); // a stale socket of ours
    } catch {
      /* not there */
    }
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const onListening = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (addr.kind === 'tcp') server.listen({ host: addr.host, port: addr.port, exclusive: true }, onListening);
    else {
      const old = process.umask(0o177); // the socket is created mode 0600
      server.listen(addr.path, () => {
        process.umask(old);
        onListening();
      });
    }
  });
  if (addr.kind === 'tcp') {
    const a = server.address() as net.AddressInfo;
    opts.log(`Listening on port ${a.port}`);
  } else {
    fs.chmodSync(addr.path, 0o600);
    opts.log(`Listening on ${addr.path}`);
  }
  const cleanup = (): void => {
    server.close();
    if (addr.kind === 'unix') {
      try {
        fs.unlinkSync(addr.path);
      } catch {
        /* gone */
      }
    }
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
      await opts.session.disconnect();
      busy = false;
      if (!opts.once && opts.keepServing()) {
        opts.log('Remote side has terminated connection.  GDBserver will reopen the connection.');
        return;
      }
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
