// The agent bytecode's `printf` op (dprintf-style agent): gdb sends the format
// string as the user typed it between the quotes (escapes like `\n` still
// unprocessed) and the argument values; the server prints. The format rules
// are those gdb checks before compiling a dprintf (C89 conversions, `ll`, `z`;
// no `*`, no `%n`), with C printf's output for each conversion. gdb's agent
// printf knows no floating-point or wide conversions; they are errors here
// too. Pure: strings behind `%s` come through TaskMemory.
//
// Bytes in, bytes out: the format and the strings read from the program are
// printed as they are (latin1 keeps every byte), never re-encoded.

import { readCStringBytes, type TaskMemory } from '../../../api.js';

/** A malformed format string, or arguments that do not fit it. */
export class AgentPrintfError extends Error {
  override readonly name = 'AgentPrintfError';
}

/** `%s` reads at most this much without a precision (gdb's own agent reads without end). */
export const MAX_PRINTF_STRING = 65536;

interface Directive {
  /** The flags as written (`-+ #0`). */
  flags: string;
  width: number;
  /** undefined: no precision. */
  prec: number | undefined;
  /** Value width of an integer conversion: int is 32 bits, h 16, l / ll / z 64. */
  bits: 16 | 32 | 64;
  /** %lc / %ls */
  wide: boolean;
  conv: string;
  /** The directive as written, for error messages. */
  text: string;
}

type Piece = string | Directive;

const ESCAPES: Record<string, string> = {
  '\\': '\\', a: '\x07', b: '\b', e: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '"': '"',
};

/** The escapes of the quoted text processed; the text ends at an unescaped `"` or the end. */
function unescape(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '"') break;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = raw[++i];
    const r = e === undefined ? undefined : ESCAPES[e];
    if (r === undefined) throw new AgentPrintfError(`unrecognized escape character \\${e ?? ''} in format string`);
    out += r;
  }
  return out;
}

/** Splits a format into literal text and directives; throws AgentPrintfError for what gdb refuses. */
export function parseAgentFormat(raw: string): Piece[] {
  const f = unescape(raw);
  const pieces: Piece[] = [];
  let lit = '';
  let i = 0;
  while (i < f.length) {
    const c = f[i++]!;
    if (c !== '%') {
      lit += c;
      continue;
    }
    if (f[i] === '%') {
      lit += '%';
      i++;
      continue;
    }
    const start = i - 1;
    let flags = '';
    while (i < f.length && '0-+ #'.includes(f[i]!)) flags += f[i++];
    let w = '';
    while (i < f.length && f[i]! >= '0' && f[i]! <= '9') w += f[i++];
    let prec: number | undefined;
    if (f[i] === '.') {
      i++;
      let p = '';
      while (i < f.length && f[i]! >= '0' && f[i]! <= '9') p += f[i++];
      prec = p === '' ? 0 : Number(p);
    }
    let len = '';
    if (f[i] === 'h' || f[i] === 'L' || f[i] === 'z' || f[i] === 'H') len = f[i++]!;
    else if (f[i] === 'l') len = f.startsWith('ll', i) ? 'll' : 'l';
    else if (f[i] === 'D') len = f.startsWith('DD', i) ? 'DD' : 'D';
    if (len === 'l' || len === 'll' || len === 'D' || len === 'DD') i += len.length;
    const conv = f[i];
    if (conv === undefined) throw new AgentPrintfError('incomplete format specifier at end of format string');
    i++;
    const text = f.slice(start, i);
    const has = (ch: string): boolean => flags.includes(ch);
    const bad = (cond: boolean): void => {
      if (cond) throw new AgentPrintfError(`inappropriate modifiers to format specifier '${conv}' in '${text}'`);
    };
    const l = len === 'l' ? 1 : len === 'll' ? 2 : 0;
    switch (conv) {
      case 'u': case 'o': case 'x': case 'X':
        bad((conv === 'u' && has('#')) || has(' ') || has('+') || len === 'L');
        break;
      case 'd': case 'i': bad(len === 'L'); break;
      case 'c': bad(l > 1 || len === 'h' || len === 'L' || prec !== undefined || has('0') || has(' ') || has('+')); break;
      case 'p': bad(l > 0 || len === 'h' || len === 'L' || prec !== undefined || has('#') || has('0') || has(' ') || has('+')); break;
      case 's': bad(l > 1 || len === 'h' || len === 'L' || has('0') || has(' ') || has('+')); break;
      case 'e': case 'f': case 'g': case 'E': case 'G':
        bad(l > 0 || len === 'h');
        throw new AgentPrintfError(`floating-point directive '${text}' is not supported in agent printf`);
      case '*': throw new AgentPrintfError("'*' is not supported for precision or width in printf");
      case 'n': throw new AgentPrintfError("format specifier 'n' is not supported in printf");
      default: throw new AgentPrintfError(`unrecognized format specifier '${conv}' in printf`);
    }
    if (lit) pieces.push(lit);
    lit = '';
    pieces.push({
      flags, width: w === '' ? 0 : Number(w), prec, bits: l > 0 || len === 'z' ? 64 : len === 'h' ? 16 : 32,
      wide: l === 1 && (conv === 'c' || conv === 's'), conv, text,
    });
  }
  if (lit) pieces.push(lit);
  return pieces;
}

/** Pads to the directive's width: left-justified with `-`, else spaces before. */
function pad(d: Directive, body: string): string {
  if (body.length >= d.width) return body;
  const fill = ' '.repeat(d.width - body.length);
  return d.flags.includes('-') ? body + fill : fill + body;
}

/** C's %d %i %u %o %x %X of a value of d.bits bits. */
function formatInteger(d: Directive, v: bigint): string {
  const signed = d.conv === 'd' || d.conv === 'i';
  const n = signed ? BigInt.asIntN(d.bits, v) : BigInt.asUintN(d.bits, v);
  const neg = n < 0n;
  const base = d.conv === 'o' ? 8 : d.conv === 'x' || d.conv === 'X' ? 16 : 10;
  let digits = (neg ? -n : n).toString(base);
  if (d.conv === 'X') digits = digits.toUpperCase();
  if (d.prec !== undefined) digits = d.prec === 0 && n === 0n ? '' : digits.padStart(d.prec, '0');
  let prefix = neg ? '-' : signed && d.flags.includes('+') ? '+' : signed && d.flags.includes(' ') ? ' ' : '';
  if (d.flags.includes('#')) {
    if (d.conv === 'o' && !digits.startsWith('0')) digits = '0' + digits;
    if ((d.conv === 'x' || d.conv === 'X') && n !== 0n) prefix += d.conv === 'x' ? '0x' : '0X';
  }
  // `0` pads with zeros after the sign and 0x, unless left-justified or with a precision.
  if (d.flags.includes('0') && !d.flags.includes('-') && d.prec === undefined) {
    digits = digits.padStart(d.width - prefix.length, '0');
  }
  return pad(d, prefix + digits);
}

/**
 * The text gdb's dprintf asks for: format (the bytecode's, without its NUL) with args in
 * format order; `%s` strings read from mem. Returns the bytes to print. Throws
 * AgentPrintfError for a bad format, a wrong argument count or an unreadable string.
 */
export function formatAgentPrintf(format: Buffer, args: readonly bigint[], mem: TaskMemory): Buffer {
  const pieces = parseAgentFormat(format.toString('latin1'));
  const wanted = pieces.filter((p) => typeof p !== 'string').length;
  if (wanted !== args.length) {
    throw new AgentPrintfError(`wrong number of arguments for the format string (${wanted} wanted, ${args.length} given)`);
  }
  let out = '';
  let a = 0;
  for (const p of pieces) {
    if (typeof p === 'string') {
      out += p;
      continue;
    }
    const v = args[a++]!;
    if (p.wide) throw new AgentPrintfError(`wide-character directive '${p.text}' is not supported in agent printf`);
    switch (p.conv) {
      case 'c':
        out += pad(p, String.fromCharCode(Number(v & 0xffn)));
        break;
      case 's': {
        // A null pointer prints as "(null)", subject to the precision like any string.
        let s: string;
        if (v === 0n) {
          s = '(null)';
        } else {
          const b = readCStringBytes(mem, v, p.prec ?? MAX_PRINTF_STRING);
          if (b === undefined) throw new AgentPrintfError(`cannot read the string for '${p.text}' at 0x${v.toString(16)}`);
          s = b.toString('latin1');
        }
        out += pad(p, p.prec === undefined ? s : s.slice(0, p.prec));
        break;
      }
      case 'p':
        out += pad(p, v === 0n ? '(nil)' : `0x${v.toString(16)}`);
        break;
      default:
        out += formatInteger(p, v);
    }
  }
  return Buffer.from(out, 'latin1');
}
