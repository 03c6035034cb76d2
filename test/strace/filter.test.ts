// -e trace/signal/status/inject parsing and semantics, with strace 6.1's error messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SYSCALL_NR } from '../../src/arch/x86_64/syscalls.gen.js';
import { FilterError, StraceFilter } from '../../src/engines/strace/filter.js';
import { InjectState } from '../../src/engines/qualifier/inject.js';
import { parseInjectSpecs } from '../../src/engines/inject/engine.js';

const nr = (n: string): number => SYSCALL_NR[n];

test('trace sets: names, negation, classes, regex, all/none, optional tokens', () => {
  const f = new StraceFilter();
  assert.ok(f.syscallSelected(nr('read')), 'default is all');
  f.apply('trace=open,close');
  assert.ok(f.syscallSelected(nr('open')) && f.syscallSelected(nr('close')));
  assert.ok(!f.syscallSelected(nr('read')));
  f.apply('trace=!close');
  assert.ok(!f.syscallSelected(nr('close')) && f.syscallSelected(nr('read')));
  assert.ok(f.syscallSelected(nr('open')), 'a later -e trace= replaces the earlier one');
  f.apply('trace=%file');
  assert.ok(f.syscallSelected(nr('openat')) && f.syscallSelected(nr('stat')) && !f.syscallSelected(nr('read')));
  f.apply('trace=file');
  assert.ok(f.syscallSelected(nr('openat')), 'legacy class names');
  f.apply('trace=/^clo');
  assert.ok(f.syscallSelected(nr('close')) && f.syscallSelected(nr('close_range')) && !f.syscallSelected(nr('open')));
  f.apply('trace=none');
  assert.deepEqual(f.selectedSyscalls(), []);
  f.apply('trace=all');
  assert.ok(f.selectedSyscalls().length > 300);
  f.apply('trace=?nosuchcall,read');
  assert.deepEqual(f.selectedSyscalls(), [nr('read')]);
  f.apply('trace=3');
  assert.deepEqual(f.selectedSyscalls(), [3]);
  f.apply('open,close');
  assert.deepEqual(f.selectedSyscalls(), [nr('open'), nr('close')]);
});

test('strace error messages name the bad token', () => {
  const cases: [string, string][] = [
    ['trace=foo', "invalid system call 'foo'"],
    ['trace=%foo', "invalid system call '%foo'"],
    ['trace=%FILE', "invalid system call '%FILE'"],
    ['trace=', "invalid system call ''"],
    ['trace=/^clo,!open', "invalid system call '!open'"],
    ['trace=/[', 'regcomp: [: Invalid regular expression'],
    ['abc=1', "invalid system call 'abc=1'"],
    ['signal=FOO', "invalid signal 'FOO'"],
    ['signal=300', "invalid signal '300'"],
    ['status=foo', "invalid status 'foo'"],
    ['inject=open:error=FOO', "invalid inject argument 'open:error=FOO'"],
    ['inject=open', "invalid inject argument 'open'"],
    ['inject=openat:error=ENOENT:when=0', "invalid inject argument 'openat:error=ENOENT:when=0'"],
    ['inject=openat:error=ENOENT:retval=1', "invalid inject argument 'openat:error=ENOENT:retval=1'"],
    ['inject=openat:error=ENOENT:when=2..1', "invalid inject argument 'openat:error=ENOENT:when=2..1'"],
    ['inject=openat:signal=FOO', "invalid inject argument 'openat:signal=FOO'"],
    ['inject=openat:delay_enter=x', "invalid inject argument 'openat:delay_enter=x'"],
    ['inject=openat:error=4096', "invalid inject argument 'openat:error=4096'"],
    ['inject=foo:error=ENOENT', "invalid system call 'foo'"],
    // The set is read first: empty or bad, it is the message, whatever follows (strace's).
    ['inject=', "invalid system call ''"],
    ['inject=:when=3', "invalid system call ''"],
    ['inject=,::', "invalid system call ','"],
    ['fault=', "invalid system call ''"],
    ['fault=!,,:when=4', "invalid system call '!,,'"],
    ['inject=openat:error=ENOENT:when=3+0', "invalid inject argument 'openat:error=ENOENT:when=3+0'"],
    ['inject=openat:error=ENOENT:when=70000', "invalid inject argument 'openat:error=ENOENT:when=70000'"],
    ['inject=openat:foo=1', "invalid inject argument 'openat:foo=1'"],
    ['inject=openat:error=ENOENT:when=2..', "invalid inject argument 'openat:error=ENOENT:when=2..'"],
  ];
  for (const [arg, msg] of cases) {
    assert.throws(() => new StraceFilter().apply(arg), (e: unknown) => e instanceof FilterError && e.message === msg, arg);
  }
  for (const ok of ['inject=openat:error=4095', 'inject=openat:error=ENOENT:when=2+', 'inject=openat:delay_enter=1ms', 'inject=openat:delay_enter=1.5', 'fault=openat:error=ENOENT', 'trace=?foo,close']) {
    assert.doesNotThrow(() => new StraceFilter().apply(ok), ok);
  }
});

test('signal and status sets', () => {
  const f = new StraceFilter();
  assert.ok(f.signalSelected(17) && f.statusSelected('failed'));
  f.apply('signal=SIGCHLD,usr1,9');
  assert.ok(f.signalSelected(17) && f.signalSelected(10) && f.signalSelected(9) && !f.signalSelected(2));
  f.apply('signal=!all');
  assert.ok(!f.signalSelected(17));
  f.apply('status=failed,unfinished');
  assert.ok(f.statusSelected('failed') && f.statusSelected('unfinished') && !f.statusSelected('successful'));
  assert.ok(f.statusGiven);
});

test('inject rules and when= counting per thread', () => {
  const f = new StraceFilter().apply('inject=openat:error=ENOENT:when=2+');
  const r = f.injection(nr('openat'))!;
  assert.equal(r.error, 2);
  assert.deepEqual([r.first, r.last, r.step], [1 + 1, Infinity, 1]);
  const st = new InjectState(f);
  const seq = (tid: number, n: number): boolean[] => Array.from({ length: n }, () => st.check(tid, nr('openat')) !== undefined);
  assert.deepEqual(seq(1, 4), [false, true, true, true]);
  assert.deepEqual(seq(2, 2), [false, true], 'counters are per thread');

  const g = new StraceFilter().apply('inject=read:retval=42:when=2..4').apply('inject=%file:signal=SIGUSR1:when=3');
  const sg = new InjectState(g);
  assert.deepEqual(
    Array.from({ length: 6 }, () => sg.check(1, nr('read')) !== undefined),
    [false, true, true, true, false, false],
  );
  assert.deepEqual(
    Array.from({ length: 5 }, () => sg.check(1, nr('openat'))?.signal),
    [undefined, undefined, 10, undefined, undefined],
  );
  const h = new StraceFilter().apply('inject=write:error=EIO:when=1+3');
  const sh = new InjectState(h);
  assert.deepEqual(
    Array.from({ length: 8 }, () => sh.check(1, nr('write')) !== undefined),
    [true, false, false, true, false, false, true, false],
  );
  const k = new StraceFilter().apply('inject=openat:retval=-1');
  assert.equal(k.injection(nr('openat'))!.retval, 0xffffffffffffffffn);
  assert.deepEqual(k.warnings, ['Inadvertent injection of error 1 is possible for retval=18446744073709551615']);
  const d = new StraceFilter().apply('inject=nanosleep:delay_enter=2ms:delay_exit=10');
  assert.deepEqual([d.injection(nr('nanosleep'))!.delayEnter, d.injection(nr('nanosleep'))!.delayExit], [2000, 10]);
  assert.equal(new StraceFilter().apply('fault=openat').injection(nr('openat'))!.error, 38);
  // Injected syscalls are part of the prefilter set even when not traced.
  const p = new StraceFilter().apply('trace=close').apply('inject=openat:error=ENOENT');
  assert.deepEqual(p.selectedSyscalls(), [nr('close'), nr('openat')]);
});

test("the inject engine's specs are strace's inject=/fault= (one grammar)", () => {
  const specs = ['openat:error=ENOENT:when=2+', 'fault=read', 'inject=%memory:retval=0x10:when=3..5', 'getppid:signal=SIGUSR1:delay_exit=1ms'];
  const rules = parseInjectSpecs(specs);
  const f = new StraceFilter();
  for (const s of specs) f.apply(s.startsWith('fault=') || s.startsWith('inject=') ? s : `inject=${s}`);
  assert.ok(rules.syscalls().length > 10);
  assert.deepEqual(rules.syscalls(), f.selectedSyscalls().filter((n) => f.injection(n)));
  for (const n of rules.syscalls()) assert.deepEqual(rules.injection(n), f.injection(n), String(n));
  assert.equal(rules.injection(nr('read'))!.error, 38);
  assert.equal(rules.injection(nr('getppid'))!.delayExit, 1000);
  for (const [spec, msg] of [
    ['openat', "invalid inject argument 'openat'"],
    ['fault=openat:retval=1', "invalid fault argument 'openat:retval=1'"],
    ['nosuchcall:error=EIO', "invalid system call 'nosuchcall'"],
  ]) {
    assert.throws(() => parseInjectSpecs([spec]), (e: unknown) => e instanceof FilterError && e.message === msg, spec);
  }
});
