/**
 * -Y / --decode-pids=comm: ids followed by the name of the process they name, escaped as -y
 * paths are; the pid prefix too, with the name a thread had when it began to exit. Table tests
 * for the decoders' side, and a real program that renames itself and its child.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeMemory, formatCall } from './helpers.js';
import { commSuffix } from '../../src/engines/strace/pidcomm.js';
import { TraceFormatter } from '../../src/engines/strace/format.js';
import { parseStraceCommandLine } from '../../src/cli/strace-options.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const prog = path.join(root, 'test/fixtures/bin/pid_names');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-pids-'));
const empty = new FakeMemory();

test('a name between angle brackets: < > and control bytes escaped in octal, -x in hex', () => {
  const cases: [string, string, ('none' | 'all')?][] = [
    ['exe', '<exe>'],
    ['foo<bar>', '<foo\\74bar\\76>'],
    ['foo\x1b[2Jbar', '<foo\\33[2Jbar>'],
    ['a\x01', '<a\\1>'],
    ['ab', '<\\x61\\x62>', 'all'],
  ];
  for (const [name, want, hex] of cases) assert.equal(commSuffix(Buffer.from(name, 'latin1'), hex), want, name);
});

test('decoders: pid arguments and results get the name; none when the id names nothing', () => {
  const pidComm = (_tid: number, pid: number): string => (pid === 42 ? '<kid>' : '');
  const opts = { pidComm };
  assert.equal(formatCall({ name: 'kill', args: [42, 18], ret: 0, mem: empty, opts }), 'kill(42<kid>, SIGCONT)                  = 0');
  assert.equal(formatCall({ name: 'tgkill', args: [42, 42, 18], ret: 0, mem: empty, opts }), 'tgkill(42<kid>, 42<kid>, SIGCONT)       = 0');
  assert.equal(formatCall({ name: 'getppid', ret: 42, mem: empty, opts }), 'getppid()                               = 42<kid>');
  assert.equal(formatCall({ name: 'kill', args: [43, 0], ret: 0, mem: empty, opts }), 'kill(43, 0)                             = 0');
  // waitid: the id is a process for P_PID only; -1 with P_PGID stays a number.
  assert.match(formatCall({ name: 'waitid', args: [1, 42, 0, 4, 0], ret: 0, mem: empty, opts }), /^waitid\(P_PID, 42<kid>, NULL, WEXITED, NULL\)/);
  assert.match(formatCall({ name: 'waitid', args: [2, -1, 0, 4, 0], ret: -22, mem: empty, opts }), /^waitid\(P_PGID, -1, NULL/);
  // wait4: -1 (any child) is not process group 1.
  assert.match(formatCall({ name: 'wait4', args: [-1, 0, 0, 0], ret: -10, mem: empty, opts }), /^wait4\(-1, NULL/);
});

test('the pid prefix carries the name; a thread that began to exit keeps the name it had then', () => {
  let out = '';
  const names = new Map([[100, '<a>'], [101, '<b>']]);
  const f = new TraceFormatter((s) => (out += s), { followForks: true, toFile: true, taskComm: (t) => names.get(t) ?? '' });
  f.addTask(100);
  f.addTask(101);
  f.pinComm(101);
  names.delete(101); // reaped by its parent before its exit line prints
  f.exited(101, 0, 0n);
  f.exited(100, 0, 0n);
  assert.equal(out, '101<b> +++ exited with 0 +++\n100<a> +++ exited with 0 +++\n');
});

test('-o FILE: once several tasks were traced, every line keeps its prefix; --pid-prefix from the start', () => {
  let out = '';
  const f = new TraceFormatter((s) => (out += s), { toFile: true });
  f.addTask(7);
  f.exited(7, 0, 0n);
  f.addTask(8);
  f.addTask(9);
  f.exited(8, 0, 0n);
  f.exited(9, 0, 0n);
  assert.equal(out, '+++ exited with 0 +++\n8     +++ exited with 0 +++\n9     +++ exited with 0 +++\n');
  out = '';
  const g = new TraceFormatter((s) => (out += s), { toFile: true, pidPrefix: true });
  g.addTask(7);
  g.exited(7, 0, 0n);
  assert.equal(out, '7     +++ exited with 0 +++\n');
  assert.equal(parseStraceCommandLine(['--pid-prefix', '-p', '1']).pidPrefix, true);
  assert.deepEqual([...parseStraceCommandLine(['-Y', 'true']).decodePids], ['comm']);
});

test('-Y on a real program: its own name escaped, its parent (the tracer: strace), its child through a stop and its exit', () => {
  const out = path.join(dir, 'y');
  const r = spawnSync(utrace, ['strace', '-f', '-q', '-Y', '-e', 'trace=getppid,waitid,kill', '-e', 'signal=none', '-o', out, prog], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  const text = fs.readFileSync(out, 'utf8');
  const me = /^(\d+)<x\\74y\\76\\33z> getppid\(\) += (\d+)<strace>$/m.exec(text);
  assert.ok(me, text);
  const kid = /kill\((\d+)<kid>, SIGCONT\) = 0$/m.exec(text);
  assert.ok(kid, text);
  const k = kid[1]!;
  assert.match(text, new RegExp(`si_code=CLD_STOPPED, si_pid=${k}<kid>,`));
  // Reaped by the waitid that reports it: no name left to show.
  assert.match(text, new RegExp(`si_code=CLD_EXITED, si_pid=${k}, `));
  assert.match(text, new RegExp(`^${k}<kid> \\+\\+\\+ exited with 0 \\+\\+\\+$`, 'm'));
  assert.match(text, new RegExp(`^${me[1]}<x\\\\74y\\\\76\\\\33z> \\+\\+\\+ exited with 0 \\+\\+\\+$`, 'm'));
  // Without -Y, plain numbers.
  const p = spawnSync(utrace, ['strace', '-qq', '-e', 'trace=getppid', '-o', out, prog], { encoding: 'utf8', timeout: 30000 });
  assert.equal(p.status, 0, p.stderr);
  assert.match(fs.readFileSync(out, 'utf8'), /^getppid\(\) += \d+\n/);
});
