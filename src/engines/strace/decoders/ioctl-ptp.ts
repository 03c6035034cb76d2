/**
 * PTP hardware clocks (include/uapi/linux/ptp_clock.h), type byte '='. The "2" requests are
 * the same structures with the reserved words checked by the kernel, so those print their
 * reserved words when set. SYS_OFFSET* send a sample count and get samples back in the same
 * structure: one {...} showing both once the call returns.
 */
import { Ctx, RVAL_DECODED } from '../printer.js';
import { arr, cmt, field, hexStr, num, str, struct, sym, type Field, type Value } from '../value.js';
import { isoTime } from '../timefmt.js';
import { ptp_extts_flags, ptp_perout_flags, ptp_pin_funcs } from '../xlat/tables.gen.js';
import { ioc, registerIoctlFamily } from './ioctl.js';
import { capped, fetched, keepAtEntry, nonzero, scalars } from './ioctl-struct.js';

const PTP_MAX_SAMPLES = 25;
const PEROUT_DUTY_CYCLE = 2;
const PEROUT_PHASE = 4;

/** struct ptp_clock_time { __s64 sec; __u32 nsec, reserved; }, with its date unless -X raw. */
function clockTime(c: Ctx, b: Buffer, off: number, date = true): Value {
  const sec = b.readBigInt64LE(off);
  const nsec = b.readUInt32LE(off + 8);
  const reserved = b.readUInt32LE(off + 12);
  const v = struct([field('sec', num(sec)), field('nsec', num(nsec)), ...(reserved ? [field('reserved', sym(hexStr(BigInt(reserved))))] : [])]);
  if (!date || c.o.xlat === 'raw' || (sec === 0n && nsec === 0) || nsec > 999_999_999) return v;
  const t = isoTime(sec, nsec);
  return t === undefined ? v : cmt(v, t);
}

/** rsv=[...] when any reserved word is set. */
function rsv(b: Buffer, off: number, n: number): Field[] {
  return nonzero(b, off, n * 4) ? [field('rsv', arr(scalars(b, off, n, 'x32')))] : [];
}

/** struct ptp_clock_caps: eight ints and rsv[12]. */
function caps(b: Buffer): Value {
  const names = ['max_adj', 'n_alarm', 'n_ext_ts', 'n_per_out', 'pps', 'n_pins', 'cross_timestamping', 'adjust_phase'];
  return struct([...names.map((n, i) => field(n, num(b.readInt32LE(i * 4)))), ...rsv(b, 32, 12)]);
}

function extts(c: Ctx, b: Buffer, v2: boolean): Value {
  return struct([
    field('index', num(b.readUInt32LE(0))),
    field('flags', c.flags(BigInt(b.readUInt32LE(4)), ptp_extts_flags, 'PTP_???')),
    ...(v2 ? rsv(b, 8, 2) : []),
  ]);
}

/** struct ptp_perout_request: start (or phase), period, index, flags, on (or rsv[4]). */
function perout(c: Ctx, b: Buffer, v2: boolean): Value {
  const flags = b.readUInt32LE(36);
  const phase = (flags & PEROUT_PHASE) !== 0;
  const f: Field[] = [
    field(phase ? 'phase' : 'start', clockTime(c, b, 0, !phase)),
    field('period', clockTime(c, b, 16, false)),
    field('index', num(b.readUInt32LE(32))),
    field('flags', c.flags(BigInt(flags), ptp_perout_flags, 'PTP_PEROUT_???')),
  ];
  if (flags & PEROUT_DUTY_CYCLE) f.push(field('on', clockTime(c, b, 40, false)));
  else if (v2) f.push(...rsv(b, 40, 4));
  return struct(f);
}

/** char name[64] printed whole (not cut at -s): up to the NUL, else 63 bytes and `...`. */
function pinName(b: Buffer): Value {
  const z = b.indexOf(0);
  return z >= 0 ? str(b.subarray(0, z)) : str(b.subarray(0, 63), true);
}

/** struct ptp_pin_desc { char name[64]; __u32 index, func, chan, rsv[5]; } */
function pinGet(c: Ctx, arg: bigint, v2: boolean): number {
  if (c.entering) return keepAtEntry(c, arg, 96);
  const before = c.priv as Buffer;
  const f: Field[] = [field('index', num(before.readUInt32LE(64))), ...(v2 ? rsv(before, 76, 5) : [])];
  const b = c.fetch(arg, 96);
  if (b) f.push(field('name', pinName(b.subarray(0, 64))), ...pinFuncChan(c, b));
  c.push(struct(f));
  return 0;
}

const pinFuncChan = (c: Ctx, b: Buffer): Field[] => [
  field('func', c.xval(BigInt(b.readUInt32LE(68)), ptp_pin_funcs, 'PTP_PF_???')),
  field('chan', num(b.readUInt32LE(72))),
];

/**
 * SYS_OFFSET / SYS_OFFSET_EXTENDED: {n_samples=N, rsv=[...]} sent, the samples appended when
 * the call succeeds.
 */
function sysOffset(c: Ctx, arg: bigint, size: number, samples: (b: Buffer, n: number) => Value): number {
  // the whole structure must be there, as the kernel copies it in whole
  if (c.entering) return keepAtEntry(c, arg, size);
  const head = c.priv as Buffer;
  const n = head.readUInt32LE(0);
  const f: Field[] = [field('n_samples', num(n)), ...rsv(head, 4, 3)];
  const b = c.failed ? undefined : c.fetch(arg, size);
  if (b) f.push(field('ts', samples(b, n)));
  c.push(struct(f));
  return 0;
}

function sysOffsetBasic(c: Ctx, arg: bigint): number {
  const max = 2 * PTP_MAX_SAMPLES + 1;
  return sysOffset(c, arg, 16 + max * 16, (b, n) => {
    const count = Math.min(2 * n + 1, max);
    return capped(c, Array.from({ length: count }, (_, j) => clockTime(c, b, 16 + j * 16)));
  });
}

function sysOffsetExtended(c: Ctx, arg: bigint): number {
  return sysOffset(c, arg, 16 + PTP_MAX_SAMPLES * 48, (b, n) => {
    const count = Math.min(n, PTP_MAX_SAMPLES);
    return capped(c, Array.from({ length: count }, (_, j) => arr([0, 1, 2].map((k) => clockTime(c, b, 16 + j * 48 + k * 16)))));
  });
}

/** struct ptp_sys_offset_precise { device, sys_realtime, sys_monoraw; __u32 rsv[4]; }: no date for the raw monotonic clock */
function precise(c: Ctx, b: Buffer): Value {
  return struct([field('device', clockTime(c, b, 0)), field('sys_realtime', clockTime(c, b, 16)), field('sys_monoraw', clockTime(c, b, 32, false)), ...rsv(b, 48, 4)]);
}

type Handler = (c: Ctx, arg: bigint) => number;
let handlers: Map<number, Handler> | undefined;
function table(): Map<number, Handler> {
  const entry = (size: number, f: (c: Ctx, b: Buffer) => Value): Handler => (c, arg) => (c.push(fetched(c, arg, size, (b) => f(c, b))), RVAL_DECODED);
  const exit = (size: number, f: (c: Ctx, b: Buffer) => Value): Handler => (c, arg) => (c.entering ? 0 : (c.push(fetched(c, arg, size, (b) => f(c, b))), 0));
  const pinSet = (v2: boolean) => entry(96, (c, b) => struct([field('index', num(b.readUInt32LE(64))), ...pinFuncChan(c, b), ...(v2 ? rsv(b, 76, 5) : [])]));
  return (handlers ??= new Map<number, Handler>([
    [ioc('PTP_CLOCK_GETCAPS'), exit(80, (_c, b) => caps(b))],
    [ioc('PTP_CLOCK_GETCAPS2'), exit(80, (_c, b) => caps(b))],
    [ioc('PTP_EXTTS_REQUEST'), entry(16, (c, b) => extts(c, b, false))],
    [ioc('PTP_EXTTS_REQUEST2'), entry(16, (c, b) => extts(c, b, true))],
    [ioc('PTP_PEROUT_REQUEST'), entry(56, (c, b) => perout(c, b, false))],
    [ioc('PTP_PEROUT_REQUEST2'), entry(56, (c, b) => perout(c, b, true))],
    [ioc('PTP_SYS_OFFSET'), sysOffsetBasic],
    [ioc('PTP_SYS_OFFSET2'), sysOffsetBasic],
    [ioc('PTP_SYS_OFFSET_EXTENDED'), sysOffsetExtended],
    [ioc('PTP_SYS_OFFSET_EXTENDED2'), sysOffsetExtended],
    [ioc('PTP_SYS_OFFSET_PRECISE'), exit(64, precise)],
    [ioc('PTP_SYS_OFFSET_PRECISE2'), exit(64, precise)],
    [ioc('PTP_PIN_GETFUNC'), (c, arg) => pinGet(c, arg, false)],
    [ioc('PTP_PIN_GETFUNC2'), (c, arg) => pinGet(c, arg, true)],
    [ioc('PTP_PIN_SETFUNC'), pinSet(false)],
    [ioc('PTP_PIN_SETFUNC2'), pinSet(true)],
  ]));
}

registerIoctlFamily([0x3d], (c, code, arg) => table().get(code)?.(c, arg));
