// The packet table (src/engines/gdb/packets): which key a packet finds, that the packets gdb
// sends all have a handler, and that malformed ones with a known name find none (they get '').
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { PACKETS, packetName } from '../../src/engines/gdb/packets/index.js';

test('packetName: the first letter, or for q/Q/v the name up to and including its separator', () => {
  const cases: Array<[string, string]> = [
    ['g', 'g'], ['m7ffff7fe4b70,40', 'm'], ['Z0,555555555149,1', 'Z'], ['?', '?'], ['Hgp1a2b.1a2b', 'H'], ['', ''],
    ['qSupported:multiprocess+;swbreak+', 'qSupported:'], ['qSupported', 'qSupported'],
    ['qXfer:features:read:target.xml:0,ffb', 'qXfer:'], ['qRcmd,68656c70', 'qRcmd,'], ['qC', 'qC'],
    ['QPassSignals:e;14;4c', 'QPassSignals:'], ['QStartNoAckMode', 'QStartNoAckMode'],
    ['vCont;c:p1a2b.-1', 'vCont;'], ['vCont?', 'vCont?'], ['vFile:setfs:0', 'vFile:'], ['vKill;1a2b', 'vKill;'],
    ['vStopped', 'vStopped'], ['vKill:1a2b', 'vKill:'], ['qThreadExtraInfo,p1.1', 'qThreadExtraInfo,'],
  ];
  for (const [p, key] of cases) assert.equal(packetName(p), key, p);
});

test('every packet gdb 13 sends in the tested sessions has a handler', () => {
  const sent = [
    'qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;xmlRegisters=i386',
    'vMustReplyEmpty', 'QStartNoAckMode', 'Hgp0.0', 'qXfer:features:read:target.xml:0,ffb', 'qTStatus', '?', 'qfThreadInfo',
    'qsThreadInfo', 'qAttached:1a2b', 'Hc-1', 'qC', 'qOffsets', 'g', 'p10', 'G00', 'P10=0000000000000000',
    'qXfer:auxv:read::0,ffb', 'qXfer:exec-file:read:1a2b:0,ffb', 'qXfer:libraries-svr4:read::0,ffb', 'qXfer:threads:read::0,ffb',
    'qXfer:siginfo:read::0,ffb', 'vFile:setfs:0', 'vFile:open:6a7573742070726f62696e67,0,1c0', 'vFile:pread:5,3fff,0', 'vFile:close:5',
    'qSymbol::', 'm555555555149,1', 'M555555555149,1:cc', 'X555555555149,0:', 'Z0,555555555149,1', 'z0,555555555149,1',
    'Z0,555555555149,1;X3,220d05', 'Z1,555555555149,1', 'Z2,555555558010,4', 'Z4,555555558010,4', 'QPassSignals:e;14;4c',
    'QProgramSignals:0;1;3', 'QCatchSyscalls:1;1', 'QCatchSyscalls:0', 'vCont?', 'vCont;c:p1a2b.-1', 'vCont;s:p1a2b.1a2b',
    'vCont;r5555,5566:p1a2b.1a2b;c:p1a2b.-1', 'vCont;t:p1a2b.1a2c', 'c', 's', 'C0b', 'S0b', 'vCtrlC', 'vStopped',
    'QNonStop:1', 'QNonStop:0', 'QThreadEvents:1', 'QThreadEvents:0', 'qRcmd,68656c70', 'vKill;1a2b', 'k', 'D', 'D;1a2b',
    '!', 'vRun;', 'vRun;2f62696e2f7472756520;', 'vAttach;1a2b', 'QEnvironmentReset', 'QEnvironmentHexEncoded:613d62',
    'QEnvironmentUnset:61', 'QSetWorkingDir:2f746d70', 'QSetWorkingDir:', 'QStartupWithShell:0', 'QDisableRandomization:1',
    'Tp1a2b.1a2b',
  ];
  const unsupported = new Set(['vMustReplyEmpty', 'qTStatus', 'qOffsets']);
  for (const p of sent) assert.equal(PACKETS.has(packetName(p)), !unsupported.has(p), p);
});

test('a malformed packet with a known name finds no handler (answered \'\', as an unknown packet)', () => {
  for (const p of ['vKill', 'vKill:1a2b', 'vRun', 'vAttach:1', 'vCont', 'vCont:c', 'vCont?x', 'qXfer', 'qXfer;auxv', 'qC:1',
    'qfThreadInfo,1', 'qRcmd:6865', 'QNonStop', 'QPassSignals', 'QEnvironmentReset:1', 'vFile;setfs:0', 'vStopped;x']) {
    assert.equal(PACKETS.has(packetName(p)), false, p);
  }
});

test('every key is one a packet can produce: one letter, or a q/Q/v name whole or ending at its separator', () => {
  assert.ok(PACKETS.size >= 50, `${PACKETS.size} keys`);
  for (const key of PACKETS.keys()) {
    if (!/^[qQv]/.test(key)) {
      assert.equal(key.length, 1, key);
      continue;
    }
    assert.equal(packetName(key), key, key);
    if (/[:;,]$/.test(key)) assert.equal(packetName(`${key}1a,2b;c:d`), key, key);
  }
});
