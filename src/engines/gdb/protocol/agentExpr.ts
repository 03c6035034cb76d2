// Agent-expression bytecode (gdb manual, "Agent Expressions"; opcode values
// from gdbsupport/ax.def) for target-side breakpoint conditions: with
// `ConditionalBreakpoints+` advertised, gdb appends `;X<len>,<hex>` to `Z0`
// and the server decides alone whether a hit is reported (this is what spares
// gdb's eight packets per conditional hit: docs/gdb-server.md, "Per-stop and
// per-packet work"). With `BreakpointCommands+`, `;cmds:` programs too (dprintf-style
// agent: the printf op, formatted in agentPrintf.ts), run at a hit whose condition holds.
//
// Values are unsigned 64-bit bigints; signed operations reinterpret them as
// two's complement. Evaluation is bounded in steps and stack depth, so a
// hostile or looping expression ends in an error, never a hang.
//
// NB: gdbserver treats a condition whose evaluation fails as TRUE (the stop is
// reported, so the user sees something happened); evaluateConditions does the same.

import type { TaskMemory } from '../../../api.js';
import { RspParseError, hexDecode, parseHexBigInt, parseHexNumber } from './packet.js';
import { formatAgentPrintf } from './agentPrintf.js';

export const AX_OP = {
  float: 0x01, add: 0x02, sub: 0x03, mul: 0x04, div_signed: 0x05, div_unsigned: 0x06,
  rem_signed: 0x07, rem_unsigned: 0x08, lsh: 0x09, rsh_signed: 0x0a, rsh_unsigned: 0x0b,
  trace: 0x0c, trace_quick: 0x0d, log_not: 0x0e, bit_and: 0x0f, bit_or: 0x10, bit_xor: 0x11,
  bit_not: 0x12, equal: 0x13, less_signed: 0x14, less_unsigned: 0x15, ext: 0x16,
  ref8: 0x17, ref16: 0x18, ref32: 0x19, ref64: 0x1a, ref_float: 0x1b, ref_double: 0x1c,
  ref_long_double: 0x1d, l_to_d: 0x1e, d_to_l: 0x1f, if_goto: 0x20, goto: 0x21,
  const8: 0x22, const16: 0x23, const32: 0x24, const64: 0x25, reg: 0x26, end: 0x27,
  dup: 0x28, pop: 0x29, zero_ext: 0x2a, swap: 0x2b, getv: 0x2c, setv: 0x2d, tracev: 0x2e,
  tracenz: 0x2f, trace16: 0x30, invalid2: 0x31, pick: 0x32, rot: 0x33, printf: 0x34,
} as const;

/** The thread a condition is evaluated on: its memory (a short or failed read fails the evaluation), … */
export interface AgentEnv extends TaskMemory {
  /** Register value by remote regnum (readRegisterValue in regs.ts); may throw to fail the evaluation. */
  readRegister(regnum: number): bigint;
  /** Trace state variables (getv/setv). Without these, getv/setv fail. */
  getTraceStateVariable?(n: number): bigint | undefined;
  setTraceStateVariable?(n: number, value: bigint): void;
  /** The `printf` op's output (dprintf-style agent), formatted (agentPrintf.ts); fn and channel
   * are gdb's dprintf-function and -channel (0: printf to stdout). Without it, printf is
   * evaluated and prints nothing. */
  printf?(text: Buffer, fn: bigint, channel: bigint): void;
}

export interface AgentLimits {
  /** Instructions executed before giving up (default 100000). */
  maxSteps?: number;
  /** Stack depth (default 1024; gdbserver's is 100). */
  maxStack?: number;
  /** `end` with an empty stack is an error (default true: conditions need a value; commands do not). */
  requireValue?: boolean;
}

export type AgentResult = { value: bigint } | { error: string };

const MASK64 = (1n << 64n) - 1n;
const u64 = (v: bigint): bigint => v & MASK64;
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);

class AgentError extends Error {}

/** Evaluates one bytecode program. Never throws: failures come back as { error }. */
export function evalAgentExpr(code: Buffer, env: AgentEnv, limits: AgentLimits = {}): AgentResult {
  try {
    return { value: run(code, env, limits) };
  } catch (e) {
    if (e instanceof AgentError) return { error: e.message };
    return { error: `evaluation failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function run(code: Buffer, env: AgentEnv, limits: AgentLimits): bigint {
  const maxSteps = limits.maxSteps ?? 100_000;
  const maxStack = limits.maxStack ?? 1024;
  const requireValue = limits.requireValue ?? true;
  if (code.length === 0) throw new AgentError('empty agent expression');

  const stack: bigint[] = [];
  let pc = 0;
  let steps = 0;

  const fail = (msg: string): never => {
    throw new AgentError(msg);
  };
  const pop = (): bigint => (stack.length > 0 ? stack.pop()! : fail(`stack underflow at pc ${pc}`));
  const push = (v: bigint): void => {
    if (stack.length >= maxStack) fail(`stack overflow (${maxStack}) at pc ${pc}`);
    stack.push(u64(v));
  };
  const imm = (n: number): number => {
    if (pc + n > code.length) fail(`truncated operand at pc ${pc}`);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + code[pc + i]!;
    pc += n;
    return v;
  };
  const immBig = (n: number): bigint => {
    if (pc + n > code.length) fail(`truncated operand at pc ${pc}`);
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(code[pc + i]!);
    pc += n;
    return v;
  };
  const jump = (target: number): void => {
    if (target >= code.length) fail(`jump to ${target} outside the expression (${code.length} bytes)`);
    pc = target;
  };
  const ref = (addr: bigint, size: number): bigint => {
    const bytes = env.readMemory(addr, size);
    if (!bytes || bytes.length < size) fail(`cannot read ${size} bytes at 0x${addr.toString(16)}`);
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes![i]!);
    return v;
  };
  const shiftCount = (n: bigint): bigint => (n > 64n ? 64n : n);

  for (;;) {
    if (++steps > maxSteps) fail(`more than ${maxSteps} steps`);
    if (pc >= code.length) fail('ran off the end of the expression (no end op)');
    const opPc = pc;
    const op = code[pc++]!;
    switch (op) {
      case AX_OP.add: { const b = pop(); push(pop() + b); break; }
      case AX_OP.sub: { const b = pop(); push(pop() - b); break; }
      case AX_OP.mul: { const b = pop(); push(pop() * b); break; }
      case AX_OP.div_signed:
      case AX_OP.rem_signed: {
        const b = s64(pop());
        const a = s64(pop());
        if (b === 0n) fail('division by zero');
        // BigInt division truncates toward zero like C; INT64_MIN / -1 wraps instead of trapping.
        push(op === AX_OP.div_signed ? a / b : a % b);
        break;
      }
      case AX_OP.div_unsigned:
      case AX_OP.rem_unsigned: {
        const b = pop();
        const a = pop();
        if (b === 0n) fail('division by zero');
        push(op === AX_OP.div_unsigned ? a / b : a % b);
        break;
      }
      // Shift counts of 64 or more: everything shifted out (C leaves it undefined).
      case AX_OP.lsh: { const n = shiftCount(pop()); push(pop() << n); break; }
      case AX_OP.rsh_signed: { const n = shiftCount(pop()); push(s64(pop()) >> n); break; }
      case AX_OP.rsh_unsigned: { const n = shiftCount(pop()); push(pop() >> n); break; }
      case AX_OP.trace: pop(); pop(); break; // collection is for tracepoints; nothing to collect here
      case AX_OP.trace_quick: imm(1); if (stack.length === 0) fail('stack underflow'); break;
      case AX_OP.trace16: imm(2); if (stack.length === 0) fail('stack underflow'); break;
      case AX_OP.tracev: imm(2); break;
      case AX_OP.tracenz: pop(); pop(); break;
      case AX_OP.log_not: push(pop() === 0n ? 1n : 0n); break;
      case AX_OP.bit_and: { const b = pop(); push(pop() & b); break; }
      case AX_OP.bit_or: { const b = pop(); push(pop() | b); break; }
      case AX_OP.bit_xor: { const b = pop(); push(pop() ^ b); break; }
      case AX_OP.bit_not: push(~pop()); break;
      case AX_OP.equal: { const b = pop(); push(pop() === b ? 1n : 0n); break; }
      case AX_OP.less_signed: { const b = s64(pop()); push(s64(pop()) < b ? 1n : 0n); break; }
      case AX_OP.less_unsigned: { const b = pop(); push(pop() < b ? 1n : 0n); break; }
      case AX_OP.ext: {
        const n = imm(1);
        if (n === 0) fail('ext 0');
        const v = pop();
        push(n >= 64 ? v : BigInt.asIntN(n, v));
        break;
      }
      case AX_OP.zero_ext: {
        const n = imm(1);
        const v = pop();
        push(n >= 64 ? v : BigInt.asUintN(n, v));
        break;
      }
      case AX_OP.ref8: push(ref(pop(), 1)); break;
      case AX_OP.ref16: push(ref(pop(), 2)); break;
      case AX_OP.ref32: push(ref(pop(), 4)); break;
      case AX_OP.ref64: push(ref(pop(), 8)); break;
      case AX_OP.if_goto: {
        const target = imm(2);
        if (pop() !== 0n) jump(target);
        break;
      }
      case AX_OP.goto: jump(imm(2)); break;
      case AX_OP.const8: push(immBig(1)); break;
      case AX_OP.const16: push(immBig(2)); break;
      case AX_OP.const32: push(immBig(4)); break;
      case AX_OP.const64: push(immBig(8)); break;
      case AX_OP.reg: {
        const n = imm(2);
        let v: bigint;
        try {
          v = env.readRegister(n);
        } catch (e) {
          return fail(`cannot read register ${n}: ${e instanceof Error ? e.message : String(e)}`);
        }
        push(v);
        break;
      }
      case AX_OP.end:
        if (stack.length === 0) {
          if (requireValue) fail('end with an empty stack');
          return 0n;
        }
        return stack[stack.length - 1]!;
      case AX_OP.dup: {
        const v = pop();
        push(v);
        push(v);
        break;
      }
      case AX_OP.pop: pop(); break;
      case AX_OP.swap: {
        const b = pop();
        const a = pop();
        push(b);
        push(a);
        break;
      }
      case AX_OP.pick: {
        // pick n: copy the item n below the top (pick 0 == dup).
        const n = imm(1);
        if (n >= stack.length) fail(`pick ${n} with ${stack.length} items on the stack`);
        push(stack[stack.length - 1 - n]!);
        break;
      }
      case AX_OP.rot: {
        // a b c => c a b (c was on top)
        const c = pop();
        const b = pop();
        const a = pop();
        push(c);
        push(a);
        push(b);
        break;
      }
      case AX_OP.getv: {
        const n = imm(2);
        const v = env.getTraceStateVariable?.(n);
        if (v === undefined) fail(`no trace state variable ${n}`);
        push(v!);
        break;
      }
      case AX_OP.setv: {
        // The value stays on the stack, for enclosing expressions.
        const n = imm(2);
        if (stack.length === 0) fail('stack underflow');
        if (!env.setTraceStateVariable) fail(`no trace state variable ${n}`);
        env.setTraceStateVariable!(n, stack[stack.length - 1]!);
        break;
      }
      case AX_OP.printf: {
        // nargs (u8), format length (u16, includes the NUL), format; stack: args…, channel, fn (top).
        const nargs = imm(1);
        const slen = imm(2);
        if (pc + slen > code.length) fail('truncated printf format');
        const format = code.subarray(pc, pc + slen);
        pc += slen;
        if (slen === 0 || format[slen - 1] !== 0) fail('unterminated printf format');
        const fn = pop();
        const channel = pop();
        const args: bigint[] = [];
        for (let i = 0; i < nargs; i++) args.push(pop());
        if (!env.printf) break;
        let text: Buffer;
        try {
          text = formatAgentPrintf(format.subarray(0, slen - 1), args, env);
        } catch (e) {
          return fail(`printf at pc ${opPc}: ${e instanceof Error ? e.message : String(e)}`);
        }
        env.printf(text, fn, channel);
        break;
      }
      case AX_OP.float:
      case AX_OP.ref_float:
      case AX_OP.ref_double:
      case AX_OP.ref_long_double:
      case AX_OP.l_to_d:
      case AX_OP.d_to_l:
        fail(`floating-point op 0x${op.toString(16)} at pc ${opPc} is not supported`);
        break;
      default:
        fail(`invalid opcode 0x${op.toString(16)} at pc ${opPc}`);
    }
  }
}

// ---------------------------------------------------------------------------
// Z packet options

export interface BreakpointOptions {
  /** Condition programs; the breakpoint triggers if any is true (or fails). */
  conditions: Buffer[];
  /** `cmds:` programs (dprintf); persist = keep running them after gdb disconnects. */
  commands?: { persist: boolean; programs: Buffer[] };
}

/** Reads `X<len>,<hex>` at text[i]; returns the program and the index after it. */
function readProgram(text: string, i: number): { program: Buffer; next: number } {
  const comma = text.indexOf(',', i);
  if (text[i] !== 'X' || comma < 0) throw new RspParseError(`expected X<len>,<bytes> at '${text.slice(i, i + 20)}'`);
  const len = parseHexNumber(text.slice(i + 1, comma));
  const start = comma + 1;
  if (start + 2 * len > text.length) throw new RspParseError('agent expression shorter than its length');
  return { program: hexDecode(text.slice(start, start + 2 * len)), next: start + 2 * len };
}

/**
 * Parses what follows `Z0,addr,kind`: `;X3,220527X2,2227;cmds:0,X…`.
 * gdb concatenates several conditions with no separator (remote.c
 * remote_add_target_side_condition); `;` between them is accepted too. Unknown
 * tokens are skipped up to the next `;`, as gdbserver does.
 */
export function parseConditionList(text: string): BreakpointOptions {
  const result: BreakpointOptions = { conditions: [] };
  if (text === '') return result;
  if (text[0] !== ';') throw new RspParseError('breakpoint options must start with ;');
  let i = 1;
  while (i < text.length) {
    if (text[i] === ';') {
      i++;
      continue;
    }
    if (text[i] === 'X') {
      const { program, next } = readProgram(text, i);
      result.conditions.push(program);
      i = next;
    } else if (text.startsWith('cmds:', i)) {
      i += 'cmds:'.length;
      const comma = text.indexOf(',', i);
      if (comma < 0) throw new RspParseError('bad cmds: option');
      const persist = text.slice(i, comma) !== '0';
      i = comma + 1;
      const programs: Buffer[] = [];
      while (i < text.length && text[i] === 'X') {
        const { program, next } = readProgram(text, i);
        programs.push(program);
        i = next;
      }
      result.commands = { persist, programs };
    } else {
      const semi = text.indexOf(';', i);
      i = semi < 0 ? text.length : semi;
    }
  }
  return result;
}

export interface ZPacket {
  insert: boolean;
  /** 0 software, 1 hardware, 2 write watch, 3 read watch, 4 access watch. */
  type: number;
  addr: bigint;
  /** Breakpoint kind (1 on x86) or watch length. */
  kind: number;
  options: BreakpointOptions;
}

/** Parses `Z<type>,<addr>,<kind>[;options]` / `z<type>,<addr>,<kind>`. Throws RspParseError. */
export function parseZPacket(payload: string): ZPacket {
  const m = /^([Zz])([0-9]),([0-9a-fA-F]+),([0-9a-fA-F]+)(.*)$/s.exec(payload);
  if (!m) throw new RspParseError(`bad breakpoint packet '${payload.slice(0, 60)}'`);
  return {
    insert: m[1] === 'Z',
    type: Number(m[2]),
    addr: parseHexBigInt(m[3]!),
    kind: parseHexNumber(m[4]!),
    options: parseConditionList(m[5]!),
  };
}

/**
 * Whether a breakpoint hit with these conditions should be reported: no
 * conditions -> true; otherwise true as soon as one yields non-zero; an
 * evaluation error also counts as true (gdbserver semantics, so a broken
 * condition is visible to the user instead of silently skipping the stop).
 */
export function evaluateConditions(conditions: readonly Buffer[], env: AgentEnv, limits?: AgentLimits): { stop: boolean; error?: string } {
  if (conditions.length === 0) return { stop: true };
  for (const code of conditions) {
    const r = evalAgentExpr(code, env, limits);
    if ('error' in r) return { stop: true, error: r.error };
    if (r.value !== 0n) return { stop: true };
  }
  return { stop: false };
}
