/**
 * perf_event_open(2) and its struct perf_event_attr (include/uapi/linux/perf_event.h).
 *
 * The attr is read at entry (up to the caller's size, at most the 128 bytes of
 * PERF_ATTR_SIZE_VER7; without -v only the part before wakeup_events) and printed at exit,
 * because on E2BIG the kernel writes the size it supports back into attr.size.
 */
import { Ctx, RV, xvalStr, type Decoder } from '../printer.js';
import { addr, chg, cmt, field, hex, num, struct, sym, type Field, type Value } from '../value.js';
import {
  clocknames,
  hw_breakpoint_type,
  perf_attr_size,
  perf_branch_sample_type,
  perf_event_open_flags,
  perf_event_read_format,
  perf_event_sample_format,
  perf_hw_cache_id,
  perf_hw_cache_op_id,
  perf_hw_cache_op_result_id,
  perf_hw_id,
  perf_sw_ids,
  perf_type_id,
} from '../xlat/tables.gen.js';

const TYPE = { HARDWARE: 0, SOFTWARE: 1, TRACEPOINT: 2, HW_CACHE: 3, BREAKPOINT: 5 } as const;
const SIZE_VER0 = 64;
/** The whole attr strace 6.1 knows (PERF_ATTR_SIZE_VER7). */
const KNOWN = 128;
/** Without -v: the part up to wakeup_events. */
const ABBREV = 48;
const SAMPLE_BRANCH_STACK = 1n << 11n;
const SAMPLE_STACK_USER = 1n << 13n;
const HW_BREAKPOINT_INVALID = 7;

/** The single-bit flags of the u64 at offset 40, by bit; precise_ip (bits 15..16) apart. */
const FLAG_BITS: readonly (readonly [string, number])[] = [
  ['disabled', 0], ['inherit', 1], ['pinned', 2], ['exclusive', 3], ['exclude_user', 4],
  ['exclude_kernel', 5], ['exclude_hv', 6], ['exclude_idle', 7], ['mmap', 8], ['comm', 9],
  ['freq', 10], ['inherit_stat', 11], ['enable_on_exec', 12], ['task', 13], ['watermark', 14],
];
const FLAG_BITS2: readonly (readonly [string, number])[] = [
  ['mmap_data', 17], ['sample_id_all', 18], ['exclude_host', 19], ['exclude_guest', 20],
  ['exclude_callchain_kernel', 21], ['exclude_callchain_user', 22], ['mmap2', 23],
  ['comm_exec', 24], ['use_clockid', 25], ['context_switch', 26], ['write_backward', 27],
  ['namespaces', 28], ['ksymbol', 29], ['bpf_event', 30], ['aux_output', 31], ['cgroup', 32],
  ['text_poke', 33], ['build_id', 34], ['inherit_thread', 35], ['remove_on_exec', 36],
  ['sigtrap', 37],
];
const PRECISE_IP = ['arbitrary skid', 'constant skid', 'requested to have 0 skid', 'must have 0 skid'];

/** `rest<<shift|` prefixes then the named low part, as strace spells a split config. */
function hwCacheConfig(c: Ctx, v: bigint): string {
  const x = (n: bigint, t: Parameters<typeof xvalStr>[1], d: string): string => xvalStr(n, t, d, c.o.xlat);
  let s = '';
  if (v >> 32n) s += `0x${(v >> 32n).toString(16)}<<32|`;
  if ((v >> 24n) & 0xffn) s += `0x${((v >> 24n) & 0xffn).toString(16)}<<24|`;
  return `${s}${x((v >> 16n) & 0xffn, perf_hw_cache_op_result_id, 'PERF_COUNT_HW_CACHE_RESULT_???')}<<16|${x((v >> 8n) & 0xffn, perf_hw_cache_op_id, 'PERF_COUNT_HW_CACHE_OP_???')}<<8|${x(v & 0xffn, perf_hw_cache_id, 'PERF_COUNT_HW_CACHE_???')}`;
}

function configValue(c: Ctx, type: number, v: bigint): Value {
  if (c.o.xlat === 'raw' && type !== TYPE.TRACEPOINT) return hex(v);
  switch (type) {
    case TYPE.HARDWARE: {
      const low = xvalStr(v & 0xffffffffn, perf_hw_id, 'PERF_COUNT_HW_???', c.o.xlat);
      return sym(v >> 32n ? `0x${(v >> 32n).toString(16)}<<32|${low}` : low);
    }
    case TYPE.SOFTWARE:
      return c.xval(v, perf_sw_ids, 'PERF_COUNT_SW_???');
    case TYPE.TRACEPOINT:
      return num(v);
    case TYPE.HW_CACHE:
      return sym(hwCacheConfig(c, v));
    default:
      return hex(v);
  }
}

function bpType(c: Ctx, v: number): Value {
  const name = hw_breakpoint_type.lookup(BigInt(v));
  const n = hex(BigInt(v));
  if (c.o.xlat === 'raw') return n;
  if (name !== undefined) return c.o.xlat === 'verbose' ? cmt(n, name) : sym(name);
  // R, W and X together in a combination the kernel refuses
  return cmt(n, v <= HW_BREAKPOINT_INVALID ? 'HW_BREAKPOINT_INVALID' : 'HW_BREAKPOINT_???');
}

interface PerfPriv {
  /** The attr as read at entry, zero-padded to KNOWN bytes; undefined: shown as an address. */
  b?: Buffer;
  /** attr.size as the caller gave it. */
  size: number;
}

/** The fields of an attr read at entry; `now` is attr.size at exit. */
function attrValue(c: Ctx, p: Required<PerfPriv>, now: number): Value {
  const { b } = p;
  const u32 = (o: number): number => b.readUInt32LE(o);
  const u64 = (o: number): bigint => b.readBigUInt64LE(o);
  const type = u32(0);
  const sz = (v: number): Value => c.xval(BigInt(v), perf_attr_size, 'PERF_ATTR_SIZE_???');
  const flags = u64(40);
  const bit = (n: number): bigint => (flags >> BigInt(n)) & 1n;
  const f: Field[] = [
    field('type', c.xval(BigInt(type), perf_type_id, 'PERF_TYPE_???')),
    field('size', now !== p.size ? chg(sz(p.size), sz(now)) : sz(p.size)),
    field('config', configValue(c, type, u64(8))),
    field(bit(10) ? 'sample_freq' : 'sample_period', num(u64(16))),
    field('sample_type', c.flags(u64(24), perf_event_sample_format, 'PERF_SAMPLE_???')),
    field('read_format', c.flags(u64(32), perf_event_read_format, 'PERF_FORMAT_???')),
  ];
  // Without -v only the flags that are set.
  const flag = (name: string, n: number): void => {
    if (c.o.verbose || bit(n)) f.push(field(name, num(bit(n))));
  };
  for (const [name, n] of FLAG_BITS) flag(name, n);
  const precise = Number((flags >> 15n) & 3n);
  f.push(field('precise_ip', cmt(num(precise), PRECISE_IP[precise])));
  for (const [name, n] of FLAG_BITS2) flag(name, n);
  const reserved1 = flags >> 38n;
  if (reserved1) f.push(field('__reserved_1', cmt(hex(reserved1), 'Bits 63..38')));
  if (!c.o.verbose) return struct(f, true);

  // The caller's size (0 means the first version) decides how far the fields go.
  const size = p.size === 0 ? SIZE_VER0 : p.size;
  const sampleType = u64(24);
  const bp = type === TYPE.BREAKPOINT;
  f.push(field(bit(14) ? 'wakeup_watermark' : 'wakeup_events', num(u32(48))));
  if (bp) f.push(field('bp_type', bpType(c, u32(52))));
  f.push(field(bp ? 'bp_addr' : 'config1', hex(u64(56))));
  const steps: [number, () => void][] = [
    [64, () => f.push(bp ? field('bp_len', num(u64(64))) : field('config2', hex(u64(64))))],
    [72, () => { if (sampleType & SAMPLE_BRANCH_STACK) f.push(field('branch_sample_type', c.flags(u64(72), perf_branch_sample_type, 'PERF_SAMPLE_BRANCH_???'))); }],
    [80, () => f.push(field('sample_regs_user', hex(u64(80))))],
    [88, () => { if (sampleType & SAMPLE_STACK_USER) f.push(field('sample_stack_user', hex(BigInt(u32(88))))); }],
    [92, () => { if (bit(25)) f.push(field('clockid', c.xval(BigInt(u32(92)), clocknames, 'CLOCK_???'))); }],
    [96, () => f.push(field('sample_regs_intr', hex(u64(96))))],
    [104, () => f.push(field('aux_watermark', num(u32(104))))],
    [108, () => f.push(field('sample_max_stack', num(b.readUInt16LE(108))))],
    [110, () => reservedComment(f, 'bytes 110..111', BigInt(b.readUInt16LE(110)))],
    [112, () => f.push(field('aux_sample_size', num(u32(112))))],
    [116, () => reservedComment(f, 'bytes 116..119', BigInt(u32(116)))],
    [120, () => f.push(field('sig_data', hex(u64(120))))],
  ];
  // Each step needs the size to pass its offset; what lies past the last step shown is `...`.
  let cutoff = SIZE_VER0;
  for (let i = 0; i < steps.length && size > steps[i][0]; i++) {
    steps[i][1]();
    cutoff = i + 1 < steps.length ? steps[i + 1][0] : KNOWN;
  }
  return struct(f, size > cutoff);
}

/** A reserved part shown as a comment on the field before it, when non-zero. */
function reservedComment(f: Field[], what: string, v: bigint): void {
  if (!v) return;
  const last = f[f.length - 1];
  f[f.length - 1] = field(last.k, cmt(last.v, `${what}: 0x${v.toString(16)}`));
}

function readAttr(c: Ctx, ad: bigint): PerfPriv {
  const lenAt = c.fetchAlways(ad + 4n, 4);
  const size = lenAt ? lenAt.readUInt32LE(0) : 0;
  const want = c.o.verbose ? (size === 0 ? SIZE_VER0 : Math.min(size, KNOWN)) : ABBREV;
  const raw = c.fetchAlways(ad, want);
  if (!raw || (size !== 0 && size < SIZE_VER0)) return { size };
  const b = Buffer.alloc(KNOWN);
  raw.copy(b);
  return { b, size };
}

export const perfDecoders: Record<string, Decoder> = {
  perf_event_open: (c) => {
    const ad = c.a[0];
    if (c.entering) {
      c.priv = ad === 0n || c.o.notVerbose ? { size: 0 } : readAttr(c, ad);
      return 0;
    }
    const p = c.priv as PerfPriv;
    let attr: Value = addr(ad);
    if (p.b) {
      const now = c.fetchAlways(ad + 4n, 4);
      attr = attrValue(c, p as Required<PerfPriv>, now ? now.readUInt32LE(0) : p.size);
    }
    c.push(attr, c.int(1), c.int(2), c.fd(c.a[3]), c.flags(c.a[4], perf_event_open_flags, 'PERF_FLAG_???'));
    return RV.FD;
  },
};
