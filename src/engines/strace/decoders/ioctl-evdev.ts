/**
 * Input devices (include/uapi/linux/input.h, input-event-codes.h): the 'E' requests. Several
 * carry a length or an event/axis code in the request number (EVIOCGBIT(EV_KEY, 96),
 * EVIOCGABS(ABS_X)), so this family names its requests itself.
 */
import { Ctx, RVAL_DECODED, U32, xvalStr, type XlatStyle } from '../printer.js';
import { addr, arr, field, hexStr, num, struct, sym, type Field, type Value } from '../value.js';
import type { Xlat } from '../xlat/xlat.js';
import {
  evdev_abs,
  evdev_autorepeat,
  evdev_ev,
  evdev_ff_types,
  evdev_keycode,
  evdev_leds,
  evdev_misc,
  evdev_mtslots,
  evdev_prop,
  evdev_relative_axes,
  evdev_snd,
  evdev_switch,
} from '../xlat/tables.gen.js';
import { IOC_READ, IOC_WRITE, ioc, iocDir, iocNr, iocSize, ioctlName, registerIoctlFamily } from './ioctl.js';
import { atExit, fetched, fieldsOf, later, type Row } from './ioctl-struct.js';

const E = 0x45;

/** Requests whose size field is the buffer length: EVIOCGNAME(len) and friends, by number. */
const LEN_REQUESTS: Record<number, string> = {
  0x06: 'EVIOCGNAME',
  0x07: 'EVIOCGPHYS',
  0x08: 'EVIOCGUNIQ',
  0x09: 'EVIOCGPROP',
  0x0a: 'EVIOCGMTSLOTS',
  0x18: 'EVIOCGKEY',
  0x19: 'EVIOCGLED',
  0x1a: 'EVIOCGSND',
  0x1b: 'EVIOCGSW',
};

/** A code inside a request name: the name; else hex with a ??? comment (bare hex under -X verbose). */
function innerName(v: number, x: Xlat, dflt: string, style: XlatStyle): string {
  const n = x.lookup(BigInt(v));
  if (n !== undefined) return n;
  return style === 'verbose' ? hexStr(BigInt(v)) : `${hexStr(BigInt(v))} /* ${dflt} */`;
}

function namer(code: number, style: XlatStyle): string | undefined {
  const dir = iocDir(code);
  const nr = iocNr(code);
  if (dir === IOC_READ) {
    const len = LEN_REQUESTS[nr];
    if (len) return `${len}(${iocSize(code)})`;
    // type 0 asks for the event types themselves: printed as 0, not EV_SYN
    if (nr === 0x20) return `EVIOCGBIT(0, ${iocSize(code)})`;
    if (nr >= 0x20 && nr < 0x40) return `EVIOCGBIT(${innerName(nr - 0x20, evdev_ev, 'EV_???', style)}, ${iocSize(code)})`;
    if (nr >= 0x40 && nr < 0x80) return `EVIOCGABS(${innerName(nr - 0x40, evdev_abs, 'ABS_???', style)})`;
  } else if (dir === IOC_WRITE && nr >= 0xc0) {
    return `EVIOCSABS(${innerName(nr - 0xc0, evdev_abs, 'ABS_???', style)})`;
  }
  return ioctlName(code);
}

/** The bit tables per event type (EVIOCGBIT) and the highest bit each can have. */
const BITS: Record<number, readonly [Xlat, number]> = {
  0x00: [evdev_ev, 0x1f],
  0x01: [evdev_keycode, 0x2ff],
  0x02: [evdev_relative_axes, 0x0f],
  0x03: [evdev_abs, 0x3f],
  0x04: [evdev_misc, 0x07],
  0x05: [evdev_switch, 0x10],
  0x11: [evdev_leds, 0x0f],
  0x12: [evdev_snd, 0x07],
  0x14: [evdev_autorepeat, 0x01],
  0x15: [evdev_ff_types, 0x7f],
};

/**
 * A bit set the kernel filled in: as many bytes as it returned (never more than the type's bits
 * need), shown as names of the set bits [KEY_1 KEY_2] (4 of them unless -v), the raw words
 * [0x6] under -X raw, both under -X verbose.
 */
function bitset(c: Ctx, ad: bigint, x: Xlat, maxBit: number): Value {
  if (c.rval <= 0n || ad === 0n) return addr(ad);
  const bytes = Math.min(Number(c.rval), (maxBit + 8) >> 3);
  const words = (bytes + 7) >> 3;
  const b = c.fetch(ad, words * 8);
  if (!b) return addr(ad);
  const style = c.o.xlat;
  const raw = `[${Array.from({ length: words }, (_, i) => hexStr(b.readBigUInt64LE(i * 8))).join(', ')}]`;
  if (style === 'raw') return sym(raw);
  const names: string[] = [];
  let more = false;
  for (let bit = 0; bit < bytes * 8; bit++) {
    if (!((b[bit >> 3]! >> (bit & 7)) & 1)) continue;
    if (c.abbrev && names.length === 4) {
      more = true;
      break;
    }
    names.push(xvalStr(BigInt(bit), x, undefined, style));
  }
  const s = `[${names.join(' ')}${more ? ' ...' : ''}]`;
  return sym(style === 'verbose' ? `${s} /* ${raw} */` : s);
}

/** struct input_absinfo { __s32 value, minimum, maximum, fuzz, flat, resolution; } */
function absinfo(c: Ctx, ad: bigint, size: number): Value {
  if (size < 20) return addr(ad);
  const want = Math.min(size, 24);
  return fetched(c, ad, want, (b) => {
    const f = (n: string, off: number): Field => field(n, num(b.readUInt32LE(off)));
    if (c.abbrev) return struct([f('value', 0), f('minimum', 4)], true);
    const fs = [f('value', 0), f('minimum', 4), f('maximum', 8), f('fuzz', 12), f('flat', 16)];
    if (size >= 24) fs.push(f('resolution', 20));
    return struct(fs, size > 20 && size !== 24);
  });
}

/** struct input_keymap_entry { __u8 flags, len; __u16 index; __u32 keycode; __u8 scancode[32]; } */
function keymapEntry(c: Ctx, b: Buffer): Value {
  const f: Field[] = [field('flags', num(b[0]!)), field('len', num(b[1]!))];
  if (c.abbrev) return struct(f, true);
  f.push(field('index', num(b.readUInt16LE(2))));
  f.push(field('keycode', c.xval(BigInt(b.readUInt32LE(4)), evdev_keycode, 'KEY_???')));
  f.push(field('scancode', arr(Array.from(b.subarray(8, 40), (v) => sym(hexStr(BigInt(v)))))));
  return struct(f);
}

const ENVELOPE: Row[] = [
  ['attack_length', 0, 'u16'],
  ['attack_level', 2, 'u16'],
  ['fade_length', 4, 'u16'],
  ['fade_level', 6, 'x16'],
];

/**
 * struct ff_effect { __u16 type; __s16 id; __u16 direction; struct ff_trigger trigger;
 * struct ff_replay replay; union u (at 16) }; the union member printed is the one `type` names.
 */
function ffEffect(c: Ctx, b: Buffer): Value {
  const type = b.readUInt16LE(0);
  const f: Field[] = [
    field('type', c.xval(BigInt(type), evdev_ff_types, 'FF_???')),
    field('id', num(b.readInt16LE(2))),
    field('direction', num(b.readUInt16LE(4))),
  ];
  if (c.abbrev) return struct(f, true);
  f.push(field('trigger', struct(fieldsOf(b, [['button', 6, 'u16'], ['interval', 8, 'u16']]))));
  f.push(field('replay', struct(fieldsOf(b, [['length', 10, 'u16'], ['delay', 12, 'u16']]))));
  const U = 16;
  const envelope = (off: number): Field => field('envelope', struct(fieldsOf(b, ENVELOPE, U + off)));
  const name = evdev_ff_types.lookup(BigInt(type));
  if (name === 'FF_CONSTANT') f.push(field('constant', struct([field('level', num(b.readInt16LE(U))), envelope(2)])));
  else if (name === 'FF_RAMP') f.push(field('ramp', struct([...fieldsOf(b, [['start_level', 0, 'i16'], ['end_level', 2, 'i16']], U), envelope(4)])));
  else if (name === 'FF_PERIODIC') {
    const p: Row[] = [
      ['waveform', 0, 'u16'],
      ['period', 2, 'u16'],
      ['magnitude', 4, 'i16'],
      ['offset', 6, 'i16'],
      ['phase', 8, 'u16'],
    ];
    f.push(field('periodic', struct([...fieldsOf(b, p, U), envelope(10), ...fieldsOf(b, [['custom_len', 20, 'u32'], ['custom_data', 24, 'ptr']], U)])));
  } else if (name === 'FF_RUMBLE') f.push(field('rumble', struct(fieldsOf(b, [['strong_magnitude', 0, 'u16'], ['weak_magnitude', 2, 'u16']], U))));
  return struct(f);
}

/** [u32, u32], the second shaped by `second` (EVIOCSKEYCODE's key name). */
function pair(c: Ctx, ad: bigint, second: (v: bigint) => Value = num): Value {
  return fetched(c, ad, 8, (b) => arr([num(b.readUInt32LE(0)), second(BigInt(b.readUInt32LE(4)))]));
}

let fixed: Map<number, (c: Ctx, arg: bigint) => number> | undefined;
function fixedRequests(): Map<number, (c: Ctx, arg: bigint) => number> {
  const entry = (f: (c: Ctx, arg: bigint) => Value) => (c: Ctx, arg: bigint) => (c.push(f(c, arg)), RVAL_DECODED);
  const key = (c: Ctx) => (v: bigint) => c.xval(v, evdev_keycode, 'KEY_???');
  return (fixed ??= new Map<number, (c: Ctx, arg: bigint) => number>([
    [ioc('EVIOCGVERSION'), (c, arg) => atExit(c, arg, 4, (b) => arr([sym(hexStr(BigInt(b.readUInt32LE(0))))]))],
    [ioc('EVIOCGEFFECTS'), (c, arg) => atExit(c, arg, 4, (b) => arr([num(b.readInt32LE(0))]))],
    [ioc('EVIOCGID'), (c, arg) => atExit(c, arg, 8, (b) => struct(fieldsOf(b, [['bustype', 0, 'u16'], ['vendor', 2, 'u16'], ['product', 4, 'u16'], ['version', 6, 'u16']])))],
    [ioc('EVIOCGREP'), (c, arg) => (c.entering ? 0 : (c.push(pair(c, arg)), 0))],
    [ioc('EVIOCSREP'), entry((c, arg) => pair(c, arg))],
    [ioc('EVIOCGKEYCODE'), (c, arg) => (c.entering ? 0 : (c.push(pair(c, arg, key(c))), 0))],
    [ioc('EVIOCSKEYCODE'), entry((c, arg) => pair(c, arg, key(c)))],
    [ioc('EVIOCGKEYCODE_V2'), (c, arg) => atExit(c, arg, 40, (b) => keymapEntry(c, b))],
    [ioc('EVIOCSKEYCODE_V2'), entry((c, arg) => fetched(c, arg, 40, (b) => keymapEntry(c, b)))],
    [ioc('EVIOCSFF'), entry((c, arg) => fetched(c, arg, 48, (b) => ffEffect(c, b)))],
    [ioc('EVIOCRMFF'), entry((c, arg) => num(BigInt.asIntN(32, arg)))],
    [ioc('EVIOCGRAB'), entry((_c, arg) => num(arg))],
    [ioc('EVIOCREVOKE'), entry((_c, arg) => num(arg))],
    [ioc('EVIOCSCLOCKID'), entry((c, arg) => fetched(c, arg, 4, (b) => arr([num(b.readUInt32LE(0))])))],
  ]));
}

/** EVIOCGMTSLOTS(len): { __u32 code; __s32 values[len / 4 - 1]; } */
function mtslots(c: Ctx, arg: bigint, size: number): Value {
  if (size < 4) return addr(arg);
  return fetched(c, arg, size & ~3, (b) => {
    const values: Value[] = [];
    for (let off = 4; off + 4 <= b.length; off += 4) values.push(num(b.readInt32LE(off)));
    return struct([field('code', c.xval(BigInt(b.readUInt32LE(0)), evdev_mtslots, 'ABS_MT_???')), field('values', arr(values))]);
  });
}

const LEN_BITS: Record<number, readonly [Xlat, number]> = {
  0x09: [evdev_prop, 0x1f],
  0x18: [evdev_keycode, 0x2ff],
  0x19: [evdev_leds, 0x0f],
  0x1a: [evdev_snd, 0x07],
  0x1b: [evdev_switch, 0x10],
};

function evdev(c: Ctx, code: number, arg: bigint): number | undefined {
  const known = fixedRequests().get(code);
  if (known) return known(c, arg);
  const dir = iocDir(code);
  const nr = iocNr(code);
  const size = iocSize(code);
  if (dir === IOC_WRITE && nr >= 0xc0) {
    c.push(absinfo(c, arg, size));
    return RVAL_DECODED;
  }
  if (dir !== IOC_READ) return undefined;
  const bits = nr >= 0x20 && nr < 0x40 ? BITS[nr - 0x20] : LEN_BITS[nr];
  if (nr >= 0x40 && nr < 0x80) return later(c, () => absinfo(c, arg, size));
  if (nr === 0x06 || nr === 0x07 || nr === 0x08) {
    if (!c.entering) c.push(c.failed ? addr(arg) : c.cstr(arg, Math.min(size, Number(U32(c.rval)))));
    return 0;
  }
  if (nr === 0x0a) return later(c, () => mtslots(c, arg, size));
  if (nr >= 0x20 && nr < 0x40 && !bits) return later(c, () => addr(arg));
  if (!bits) return undefined;
  if (!c.entering) c.push(bitset(c, arg, bits[0], bits[1]));
  return 0;
}

registerIoctlFamily([E], evdev, namer);
