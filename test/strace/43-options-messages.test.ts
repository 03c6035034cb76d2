/**
 * strace's option checks as utrace strace words them (no tracee): --tips, -D/--daemonize,
 * -s limits, piping with -ff, -e '' and -e q=, names too long to be paths; and, on a real
 * program, an -o file that cannot be written (said once, the program's status kept).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseStraceCommandLine, tipsArgumentValid } from '../../src/cli/strace-options.js';
import { prepareStrace } from '../../src/cli/strace.js';
import { UsageError } from '../../src/cli/common.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');

/** The message prepareStrace refuses argv with, and whether it adds "Try -h". */
function refusal(argv: string[]): [string, boolean] | undefined {
  try {
    prepareStrace(argv);
    return undefined;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return [e.message, e.tryHelp];
  }
}

test('--tips: ids (up to INT_MAX), random, formats, with or without their prefix, in any case', () => {
  for (const ok of ['', '0', 'id:0', '1,id:42', 'random', 'id:random,23', 'format:none', 'compact', 'format:full,3,none,id:42,compact', 'ID:1', 'Full', ',', 'id:2147483647']) {
    assert.ok(tipsArgumentValid(ok), ok);
  }
  for (const bad of ['id', 'id:', '-1', '2147483648', 'id:rand', 'id:randomm', '2,3,radomm,4', 'format', 'format:', 'id:format', 'id:format:full', 'format:id:0', 'format:random', 'id:none']) {
    assert.ok(!tipsArgumentValid(bad), bad);
  }
  assert.deepEqual(refusal(['--tips=id:', 'true']), ["invalid --tips argument: 'id:'", true]);
});

test('strace\'s checks and their order: -D/--daemonize, -s, piping with -ff, secontext', () => {
  const rows: [string[], [string, boolean]][] = [
    [['-D', '--daemonize', '-p', '1'], ['-D and --daemonize cannot be provided simultaneously', false]],
    [['--daemonize', '-v', '-D', 'true'], ['-D and --daemonize cannot be provided simultaneously', false]],
    [['-DDDD', '-p', '1'], ['PROG [ARGS] must be specified with -D/--daemonize', true]],
    [['--daemonize=SESSION', '-p', '1'], ['PROG [ARGS] must be specified with -D/--daemonize', true]],
    [['-DDDD', 'true'], ["Too many -D's (4), maximum supported -D count is 3", true]],
    [['--daemonize=pgr', 'true'], ["invalid --daemonize argument: 'pgr'", true]],
    // Valid, but not done by utrace: refused as by a strace built without stack traces.
    [['-k', 'true'], ['Stack traces (-k/--stack-traces option) are not supported by this build of strace', false]],
    [['-s', '1073741824', 'true'], ["invalid -s argument: '1073741824'", true]],
    [['--string-limit=-42', 'true'], ["invalid --string-limit argument: '-42'", true]],
    [['-o', '|cat', '-ff', 'true'], ['piping the output and -ff/--output-separately are mutually exclusive', true]],
    [['--secontext', 'true'], ['SELinux context printing (--secontext option) is not supported by this build of strace', false]],
    [['-e', 'secontext=full', 'true'], ['SELinux context printing (--secontext option) is not supported by this build of strace', false]],
    [['-e', '', 'true'], ["invalid system call ''", false]],
    [['-fe', '', 'true'], ["invalid system call ''", false]],
    [[' '.repeat(4096)], ['exec: File name too long', false]],
    [['-ff', '-o', ' '.repeat(4084), 'true'], [`${' '.repeat(4084)}: File name too long`, false]],
  ];
  for (const [argv, want] of rows) assert.deepEqual(refusal(argv), want, argv.join(' ').slice(0, 60));
  assert.equal(parseStraceCommandLine(['-s', '1073741823', 'true']).strsize, 1073741823);
  assert.equal(refusal(['-ff', '-o', ' '.repeat(4083), 'true']), undefined);
  assert.equal(refusal(['/' + 'x'.repeat(4096)]), undefined, 'a path is not looked up: the exec says what is wrong');
});

test('-e q=SET is -e quiet=SET', () => {
  assert.deepEqual([...parseStraceCommandLine(['-e', 'q=attach,personality', 'true']).quiet].sort(), ['attach', 'personality']);
  assert.deepEqual([...parseStraceCommandLine(['-e', 'q=!exit', 'true']).quiet].sort(), ['attach', 'path-resolution', 'personality', 'thread-execve']);
});

test('-o on a full device: the error is said once and the program\'s exit status kept', () => {
  const r = spawnSync(utrace, ['strace', '-o', '/dev/full', '/bin/sh', '-c', 'exit 3'], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 3, r.stderr);
  assert.equal(r.stderr, 'utrace strace: /dev/full: No space left on device\n');
});
