/**
 * Real-time clocks (include/uapi/linux/rtc.h), type byte 'p' (shared with nvram and phone
 * devices, whose requests stay undecoded): interrupt switches, rtc_time, wake alarms, PLL
 * correction, voltage-low flags and the RTC_PARAM_GET/SET parameters.
 */
import { Ctx, RVAL_DECODED } from '../printer.js';
import { addr, arr, field, hexStr, num, struct, sym, type Field, type Value } from '../value.js';
import { xlat, type Xlat } from '../xlat/xlat.js';
import { rtc_bsm, rtc_features, rtc_params, rtc_vl_flags } from '../xlat/tables.gen.js';
import { ioc, registerIoctlFamily } from './ioctl.js';
import { fetched } from './ioctl-struct.js';

const RTC_TIME = ['tm_sec', 'tm_min', 'tm_hour', 'tm_mday', 'tm_mon', 'tm_year', 'tm_wday', 'tm_yday', 'tm_isdst'];
const PARAM_FEATURES = 0n;
const PARAM_CORRECTION = 1n;
const PARAM_BACKUP_SWITCH_MODE = 2n;

/** The feature bit set of RTC_PARAM_FEATURES: 1<<RTC_FEATURE_ALARM|... */
let featureBits: Xlat | undefined;
const features = (): Xlat => (featureBits ??= xlat('rtc_feature_bits', rtc_features.entries.map(([v, n]) => [1n << v, `1<<${n}`])));

/** struct rtc_time: nine ints, the first six unless -v. */
function rtcTime(c: Ctx, b: Buffer, off = 0): Value {
  const n = c.abbrev ? 6 : 9;
  return struct(
    RTC_TIME.slice(0, n).map((k, i) => field(k, num(b.readInt32LE(off + i * 4)))),
    c.abbrev,
  );
}

/** struct rtc_wkalrm { unsigned char enabled, pending; struct rtc_time time; } */
function wkalrm(c: Ctx, b: Buffer): Value {
  return struct([field('enabled', num(b[0]!)), field('pending', num(b[1]!)), field('time', rtcTime(c, b, 4))]);
}

/** struct rtc_pll_info: six ints and a long (32 bytes). */
function pll(b: Buffer): Value {
  const names = ['pll_ctrl', 'pll_value', 'pll_max', 'pll_min', 'pll_posmult', 'pll_negmult'];
  return struct([...names.map((k, i) => field(k, num(b.readInt32LE(i * 4)))), field('pll_clock', num(b.readBigInt64LE(24)))]);
}

/** The value of struct rtc_param as its parameter says: feature bits, signed, mode, else hex. */
function paramValue(c: Ctx, param: bigint, b: Buffer): Field {
  const v = b.readBigUInt64LE(8);
  if (param === PARAM_FEATURES) return field('uvalue', c.flags(v, features(), '1<<RTC_FEATURE_???'));
  if (param === PARAM_CORRECTION) return field('svalue', num(b.readBigInt64LE(8)));
  if (param === PARAM_BACKUP_SWITCH_MODE) return field('uvalue', c.xval(v, rtc_bsm, 'RTC_BSM_???'));
  return field('uvalue', sym(hexStr(v)));
}

const pad = (b: Buffer): Field[] => (b.readUInt32LE(20) ? [field('__pad', sym(hexStr(BigInt(b.readUInt32LE(20)))))] : []);

/** struct rtc_param { __u64 param; union { __u64 uvalue; __s64 svalue; __u64 ptr; }; __u32 index, __pad; } */
function param(c: Ctx, b: Buffer, withValue: boolean): Value {
  const p = b.readBigUInt64LE(0);
  return struct([
    field('param', c.xval(p, rtc_params, 'RTC_PARAM_???')),
    ...(withValue ? [paramValue(c, p, b)] : []),
    field('index', num(b.readUInt32LE(16))),
    ...pad(b),
  ]);
}

/** RTC_PARAM_GET: {param, index} => {value} */
function paramGet(c: Ctx, arg: bigint): number {
  if (c.entering) {
    const b = c.fetch(arg, 24);
    if (!b) {
      c.push(addr(arg));
      return RVAL_DECODED;
    }
    c.push(param(c, b, false));
    c.noTrailingSep = true;
    c.priv = b.readBigUInt64LE(0);
    return 0;
  }
  c.changeLast(fetched(c, arg, 24, (b) => struct([paramValue(c, c.priv as bigint, b), ...pad(b)])));
  return 0;
}

type Handler = (c: Ctx, arg: bigint) => number;
let handlers: Map<number, Handler> | undefined;
function table(): Map<number, Handler> {
  const none: Handler = () => RVAL_DECODED;
  const ulong: Handler = (c, arg) => (c.push(num(arg)), RVAL_DECODED);
  const entry = (size: number, f: (c: Ctx, b: Buffer) => Value): Handler => (c, arg) => (c.push(fetched(c, arg, size, (b) => f(c, b))), RVAL_DECODED);
  const exit = (size: number, f: (c: Ctx, b: Buffer) => Value): Handler => (c, arg) => (c.entering ? 0 : (c.push(fetched(c, arg, size, (b) => f(c, b))), 0));
  const ulongOut = exit(8, (_c, b) => arr([num(b.readBigUInt64LE(0))]));
  const rows: [string, Handler][] = [
    ['RTC_AIE_ON', none],
    ['RTC_AIE_OFF', none],
    ['RTC_UIE_ON', none],
    ['RTC_UIE_OFF', none],
    ['RTC_PIE_ON', none],
    ['RTC_PIE_OFF', none],
    ['RTC_WIE_ON', none],
    ['RTC_WIE_OFF', none],
    ['RTC_VL_CLR', none],
    ['RTC_IRQP_SET', ulong],
    ['RTC_EPOCH_SET', ulong],
    ['RTC_IRQP_READ', ulongOut],
    ['RTC_EPOCH_READ', ulongOut],
    ['RTC_ALM_SET', entry(36, (c, b) => rtcTime(c, b))],
    ['RTC_SET_TIME', entry(36, (c, b) => rtcTime(c, b))],
    ['RTC_ALM_READ', exit(36, (c, b) => rtcTime(c, b))],
    ['RTC_RD_TIME', exit(36, (c, b) => rtcTime(c, b))],
    ['RTC_WKALM_SET', entry(40, wkalrm)],
    ['RTC_WKALM_RD', exit(40, wkalrm)],
    ['RTC_PLL_SET', entry(32, (_c, b) => pll(b))],
    ['RTC_PLL_GET', exit(32, (_c, b) => pll(b))],
    ['RTC_VL_READ', exit(4, (c, b) => arr([c.flags(BigInt(b.readUInt32LE(0)), rtc_vl_flags, 'RTC_VL_???')]))],
    ['RTC_PARAM_SET', entry(24, (c, b) => param(c, b, true))],
    ['RTC_PARAM_GET', paramGet],
  ];
  return (handlers ??= new Map(rows.map(([n, h]) => [ioc(n), h])));
}

registerIoctlFamily([0x70], (c, code, arg) => table().get(code)?.(c, arg));
