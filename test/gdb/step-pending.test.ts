// All-stop: a step of one thread that ends while another thread's stop is being reported stays
// queued. gdb then steps that thread again (a displaced step is resumed that way): the queued
// finished step is the answer, as gdbserver reports it; stepping once more ran one instruction
// more than gdb asked for (a displaced `call` also ran the callee's first instruction, gdb's
// fix-up of the return address hit the saved frame pointer instead, and the program died of a
// SIGSEGV later: gdb.threads/next-fork-other-thread). Protocol level, on two spinning threads
// (test/fixtures/gdb_spin_threads.c) stepped together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exited, fixtureBin, rspSession } from './helpers.js';

const PROG = fixtureBin('gdb_spin_threads');

/** rip from a `g` reply (amd64: 16 registers of 8 bytes, then rip), as a hex string. */
const ripOfG = (g: string): string => g.slice(256, 272);
/** rip from a stop reply's expedited registers (10:…). */
const ripOfStop = (r: string): string => /;10:([0-9a-f]{16});/.exec(r)?.[1] ?? '';

test('protocol, all-stop: a thread whose step ended during another thread\'s stop, stepped again, reports that step, not a second one', { timeout: 60000 }, async () => {
  const { srv, p, sock, c } = await rspSession(PROG);
  try {
    await c.request('qSupported:multiprocess+;swbreak+;xmlRegisters=i386');
    await c.request('?');
    c.sendPacket('vCont;c');
    await new Promise((r) => setTimeout(r, 300));
    c.sendRaw('\x03');
    assert.match((await c.nextPacket(5000)).toString('latin1'), /^T/);
    const ids = [...(await c.request('qXfer:threads:read::0,1000')).matchAll(/id="p[0-9a-f]+\.([0-9a-f]+)"/g)].map((m) => m[1]!);
    const workers = ids.filter((t) => t !== p);
    assert.equal(workers.length, 2, ids.join(','));
    const rip = async (t: string): Promise<string> => {
      assert.equal(await c.request(`Hgp${p}.${t}`), 'OK');
      return ripOfG(await c.request('g'));
    };
    let checked = 0;
    for (let round = 0; round < 30 && checked < 3; round++) {
      const before = new Map<string, string>();
      for (const t of workers) before.set(t, await rip(t));
      const first = await c.request(`vCont;s:p${p}.${workers[0]};s:p${p}.${workers[1]}`, 5000);
      const who = /thread:p[0-9a-f]+\.([0-9a-f]+);/.exec(first)?.[1];
      assert.ok(who && workers.includes(who), first);
      const other = workers.find((t) => t !== who)!;
      const now = await rip(other);
      if (now === before.get(other)) continue; // its step had not run when it was stopped
      // Its step ended: stepped again, that step is the reply, where it is now.
      const again = await c.request(`vCont;s:p${p}.${other}`, 5000);
      assert.match(again, new RegExp(`^T05.*thread:p${p}\\.${other};`), again);
      assert.equal(ripOfStop(again), now, `round ${round}: the queued step is reported, no second step runs`);
      checked++;
    }
    assert.ok(checked > 0, 'a step ended while the other thread\'s stop was reported at least once');
    assert.equal(await c.request(`vKill;${p}`), 'OK');
  } finally {
    sock.destroy();
    await exited(srv.child);
  }
});
