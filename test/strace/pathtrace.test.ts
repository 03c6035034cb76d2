// -P: which arguments of a call are paths and descriptors; fsconfig's depend on its command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { PathTrace } from '../../src/engines/strace/pathtrace.js';
import { SYSCALL_NR } from '../../src/api.js';
import { FakeMemory } from './helpers.js';

test('fsconfig: SET_PATH(_EMPTY) value as a path and aux as a descriptor, SET_FD aux; never fs_fd', () => {
  // Our own descriptor open on /dev/null stands for the tracee's (/proc/PID/fd/N is looked at).
  const fd = fs.openSync('/dev/null', 'r');
  try {
    const pt = new PathTrace(['/dev/null']);
    const mem = new FakeMemory().str(0x1000n, '/dev/null').str(0x2000n, 'other');
    const nr = SYSCALL_NR['fsconfig']!;
    const at = (cmd: number, value: bigint, aux: number, fsfd = -1): boolean =>
      pt.matches(nr, [BigInt.asUintN(64, BigInt(fsfd)), BigInt(cmd), 0n, value, BigInt.asUintN(64, BigInt(aux))], mem, process.pid);
    for (const cmd of [3, 4]) {
      assert.equal(at(cmd, 0x1000n, -100), true, `cmd ${cmd}: the path`);
      assert.equal(at(cmd, 0x2000n, fd), true, `cmd ${cmd}: the directory descriptor`);
      assert.equal(at(cmd, 0x2000n, -100), false);
    }
    assert.equal(at(5, 0x1000n, fd), true, 'SET_FD: aux');
    assert.equal(at(5, 0x1000n, -1), false, 'SET_FD: value is no path');
    assert.equal(at(1, 0x1000n, fd), false, 'SET_STRING: neither');
    assert.equal(at(0, 0n, -1, fd), false, 'fs_fd is a filesystem context');
  } finally {
    fs.closeSync(fd);
  }
});
