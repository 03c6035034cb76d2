/**
 * strace 6.1's options-syntax checks that utrace strace once failed, on real runs: -y with
 * --decode-fds (it attached to its -p instead), personality designators in syscall sets,
 * --seccomp-bpf's and -F's notes and their order, -c's "has no effect" warnings, -u USER (the
 * command really runs as USER), -d's ptrace_setoptions line and a failed -p attach. Each
 * message is compared with real strace's where it is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const haveStrace = spawnSync('strace', ['-V']).status === 0;
const isRoot = process.getuid?.() === 0;

/** stderr and status of `utrace strace ARGS` (named "strace" in its messages), stdin closed. */
function ours(args: string[], opts: SpawnSyncOptions = {}): { err: string; status: number | null; out: string } {
  const r = spawnSync(utrace, ['strace', ...args], {
    encoding: 'utf8', timeout: 30000, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, UTRACE_STRACE_ARGV0: 'strace' }, ...opts,
  });
  return { err: String(r.stderr), status: r.status, out: String(r.stdout) };
}

function theirs(args: string[]): { err: string; status: number | null } {
  const r = spawnSync('strace', args, { encoding: 'utf8', timeout: 30000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { err: String(r.stderr), status: r.status };
}

/** `utrace strace ARGS` fails with exactly `want` on stderr (and so does strace, if here). */
function refuses(args: string[], want: string): void {
  const r = ours(args);
  assert.equal(r.err, want, args.join(' '));
  assert.equal(r.status, 1, args.join(' '));
  if (haveStrace) assert.deepEqual(theirs(args), { err: want, status: 1 }, `strace ${args.join(' ')}`);
}

const TRY = "Try 'strace -h' for more information.\n";
const W = '-w/--summary-wall-clock must be given with (-c/--summary-only or -C/--summary)\n';

test('-y with --decode-fds (in any spelling) is refused before anything is attached', () => {
  const conflict = 'strace: -y and --decode-fds cannot be provided simultaneously\n';
  // Our own pid: attaching to it would never end (the old behaviour hung the test).
  for (const args of [['-y', '--decode-fds'], ['-e', 'decode-fd=all', '-yy'], ['--decode-fds=none', '-y']]) {
    refuses([...args, '-p', String(process.pid)], conflict);
  }
  // Alone, each is fine: --decode-fds is -y's set (paths).
  const r = ours(['-qq', '--decode-fds', '-e', 'trace=openat', 'cat', '/dev/null']);
  assert.match(r.err, /openat\(AT_FDCWD<[^>]+>, "\/dev\/null", O_RDONLY\) = 3<\/dev\/null>/);
});

test('personality designators: @64 selects, @32 and @x32 are valid and select nothing here, others refused', () => {
  const traced = (set: string): string => ours(['-qq', '-e', `trace=${set}`, 'pwd'], { cwd: '/' }).err;
  assert.match(traced('getcwd@64'), /^getcwd\("\/", \d+\)\s+= 2\n/);
  assert.match(traced('/^getcwd$@64'), /^getcwd\(/);
  assert.equal(traced('getcwd@32'), '');
  assert.equal(traced('getcwd@x32'), '');
  assert.match(traced('all,getcwd@32'), /^execve\(/);
  for (const [set, pers, qual] of [['getcwd@', '', 'getcwd@'], ['@', '', '@'], ['getcwd@0', '0', 'getcwd@0'], ['getcwd@42', '42', 'getcwd@42'],
    ['gettid,getcwd@96', '96', 'getcwd@96'], ['23@42,123', '42', '23@42'], ['/getcwd@ohmy', 'ohmy', '/getcwd@ohmy'], ['?getcwd@X32', 'X32', 'getcwd@X32']]) {
    refuses(['-e', `trace=${set}`], `strace: incorrect personality designator '${pers}' in qualification '${qual}'\n${TRY}`);
  }
  // The name before the last '@' must still be a call.
  refuses(['-e', 'trace=getcwd@32@x32', 'true'], "strace: invalid system call 'getcwd@32@x32'\n");
  refuses(['-e', 'trace=nosuchcall@64', 'true'], "strace: invalid system call 'nosuchcall@64'\n");
});

test('--seccomp-bpf and -F: their notes, in strace\'s order before a later error', () => {
  refuses(['--seccomp-bpf', '-w', '/'], `strace: --seccomp-bpf cannot be used without -f/--follow-forks, disabling\nstrace: ${W}${TRY}`);
  refuses(['--seccomp-bpf', '-f', '-p', '1', '-w'], `strace: --seccomp-bpf is not enabled for processes attached with -p\nstrace: ${W}${TRY}`);
  refuses(['--seccomp-bpf', '-p', '1', '-w'],
    `strace: --seccomp-bpf is not enabled for processes attached with -p\nstrace: --seccomp-bpf cannot be used without -f/--follow-forks, disabling\nstrace: ${W}${TRY}`);
  refuses(['--seccomp-bpf', '-b', 'execve', '-F', '-w', '/'],
    `strace: --seccomp-bpf is not enabled because it is not compatible with -b\nstrace: option -F is deprecated, please use -f/--follow-forks instead\nstrace: ${W}${TRY}`);
  refuses(['-FF', '-w', '/'], `strace: option -F is deprecated, please use -f/--follow-forks instead\nstrace: ${W}${TRY}`);
  refuses(['-fF', '-w', '/'], `strace: deprecated option -F ignored\nstrace: ${W}${TRY}`);
  // Checks after the loop come after must-have-PROG (no note, no -w error without a command).
  refuses(['-F', '-w'], `strace: must have PROG [ARGS] or -p PID\n${TRY}`);
});

test('-FF is -f (one output file), -f beats --output-separately, --follow-forks --output-separately is -ff', () => {
  const dir = fs.mkdtempSync('/tmp/utrace-49-');
  try {
    const files = (args: string[]): string[] => {
      const sub = fs.mkdtempSync(path.join(dir, 'o'));
      ours(['-qq', ...args, '-e', 'trace=none', '-o', path.join(sub, 'log'), 'sh', '-c', '/bin/true; /bin/true']);
      return fs.readdirSync(sub).map((f) => f.replace(/\d+$/, 'N')).sort();
    };
    assert.deepEqual(files(['-FF']), ['log']);
    assert.deepEqual(files(['-f', '--output-separately']), ['log']);
    const ff = files(['--follow-forks', '--output-separately']);
    assert.ok(ff.length >= 2 && ff.every((f) => f === 'log.N'), ff.join(' '));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('-u: the user is looked up after the warnings; the command runs with its ids', { skip: !isRoot && 'needs root' }, () => {
  const user = 'strace: Cannot find user \':nosuchuser:\'\n';
  refuses(['-u', ':nosuchuser:', 'true'], user);
  refuses(['-u', ':nosuchuser:', '-cinrtTyzZ', 'true'], [
    '-i/--instruction-pointer has no effect with -c/--summary-only', '-n/--syscall-number has no effect with -c/--summary-only',
    '-r/--relative-timestamps has no effect with -c/--summary-only', '-t/--absolute-timestamps has no effect with -c/--summary-only',
    '-T/--syscall-times has no effect with -c/--summary-only', '-y/--decode-fds has no effect with -c/--summary-only',
    'Only the last of -z/--successful-only/-Z/--failed-only options will take effect. See status qualifier for more complex filters.',
  ].map((l) => `strace: ${l}\n`).join('') + user);
  refuses(['--user=:nosuchuser:', '--output-separately', '--output-append-mode', 'true'],
    'strace: --output-separately has no effect without -o/--output\nstrace: -A/--output-append-mode has no effect without -o/--output\n' + user);
  const nobody = /^nobody:[^:]*:(\d+):(\d+):/m.exec(fs.readFileSync('/etc/passwd', 'utf8'));
  if (nobody) {
    const r = ours(['-qq', '-u', 'nobody', '-e', 'trace=none', 'sh', '-c', 'grep -E "^(Uid|Gid|Groups):" /proc/self/status']);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, new RegExp(`^Uid:\\t${nobody[1]}\\t${nobody[1]}\\t${nobody[1]}\\t${nobody[1]}\\n`, 'm'));
    assert.match(r.out, new RegExp(`^Gid:\\t${nobody[2]}\\t`, 'm'));
    // Followed, under the seccomp prefilter: the children run as the user too.
    const f = ours(['-qq', '-f', '-u', 'nobody', '-e', 'trace=getuid', 'sh', '-c', 'id -u; id -u']);
    assert.equal(f.status, 0, f.err);
    assert.equal(f.out, `${nobody[1]}\n${nobody[1]}\n`);
    assert.match(f.err, new RegExp(`getuid\\(\\)\\s+= ${nobody[1]}`));
  }
  // Not root: refused (after the warnings) before the user is looked up.
  if (nobody && spawnSync('setpriv', ['--version']).status === 0) {
    const r = spawnSync('setpriv', ['--reuid', nobody[1]!, '--regid', nobody[2]!, '--clear-groups', process.execPath, utrace, 'strace', '-u', ':nosuchuser:', '-c', '-i', 'true'],
      { encoding: 'utf8', env: { ...process.env, UTRACE_STRACE_ARGV0: 'strace' }, timeout: 30000 });
    assert.equal(r.stderr, 'strace: -i/--instruction-pointer has no effect with -c/--summary-only\nstrace: You must be root to use the -u/--username option\n');
    assert.equal(r.status, 1);
  }
});

test('-d says the ptrace options set; a failed -p attach is worded as strace\'s', () => {
  for (const d of ['-d', '--debug']) {
    const r = ours([d, '/']);
    assert.match(r.err, /^strace: ptrace_setoptions = 0x[0-9a-f]+$/m, d);
    assert.equal(r.status, 1);
  }
  refuses(['-p', '2147483647'], 'strace: attach: ptrace(PTRACE_SEIZE, 2147483647): No such process\n');
});
