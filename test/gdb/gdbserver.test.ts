// End-to-end tests of `utrace gdbserver` driven by real gdb 13 in batch mode, over stdio,
// TCP and a unix socket, plus protocol-level checks with RspTestClient. Skipped when gdb is
// not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DR, ROOT, SERVER, codeInMemoryAndFile, exited, fixtureBin, haveGdb, rspSession, startServer, tmpDir } from './helpers.js';

const root = ROOT;
const PROG = fixtureBin('gdb_prog');
const tmp = tmpDir('utrace-gdb-test-');

function gdb(target: string, cmds: string[], extra: string[] = [], prog = PROG): string {
  const script = path.join(tmp, `s${Math.random().toString(36).slice(2)}.gdb`);
  fs.writeFileSync(script, cmds.join('\n') + '\n');
  const r = spawnSync('timeout', ['60', 'gdb', '-batch', '-nx', ...extra, '-ex', target, '-x', script, prog], { encoding: 'utf8' });
  return (r.stdout ?? '') + (r.stderr ?? '');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0] !== 'Z';
  } catch {
    return false;
  }
}

const opts = { skip: !haveGdb && 'gdb not installed', timeout: 90000 };

test('stdio: break, continue, info registers, bt, finish, next, x, print, set var, kill', opts, () => {
  const out = gdb(`target remote | ${SERVER} stdio -- ${PROG} basic`, [
    'break add', 'continue', 'info registers rip', 'bt', 'finish', 'next', 'x/4xw &counter', 'print counter',
    'set var g = 5', 'print g', 'info sharedlibrary', 'kill',
  ]);
  assert.match(out, /stdin\/stdout redirected/);
  assert.match(out, /Breakpoint 1, add \(a=2, b=3\) at .*gdb_prog\.c:16/);
  assert.match(out, /rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <add\+\d+>/);
  assert.match(out, /#1 .* in main \(argc=2/);
  assert.match(out, /Value returned is \$1 = 5/);
  assert.match(out, /<counter>:\s+0x00000000/);
  assert.match(out, /\$3 = 5/);
  assert.match(out, /libc\.so\.6/);
  assert.match(out, /\[Inferior 1 \(process \d+\) killed\]/);
});

test('a main thread gone with pthread_exit: the worker hits its breakpoint 5 times, the zombie leader is not waited for, as with gdbserver', opts, () => {
  const prog = path.join(root, 'test/fixtures/bin/leader_exit');
  const out = gdb(`target remote | ${SERVER} stdio -- ${prog} 3`, [
    'break tick', 'continue', 'info threads', 'continue', 'continue', 'continue', 'continue', 'print ticks', 'continue',
  ], [], prog);
  for (let i = 1; i <= 5; i++) assert.match(out, new RegExp(`hit Breakpoint 1, tick \\(i=${i}\\)`), out);
  // Only the worker is listed: the leader left (gdbserver drops a zombie leader too).
  const threads = out.slice(out.indexOf('  Id '), out.indexOf('hit Breakpoint 1, tick (i=2)'));
  assert.equal(threads.match(/^\*?\s+\d+\s+Thread /gm)?.length, 1, threads);
  assert.match(out, /^\$1 = 10$/m);
  assert.match(out, /exited with code 03/);
  assert.doesNotMatch(out, /Cannot insert|Cannot access|internal-error/);
});

test('tcp --once: threads, hbreak, watchpoint in a thread created later, catch syscall, orig_rax, fs_base', opts, async () => {
  const srv = await startServer(['--once', '127.0.0.1:0', '--', PROG, 'basic']);
  // Without debug registers (DR false) the same session with a software watchpoint and an int3:
  // the refusal itself is tested in conditions.test.ts.
  const out = gdb(`target remote 127.0.0.1:${srv.port}`, [
    ...(DR ? [] : ['set can-use-hw-watchpoints 0']),
    'break worker', 'continue', 'info threads', 'thread 1', 'delete', 'watch late', 'continue', 'delete',
    DR ? 'hbreak add' : 'break add', 'catch syscall write', 'continue', 'info registers orig_rax', 'p $fs_base != 0', 'delete',
    'continue',
  ]);
  assert.match(out, /hit Breakpoint 1, worker \(arg=0x\d\)/);
  assert.match(out, /\* \d+\s+Thread \d+\.\d+ "gdb_prog"\s+worker/);
  assert.match(out, /Switching to thread 1 /);
  assert.match(out, new RegExp(`${DR ? 'Hardware w' : 'W'}atchpoint 2: late[\\s\\S]*Old value = 0\\s+New value = 42`));
  assert.match(out, /Catchpoint 4 \(call to syscall write\)/);
  assert.match(out, /orig_rax\s+0x1\s+1/);
  assert.match(out, /\$1 = 1/);
  assert.match(out, /exited normally/);
  assert.equal(await exited(srv.child), 0);
});

test('unix socket: signals in gdb numbering, $_siginfo, exit code; socket 0600 and removed', opts, async () => {
  const sock = path.join(tmp, 'g.sock');
  const srv = await startServer(['--listen', `unix:${sock}`, '--once', '--', PROG, 'usr1']);
  assert.equal(fs.statSync(sock).mode & 0o777, 0o600);
  const out = gdb(`target remote ${sock}`, ['handle SIGUSR1 stop print', 'continue', 'p $_siginfo.si_signo', 'continue']);
  assert.match(out, /Program received signal SIGUSR1/);
  assert.match(out, /\$1 = 10/);
  assert.match(out, /exited normally/);
  assert.equal(await exited(srv.child), 0);
  assert.equal(fs.existsSync(sock), false);
});

test('SIGSEGV then death reported as X (gdb signal numbering); monitor help', opts, () => {
  const out = gdb(`target remote | ${SERVER} stdio -- ${PROG} segv`, [
    'monitor help', 'continue', 'p $_siginfo._sifields._sigfault.si_addr', 'continue',
  ]);
  assert.match(out, /The following monitor commands are supported/);
  assert.match(out, /Program received signal SIGSEGV/);
  assert.match(out, /\$1 = \(void \*\) 0x10/);
  assert.match(out, /Program terminated with signal SIGSEGV/);
});

test('target-side condition: break tick if i == 700 stops once, at 700', opts, () => {
  const out = gdb(`target remote | ${SERVER} stdio -- ${PROG} loop`, ['break tick if i == 700', 'continue', 'p i', 'delete', 'continue']);
  assert.match(out, /Breakpoint 1, tick \(i=700\)/);
  assert.match(out, /\$1 = 700/);
  assert.match(out, /exited normally/);
});

test('catch fork with fork events; the child runs on after gdb detaches it', opts, () => {
  const out = gdb(`target remote | ${SERVER} stdio -- ${PROG} fork`, ['catch fork', 'continue', 'continue']);
  assert.match(out, /Catchpoint 1 \(forked process \d+\)/);
  assert.match(out, /\[Inferior 1 \(process \d+\) exited with code 05\]/);
});

test('attach, Ctrl-C (SIGINT via 0x03), detach: the process keeps running with no int3 left', opts, async () => {
  const victim = spawn(PROG, ['spin'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 200));
    const pid = victim.pid!;
    const out = gdb(`target remote | ${SERVER} stdio --attach ${pid}`, [
      'break tick', 'continue', 'bt 1', 'shell (sleep 1; kill -INT $PPID) &', 'delete', 'continue', 'break tick', 'detach',
    ]);
    assert.match(out, /Breakpoint 1, tick/);
    assert.match(out, /Program received signal SIGINT/);
    assert.match(out, /\[Inferior 1 \(process \d+\) detached\]/);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(alive(pid), 'process still running after detach');
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    assert.match(status, /TracerPid:\s+0/);
    // No int3 left: tick's code in memory equals the file's bytes.
    const { mem, file } = codeInMemoryAndFile(pid, PROG, 'tick');
    assert.deepEqual(mem, file);
  } finally {
    victim.kill('SIGKILL');
  }
});

test('protocol: 3000 requests mixed with garbage, cut packets, oversized ones and 0x03, over a socket read synchronously between stops', opts, async () => {
  // The server reads gdb's bytes straight from the descriptor while the tracee is held
  // (Tracer.readWhileHeld): whatever the chunking, every well-formed request gets its reply,
  // garbage never completes a packet (no '#': it is cut by the next '$'), and the server
  // stays responsive. Ack mode, so no damaged packet is ever executed.
  const { srv, pid, sock, c } = await rspSession(PROG, ['spin']);
  assert.match(await c.request('qSupported:multiprocess+;swbreak+;xmlRegisters=i386'), /PacketSize=47ff/);
  assert.equal(await c.request('Hgp0.0'), 'OK');
  const regs = await c.request('g');
  let seed = 0x5eed;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const garbage = (): Buffer => {
    const b = Buffer.alloc(1 + rnd(200));
    for (let i = 0; i < b.length; i++) {
      let x = rnd(256);
      if (x === 0x23) x = 0x24; // '#' could complete a packet: make it a '$' (cuts one)
      b[i] = x;
    }
    return b;
  };
  const requests = [
    (): string => `m${(0x1000 + rnd(0x100000)).toString(16)},${(1 + rnd(64)).toString(16)}`,
    (): string => `p${rnd(80).toString(16)}`,
    (): string => 'g',
    (): string => '?',
    (): string => 'qC',
    (): string => 'qfThreadInfo',
    (): string => `qXfer:features:read:target.xml:${rnd(4000).toString(16)},${(1 + rnd(2000)).toString(16)}`,
  ];
  let replies = 0;
  for (let i = 0; i < 3000; i++) {
    const k = rnd(10);
    if (k === 0) c.sendRaw(garbage());
    else if (k === 1) c.sendRaw('$m1234,'); // cut by the next packet's '$'
    else if (k === 2) c.sendRaw(Buffer.from([0x03]));
    else if (k === 3 && i % 500 === 3) c.sendRaw('$' + 'x'.repeat(70000)); // oversized: NAKed, discarded
    const reply = await c.request(requests[rnd(requests.length)]!());
    assert.equal(typeof reply, 'string');
    replies++;
  }
  assert.equal(replies, 3000);
  assert.equal(await c.request('g'), regs, 'the held thread did not move');
  assert.match(await c.request('?'), /^T05.*thread:p[0-9a-f]+\.[0-9a-f]+;/);
  assert.equal(alive(pid), true);
  sock.destroy();
  assert.equal(await exited(srv.child), 0);
  assert.equal(alive(pid), false, 'launched process killed on disconnect');
});

test('protocol: bad checksum NAKed, malformed packets answered, disconnect kills the started process', opts, async () => {
  const { srv, pid, sock, c } = await rspSession(PROG, ['spin']);
  c.sendRaw('$qSupported:multiprocess+;swbreak+#00'); // bad checksum
  const nak = await c.next((t) => t.kind === 'nak' || t.kind === 'packet');
  assert.equal(nak.kind, 'nak');
  assert.match(await c.request('qSupported:multiprocess+;swbreak+;xmlRegisters=i386'), /PacketSize=47ff/);
  assert.equal(await c.request('vMustReplyEmpty'), '');
  assert.equal(await c.request('mzz,4'), 'E01');
  assert.equal(await c.request('m0,4'), 'E01');
  assert.equal(await c.request('Mnothex'), 'E01');
  assert.equal(await c.request('Z0,zz,1'), 'E01');
  assert.equal(await c.request('Z3,1000,4'), '');
  assert.equal(await c.request('qTStatus'), '');
  assert.equal(await c.request('vCont;x'), 'E01');
  assert.equal(await c.request('Hgp0.0'), 'OK');
  assert.equal((await c.request('g')).length, 1632);
  assert.match(await c.request('?'), /^T05.*thread:p[0-9a-f]+\.[0-9a-f]+;/);
  c.sendRaw('$m1234'); // truncated: then hang up mid-packet
  sock.destroy();
  assert.equal(await exited(srv.child), 0);
  assert.equal(alive(pid), false, 'launched process killed on disconnect');
});
