/**
 * Small ioctl families: namespaces (linux/nsfs.h), the random device (linux/random.h), watchdogs
 * (linux/watchdog.h), inotify (linux/inotify.h), network block devices (linux/nbd.h), counters
 * (linux/counter.h), infrared remotes (linux/lirc.h); the names of HID's length-parameterised
 * requests (linux/hiddev.h, hidraw.h).
 */
import { Ctx, I32, RVAL_DECODED } from '../printer.js';
import { addr, arr, field, hexStr, num, struct, sym, type Value } from '../value.js';
import {
  clone_flags,
  counter_component_types,
  counter_events,
  counter_scopes,
  lirc_features,
  lirc_modes,
  nbd_ioctl_flags,
} from '../xlat/tables.gen.js';
import { IOC_READ, IOC_WRITE, ioc, iocDir, iocNr, iocSize, ioctlName, registerIoctlFamily } from './ioctl.js';

/**
 * How a request prints its argument: none; an int passed by value; a long printed unsigned; an
 * fd; an int * read at entry (in) or at exit (out); an unsigned * read at exit.
 */
type Kind = 'none' | 'int' | 'ulong' | 'fd' | 'intIn' | 'intOut' | 'uintOut' | 'nbdFlags' | 'nstype' | 'entropy' | 'counterWatch' | 'u32In' | 'u32Out' | 'hex32In' | 'modeIn' | 'modeOut' | 'lircFeatures';

function table(rows: [string, Kind][]): () => Map<number, Kind> {
  let m: Map<number, Kind> | undefined;
  return () => (m ??= new Map(rows.map(([n, k]) => [ioc(n), k])));
}

/** struct rand_pool_info { int entropy_count; int buf_size; __u32 buf[]; } */
function entropy(c: Ctx, ad: bigint): Value {
  const b = c.fetch(ad, 8);
  if (!b) return addr(ad);
  const size = b.readInt32LE(4);
  return struct([
    field('entropy_count', num(b.readInt32LE(0))),
    field('buf_size', num(size)),
    field('buf', size < 0 ? addr(ad + 8n) : c.buf(ad + 8n, BigInt(size))),
  ]);
}

/** struct counter_watch { struct counter_component { u8 type, scope, parent, id; }; u8 event, channel; } */
function counterWatch(c: Ctx, ad: bigint): Value {
  const b = c.fetch(ad, 6);
  if (!b) return addr(ad);
  return struct([
    field(
      'component',
      struct([
        field('type', c.xval(BigInt(b[0]!), counter_component_types, 'COUNTER_COMPONENT_???')),
        field('scope', c.xval(BigInt(b[1]!), counter_scopes, 'COUNTER_SCOPE_???')),
        field('parent', num(b[2]!)),
        field('id', num(b[3]!)),
      ]),
    ),
    field('event', c.xval(BigInt(b[4]!), counter_events, 'COUNTER_EVENT_???')),
    field('channel', num(b[5]!)),
  ]);
}

/** A __u32 behind a pointer, shaped by `f`: [v]. */
function u32Ptr(c: Ctx, ad: bigint, f: (v: bigint) => Value): Value {
  const b = c.fetch(ad, 4);
  return b ? arr([f(BigInt(b.readUInt32LE(0)))]) : addr(ad);
}

function family(kinds: () => Map<number, Kind>) {
  return (c: Ctx, code: number, arg: bigint): number | undefined => {
    const kind = kinds().get(code);
    if (kind === undefined) return undefined;
    switch (kind) {
      case 'none':
        return RVAL_DECODED;
      case 'int':
        c.push(num(I32(arg)));
        return RVAL_DECODED;
      case 'ulong':
        c.push(num(arg));
        return RVAL_DECODED;
      case 'fd':
        c.push(c.fd(arg));
        return RVAL_DECODED;
      case 'intIn':
        c.push(c.intPtr(arg));
        return RVAL_DECODED;
      case 'nbdFlags':
        c.push(c.flags(arg, nbd_ioctl_flags));
        return RVAL_DECODED;
      case 'entropy':
        c.push(entropy(c, arg));
        return RVAL_DECODED;
      case 'counterWatch':
        c.push(counterWatch(c, arg));
        return RVAL_DECODED;
      case 'u32In':
        c.push(u32Ptr(c, arg, (v) => num(v)));
        return RVAL_DECODED;
      case 'hex32In':
        c.push(u32Ptr(c, arg, (v) => sym(hexStr(v))));
        return RVAL_DECODED;
      case 'modeIn':
        c.push(u32Ptr(c, arg, (v) => c.xval(v, lirc_modes, 'LIRC_MODE_???')));
        return RVAL_DECODED;
      case 'u32Out':
      case 'modeOut':
      case 'lircFeatures':
        if (c.entering) return 0;
        c.push(
          u32Ptr(c, arg, (v) =>
            kind === 'u32Out' ? num(v) : kind === 'modeOut' ? c.xval(v, lirc_modes, 'LIRC_MODE_???') : c.flags(v, lirc_features, 'LIRC_CAN_???'),
          ),
        );
        return 0;
      case 'nstype':
        // The namespace type comes back as the return value: 268435456 (CLONE_NEWUSER).
        if (c.entering) {
          c.noTrailingSep = true;
          return 0;
        }
        if (!c.failed && c.o.xlat !== 'raw') {
          const n = clone_flags.lookup(c.rval);
          if (n !== undefined) c.aux = n;
        }
        return 0;
      case 'intOut':
      case 'uintOut':
        if (c.entering) return 0;
        c.push(c.failed ? addr(arg) : kind === 'intOut' ? c.intPtr(arg) : c.uintPtr(arg));
        return 0;
    }
  };
}

const nsfs = table([
  ['NS_GET_USERNS', 'none'],
  ['NS_GET_PARENT', 'none'],
  ['NS_GET_NSTYPE', 'nstype'],
  ['NS_GET_OWNER_UID', 'uintOut'],
]);
const random = table([
  ['RNDGETENTCNT', 'intOut'],
  ['RNDADDTOENTCNT', 'intIn'],
  ['RNDADDENTROPY', 'entropy'],
  ['RNDZAPENTCNT', 'none'],
  ['RNDCLEARPOOL', 'none'],
  ['RNDRESEEDCRNG', 'none'],
]);
const watchdog = table([
  ['WDIOC_GETSTATUS', 'intOut'],
  ['WDIOC_GETBOOTSTATUS', 'intOut'],
  ['WDIOC_GETTEMP', 'intOut'],
  ['WDIOC_GETTIMEOUT', 'intOut'],
  ['WDIOC_GETPRETIMEOUT', 'intOut'],
  ['WDIOC_GETTIMELEFT', 'intOut'],
  ['WDIOC_SETTIMEOUT', 'intIn'],
  ['WDIOC_SETPRETIMEOUT', 'intIn'],
  ['WDIOC_KEEPALIVE', 'none'],
]);
const inotify = table([['INOTIFY_IOC_SETNEXTWD', 'int']]);
const nbd = table([
  ['NBD_DISCONNECT', 'none'],
  ['NBD_CLEAR_SOCK', 'none'],
  ['NBD_DO_IT', 'none'],
  ['NBD_CLEAR_QUE', 'none'],
  ['NBD_PRINT_DEBUG', 'none'],
  ['NBD_SET_SOCK', 'fd'],
  ['NBD_SET_BLKSIZE', 'ulong'],
  ['NBD_SET_SIZE', 'ulong'],
  ['NBD_SET_SIZE_BLOCKS', 'ulong'],
  ['NBD_SET_TIMEOUT', 'ulong'],
  ['NBD_SET_FLAGS', 'nbdFlags'],
]);

const counter = table([
  ['COUNTER_ADD_WATCH_IOCTL', 'counterWatch'],
  ['COUNTER_ENABLE_EVENTS_IOCTL', 'none'],
  ['COUNTER_DISABLE_EVENTS_IOCTL', 'none'],
]);

const lirc = table([
  ['LIRC_GET_FEATURES', 'lircFeatures'],
  ['LIRC_GET_SEND_MODE', 'modeOut'],
  ['LIRC_GET_REC_MODE', 'modeOut'],
  ['LIRC_GET_REC_RESOLUTION', 'u32Out'],
  ['LIRC_GET_MIN_TIMEOUT', 'u32Out'],
  ['LIRC_GET_MAX_TIMEOUT', 'u32Out'],
  ['LIRC_GET_LENGTH', 'u32Out'],
  ['LIRC_GET_REC_TIMEOUT', 'u32Out'],
  ['LIRC_SET_SEND_MODE', 'modeIn'],
  ['LIRC_SET_REC_MODE', 'modeIn'],
  ['LIRC_SET_SEND_CARRIER', 'u32In'],
  ['LIRC_SET_REC_CARRIER', 'u32In'],
  ['LIRC_SET_SEND_DUTY_CYCLE', 'u32In'],
  ['LIRC_SET_TRANSMITTER_MASK', 'hex32In'],
  ['LIRC_SET_REC_TIMEOUT', 'u32In'],
  ['LIRC_SET_REC_TIMEOUT_REPORTS', 'u32In'],
  ['LIRC_SET_MEASURE_CARRIER_MODE', 'u32In'],
  ['LIRC_SET_REC_CARRIER_RANGE', 'u32In'],
  ['LIRC_SET_WIDEBAND_RECEIVER', 'u32In'],
]);

registerIoctlFamily([0xb7], family(nsfs));
registerIoctlFamily([0x69], family(lirc));
registerIoctlFamily([0x3e], family(counter));
registerIoctlFamily([0x52], family(random));
registerIoctlFamily([0x57], family(watchdog));
registerIoctlFamily([0x49], family(inotify));
registerIoctlFamily([0xab], family(nbd));

/**
 * HID requests whose size is the caller's buffer length, named NAME(len) as the headers' macros
 * are: [direction, number, macro]. A request with a fixed-size name of its own keeps that name.
 */
const HID_BY_LEN: readonly (readonly [number, number, string])[] = [
  [IOC_READ, 0x04, 'HIDIOCGRAWNAME'],
  [IOC_READ, 0x05, 'HIDIOCGRAWPHYS'],
  [IOC_READ, 0x06, 'HIDIOCGNAME'],
  [IOC_READ, 0x08, 'HIDIOCGRAWUNIQ'],
  [IOC_READ, 0x12, 'HIDIOCGPHYS'],
  [IOC_READ | IOC_WRITE, 0x06, 'HIDIOCSFEATURE'],
  [IOC_READ | IOC_WRITE, 0x07, 'HIDIOCGFEATURE'],
  [IOC_READ | IOC_WRITE, 0x09, 'HIDIOCSINPUT'],
  [IOC_READ | IOC_WRITE, 0x0a, 'HIDIOCGINPUT'],
  [IOC_READ | IOC_WRITE, 0x0b, 'HIDIOCSOUTPUT'],
  [IOC_READ | IOC_WRITE, 0x0c, 'HIDIOCGOUTPUT'],
];
function hidName(code: number): string | undefined {
  if (ioctlName(code) !== undefined) return undefined;
  const m = HID_BY_LEN.find(([dir, nr]) => dir === iocDir(code) && nr === iocNr(code));
  return m ? `${m[2]}(${iocSize(code)})` : undefined;
}
registerIoctlFamily([0x48], () => undefined, hidName);
