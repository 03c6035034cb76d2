/**
 * strace's string quoting (util.c string_quote): C escapes for \t \n \v \f \r \" \\, printable
 * ASCII as is, everything else as the shortest octal escape, padded to three digits when the next
 * printed byte is an octal digit (so "\0" followed by "1" stays unambiguous as "\0001").
 */

/** -x / -xx / --strings-in-hex=non-ascii-chars (hex escapes instead of octal): strace's xflag. */
export type HexStyle = 'none' | 'non-ascii-chars' | 'non-ascii' | 'all';

const ESC: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x0b: '\\v',
};

function hex2(c: number): string {
  return (c < 16 ? '0' : '') + c.toString(16);
}

/**
 * Escapes `b` (all of it: callers cut at the -s limit and at NUL first). `extra` lists more
 * characters to escape in octal (strace uses "<>" for -y paths).
 */
export function escapeBytes(b: Uint8Array, hexStyle: HexStyle = 'none', extra = ''): string {
  let usehex = hexStyle === 'all';
  if (hexStyle === 'non-ascii') {
    for (const c of b) {
      // Whitespace \t..\r stays printable; anything else outside ' '..'~' forces hex.
      if (c > 0x7e || (c < 0x20 && (c < 9 || c > 13))) {
        usehex = true;
        break;
      }
    }
  }
  let s = '';
  if (usehex) {
    for (const c of b) s += '\\x' + hex2(c);
    return s;
  }
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    const e = ESC[c];
    if (e !== undefined) {
      s += e;
    } else if (c >= 0x20 && c < 0x7f && (extra === '' || !extra.includes(String.fromCharCode(c)))) {
      s += String.fromCharCode(c);
    } else if (hexStyle === 'non-ascii-chars') {
      s += '\\x' + hex2(c);
    } else {
      s += '\\';
      const next = i + 1 < b.length ? b[i + 1] : -1;
      if (next >= 0x30 && next <= 0x37) {
        s += String.fromCharCode(0x30 + (c >> 6), 0x30 + ((c >> 3) & 7));
      } else if (c >> 3) {
        if (c >> 6) s += String.fromCharCode(0x30 + (c >> 6));
        s += String.fromCharCode(0x30 + ((c >> 3) & 7));
      }
      s += String.fromCharCode(0x30 + (c & 7));
    }
  }
  return s;
}

export function quoteBytes(b: Uint8Array, more: boolean, hexStyle: HexStyle = 'none'): string {
  return `"${escapeBytes(b, hexStyle)}"${more ? '...' : ''}`;
}
