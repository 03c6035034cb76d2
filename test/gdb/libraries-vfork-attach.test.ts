// Real gdb 13 against `utrace gdbserver`: the svr4 library list (qXfer:libraries-svr4:read,
// also after dlopen), catch vfork (vfork / vforkdone events), and vAttach in extended-remote
// (`--multi`, gdb's `attach PID`) followed by a detach that leaves the process running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeRle } from '../../src/engines/gdb/protocol/packet.js';
import { SERVER, codeInMemoryAndFile, fixtureBin, gdbEx, gdbOpts, startServer, tmpDir } from './helpers.js';

const PROG = fixtureBin('gdb_prog');
const tmp = tmpDir('utrace-gdb-lib-');
const opts = gdbOpts;
const gdb = (cmds: string[]): string => gdbEx(cmds, PROG);

/** Replies to `qXfer:libraries-svr4:read` in a remote log, run-length encoding undone. */
function svr4Replies(log: string): string[] {
  const lines = fs.readFileSync(log, 'latin1').split('\n');
  const out: string[] = [];
  lines.forEach((l, i) => {
    const m = /^r \$(.*)#[0-9a-f]{2}$/.exec(lines[i + 1] ?? '');
    if (/^w \$qXfer:libraries-svr4:read:/.test(l) && m) out.push(decodeRle(Buffer.from(m[1]!, 'latin1')).toString('latin1'));
  });
  return out;
}

test('info sharedlibrary from the svr4 list the server reads from r_debug, before and after dlopen', opts, () => {
  const log = path.join(tmp, 'svr4.rsp');
  const out = gdb([`set remotelogfile ${log}`, `target remote | ${SERVER} stdio -- ${PROG} dlopen`,
    'info sharedlibrary', 'break tick', 'continue', 'info sharedlibrary', 'continue']);
  // At the first instruction only the interpreter (gdb finds it itself); libc and libm later.
  const early = out.slice(0, out.indexOf('Breakpoint 1 at'));
  assert.match(early, /Yes +target:\/lib64\/ld-linux-x86-64\.so\.2$/m, out);
  assert.doesNotMatch(early, /libc\.so|libm\.so/);
  const table = out.slice(out.indexOf('Breakpoint 1, tick'));
  assert.match(table, /^0x[0-9a-f]+ +0x[0-9a-f]+ +Yes +target:\/lib64\/ld-linux-x86-64\.so\.2$/m, out);
  assert.match(table, /^0x[0-9a-f]+ +0x[0-9a-f]+ +Yes +target:\/lib\/x86_64-linux-gnu\/libc\.so\.6$/m, out);
  assert.match(table, /^0x[0-9a-f]+ +0x[0-9a-f]+ +Yes +target:\/lib\/x86_64-linux-gnu\/libm\.so\.6$/m, out);
  assert.match(out, /exited normally/);
  const replies = svr4Replies(log);
  assert.ok(replies.length >= 3, `gdb used the server's list: ${replies.length} replies`);
  // At the exec stop ld.so has not set DT_DEBUG yet: an empty list, as gdbserver answers.
  assert.equal(replies[0], 'l<library-list-svr4 version="1.0"></library-list-svr4>');
  const last = replies.find((r) => r.includes('libm.so.6'));
  assert.ok(last, replies.join('\n'));
  assert.match(last, /main-lm="0x[0-9a-f]+"><library name="[^"]+" lm="0x[0-9a-f]+" l_addr="0x[0-9a-f]+" l_ld="0x[0-9a-f]+" lmid="0x[0-9a-f]+"\/>/);
  assert.match(last, /<library name="\/lib\/x86_64-linux-gnu\/libm\.so\.6" lm="0x[0-9a-f]+" l_addr="0x7ffff7[0-9a-f]+"/);
});

test('catch vfork: the vfork stop, gdb detaches the child, vforkdone, the parent exits with its code', opts, () => {
  const log = path.join(tmp, 'vfork.rsp');
  const out = gdb([`set remotelogfile ${log}`, `target remote | ${SERVER} stdio -- ${PROG} vfork`,
    'catch vfork', 'continue', 'bt 1', 'info inferiors', 'continue']);
  const m = /Catchpoint 1 \(vforked process (\d+)\), __libc_vfork \(\)/.exec(out);
  assert.ok(m, out);
  assert.match(out, /^#0 +__libc_vfork \(\)/m);
  assert.match(out, new RegExp(`\\[Detaching after vfork from child process ${m[1]}\\]`));
  assert.match(out, /\[Inferior 1 \(process \d+\) exited with code 03\]/, out);
  const rsp = fs.readFileSync(log, 'latin1');
  assert.match(rsp, new RegExp(`T05vfork:p${Number(m[1]).toString(16)}\\.${Number(m[1]).toString(16)};`));
  assert.match(rsp, new RegExp(`^w \\$D;${Number(m[1]).toString(16)}#`, 'm'), 'gdb detached the child');
  assert.match(rsp, /T05vforkdone:;/, 'the parent reported vforkdone once the child exec\'d');
});

test('extended-remote --multi: attach PID (vAttach), bt, info threads, break, detach: the process runs on, untraced, no int3 left', opts, async () => {
  const victim = spawn(PROG, ['spin'], { stdio: 'ignore' });
  const srv = await startServer(['--multi', '--once', '127.0.0.1:0']);
  try {
    await new Promise((r) => setTimeout(r, 200));
    const pid = victim.pid!;
    const out = gdb([`target extended-remote 127.0.0.1:${srv.port}`, 'info inferiors', `attach ${pid}`, 'info threads', 'bt',
      'break tick', 'continue', 'p i == counter - 1', 'detach', 'info inferiors']);
    assert.match(out, new RegExp(`^\\* 1 +Thread ${pid}\\.${pid} "gdb_prog" `, 'm'), out);
    assert.match(out, /^#\d+ +0x[0-9a-f]+ in main \(argc=2, argv=0x[0-9a-f]+\) at .*gdb_prog\.c:\d+$/m, out);
    assert.match(out, /Breakpoint 1, tick \(i=\d+\) at .*gdb_prog\.c:34/, out);
    assert.match(out, /^\$1 = 1$/m);
    assert.match(out, new RegExp(`\\[Inferior 1 \\(process ${pid}\\) detached\\]`), out);
    await new Promise((r) => setTimeout(r, 300));
    assert.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), /TracerPid:\s+0/);
    assert.match(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'), /\) [RS] /);
    // No int3 left where the breakpoint was.
    const { mem, file } = codeInMemoryAndFile(pid, PROG, 'tick');
    assert.deepEqual(mem, file);
  } finally {
    victim.kill('SIGKILL');
    srv.child.kill('SIGKILL');
  }
});
