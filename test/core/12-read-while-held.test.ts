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
