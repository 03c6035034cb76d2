/**
 * What a program `utrace strace` launches inherits from the command's own start, as under
 * strace, although Node changes it in itself at start-up (bin/utrace.js hands it on): the
 * signal mask and ignored signals (a blocked pending signal does not kill the tracer), standard
 * descriptors the shell closed, and a stdin/stdout pipe the tracer does not hold open.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseInherited, parseSignalState } from '../../src/cli/inherited.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const sigstate = path.join(root, 'test/fixtures/bin/sigstate_exec');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-launch-state-'));

function sh(cmd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('/bin/sh', ['-c', cmd], { encoding: 'utf8', timeout: 60000, cwd: dir });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('UTRACE_SIGNALS and UTRACE_INHERITED_FDS parse; anything malformed counts as absent', () => {
  assert.deepEqual(parseSignalState('0000000000000a00 8000000000001002'), { blocked: 0xa00n, ignored: 0x8000000000001002n });
  assert.equal(parseSignalState(undefined), undefined);
  assert.equal(parseSignalState('zz 00'), undefined);
  assert.equal(parseSignalState('0000000000000a00'), undefined);
  assert.deepEqual(parseInherited('1 2 9 ', undefined), { fds: [9], closedStd: [0], signals: undefined });
  // Not started by bin/utrace.js: nothing closed.
  assert.deepEqual(parseInherited(undefined, undefined).closedStd, []);
});

for (const opt of ['', '-I1', '--interruptible=always', '-I2', '-I4']) {
  test(`blocked and ignored signals reach the program unchanged${opt ? ` (${opt})` : ''}; a blocked pending one does not kill us`, () => {
    // 10 is pending and blocked when Node starts (Node unblocks what it was given).
    const state = `'${sigstate}' 10,12,34 13,2,15 10`;
    const want = sh(`${state} '${sigstate}' - - - -`);
    assert.match(want.stdout, /^SigBlk:\t0000000200000a00\nSigIgn:\t0000000000005002\n$/);
    const got = sh(`${state} '${utrace}' strace ${opt} -qq -e trace=none -- '${sigstate}' - - - -`);
    assert.equal(got.status, 0, got.stderr);
    assert.equal(got.stdout, want.stdout);
  });
}

test('a program started with default signals gets them (not Node\'s ignored SIGPIPE)', () => {
  const got = sh(`'${utrace}' strace -qq -e trace=none -- '${sigstate}' - - - -`);
  assert.equal(got.status, 0, got.stderr);
  assert.equal(got.stdout, 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
});

for (const close of ['<&-', '>&-', '2>&-', '<&- >&- 2>&-']) {
  test(`standard descriptors the shell closed (${close}) are closed in the program`, () => {
    const out = path.join(dir, 'fds');
    const prog = `/bin/sh -c 'exec 3>${out}; for n in 0 1 2; do [ -e /proc/$$/fd/$n ] && echo $n >&3; done; true'`;
    assert.equal(sh(`${prog} ${close}`).status, 0);
    const want = fs.readFileSync(out, 'utf8');
    const got = sh(`'${utrace}' strace -qq -e trace=none -- ${prog} ${close}`);
    assert.equal(got.status, 0, got.stderr);
    assert.equal(fs.readFileSync(out, 'utf8'), want);
    assert.notEqual(want, '0\n1\n2\n');
  });
}

// The program waits (up to 20 s) for the far end of the pipe to notice it closed its end:
// which it can only if the tracer does not hold the pipe as well.
const waitMarker = (marker: string): string => `i=0; while [ ! -f ${marker} ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; [ -f ${marker} ]`;

test('the tracer does not hold its stdin pipe: a writer sees EPIPE once the program closes it', () => {
  const marker = path.join(dir, 'writer-done');
  fs.rmSync(marker, { force: true });
  const r = sh(`(yes; touch ${marker}) | '${utrace}' strace -qq -e trace=none -- /bin/sh -c 'exec <&-; ${waitMarker(marker)}'`);
  assert.equal(r.status, 0, `the writer was still blocked when the program ended: ${r.stderr}`);
});

test('the tracer does not hold its stdout pipe: a reader sees end of file once the program closes it', () => {
  const marker = path.join(dir, 'reader-done');
  fs.rmSync(marker, { force: true });
  const r = sh(`'${utrace}' strace -qq -e trace=none -- /bin/sh -c 'exec >&-; ${waitMarker(marker)}' | (cat >/dev/null; touch ${marker})`);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.existsSync(marker));
});
