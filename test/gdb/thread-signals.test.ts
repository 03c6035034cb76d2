// Real gdb 13 against `utrace gdbserver`: signals of several threads at once (gdb.threads
// sigstep-threads, siginfo-threads). gdb answers a queued stop of one thread with a resume that
// gives another thread its signal (vCont;C); nothing runs then, and the signal must wait with
// its thread, not vanish.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SERVER, exited, fixtureBin, gdbEx, gdbOpts, rspSession, tmpDir } from './helpers.js';

const PROG = fixtureBin('gdb_sig_threads');

test('4 threads send themselves SIGUSR1 at once, 10 rounds, gdb prints and passes each: none is lost (twice: a race; 26 of 40 were lost)', gdbOpts, () => {
  for (let run = 0; run < 2; run++) {
    const out = gdbEx([`target remote | ${SERVER} stdio -- ${PROG} 10`, 'handle SIGUSR1 nostop print pass', 'continue'], PROG);
    const seen = out.match(/received signal SIGUSR1/g)?.length ?? 0;
    assert.match(out, /lost=0/, `run ${run}: ${out.slice(-600)}`);
    assert.match(out, /exited normally/, out.slice(-600));
    assert.equal(seen, 40, `run ${run}: gdb saw every signal once`);
  }
});

// Non-stop: gdb delivers a thread's signal (vCont;C) and, at once, stops it (vCont;t). The
// signal's stop sat in a gate; its vote reached the core a promise turn after the STOP, which
// then counted as held at once: gdb heard T00, and then the thread's hit of a breakpoint in
// the signal handler, two stops of one thread (gdb.threads/next-fork-other-thread, non-stop
// with SIGCHLD). One of them now, never both.
test('protocol, non-stop: vCont;C then vCont;t of the same thread at once: one stop of it, not a T00 and then its breakpoint hit', { timeout: 60000 }, async () => {
  const { srv, pid, p, sock, c } = await rspSession(PROG, ['3']);
  const stops: string[] = [];
  /** Every stop for a while: the notifications and the vStopped replies after each. */
  const collect = async (ms: number): Promise<void> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      let n: Buffer;
      try {
        n = await c.nextNotification(Math.max(1, end - Date.now()));
      } catch {
        return;
      }
      stops.push(n.toString('latin1').replace(/^Stop:/, ''));
      for (let r = await c.request('vStopped'); r !== 'OK'; r = await c.request('vStopped')) stops.push(r);
    }
  };
  try {
    await c.request('qSupported:multiprocess+;swbreak+;xmlRegisters=i386');
    assert.equal(await c.request('QNonStop:1'), 'OK');
    assert.match(await c.request('?'), /^T05/);
    assert.equal(await c.request('vStopped'), 'OK');
    // A breakpoint on the SIGUSR1 handler (static: its address from the symbol and the map).
    const sym = execFileSync('nm', [PROG]).toString().split('\n').find((l) => / t handler$/.test(l))!;
    const base = fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').find((l) => l.includes(path.basename(PROG)))!;
    const handler = (BigInt('0x' + base.split('-')[0]!) + BigInt('0x' + sym.split(' ')[0]!)).toString(16);
    assert.equal(await c.request(`Z0,${handler},1`), 'OK');
    assert.equal(await c.request('vCont;c'), 'OK');
    await collect(1500);
    const first = stops.map((s) => new RegExp(`^T1e.*thread:p${p}\\.([0-9a-f]+);`).exec(s)).find((m) => m);
    assert.ok(first, stops.join('\n'));
    const tid = first[1]!;
    stops.length = 0;
    // Both packets in one write, as fast as gdb can send them.
    c.sendPacket(`vCont;C1e:p${p}.${tid}`);
    c.sendPacket(`vCont;t:p${p}.${tid}`);
    assert.equal((await c.nextPacket()).toString('latin1'), 'OK');
    assert.equal((await c.nextPacket()).toString('latin1'), 'OK');
    await collect(1500);
    const mine = stops.filter((s) => s.includes(`thread:p${p}.${tid};`));
    assert.equal(mine.length, 1, `one stop of thread ${tid}: ${mine.join(' | ')}`);
    assert.match(mine[0]!, /^T(00|05swbreak)/);
    assert.equal(await c.request(`vKill;${p}`), 'OK');
  } finally {
    sock.destroy();
    await exited(srv.child);
  }
});

// A thread stopped because another one stopped has the siginfo of gdbserver's SIGSTOP (tkill)
// for `$_siginfo`, not "Unable to read siginfo", and a gcore has an NT_SIGINFO for each thread
// (gdb.base/siginfo-thread.exp).
test('$_siginfo of a thread stopped for another thread\'s breakpoint: SIGSTOP from tkill, in a gcore too', gdbOpts, () => {
  const prog = fixtureBin('gdb_prog');
  const dir = tmpDir('utrace-gdb-siginfo-');
  const core = path.join(dir, 'core');
  try {
    const out = gdbEx([`target remote | ${SERVER} stdio -- ${prog}`, 'break worker', 'continue', 'p $_siginfo.si_signo',
      'thread 1', 'p $_siginfo.si_signo', 'p $_siginfo.si_code', `gcore ${core}`, 'kill'], prog);
    assert.match(out, /Thread \d+ "gdb_prog" hit Breakpoint 1, worker/, out);
    assert.doesNotMatch(out, /Unable to read siginfo/, out);
    assert.match(out, /^\$1 = 5$/m, out); // the breakpoint's SIGTRAP
    assert.match(out, /^\$2 = 19$/m, out); // SIGSTOP
    assert.match(out, /^\$3 = -6$/m, out); // SI_TKILL
    const fromCore = execFileSync('gdb', ['-batch', '-nx', '-ex', 'thread apply all p $_siginfo.si_signo', prog, core], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.doesNotMatch(fromCore, /Unable to read siginfo/, fromCore);
    assert.deepEqual(fromCore.match(/^\$\d+ = \d+$/gm)?.map((l) => l.split(' = ')[1]).sort(), ['19', '5'], fromCore);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
