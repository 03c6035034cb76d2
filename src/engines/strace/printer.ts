/**
 * The decoding context handed to every decoder, and the printing primitives decoders build
 * arguments with (strace's printpath, printstr, printflags, printxval, print_array, ...).
 *
 * Contract (strace's, see doc/DECODER_API.md there): a decoder is called at syscall entry with
 * `c.entering === true`; it pushes the arguments it can show now and returns either
 * `RVAL_DECODED | kind` (finished) or a kind alone (call me again at exit). At exit it pushes the
 * remaining arguments (output buffers, structures the kernel filled in). The kind says how the
 * return value prints (decimal, hex, fd, ...). Decoders never read more tracee memory than they
 * will print, and never throw on bad memory: unreadable pointers print as addresses.
 */
import type { TaskMemory } from '../../api.js';
import { readCString, readExact } from './memory.js';
import { escapeBytes, type HexStyle } from './quote.js';
import {
  NULL,
  addr as addrv,
  arr,
  call,
  cmt,
  fdv,
  fdRaw,
  hexStr,
  num,
  str,
  sym,
  type Value,
} from './value.js';
import type { Xlat } from './xlat/xlat.js';
import { modetypes } from './xlat/tables.gen.js';
import { sigName } from '../qualifier/signals.js';
import { pidNsComment, type PidKind } from './pidns.js';
import type { FdText } from './fdinfo.js';

/** How return values print. */
export const RV = {
  /** Signed decimal (the default). */
  DEC: 0,
  /** Unsigned decimal. */
  UDEC: 1,
  /** %#llx (mmap, brk). */
  HEX: 2,
  /** %#o (umask). */
  OCT: 3,
  /** File descriptor (-y shows its path). */
  FD: 4,
  /** Nothing after '=' but '?' even on success (never-returning calls). */
  NONE: 5,
  /**
   * The value in decimal and, when its low 32 bits are a negative errno, that errno's name:
   * syscalls the kernel truncates to unsigned int (modify_ldt on x86_64).
   */
  U32ERR: 6,
  /** A process id, or a process group's as its negative (F_GETOWN): --pidns-translation
   * annotates it. */
  PID_OR_PGRP: 7,
} as const;
export type RvKind = (typeof RV)[keyof typeof RV];
/** OR-ed into a decoder's result: all arguments are printed, no exit call needed. */
export const RVAL_DECODED = 0x100;
export const RVAL_MASK = 0xff;

/** -X: how constants print. */
export type XlatStyle = 'abbrev' | 'raw' | 'verbose';

export interface DecodeOptions {
  /** -s: bytes of strings and elements of arrays shown (default 32). */
  readonly strsize: number;
  /** -v: unabbreviated structures. */
  readonly verbose: boolean;
  /** -e verbose=SET leaves this call out: what its arguments point to prints as addresses. */
  readonly notVerbose?: boolean;
  /** -X raw|abbrev|verbose. */
  readonly xlat: XlatStyle;
  /** -x / -xx. */
  readonly hexStrings: HexStyle;
  /** -y: path of a tracee fd (pid is the thread-group id), if known; its bytes as latin1. */
  readonly fdPath?: (pid: number, fd: number) => string | undefined;
  /** --decode-fds: what a descriptor is (path, device, pidfd's process); replaces fdPath for
   * descriptors (fdPath still names AT_FDCWD's directory). */
  readonly fdText?: (pid: number, fd: number, viaPidfd?: number, closing?: boolean) => FdText | undefined;
  /** The netlink protocol (NETLINK_ROUTE...) of a tracee fd that is a netlink socket. */
  readonly netlinkProtocol?: (pid: number, fd: number) => number | undefined;
  /** --pidns-translation: an id of the tracee's pid namespace as it is in ours, if it differs. */
  readonly pidTranslate?: (tid: number, value: number, kind: PidKind) => number | undefined;
  /** -Y: "<comm>" of the process an id of the tracee's namespace names ('' when none). */
  readonly pidComm?: (tid: number, value: number, kind: PidKind) => string;
}

export const DEFAULT_DECODE_OPTIONS: DecodeOptions = {
  strsize: 32,
  verbose: false,
  xlat: 'abbrev',
  hexStrings: 'none',
};

/** Longest path printed, as strace (PATH_MAX). */
export const PATH_MAX = 4096;
/** Cap on array elements even with -v, so a hostile count cannot make output unbounded. */
export const VERBOSE_ARRAY_CAP = 4096;

export type Decoder = (c: Ctx) => number;

export const U32 = (v: bigint): bigint => BigInt.asUintN(32, v);
export const I32 = (v: bigint): bigint => BigInt.asIntN(32, v);
export const I64 = (v: bigint): bigint => BigInt.asIntN(64, v);
export const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/** One syscall being decoded: entry and exit share this object. */
export class Ctx {
  entering = true;
  /** Signed return value, valid at exit. */
  rval = 0n;
  /** Arguments shown so far. */
  readonly out: Value[] = [];
  /** Extra text after the return value, e.g. "(flags FD_CLOEXEC)". */
  aux: string | undefined;
  /** Decoder scratch space kept from entry to exit. */
  priv: unknown;
  /** Set at entry when the exit part continues the last entry argument (no ", " between). */
  noTrailingSep = false;
  /** Set at exit by changeLast(): the new value of the last entry argument (printed " => v"). */
  changed: Value | undefined;
  /** The syscall's raw argument registers as unsigned 64-bit values. */
  readonly a: readonly bigint[];
  /** Stack pointer at the stop, when the engine supplies it (rt_sigreturn reads the frame). */
  sp: bigint | undefined;
  /** The thread's previous syscall, when the engine knows it (restart_syscall names it). */
  prevName: string | undefined;

  constructor(
    readonly name: string,
    readonly pid: number,
    /** Changes once, when a non-leader thread's execve gives it the leader's tid. */
    public tid: number,
    args: readonly bigint[],
    public mem: TaskMemory,
    readonly o: DecodeOptions = DEFAULT_DECODE_OPTIONS,
    argsUnsigned = false,
  ) {
    if (argsUnsigned && args.length === 6) this.a = args.slice();
    else {
      const a: bigint[] = [];
      for (let i = 0; i < 6; i++) a.push(U64(args[i] ?? 0n));
      this.a = a;
    }
  }

  get exiting(): boolean {
    return !this.entering;
  }

  /**
   * A call the kernel never fails (the %pure class: getpid, getuid, ... have no error path)
   * whose result -e inject=retval= set: a value in the errno range is a result.
   */
  neverFails = false;

  /** The call failed (return value is -errno). */
  get failed(): boolean {
    return !this.neverFails && this.rval < 0n && this.rval >= -4095n;
  }

  push(...v: Value[]): void {
    this.out.push(...v);
  }

  /**
   * At exit: the last argument printed at entry was value-result and now reads `v`
   * (strace's " => "). Use with noTrailingSep set at entry.
   */
  changeLast(v: Value): void {
    this.changed = v;
  }

  get abbrev(): boolean {
    return !this.o.verbose;
  }

  // ---- integers --------------------------------------------------------------------------

  /** C int argument. */
  int(i: number): Value {
    return num(I32(this.a[i]));
  }
  uint(i: number): Value {
    return num(U32(this.a[i]));
  }
  long(i: number): Value {
    return num(I64(this.a[i]));
  }
  ulong(i: number): Value {
    return num(this.a[i]);
  }
  /** %#lx */
  x(i: number): Value {
    return sym(hexStr(this.a[i]));
  }
  /** Pointer argument shown as address (NULL when 0). */
  ptr(i: number): Value {
    return addrv(this.a[i]);
  }
  /** mode_t printed %#03o (strace print_numeric_umode_t). */
  mode(v: bigint): Value {
    return sym(umodeStr(v));
  }

  // ---- file descriptors ---------------------------------------------------------------------

  /** int fd, with -y path; `closing`: the descriptor close() ends (socket details as last seen). */
  fd(v: bigint, closing = false): Value {
    const fd = Number(I32(v));
    if (fd >= 0 && this.o.fdText) {
      const t = this.o.fdText(this.pid, fd, undefined, closing);
      if (t !== undefined) return t.raw ? fdRaw(fd, t.path) : fdv(fd, t.path, t.dev, t.after);
    } else if (fd >= 0 && this.o.fdPath) {
      const p = this.o.fdPath(this.pid, fd);
      if (p !== undefined) return fdv(fd, p);
    }
    return fdv(fd);
  }
  /**
   * A process id of kind `kind` (thread, process, group, session) in the tracee's namespace;
   * with --pidns-translation, followed by what it is in ours when that differs.
   */
  pidv(v: bigint, kind: PidKind = 'tgid'): Value {
    const n = I32(v);
    const ours = this.o.pidTranslate?.(this.tid, Number(n), kind);
    const comm = this.o.pidComm?.(this.tid, Number(n), kind);
    const shown = comm ? sym(`${n}${comm}`) : num(n);
    return ours === undefined ? shown : cmt(shown, pidNsComment(ours));
  }

  /** A process id, or minus a process group id (F_SETOWN, F_GETOWN). */
  pidOrPgrp(v: bigint): Value {
    const n = I32(v);
    if (n >= 0n || (!this.o.pidTranslate && !this.o.pidComm)) return this.pidv(v);
    const ours = this.o.pidTranslate?.(this.tid, Number(-n), 'pgid');
    const comm = this.o.pidComm?.(this.tid, Number(-n), 'pgid');
    const shown = comm ? sym(`${n}${comm}`) : num(n);
    return ours === undefined ? shown : cmt(shown, pidNsComment(ours));
  }

  /** A descriptor of the process that the tracee's pidfd refers to (pidfd_getfd). */
  fdVia(pidfd: bigint, v: bigint): Value {
    const fd = Number(I32(v));
    const t = fd >= 0 ? this.o.fdText?.(this.pid, fd, Number(I32(pidfd))) : undefined;
    return t === undefined ? fdv(fd) : t.raw ? fdRaw(fd, t.path) : fdv(fd, t.path, t.dev, t.after);
  }

  /** dirfd of *at() calls: AT_FDCWD for -100. */
  dirfd(v: bigint): Value {
    if (I32(v) !== -100n) return this.fd(v);
    const name = this.o.xlat === 'raw' ? '-100' : this.o.xlat === 'verbose' ? '-100 /* AT_FDCWD */' : 'AT_FDCWD';
    // -y: the working directory, as strace prints it (fdPath answers -100 with the cwd).
    const cwd = this.o.fdPath?.(this.pid, -100);
    return sym(cwd === undefined ? name : `${name}<${escapeBytes(Buffer.from(cwd, 'latin1'), 'none', '<>')}>`);
  }

  // ---- constants ---------------------------------------------------------------------------

  /** printflags: names joined by |, leftover bits in hex, `dflt` comment when nothing matched. */
  flags(v: bigint, x: Xlat, dflt?: string): Value {
    return sym(flagsStr(v, x, dflt, this.o.xlat));
  }
  /** printxval: the constant's name, else the number (hex by default) with a `dflt` comment. */
  xval(v: bigint, x: Xlat, dflt?: string, fmt: 'x' | 'd' | 'u' = 'x'): Value {
    return sym(xvalStr(v, x, dflt, this.o.xlat, fmt));
  }

  // ---- memory ------------------------------------------------------------------------------

  /**
   * Exactly `len` bytes or undefined. At the exit of a failed call output buffers hold nothing
   * meaningful, so this returns undefined and the caller prints the address, as strace's
   * umove_or_printaddr. Use fetchAlways for data that is valid regardless.
   */
  fetch(addr: bigint, len: number): Buffer | undefined {
    if (this.outFailed) return undefined;
    return readExact(this.mem, addr, len);
  }
  fetchAlways(addr: bigint, len: number): Buffer | undefined {
    return readExact(this.mem, addr, len);
  }
  /** At exit of a failed call. */
  get outFailed(): boolean {
    return !this.entering && this.failed;
  }
  /** Path argument: full length up to PATH_MAX (-s does not apply to file names). */
  path(addr: bigint): Value {
    return pathValue(this.mem, addr, PATH_MAX - 1);
  }
  /** NUL-terminated string limited by -s. */
  cstr(addr: bigint, limit?: number): Value {
    if (addr === 0n) return NULL;
    if (this.outFailed) return addrv(addr);
    const max = limit !== undefined ? Math.min(limit, this.o.strsize) : this.o.strsize;
    const r = readCString(this.mem, addr, max + 1);
    if (!r) return addrv(addr);
    if (r.nul) return str(r.bytes, false);
    return str(r.bytes.subarray(0, max), true);
  }
  /**
   * Buffer of `len` bytes (read/write data): at most -s bytes shown, `...` when longer.
   * Unreadable (or partly unreadable) memory prints the address, as strace's umoven.
   */
  buf(addr: bigint, len: bigint): Value {
    if (addr === 0n) return NULL;
    if (this.outFailed) return addrv(addr);
    const max = this.o.strsize;
    // A longer buffer is read one byte past what is shown, as strace's printstrn: when that byte
    // is unreadable the address is printed.
    const want = len > BigInt(max) ? max + 1 : Number(len);
    const b = readExact(this.mem, addr, want);
    if (!b) return addrv(addr);
    return len > BigInt(max) ? str(b.subarray(0, max), true) : str(b);
  }
  /**
   * Buffer whose content is a string that may end early at NUL (strace QUOTE_0_TERMINATED with a
   * length: uname fields, sun_path, PR_SET_NAME).
   */
  bufz(b: Buffer): Value {
    const z = b.indexOf(0);
    const max = this.o.strsize;
    if (z >= 0 && z <= max) return str(b.subarray(0, z), false);
    const n = Math.min(z >= 0 ? z : b.length, max);
    return str(b.subarray(0, n), true);
  }

  /**
   * strace's print_array: [e0, e1, ...]; NULL for 0; the address alone when the first element
   * is unreadable; `... /* addr *\/` when a later one is. At most -s elements unless -v.
   * `elem` returns undefined to stop early (its value is then not printed).
   */
  array(
    addr: bigint,
    count: bigint,
    esize: number,
    elem: (b: Buffer, i: number, at: bigint) => Value | undefined,
    evenIfFailed = false,
  ): Value {
    if (addr === 0n) return NULL;
    if (this.outFailed && !evenIfFailed) return addrv(addr);
    if (count === 0n) return arr([]);
    const end = addr + count * BigInt(esize);
    if (count < 0n || end > (1n << 64n) || end <= addr) return addrv(addr);
    const cap = BigInt(this.abbrev ? this.o.strsize : VERBOSE_ARRAY_CAP);
    const shown = count < cap ? Number(count) : Number(cap);
    const items: Value[] = [];
    // Read the shown part in one go when possible; fall back to per-element reads to find the
    // first unreadable element exactly.
    const whole = readExact(this.mem, addr, shown * esize);
    // Per-element reads after a failed bulk read are capped too: a hostile count cannot make us
    // issue more than `shown` reads.
    for (let i = 0; i < shown; i++) {
      const at = addr + BigInt(i * esize);
      const b = whole ? whole.subarray(i * esize, (i + 1) * esize) : readExact(this.mem, at, esize);
      if (!b) {
        if (i === 0) return addrv(addr);
        return { t: 'arr', a: items, moreAt: at };
      }
      const v = elem(b, i, at);
      if (v === undefined) return arr(items);
      items.push(v);
    }
    if (BigInt(shown) < count) {
      // strace reads the first element it will not show: unreadable, it names its address.
      const at = addr + BigInt(shown * esize);
      if (!readExact(this.mem, at, esize)) return shown === 0 ? addrv(addr) : { t: 'arr', a: items, moreAt: at };
    }
    return arr(items, BigInt(shown) < count);
  }

  /** int *: [N], or the address when unreadable. */
  intPtr(addr: bigint): Value {
    if (addr === 0n) return NULL;
    const b = this.fetch(addr, 4);
    return b ? arr([num(b.readInt32LE(0))]) : addrv(addr);
  }
  uintPtr(addr: bigint): Value {
    if (addr === 0n) return NULL;
    const b = this.fetch(addr, 4);
    return b ? arr([num(b.readUInt32LE(0))]) : addrv(addr);
  }
  u64Ptr(addr: bigint): Value {
    if (addr === 0n) return NULL;
    const b = this.fetch(addr, 8);
    return b ? arr([num(b.readBigUInt64LE(0))]) : addrv(addr);
  }

  /** Signal number argument: SIGTERM, or the number. */
  signo(v: bigint): Value {
    const n = Number(I32(v));
    if (this.o.xlat === 'raw') return num(n);
    const s = sigName(n);
    if (s === undefined) return num(n);
    return this.o.xlat === 'verbose' ? sym(`${n} /* ${s} */`) : sym(s);
  }

  /** sigset_t of `size` bytes at addr: [INT TERM] / ~[...]. */
  sigset(addr: bigint, size: bigint): Value {
    if (addr === 0n) return NULL;
    // The kernel's sigset is 8 bytes; strace refuses bigger/odd sizes by printing the address.
    if (size <= 0n || size > 128n || size % 4n !== 0n) return addrv(addr);
    const b = this.fetch(addr, Number(size));
    if (!b) return addrv(addr);
    return sigsetValue(b, this.o.xlat);
  }

  /** A sigset already fetched. */
  sigsetFrom(b: Buffer): Value {
    return sigsetValue(b, this.o.xlat);
  }

  /** struct timespec {tv_sec, tv_nsec}. */
  timespec(addr: bigint): Value {
    if (addr === 0n) return NULL;
    const b = this.fetch(addr, 16);
    if (!b) return addrv(addr);
    return timespecValue(b, 0);
  }

  /** timespec read even at the exit of a failed call (nanosleep's remaining time). */
  timespecAlways(addr: bigint): Value {
    if (addr === 0n) return NULL;
    const b = this.fetchAlways(addr, 16);
    return b ? timespecValue(b, 0) : addrv(addr);
  }

  /** dev_t as makedev(major, minor). */
  static makedev(dev: bigint): Value {
    const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn & 0xffffffffn);
    const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn & 0xffffffffn);
    return call('makedev', sym(hexStr(major)), sym(hexStr(minor)));
  }
}

export function pathValue(mem: TaskMemory, addr: bigint, max: number): Value {
  if (addr === 0n) return NULL;
  const r = readCString(mem, addr, max + 1);
  if (!r) return addrv(addr);
  if (r.nul) return str(r.bytes, false);
  return str(r.bytes.subarray(0, max), true);
}

/** %#03o as strace prints a numeric mode: 000, 0644. */
export function umodeStr(v: bigint): string {
  const s = v.toString(8);
  return s.length >= 2 ? `0${s}` : `0${s.padStart(2, '0')}`;
}

/** st_mode and friends: S_IFREG|S_ISUID|0755. */
export function symbolicModeStr(mode: bigint, style: XlatStyle = 'abbrev'): string {
  const ifmt = mode & 0o170000n;
  const type = ifmt ? modetypes.lookup(ifmt) : '';
  if (type === undefined || style === 'raw') return umodeStr(mode);
  let s = type ? `${type}|` : '';
  if (mode & 0o4000n) s += 'S_ISUID|';
  if (mode & 0o2000n) s += 'S_ISGID|';
  if (mode & 0o1000n) s += 'S_ISVTX|';
  s += umodeStr(mode & 0o777n);
  return style === 'verbose' ? `${umodeStr(mode)} /* ${s} */` : s;
}

export function flagsStr(v: bigint, x: Xlat, dflt: string | undefined, style: XlatStyle = 'abbrev'): string {
  if (style === 'raw') return hexStr(v);
  const names: string[] = [];
  let rest = v;
  for (const [val, name] of x.entries) {
    if (rest === 0n && names.length) break;
    if ((rest === val && names.length === 0) || (val !== 0n && (rest & val) === val)) {
      names.push(name);
      rest &= ~val;
      if (rest === 0n) break;
    }
  }
  if (names.length) {
    if (rest) names.push(hexStr(rest));
    const s = names.join('|');
    return style === 'verbose' ? `${hexStr(v)} /* ${s} */` : s;
  }
  if (rest) return dflt ? `${hexStr(rest)} /* ${dflt} */` : hexStr(rest);
  return '0';
}

export function xvalStr(
  v: bigint,
  x: Xlat,
  dflt: string | undefined,
  style: XlatStyle = 'abbrev',
  fmt: 'x' | 'd' | 'u' = 'x',
): string {
  const n = fmt === 'x' ? hexStr(v) : v.toString();
  if (style === 'raw') return n;
  const name = x.lookup(v);
  if (name !== undefined) return style === 'verbose' ? `${n} /* ${name} */` : name;
  return dflt ? `${n} /* ${dflt} */` : n;
}

/** Signal set bits → [INT TERM] or ~[...] (strace sprintsigmask_n); -X raw gives numbers, verbose both. */
export function sigsetValue(b: Buffer, style: XlatStyle = 'abbrev'): Value {
  const nbits = b.length * 8;
  let set = 0;
  for (const byte of b) for (let k = byte; k; k &= k - 1) set++;
  // Print the complement when more than half the bits are set, as strace does.
  const neg = set * 2 > nbits;
  const names: string[] = [];
  for (let bit = 0; bit < nbits; bit++) {
    const on = (b[bit >> 3] >> (bit & 7)) & 1;
    if (on === (neg ? 0 : 1)) {
      const s = sigName(bit + 1);
      const name = s === undefined || style === 'raw' ? undefined : s.startsWith('SIG') ? s.slice(3) : s;
      names.push(name === undefined ? String(bit + 1) : style === 'verbose' ? `${bit + 1} /* ${name} */` : name);
    }
  }
  return { t: 'set', names, neg };
}

export function timespecValue(b: Buffer, off: number): Value {
  return {
    t: 'struct',
    f: [
      { k: 'tv_sec', v: num(b.readBigInt64LE(off)) },
      { k: 'tv_nsec', v: num(b.readBigUInt64LE(off + 8)) },
    ],
  };
}

export function timevalValue(b: Buffer, off: number): Value {
  return {
    t: 'struct',
    f: [
      { k: 'tv_sec', v: num(b.readBigInt64LE(off)) },
      { k: 'tv_usec', v: num(b.readBigUInt64LE(off + 8)) },
    ],
  };
}

