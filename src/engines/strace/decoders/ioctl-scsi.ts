/**
 * SCSI generic driver ioctls (scsi/sg.h), type byte 0x22: the int arguments of the SG_SET and
 * SG_GET requests and SG_SCSI_RESET. SG_IO's sg_io_hdr / sg_io_v4 are in ioctl-sg-io.ts.
 */
import { Ctx, I32, RVAL_DECODED } from '../printer.js';
import { addr, arr, hexStr, sym, type Value } from '../value.js';
import { scsi_sg_reset } from '../xlat/tables.gen.js';
import { registerIoctlFamily } from './ioctl.js';

const SG_SCSI_RESET_NO_ESCALATE = 0x100n;

/** How a request prints its argument: none, an int by value (hex), int * read at entry or at exit. */
type Kind = 'none' | 'hexInt' | 'intIn' | 'intOut' | 'ptrOut' | 'reset';

/** Numbers from scsi/sg.h (the ioctl name table has them, but these are fixed ABI). */
const KINDS = new Map<number, Kind>([
  [0x2201, 'intIn'], // SG_SET_TIMEOUT
  [0x2202, 'none'], // SG_GET_TIMEOUT: the timeout is the return value
  [0x2203, 'intOut'], // SG_EMULATED_HOST
  [0x2204, 'hexInt'], // SG_SET_TRANSFORM
  [0x2205, 'intOut'], // SG_GET_TRANSFORM
  [0x2270, 'intOut'], // SG_GET_COMMAND_Q
  [0x2271, 'intIn'], // SG_SET_COMMAND_Q
  [0x2272, 'intOut'], // SG_GET_RESERVED_SIZE
  [0x2275, 'intIn'], // SG_SET_RESERVED_SIZE
  [0x2276, 'ptrOut'], // SG_GET_SCSI_ID
  [0x2279, 'intIn'], // SG_SET_FORCE_LOW_DMA
  [0x227a, 'intOut'], // SG_GET_LOW_DMA
  [0x227b, 'intIn'], // SG_SET_FORCE_PACK_ID
  [0x227c, 'intOut'], // SG_GET_PACK_ID
  [0x227d, 'intOut'], // SG_GET_NUM_WAITING
  [0x227e, 'intIn'], // SG_SET_DEBUG
  [0x227f, 'intOut'], // SG_GET_SG_TABLESIZE
  [0x2282, 'intOut'], // SG_GET_VERSION_NUM
  [0x2283, 'intIn'], // SG_NEXT_CMD_LEN
  [0x2284, 'reset'], // SG_SCSI_RESET
  [0x2286, 'ptrOut'], // SG_GET_REQUEST_TABLE
  [0x2287, 'intIn'], // SG_SET_KEEP_ORPHAN
  [0x2288, 'intOut'], // SG_GET_KEEP_ORPHAN
  [0x2289, 'intOut'], // SG_GET_ACCESS_COUNT
]);

/** [SG_SCSI_RESET_NO_ESCALATE|SG_SCSI_RESET_DEVICE]: a reset kind and one flag bit. */
function reset(c: Ctx, ad: bigint): Value {
  const b = c.fetch(ad, 4);
  if (!b) return addr(ad);
  const v = BigInt(b.readUInt32LE(0));
  if (!(v & SG_SCSI_RESET_NO_ESCALATE) || c.o.xlat === 'raw') return arr([c.xval(v, scsi_sg_reset, 'SG_SCSI_RESET_???')]);
  const low = v & ~SG_SCSI_RESET_NO_ESCALATE;
  const text = `SG_SCSI_RESET_NO_ESCALATE|${scsi_sg_reset.lookup(low) ?? hexStr(low)}`;
  return arr([sym(c.o.xlat === 'verbose' ? `${hexStr(v)} /* ${text} */` : text)]);
}

function scsi(c: Ctx, code: number, arg: bigint): number | undefined {
  const kind = KINDS.get(code);
  switch (kind) {
    case undefined:
      return undefined;
    case 'none':
      return RVAL_DECODED;
    case 'hexInt':
      c.push(sym(hexStr(BigInt.asUintN(32, I32(arg)))));
      return RVAL_DECODED;
    case 'intIn':
      c.push(c.intPtr(arg));
      return RVAL_DECODED;
    case 'reset':
      c.push(arg === 0n ? addr(arg) : reset(c, arg));
      return RVAL_DECODED;
    case 'intOut':
      if (c.entering) return 0;
      c.push(c.intPtr(arg));
      return 0;
    case 'ptrOut':
      if (c.entering) return 0;
      c.push(addr(arg));
      return 0;
  }
}

/** SG_GET_ACCESS_COUNT is only in the kernel's own scsi/sg.h, so the name table lacks it. */
const SG_GET_ACCESS_COUNT = 0x2289;

registerIoctlFamily([0x22], scsi, (code) => (code === SG_GET_ACCESS_COUNT ? 'SG_GET_ACCESS_COUNT' : undefined));
