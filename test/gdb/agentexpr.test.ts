// Agent-expression bytecode evaluator, hand-assembled programs (opcodes from
// gdb's ax.def), and Z0 condition parsing.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  AX_OP as OP,
  evalAgentExpr,
  evaluateConditions,
  parseConditionList,
  parseZPacket,
  type AgentResult,
  type AgentEnv,
} from '../../src/engines/gdb/protocol/agentExpr.js';
import { RspParseError } from '../../src/engines/gdb/protocol/packet.js';

const code = (...bytes: number[]): Buffer => Buffer.from(bytes);
const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);

function env(regs: Record<number, bigint> = {}, memory: Map<bigint, number> = new Map()): AgentEnv {
  return {
    readRegister: (n) => {
      if (!(n in regs)) throw new Error(`no register ${n}`);
      return U64(regs[n]!);
    },
    readMemory: (addr, len) => {
      const out = Buffer.alloc(len);
      for (let i = 0; i < len; i++) {
        const b = memory.get(addr + BigInt(i));
        if (b === undefined) return undefined;
        out[i] = b;
      }
      return out;
    },
  };
}

function value(r: AgentResult): bigint {
  if ('error' in r) assert.fail(`unexpected error: ${r.error}`);
  return r.value;
}

function error(r: AgentResult): string {
  if (!('error' in r)) assert.fail(`expected an error, got ${r.value}`);
  return r.error;
}

/** const64 of a signed or unsigned value. */
function c64(v: bigint): number[] {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(U64(v));
  return [OP.const64, ...b];
}

/** a OP b, end */
function binop(op: number, a: bigint, b: bigint): bigint {
  return value(evalAgentExpr(code(...c64(a), ...c64(b), op, OP.end), env()));
}

test('reg 0; const8 5; less_signed; end', () => {
  const prog = code(OP.reg, 0, 0, OP.const8, 5, OP.less_signed, OP.end);
  assert.equal(value(evalAgentExpr(prog, env({ 0: 3n }))), 1n);
  assert.equal(value(evalAgentExpr(prog, env({ 0: 7n }))), 0n);
  assert.equal(value(evalAgentExpr(prog, env({ 0: -1n }))), 1n, 'signed compare');
  const unsigned = code(OP.reg, 0, 0, OP.const8, 5, OP.less_unsigned, OP.end);
  assert.equal(value(evalAgentExpr(unsigned, env({ 0: -1n }))), 0n);
});

test('what gdb emits for `i < 0` with i an int at rbp-4: memory refs and ext', () => {
  const prog = code(OP.reg, 0, 6, OP.const8, 4, OP.sub, OP.ref32, OP.ext, 32, OP.const8, 0, OP.less_signed, OP.end);
  const mem = new Map<bigint, number>();
  const rbp = 0x7ffffffde010n;
  const put32 = (v: number): void => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    for (let i = 0; i < 4; i++) mem.set(rbp - 4n + BigInt(i), b[i]!);
  };
  put32(-3);
  assert.equal(value(evalAgentExpr(prog, env({ 6: rbp }, mem))), 1n);
  put32(12);
  assert.equal(value(evalAgentExpr(prog, env({ 6: rbp }, mem))), 0n);
  // Unreadable memory is an error (and a failing condition counts as true).
  const e = error(evalAgentExpr(prog, env({ 6: 0x1000n }, mem)));
  assert.match(e, /cannot read 4 bytes at 0xffc/);
  assert.deepEqual(evaluateConditions([prog], env({ 6: 0x1000n }, mem)).stop, true);
  // Missing register too.
  assert.match(error(evalAgentExpr(prog, env({}, mem))), /register 6/);
});

test('refs are little-endian and sized', () => {
  const mem = new Map<bigint, number>();
  [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11].forEach((b, i) => mem.set(0x1000n + BigInt(i), b));
  const ref = (op: number): bigint => value(evalAgentExpr(code(OP.const16, 0x10, 0x00, op, OP.end), env({}, mem)));
  assert.equal(ref(OP.ref8), 0x88n);
  assert.equal(ref(OP.ref16), 0x7788n);
  assert.equal(ref(OP.ref32), 0x55667788n);
  assert.equal(ref(OP.ref64), 0x1122334455667788n);
});

test('arithmetic wraps at 64 bits with C semantics for signed ops', () => {
  const MIN = -(1n << 63n);
  assert.equal(binop(OP.add, -1n, 1n), 0n);
  assert.equal(binop(OP.sub, 0n, 1n), U64(-1n));
  assert.equal(binop(OP.mul, 1n << 62n, 4n), 0n);
  assert.equal(binop(OP.div_signed, -7n, 2n), U64(-3n));
  assert.equal(binop(OP.rem_signed, -7n, 2n), U64(-1n));
  assert.equal(binop(OP.div_signed, MIN, -1n), U64(MIN), 'INT64_MIN / -1 wraps instead of trapping');
  assert.equal(binop(OP.rem_signed, MIN, -1n), 0n);
  assert.equal(binop(OP.div_unsigned, -1n, 2n), (1n << 63n) - 1n);
  assert.equal(binop(OP.rem_unsigned, 10n, 3n), 1n);
  assert.match(error(evalAgentExpr(code(...c64(1n), ...c64(0n), OP.div_signed, OP.end), env())), /division by zero/);
  assert.match(error(evalAgentExpr(code(...c64(1n), ...c64(0n), OP.rem_unsigned, OP.end), env())), /division by zero/);
  assert.equal(binop(OP.lsh, 1n, 63n), 1n << 63n);
  assert.equal(binop(OP.lsh, 1n, 64n), 0n);
  assert.equal(binop(OP.rsh_signed, -8n, 1n), U64(-4n));
  assert.equal(binop(OP.rsh_signed, -8n, 200n), U64(-1n));
  assert.equal(binop(OP.rsh_unsigned, -8n, 60n), 0xfn);
  assert.equal(binop(OP.bit_and, 0xf0n, 0x3cn), 0x30n);
  assert.equal(binop(OP.bit_or, 0xf0n, 0x0fn), 0xffn);
  assert.equal(binop(OP.bit_xor, 0xffn, 0x0fn), 0xf0n);
  assert.equal(binop(OP.equal, 5n, 5n), 1n);
  assert.equal(binop(OP.equal, 5n, 6n), 0n);
  assert.equal(binop(OP.less_signed, MIN, 0n), 1n);
  assert.equal(binop(OP.less_unsigned, MIN, 0n), 0n);
  const un = (op: number, v: bigint, ...extra: number[]): bigint => value(evalAgentExpr(code(...c64(v), op, ...extra, OP.end), env()));
  assert.equal(un(OP.log_not, 0n), 1n);
  assert.equal(un(OP.log_not, 7n), 0n);
  assert.equal(un(OP.bit_not, 0n), U64(-1n));
  assert.equal(un(OP.ext, 0x80n, 8), U64(-128n));
  assert.equal(un(OP.ext, 0x7fn, 8), 0x7fn);
  assert.equal(un(OP.ext, 0xffffffffn, 32), U64(-1n));
  assert.equal(un(OP.ext, 0x1234n, 64), 0x1234n);
  assert.equal(un(OP.zero_ext, U64(-1n), 8), 0xffn);
  assert.equal(un(OP.zero_ext, U64(-1n), 0), 0n);
  assert.equal(un(OP.zero_ext, U64(-1n), 64), U64(-1n));
});

test('constants are big-endian and zero-extended', () => {
  assert.equal(value(evalAgentExpr(code(OP.const8, 0xff, OP.end), env())), 0xffn);
  assert.equal(value(evalAgentExpr(code(OP.const16, 0x12, 0x34, OP.end), env())), 0x1234n);
  assert.equal(value(evalAgentExpr(code(OP.const32, 0xde, 0xad, 0xbe, 0xef, OP.end), env())), 0xdeadbeefn);
  assert.equal(value(evalAgentExpr(code(...c64(0x0102030405060708n), OP.end), env())), 0x0102030405060708n);
});

test('stack ops: dup pop swap pick rot', () => {
  const run = (...ops: number[]): bigint => value(evalAgentExpr(code(...ops, OP.end), env()));
  assert.equal(run(OP.const8, 3, OP.dup, OP.add), 6n);
  assert.equal(run(OP.const8, 3, OP.const8, 4, OP.pop), 3n);
  assert.equal(run(OP.const8, 3, OP.const8, 4, OP.swap, OP.sub), 1n);
  assert.equal(run(OP.const8, 1, OP.const8, 2, OP.const8, 3, OP.pick, 2), 1n);
  assert.equal(run(OP.const8, 1, OP.const8, 2, OP.pick, 0), 2n);
  // rot: a b c => c a b
  assert.equal(run(OP.const8, 1, OP.const8, 2, OP.const8, 3, OP.rot), 2n);
  assert.equal(run(OP.const8, 1, OP.const8, 2, OP.const8, 3, OP.rot, OP.pop), 1n);
  assert.equal(run(OP.const8, 1, OP.const8, 2, OP.const8, 3, OP.rot, OP.pop, OP.pop), 3n);
  assert.match(error(evalAgentExpr(code(OP.const8, 1, OP.pick, 1, OP.end), env())), /pick 1/);
  assert.match(error(evalAgentExpr(code(OP.const8, 1, OP.add, OP.end), env())), /underflow/);
  assert.match(error(evalAgentExpr(code(OP.end), env())), /empty stack/);
  assert.equal(value(evalAgentExpr(code(OP.end), env(), { requireValue: false })), 0n);
});

test('if_goto / goto: a bounded loop summing 10..1, and runaway loops are stopped', () => {
  const sum = code(
    OP.const8, 10, // 0: n
    OP.const8, 0, // 2: acc
    OP.pick, 1, // 4: n acc n
    OP.if_goto, 0, 10, // 6: if n goto 10
    OP.end, // 9
    OP.pick, 1, // 10: n acc n
    OP.add, // 12: n acc+n
    OP.swap, // 13: acc n
    OP.const8, 1, // 14
    OP.sub, // 16: acc n-1
    OP.swap, // 17: n-1 acc
    OP.goto, 0, 4, // 18
  );
  assert.equal(value(evalAgentExpr(sum, env())), 55n);
  const forever = code(OP.const8, 1, OP.if_goto, 0, 0);
  assert.match(error(evalAgentExpr(forever, env(), { maxSteps: 1000 })), /more than 1000 steps/);
  assert.match(error(evalAgentExpr(forever, env())), /more than 100000 steps/);
  const grow = code(OP.const8, 1, OP.dup, OP.goto, 0, 2);
  assert.match(error(evalAgentExpr(grow, env(), { maxStack: 50 })), /stack overflow \(50\)/);
  assert.match(error(evalAgentExpr(code(OP.goto, 0, 99), env())), /outside the expression/);
  assert.match(error(evalAgentExpr(code(OP.const8, 1), env())), /ran off the end/);
  assert.match(error(evalAgentExpr(code(OP.const16, 1), env())), /truncated operand/);
  assert.match(error(evalAgentExpr(Buffer.alloc(0), env())), /empty/);
});

test('float, invalid and unknown opcodes are errors', () => {
  for (const op of [OP.float, OP.ref_float, OP.ref_double, OP.ref_long_double, OP.l_to_d, OP.d_to_l]) {
    assert.match(error(evalAgentExpr(code(OP.const8, 1, op, OP.end), env())), /floating-point/);
  }
  for (const op of [0x00, OP.invalid2, 0x35, 0xff]) {
    assert.match(error(evalAgentExpr(code(OP.const8, 1, op, OP.end), env())), /invalid opcode/);
  }
});

test('trace ops are accepted and collect nothing', () => {
  const prog = code(
    OP.const8, 7,
    OP.const16, 0x10, 0x00, OP.const8, 4, OP.trace, // addr size trace -> pops both
    OP.trace_quick, 4, // leaves 7
    OP.trace16, 0, 8,
    OP.tracev, 0, 1,
    OP.const8, 0, OP.const8, 8, OP.tracenz,
    OP.end,
  );
  assert.equal(value(evalAgentExpr(prog, env())), 7n);
});

test('getv / setv use the trace state variables of the environment', () => {
  const tsv = new Map<number, bigint>([[1, 41n]]);
  const e: AgentEnv = { ...env(), getTraceStateVariable: (n) => tsv.get(n), setTraceStateVariable: (n, v) => void tsv.set(n, v) };
  assert.equal(value(evalAgentExpr(code(OP.getv, 0, 1, OP.const8, 1, OP.add, OP.setv, 0, 2, OP.end), e)), 42n);
  assert.equal(tsv.get(2), 42n);
  assert.match(error(evalAgentExpr(code(OP.getv, 0, 9, OP.end), e)), /trace state variable 9/);
  assert.match(error(evalAgentExpr(code(OP.getv, 0, 1, OP.end), env())), /trace state variable 1/);
});

test('printf (dprintf agent style) pops fn, channel and args in format order, and prints them formatted', () => {
  const calls: Array<[string, bigint, bigint]> = [];
  const e: AgentEnv = { ...env(), printf: (text, fn, chan) => void calls.push([text.toString('latin1'), fn, chan]) };
  const fmt = Buffer.from('x=%d y=%d\\n\0'); // as typed: the escape is the server's to process
  // Args pushed in reverse (last first), then channel, then function: what gdb's gen_printf emits.
  const prog = code(OP.const8, 2, OP.const8, 1, OP.const8, 7, OP.const8, 9, OP.printf, 2, 0, fmt.length, ...fmt, OP.end);
  assert.equal(value(evalAgentExpr(prog, e, { requireValue: false })), 0n);
  assert.deepEqual(calls, [['x=1 y=2\n', 9n, 7n]]);
  // Without a printf hook it is evaluated and prints nothing.
  assert.equal(value(evalAgentExpr(prog, env(), { requireValue: false })), 0n);
  const bad = code(OP.const8, 0, OP.const8, 0, OP.printf, 0, 0, 2, 0x41, 0x42, OP.end);
  assert.match(error(evalAgentExpr(bad, env(), { requireValue: false })), /unterminated/);
  // Format errors, argument counts and unreadable strings fail the program with the cause.
  const one = (f: string, nargs: number, ...pushed: number[]): string => {
    const b = Buffer.from(f + '\0', 'latin1');
    return error(evalAgentExpr(code(...pushed.flatMap((v) => [OP.const8, v]), OP.const8, 0, OP.const8, 0, OP.printf, nargs, 0, b.length, ...b, OP.end), e, { requireValue: false }));
  };
  assert.match(one('%d %d', 1, 5), /printf at pc \d+: wrong number of arguments .*2 wanted, 1 given/);
  assert.match(one('%s', 1, 0x40), /cannot read the string for '%s' at 0x40/);
  assert.match(one('%q', 1, 1), /unrecognized format specifier 'q'/);
  assert.match(one('%d', 2, 1), /stack underflow/, 'more arguments than the stack holds');
  assert.equal(calls.length, 1, 'nothing printed by a failing printf');
});

test('parseConditionList and parseZPacket', () => {
  const lt5 = '26000022051427'; // reg 0; const8 5; less_signed; end
  const t = '22012' + '7'; // const8 1; end
  const f = '220027'; // const8 0; end
  assert.deepEqual(parseConditionList(''), { conditions: [] });
  assert.deepEqual(parseConditionList(`;X7,${lt5}`).conditions, [Buffer.from(lt5, 'hex')]);
  // gdb concatenates without separators; `;` between is accepted too.
  assert.deepEqual(parseConditionList(`;X3,${t}X3,${f}`).conditions, [Buffer.from(t, 'hex'), Buffer.from(f, 'hex')]);
  assert.deepEqual(parseConditionList(`;X3,${t};X3,${f}`).conditions.length, 2);
  const withCmds = parseConditionList(`;X3,${f};cmds:1,X3,${t}X3,${f}`);
  assert.equal(withCmds.conditions.length, 1);
  assert.deepEqual(withCmds.commands, { persist: true, programs: [Buffer.from(t, 'hex'), Buffer.from(f, 'hex')] });
  assert.equal(parseConditionList(`;cmds:0,X3,${t}`).commands!.persist, false);
  assert.deepEqual(parseConditionList(`;future:thing;X3,${t}`).conditions.length, 1, 'unknown tokens are skipped');
  for (const bad of ['X3,220127', ';X3,2201', ';X3,zzzzzz', ';Xq,00', ';X3']) assert.throws(() => parseConditionList(bad), RspParseError, bad);

  const z = parseZPacket(`Z0,555555555202,1;X7,${lt5}`);
  assert.equal(z.insert, true);
  assert.equal(z.type, 0);
  assert.equal(z.addr, 0x555555555202n);
  assert.equal(z.kind, 1);
  assert.equal(z.options.conditions.length, 1);
  assert.deepEqual(parseZPacket('z2,7ffff7dd0010,4'), { insert: false, type: 2, addr: 0x7ffff7dd0010n, kind: 4, options: { conditions: [] } });
  for (const bad of ['Z0', 'Z0,1', 'Z0,,1', 'Zx,1,1', 'Z0,1,1X']) assert.throws(() => parseZPacket(bad), RspParseError, bad);
});

test('evaluateConditions: OR over the list, error counts as true, empty list is unconditional', () => {
  const T = code(OP.const8, 1, OP.end);
  const F = code(OP.const8, 0, OP.end);
  const E = code(OP.const8, 1, OP.ref8, OP.end);
  assert.deepEqual(evaluateConditions([], env()), { stop: true });
  assert.deepEqual(evaluateConditions([F, F], env()), { stop: false });
  assert.deepEqual(evaluateConditions([F, T], env()), { stop: true });
  assert.deepEqual(evaluateConditions([T, E], env()), { stop: true }, 'short-circuits before the failing one');
  const r = evaluateConditions([F, E], env());
  assert.equal(r.stop, true);
  assert.match(r.error!, /cannot read/);
});
