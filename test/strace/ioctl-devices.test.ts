// ioctl device families decoded from their kernel UAPI headers: input (evdev), GPIO, seccomp
// notification fds, PTP clocks. Expected lines are what strace 6.1 prints for the same calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';
import { ioc } from '../../src/engines/strace/decoders/ioctl.js';

const M = 0x10000000n;
const none = new FakeMemory();
const EBADF = ' = -1 EBADF (Bad file descriptor)';
const fmt = (c: Parameters<typeof formatCall>[0]): string => formatCall(c).replace(/ +=/, ' =');
const call = (code: number, arg: bigint, mem: FakeMemory, ret = -9, opts?: Record<string, unknown>): string =>
  fmt({ name: 'ioctl', args: [-1, code, arg], ret, mem, ...(opts ? { opts } : {}) });
/** _IOC(dir, type, nr, size) */
const IOC = (dir: number, type: number, nr: number, size: number): number => ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;

test('evdev: requests named with their codes and lengths, under each -X style', () => {
  assert.equal(call(IOC(2, 0x45, 0x20 + 1, 1), 0n, none), `ioctl(-1, EVIOCGBIT(EV_KEY, 1), NULL)${EBADF}`);
  assert.equal(call(IOC(2, 0x45, 0x20, 0), 0n, none), `ioctl(-1, EVIOCGBIT(0, 0), NULL)${EBADF}`);
  assert.equal(call(IOC(2, 0x45, 0x20 + 0x1f, 42), 0n, none), `ioctl(-1, EVIOCGBIT(0x1f /* EV_??? */, 42), NULL)${EBADF}`);
  assert.equal(call(IOC(2, 0x45, 0x20 + 0x1f, 42), 0n, none, -9, { xlat: 'verbose' }), `ioctl(-1, 0x802a453f /* EVIOCGBIT(0x1f, 42) */, NULL)${EBADF}`);
  assert.equal(call(IOC(2, 0x45, 0x40 + 0x3e, 24), 0n, none), `ioctl(-1, EVIOCGABS(0x3e /* ABS_??? */), NULL)${EBADF}`);
  assert.equal(call(IOC(1, 0x45, 0xc0, 24), 0n, none), `ioctl(-1, EVIOCSABS(ABS_X), NULL)${EBADF}`);
  assert.equal(call(IOC(2, 0x45, 0x0a, 8), 0n, none), `ioctl(-1, EVIOCGMTSLOTS(8), NULL)${EBADF}`);
  // not the size EVIOCGVERSION has: no name, the argument in hex
  assert.equal(call(IOC(2, 0x45, 0x01, 0xff), 0xdeadbeefn, none), `ioctl(-1, _IOC(_IOC_READ, 0x45, 0x1, 0xff), 0xdeadbeef)${EBADF}`);
  assert.equal(call(ioc('EVIOCGRAB'), 0xdeadbeefbadc0dedn, none), `ioctl(-1, EVIOCGRAB, 16045690984232390125)${EBADF}`);
  assert.equal(call(ioc('EVIOCRMFF'), 0xdeadbeefbadc0dedn, none), `ioctl(-1, EVIOCRMFF, -1159983635)${EBADF}`);
});

test('evdev: structures sent and bit sets returned', () => {
  const mem = new FakeMemory().u32(M, 0xdeadbeef, 1);
  assert.equal(call(ioc('EVIOCSKEYCODE'), M, mem), `ioctl(-1, EVIOCSKEYCODE, [3735928559, KEY_ESC])${EBADF}`);
  const bits = Buffer.alloc(16);
  bits.writeBigUInt64LE((1n << 2n) | (1n << 3n), 0);
  bits.writeBigUInt64LE(1n << 24n, 8); // KEY_F12 = 88
  const bm = new FakeMemory().map(M, bits);
  const GBIT_KEY = IOC(2, 0x45, 0x21, 0);
  assert.equal(call(GBIT_KEY, M, bm, 16), 'ioctl(-1, EVIOCGBIT(EV_KEY, 0), [KEY_1 KEY_2 KEY_F12]) = 16');
  assert.equal(call(GBIT_KEY, M, bm, 8), 'ioctl(-1, EVIOCGBIT(EV_KEY, 0), [KEY_1 KEY_2]) = 8');
  assert.equal(call(GBIT_KEY, M, bm, 8, { xlat: 'raw' }), 'ioctl(-1, 0x80004521, [0xc]) = 8');
  assert.equal(call(GBIT_KEY, M, bm, 8, { xlat: 'verbose' }), 'ioctl(-1, 0x80004521 /* EVIOCGBIT(EV_KEY, 0) */, [0x2 /* KEY_1 */ 0x3 /* KEY_2 */] /* [0xc] */) = 8');
  assert.equal(call(GBIT_KEY, M, bm, 0), 'ioctl(-1, EVIOCGBIT(EV_KEY, 0), 0x10000000) = 0');
  const slots = new FakeMemory().u32(M, 0xffffffff, 1);
  assert.equal(call(IOC(2, 0x45, 0x0a, 8), M, slots, 0), 'ioctl(-1, EVIOCGMTSLOTS(8), {code=0xffffffff /* ABS_MT_??? */, values=[1]}) = 0');
  const abs = new FakeMemory().i32(M, 1, -2, 3, 4, 5, 6);
  assert.equal(call(0x80184541, M, abs, 0), 'ioctl(-1, EVIOCGABS(ABS_Y), {value=1, minimum=4294967294, ...}) = 0');
  assert.equal(call(0x80184541, M, abs, 0, { verbose: true }), 'ioctl(-1, EVIOCGABS(ABS_Y), {value=1, minimum=4294967294, maximum=3, fuzz=4, flat=5, resolution=6}) = 0');
  assert.equal(call(0x80184541, M, abs, -9), `ioctl(-1, EVIOCGABS(ABS_Y), 0x10000000)${EBADF}`);
});

test('gpio: v1 and v2 requests, {key} => {answer}', () => {
  const li = Buffer.alloc(72);
  li.writeUInt32LE(50, 0);
  li.writeUInt32LE(0xc, 4);
  li.write('line name', 8);
  li.write('line consumer', 40);
  const mem = new FakeMemory().map(M, li);
  const G = ioc('GPIO_GET_LINEINFO_IOCTL');
  assert.equal(call(G, M, mem, 0), 'ioctl(-1, GPIO_GET_LINEINFO_IOCTL, {line_offset=50} => {flags=GPIOLINE_FLAG_ACTIVE_LOW|GPIOLINE_FLAG_OPEN_DRAIN, name="line name", consumer="line consumer"}) = 0');
  assert.equal(call(G, M, mem), `ioctl(-1, GPIO_GET_LINEINFO_IOCTL, {line_offset=50})${EBADF}`);
  assert.equal(call(G, M + 1n, mem), `ioctl(-1, GPIO_GET_LINEINFO_IOCTL, 0x10000001)${EBADF}`);
  assert.equal(call(G, 0n, mem), `ioctl(-1, GPIO_GET_LINEINFO_IOCTL, NULL)${EBADF}`);
  const v = Buffer.alloc(16);
  v.writeBigUInt64LE(0xcacafeedfacecafen, 0);
  v.writeBigUInt64LE(0xfadebeaddeedbaben, 8);
  const vm = new FakeMemory().map(M, v);
  assert.equal(call(ioc('GPIO_V2_LINE_GET_VALUES_IOCTL'), M, vm, 0), 'ioctl(-1, GPIO_V2_LINE_GET_VALUES_IOCTL, {mask=0xfadebeaddeedbabe} => {bits=0xcacafeedfacecafe}) = 0');
  const cfg = Buffer.alloc(272);
  cfg.writeBigUInt64LE(0x8000n, 0);
  cfg.writeUInt32LE(1, 8);
  cfg.writeUInt32LE(3, 32); // debounce attribute
  cfg.writeUInt32LE(7, 40);
  cfg.writeBigUInt64LE(1n, 48);
  assert.equal(
    call(ioc('GPIO_V2_LINE_SET_CONFIG_IOCTL'), M, new FakeMemory().map(M, cfg)),
    `ioctl(-1, GPIO_V2_LINE_SET_CONFIG_IOCTL, {flags=0x8000 /* GPIO_V2_LINE_FLAG_??? */, num_attrs=1, attrs=[{debounce_period_us=7, mask=0x1}]})${EBADF}`,
  );
});

test('seccomp notification fd: RECV shown at exit (and entry when filled), SEND, ID_VALID of either direction', () => {
  const n = Buffer.alloc(80);
  n.writeInt32LE(186, 16);
  n.writeUInt32LE(0xc000003e, 20);
  const mem = new FakeMemory().map(M, n);
  const R = ioc('SECCOMP_IOCTL_NOTIF_RECV');
  const body = '{id=0, pid=0, flags=0, data={nr=__NR_gettid, arch=AUDIT_ARCH_X86_64, instruction_pointer=NULL, args=[0, 0, 0, 0, 0, 0]}}';
  assert.equal(call(R, M, mem, 0), `ioctl(-1, SECCOMP_IOCTL_NOTIF_RECV, ${body} => ${body}) = 0`);
  assert.equal(call(R, M, mem), `ioctl(-1, SECCOMP_IOCTL_NOTIF_RECV, ${body} => 0x10000000)${EBADF}`);
  const zero = new FakeMemory().map(M, Buffer.alloc(80));
  assert.equal(call(R, M, zero), `ioctl(-1, SECCOMP_IOCTL_NOTIF_RECV, 0x10000000)${EBADF}`);
  const resp = Buffer.alloc(24);
  resp.writeInt32LE(-63, 16);
  resp.writeUInt32LE(1, 20);
  const rm = new FakeMemory().map(M, resp);
  assert.equal(call(ioc('SECCOMP_IOCTL_NOTIF_SEND'), M, rm), `ioctl(-1, SECCOMP_IOCTL_NOTIF_SEND, {id=0, val=0, error=-ENOSR, flags=SECCOMP_USER_NOTIF_FLAG_CONTINUE})${EBADF}`);
  assert.equal(call(ioc('SECCOMP_IOCTL_NOTIF_SEND'), M, rm, -9, { xlat: 'verbose' }).replace(/^ioctl\(-1, [^,]*, /, ''), `{id=0, val=0, error=-63 /* -ENOSR */, flags=0x1 /* SECCOMP_USER_NOTIF_FLAG_CONTINUE */})${EBADF}`);
  const id = new FakeMemory().map(M, Buffer.from('edfecefaedffcade', 'hex'));
  assert.equal(call(0x80082102, M, id), `ioctl(-1, SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR, [0xdecaffedfacefeed])${EBADF}`);
});

test('ptp: clock times with dates, reserved words of the v2 requests, samples after the call', () => {
  const po = Buffer.alloc(56);
  po.writeBigInt64LE(0x123456789n, 0);
  po.writeUInt32LE(123456789, 8);
  po.writeBigInt64LE(0xabcdefn, 16);
  po.writeUInt32LE(1, 36);
  po.writeUInt32LE(5, 40);
  const pm = new FakeMemory().map(M, po);
  const TZ = process.env.TZ;
  process.env.TZ = 'UTC';
  try {
    assert.equal(
      call(ioc('PTP_PEROUT_REQUEST2'), M, pm),
      `ioctl(-1, PTP_PEROUT_REQUEST2, {start={sec=4886718345, nsec=123456789} /* 2124-11-08T05:45:45.123456789+0000 */, period={sec=11259375, nsec=0}, index=0, flags=PTP_PEROUT_ONE_SHOT, rsv=[0x5, 0, 0, 0]})${EBADF}`,
    );
    assert.equal(call(ioc('PTP_PEROUT_REQUEST2'), M, pm, -9, { xlat: 'raw' }), `ioctl(-1, 0x40383d0c, {start={sec=4886718345, nsec=123456789}, period={sec=11259375, nsec=0}, index=0, flags=0x1, rsv=[0x5, 0, 0, 0]})${EBADF}`);
  } finally {
    if (TZ === undefined) delete process.env.TZ;
    else process.env.TZ = TZ;
  }
  const so = Buffer.alloc(16 + 51 * 16);
  so.writeUInt32LE(0, 0);
  const sm = new FakeMemory().map(M, so);
  assert.equal(call(ioc('PTP_SYS_OFFSET'), M, sm, 0), 'ioctl(-1, PTP_SYS_OFFSET, {n_samples=0, ts=[{sec=0, nsec=0}]}) = 0');
  assert.equal(call(ioc('PTP_SYS_OFFSET'), M, sm), `ioctl(-1, PTP_SYS_OFFSET, {n_samples=0})${EBADF}`);
  assert.equal(call(ioc('PTP_SYS_OFFSET'), M + 1n, sm), `ioctl(-1, PTP_SYS_OFFSET, 0x10000001)${EBADF}`);
  assert.equal(call(ioc('PTP_CLOCK_GETCAPS'), M + 1n, sm, 0), 'ioctl(-1, PTP_CLOCK_GETCAPS, {max_adj=0, n_alarm=0, n_ext_ts=0, n_per_out=0, pps=0, n_pins=0, cross_timestamping=0, adjust_phase=0}) = 0');
  // PTP_ENABLE_PPS takes its int by value: printed as the hex argument
  assert.equal(call(ioc('PTP_ENABLE_PPS'), 0xffffffffffffffffn, none), `ioctl(-1, PTP_ENABLE_PPS, 0xffffffffffffffff)${EBADF}`);
});

test('rtc: switches without argument, rtc_time abbreviated, parameters by kind', () => {
  assert.equal(call(ioc('RTC_AIE_OFF'), 0xdeadn, none), `ioctl(-1, RTC_AIE_OFF)${EBADF}`);
  assert.equal(call(ioc('RTC_EPOCH_SET'), 0xdeadbeefbadc0dedn, none), `ioctl(-1, RTC_EPOCH_SET, 16045690984232390125)${EBADF}`);
  const t = new FakeMemory().i32(M, 1, 2, 3, 4, 5, 6, 7, 8, 9);
  assert.equal(call(ioc('RTC_SET_TIME'), M, t), `ioctl(-1, RTC_SET_TIME, {tm_sec=1, tm_min=2, tm_hour=3, tm_mday=4, tm_mon=5, tm_year=6, ...})${EBADF}`);
  assert.equal(call(ioc('RTC_RD_TIME'), M, t, 0, { verbose: true }), 'ioctl(-1, RTC_RD_TIME, {tm_sec=1, tm_min=2, tm_hour=3, tm_mday=4, tm_mon=5, tm_year=6, tm_wday=7, tm_yday=8, tm_isdst=9}) = 0');
  const p = Buffer.alloc(24);
  p.writeBigUInt64LE(0xedn, 8);
  p.writeUInt32LE(1, 20);
  const pm = new FakeMemory().map(M, p);
  assert.equal(
    call(ioc('RTC_PARAM_SET'), M, pm),
    `ioctl(-1, RTC_PARAM_SET, {param=RTC_PARAM_FEATURES, uvalue=1<<RTC_FEATURE_ALARM|1<<RTC_FEATURE_NEED_WEEK_DAY|1<<RTC_FEATURE_ALARM_RES_2S|1<<RTC_FEATURE_CORRECTION|1<<RTC_FEATURE_BACKUP_SWITCH_MODE|1<<RTC_FEATURE_ALARM_WAKEUP_ONLY, index=0, __pad=0x1})${EBADF}`,
  );
  assert.equal(call(ioc('RTC_PARAM_GET'), M, pm), `ioctl(-1, RTC_PARAM_GET, {param=RTC_PARAM_FEATURES, index=0, __pad=0x1} => 0x10000000)${EBADF}`);
  p.writeBigUInt64LE(2n, 0);
  p.writeBigUInt64LE(4n, 8);
  assert.equal(call(ioc('RTC_PARAM_GET'), M, new FakeMemory().map(M, p), 0), 'ioctl(-1, RTC_PARAM_GET, {param=RTC_PARAM_BACKUP_SWITCH_MODE, index=0, __pad=0x1} => {uvalue=0x4 /* RTC_BSM_??? */, __pad=0x1}) = 0');
});

test('ubi: ints by pointer, volume names bounded by their length, the new id after the call', () => {
  const mk = Buffer.alloc(152);
  mk.writeInt32LE(7, 0);
  mk.writeInt8(4, 16);
  mk[17] = 1;
  mk.writeInt16LE(3, 18);
  mk.write('volume', 24);
  const mem = new FakeMemory().map(M, mk);
  const head = '{vol_id=7, alignment=0, bytes=0, vol_type=UBI_STATIC_VOLUME, flags=UBI_VOL_SKIP_CRC_CHECK_FLG, name_len=3, name="vol"...}';
  assert.equal(call(ioc('UBI_IOCMKVOL'), M, mem, 0), `ioctl(-1, UBI_IOCMKVOL, ${head} => [7]) = 0`);
  assert.equal(call(ioc('UBI_IOCMKVOL'), M, mem), `ioctl(-1, UBI_IOCMKVOL, ${head})${EBADF}`);
  assert.equal(call(ioc('UBI_IOCRMVOL'), M, new FakeMemory().i32(M, -5)), `ioctl(-1, UBI_IOCRMVOL, [-5])${EBADF}`);
  assert.equal(call(ioc('UBI_IOCVOLRMBLK'), 1n, none), `ioctl(-1, UBI_IOCVOLRMBLK)${EBADF}`);
  const rs = new FakeMemory().map(M + 0x1000n - 12n, Buffer.alloc(12));
  assert.equal(call(ioc('UBI_IOCRSVOL'), M + 0x1000n - 12n, rs), `ioctl(-1, UBI_IOCRSVOL, {bytes=0, vol_id=0})${EBADF}`);
});
