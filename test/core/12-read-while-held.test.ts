/**
 * Tracer.readWhileHeld: a peer's descriptor served synchronously while the tracees are held.
 * Bytes are read without a turn of the event loop; a resume asked for by the read handler is
 * followed to its stop (and that stop's reports) before the next read; the call returns once
 * the peer is quiet (bounded), and does nothing when called from inside itself.
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Attach, Event, Resume } from '../../src/index.js';
import { T, cleanup, exitGuard, exitOf, fifo, fixture, newTracer, waitFor } from './helpers.js';

afterEach(cleanup);
after(exitGuard);

test('reads between held stops, follows a resume to its stop before the next read, returns when quiet', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('getppid_loop'), '20'], { stdio: 'ignore' });
  const log: string[] = [];
  let hold = true;
  const engine = tracer.attachTask(task, Attach.CREATE, {
    reportSyscallEntry: () => {
      log.push('stop');
      return hold ? Resume.STOP : Resume.RESUME;
    },
  });
  engine.setEvents(Event.SYSCALL_ENTRY);
  task.start();
  await waitFor(() => log.length >= 1 && task.state === 'stopped', 5000, 'first syscall entry held');
  log.length = 0;

  const peer = fifo();
  peer.write('a');
  const buf = Buffer.alloc(16);
  let nested = -1;
  const onRead = (n: number): void => {
    const text = buf.toString('latin1', 0, n);
    log.push(`read ${text}`);
    if (text === 'a') {
      engine.control(Resume.RESUME);
      peer.write('b'); // readable at once: the stop must still come first
    } else if (text === 'b') {
      const before = log.length;
      peer.write('c');
      tracer.readWhileHeld(peer.fd, buf, () => log.push('nested read'));
      nested = log.length - before;
    }
  };
  // Usually all of it happens in the first call. On a loaded machine the resumed thread may
  // not reach its stop within the bound: the call then returns, the stop comes through the
  // event loop, and a later call reads on. Either way the stop precedes the next read.
  let calls = 0;
  const t0 = performance.now();
  while (!log.includes('read c') && performance.now() - t0 < 5000) {
    const t1 = performance.now();
    tracer.readWhileHeld(peer.fd, buf, onRead);
    calls++;
    const ms = performance.now() - t1;
    assert.ok(ms < 1000, `returned ${ms.toFixed(0)} ms after the peer went quiet`);
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(log, ['read a', 'stop', 'read b', 'read c'], `stop before the next read (${calls} calls)`);
  assert.equal(nested, 0, 'a nested call reads nothing');
  assert.equal(task.state, 'stopped', 'still held by the engine');

  hold = false;
  engine.control(Resume.RESUME);
  const st = await exitOf(task);
  assert.equal(st.code, 0);
});

test('returns at once while a thread runs: its stops and the peer come through the event loop', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('spin')], { stdio: 'ignore' });
  const engine = tracer.attachTask(task, Attach.CREATE, { reportExit: () => undefined });
  engine.setEvents(Event.EXIT);
  task.start();
  const peer = fifo();
  peer.write('x');
  const buf = Buffer.alloc(16);
  let reads = 0;
  tracer.readWhileHeld(peer.fd, buf, () => reads++);
  assert.equal(reads, 0, 'nothing read while the thread runs');
  process.kill(task.tgid, 'SIGKILL');
  const st = await exitOf(task);
  assert.equal(st.signal, 9);
});

test('a used slice yields one turn of the event loop, then reads on by itself; leaving later re-arms the waiter', T, async () => {
  const tracer = newTracer();
  const task = await tracer.spawn([fixture('getppid_loop'), '20'], { stdio: 'ignore' });
  let hold = true;
  let stops = 0;
  const engine = tracer.attachTask(task, Attach.CREATE, {
    reportSyscallEntry: () => {
      stops++;
      return hold ? Resume.STOP : Resume.RESUME;
    },
  });
  engine.setEvents(Event.SYSCALL_ENTRY);
  task.start();
  await waitFor(() => stops >= 1 && task.state === 'stopped', 5000, 'first syscall entry held');

  // A peer that keeps talking for ~30 ms (a byte per ~1.5 ms of handling): past the 4 ms slice
  // several times, never quiet for the read bound.
  const BYTES = 20;
  const peer = fifo();
  const buf = Buffer.alloc(16);
  const got: string[] = [];
  let readsAtTurn = -1;
  setImmediate(() => (readsAtTurn = got.length)); // queued before: runs at the first yield
  const onRead = (n: number): void => {
    for (const c of buf.toString('latin1', 0, n)) got.push(c);
    const until = performance.now() + 1.5;
    while (performance.now() < until) { /* the handling of a packet */ }
    if (got.length < BYTES) peer.write(String.fromCharCode(97 + got.length));
  };
  peer.write('a');
  tracer.readWhileHeld(peer.fd, buf, onRead);
  const readsInFirstCall = got.length;
  await waitFor(() => got.length === BYTES, 5000, `all ${BYTES} bytes read without another call (${got.length})`);
  assert.ok(readsInFirstCall < BYTES, `the first call yielded (${readsInFirstCall} reads in it)`);
  assert.ok(readsAtTurn >= readsInFirstCall && readsAtTurn < BYTES, `the event loop ran mid-stream (${readsAtTurn} reads by then)`);
  assert.equal(got.join(''), 'abcdefghijklmnopqrst', 'in order');
  assert.equal(task.state, 'stopped', 'still held');

  // The peer is quiet now: the last call leaves (waiter armed), and the thread's stops and exit
  // come through the event loop.
  hold = false;
  engine.control(Resume.RESUME);
  const st = await exitOf(task);
  assert.equal(st.code, 0);
  assert.ok(stops > 1);
});
