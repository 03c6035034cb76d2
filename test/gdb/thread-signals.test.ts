// Real gdb 13 against `utrace gdbserver`: signals of several threads at once (gdb.threads
// sigstep-threads, siginfo-threads). gdb answers a queued stop of one thread with a resume that
// gives another thread its signal (vCont;C); nothing runs then, and the signal must wait with
// its thread, not vanish.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVER, fixtureBin, gdbEx, gdbOpts } from './helpers.js';

const PROG = fixtureBin('gdb_sig_threads');

test('4 threads send themselves SIGUSR1 at once, 10 rounds, gdb prints and passes each: none is lost (twice: a race; 26 of 40 were lost)', gdbOpts, () => {
  for (let run = 0; run < 2; run++) {
    const out = gdbEx([`target remote | ${SERVER} stdio -- ${PROG} 10`, 'handle SIGUSR1 nostop print pass', 'continue'], PROG);
    const seen = out.match(/received signal SIGUSR1/g)?.length ?? 0;
    assert.match(out, /lost=0/, `run ${run}: ${out.slice(-600)}`);
    assert.match(out, /exited normally/, out.slice(-600));
    assert.equal(seen, 40, `run ${run}: gdb saw every signal once`);
  }
});
