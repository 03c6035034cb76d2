/**
 * Memory technology device ioctls (include/uapi/mtd/mtd-abi.h), type byte 'M' (shared with the
 * sound mixer, whose requests only get names): erase ranges, OOB buffers, write/read requests,
 * OTP selection and info, bad blocks, device and region info, ECC statistics. ECCGETLAYOUT and
 * MEMGETOOBSEL (obsolete layouts) print their address.
 */
import { Ctx, RVAL_DECODED } from '../printer.js';
import { arr, field, num, struct, type Value } from '../value.js';
import { mtd_file_mode_options, mtd_flags_options, mtd_mode_options, mtd_nandecc_options, mtd_otp_options, mtd_type_options } from '../xlat/tables.gen.js';
import { ioc, registerIoctlFamily } from './ioctl.js';
import { capped, fetched, fieldsOf, keepAtEntry, scalarOut, scalars, structOf, type Row } from './ioctl-struct.js';

const ERASE: readonly Row[] = [
  ['start', 0, 'x32'],
  ['length', 4, 'x32'],
];
const ERASE64: readonly Row[] = [
  ['start', 0, 'x64'],
  ['length', 8, 'x64'],
];
const OOB: readonly Row[] = [...ERASE, ['ptr', 8, 'x64']];
const OOB64: readonly Row[] = [
  ['start', 0, 'x64'],
  ['length', 12, 'x32'],
  ['usr_ptr', 16, 'x64'],
];
const OTP_INFO: readonly Row[] = [...ERASE, ['locked', 8, 'u32']];
const REQ: readonly Row[] = [
  ['start', 0, 'x64'],
  ['len', 8, 'x64'],
  ['ooblen', 16, 'x64'],
  ['usr_data', 24, 'x64'],
  ['usr_oob', 32, 'x64'],
];
const REGION: readonly Row[] = [
  ['offset', 0, 'x32'],
  ['erasesize', 4, 'x32'],
  ['numblocks', 8, 'x32'],
  ['regionindex', 12, 'x32'],
];
const ECC_STATS: readonly Row[] = [
  ['corrected', 0, 'x32'],
  ['failed', 4, 'x32'],
  ['badblocks', 8, 'x32'],
  ['bbtblocks', 12, 'x32'],
];

/** struct mtd_write_req / mtd_read_req: the request part and its mode. */
function req(c: Ctx, b: Buffer): Value {
  return struct([...fieldsOf(b, REQ), field('mode', c.xval(BigInt(b[40]!), mtd_mode_options, 'MTD_OPS_???'))]);
}

/** struct mtd_info_user { u8 type; u32 flags, size, erasesize, writesize, oobsize; u64 padding; } */
function info(c: Ctx, b: Buffer): Value {
  return struct([
    field('type', c.xval(BigInt(b[0]!), mtd_type_options, 'MTD_???')),
    field('flags', c.flags(BigInt(b.readUInt32LE(4)), mtd_flags_options, 'MTD_???')),
    ...fieldsOf(b, [
      ['size', 8, 'x32'],
      ['erasesize', 12, 'x32'],
      ['writesize', 16, 'x32'],
      ['oobsize', 20, 'x32'],
      ['padding', 24, 'x64'],
    ]),
  ]);
}

/** struct nand_oobinfo { u32 useecc, eccbytes, oobfree[8][2], eccpos[32]; } (200 bytes) */
function oobinfo(c: Ctx, b: Buffer): Value {
  const free = [];
  for (let i = 0; i < 8; i++) free.push(arr(scalars(b, 8 + i * 8, 2, 'x32')));
  return struct([
    field('useecc', c.xval(BigInt(b.readUInt32LE(0)), mtd_nandecc_options, 'MTD_NANDECC_???')),
    ...fieldsOf(b, [['eccbytes', 4, 'x32']]),
    field('oobfree', capped(c, free)),
    field('eccpos', capped(c, scalars(b, 72, 32, 'x32'))),
  ]);
}

/** struct nand_ecclayout_user { u32 eccbytes, eccpos[64], oobavail; struct nand_oobfree oobfree[8]; } (328 bytes) */
function ecclayout(c: Ctx, b: Buffer): Value {
  const free = [];
  for (let i = 0; i < 8; i++) {
    free.push(
      structOf(b, [
        ['offset', 264 + i * 8, 'x32'],
        ['length', 268 + i * 8, 'x32'],
      ]),
    );
  }
  return struct([
    ...fieldsOf(b, [['eccbytes', 0, 'x32']]),
    field('eccpos', capped(c, scalars(b, 4, 64, 'x32'))),
    ...fieldsOf(b, [['oobavail', 260, 'x32']]),
    field('oobfree', capped(c, free)),
  ]);
}

type Handler = (c: Ctx, arg: bigint) => number;
let handlers: Map<number, Handler> | undefined;
function table(): Map<number, Handler> {
  const inS =
    (size: number, f: (c: Ctx, b: Buffer) => Value): Handler =>
    (c, arg) => (c.push(fetched(c, arg, size, (b) => f(c, b))), RVAL_DECODED);
  const outS =
    (size: number, f: (c: Ctx, b: Buffer) => Value): Handler =>
    (c, arg) => (c.entering ? 0 : (c.push(fetched(c, arg, size, (b) => f(c, b))), 0));
  const rows = (r: readonly Row[]) => (_c: Ctx, b: Buffer) => structOf(b, r);
  const erase = inS(8, rows(ERASE));
  const handlersList: [string, Handler][] = [
    ['MEMERASE', erase],
    ['MEMLOCK', erase],
    ['MEMUNLOCK', erase],
    ['MEMISLOCKED', erase],
    ['MEMERASE64', inS(16, rows(ERASE64))],
    ['MEMWRITEOOB', inS(16, rows(OOB))],
    ['MEMREADOOB', inS(16, rows(OOB))],
    ['MEMWRITEOOB64', inS(24, rows(OOB64))],
    ['MEMREADOOB64', inS(24, rows(OOB64))],
    ['MEMWRITE', inS(48, req)],
    ['MEMREAD', inS(48, req)],
    ['OTPLOCK', inS(12, rows(OTP_INFO))],
    ['OTPERASE', inS(12, rows(OTP_INFO))],
    ['OTPGETREGIONINFO', outS(12, rows(OTP_INFO))],
    ['OTPSELECT', inS(4, (c, b) => arr([c.xval(BigInt(b.readUInt32LE(0)), mtd_otp_options, 'MTD_OTP_???')]))],
    ['MEMGETBADBLOCK', inS(8, (_c, b) => arr([num(b.readBigUInt64LE(0))]))],
    ['MEMSETBADBLOCK', inS(8, (_c, b) => arr([num(b.readBigUInt64LE(0))]))],
    ['MEMGETREGIONCOUNT', (c, arg) => scalarOut(c, arg, 'i32')],
    ['OTPGETREGIONCOUNT', (c, arg) => scalarOut(c, arg, 'u32')],
    ['MEMGETINFO', outS(32, info)],
    ['ECCGETSTATS', outS(16, rows(ECC_STATS))],
    ['ECCGETLAYOUT', outS(328, ecclayout)],
    ['MEMGETOOBSEL', outS(200, oobinfo)],
    ['MTDFILEMODE', (c, arg) => (c.push(c.xval(arg, mtd_file_mode_options, 'MTD_FILE_MODE_???')), RVAL_DECODED)],
  ];
  // MEMGETREGIONINFO: the index goes in, the region comes back (printed in one struct at exit).
  const region: Handler = (c, arg) => {
    if (c.entering) return keepAtEntry(c, arg, 16);
    const b = (c.failed ? undefined : c.fetch(arg, 16)) ?? (c.priv as Buffer);
    c.push(struct(fieldsOf(b, c.failed ? [REGION[3]!] : [REGION[3]!, ...REGION.slice(0, 3)])));
    return 0;
  };
  handlersList.push(['MEMGETREGIONINFO', region]);
  return (handlers ??= new Map(handlersList.map(([n, h]) => [ioc(n), h])));
}

registerIoctlFamily([0x4d], (c, code, arg) => table().get(code)?.(c, arg));
