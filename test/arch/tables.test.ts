// Checks the generated syscall/errno/signal tables and that the committed
// generated files are exactly what scripts/gen-tables.mjs produces.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { SYSCALLS, SYSCALL_CLASS_NAMES, SYSCALL_NR, SyscallClass } from '../../src/arch/x86_64/syscalls.gen.js';
import { ERRNO, ERRNO_NAMES, errnoMessage, errnoName, errnoNumber } from '../../src/core/errno.js';
import { SIGNAL, signalName, signalNumber } from '../../src/core/signals.js';

// The test runs from dist/test/arch (compiled) or test/arch; find the repo root
// by its generator script instead of assuming a depth.
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'scripts', 'gen-tables.mjs')) && fs.existsSync(path.join(dir, 'package.json'))) {
      return dir;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
}

test('syscall numbers, nargs and classes', () => {
  assert.equal(SYSCALL_NR.getppid, 110);
  assert.equal(SYSCALL_NR.openat, 257);
  assert.equal(SYSCALLS[0]?.name, 'read');
  assert.equal(SYSCALLS[335], undefined);

  const openat = SYSCALLS[SYSCALL_NR.openat];
  assert.ok(openat);
  assert.equal(openat.nr, 257);
  assert.equal(openat.nargs, 4);
  assert.ok(openat.classes & SYSCALL_CLASS_NAMES['%file']);
  assert.ok(openat.classes & SYSCALL_CLASS_NAMES['%desc']);
  assert.ok(!(openat.classes & SyscallClass.NETWORK));

  assert.equal(SYSCALLS[SYSCALL_NR.mmap]?.nargs, 6);
  assert.equal(SYSCALLS[SYSCALL_NR.getppid]?.nargs, 0);
  assert.equal(SYSCALLS[SYSCALL_NR.getppid]?.classes, SyscallClass.PURE);
  assert.equal(SYSCALL_CLASS_NAMES['%net'], SyscallClass.NETWORK);
  assert.ok((SYSCALLS[SYSCALL_NR.newfstatat]?.classes ?? 0) & SYSCALL_CLASS_NAMES['%%stat']);
  assert.ok((SYSCALLS[SYSCALL_NR.ustat]?.classes ?? 0) & SYSCALL_CLASS_NAMES['%%statfs']);

  // Every entry sits at its own number and names round-trip.
  for (const [nr, e] of SYSCALLS.entries()) {
    if (e === undefined) continue;
    assert.equal(e.nr, nr);
    assert.equal(SYSCALL_NR[e.name], nr);
  }
  // Null-prototype records: user input must not hit Object.prototype.
  assert.equal(SYSCALL_NR['constructor'], undefined);
  assert.equal(SYSCALL_CLASS_NAMES['toString'], undefined);
});

test('errno names and messages', () => {
  assert.equal(ERRNO.ENOENT, 2);
  assert.equal(ERRNO.EWOULDBLOCK, 11);
  assert.equal(ERRNO.ENOTSUP, 95);
  assert.equal(ERRNO_NAMES[11], 'EAGAIN');
  assert.equal(errnoName(35), 'EDEADLK');
  assert.equal(errnoName(95), 'EOPNOTSUPP');
  assert.equal(errnoName(2), 'ENOENT');
  assert.equal(errnoMessage(2), 'No such file or directory');
  assert.equal(errnoName(99999), 'UNKNOWN_ERRNO_99999');
  assert.equal(errnoMessage(99999), 'Unknown error 99999');
  assert.equal(errnoName(512), 'ERESTARTSYS');
  assert.equal(errnoMessage(512), 'To be restarted if SA_RESTART is set');
  assert.equal(errnoMessage(516), 'Interrupted by signal');
  assert.equal(errnoName(524), 'ENOTSUPP');
  assert.equal(errnoNumber('EDEADLOCK'), 35);
  assert.equal(errnoNumber('enoent'), 2);
  assert.equal(errnoNumber('ENOSUCH'), undefined);
  assert.equal(errnoNumber('constructor'), undefined);
});

test('signal names and parsing', () => {
  assert.equal(SIGNAL.SIGKILL, 9);
  assert.equal(signalName(10), 'SIGUSR1');
  assert.equal(signalName(29), 'SIGIO');
  assert.equal(signalName(32), 'SIGRTMIN');
  assert.equal(signalName(33), 'SIGRT_1');
  assert.equal(signalName(64), 'SIGRT_32');
  assert.equal(signalName(65), '65');
  assert.equal(signalNumber('usr1'), 10);
  assert.equal(signalNumber('SIGUSR1'), 10);
  assert.equal(signalNumber('USR1'), 10);
  assert.equal(signalNumber('10'), 10);
  assert.equal(signalNumber('SigTerm'), 15);
  assert.equal(signalNumber('SIGPOLL'), 29);
  assert.equal(signalNumber('RTMIN+2'), 34);
  assert.equal(signalNumber('SIGRTMAX-1'), 63);
  assert.equal(signalNumber('SIGRT_1'), 33);
  assert.equal(signalNumber('0'), undefined);
  assert.equal(signalNumber('65'), undefined);
  assert.equal(signalNumber('NOPE'), undefined);
  assert.equal(signalNumber('constructor'), undefined);
});

// Regenerating needs the same inputs the generator reads: a C compiler and the
// kernel uapi headers (linux-libc-dev). Without them there is nothing to compare.
const regenSkip =
  spawnSync('cc', ['--version'], { stdio: 'ignore' }).status !== 0
    ? 'cc not available'
    : !fs.existsSync('/usr/include/x86_64-linux-gnu/asm/unistd_64.h')
      ? 'kernel uapi headers not installed'
      : false;

test('generated files match a fresh run of scripts/gen-tables.mjs', { skip: regenSkip }, () => {
  const root = repoRoot();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-gen-'));
  try {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'gen-tables.mjs'), '--out', out], { stdio: 'pipe' });
    for (const rel of ['src/arch/x86_64/syscalls.gen.ts', 'src/core/errno.gen.ts', 'src/core/signals.gen.ts']) {
      const fresh = fs.readFileSync(path.join(out, rel));
      const committed = fs.readFileSync(path.join(root, rel));
      assert.ok(fresh.equals(committed), `${rel} is stale: run npm run gen`);
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
