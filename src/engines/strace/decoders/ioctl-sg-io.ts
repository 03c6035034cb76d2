/**
 * SG_IO (scsi/sg.h, linux/bsg.h): the SCSI generic request block, struct sg_io_hdr (interface
 * 'S', v3) or struct sg_io_v4 (guard 'Q'), chosen by its first int.
 *
 * The request part (command, data sent) is read at entry, the response part (status, sense,
 * data received) at exit. Both are the caller's memory, so they print even when the call
 * failed, as strace shows them. Command, sense and response bytes print in hex; data buffers
 * in hex too, or as an iovec array when the block says it is one.
 */
import { Ctx, RVAL_DECODED } from '../printer.js';
import { NULL, addr, arr, chg, field, hexStr, hexstr, kv, num, str, struct, sym, type Field, type Value } from '../value.js';
import { bsg_flags, bsg_protocol, bsg_subprotocol_scsi, sg_io_dxfer_direction, sg_io_flags, sg_io_info } from '../xlat/tables.gen.js';
import { registerIoctlFamily } from './ioctl.js';

const SG_IO = 0x2285;
const V3_SIZE = 88;
const V4_SIZE = 160;
const SG_DXFER_TO_DEV = -2;
const SG_DXFER_FROM_DEV = -3;
const SG_DXFER_TO_FROM_DEV = -4;

/** `len` bytes at `ad` (at most -s of them, `...` after), read whether or not the call failed. */
function dataAlways(c: Ctx, ad: bigint, len: number, hex: boolean): Value {
  if (ad === 0n) return NULL;
  const max = c.o.strsize;
  if (len === 0) return str(Buffer.alloc(0));
  // one byte past what is shown, as for other buffers: unreadable, the address prints
  const b = c.fetchAlways(ad, len > max ? max + 1 : len);
  if (!b) return addr(ad);
  const shown = len > max ? b.subarray(0, max) : b;
  return hex ? hexstr(shown, len > max) : str(shown, len > max);
}

/** An iovec array whose buffers hold `size` bytes in all (each shown up to -s). */
function iovAlways(c: Ctx, ad: bigint, count: number, size: number): Value {
  let left = size;
  return c.array(
    ad,
    BigInt(count),
    16,
    (e) => {
      const len = e.readBigUInt64LE(8);
      const n = len > BigInt(left) ? left : Number(len);
      left -= n;
      return struct([field('iov_base', dataAlways(c, e.readBigUInt64LE(0), n, false)), field('iov_len', num(len))]);
    },
    true,
  );
}

/** A data buffer of `size` bytes: an iovec array when `iovecs` is not 0, else the bytes in hex. */
const xfer = (c: Ctx, ad: bigint, iovecs: number, size: number): Value => (iovecs ? iovAlways(c, ad, iovecs, size) : dataAlways(c, ad, size, true));

/** The bytes the device returned: the length less the residue, when the residue makes sense. */
const received = (len: number, resid: number): number => (resid > 0 && resid <= len ? len - resid : len);

const u32 = (b: Buffer, off: number): number => b.readUInt32LE(off);
const x = (v: number | bigint): Value => sym(hexStr(BigInt(v)));

/** What entry kept for exit: the block as sent and the fields printed so far. */
interface Kept {
  v4: boolean;
  fields: Field[];
}

/** struct sg_io_hdr, the request half (through flags, and the data when it goes to the device). */
function v3Request(c: Ctx, b: Buffer): Field[] {
  const dir = b.readInt32LE(4);
  const f: Field[] = [
    field('interface_id', sym("'S'")),
    field('dxfer_direction', c.xval(BigInt(dir), sg_io_dxfer_direction, 'SG_DXFER_???', 'd')),
    field('cmd_len', num(b[8]!)),
    field('cmdp', dataAlways(c, b.readBigUInt64LE(24), b[8]!, true)),
    field('mx_sb_len', num(b[9]!)),
    field('iovec_count', num(b.readUInt16LE(10))),
    field('dxfer_len', num(u32(b, 12))),
    field('timeout', num(u32(b, 40))),
    field('flags', c.flags(BigInt(u32(b, 44)), sg_io_flags)),
  ];
  if (dir === SG_DXFER_TO_DEV || dir === SG_DXFER_TO_FROM_DEV) f.push(field('dxferp', xfer(c, b.readBigUInt64LE(16), b.readUInt16LE(10), u32(b, 12))));
  return f;
}

/** struct sg_io_hdr, the response half. */
function v3Response(c: Ctx, b: Buffer, sent: Field[]): Field[] {
  const dir = b.readInt32LE(4);
  const f = [...sent];
  const resid = b.readInt32LE(72);
  const din = received(u32(b, 12), resid);
  const data = (): Value => xfer(c, b.readBigUInt64LE(16), b.readUInt16LE(10), din);
  if (dir === SG_DXFER_FROM_DEV) f.push(field('dxferp', data()));
  else if (dir === SG_DXFER_TO_FROM_DEV && din > 0) {
    const last = f.pop()!;
    f.push(field('dxferp', chg(last.v, kv('dxferp', data()))));
  }
  f.push(
    field('status', x(b[64]!)),
    field('masked_status', x(b[65]!)),
    field('msg_status', x(b[66]!)),
    field('sb_len_wr', num(b[67]!)),
    field('sbp', dataAlways(c, b.readBigUInt64LE(32), b[67]!, true)),
    field('host_status', x(b.readUInt16LE(68))),
    field('driver_status', x(b.readUInt16LE(70))),
    field('resid', num(resid)),
    field('duration', num(u32(b, 76))),
    field('info', c.flags(BigInt(u32(b, 80)), sg_io_info)),
  );
  return f;
}

/** struct sg_io_v4, the request half (through usr_ptr). */
function v4Request(c: Ctx, b: Buffer): Field[] {
  const proto = u32(b, 4);
  const sub = u32(b, 8);
  const n = (k: string, off: number): Field => field(k, num(u32(b, off)));
  return [
    field('guard', sym("'Q'")),
    field('protocol', c.xval(BigInt(proto), bsg_protocol, 'BSG_PROTOCOL_???')),
    field('subprotocol', bsg_protocol.lookup(BigInt(proto)) === 'BSG_PROTOCOL_SCSI' ? c.xval(BigInt(sub), bsg_subprotocol_scsi, 'BSG_SUB_PROTOCOL_SCSI_???') : num(sub)),
    n('request_len', 12),
    field('request', dataAlways(c, b.readBigUInt64LE(16), u32(b, 12), true)),
    field('request_tag', x(b.readBigUInt64LE(24))),
    n('request_attr', 32),
    n('request_priority', 36),
    n('request_extra', 40),
    n('max_response_len', 44),
    n('dout_iovec_count', 56),
    n('dout_xfer_len', 60),
    n('din_iovec_count', 64),
    n('din_xfer_len', 68),
    field('dout_xferp', xfer(c, b.readBigUInt64LE(72), u32(b, 56), u32(b, 60))),
    n('timeout', 88),
    field('flags', c.flags(BigInt(u32(b, 92)), bsg_flags)),
    field('usr_ptr', x(b.readBigUInt64LE(96))),
  ];
}

/** struct sg_io_v4, the response half. */
function v4Response(c: Ctx, b: Buffer, sent: Field[]): Field[] {
  const n = (k: string, off: number): Field => field(k, num(u32(b, off)));
  const din = received(u32(b, 68), b.readInt32LE(136));
  return [
    ...sent,
    n('response_len', 132),
    field('response', dataAlways(c, b.readBigUInt64LE(48), u32(b, 132), true)),
    field('din_xferp', xfer(c, b.readBigUInt64LE(80), u32(b, 64), din)),
    field('driver_status', x(u32(b, 108))),
    field('transport_status', x(u32(b, 112))),
    field('device_status', x(u32(b, 116))),
    n('retry_delay', 120),
    field('info', c.flags(BigInt(u32(b, 124)), sg_io_info)),
    n('duration', 128),
    n('response_len', 132),
    field('din_resid', num(b.readInt32LE(136))),
    field('dout_resid', num(b.readInt32LE(140))),
    field('generated_tag', x(b.readBigUInt64LE(144))),
  ];
}

function sgIo(c: Ctx, code: number, arg: bigint): number | undefined {
  if (code !== SG_IO) return undefined;
  if (c.entering) {
    const id = arg === 0n ? undefined : c.fetch(arg, 4);
    if (!id) {
      c.push(addr(arg));
      return RVAL_DECODED;
    }
    const which = id.readInt32LE(0);
    const v4 = which === 0x51; // 'Q'
    if (!v4 && which !== 0x53) {
      // 'S'
      c.push(arr([num(id.readUInt32LE(0))]));
      return RVAL_DECODED;
    }
    const b = c.fetch(arg, v4 ? V4_SIZE : V3_SIZE);
    if (!b) {
      // the rest of the block (after the id) is unreadable: its address
      c.push(struct([field(v4 ? 'guard' : 'interface_id', sym(v4 ? "'Q'" : "'S'")), { k: '', v: addr(arg + 4n), bare: true }]));
      return RVAL_DECODED;
    }
    c.priv = { v4, fields: v4 ? v4Request(c, b) : v3Request(c, b) } satisfies Kept;
    return 0;
  }
  const k = c.priv as Kept;
  const b = c.fetchAlways(arg, k.v4 ? V4_SIZE : V3_SIZE);
  c.push(b ? struct(k.v4 ? v4Response(c, b, k.fields) : v3Response(c, b, k.fields)) : struct(k.fields, true));
  return 0;
}

registerIoctlFamily([0x22], sgIo);
