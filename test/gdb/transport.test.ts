// RspConnection over InMemoryTransport: raw transcripts as gdb 13.1 sends them,
// ack mode, interrupts and ordering.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { encodePacket, encodeRawPacket, escapeBinary } from '../../src/engines/gdb/protocol/packet.js';
import { RspTestClient } from './testClient.js';
import { DEFERRED, InMemoryTransport, RspConnection, type RspConnectionOptions, type PacketHandler } from '../../src/engines/gdb/protocol/transport.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Server on one end, raw byte capture on the other. */
function setup(handler: PacketHandler, options: RspConnectionOptions = {}) {
  const [serverEnd, clientEnd] = InMemoryTransport.pair();
  const conn = new RspConnection(serverEnd, handler, options);
  const fromServer: Buffer[] = [];
  clientEnd.onData((b) => fromServer.push(b));
  const output = (): string => Buffer.concat(fromServer).toString('latin1');
  const send = (s: string | Buffer): void => clientEnd.write(typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
  return { conn, serverEnd, clientEnd, output, send, fromServer };
}

/** A toy handler answering the connect sequence. */
const basicHandler: PacketHandler = (packet, conn) => {
  const p = packet.toString('latin1');
  if (p.startsWith('qSupported')) conn.send('PacketSize=4000;QStartNoAckMode+;multiprocess+;swbreak+;hwbreak+;vContSupported+');
  else if (p === 'QStartNoAckMode' || p === '!' || p === 'Hgp0.0') conn.send('OK');
  else if (p === '?') conn.send('W00');
  else conn.send('');
};

test('connect transcript in ack mode, the trailing + after QStartNoAckMode, then no acks', async () => {
  const seen: string[] = [];
  const { conn, output, send } = setup((packet, c) => {
    seen.push(packet.toString('latin1'));
    basicHandler(packet, c);
  });

  send('+' + encodeRawPacket('qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;xmlRegisters=i386').toString('latin1'));
  await tick();
  let out = output();
  assert.ok(out.startsWith('+$PacketSize=4000;'), out);
  assert.equal(conn.unackedReplies, 1, 'reply waits for its ack');

  // gdb acks the reply and sends the next packet.
  send('+$vMustReplyEmpty#3a');
  await tick();
  out = output();
  assert.ok(out.endsWith('+$#00'), out);

  send('+$QStartNoAckMode#b0');
  await tick();
  assert.ok(output().endsWith('+$OK#9a'));
  assert.equal(conn.noAckMode, true);
  assert.equal(conn.unackedReplies, 0, 'the OK itself is not waited for');

  // Observed: the ack of OK arrives glued to the next packet.
  const before = output().length;
  send('+$!#21');
  await tick();
  assert.equal(output().slice(before), '$OK#9a', 'no + for packets any more');

  send('$Hgp0.0#ad');
  await tick();
  assert.deepEqual(seen, [
    'qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;xmlRegisters=i386',
    'vMustReplyEmpty',
    'QStartNoAckMode',
    '!',
    'Hgp0.0',
  ]);
});

test('ack mode: bad checksum gets `-` and is not handled; the resend is', async () => {
  const seen: string[] = [];
  const warnings: string[] = [];
  const { output, send } = setup(
    (p, c) => {
      seen.push(p.toString());
      c.send('OK');
    },
    { onWarning: (m) => warnings.push(m) },
  );
  send('$Hgp0.0#00');
  await tick();
  assert.equal(output(), '-');
  assert.deepEqual(seen, []);
  assert.equal(warnings.length, 1);
  send(encodeRawPacket('Hgp0.0'));
  await tick();
  assert.equal(output(), '-+$OK#9a');
  assert.deepEqual(seen, ['Hgp0.0']);
});

test('ack mode: `-` makes the server resend its last reply; replies wait for the previous ack', async () => {
  const { output, send } = setup((p, c) => {
    if (p.toString() === 'qRcmd,68656c70') {
      c.send('O6869');
      c.send('OK');
    }
  });
  send(encodeRawPacket('qRcmd,68656c70'));
  await tick();
  assert.equal(output(), '+$O6869#' + encodePacket('O6869').toString('latin1').slice(-2), 'OK held until O is acked');
  send('-');
  await tick();
  assert.equal(output(), '+' + encodePacket('O6869').toString('latin1').repeat(2));
  send('+');
  await tick();
  assert.ok(output().endsWith('$OK#9a'));
});

test('no-ack mode: a bad checksum is still handled (as gdbserver does), no `-` is sent', async () => {
  const seen: string[] = [];
  const { conn, output, send } = setup((p, c) => {
    seen.push(p.toString());
    c.send('OK');
  });
  send(encodeRawPacket('QStartNoAckMode'));
  await tick();
  assert.equal(conn.noAckMode, true);
  send('+$g#00');
  await tick();
  assert.deepEqual(seen, ['QStartNoAckMode', 'g']);
  assert.equal(output(), '+$OK#9a$OK#9a');
});

test('vCont and 0x03 in the same chunk: the resume starts first, then the interrupt arrives while it is pending', async () => {
  const events: string[] = [];
  let resolveStop: () => void = () => undefined;
  const { conn, output, send } = setup(
    (packet, c) => {
      const p = packet.toString('latin1');
      events.push(`handle ${p}`);
      if (p === 'QStartNoAckMode') {
        c.send('OK');
        return;
      }
      if (p.startsWith('vCont;c')) {
        return new Promise<void>((resolve) => {
          resolveStop = () => {
            c.send('T02thread:p200f.200f;');
            resolve();
          };
        });
      }
      c.send('OK');
      return undefined;
    },
    {
      onInterrupt: () => {
        events.push('interrupt');
        resolveStop();
      },
    },
  );
  send(encodeRawPacket('QStartNoAckMode'));
  await tick();
  send('+$vCont;c:p200f.-1#d6\x03');
  await tick();
  assert.deepEqual(events, ['handle QStartNoAckMode', 'handle vCont;c:p200f.-1', 'interrupt']);
  await conn.idle();
  assert.ok(output().endsWith('$T02thread:p200f.200f;#' + encodePacket('T02thread:p200f.200f;').toString('latin1').slice(-2)));
});

test('interrupt while a handler is pending is delivered immediately; later packets wait their turn', async () => {
  const events: string[] = [];
  const gates: Array<() => void> = [];
  const { conn, output, send } = setup(
    (packet, c) => {
      const p = packet.toString();
      events.push(`start ${p}`);
      return new Promise<void>((resolve) =>
        gates.push(() => {
          c.send(`R${p}`);
          events.push(`end ${p}`);
          resolve();
        }),
      );
    },
    { onInterrupt: () => events.push('interrupt'), errorReply: null },
  );
  // Ack mode is irrelevant here; acks for the client side are sent by us below.
  send(encodeRawPacket('a'));
  await tick();
  send(Buffer.concat([encodeRawPacket('b'), encodeRawPacket('c')]));
  await tick();
  send('\x03');
  await tick();
  assert.deepEqual(events, ['start a'], 'b/c queued behind a; the interrupt queued behind them');
  gates.shift()!();
  await tick();
  // b starts, then the interrupt that followed c in the stream waits until c has started.
  assert.deepEqual(events, ['start a', 'end a', 'start b']);
  send('+'); // ack R a
  gates.shift()!();
  await tick();
  assert.deepEqual(events, ['start a', 'end a', 'start b', 'end b', 'start c', 'interrupt']);
  send('+');
  gates.shift()!();
  await conn.idle();
  send('+');
  await tick();
  assert.ok(output().includes('$Ra#') && output().includes('$Rb#') && output().includes('$Rc#'));
  assert.ok(output().indexOf('$Ra#') < output().indexOf('$Rb#') && output().indexOf('$Rb#') < output().indexOf('$Rc#'));
});

test('interrupt with nothing queued reaches onInterrupt at once even if a handler is pending', async () => {
  const events: string[] = [];
  let release: () => void = () => undefined;
  const { conn, send } = setup(
    () => new Promise<void>((resolve) => (release = resolve)),
    { onInterrupt: () => events.push('interrupt') },
  );
  send(encodeRawPacket('vCont;c'));
  await tick();
  send('\x03');
  await tick();
  assert.deepEqual(events, ['interrupt']);
  release();
  await conn.idle();
});

test('async handlers: packets are processed one at a time and replies stay in order', async () => {
  const active: string[] = [];
  let maxActive = 0;
  const client = (() => {
    const [serverEnd, clientEnd] = InMemoryTransport.pair();
    new RspConnection(serverEnd, async (packet, c) => {
      active.push(packet.toString());
      maxActive = Math.max(maxActive, active.length);
      // Earlier packets take longer, so out-of-order completion would show.
      const n = Number(packet.toString().slice(1));
      await new Promise((r) => setTimeout(r, 10 - n));
      c.send(`r${n}`);
      active.pop();
    });
    return new RspTestClient(clientEnd);
  })();
  for (let i = 0; i < 10; i++) client.sendPacket(`q${i}`);
  const replies: string[] = [];
  for (let i = 0; i < 10; i++) replies.push((await client.nextPacket()).toString());
  assert.deepEqual(replies, Array.from({ length: 10 }, (_, i) => `r${i}`));
  assert.equal(maxActive, 1);
});

test('escaped X payload with } # $ * reaches the handler unescaped once; binary replies are escaped', async () => {
  const data = Buffer.from([0x7d, 0x23, 0x24, 0x2a, 0x00, 0x03, 0x7d, 0x5d]);
  let got: Buffer | undefined;
  const [serverEnd, clientEnd] = InMemoryTransport.pair();
  new RspConnection(serverEnd, (packet, c) => {
    const colon = packet.indexOf(0x3a);
    got = packet.subarray(colon + 1);
    c.send(Buffer.concat([Buffer.from('l'), got])); // echo as a qXfer-style binary reply
  });
  const client = new RspTestClient(clientEnd);
  client.sendPacket(Buffer.concat([Buffer.from('X7ffff7dd0000,8:'), escapeBinary(data)]));
  const reply = await client.nextPacket();
  assert.deepEqual(got, data);
  assert.deepEqual(reply, Buffer.concat([Buffer.from('l'), data]));
  // On the wire the reply contained no bare # $ * inside the payload.
  const wire = Buffer.concat(serverEnd.written).toString('latin1');
  const body = wire.slice(wire.indexOf('$') + 1, wire.lastIndexOf('#'));
  assert.ok(!/[#$*]/.test(body), body);
});

test('oversized garbage: dropped, NAKed in ack mode, buffers bounded, and the session continues', async () => {
  const warnings: string[] = [];
  const { conn, output, send } = setup(basicHandler, { maxPacketSize: 0x4000, onWarning: (m) => warnings.push(m) });
  const garbage = Buffer.alloc(1 << 20, 0x41);
  garbage[0] = 0x24;
  for (let i = 0; i < garbage.length; i += 65536) {
    send(garbage.subarray(i, i + 65536));
    await tick();
    assert.ok(conn.bufferedBytes <= 0x4000);
  }
  assert.equal(output(), '-');
  assert.equal(warnings.length, 1);
  send('#00' + encodeRawPacket('?').toString('latin1'));
  await tick();
  assert.equal(output(), '-+$W00#b7');
});

test('a throwing handler gets E01 sent for it and onError called; a handler that replied gets nothing extra', async () => {
  const errors: string[] = [];
  const { output, send } = setup(
    (packet, c) => {
      if (packet.toString() === 'm0,1') throw new Error('boom');
      c.send('OK');
      throw new Error('after reply');
    },
    { onError: (e) => errors.push(e.message) },
  );
  send(encodeRawPacket('QStartNoAckMode'));
  await tick();
  send('+' + encodeRawPacket('m0,1').toString('latin1'));
  await tick();
  assert.deepEqual(errors, ['after reply', 'boom']);
  assert.equal(output(), '+$OK#9a$E01#a6');
});

test('notifications bypass the ack queue and are framed with %', async () => {
  const { conn, output } = setup(() => undefined);
  conn.send('OK'); // unacked in ack mode
  conn.sendNotification('Stop', 'T05swbreak:;thread:p207e.207f;core:1;');
  await tick();
  assert.ok(output().startsWith('$OK#9a%Stop:T05swbreak:;thread:p207e.207f;core:1;#'));
});

test('close from either side is reported once and stops dispatch', async () => {
  let closes = 0;
  const { conn, clientEnd, send } = setup(basicHandler, { onClose: () => closes++ });
  clientEnd.close();
  await tick();
  assert.equal(conn.closed, true);
  assert.equal(closes, 1);
  send('$?#3f');
  await tick();
  const again = setup(basicHandler, { onClose: () => closes++ });
  again.conn.close();
  await tick();
  assert.equal(closes, 2);
});

test('RspTestClient decodes RLE replies from a server using rle', async () => {
  const [serverEnd, clientEnd] = InMemoryTransport.pair();
  new RspConnection(serverEnd, (_p, c) => c.send('0'.repeat(1120)), { rle: true });
  const client = new RspTestClient(clientEnd);
  assert.equal(await client.request('g'), '0'.repeat(1120));
  assert.ok(Buffer.concat(serverEnd.written).length < 100);
});

test('ack mode: a packet cut short by a new `$` is dropped without a NAK; the new one is handled once', async () => {
  const seen: string[] = [];
  const { output, send } = setup((p, c) => {
    seen.push(p.toString());
    c.send('OK');
  });
  send('$vCont;c:p1' + encodeRawPacket('Hgp1.1').toString('latin1'));
  await tick();
  assert.deepEqual(seen, ['Hgp1.1']);
  assert.equal(output(), '+$OK#9a');
});

test('DEFERRED: the turn ends at complete(), synchronously, also when complete() comes inside the handler', async () => {
  const seen: string[] = [];
  let pending: RspConnection | undefined;
  const { conn, output, send } = setup((packet, c) => {
    const p = packet.toString('latin1');
    seen.push(p);
    if (p === 'vCont;c') {
      pending = c;
      return DEFERRED;
    }
    if (p === 'vCont;s') {
      c.send('T05'); // the reply is ready before the handler returns
      c.complete();
      return DEFERRED;
    }
    c.send('OK');
    return undefined;
  });
  send('$QStartNoAckMode#b0');
  await tick();
  send('+' + encodeRawPacket('vCont;c').toString('latin1') + encodeRawPacket('m0,1').toString('latin1'));
  await tick();
  assert.deepEqual(seen, ['QStartNoAckMode', 'vCont;c'], 'm waits for the deferred turn');
  assert.equal(conn.queuedPackets, 1);
  pending!.send('S05');
  pending!.complete();
  // No tick: the queued packet was handled inside complete().
  assert.deepEqual(seen, ['QStartNoAckMode', 'vCont;c', 'm0,1']);
  await tick(); // the in-memory pipe delivers asynchronously
  assert.ok(output().endsWith('$S05#b8$OK#9a'), output());
  pending!.complete(); // nothing deferred now: no effect
  send(encodeRawPacket('vCont;s').toString('latin1') + encodeRawPacket('g').toString('latin1'));
  await tick();
  assert.deepEqual(seen.slice(3), ['vCont;s', 'g'], 'a turn completed inside its handler does not hold the next packet');
  assert.ok(output().endsWith('$T05#b9$OK#9a'), output());
});
