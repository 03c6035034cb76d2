// Fuzzes PacketReader and RspConnection with 20k random and mutated packets
// (longer runs: node -e "import('./dist/test/gdb/fuzz.js').then(m => console.log(m.fuzzPackets(200000, 42)))"),
// and floods a live server with as many without reading its replies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';

import { floodPackets, fuzzPackets } from './fuzz.js';
import { exited, fixtureBin, startServer } from './helpers.js';

test('fuzz: 20k random and mutated packets, no throw, bounded buffers, valid packets decoded exactly', () => {
  const stats = fuzzPackets(20_000, 0x5eed);
  assert.equal(stats.iterations, 20_000);
  assert.ok(stats.verified > 5_000, `verified ${stats.verified}`);
  assert.ok(stats.badChecksums > 0 && stats.errors > 0 && stats.interrupts > 0, JSON.stringify(stats));
  assert.ok(stats.handled > 0);
  assert.ok(stats.maxBuffered <= 4096);
});

test('fuzz: other seeds', () => {
  for (const seed of [1, 2, 3]) fuzzPackets(2_000, seed);
});

/** Replies read from a socket in no-ack mode: payloads in order. */
class Replies {
  private buf = '';
  readonly got: string[] = [];
  private waiter: (() => void) | undefined;
  constructor(sock: net.Socket) {
    sock.on('data', (b: Buffer) => {
      this.buf += b.toString('latin1');
      for (let m; (m = /^[+]*\$([^#]*)#[0-9a-f]{2}/.exec(this.buf)); ) {
        this.got.push(m[1]!);
        this.buf = this.buf.slice(m[0].length);
      }
      this.waiter?.();
    });
  }
  async next(ms = 10000): Promise<string> {
    const end = Date.now() + ms;
    while (this.got.length === 0) {
      if (Date.now() > end) throw new Error(`no reply within ${ms} ms`);
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, 50);
      });
    }
    return this.got.shift()!;
  }
  /** Take replies until none came for ms: how many. */
  async drain(ms: number): Promise<number> {
    let n = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, ms));
      const got = this.got.length;
      this.got.length = 0;
      n += got;
      if (got === 0 && n > 0) return n;
    }
  }
}

test('flood: a resume then 20,000 random and mutated packets sent without reading: the server stops reading instead of dropping the client, then answers ? and the program runs to its normal exit', { timeout: 120000 }, async () => {
  const srv = await startServer(['127.0.0.1:0', fixtureBin('bp_victim')]);
  const sock = net.connect(srv.port!, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  try {
    sock.write('$QStartNoAckMode#b0');
    const replies = new Replies(sock);
    assert.equal(await replies.next(), 'OK');
    sock.write('+');
    sock.write('$?#3f');
    const first = await replies.next();
    const tid = parseInt(/thread:([0-9a-f]+)/.exec(first)![1]!, 16);
    // The program runs (the server is busy until it stops), and the flood queues up behind.
    const flood = floodPackets(20_000, 0x5eed);
    sock.pause();
    sock.write('$c#63');
    sock.write(flood);
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(!sock.destroyed && !sock.readableEnded, `connection closed: ${srv.stderr()}`);
    const pending = sock.writableLength;
    // The program stops (SIGUSR1): the resume is answered and the queue drains.
    process.kill(tid, 'SIGUSR1');
    sock.resume();
    const stop = await replies.next();
    assert.match(stop, /^T1e/, 'the resume answered by the SIGUSR1 stop');
    const n = await replies.drain(1000);
    assert.ok(n >= 18_000, `replies to the flood: ${n}`); // a mutated packet may lose its end
    assert.equal(sock.writableLength, 0);
    assert.doesNotMatch(srv.stderr(), /queued|closing/);
    // Same connection: still answered.
    sock.write('$?#3f');
    assert.match(await replies.next(), /^T1e/);
    // The program goes on with its SIGUSR1, calls target() 1000 times and exits 0.
    sock.write('$C1e#a5');
    assert.equal(await replies.next(30000), 'W00');
    process.stderr.write(`# flood: ${flood.length} bytes, ${n} replies; ${pending} bytes still unsent by us after 1.5 s (the server had stopped reading)\n`);
  } finally {
    sock.destroy();
    srv.child.kill('SIGKILL');
    await exited(srv.child);
  }
});
