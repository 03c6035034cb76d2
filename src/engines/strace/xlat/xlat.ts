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

class XlatTable implements Xlat {
  private _byValue: Map<bigint, string> | undefined;
  private _byName: Map<string, bigint> | undefined;
  constructor(
    readonly name: string,
    readonly entries: readonly (readonly [bigint, string])[],
  ) {}

  lookup(v: bigint): string | undefined {
    if (!this._byValue) {
      this._byValue = new Map();
      for (const [val, n] of this.entries) if (!this._byValue.has(val)) this._byValue.set(val, n);
    }
    return this._byValue.get(v);
  }

  valueOf(name: string): bigint | undefined {
    if (!this._byName) this._byName = new Map(this.entries.map(([v, n]) => [n, v]));
    return this._byName.get(name);
  }
}

export function xlat(name: string, entries: readonly (readonly [bigint, string])[]): Xlat {
  return new XlatTable(name, entries);
}
