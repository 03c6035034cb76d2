/**
 * io_uring_setup, io_uring_enter and io_uring_register (include/uapi/linux/io_uring.h).
 */
import { Ctx, RV, RVAL_DECODED, U32, xvalStr, type Decoder } from '../printer.js';
import { NULL, arr, field, hex, hexStr, num, struct, sym, addr, type Field, type Value } from '../value.js';
import {
  uring_enter_flags,
  uring_files_update_fds,
  uring_iowq_acct,
  uring_op_flags,
  uring_ops,
  uring_register_opcodes,
  uring_restriction_opcodes,
  uring_rsrc_flags,
  uring_setup_features,
  uring_setup_flags,
  uring_sqe_flags,
} from '../xlat/tables.gen.js';
import { cpusetValue, extTail, iovArray } from './common.js';

const SETUP_ATTACH_WQ = 1n << 5n;
const PARAMS_SIZE = 120;

/** io_sqring_offsets / io_cqring_offsets: seven u32 offsets (names differ past the fourth). */
function ringOffsets(b: Buffer, o: number, names: readonly string[]): Value {
  return struct(names.map((n, i) => field(n, num(b.readUInt32LE(o + i * 4)))));
}
const SQ_OFF = ['head', 'tail', 'ring_mask', 'ring_entries', 'flags', 'dropped', 'array'];
const CQ_OFF = ['head', 'tail', 'ring_mask', 'ring_entries', 'overflow', 'cqes', 'flags'];

/** struct io_uring_params: what the caller passed, and on success what the kernel filled in. */
function params(c: Ctx, ad: bigint): Value {
  const b = c.fetchAlways(ad, PARAMS_SIZE);
  if (!b) return addr(ad);
  const flags = BigInt(b.readUInt32LE(8));
  const f: Field[] = [
    field('flags', c.flags(flags, uring_setup_flags, 'IORING_SETUP_???')),
    field('sq_thread_cpu', sym(hexStr(BigInt(b.readUInt32LE(12))))),
    field('sq_thread_idle', num(b.readUInt32LE(16))),
  ];
  if (flags & SETUP_ATTACH_WQ) f.push(field('wq_fd', c.fd(BigInt(b.readInt32LE(24)))));
  const resv = [0, 1, 2].map((i) => b.readUInt32LE(28 + i * 4));
  if (resv.some((x) => x !== 0)) f.push(field('resv', arr(resv.map((x) => sym(hexStr(BigInt(x)))))));
  if (!c.failed) {
    f.push(
      field('sq_entries', num(b.readUInt32LE(0))),
      field('cq_entries', num(b.readUInt32LE(4))),
      field('features', c.flags(BigInt(b.readUInt32LE(20)), uring_setup_features, 'IORING_FEAT_???')),
      field('sq_off', ringOffsets(b, 40, SQ_OFF)),
      field('cq_off', ringOffsets(b, 80, CQ_OFF)),
    );
  }
  return struct(f);
}

// ---- io_uring_register ------------------------------------------------------------------------

const REG = {
  BUFFERS: 0, FILES: 2, EVENTFD: 4, FILES_UPDATE: 6, EVENTFD_ASYNC: 7, PROBE: 8, RESTRICTIONS: 11,
  FILES2: 13, FILES_UPDATE2: 14, BUFFERS2: 15, BUFFERS_UPDATE: 16, IOWQ_AFF: 17, IOWQ_MAX_WORKERS: 19,
  RING_FDS: 20, UNREGISTER_RING_FDS: 21, PBUF_RING: 22, UNREGISTER_PBUF_RING: 23,
} as const;
/** sizeof struct io_uring_rsrc_register and struct io_uring_rsrc_update2. */
const RSRC_SIZE = 32;
/** sizeof struct io_uring_probe (without ops) and of one io_uring_probe_op. */
const PROBE_HDR = 16;
const PROBE_OP = 8;
/** At most 256 operations exist (op is a __u8): a bigger count is not read. */
const PROBE_MAX_OPS = 256n;

/** A hex value shown only when non-zero (reserved fields). */
function nz(f: Field[], name: string, v: bigint): void {
  if (v !== 0n) f.push(field(name, hex(v)));
}

/** __u32 resv[n] shown (all of it, in hex) only when some element is non-zero. */
function resvArray(f: Field[], name: string, vals: bigint[]): void {
  if (vals.some((x) => x !== 0n)) f.push(field(name, arr(vals.map(hex))));
}

/** An array of int descriptors; `skip` names IORING_REGISTER_FILES_SKIP (update calls). */
function fdArray(c: Ctx, ad: bigint, n: bigint, skip: boolean): Value {
  return c.array(ad, n, 4, (b) => {
    const fd = b.readInt32LE(0);
    if (skip && fd === -2) return c.xval(BigInt(fd), uring_files_update_fds, undefined, 'd');
    return c.fd(BigInt(fd));
  });
}

function u64HexArray(c: Ctx, ad: bigint, n: bigint): Value {
  return c.array(ad, n, 8, (b) => hex(b.readBigUInt64LE(0)));
}

/** struct io_uring_probe with `nops` ops shown, `more` when the kernel knows more than shown. */
function probeValue(c: Ctx, b: Buffer, ad: bigint, nops: bigint, more: boolean): Value {
  const f: Field[] = [
    field('last_op', c.xval(BigInt(b[0]), uring_ops, 'IORING_OP_???', 'u')),
    field('ops_len', num(b[1])),
  ];
  nz(f, 'resv', BigInt(b.readUInt16LE(2)));
  resvArray(f, 'resv2', [4, 8, 12].map((o) => BigInt(b.readUInt32LE(o))));
  let ops = c.array(ad + BigInt(PROBE_HDR), nops, PROBE_OP, (e) => {
    const g: Field[] = [field('op', c.xval(BigInt(e[0]), uring_ops, 'IORING_OP_???', 'u'))];
    nz(g, 'resv', BigInt(e[1]));
    g.push(field('flags', c.flags(BigInt(e.readUInt16LE(2)), uring_op_flags, 'IO_URING_OP_???')));
    nz(g, 'resv2', BigInt(e.readUInt32LE(4)));
    return struct(g);
  }, true);
  if (more && ops.t === 'arr' && ops.moreAt === undefined) ops = arr(ops.a, true);
  f.push(field('ops', ops));
  return struct(f);
}

/** The whole probe as the caller passed it (header and `nr` ops), or undefined. */
function probeRead(c: Ctx, ad: bigint, nr: bigint): Buffer | undefined {
  if (ad === 0n || nr > PROBE_MAX_OPS) return undefined;
  return c.fetchAlways(ad, PROBE_HDR + Number(nr) * PROBE_OP);
}

function restriction(c: Ctx, b: Buffer): Value {
  const op = b.readUInt16LE(0);
  const u = BigInt(b[2]);
  const f: Field[] = [];
  switch (op) {
    case 0:
      f.push(field('opcode', c.xval(0n, uring_restriction_opcodes)), field('register_op', c.xval(u, uring_register_opcodes, 'IORING_REGISTER_???')));
      break;
    case 1:
      f.push(field('opcode', c.xval(1n, uring_restriction_opcodes)), field('sqe_op', c.xval(u, uring_ops, 'IORING_OP_???')));
      break;
    case 2:
    case 3:
      f.push(field('opcode', c.xval(BigInt(op), uring_restriction_opcodes)), field('sqe_flags', c.flags(u, uring_sqe_flags, 'IOSQE_???')));
      break;
    default:
      // Unknown opcode: the union byte is shown as a comment.
      f.push(field('opcode', sym(`${xvalStr(BigInt(op), uring_restriction_opcodes, 'IORING_RESTRICTION_???', c.o.xlat)} /* op: ${hexStr(u)} */`)));
  }
  nz(f, 'resv', BigInt(b[3]));
  resvArray(f, 'resv2', [4, 8, 12].map((o) => BigInt(b.readUInt32LE(o))));
  return struct(f);
}

/** struct io_uring_rsrc_register (FILES2, BUFFERS2); `size` is nr_args. */
function rsrcRegister(c: Ctx, ad: bigint, size: bigint, files: boolean): Value {
  if (ad === 0n) return NULL;
  const b = size < BigInt(RSRC_SIZE) ? undefined : c.fetchAlways(ad, RSRC_SIZE);
  if (!b) return addr(ad);
  const nr = BigInt(b.readUInt32LE(0));
  const f: Field[] = [field('nr', num(nr)), field('flags', c.flags(BigInt(b.readUInt32LE(4)), uring_rsrc_flags, 'IORING_RSRC_REGISTER_???'))];
  nz(f, 'resv2', b.readBigUInt64LE(8));
  const data = b.readBigUInt64LE(16);
  f.push(field('data', files ? fdArray(c, data, nr, false) : iovArray(c, data, nr, undefined, false)));
  f.push(field('tags', u64HexArray(c, b.readBigUInt64LE(24), nr)));
  const tail = extTail(c, ad, RSRC_SIZE, size);
  if (tail) f.push(tail);
  return struct(f);
}

/** struct io_uring_rsrc_update2 (FILES_UPDATE2, BUFFERS_UPDATE); `size` is nr_args. */
function rsrcUpdate2(c: Ctx, ad: bigint, size: bigint, files: boolean): Value {
  if (ad === 0n) return NULL;
  const b = size < BigInt(RSRC_SIZE) ? undefined : c.fetchAlways(ad, RSRC_SIZE);
  if (!b) return addr(ad);
  const nr = BigInt(b.readUInt32LE(24));
  const f: Field[] = [field('offset', num(b.readUInt32LE(0)))];
  nz(f, 'resv', BigInt(b.readUInt32LE(4)));
  const data = b.readBigUInt64LE(8);
  f.push(field('data', files ? fdArray(c, data, nr, true) : iovArray(c, data, nr, undefined, false)));
  f.push(field('tags', u64HexArray(c, b.readBigUInt64LE(16), nr)), field('nr', num(nr)));
  nz(f, 'resv2', BigInt(b.readUInt32LE(28)));
  const tail = extTail(c, ad, RSRC_SIZE, size);
  if (tail) f.push(tail);
  return struct(f);
}

/** struct io_uring_files_update (FILES_UPDATE): `nr` descriptors from `offset`. */
function filesUpdate(c: Ctx, ad: bigint, nr: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetchAlways(ad, 16);
  if (!b) return addr(ad);
  const f: Field[] = [field('offset', num(b.readUInt32LE(0)))];
  nz(f, 'resv', BigInt(b.readUInt32LE(4)));
  f.push(field('fds', fdArray(c, b.readBigUInt64LE(8), nr, true)));
  return struct(f);
}

/** struct io_uring_rsrc_update array (RING_FDS): registered ring descriptors, or their slots. */
function ringFds(c: Ctx, ad: bigint, n: bigint, register: boolean): Value {
  return c.array(ad, n, 16, (b) => {
    const off = b.readUInt32LE(0);
    // -1 asks the kernel to choose a slot.
    const f: Field[] = [field('offset', num(register && off === 0xffffffff ? -1 : off))];
    nz(f, 'resv', BigInt(b.readUInt32LE(4)));
    const data = b.readBigUInt64LE(8);
    // Unregistering takes only the slot: data is shown when set.
    if (register) f.push(field('data', c.fd(data)));
    else nz(f, 'data', data);
    return struct(f);
  }, true);
}

/** struct io_uring_buf_reg (PBUF_RING). */
function bufReg(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetchAlways(ad, 40);
  if (!b) return addr(ad);
  const f: Field[] = [
    field('ring_addr', addr(b.readBigUInt64LE(0))),
    field('ring_entries', num(b.readUInt32LE(8))),
    field('bgid', num(b.readUInt16LE(12))),
  ];
  nz(f, 'pad', BigInt(b.readUInt16LE(14)));
  resvArray(f, 'resv', [16, 24, 32].map((o) => b.readBigUInt64LE(o)));
  return struct(f);
}

/** __u32 counts indexed by io-wq worker category: [[IO_WQ_BOUND]=4, ...]. */
function maxWorkers(c: Ctx, ad: bigint, n: bigint): Value {
  return c.array(ad, n, 4, (b, i) => sym(`[${xvalStr(BigInt(i), uring_iowq_acct, 'IO_WQ_???', c.o.xlat, 'u')}]=${b.readUInt32LE(0)}`), true);
}

/** The argument of a register opcode printed entirely at entry. */
function registerArg(c: Ctx, op: number, ad: bigint, nr: bigint): Value {
  switch (op) {
    case REG.BUFFERS:
      return iovArray(c, ad, nr, undefined, false);
    case REG.FILES:
    case REG.EVENTFD:
    case REG.EVENTFD_ASYNC:
      return fdArray(c, ad, nr, false);
    case REG.FILES_UPDATE:
      return filesUpdate(c, ad, nr);
    case REG.RESTRICTIONS:
      return c.array(ad, nr, 16, (b) => restriction(c, b), true);
    case REG.FILES2:
    case REG.BUFFERS2:
      return rsrcRegister(c, ad, nr, op === REG.FILES2);
    case REG.FILES_UPDATE2:
    case REG.BUFFERS_UPDATE:
      return rsrcUpdate2(c, ad, nr, op === REG.FILES_UPDATE2);
    case REG.IOWQ_AFF:
      return cpusetValue(c, ad, nr);
    case REG.RING_FDS:
    case REG.UNREGISTER_RING_FDS:
      return ringFds(c, ad, nr, op === REG.RING_FDS);
    case REG.PBUF_RING:
    case REG.UNREGISTER_PBUF_RING:
      return bufReg(c, ad);
    default:
      return addr(ad);
  }
}

interface RegisterPriv {
  /** What entry showed: 'none' (the argument waits for exit), 'shown' (exit may add " => "). */
  state: 'none' | 'shown' | 'done';
}

function ioUringRegister(c: Ctx): number {
  const op = U32(c.a[1]);
  const ad = c.a[2];
  const nr = U32(c.a[3]);
  if (c.entering) {
    c.push(c.fd(c.a[0]), c.xval(op, uring_register_opcodes, 'IORING_REGISTER_???'));
    if (op === BigInt(REG.PROBE)) {
      const b = probeRead(c, ad, nr);
      if (!b) {
        c.push(addr(ad), num(nr));
        return RVAL_DECODED;
      }
      // The kernel wants a zeroed probe: an all-zero one is shown once, as the kernel filled it.
      if (b.every((x) => x === 0)) {
        c.priv = { state: 'none' } satisfies RegisterPriv;
        return 0;
      }
      c.push(probeValue(c, b, ad, nr, false));
      c.noTrailingSep = true;
      c.priv = { state: 'shown' } satisfies RegisterPriv;
      return 0;
    }
    if (op === BigInt(REG.IOWQ_MAX_WORKERS)) {
      const v = maxWorkers(c, ad, nr);
      c.push(v);
      if (v.t === 'arr' && v.a.length > 0 && v.moreAt === undefined && !v.more) {
        c.noTrailingSep = true;
        c.priv = { state: 'shown' } satisfies RegisterPriv;
        return 0;
      }
      c.push(num(nr));
      return RVAL_DECODED;
    }
    c.push(registerArg(c, Number(op), ad, nr), num(nr));
    return RVAL_DECODED;
  }
  const p = c.priv as RegisterPriv;
  if (op === BigInt(REG.PROBE)) {
    const b = c.failed ? undefined : c.fetchAlways(ad, PROBE_HDR);
    const v = b ? probeValue(c, b, ad, nr < BigInt(b[1]) ? nr : BigInt(b[1]), BigInt(b[1]) > nr) : addr(ad);
    if (p.state === 'shown') {
      if (b) c.changeLast(v);
    } else c.push(v);
  } else if (p.state === 'shown') {
    c.changeLast(c.failed ? addr(ad) : maxWorkers(c, ad, nr));
  }
  c.push(num(nr));
  return 0;
}

export const ioUringDecoders: Record<string, Decoder> = {
  io_uring_setup: (c) => {
    if (c.entering) {
      c.push(c.uint(0));
      return RV.FD;
    }
    c.push(params(c, c.a[1]));
    return RV.FD;
  },
  io_uring_enter: (c) => {
    c.push(c.fd(c.a[0]), c.uint(1), c.uint(2), c.flags(U32(c.a[3]), uring_enter_flags, 'IORING_ENTER_???'), c.sigset(c.a[4], c.a[5]), c.ulong(5));
    return RVAL_DECODED;
  },
  io_uring_register: ioUringRegister,
};
