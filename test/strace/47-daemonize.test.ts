/**
 * -D, -DD, -DDD: the program keeps our pid as its shell's child and is traced from its execve;
 * the tracer is a detached grandchild (its parent gone), in our process group and session
 * (-D), its own group (-DD), its own session (-DDD).
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
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-daemon-'));

/** Fields of /proc/PID/stat after the name: state, ppid, pgrp, session. */
function stat(pid: number): { ppid: number; pgrp: number; sid: number } | undefined {
  try {
    const t = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), pgrp: Number(f[2]), sid: Number(f[3]) };
  } catch {
    return undefined;
  }
}

test('-D/-DD/-DDD: the program is the shell\'s child and traced; the tracer a grandchild, grouped as asked', () => {
  // The shell prints its own pid, group and session, then execs utrace: the program gets that pid.
  const script = `echo $$ $(cut -d' ' -f5,6 /proc/$$/stat); exec '${utrace}' strace "$@"`;
  for (const d of ['-D', '-DD', '-DDD']) {
    const log = path.join(dir, `log${d}`);
    const prog = `grep -E '^(PPid|TracerPid):' /proc/$$/status; echo $$; cut -d' ' -f4-6 /proc/$$/stat; sleep 0.3; exit 7`;
    const r = spawnSync('/bin/sh', ['-c', script, 'sh', d, '-o', log, '-e', 'trace=execve,exit_group', '/bin/sh', '-c', prog],
      { encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 7, `${d}: the program's exit status (${r.stderr})`);
    const [me, pgrp, sid] = r.stdout.split('\n')[0]!.split(' ').map(Number) as [number, number, number];
    const tracer = Number(/^TracerPid:\s*(\d+)$/m.exec(r.stdout)?.[1]);
    const ppid = Number(/^PPid:\s*(\d+)$/m.exec(r.stdout)?.[1]);
    assert.ok(tracer > 0 && tracer !== ppid && tracer !== me, `${d}: traced, not by its parent: ${r.stdout}`);
    assert.equal(ppid, process.pid, `${d}: the program is our child`);
    assert.match(r.stdout, new RegExp(`^${me}$`, 'm'), `${d}: the program has the shell's pid`);
    const progStat = r.stdout.split('\n').filter((l) => /^\d+ \d+ \d+$/.test(l)).pop()!.split(' ').map(Number);
    assert.deepEqual(progStat, [process.pid, pgrp, sid]);
    // The tracer: while it lives, a child of the reaper, in the group and session -D says.
    const t = stat(tracer);
    if (t) {
      assert.notEqual(t.ppid, me);
      if (d === '-D') assert.deepEqual([t.pgrp, t.sid], [pgrp, sid]);
      if (d === '-DD') assert.deepEqual([t.pgrp === tracer, t.sid], [true, sid]);
      if (d === '-DDD') assert.deepEqual([t.pgrp, t.sid], [tracer, tracer]);
    }
    // Traced from its execve, and nothing of ours before it.
    for (let i = 0; i < 100 && stat(tracer); i++) spawnSync('sleep', ['0.05']);
    const text = fs.readFileSync(log, 'utf8');
    assert.match(text, /^execve\("\/bin\/sh", \["\/bin\/sh", "-c", /, `${d}: ${text}`);
    assert.match(text, /exit_group\(7\) += \?\n\+\+\+ exited with 7 \+\+\+\n$/);
  }
  // Without -o, the tracer writes to the stderr we were given (Node had marked it close-on-exec).
  const e = spawnSync(utrace, ['strace', '-D', '-e', 'trace=execve', '/bin/echo', 'hi'], { encoding: 'utf8', timeout: 30000 });
  assert.equal(e.status, 0);
  assert.equal(e.stdout, 'hi\n');
  assert.match(e.stderr, /^execve\("\/bin\/echo", \["\/bin\/echo", "hi"\], .*\) = 0\n\+\+\+ exited with 0 \+\+\+\n$/);
});
