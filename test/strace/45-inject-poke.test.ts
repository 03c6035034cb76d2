/**
 * inject poke_enter=/poke_exit= (bytes written where arguments point) and delay_enter=/
 * delay_exit=: the grammar (table), and a real program whose buffers are poked, including at
 * the edge of its memory and past it, with the notes and messages strace prints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InjectRules, parsePokes } from '../../src/engines/qualifier/inject.js';
import { FilterError } from '../../src/engines/qualifier/sets.js';
import { applyPokes } from '../../src/engines/qualifier/poke.js';
import { SYSCALL_NR } from '../../src/api.js';
import { FakeMemory } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const prog = path.join(root, 'test/fixtures/bin/poke_calls');

test('poke lists: @argN=HEX, N in 1..7 once each, whole bytes, at most 1024 of them', () => {
  assert.deepEqual(parsePokes('@arg1=00ff'), [{ arg: 1, data: Buffer.from([0, 255]) }]);
  assert.deepEqual(parsePokes('@arg7=AB,@arg2=cd')?.map((p) => [p.arg, p.data.toString('hex')]), [[7, 'ab'], [2, 'cd']]);
  assert.equal(parsePokes('00'.repeat(1024).replace(/^/, '@arg1='))?.[0]?.data.length, 1024);
  for (const bad of ['', 'invalid', '@arg0=00', '@arg8=00', '@arg1', '@arg1=', '@arg1=000', '@arg1=xy', '@arg1=00,@arg1=00',
    '@arg1=00,', `@arg1=${'00'.repeat(1025)}`]) {
    assert.equal(parsePokes(bad), undefined, bad);
  }
  const r = new InjectRules().add('chdir:poke_enter=@arg1=2f00:poke_exit=@arg1=2e00');
  const rule = r.injection(SYSCALL_NR['chdir']!)!;
  assert.equal(rule.pokeEnter?.[0]?.data.toString('hex'), '2f00');
  assert.equal(rule.pokeExit?.[0]?.data.toString('hex'), '2e00');
  assert.equal(rule.error, undefined, 'a poke alone is a rule (the call runs)');
  assert.throws(() => new InjectRules().add('chdir:poke_enter=@arg1=00:poke_enter=@arg1=00'), FilterError);
  assert.throws(() => new InjectRules().add('chdir:poke_enter=@arg1=00', true), /invalid fault argument/);
});

test('pokes: written in order, cut short at the end of memory, refused past the arguments or where nothing maps', () => {
  const msgs: string[] = [];
  const say = (m: string): void => void msgs.push(m);
  const mem = new FakeMemory().map(0x1000n, Buffer.alloc(16));
  const writes: [bigint, string][] = [];
  const target = {
    readMemory: (a: bigint, n: number) => mem.readMemory(a, n),
    writeMemory: (a: bigint, b: Uint8Array): number => {
      const n = a >= 0x1000n && a < 0x1010n ? Math.min(b.length, Number(0x1010n - a)) : 0;
      if (!n) throw new Error('EIO');
      writes.push([a, Buffer.from(b.subarray(0, n)).toString('hex')]);
      return n;
    },
  };
  const chdir = SYSCALL_NR['chdir']!;
  assert.equal(applyPokes(target, 7, chdir, [0x1000n], parsePokes('@arg1=2f00')!, say), true);
  assert.deepEqual(writes, [[0x1000n, '2f00']]);
  assert.deepEqual(msgs, []);
  assert.equal(applyPokes(target, 7, chdir, [0x100en], parsePokes('@arg1=01020304')!, say), true);
  assert.deepEqual(msgs, ['pid:7 short write (2 < 4) @0x100e', 'short read (2 < 4) @0x100e: Bad address']);
  msgs.length = 0;
  assert.equal(applyPokes(target, 7, chdir, [0x2000n], parsePokes('@arg1=00')!, say), false);
  assert.deepEqual(msgs, ['Failed to tamper with process 7: couldn\'t poke']);
  msgs.length = 0;
  assert.equal(applyPokes(target, 7, chdir, [0x1000n, 0x1000n], parsePokes('@arg2=00')!, say), false);
  assert.deepEqual(msgs, ['Failed to tamper with process 7: requested to tamper with argument #2, but system call \'chdir\' has only 1 arguments']);
});

test('a real program: poked paths and buffers, the short and the failed poke, (INJECTED: args[, retval]) and (DELAYED)', () => {
  const r = spawnSync(utrace, ['strace', '-e', 'trace=chdir,getcwd', '-e', 'inject=chdir:poke_enter=@arg1=2f746d7000',
    '-e', 'inject=getcwd:poke_exit=@arg1=2f706f6b656400', prog], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  // The program sees the poked bytes: chdir("/tmp") succeeds, getcwd's buffer says /poked.
  assert.equal(r.stdout, 'chdir=0 buf=/tmp\ngetcwd=ok cwd=/poked\nedge=-1\nunmapped=-1\n');
  const lines = r.stderr.split('\n');
  // What is printed is what the kernel got (poked before decoding) and what the program gets.
  assert.ok(lines.includes('chdir("/tmp")                           = 0 (INJECTED: args)'), r.stderr);
  assert.ok(lines.some((l) => /^getcwd\("\/poked", 256\) += \d+ \(INJECTED: args\)$/.test(l)), r.stderr);
  const edge = /^utrace strace: pid:(\d+) short write \(1 < 5\) @(0x[0-9a-f]+)$/m.exec(r.stderr);
  assert.ok(edge, r.stderr);
  assert.match(r.stderr, new RegExp(`^utrace strace: short read \\(1 < 5\\) @${edge[2]}: Bad address$`, 'm'));
  assert.ok(lines.some((l) => l.startsWith(`chdir(${edge[2]})`) && l.endsWith('= -1 EFAULT (Bad address) (INJECTED: args)')), r.stderr);
  assert.match(r.stderr, new RegExp(`^utrace strace: Failed to tamper with process ${edge[1]}: couldn't poke\\nchdir\\(0x[0-9a-f]+\\) += -1 EFAULT \\(Bad address\\)$`, 'm'));

  const t = spawnSync(utrace, ['strace', '-T', '-e', 'trace=chdir,getcwd', '--inject=chdir:when=1:error=EACCES:poke_enter=@arg1=2f746d7000',
    '--inject=getcwd:delay_enter=50ms', prog], { encoding: 'utf8', timeout: 30000 });
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /^chdir=-1 buf=\/tmp\n/);
  assert.match(t.stderr, /^chdir\("\/tmp"\) += -1 EACCES \(Permission denied\) \(INJECTED: args, retval\) <[\d.]+>$/m);
  const d = /^getcwd\(".*", 256\) += \d+ \(DELAYED\) <(\d+\.\d+)>$/m.exec(t.stderr);
  assert.ok(d, t.stderr);
  assert.ok(Number(d[1]) >= 0.05, `delay_enter=50ms: the call took ${d[1]} s`);
});
