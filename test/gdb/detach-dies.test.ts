// Real gdb 13 against `utrace gdbserver --once` (gdb.threads/process-dies-while-detaching):
// gdb detaches a fork child whose threads all call _exit while the server detaches them one
// by one. Threads killed out of their stop that way are still traced zombies until the server
// reaps them; left unreaped, the child never ends, its parent's waitpid blocks for ever and
// the server (--once) never exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exited, fixtureBin, gdbEx, gdbOpts, startServer, tmpDir } from './helpers.js';

const PROG = fixtureBin('gdb_detach_dies');
const tmp = tmpDir('utrace-gdb-detach-dies-');

/** Resolves with the file's text once it has some, or '' after ms. */
async function waitForFile(file: string, ms: number): Promise<string> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (text) return text;
  }
  return '';
}

test('detach a fork child at its _exit while its 64 threads exit, then the parent: the child is reaped, the parent sees its exit, the server ends (twice: a race)', gdbOpts, async () => {
  for (let run = 0; run < 2; run++) {
    const result = path.join(tmp, `result-${run}`);
    const srv = await startServer(['--once', '127.0.0.1:0', PROG, result]);
    try {
      const out = gdbEx([`target remote 127.0.0.1:${srv.port}`, 'set detach-on-fork off', 'set follow-fork-mode child',
        'tbreak _exit', 'continue', 'detach', 'inferior 1', 'detach'], PROG);
      assert.match(out, /hit Temporary breakpoint 1(\.\d+)?, (__GI_)?_exit/, out);
      assert.match(out, /\[Inferior 1 \(process \d+\) detached\]/, out);
      assert.equal(await waitForFile(result, 20000), 'exited 0\n', `run ${run}: the parent's waitpid returned the child's exit`);
      assert.equal(await exited(srv.child), 0, srv.stderr());
    } finally {
      srv.child.kill('SIGKILL');
    }
  }
});
