// A minimal gdb-side RSP client for tests: frames requests the way gdb does
// (no escaping beyond what the caller put in, no RLE), acks replies while in
// ack mode, and decodes gdbserver-style replies (RLE, `}` escapes,
// notifications). Not used by the server itself.

import { PacketReader, encodeRawPacket, type RspToken } from '../../src/engines/gdb/protocol/packet.js';
import type { Transport } from '../../src/engines/gdb/protocol/transport.js';

type Waiter = { accept: (t: RspToken) => boolean; resolve: (t: RspToken) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class RspTestClient {
  /** Every token received, in order. */
  readonly received: RspToken[] = [];
  /** Ack replies automatically, as gdb does until QStartNoAckMode is answered. Set false afterwards. */
  ackMode = true;
  private readonly _transport: Transport;
  private readonly _reader = new PacketReader({ rle: true, notifications: true });
  private readonly _pending: RspToken[] = [];
  private readonly _waiters: Waiter[] = [];

  constructor(transport: Transport) {
    this._transport = transport;
    transport.onData((b) => this._onData(b));
  }

  /** Writes bytes exactly as given (transcript replay, garbage, 0x03). */
  sendRaw(bytes: Buffer | string): void {
    this._transport.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Frames `$payload#cs` from the wire payload as given (escape binary yourself, as gdb does). */
  sendPacket(wirePayload: Buffer | string): void {
    this._transport.write(encodeRawPacket(typeof wirePayload === 'string' ? Buffer.from(wirePayload, 'latin1') : wirePayload));
  }

  /** The next token satisfying `accept` (consumed), waiting up to timeoutMs. */
  next(accept: (t: RspToken) => boolean = () => true, timeoutMs = 2000): Promise<RspToken> {
    const idx = this._pending.findIndex(accept);
    if (idx >= 0) return Promise.resolve(this._pending.splice(idx, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this._waiters.indexOf(waiter);
        if (i >= 0) this._waiters.splice(i, 1);
        reject(new Error(`RspTestClient: timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = { accept, resolve, reject, timer };
      this._waiters.push(waiter);
    });
  }

  /** Next reply packet's payload (decoded), skipping acks. */
  async nextPacket(timeoutMs?: number): Promise<Buffer> {
    const t = await this.next((x) => x.kind === 'packet', timeoutMs);
    return (t as { data: Buffer }).data;
  }

  /** Next `%name:…` notification's payload. */
  async nextNotification(timeoutMs?: number): Promise<Buffer> {
    const t = await this.next((x) => x.kind === 'notification', timeoutMs);
    return (t as { data: Buffer }).data;
  }

  /** Sends a request and returns the reply as a latin1 string. */
  async request(wirePayload: string, timeoutMs?: number): Promise<string> {
    this.sendPacket(wirePayload);
    return (await this.nextPacket(timeoutMs)).toString('latin1');
  }

  /** Tokens received but not consumed by next()/nextPacket(). */
  get unconsumed(): readonly RspToken[] {
    return this._pending;
  }

  private _onData(b: Buffer): void {
    for (const t of this._reader.push(b)) {
      this.received.push(t);
      if (t.kind === 'packet' && this.ackMode) this._transport.write(Buffer.from('+'));
      const w = this._waiters.findIndex((x) => x.accept(t));
      if (w >= 0) {
        const [waiter] = this._waiters.splice(w, 1);
        clearTimeout(waiter!.timer);
        waiter!.resolve(t);
      } else {
        this._pending.push(t);
      }
    }
  }
}
