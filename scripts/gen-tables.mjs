#!/usr/bin/env node
// Generates the syscall, errno and signal tables from one source each: the
// kernel uapi headers installed on this machine, glibc's strerror() text, and
// the hand-maintained tables/syscall-classes.tsv. Never edit the outputs.
//
// Usage: node scripts/gen-tables.mjs [--out DIR]
//   --out DIR  write the outputs under DIR instead of the repository root
//              (inputs are still read from the repository); used by the unit
//              test to check that the committed files are reproducible.
//
// Fails (non-zero exit) on any inconsistency rather than writing a partial
// table, so a header upgrade cannot silently drop a syscall.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const SRC = {
  unistd: '/usr/include/x86_64-linux-gnu/asm/unistd_64.h',
  errnoBase: '/usr/include/asm-generic/errno-base.h',
  errno: '/usr/include/asm-generic/errno.h',
  signal: '/usr/include/x86_64-linux-gnu/asm/signal.h',
  classes: 'tables/syscall-classes.tsv',
};

const OUT = {
  syscalls: 'src/arch/x86_64/syscalls.gen.ts',
  errno: 'src/core/errno.gen.ts',
  signals: 'src/core/signals.gen.ts',
};

// Bit order is part of the generated API; append new classes at the end.
const CLASSES = [
  ['FILE', 'file'],
  ['DESC', 'desc'],
  ['NETWORK', 'network'],
  ['PROCESS', 'process'],
  ['SIGNAL', 'signal'],
  ['IPC', 'ipc'],
  ['MEMORY', 'memory'],
  ['CREDS', 'creds'],
  ['CLOCK', 'clock'],
  ['STAT', 'stat'],
  ['LSTAT', 'lstat'],
  ['FSTAT', 'fstat'],
  ['STATFS', 'statfs'],
  ['FSTATFS', 'fstatfs'],
  ['STAT_LIKE', 'stat_like'],
  ['PURE', 'pure'],
  // strace's %%statfs also holds ustat, which is in neither %statfs nor %fstatfs.
  ['STATFS_LIKE', 'statfs_like'],
];

// strace's -e trace=%NAME spellings -> our class constant.
const STRACE_CLASS_NAMES = [
  ['%file', 'FILE'],
  ['%desc', 'DESC'],
  ['%network', 'NETWORK'],
  ['%net', 'NETWORK'],
  ['%process', 'PROCESS'],
  ['%signal', 'SIGNAL'],
  ['%ipc', 'IPC'],
  ['%memory', 'MEMORY'],
  ['%creds', 'CREDS'],
  ['%clock', 'CLOCK'],
  ['%stat', 'STAT'],
  ['%lstat', 'LSTAT'],
  ['%fstat', 'FSTAT'],
  ['%%stat', 'STAT_LIKE'],
  ['%statfs', 'STATFS'],
  ['%fstatfs', 'FSTATFS'],
  ['%%statfs', 'STATFS_LIKE'],
  ['%pure', 'PURE'],
];

// Kernel-internal errnos (include/linux/errno.h, not in uapi) that leak to
// ptrace observers; strace names them. Only the four restart codes get a
// strace-specific message; the rest print glibc's strerror() ("Unknown error
// 515"), exactly like strace. ENOPARAM is newer than strace 6.1's table.
const KERNEL_ERRNOS = [
  [512, 'ERESTARTSYS', 'To be restarted if SA_RESTART is set'],
  [513, 'ERESTARTNOINTR', 'To be restarted'],
  [514, 'ERESTARTNOHAND', 'To be restarted if no handler'],
  [515, 'ENOIOCTLCMD'],
  [516, 'ERESTART_RESTARTBLOCK', 'Interrupted by signal'],
  [517, 'EPROBE_DEFER'],
  [518, 'EOPENSTALE'],
  [519, 'ENOPARAM'],
  [521, 'EBADHANDLE'],
  [522, 'ENOTSYNC'],
  [523, 'EBADCOOKIE'],
  [524, 'ENOTSUPP'],
  [525, 'ETOOSMALL'],
  [526, 'ESERVERFAULT'],
  [527, 'EBADTYPE'],
  [528, 'EJUKEBOX'],
  [529, 'EIOCBQUEUED'],
  [530, 'ERECALLCONFLICT'],
];

// glibc-only alias absent from the kernel headers.
const EXTRA_ERRNO_ALIASES = [['ENOTSUP', 'EOPNOTSUPP']];

// _NSIG for x86_64 (arch/x86/include/asm/signal.h, kernel-internal); the uapi
// header only says SIGRTMAX is _NSIG without defining it.
const X86_64_NSIG = 64;

// Thrown rather than exiting on the spot so that finally blocks (temp-dir
// cleanup) still run; reported once at the bottom with a non-zero exit.
class GenError extends Error {}

function die(msg) {
  throw new GenError(msg);
}

function parseArgs(argv) {
  let out = ROOT;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && i + 1 < argv.length) out = path.resolve(argv[++i]);
    else die(`unknown argument ${JSON.stringify(argv[i])} (usage: gen-tables.mjs [--out DIR])`);
  }
  return { out };
}

function read(file) {
  try {
    return fs.readFileSync(path.isAbsolute(file) ? file : path.join(ROOT, file), 'utf8');
  } catch (e) {
    return die(`cannot read ${file}: ${e.message}`);
  }
}

// Drops C comments so commented-out defines (e.g. SIGLOST) are not picked up.
function defines(file) {
  const text = read(file).replace(/\/\*[\s\S]*?\*\//g, '');
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^\s*#\s*define\s+(\w+)\s+(\S+)\s*$/.exec(line);
    if (m) out.push([m[1], m[2]]);
  }
  return out;
}

function parseSyscallNumbers() {
  const out = [];
  for (const [name, value] of defines(SRC.unistd)) {
    if (!name.startsWith('__NR_')) continue;
    if (!/^\d+$/.test(value)) die(`${SRC.unistd}: ${name} is not a plain number: ${value}`);
    out.push({ name: name.slice(5), nr: Number(value) });
  }
  if (out.length === 0) die(`${SRC.unistd}: no __NR_ defines found`);
  return out;
}

function parseClassesTsv() {
  const known = new Map(CLASSES.map(([k, n]) => [n, k]));
  const rows = new Map();
  read(SRC.classes).split('\n').forEach((line, i) => {
    const where = `${SRC.classes}:${i + 1}`;
    if (line.trim() === '' || line.startsWith('#')) return;
    const cols = line.split('\t');
    if (cols.length !== 3) die(`${where}: expected 3 TAB-separated columns, got ${cols.length}`);
    const [name, nargsText, classText] = cols;
    if (!/^\w+$/.test(name)) die(`${where}: bad syscall name ${JSON.stringify(name)}`);
    if (rows.has(name)) die(`${where}: duplicate row for ${name}`);
    if (!/^[0-6]$/.test(nargsText)) die(`${where}: nargs must be 0..6, got ${JSON.stringify(nargsText)}`);
    const classes = classText === '-' ? [] : classText.split(',');
    for (const c of classes) if (!known.has(c)) die(`${where}: unknown class ${JSON.stringify(c)}`);
    if (new Set(classes).size !== classes.length) die(`${where}: repeated class`);
    rows.set(name, { nargs: Number(nargsText), classes: classes.map((c) => known.get(c)) });
  });
  return rows;
}

function parseErrnos() {
  const byName = new Map();
  const names = new Map(); // number -> canonical (first-defined) name
  for (const file of [SRC.errnoBase, SRC.errno]) {
    for (const [name, value] of defines(file)) {
      if (!/^E[A-Z0-9_]+$/.test(name)) continue;
      let nr;
      if (/^\d+$/.test(value)) nr = Number(value);
      else if (byName.has(value)) nr = byName.get(value); // alias, e.g. EWOULDBLOCK EAGAIN
      else die(`${file}: ${name} refers to unknown ${value}`);
      if (byName.has(name)) die(`${file}: ${name} defined twice`);
      byName.set(name, nr);
      if (!names.has(nr)) names.set(nr, name);
    }
  }
  if (names.size === 0) die('no errno defines found');
  for (const [alias, target] of EXTRA_ERRNO_ALIASES) {
    if (!byName.has(target)) die(`alias target ${target} missing from headers`);
    if (!byName.has(alias)) byName.set(alias, byName.get(target));
  }
  const messages = new Map();
  for (const [nr, name, msg] of KERNEL_ERRNOS) {
    if (names.has(nr) || byName.has(name)) die(`kernel-internal ${name}=${nr} clashes with uapi headers`);
    names.set(nr, name);
    byName.set(name, nr);
    if (msg !== undefined) messages.set(nr, msg);
  }
  const strerr = strerrorTable([...names.keys()].filter((n) => !messages.has(n)));
  for (const [nr, msg] of strerr) messages.set(nr, msg);
  return { names, byName, messages };
}

// strace prints glibc's strerror() text, so take it from glibc itself rather
// than copying strings. The program is built in a throwaway directory.
function strerrorTable(numbers) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gen-tables-'));
  try {
    const src = path.join(dir, 'strerror.c');
    const exe = path.join(dir, 'strerror');
    fs.writeFileSync(
      src,
      [
        '#include <stdio.h>',
        '#include <stdlib.h>',
        '#include <string.h>',
        'int main(int argc, char **argv) {',
        '  for (int i = 1; i < argc; i++) {',
        '    int n = atoi(argv[i]);',
        '    printf("%d\\t%s\\n", n, strerror(n));',
        '  }',
        '  return 0;',
        '}',
        '',
      ].join('\n'),
    );
    try {
      execFileSync('cc', ['-o', exe, src], { stdio: ['ignore', 'ignore', 'inherit'] });
    } catch (e) {
      die(`compiling the strerror helper with cc failed: ${e.message}`);
    }
    // LC_ALL=C: messages must not depend on the generating user's locale.
    const text = execFileSync(exe, numbers.map(String), { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    const out = new Map();
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const tab = line.indexOf('\t');
      out.set(Number(line.slice(0, tab)), line.slice(tab + 1));
    }
    for (const n of numbers) if (!out.has(n)) die(`strerror helper gave no text for ${n}`);
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function parseSignals() {
  const byName = new Map();
  const names = new Map();
  for (const [name, value] of defines(SRC.signal)) {
    if (!/^SIG[A-Z0-9]+$/.test(name)) continue;
    let nr;
    if (/^\d+$/.test(value)) nr = Number(value);
    else if (value === '_NSIG') nr = X86_64_NSIG;
    else if (byName.has(value)) nr = byName.get(value); // SIGPOLL SIGIO
    else continue; // not a signal number (e.g. SA_* / stack-size macros)
    if (nr < 1 || nr > X86_64_NSIG) continue; // SIGSTKSZ 8192 is a size, not a signal
    byName.set(name, nr);
    if (!names.has(nr)) names.set(nr, name);
  }
  const rtmin = byName.get('SIGRTMIN');
  const rtmax = byName.get('SIGRTMAX');
  if (rtmin === undefined || rtmax === undefined) die(`${SRC.signal}: SIGRTMIN/SIGRTMAX missing`);
  // strace names realtime signals relative to the kernel's SIGRTMIN (not
  // glibc's, which reserves two): 32 SIGRTMIN, 33 SIGRT_1, ..., 64 SIGRT_32.
  names.set(rtmin, 'SIGRTMIN');
  for (let n = rtmin + 1; n <= rtmax; n++) {
    names.set(n, `SIGRT_${n - rtmin}`);
    byName.set(`SIGRT_${n - rtmin}`, n);
  }
  for (let n = 1; n <= rtmax; n++) if (!names.has(n)) die(`${SRC.signal}: no name for signal ${n}`);
  return { names, byName, rtmin, rtmax };
}

// ---- emitters -------------------------------------------------------------

function q(s) {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

// Object keys that are valid identifiers stay bare; others ('%file') are quoted.
function key(s) {
  return /^[A-Za-z_$][\w$]*$/.test(s) ? s : q(s);
}

function header(sources) {
  return `// Generated by scripts/gen-tables.mjs from ${sources.join(', ')}; do not edit.\n`;
}

// Null-prototype records so that lookups of user input such as 'constructor'
// or 'toString' miss instead of finding Object.prototype members.
function record(name, entries, doc) {
  const body = entries.map(([k, v]) => `  ${key(k)}: ${v},`).join('\n');
  return (
    `${doc}\nexport const ${name}: Readonly<Record<string, number>> = Object.freeze(\n` +
    `  Object.assign(Object.create(null) as Record<string, number>, {\n` +
    body.replace(/^/gm, '  ') +
    `\n  }),\n);\n`
  );
}

function emitSyscalls(numbers, rows) {
  const bits = new Map(CLASSES.map(([k], i) => [k, i]));
  let s = header([SRC.unistd, SRC.classes]);
  s += '\n';
  s += 'export interface SyscallEntry {\n';
  s += '  readonly name: string;\n  readonly nr: number;\n  readonly nargs: number;\n';
  s += '  /** Bit set of SyscallClass flags. */\n  readonly classes: number;\n}\n\n';
  s += "/** Bit flags mirroring strace's -e trace=%CLASS sets. */\n";
  s += 'export const SyscallClass = {\n';
  for (const [k, i] of bits) s += `  ${k}: 0x${(1 << i).toString(16)},\n`;
  s += '} as const;\n\n';
  s += 'const C = SyscallClass;\n\n';
  s += 'const ENTRIES: readonly SyscallEntry[] = [\n';
  for (const { name, nr } of numbers) {
    const row = rows.get(name);
    const cls = row.classes.length ? row.classes.map((c) => `C.${c}`).join(' | ') : '0';
    s += `  { name: ${q(name)}, nr: ${nr}, nargs: ${row.nargs}, classes: ${cls} },\n`;
  }
  s += '];\n\n';
  const max = Math.max(...numbers.map((e) => e.nr));
  s += '/** Indexed by syscall number; undefined for unassigned numbers. */\n';
  s += 'export const SYSCALLS: readonly (SyscallEntry | undefined)[] = (() => {\n';
  s += `  const table = new Array<SyscallEntry | undefined>(${max + 1}).fill(undefined);\n`;
  s += '  for (const e of ENTRIES) table[e.nr] = Object.freeze(e);\n';
  s += '  return Object.freeze(table);\n})();\n\n';
  s += record(
    'SYSCALL_NR',
    numbers.map(({ name, nr }) => [name, String(nr)]),
    '/** Syscall name -> number. */',
  );
  s += '\n';
  s += record(
    'SYSCALL_CLASS_NAMES',
    STRACE_CLASS_NAMES.map(([n, k]) => [n, `C.${k}`]),
    "/** strace's class spellings (-e trace=%file, ...) -> SyscallClass mask. */",
  );
  return s;
}

function emitErrno({ names, byName, messages }) {
  const nrs = [...names.keys()].sort((a, b) => a - b);
  let s = header([SRC.errnoBase, SRC.errno, "glibc's strerror()", 'kernel-internal errnos listed in the script']);
  s += '\n';
  s += '// [number, canonical name (as strace prints it), message]\n';
  s += 'const ROWS: readonly (readonly [number, string, string])[] = [\n';
  for (const n of nrs) s += `  [${n}, ${q(names.get(n))}, ${q(messages.get(n))}],\n`;
  s += '];\n\n';
  s += 'function column(i: 1 | 2): readonly (string | undefined)[] {\n';
  s += `  const table = new Array<string | undefined>(${nrs[nrs.length - 1] + 1}).fill(undefined);\n`;
  s += '  for (const row of ROWS) table[row[0]] = row[i];\n';
  s += '  return Object.freeze(table);\n}\n\n';
  s += '/** Errno number -> canonical name (EAGAIN, not EWOULDBLOCK). */\n';
  s += 'export const ERRNO_NAMES: readonly (string | undefined)[] = column(1);\n\n';
  s += '/** Errno number -> message as strace prints it in parentheses. */\n';
  s += 'export const ERRNO_MESSAGES: readonly (string | undefined)[] = column(2);\n\n';
  const entries = [...byName].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  s += record(
    'ERRNO',
    entries.map(([k, v]) => [k, String(v)]),
    '/** Errno name -> number, including aliases (EWOULDBLOCK, EDEADLOCK, ENOTSUP). */',
  );
  return s;
}

function emitSignals({ names, byName, rtmin, rtmax }) {
  let s = header([SRC.signal]);
  s += '//\n';
  s += "// Realtime signals are named as strace prints them, relative to the kernel's\n";
  s += "// SIGRTMIN (glibc's SIGRTMIN is 34 because it reserves two): 32 is SIGRTMIN,\n";
  s += `// 33 is SIGRT_1, ..., ${rtmax} is SIGRT_${rtmax - rtmin}.\n\n`;
  s += `export const SIGRTMIN = ${rtmin};\n`;
  s += `export const SIGRTMAX = ${rtmax};\n\n`;
  s += '/** Signal number -> name; index 0 is undefined (no signal). */\n';
  s += 'export const SIGNAL_NAMES: readonly (string | undefined)[] = Object.freeze([\n';
  s += '  undefined,\n';
  for (let n = 1; n <= rtmax; n++) s += `  ${q(names.get(n))},\n`;
  s += ']);\n\n';
  const entries = [...byName].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  s += record(
    'SIGNAL',
    entries.map(([k, v]) => [k, String(v)]),
    '/** Signal name -> number, including aliases (SIGIOT, SIGPOLL, SIGRTMAX, SIGRT_n). */',
  );
  return s;
}

// ---- main -----------------------------------------------------------------

function main() {
  const { out } = parseArgs(process.argv.slice(2));

  const numbers = parseSyscallNumbers();
  const rows = parseClassesTsv();
  const missing = numbers.filter((e) => !rows.has(e.name)).map((e) => e.name);
  const headerNames = new Set(numbers.map((e) => e.name));
  const extra = [...rows.keys()].filter((n) => !headerNames.has(n));
  if (missing.length || extra.length) {
    die(
      `${SRC.classes} is out of step with ${SRC.unistd}:` +
        (missing.length ? `\n  no row for: ${missing.join(' ')}` : '') +
        (extra.length ? `\n  not in header: ${extra.join(' ')}` : ''),
    );
  }
  numbers.sort((a, b) => a.nr - b.nr);

  const files = [
    [OUT.syscalls, emitSyscalls(numbers, rows)],
    [OUT.errno, emitErrno(parseErrnos())],
    [OUT.signals, emitSignals(parseSignals())],
  ];
  for (const [rel, text] of files) {
    const dest = path.join(out, rel);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, text);
  }
}

try {
  main();
} catch (e) {
  if (!(e instanceof GenError)) throw e;
  process.stderr.write(`gen-tables: ${e.message}\n`);
  process.exitCode = 1;
}
