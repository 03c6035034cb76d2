/**
 * bin/utrace.js starts Node without NODE_EXTRA_CA_CERTS (Node 20 parses that file at start-up)
 * and the CLI gives it back to the programs it starts. Node warns on stderr when the file named
 * there cannot be loaded, which shows whether Node saw the variable.
 * bin/utrace.js starts Node on bin/utrace.cjs (a CommonJS entry: no ES module loader), also
 * when it is reached through a symbolic link, as npm installs it.
 * Then the launcher's code cache (src/cli/launch.cts): where it is kept, when it is written, and
 * that it is left alone when others could have written it.
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
const MISSING = '/nonexistent/utrace-test-ca.pem';

function envOf(env: NodeJS.ProcessEnv, viaNode = false): { stdout: string; stderr: string } {
  const cmd = viaNode ? process.execPath : utrace;
  const args = [...(viaNode ? [utrace] : []), 'strace', '-e', 'trace=none', '--', '/usr/bin/env'];
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}

const base = (): NodeJS.ProcessEnv => {
  const e = { ...process.env };
  delete e['NODE_EXTRA_CA_CERTS'];
  delete e['UTRACE_NODE_EXTRA_CA_CERTS'];
  return e;
};

test('NODE_EXTRA_CA_CERTS: Node in utrace does not load it, the traced program gets it unchanged', () => {
  // The check itself: run with plain `node`, Node does read the variable and warns.
  assert.match(envOf({ ...base(), NODE_EXTRA_CA_CERTS: MISSING }, true).stderr, /extra certs/i);

  const set = envOf({ ...base(), NODE_EXTRA_CA_CERTS: MISSING });
  assert.doesNotMatch(set.stderr, /extra certs/i);
  const lines = set.stdout.split('\n');
  assert.ok(lines.includes(`NODE_EXTRA_CA_CERTS=${MISSING}`), set.stdout);
  assert.ok(!lines.some((l) => l.startsWith('UTRACE_NODE_EXTRA_CA_CERTS=')), set.stdout);

  // Set but empty stays set but empty; unset stays unset.
  assert.ok(envOf({ ...base(), NODE_EXTRA_CA_CERTS: '' }).stdout.split('\n').includes('NODE_EXTRA_CA_CERTS='));
  assert.ok(!/NODE_EXTRA_CA_CERTS/.test(envOf(base()).stdout));
});

/** The command line of the Node process that runs the CLI: the traced program's parent. */
function nodeCmdline(cmd: string, args: string[] = []): string[] {
  const r = spawnSync(cmd, [...args, 'strace', '-e', 'trace=none', '--', '/bin/sh', '-c', 'cat /proc/$PPID/cmdline'], { env: base(), timeout: 30000 });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString('latin1').split('\0').filter(Boolean);
}

/** The script Node runs: the first argument after Node's own options. */
const script = (cmdline: string[]): string | undefined => cmdline.slice(1).find((a) => !a.startsWith('--'));

test('bin/utrace.js runs the CLI from bin/utrace.cjs, directly and through a symbolic link; `node bin/utrace.js` still works', () => {
  const cjs = path.join(root, 'bin/utrace.cjs');
  assert.equal(script(nodeCmdline(utrace)), cjs);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-bin-'));
  try {
    const link = path.join(dir, 'utrace'); // npm's node_modules/.bin/utrace
    fs.symlinkSync(utrace, link);
    assert.equal(script(nodeCmdline(link)), cjs);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Node on the file itself: the ES module lines of bin/utrace.js start the same CLI.
  assert.equal(nodeCmdline(process.execPath, [utrace])[1], utrace);
});

test('bin/utrace.js: Node without background threads (--single-threaded) when its affinity is one CPU, with them otherwise', () => {
  const allowed = /^Cpus_allowed_list:\s*(\S+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]!;
  const one = /^\d+$/.test(allowed);
  assert.equal(nodeCmdline(utrace).includes('--single-threaded'), one, `affinity ${allowed}`);
  const cpu = allowed.split(/[,-]/)[0]!;
  assert.ok(nodeCmdline('taskset', ['-c', cpu, utrace]).includes('--single-threaded'), `taskset -c ${cpu}`);
  if (!one) {
    const two = allowed.includes('-') ? `${cpu},${Number(cpu) + 1}` : allowed.split(',').slice(0, 2).join(',');
    assert.ok(!nodeCmdline('taskset', ['-c', two, utrace]).includes('--single-threaded'), `taskset -c ${two}`);
  }
});

/** The launcher uses the bundle only when it is newer than its inputs (`npm run build`; a bare
 * `tsc` leaves it stale and the CLI runs unbundled, without a code cache). */
function assertBundleFresh(): void {
  const dir = path.join(root, 'dist/src/cli');
  const bundle = fs.statSync(path.join(dir, 'utrace.bundle.cjs')).mtimeMs;
  const { inputs } = JSON.parse(fs.readFileSync(path.join(dir, 'utrace.bundle.json'), 'utf8')) as { inputs: string[] };
  const stale = inputs.filter((rel) => fs.statSync(path.join(dir, rel)).mtimeMs > bundle);
  assert.deepEqual(stale, [], 'the CLI bundle is older than these inputs: run `npm run build`');
}

function runIn(cacheHome: string, extra: NodeJS.ProcessEnv = {}): void {
  const r = spawnSync(utrace, ['strace', '-e', 'trace=none', '--', '/bin/true'],
    { encoding: 'utf8', env: { ...base(), XDG_CACHE_HOME: cacheHome, ...extra }, timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
}

test('code cache: written once per command in $XDG_CACHE_HOME/utrace (0700, 0600), then used as is; rewritten when V8 refuses it', () => {
  assertBundleFresh();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-cc-'));
  const dir = path.join(home, 'utrace');
  runIn(home);
  const files = fs.readdirSync(dir);
  assert.equal(files.length, 1, files.join(' '));
  assert.match(files[0]!, /^strace-[0-9a-z]+-[0-9a-z]+-\d+-\d+-v\d+\.\d+\.\d+-x64\.v8cache$/);
  const file = path.join(dir, files[0]!);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const first = fs.readFileSync(file);
  assert.ok(first.length > 10000, `${first.length} bytes`);
  const mtime = fs.statSync(file).mtimeMs;
  runIn(home);
  assert.equal(fs.statSync(file).mtimeMs, mtime, 'an accepted cache is not written again');
  // Garbage: V8 rejects it, the run goes on, and a good one replaces it.
  fs.writeFileSync(file, Buffer.alloc(first.length, 0x5a));
  runIn(home);
  assert.ok(!fs.readFileSync(file).equals(Buffer.alloc(first.length, 0x5a)), 'rewritten');
  fs.rmSync(home, { recursive: true, force: true });
});

test('code cache: a run that compiled clearly more (a trace after a usage error) writes it again', () => {
  assertBundleFresh();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-cc-'));
  const dir = path.join(home, 'utrace');
  const usage = (): void => {
    const r = spawnSync(utrace, ['strace', '-Z'], { encoding: 'utf8', env: { ...base(), XDG_CACHE_HOME: home }, timeout: 30000 });
    assert.match(r.stderr, /must have PROG/);
  };
  const cache = (): fs.Stats => {
    const files = fs.readdirSync(dir);
    assert.equal(files.length, 1, files.join(' '));
    return fs.statSync(path.join(dir, files[0]!));
  };
  usage();
  const before = cache();
  runIn(home);
  const after = cache();
  assert.notEqual(after.ino, before.ino, 'written again by the trace');
  assert.ok(after.size > before.size, `${before.size} then ${after.size} bytes`);
  // A usage error, or the same trace again, compiles no more: the trace's cache stays.
  usage();
  runIn(home);
  assert.equal(cache().ino, after.ino);
  fs.rmSync(home, { recursive: true, force: true });
});

test('code cache: writing one removes caches and leftover temporary files unused for a month, and nothing else', () => {
  assertBundleFresh();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-cc-'));
  const dir = path.join(home, 'utrace');
  fs.mkdirSync(dir, { mode: 0o700 });
  const day = 24 * 3600;
  const now = Date.now() / 1000;
  const put = (name: string, ageDays: number): void => {
    fs.writeFileSync(path.join(dir, name), 'x', { mode: 0o600 });
    fs.utimesSync(path.join(dir, name), now - ageDays * day, now - ageDays * day);
  };
  // Another copy of utrace (another bundle path hash), another Node: old and recent.
  put('strace-zzzz1-zzzz2-1-1-v18.0.0-x64.v8cache', 40);
  put('gdbserver-zzzz1-zzzz2-1-1-v18.0.0-x64.v8cache', 40);
  put('strace-zzzz3-zzzz2-1-1-v18.0.0-x64.v8cache', 2);
  put('strace-zzzz1-zzzz2-1-1-v18.0.0-x64.v8cache.123.tmp', 40);
  put('notes.txt', 400);
  // Used recently (read: its access time) although written long ago: kept.
  put('host-zzzz4-zzzz2-1-1-v18.0.0-x64.v8cache', 90);
  fs.utimesSync(path.join(dir, 'host-zzzz4-zzzz2-1-1-v18.0.0-x64.v8cache'), now - day, now - 90 * day);
  runIn(home);
  const left = fs.readdirSync(dir).sort();
  const ours = left.filter((f) => /^strace-[0-9a-z]+-[0-9a-z]+-\d+-\d+-v\d+\.\d+\.\d+-x64\.v8cache$/.test(f) && !f.includes('zzzz'));
  assert.equal(ours.length, 1, left.join(' '));
  assert.deepEqual(left.filter((f) => !ours.includes(f)),
    ['host-zzzz4-zzzz2-1-1-v18.0.0-x64.v8cache', 'notes.txt', 'strace-zzzz3-zzzz2-1-1-v18.0.0-x64.v8cache']);
  fs.rmSync(home, { recursive: true, force: true });
});

test('code cache: none in a directory others can write or read, none with UTRACE_CODE_CACHE=0', () => {
  assertBundleFresh();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-cc-'));
  const dir = path.join(home, 'utrace');
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.chmodSync(dir, 0o777);
  runIn(home);
  assert.deepEqual(fs.readdirSync(dir), []);
  // A cache file others could have written is not used: even a good one is replaced (an
  // accepted cache is not written again, see above).
  fs.chmodSync(dir, 0o700);
  runIn(home);
  const [name] = fs.readdirSync(dir);
  const file = path.join(dir, name!);
  fs.chmodSync(file, 0o666);
  fs.utimesSync(file, 1, 1);
  runIn(home);
  assert.notEqual(fs.statSync(file).mtimeMs, 1000, 'not used, so written again');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  // A cache home that does not exist is not created.
  const missing = path.join(home, 'no-such-home');
  runIn(path.join(missing, '.cache'));
  assert.equal(fs.existsSync(missing), false);
  const off = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-cc-'));
  runIn(off, { UTRACE_CODE_CACHE: '0' });
  assert.ok(!fs.existsSync(path.join(off, 'utrace')) || fs.readdirSync(path.join(off, 'utrace')).length === 0);
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(off, { recursive: true, force: true });
});

test('a usage error of utrace strace loads neither the native addon nor the tracer (strace\'s test suite asks for hundreds)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-usage-'));
  const maps = path.join(dir, 'maps');
  const preload = path.join(dir, 'preload.cjs');
  // What was mapped at exit: a loaded addon is a mapping of its .node file.
  fs.writeFileSync(preload, `process.on('exit', () => { const fs = require('fs'); fs.writeFileSync(${JSON.stringify(maps)}, fs.readFileSync('/proc/self/maps')); });`);
  try {
    const r = spawnSync(process.execPath, ['-r', preload, path.join(root, 'bin/utrace.cjs'), 'strace', '--no-such-option'], { encoding: 'utf8', env: base(), timeout: 30000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /no-such-option/);
    const mapped = fs.readFileSync(maps, 'utf8');
    assert.ok(mapped.includes('/node'), 'the maps are the process\'s');
    assert.ok(!mapped.includes('utrace_native.node'), 'the native addon was loaded');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
