/**
 * bpf(2): the command, and for BPF_PROG_LOAD the program-load member of union bpf_attr
 * (include/uapi/linux/bpf.h). Other commands show their attr as an address for now.
 */
import { Ctx, RV, RVAL_DECODED, U32, type Decoder } from '../printer.js';
import { addr, field, hexStr, num, sym, struct, type Field, type Value } from '../value.js';
import { bpf_attach_type, bpf_commands, bpf_prog_flags, bpf_prog_types } from '../xlat/tables.gen.js';
import { extTail, ifindexValue } from './common.js';

const PROG_LOAD = 5n;
/** Commands whose result is a new file descriptor. */
const FD_COMMANDS = new Set([0n, 5n, 7n, 13n, 14n, 17n, 18n, 19n, 28n, 30n, 32n, 33n]);
/** The part of the program-load attr this decoder knows (up to fd_array). */
const PROG_LOAD_SIZE = 128;

/** KERNEL_VERSION(a, b, c) of a kern_version word. */
function kernelVersion(c: Ctx, v: number): Value {
  const text = `KERNEL_VERSION(${v >>> 16}, ${(v >>> 8) & 0xff}, ${v & 0xff})`;
  const n = hexStr(BigInt(v));
  return sym(c.o.xlat === 'raw' ? n : c.o.xlat === 'verbose' ? `${n} /* ${text} */` : text);
}

/** Fields of a prog-load attr: each shown only when the size the caller gave covers it. */
function progLoad(c: Ctx, ad: bigint, size: bigint): Value {
  const len = size < BigInt(PROG_LOAD_SIZE) ? Number(size) : PROG_LOAD_SIZE;
  const b = c.fetch(ad, len);
  if (!b) return addr(ad);
  const u32 = (o: number): number => b.readUInt32LE(o);
  const u64 = (o: number): bigint => b.readBigUInt64LE(o);
  const fields: [number, string, () => Value][] = [
    [4, 'prog_type', () => c.xval(BigInt(u32(0)), bpf_prog_types, 'BPF_PROG_TYPE_???')],
    [8, 'insn_cnt', () => num(u32(4))],
    [16, 'insns', () => addr(u64(8))],
    [24, 'license', () => c.cstr(u64(16))],
    [28, 'log_level', () => num(u32(24))],
    [32, 'log_size', () => num(u32(28))],
    [40, 'log_buf', () => addr(u64(32))],
    [44, 'kern_version', () => kernelVersion(c, u32(40))],
    [48, 'prog_flags', () => c.flags(BigInt(u32(44)), bpf_prog_flags, 'BPF_F_???')],
    [64, 'prog_name', () => c.bufz(b.subarray(48, 64))],
    [68, 'prog_ifindex', () => ifindexValue(c, u32(64))],
    [72, 'expected_attach_type', () => c.xval(BigInt(u32(68)), bpf_attach_type, 'BPF_???')],
    [76, 'prog_btf_fd', () => c.fd(BigInt(b.readInt32LE(72)))],
    [80, 'func_info_rec_size', () => num(u32(76))],
    [88, 'func_info', () => addr(u64(80))],
    [92, 'func_info_cnt', () => num(u32(88))],
    [96, 'line_info_rec_size', () => num(u32(92))],
    [104, 'line_info', () => addr(u64(96))],
    [108, 'line_info_cnt', () => num(u32(104))],
    [112, 'attach_btf_id', () => num(u32(108))],
    [116, 'attach_prog_fd', () => c.fd(BigInt(b.readInt32LE(112)))],
    [128, 'fd_array', () => addr(u64(120))],
  ];
  const f: Field[] = [];
  for (const [end, name, v] of fields) {
    if (end > len) break;
    f.push(field(name, v()));
  }
  const tail = extTail(c, ad, PROG_LOAD_SIZE, size);
  if (tail) f.push(tail);
  return struct(f);
}

export const bpfDecoders: Record<string, Decoder> = {
  bpf: (c) => {
    const cmd = U32(c.a[0]);
    const size = U32(c.a[2]);
    const attr = cmd === PROG_LOAD && c.a[1] !== 0n ? progLoad(c, c.a[1], size) : addr(c.a[1]);
    c.push(c.xval(cmd, bpf_commands, 'BPF_???'), attr, num(size));
    return RVAL_DECODED | (FD_COMMANDS.has(cmd) ? RV.FD : RV.DEC);
  },
};
