/**
 * `utrace run`: several engines on one process (issue #5): strace + inject together, the
 * example engines, bad input rejected before launch, a throwing engine detached alone.
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
const fixture = path.join(root, 'test/fixtures/bin/run_calls');
const examples = path.join(root, 'dist/examples');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-run-'));

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('node', [utrace, 'run', ...args], { encoding: 'utf8', timeout: 30000, killSignal: 'SIGKILL' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--strace and --inject on one process: trace shows the injection, the program saw it', () => {
  const out = path.join(tmp, 'trace1');
  const r = run([`--strace=-f -o ${out}`, '--inject', 'getppid:retval=42', '--', fixture, 'getppid']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^getppid=42$/m);
  const trace = fs.readFileSync(out, 'utf8');
  assert.match(trace, /getppid\(\) += 42 \(INJECTED\)/);
  assert.match(trace, /\+\+\+ exited with 0 \+\+\+/);
});

test('--inject error= alone; inject before strace still changes what strace sees', () => {
  const out = path.join(tmp, 'trace2');
  const r = run(['--inject', 'getppid:error=EPERM', `--strace=-o ${out} -e trace=getppid`, '--', fixture, 'getppid']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^getppid=-1$/m);
  assert.match(fs.readFileSync(out, 'utf8'), /getppid\(\) += -1 EPERM/);
});

test('(INJECTED) in the trace whatever the order of --inject and --strace; the program sees the forced result', () => {
  const cases: { inject: string; stdout: RegExp; line: RegExp }[] = [
    { inject: 'getppid:retval=42', stdout: /^getppid=42$/m, line: /^getppid\(\) += 42 \(INJECTED\)$/m },
    { inject: 'getppid:error=EPERM', stdout: /^getppid=-1$/m, line: /^getppid\(\) += -1 EPERM \(Operation not permitted\) \(INJECTED\)$/m },
  ];
  for (const c of cases) {
    for (const injectFirst of [true, false]) {
      const out = path.join(tmp, `order-${injectFirst ? 'is' : 'si'}-${c.inject.replace(/\W/g, '_')}`);
      const strace = `--strace=-o ${out} -e trace=getppid`;
      const args = injectFirst ? ['--inject', c.inject, strace] : [strace, '--inject', c.inject];
      const r = run([...args, '--', fixture, 'getppid']);
      const what = `${args.join(' ')}: ${r.stderr}`;
      assert.equal(r.status, 0, what);
      assert.match(r.stdout, c.stdout, what);
      const trace = fs.readFileSync(out, 'utf8');
      assert.match(trace, c.line, `${what}\n${trace}`);
      assert.equal(trace.match(/getppid\(/g)?.length, 1, trace);
      assert.match(trace, /\+\+\+ exited with 0 \+\+\+\n$/);
    }
  }
  // --json carries the mark too, and only on the injected call.
  const json = path.join(tmp, 'order-json');
  const r = run(['--inject', 'getppid:retval=5', `--strace=--json -o ${json}`, '--', fixture, 'getppid']);
  assert.equal(r.status, 0, r.stderr);
  const events = fs.readFileSync(json, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { syscall?: string; injected?: boolean; return?: unknown });
  const getppid = events.filter((e) => e.syscall === 'getppid');
  assert.equal(getppid.length, 1);
  assert.equal(getppid[0]!.injected, true, JSON.stringify(getppid[0]));
  assert.equal(events.filter((e) => e.injected).length, 1);
});

test('with a syscall engine before --strace, calls nobody skipped are not marked (rt_sigreturn sets orig_rax to -1 itself)', () => {
  const out = path.join(tmp, 'order-sigreturn');
  const r = run(['--engine', `${path.join(examples, 'net-sandbox.js')}=127.0.0.1:1`, '--inject', 'getppid:retval=1', `--strace=-o ${out}`,
    '--', path.join(root, 'test/fixtures/bin/sig'), 'raise']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^usr1=1 usr2=0$/m);
  const trace = fs.readFileSync(out, 'utf8');
  assert.match(trace, /^--- SIGUSR1 \{si_signo=SIGUSR1, /m, trace);
  assert.match(trace, /^rt_sigreturn\(\{mask=\[\]\}\) += 0$/m, trace);
  assert.doesNotMatch(trace, /INJECTED/, trace);
});

test('a user engine attached before --strace that aborts calls: its result is marked (INJECTED) too', () => {
  const out = path.join(tmp, 'order-user');
  const r = run(['--engine', `${path.join(examples, 'net-sandbox.js')}=127.0.0.1:1`, `--strace=-o ${out} -e trace=connect,getppid`,
    '--', fixture, 'connect', '1', '2']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^connect 1: ECONNREFUSED$/m);
  assert.match(r.stdout, /^connect 2: EACCES$/m);
  const trace = fs.readFileSync(out, 'utf8');
  // The allowed call ran (not injected); the denied one did not.
  assert.match(trace, /^connect\(3, \{sa_family=AF_INET, sin_port=htons\(1\), .*\) += -1 ECONNREFUSED \(Connection refused\)$/m, trace);
  assert.match(trace, /^connect\(3, \{sa_family=AF_INET, sin_port=htons\(2\), .*\) += -1 EACCES \(Permission denied\) \(INJECTED\)$/m, trace);
});

test('example: file-access auditor lists read, written, created and deleted files of a command tree', () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'fa-'));
  fs.writeFileSync(path.join(dir, 'in'), 'hello\n');
  const r = run(['--engine', path.join(examples, 'file-audit.js'), '--', 'sh', '-c', `cat ${dir}/in > ${dir}/out; rm ${dir}/in`]);
  assert.equal(r.status, 0, r.stderr);
  const section = (name: string): string[] => {
    const lines = r.stderr.split('\n').map((l) => l.replace(/^.*file-audit\.js: /, ''));
    const i = lines.findIndex((l) => l.startsWith(`${name}: `));
    assert.ok(i >= 0, r.stderr);
    const out: string[] = [];
    for (let j = i + 1; j < lines.length && lines[j]!.startsWith('  '); j++) out.push(lines[j]!.trim());
    return out;
  };
  assert.ok(section('read').includes(`${dir}/in`), r.stderr);
  assert.deepEqual(section('written'), [`${dir}/out`]);
  assert.deepEqual(section('created'), [`${dir}/out`]);
  assert.deepEqual(section('deleted'), [`${dir}/in`]);
});

test('example: network sandbox denies connect outside the allow-list with EACCES and reports it', () => {
  const r = run(['--engine', `${path.join(examples, 'net-sandbox.js')}=127.0.0.1:1`, '--', fixture, 'connect', '1', '2']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^connect 1: ECONNREFUSED$/m);
  assert.match(r.stdout, /^connect 2: EACCES$/m);
  assert.match(r.stderr, /connect 127\.0\.0\.1:1 by pid \d+: allowed/);
  assert.match(r.stderr, /connect 127\.0\.0\.1:2 by pid \d+: denied/);
  assert.match(r.stderr, /2 attempts, 1 denied/);
});

test('example: slow-syscall reporter, with strace on the same process', () => {
  const out = path.join(tmp, 'trace3');
  const r = run([`--strace=-o ${out}`, '--engine', `${path.join(examples, 'slow-syscalls.js')}=100`, '--', fixture, 'sleep', '250']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /slow: \[\d+\] clock_nanosleep took \d+\.\d ms = 0/);
  assert.match(r.stderr, /1 slow calls; latency histogram/);
  assert.match(r.stderr, /\[131072, 262144\)|\[262144, 524288\)/);
  assert.match(fs.readFileSync(out, 'utf8'), /clock_nanosleep\(/);
});

test('bad input is an error before launch, naming the option', () => {
  const marker = path.join(tmp, 'never-created');
  const cmd = ['--', 'sh', '-c', `touch ${marker}`];
  const cases: [string[], RegExp][] = [
    [['--gdb', ':0', '--gdb', ':1', ...cmd], /--gdb given twice/],
    [['--engine', ...[]], /--engine: missing argument/],
    [['--engine', path.join(tmp, 'nope.js'), ...cmd], /--engine .*nope\.js: no such file/],
    [['--inject', 'getppid:bogus=1', ...cmd], /--inject: /],
    [['--strace=-Q', ...cmd], /--strace: /],
    [['--strace=-s x', ...cmd], /--strace: invalid -s argument/],
    [['--strace'], /must have -- CMD/],
    [['--', 'true'], /no engine given/],
  ];
  for (const [args, re] of cases) {
    const r = run(args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
  }
  assert.ok(!fs.existsSync(marker));
});

test('engine modules: no default export, load failure, throwing callback (others go on)', () => {
  const noDefault = path.join(tmp, 'nodefault.mjs');
  fs.writeFileSync(noDefault, 'export const x = 1;\n');
  const broken = path.join(tmp, 'broken.mjs');
  fs.writeFileSync(broken, 'export default {;\n');
  const thrower = path.join(tmp, 'thrower.mjs');
  // Event.SYSCALL_ENTRY is bit 6.
  fs.writeFileSync(thrower, `export default { name: 'thrower', events: 1 << 6,
    reportSyscallEntry(a, e, call) { if (call.nr === 110) throw new Error('boom'); } };\n`);
  let r = run(['--engine', noDefault, '--', fixture, 'getppid']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--engine .*nodefault\.mjs: no default export/);
  r = run(['--engine', broken, '--', fixture, 'getppid']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--engine .*broken\.mjs: cannot load/);
  const out = path.join(tmp, 'trace4');
  r = run([`--strace=-o ${out}`, '--engine', thrower, '--inject', 'getppid:retval=7', '--', fixture, 'getppid']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /engine thrower \(.*thrower\.mjs\): reportSyscallEntry threw on thread \d+: boom/);
  assert.match(r.stdout, /^getppid=7$/m);
  assert.match(fs.readFileSync(out, 'utf8'), /\+\+\+ exited with 0 \+\+\+/);
});
