// The agent bytecode's printf (dprintf-style agent): format checking as gdb does it, and C
// printf's output for every conversion gdb lets through. Pure: a memory image for `%s`.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { AgentPrintfError, MAX_PRINTF_STRING, formatAgentPrintf, parseAgentFormat } from '../../src/engines/gdb/protocol/agentPrintf.js';
import type { TaskMemory } from '../../src/api.js';

/** Memory with NUL-terminated strings at fixed addresses; everything else unreadable. */
function memory(strings: Record<string, string | Buffer>): TaskMemory {
  const regions = Object.entries(strings).map(([a, s]) => ({ at: BigInt(a), bytes: Buffer.concat([Buffer.from(s as string, 'latin1'), Buffer.from([0])]) }));
  return {
    readMemory: (addr, len) => {
      const r = regions.find((g) => addr >= g.at && addr < g.at + BigInt(g.bytes.length));
      if (!r) return undefined;
      const off = Number(addr - r.at);
      return r.bytes.subarray(off, Math.min(off + len, r.bytes.length));
    },
  };
}

const M = memory({ 0x1000: 'hello', 0x2000: 'caf\xe9 \xff', 0x3000: '' });
const fmt = (f: string, ...args: bigint[]): string => formatAgentPrintf(Buffer.from(f, 'latin1'), args, M).toString('latin1');
const NEG1 = (1n << 64n) - 1n; // -1 as the bytecode's 64-bit stack value

test('integers: int (32 bits), h (16), l / ll / z (64), signed and unsigned, every flag', () => {
  const cases: Array<[string, bigint[], string]> = [
    ['%d', [42n], '42'],
    ['%d', [NEG1], '-1'],
    ['%d', [0x1_0000_0005n], '5'], // an int: the low 32 bits
    ['%u', [NEG1], '4294967295'],
    ['%ld', [NEG1], '-1'],
    ['%lu', [NEG1], '18446744073709551615'],
    ['%lld', [1n << 62n], '4611686018427387904'],
    ['%zu', [NEG1], '18446744073709551615'],
    ['%zd', [NEG1], '-1'],
    ['%hd', [0x18000n], '-32768'],
    ['%hu', [NEG1], '65535'],
    ['%i', [7n], '7'],
    ['%x', [255n], 'ff'],
    ['%X', [255n], 'FF'],
    ['%#x', [255n], '0xff'],
    ['%#X', [255n], '0XFF'],
    ['%#x', [0n], '0'],
    ['%lx', [NEG1], 'ffffffffffffffff'],
    ['%x', [NEG1], 'ffffffff'],
    ['%o', [8n], '10'],
    ['%#o', [8n], '010'],
    ['%#o', [0n], '0'],
    ['%#.0o', [0n], '0'],
    ['%5d', [42n], '   42'],
    ['%-5d|', [42n], '42   |'],
    ['%05d', [42n], '00042'],
    ['%05d', [NEG1], '-0001'],
    ['%+d', [42n], '+42'],
    ['% d', [42n], ' 42'],
    ['%+d', [NEG1], '-1'],
    ['%.3d', [7n], '007'],
    ['%8.3d', [NEG1], '    -001'],
    ['%08.3d', [7n], '     007'], // a precision turns the 0 flag off
    ['%-08d|', [7n], '7       |'], // so does -
    ['%.0d', [0n], ''],
    ['%#010x', [255n], '0x000000ff'],
    ['%d%%', [50n], '50%'],
  ];
  for (const [f, args, want] of cases) assert.equal(fmt(f, ...args), want, f);
});

test('characters, strings, pointers; escapes; literal text', () => {
  const cases: Array<[string, bigint[], string]> = [
    ['%c', [0x41n], 'A'],
    ['%c', [0x141n], 'A'], // an unsigned char
    ['%3c|%-3c|', [0x41n, 0x42n], '  A|B  |'],
    ['%s', [0x1000n], 'hello'],
    ['%s', [0x1002n], 'llo'],
    ['%.2s', [0x1000n], 'he'],
    ['%8s|%-8s|', [0x1000n, 0x1000n], '   hello|hello   |'],
    ['%6.3s', [0x1000n], '   hel'],
    ['%s', [0x2000n], 'caf\xe9 \xff'], // bytes as they are in memory
    ['[%s]', [0x3000n], '[]'],
    ['%s', [0n], '(null)'],
    ['%.3s', [0n], '(nu'],
    ['%p', [0x7ffe1234n], '0x7ffe1234'],
    ['%p', [0n], '(nil)'],
    ['%12p|', [0xabcn], '       0xabc|'],
    ['%-8p|', [0xabcn], '0xabc   |'],
    ['a\\tb\\n', [], 'a\tb\n'],
    ['\\"q\\" \\\\ \\a\\b\\e\\f\\r\\v', [], '"q" \\ \x07\b\x1b\f\r\v'],
    ['no directives', [], 'no directives'],
    ['', [], ''],
    ['cut"here %d', [], 'cut'], // the text ends at the closing quote, as gdb reads it
    ['at foo: arg=%d, g=%d\\n', [1234n, 2222n], 'at foo: arg=1234, g=2222\n'],
  ];
  for (const [f, args, want] of cases) assert.equal(fmt(f, ...args), want, f);
});

test('what gdb refuses or the agent cannot print is an error naming the cause', () => {
  const cases: Array<[string, bigint[], RegExp]> = [
    ['%d', [], /wrong number of arguments .*1 wanted, 0 given/],
    ['x', [1n], /wrong number of arguments .*0 wanted, 1 given/],
    ['%', [], /incomplete format specifier/],
    ['%5', [], /incomplete format specifier/],
    ['%q', [1n], /unrecognized format specifier 'q'/],
    ['%*d', [1n, 2n], /'\*' is not supported/],
    ['%n', [1n], /'n' is not supported/],
    ['%#u', [1n], /inappropriate modifiers to format specifier 'u'/],
    ['%+x', [1n], /inappropriate modifiers to format specifier 'x'/],
    ['%Ld', [1n], /inappropriate modifiers/],
    ['%.2c', [1n], /inappropriate modifiers to format specifier 'c'/],
    ['%05s', [0x1000n], /inappropriate modifiers to format specifier 's'/],
    ['%lls', [0x1000n], /inappropriate modifiers/],
    ['%#p', [1n], /inappropriate modifiers to format specifier 'p'/],
    ['%lp', [1n], /inappropriate modifiers/],
    ['%f', [1n], /floating-point directive '%f' is not supported/],
    ['%lf', [1n], /inappropriate modifiers to format specifier 'f'/],
    ['%ls', [0x1000n], /wide-character directive '%ls' is not supported/],
    ['%lc', [0x41n], /wide-character directive/],
    ['\\q', [], /unrecognized escape character \\q/],
    ['end\\', [], /unrecognized escape character/],
    ['%s', [0x4000n], /cannot read the string for '%s' at 0x4000/],
  ];
  for (const [f, args, re] of cases) {
    assert.throws(() => fmt(f, ...args), (e: unknown) => e instanceof AgentPrintfError && re.test(e.message), f);
  }
});

test('%s reads at most the precision, else MAX_PRINTF_STRING; a string running into unmapped memory prints what is readable', () => {
  const long = 'x'.repeat(MAX_PRINTF_STRING + 100);
  let asked = 0;
  const mem: TaskMemory = {
    readMemory: (addr, len) => {
      asked += len;
      return Buffer.from(long.slice(Number(addr - 0x10000n), Number(addr - 0x10000n) + len), 'latin1');
    },
  };
  assert.equal(formatAgentPrintf(Buffer.from('%.4s'), [0x10000n], mem).toString(), 'xxxx');
  assert.ok(asked <= 4, `read ${asked} bytes for a precision of 4`);
  assert.equal(formatAgentPrintf(Buffer.from('%s'), [0x10000n], mem).length, MAX_PRINTF_STRING);
  const edge = memory({ 0x5000: 'ab' });
  const cut: TaskMemory = { readMemory: (a, l) => (a < 0x5002n ? edge.readMemory(a, Math.min(l, Number(0x5002n - a))) : undefined) };
  assert.equal(formatAgentPrintf(Buffer.from('%s'), [0x5000n], cut).toString(), 'ab');
});

test('parseAgentFormat splits literal text and directives', () => {
  const p = parseAgentFormat('a=%-5.2ld%%b\\n');
  assert.equal(p.length, 3);
  assert.equal(p[0], 'a=');
  assert.deepEqual(p[1], { flags: '-', width: 5, prec: 2, bits: 64, wide: false, conv: 'd', text: '%-5.2ld' });
  assert.equal(p[2], '%b\n');
});
