// Forks in the other threads while gdb steps one (gdb.threads/next-fork-other-thread is the
// suite's case), with real gdb 13 and at the protocol level, on test/fixtures/gdb_fork_nexts.c.
// - Non-stop: gdb resumes every thread it counts as running with a wildcard `vCont;c` before it
//   has read the `%Stop` of one that stopped (a fork event, sent and not yet acked with
//   vStopped). The server let that resume run the forking thread and its child, which exited
//   before gdb's detach: "Can't detach process.", or a second stop for a thread gdb had been
//   told of once (gdb's internal error in commit_resumed). gdbserver ignores a resume of a
//   thread in its notification queue, and of the child of a fork there.
// - A thread that executes a breakpoint's int3 just as it is stopped for another thread's stop
//   (PTRACE_INTERRUPT: its stop comes before the queued SIGTRAP) reports the trap only when
//   resumed next, maybe after gdb removed the breakpoint: gdb heard a plain SIGTRAP a byte past
//   the address ("Thread N received signal SIGTRAP" in clock_nanosleep).
// The collisions depend on scheduling: each gdb scenario runs several times, two sessions at a
// time (UTRACE_TEST_RUNS=N runs each N times).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { ROOT, SERVER, exited, fixtureBin, gdbExAsync, gdbOpts, repeatSessions, rspSession } from './helpers.js';

const PROG = fixtureBin('gdb_fork_nexts');
const opts = { ...gdbOpts, timeout: 240000 };
const SRC = fs.readFileSync(`${ROOT}/test/fixtures/gdb_fork_nexts.c`, 'utf8').split('\n');
const lineOf = (marker: string): number => SRC.findIndex((l) => l.includes(marker)) + 1;
const FIRST = lineOf('/* first nap */');
/** `next` three times per turn of the main loop. */
const TURNS = 6;

/** One gdb -batch session against the server over stdio (asynchronous: two run side by side). */
function gdbSession(settings: string[], forkFunc: string): Promise<string> {
  // sysroot /: libraries read from the local files; no separate debug info for libc (a second
  // per session); remotetimeout: the server's start-up may take more than 2 s under load.
  const cmds = [
    'set sysroot /', 'set debug-file-directory /nonexistent', 'set remotetimeout 10', ...settings,
    `target remote | ${SERVER} stdio -- ${PROG} ${forkFunc} 100000`,
    'set print inferior-events off', `break ${FIRST}`, 'continue',
    ...Array.from({ length: 3 * TURNS }, () => 'next'),
    'kill',
  ];
  return gdbExAsync(cmds, PROG, 90);
}

/** What went wrong in a session, if anything: every `next` must end on the next line of the loop. */
function problem(out: string): string | undefined {
  for (const bad of [/received signal SIGTRAP/, /Can't detach/, /internal-error/, /Remote connection closed/, /exited with code/]) {
    if (bad.test(out)) return `saw ${bad.source}`;
  }
  const lines = [...out.matchAll(/^(\d+)\t/gm)].map((m) => Number(m[1]));
  const want = [FIRST, ...Array.from({ length: TURNS }, () => [FIRST + 1, FIRST - 1, FIRST]).flat()];
  if (lines.join(',') !== want.join(',')) return `lines ${lines.join(',')}, expected ${want.join(',')}`;
  return undefined;
}

async function repeat(runs: number, settings: string[], forkFunc: string): Promise<void> {
  const r = await repeatSessions(runs, () => gdbSession(settings, forkFunc), problem);
  assert.equal(r.failures.length, 0, `${r.failures.length} of ${r.runs} runs failed; the first:\n${r.failures[0]}`);
}

test('non-stop: next while other threads fork: every fork child is detached, every next ends on its line', opts, async () => {
  await repeat(4, ['set non-stop on'], 'fork');
});

test('all-stop over non-stop (target-non-stop on): next while other threads vfork', opts, async () => {
  await repeat(3, ['maint set target-non-stop on'], 'vfork');
});

test('all-stop: next while other threads vfork and wake at the step\'s breakpoint: no SIGTRAP of a removed breakpoint', opts, async () => {
  await repeat(6, ['maint set target-non-stop off', 'set displaced-stepping on'], 'vfork');
});

test('protocol, non-stop: a wildcard vCont;c before gdb acked a fork stop resumes neither the forking thread nor the child', { timeout: 60000 }, async () => {
  const { srv, pid, p, sock, c } = await rspSession(PROG, ['fork', '100000']);
  const state = (path: string): string => {
    try {
      return fs.readFileSync(path, 'utf8').split(') ')[1]![0]!;
    } catch {
      return 'gone';
    }
  };
  try {
    await c.request('qSupported:multiprocess+;swbreak+;fork-events+;vfork-events+;xmlRegisters=i386');
    assert.equal(await c.request('QNonStop:1'), 'OK');
    assert.match(await c.request('?'), /^T05/);
    assert.equal(await c.request('vStopped'), 'OK');
    assert.equal(await c.request('vCont;c'), 'OK');
    const n = (await c.nextNotification(10000)).toString('latin1');
    const m = new RegExp(`^Stop:T05fork:p([0-9a-f]+)\\.[0-9a-f]+;.*thread:p${p}\\.([0-9a-f]+);`).exec(n);
    assert.ok(m, n);
    const child = parseInt(m[1]!, 16);
    const forker = parseInt(m[2]!, 16);
    // gdb, not having read the notification yet, resumes all it counts as running.
    assert.equal(await c.request('vCont;c'), 'OK');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(state(`/proc/${pid}/task/${forker}/stat`), 't', 'the forking thread stays stopped');
    assert.equal(state(`/proc/${child}/stat`), 't', 'the fork child stays stopped');
    // Acked (other threads' forks may follow), gdb detaches the child: it runs to its exit.
    for (let r = await c.request('vStopped'); r !== 'OK'; r = await c.request('vStopped')) {
      const other = /^T05fork:p([0-9a-f]+)\./.exec(r);
      if (other) assert.equal(await c.request(`D;${other[1]}`), 'OK');
    }
    assert.equal(await c.request(`D;${child.toString(16)}`), 'OK');
    assert.equal(await c.request(`vKill;${p}`), 'OK');
  } finally {
    sock.destroy();
    await exited(srv.child);
  }
});
