// NUMA memory policy decoders; expected lines are what strace 6.1 prints for the call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';

const M = 0x10000000n;

test('mbind, set_mempolicy, get_mempolicy, migrate_pages', () => {
  // Three readable words of a node mask, then unreadable memory; the policy mode at M + 0x100.
  const mem = new FakeMemory().map(M, Buffer.alloc(24)).u64(M + 8n, 5n).u32(M + 0x100n, 0x8002);
  const cases: [string, (number | bigint)[], number | bigint, string, ('raw' | 'verbose')?][] = [
    ['set_mempolicy', [0, 0, 0], 0, 'set_mempolicy(MPOL_DEFAULT, NULL, 0) = 0'],
    ['set_mempolicy', [0, 0, 0], 0, 'set_mempolicy(0 /* MPOL_DEFAULT */, NULL, 0) = 0', 'verbose'],
    ['set_mempolicy', [0, 0, 0], 0, 'set_mempolicy(0, NULL, 0) = 0', 'raw'],
    ['set_mempolicy', [0xe003, 0, 0], -22, 'set_mempolicy(MPOL_INTERLEAVE|MPOL_F_STATIC_NODES|MPOL_F_RELATIVE_NODES|MPOL_F_NUMA_BALANCING, NULL, 0) = -1 EINVAL (Invalid argument)'],
    ['set_mempolicy', [0xffffffff, 0, 0], -22, 'set_mempolicy(MPOL_F_STATIC_NODES|MPOL_F_RELATIVE_NODES|MPOL_F_NUMA_BALANCING|0xffff1fff, NULL, 0) = -1 EINVAL (Invalid argument)'],
    ['set_mempolicy', [6, 0, 0], -22, 'set_mempolicy(0x6 /* MPOL_??? */, NULL, 0) = -1 EINVAL (Invalid argument)'],
    ['set_mempolicy', [0, M, 130], 0, 'set_mempolicy(MPOL_DEFAULT, [0000000000000000, 0x00000000000005, 0000000000000000], 130) = 0'],
    ['set_mempolicy', [0, M, 194], -14, 'set_mempolicy(MPOL_DEFAULT, [0000000000000000, 0x00000000000005, 0000000000000000, ... /* 0x10000018 */], 194) = -1 EFAULT (Bad address)'],
    ['set_mempolicy', [0, M, 1], 0, 'set_mempolicy(MPOL_DEFAULT, 0x10000000, 1) = 0'],
    ['mbind', [0x1000, 4096, 0xffffffff00000000n, 0, 0, 0], -22, 'mbind(0x1000, 4096, 0xffffffff00000000 /* MPOL_??? */, NULL, 0, 0) = -1 EINVAL (Invalid argument)'],
    ['mbind', [0x1000, 4096, 2, 0, 0, 0xffffffff], -22, 'mbind(0x1000, 4096, MPOL_BIND, NULL, 0, MPOL_MF_STRICT|MPOL_MF_MOVE|MPOL_MF_MOVE_ALL|0xfffffff8) = -1 EINVAL (Invalid argument)'],
    ['get_mempolicy', [M + 0x100n, 0, 0, 0, 0], 0, 'get_mempolicy([MPOL_BIND|MPOL_F_STATIC_NODES], NULL, 0, NULL, 0) = 0'],
    ['migrate_pages', [1235, 0, 0, 0], -22, 'migrate_pages(1235, 0, NULL, NULL) = -1 EINVAL (Invalid argument)'],
    ['set_mempolicy_home_node', [0, 0, 0, 0], 0, 'set_mempolicy_home_node(NULL, 0, 0, 0) = 0'],
  ];
  for (const [name, args, ret, want, xlat] of cases) {
    // Column padding before " = " is not what this test is about.
    const line = formatCall({ name, args, ret, mem, opts: xlat ? { xlat } : {} }).replace(/\) +=/, ') =');
    assert.equal(line, want);
  }
});
