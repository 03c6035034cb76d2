// Real gdb 13 against `utrace gdbserver`: a breakpoint in a library that is unloaded and
// another library loaded at the same address (gdb.base/unload.exp). gdb does not remove the
// breakpoint of the unloaded library (its memory is gone) and inserts the new library's
// breakpoint at the same address: the server must plant the int3 again, in the new page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVER, fixtureBin, gdbEx, gdbOpts } from './helpers.js';

const PROG = fixtureBin('gdb_reload');

test('break in a dlclose\'d library, then at the same address in the next one: both hit', gdbOpts, () => {
  const out = gdbEx(['set breakpoint pending on', `target remote | ${SERVER} stdio -- ${PROG}`,
    'break reload_a', 'break reload_b', 'continue', 'info breakpoints', 'continue', 'info breakpoints', 'continue'], PROG);
  assert.match(out, /Breakpoint 1, reload_a \(x=1\)/, out);
  // The scenario: reload_b where reload_a was.
  const a = /^1 +breakpoint +keep y +(0x[0-9a-f]+) in reload_a /m.exec(out);
  const b = /^2 +breakpoint +keep y +(0x[0-9a-f]+) in reload_b /m.exec(out);
  assert.ok(a && b, out);
  assert.equal(a[1], b[1], 'the second library was mapped where the first one was');
  assert.match(out, /Breakpoint 2, reload_b \(x=2\)/, out);
  assert.match(out, /\[Inferior 1 \(process \d+\) exited normally\]/, out);
});
