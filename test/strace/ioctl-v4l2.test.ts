// The Video4Linux2 ioctl family (linux/videodev2.h, v4l2-controls.h) over fake tracee memory:
// formats by buffer type, fourcc pixel formats, control ids, extended controls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';
import { ioc } from '../../src/engines/strace/decoders/ioctl.js';

const M = 0x10000000n;
const none = new FakeMemory();
const EBADF = ' = -1 EBADF (Bad file descriptor)';
const fmt = (c: Parameters<typeof formatCall>[0]): string => formatCall(c).replace(/ +=/, ' =');
const call = (name: string, arg: bigint, mem: FakeMemory = none, ret = -9, opts?: Record<string, unknown>): string =>
  fmt({ name: 'ioctl', args: [-1, ioc(name), arg], ret, mem, ...(opts ? { opts } : {}) });

test('v4l2: formats shaped by the buffer type, pixel formats as fourcc', () => {
  const f = Buffer.alloc(208);
  f.writeUInt32LE(2, 0); // V4L2_BUF_TYPE_VIDEO_OUTPUT
  f.writeUInt32LE(640, 8);
  f.writeUInt32LE(480, 12);
  f.write('YUYV', 16, 'latin1');
  f.writeUInt32LE(1, 20); // V4L2_FIELD_NONE
  f.writeUInt32LE(1280, 24);
  f.writeUInt32LE(614400, 28);
  f.writeUInt32LE(8, 32); // V4L2_COLORSPACE_SRGB
  const mem = new FakeMemory().map(M, f);
  const line =
    "{type=V4L2_BUF_TYPE_VIDEO_OUTPUT, fmt.pix={width=640, height=480, pixelformat=v4l2_fourcc('Y', 'U', 'Y', 'V') /* V4L2_PIX_FMT_YUYV */, field=V4L2_FIELD_NONE, bytesperline=1280, sizeimage=614400, colorspace=V4L2_COLORSPACE_SRGB}}";
  assert.equal(call('VIDIOC_S_FMT', M, mem), `ioctl(-1, VIDIOC_S_FMT, ${line})${EBADF}`);
  assert.equal(call('VIDIOC_S_FMT', M, mem, -9, { xlat: 'raw' }).includes('pixelformat=0x56595559, field=0x1'), true);
  assert.equal(call('VIDIOC_G_FMT', M, mem), `ioctl(-1, VIDIOC_G_FMT, {type=V4L2_BUF_TYPE_VIDEO_OUTPUT})${EBADF}`);
  // a structure shorter than the request's size is not read: the address
  assert.equal(call('VIDIOC_S_FMT', M + 8n, mem), `ioctl(-1, VIDIOC_S_FMT, 0x10000008)${EBADF}`);
  f.writeUInt32LE(0x77, 0);
  assert.equal(call('VIDIOC_TRY_FMT', M, new FakeMemory().map(M, f)), `ioctl(-1, VIDIOC_TRY_FMT, {type=0x77 /* V4L2_BUF_TYPE_??? */})${EBADF}`);
  // odd bytes in a fourcc are escaped; unknown ones get no name
  const fs = Buffer.alloc(44);
  fs.writeUInt32LE(7, 0);
  fs.write("A'\\\xfa", 4, 'latin1');
  assert.equal(
    call('VIDIOC_ENUM_FRAMESIZES', M, new FakeMemory().map(M, fs)),
    `ioctl(-1, VIDIOC_ENUM_FRAMESIZES, {index=7, pixel_format=v4l2_fourcc('A', '\\'', '\\\\', '\\xfa')})${EBADF}`,
  );
});

test('v4l2: control ids by name, class+offset, or ???', () => {
  const ctrl = (id: number, v: number): FakeMemory => new FakeMemory().u32(M, id, v);
  assert.equal(call('VIDIOC_S_CTRL', M, ctrl(0x980902, 5)), `ioctl(-1, VIDIOC_S_CTRL, {id=V4L2_CID_SATURATION, value=5})${EBADF}`);
  assert.equal(call('VIDIOC_S_CTRL', M, ctrl(0xa31234, 1)), `ioctl(-1, VIDIOC_S_CTRL, {id=V4L2_CTRL_CLASS_DETECT+0x1234, value=1})${EBADF}`);
  assert.equal(call('VIDIOC_G_CTRL', M, ctrl(0xa60000, 0), -9, { xlat: 'verbose' }), `ioctl(-1, 0xc008561b /* VIDIOC_G_CTRL */, {id=0xa60000 /* V4L2_CID_??? */})${EBADF}`);
  const q = Buffer.alloc(68);
  q.writeUInt32LE(0x80980902, 0);
  assert.equal(call('VIDIOC_QUERYCTRL', M, new FakeMemory().map(M, q)), `ioctl(-1, VIDIOC_QUERYCTRL, {id=V4L2_CTRL_FLAG_NEXT_CTRL|V4L2_CID_SATURATION})${EBADF}`);
});

test('v4l2: extended controls sent, and returned after =>', () => {
  const ext = Buffer.alloc(32);
  ext.writeUInt32LE(0x980000, 0);
  ext.writeUInt32LE(2, 4);
  ext.writeUInt32LE(1, 8);
  ext.writeBigUInt64LE(M + 0x100n, 24);
  const ctl = Buffer.alloc(40);
  ctl.writeUInt32LE(0x980900, 0);
  ctl.writeInt32LE(-1, 12);
  ctl.writeInt32LE(-1, 16);
  ctl.writeUInt32LE(0x980901, 20);
  ctl.writeUInt32LE(2, 24);
  ctl.writeBigUInt64LE(M + 0x200n, 32);
  const mem = new FakeMemory().map(M, ext).map(M + 0x100n, ctl).map(M + 0x200n, 'ab');
  const list = '[{id=V4L2_CID_BRIGHTNESS, size=0, value=-1, value64=-1}, {id=V4L2_CID_CONTRAST, size=2, string="ab"}]';
  assert.equal(call('VIDIOC_S_EXT_CTRLS', M, mem, 0), `ioctl(-1, VIDIOC_S_EXT_CTRLS, {ctrl_class=V4L2_CTRL_CLASS_USER, count=2, controls=${list}} => {controls=${list}, error_idx=1}) = 0`);
  assert.equal(call('VIDIOC_G_EXT_CTRLS', M, mem, 0), `ioctl(-1, VIDIOC_G_EXT_CTRLS, {ctrl_class=V4L2_CTRL_CLASS_USER, count=2, controls=${list}, error_idx=1}) = 0`);
  // the second control unreadable: the list ends with its address and nothing follows at exit
  const short = new FakeMemory().map(M, ext).map(M + 0x100n, ctl.subarray(0, 20));
  assert.equal(
    call('VIDIOC_S_EXT_CTRLS', M, short, 0),
    'ioctl(-1, VIDIOC_S_EXT_CTRLS, {ctrl_class=V4L2_CTRL_CLASS_USER, count=2, controls=[{id=V4L2_CID_BRIGHTNESS, size=0, value=-1, value64=-1}, ... /* 0x10000114 */]}) = 0',
  );
});

test('v4l2: answers decoded at exit when the call succeeded', () => {
  const ctrl = new FakeMemory().u32(M, 0x980902, 7);
  assert.equal(call('VIDIOC_G_CTRL', M, ctrl, 0), 'ioctl(-1, VIDIOC_G_CTRL, {id=V4L2_CID_SATURATION, value=7}) = 0');
  assert.equal(call('VIDIOC_G_CTRL', M, ctrl), `ioctl(-1, VIDIOC_G_CTRL, {id=V4L2_CID_SATURATION})${EBADF}`);
  assert.equal(call('VIDIOC_S_CTRL', M, ctrl, 0), 'ioctl(-1, VIDIOC_S_CTRL, {id=V4L2_CID_SATURATION, value=7 => 7}) = 0');
  assert.equal(call('VIDIOC_G_STD', M, new FakeMemory().u64(M, 0xb000n), 0), 'ioctl(-1, VIDIOC_G_STD, [0xb000]) = 0');
  assert.equal(call('VIDIOC_G_INPUT', M, ctrl), `ioctl(-1, VIDIOC_G_INPUT, 0x10000000)${EBADF}`);
  const crop = Buffer.alloc(44);
  crop.writeUInt32LE(1, 0);
  crop.writeInt32LE(-1, 4);
  crop.writeUInt32LE(16, 36);
  crop.writeUInt32LE(9, 40);
  assert.equal(
    call('VIDIOC_CROPCAP', M, new FakeMemory().map(M, crop), 0),
    'ioctl(-1, VIDIOC_CROPCAP, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE, bounds={left=-1, top=0, width=0, height=0}, defrect={left=0, top=0, width=0, height=0}, pixelaspect=16/9}) = 0',
  );
  const parm = Buffer.alloc(204);
  parm.writeUInt32LE(1, 0);
  parm.writeUInt32LE(0x1000, 4);
  parm.writeUInt32LE(1, 12);
  parm.writeUInt32LE(30, 16);
  const back = 'parm.capture={capability=V4L2_CAP_TIMEPERFRAME, capturemode=0, timeperframe=1/30, extendedmode=0, readbuffers=0}';
  assert.equal(call('VIDIOC_S_PARM', M, new FakeMemory().map(M, parm), 0), `ioctl(-1, VIDIOC_S_PARM, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE, ${back}} => {${back}}) = 0`);
  assert.equal(call('VIDIOC_G_PARM', M, new FakeMemory().map(M, parm), 0), `ioctl(-1, VIDIOC_G_PARM, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE, ${back}}) = 0`);
});

test('v4l2: answers of successful calls: capabilities, enumerations, buffers', () => {
  const cap = Buffer.alloc(104);
  cap.write('vivid', 0, 'latin1');
  cap.write('x'.repeat(32), 16, 'latin1'); // no NUL: 31 characters and ...
  cap.write('platform:vivid-000', 48, 'latin1');
  cap.writeUInt32LE(0x060100, 80);
  cap.writeUInt32LE(0x84000001, 84); // VIDEO_CAPTURE|STREAMING|DEVICE_CAPS
  cap.writeUInt32LE(0x4000001, 88);
  const capMem = new FakeMemory().map(M, cap);
  assert.equal(
    call('VIDIOC_QUERYCAP', M, capMem, 0),
    `ioctl(-1, VIDIOC_QUERYCAP, {driver="vivid", card="${'x'.repeat(31)}"..., bus_info="platform:vivid-000", version=KERNEL_VERSION(6, 1, 0), capabilities=V4L2_CAP_VIDEO_CAPTURE|V4L2_CAP_STREAMING|V4L2_CAP_DEVICE_CAPS, device_caps=V4L2_CAP_VIDEO_CAPTURE|V4L2_CAP_STREAMING}) = 0`,
  );
  assert.match(call('VIDIOC_QUERYCAP', M, capMem, 0, { xlat: 'raw' }), /version=0x60100, capabilities=0x84000001, device_caps=0x4000001\}\) = 0$/);
  assert.match(call('VIDIOC_QUERYCAP', M, capMem, 0, { xlat: 'verbose' }), /version=0x60100 \/\* KERNEL_VERSION\(6, 1, 0\) \*\//);
  // failed: the answer is not there, the address is
  assert.equal(call('VIDIOC_QUERYCAP', M, capMem), `ioctl(-1, VIDIOC_QUERYCAP, 0x10000000)${EBADF}`);

  const fd = Buffer.alloc(64);
  fd.writeUInt32LE(3, 0);
  fd.writeUInt32LE(1, 4);
  fd.writeUInt32LE(0x401, 8); // COMPRESSED and a bit without a name
  fd.write('Motion-JPEG', 12, 'latin1');
  fd.write('MJPG', 44, 'latin1');
  const fdMem = new FakeMemory().map(M, fd);
  assert.equal(
    call('VIDIOC_ENUM_FMT', M, fdMem, 0),
    `ioctl(-1, VIDIOC_ENUM_FMT, {index=3, type=V4L2_BUF_TYPE_VIDEO_CAPTURE, flags=V4L2_FMT_FLAG_COMPRESSED|0x400, description="Motion-JPEG", pixelformat=v4l2_fourcc('M', 'J', 'P', 'G') /* V4L2_PIX_FMT_MJPEG */}) = 0`,
  );
  assert.equal(call('VIDIOC_ENUM_FMT', M, fdMem), `ioctl(-1, VIDIOC_ENUM_FMT, {index=3, type=V4L2_BUF_TYPE_VIDEO_CAPTURE})${EBADF}`);

  const rb = new FakeMemory().u32(M, 4, 1, 1, 0, 0);
  assert.equal(call('VIDIOC_REQBUFS', M, rb, 0), 'ioctl(-1, VIDIOC_REQBUFS, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE, memory=V4L2_MEMORY_MMAP, count=4 => 4}) = 0');

  const buf = Buffer.alloc(88);
  buf.writeUInt32LE(2, 0); // index
  buf.writeUInt32LE(1, 4); // VIDEO_CAPTURE
  buf.writeUInt32LE(1000, 8); // bytesused
  buf.writeUInt32LE(0x2005, 12); // MAPPED|DONE|TIMESTAMP_MONOTONIC, source EOF
  buf.writeBigInt64LE(12n, 24);
  buf.writeBigInt64LE(345n, 32);
  buf.writeUInt32LE(1, 60); // MMAP
  buf.writeUInt32LE(0x3000, 64);
  buf.writeUInt32LE(4096, 72);
  const bufMem = new FakeMemory().map(M, buf);
  const head = 'type=V4L2_BUF_TYPE_VIDEO_CAPTURE, index=2, memory=V4L2_MEMORY_MMAP, m.offset=0x3000, length=4096, bytesused=1000';
  assert.equal(call('VIDIOC_QUERYBUF', M, bufMem, 0), `ioctl(-1, VIDIOC_QUERYBUF, {${head}, flags=V4L2_BUF_FLAG_MAPPED|V4L2_BUF_FLAG_DONE|V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC|V4L2_BUF_FLAG_TSTAMP_SRC_EOF, ...}) = 0`);
  assert.equal(
    call('VIDIOC_DQBUF', M, bufMem, 0, { xlat: 'verbose' }).replace(/^.*flags=/, ''),
    '0x5 /* V4L2_BUF_FLAG_MAPPED|V4L2_BUF_FLAG_DONE */|0x2000 /* V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC */|0 /* V4L2_BUF_FLAG_TSTAMP_SRC_EOF */, timestamp={tv_sec=12, tv_usec=345}, ...}) = 0',
  );
  assert.equal(call('VIDIOC_DQBUF', M, bufMem), `ioctl(-1, VIDIOC_DQBUF, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE})${EBADF}`);
});

test('v4l2: answers of successful calls: sizes, intervals, inputs, controls, created buffers', () => {
  const fs = Buffer.alloc(44);
  fs.writeUInt32LE(0, 0);
  fs.write('YUYV', 4, 'latin1');
  fs.writeUInt32LE(3, 8); // STEPWISE
  [16, 1920, 2, 16, 1080, 2].forEach((v, i) => fs.writeUInt32LE(v, 12 + 4 * i));
  assert.equal(
    call('VIDIOC_ENUM_FRAMESIZES', M, new FakeMemory().map(M, fs), 0),
    "ioctl(-1, VIDIOC_ENUM_FRAMESIZES, {index=0, pixel_format=v4l2_fourcc('Y', 'U', 'Y', 'V') /* V4L2_PIX_FMT_YUYV */, type=V4L2_FRMSIZE_TYPE_STEPWISE, stepwise={min_width=16, max_width=1920, step_width=2, min_height=16, max_height=1080, step_height=2}}) = 0",
  );
  const fi = Buffer.alloc(52);
  fi.write('YUYV', 4, 'latin1');
  fi.writeUInt32LE(640, 8);
  fi.writeUInt32LE(480, 12);
  fi.writeUInt32LE(1, 16); // DISCRETE
  fi.writeUInt32LE(1, 20);
  fi.writeUInt32LE(30, 24);
  assert.match(call('VIDIOC_ENUM_FRAMEINTERVALS', M, new FakeMemory().map(M, fi), 0), /width=640, height=480, type=V4L2_FRMIVAL_TYPE_DISCRETE, discrete=1\/30\}\) = 0$/);

  const inp = Buffer.alloc(80);
  inp.writeUInt32LE(1, 0);
  inp.write('Camera 1', 4, 'latin1');
  inp.writeUInt32LE(2, 36);
  assert.equal(call('VIDIOC_ENUMINPUT', M, new FakeMemory().map(M, inp), 0), 'ioctl(-1, VIDIOC_ENUMINPUT, {index=1, name="Camera 1", type=V4L2_INPUT_TYPE_CAMERA}) = 0');

  const std = Buffer.alloc(72);
  std.write('PAL', 16, 'latin1');
  std.writeUInt32LE(1, 40);
  std.writeUInt32LE(25, 44);
  std.writeUInt32LE(625, 48);
  assert.equal(call('VIDIOC_ENUMSTD', M, new FakeMemory().map(M, std), 0), 'ioctl(-1, VIDIOC_ENUMSTD, {index=0, name="PAL", frameperiod=1/25, framelines=625}) = 0');

  const q = Buffer.alloc(68);
  q.writeUInt32LE(0x980900, 0); // V4L2_CID_BRIGHTNESS
  q.writeUInt32LE(1, 4); // INTEGER
  q.write('Brightness', 8, 'latin1');
  q.writeInt32LE(-128, 40);
  q.writeInt32LE(127, 44);
  q.writeInt32LE(1, 48);
  q.writeInt32LE(0, 52);
  q.writeUInt32LE(0x20, 56); // SLIDER
  const qm = new FakeMemory().map(M, q);
  assert.equal(call('VIDIOC_QUERYCTRL', M, qm, 0), 'ioctl(-1, VIDIOC_QUERYCTRL, {id=V4L2_CID_BRIGHTNESS, type=V4L2_CTRL_TYPE_INTEGER, name="Brightness", ...}) = 0');
  // -v: the limits and flags; the reserved words only when set
  assert.equal(
    call('VIDIOC_QUERYCTRL', M, qm, 0, { verbose: true }),
    'ioctl(-1, VIDIOC_QUERYCTRL, {id=V4L2_CID_BRIGHTNESS, type=V4L2_CTRL_TYPE_INTEGER, name="Brightness", minimum=-128, maximum=127, step=1, default_value=0, flags=V4L2_CTRL_FLAG_SLIDER}) = 0',
  );

  const cb = Buffer.alloc(256);
  cb.writeUInt32LE(5, 0); // index the driver gave
  cb.writeUInt32LE(2, 4);
  cb.writeUInt32LE(1, 8);
  cb.writeUInt32LE(0x77, 16); // a buffer type without a format union
  assert.equal(
    call('VIDIOC_CREATE_BUFS', M, new FakeMemory().map(M, cb), 0),
    'ioctl(-1, VIDIOC_CREATE_BUFS, {count=2, memory=V4L2_MEMORY_MMAP, format={type=0x77 /* V4L2_BUF_TYPE_??? */}}) = 0 ({index=5, count=2})',
  );
  assert.equal(call('VIDIOC_CREATE_BUFS', M, new FakeMemory().map(M, cb)), `ioctl(-1, VIDIOC_CREATE_BUFS, {count=2, memory=V4L2_MEMORY_MMAP, format={type=0x77 /* V4L2_BUF_TYPE_??? */}})${EBADF}`);
});
