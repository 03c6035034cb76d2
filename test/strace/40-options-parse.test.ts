/**
 * strace's command line as `utrace strace` parses it (no tracee): getopt_long's rules, the long
 * options and their short equivalents, and strace's wording of errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStraceCommandLine, parseAbsolute, normalizeArgv } from '../../src/cli/strace-options.js';
import { UsageError } from '../../src/cli/common.js';
import { absoluteText, durationText, leaderStamp } from '../../src/engines/strace/timefmt.js';
import { escapeBytes } from '../../src/engines/strace/quote.js';

const parse = (...a: string[]): ReturnType<typeof parseStraceCommandLine> => parseStraceCommandLine([...a, 'true']);

test('getopt_long: values attached or in the next word, prefixes, optional arguments, end of options', () => {
  const rows: [string[], { opts: string[]; command: string[] }][] = [
    [['-a19', '-e', 'trace=open', 'ls', '-l'], { opts: ['-a19', '-etrace=open'], command: ['ls', '-l'] }],
    [['-fo', 'out', '--', '-x'], { opts: ['-foout'], command: ['-x'] }],
    [['--trace', 'dup', '--trace-p=/x', 'p'], { opts: ['--trace=dup', '--trace-path=/x'], command: ['p'] }],
    [['--absolute-timestamps', '-r', 'p'], { opts: ['--absolute-timestamps=', '-r'], command: ['p'] }],
    [['--summary-o', 'p'], { opts: ['--summary-only'], command: ['p'] }],
  ];
  for (const [argv, want] of rows) assert.deepEqual(normalizeArgv(argv), want, argv.join(' '));
});

test('long options do what their short forms do', () => {
  const same: [string[], string[]][] = [
    [['--follow-forks'], ['-f']],
    [['--summary-only'], ['-c']],
    [['--no-abbrev'], ['-v']],
    [['--decode-fds'], ['-y']],
    [['--decode-fds=all'], ['-yy']],
    [['--quiet'], ['-q']],
    [['--strings-in-hex=non-ascii'], ['-x']],
    [['--strings-in-hex'], ['-xx']],
    [['--const-print-style=raw'], ['-Xraw']],
    [['--columns=12', '--string-limit=5'], ['-a12', '-s5']],
    [['--timestamps=unix,us'], ['-ttt']],
    [['--absolute-timestamps=us'], ['-tt']],
  ];
  const view = (c: ReturnType<typeof parse>): unknown => ({
    follow: c.follow, summary: c.summary, verbose: c.verbose, fds: [...c.decodeFds].sort(), quiet: [...c.quiet].sort(),
    hex: c.hexStrings, xlat: c.xlat, column: c.column, strsize: c.strsize, abs: c.absolute,
  });
  for (const [long, short] of same) assert.deepEqual(view(parse(...long)), view(parse(...short)), `${long.join(' ')} vs ${short.join(' ')}`);
});

test('qualifier long options (--trace=, --signal=, --status=) and -z/-Z are -e qualifiers', () => {
  const c = parse('--trace=dup', '--signal=!chld', '-z');
  assert.ok(c.filter.syscallSelected(32), 'dup traced');
  assert.ok(!c.filter.syscallSelected(0), 'read not traced');
  assert.ok(!c.filter.signalSelected(17) && c.filter.signalSelected(10));
  assert.ok(c.filter.statusSelected('successful') && !c.filter.statusSelected('failed'));
  assert.ok(parse('-Z').filter.statusSelected('failed'));
  assert.deepEqual([...parse('--quiet=exit,thread-execve').quiet].sort(), ['exit', 'thread-execve']);
  assert.deepEqual([...parse('-qqq').quiet].sort(), ['attach', 'exit', 'path-resolution', 'personality', 'thread-execve']);
  assert.deepEqual([...parse('-e', 'quiet=!attach').quiet].sort(), ['exit', 'path-resolution', 'personality', 'thread-execve']);
  // -o FILE with a command implies -q (attach, personality), unless -q or a quiet set is given;
  // not with -p alone, nor without -o.
  assert.deepEqual([...parse('-o', 'f').quiet].sort(), ['attach', 'personality']);
  assert.deepEqual([...parse('-o', 'f', '-qq').quiet].sort(), ['attach', 'exit', 'personality']);
  assert.deepEqual([...parse('-o', 'f', '--quiet=exit').quiet], ['exit']);
  assert.deepEqual([...parseStraceCommandLine(['-o', 'f', '-p', '1']).quiet], []);
  assert.deepEqual([...parse().quiet], []);
  assert.deepEqual(parse('-P', '/a', '--trace-path=/b').tracePaths, ['/a', '/b']);
  assert.deepEqual(parse('-E', 'A=1', '--env=B').env, ['A=1', 'B']);
});

test('errors are worded as strace words them; the getopt ones get "Try -h"', () => {
  const rows: [string[], string, boolean][] = [
    [['--bogus'], "unrecognized option '--bogus'", true],
    [['-Q'], "invalid option -- 'Q'", true],
    [['--de'], "option '--de' is ambiguous; possibilities: '--debug' '--decode-fds' '--decode-pids' '--detach-on'", true],
    [['--debug=1'], "option '--debug' doesn't allow an argument", true],
    [['-s', 'x'], "invalid -s argument: 'x'", true],
    [['-I', '7'], "invalid -I argument: '7'", true],
    [['--interruptible=0x1'], "invalid --interruptible argument: '0x1'", true],
    [['--const-print-style=test'], "invalid --const-print-style argument: 'test'", true],
    [['-U', 'time,time_percent,time_total'], "call summary column has been provided more than once: 'time_percent' (-U option residual: 'time_percent,time_total')", true],
    [['--interr=0x1'], "invalid --interruptible argument: '0x1'", true],
    [['--timestamps=unix,xs'], "invalid --timestamps argument: 'unix,xs'", true],
    [['-c', '-C'], '-c/--summary-only and -C/--summary are mutually exclusive', true],
    [['-w'], '-w/--summary-wall-clock must be given with (-c/--summary-only or -C/--summary)', true],
    [['--quiet=foo'], "invalid quiet 'foo'", false],
    [['-q', '-e', 'quiet=exit'], '-q and -e quiet/--quiet cannot be provided simultaneously', false],
    [['-q', '--quiet', '-p', '1'], '-q and -e quiet/--quiet cannot be provided simultaneously', false],
    [['--strings-in-hex', '-p', '1', '-xx'], '-x and --strings-in-hex cannot be provided simultaneously', false],
    // Not added up into -ff (strace refuses both spellings together; with -p $$ a shell waited forever).
    [['-f', '--follow-forks', '-p', '1'], '-f and --follow-forks cannot be provided simultaneously', false],
    [['--output-separately', '-ff', '-p', '1'], '-ff and --output-separately cannot be provided simultaneously', false],
    [['-e', 'decode-fds=foo'], "invalid decode-fds 'foo'", false],
    [['-p', '0'], "Invalid process id: '0'", false],
    [['-e', 'trace=nosuch'], "invalid system call 'nosuch'", false],
  ];
  for (const [argv, msg, tryHelp] of rows) {
    assert.throws(() => parse(...argv), (e: unknown) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.equal(e.message, msg, argv.join(' '));
      assert.equal(e.tryHelp, tryHelp, argv.join(' '));
      return true;
    });
  }
  assert.throws(() => parseStraceCommandLine(['-f']), /must have PROG \[ARGS\] or -p PID/);
  assert.throws(() => parseStraceCommandLine(['-e']), /option requires an argument -- 'e'/);
});

test('timestamps: formats and precisions of --absolute-timestamps, -r, -T', () => {
  assert.deepEqual(parseAbsolute('unix,ns'), { format: 'unix', precision: 'ns' });
  assert.deepEqual(parseAbsolute('precision:ms,format:time'), { format: 'time', precision: 'ms' });
  assert.equal(parseAbsolute('bogus'), undefined);
  assert.deepEqual(parse('--absolute-timestamps=precision:us', '--timestamps=format:unix').absolute, { format: 'unix', precision: 'us' });
  const ns = 1_700_000_000_123_456_789n;
  assert.equal(absoluteText(ns, { format: 'unix', precision: 's' }), '1700000000');
  assert.equal(absoluteText(ns, { format: 'unix', precision: 'ms' }), '1700000000.123');
  assert.equal(absoluteText(ns, { format: 'unix', precision: 'ns' }), '1700000000.123456789');
  assert.match(absoluteText(ns, { format: 'time', precision: 'us' }), /^\d\d:\d\d:\d\d\.123456$/);
  assert.equal(durationText(12_345_678n, 'us'), '0.012345');
  assert.equal(durationText(12_345_678n, 's'), '0');
  assert.equal(leaderStamp(ns + 1_500_000n, ns, undefined, 'us'), '     0.001500 ');
  assert.equal(leaderStamp(ns, undefined, undefined, 'ms'), '     0.000 ');
  assert.match(leaderStamp(ns + 1_000n, ns, { format: 'time', precision: 's' }, 'us'), /^\d\d:\d\d:\d\d \(\+     0\.000001\) $/);
});

test('--strings-in-hex=non-ascii-chars: hex instead of octal escapes, C escapes kept', () => {
  assert.equal(escapeBytes(Buffer.from('\x01a\nb\xff\t"', 'latin1'), 'non-ascii-chars'), '\\x01a\\nb\\xff\\t\\"');
  assert.equal(escapeBytes(Buffer.from('\x01a', 'latin1'), 'none'), '\\1a');
});
