/**
 * The resident tracer's runtime directory and control protocol, without a host: who may own
 * RUNTIME, how processes are named (pid + start time), and what the control protocol accepts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { LineReader, MAX_LINE, parseRequest } from '../../src/cli/host/protocol.js';
import { hostingAllowed, hostPaths, privateDir, processId, runtimeRoot, sameProcess, startTime } from '../../src/cli/host/runtime.js';

test('RUNTIME is $XDG_RUNTIME_DIR/utrace, else /tmp/utrace-UID; a relative XDG_RUNTIME_DIR is ignored', () => {
  assert.equal(runtimeRoot({ XDG_RUNTIME_DIR: '/run/user/1000' }), '/run/user/1000/utrace');
  assert.equal(runtimeRoot({}), path.join(os.tmpdir(), `utrace-${process.getuid!()}`));
  assert.equal(runtimeRoot({ XDG_RUNTIME_DIR: 'run' }), path.join(os.tmpdir(), `utrace-${process.getuid!()}`));
  assert.equal(hostPaths(4242, '/r').gdb, '/r/4242/gdb');
});

test('a private directory is created 0700; one with another mode, another owner or a symlink is refused', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-rt-'));
  try {
    const d = privateDir(path.join(base, 'a'));
    assert.equal(fs.statSync(d).mode & 0o777, 0o700);
    assert.equal(privateDir(d), d, 'an existing one of ours is used');
    const loose = path.join(base, 'loose');
    fs.mkdirSync(loose, { mode: 0o755 });
    fs.chmodSync(loose, 0o755);
    assert.throws(() => privateDir(loose), /mode 755, not 700/);
    const link = path.join(base, 'link');
    fs.symlinkSync(d, link);
    assert.throws(() => privateDir(link), /not a directory/);
    if (process.getuid!() === 0) {
      const theirs = path.join(base, 'theirs');
      fs.mkdirSync(theirs, { mode: 0o700 });
      fs.chownSync(theirs, 65534, 65534);
      assert.throws(() => privateDir(theirs), /belongs to uid 65534/);
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('a process is named by pid and start time: ours matches, a dead one does not', () => {
  const me = processId(process.pid)!;
  assert.ok(me.start > 0);
  assert.ok(sameProcess(me));
  assert.equal(sameProcess({ pid: me.pid, start: me.start + 1 }), false, 'a reused pid has another start time');
  const child = spawnSync('true');
  assert.equal(startTime(child.pid!), undefined, 'gone');
  assert.equal(sameProcess({ pid: child.pid!, start: 1 }), false);
});

test('control lines: split across chunks, empty lines skipped, an overlong line refused', () => {
  const r = new LineReader();
  assert.deepEqual(r.push('{"op":"st'), []);
  assert.deepEqual(r.push('atus"}\n\n{"op":"leave"}\n{"op"'), ['{"op":"status"}', '{"op":"leave"}']);
  assert.ok(r.pending);
  assert.throws(() => r.push('x'.repeat(MAX_LINE + 1)), /longer than/);
});

test('control requests: what is accepted and what is refused, with the reason', () => {
  const join = {
    op: 'join', target: { pid: 1, start: 2 }, client: { pid: 3, argv: ['utrace', 'strace'] }, cwd: '/',
    fds: ['mem', 'stderr'], engines: [{ kind: 'strace', words: ['-f'] }],
  };
  assert.deepEqual(parseRequest(JSON.stringify(join)), join);
  assert.deepEqual(parseRequest('{"op":"status","junk":1}'), { op: 'status' });
  const bad: [unknown, RegExp][] = [
    ['nope', /not JSON/],
    [[], /unknown op/],
    [{ op: 'format' }, /unknown op "format"/],
    [{ ...join, target: { pid: 'x', start: 2 } }, /bad target/],
    [{ ...join, engines: [] }, /no engines/],
    [{ ...join, engines: [{ kind: 'strace', words: [1] }] }, /strace: bad words/],
    [{ ...join, engines: [{ kind: 'shell', cmd: 'rm' }] }, /unknown engine kind "shell"/],
    [{ ...join, fds: 'mem' }, /bad fds/],
  ];
  for (const [v, re] of bad) assert.throws(() => parseRequest(typeof v === 'string' ? v : JSON.stringify(v)), re, JSON.stringify(v));
});

test('gdb\'s first packet sent again while the host started is answered once; anything else passes untouched', async () => {
  const { collapseRetransmits } = await import('../../src/cli/host/engines.js');
  const c = (s: string): string => collapseRetransmits(Buffer.from(s, 'latin1')).toString('latin1');
  const q = '$qSupported:multiprocess+#c6';
  assert.equal(c(`+${q}${q}${q}`), `+${q}`);
  assert.equal(c(`${q}+${q}`), q);
  assert.equal(c(`+${q}$vMustReplyEmpty#3a`), `+${q}$vMustReplyEmpty#3a`, 'different packets stay');
  assert.equal(c(`+${q}${q}$vMustReplyEmpty#3a`), `+${q}$vMustReplyEmpty#3a`);
  assert.equal(c('$m0,4#fd$m0,4#fd'), '$m0,4#fd', 'only at the very start (the first chunk)');
  assert.equal(c('\x03'), '\x03');
  assert.equal(c(`${q.slice(0, 10)}`), q.slice(0, 10), 'a cut packet stays');
});

test('a command whose /proc is another pid namespace\'s neither hosts nor joins: its pids would name other processes', async () => {
  assert.equal(hostingAllowed(), true, 'here /proc is ours');
  const utrace = path.resolve(import.meta.dirname, '../../../bin/utrace.js');
  const xdg = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-ns-'));
  const env = { ...process.env, XDG_RUNTIME_DIR: xdg };
  const out = path.join(xdg, 'trace');
  /** RUNTIME's host directories once the traced `sleep` runs (its trace shows the nanosleep). */
  const hostedWhile = async (prefix: string[]): Promise<string[]> => {
    fs.rmSync(out, { force: true });
    const cmd = [...prefix, process.execPath, utrace, 'strace', '-o', out, '--', 'sleep', '4'];
    // SIGKILL of utrace lets the sleep go on untraced: a short one.
    const child = spawn(cmd[0]!, cmd.slice(1), { env, stdio: 'ignore' });
    const end = Date.now() + 20000;
    const sleeping = () => fs.existsSync(out) && /nanosleep\(/.test(fs.readFileSync(out, 'utf8'));
    while (!sleeping() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.ok(sleeping(), 'the traced sleep started');
    await new Promise((r) => setTimeout(r, 500)); // hosting is started in the background
    let names: string[] = [];
    try {
      names = fs.readdirSync(path.join(xdg, 'utrace')).filter((n) => /^\d+$/.test(n));
    } catch { /* never created */ }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // A SIGKILLed host leaves its directory behind (the next command removes it): not counted again.
    for (const n of names) fs.rmSync(path.join(xdg, 'utrace', n), { recursive: true, force: true });
    return names;
  };
  try {
    // The same command, hosted in our namespace (the check can fail), not under `unshare -p`.
    assert.equal((await hostedWhile([])).length, 1);
    assert.deepEqual(await hostedWhile(['unshare', '-p', '-f', '--kill-child']), []);
  } finally {
    fs.rmSync(xdg, { recursive: true, force: true });
  }
});
