/**
 * `utrace strace -p PID CMD`: the command is launched and the process attached, both traced
 * into one output with pid prefixes, and the trace lasts until both have ended (strace's
 * attach-p-cmd). The attached process waits for the command to be gone (reaped) before it
 * makes its own traced call, so a command left as a zombie or never started would hang it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-p-cmd-'));

for (const follow of [[], ['-f']]) {
  test(`strace${follow.length ? ' -f' : ''} -p PID CMD traces both, with pid prefixes, until both end`, async () => {
    const pidFile = path.join(dir, 'cmd-pid');
    const log = path.join(dir, 'log');
    fs.rmSync(pidFile, { force: true });
    // The attached process: waits for the command's pid, then for that pid to be gone.
    const victim = spawn('/bin/sh', ['-c',
      `while [ ! -s ${pidFile} ]; do sleep 0.05; done; p=$(cat ${pidFile}); while kill -0 $p 2>/dev/null; do sleep 0.05; done; cd /nonexistent-p-side; exit 0`],
    { stdio: 'ignore' });
    try {
      const env = { ...process.env, UTRACE_NO_HOST: '1' };
      const st = spawn(utrace, ['strace', ...follow, '-qq', '-e', 'trace=chdir', '-e', 'signal=none', '-o', log, '-p', String(victim.pid),
        '/bin/sh', '-c', `echo $$ > ${pidFile}; cd /nonexistent-cmd-side; exit 0`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      st.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((r) => st.on('exit', (c) => r(c)));
      assert.equal(code, 0, stderr);
      const cmdPid = Number(fs.readFileSync(pidFile, 'utf8'));
      const lines = fs.readFileSync(log, 'utf8').trimEnd().split('\n').map((l) => l.replace(/\) +=/, ') ='));
      const pfx = (pid: number): string => `${String(pid).padEnd(5)} `;
      assert.deepEqual(lines, [
        `${pfx(cmdPid)}chdir("/nonexistent-cmd-side") = -1 ENOENT (No such file or directory)`,
        `${pfx(victim.pid!)}chdir("/nonexistent-p-side") = -1 ENOENT (No such file or directory)`,
      ]);
    } finally {
      victim.kill('SIGKILL');
    }
  });
}
