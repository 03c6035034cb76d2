/**
 * Renders the decoded-argument tree (value.ts) as strace prints it.
 */
import { escapeBytes, quoteBytes, type HexStyle } from './quote.js';
import { hexStr, type Value } from './value.js';

export function renderValue(v: Value, hexStyle: HexStyle = 'none'): string {
  switch (v.t) {
    case 'num':
      return v.v.toString();
    case 'sym':
      return v.s;
    case 'null':
      return 'NULL';
    case 'addr':
      return hexStr(v.v);
    case 'str':
      return quoteBytes(v.b, v.more, v.x ? 'all' : hexStyle);
    case 'fd':
      // strace escapes '<' and '>' in -y paths so the brackets stay unambiguous.
      if (v.path === undefined) return String(v.fd);
      return `${v.fd}<${v.raw ? v.path : escapeBytes(Buffer.from(v.path, 'latin1'), 'none', '<>')}${v.dev ? `<${v.dev}>` : ''}>${v.after ?? ''}`;
    case 'struct': {
      const parts = v.f.map((f) => (f.bare ? renderValue(f.v, hexStyle) : `${f.k}=${renderValue(f.v, hexStyle)}`));
      if (v.more) parts.push('...');
      return `{${parts.join(', ')}}`;
    }
    case 'arr': {
      const parts = v.a.map((x) => renderValue(x, hexStyle));
      if (v.moreAt !== undefined) parts.push(`... /* ${hexStr(v.moreAt)} */`);
      else if (v.more) parts.push('...');
      return `[${parts.join(', ')}]`;
    }
    case 'set':
      return `${v.neg ? '~' : ''}[${v.names.join(' ')}]`;
    case 'chg':
      return `${renderValue(v.a, hexStyle)} => ${renderValue(v.b, hexStyle)}`;
    case 'cmt':
      return `${renderValue(v.v, hexStyle)} /* ${v.c} */`;
    case 'call':
      return `${v.fn}(${v.args.map((x) => renderValue(x, hexStyle)).join(', ')})`;
    case 'kv':
      return `${v.k}=${renderValue(v.v, hexStyle)}`;
  }
}

/** Joins top-level arguments with strace's ", " separator. */
export function renderArgs(args: readonly Value[], hexStyle: HexStyle = 'none'): string {
  let s = '';
  for (let i = 0; i < args.length; i++) {
    if (i) s += ', ';
    s += renderValue(args[i], hexStyle);
  }
  return s;
}
