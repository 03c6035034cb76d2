/**
 * Terminal ioctls (type 'T', asm-generic/ioctls.h): struct termios, termios2 and termio, winsize,
 * the int and int * arguments of the TIOC and FIO requests, TIOCM modem-line bits.
 */
import { Ctx, I32, RVAL_DECODED, flagsStr, xvalStr } from '../printer.js';
import { NULL, addr, arr, field, hexStr, num, struct, sym, type Field, type Value } from '../value.js';
import {
  baud_options,
  modem_flags,
  term_cflags,
  term_cflags_csize,
  term_iflags,
  term_lflags,
  term_oflags,
  term_oflags_bsdly,
  term_oflags_crdly,
  term_oflags_ffdly,
  term_oflags_nldly,
  term_oflags_tabdly,
  term_oflags_vtdly,
  term_cc,
  tty_ldiscs,
} from '../xlat/tables.gen.js';
import { ioc, registerIoctlFamily } from './ioctl.js';

/**
 * The three terminal settings structures: termios (4 tcflag_t words, c_line, c_cc[19]; 36
 * bytes), termios2 (termios plus c_ispeed, c_ospeed; 44) and the old termio (4 unsigned short
 * words, c_line, c_cc[8]; 18).
 */
type TermKind = 'termios' | 'termios2' | 'termio';
const TERM_LAYOUT: Record<TermKind, { size: number; word: 2 | 4; ncc: number }> = {
  termios: { size: 36, word: 4, ncc: 19 },
  termios2: { size: 44, word: 4, ncc: 19 },
  termio: { size: 18, word: 2, ncc: 8 },
};

function termiosValue(c: Ctx, ad: bigint, kind: TermKind = 'termios'): Value {
  if (ad === 0n) return NULL;
  const { size, word, ncc } = TERM_LAYOUT[kind];
  const b = c.fetch(ad, size);
  if (!b) return addr(ad);
  const rd = (i: number): bigint => BigInt(word === 4 ? b.readUInt32LE(i * 4) : b.readUInt16LE(i * 2));
  const [iflag, oflag, cflag, lflag] = [rd(0), rd(1), rd(2), rd(3)];
  const raw = c.o.xlat === 'raw';
  const fieldMasked = (v: bigint, parts: [bigint, typeof term_oflags_nldly][], rest: typeof term_oflags, restMask: bigint): string => {
    if (raw) return hexStr(v);
    const out: string[] = [];
    for (const [mask, x] of parts) out.push(xvalStr(v & mask, x, undefined, 'abbrev'));
    const r = v & restMask;
    if (r) out.push(flagsStr(r, rest, undefined));
    return out.join('|');
  };
  const oflagStr = fieldMasked(
    oflag,
    [
      [0o400n, term_oflags_nldly],
      [0o3000n, term_oflags_crdly],
      [0o14000n, term_oflags_tabdly],
      [0o20000n, term_oflags_bsdly],
      [0o40000n, term_oflags_vtdly],
      [0o100000n, term_oflags_ffdly],
    ],
    term_oflags,
    ~0o177400n & 0xffffffffn,
  );
  let cflagStr: string;
  if (raw) cflagStr = hexStr(cflag);
  else {
    // Output speed, input speed (CIBAUD, IBSHIFT 16 bits up), character size, the other flags.
    const parts = [xvalStr(cflag & 0o10017n, baud_options, undefined)];
    const ibaud = (cflag >> 16n) & 0o10017n;
    if (ibaud) parts.push(`${xvalStr(ibaud, baud_options, undefined)}<<IBSHIFT`);
    parts.push(xvalStr(cflag & 0o60n, term_cflags_csize, undefined));
    const r = cflag & ~(0o10017n | 0o60n | (0o10017n << 16n));
    if (r) parts.push(flagsStr(r, term_cflags, undefined));
    cflagStr = parts.join('|');
  }
  const f: Field[] = [
    field('c_iflag', c.flags(iflag, term_iflags, undefined)),
    field('c_oflag', sym(oflagStr)),
    field('c_cflag', sym(cflagStr)),
    field('c_lflag', c.flags(lflag, term_lflags, undefined)),
  ];
  if (c.abbrev) return struct(f, true);
  const at = word * 4;
  f.push(field('c_line', c.xval(BigInt(b[at]!), tty_ldiscs, 'N_???')));
  // c_cc by index: [VINTR]=0x3, ...; an index without a name by its number.
  const cc: Value[] = [];
  for (let i = 0; i < ncc; i++) {
    const name = raw ? undefined : term_cc.lookup(BigInt(i));
    cc.push(sym(`[${name ?? i}]=${hexStr(BigInt(b[at + 1 + i]!))}`));
  }
  f.push(field('c_cc', arr(cc)));
  if (kind === 'termios2') f.push(field('c_ispeed', num(b.readUInt32LE(36))), field('c_ospeed', num(b.readUInt32LE(40))));
  return struct(f);
}

function winsizeValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 8);
  if (!b) return addr(ad);
  return struct([
    field('ws_row', num(b.readUInt16LE(0))),
    field('ws_col', num(b.readUInt16LE(2))),
    field('ws_xpixel', num(b.readUInt16LE(4))),
    field('ws_ypixel', num(b.readUInt16LE(6))),
  ]);
}

/** How each known request prints its third argument. */
type TermArg =
  | 'none'
  | 'int'
  | 'intIn'
  | 'intOut'
  | 'termiosIn'
  | 'termiosOut'
  | 'termios2In'
  | 'termios2Out'
  | 'termioIn'
  | 'termioOut'
  | 'winsizeIn'
  | 'winsizeOut'
  | 'modemIn'
  | 'modemOut';
let ARGS: Map<number, TermArg> | undefined;
function args(): Map<number, TermArg> {
  if (ARGS) return ARGS;
  const t: [string, TermArg][] = [
    ['TCGETS', 'termiosOut'],
    ['TCSETS', 'termiosIn'],
    ['TCSETSW', 'termiosIn'],
    ['TCSETSF', 'termiosIn'],
    ['TIOCGLCKTRMIOS', 'termiosOut'],
    ['TIOCSLCKTRMIOS', 'termiosIn'],
    ['TCGETS2', 'termios2Out'],
    ['TCSETS2', 'termios2In'],
    ['TCSETSW2', 'termios2In'],
    ['TCSETSF2', 'termios2In'],
    ['TCGETA', 'termioOut'],
    ['TCSETA', 'termioIn'],
    ['TCSETAW', 'termioIn'],
    ['TCSETAF', 'termioIn'],
    ['TIOCGWINSZ', 'winsizeOut'],
    ['TIOCSWINSZ', 'winsizeIn'],
    ['FIONBIO', 'intIn'],
    ['FIOASYNC', 'intIn'],
    ['FIOCLEX', 'none'],
    ['FIONCLEX', 'none'],
    ['TIOCNOTTY', 'none'],
    ['TIOCEXCL', 'none'],
    ['TIOCNXCL', 'none'],
    ['TIOCCONS', 'none'],
    ['TIOCSBRK', 'none'],
    ['TIOCCBRK', 'none'],
    ['FIONREAD', 'intOut'],
    ['TIOCOUTQ', 'intOut'],
    ['TIOCGPGRP', 'intOut'],
    ['TIOCGSID', 'intOut'],
    ['TIOCGPTN', 'intOut'],
    ['TIOCGETD', 'intOut'],
    ['TIOCGEXCL', 'intOut'],
    ['TIOCGPKT', 'intOut'],
    ['TIOCGPTLCK', 'intOut'],
    ['TIOCSPGRP', 'intIn'],
    ['TIOCSPTLCK', 'intIn'],
    ['TIOCSETD', 'intIn'],
    ['TIOCPKT', 'intIn'],
    ['TIOCSCTTY', 'int'],
    ['TCSBRK', 'int'],
    ['TCSBRKP', 'int'],
    ['TCXONC', 'int'],
    ['TCFLSH', 'int'],
    ['TIOCSIG', 'int'],
    ['TIOCVHANGUP', 'none'],
    ['TIOCMGET', 'modemOut'],
    ['TIOCMBIS', 'modemIn'],
    ['TIOCMBIC', 'modemIn'],
    ['TIOCMSET', 'modemIn'],
  ];
  ARGS = new Map(t.map(([n, k]) => [ioc(n), k]));
  return ARGS;
}

/** int * holding TIOCM_* bits: [TIOCM_DTR|TIOCM_RTS]. */
function modemValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 4);
  if (!b) return addr(ad);
  return arr([c.flags(BigInt(b.readUInt32LE(0)), modem_flags, 'TIOCM_???')]);
}

function term(c: Ctx, code: number, arg: bigint): number | undefined {
  const kind = args().get(code);
  if (kind === undefined) return undefined;
  if (c.entering) {
    switch (kind) {
      case 'none':
        return RVAL_DECODED;
      case 'int':
        c.push(num(I32(arg)));
        return RVAL_DECODED;
      case 'intIn':
        c.push(c.intPtr(arg));
        return RVAL_DECODED;
      case 'termiosIn':
        c.push(termiosValue(c, arg));
        return RVAL_DECODED;
      case 'termios2In':
        c.push(termiosValue(c, arg, 'termios2'));
        return RVAL_DECODED;
      case 'termioIn':
        c.push(termiosValue(c, arg, 'termio'));
        return RVAL_DECODED;
      case 'winsizeIn':
        c.push(winsizeValue(c, arg));
        return RVAL_DECODED;
      case 'modemIn':
        c.push(modemValue(c, arg));
        return RVAL_DECODED;
      default:
        return 0;
    }
  }
  switch (kind) {
    case 'intOut':
      c.push(c.failed ? addr(arg) : c.intPtr(arg));
      break;
    case 'termiosOut':
      c.push(c.failed ? addr(arg) : termiosValue(c, arg));
      break;
    case 'termios2Out':
      c.push(c.failed ? addr(arg) : termiosValue(c, arg, 'termios2'));
      break;
    case 'termioOut':
      c.push(c.failed ? addr(arg) : termiosValue(c, arg, 'termio'));
      break;
    case 'winsizeOut':
      c.push(winsizeValue(c, arg));
      break;
    case 'modemOut':
      c.push(modemValue(c, arg));
      break;
  }
  return 0;
}

registerIoctlFamily([0x54], term);
