// RSP framing: hex, escapes, RLE, encoder and the incremental reader.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  PacketReader,
  RLE_MAX_REPEAT,
  RspParseError,
  checksum,
  decodeRle,
  encodeNotification,
  encodePacket,
  encodeRawPacket,
  escapeBinary,
  hexDecode,
  hexDecodeString,
  hexEncode,
  hexEncodeString,
  parseHexBigInt,
  rleEncode,
  unescapeBinary,
  type RspToken,
} from '../../src/engines/gdb/protocol/packet.js';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBinary(r: () => number, len: number): Buffer {
  const b = Buffer.alloc(len);
  const specials = [0x23, 0x24, 0x7d, 0x2a, 0x03, 0x00];
  for (let i = 0; i < len; i++) b[i] = r() < 0.3 ? specials[Math.floor(r() * specials.length)]! : Math.floor(r() * 256);
  return b;
}

function pushAll(reader: PacketReader, input: Buffer | string, chunk = Infinity): RspToken[] {
  const buf = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const out: RspToken[] = [];
  for (let i = 0; i < buf.length; i += Math.min(chunk, buf.length)) out.push(...reader.push(buf.subarray(i, i + chunk)));
  return out;
}

/** Parses server output as gdb would: RLE first, then `}` escapes. */
function decodeReply(wire: Buffer): Buffer {
  const tokens = new PacketReader({ rle: true }).push(wire);
  assert.equal(tokens.length, 1);
  assert.equal(tokens[0]!.kind, 'packet');
  return (tokens[0] as { data: Buffer }).data;
}

test('hex helpers are strict and lower-case', () => {
  assert.equal(hexEncode(Buffer.from([0, 0xab, 0xff])), '00abff');
  assert.deepEqual(hexDecode('00ABff'), Buffer.from([0, 0xab, 0xff]));
  assert.throws(() => hexDecode('abc'), RspParseError);
  assert.throws(() => hexDecode('zz'), RspParseError);
  assert.equal(hexEncodeString('help'), '68656c70');
  assert.equal(hexDecodeString('464f4f3d626172'), 'FOO=bar');
  assert.equal(parseHexBigInt('555555555202'), 0x555555555202n);
  assert.equal(parseHexBigInt('ffffffffffffffff'), (1n << 64n) - 1n);
  assert.throws(() => parseHexBigInt(''), RspParseError);
  assert.throws(() => parseHexBigInt('-1'), RspParseError);
});

test('escapeBinary escapes # $ } * and round-trips random binary', () => {
  assert.deepEqual(escapeBinary(Buffer.from('a#b$c}d*e')), Buffer.from('a}\x03b}\x04c}]d}\x0ae', 'latin1'));
  const plain = Buffer.from('no specials here');
  assert.equal(escapeBinary(plain), plain, 'fast path returns the input');
  const r = rng(7);
  for (let i = 0; i < 500; i++) {
    const data = randomBinary(r, Math.floor(r() * 300));
    const esc = escapeBinary(data);
    for (const b of [0x23, 0x24, 0x2a]) assert.equal(esc.indexOf(b), -1);
    assert.deepEqual(unescapeBinary(esc), data);
  }
  // A dangling escape is kept literally so the length check of the caller fails.
  assert.deepEqual(unescapeBinary(Buffer.from('ab}')), Buffer.from('ab}'));
});

test('encodePacket: checksum covers the escaped bytes, not the raw ones', () => {
  assert.equal(encodePacket('OK').toString('latin1'), '$OK#9a');
  assert.equal(encodePacket('').toString('latin1'), '$#00');
  const wire = encodePacket(Buffer.from([0x7d, 0x23]));
  assert.equal(wire.toString('latin1'), `$}]}\x03#${checksum(Buffer.from('}]}\x03', 'latin1')).toString(16).padStart(2, '0')}`);
  assert.equal(encodeNotification('Stop', 'T05thread:p1.1;').toString('latin1').slice(0, 6), '%Stop:');
  const n = encodeNotification('Stop', 'T05');
  assert.equal(n.toString('latin1'), `%Stop:T05#${checksum(Buffer.from('Stop:T05')).toString(16).padStart(2, '0')}`);
  assert.equal(encodeRawPacket('!').toString('latin1'), '$!#21');
  assert.equal(encodeRawPacket('vCont;c:p200f.-1').toString('latin1'), '$vCont;c:p200f.-1#d6');
});

test('RLE: counts stay printable, never # or $, at most 97 repeats', () => {
  // 4 zeros = '0' + 3 repeats -> "0* " (3 + 29 = 32 = ' ')
  assert.equal(rleEncode(Buffer.from('0000')).toString('latin1'), '0* ');
  // 3 identical chars are not worth it
  assert.equal(rleEncode(Buffer.from('000')).toString('latin1'), '000');
  // 7 zeros = 6 repeats -> '#' forbidden: emits 5 repeats ('"') then one literal
  assert.equal(rleEncode(Buffer.from('0000000')).toString('latin1'), '0*"0');
  // 8 zeros = 7 repeats -> '$' forbidden: 5 repeats then "00"
  assert.equal(rleEncode(Buffer.from('00000000')).toString('latin1'), '0*"00');
  for (let len = 1; len <= 400; len++) {
    const raw = Buffer.alloc(len, 0x66);
    const enc = rleEncode(raw);
    for (let i = 0; i < enc.length; i++) {
      if (enc[i] === 0x2a) {
        const count = enc[i + 1]! - 29;
        assert.ok(count >= 3 && count <= RLE_MAX_REPEAT, `count ${count}`);
        assert.notEqual(enc[i + 1], 0x23);
        assert.notEqual(enc[i + 1], 0x24);
        assert.ok(enc[i + 1]! <= 126);
        i++;
      }
    }
    assert.deepEqual(decodeRle(enc), raw, `len ${len}`);
  }
  // The whole encoded reply never contains a framing character.
  const g = encodePacket('0'.repeat(1120), { rle: true });
  assert.equal(g.subarray(1, g.length - 3).indexOf(0x23), -1);
  assert.equal(g.subarray(1, g.length - 3).indexOf(0x24), -1);
  assert.equal(decodeReply(g).toString(), '0'.repeat(1120));
});

test('RLE + escapes round-trip random binary through the reader', () => {
  const r = rng(11);
  for (let i = 0; i < 300; i++) {
    const data = randomBinary(r, Math.floor(r() * 500));
    // Long runs to exercise RLE, including runs of escaped bytes.
    if (r() < 0.5) data.fill(r() < 0.5 ? 0x23 : 0x30, 0, Math.floor(data.length / 2));
    const wire = encodePacket(data, { rle: r() < 0.7 });
    assert.deepEqual(decodeReply(wire), data);
  }
});

test('RLE: the one-pass encoder gives the two-pass escape-then-rleEncode bytes when nothing needs escaping, and well-formed runs next to escapes', () => {
  const r = rng(12);
  for (let i = 0; i < 300; i++) {
    const data = Buffer.from(randomBinary(r, Math.floor(r() * 600)).map((b) => (b === 0x23 || b === 0x24 || b === 0x7d || b === 0x2a ? 0x30 : b)));
    if (r() < 0.5) data.fill(0x30, 0, Math.floor(data.length * r()));
    const two = rleEncode(escapeBinary(data));
    let cs = 0;
    for (const b of two) cs += b;
    const want = `$${two.toString('latin1')}#${(cs & 0xff).toString(16).padStart(2, '0')}`;
    assert.equal(encodePacket(data, { rle: true }).toString('latin1'), want);
  }
  // A run right after an escaped byte, and of bytes around it: `}` pairs are never run-encoded.
  const wire = encodePacket(Buffer.from('####0000000000}}}}****'), { rle: true }).toString('latin1');
  assert.equal(wire.slice(0, wire.indexOf('#', 1)), '$}\x03}\x03}\x03}\x030*&}]}]}]}]}\n}\n}\n}\n');
});

test('decodeRle rejects a marker with nothing to repeat', () => {
  assert.throws(() => decodeRle(Buffer.from('*"')), RspParseError);
  assert.throws(() => decodeRle(Buffer.from('0*')), RspParseError);
  assert.deepEqual(decodeRle(Buffer.from('f*"7f0* ;')), Buffer.from('ffffff7f0000;'));
});

test('reader: acks, packets and interrupts split at every byte boundary', () => {
  const wire = Buffer.concat([
    Buffer.from('+'),
    encodeRawPacket('qSupported:multiprocess+;swbreak+'),
    Buffer.from('-'),
    encodeRawPacket('vCont;c:p200f.-1'),
    Buffer.from([0x03]),
    Buffer.from('junk\n'),
    encodeRawPacket('!'),
  ]);
  for (const chunk of [1, 2, 3, 5, 7, 64, Infinity]) {
    const reader = new PacketReader();
    const kinds = pushAll(reader, wire, chunk).map((t) => (t.kind === 'packet' ? `P:${t.data.toString('latin1')}` : t.kind));
    assert.deepEqual(kinds, ['ack', 'P:qSupported:multiprocess+;swbreak+', 'nak', 'P:vCont;c:p200f.-1', 'interrupt', 'P:!'], `chunk ${chunk}`);
    assert.equal(reader.skippedBytes, 5);
    assert.equal(reader.bufferedBytes, 0);
  }
});

test('reader: 0x03 inside a packet is data; outside it is an interrupt, even in the same chunk', () => {
  const reader = new PacketReader();
  const tokens = pushAll(reader, Buffer.concat([encodeRawPacket(Buffer.from([0x58, 0x03, 0x41])), Buffer.from([0x03])]));
  assert.equal(tokens.length, 2);
  assert.deepEqual((tokens[0] as { data: Buffer }).data, Buffer.from([0x58, 0x03, 0x41]));
  assert.equal(tokens[1]!.kind, 'interrupt');
});

test('reader: the observed `+$!#21` and `…#d6\\x03` chunks', () => {
  const reader = new PacketReader();
  assert.deepEqual(pushAll(reader, '+$!#21').map((t) => t.kind), ['ack', 'packet']);
  const t = pushAll(reader, '$vCont;c:p200f.-1#d6\x03');
  assert.deepEqual(t.map((x) => x.kind), ['packet', 'interrupt']);
});

test('reader: bad checksums are reported with the data', () => {
  const reader = new PacketReader();
  const [t] = pushAll(reader, '$OK#00');
  assert.equal(t!.kind, 'bad-checksum');
  assert.equal((t as { expected: number }).expected, 0x9a);
  assert.equal((t as { received: number }).received, 0);
  const [u] = pushAll(reader, '$OK#zz');
  assert.equal(u!.kind, 'bad-checksum');
  assert.equal((u as { received?: number }).received, undefined);
  // Upper-case checksum digits are accepted.
  assert.equal(pushAll(reader, '$OK#9A')[0]!.kind, 'packet');
});

test('reader: escaped X payload is unescaped exactly once; raw keeps the wire form', () => {
  const data = Buffer.from([0x7d, 0x23, 0x24, 0x2a, 0x03, 0x5d]);
  const wirePayload = Buffer.concat([Buffer.from('X1000,6:'), escapeBinary(data)]);
  const [t] = new PacketReader().push(encodeRawPacket(wirePayload));
  assert.equal(t!.kind, 'packet');
  const p = t as { data: Buffer; raw: Buffer };
  assert.deepEqual(p.data, Buffer.concat([Buffer.from('X1000,6:'), data]));
  assert.deepEqual(p.raw, wirePayload);
  // `}]` is an escaped `}`; its unescaped 0x5d must not be unescaped again.
  assert.equal(p.data[p.data.length - 1], 0x5d);
});

test('reader: oversized garbage is dropped with one error and memory stays bounded', () => {
  const reader = new PacketReader({ maxPacketSize: 1024 });
  const garbage = Buffer.alloc(1 << 20, 0x61);
  garbage[0] = 0x24; // '$' then 1 MiB without '#'
  const tokens: RspToken[] = [];
  for (let i = 0; i < garbage.length; i += 4096) {
    tokens.push(...reader.push(garbage.subarray(i, i + 4096)));
    assert.ok(reader.bufferedBytes <= 1024);
  }
  assert.deepEqual(tokens.map((t) => t.kind), ['error']);
  assert.equal((tokens[0] as { reason: string }).reason, 'oversize');
  // The end of the oversized packet produces nothing; the next packet is fine.
  assert.deepEqual(pushAll(reader, 'aaa#12+$g#67').map((t) => t.kind), ['ack', 'packet']);
  // A '$' also ends the discarding.
  pushAll(reader, '$' + 'b'.repeat(2000));
  assert.deepEqual(pushAll(reader, '$g#67').map((t) => t.kind), ['packet']);
});

test('reader: a `$` inside a packet restarts framing', () => {
  const reader = new PacketReader();
  const tokens = pushAll(reader, '$qSuppo$g#67');
  assert.deepEqual(tokens.map((t) => t.kind), ['error', 'packet']);
  assert.equal((tokens[1] as { data: Buffer }).data.toString(), 'g');
});

test('reader: notifications only when enabled; `%` is a stray byte on the server side', () => {
  const note = encodeNotification('Stop', 'T05swbreak:;');
  assert.deepEqual(new PacketReader().push(note), []);
  const [t] = new PacketReader({ notifications: true }).push(note);
  assert.equal(t!.kind, 'notification');
  assert.equal((t as { data: Buffer }).data.toString(), 'Stop:T05swbreak:;');
});

test('reader: onToken callback sees the same tokens in order', () => {
  const seen: string[] = [];
  const reader = new PacketReader({ onToken: (t) => seen.push(t.kind) });
  const ret = reader.push(Buffer.from('+$g#67\x03-'));
  assert.deepEqual(seen, ['ack', 'packet', 'interrupt', 'nak']);
  assert.deepEqual(ret.map((t) => t.kind), seen);
});

test('reader: a packet split across reads survives the caller reusing its read buffer', () => {
  const wire = Buffer.concat([encodeRawPacket('m7fffffffe680,40'), encodeRawPacket('X1000,4:' + 'abcd'), encodeRawPacket('vCont;s:p1.1')]);
  for (const size of [1, 3, 5, 11, 17]) {
    const reader = new PacketReader();
    const buf = Buffer.alloc(size); // one buffer for every "read", as a descriptor reader does
    const got: string[] = [];
    for (let i = 0; i < wire.length; i += size) {
      const n = wire.copy(buf, 0, i, i + size);
      for (const t of reader.push(buf.subarray(0, n))) if (t.kind === 'packet') got.push(t.data.toString('latin1'));
      buf.fill(0x2a); // the next read overwrites it
    }
    assert.deepEqual(got, ['m7fffffffe680,40', 'X1000,4:abcd', 'vCont;s:p1.1'], `reads of ${size}`);
  }
});
