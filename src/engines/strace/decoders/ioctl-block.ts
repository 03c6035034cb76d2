/**
 * Block device ioctls (include/uapi/linux/fs.h, blkpg.h, blktrace_api.h), type byte 0x12:
 * the scalar GET/SET requests, discard ranges, BLKPG partitions and BLKTRACESETUP.
 */
import { Ctx, RVAL_DECODED } from '../printer.js';
import { arr, field, num, struct, type Value } from '../value.js';
import { blkpg_ops } from '../xlat/tables.gen.js';
import { ioc, registerIoctlFamily } from './ioctl.js';
import { charArray, fetched, fieldsOf, scalarOut, scalars, type Kind, type Row } from './ioctl-struct.js';

/** struct blkpg_partition { long long start, length; int pno; char devname[64], volname[64]; } */
const PARTITION_SIZE = 152;
function partition(b: Buffer): Value {
  return struct([
    ...fieldsOf(b, [
      ['start', 0, 'i64'],
      ['length', 8, 'i64'],
      ['pno', 16, 'i32'],
    ]),
    field('devname', charArray(b, 20, 64)),
    field('volname', charArray(b, 84, 64)),
  ]);
}

/** struct blkpg_ioctl_arg { int op, flags, datalen; void *data; } */
function blkpg(c: Ctx, b: Buffer): Value {
  const op = b.readInt32LE(0);
  const data = b.readBigUInt64LE(16);
  return struct([
    field('op', c.xval(BigInt(op >>> 0), blkpg_ops, 'BLKPG_???')),
    ...fieldsOf(b, [
      ['flags', 4, 'i32'],
      ['datalen', 8, 'i32'],
    ]),
    field('data', fetched(c, data, PARTITION_SIZE, partition)),
  ]);
}

/** struct blk_user_trace_setup: the inputs (the kernel writes back only the name). */
const TRACE_SETUP: readonly Row[] = [
  ['act_mask', 32, 'u16'],
  ['buf_size', 36, 'u32'],
  ['buf_nr', 40, 'u32'],
  ['start_lba', 48, 'u64'],
  ['end_lba', 56, 'u64'],
];
const TRACE_SETUP_SIZE = 72;

/** The __u32 pid: a process of the tracee's namespace when it can be one. */
const tracePid = (c: Ctx, pid: number): Value => (pid <= 0x7fffffff ? c.pidv(BigInt(pid)) : num(pid));

function traceSetup(c: Ctx, arg: bigint): number {
  if (c.entering) {
    // pid is a process of the tracee's namespace (--pidns-translation adds ours).
    c.push(fetched(c, arg, TRACE_SETUP_SIZE, (b) => struct([...fieldsOf(b, TRACE_SETUP), field('pid', tracePid(c, b.readUInt32LE(64)))])));
    c.noTrailingSep = true;
    return 0;
  }
  if (!c.failed) {
    const b = c.fetch(arg, TRACE_SETUP_SIZE);
    if (b) c.changeLast(struct([field('name', charArray(b, 0, 32))]));
  }
  return 0;
}

type Handler = (c: Ctx, arg: bigint) => number;
let handlers: Map<number, Handler> | undefined;
function table(): Map<number, Handler> {
  const none: Handler = () => RVAL_DECODED;
  const ulong: Handler = (c, arg) => (c.push(num(arg)), RVAL_DECODED);
  const out =
    (k: Kind): Handler =>
    (c, arg) =>
      scalarOut(c, arg, k);
  const intIn: Handler = (c, arg) => (c.push(c.intPtr(arg)), RVAL_DECODED);
  const range: Handler = (c, arg) => (c.push(fetched(c, arg, 16, (b) => arr(scalars(b, 0, 2, 'u64')))), RVAL_DECODED);
  const rows: [string, Handler][] = [
    ['BLKRRPART', none],
    ['BLKFLSBUF', none],
    ['BLKTRACESTART', none],
    ['BLKTRACESTOP', none],
    ['BLKTRACETEARDOWN', none],
    ['BLKRASET', ulong],
    ['BLKFRASET', ulong],
    ['BLKROSET', intIn],
    ['BLKBSZSET', intIn],
    ['BLKROGET', out('i32')],
    ['BLKBSZGET', out('i32')],
    ['BLKSSZGET', out('i32')],
    ['BLKALIGNOFF', out('i32')],
    ['BLKIOMIN', out('u32')],
    ['BLKIOOPT', out('u32')],
    ['BLKPBSZGET', out('u32')],
    ['BLKDISCARDZEROES', out('u32')],
    ['BLKROTATIONAL', out('u16')],
    ['BLKSECTGET', out('u16')],
    ['BLKRAGET', out('i64')],
    ['BLKFRAGET', out('i64')],
    ['BLKGETSIZE', out('u64')],
    ['BLKGETSIZE64', out('u64')],
    ['BLKGETDISKSEQ', out('u64')],
    ['BLKDISCARD', range],
    ['BLKSECDISCARD', range],
    ['BLKZEROOUT', range],
    ['BLKPG', (c, arg) => (c.push(fetched(c, arg, 24, (b) => blkpg(c, b))), RVAL_DECODED)],
    ['BLKTRACESETUP', traceSetup],
  ];
  return (handlers ??= new Map(rows.map(([n, h]) => [ioc(n), h])));
}

registerIoctlFamily([0x12], (c, code, arg) => table().get(code)?.(c, arg));
