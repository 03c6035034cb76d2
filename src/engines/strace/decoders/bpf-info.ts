/**
 * eBPF instructions (struct bpf_insn) and what BPF_OBJ_GET_INFO_BY_FD fills in for a map or a
 * program (struct bpf_map_info, struct bpf_prog_info; include/uapi/linux/bpf.h), shown with -v.
 */
import * as fs from 'node:fs';
import { Ctx, xvalStr } from '../printer.js';
import { isoTime } from '../timefmt.js';
import { addr, chg, cmt, field, hex, hexstr, num, str, struct, sym, type Field, type Value } from '../value.js';
import {
  bpf_map_flags,
  bpf_map_types,
  bpf_prog_types,
  bpf_src,
  ebpf_class,
  ebpf_mode,
  ebpf_op_alu,
  ebpf_op_jmp,
  ebpf_regs,
  ebpf_size,
} from '../xlat/tables.gen.js';
import { ifindexValue } from './common.js';

/** An eBPF opcode as the OR of its parts: BPF_LD|BPF_DW|BPF_IMM, BPF_ALU64|BPF_K|BPF_MOV. */
function insnCode(c: Ctx, code: number): string {
  const x = (v: number, t: Parameters<typeof xvalStr>[1]): string => xvalStr(BigInt(v), t, undefined, c.o.xlat);
  const cls = code & 0x07;
  // Loads and stores (classes 0..3) carry a size and a mode; the others a source and an operation.
  if (cls < 4) return `${x(cls, ebpf_class)}|${x(code & 0x18, ebpf_size)}|${x(code & 0xe0, ebpf_mode)}`;
  const jump = cls === 5 || cls === 6;
  return `${x(cls, ebpf_class)}|${x(code & 0x08, bpf_src)}|${x(code & 0xf0, jump ? ebpf_op_jmp : ebpf_op_alu)}`;
}

/** struct bpf_insn. */
export function insnValue(c: Ctx, b: Buffer): Value {
  return struct([
    field('code', sym(insnCode(c, b[0]))),
    field('dst_reg', c.xval(BigInt(b[1] & 0xf), ebpf_regs, 'BPF_REG_???')),
    field('src_reg', c.xval(BigInt(b[1] >> 4), ebpf_regs, 'BPF_REG_???')),
    field('off', num(b.readInt16LE(2))),
    field('imm', hex(BigInt(b.readUInt32LE(4)))),
  ]);
}

export function insnArray(c: Ctx, ad: bigint, count: bigint): Value {
  return c.array(ad, count, 8, (e) => insnValue(c, e));
}

/** A char array that may lack its NUL: up to the NUL, else all but the last byte and `...`. */
export function charArray(c: Ctx, b: Buffer): Value {
  const z = b.indexOf(0);
  if (z >= 0) return c.bufz(b.subarray(0, z + 1));
  return str(b.subarray(0, Math.min(Math.max(b.length - 1, 0), c.o.strsize)), true);
}

/** Which object a bpf descriptor is, from its /proc link (anon_inode:bpf-map, bpf-prog). */
export function bpfFdKind(pid: number, fd: number): 'map' | 'prog' | undefined {
  try {
    const l = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    return l === 'anon_inode:bpf-map' ? 'map' : l === 'anon_inode:bpf-prog' ? 'prog' : undefined;
  } catch {
    return undefined;
  }
}

/** The bytes of bpf_map_info / bpf_prog_info strace 6.1 shows (up to btf_value_type_id, verified_insns). */
export const INFO_KNOWN = { map: 80, prog: 220 } as const;

/** Wall-clock nanoseconds at boot: load_time counts from there. */
function bootNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
}

type Reader = {
  u32: (o: number) => number;
  u64: (o: number) => bigint;
  b: Buffer;
};
const reader = (b: Buffer): Reader => ({ b, u32: (o) => b.readUInt32LE(o), u64: (o) => b.readBigUInt64LE(o) });

function mapInfo(c: Ctx, r: Reader, len: number): Value {
  const fields: [number, string, () => Value][] = [
    [4, 'type', () => c.xval(BigInt(r.u32(0)), bpf_map_types, 'BPF_MAP_TYPE_???')],
    [8, 'id', () => num(r.u32(4))],
    [12, 'key_size', () => num(r.u32(8))],
    [16, 'value_size', () => num(r.u32(12))],
    [20, 'max_entries', () => num(r.u32(16))],
    [24, 'map_flags', () => c.flags(BigInt(r.u32(20)), bpf_map_flags, 'BPF_F_???')],
    [40, 'name', () => charArray(c, r.b.subarray(24, 40))],
    [44, 'ifindex', () => ifindexValue(c, r.u32(40))],
    [48, 'btf_vmlinux_value_type_id', () => num(r.u32(44))],
    [56, 'netns_dev', () => Ctx.makedev(r.u64(48))],
    [64, 'netns_ino', () => num(r.u64(56))],
    [68, 'btf_id', () => num(r.u32(64))],
    [72, 'btf_key_type_id', () => num(r.u32(68))],
    [76, 'btf_value_type_id', () => num(r.u32(72))],
  ];
  return struct(fields.filter(([end]) => end <= len).map(([, k, v]) => field(k, v())));
}

/**
 * bpf_prog_info: `inR` as the caller passed it, `outR` as the kernel filled it (undefined after a
 * failure). Lengths and counts the caller sets show "before => after"; arrays hold the smaller count.
 */
function progInfo(c: Ctx, inR: Reader, outR: Reader | undefined, len: number): Value {
  const r = outR ?? inR;
  const io = (o: number): Value => {
    const a = inR.u32(o);
    const b = r.u32(o);
    return a === b ? num(b) : chg(num(a), num(b));
  };
  const n = (o: number): bigint => BigInt(Math.min(inR.u32(o), r.u32(o)));
  const out = (ad: bigint, show: () => Value): Value => (ad === 0n ? addr(0n) : outR ? show() : addr(ad));
  const loadTime = (): Value => {
    const t = r.u64(40);
    const iso = t ? isoTime((bootNs() + t) / 1_000_000_000n) : undefined;
    return iso ? cmt(num(t), iso) : num(t);
  };
  const fields: [number, string, () => Value][] = [
    [4, 'type', () => c.xval(BigInt(r.u32(0)), bpf_prog_types, 'BPF_PROG_TYPE_???')],
    [8, 'id', () => num(r.u32(4))],
    [16, 'tag', () => hexstr(r.b.subarray(8, 16))],
    [20, 'jited_prog_len', () => io(16)],
    [32, 'jited_prog_insns', () => addr(r.u64(24))],
    [24, 'xlated_prog_len', () => io(20)],
    [40, 'xlated_prog_insns', () => out(r.u64(32), () => insnArray(c, r.u64(32), n(20) / 8n))],
    [48, 'load_time', loadTime],
    [52, 'created_by_uid', () => num(r.u32(48))],
    [56, 'nr_map_ids', () => io(52)],
    [64, 'map_ids', () => out(r.u64(56), () => c.array(r.u64(56), n(52), 4, (e) => num(e.readUInt32LE(0))))],
    [80, 'name', () => charArray(c, r.b.subarray(64, 80))],
    [84, 'ifindex', () => ifindexValue(c, r.u32(80))],
    [88, 'gpl_compatible', () => num(r.u32(84) & 1)],
    [96, 'netns_dev', () => Ctx.makedev(r.u64(88))],
    [104, 'netns_ino', () => num(r.u64(96))],
    [108, 'nr_jited_ksyms', () => io(104)],
    [112, 'nr_jited_func_lens', () => io(108)],
    [120, 'jited_ksyms', () => addr(r.u64(112))],
    [128, 'jited_func_lens', () => addr(r.u64(120))],
    [132, 'btf_id', () => num(r.u32(128))],
    [136, 'func_info_rec_size', () => io(132)],
    [144, 'func_info', () => addr(r.u64(136))],
    [148, 'nr_func_info', () => io(144)],
    [152, 'nr_line_info', () => io(148)],
    [160, 'line_info', () => addr(r.u64(152))],
    [168, 'jited_line_info', () => addr(r.u64(160))],
    [172, 'nr_jited_line_info', () => io(168)],
    [176, 'line_info_rec_size', () => io(172)],
    [180, 'jited_line_info_rec_size', () => io(176)],
    [184, 'nr_prog_tags', () => io(180)],
    [192, 'prog_tags', () => addr(r.u64(184))],
    [200, 'run_time_ns', () => num(r.u64(192))],
    [208, 'run_cnt', () => num(r.u64(200))],
    [216, 'recursion_misses', () => num(r.u64(208))],
    [220, 'verified_insns', () => num(r.u32(216))],
  ];
  const f: Field[] = [];
  for (const [end, k, v] of fields) if (end <= len) f.push(field(k, v()));
  return struct(f);
}

/** The info buffer shown: `before` read at entry, `after` at exit (undefined after a failure). */
export function infoValue(c: Ctx, kind: 'map' | 'prog', before: Buffer, after: Buffer | undefined, len: number): Value {
  if (kind === 'map') return mapInfo(c, reader(after ?? before), len);
  return progInfo(c, reader(before), after ? reader(after) : undefined, len);
}

