/**
 * ioctl(fd, request, arg): the request's name from the table generated from the kernel headers
 * (xlat/ioctls.gen.ts), else its _IOC(dir, type, nr, size) decomposition; the argument decoded
 * by the device family that owns the request's type byte, else printed as a hex number.
 *
 * A family decoder (IoctlFamily) is called at entry with the fd and request already pushed. It
 * returns undefined when it does not know the request (the argument then prints in hex), or a
 * decoder result: RVAL_DECODED when done (pushing nothing prints a request that takes no
 * argument, `ioctl(3, FIFREEZE)`), or 0 to be called again at exit.
 */
import { Ctx, RVAL_DECODED, flagsStr, type Decoder, type XlatStyle } from '../printer.js';
import { hexStr, sym } from '../value.js';
import { ioctl_dirs } from '../xlat/tables.gen.js';
import { unpack } from '../xlat/xlat.js';
import { IOCTL_NAMES } from '../xlat/ioctls.gen.js';

export type IoctlFamily = (c: Ctx, code: number, arg: bigint) => number | undefined;

export const IOC_NONE = 0;
export const IOC_WRITE = 1;
export const IOC_READ = 2;
export const iocDir = (code: number): number => (code >>> 30) & 3;
export const iocType = (code: number): number => (code >>> 8) & 0xff;
export const iocNr = (code: number): number => code & 0xff;
export const iocSize = (code: number): number => (code >>> 16) & 0x3fff;

let names: (readonly [number, string])[] | undefined;
/** The generated table, (request number, name) sorted by number then name. */
export function ioctlNames(): readonly (readonly [number, string])[] {
  return (names ??= unpack(IOCTL_NAMES).map(([v, n]) => [Number(v), n] as const));
}

let byCode: Map<number, string[]> | undefined;
let byName: Map<string, number> | undefined;
function index(): void {
  byCode = new Map();
  byName = new Map();
  for (const [v, n] of ioctlNames()) {
    const l = byCode.get(v);
    if (l) l.push(n);
    else byCode.set(v, [n]);
    if (!byName.has(n)) byName.set(n, v);
  }
}

/** The request number of a header name (decoders compare codes by name). */
export function ioc(name: string): number {
  if (!byName) index();
  const v = byName!.get(name);
  if (v === undefined) throw new Error(`ioctl ${name} is not in ioctls.gen.ts`);
  return v;
}

/**
 * The names of a request: all header names with this number joined with " or " (strace's
 * table keeps every name), the sound mixer's MIXER_READ(n)/MIXER_WRITE(n) first (those match
 * any size on type 'M').
 */
export function ioctlName(code: number): string | undefined {
  if (!byCode) index();
  const names = byCode!.get(code >>> 0)?.slice() ?? [];
  if (iocType(code) === 0x4d && iocNr(code) < 25) {
    const d = iocDir(code);
    if (d === IOC_READ) names.unshift(`MIXER_READ(${iocNr(code)})`);
    else if (d === IOC_WRITE) names.unshift(`MIXER_WRITE(${iocNr(code)})`);
  }
  return names.length ? names.join(' or ') : undefined;
}

/** _IOC(_IOC_READ|_IOC_WRITE, 0x56, 0x1, 0x68) */
export function iocStr(code: number): string {
  const dir = iocDir(code);
  const dirs = dir === 0 ? '_IOC_NONE' : flagsStr(BigInt(dir), ioctl_dirs, undefined);
  const h = (n: number): string => hexStr(BigInt(n));
  return `_IOC(${dirs}, ${h(iocType(code))}, ${h(iocNr(code))}, ${h(iocSize(code))})`;
}

/** The request as printed, honouring -X: NAME, 0x... or 0x... /* NAME *\/. */
export function requestStr(c: Ctx, code: number, name = ioctlName(code)): string {
  const raw = hexStr(BigInt(code >>> 0));
  if (c.o.xlat === 'raw') return raw;
  const text = name ?? iocStr(code);
  return c.o.xlat === 'verbose' ? `${raw} /* ${text} */` : text;
}

/** Families by request type byte; several may share one (first that knows the request wins). */
const FAMILIES = new Map<number, IoctlFamily[]>();
/** Families that name requests themselves (EVIOCGBIT(EV_KEY, 8)), by type byte. */
const NAMERS = new Map<number, Namer>();
/** Names a request of its family (undefined: not one of its own); `style` shapes names inside. */
export type Namer = (code: number, style: XlatStyle) => string | undefined;

export function registerIoctlFamily(types: readonly number[], f: IoctlFamily, namer?: Namer): void {
  for (const t of types) {
    const l = FAMILIES.get(t);
    if (l) l.push(f);
    else FAMILIES.set(t, [f]);
    if (namer) NAMERS.set(t, namer);
  }
}

/** The family that asked to see the exit stop (c.priv stays the family's own scratch). */
const pending = new WeakMap<Ctx, IoctlFamily>();

export const ioctl: Decoder = (c) => {
  const code = Number(c.a[1] & 0xffffffffn);
  const arg = c.a[2];
  if (c.entering) {
    const type = iocType(code);
    c.push(c.fd(c.a[0]), sym(requestStr(c, code, NAMERS.get(type)?.(code, c.o.xlat) ?? ioctlName(code))));
    for (const f of FAMILIES.get(type) ?? []) {
      const r = f(c, code, arg);
      if (r === undefined) continue;
      if (!(r & RVAL_DECODED)) pending.set(c, f);
      return r;
    }
    c.push(sym(hexStr(arg)));
    return RVAL_DECODED;
  }
  const f = pending.get(c);
  return f ? (f(c, code, arg) ?? 0) : 0;
};
