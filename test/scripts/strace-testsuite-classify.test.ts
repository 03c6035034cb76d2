// The classifier of scripts/strace-testsuite.sh: which category a failing test of strace's
// suite lands in, from the shapes of log the suite's checks print (unified and plain diffs,
// match_grep's pattern lists, harness time limits, usage errors in the log or in the files a
// test redirects strace's stderr to). The logs here are made up in those shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Classified { category: string; detail: string; e: string | null; a: string | null }
interface ClassifierInput { log: string; dirText?: string; result?: string; twinPasses?: boolean; decoded?: Set<string> | null }
interface Classifier {
  classify(t: string, input: ClassifierInput): Classified;
  CATEGORIES: Record<string, string>;
}

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'scripts', 'strace-testsuite-classify.mjs'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
}
const mod = (await import(pathToFileURL(path.join(repoRoot(), 'scripts', 'strace-testsuite-classify.mjs')).href)) as Classifier;
const decoded = new Set(['read', 'write', 'openat', 'execve', 'ioctl', 'sendto', 'nanosleep', 'prctl']);
const W = '/var/tmp/suite/utrace-strace';

function unified(expected: string[], actual: string[], context = ['read(0, "", 0) = 0']): string {
  return ['--- exp\t2026-01-01', '+++ out\t2026-01-01', '@@ -1,3 +1,3 @@', ...context.map((l) => ` ${l}`),
    ...expected.map((l) => `-${l}`), ...actual.map((l) => `+${l}`), ' +++ exited with 0 +++',
    `x.gen.test: failed test: ${W} -a20 ../x output mismatch`, 'FAIL x.gen.test (exit status: 1)', ''].join('\n');
}
const usage = (msg: string) => `utrace strace: ${msg}\nTry 'utrace strace -h' for more information.\n` +
  `t.test: failed test: ${W} -o log ../t failed with code 1\nFAIL t.test (exit status: 1)\n`;

const cases: Array<[string, string, ClassifierInput, string, string]> = [
  // [what, test, input, category, detail]
  ['unknown long option', 'dup-y.gen.test', { log: usage("Unknown option '--decode-fds=path'") }, 'option-long', '--decode-fds'],
  ['unknown short option', 'read-write.gen.test', { log: usage("Unknown option '-P'") }, 'option', '-P'],
  ['unsupported -e qualifier', 'x.gen.test', { log: usage('-e read= is not supported') }, 'option', '-e read='],
  ['unknown -e trace= class', 'x.gen.test', { log: usage("invalid system call '%clock'") }, 'option', '-e trace=%clock'],
  ['inject key utrace lacks', 'poke.test', { log: usage("invalid inject argument 'chdir:poke_enter=@arg1=41:when=2'") }, 'option', '-e inject=…:poke_enter'],
  ['usage error only in the dir files', 'nsyscalls-d.test', { log: 'FAIL nsyscalls-d.test (exit status: 1)\n', dirText: usage("Unknown option '-d'") }, 'option', '-d'],
  ['hang', 'x.test', { log: 'x.test: failed test: time limit (300) exceeded\nFAIL x.test (exit status: 124)\n' }, 'timeout', ''],
  ['difference printed before the time limit', 'x.test',
    { log: unified(['nanosleep({tv_sec=1, tv_nsec=0},  <unfinished ...>) = ?'], ['nanosleep({tv_sec=1, tv_nsec=0}, ...) = ?']) + 'x.test: failed test: time limit (300) exceeded\n', decoded },
    'threads', 'nanosleep'],
  ['exception', 'x.test', { log: 'TypeError: x is undefined\n    at f (file:///r/dist/src/a.js:1:2)\nFAIL x.test (exit status: 1)\n' }, 'crash', 'TypeError: x is undefined'],
  ['netlink message', 'netlink_route.gen.test',
    { log: unified(['sendto(3, {nlmsg_len=16, nlmsg_type=RTM_GETLINK}, 16, 0, NULL, 0) = 16'], ['sendto(3, "\\20\\0", 16, 0, NULL, 0) = 16']), decoded },
    'netlink', 'route'],
  ['nlattr test', 'nlattr_inet_diag_msg.gen.test', { log: unified(['sendto(3, [{nlmsg_len=1}], 1, 0, NULL, 0) = 1'], ['sendto(3, "", 1, 0, NULL, 0) = 1']), decoded }, 'netlink', 'sock_diag'],
  ['ioctl', 'ioctl_evdev-v-Xraw.gen.test', { log: unified(['ioctl(-1, EVIOCGID, NULL) = -1 EBADF (Bad file descriptor)'], ['ioctl(-1, 0x80084502, NULL) = -1 EBADF (Bad file descriptor)']), decoded }, 'ioctl', 'evdev'],
  ['no decoder', 'pidfd_open.gen.test', { log: unified(['pidfd_open(0, 0) = -1 EINVAL (Invalid argument)'], ['pidfd_open(0, 0, 0x1, 0x2, 0x3, 0x4) = -1 EINVAL (Invalid argument)']), decoded }, 'raw', 'pidfd_open'],
  ['decoder differs', 'prctl-name.gen.test', { log: unified(['prctl(PR_SET_NAME, "x") = 0'], ['prctl(PR_SET_NAME, 0x1234) = 0']), decoded }, 'decoder', 'prctl'],
  ['return value differs', 'dup.gen.test', { log: unified(['read(9, "", 1) = -1'], ['read(9, "", 1) = -1 EBADF (Bad file descriptor)']), decoded }, 'retval', 'read'],
  ['alignment only', 'x.gen.test', { log: unified(['write(1, "", 0)      = 0'], ['write(1, "", 0) = 0']), decoded }, 'format', 'write'],
  ['line missing', 'x.gen.test', { log: unified(['openat(AT_FDCWD, "a", O_RDONLY) = 3'], []), decoded }, 'lines', 'openat'],
  ['-X twin passes', 'setrlimit-Xraw.gen.test', { log: unified(['read(0, 0x1, 2) = -1 EFAULT (Bad address)'], ['read(0, 0x1, 2) = -1 (errno 14)']), twinPasses: true, decoded }, 'xlat', '-Xraw'],
  ['-X twin fails: classified by the line', 'setrlimit-Xraw.gen.test', { log: unified(['read(0, 0x1, 2) = -1 EFAULT (Bad address)'], ['read(0, 0x1, 2) = -1 (errno 14)']), twinPasses: false, decoded }, 'retval', 'read'],
  ['signal line', 'x.test', { log: unified(['--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_KERNEL} ---'], ['--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL} ---']), decoded }, 'signal', '--- SIGUSR1'],
  ['execve in a thread', 'x.test', { log: unified(['10 +++ superseded by execve in pid 11 +++'], ['10 +++ exited with 0 +++']), decoded }, 'threads', '+++ superseded by execve in pid 11 +++'],
  ['plain diff: expected file first', 'threads-execve.test',
    { log: '1c1\n< 5 nanosleep({tv_sec=1, tv_nsec=0}, 0x7ff) = 0\n---\n> 5 nanosleep(0x1, 0x7ff) = 0\nFAIL\n', decoded }, 'decoder', 'nanosleep'],
  ['match_grep pattern, same call in the actual output', 'strace-r.test',
    { log: 'Failed patterns of expected output:\n#1: [ ]{5}0\\.0{6} execve\\("\\.\\./sleep", \\["\\.\\./sleep"\\]\\) = 0\nActual output:\n     0.000000 execve("/t/sleep", ["../sleep"]) = 0\n', decoded },
    'decoder', 'execve'],
  ['diagnostic text compared', 'options-syntax.test', { log: unified([`${W}: Invalid process id: '0'`], ["utrace strace: Invalid process id: '0'", "Try 'utrace strace -h' for more information."], []) }, 'message', "STRACE: Invalid process id: '0'"],
  ['diagnostic compared, but utrace rejected the option', 'filtering_fd-syntax.test', { log: unified([`${W}: invalid descriptor ''`], ['utrace strace: -e read= is not supported'], []) }, 'option', '-e read='],
  ['skipped by the test', 'count.test', { log: 'count.test: framework skip: sleep does not use nanosleep\nSKIP count.test (exit status: 77)\n', result: 'SKIP' }, 'skip', 'sleep does not use nanosleep'],
  ['utrace exited non-zero', 'fflush.test', { log: `utrace: ENOSPC: no space left on device, write\nfflush.test: failed test: ${W} -o /dev/full ../fflush failed with code 1\n` }, 'exit', 'utrace exited 1'],
  ['the test\'s own message', 'redirect.test', { log: `redirect.test: failed test: ${W} failed to redirect standard descriptors: input\n` }, 'other', 'STRACE failed to redirect standard descriptors: input'],
  ['no result', 'x.test', { log: 'strace-testsuite: no result from the harness, see /w/runs/utrace.make.out\n' }, 'harness', ''],
];

for (const [what, t, input, category, detail] of cases) {
  test(`classify: ${what} -> ${category}`, () => {
    const got = mod.classify(t, input);
    assert.deepEqual([got.category, got.detail], [category, detail]);
    assert.ok(category in mod.CATEGORIES, `${category} is a declared category`);
  });
}

test('classify: without the decoder set the raw rule is off (same syscall, arguments differ -> decoder)', () => {
  const got = mod.classify('pidfd_open.gen.test', { log: unified(['pidfd_open(0, 0) = -1 EINVAL (Invalid argument)'], ['pidfd_open(0, 0x1) = -1 EINVAL (Invalid argument)']) });
  assert.equal(got.category, 'decoder');
  assert.equal(got.e, 'pidfd_open(0, 0) = -1 EINVAL (Invalid argument)');
  assert.equal(got.a, 'pidfd_open(0, 0x1) = -1 EINVAL (Invalid argument)');
});
