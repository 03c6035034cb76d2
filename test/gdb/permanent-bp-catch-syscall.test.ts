// Real gdb 13 against `utrace gdbserver`, cases from gdb's own suite (gdb.base/bp-permanent,
// gdb.base/catch-syscall): a conditional breakpoint over the program's own int3, and the
// return of a caught vfork after gdb detached the child.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVER, fixtureBin, gdbEx, gdbOpts } from './helpers.js';

const opts = gdbOpts;

test('a target-side condition on the program\'s own int3 (a permanent breakpoint): false passes go on, the true one stops, the program ends', opts, () => {
  const prog = fixtureBin('gdb_permanent_bp');
  // A step over the int3 would trap on the int3 itself and loop for ever (it did): gdb hears
  // of each hit, as from gdbserver, and skips the int3 itself.
  const out = gdbEx([`target remote | ${SERVER} stdio -- ${prog}`, 'set breakpoint condition-evaluation target',
    'break *perm_bp if passes == 2', 'continue', 'p passes', 'p $pc == &perm_bp', 'continue', 'info breakpoints'], prog);
  assert.match(out, /Breakpoint 1, perm \(n=2\)/, out);
  assert.match(out, /^\$1 = 2$/m, out);
  assert.match(out, /^\$2 = 1$/m, 'stopped on the int3, not after it');
  assert.match(out, /passes=3/, out);
  assert.match(out, /exited normally/, out);
  assert.match(out, /breakpoint already hit 1 time$/m, 'the false passes are no hits for gdb');
});

test('catch syscall vfork: the call, gdb detaches the child (vforkdone), then the return, then the exit', opts, () => {
  const prog = fixtureBin('gdb_prog');
  // gdb turns syscall catching off while it waits for vforkdone and on again before it
  // continues: the vfork's return, told by the core with vforkdone, is reported then.
  const out = gdbEx([`target remote | ${SERVER} stdio -- ${prog} vfork`, 'catch syscall vfork',
    'continue', 'continue', 'continue'], prog);
  const call = out.indexOf('Catchpoint 1 (call to syscall vfork)');
  const detach = out.search(/\[Detaching after vfork from child process \d+\]/);
  const ret = out.indexOf('Catchpoint 1 (returned from syscall vfork)');
  const exit = out.indexOf('exited with code 03');
  assert.ok(call >= 0 && detach > call && ret > detach && exit > ret, out);
});
