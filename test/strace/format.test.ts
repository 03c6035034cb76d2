// The line formatter: prefixes, interleaving, timestamps, signals and exits, as strace 6.1
// prints them (scenarios transcribed from real `strace -f` runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, decodeCall } from './helpers.js';
import { TraceFormatter } from '../../src/engines/strace/format.js';

process.env.TZ = 'UTC';
const M = 0x10000000n;
const empty = new FakeMemory();

function sink(): { out: () => string; write: (s: string) => void } {
  let s = '';
  return { out: () => s, write: (x) => (s += x) };
}

test('-f: [pid N] prefixes, unfinished/resumed, exit lines, prefix dropped when one task is left', () => {
  const o = sink();
  const f = new TraceFormatter(o.write, { followForks: true });
  f.addTask(10066);
  const clone = decodeCall({ name: 'clone', args: [0x1200011, 0, 0, 0x7f7f3e2ada10n, 0], mem: empty, tid: 10066 });
  f.syscallEntry(clone, 0n);
  f.addTask(10067); // the child is attached while the parent is inside clone()
  clone.exit(10067n);
  f.syscallExit(clone, 0n);
  const srl = decodeCall({ name: 'set_robust_list', args: [0x7f7f3e2ada20n, 24], mem: empty, tid: 10067 });
  f.syscallEntry(srl, 0n);
  const status = new FakeMemory().i32(M, 7 << 8).map(M + 0x100n, Buffer.alloc(144));
  const w4 = decodeCall({ name: 'wait4', args: [10067, M, 0, 0], mem: status, tid: 10066 });
  f.syscallEntry(w4, 0n);
  srl.exit(0n);
  f.syscallExit(srl, 0n);
  const eg = decodeCall({ name: 'exit_group', args: [7], mem: empty, tid: 10067 });
  f.syscallEntry(eg, 0n);
  f.exited(10067, 7, 0n);
  w4.exit(10067n);
  f.syscallExit(w4, 0n);
  const si = Buffer.alloc(128);
  si.writeInt32LE(17, 0);
  si.writeInt32LE(1, 8);
  si.writeInt32LE(10067, 16);
  si.writeInt32LE(7, 24);
  f.signal(10066, 17, si, 0n);
  assert.equal(
    o.out(),
    [
      'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f7f3e2ada10) = 10067',
      '[pid 10067] set_robust_list(0x7f7f3e2ada20, 24 <unfinished ...>',
      '[pid 10066] wait4(10067,  <unfinished ...>',
      '[pid 10067] <... set_robust_list resumed>) = 0',
      '[pid 10067] exit_group(7)               = ?',
      '[pid 10067] +++ exited with 7 +++',
      '<... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 7}], 0, NULL) = 10067',
      '--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=10067, si_uid=0, si_status=7, si_utime=0, si_stime=0} ---',
      '',
    ].join('\n'),
  );
});

test('an entry-only call interrupted by another task resumes with its exit arguments', () => {
  const o = sink();
  const f = new TraceFormatter(o.write, {});
  f.addTask(10066);
  f.addTask(10068);
  const clone = decodeCall({ name: 'clone', args: [0x1200011, 0, 0, 0x7f7f3e2ada10n, 0], mem: empty, tid: 10066 });
  f.syscallEntry(clone, 0n);
  const srl = decodeCall({ name: 'set_robust_list', args: [0x7f7f3e2ada20n, 24], mem: empty, tid: 10068 });
  f.syscallEntry(srl, 0n);
  clone.exit(10068n);
  f.syscallExit(clone, 0n);
  const kill = decodeCall({ name: 'kill', args: [10068, 9], mem: empty, tid: 10066 });
  f.syscallEntry(kill, 0n);
  srl.exit(0n);
  f.syscallExit(srl, 0n);
  kill.exit(0n);
  f.syscallExit(kill, 0n);
  f.killed(10068, 9, false, 0n);
  assert.equal(
    o.out(),
    [
      '[pid 10066] clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD <unfinished ...>',
      '[pid 10068] set_robust_list(0x7f7f3e2ada20, 24 <unfinished ...>',
      '[pid 10066] <... clone resumed>, child_tidptr=0x7f7f3e2ada10) = 10068',
      '[pid 10066] kill(10068, SIGKILL <unfinished ...>',
      '[pid 10068] <... set_robust_list resumed>) = 0',
      '[pid 10066] <... kill resumed>)         = 0',
      '[pid 10068] +++ killed by SIGKILL +++',
      '',
    ].join('\n'),
  );
});

test('-o FILE with -f uses "%-5d " prefixes on every line', () => {
  const o = sink();
  const f = new TraceFormatter(o.write, { followForks: true, toFile: true });
  f.addTask(6217);
  const d = decodeCall({ name: 'brk', args: [0], ret: 0x55a4e68d9000n, mem: empty, tid: 6217 });
  f.syscallEntry(d, 0n);
  f.syscallExit(d, 0n);
  assert.equal(o.out(), '6217  brk(NULL)                         = 0x55a4e68d9000\n');
});

test('timestamps -t/-tt/-ttt, -r and -T', () => {
  const ns = 1795693137412415000n;
  const mk = (opts: ConstructorParameters<typeof TraceFormatter>[1]): string => {
    const o = sink();
    const f = new TraceFormatter(o.write, opts);
    f.addTask(1);
    const d = decodeCall({ name: 'close', args: [3], ret: 0, mem: empty, tid: 1 });
    f.syscallEntry(d, ns);
    f.syscallExit(d, ns + 62000n);
    return o.out();
  };
  assert.equal(mk({ timestamps: 2, syscallTimes: true }), '11:38:57.412415 close(3)                = 0 <0.000062>\n');
  assert.equal(mk({ timestamps: 3 }), '1795693137.412415 close(3)              = 0\n');
  assert.equal(mk({ timestamps: 1 }), '11:38:57 close(3)                       = 0\n');
  assert.equal(mk({ relative: true }), '     0.000000 close(3)                  = 0\n');
  const o = sink();
  const f = new TraceFormatter(o.write, { relative: true });
  f.addTask(1);
  for (const t of [0n, 136000n]) {
    const d = decodeCall({ name: 'close', args: [3], ret: 0, mem: empty, tid: 1 });
    f.syscallEntry(d, ns + t);
    f.syscallExit(d, ns + t + 1000n);
  }
  f.exited(1, 0, ns + 400000n);
  assert.equal(o.out(), '     0.000000 close(3)                  = 0\n     0.000136 close(3)                  = 0\n     0.000264 +++ exited with 0 +++\n');
});

test('-T does not time calls that never return; -qq hides exit lines; core dumps', () => {
  const o = sink();
  const f = new TraceFormatter(o.write, { timestamps: 2, syscallTimes: true, quiet: 2 });
  f.addTask(1);
  const d = decodeCall({ name: 'exit_group', args: [3], mem: empty, tid: 1 });
  f.syscallEntry(d, 1795693137180323000n);
  f.exited(1, 3, 1795693137180416000n);
  assert.equal(o.out(), '11:38:57.180323 exit_group(3)           = ?\n');
  const o2 = sink();
  const f2 = new TraceFormatter(o2.write, {});
  f2.addTask(5);
  const si = Buffer.alloc(128);
  si.writeInt32LE(11, 0);
  si.writeInt32LE(6383, 16);
  f2.signal(5, 11, si, 0n);
  f2.killed(5, 11, true, 0n);
  assert.equal(o2.out(), '--- SIGSEGV {si_signo=SIGSEGV, si_code=SI_USER, si_pid=6383, si_uid=0} ---\n+++ killed by SIGSEGV (core dumped) +++\n');
});

test('a call cut short by the task dying prints " <unfinished ...>) = ?" for what it left for the exit', () => {
  const o = sink();
  const f = new TraceFormatter(o.write, {});
  f.addTask(1);
  const d = decodeCall({ name: 'read', args: [0, M, 10], mem: empty, tid: 1 });
  f.syscallEntry(d, 0n);
  f.killed(1, 9, false, 0n);
  assert.equal(o.out(), 'read(0,  <unfinished ...>)              = ?\n+++ killed by SIGKILL +++\n');
  // All printed at entry: nothing stands for the rest.
  const o2 = sink();
  const f2 = new TraceFormatter(o2.write, {});
  f2.addTask(1);
  f2.syscallEntry(decodeCall({ name: 'exit', args: [3], mem: empty, tid: 1 }), 0n);
  f2.exited(1, 3, 0n);
  assert.equal(o2.out(), 'exit(3)                                 = ?\n+++ exited with 3 +++\n');
});

test('a non-leader execve: "<pid changed to L ...>" or the leader\'s call cut short, superseded, resumed as L', () => {
  const argv = new FakeMemory().str(M, '/bin/x').u64(M + 0x100n, M, 0n);
  const scenario = (leaderCall: boolean, opts = {}): string => {
    const o = sink();
    const f = new TraceFormatter(o.write, { toFile: true, followForks: true, column: 14, ...opts });
    f.addTask(100);
    f.addTask(101);
    if (leaderCall) f.syscallEntry(decodeCall({ name: 'pause', args: [], mem: empty, tid: 100 }), 0n);
    const ex = decodeCall({ name: 'execve', args: [M, M + 0x100n, 0], mem: argv, tid: 101 });
    f.syscallEntry(ex, 0n);
    f.superseded(100, 101, 0n);
    assert.equal(ex.tid, 100);
    ex.exit(0n);
    f.syscallExit(ex, 0n);
    f.exited(100, 0, 0n);
    return o.out();
  };
  assert.equal(scenario(false), [
    '101   execve("/bin/x", ["/bin/x"], NULL <pid changed to 100 ...>',
    '100   +++ superseded by execve in pid 101 +++',
    '100   <... execve resumed>) = 0',
    '100   +++ exited with 0 +++',
    '',
  ].join('\n'));
  assert.equal(scenario(true), [
    '100   pause( <unfinished ...>',
    '101   execve("/bin/x", ["/bin/x"], NULL <unfinished ...>',
    '100   <... pause resumed>) = ?',
    '100   +++ superseded by execve in pid 101 +++',
    '100   <... execve resumed>) = 0',
    '100   +++ exited with 0 +++',
    '',
  ].join('\n'));
  assert.equal(scenario(false, { quietSuperseded: true }), [
    '101   execve("/bin/x", ["/bin/x"], NULL <pid changed to 100 ...>',
    '100   <... execve resumed>) = 0',
    '100   +++ exited with 0 +++',
    '',
  ].join('\n'));
});

test('injected results and restart errors', () => {
  const o = sink();
  const f = new TraceFormatter(o.write, {});
  f.addTask(1);
  const mem = new FakeMemory().str(M, '/etc/ld.so.cache');
  const d = decodeCall({ name: 'openat', args: [-100, M, 0o2000000], mem, tid: 1 });
  f.syscallEntry(d, 0n);
  d.injected = true;
  d.exit(-2n);
  f.syscallExit(d, 0n);
  const r = decodeCall({ name: 'read', args: [0, M, 10], mem, tid: 1 });
  f.syscallEntry(r, 0n);
  r.exit(-512n);
  f.syscallExit(r, 0n);
  assert.equal(
    o.out(),
    'openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory) (INJECTED)\n' +
      'read(0, 0x10000000, 10)                 = ? ERESTARTSYS (To be restarted if SA_RESTART is set)\n',
  );
});

test('-e status=failed stages lines and prints only failures', () => {
  const o = sink();
  const f = new TraceFormatter(o.write, { statusSelected: (s) => s === 'failed' });
  f.addTask(1);
  f.addTask(2);
  const a = decodeCall({ name: 'close', args: [3], mem: empty, tid: 1 });
  const b = decodeCall({ name: 'close', args: [1000], mem: empty, tid: 2 });
  f.syscallEntry(a, 0n);
  f.syscallEntry(b, 0n);
  a.exit(0n);
  f.syscallExit(a, 0n);
  b.exit(-9n);
  f.syscallExit(b, 0n);
  assert.equal(o.out(), '[pid     2] close(1000)                 = -1 EBADF (Bad file descriptor)\n');
});
