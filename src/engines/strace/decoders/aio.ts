/**
 * Linux native AIO: io_setup, io_destroy, io_submit, io_cancel, io_getevents, io_pgetevents
 * (include/uapi/linux/aio_abi.h: struct iocb, struct io_event).
 */
import { Ctx, RVAL_DECODED, type Decoder } from '../printer.js';
import { NULL, addr, arr, field, hexStr, num, struct, sym, type Field, type Value } from '../value.js';
import { aio_cmds, aio_iocb_flags, rwf_flags } from '../xlat/tables.gen.js';
import { ioprioText } from './admin.js';
import { iovArray } from './common.js';

const IOCB_SIZE = 64;
const IO_EVENT_SIZE = 32;
const CMD_PREAD = 0n;
const CMD_PWRITE = 1n;
const CMD_PREADV = 7n;
const CMD_PWRITEV = 8n;
const FLAG_RESFD = 1;
const FLAG_IOPRIO = 2;

/** The fields every iocb shows: who it is for and what it asks (io_cancel shows only these). */
function iocbHeader(c: Ctx, b: Buffer): Field[] {
  const f: Field[] = [field('aio_data', sym(hexStr(b.readBigUInt64LE(0))))];
  const key = b.readUInt32LE(8);
  if (key) f.push(field('aio_key', num(key)));
  const rw = b.readUInt32LE(12);
  if (rw) f.push(field('aio_rw_flags', c.flags(BigInt(rw), rwf_flags, 'RWF_???')));
  f.push(field('aio_lio_opcode', c.xval(BigInt(b.readUInt16LE(16)), aio_cmds, 'IOCB_CMD_???', 'd')));
  const flags = b.readUInt32LE(56);
  const prio = b.readInt16LE(18);
  if (flags & FLAG_IOPRIO && c.o.xlat !== 'raw') f.push(field('aio_reqprio', sym(ioprioText(BigInt(prio & 0xffff), c.o.xlat))));
  else if (prio) f.push(field('aio_reqprio', num(prio)));
  f.push(field('aio_fildes', c.fd(BigInt(b.readInt32LE(20)))));
  return f;
}

/** The kernel's own test of a usable buffer and length (a length must fit ssize_t). */
const usable = (len: bigint): boolean => len < 1n << 63n;

function iocbValue(c: Ctx, b: Buffer): Value {
  const f = iocbHeader(c, b);
  const op = BigInt(b.readUInt16LE(16));
  const buf = b.readBigUInt64LE(24);
  const nbytes = b.readBigUInt64LE(32);
  const ok = usable(nbytes);
  if (op === CMD_PREAD || op === CMD_PWRITE || op === CMD_PREADV || op === CMD_PWRITEV) {
    const vector = op === CMD_PREADV || op === CMD_PWRITEV;
    if (vector && ok) f.push(field('aio_buf', iovArray(c, buf, nbytes, undefined, op === CMD_PWRITEV)));
    else {
      f.push(field('aio_buf', !ok ? sym(hexStr(buf)) : op === CMD_PWRITE ? c.buf(buf, nbytes) : addr(buf)));
      f.push(field('aio_nbytes', num(nbytes)));
    }
    f.push(field('aio_offset', num(b.readBigInt64LE(40))));
  }
  const flags = b.readUInt32LE(56);
  if (flags) f.push(field('aio_flags', c.flags(BigInt(flags), aio_iocb_flags, 'IOCB_FLAG_???')));
  if (flags & FLAG_RESFD) f.push(field('aio_resfd', c.fd(BigInt(b.readInt32LE(60)))));
  return struct(f);
}

/** struct io_event array of `n` elements. */
function events(c: Ctx, ad: bigint, n: bigint): Value {
  return c.array(ad, n, IO_EVENT_SIZE, (b) => struct([
    field('data', sym(hexStr(b.readBigUInt64LE(0)))),
    field('obj', addr(b.readBigUInt64LE(8))),
    field('res', num(b.readBigInt64LE(16))),
    field('res2', num(b.readBigInt64LE(24))),
  ]));
}

/** io_getevents/io_pgetevents at exit: the events (the return value counts them), the timeout. */
function getevents(c: Ctx): void {
  c.push(c.failed ? addr(c.a[3]) : events(c, c.a[3], c.rval), c.timespecAlways(c.a[4]));
}

export const aioDecoders: Record<string, Decoder> = {
  io_setup: (c) => {
    if (c.entering) {
      c.push(c.uint(0));
      return 0;
    }
    if (c.a[1] === 0n) c.push(NULL);
    else {
      const b = c.fetch(c.a[1], 8);
      c.push(b ? arr([sym(hexStr(b.readBigUInt64LE(0)))]) : addr(c.a[1]));
    }
    return 0;
  },
  io_destroy: (c) => {
    c.push(c.x(0));
    return RVAL_DECODED;
  },
  io_submit: (c) => {
    const n = BigInt.asIntN(64, c.a[1]);
    // An array of pointers to iocbs: each one NULL, its address when unreadable, or the iocb.
    const list = n < 0n ? addr(c.a[2]) : c.array(c.a[2], n, 8, (p) => {
      const at = p.readBigUInt64LE(0);
      if (at === 0n) return NULL;
      const b = c.fetchAlways(at, IOCB_SIZE);
      return b ? iocbValue(c, b) : sym(hexStr(at));
    });
    c.push(c.x(0), num(n), list);
    return RVAL_DECODED;
  },
  io_cancel: (c) => {
    if (c.entering) {
      const at = c.a[1];
      const b = at === 0n ? undefined : c.fetch(at, IOCB_SIZE);
      c.push(c.x(0), at === 0n ? NULL : b ? struct(iocbHeader(c, b)) : addr(at));
      return 0;
    }
    c.push(c.failed ? addr(c.a[2]) : events(c, c.a[2], 1n));
    return 0;
  },
  io_getevents: (c) => {
    if (c.entering) {
      c.push(c.x(0), c.long(1), c.long(2));
      return 0;
    }
    getevents(c);
    return 0;
  },
  io_pgetevents: (c) => {
    if (c.entering) {
      c.push(c.x(0), c.long(1), c.long(2));
      return 0;
    }
    getevents(c);
    // struct __aio_sigset {const sigset_t *sigmask; size_t sigsetsize}
    const ad = c.a[5];
    const b = ad === 0n ? undefined : c.fetchAlways(ad, 16);
    if (ad === 0n) c.push(NULL);
    else if (!b) c.push(addr(ad));
    else {
      const mask = b.readBigUInt64LE(0);
      const size = b.readBigUInt64LE(8);
      const set = mask === 0n ? NULL : size > 128n ? addr(mask) : (() => {
        const s = c.fetchAlways(mask, Number(size));
        return s && size > 0n && size % 4n === 0n ? c.sigsetFrom(s) : addr(mask);
      })();
      c.push(struct([field('sigmask', set), field('sigsetsize', num(size))]));
    }
    return 0;
  },
};
