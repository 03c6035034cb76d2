#!/usr/bin/env node
// Generates ioctls.gen.ts: the ioctl request names of the installed kernel UAPI headers and their
// x86_64 numbers, for `ioctl(fd, NAME, ...)`.
//
// Which names: every object-like `#define NAME <body>` whose body uses the kernel's request
// macros (_IO, _IOR, _IOW, _IOWR, _IOC, and the sound headers' _SIO* spellings) in the headers
// listed in in/ioctl_headers.txt, plus the plain-number requests its `numeric` lines select
// (`numeric HEADER REGEX`: defines matching REGEX whose body is a literal, e.g. HDIO_* 0x03xx),
// plus the function-like families its `func` lines instantiate (`func HEADER MACRO FROM TO`:
// MIXER_READ(0)..MIXER_READ(24)).
//
// Values are computed by compiling one small C program per header with the host compiler (CC,
// default cc), so no number is typed by hand. A name whose expression does not compile in user
// space (a type only the kernel has) is dropped and reported. Requests sharing one number are
// all kept: the decoder prints them joined with " or ".
//
// Usage: node src/engines/strace/xlat/gen-ioctls.mjs [--check] [--verbose]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const listFile = join(here, 'in', 'ioctl_headers.txt');
const outFile = join(here, 'ioctls.gen.ts');
const cc = process.env.CC || 'cc';
const verbose = process.argv.includes('--verbose');
const INC = '/usr/include';

/** Headers most UAPI headers assume were included first in user space. */
const PRELUDE = [
  '#include <stdio.h>',
  '#include <stddef.h>',
  '#include <stdint.h>',
  '#include <sys/types.h>',
  '#include <sys/time.h>',
  '#include <sys/socket.h>',
  '#include <linux/types.h>',
  '#include <linux/ioctl.h>',
];

const REQ_MACRO = /\b(_IO|_IOR|_IOW|_IOWR|_IOC|_SIO|_SIOR|_SIOW|_SIOWR)\s*\(/;

function parseList() {
  const headers = [];
  const numeric = [];
  const funcs = [];
  const pre = new Map();
  const exclude = new Set();
  const dropNames = [];
  for (const raw of readFileSync(listFile, 'utf8').split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const w = line.split(/\s+/);
    if (w[0] === 'numeric') numeric.push({ header: w[1], re: new RegExp(`^(?:${w[2]})$`), magic: w[3] === undefined ? undefined : BigInt(w[3]) });
    else if (w[0] === 'func') funcs.push({ header: w[1], macro: w[2], from: Number(w[3]), to: Number(w[4]) });
    else if (w[0] === 'pre') pre.set(w[1], w.slice(2));
    else if (w[0] === 'exclude') exclude.add(w[1]);
    else if (w[0] === 'exclude-names') dropNames.push(new RegExp(`^(?:${w[1]})$`));
    else headers.push({ header: w[0] });
  }
  return { headers, numeric, funcs, pre, exclude, dropNames };
}

/** Expand a glob-free list entry: a directory ending in / stands for its *.h files. */
function expand(entry) {
  const p = join(INC, entry);
  if (!entry.endsWith('/')) return existsSync(p) ? [entry] : [];
  const out = execFileSync('find', [p, '-maxdepth', '1', '-name', '*.h'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter(Boolean)
    .map((f) => f.slice(INC.length + 1))
    .sort();
}

/**
 * Object-like defines of one header (continuation lines joined, comments dropped), and the
 * function-like macros that wrap a request macro (SECCOMP_IOWR(nr, type) -> _IOWR('!', ...)).
 */
function defines(header) {
  const text = readFileSync(join(INC, header), 'utf8').replace(/\\\n/g, ' ');
  const out = [];
  const wrappers = [];
  for (const m of text.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_][A-Za-z0-9_]*)(\([^)]*\))?(.*)$/gm)) {
    const body = m[3].replace(/\/\*.*?\*\//g, '').replace(/\/\*.*$/, '').replace(/\/\/.*$/, '').trim();
    if (m[2] !== undefined) {
      if (REQ_MACRO.test(body) || wrappers.some((w) => new RegExp(`\\b${w}\\s*\\(`).test(body))) wrappers.push(m[1]);
      continue;
    }
    out.push({ name: m[1], body });
  }
  return { defs: out, wrappers };
}

let work;
let seq = 0;
const MINIMAL = ['#include <stdio.h>', '#include <linux/types.h>', '#include <linux/ioctl.h>'];
function compileValues(includes, items, prelude = PRELUDE) {
  // items: [{ name, expr }]; returns Map name -> bigint, dropping items that do not compile.
  let live = items.slice();
  for (let attempt = 0; attempt < 40 && live.length; attempt++) {
    const lines = [...prelude, ...includes.map((h) => `#include <${h}>`), 'int main(void) {'];
    const first = lines.length + 1;
    for (const it of live) lines.push(`  printf("%llu\\n", (unsigned long long)(unsigned int)(${it.expr}));`);
    lines.push('  return 0;', '}');
    const base = join(work, `i${seq++}`);
    writeFileSync(`${base}.c`, lines.join('\n') + '\n');
    try {
      execFileSync(cc, ['-w', '-o', base, `${base}.c`], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      const err = String(e.stderr ?? '');
      const bad = new Set();
      for (const m of err.matchAll(new RegExp(`${base.replace(/[/.]/g, '\\$&')}\\.c:(\\d+):\\d+: error`, 'g'))) {
        const i = Number(m[1]) - first;
        if (i >= 0 && i < live.length) bad.add(i);
      }
      if (bad.size === 0) {
        // The header itself does not compile after the glibc prelude: try it alone once.
        if (prelude !== MINIMAL) return compileValues(includes, live, MINIMAL);
        return { values: new Map(), failed: err.split('\n').find((l) => l.includes('error')) ?? err.split('\n')[0] };
      }
      if (verbose) for (const i of bad) console.error(`  drop ${live[i].name}`);
      live = live.filter((_, i) => !bad.has(i));
      continue;
    }
    const vals = execFileSync(base, { encoding: 'utf8' }).trim().split('\n');
    return { values: new Map(live.map((it, i) => [it.name, BigInt(vals[i])])) };
  }
  return { values: new Map(), failed: 'too many errors' };
}

const { headers, numeric, funcs, pre, exclude, dropNames } = parseList();
const found = new Map(); // "value name" -> { value, name }
const add = (value, name) => found.set(`${value} ${name}`, { value, name });
work = mkdtempSync(join(tmpdir(), 'gen-ioctls-'));
const skipped = [];
try {
  let extraPrelude = [];
  for (const h of headers) {
    if (h.prelude) {
      extraPrelude = h.prelude;
      continue;
    }
    for (const header of expand(h.header)) {
      if (exclude.has(header)) continue;
      const items = [];
      const { defs, wrappers } = defines(header);
      const wrapped = wrappers.length ? new RegExp(`\\b(?:${wrappers.join('|')})\\s*\\(`) : undefined;
      for (const d of defs) {
        const num = numeric.find((n) => n.header === header && n.re.test(d.name));
        if (num && /^\(?\s*0x[0-9a-fA-F]+\s*\)?[UL]*$/.test(d.body)) items.push({ name: d.name, expr: d.name, num });
        else if (dropNames.some((re) => re.test(d.name))) continue;
        else if (REQ_MACRO.test(d.body) || wrapped?.test(d.body)) items.push({ name: d.name, expr: d.name });
      }
      for (const f of funcs.filter((x) => x.header === header)) {
        for (let i = f.from; i <= f.to; i++) items.push({ name: `${f.macro}(${i})`, expr: `${f.macro}(${i})` });
      }
      if (!items.length) continue;
      const r = compileValues([...extraPrelude, ...(pre.get(header) ?? []), header], items);
      if (r.failed) skipped.push(`${header}: ${r.failed}`);
      for (const [name, v] of r.values) {
        const num = items.find((it) => it.name === name)?.num;
        if (num && (v < 0x100n || (num.magic !== undefined && ((v >> 8n) & 0xffn) !== num.magic))) continue;
        add(v, name);
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (verbose) for (const s of skipped) console.error(`skipped ${s}`);

const rows = [...found.values()].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
let out = `// Generated by src/engines/strace/xlat/gen-ioctls.mjs from the headers in
// src/engines/strace/xlat/in/ioctl_headers.txt; do not edit.
// ioctl request numbers (x86_64) and their UAPI names, sorted by number then name: one
// "VALUE NAME" line each, read by decoders/ioctl.ts on first use (as an array literal the
// table was built at every start, the strace engine's as much as the tracee's first ioctl).
export const IOCTL_NAMES = \`
`;
for (const r of rows) {
  // The packed form (xlat.ts unpack) splits a line at its first space, inside a template literal.
  if (/[\s`\\$]/.test(r.name)) throw new Error(`${r.name}: not a name the packed form can hold`);
  out += `0x${r.value.toString(16)} ${r.name}\n`;
}
out += '`;\n';
if (process.argv.includes('--check')) {
  if (readFileSync(outFile, 'utf8') !== out) {
    console.error(`${outFile} is stale: run node ${fileURLToPath(import.meta.url)}`);
    process.exit(1);
  }
} else {
  writeFileSync(outFile, out);
  console.error(`${rows.length} ioctl names; ${skipped.length} headers skipped`);
}
