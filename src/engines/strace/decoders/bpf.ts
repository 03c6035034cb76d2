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
import { addr, chg, cmt, field, hexStr, num, str, struct, sym, type Field, type Value } from '../value.js';
import { bpf_attach_type, bpf_commands, bpf_map_flags, bpf_map_types, bpf_prog_flags, bpf_prog_types } from '../xlat/tables.gen.js';
import { ifindexValue } from './common.js';

const CMD = { MAP_CREATE: 0n, PROG_LOAD: 5n, OBJ_GET_INFO_BY_FD: 15n } as const;
/** Commands whose result is a new file descriptor. */
const FD_COMMANDS = new Set([0n, 5n, 7n, 13n, 14n, 17n, 18n, 19n, 28n, 30n, 32n, 33n]);
/** The kernel refuses a bigger attr (E2BIG) without reading it. */
const PAGE_SIZE = 4096n;
const NUMA_NO_NODE = 0xffffffff;

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
  /** Bytes of the command's member of union bpf_attr. */
  readonly end: number;
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

/** A char array that may lack its NUL: up to the NUL, else all but the last byte and `...`. */
function charArray(c: Ctx, b: Buffer): Value {
  const z = b.indexOf(0);
  if (z >= 0) return c.bufz(b.subarray(0, z + 1));
  return str(b.subarray(0, Math.min(Math.max(b.length - 1, 0), c.o.strsize)), true);
}

const fdAt = (c: Ctx) => (o: number) => (a: Attr) => c.fd(BigInt(a.i32(o)));

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
          ['insns', (a) => addr(a.u64(8))],
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
};

/** The attr as read at entry, or undefined when it cannot be shown. */
function readAttr(c: Ctx, ad: bigint, size: bigint, end: number): Attr | undefined {
  if (ad === 0n || size === 0n || size > PAGE_SIZE) return undefined;
  const raw = c.fetchAlways(ad, Number(size));
  if (!raw) return undefined;
  const b = Buffer.alloc(Math.max(end, raw.length));
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
  if (a.size <= cmd.end) return { more: false };
  const rest = a.b.subarray(cmd.end, a.size);
  if (rest.every((x) => x === 0)) return { more: false };
  if (!c.o.verbose) return { more: true };
  return { more: false, extra: field('extra_data', sym(`${quoteBytes(rest, false, 'all')} /* bytes ${cmd.end}..${a.size - 1} */`)) };
}

function attrValue(c: Ctx, cmd: Command, a: Attr, inner: Field[]): Value {
  const t = attrTail(c, cmd, a);
  const f = cmd.wrap ? [field(cmd.wrap, struct(inner))] : inner;
  if (t.extra) f.push(t.extra);
  return struct(f, t.more);
}

// ---- BPF_OBJ_GET_INFO_BY_FD: info_len is value-result, shown at exit -------------------------

const INFO_CMD: Command = { end: 16, wrap: 'info', groups: () => [] };

function objGetInfo(c: Ctx): number {
  const ad = c.a[1];
  const size = U32(c.a[2]);
  if (c.entering) {
    c.push(c.xval(CMD.OBJ_GET_INFO_BY_FD, bpf_commands, 'BPF_???'));
    c.priv = readAttr(c, ad, size, INFO_CMD.end);
    return 0;
  }
  const a = c.priv as Attr | undefined;
  if (!a) {
    c.push(addr(ad), num(size));
    return 0;
  }
  const f: Field[] = [field('bpf_fd', c.fd(BigInt(a.i32(0))))];
  let len: Value = num(a.u32(4));
  if (!c.failed && a.size >= 8) {
    const now = c.fetchAlways(ad + 4n, 4);
    if (now && now.readUInt32LE(0) !== a.u32(4)) len = chg(len, num(now.readUInt32LE(0)));
  }
  f.push(field('info_len', len), field('info', addr(a.u64(8))));
  c.push(attrValue(c, INFO_CMD, a, f), num(size));
  return 0;
}

export const bpfDecoders: Record<string, Decoder> = {
  bpf: (c) => {
    const cmd = U32(c.a[0]);
    if (cmd === CMD.OBJ_GET_INFO_BY_FD) return objGetInfo(c);
    const size = U32(c.a[2]);
    const known = COMMANDS[String(cmd)];
    const a = known ? readAttr(c, c.a[1], size, known.end) : undefined;
    const attr = known && a ? attrValue(c, known, a, attrFields(c, known, a)) : addr(c.a[1]);
    c.push(c.xval(cmd, bpf_commands, 'BPF_???'), attr, num(size));
    return RVAL_DECODED | (FD_COMMANDS.has(cmd) ? RV.FD : RV.DEC);
  },
};
