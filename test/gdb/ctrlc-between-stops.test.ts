// All-stop: a ^C (0x03) that reaches the server while nothing runs. gdb sends it when the user
// presses ^C while it waits for a stop reply, and that reply may be on its way already: gdb
// single-steps for a software watchpoint (each step answered at once), or a breakpoint's
// commands continue the program. gdbserver's SIGINT stays pending until the next resume, which
// stops at once with it; dropped, the program ran on until its SIGALRM killed it (gdb's
// random-signal.exp, bp-cmds-continue-ctrl-c.exp). Real gdb 13 in batch mode; the fixture's
// alarm ends a run whose ^C was lost after 10 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SERVER, fixtureBin, gdbEx, gdbOpts, tmpDir } from './helpers.js';

const PROG = fixtureBin('gdb_busy_alarm');
const opts = { ...gdbOpts, timeout: 120000 };
/** gdb's SIGINT 1 s after the `continue` starts (the shell's parent is gdb). */
const CTRL_C = 'shell (sleep 1; kill -INT $PPID) &';

test('^C while gdb single-steps for a software watchpoint stops the program with SIGINT (3 runs)', opts, () => {
  for (let run = 0; run < 3; run++) {
    const out = gdbEx(['set remotetimeout 30', `target remote | ${SERVER} stdio -- ${PROG}`, 'set can-use-hw-watchpoints 0',
      // `next` over alarm() first: single-stepped, its lazy binding in ld.so alone can outlast
      // the 1 s on a loaded machine, and the ^C then lands before the loop ever spun.
      'break main', 'continue', 'next', 'watch watched', CTRL_C, 'continue', 'p $_siginfo.si_signo', 'p spins > 0', 'kill'], PROG);
    assert.doesNotMatch(out, /SIGALRM/, `run ${run}: the ^C was lost\n${out}`);
    assert.match(out, /Program received signal SIGINT, Interrupt\./, `run ${run}\n${out}`);
    assert.match(out, /^\$1 = 2$/m, out);
    assert.match(out, /^\$2 = 1$/m, out);
  }
});

test('^C while a breakpoint\'s commands continue the program stops it with SIGINT (3 runs)', opts, () => {
  const dir = tmpDir('utrace-gdb-ctrlc-');
  const script = path.join(dir, 'cmds.gdb');
  fs.writeFileSync(script, 'break tick\ncommands 2\n  silent\n  continue\nend\n');
  try {
    for (let run = 0; run < 3; run++) {
      const out = gdbEx(['set remotetimeout 30', `target remote | ${SERVER} stdio -- ${PROG}`, 'break main', 'continue',
        `source ${script}`, CTRL_C, 'continue', 'info breakpoints', 'kill'], PROG);
      assert.doesNotMatch(out, /SIGALRM/, `run ${run}: the ^C was lost\n${out}`);
      assert.match(out, /Program received signal SIGINT, Interrupt\./, `run ${run}\n${out}`);
      assert.match(out, /breakpoint already hit [1-9]\d* times?/, out);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
