// Threads and processes that end under gdb, with real gdb 13 and the server: what gdb hears
// must be what GNU gdbserver tells it (gdb's own testsuite, gdb.threads, holds gdbserver to it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVER, fixtureBin, gdbEx, gdbOpts } from './helpers.js';

const opts = { ...gdbOpts, timeout: 120000 };
/** Local libraries, no separate debug info: a second less per session. */
const QUICK = ['set sysroot /', 'set debug-file-directory /nonexistent', 'set remotetimeout 10'];

test('the leader, run alone (scheduler-locking), leaves with pthread_exit: gdb hears that no resumed thread is left, as from gdbserver', opts, () => {
  // A leader that leaves early has no death report until its process ends (a zombie): without
  // `N` gdb waits for ever (gdb.threads/no-unwaited-for-left.exp).
  const prog = fixtureBin('leader_exit');
  const out = gdbEx([...QUICK, `target remote | ${SERVER} stdio -- ${prog} 7`, 'tbreak pthread_exit', 'continue',
    'set scheduler-locking on', 'continue', 'info threads', 'thread 2', 'set scheduler-locking off', 'continue'], prog);
  assert.match(out, /No unwaited-for children left/, out);
  assert.match(out, /The current thread <Thread ID 1> has terminated/, out);
  assert.match(out, /exited with code 07/, out);
});

test('a program SIGKILLed from outside while gdb is at its prompt: the next continue reports the kill (X09), not a normal exit', opts, () => {
  // Every thread died held: the resume found no thread and answered W00 (gdb:
  // "exited normally"); gdbserver reports the process's real end (gdb.threads/killed-outside.exp).
  const prog = fixtureBin('mt_ticker');
  const out = gdbEx([...QUICK, `target remote | ${SERVER} stdio -- ${prog} 3 100000`, 'break nanosleep', 'continue',
    'python import os; os.kill(gdb.selected_inferior().pid, 9)', 'shell sleep 1', 'continue', 'continue'], prog);
  assert.match(out, /Program terminated with signal SIGKILL, Killed\.\s+The program no longer exists\./, out);
  assert.doesNotMatch(out, /exited normally/, out);
  assert.match(out, /The program is not being run\./, out);
});

test('a clone without CLONE_THREAD (its own thread group, PTRACE_EVENT_CLONE) is a new thread of the process, as gdbserver shows it', opts, () => {
  // It was taken for a fork: gdb detached it with its breakpoints removed from the shared
  // memory, and never saw it stop (gdb.threads/clone-thread_db.exp, current-lwp-dead.exp).
  const prog = fixtureBin('clone_lwp');
  const out = gdbEx([...QUICK, `target remote | ${SERVER} stdio -- ${prog}`, 'break in_clone', 'continue', 'info threads',
    'continue'], prog);
  assert.match(out, /Thread 2 hit Breakpoint 1, in_clone \(\)/, out);
  assert.match(out, /^\*\s+2\s+Thread \d+\.\d+\s+in_clone \(\)/m, out);
  assert.doesNotMatch(out, /Detaching after fork|core="undefined"/, out);
  assert.match(out, /clone exited 7/, out);
  assert.match(out, /exited normally/, out);
});

test('stepi of a thread with a signal queued for it while it was held: gdb hears the signal first, as from gdbserver', opts, () => {
  // An emulated step ran the instruction without resuming the thread, so the signal the kernel
  // delivers before any instruction came a stop late (gdb.threads/stepi-random-signal.exp).
  const prog = fixtureBin('sig_pending');
  const out = gdbEx([...QUICK, `target remote | ${SERVER} stdio -- ${prog}`, 'break at_main', 'continue',
    'set scheduler-locking on', 'set var go = 1', 'thread 2', 'break sent', 'continue', 'thread 1', 'print $pc', 'stepi',
    'print $pc', 'set scheduler-locking off', 'delete', 'continue'], prog);
  assert.match(out, /Thread 2 "sig_pending" hit Breakpoint 2, sent \(\)/, out);
  assert.match(out, /Thread 1 "sig_pending" received signal SIGUSR1/, out);
  // The instruction did not run: the signal stop comes before it.
  const pcs = [...out.matchAll(/^\$\d+ = \(void \(\*\)\(\)\) (0x[0-9a-f]+)/gm)].map((m) => m[1]);
  assert.equal(pcs.length, 2, out);
  assert.equal(pcs[0], pcs[1], out);
  assert.match(out, /exited normally/, out);
});
