// Non-stop mode (docs/gdb-server.md, "All-stop and non-stop") driven by real gdb 13 in batch mode with
// `set non-stop on`, and at the protocol level (QThreadEvents create/exit events) with
// RspTestClient. Fixture: test/fixtures/ns_ticker.c (worker 0 calls marker() once, at its
// iteration HIT; the other workers keep ticking and making syscalls).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SERVER, exited, fixtureBin, gdbEx, gdbOpts, rspSession, startServer, tmpDir } from './helpers.js';

const NS = fixtureBin('ns_ticker');
const tmp = tmpDir('utrace-gdb-ns-');
const opts = gdbOpts;
/** gdb -batch with every command as -ex (later commands run even if one fails). */
const gdb = (cmds: string[], prog = NS): string => gdbEx(cmds, prog);

/** `$N = V` values printed by gdb, in order. */
const values = (out: string): string[] => [...out.matchAll(/^\$\d+ = (.*)$/gm)].map((m) => m[1]!);

/** The lines of the last `info threads` table in `out`, keyed by gdb thread number. */
function lastThreadTable(out: string): Map<number, string> {
  const i = out.lastIndexOf('  Id   Target Id');
  assert.ok(i >= 0, `no info threads table in:\n${out}`);
  const rows = new Map<number, string>();
  for (const line of out.slice(i).split('\n').slice(1)) {
    const m = /^[* ] (\d+) +(Thread .*)$/.exec(line);
    if (!m) break;
    rows.set(Number(m[1]), m[2]!);
  }
  return rows;
}

test('non-stop: one thread held at a breakpoint while the others keep running; info threads, interrupt, continue -a, exit', opts, () => {
  const out = gdb([
    'set non-stop on',
    `target remote | ${SERVER} stdio -- ${NS} 3 3000 20`,
    'break marker', 'continue',
    'info threads',
    'thread 2', 'p ticks[0]', 'p ticks[1]', 'shell sleep 0.4', 'p ticks[1]', 'p ticks[0]', 'delete',
    // Stop one running thread (vCont;t). gdb 13 in batch mode handles that stop when the next
    // execution command starts (it is the same with gdbserver): continue -a, which resumes
    // thread 2, held at the breakpoint so far.
    'thread 3', 'interrupt', 'shell sleep 0.3', 'info threads', 'continue -a', 'info threads',
    'thread 3', 'p $_siginfo.si_signo', 'bt 1',
    // Thread 3 goes on too; every worker finishes and the program exits.
    'continue',
  ]);
  assert.match(out, /Thread 2 "ns_ticker" hit Breakpoint 1, marker \(id=0\) at .*ns_ticker\.c:18/, out);
  // While thread 2 sits at the breakpoint, the main thread and workers 1 and 2 run.
  const first = out.slice(0, out.indexOf('[Switching to thread 2'));
  const t1 = lastThreadTable(first);
  assert.match(t1.get(1)!, /"ns_ticker" \(running\)$/, first);
  assert.match(t1.get(2)!, /"ns_ticker" marker \(id=0\) at /, first);
  assert.match(t1.get(3)!, /"ns_ticker" \(running\)$/, first);
  assert.match(t1.get(4)!, /"ns_ticker" \(running\)$/, first);
  const v = values(out);
  assert.equal(v[0], '21', 'worker 0 stopped in its 21st tick');
  assert.ok(Number(v[2]) > Number(v[1]) + 40, `worker 1 kept ticking while worker 0 was held: ${v[1]} -> ${v[2]}`);
  assert.equal(v[3], '21', 'the held thread did not move');
  // interrupt: thread 3 (worker 1) stopped; continue -a let thread 2 go.
  assert.match(out, /Thread 3 "ns_ticker" stopped\./, out);
  const t2 = lastThreadTable(out.slice(0, out.lastIndexOf('[Switching to thread 3')));
  assert.match(t2.get(1)!, /\(running\)$/);
  assert.match(t2.get(2)!, /\(running\)$/);
  assert.doesNotMatch(t2.get(3)!, /\(running\)$/);
  assert.match(t2.get(4)!, /\(running\)$/);
  assert.equal(v[4], '19', '$_siginfo of a vCont;t stop: SIGSTOP, as with gdbserver');
  assert.match(out, /^#0 +0x[0-9a-f]+ in \S*nanosleep/m, out);
  assert.match(out, /thread 0 ticks=3000\nthread 1 ticks=3000\nthread 2 ticks=3000\ndone/, out);
  assert.match(out, /\[Inferior 1 \(process \d+\) exited normally\]/, out);
});

test('non-stop: in-line step over a breakpoint (displaced stepping off) stops every thread with thread events on, then resumes them', opts, () => {
  const log = path.join(tmp, 'inline.rsp');
  const out = gdb([
    // 10 s of ticks: the other workers must still run at `info threads` (3 s were not enough
    // for the two in-line steps on a loaded machine: their rows were gone).
    'set non-stop on', `set remotelogfile ${log}`,
    `target remote | ${SERVER} stdio -- ${NS} 3 10000 20`,
    'break marker', 'continue', 'thread 2', 'set displaced-stepping off', 'next', 'next', 'info threads',
    'delete', 'continue',
  ]);
  assert.match(out, /hit Breakpoint 1, marker \(id=0\)/, out);
  assert.match(out, /^19\t}$/m, out);
  assert.match(out, /^worker \(arg=0x0\) at .*ns_ticker\.c:24$/m, out);
  const t = lastThreadTable(out);
  assert.match(t.get(1)!, /\(running\)$/, out);
  assert.match(t.get(3)!, /\(running\)$/, out);
  assert.match(t.get(2)!, /worker \(arg=0x0\)/, out);
  assert.match(out, /\[Inferior 1 \(process \d+\) exited normally\]/, out);
  const rsp = fs.readFileSync(log, 'latin1');
  assert.match(rsp, /^w \$QThreadEvents:1#/m, 'gdb turned thread events on to stop all threads');
  assert.match(rsp, /^w \$vCont;t:p[0-9a-f]+\.[0-9a-f]+#/m);
  assert.match(rsp, /%Stop:T00/, 'vCont;t stops are reported as T00 notifications');
  assert.match(rsp, /^w \$vStopped#/m);
});

test('non-stop extended-remote: attach PID (vAttach), info threads, interrupt, memory, detach: it keeps running untraced', opts, async () => {
  const victim = spawn(NS, ['2', '100000', '100000000'], { stdio: 'ignore' });
  const srv = await startServer(['--multi', '--once', '127.0.0.1:0']);
  try {
    await new Promise((r) => setTimeout(r, 200));
    const pid = victim.pid!;
    const out = gdb([
      'set non-stop on', `target extended-remote 127.0.0.1:${srv.port}`,
      `attach ${pid}`, 'info threads', 'thread 1', 'interrupt', 'shell sleep 0.3', 'info threads', 'info threads',
      'p ticks[0] > 0', 'detach',
    ]);
    assert.match(out, new RegExp(`\\[Inferior 1 \\(process ${pid}\\) detached\\]`), out);
    assert.match(out, /^\$1 = 1$/m, out);
    const t = lastThreadTable(out.slice(0, out.indexOf('$1 =')));
    assert.equal(t.size, 3, out);
    await new Promise((r) => setTimeout(r, 300));
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    assert.match(status, /TracerPid:\s+0/);
    // Its workers go on ticking (each tick sleeps 1 ms: a voluntary context switch).
    const switches = (): number => fs.readdirSync(`/proc/${pid}/task`).reduce((n, tid) =>
      n + Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))![1]), 0);
    const before = switches();
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(switches() > before + 50, 'the detached process runs');
  } finally {
    victim.kill('SIGKILL');
    srv.child.kill('SIGKILL');
  }
});

test('protocol, non-stop: QThreadEvents reports thread creation (T05create:) and exit (w0;…), then W0', { timeout: 60000 }, async () => {
  const { srv, p, sock, c } = await rspSession(NS, ['2', '30', '1000']);
  try {
    assert.match(await c.request('qSupported:multiprocess+;swbreak+;QThreadEvents+;no-resumed+;xmlRegisters=i386'), /QNonStop\+/);
    assert.equal(await c.request('QNonStop:1'), 'OK');
    assert.match(await c.request('?'), new RegExp(`^T05.*thread:p${p}\\.${p};`));
    assert.equal(await c.request('vStopped'), 'OK');
    assert.equal(await c.request('QThreadEvents:1'), 'OK');
    assert.equal(await c.request('vCont;c'), 'OK');
    // Every stop: the notification, then vStopped replies until OK.
    const stops: string[] = [];
    const drain = async (): Promise<void> => {
      stops.push((await c.nextNotification(10000)).toString('latin1').replace(/^Stop:/, ''));
      for (;;) {
        const r = await c.request('vStopped');
        if (r === 'OK') break;
        stops.push(r);
      }
    };
    while (stops.filter((s) => s.includes('create:')).length < 2) await drain();
    const created = stops.map((s) => /^T05create:;.*thread:p[0-9a-f]+\.([0-9a-f]+);/.exec(s)?.[1]).filter((x): x is string => !!x);
    assert.equal(created.length, 2, stops.join('\n'));
    assert.ok(!created.includes(p));
    // The new threads wait for gdb: resume them (the main thread runs already: ignored).
    assert.equal(await c.request('vCont;c'), 'OK');
    while (!stops.some((s) => s.startsWith('W'))) await drain();
    const exits = stops.map((s) => /^w0;p[0-9a-f]+\.([0-9a-f]+)$/.exec(s)?.[1]).filter((x): x is string => !!x);
    assert.deepEqual(exits.sort(), [...created].sort(), stops.join('\n'));
    assert.equal(stops[stops.length - 1], `W0;process:${p}`);
    assert.ok(stops.indexOf(`W0;process:${p}`) > stops.findIndex((s) => s.startsWith('w0;')), 'thread exits come before the process exit');
  } finally {
    sock.destroy();
    await exited(srv.child);
  }
});

test('protocol, non-stop: without QThreadEvents new threads just run; vCont;t of a thread gives T00; ? lists the stopped threads', { timeout: 60000 }, async () => {
  const { srv, pid, p, sock, c } = await rspSession(NS, ['2', '100000', '100000000']);
  try {
    await c.request('qSupported:multiprocess+;swbreak+;QThreadEvents+;xmlRegisters=i386');
    assert.equal(await c.request('QNonStop:1'), 'OK');
    await c.request('?');
    assert.equal(await c.request('vStopped'), 'OK');
    assert.equal(await c.request('vCont;c'), 'OK');
    // Wait for the workers to exist.
    let threads: string[] = [];
    for (let i = 0; i < 100 && threads.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
      threads = [...(await c.request('qXfer:threads:read::0,1000')).matchAll(/id="p[0-9a-f]+\.([0-9a-f]+)"/g)].map((m) => m[1]!);
    }
    assert.equal(threads.length, 3);
    const worker = threads.find((t) => t !== p)!;
    assert.equal(await c.request(`vCont;t:p${p}.${worker}`), 'OK');
    const n = (await c.nextNotification(5000)).toString('latin1');
    assert.match(n, new RegExp(`^Stop:T00.*thread:p${p}\\.${worker};`));
    assert.equal(await c.request('vStopped'), 'OK');
    // A second vCont;t of a stopped thread is ignored; ? repeats its stop (and only its).
    assert.equal(await c.request(`vCont;t:p${p}.${worker}`), 'OK');
    assert.match(await c.request('?'), new RegExp(`^T00.*thread:p${p}\\.${worker};`));
    assert.equal(await c.request('vStopped'), 'OK');
    // Registers of the stopped thread; memory through it while the others run.
    assert.equal(await c.request(`Hgp${p}.${worker}`), 'OK');
    assert.ok((await c.request('g')).length >= 1120);
    // Memory through the held worker while the selected (main) thread runs, and with every
    // thread running (the current one is paused for the read and goes on).
    const rip = /;10:([0-9a-f]{16});/.exec(n)![1]!;
    const pc = BigInt('0x' + Buffer.from(rip, 'hex').reverse().toString('hex')).toString(16);
    assert.equal(await c.request(`Hgp${p}.${p}`), 'OK');
    const code = await c.request(`m${pc},8`);
    assert.match(code, /^[0-9a-f]{16}$/);
    assert.equal(await c.request(`vCont;c:p${p}.${worker}`), 'OK');
    assert.equal(await c.request(`m${pc},8`), code);
    assert.equal(await c.request('g'), 'E01', 'no registers of a running thread');
    const stat = (tid: string): string => fs.readFileSync(`/proc/${pid}/task/${parseInt(tid, 16)}/stat`, 'utf8').split(') ')[1]![0]!;
    await new Promise((r) => setTimeout(r, 100));
    assert.notEqual(stat(p), 't', 'the main thread runs again after the read');
    assert.notEqual(stat(worker), 't', 'the worker runs again');
    assert.equal(c.unconsumed.filter((t) => t.kind === 'notification').length, 0, 'no stray notifications');
    assert.equal(await c.request(`vKill;${p}`), 'OK');
  } finally {
    sock.destroy();
    await exited(srv.child);
  }
});

test('non-stop: memory reads while the other threads run are answered at once, not after a wait bound each', opts, () => {
  // Each `print` is a few `m` packets with threads running. A server that waits for the
  // running threads' stops before each read (the drain's bound, 4-6 ms) takes seconds here.
  const loop = path.join(tmp, 'prints.gdb');
  fs.writeFileSync(loop, 'set $i = 0\nwhile $i < 100\n  print ticks[1]\n  set $i = $i + 1\nend\n');
  const out = gdb([
    'set non-stop on',
    `target remote | ${SERVER} stdio -- ${NS} 3 3000 20`,
    'break marker', 'continue',
    'shell date +%s%N', `source ${loop}`, 'shell date +%s%N',
    'delete', 'continue -a',
  ]);
  assert.equal(values(out).length, 100, out);
  const [a, b] = [...out.matchAll(/^(\d{19})$/gm)].map((m) => BigInt(m[1]!));
  assert.ok(a !== undefined && b !== undefined, out);
  const ms = Number(b! - a!) / 1e6;
  assert.ok(ms < 500, `100 prints took ${ms.toFixed(0)} ms`);
  assert.match(out, /exited normally/, out);
});
