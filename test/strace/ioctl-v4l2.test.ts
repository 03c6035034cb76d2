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
