// Thread ids and vCont parsing/resolution.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { RspParseError } from '../../src/engines/gdb/protocol/packet.js';
import { THREAD_ALL, THREAD_ANY, formatThreadId, isWildcard, parsePid, parseThreadId, threadMatches } from '../../src/engines/gdb/protocol/threadId.js';
import { VCONT_SUPPORTED_REPLY, parseVCont, resolveVCont } from '../../src/engines/gdb/protocol/vcont.js';

test('thread ids: multiprocess and plain forms', () => {
  assert.deepEqual(parseThreadId('p1148.1148'), { pid: 0x1148, tid: 0x1148 });
  assert.deepEqual(parseThreadId('p5.-1'), { pid: 5, tid: THREAD_ALL });
  assert.deepEqual(parseThreadId('p5'), { pid: 5, tid: THREAD_ALL });
  assert.deepEqual(parseThreadId('p-1'), { pid: THREAD_ALL, tid: THREAD_ALL });
  assert.deepEqual(parseThreadId('p-1.-1'), { pid: THREAD_ALL, tid: THREAD_ALL });
  assert.deepEqual(parseThreadId('p0.0'), { pid: THREAD_ANY, tid: THREAD_ANY });
  assert.deepEqual(parseThreadId('-1'), { pid: THREAD_ALL, tid: THREAD_ALL });
  assert.deepEqual(parseThreadId('0'), { pid: THREAD_ANY, tid: THREAD_ANY });
  assert.deepEqual(parseThreadId('1a2b'), { pid: THREAD_ANY, tid: 0x1a2b });
  for (const bad of ['', 'p', 'p.1', 'pzz.1', 'p1.', 'p1.x', 'g', '-2', 'p1.2.3', '123456789']) {
    assert.throws(() => parseThreadId(bad), RspParseError, bad);
  }
  assert.equal(formatThreadId({ pid: 0x1148, tid: 0x115a }, true), 'p1148.115a');
  assert.equal(formatThreadId({ pid: 5, tid: THREAD_ALL }, true), 'p5.-1');
  assert.equal(formatThreadId({ pid: THREAD_ALL, tid: THREAD_ALL }, true), 'p-1.-1');
  assert.equal(formatThreadId({ pid: 0x1148, tid: 0x115a }, false), '115a');
  assert.equal(formatThreadId({ pid: 5, tid: THREAD_ALL }, false), '-1');
  assert.equal(parsePid('1148'), 0x1148);
  assert.throws(() => parsePid('p1148'), RspParseError);
});

test('thread id matching and wildcards', () => {
  const t = { pid: 5, tid: 7 };
  assert.ok(threadMatches(parseThreadId('p5.-1'), t));
  assert.ok(!threadMatches(parseThreadId('p6.-1'), t));
  assert.ok(threadMatches(parseThreadId('p5.7'), t));
  assert.ok(!threadMatches(parseThreadId('p5.8'), t));
  assert.ok(threadMatches(parseThreadId('-1'), t));
  assert.ok(threadMatches(parseThreadId('7'), t), 'plain tid: any process');
  assert.ok(isWildcard(parseThreadId('p5.-1')));
  assert.ok(isWildcard(parseThreadId('0')));
  assert.ok(!isWildcard(parseThreadId('p5.7')));
  assert.ok(!isWildcard(parseThreadId('7')));
});

test('vCont parsing: observed packets', () => {
  assert.equal(VCONT_SUPPORTED_REPLY, 'vCont;c;C;t;s;S;r');
  assert.deepEqual(parseVCont('vCont;c:p1148.-1'), [{ action: 'c', thread: { pid: 0x1148, tid: -1 } }]);
  assert.deepEqual(parseVCont('vCont;s:p1148.1148'), [{ action: 's', thread: { pid: 0x1148, tid: 0x1148 } }]);
  assert.deepEqual(parseVCont('vCont;C1e:p14db.14db;c:p14db.-1'), [
    { action: 'C', signal: 0x1e, thread: { pid: 0x14db, tid: 0x14db } },
    { action: 'c', thread: { pid: 0x14db, tid: -1 } },
  ]);
  assert.deepEqual(parseVCont('vCont;r555555555248,55555555525a:p1148.1148;c:p1148.-1'), [
    { action: 'r', start: 0x555555555248n, end: 0x55555555525an, thread: { pid: 0x1148, tid: 0x1148 } },
    { action: 'c', thread: { pid: 0x1148, tid: -1 } },
  ]);
  assert.deepEqual(parseVCont('vCont;s:p207e.207e;c'), [{ action: 's', thread: { pid: 0x207e, tid: 0x207e } }, { action: 'c' }]);
  assert.deepEqual(parseVCont('vCont;t:p207e.207e'), [{ action: 't', thread: { pid: 0x207e, tid: 0x207e } }]);
  assert.deepEqual(parseVCont('vCont;S05'), [{ action: 'S', signal: 5 }]);
  for (const bad of ['vCont', 'vCont;', 'vCont;x', 'vCont;C1', 'vCont;Czz', 'vCont;c:', 'vCont;c;;s', 'vCont;r1:p1.1', 'vCont;cc', 'vCont?']) {
    assert.throws(() => parseVCont(bad), RspParseError, bad);
  }
});

test('vCont resolution: leftmost match wins, unmatched threads stay put', () => {
  const threads = [
    { pid: 5, tid: 5 },
    { pid: 5, tid: 6 },
    { pid: 6, tid: 6 },
    { pid: 6, tid: 9 },
  ];
  const view = (payload: string): string[] => resolveVCont(parseVCont(payload), threads).map((r) => r.action?.action ?? '-');

  // s:T1;c -> T1 steps, every other thread continues.
  assert.deepEqual(view('vCont;s:p5.6;c'), ['c', 's', 'c', 'c']);
  // c:p5.-1 does not touch process 6.
  assert.deepEqual(view('vCont;c:p5.-1'), ['c', 'c', '-', '-']);
  // Step-over: only the named thread runs.
  assert.deepEqual(view('vCont;s:p5.5'), ['s', '-', '-', '-']);
  // Leftmost wins even when a later action is more specific.
  assert.deepEqual(view('vCont;c:p5.-1;s:p5.6'), ['c', 'c', '-', '-']);
  // Signal to one thread, continue the rest of its process.
  const r = resolveVCont(parseVCont('vCont;C1e:p6.9;c:p6.-1'), threads);
  assert.deepEqual(r.map((x) => x.action?.action ?? '-'), ['-', '-', 'c', 'C']);
  assert.equal(r[3]!.action!.signal, 0x1e);
  assert.equal(r[3]!.thread, threads[3], 'the caller\'s thread objects are returned');
  // Range step for one thread, continue the process (gdb `next`).
  assert.deepEqual(view('vCont;r1000,1010:p5.5;c:p5.-1'), ['r', 'c', '-', '-']);
  // All processes.
  assert.deepEqual(view('vCont;c:p-1.-1'), ['c', 'c', 'c', 'c']);
  // Plain tid (no multiprocess): tid 6 exists in both "processes" in this synthetic list.
  assert.deepEqual(view('vCont;s:6'), ['-', 's', 's', '-']);
});
