/**
 * bpf(2): the command and its member of union bpf_attr (include/uapi/linux/bpf.h).
 *
 * The kernel reads `size` bytes of attr (at most a page) and treats missing bytes as zero, so
 * the decoder does the same: fields are shown in groups, a group only when the size reaches
 * into it, and bytes past the command's member are shown when non-zero (`...`, or with -v
 * their hex). Commands without a decoder here show the attr's address.
 */
import { Ctx, RV, RVAL_DECODED, U32, type Decoder } from '../printer.js';
import { quoteBytes } from '../quote.js';
import { addr, arr, chg, cmt, field, hex, hexStr, num, struct, sym, type Field, type Value } from '../value.js';
import {
  bpf_attach_flags,
  bpf_attach_type,
  bpf_commands,
  bpf_file_mode_flags,
  bpf_link_create_kprobe_multi_flags,
  bpf_map_flags,
  bpf_map_types,
  bpf_map_update_elem_flags,
  bpf_prog_flags,
  bpf_prog_types,
  bpf_query_flags,
  bpf_task_fd_type,
  bpf_test_run_flags,
} from '../xlat/tables.gen.js';
import { INFO_KNOWN, bpfFdKind, charArray, infoValue, insnArray } from './bpf-info.js';
import { ifindexValue } from './common.js';

const CMD = {
  MAP_CREATE: 0n, MAP_LOOKUP_ELEM: 1n, MAP_UPDATE_ELEM: 2n, MAP_DELETE_ELEM: 3n, MAP_GET_NEXT_KEY: 4n,
  PROG_LOAD: 5n, OBJ_PIN: 6n, OBJ_GET: 7n, PROG_ATTACH: 8n, PROG_DETACH: 9n, PROG_TEST_RUN: 10n,
  PROG_GET_NEXT_ID: 11n, MAP_GET_NEXT_ID: 12n, PROG_GET_FD_BY_ID: 13n, MAP_GET_FD_BY_ID: 14n,
  OBJ_GET_INFO_BY_FD: 15n, PROG_QUERY: 16n, RAW_TRACEPOINT_OPEN: 17n, BTF_LOAD: 18n,
  BTF_GET_FD_BY_ID: 19n, TASK_FD_QUERY: 20n, MAP_LOOKUP_AND_DELETE_ELEM: 21n, MAP_FREEZE: 22n,
  BTF_GET_NEXT_ID: 23n, MAP_LOOKUP_BATCH: 24n, MAP_LOOKUP_AND_DELETE_BATCH: 25n,
  MAP_UPDATE_BATCH: 26n, MAP_DELETE_BATCH: 27n, LINK_CREATE: 28n, LINK_UPDATE: 29n,
  LINK_GET_FD_BY_ID: 30n, LINK_GET_NEXT_ID: 31n,
} as const;
/** Commands whose result is a new file descriptor. */
const FD_COMMANDS = new Set([0n, 5n, 7n, 13n, 14n, 17n, 18n, 19n, 28n, 30n, 32n, 33n]);
/** The kernel refuses a bigger attr (E2BIG) without reading it. */
const PAGE_SIZE = 4096n;
const NUMA_NO_NODE = 0xffffffff;
/** The largest member decoded (BPF_PROG_LOAD's): attrs are zero-padded to it. */
const ATTR_KNOWN = 128;

/** One command's attr: its known bytes (zero-padded) and the size the caller gave. */
interface Attr {
  readonly b: Buffer;
  readonly size: number;
  readonly u32: (o: number) => number;
  readonly i32: (o: number) => number;
  readonly u64: (o: number) => bigint;
}

/**
 * A group of fields printed together: `from` is the offset the caller's size must pass for the
 * group to show (0: always shown); `when` skips it on the attr's content.
 */
interface Group {
  readonly from: number;
  readonly when?: (a: Attr) => boolean;
  readonly fields: readonly (readonly [string, (a: Attr) => Value])[];
}

interface Command {
  /** Bytes of the command's member of union bpf_attr (LINK_CREATE's depends on the attach type). */
  readonly end: number | ((a: Attr) => number);
  /** Output fields (prog_ids): the attr is read at entry and printed at exit. */
  readonly atExit?: boolean;
  readonly groups: (c: Ctx) => readonly Group[];
  /** The member is wrapped: {info={...}}. */
  readonly wrap?: string;
}

/** KERNEL_VERSION(a, b, c) of a kern_version word. */
function kernelVersion(c: Ctx, v: number): Value {
  const text = `KERNEL_VERSION(${v >>> 16}, ${(v >>> 8) & 0xff}, ${v & 0xff})`;
  const n = hexStr(BigInt(v));
  return sym(c.o.xlat === 'raw' ? n : c.o.xlat === 'verbose' ? `${n} /* ${text} */` : text);
}

const fdAt = (c: Ctx) => (o: number) => (a: Attr) => c.fd(BigInt(a.i32(o)));

const BPF_F_REPLACE = 4;

/** Commands on map elements: {map_fd, key, value or next_key, flags}. */
function elemCommands(): Record<string, Command> {
  const head = (c: Ctx, third?: string): Group['fields'] => [
    ['map_fd', fdAt(c)(0)],
    ['key', (a) => addr(a.u64(8))],
    ...(third ? [[third, (a: Attr) => addr(a.u64(16))] as const] : []),
  ];
  const flags = (c: Ctx) => (a: Attr): Value => c.xval(a.u64(24), bpf_map_update_elem_flags, 'BPF_???');
  const lookup: Command = { end: 32, groups: (c) => [{ from: 0, fields: head(c, 'value') }, { from: 24, fields: [['flags', flags(c)]] }] };
  return {
    [String(CMD.MAP_LOOKUP_ELEM)]: lookup,
    [String(CMD.MAP_LOOKUP_AND_DELETE_ELEM)]: lookup,
    [String(CMD.MAP_UPDATE_ELEM)]: { end: 32, groups: (c) => [{ from: 0, fields: [...head(c, 'value'), ['flags', flags(c)]] }] },
    [String(CMD.MAP_DELETE_ELEM)]: { end: 16, groups: (c) => [{ from: 0, fields: head(c) }] },
    [String(CMD.MAP_GET_NEXT_KEY)]: { end: 24, groups: (c) => [{ from: 0, fields: head(c, 'next_key') }] },
  };
}

/** The *_GET_NEXT_ID and *_GET_FD_BY_ID commands. */
function idCommands(): Record<string, Command> {
  const withFlags = (first: string): Command => ({
    end: 12,
    groups: (c) => [
      { from: 0, fields: [[first, (a) => num(a.u32(0))], ['next_id', (a) => num(a.u32(4))]] },
      { from: 8, fields: [['open_flags', (a) => c.flags(BigInt(a.u32(8)), bpf_file_mode_flags, 'BPF_F_???')]] },
    ],
  });
  const only = (first: string): Command => ({ end: 4, groups: () => [{ from: 0, fields: [[first, (a) => num(a.u32(0))]] }] });
  return {
    [String(CMD.PROG_GET_NEXT_ID)]: withFlags('start_id'),
    [String(CMD.MAP_GET_NEXT_ID)]: withFlags('start_id'),
    [String(CMD.BTF_GET_NEXT_ID)]: withFlags('start_id'),
    [String(CMD.LINK_GET_NEXT_ID)]: withFlags('start_id'),
    [String(CMD.PROG_GET_FD_BY_ID)]: withFlags('prog_id'),
    [String(CMD.MAP_GET_FD_BY_ID)]: withFlags('map_id'),
    [String(CMD.BTF_GET_FD_BY_ID)]: only('btf_id'),
    [String(CMD.LINK_GET_FD_BY_ID)]: only('link_id'),
  };
}

/** BPF_OBJ_PIN, BPF_OBJ_GET: a path and a descriptor, file_flags past them. */
function objPath(): Command {
  return {
    end: 16,
    groups: (c) => [
      { from: 0, fields: [['pathname', (a) => c.path(a.u64(0))], ['bpf_fd', fdAt(c)(8)]] },
      { from: 12, fields: [['file_flags', (a) => c.flags(BigInt(a.u32(12)), bpf_file_mode_flags, 'BPF_F_???')]] },
    ],
  };
}

/** The batch commands: the pointers each uses, then count, map_fd and flags. */
function batch(ptrs: readonly string[]): Command {
  const at: Record<string, number> = { in_batch: 0, out_batch: 8, keys: 16, values: 24 };
  return {
    end: 56,
    wrap: 'batch',
    groups: (c) => [
      {
        from: 0,
        fields: [
          ...ptrs.map((p) => [p, (a: Attr) => addr(a.u64(at[p]))] as const),
          ['count', (a) => num(a.u32(32))],
          ['map_fd', fdAt(c)(36)],
          ['elem_flags', (a) => c.xval(a.u64(40), bpf_map_update_elem_flags, 'BPF_???')],
          ['flags', (a) => hex(a.u64(48))],
        ],
      },
    ],
  };
}

/** Attach types whose LINK_CREATE member differs (enum bpf_attach_type). */
const ATTACH = { TRACE_ITER: 28, PERF_EVENT: 41, TRACE_KPROBE_MULTI: 42 } as const;
const SPECIAL_ATTACH = new Set<number>(Object.values(ATTACH));

function linkCreateEnd(a: Attr): number {
  switch (a.u32(8)) {
    case ATTACH.TRACE_ITER:
      return 28;
    case ATTACH.PERF_EVENT:
      return 24;
    case ATTACH.TRACE_KPROBE_MULTI:
      return 48;
    default:
      return a.size <= 20 ? 20 : 16;
  }
}

function kprobeMulti(c: Ctx, a: Attr): Value {
  const cnt = BigInt(a.u32(20));
  const u64s = (ad: bigint): Value => c.array(ad, cnt, 8, (e) => hex(e.readBigUInt64LE(0)));
  return struct([
    field('flags', c.flags(BigInt(a.u32(16)), bpf_link_create_kprobe_multi_flags, 'BPF_F_???')),
    field('cnt', num(cnt)),
    field('syms', c.array(a.u64(24), cnt, 8, (e) => c.cstr(e.readBigUInt64LE(0)))),
    field('addrs', u64s(a.u64(32))),
    field('cookies', u64s(a.u64(40))),
  ]);
}

/** prog_ids of BPF_PROG_QUERY: filled in by the kernel, so read only after a success. */
function progIds(c: Ctx, ad: bigint, cnt: bigint): Value {
  if (c.failed) return ad !== 0n && cnt === 0n ? arr([]) : addr(ad);
  return c.array(ad, cnt, 4, (e) => num(e.readUInt32LE(0)));
}

const COMMANDS: Record<string, Command> = {
  [String(CMD.MAP_CREATE)]: {
    end: 72,
    groups: (c) => [
      {
        from: 0,
        fields: [
          ['map_type', (a) => c.xval(BigInt(a.u32(0)), bpf_map_types, 'BPF_MAP_TYPE_???')],
          ['key_size', (a) => num(a.u32(4))],
          ['value_size', (a) => num(a.u32(8))],
          ['max_entries', (a) => num(a.u32(12))],
        ],
      },
      { from: 16, fields: [['map_flags', (a) => c.flags(BigInt(a.u32(16)), bpf_map_flags, 'BPF_F_???')]] },
      { from: 20, fields: [['inner_map_fd', fdAt(c)(20)]] },
      {
        from: 24,
        // numa_node means something only with BPF_F_NUMA_NODE.
        when: (a) => (a.u32(16) & 4) !== 0,
        fields: [['numa_node', (a) => (a.u32(24) === NUMA_NO_NODE && c.o.xlat !== 'raw' ? cmt(num(a.u32(24)), 'NUMA_NO_NODE') : num(a.u32(24)))]],
      },
      { from: 28, fields: [['map_name', (a) => charArray(c, a.b.subarray(28, Math.min(44, a.size)))]] },
      { from: 44, fields: [['map_ifindex', (a) => ifindexValue(c, a.u32(44))]] },
      {
        from: 48,
        fields: [
          ['btf_fd', fdAt(c)(48)],
          ['btf_key_type_id', (a) => num(a.u32(52))],
          ['btf_value_type_id', (a) => num(a.u32(56))],
        ],
      },
      { from: 60, fields: [['btf_vmlinux_value_type_id', (a) => num(a.u32(60))]] },
      { from: 64, fields: [['map_extra', (a) => num(a.u64(64))]] },
    ],
  },
  [String(CMD.PROG_LOAD)]: {
    end: 128,
    groups: (c) => [
      {
        from: 0,
        fields: [
          ['prog_type', (a) => c.xval(BigInt(a.u32(0)), bpf_prog_types, 'BPF_PROG_TYPE_???')],
          ['insn_cnt', (a) => num(a.u32(4))],
          // the program itself only with -v
          ['insns', (a) => (c.o.verbose ? insnArray(c, a.u64(8), BigInt(a.u32(4))) : addr(a.u64(8)))],
          ['license', (a) => c.cstr(a.u64(16))],
        ],
      },
      {
        from: 24,
        fields: [
          ['log_level', (a) => num(a.u32(24))],
          ['log_size', (a) => num(a.u32(28))],
          ['log_buf', (a) => c.cstr(a.u64(32), a.u32(28))],
          ['kern_version', (a) => kernelVersion(c, a.u32(40))],
        ],
      },
      { from: 44, fields: [['prog_flags', (a) => c.flags(BigInt(a.u32(44)), bpf_prog_flags, 'BPF_F_???')]] },
      { from: 48, fields: [['prog_name', (a) => charArray(c, a.b.subarray(48, Math.min(64, a.size)))]] },
      { from: 64, fields: [['prog_ifindex', (a) => ifindexValue(c, a.u32(64))]] },
      { from: 68, fields: [['expected_attach_type', (a) => c.xval(BigInt(a.u32(68)), bpf_attach_type, 'BPF_???')]] },
      {
        from: 72,
        fields: [
          ['prog_btf_fd', fdAt(c)(72)],
          ['func_info_rec_size', (a) => num(a.u32(76))],
          ['func_info', (a) => addr(a.u64(80))],
          ['func_info_cnt', (a) => num(a.u32(88))],
          ['line_info_rec_size', (a) => num(a.u32(92))],
          ['line_info', (a) => addr(a.u64(96))],
          ['line_info_cnt', (a) => num(a.u32(104))],
        ],
      },
      { from: 108, fields: [['attach_btf_id', (a) => num(a.u32(108))]] },
      { from: 112, fields: [['attach_prog_fd', fdAt(c)(112)]] },
      { from: 120, fields: [['fd_array', (a) => addr(a.u64(120))]] },
    ],
  },
  ...elemCommands(),
  ...idCommands(),
  [String(CMD.OBJ_PIN)]: objPath(),
  [String(CMD.OBJ_GET)]: objPath(),
  [String(CMD.PROG_ATTACH)]: {
    end: 20,
    groups: (c) => [
      {
        from: 0,
        fields: [
          ['target_fd', fdAt(c)(0)],
          ['attach_bpf_fd', fdAt(c)(4)],
          ['attach_type', (a) => c.xval(BigInt(a.u32(8)), bpf_attach_type, 'BPF_???')],
          ['attach_flags', (a) => c.flags(BigInt(a.u32(12)), bpf_attach_flags, 'BPF_F_???')],
        ],
      },
      { from: 16, fields: [['replace_bpf_fd', fdAt(c)(16)]] },
    ],
  },
  [String(CMD.PROG_DETACH)]: {
    end: 12,
    groups: (c) => [{ from: 0, fields: [['target_fd', fdAt(c)(0)], ['attach_type', (a) => c.xval(BigInt(a.u32(8)), bpf_attach_type, 'BPF_???')]] }],
  },
  [String(CMD.PROG_TEST_RUN)]: {
    end: 76,
    wrap: 'test',
    groups: (c) => [
      {
        from: 0,
        fields: [
          ['prog_fd', fdAt(c)(0)],
          ['retval', (a) => num(a.u32(4))],
          ['data_size_in', (a) => num(a.u32(8))],
          ['data_size_out', (a) => num(a.u32(12))],
          ['data_in', (a) => addr(a.u64(16))],
          ['data_out', (a) => addr(a.u64(24))],
          ['repeat', (a) => num(a.u32(32))],
          ['duration', (a) => num(a.u32(36))],
        ],
      },
      {
        from: 40,
        fields: [
          ['ctx_size_in', (a) => num(a.u32(40))],
          ['ctx_size_out', (a) => num(a.u32(44))],
          ['ctx_in', (a) => addr(a.u64(48))],
          ['ctx_out', (a) => addr(a.u64(56))],
        ],
      },
      { from: 56, fields: [['flags', (a) => c.flags(BigInt(a.u32(64)), bpf_test_run_flags, 'BPF_F_???')], ['cpu', (a) => num(a.u32(68))]] },
      { from: 72, fields: [['batch_size', (a) => num(a.u32(72))]] },
    ],
  },
  [String(CMD.RAW_TRACEPOINT_OPEN)]: {
    end: 12,
    wrap: 'raw_tracepoint',
    groups: (c) => [{ from: 0, fields: [['name', (a) => c.cstr(a.u64(0))], ['prog_fd', fdAt(c)(8)]] }],
  },
  [String(CMD.BTF_LOAD)]: {
    end: 28,
    groups: (c) => [
      {
        from: 0,
        fields: [
          ['btf', (a) => c.buf(a.u64(0), BigInt(a.u32(16)))],
          ['btf_log_buf', (a) => addr(a.u64(8))],
          ['btf_size', (a) => num(a.u32(16))],
          ['btf_log_size', (a) => num(a.u32(20))],
          ['btf_log_level', (a) => num(a.u32(24))],
        ],
      },
    ],
  },
  [String(CMD.TASK_FD_QUERY)]: {
    end: 48,
    wrap: 'task_fd_query',
    groups: (c) => [
      {
        from: 0,
        fields: [
          ['pid', (a) => num(a.u32(0))],
          ['fd', fdAt(c)(4)],
          ['flags', (a) => num(a.u32(8))],
          ['buf_len', (a) => num(a.u32(12))],
          ['buf', (a) => addr(a.u64(16))],
          ['prog_id', (a) => num(a.u32(24))],
          ['fd_type', (a) => c.xval(BigInt(a.u32(28)), bpf_task_fd_type, 'BPF_FD_TYPE_???')],
          ['probe_offset', (a) => hex(a.u64(32))],
          ['probe_addr', (a) => hex(a.u64(40))],
        ],
      },
    ],
  },
  [String(CMD.MAP_FREEZE)]: { end: 4, groups: (c) => [{ from: 0, fields: [['map_fd', fdAt(c)(0)]] }] },
  [String(CMD.MAP_LOOKUP_BATCH)]: batch(['in_batch', 'out_batch', 'keys', 'values']),
  [String(CMD.MAP_LOOKUP_AND_DELETE_BATCH)]: batch(['in_batch', 'out_batch', 'keys', 'values']),
  [String(CMD.MAP_UPDATE_BATCH)]: batch(['keys', 'values']),
  [String(CMD.MAP_DELETE_BATCH)]: batch(['keys']),
  [String(CMD.LINK_UPDATE)]: {
    end: 16,
    wrap: 'link_update',
    groups: (c) => [
      {
        from: 0,
        fields: [
          ['link_fd', fdAt(c)(0)],
          ['new_prog_fd', fdAt(c)(4)],
          ['flags', (a) => c.flags(BigInt(a.u32(8)), bpf_attach_flags, 'BPF_F_???')],
        ],
      },
      // old_prog_fd means something only with BPF_F_REPLACE.
      { from: 0, when: (a) => (a.u32(8) & BPF_F_REPLACE) !== 0, fields: [['old_prog_fd', fdAt(c)(12)]] },
    ],
  },
  [String(CMD.PROG_QUERY)]: {
    end: 28,
    wrap: 'query',
    atExit: true,
    groups: (c) => [
      {
        from: 0,
        fields: [
          ['target_fd', fdAt(c)(0)],
          ['attach_type', (a) => c.xval(BigInt(a.u32(4)), bpf_attach_type, 'BPF_???')],
          ['query_flags', (a) => c.flags(BigInt(a.u32(8)), bpf_query_flags, 'BPF_F_QUERY_???')],
          ['attach_flags', (a) => c.flags(BigInt(a.u32(12)), bpf_attach_flags, 'BPF_F_???')],
          ['prog_ids', (a) => progIds(c, a.u64(16), BigInt(a.u32(24)))],
          ['prog_cnt', (a) => num(a.u32(24))],
        ],
      },
    ],
  },
  [String(CMD.LINK_CREATE)]: {
    end: linkCreateEnd,
    wrap: 'link_create',
    groups: (c) => [
      {
        from: 0,
        fields: [
          ['prog_fd', fdAt(c)(0)],
          ['target_fd', fdAt(c)(4)],
          ['attach_type', (a) => c.xval(BigInt(a.u32(8)), bpf_attach_type, 'BPF_???')],
          ['flags', (a) => hex(BigInt(a.u32(12)))],
        ],
      },
      {
        from: 16,
        when: (a) => a.u32(8) === ATTACH.TRACE_ITER,
        fields: [
          ['iter_info', (a) => c.array(a.u64(16), BigInt(a.u32(24)), 4, (e) => struct([field('map', struct([field('map_fd', c.fd(BigInt(e.readInt32LE(0))))]))]))],
          ['iter_info_len', (a) => num(a.u32(24))],
        ],
      },
      { from: 16, when: (a) => a.u32(8) === ATTACH.PERF_EVENT, fields: [['perf_event', (a) => struct([field('bpf_cookie', hex(a.u64(16)))])]] },
      {
        from: 16,
        when: (a) => a.u32(8) === ATTACH.TRACE_KPROBE_MULTI,
        fields: [['kprobe_multi', (a) => kprobeMulti(c, a)]],
      },
      {
        from: 16,
        // Other attach types: a tracing target, shown when the size stops right after it.
        when: (a) => !SPECIAL_ATTACH.has(a.u32(8)) && a.size <= 20 && a.u32(16) !== 0,
        fields: [['target_btf_id', (a) => num(a.u32(16))]],
      },
    ],
  },
};

/** The attr as read at entry, or undefined when it cannot be shown. */
function readAttr(c: Ctx, ad: bigint, size: bigint): Attr | undefined {
  if (ad === 0n || size === 0n || size > PAGE_SIZE) return undefined;
  const raw = c.fetchAlways(ad, Number(size));
  if (!raw) return undefined;
  const b = Buffer.alloc(Math.max(ATTR_KNOWN, raw.length));
  raw.copy(b);
  return {
    b,
    size: raw.length,
    u32: (o) => b.readUInt32LE(o),
    i32: (o) => b.readInt32LE(o),
    u64: (o) => b.readBigUInt64LE(o),
  };
}

/** The fields of `cmd` that the attr's size reaches. */
function attrFields(c: Ctx, cmd: Command, a: Attr): Field[] {
  const f: Field[] = [];
  for (const g of cmd.groups(c)) {
    if (g.from > 0 && a.size <= g.from) break;
    if (g.when && !g.when(a)) continue;
    for (const [name, v] of g.fields) f.push(field(name, v(a)));
  }
  return f;
}

/** Non-zero bytes past the member: `...`, or with -v their hex as extra_data. */
function attrTail(c: Ctx, cmd: Command, a: Attr): { more: boolean; extra?: Field } {
  const end = typeof cmd.end === 'number' ? cmd.end : cmd.end(a);
  if (a.size <= end) return { more: false };
  const rest = a.b.subarray(end, a.size);
  if (rest.every((x) => x === 0)) return { more: false };
  if (!c.o.verbose) return { more: true };
  return { more: false, extra: field('extra_data', sym(`${quoteBytes(rest, false, 'all')} /* bytes ${end}..${a.size - 1} */`)) };
}

function attrValue(c: Ctx, cmd: Command, a: Attr, inner: Field[]): Value {
  const t = attrTail(c, cmd, a);
  const f = cmd.wrap ? [field(cmd.wrap, struct(inner))] : inner;
  if (t.extra) f.push(t.extra);
  return struct(f, t.more);
}

// ---- BPF_OBJ_GET_INFO_BY_FD: info_len is value-result, shown at exit -------------------------

const INFO_CMD: Command = { end: 16, wrap: 'info', groups: () => [] };

interface InfoPriv {
  a: Attr;
  /** With -v: what the descriptor is and the info buffer as the caller passed it. */
  kind?: 'map' | 'prog';
  before?: Buffer;
}

function objGetInfo(c: Ctx): number {
  const ad = c.a[1];
  const size = U32(c.a[2]);
  if (c.entering) {
    c.push(c.xval(CMD.OBJ_GET_INFO_BY_FD, bpf_commands, 'BPF_???'));
    const a = readAttr(c, ad, size);
    let p: InfoPriv | undefined;
    if (a) {
      p = { a };
      const kind = c.o.verbose && a.u64(8) !== 0n ? bpfFdKind(c.pid, a.i32(0)) : undefined;
      if (kind) {
        const len = Math.min(a.u32(4), INFO_KNOWN[kind]);
        const b = c.fetchAlways(a.u64(8), len);
        if (b) {
          p.kind = kind;
          p.before = Buffer.concat([b, Buffer.alloc(INFO_KNOWN[kind] - len)]);
        }
      }
    }
    c.priv = p;
    return 0;
  }
  const p = c.priv as InfoPriv | undefined;
  if (!p) {
    c.push(addr(ad), num(size));
    return 0;
  }
  const { a } = p;
  const f: Field[] = [field('bpf_fd', c.fd(BigInt(a.i32(0))))];
  let len: Value = num(a.u32(4));
  let lenNow = a.u32(4);
  if (!c.failed && a.size >= 8) {
    const now = c.fetchAlways(ad + 4n, 4);
    if (now && now.readUInt32LE(0) !== a.u32(4)) {
      lenNow = now.readUInt32LE(0);
      len = chg(len, num(lenNow));
    }
  }
  let info: Value = addr(a.u64(8));
  if (p.kind && p.before) {
    const known = INFO_KNOWN[p.kind];
    const shown = Math.min(lenNow, known);
    const got = c.failed ? undefined : c.fetchAlways(a.u64(8), shown);
    const after = got ? Buffer.concat([got, Buffer.alloc(known - shown)]) : undefined;
    info = infoValue(c, p.kind, p.before, after, shown);
  }
  f.push(field('info_len', len), field('info', info));
  c.push(attrValue(c, INFO_CMD, a, f), num(size));
  return 0;
}

export const bpfDecoders: Record<string, Decoder> = {
  bpf: (c) => {
    const cmd = U32(c.a[0]);
    if (cmd === CMD.OBJ_GET_INFO_BY_FD) return objGetInfo(c);
    const size = U32(c.a[2]);
    const known = COMMANDS[String(cmd)];
    const kind = FD_COMMANDS.has(cmd) ? RV.FD : RV.DEC;
    if (known?.atExit) {
      if (c.entering) {
        c.push(c.xval(cmd, bpf_commands, 'BPF_???'));
        c.priv = readAttr(c, c.a[1], size);
        return kind;
      }
      const a = c.priv as Attr | undefined;
      c.push(a ? attrValue(c, known, a, attrFields(c, known, a)) : addr(c.a[1]), num(size));
      return kind;
    }
    const a = known ? readAttr(c, c.a[1], size) : undefined;
    const attr = known && a ? attrValue(c, known, a, attrFields(c, known, a)) : addr(c.a[1]);
    c.push(c.xval(cmd, bpf_commands, 'BPF_???'), attr, num(size));
    return RVAL_DECODED | kind;
  },
};
