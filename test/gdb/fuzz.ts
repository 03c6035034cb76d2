// Randomised robustness check of the framing layer: valid, mutated, garbage
// and oversized packets in random chunkings, fed to a PacketReader and to an
// RspConnection. Throws on the first violated invariant (a throw escaping the
// code under test, a buffer above its bound, a valid packet not decoded
// exactly). Deterministic for a given seed so failures can be replayed.
// The unit tests run it briefly; scripts can run fuzzPackets(100_000+, seed).

import { PacketReader, encodeRawPacket, escapeBinary, type RspToken } from '../../src/engines/gdb/protocol/packet.js';
import { RspConnection, type Transport } from '../../src/engines/gdb/protocol/transport.js';

export interface FuzzStats {
  iterations: number;
  bytes: number;
  packets: number;
  verified: number;
  badChecksums: number;
  errors: number;
  interrupts: number;
  handled: number;
  connectionRestarts: number;
  maxBuffered: number;
}

/** mulberry32: small, fast, good enough to drive a fuzzer reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Synchronous loopback so the fuzz loop needs no event-loop turns. Writes are counted, not kept. */
class SyncTransport implements Transport {
  written = 0;
  private _data: ((b: Buffer) => void) | undefined;
  private _close: (() => void) | undefined;
  write(data: Buffer): void {
    this.written += data.length;
  }
  onData(cb: (b: Buffer) => void): void {
    this._data = cb;
  }
  onClose(cb: () => void): void {
    this._close = cb;
  }
  close(): void {
    this._close?.();
  }
  feed(b: Buffer): void {
    this._data?.(b);
  }
}

const SPECIAL = [0x23, 0x24, 0x7d, 0x2a, 0x03, 0x2b, 0x2d, 0x25];

export function fuzzPackets(n: number, seed = 1): FuzzStats {
  const rnd = prng(seed);
  const int = (k: number): number => Math.floor(rnd() * k);
  const MAX = 4096;
  const stats: FuzzStats = {
    iterations: 0, bytes: 0, packets: 0, verified: 0, badChecksums: 0, errors: 0,
    interrupts: 0, handled: 0, connectionRestarts: 0, maxBuffered: 0,
  };

  const reader = new PacketReader({ maxPacketSize: MAX });

  const randomBytes = (len: number): Buffer => {
    const b = Buffer.allocUnsafe(len);
    for (let i = 0; i < len; i++) b[i] = rnd() < 0.2 ? SPECIAL[int(SPECIAL.length)]! : int(256);
    return b;
  };

  let transport = new SyncTransport();
  let conn: RspConnection;
  const makeConnection = (): void => {
    transport = new SyncTransport();
    conn = new RspConnection(
      transport,
      (packet, c) => {
        stats.handled++;
        if (packet.toString('latin1') === 'QStartNoAckMode') {
          c.send('OK');
          return;
        }
        const r = rnd();
        if (r < 0.05) throw new Error('handler failure (fuzz)');
        if (r < 0.1) return; // no reply
        if (r < 0.12) c.sendNotification('Stop', 'T05thread:p1.1;');
        c.send(r < 0.5 ? randomBytes(int(64)) : packet.subarray(0, 32));
      },
      {
        maxPacketSize: MAX,
        maxQueuedPackets: 64,
        maxUnackedReplies: 256,
        rle: rnd() < 0.5,
        onInterrupt: () => stats.interrupts++,
        onError: () => undefined,
      },
    );
  };
  makeConnection();

  const feed = (input: Buffer, expectPayload: Buffer | undefined): void => {
    const wasIdle = !reader.inPacket;
    const tokens: RspToken[] = [];
    let at = 0;
    while (at < input.length) {
      const len = 1 + int(Math.min(input.length - at, rnd() < 0.5 ? 8 : 2048));
      const chunk = input.subarray(at, at + len);
      at += len;
      tokens.push(...reader.push(chunk));
      transport.feed(chunk);
      stats.maxBuffered = Math.max(stats.maxBuffered, reader.bufferedBytes, conn.bufferedBytes);
      if (reader.bufferedBytes > MAX || conn.bufferedBytes > MAX) {
        throw new Error(`fuzz(seed ${seed}): buffered ${reader.bufferedBytes}/${conn.bufferedBytes} bytes > ${MAX}`);
      }
      if (conn.queuedPackets > 64 || conn.unackedReplies > 256) {
        throw new Error(`fuzz(seed ${seed}): queues unbounded (${conn.queuedPackets}, ${conn.unackedReplies})`);
      }
      if (conn.closed) {
        stats.connectionRestarts++;
        makeConnection();
      }
    }
    stats.bytes += input.length;
    for (const t of tokens) {
      if (t.kind === 'packet') stats.packets++;
      else if (t.kind === 'bad-checksum') stats.badChecksums++;
      else if (t.kind === 'error') stats.errors++;
    }
    if (expectPayload !== undefined && wasIdle) {
      const packets = tokens.filter((t) => t.kind === 'packet');
      const got = packets.length === 1 ? (packets[0] as { data: Buffer }).data : undefined;
      if (!got || !got.equals(expectPayload)) {
        throw new Error(`fuzz(seed ${seed}, iteration ${stats.iterations}): valid packet not decoded exactly`);
      }
      stats.verified++;
    }
  };

  for (let it = 0; it < n; it++) {
    stats.iterations++;
    const r = rnd();
    const payload = randomBytes(int(rnd() < 0.9 ? 100 : 3000));
    const valid = encodeRawPacket(escapeBinary(payload));
    if (r < 0.35) {
      feed(valid, payload);
    } else if (r < 0.65) {
      // Mutations: flip, delete, insert, truncate.
      const m = Buffer.from(valid);
      const kind = int(4);
      let mutated: Buffer = m;
      const pos = int(m.length);
      if (kind === 0) m[pos] = int(256);
      else if (kind === 1) mutated = Buffer.concat([m.subarray(0, pos), m.subarray(pos + 1)]);
      else if (kind === 2) mutated = Buffer.concat([m.subarray(0, pos), randomBytes(1 + int(4)), m.subarray(pos)]);
      else mutated = m.subarray(0, pos);
      feed(mutated, undefined);
    } else if (r < 0.8) {
      feed(randomBytes(int(200)), undefined);
    } else if (r < 0.9) {
      feed(Buffer.from(['+', '-', '\x03', '+\x03', '$QStartNoAckMode#b0'][int(5)]!, 'latin1'), undefined);
    } else if (r < 0.99) {
      // A valid packet directly followed by an interrupt in the same input.
      feed(Buffer.concat([valid, Buffer.from([3])]), payload);
    } else {
      // Oversized garbage: no '#' for more than the bound.
      const big = Buffer.alloc(MAX + 1 + int(MAX), 0x61);
      big[0] = 0x24;
      feed(big, undefined);
    }
  }
  return stats;
}

/**
 * A flood for a live server: n random and mutated packets that cannot change the program
 * (reads and queries only: the command letter is never mutated, inserted bytes are never a
 * packet delimiter or an interrupt), in one buffer. In no-ack mode a bad checksum is handled
 * anyway, so mutated packets reach the handlers too.
 */
export function floodPackets(n: number, seed = 1): Buffer {
  const rnd = prng(seed);
  const int = (k: number): number => Math.floor(rnd() * k);
  const hex = (k: number): string => int(k).toString(16);
  const SAFE = '0123456789abcdefABCDEFxyz,:;.-=_ ';
  const safe = (len: number): string => Array.from({ length: len }, () => SAFE[int(SAFE.length)]).join('');
  const make = (): string => {
    switch (int(12)) {
      case 0: return 'g';
      case 1: return '?';
      case 2: return 'qC';
      case 3: return `m${hex(2 ** 48)},${hex(64)}`;
      case 4: return `x${hex(2 ** 48)},${hex(64)}`;
      case 5: return `p${hex(80)}`;
      case 6: return 'qfThreadInfo';
      case 7: return 'qsThreadInfo';
      case 8: return `qXfer:features:read:target.xml:${hex(4096)},${hex(512)}`;
      case 9: return `Hg${hex(1 << 20)}`;
      case 10: return `qUtraceFlood${safe(int(300))}`;
      default: return 'qAttached';
    }
  };
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const valid = encodeRawPacket(Buffer.from(make(), 'latin1'));
    const r = rnd();
    if (r < 0.5) {
      parts.push(valid);
      continue;
    }
    // Mutated after `$` and the command letter: a byte changed, dropped, or safe bytes added.
    const pos = 2 + int(Math.max(1, valid.length - 2));
    const kind = int(3);
    if (kind === 0) parts.push(Buffer.concat([valid.subarray(0, pos), Buffer.from(safe(1)), valid.subarray(pos + 1)]));
    else if (kind === 1 && valid[pos] !== 0x23) parts.push(Buffer.concat([valid.subarray(0, pos), valid.subarray(pos + 1)]));
    else parts.push(Buffer.concat([valid.subarray(0, pos), Buffer.from(safe(1 + int(8))), valid.subarray(pos)]));
    if (rnd() < 0.1) parts.push(Buffer.from(safe(int(40)))); // noise between packets: ignored
  }
  return Buffer.concat(parts);
}
