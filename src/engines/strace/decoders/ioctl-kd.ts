/**
 * The Linux console and keyboard (include/uapi/linux/kd.h, keyboard.h): the 'K' requests.
 * Key values are K(type, n) pairs (keyboard.h), shown by name when the header names them and
 * as K(KT_xxx, n) otherwise; fonts and maps are byte or u16 tables.
 */
import { Ctx, I32, RVAL_DECODED, U32, flagsStr } from '../printer.js';
import { readCString } from '../memory.js';
import { addr, arr, chg, cmt, field, hexStr, hexstr, NULL, num, str, struct, sym, type Field, type Value } from '../value.js';
import { sigName } from '../../qualifier/signals.js';
import {
  kd_font_flags,
  kd_font_ops,
  kd_kbd_leds,
  kd_kbd_modes,
  kd_kbd_table_flags,
  kd_kbd_tables,
  kd_kbd_types,
  kd_key_types,
  kd_keys,
  kd_leds,
  kd_meta,
  kd_modes,
} from '../xlat/tables.gen.js';
import { ioc, registerIoctlFamily } from './ioctl.js';
import { atExit, fetched, later } from './ioctl-struct.js';

/** The PC speaker's timer clock (KIOCSOUND and KDMKTONE take periods in its ticks). */
const PIT_TICK_RATE = 1193182n;
/** The I/O ports KDADDIO/KDDELIO accept (GPFIRST..GPLAST, a kernel constant). */
const GPFIRST = 0x3b4n;
const GPLAST = 0x3dfn;
const E_TABSZ = 256n;
/** Bytes of one character in the console's font buffers (32 scan lines). */
const FONT_CHAR = 32n;
const UNI_DIRECT_BASE = 0xf000;
const UNI_DIRECT_MASK = 0x1ff;
/** kbsentry.kb_string, kbdiacrs.kbdiacr[] and kbdiacrsuc.kbdiacruc[] sizes. */
const KB_STRING = 512;
const KB_DIACRS = 256;
/** A font name (KD_FONT_OP_SET_DEFAULT) is at most 32 bytes with its NUL. */
const MAX_FONT_NAME = 32;

/** `text` as an added comment, unless -X raw drops comments. */
function note(c: Ctx, v: Value, text: string): Value {
  return c.o.xlat === 'raw' ? v : cmt(v, text);
}

/** A character constant as C writes it: 'a', '\n', '\'', '\x7f'. */
function charLit(ch: number): string {
  const esc: Record<number, string> = { 0x27: "\\'", 0x5c: '\\\\', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v' };
  if (esc[ch]) return `'${esc[ch]}'`;
  if (ch >= 0x20 && ch < 0x7f) return `'${String.fromCharCode(ch)}'`;
  return `'\\x${ch.toString(16).padStart(2, '0')}'`;
}

/** Key types whose value is a character (K(KT_LATIN, 'a')). */
const CHAR_TYPES = new Set(['KT_LATIN', 'KT_META', 'KT_LETTER', 'KT_DEAD2']);

/** A keymap entry: 0x100 /* K_F1 *\/, 0x41 /* K(KT_LATIN, 'A') *\/; bare hex under -X raw. */
function keyValue(c: Ctx, v: number): Value {
  const n = sym(hexStr(BigInt(v)));
  const name = kd_keys.lookup(BigInt(v));
  if (name !== undefined) return note(c, n, name);
  const type = v >> 8;
  const val = v & 0xff;
  const tname = kd_key_types.lookup(BigInt(type));
  const arg = tname && CHAR_TYPES.has(tname) ? charLit(val) : hexStr(BigInt(val));
  return note(c, n, `K(${tname ?? hexStr(BigInt(type))}, ${arg})`);
}

/** A function key number (kbsentry.kb_func): KVAL(K_F1). */
function funcKey(c: Ctx, v: number): Value {
  const name = kd_keys.lookup(BigInt(0x100 | v));
  const n = sym(hexStr(BigInt(v)));
  if (name === undefined || c.o.xlat === 'raw') return n;
  return c.o.xlat === 'verbose' ? cmt(n, `KVAL(${name})`) : sym(`KVAL(${name})`);
}

/** A keymap index: one of the K_*TAB names, else the modifier bits (1<<KG_CTRL|...). */
function kbTable(c: Ctx, v: number): Value {
  const named = kd_kbd_tables.lookup(BigInt(v));
  if (named !== undefined) return c.xval(BigInt(v), kd_kbd_tables);
  return sym(flagsStr(BigInt(v), kd_kbd_table_flags, undefined, c.o.xlat));
}

/** struct kbentry { __u8 kb_table, kb_index; __u16 kb_value; }: the value only when `withValue`. */
function kbEntry(c: Ctx, ad: bigint, withValue: boolean): Value {
  if (ad === 0n) return NULL;
  // The request part is the caller's, valid even when the call failed.
  const b = c.fetchAlways(ad, 2);
  if (!b) return addr(ad);
  const f: Field[] = [field('kb_table', kbTable(c, b[0]!)), field('kb_index', num(b[1]!))];
  if (withValue) {
    const v = c.fetchAlways(ad + 2n, 2);
    f.push(field('kb_value', v ? keyValue(c, v.readUInt16LE(0)) : sym('???')));
  }
  return struct(f);
}

/** kbsentry.kb_string: NUL-terminated, at most -s (and 512) bytes; ??? when unreadable. */
function kbString(c: Ctx, ad: bigint): Value {
  const r = readCString(c.mem, ad, Math.min(c.o.strsize, KB_STRING));
  if (!r) return sym('???');
  return str(r.bytes, !r.nul);
}

/** struct kbsentry { __u8 kb_func; __u8 kb_string[512]; } */
function kbsEntry(c: Ctx, ad: bigint, withString: boolean): Value {
  if (ad === 0n) return NULL;
  const b = c.fetchAlways(ad, 1);
  if (!b) return addr(ad);
  const f: Field[] = [field('kb_func', funcKey(c, b[0]!))];
  if (withString) f.push(field('kb_string', kbString(c, ad + 1n)));
  return struct(f);
}

/**
 * struct kbdiacrs { unsigned int kb_cnt; struct kbdiacr { __u8 diacr, base, result; } kbdiacr[256]; }
 * and the unicode kbdiacrsuc (elements of three u32): at most 256 elements are shown whatever
 * kb_cnt says, `...` when it says more.
 */
function diacrs(c: Ctx, ad: bigint, name: string, esize: number, elem: (b: Buffer) => Value): Value {
  return fetched(c, ad, 4, (b) => {
    const cnt = b.readUInt32LE(0);
    let list = c.array(ad + 4n, BigInt(Math.min(cnt, KB_DIACRS)), esize, elem, true);
    if (cnt > KB_DIACRS && list.t === 'arr' && !list.more && list.moreAt === undefined) list = arr(list.a, true);
    return struct([field('kb_cnt', num(cnt)), field(name, list)]);
  });
}
const diacr = (b: Buffer): Value => struct([field('diacr', sym(charLit(b[0]!))), field('base', sym(charLit(b[1]!))), field('result', sym(charLit(b[2]!)))]);
const diacruc = (b: Buffer): Value =>
  struct([field('diacr', sym(hexStr(BigInt(b.readUInt32LE(0))))), field('base', sym(hexStr(BigInt(b.readUInt32LE(4))))), field('result', sym(hexStr(BigInt(b.readUInt32LE(8)))))]);

/** `len` bytes always shown in \x hex (fonts, maps): -s of them, the address when unreadable. */
function hexBuf(c: Ctx, ad: bigint, len: bigint): Value {
  if (ad === 0n) return NULL;
  if (len === 0n) return hexstr(Buffer.alloc(0));
  const v = c.buf(ad, len);
  return v.t === 'str' ? hexstr(v.b, v.more) : v;
}

/** A unicode console map entry: UNI_DIRECT_BASE+0x15 for the font's direct-mapped range. */
function uniValue(c: Ctx, v: number): Value {
  const n = sym(hexStr(BigInt(v)));
  if ((v & ~UNI_DIRECT_MASK) !== UNI_DIRECT_BASE) return n;
  const s = `UNI_DIRECT_BASE+${hexStr(BigInt(v - UNI_DIRECT_BASE))}`;
  return c.o.xlat === 'raw' ? n : c.o.xlat === 'verbose' ? cmt(n, s) : sym(s);
}

/** struct unimapdesc { unsigned short entry_ct; struct unipair { __u16 unicode, fontpos; } *entries; } */
function unipairs(c: Ctx, ad: bigint, count: number): Value {
  return c.array(ad, BigInt(count), 4, (b) => struct([field('unicode', sym(hexStr(BigInt(b.readUInt16LE(0))))), field('fontpos', sym(hexStr(BigInt(b.readUInt16LE(2)))))]));
}

/** KIOCSOUND: a PIT period; 0 (or one too long for 1 Hz) silences the speaker. */
function sound(c: Ctx, arg: bigint): Value {
  const hz = arg ? PIT_TICK_RATE / arg : 0n;
  return note(c, num(arg), hz ? `${hz} Hz` : 'off');
}

/** KDMKTONE: (duration in ms << 16) | PIT period, in the low 32 bits. */
function tone(c: Ctx, arg: bigint): Value {
  const v = Number(U32(arg));
  const ms = v >>> 16;
  const count = v & 0xffff;
  const s = sym(ms ? `${ms}<<16|${count}` : `${count}`);
  return note(c, s, ms && count ? `${PIT_TICK_RATE / BigInt(count)} Hz, ${ms} ms` : 'off');
}

/** KDSIGACCEPT: the signal by name when it is one, else the number as given. */
function signal(c: Ctx, arg: bigint): Value {
  return arg > 0n && arg < 0x80000000n && sigName(Number(arg)) ? c.signo(arg) : num(arg);
}

/** struct console_font_op { unsigned int op, flags, width, height, charcount; unsigned char *data; } */
const FONT_OP_SIZE = 32;
function fontSize(b: Buffer): bigint {
  const width = BigInt(b.readUInt32LE(8));
  return BigInt(b.readUInt32LE(16)) * ((width + 7n) / 8n) * FONT_CHAR;
}
function fontOp(c: Ctx, arg: bigint): number {
  if (!c.entering) {
    const kind = c.priv as string | undefined;
    if (c.failed || !kind) return 0;
    const b = c.fetch(arg, FONT_OP_SIZE);
    if (!b) return 0;
    const dims = [field('width', num(b.readUInt32LE(8))), field('height', num(b.readUInt32LE(12)))];
    if (kind === 'KD_FONT_OP_SET_DEFAULT') c.changeLast(struct(dims));
    else {
      const data = b.readBigUInt64LE(24);
      const d = kind === 'KD_FONT_OP_GET' ? hexBuf(c, data, fontSize(b)) : addr(data);
      c.changeLast(struct([...dims, field('charcount', num(b.readUInt32LE(16))), field('data', d)]));
    }
    return 0;
  }
  const b = c.fetch(arg, FONT_OP_SIZE);
  if (!b) {
    c.push(addr(arg));
    return RVAL_DECODED;
  }
  const op = b.readUInt32LE(0);
  const name = kd_font_ops.lookup(BigInt(op));
  const u = (k: string, off: number): Field => field(k, num(b.readUInt32LE(off)));
  const data = b.readBigUInt64LE(24);
  const f: Field[] = [field('op', c.xval(BigInt(op), kd_font_ops, 'KD_FONT_OP_???'))];
  if (name === 'KD_FONT_OP_COPY') {
    c.push(struct([...f, u('height', 12)]));
    return RVAL_DECODED;
  }
  if (name === 'KD_FONT_OP_SET_DEFAULT') {
    f.push(u('width', 8), u('height', 12), field('data', c.cstr(data, MAX_FONT_NAME - 1)));
  } else {
    f.push(field('flags', c.flags(BigInt(b.readUInt32LE(4)), kd_font_flags, 'KD_FONT_FLAG_???')), u('width', 8), u('height', 12), u('charcount', 16));
    f.push(field('data', name === 'KD_FONT_OP_SET' ? hexBuf(c, data, fontSize(b)) : addr(data)));
  }
  c.push(struct(f));
  if (name === 'KD_FONT_OP_SET') return RVAL_DECODED;
  c.noTrailingSep = true;
  c.priv = name ?? 'unknown';
  return 0;
}

/** A buffer the call fills: printed at exit, the address when the call failed. */
function exitOnly(c: Ctx, arg: bigint, f: () => Value): number {
  return later(c, () => (arg === 0n ? NULL : c.failed ? addr(arg) : f()));
}

/** A request that sends `f(arg)` and is done at entry. */
type Handler = (c: Ctx, arg: bigint) => number;
const send =
  (f: (c: Ctx, arg: bigint) => Value): Handler =>
  (c, arg) => (c.push(f(c, arg)), RVAL_DECODED);
/** A request without argument. */
const bare: Handler = () => RVAL_DECODED;
/** A GET of one scalar: [value] at exit, the address when the call failed. */
const getOne =
  (size: 1 | 4, f: (c: Ctx, v: bigint) => Value): Handler =>
  (c, arg) =>
    atExit(c, arg, size, (b) => arr([f(c, BigInt(size === 1 ? b[0]! : b.readUInt32LE(0)))]));
/** A structure read at entry and printed at exit as it was => as the call left it. */
const both =
  (size: number, f: (c: Ctx, b: Buffer) => Value): Handler =>
  (c, arg) => {
    if (c.entering) {
      const b = c.fetch(arg, size);
      c.push(b ? f(c, b) : addr(arg));
      if (!b) return RVAL_DECODED;
      c.noTrailingSep = true;
      return 0;
    }
    const b = c.fetch(arg, size);
    if (b) c.changeLast(f(c, b));
    return 0;
  };

const keycode = (b: Buffer, after?: Buffer): Value => {
  const kc = sym(hexStr(BigInt(b.readUInt32LE(4))));
  return struct([field('scancode', sym(hexStr(BigInt(b.readUInt32LE(0))))), field('keycode', after ? chg(kc, sym(hexStr(BigInt(after.readUInt32LE(4))))) : kc)]);
};
const fontDesc = (b: Buffer, data: Value): Value =>
  struct([field('charcount', num(b.readUInt16LE(0))), field('charheight', num(b.readUInt16LE(2))), field('chardata', data)]);
const fontDescData = (c: Ctx, b: Buffer): Value => hexBuf(c, b.readBigUInt64LE(8), BigInt(b.readUInt16LE(0)) * FONT_CHAR);

let table: Map<number, Handler> | undefined;
function handlers(): Map<number, Handler> {
  const uniscrn = (c: Ctx, arg: bigint): Value => c.array(arg, E_TABSZ, 2, (b) => uniValue(c, b.readUInt16LE(0)));
  const ioport = (c: Ctx, arg: bigint): Value => {
    const v = sym(hexStr(arg));
    return arg >= GPFIRST && arg <= GPLAST ? note(c, v, `GPFIRST + ${arg - GPFIRST}`) : v;
  };
  return (table ??= new Map<number, Handler>([
    [ioc('KIOCSOUND'), send(sound)],
    [ioc('KDMKTONE'), send(tone)],
    [ioc('KDGETLED'), getOne(1, (c, v) => c.flags(v, kd_leds, 'LED_???'))],
    [ioc('KDSETLED'), send((c, arg) => c.flags(arg & 0xffn, kd_leds, 'LED_???'))],
    [ioc('KDGKBTYPE'), getOne(1, (c, v) => c.xval(v, kd_kbd_types, 'KB_???'))],
    [ioc('KDADDIO'), send(ioport)],
    [ioc('KDDELIO'), send(ioport)],
    [ioc('KDENABIO'), bare],
    [ioc('KDDISABIO'), bare],
    [ioc('KDSETMODE'), send((c, arg) => c.xval(U32(arg), kd_modes, 'KD_???'))],
    [ioc('KDGETMODE'), getOne(4, (c, v) => c.xval(v, kd_modes, 'KD_???'))],
    [ioc('KDMAPDISP'), bare],
    [ioc('KDUNMAPDISP'), bare],
    [ioc('GIO_SCRNMAP'), (c, arg) => exitOnly(c, arg, () => hexBuf(c, arg, E_TABSZ))],
    [ioc('PIO_SCRNMAP'), send((c, arg) => hexBuf(c, arg, E_TABSZ))],
    [ioc('KDGKBMODE'), getOne(4, (c, v) => c.xval(I32(v), kd_kbd_modes, 'K_???', 'd'))],
    [ioc('KDSKBMODE'), send((c, arg) => c.xval(I32(arg), kd_kbd_modes, 'K_???', 'd'))],
    [ioc('KDGKBENT'), (c, arg) => (c.entering ? 0 : (c.push(kbEntry(c, arg, !c.failed)), 0))],
    [ioc('KDSKBENT'), send((c, arg) => kbEntry(c, arg, true))],
    [ioc('KDGKBSENT'), (c, arg) => (c.entering ? 0 : (c.push(kbsEntry(c, arg, !c.failed)), 0))],
    [ioc('KDSKBSENT'), send((c, arg) => kbsEntry(c, arg, true))],
    [ioc('KDGKBDIACR'), (c, arg) => exitOnly(c, arg, () => diacrs(c, arg, 'kbdiacr', 3, diacr))],
    [ioc('KDSKBDIACR'), send((c, arg) => diacrs(c, arg, 'kbdiacr', 3, diacr))],
    [ioc('KDGKBDIACRUC'), (c, arg) => exitOnly(c, arg, () => diacrs(c, arg, 'kbdiacruc', 12, diacruc))],
    [ioc('KDSKBDIACRUC'), send((c, arg) => diacrs(c, arg, 'kbdiacruc', 12, diacruc))],
    [
      ioc('KDGETKEYCODE'),
      (c, arg) => {
        if (c.entering) {
          c.priv = c.fetch(arg, 8);
          if (c.priv) return 0;
          c.push(addr(arg));
          return RVAL_DECODED;
        }
        c.push(keycode(c.priv as Buffer, c.failed ? undefined : (c.fetch(arg, 8) ?? (c.priv as Buffer))));
        return 0;
      },
    ],
    [ioc('KDSETKEYCODE'), send((c, arg) => fetched(c, arg, 8, (b) => keycode(b)))],
    [ioc('KDSIGACCEPT'), send(signal)],
    [ioc('KDKBDREP'), both(8, (_c, b) => struct([field('delay', num(b.readInt32LE(0))), field('period', num(b.readInt32LE(4)))]))],
    [ioc('GIO_FONT'), (c, arg) => exitOnly(c, arg, () => hexBuf(c, arg, E_TABSZ * FONT_CHAR))],
    [ioc('PIO_FONT'), send((c, arg) => hexBuf(c, arg, E_TABSZ * FONT_CHAR))],
    [ioc('KDGKBMETA'), getOne(4, (c, v) => c.xval(v, kd_meta, 'K_???'))],
    [ioc('KDSKBMETA'), send((c, arg) => c.xval(U32(arg), kd_meta, 'K_???'))],
    [ioc('KDGKBLED'), getOne(1, (c, v) => c.flags(v, kd_kbd_leds, 'LED_???'))],
    [ioc('KDSKBLED'), send((c, arg) => c.flags(arg & 0xffn, kd_kbd_leds, 'LED_???'))],
    [
      ioc('GIO_UNIMAP'),
      (c, arg) => {
        if (c.entering) {
          c.priv = c.fetch(arg, 16);
          if (c.priv) return 0;
          c.push(addr(arg));
          return RVAL_DECODED;
        }
        const before = c.priv as Buffer;
        const b = c.fetchAlways(arg, 16) ?? before;
        const ct = b.readUInt16LE(0);
        c.push(struct([field('entry_ct', chg(num(before.readUInt16LE(0)), num(ct))), field('entries', unipairs(c, b.readBigUInt64LE(8), ct))]));
        return 0;
      },
    ],
    [ioc('PIO_UNIMAP'), send((c, arg) => fetched(c, arg, 16, (b) => struct([field('entry_ct', num(b.readUInt16LE(0))), field('entries', unipairs(c, b.readBigUInt64LE(8), b.readUInt16LE(0)))])))],
    [
      ioc('PIO_UNIMAPCLR'),
      send((c, arg) =>
        fetched(c, arg, 6, (b) =>
          struct([field('advised_hashsize', num(b.readUInt16LE(0))), field('advised_hashstep', num(b.readUInt16LE(2))), field('advised_hashlevel', num(b.readUInt16LE(4)))]),
        ),
      ),
    ],
    [ioc('GIO_UNISCRNMAP'), (c, arg) => exitOnly(c, arg, () => uniscrn(c, arg))],
    [ioc('PIO_UNISCRNMAP'), send(uniscrn)],
    [
      ioc('GIO_FONTX'),
      (c, arg) => {
        if (c.entering) return both(16, (_c, b) => fontDesc(b, addr(b.readBigUInt64LE(8))))(c, arg);
        const b = c.fetch(arg, 16);
        if (b) c.changeLast(fontDesc(b, fontDescData(c, b)));
        return 0;
      },
    ],
    [ioc('PIO_FONTX'), send((c, arg) => fetched(c, arg, 16, (b) => fontDesc(b, fontDescData(c, b))))],
    [ioc('PIO_FONTRESET'), bare],
    [ioc('GIO_CMAP'), (c, arg) => exitOnly(c, arg, () => hexBuf(c, arg, 48n))],
    [ioc('PIO_CMAP'), send((c, arg) => hexBuf(c, arg, 48n))],
    [ioc('KDFONTOP'), fontOp],
  ]));
}

registerIoctlFamily([0x4b], (c, code, arg) => handlers().get(code)?.(c, arg));
