/** The README's runEngines example, as written there, compiles and runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runEngines, defineEngine, Event } from '../../src/index.js';

test('README runEngines example', async () => {
  let calls = 0;
  let finished = false;
  const counter = defineEngine({
    name: 'count', events: Event.SYSCALL_EXIT,
    reportSyscallExit() { calls++; },
    finish() { finished = true; },
  });
  const { status } = await runEngines({ argv: ['/bin/true'], engines: [counter] });
  assert.equal(status?.code, 0);
  assert.ok(calls > 5);
  assert.ok(finished);
});

test("the package imports by its own name (import('utrace'), typed exports)", async () => {
  const name = 'utrace'; // a variable: resolved by Node's self-reference, not by tsc
  const m = (await import(name)) as Record<string, unknown>;
  for (const k of ['Tracer', 'Event', 'Resume', 'Attach', 'UtraceError', 'runEngines', 'defineEngine']) {
    assert.ok(k in m, `export ${k}`);
  }
});
