// Thread-local variables through qGetTLSAddr: real gdb prints __thread variables of the program
// (main_tls), of a linked library (lib_tls, static TLS) and of a dlopen()ed one (dyn_tls,
// dynamic TLS; one thread never touched it) in three threads of test/fixtures/tls_threads.c,
// against `utrace gdbserver` and against GNU gdbserver: the values are those the program
// printed, and both servers give gdb the same answers (the same error for the unallocated one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { SERVER, fixtureBin, gdbEx, gdbOpts } from './helpers.js';

const PROG = fixtureBin('tls_threads');
const haveGdbserver = spawnSync('gdbserver', ['--version']).status === 0;

function session(server: string): string {
  return gdbEx([
    // remotetimeout: the server's start-up may take more than gdb's 2 s on a loaded machine.
    'set pagination off', 'set remotetimeout 10', `target remote | ${server} - ${PROG}`, 'break tls_all_set', 'continue',
    'thread apply all -ascending print main_tls', 'thread apply all -ascending print lib_tls',
    'thread apply all -ascending -c print dyn_tls', 'print errno', 'kill',
  ], PROG);
}

/** What differs between two runs of the same session: pids, tids, addresses. */
function normalise(out: string): string {
  return out.split('\n')
    .filter((l) => !/^(Reading |warning: |\[|Remote debugging|Process |stdin\/stdout|Listening|Killing process)/.test(l))
    .join('\n')
    .replace(/Thread \d+\.\d+/g, 'Thread P.T').replace(/process \d+/g, 'process P').replace(/0x[0-9a-f]+/g, '0xADDR');
}

/** The values the program printed: "thread N: main_tls=A lib_tls=B dyn_tls=C|unset". */
function printed(out: string): Map<number, Record<string, string>> {
  const m = new Map<number, Record<string, string>>();
  for (const [, n, a, b, c] of out.matchAll(/^thread (\d): main_tls=(\d+) lib_tls=(\d+) dyn_tls=(\w+)$/gm)) {
    m.set(Number(n), { main_tls: a!, lib_tls: b!, dyn_tls: c! });
  }
  return m;
}

test('print of __thread variables in three threads: the values the program printed', gdbOpts, () => {
  const out = session(SERVER);
  const values = printed(out);
  assert.equal(values.size, 3, out);
  // gdb numbers threads in creation order: gdb thread N is the program's thread N-1.
  const shown = [...out.matchAll(/^Thread (\d) \(Thread [^\n]*\n\$\d+ = (\d+)$/gm)].map(([, t, v]) => [Number(t), v!] as const).slice(0, 6);
  assert.deepEqual(shown, [
    ...[1, 2, 3].map((t) => [t, values.get(t - 1)!.main_tls] as const),
    ...[1, 2, 3].map((t) => [t, values.get(t - 1)!.lib_tls] as const),
  ], out);
  // dyn_tls: the value where the thread set it, an error where it never touched it.
  const dyn = out.slice(out.lastIndexOf('\nThread 1 (')).split(/^Thread \d \(/m).slice(1, 4);
  assert.equal(dyn.length, 3, out);
  for (const [i, part] of dyn.entries()) {
    const want = values.get(i)!.dyn_tls;
    if (want === 'unset') assert.match(part, /Cannot find thread-local storage for Thread \d+\.\d+, shared library .*libtls_dyn\.so/, out);
    else assert.match(part, new RegExp(`^\\$\\d+ = ${want}$`, 'm'), out);
  }
  assert.match(out, /\[Inferior 1 \(process \d+\) killed\]/);
});

test('the same session against GNU gdbserver gives gdb the same answers', { ...gdbOpts, skip: gdbOpts.skip || (!haveGdbserver && 'gdbserver not installed') }, () => {
  const ours = session(SERVER);
  const theirs = session('gdbserver');
  assert.ok(ours.includes('hit Breakpoint 1') && theirs.includes('hit Breakpoint 1'), `${ours}\n---\n${theirs}`);
  // From the breakpoint on, gdb's lines only: the program's own lines come in the order its
  // threads ran (the first test checks their values).
  const gdbPart = (o: string): string =>
    normalise(o.slice(o.indexOf('hit Breakpoint 1')))
      .split('\n')
      .filter((l) => !/^thread \d+: main_tls=/.test(l))
      .join('\n');
  assert.equal(gdbPart(ours), gdbPart(theirs));
});
