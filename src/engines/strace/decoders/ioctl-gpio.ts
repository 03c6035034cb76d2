/**
 * GPIO character devices (include/uapi/linux/gpio.h): the v1 chip/line/handle/event requests and
 * the v2 line requests, type byte 0xb4. Requests that send a key and get a record back print
 * `{key} => {record}`.
 */
import { Ctx, RVAL_DECODED } from '../printer.js';
import { addr, arr, field, hexStr, num, struct, sym, type Field, type Value } from '../value.js';
import { gpio_event_flags, gpio_handle_flags, gpio_line_flags, gpio_v2_line_flags } from '../xlat/tables.gen.js';
import { ioc, registerIoctlFamily } from './ioctl.js';
import { capped, fetched, nonzero, scalars } from './ioctl-struct.js';

const GPIOHANDLES_MAX = 64;
const GPIO_V2_LINES_MAX = 64;
const GPIO_V2_LINE_NUM_ATTRS_MAX = 10;
const ATTR_FLAGS = 1;
const ATTR_OUTPUT_VALUES = 2;
const ATTR_DEBOUNCE = 3;

const name32 = (c: Ctx, b: Buffer, off: number): Value => c.bufz(b.subarray(off, off + 32));
const hex = (v: bigint): Value => sym(hexStr(v));
const v2flags = (c: Ctx, v: bigint): Value => c.flags(v, gpio_v2_line_flags, 'GPIO_V2_LINE_FLAG_???');

/** u32 padding words, shown only when one is set. */
function padding(b: Buffer, off: number, n: number): Field[] {
  return nonzero(b, off, n * 4) ? [field('padding', arr(scalars(b, off, n, 'x32')))] : [];
}

/** struct gpio_v2_line_attribute { __u32 id, padding; union { __u64 flags, values; __u32 debounce_period_us; }; } */
function attrFields(c: Ctx, b: Buffer, off: number): Field[] {
  const id = b.readUInt32LE(off);
  const pad = b.readUInt32LE(off + 4);
  const data = b.readBigUInt64LE(off + 8);
  if (pad === 0) {
    if (id === ATTR_FLAGS) return [field('flags', v2flags(c, data))];
    if (id === ATTR_OUTPUT_VALUES) return [field('values', hex(data))];
    if (id === ATTR_DEBOUNCE) return [field('debounce_period_us', num(b.readUInt32LE(off + 8)))];
  }
  return [field('id', num(id)), ...(pad ? [field('padding', hex(BigInt(pad)))] : []), field('data', hex(data))];
}

/** struct gpio_v2_line_config { __u64 flags; __u32 num_attrs, padding[5]; struct { attr; __u64 mask; } attrs[10]; } */
function lineConfig(c: Ctx, b: Buffer, off: number): Value {
  const n = b.readUInt32LE(off + 8);
  const f: Field[] = [field('flags', v2flags(c, b.readBigUInt64LE(off))), field('num_attrs', num(n)), ...padding(b, off + 12, 5)];
  if (n) {
    const attrs: Value[] = [];
    for (let i = 0; i < Math.min(n, GPIO_V2_LINE_NUM_ATTRS_MAX); i++) {
      const a = off + 32 + i * 24;
      const inner = attrFields(c, b, a);
      const mask = field('mask', hex(b.readBigUInt64LE(a + 16)));
      // an attribute with its padding set prints whole as attr={...}
      attrs.push(struct(b.readUInt32LE(a + 4) ? [field('attr', struct(inner)), mask] : [...inner, mask]));
    }
    f.push(field('attrs', capped(c, attrs)));
  }
  return struct(f);
}

/** struct gpio_v2_line_info (after the offset the caller sent): name, consumer, flags, attrs. */
function lineInfoV2(c: Ctx, b: Buffer): Value {
  const n = b.readUInt32LE(68);
  const f: Field[] = [field('name', name32(c, b, 0)), field('consumer', name32(c, b, 32)), field('flags', v2flags(c, b.readBigUInt64LE(72))), field('num_attrs', num(n))];
  if (n) {
    const attrs: Value[] = [];
    for (let i = 0; i < Math.min(n, GPIO_V2_LINE_NUM_ATTRS_MAX); i++) attrs.push(struct(attrFields(c, b, 80 + i * 16)));
    f.push(field('attrs', capped(c, attrs)));
  }
  f.push(...padding(b, 240, 4));
  return struct(f);
}

/** struct gpio_v2_line_request: the lines, consumer and config asked for; the fd comes back. */
function lineRequestV2(c: Ctx, b: Buffer): Value {
  const n = b.readUInt32LE(560);
  const f: Field[] = [
    field('num_lines', num(n)),
    field('offsets', capped(c, scalars(b, 0, Math.min(n, GPIO_V2_LINES_MAX), 'u32'))),
    field('consumer', name32(c, b, 256)),
    field('config', lineConfig(c, b, 288)),
  ];
  const ebs = b.readUInt32LE(564);
  if (ebs) f.push(field('event_buffer_size', num(ebs)));
  f.push(...padding(b, 568, 5));
  return struct(f);
}

/** struct gpiohandle_request { __u32 lineoffsets[64], flags; __u8 default_values[64]; char consumer_label[32]; __u32 lines; int fd; } */
function handleRequest(c: Ctx, b: Buffer): Value {
  const n = Math.min(b.readUInt32LE(356), GPIOHANDLES_MAX);
  return struct([
    field('lines', num(b.readUInt32LE(356))),
    field('lineoffsets', capped(c, scalars(b, 0, n, 'u32'))),
    field('flags', c.flags(BigInt(b.readUInt32LE(256)), gpio_handle_flags, 'GPIOHANDLE_REQUEST_???')),
    field('default_values', capped(c, scalars(b, 260, n, 'u8'))),
    field('consumer_label', name32(c, b, 324)),
  ]);
}

/** struct gpioevent_request { __u32 lineoffset, handleflags, eventflags; char consumer_label[32]; int fd; } */
function eventRequest(c: Ctx, b: Buffer): Value {
  return struct([
    field('lineoffset', num(b.readUInt32LE(0))),
    field('handleflags', c.flags(BigInt(b.readUInt32LE(4)), gpio_handle_flags, 'GPIOHANDLE_REQUEST_???')),
    field('eventflags', c.flags(BigInt(b.readUInt32LE(8)), gpio_event_flags, 'GPIOEVENT_REQUEST_???')),
    field('consumer_label', name32(c, b, 12)),
  ]);
}

/**
 * A request that sends `key` and, when it succeeds, gets `back` filled in: `{key} => {back}`.
 * Unreadable at entry: the address, and nothing at exit.
 */
function keyed(c: Ctx, arg: bigint, size: number, key: (b: Buffer) => Value, back: (b: Buffer) => Value): number {
  if (c.entering) {
    const b = c.fetch(arg, size);
    if (!b) {
      c.push(addr(arg));
      return RVAL_DECODED;
    }
    c.push(key(b));
    c.noTrailingSep = true;
    return 0;
  }
  const b = c.fetch(arg, size);
  if (b) c.changeLast(back(b));
  return 0;
}

const entry = (c: Ctx, arg: bigint, size: number, f: (b: Buffer) => Value): number => (c.push(fetched(c, arg, size, f)), RVAL_DECODED);
const exit = (c: Ctx, arg: bigint, size: number, f: (b: Buffer) => Value): number => (c.entering ? 0 : (c.push(fetched(c, arg, size, f)), 0));
const fdBack = (off: number) => (b: Buffer) => struct([field('fd', num(b.readInt32LE(off)))]);

type Handler = (c: Ctx, arg: bigint) => number;
let handlers: Map<number, Handler> | undefined;
function table(): Map<number, Handler> {
  const lineInfoV1 = (c: Ctx, arg: bigint) =>
    keyed(
      c,
      arg,
      72,
      (b) => struct([field('line_offset', num(b.readUInt32LE(0)))]),
      (b) => struct([field('flags', c.flags(BigInt(b.readUInt32LE(4)), gpio_line_flags, 'GPIOLINE_FLAG_???')), field('name', name32(c, b, 8)), field('consumer', name32(c, b, 40))]),
    );
  const lineInfo2 = (c: Ctx, arg: bigint) => keyed(c, arg, 256, (b) => struct([field('offset', num(b.readUInt32LE(64)))]), (b) => lineInfoV2(c, b));
  const values64 = (c: Ctx) => (b: Buffer) => struct([field('values', capped(c, scalars(b, 0, 64, 'u8')))]);
  return (handlers ??= new Map<number, Handler>([
    [ioc('GPIO_GET_CHIPINFO_IOCTL'), (c, arg) => exit(c, arg, 68, (b) => struct([field('name', name32(c, b, 0)), field('label', name32(c, b, 32)), field('lines', num(b.readUInt32LE(64)))]))],
    [ioc('GPIO_GET_LINEINFO_IOCTL'), lineInfoV1],
    [ioc('GPIO_GET_LINEINFO_WATCH_IOCTL'), lineInfoV1],
    [ioc('GPIO_GET_LINEINFO_UNWATCH_IOCTL'), (c, arg) => entry(c, arg, 4, (b) => struct([field('offset', num(b.readUInt32LE(0)))]))],
    [ioc('GPIO_GET_LINEHANDLE_IOCTL'), (c, arg) => keyed(c, arg, 364, (b) => handleRequest(c, b), fdBack(360))],
    [ioc('GPIO_GET_LINEEVENT_IOCTL'), (c, arg) => keyed(c, arg, 48, (b) => eventRequest(c, b), fdBack(44))],
    [ioc('GPIOHANDLE_GET_LINE_VALUES_IOCTL'), (c, arg) => exit(c, arg, 64, values64(c))],
    [ioc('GPIOHANDLE_SET_LINE_VALUES_IOCTL'), (c, arg) => entry(c, arg, 64, values64(c))],
    [
      ioc('GPIOHANDLE_SET_CONFIG_IOCTL'),
      (c, arg) =>
        entry(c, arg, 84, (b) =>
          struct([field('flags', c.flags(BigInt(b.readUInt32LE(0)), gpio_handle_flags, 'GPIOHANDLE_REQUEST_???')), field('default_values', capped(c, scalars(b, 4, 64, 'u8')))]),
        ),
    ],
    [ioc('GPIO_V2_GET_LINEINFO_IOCTL'), lineInfo2],
    [ioc('GPIO_V2_GET_LINEINFO_WATCH_IOCTL'), lineInfo2],
    [ioc('GPIO_V2_GET_LINE_IOCTL'), (c, arg) => keyed(c, arg, 592, (b) => lineRequestV2(c, b), fdBack(588))],
    [ioc('GPIO_V2_LINE_SET_CONFIG_IOCTL'), (c, arg) => entry(c, arg, 272, (b) => lineConfig(c, b, 0))],
    [ioc('GPIO_V2_LINE_GET_VALUES_IOCTL'), (c, arg) => keyed(c, arg, 16, (b) => struct([field('mask', hex(b.readBigUInt64LE(8)))]), (b) => struct([field('bits', hex(b.readBigUInt64LE(0)))]))],
    [ioc('GPIO_V2_LINE_SET_VALUES_IOCTL'), (c, arg) => entry(c, arg, 16, (b) => struct([field('bits', hex(b.readBigUInt64LE(0))), field('mask', hex(b.readBigUInt64LE(8)))]))],
  ]));
}

registerIoctlFamily([0xb4], (c, code, arg) => table().get(code)?.(c, arg));
