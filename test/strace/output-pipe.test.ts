/**
 * -o '|COMMAND' and -o '!COMMAND': the trace is written to COMMAND's stdin (run by sh -c), and
 * utrace strace ends only once COMMAND has read it all and ended (strace's opipe test reads
 * COMMAND's output right after strace returns). The traced program does not get the pipe.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-opipe-'));

for (const mark of ['|', '!']) {
  test(`-o '${mark}COMMAND': COMMAND reads the trace and has ended when we return`, () => {
    const out = path.join(dir, `out${mark === '|' ? 'pipe' : 'bang'}`);
    const prog = 'cd /nonexistent-opipe; ls /proc/$$/fd; true';
    // The sleep makes a tracer that does not wait for COMMAND lose the race.
    const r = spawnSync(utrace, ['strace', '-o', `${mark}cat > ${out}.tmp && sleep 0.3 && mv ${out}.tmp ${out}`, '-e', 'trace=chdir',
      '/bin/sh', '-c', prog], { encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(fs.readFileSync(out, 'utf8'), /^chdir\("\/nonexistent-opipe"\) += -1 ENOENT \(No such file or directory\)\n/);
    // The program's descriptors: only its stdio (no end of the pipe).
    assert.equal(r.stdout, spawnSync('/bin/sh', ['-c', prog], { encoding: 'utf8' }).stdout);
  });
}

test("-o '|COMMAND' with -ff is refused as strace refuses it", () => {
  const r = spawnSync(utrace, ['strace', '-ff', '-o', '|cat', 'true'], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /: piping the output and -ff\/--output-separately are mutually exclusive\n/);
});
