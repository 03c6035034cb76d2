// Stop replies and qSupported.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { RspParseError } from '../../src/engines/gdb/protocol/packet.js';
import {
  NO_RESUMED_REPLY,
  formatConsoleOutput,
  formatExited,
  formatKilled,
  formatQSupported,
  formatThreadExited,
  formatTStop,
  parseQSupported,
  supports,
} from '../../src/engines/gdb/protocol/stopReply.js';

const REGS: Array<[number, string]> = [
  [6, '10e0ffffff7f0000'],
  [7, '00e0ffffff7f0000'],
  [16, '0252555555550000'],
];

test('T replies in gdbserver order: reason, registers, thread, core', () => {
  assert.equal(
    formatTStop({ signal: 5, reason: { kind: 'swbreak' }, registers: REGS, thread: { pid: 0x1148, tid: 0x1148 }, core: 1 }, true),
    'T05swbreak:;06:10e0ffffff7f0000;07:00e0ffffff7f0000;10:0252555555550000;thread:p1148.1148;core:1;',
  );
  const t = (reason: Parameters<typeof formatTStop>[0]['reason'], mp = true): string =>
    formatTStop({ signal: 5, reason, thread: { pid: 0x1148, tid: 0x1148 } }, mp);
  assert.equal(t({ kind: 'hwbreak' }), 'T05hwbreak:;thread:p1148.1148;');
  assert.equal(t({ kind: 'watch', address: 0x555555558010n }), 'T05watch:0000555555558010;thread:p1148.1148;');
  assert.equal(t({ kind: 'awatch', address: 0x10n }), 'T05awatch:0000000000000010;thread:p1148.1148;');
  assert.equal(t({ kind: 'syscall_entry', syscall: 1 }), 'T05syscall_entry:1;thread:p1148.1148;');
  assert.equal(t({ kind: 'syscall_return', syscall: 0xe7 }), 'T05syscall_return:e7;thread:p1148.1148;');
  assert.equal(t({ kind: 'fork', child: { pid: 0x115a, tid: 0x115a } }), 'T05fork:p115a.115a;thread:p1148.1148;');
  assert.equal(t({ kind: 'vfork', child: { pid: 0x3b5c, tid: 0x3b5c } }), 'T05vfork:p3b5c.3b5c;thread:p1148.1148;');
  assert.equal(t({ kind: 'vforkdone' }), 'T05vforkdone:;thread:p1148.1148;');
  assert.equal(t({ kind: 'exec', path: '/usr/bin/true' }), 'T05exec:2f7573722f62696e2f74727565;thread:p1148.1148;');
  assert.equal(t({ kind: 'create' }), 'T05create:;thread:p1148.1148;');
  assert.equal(t({ kind: 'swbreak' }, false), 'T05swbreak:;thread:1148;');
  assert.equal(formatTStop({ signal: 0x1e, thread: { pid: 0x14db, tid: 0x14db } }, true), 'T1ethread:p14db.14db;');
  assert.equal(formatTStop({ signal: 0 }, true), 'T00');
  assert.throws(() => formatTStop({ signal: 256 }, true), RangeError);
});

test('W / X / w / N / O replies', () => {
  assert.equal(formatExited(0, 0x14db, true), 'W0;process:14db');
  assert.equal(formatExited(5, 0x1323, true), 'W5;process:1323');
  assert.equal(formatExited(0, undefined, false), 'W00');
  assert.equal(formatExited(0x1ff, 1, false), 'Wff');
  assert.equal(formatKilled(0x0b, 0x14f0, true), 'Xb;process:14f0');
  assert.equal(formatKilled(6, undefined, true), 'X06');
  assert.equal(formatKilled(9, 1, false), 'X09');
  assert.equal(formatThreadExited(0, { pid: 5, tid: 6 }, true), 'w0;p5.6');
  assert.equal(NO_RESUMED_REPLY, 'N');
  assert.equal(formatConsoleOutput('hi\n'), 'O68690a');
});

test('qSupported parsing: the observed gdb 13.1 offer', () => {
  const q = parseQSupported(
    'qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;xmlRegisters=i386',
  );
  for (const f of ['multiprocess', 'swbreak', 'hwbreak', 'fork-events', 'vfork-events', 'exec-events', 'vContSupported', 'QThreadEvents', 'no-resumed']) {
    assert.ok(supports(q, f), f);
  }
  assert.equal(q.features.get('xmlRegisters'), 'i386');
  assert.equal(supports(q, 'xmlRegisters'), false);
  assert.equal(supports(q, 'augmented-libraries-svr4-read'), false);
  const minus = parseQSupported('qSupported:multiprocess-;foo?;bar=a=b');
  assert.equal(minus.features.get('multiprocess'), false);
  assert.equal(minus.features.get('foo'), '?');
  assert.equal(minus.features.get('bar'), 'a=b');
  assert.equal(parseQSupported('qSupported').features.size, 0);
  assert.throws(() => parseQSupported('qSupported:weird'), RspParseError);
  assert.throws(() => parseQSupported('qSupportedX'), RspParseError);
});

test('qSupported reply formatting', () => {
  assert.equal(
    formatQSupported([
      ['PacketSize', '4000'],
      ['QStartNoAckMode', true],
      ['qXfer:features:read', true],
      ['QNonStop', false],
    ]),
    'PacketSize=4000;QStartNoAckMode+;qXfer:features:read+;QNonStop-',
  );
});
