// Stops that happen while gdb stops every thread (all-stop), in a program whose three workers
// call fn() at once (test/fixtures/gdb_threads_bp.c), with real gdb 13. Issue 15: a step that
// finished, or a breakpoint hit, during the stop for another thread's breakpoint was queued and
// reported later as a plain SIGTRAP a few bytes past the breakpoint ("Thread N received signal
// SIGTRAP"), where gdbserver drops it (a finished step of a thread gdb resumes anew; a hit of a
// breakpoint gdb removed, or whose PC gdb moved) or reports it again (a hit still valid).
// The collisions depend on scheduling: each scenario is run several times, two gdb sessions at
// a time (UTRACE_TEST_RUNS=N runs each N times).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVER, fixtureBin, gdbExAsync, gdbOpts, repeatSessions } from './helpers.js';

const PROG = fixtureBin('gdb_threads_bp');
/** The program's own total when every call of fn() ran once and whole (no lost instruction);
 * in mode "exit" worker 1 makes no call: 271000. */
const TOTAL = 'total=405695';
const opts = { ...gdbOpts, timeout: 180000 };

/** gdb -batch as gdbEx, but asynchronous, so that two sessions run side by side. */
function gdbAsync(cmds: string[], args = '', env?: Record<string, string>, prog = PROG): Promise<string> {
  // sysroot /: the libraries are read from the local files, not fetched through the server;
  // no debug-file-directory: libc's separate debug info is not loaded (a second per session);
  // remotetimeout: the server's start-up may take more than gdb's 2 s on a loaded machine.
  const all = ['set sysroot /', 'set debug-file-directory /nonexistent', 'set remotetimeout 10', `target remote | ${SERVER} stdio -- ${prog} ${args}`, ...cmds];
  return gdbExAsync(all, prog, 60, env);
}

/** Run the script `runs` times (two at a time); the transcripts that fail check (a message). */
function repeat(runs: number, cmds: string[], check: (out: string) => string | undefined, args = '',
  env?: Record<string, string>): Promise<{ runs: number; failures: string[] }> {
  return repeatSessions(runs, () => gdbAsync(cmds, args, env), check);
}

/** A whole run: no spurious SIGTRAP, and the program ran to its end with the right total. */
function ranClean(out: string, total = TOTAL): string | undefined {
  if (/received signal SIGTRAP/.test(out)) return 'spurious SIGTRAP';
  if (!out.includes(total)) return 'the program did not compute its total';
  if (!/exited normally/.test(out)) return 'the program did not exit normally';
  return undefined;
}

function assertNone({ runs, failures }: { runs: number; failures: string[] }): void {
  assert.equal(failures.length, 0, `${failures.length} of ${runs} runs failed; the first:\n${failures[0]}`);
}

test('break in a function three threads call, next twice, delete, continue: no spurious SIGTRAP, the program exits', opts, async () => {
  const failures = await repeat(6, ['break fn', 'continue', 'bt', 'next', 'next', 'info threads', 'delete', 'continue'], (out) => {
    if (!/hit Breakpoint 1, fn \(id=\d+\)/.test(out)) return 'no breakpoint hit';
    return ranClean(out);
  });
  assertNone(failures);
});

test('next over and over while the other workers hit the breakpoint: each hit is reported on the breakpoint, never a SIGTRAP', opts, async () => {
  const cmds = ['break fn', 'continue'];
  for (let i = 0; i < 6; i++) cmds.push('next');
  cmds.push('delete', 'continue');
  const failures = await repeat(4, cmds, ranClean);
  assertNone(failures);
});

test('a breakpoint deleted while other threads\' hits of it are queued: they run on, no SIGTRAP', opts, async () => {
  const failures = await repeat(3, ['break fn', 'continue', 'delete', 'continue'], ranClean);
  assertNone(failures);
});

test('an inferior call in each worker while its hit of the breakpoint may be queued: the call returns, nothing else is reported', opts, async () => {
  // scheduler-locking on: the call runs only its thread (vCont;c of that thread), whose queued
  // hit is moot once gdb moved its PC to probe(); back on the breakpoint, it hits it again.
  const failures = await repeat(3, ['break fn', 'continue', 'set scheduler-locking on', 'thread apply 2 3 4 print probe()',
    'set scheduler-locking off', 'delete', 'continue'], (out) => {
    if (/stopped while in a function called from GDB/.test(out)) return 'an inferior call interrupted';
    const n = out.match(/^\$\d+ = 7$/gm)?.length ?? 0;
    if (n !== 3) return `${n} calls of probe() returned 7`;
    return ranClean(out);
  });
  assertNone(failures);
});

test('a worker exits while the others hit the breakpoint and are stepped: no SIGTRAP, the program exits', opts, async () => {
  const failures = await repeat(3, ['break fn', 'continue', 'next', 'next', 'next', 'delete', 'continue'],
    (out) => ranClean(out, 'total=271000'), 'exit');
  assertNone(failures);
});

test('a conditional breakpoint (an int3) that the other workers step over while one thread is stepped line by line: each next ends on the next line', opts, async () => {
  // Each false hit steps over the int3 with the other threads held, the stepping one too: a
  // hold that crossed that thread's own trap came back after its next resume and its step was
  // run as a continue (the core's stale PTRACE_INTERRUPT), so `next` ran off.
  // UTRACE_DEBUG_REGS=0: the condition stays on an int3 where debug registers work.
  const failures = await repeat(3, ['set breakpoint condition-evaluation target', 'break fn if id == 21', 'continue',
    'next', 'next', 'next', 'next', 'delete', 'continue'], (out) => {
    if (!/hit Breakpoint 1, fn \(id=21\)/.test(out)) return 'no hit with id 21';
    const lines = out.match(/^1[5-9]\t/gm)?.join('') ?? '';
    if (lines !== '15\t16\t17\t18\t19\t') return `the nexts showed lines ${JSON.stringify(lines)}, not 15 to 19`;
    return ranClean(out);
  }, '', { UTRACE_DEBUG_REGS: '0' });
  assertNone(failures);
});

test('the one thread gdb runs (scheduler-locking) exits: gdb hears that no resumed thread is left, as from gdbserver', opts, async () => {
  // gdbserver answers N; without it gdb waits for ever. `thread 1` and a continue of all
  // then run the program to its end.
  const out = await gdbAsync(['break fn', 'continue', 'delete', 'set scheduler-locking on', 'finish', 'finish', 'continue',
    'set scheduler-locking off', 'thread 1', 'continue']);
  assert.match(out, /No unwaited-for children left/, out);
  assert.match(out, /\[Switching to thread 1 /, out);
  assert.equal(ranClean(out), undefined, out);
});

test('threads that meet a breakpoint on a `syscall` again as they restart their sleep, while gdb stops every thread: each is shown on it, never one byte past it (the trap queued behind the interrupt)', opts, async () => {
  // A thread whose sleep our stop cut is restarted by the kernel on the syscall instruction,
  // int3 and all: it traps at once, and the next stop of all threads may reach it between the
  // trap and its signal stop. Stopped for the interrupt first, its PC is one byte past the
  // int3, in the middle of the instruction, where gdb puts breakpoints of its own
  // (gdb.threads/next-fork-other-thread: one inside a `syscall` made every thread that
  // restarted the call run `bswap %esp`).
  const prog = fixtureBin('gdb_sleep_bp');
  const cmds = ['break *sleep_insn'];
  for (let i = 0; i < 60; i++) cmds.push('continue', 'thread apply all print/x $pc');
  cmds.push('delete', 'continue');
  const r = await repeatSessions(4, () => gdbAsync(cmds, '', undefined, prog), (out) => {
    const at = /Breakpoint 1 at 0x([0-9a-f]+)/.exec(out)?.[1];
    if (!at) return 'no breakpoint';
    const past = `= 0x${(BigInt(`0x${at}`) + 1n).toString(16)}\n`;
    if (out.includes(past)) return `a thread shown at 0x${at} + 1`;
    if (/received signal/.test(out)) return 'a signal';
    if (!/naps done, 0 failed/.test(out) || !/exited normally/.test(out)) return 'the program did not end normally';
    return undefined;
  });
  assertNone(r);
});
