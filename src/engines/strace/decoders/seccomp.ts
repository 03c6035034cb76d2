/**
 * seccomp(2) and classic BPF programs (struct sock_fprog of linux/filter.h), shared with
 * prctl(PR_SET_SECCOMP) and SO_ATTACH_FILTER: instructions print as the BPF_STMT/BPF_JUMP macros
 * that would build them, return values of seccomp filters as SECCOMP_RET_* actions.
 */
import { Ctx, RVAL_DECODED, U32, xvalStr, type Decoder, type XlatStyle } from '../printer.js';
import { addr, arr, call, field, hexStr, num, struct, sym, type Value } from '../value.js';
import {
  skf_ad,
  bpf_class,
  bpf_miscop,
  bpf_mode,
  bpf_op_alu,
  bpf_op_jmp,
  bpf_rval,
  bpf_size,
  bpf_src,
  seccomp_filter_flags,
  seccomp_ops,
  seccomp_ret_action,
} from '../xlat/tables.gen.js';

const BPF_LD = 0, BPF_LDX = 1, BPF_ALU = 4, BPF_JMP = 5, BPF_RET = 6, BPF_MISC = 7;
const BPF_JA = 0;
const BPF_K = 0;
const SECCOMP_RET_ACTION_FULL = 0xffff0000n;
const SECCOMP_RET_DATA = 0xffffn;

const name = (x: typeof bpf_class, v: number, style: XlatStyle): string => xvalStr(BigInt(v), x, undefined, style);

/** The opcode as the OR of its parts: BPF_LD|BPF_W|BPF_ABS. */
function bpfCodeText(code: number, style: XlatStyle): string {
  const cls = code & 0x07;
  const parts = [name(bpf_class, cls, style)];
  let used = 0x07;
  switch (cls) {
    case BPF_LD:
    case BPF_LDX:
      parts.push(name(bpf_size, code & 0x18, style), name(bpf_mode, code & 0xe0, style));
      used |= 0x18 | 0xe0;
      break;
    case BPF_ALU:
      parts.push(name(bpf_src, code & 0x08, style), name(bpf_op_alu, code & 0xf0, style));
      used |= 0x08 | 0xf0;
      break;
    case BPF_JMP:
      parts.push(name(bpf_src, code & 0x08, style), name(bpf_op_jmp, code & 0xf0, style));
      used |= 0x08 | 0xf0;
      break;
    case BPF_RET:
      parts.push(name(bpf_rval, code & 0x18, style));
      used |= 0x18;
      break;
    case BPF_MISC:
      parts.push(name(bpf_miscop, code & 0xf8, style));
      used |= 0xf8;
      break;
  }
  const rest = code & ~used & 0xffff;
  if (rest) parts.push(hexStr(BigInt(rest)));
  return parts.join('|');
}

/** k of a seccomp filter's BPF_RET|BPF_K: SECCOMP_RET_ERRNO|0x10. */
function seccompRetText(k: bigint): string {
  const act = k & SECCOMP_RET_ACTION_FULL;
  const n = seccomp_ret_action.lookup(act);
  if (n === undefined) return `${hexStr(k)} /* SECCOMP_RET_??? */`;
  const data = k & SECCOMP_RET_DATA;
  return data ? `${n}|${hexStr(data)}` : n;
}

// Socket filters load packet bytes at negative offsets relative to these bases (linux/filter.h).
const SKF_AD_OFF = 0xfffff000n;
const SKF_NET_OFF = 0xfff00000n;
const SKF_LL_OFF = 0xffe00000n;
const BPF_ABS = 0x20;

/** k of a socket filter's absolute load: SKF_AD_OFF+SKF_AD_PROTOCOL, SKF_NET_OFF+8, SKF_LL_OFF+4. */
function sockFilterK(code: number, k: bigint, style: XlatStyle): string | undefined {
  if ((code & 0x07) !== BPF_LD || (code & 0xe0) !== BPF_ABS) return undefined;
  const base = k >= SKF_AD_OFF ? SKF_AD_OFF : k >= SKF_NET_OFF ? SKF_NET_OFF : k >= SKF_LL_OFF ? SKF_LL_OFF : undefined;
  if (base === undefined) return undefined;
  const baseName = base === SKF_AD_OFF ? 'SKF_AD_OFF' : base === SKF_NET_OFF ? 'SKF_NET_OFF' : 'SKF_LL_OFF';
  const baseText = style === 'raw' ? hexStr(base) : style === 'verbose' ? `${hexStr(base)} /* ${baseName} */` : baseName;
  const off = k - base;
  const offText = base === SKF_AD_OFF ? xvalStr(off, skf_ad, 'SKF_AD_???', style) : off.toString();
  return `${baseText}+${offText}`;
}

/** One 8-byte struct sock_filter {u16 code; u8 jt, jf; u32 k}. */
export function bpfInsnValue(b: Buffer, seccomp: boolean, style: XlatStyle = 'abbrev'): Value {
  const code = b.readUInt16LE(0);
  const jt = b[2];
  const jf = b[3];
  const k = BigInt(b.readUInt32LE(4));
  const op = sym(bpfCodeText(code, style));
  if ((code & 0x07) === BPF_JMP && (code & 0xf0) !== BPF_JA) {
    return call('BPF_JUMP', op, sym(hexStr(k)), sym(hexStr(BigInt(jt))), sym(hexStr(BigInt(jf))));
  }
  const kv = seccomp && code === (BPF_RET | BPF_K) ? sym(seccompRetText(k)) : sym((!seccomp && sockFilterK(code, k, style)) || hexStr(k));
  return call('BPF_STMT', op, kv);
}

/** struct sock_fprog {u16 len; struct sock_filter *filter}: the instructions only with -v. */
export function sockFprogValue(c: Ctx, ad: bigint, seccomp: boolean): Value {
  const b = c.fetch(ad, 16);
  if (!b) return addr(ad);
  const len = b.readUInt16LE(0);
  const fp = b.readBigUInt64LE(8);
  const filter = c.abbrev ? addr(fp) : c.array(fp, BigInt(len), 8, (e) => bpfInsnValue(e, seccomp, c.o.xlat));
  return struct([field('len', num(len)), field('filter', filter)]);
}

export const seccompFilterValue = (c: Ctx, ad: bigint): Value => sockFprogValue(c, ad, true);

const SECCOMP_SET_MODE_FILTER = 1n;
const SECCOMP_GET_ACTION_AVAIL = 2n;
const SECCOMP_GET_NOTIF_SIZES = 3n;

const seccomp: Decoder = (c) => {
  const op = U32(c.a[0]);
  const flags = U32(c.a[1]);
  if (c.entering) {
    c.push(c.xval(op, seccomp_ops, 'SECCOMP_SET_MODE_???'));
    if (op === SECCOMP_SET_MODE_FILTER) {
      c.push(c.flags(flags, seccomp_filter_flags, 'SECCOMP_FILTER_FLAG_???'), seccompFilterValue(c, c.a[2]));
      return RVAL_DECODED;
    }
    c.push(sym(hexStr(flags)));
    if (op === SECCOMP_GET_ACTION_AVAIL) {
      const ad = c.a[2];
      const b = ad ? c.fetch(ad, 4) : undefined;
      c.push(b ? arr([sym(seccompRetText(BigInt(b.readUInt32LE(0))))]) : c.ptr(2));
      return RVAL_DECODED;
    }
    if (op === SECCOMP_GET_NOTIF_SIZES) return 0;
    c.push(c.ptr(2));
    return RVAL_DECODED;
  }
  const b = c.a[2] ? c.fetch(c.a[2], 6) : undefined;
  c.push(
    b
      ? struct([
          field('seccomp_notif', num(b.readUInt16LE(0))),
          field('seccomp_notif_resp', num(b.readUInt16LE(2))),
          field('seccomp_data', num(b.readUInt16LE(4))),
        ])
      : c.ptr(2),
  );
  return 0;
};

export const seccompDecoders: Record<string, Decoder> = { seccomp };
