// The byte-stream seam under the RSP server (TCP, unix socket, stdio, or in
// memory for tests) and RspConnection, which owns everything between bytes and
// complete packets: acks and no-ack mode, NAK/resend, interrupts, and strictly
// ordered one-at-a-time dispatch (gdb manual, "Remote Protocol": "Overview",
// "Interrupts", "Packet Acknowledgment").

import {
  DEFAULT_MAX_PACKET_SIZE,
  PacketReader,
  encodeNotification,
  encodePacket,
  type RspToken,
} from './packet.js';

/** Reads a descriptor synchronously while its peer keeps talking (Tracer.readWhileHeld):
 * each read's n bytes are in buf when onRead is called; reading stops once more() is false
 * (the transport paused its input). */
export type HotReader = (fd: number, buf: Uint8Array, onRead: (n: number) => void, more?: () => boolean) => void;

/** A reliable, ordered byte stream. write() must keep order even if the OS accepts it partially. */
export interface Transport {
  write(data: Buffer): void;
  onData(cb: (b: Buffer) => void): void;
  onClose(cb: () => void): void;
  close(): void;
  /** After each chunk the event loop delivers, read on synchronously with this (transports
   * over a descriptor): gdb's next packet then costs no turn of the event loop. */
  useHotReader?(reader: HotReader): void;
  /** Stop delivering data until resume() (flow control: the peer is then slowed by the
   * kernel's socket or pipe buffer filling up). Without these a flooding peer is dropped. */
  pause?(): void;
  resume?(): void;
}

/**
 * One end of an in-memory byte pipe. Delivery is asynchronous (a microtask per
 * write) like a real socket, and data written before the peer registers
 * onData is held, not lost.
 */
export class InMemoryTransport implements Transport {
  /** Everything this end wrote, in order (for assertions). */
  readonly written: Buffer[] = [];
  private _peer: InMemoryTransport | undefined;
  private readonly _dataCbs: Array<(b: Buffer) => void> = [];
  private readonly _closeCbs: Array<() => void> = [];
  private _held: Buffer[] = [];
  private _closed = false;

  static pair(): [InMemoryTransport, InMemoryTransport] {
    const a = new InMemoryTransport();
    const b = new InMemoryTransport();
    a._peer = b;
    b._peer = a;
    return [a, b];
  }

  get closed(): boolean {
    return this._closed;
  }

  /** All bytes written by this end, concatenated. */
  writtenBytes(): Buffer {
    return Buffer.concat(this.written);
  }

  write(data: Buffer): void {
    if (this._closed) return;
    const copy = Buffer.from(data);
    this.written.push(copy);
    const peer = this._peer;
    if (peer) queueMicrotask(() => peer._deliver(copy));
  }

  onData(cb: (b: Buffer) => void): void {
    this._dataCbs.push(cb);
    if (this._held.length > 0) {
      const held = this._held;
      this._held = [];
      queueMicrotask(() => {
        for (const b of held) this._deliver(b);
      });
    }
  }

  onClose(cb: () => void): void {
    this._closeCbs.push(cb);
  }

  close(): void {
    if (this._closed) return;
    this._closed = true;
    const peer = this._peer;
    // Closing after pending writes lets those writes arrive first, as with a socket.
    queueMicrotask(() => {
      for (const cb of this._closeCbs) cb();
      peer?.close();
    });
  }

  private _deliver(b: Buffer): void {
    if (this._closed) return;
    if (this._dataCbs.length === 0) {
      this._held.push(b);
      return;
    }
    for (const cb of this._dataCbs) cb(b);
  }
}

/** A handler's answer "the reply comes later": the connection's turn ends at conn.complete(),
 * synchronously (a stop reply sent from inside a tracer callback lets the next packet be
 * handled at once, without a promise turn). */
export const DEFERRED: unique symbol = Symbol('rsp.deferred');

/** Handles one complete packet (payload unescaped once). Replies go through conn.send(). */
export type PacketHandler = (packet: Buffer, conn: RspConnection) => void | Promise<void> | typeof DEFERRED;

export interface RspConnectionOptions {
  /** 0x03 from gdb. Called synchronously, also while a handler (a vCont waiting for a stop) is pending. */
  onInterrupt?: () => void;
  /** A handler threw or rejected, or the connection had to give up (e.g. queue overflow). */
  onError?: (err: Error, packet: Buffer | undefined) => void;
  /** Protocol noise worth logging: bad checksums, dropped packets, unexpected naks. */
  onWarning?: (message: string) => void;
  /** The transport closed (either side). */
  onClose?: () => void;
  /** Raw traffic tap, for `rsp.recv` / `rsp.send` logs. */
  trace?: (direction: 'recv' | 'send', bytes: Buffer) => void;
  /** Largest incoming packet payload buffered. Default DEFAULT_MAX_PACKET_SIZE. */
  maxPacketSize?: number;
  /** Packets received but not yet dispatched; beyond this the connection is closed. Default 4096. */
  maxQueuedPackets?: number;
  /** Replies waiting for gdb's `+` in ack mode; beyond this the connection is closed. Default 4096. */
  maxUnackedReplies?: number;
  /** Run-length encode replies (default false; gdbserver does, but it is only a bandwidth saving). */
  rle?: boolean;
  /**
   * Reply sent when a handler throws or rejects without having replied to that
   * packet (default 'E01', so gdb is not left waiting). null sends nothing.
   */
  errorReply?: string | null;
}

type QueueItem = { kind: 'packet'; data: Buffer } | { kind: 'interrupt' };

interface Outgoing {
  bytes: Buffer;
  /** The `OK` to QStartNoAckMode: once written, no more acks either way. */
  endsAckMode: boolean;
}

const NO_ACK_REQUEST = 'QStartNoAckMode';
const ACK = Buffer.from('+');
const NAK = Buffer.from('-');

/**
 * RSP session framing over a Transport.
 *
 * - Ack mode (the initial state): every good packet is answered `+` at once,
 *   a bad checksum `-`; each reply waits for gdb's `+` before the next goes
 *   out and is resent on `-`.
 * - The handler's `OK` to `QStartNoAckMode` ends ack mode as soon as it is
 *   written; gdb still acks that `OK`, and the stray `+` is skipped.
 * - In no-ack mode a packet with a bad checksum is still handled (as
 *   gdbserver does): gdb expects no NAK and would otherwise wait for a reply
 *   that never comes.
 * - Packets are handled one at a time, in order; an async handler blocks the
 *   next packet until it settles. An interrupt is delivered as soon as every
 *   packet before it in the stream has been *started*, so `vCont…#xx\x03`
 *   first starts the resume and then interrupts it, even though the vCont
 *   handler is still pending.
 */
export class RspConnection {
  private readonly _transport: Transport;
  private readonly _handler: PacketHandler;
  private readonly _opts: RspConnectionOptions;
  private readonly _reader: PacketReader;
  private readonly _maxQueued: number;
  private readonly _maxUnacked: number;

  private _noAck = false;
  private _closed = false;
  private _busy = false;
  private _pumping = false;
  private readonly _queue: QueueItem[] = [];
  /** Ack mode only: replies not yet acknowledged; the head is on the wire. */
  private readonly _unacked: Outgoing[] = [];
  /** Packet whose handler is running, and how many replies it has sent. */
  private _current: Buffer | undefined;
  private _currentSends = 0;
  /** complete() came while the handler that returns DEFERRED was still running. */
  private _completedEarly = false;
  private _idleWaiters: Array<() => void> = [];
  /** Reading is paused: maxQueued packets wait (resumed at half of that). */
  private _paused = false;
  private _closeReported = false;

  constructor(transport: Transport, handler: PacketHandler, options: RspConnectionOptions = {}) {
    this._transport = transport;
    this._handler = handler;
    this._opts = options;
    this._maxQueued = options.maxQueuedPackets ?? 4096;
    this._maxUnacked = options.maxUnackedReplies ?? 4096;
    this._reader = new PacketReader({ maxPacketSize: options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE });
    transport.onData((b) => this._onData(b));
    transport.onClose(() => this._onTransportClose());
  }

  /** True once QStartNoAckMode has been answered OK. */
  get noAckMode(): boolean {
    return this._noAck;
  }

  get closed(): boolean {
    return this._closed;
  }

  /** Packets received and waiting for dispatch (the running one excluded). */
  get queuedPackets(): number {
    return this._queue.length;
  }

  /** The transport was asked to stop reading (a full queue). */
  get readingPaused(): boolean {
    return this._paused;
  }

  /** Bytes of an incomplete incoming packet held by the reader. */
  get bufferedBytes(): number {
    return this._reader.bufferedBytes;
  }

  /** A packet's handler has not finished (its reply comes from a stop or a promise): gdb
   * waits for that reply before it sends anything but an interrupt. */
  get busy(): boolean {
    return this._busy;
  }

  /** Replies awaiting gdb's ack (ack mode only). */
  get unackedReplies(): number {
    return this._unacked.length;
  }

  /** Sends a reply. Binary payloads go as raw bytes: escaping (and optional RLE) happens here, once. */
  send(payload: Buffer | string): void {
    if (this._closed) return;
    const bytes = encodePacket(payload, { rle: this._opts.rle ?? false });
    const endsAckMode =
      !this._noAck &&
      this._current !== undefined &&
      this._current.toString('latin1') === NO_ACK_REQUEST &&
      (typeof payload === 'string' ? payload : payload.toString('latin1')) === 'OK';
    if (this._current !== undefined) this._currentSends++;
    if (this._noAck) {
      this._write(bytes);
      return;
    }
    if (this._unacked.length >= this._maxUnacked) {
      this._fail(new Error(`more than ${this._maxUnacked} replies left unacknowledged by gdb`));
      return;
    }
    this._unacked.push({ bytes, endsAckMode });
    if (this._unacked.length === 1) this._writeHead();
  }

  /** Sends `%name:payload#cs` (non-stop `Stop`). Notifications are never acked, so they bypass the ack queue. */
  sendNotification(name: string, payload: Buffer | string): void {
    if (this._closed) return;
    this._write(encodeNotification(name, payload));
  }

  /** Ends the turn of the packet whose handler returned DEFERRED; the next one is handled now. */
  complete(): void {
    if (this._current === undefined) return;
    if (!this._busy) {
      this._completedEarly = true; // still inside the handler
      return;
    }
    this._settle();
  }

  /** Resolves when no packet is queued or running (tests). */
  idle(): Promise<void> {
    if (!this._busy && this._queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this._idleWaiters.push(resolve));
  }

  close(): void {
    if (this._closed) return;
    this._closed = true;
    this._queue.length = 0;
    this._unacked.length = 0;
    this._transport.close();
    this._wakeIdle();
  }

  // -------------------------------------------------------------------------

  private _onData(chunk: Buffer): void {
    if (this._closed) return;
    this._opts.trace?.('recv', chunk);
    for (const token of this._reader.push(chunk)) {
      this._onToken(token);
      if (this._closed) return;
    }
  }

  private _onToken(token: RspToken): void {
    switch (token.kind) {
      case 'packet':
        if (!this._noAck) this._write(ACK);
        this._enqueue({ kind: 'packet', data: token.data });
        break;
      case 'bad-checksum':
        if (this._noAck) {
          this._warn(`bad checksum (got ${token.received?.toString(16) ?? 'non-hex'}, computed ${token.expected.toString(16)}); handling the packet anyway in no-ack mode`);
          this._enqueue({ kind: 'packet', data: token.data });
        } else {
          this._warn(`bad checksum (got ${token.received?.toString(16) ?? 'non-hex'}, computed ${token.expected.toString(16)}); asking for a resend`);
          this._write(NAK);
        }
        break;
      case 'ack':
        if (this._noAck) break; // the trailing `+` after QStartNoAckMode, or noise
        if (this._unacked.length > 0) {
          this._unacked.shift();
          if (this._unacked.length > 0) this._writeHead();
        }
        break;
      case 'nak':
        if (this._noAck) break;
        if (this._unacked.length > 0) {
          this._warn('gdb sent NAK; resending the last reply');
          this._writeHead();
        }
        break;
      case 'interrupt':
        this._enqueue({ kind: 'interrupt' });
        break;
      case 'error':
        this._warn(token.message);
        // Not for 'truncated': the `$` that cut the fragment starts a packet we
        // do parse and ack, and a NAK would make gdb send that one again.
        if (!this._noAck && token.reason === 'oversize') this._write(NAK);
        break;
      case 'notification':
        break; // the server side reader never produces these
    }
  }

  private _enqueue(item: QueueItem): void {
    // A transport that can pause is paused at maxQueued, and the chunk being parsed then still
    // adds its packets (at most one read's worth); one that cannot is dropped there.
    const canPause = this._transport.pause !== undefined;
    const limit = canPause ? this._maxQueued * 16 : this._maxQueued;
    if (this._queue.length >= limit) {
      this._fail(new Error(`more than ${limit} packets queued; closing the connection`));
      return;
    }
    this._queue.push(item);
    if (canPause && !this._paused && this._queue.length >= this._maxQueued) {
      this._paused = true;
      this._transport.pause!();
    }
    this._pump();
  }

  private _pump(): void {
    if (this._pumping) return;
    this._pumping = true;
    try {
      while (!this._closed && this._queue.length > 0) {
        const head = this._queue[0]!;
        if (head.kind === 'interrupt') {
          this._queue.shift();
          this._callSafely(() => this._opts.onInterrupt?.(), undefined);
          continue;
        }
        if (this._busy) break;
        this._queue.shift();
        this._dispatch(head.data);
      }
    } finally {
      this._pumping = false;
    }
    if (this._paused && !this._closed && this._queue.length <= this._maxQueued >> 1) {
      this._paused = false;
      this._transport.resume?.();
    }
    if (!this._busy && this._queue.length === 0) this._wakeIdle();
  }

  private _dispatch(packet: Buffer): void {
    this._current = packet;
    this._currentSends = 0;
    this._completedEarly = false;
    let result: void | Promise<void> | typeof DEFERRED;
    try {
      result = this._handler(packet, this);
    } catch (err) {
      this._handlerFailed(err, packet);
      this._current = undefined;
      return;
    }
    if (result === DEFERRED) {
      if (this._completedEarly) this._current = undefined;
      else this._busy = true;
      return;
    }
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      this._busy = true;
      (result as Promise<void>).then(
        () => this._settle(),
        (err: unknown) => {
          this._handlerFailed(err, packet);
          this._settle();
        },
      );
      return;
    }
    this._current = undefined;
  }

  private _settle(): void {
    this._busy = false;
    this._current = undefined;
    this._pump();
  }

  private _handlerFailed(err: unknown, packet: Buffer): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this._opts.onError?.(error, packet);
    const reply = this._opts.errorReply === undefined ? 'E01' : this._opts.errorReply;
    if (reply !== null && this._currentSends === 0 && !this._closed) this.send(reply);
  }

  private _callSafely(fn: () => void, packet: Buffer | undefined): void {
    try {
      fn();
    } catch (err) {
      this._opts.onError?.(err instanceof Error ? err : new Error(String(err)), packet);
    }
  }

  private _writeHead(): void {
    const head = this._unacked[0];
    if (!head) return;
    this._write(head.bytes);
    if (head.endsAckMode) {
      // gdb acks this OK itself; we neither wait for it nor ack anything from now on.
      this._noAck = true;
      this._unacked.shift();
      for (const rest of this._unacked.splice(0)) this._write(rest.bytes);
    }
  }

  private _write(bytes: Buffer): void {
    if (this._closed) return;
    this._opts.trace?.('send', bytes);
    this._transport.write(bytes);
  }

  private _warn(message: string): void {
    this._opts.onWarning?.(message);
  }

  private _fail(err: Error): void {
    this._opts.onError?.(err, undefined);
    this.close();
  }

  private _onTransportClose(): void {
    this._closed = true;
    this._queue.length = 0;
    this._unacked.length = 0;
    this._wakeIdle();
    if (this._closeReported) return;
    this._closeReported = true;
    this._opts.onClose?.();
  }

  private _wakeIdle(): void {
    const waiters = this._idleWaiters;
    this._idleWaiters = [];
    for (const w of waiters) w();
  }
}
