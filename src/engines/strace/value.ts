/**
 * The decoded-argument tree. Decoders build Values and never print punctuation; render.ts turns
 * a tree into strace's text, json.ts into structured JSON. Keeping one tree for both outputs means
 * `--json` and the text trace can never disagree about what an argument was.
 */

export type Value =
  /** Decimal integer. */
  | { readonly t: 'num'; readonly v: bigint }
  /** A token printed verbatim: constant names, flag sets, hex numbers, expressions. */
  | { readonly t: 'sym'; readonly s: string }
  /** NULL pointer. */
  | { readonly t: 'null' }
  /** Pointer printed as 0x… (unfetched or unreadable memory). */
  | { readonly t: 'addr'; readonly v: bigint }
  /** Bytes from the tracee, quoted and escaped; `more` appends strace's `...` marker. */
  | { readonly t: 'str'; readonly b: Buffer; readonly more: boolean; readonly x?: boolean }
  /** File descriptor, with its path when -y resolved one: 3</etc/passwd> (path: bytes as latin1;
   * raw: socket details, printed as they are). */
  | { readonly t: 'fd'; readonly fd: number; readonly path?: string; readonly dev?: string; readonly after?: string; readonly raw?: boolean }
  /** {name=value, ...}; `more` appends `...` (abbreviated structure). */
  | { readonly t: 'struct'; readonly f: readonly Field[]; readonly more?: boolean }
  /**
   * [a, b, ...]; `more` appends `...`; `moreAt` appends `... /* 0x… *\/` (the element at that
   * address could not be read).
   */
  | { readonly t: 'arr'; readonly a: readonly Value[]; readonly more?: boolean; readonly moreAt?: bigint }
  /** Signal set: [INT TERM], or ~[KILL STOP] when most bits are set. */
  | { readonly t: 'set'; readonly names: readonly string[]; readonly neg: boolean }
  /** Value-result argument: before => after. */
  | { readonly t: 'chg'; readonly a: Value; readonly b: Value }
  /** value /* comment *\/ */
  | { readonly t: 'cmt'; readonly v: Value; readonly c: string }
  /** Macro-like call: makedev(0x8, 0x1), htons(80), inet_addr("127.0.0.1"). */
  | { readonly t: 'call'; readonly fn: string; readonly args: readonly Value[] }
  /** A named top-level argument (clone's flags=…), printed name=value. */
  | { readonly t: 'kv'; readonly k: string; readonly v: Value };

export interface Field {
  readonly k: string;
  readonly v: Value;
  /** Printed without "k=" in text (strace's inet_pton(..., &sin6_addr) member); JSON keeps k. */
  readonly bare?: boolean;
}

export const num = (v: bigint | number): Value => ({ t: 'num', v: BigInt(v) });
export const sym = (s: string): Value => ({ t: 'sym', s });
export const NULL: Value = { t: 'null' };
export const addr = (v: bigint): Value => (v === 0n ? NULL : { t: 'addr', v });
export const str = (b: Buffer, more = false): Value => ({ t: 'str', b, more });
/** A string strace always prints in \x hex (random bytes: getrandom). */
export const hexstr = (b: Buffer, more = false): Value => ({ t: 'str', b, more, x: true });
export const fdv = (fd: number, path?: string, dev?: string, after?: string): Value =>
  path === undefined ? { t: 'fd', fd } : dev === undefined && after === undefined ? { t: 'fd', fd, path } : { t: 'fd', fd, path, dev, after };
/** A descriptor with decoration printed as is (socket details, quoted already). */
export const fdRaw = (fd: number, text: string): Value => ({ t: 'fd', fd, path: text, raw: true });
export const struct = (f: readonly Field[], more = false): Value => (more ? { t: 'struct', f, more } : { t: 'struct', f });
export const arr = (a: readonly Value[], more = false): Value => (more ? { t: 'arr', a, more } : { t: 'arr', a });
export const chg = (a: Value, b: Value): Value => ({ t: 'chg', a, b });
export const cmt = (v: Value, c: string): Value => ({ t: 'cmt', v, c });
export const call = (fn: string, ...args: Value[]): Value => ({ t: 'call', fn, args });
export const kv = (k: string, v: Value): Value => ({ t: 'kv', k, v });
export const field = (k: string, v: Value): Field => ({ k, v });
/** Hex as strace's %#llx prints it: 0 is "0". */
export const hex = (v: bigint): Value => sym(hexStr(v));
export function hexStr(v: bigint): string {
  return v === 0n ? '0' : `0x${v.toString(16)}`;
}
/** Octal as %#o: 0 is "0". */
export function octStr(v: bigint): string {
  return v === 0n ? '0' : `0${v.toString(8)}`;
}
