/**
 * perf_event file descriptors (include/uapi/linux/perf_event.h), type byte '$': the
 * PERF_EVENT_IOC_* requests. MODIFY_ATTRIBUTES' struct perf_event_attr prints through its flag
 * bits; the fields after them (wakeup, breakpoint, branch and register masks, ...) are `...`.
 */
import { Ctx, I32, RVAL_DECODED, U32 } from '../printer.js';
import { addr, cmt, field, hexStr, num, struct, sym, type Field, type Value } from '../value.js';
import { perf_attr_size, perf_event_read_format, perf_event_sample_format, perf_ioctl_flags, perf_type_id } from '../xlat/tables.gen.js';
import { ioc, registerIoctlFamily } from './ioctl.js';

type Handler = (c: Ctx, arg: bigint) => number;

/** ENABLE, DISABLE, RESET: PERF_IOC_FLAG_GROUP or 0, an unsigned int by value. */
const groupFlag: Handler = (c, arg) => {
  c.push(c.flags(U32(arg), perf_ioctl_flags, 'PERF_IOC_FLAG_???'));
  return RVAL_DECODED;
};
/** An int by value (a count, a descriptor). */
const int: Handler = (c, arg) => {
  c.push(num(I32(arg)));
  return RVAL_DECODED;
};
/** A __u64 the caller sends: [N]. */
const u64In: Handler = (c, arg) => {
  c.push(c.u64Ptr(arg));
  return RVAL_DECODED;
};
/** A __u64 the kernel fills: [N] at exit (the address when the call failed). */
const u64Out: Handler = (c, arg) => {
  if (!c.entering) c.push(c.u64Ptr(arg));
  return 0;
};

/**
 * struct perf_event_query_bpf { __u32 ids_len, prog_cnt; __u32 ids[]; }: the room the caller
 * gives, then at exit the number of programs and their ids (as many as fit in the room).
 */
const queryBpf: Handler = (c, arg) => {
  if (c.entering) {
    const b = arg === 0n ? undefined : c.fetch(arg, 4);
    if (!b) {
      c.push(addr(arg));
      return RVAL_DECODED;
    }
    c.priv = b.readUInt32LE(0);
    return 0;
  }
  const idsLen = c.priv as number;
  const b = c.fetch(arg, 8);
  if (!b) {
    c.push(struct([field('ids_len', num(idsLen))], true));
    return 0;
  }
  const cnt = b.readUInt32LE(4);
  const ids: Value = c.array(arg + 8n, BigInt(Math.min(cnt, idsLen)), 4, (e) => num(e.readUInt32LE(0)));
  c.push(struct([field('ids_len', num(idsLen)), field('prog_cnt', num(cnt)), field('ids', ids)]));
  return 0;
};

/** The one-bit fields of perf_event_attr's flags word, bit by bit (precise_ip, 2 bits, at 15). */
const ATTR_BITS: readonly (string | undefined)[] = [
  'disabled', 'inherit', 'pinned', 'exclusive', 'exclude_user', 'exclude_kernel', 'exclude_hv', 'exclude_idle',
  'mmap', 'comm', 'freq', 'inherit_stat', 'enable_on_exec', 'task', 'watermark', undefined,
  undefined, 'mmap_data', 'sample_id_all', 'exclude_host', 'exclude_guest', 'exclude_callchain_kernel', 'exclude_callchain_user', 'mmap2',
  'comm_exec', 'use_clockid', 'context_switch', 'write_backward', 'namespaces', 'ksymbol', 'bpf_event', 'aux_output',
  'cgroup', 'text_poke', 'build_id', 'inherit_thread', 'remove_on_exec', 'sigtrap',
];
/** precise_ip values, as the header's comment explains them. */
const SKID = ['arbitrary skid', 'constant skid', 'requested to have 0 skid', 'must have 0 skid'];
const FLAGS_END = 48;

/**
 * struct perf_event_attr { __u32 type, size; __u64 config; union { sample_period, sample_freq };
 * __u64 sample_type, read_format; __u64 flag bits (40); ... }: the set bits by name.
 */
export function perfAttr(c: Ctx, b: Buffer): Value {
  const flags = b.readBigUInt64LE(40);
  const f: Field[] = [
    field('type', c.xval(BigInt(b.readUInt32LE(0)), perf_type_id, 'PERF_TYPE_???')),
    field('size', c.xval(BigInt(b.readUInt32LE(4)), perf_attr_size, 'PERF_ATTR_SIZE_???')),
    field('config', sym(hexStr(b.readBigUInt64LE(8)))),
    field((flags >> 10n) & 1n ? 'sample_freq' : 'sample_period', num(b.readBigUInt64LE(16))),
    field('sample_type', c.flags(b.readBigUInt64LE(24), perf_event_sample_format, 'PERF_SAMPLE_???')),
    field('read_format', c.flags(b.readBigUInt64LE(32), perf_event_read_format, 'PERF_FORMAT_???')),
  ];
  ATTR_BITS.forEach((name, bit) => {
    if (name && (flags >> BigInt(bit)) & 1n) f.push(field(name, num(1)));
    if (bit === 15) {
      const skid = Number((flags >> 15n) & 3n);
      if (skid) f.push(field('precise_ip', cmt(num(skid), SKID[skid]!)));
    }
  });
  const reserved = flags >> 38n;
  if (reserved) f.push(field('__reserved_1', cmt(sym(hexStr(reserved)), 'Bits 63..38')));
  return struct(f, true);
}

let table: Map<number, Handler> | undefined;
function handlers(): Map<number, Handler> {
  return (table ??= new Map<number, Handler>([
    [ioc('PERF_EVENT_IOC_ENABLE'), groupFlag],
    [ioc('PERF_EVENT_IOC_DISABLE'), groupFlag],
    [ioc('PERF_EVENT_IOC_RESET'), groupFlag],
    [ioc('PERF_EVENT_IOC_REFRESH'), int],
    [ioc('PERF_EVENT_IOC_PERIOD'), u64In],
    [ioc('PERF_EVENT_IOC_SET_OUTPUT'), int],
    [
      ioc('PERF_EVENT_IOC_SET_FILTER'),
      (c, arg) => {
        c.push(c.cstr(arg));
        return RVAL_DECODED;
      },
    ],
    [ioc('PERF_EVENT_IOC_ID'), u64Out],
    [ioc('PERF_EVENT_IOC_SET_BPF'), int],
    [
      // an unsigned long by value (pause when not 0)
      ioc('PERF_EVENT_IOC_PAUSE_OUTPUT'),
      (c, arg) => {
        c.push(num(arg));
        return RVAL_DECODED;
      },
    ],
    [ioc('PERF_EVENT_IOC_QUERY_BPF'), queryBpf],
    [
      ioc('PERF_EVENT_IOC_MODIFY_ATTRIBUTES'),
      (c, arg) => {
        const b = arg ? c.fetch(arg, FLAGS_END) : undefined;
        c.push(b ? perfAttr(c, b) : addr(arg));
        return RVAL_DECODED;
      },
    ],
  ]));
}

registerIoctlFamily([0x24], (c, code, arg) => handlers().get(code)?.(c, arg));
