/**
 * What a host builds for the commands that join it: their engines from the specs they sent,
 * with the descriptors they handed over (cli/engines.ts, the same factory `utrace run` uses),
 * and a gdb engine for each connection to the per-process endpoint RUNTIME/PID/gdb or for a
 * joining `gdbserver --attach`, whose connected descriptor it received.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { GdbSession } from '../../engines/gdb/session.js';
import { HotInput, SocketTransport, runConnection } from '../../engines/gdb/server.js';
import type { HotReader, Transport } from '../../engines/gdb/protocol/transport.js';
import type { RunEngine } from '../../engines/run.js';
import { say, type CommandIo } from '../io.js';
import type { Host, Member } from './host.js';
import type { EngineSpec } from './protocol.js';
import { commandLine } from './runtime.js';

/**
 * gdb's first packet, sent before the host took the connection over, may be there several
 * times: gdb sends it again when no ack came within its timeout (2 s), and a host that starts
 * while the machine is busy can take that long. Answered twice, the second answer would be
 * read as the reply to gdb's next packet. Identical packets in a row at the very start are
 * one packet, acked once per copy.
 */
export function collapseRetransmits(first: Buffer): Buffer {
  const text = first.toString('latin1');
  const m = /^(\+*)(\$[^#]*#[0-9a-fA-F]{2})((?:\+?\2)+)/.exec(text);
  if (!m) return first;
  return Buffer.from(m[1]! + m[2]! + text.slice(m[0].length), 'latin1');
}

/** A transport whose first chunk of input goes through collapseRetransmits. */
class FirstChunkFilter implements Transport {
  constructor(private readonly inner: Transport) {}
  write(data: Buffer): void {
    this.inner.write(data);
  }
  onData(cb: (b: Buffer) => void): void {
    let first = true;
    this.inner.onData((b) => {
      cb(first ? collapseRetransmits(b) : b);
      first = false;
    });
  }
  onClose(cb: () => void): void {
    this.inner.onClose(cb);
  }
  close(): void {
    this.inner.close();
  }
  useHotReader(reader: HotReader): void {
    this.inner.useHotReader?.(reader); // reads after the first chunk: nothing to filter
  }
  pause(): void {
    this.inner.pause?.();
  }
  resume(): void {
    this.inner.resume?.();
  }
}

/**
 * gdb on two descriptors handed over by `utrace gdbserver stdio --attach` (its stdin and
 * stdout: gdb's `target remote | ...` pipes). Writes go straight to the descriptor (gdb's
 * replies are small); reads come through the stream, then the hot reader.
 */
class FdPairTransport implements Transport {
  private readonly input: net.Socket;
  /** gdb's next packet read on at once after each chunk, as on a socket (server.ts). */
  private readonly hot: HotInput;
  private readonly outFd: number;
  private closed = false;
  private readonly closeCbs: (() => void)[] = [];
  constructor(inFd: number, outFd: number) {
    this.input = new net.Socket({ fd: inFd, readable: true, writable: false });
    this.hot = new HotInput(this.input, inFd);
    this.outFd = outFd;
    this.input.on('end', () => this.fire());
    this.input.on('error', () => this.fire());
  }
  write(data: Buffer): void {
    if (this.closed) return;
    try {
      for (let off = 0; off < data.length; ) off += fs.writeSync(this.outFd, data, off);
    } catch {
      this.fire(); // EPIPE: gdb is gone
    }
  }
  onData(cb: (b: Buffer) => void): void {
    this.hot.on(cb);
  }
  useHotReader(reader: HotReader): void {
    this.hot.use(reader);
  }
  pause(): void {
    this.input.pause();
  }
  resume(): void {
    if (!this.closed) this.input.resume();
  }
  onClose(cb: () => void): void {
    this.closeCbs.push(cb);
  }
  close(): void {
    this.fire();
  }
  private fire(): void {
    if (this.closed) return;
    this.closed = true;
    this.input.destroy();
    try {
      fs.closeSync(this.outFd);
    } catch {
      /* closed */
    }
    for (const cb of this.closeCbs) cb();
  }
}

/** A gdb session on the host's process over one connection: attached to the threads when it
 * joins, served until gdb hangs up or detaches; then only its own engines leave. */
export function gdbConnectionEngine(host: Host, conn: net.Socket | Transport, log: (m: string) => void): RunEngine {
  const transport = new FirstChunkFilter(conn instanceof net.Socket ? new SocketTransport(conn) : conn);
  // The host's stdout is nobody's: dprintf-style agent output goes to the log.
  const session = new GdbSession({ tracer: host.tracer, extended: false, log, printfOutput: (t) => log(t.toString().replace(/\n$/, '')) });
  let ready: Promise<unknown> = Promise.resolve();
  let ended = false;
  const leave = async (): Promise<void> => {
    if (ended) return;
    ended = true;
    session.closeConnection();
    await session.releaseAll();
  };
  return {
    name: 'gdb',
    attach(tasks) {
      ready = session.adoptAttached(tasks);
      ready.catch(() => undefined);
    },
    async run() {
      await ready;
      await runConnection(transport, { session, log, once: true });
      await session.disconnect();
      ended = true;
    },
    detach: leave,
    async finish() {
      // The process is gone: let gdb read its exit reply, then hang up.
      if (!ended && session.connected) await new Promise((r) => setTimeout(r, 200).unref());
      await leave();
      transport.close();
    },
    owns: (e) => e.ops === (session as unknown as { ops: unknown }).ops,
  };
}

/** A joining command's engines (cli/engines.ts), a 'gdb' spec served on the descriptor it
 * handed over as 'gdb'. */
export async function buildHostedEngines(host: Host, specs: EngineSpec[], io: CommandIo, fds: Map<string, number>): Promise<RunEngine[]> {
  const cleanups: (() => void)[] = [];
  // Loaded when a command joins: every engine's code (a gdb-only host starts without it).
  const { buildEngines } = await import('../engines.js');
  return buildEngines(specs, {
    tracer: host.tracer,
    io,
    cleanups,
    gdb: () => {
      const log = (m: string): void => say(io, m);
      // The transport owns the descriptors now.
      const fd = fds.get('gdb');
      const inFd = fds.get('gdb-in');
      const outFd = fds.get('gdb-out');
      for (const r of ['gdb', 'gdb-in', 'gdb-out']) fds.delete(r);
      if (fd !== undefined) return gdbConnectionEngine(host, new net.Socket({ fd, readable: true, writable: true }), log);
      if (inFd !== undefined && outFd !== undefined) return gdbConnectionEngine(host, new FdPairTransport(inFd, outFd), log);
      throw new Error('gdb: no connection was handed over');
    },
  });
}

/** A connection to RUNTIME/PID/gdb: a new member with one gdb engine, owned by the peer. */
export async function serveGdbEndpoint(host: Host, socket: net.Socket, peer: { pid: number }): Promise<Member | undefined> {
  const log = (m: string): void => void process.stderr.write(m + '\n');
  const argv = commandLine(peer.pid).split(' ').filter(Boolean);
  return host.join({ pid: peer.pid, argv: argv.length ? argv : ['gdb'] }, [gdbConnectionEngine(host, socket, log)]);
}
