/**
 * Video4Linux2 (include/uapi/linux/videodev2.h, v4l2-controls.h): the 'V' requests.
 *
 * What is decoded: the structures a request sends (S_/TRY_ requests in full, the key fields of
 * G_/ENUM_/QUERY requests: index, type, id), pixel formats as v4l2_fourcc('Y', 'U', 'Y', 'V')
 * with the header's name, control ids by name or as CLASS+offset. Answers decoded at exit:
 * formats, stream parameters, controls, crops, the standard and input numbers, the frame buffer,
 * capabilities, enumerations (formats, inputs, standards, frame sizes and intervals), buffers,
 * tuners and control descriptions.
 */
import { Ctx, RVAL_DECODED, flagsStr, timevalValue, xvalStr } from '../printer.js';
import { addr, arr, chg, cmt, field, hexStr, num, str, struct, sym, type Field, type Value } from '../value.js';
import {
  v4l2_buf_flags,
  v4l2_buf_flags_ts_src,
  v4l2_buf_flags_ts_type,
  v4l2_buf_types,
  v4l2_capture_modes,
  v4l2_colorspaces,
  v4l2_control_classes,
  v4l2_control_id_flags,
  v4l2_control_flags,
  v4l2_control_ids,
  v4l2_control_types,
  v4l2_device_capabilities,
  v4l2_fields,
  v4l2_format_description_flags,
  v4l2_frameinterval_types,
  v4l2_framesize_types,
  v4l2_input_types,
  v4l2_memories,
  v4l2_pix_fmts,
  v4l2_sliced_flags,
  v4l2_streaming_capabilities,
  v4l2_tuner_audmodes,
  v4l2_tuner_capabilities,
  v4l2_tuner_rxsubchanses,
  v4l2_tuner_types,
  v4l2_vbi_flags,
} from '../xlat/tables.gen.js';
import { ioc, iocSize, registerIoctlFamily } from './ioctl.js';
import { fieldsOf, keepAtEntry, nonzero, scalars, type Row } from './ioctl-struct.js';

/** One character of a fourcc: 'Y', '\'', '\xef'. */
function fourccChar(ch: number): string {
  if (ch === 0x27 || ch === 0x5c) return `'\\${String.fromCharCode(ch)}'`;
  if (ch >= 0x20 && ch < 0x7f) return `'${String.fromCharCode(ch)}'`;
  return `'\\x${ch.toString(16).padStart(2, '0')}'`;
}

/** A pixel format: v4l2_fourcc('Y', 'U', 'Y', 'V') /* V4L2_PIX_FMT_YUYV *\/; hex under -X raw. */
function fourcc(c: Ctx, v: number): Value {
  if (c.o.xlat === 'raw') return sym(hexStr(BigInt(v)));
  const s = sym(`v4l2_fourcc(${[0, 8, 16, 24].map((sh) => fourccChar((v >>> sh) & 0xff)).join(', ')})`);
  const name = v4l2_pix_fmts.lookup(BigInt(v));
  return name ? cmt(s, name) : s;
}

/** A control id: its name, else CLASS+offset within a known class, else hex with a ??? comment. */
function cidStr(c: Ctx, v: number): string {
  const name = v4l2_control_ids.lookup(BigInt(v)) ?? classOffset(v);
  const h = hexStr(BigInt(v));
  if (c.o.xlat === 'raw') return h;
  if (name === undefined) return `${h} /* V4L2_CID_??? */`;
  return c.o.xlat === 'verbose' ? `${h} /* ${name} */` : name;
}
function classOffset(v: number): string | undefined {
  const cls = v4l2_control_classes.lookup(BigInt(v & 0xffff0000));
  return cls && `${cls}+${hexStr(BigInt(v & 0xffff))}`;
}
const cid = (c: Ctx, v: number): Value => sym(cidStr(c, v));

/** QUERYCTRL's id may carry V4L2_CTRL_FLAG_NEXT_* bits above the control id. */
function queryId(c: Ctx, v: number): Value {
  const flags = v & 0xc0000000;
  if (!flags || c.o.xlat === 'raw') return c.o.xlat === 'raw' ? sym(hexStr(BigInt(v >>> 0))) : cid(c, v);
  const f = flagsStr(BigInt(flags >>> 0), v4l2_control_id_flags, undefined, c.o.xlat);
  const rest = v & 0x3fffffff;
  return sym(rest ? `${f}|${cidStr(c, rest)}` : f);
}

const bufType = (c: Ctx, v: number): Value => c.xval(BigInt(v), v4l2_buf_types, 'V4L2_BUF_TYPE_???');
const u32 = (b: Buffer, off: number): number => b.readUInt32LE(off);
const x32 = (b: Buffer, off: number): Value => sym(hexStr(BigInt(u32(b, off))));

/** struct v4l2_rect { __s32 left, top; __u32 width, height; } */
const RECT: Row[] = [
  ['left', 0, 'i32'],
  ['top', 4, 'i32'],
  ['width', 8, 'u32'],
  ['height', 12, 'u32'],
];
const rect = (b: Buffer, off: number): Value => struct(fieldsOf(b, RECT, off));

/** The v4l2_format union at offset 8, shaped by the buffer type (undefined: type unknown). */
function formatUnion(c: Ctx, type: string | undefined, b: Buffer, U: number): Field | undefined {
  const f = (n: string, off: number): Field => field(n, num(u32(b, U + off)));
  const field_ = (off: number): Field => field('field', c.xval(BigInt(u32(b, U + off)), v4l2_fields, 'V4L2_FIELD_???'));
  const colorspace = (off: number): Field => field('colorspace', c.xval(BigInt(u32(b, U + off)), v4l2_colorspaces, 'V4L2_COLORSPACE_???'));
  switch (type) {
    case 'V4L2_BUF_TYPE_VIDEO_CAPTURE':
    case 'V4L2_BUF_TYPE_VIDEO_OUTPUT':
      return field(
        'fmt.pix',
        struct([f('width', 0), f('height', 4), field('pixelformat', fourcc(c, u32(b, U + 8))), field_(12), f('bytesperline', 16), f('sizeimage', 20), colorspace(24)]),
      );
    case 'V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE':
    case 'V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE': {
      // struct v4l2_plane_pix_format plane_fmt[8] at 20 (20 bytes each), __u8 num_planes at 180
      const n = b[U + 180]!;
      const planes: Value[] = [];
      for (let i = 0; i < Math.min(n, 8); i++) planes.push(struct([f('sizeimage', 20 + 20 * i), f('bytesperline', 24 + 20 * i)]));
      return field(
        'fmt.pix_mp',
        struct([f('width', 0), f('height', 4), field('pixelformat', fourcc(c, u32(b, U + 8))), field_(12), colorspace(16), field('plane_fmt', arr(planes)), field('num_planes', num(n))]),
      );
    }
    case 'V4L2_BUF_TYPE_VIDEO_OVERLAY':
    case 'V4L2_BUF_TYPE_VIDEO_OUTPUT_OVERLAY': {
      // struct v4l2_window { v4l2_rect w; __u32 field, chromakey; v4l2_clip *clips; __u32 clipcount; void *bitmap; __u8 global_alpha; }
      const count = u32(b, U + 32);
      const clips = c.array(b.readBigUInt64LE(U + 24), BigInt(count), 24, (e) => struct([field('c', rect(e, 0))]));
      return field(
        'fmt.win',
        struct([
          field('w', rect(b, U)),
          field_(16),
          field('chromakey', x32(b, U + 20)),
          field('clips', clips),
          field('clipcount', num(count)),
          field('bitmap', addr(b.readBigUInt64LE(U + 40))),
          field('global_alpha', sym(hexStr(BigInt(b[U + 48]!)))),
        ]),
      );
    }
    case 'V4L2_BUF_TYPE_VBI_CAPTURE':
    case 'V4L2_BUF_TYPE_VBI_OUTPUT':
      return field(
        'fmt.vbi',
        struct([
          f('sampling_rate', 0),
          f('offset', 4),
          f('samples_per_line', 8),
          field('sample_format', fourcc(c, u32(b, U + 12))),
          field('start', arr(scalars(b, U + 16, 2, 'i32'))),
          field('count', arr(scalars(b, U + 24, 2, 'u32'))),
          field('flags', c.flags(BigInt(u32(b, U + 32)), v4l2_vbi_flags, 'V4L2_VBI_???')),
        ]),
      );
    case 'V4L2_BUF_TYPE_SLICED_VBI_CAPTURE':
    case 'V4L2_BUF_TYPE_SLICED_VBI_OUTPUT':
      // { __u16 service_set; __u16 service_lines[2][24]; __u32 io_size; }
      return field(
        'fmt.sliced',
        struct([
          field('service_set', c.flags(BigInt(b.readUInt16LE(U)), v4l2_sliced_flags, 'V4L2_SLICED_???')),
          field('service_lines', arr([arr(scalars(b, U + 2, 24, 'x16')), arr(scalars(b, U + 50, 24, 'x16'))])),
          f('io_size', 100),
        ]),
      );
    case 'V4L2_BUF_TYPE_SDR_CAPTURE':
    case 'V4L2_BUF_TYPE_SDR_OUTPUT':
      return field('fmt.sdr', struct([field('pixelformat', fourcc(c, u32(b, U))), f('buffersize', 4)]));
    case 'V4L2_BUF_TYPE_META_CAPTURE':
    case 'V4L2_BUF_TYPE_META_OUTPUT':
      return field('fmt.meta', struct([field('dataformat', fourcc(c, u32(b, U))), f('buffersize', 4)]));
    default:
      return undefined;
  }
}

/** struct v4l2_format { __u32 type; union fmt (at 8); }: the union only when `full`. */
function format(c: Ctx, b: Buffer, base: number, full: boolean): Value {
  const type = u32(b, base);
  const f: Field[] = [field('type', bufType(c, type))];
  const u = full ? formatUnion(c, v4l2_buf_types.lookup(BigInt(type)), b, base + 8) : undefined;
  if (u) f.push(u);
  return struct(f);
}

/** struct v4l2_streamparm { __u32 type; union parm (at 4): capture or output parameters; } */
function streamparm(c: Ctx, b: Buffer): Value {
  const type = u32(b, 0);
  const name = v4l2_buf_types.lookup(BigInt(type));
  const f: Field[] = [field('type', bufType(c, type))];
  const out = name === 'V4L2_BUF_TYPE_VIDEO_OUTPUT';
  if (name === 'V4L2_BUF_TYPE_VIDEO_CAPTURE' || out) {
    f.push(
      field(
        out ? 'parm.output' : 'parm.capture',
        struct([
          field('capability', c.flags(BigInt(u32(b, 4)), v4l2_streaming_capabilities, 'V4L2_CAP_???')),
          field(out ? 'outputmode' : 'capturemode', c.flags(BigInt(u32(b, 8)), v4l2_capture_modes, 'V4L2_MODE_???')),
          field('timeperframe', sym(`${u32(b, 12)}/${u32(b, 16)}`)),
          field('extendedmode', x32(b, 20)),
          field(out ? 'writebuffers' : 'readbuffers', num(u32(b, 24))),
        ]),
      ),
    );
  }
  return struct(f);
}

/**
 * A char[size] field: up to its NUL, else size-1 characters and `...`; -s applies as well.
 */
function chars(c: Ctx, b: Buffer, off: number, size: number): Value {
  const s = b.subarray(off, off + size);
  const z = s.indexOf(0);
  const max = c.o.strsize;
  if (z >= 0 && z <= max) return str(s.subarray(0, z));
  return str(s.subarray(0, Math.min(z >= 0 ? z : size - 1, max)), true);
}

/** struct v4l2_tuner { __u32 index; __u8 name[32]; __u32 type, capability, rangelow, rangehigh, rxsubchans, audmode; __s32 signal, afc; } */
function tuner(c: Ctx, b: Buffer): Value {
  return struct([
    field('index', num(u32(b, 0))),
    field('name', chars(c, b, 4, 32)),
    field('type', c.xval(BigInt(u32(b, 36)), v4l2_tuner_types, 'V4L2_TUNER_???')),
    field('capability', c.flags(BigInt(u32(b, 40)), v4l2_tuner_capabilities, 'V4L2_TUNER_CAP_???')),
    field('rangelow', num(u32(b, 44))),
    field('rangehigh', num(u32(b, 48))),
    field('rxsubchans', c.flags(BigInt(u32(b, 52)), v4l2_tuner_rxsubchanses, 'V4L2_TUNER_SUB_???')),
    field('audmode', c.xval(BigInt(u32(b, 56)), v4l2_tuner_audmodes, 'V4L2_TUNER_MODE_???')),
    field('signal', num(b.readInt32LE(60))),
    field('afc', num(b.readInt32LE(64))),
  ]);
}

/** `len` bytes of a string, -s of them, read even after a failed call (the controls are the caller's). */
function stringAlways(c: Ctx, ad: bigint, len: number): Value {
  const max = c.o.strsize;
  const b = ad ? c.fetchAlways(ad, len > max ? max + 1 : len) : undefined;
  if (!b) return addr(ad);
  return len > max ? str(b.subarray(0, max), true) : str(b);
}

/** struct v4l2_ext_control { __u32 id, size, reserved2[1]; union { __s32 value; __s64 value64; char *string; ... }; } (packed, 20 bytes) */
function extControl(c: Ctx, e: Buffer): Value {
  const size = u32(e, 4);
  const f: Field[] = [field('id', cid(c, u32(e, 0))), field('size', num(size))];
  if (size) f.push(field('string', stringAlways(c, e.readBigUInt64LE(12), size)));
  else f.push(field('value', num(e.readInt32LE(12))), field('value64', num(e.readBigInt64LE(12))));
  return struct(f);
}

/**
 * struct v4l2_ext_controls { __u32 ctrl_class, count, error_idx; __s32 request_fd; __u32 reserved[1]; struct v4l2_ext_control *controls; }
 * S_/TRY_ send the controls and get them back with error_idx (" => {controls=[...], error_idx=N}");
 * G_ sends only the class and count.
 */
function extControls(c: Ctx, arg: bigint, get: boolean): number {
  const b = c.fetchAlways(arg, 32);
  const list = (x: Buffer): Value => c.array(x.readBigUInt64LE(24), BigInt(u32(x, 4)), 20, (e) => extControl(c, e), true);
  if (c.entering) {
    if (!b || arg === 0n) {
      c.push(addr(arg));
      return RVAL_DECODED;
    }
    const count = u32(b, 4);
    const f: Field[] = [field('ctrl_class', c.xval(BigInt(u32(b, 0)), v4l2_control_classes, 'V4L2_CTRL_CLASS_???')), field('count', num(count))];
    if (count === 0) {
      c.push(struct(f));
      return RVAL_DECODED;
    }
    if (get) {
      c.priv = f;
      return 0;
    }
    const l = list(b);
    c.push(struct([...f, field('controls', l)]));
    // a list that could not be read whole is not worth printing again
    if (l.t !== 'arr' || l.moreAt !== undefined) return RVAL_DECODED;
    c.noTrailingSep = true;
    return 0;
  }
  if (!b) return 0;
  const tail = [field('controls', list(b)), field('error_idx', num(u32(b, 8)))];
  if (get) c.push(struct([...(c.priv as Field[]), ...tail]));
  else c.changeLast(struct(tail));
  return 0;
}

/** The union part of a format or stream parameters, as printed after ` => `. */
function fmtBack(c: Ctx, b: Buffer): Value | undefined {
  const type = v4l2_buf_types.lookup(BigInt(u32(b, 0)));
  // an overlay window (its clip list in the caller's memory) is not printed again, as strace 6.1
  if (type?.endsWith('OVERLAY')) return undefined;
  const u = formatUnion(c, type, b, 8);
  return u && struct([u]);
}
function parmBack(c: Ctx, b: Buffer): Value | undefined {
  const p = streamparm(c, b);
  return p.t === 'struct' && p.f.length > 1 ? struct(p.f.slice(1)) : undefined;
}

/** struct v4l2_framebuffer { __u32 capability, flags; void *base; ... } */
const fbuf = (b: Buffer): Value => struct([field('capability', x32(b, 0)), field('flags', x32(b, 4)), field('base', addr(b.readBigUInt64LE(8)))]);

type Handler = (c: Ctx, arg: bigint, code: number) => number;
/** A structure read whole (the request's size) at entry and shaped by `f`; nothing at exit. */
const sent =
  (f: (c: Ctx, b: Buffer) => Value): Handler =>
  (c, arg, code) => {
    const b = arg ? c.fetch(arg, iocSize(code)) : undefined;
    c.push(b ? f(c, b) : addr(arg));
    return RVAL_DECODED;
  };
/**
 * A GET whose request part is read at entry: printed at exit as `sent` shows it when the call
 * failed, as `got` shows the answer when it succeeded.
 */
const asked =
  (sent: (c: Ctx, b: Buffer) => Value, got: (c: Ctx, b: Buffer, before: Buffer) => Value): Handler =>
  (c, arg, code) => {
    if (c.entering) return keepAtEntry(c, arg, iocSize(code));
    const before = c.priv as Buffer;
    const b = c.failed ? undefined : c.fetch(arg, iocSize(code));
    c.push(b ? got(c, b, before) : sent(c, before));
    return 0;
  };
/** True when an array in `v` ended at unreadable memory. */
function unfinished(v: Value): boolean {
  if (v.t === 'arr') return v.moreAt !== undefined || v.a.some(unfinished);
  if (v.t === 'struct') return v.f.some((f) => unfinished(f.v));
  return false;
}

/** A SET that returns the structure adjusted: `sent` at entry, ` => ` what `back` shows after. */
const adjusted =
  (sent: (c: Ctx, b: Buffer) => Value, back: (c: Ctx, b: Buffer) => Value | undefined): Handler =>
  (c, arg, code) => {
    if (c.entering) {
      const b = arg ? c.fetch(arg, iocSize(code)) : undefined;
      const v = b ? sent(c, b) : addr(arg);
      c.push(v);
      // a list inside that could not be read whole is not printed again
      if (!b || unfinished(v)) return RVAL_DECODED;
      c.noTrailingSep = true;
      return 0;
    }
    const b = c.fetch(arg, iocSize(code));
    const v = b && back(c, b);
    if (v) c.changeLast(v);
    return 0;
  };
/** A pointer to one integer the call fills: [value] at exit. */
const intGot =
  (size: 4 | 8, f: (v: bigint) => Value): Handler =>
  (c, arg) => {
    if (c.entering) return 0;
    const b = arg && !c.failed ? c.fetch(arg, size) : undefined;
    c.push(b ? arr([f(size === 4 ? BigInt(u32(b, 0)) : b.readBigUInt64LE(0))]) : addr(arg));
    return 0;
  };
/** A pointer to one integer sent: [value]. */
const intSent =
  (size: 4 | 8, f: (c: Ctx, v: bigint) => Value): Handler =>
  (c, arg) => {
    const b = arg ? c.fetch(arg, size) : undefined;
    c.push(b ? arr([f(c, size === 4 ? BigInt(u32(b, 0)) : b.readBigUInt64LE(0))]) : addr(arg));
    return RVAL_DECODED;
  };

/** A structure the call fills, printed at exit (the address when the call failed). */
const intGotStruct =
  (f: (c: Ctx, b: Buffer) => Value): Handler =>
  (c, arg, code) => {
    if (c.entering) return 0;
    const b = arg && !c.failed ? c.fetch(arg, iocSize(code)) : undefined;
    c.push(b ? f(c, b) : addr(arg));
    return 0;
  };

// ---- answers of the G_/ENUM_/QUERY requests, printed at exit -------------------------------

const index = (_c: Ctx, b: Buffer): Value => struct([field('index', num(u32(b, 0)))]);
const typeIndex = (c: Ctx, b: Buffer): Value => struct([field('type', bufType(c, u32(b, 4))), field('index', num(u32(b, 0)))]);
const fract = (b: Buffer, off: number): Value => sym(`${u32(b, off)}/${u32(b, off + 4)}`);
const V4L2_CAP_DEVICE_CAPS = 0x80000000;

/** KERNEL_VERSION(a, b, c) of a version word; hex under -X raw, both under -X verbose. */
function kernelVersion(c: Ctx, v: number): Value {
  const text = `KERNEL_VERSION(${v >>> 16}, ${(v >>> 8) & 0xff}, ${v & 0xff})`;
  if (c.o.xlat === 'abbrev') return sym(text);
  const h = hexStr(BigInt(v));
  return sym(c.o.xlat === 'raw' ? h : `${h} /* ${text} */`);
}

/** struct v4l2_capability { __u8 driver[16], card[32], bus_info[32]; __u32 version, capabilities, device_caps; } */
function capability(c: Ctx, b: Buffer): Value {
  const caps = u32(b, 84);
  const f: Field[] = [
    field('driver', chars(c, b, 0, 16)),
    field('card', chars(c, b, 16, 32)),
    field('bus_info', chars(c, b, 48, 32)),
    field('version', kernelVersion(c, u32(b, 80))),
    field('capabilities', c.flags(BigInt(caps), v4l2_device_capabilities, 'V4L2_CAP_???')),
  ];
  // device_caps is meaningful only when the driver says so
  if (caps & V4L2_CAP_DEVICE_CAPS) f.push(field('device_caps', c.flags(BigInt(u32(b, 88)), v4l2_device_capabilities, 'V4L2_CAP_???')));
  return struct(f);
}

/** struct v4l2_fmtdesc { __u32 index, type, flags; __u8 description[32]; __u32 pixelformat; ... } */
const fmtdesc = (c: Ctx, b: Buffer): Value =>
  struct([
    field('index', num(u32(b, 0))),
    field('type', bufType(c, u32(b, 4))),
    field('flags', c.flags(BigInt(u32(b, 8)), v4l2_format_description_flags, 'V4L2_FMT_FLAG_???')),
    field('description', chars(c, b, 12, 32)),
    field('pixelformat', fourcc(c, u32(b, 44))),
  ]);

/** struct v4l2_requestbuffers { __u32 count, type, memory; ... }: the count the driver granted after ` => `. */
const reqbufs = (c: Ctx, b: Buffer, before?: Buffer): Value =>
  struct([
    field('type', bufType(c, u32(b, 4))),
    field('memory', memory(c, u32(b, 8))),
    field('count', before ? chg(num(u32(before, 0)), num(u32(b, 0))) : num(u32(b, 0))),
  ]);

const memory = (c: Ctx, v: number): Value => c.xval(BigInt(v), v4l2_memories, 'V4L2_MEMORY_???');

/**
 * v4l2_buffer flags: the flag bits, then the timestamp type and source fields by name
 * (TIMESTAMP_MASK 0xe000, TSTAMP_SRC_MASK 0x70000, whose zero values are names too).
 */
function bufFlags(c: Ctx, v: number): Value {
  if (c.o.xlat === 'raw') return sym(hexStr(BigInt(v >>> 0)));
  const rest = (v & ~0x7e000) >>> 0;
  const parts: string[] = [];
  if (rest) parts.push(flagsStr(BigInt(rest), v4l2_buf_flags, undefined, c.o.xlat));
  parts.push(xvalStr(BigInt(v & 0xe000), v4l2_buf_flags_ts_type, 'V4L2_BUF_FLAG_TIMESTAMP_???', c.o.xlat));
  parts.push(xvalStr(BigInt(v & 0x70000), v4l2_buf_flags_ts_src, 'V4L2_BUF_FLAG_TSTAMP_SRC_???', c.o.xlat));
  return sym(parts.join('|'));
}

/**
 * struct v4l2_buffer { __u32 index, type, bytesused, flags, field; struct timeval timestamp (24);
 * ...; __u32 memory (60); union m (64); __u32 length (72); ... }: the timestamp only after DQBUF.
 */
function buffer(c: Ctx, b: Buffer, dq: boolean): Value {
  const mem = u32(b, 60);
  const f: Field[] = [field('type', bufType(c, u32(b, 4))), field('index', num(u32(b, 0))), field('memory', memory(c, mem))];
  const memName = v4l2_memories.lookup(BigInt(mem));
  if (memName === 'V4L2_MEMORY_MMAP') f.push(field('m.offset', x32(b, 64)));
  else if (memName === 'V4L2_MEMORY_USERPTR') f.push(field('m.userptr', sym(hexStr(b.readBigUInt64LE(64)))));
  else if (memName === 'V4L2_MEMORY_DMABUF') f.push(field('m.fd', num(b.readInt32LE(64))));
  f.push(field('length', num(u32(b, 72))), field('bytesused', num(u32(b, 8))), field('flags', bufFlags(c, u32(b, 12))));
  if (dq) f.push(field('timestamp', timevalValue(b, 24)));
  return struct(f, true);
}

/** struct v4l2_standard { __u32 index; v4l2_std_id id; __u8 name[24] (16); struct v4l2_fract frameperiod (40); __u32 framelines (48); } */
const standard = (c: Ctx, b: Buffer): Value =>
  struct([field('index', num(u32(b, 0))), field('name', chars(c, b, 16, 24)), field('frameperiod', fract(b, 40)), field('framelines', num(u32(b, 48)))]);

/** struct v4l2_input { __u32 index; __u8 name[32]; __u32 type (36); ... } */
const input = (c: Ctx, b: Buffer): Value =>
  struct([field('index', num(u32(b, 0))), field('name', chars(c, b, 4, 32)), field('type', c.xval(BigInt(u32(b, 36)), v4l2_input_types, 'V4L2_INPUT_TYPE_???'))]);

/**
 * The head v4l2_queryctrl and v4l2_query_ext_ctrl share ({ __u32 id, type; char name[32]; }): id
 * (as sent, ` => ` the one found when it differs), type and name.
 */
function ctrlHead(c: Ctx, b: Buffer, before: Buffer): Field[] {
  const id0 = u32(before, 0);
  const id = u32(b, 0);
  return [
    field('id', id === id0 ? queryId(c, id) : chg(queryId(c, id0), queryId(c, id))),
    field('type', c.xval(BigInt(u32(b, 4)), v4l2_control_types, 'V4L2_CTRL_TYPE_???')),
    field('name', chars(c, b, 8, 32)),
  ];
}
const ctrlFlags = (c: Ctx, b: Buffer, off: number): Field => field('flags', c.flags(BigInt(u32(b, off)), v4l2_control_flags, 'V4L2_CTRL_FLAG_???'));
/** reserved words, shown only when some are set. */
function reserved(b: Buffer, off: number, n: number): Field[] {
  return nonzero(b, off, 4 * n) ? [field('reserved', arr(scalars(b, off, n, 'x32')))] : [];
}

/** struct v4l2_queryctrl { head; __s32 minimum, maximum, step, default_value (40); __u32 flags (56), reserved[2]; }: the limits under -v. */
function queryctrl(c: Ctx, b: Buffer, before: Buffer): Value {
  const head = ctrlHead(c, b, before);
  if (c.abbrev) return struct(head, true);
  const i = (k: string, off: number): Field => field(k, num(b.readInt32LE(off)));
  return struct([...head, i('minimum', 40), i('maximum', 44), i('step', 48), i('default_value', 52), ctrlFlags(c, b, 56), ...reserved(b, 60, 2)]);
}

/**
 * struct v4l2_query_ext_ctrl { head; __s64 minimum, maximum; __u64 step; __s64 default_value (40..);
 * __u32 flags (72), elem_size, elems, nr_of_dims, dims[4] (88), reserved[32] (104); }: the rest under -v.
 */
function queryExtCtrl(c: Ctx, b: Buffer, before: Buffer): Value {
  const head = ctrlHead(c, b, before);
  if (c.abbrev) return struct(head, true);
  const dims = u32(b, 84);
  return struct([
    ...head,
    field('minimum', num(b.readBigInt64LE(40))),
    field('maximum', num(b.readBigInt64LE(48))),
    field('step', num(b.readBigUInt64LE(56))),
    field('default_value', num(b.readBigInt64LE(64))),
    ctrlFlags(c, b, 72),
    field('elem_size', num(u32(b, 76))),
    field('elems', num(u32(b, 80))),
    field('nr_of_dims', num(dims)),
    field('dims', arr(scalars(b, 88, Math.min(dims, 4), 'u32'))),
    ...reserved(b, 104, 32),
  ]);
}

/** struct v4l2_frmsizeenum { __u32 index, pixel_format, type; union { discrete, stepwise } (12); } */
function frmsize(c: Ctx, b: Buffer): Value {
  const type = u32(b, 8);
  const f: Field[] = [field('index', num(u32(b, 0))), field('pixel_format', fourcc(c, u32(b, 4))), field('type', c.xval(BigInt(type), v4l2_framesize_types, 'V4L2_FRMSIZE_TYPE_???'))];
  const name = v4l2_framesize_types.lookup(BigInt(type));
  const n = (k: string, off: number): Field => field(k, num(u32(b, off)));
  if (name === 'V4L2_FRMSIZE_TYPE_DISCRETE') f.push(field('discrete', struct([n('width', 12), n('height', 16)])));
  else if (name === 'V4L2_FRMSIZE_TYPE_STEPWISE')
    f.push(field('stepwise', struct([n('min_width', 12), n('max_width', 16), n('step_width', 20), n('min_height', 24), n('max_height', 28), n('step_height', 32)])));
  return struct(f);
}

/** struct v4l2_frmivalenum { __u32 index, pixel_format, width, height, type; union { discrete, stepwise } (20); } */
function frmival(c: Ctx, b: Buffer): Value {
  const type = u32(b, 16);
  const f: Field[] = [
    field('index', num(u32(b, 0))),
    field('pixel_format', fourcc(c, u32(b, 4))),
    field('width', num(u32(b, 8))),
    field('height', num(u32(b, 12))),
    field('type', c.xval(BigInt(type), v4l2_frameinterval_types, 'V4L2_FRMIVAL_TYPE_???')),
  ];
  const name = v4l2_frameinterval_types.lookup(BigInt(type));
  if (name === 'V4L2_FRMIVAL_TYPE_DISCRETE') f.push(field('discrete', fract(b, 20)));
  else if (name === 'V4L2_FRMIVAL_TYPE_CONTINUOUS' || name === 'V4L2_FRMIVAL_TYPE_STEPWISE')
    f.push(field('stepwise', struct([field('min', fract(b, 20)), field('max', fract(b, 28)), field('step', fract(b, 36))])));
  return struct(f);
}

/**
 * VIDIOC_CREATE_BUFS: the request at entry; at exit of a success the index and count of the
 * buffers made, after the return value as strace shows them.
 */
const createBufs: Handler = (c, arg, code) => {
  if (c.entering) {
    const b = arg ? c.fetch(arg, iocSize(code)) : undefined;
    c.push(b ? struct([field('count', num(u32(b, 4))), field('memory', memory(c, u32(b, 8))), field('format', format(c, b, 16, true))]) : addr(arg));
    if (!b) return RVAL_DECODED;
    c.noTrailingSep = true;
    return 0;
  }
  const b = c.fetch(arg, 8);
  if (b) c.aux = `{index=${u32(b, 0)}, count=${u32(b, 4)}}`;
  return 0;
};

let table: Map<number, Handler> | undefined;
function handlers(): Map<number, Handler> {
  const only = (...rows: [string, number, (c: Ctx, b: Buffer, off: number) => Value][]) =>
    sent((c, b) => struct(rows.map(([n, off, v]) => field(n, v(c, b, off)))));
  const T = (c: Ctx, b: Buffer, off: number): Value => bufType(c, u32(b, off));
  return (table ??= new Map<number, Handler>([
    [ioc('VIDIOC_QUERYCAP'), intGotStruct(capability)],
    [ioc('VIDIOC_ENUM_FMT'), asked((c, b) => struct([field('index', num(u32(b, 0))), field('type', bufType(c, u32(b, 4)))]), fmtdesc)],
    [ioc('VIDIOC_G_FMT'), asked((c, b) => format(c, b, 0, false), (c, b) => format(c, b, 0, true))],
    [ioc('VIDIOC_S_FMT'), adjusted((c, b) => format(c, b, 0, true), fmtBack)],
    [ioc('VIDIOC_TRY_FMT'), adjusted((c, b) => format(c, b, 0, true), fmtBack)],
    [ioc('VIDIOC_REQBUFS'), asked((c, b) => reqbufs(c, b), (c, b, before) => reqbufs(c, b, before))],
    [ioc('VIDIOC_QUERYBUF'), asked(typeIndex, (c, b) => buffer(c, b, false))],
    [ioc('VIDIOC_QBUF'), asked(typeIndex, (c, b) => buffer(c, b, false))],
    [ioc('VIDIOC_DQBUF'), asked((c, b) => struct([field('type', bufType(c, u32(b, 4)))]), (c, b) => buffer(c, b, true))],
    [ioc('VIDIOC_G_FBUF'), intGotStruct((_c, b) => fbuf(b))],
    [ioc('VIDIOC_S_FBUF'), sent((_c, b) => fbuf(b))],
    [ioc('VIDIOC_STREAMON'), intSent(4, (c, v) => bufType(c, Number(v)))],
    [ioc('VIDIOC_STREAMOFF'), intSent(4, (c, v) => bufType(c, Number(v)))],
    [ioc('VIDIOC_G_PARM'), asked((c, b) => struct([field('type', bufType(c, u32(b, 0)))]), (c, b) => streamparm(c, b))],
    [ioc('VIDIOC_S_PARM'), adjusted(streamparm, parmBack)],
    [ioc('VIDIOC_G_STD'), intGot(8, (v) => sym(hexStr(v)))],
    [ioc('VIDIOC_S_STD'), intSent(8, (_c, v) => sym(hexStr(v)))],
    [ioc('VIDIOC_ENUMSTD'), asked(index, standard)],
    [ioc('VIDIOC_ENUMINPUT'), asked(index, input)],
    [ioc('VIDIOC_G_CTRL'), asked((c, b) => struct([field('id', cid(c, u32(b, 0)))]), (c, b) => struct([field('id', cid(c, u32(b, 0))), field('value', num(b.readInt32LE(4)))]))],
    [
      ioc('VIDIOC_S_CTRL'),
      asked(
        (c, b) => struct([field('id', cid(c, u32(b, 0))), field('value', num(b.readInt32LE(4)))]),
        (c, b, before) => struct([field('id', cid(c, u32(before, 0))), field('value', chg(num(before.readInt32LE(4)), num(b.readInt32LE(4))))]),
      ),
    ],
    [ioc('VIDIOC_G_TUNER'), asked(index, tuner)],
    [ioc('VIDIOC_S_TUNER'), adjusted(tuner, (c, b) => { const t = tuner(c, b); return t.t === 'struct' ? struct(t.f.slice(1)) : t; })],
    [ioc('VIDIOC_QUERYCTRL'), asked((c, b) => struct([field('id', queryId(c, u32(b, 0)))]), queryctrl)],
    [ioc('VIDIOC_G_INPUT'), intGot(4, (v) => num(v))],
    [ioc('VIDIOC_S_INPUT'), intSent(4, (_c, v) => num(v))],
    [
      ioc('VIDIOC_CROPCAP'),
      // struct v4l2_cropcap { __u32 type; struct v4l2_rect bounds, defrect; struct v4l2_fract pixelaspect; }
      asked(
        (c, b) => struct([field('type', bufType(c, u32(b, 0)))]),
        (c, b) => struct([field('type', bufType(c, u32(b, 0))), field('bounds', rect(b, 4)), field('defrect', rect(b, 20)), field('pixelaspect', sym(`${u32(b, 36)}/${u32(b, 40)}`))]),
      ),
    ],
    [ioc('VIDIOC_G_CROP'), asked((c, b) => struct([field('type', bufType(c, u32(b, 0)))]), (c, b) => struct([field('type', bufType(c, u32(b, 0))), field('c', rect(b, 4))]))],
    [ioc('VIDIOC_S_CROP'), only(['type', 0, T], ['c', 4, (_c, b, off) => rect(b, off)])],
    [ioc('VIDIOC_G_EXT_CTRLS'), (c, arg) => extControls(c, arg, true)],
    [ioc('VIDIOC_S_EXT_CTRLS'), (c, arg) => extControls(c, arg, false)],
    [ioc('VIDIOC_TRY_EXT_CTRLS'), (c, arg) => extControls(c, arg, false)],
    [ioc('VIDIOC_ENUM_FRAMESIZES'), asked((c, b) => struct([field('index', num(u32(b, 0))), field('pixel_format', fourcc(c, u32(b, 4)))]), frmsize)],
    [ioc('VIDIOC_ENUM_FRAMEINTERVALS'), asked((c, b) => struct([field('index', num(u32(b, 0))), field('pixel_format', fourcc(c, u32(b, 4))), field('width', num(u32(b, 8))), field('height', num(u32(b, 12)))]), frmival)],
    // struct v4l2_create_buffers { __u32 index, count, memory; struct v4l2_format format (at 16); }
    [ioc('VIDIOC_CREATE_BUFS'), createBufs],
    [ioc('VIDIOC_QUERY_EXT_CTRL'), asked((c, b) => struct([field('id', queryId(c, u32(b, 0)))]), queryExtCtrl)],
  ]));
}

registerIoctlFamily([0x56], (c, code, arg) => handlers().get(code)?.(c, arg, code));
