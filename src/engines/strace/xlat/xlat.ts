/**
 * Constant tables ("xlat", after strace): ordered (value, name) pairs for one family of kernel
 * constants. The data lives in tables.gen.ts, generated from ./in/*.in; this file only holds the
 * runtime shape and the lookup index.
 */
export interface Xlat {
  readonly name: string;
  /** Entries in printing order: flag printers take them first to last. */
  readonly entries: readonly (readonly [bigint, string])[];
  /** Name of the first entry with exactly this value. */
  lookup(v: bigint): string | undefined;
  /** Value of a name, for parsing user input (e.g. -e inject=…:signal=). */
  valueOf(name: string): bigint | undefined;
}

type Entries = readonly (readonly [bigint, string])[];

class XlatTable implements Xlat {
  private _byValue: Map<bigint, string> | undefined;
  private _byName: Map<string, bigint> | undefined;
  constructor(
    readonly name: string,
    private _entries: Entries | string | (() => Entries),
  ) {}

  get entries(): Entries {
    if (typeof this._entries === 'string') this._entries = unpack(this._entries);
    else if (typeof this._entries === 'function') this._entries = this._entries();
    return this._entries;
  }

  lookup(v: bigint): string | undefined {
    if (!this._byValue) {
      this._byValue = new Map();
      for (const [val, n] of this.entries) if (!this._byValue.has(val)) this._byValue.set(val, n);
    }
    return this._byValue.get(v);
  }

  valueOf(name: string): bigint | undefined {
    // Decoders look names up at load time (netlink attribute numbers, option sets): a packed
    // table answers from its text, unpacked only when a trace prints from it.
    if (typeof this._entries === 'string') return packedValueOf(this._entries, name);
    if (!this._byName) this._byName = new Map(this.entries.map(([v, n]) => [n, v]));
    return this._byName.get(name);
  }
}

/** Entries, or a function that makes them on first use (a table built from others). */
export function xlat(name: string, entries: Entries | (() => Entries)): Xlat {
  return new XlatTable(name, entries);
}

/**
 * A table in the generated files' packed form: one "VALUE NAME" line per entry (VALUE as
 * BigInt() reads it: 0x1f, -4; blank lines around it ignored), unpacked on first use. A run
 * uses a few dozen of the ~600 tables: as array literals every one was built at each start,
 * and its bytecode was in the code cache every start deserializes (start-up time,
 * docs/design.md).
 */
export function packedXlat(name: string, text: string): Xlat {
  return new XlatTable(name, text);
}

/** The value of the last "VALUE NAME" line naming `name` (as the unpacked table's name index). */
export function packedValueOf(text: string, name: string): bigint | undefined {
  let end = text.length;
  for (;;) {
    const at = text.lastIndexOf(` ${name}`, end);
    if (at < 0) return undefined;
    const after = at + 1 + name.length;
    const lineStart = text.lastIndexOf('\n', at) + 1;
    if ((after === text.length || text[after] === '\n') && text.indexOf(' ', lineStart) === at) return BigInt(text.slice(lineStart, at).trim());
    if (at === 0) return undefined;
    end = at - 1;
  }
}

/** "VALUE NAME" lines to entries (also the ioctl table's form, decoders/ioctl.ts). */
export function unpack(text: string): [bigint, string][] {
  const body = text.trim();
  if (!body) return [];
  return body.split('\n').map((line) => {
    const sp = line.indexOf(' ');
    return [BigInt(line.slice(0, sp)), line.slice(sp + 1)];
  });
}
