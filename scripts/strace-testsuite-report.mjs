// scripts/strace-testsuite-report.mjs: compares the two recorded runs of strace's test suite
// (scripts/strace-testsuite.sh: WORK/runs/strace and WORK/runs/utrace, one NAME.log and
// NAME.trs per test) and classifies every regression (PASS with strace, anything else with
// utrace) by the FIRST difference its utrace log shows. Writes WORK/results/ and prints a
// summary.
//
// Rules, tried in this order; the first that applies names the category:
//   harness      no result from the harness (it stopped before the test ran)
//   timeout      "time limit (N) exceeded": the test ran into --timeout (hang or far too slow)
//   option-long  utrace's usage error (a "utrace strace: ..." line followed by "Try 'utrace
//   option       strace -h'"): an unknown --long option goes to option-long, anything else
//                (unknown short option, unsupported -e qualifier, a syscall name or class
//                that -e trace= does not know, an invalid argument) to option
//   crash        a JavaScript exception or "Internal error" in the log
//   Otherwise the first difference: the first change block of the first `diff -u` hunk
//   (expected = strace's line E, actual = utrace's line A), or for match_grep checks the first
//   failed pattern (E) and the actual line with the same syscall name (A). Leading pids and
//   timestamps are ignored when naming the syscall. Then:
//   netlink      E holds a netlink message (nlmsg_*), or the test is netlink_*/nlattr_* and
//                E is a socket send/receive call; detail: the netlink family (from the test)
//   ioctl        E is an ioctl call; detail: the family (the test's subject, ioctl_FOO -> FOO)
//   signal       E or A is a signal line (--- SIG...)
//   exit         E or A is an exit line (+++ exited/killed), or utrace itself exited non-zero
//                without a usage error ("... failed with code N" from run_strace)
//   threads      E or A is an <unfinished ...>/resumed line, or only one has a pid prefix
//   xlat         a -Xraw/-Xabbrev/-Xverbose test whose twin without the -X suffix passes
//                with utrace: the difference is in how -X prints constants
//   raw          E's syscall has no decoder in utrace (src/engines/strace/decoders), so
//                utrace prints it raw; detail: the syscall
//   lines        E and A are different syscalls, or one side has no line: a line missing or
//                extra (selection: -e trace/-P/-y paths/--status; or a call not stopped at)
//   format       E and A are the same once whitespace is ignored (the -a column, spacing)
//   retval       E and A differ only after the last ") = " (return value, errno, flags)
//   decoder      same syscall, the arguments differ; detail: the syscall
//   other        anything else (awk checks, a test's own failure message); detail: that message
// Counting: only tests that PASS with strace count (about 32 fail on this kernel with strace
// itself; SKIPs are not passes). The target is utrace passes / strace passes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    work: { type: 'string', default: process.env.STRACE_SUITE_DIR ?? '/var/tmp/utrace-strace-suite' },
    tests: { type: 'string' },
    commit: { type: 'string', default: 'unknown' },
    quiet: { type: 'boolean', default: false },
    history: { type: 'boolean', default: false }, // append a line to results/history.tsv
  },
});
const work = opt.work;
const out = path.join(work, 'results');
fs.mkdirSync(out, { recursive: true });

/** Syscalls utrace decodes, from its own build; null when not built (then no "raw" rule). */
let decoded = null;
try {
  const mod = await import(pathToFileURL(path.join(root, 'dist/src/engines/strace/decoders/index.js')).href);
  decoded = new Set(Object.keys(mod.DECODERS));
} catch {
  console.error('strace-testsuite-report: dist/ not built; the "raw" rule is off');
}

const CATEGORIES = {
  harness: 'no result from the harness',
  timeout: 'run-time: hang / time limit',
  'option-long': 'utrace rejected a --long option',
  option: 'utrace rejected an option / usage error',
  crash: 'utrace threw / internal error',
  netlink: 'netlink message decoding',
  ioctl: 'ioctl decoding',
  signal: 'run-time: signals',
  exit: 'run-time: exit status',
  threads: 'run-time: threads / unfinished-resumed',
  xlat: '-X raw/abbrev/verbose',
  raw: 'syscall printed raw (no decoder)',
  lines: 'line missing or extra (selection)',
  format: 'whitespace / alignment only',
  retval: 'return value / errno differs',
  decoder: 'decoder differs (same syscall)',
  message: 'diagnostic message differs (syntax tests)',
  skip: 'skipped with utrace (the test\'s own check of strace failed)',
  other: 'other',
};

// --- reading runs ----------------------------------------------------------------------------
/** The harness's base name of a test: foo.gen.test -> foo.gen, foo.test -> foo. */
const base = (t) => t.replace(/\.test$/, '');
/** The test's subject: foo.gen.test -> foo. */
const subject = (t) => t.replace(/(\.gen)?\.test$/, '');

function result(label, t) {
  try {
    const trs = fs.readFileSync(path.join(work, 'runs', label, `${base(t)}.trs`), 'utf8');
    return /^:test-result: *(\S+)/m.exec(trs)?.[1] ?? 'ERROR';
  } catch {
    return null; // not run
  }
}
/** [seconds, limit] the test took in a run (the harness's stand-in records it), or null. */
function readTime(label, t) {
  try {
    const [sec, limit] = fs.readFileSync(path.join(work, 'runs', label, `${base(t)}.time`), 'utf8').trim().split('\t');
    return [Number(sec), Number(limit)];
  } catch {
    return null;
  }
}
function readLog(label, t) {
  try {
    return fs.readFileSync(path.join(work, 'runs', label, `${base(t)}.log`), 'utf8');
  } catch {
    return '';
  }
}

/** The text files a test left in its NAME.dir (kept for tests that did not pass). */
function readDir(label, t) {
  const dir = path.join(work, 'runs', label, `${base(t)}.dir`);
  let text = '';
  try {
    for (const f of fs.readdirSync(dir).sort()) text += `${fs.readFileSync(path.join(dir, f), 'utf8')}\n`;
  } catch {
    /* no directory kept */
  }
  return text;
}

let tests;
if (opt.tests) tests = fs.readFileSync(opt.tests, 'utf8').split('\n').filter(Boolean);
else {
  tests = fs.readdirSync(path.join(work, 'runs', 'utrace')).filter((f) => f.endsWith('.trs'))
    .map((f) => `${f.slice(0, -4)}.test`);
}

// --- classifying -----------------------------------------------------------------------------
/** A trace line without its pid prefix and timestamps. */
function strip(line) {
  return line
    .trimStart()
    .replace(/^\[pid +\d+\] /, '')
    .replace(/^\d+ +/, '')
    .replace(/^(\d+:\d+:\d+(\.\d+)?|\d+\.\d+) +/, '')
    .replace(/^\d+\.\d+ +/, '');
}
const callName = (line) => (line == null ? null : (/^([a-z_][a-z0-9_]*)\(/.exec(strip(line))?.[1] ?? null));
const hasPid = (line) => /^(\[pid +\d+\] |\d+ +)/.test(line);

/** The first difference in a log: { e, a, at } (e or a may be null; at: its line index), or
 * null when there is none. */
export function firstDifference(log) {
  const lines = log.split('\n');
  const unified = lines.findIndex((l) => l.startsWith('@@ '));
  // A plain diff (threads-execve and a few others): the suite puts the expected file first.
  const plain = lines.findIndex((l) => /^\d+(,\d+)?[acd]\d+(,\d+)?$/.test(l));
  const grep = lines.findIndex((l) => l === 'Failed patterns of expected output:');
  const first = Math.min(...[unified, plain, grep].map((i) => (i < 0 ? Infinity : i)));
  if (first === Infinity) return null;
  let e = null;
  let a = null;
  if (first === unified) {
    for (let i = unified + 1; i < lines.length; i++) {
      const l = lines[i];
      if (l.startsWith('-')) {
        if (a !== null) break; // a later change block
        e ??= l.slice(1);
      } else if (l.startsWith('+')) a ??= l.slice(1);
      else if (e !== null || a !== null) break;
      else if (!l.startsWith(' ') && !l.startsWith('@@')) break;
    }
  } else if (first === plain) {
    for (let i = plain + 1; i < lines.length; i++) {
      const l = lines[i];
      if (l.startsWith('< ')) e ??= l.slice(2);
      else if (l.startsWith('> ')) a ??= l.slice(2);
      else if (l !== '---') break;
    }
  } else {
    // match_grep: "#N: pattern" lines, then "Actual output:"; a few tests print bare patterns.
    e = /^(?:#\d+: )?(.*)$/.exec(lines[grep + 1] ?? '')?.[1] ?? null;
    const act = lines.indexOf('Actual output:', grep);
    const name = patternName(e);
    if (name) {
      const from = act >= 0 ? act + 1 : grep + 2;
      a = lines.slice(from).find((l) => callName(l) === name) ?? null;
    }
  }
  return e !== null || a !== null ? { e, a, at: first } : null;
}
/** The syscall an egrep pattern of expected output is about. */
function patternName(p) {
  return p == null ? null : (/([a-z_][a-z0-9_]*)\\\(/.exec(p)?.[1] ?? callName(p));
}

const WRAPPER = /\S*\/utrace-strace\b/g;
/** The last "failed test:" message, the test's own words. */
function failMessage(log) {
  const m = [...log.matchAll(/: failed test: (.*)$/gm)].pop();
  return m ? m[1].replace(WRAPPER, 'STRACE') : '';
}

/** A usage error of `utrace strace` in a text: {category, detail} or null. */
function usageError(text) {
  const u = /^utrace strace: (.*)\nTry 'utrace strace -h'/m.exec(text);
  return u ? usageDetail(u[1]) : null;
}
function usageDetail(msg) {
  const unk = /^Unknown option '([^']*)'/.exec(msg);
  if (unk) {
    const o = unk[1].replace(/=.*$/, '');
    return { category: o.startsWith('--') ? 'option-long' : 'option', detail: o };
  }
  let m = /^(-e [\w-]+=) is not supported/.exec(msg);
  if (m) return { category: 'option', detail: m[1] };
  m = /^invalid system call '([^']*)'/.exec(msg);
  if (m) return { category: 'option', detail: `-e trace=${m[1]}` };
  m = /^invalid (\w+) argument '([^']*)'/.exec(msg);
  if (m) {
    // -e inject=SET:KEY=V...: name the keys beyond those utrace's usage lists.
    const keys = m[2].split(':').slice(1).map((k) => k.replace(/=.*$/, ''))
      .filter((k) => !['error', 'retval', 'signal', 'when'].includes(k));
    return { category: 'option', detail: `-e ${m[1]}=${keys.length ? `…:${keys.join(',')}` : '(argument)'}` };
  }
  m = /^Option '(-\w)[, ]/.exec(msg);
  if (m) return { category: 'option', detail: `${m[1]} (argument)` };
  return { category: 'option', detail: msg.replace(/'[^']*'/g, "'…'").slice(0, 60) };
}
const CRASH = /^\s+at .*\.js:\d+:\d+\)?$|Internal error|Uncaught|^\w*(TypeError|RangeError|ReferenceError)\b/m;

function netlinkFamily(t) {
  const s = subject(t).replace(/-.*$/, '');
  if (/^nfnetlink_/.test(s)) return 'netfilter';
  let m = /^netlink_(.*)$/.exec(s);
  if (m) return m[1];
  m = /^nlattr_(.*)$/.exec(s);
  if (!m) return s === 'nlattr' ? 'protocol' : s;
  const k = m[1];
  if (/diag_(msg|req)/.test(k)) return 'sock_diag';
  if (/^crypto/.test(k)) return 'crypto';
  if (/^nlmsgerr/.test(k)) return 'protocol';
  if (/^(ifaddrmsg|ifinfomsg|ifaddrlblmsg|ifla|ifstats|rtmsg|rtgenmsg|ndmsg|ndtmsg|tcmsg|tcamsg|tca_|tc_|br_port_msg|mdba|dcbmsg|fib_rule|netconfmsg|nhmsg|cachereport)/.test(k)) return 'route';
  return k;
}
function ioctlFamily(t) {
  const s = subject(t).replace(/-.*$/, '');
  const m = /^ioctl_(.*)$/.exec(s);
  if (m) return m[1];
  return s === 'ioctl' ? 'misc (ioctl.test)' : s;
}

/** @returns {{category: string, detail: string, e: string|null, a: string|null}} */
export function classify(t, { log, dirText, result, twinPasses }) {
  const none = { e: null, a: null };
  if (log.includes('strace-testsuite: no result from the harness')) return { category: 'harness', detail: '', ...none };
  const usage = usageError(log);
  if (usage) return { ...usage, ...none };
  const crash = CRASH.exec(log);
  if (crash) return { category: 'crash', detail: crash[0].trim().slice(0, 80), ...none };
  const d = firstDifference(log);
  const lines = log.split('\n');
  const limit = lines.findIndex((l) => /time limit \(\d+\) exceeded/.test(l));
  if (limit >= 0 && !(d && d.at < limit)) return { category: 'timeout', detail: '', ...none };
  if (d) return classifyDifference(t, d, twinPasses);
  // Nothing in the log: the test sent strace's stderr to a file in its directory.
  const usage2 = usageError(dirText);
  if (usage2) return { ...usage2, ...none };
  const crash2 = CRASH.exec(dirText);
  if (crash2) return { category: 'crash', detail: crash2[0].trim().slice(0, 80), ...none };
  const fm = failMessage(log) || failMessage(dirText);
  // The line the test printed before failing: the program's or utrace's own complaint.
  const at = lines.findIndex((l) => l.includes(': failed test: '));
  const before = at > 0 ? lines.slice(0, at).filter((l) => l && !/^(utrace strace: Process \d+ (attached|detached)|\+\+\+ )/.test(l)).pop() ?? null : null;
  if (result === 'SKIP') {
    const m = /: (?:framework )?skip(?:ped test)?: (.*)$/m.exec(log);
    return { category: 'skip', detail: (m?.[1] ?? '').replace(WRAPPER, 'STRACE').slice(0, 80), ...none };
  }
  const m = /^STRACE .* failed with code (\d+)$/.exec(fm);
  if (m) return { category: 'exit', detail: `utrace exited ${m[1]}`, e: fm, a: before };
  const st = /\(exit status: (\d+)\)\s*$/.exec(log)?.[1];
  return { category: 'other', detail: (fm || (st ? `no message, exit status ${st}` : '')).slice(0, 100), e: null, a: before };
}

function classifyDifference(t, { e, a }, twinPasses) {
  const en = callName(e) ?? patternName(e);
  const an = callName(a);
  const se = e == null ? '' : strip(e);
  const sa = a == null ? '' : strip(a);
  const r = (category, detail) => ({ category, detail, e, a });
  const sub = subject(t);
  // Diagnostics: tests of option syntax compare strace's error messages.
  const au = /^utrace strace: (.*)$/.exec(sa);
  if (au && /^(Unknown option|-e [\w-]+= is not supported|invalid system call)/.test(au[1])) {
    const u = usageDetail(au[1]);
    return r(u.category, u.detail);
  }
  if (/^(\S*\/utrace-strace|strace): /.test(se) || au) return r('message', se.replace(WRAPPER, 'STRACE').slice(0, 60));
  if (/nlmsg_/.test(se) || (/^(netlink_|nlattr_|nfnetlink_)/.test(sub) && /^(send|recv)/.test(en ?? ''))) {
    return r('netlink', netlinkFamily(t));
  }
  if (en === 'ioctl') return r('ioctl', ioctlFamily(t));
  if (/superseded by execve|<pid changed to|<unfinished \.\.\.>|resumed>/.test(`${e ?? ''}${a ?? ''}`) ||
      (e != null && a != null && hasPid(e) !== hasPid(a))) {
    return r('threads', en ?? an ?? (se || sa).slice(0, 40));
  }
  if (/^-+ SIG|^--- /.test(se) || /^--- /.test(sa)) return r('signal', (se || sa).replace(/ \{.*/, '').slice(0, 60));
  if (/^\+\+\+ (exited|killed)/.test(se) || /^\+\+\+ (exited|killed)/.test(sa)) return r('exit', (se || sa).slice(0, 60));
  if (/-X(raw|abbrev|verbose)/.test(sub) && twinPasses) return r('xlat', /-X(raw|abbrev|verbose)/.exec(sub)[0]);
  if (en && decoded && !decoded.has(en)) return r('raw', en);
  if (!en || !an || en !== an) return r('lines', en ?? an ?? (se || sa).slice(0, 40));
  if (se.replace(/\s+/g, '') === sa.replace(/\s+/g, '')) return r('format', en);
  const ret = (x) => {
    const i = x.lastIndexOf(') = ');
    return i < 0 ? [x, ''] : [x.slice(0, i), x.slice(i)];
  };
  const [ea, er] = ret(se);
  const [aa, ar] = ret(sa);
  if (ea === aa && er !== ar) return r('retval', en);
  return r('decoder', en);
}

// --- main ------------------------------------------------------------------------------------
const rows = [];
for (const t of tests) rows.push({ test: t, strace: result('strace', t), utrace: result('utrace', t) });
const utraceResult = new Map(rows.map((x) => [subject(x.test), x.utrace]));
const regressions = [];
for (const x of rows) {
  if (x.strace !== 'PASS' || x.utrace === 'PASS' || x.utrace === null) continue;
  const twin = subject(x.test).replace(/-X(raw|abbrev|verbose)/, '');
  const twinPasses = twin !== subject(x.test) && utraceResult.get(twin) === 'PASS';
  const log = readLog('utrace', x.test);
  regressions.push({ test: x.test, result: x.utrace, ...classify(x.test, { log, dirText: readDir('utrace', x.test), result: x.utrace, twinPasses }) });
}
const straceP = rows.filter((x) => x.strace === 'PASS');
const utraceP = rows.filter((x) => x.utrace === 'PASS');
const both = rows.filter((x) => x.strace === 'PASS' && x.utrace === 'PASS');
const onlyUtrace = rows.filter((x) => x.strace !== 'PASS' && x.utrace === 'PASS');
const count = (label, v) => rows.filter((x) => x[label] === v).length;
const notRun = rows.filter((x) => x.strace === null || x.utrace === null).map((x) => x.test);

const byCat = new Map(Object.keys(CATEGORIES).map((c) => [c, []]));
for (const g of regressions) byCat.get(g.category).push(g);
/** Counts of tests per detail within some categories, most common first. */
function top(cats) {
  const m = new Map();
  for (const g of regressions) {
    if (!cats.includes(g.category)) continue;
    if (!m.has(g.detail)) m.set(g.detail, []);
    m.get(g.detail).push(subject(g.test));
  }
  return [...m].sort((p, q) => q[1].length - p[1].length || (p[0] < q[0] ? -1 : 1));
}

// Files: one TSV per run, the regressions, names per category, JSON, a history line.
const tsv = (v) => String(v ?? '').replace(/[\t\n]/g, ' ');
for (const label of ['strace', 'utrace']) {
  fs.writeFileSync(path.join(out, `${label}.tsv`), 'test\tresult\tseconds\tlimit\n' + rows.map((x) => {
    const tm = readTime(label, x.test);
    return `${x.test}\t${x[label] ?? 'NOT-RUN'}\t${tm?.[0] ?? ''}\t${tm?.[1] ?? ''}\n`;
  }).join(''));
}
fs.writeFileSync(path.join(out, 'regressions.tsv'), 'test\tresult\tcategory\tdetail\texpected (strace)\tactual (utrace)\n' +
  regressions.map((g) => [g.test, g.result, g.category, g.detail, g.e, g.a].map(tsv).join('\t') + '\n').join(''));
fs.writeFileSync(path.join(out, 'pass-strace.txt'), straceP.map((x) => `${x.test}\n`).join(''));
fs.writeFileSync(path.join(out, 'pass-utrace.txt'), utraceP.map((x) => `${x.test}\n`).join(''));
let catText = '';
for (const [c, gs] of byCat) {
  if (!gs.length) continue;
  catText += `## ${c}: ${CATEGORIES[c]} (${gs.length} tests)\n`;
  const byDetail = new Map();
  for (const g of gs) {
    if (!byDetail.has(g.detail)) byDetail.set(g.detail, []);
    byDetail.get(g.detail).push(subject(g.test));
  }
  for (const [dt, ts] of [...byDetail].sort((p, q) => q[1].length - p[1].length)) {
    catText += `  ${dt || '-'} (${ts.length}): ${ts.join(' ')}\n`;
  }
  catText += '\n';
}
fs.writeFileSync(path.join(out, 'categories.txt'), catText);
const summary = {
  date: new Date().toISOString(),
  commit: opt.commit,
  tests: rows.length,
  strace: { PASS: straceP.length, FAIL: count('strace', 'FAIL'), SKIP: count('strace', 'SKIP'), XFAIL: count('strace', 'XFAIL'), ERROR: count('strace', 'ERROR') },
  utrace: { PASS: utraceP.length, FAIL: count('utrace', 'FAIL'), SKIP: count('utrace', 'SKIP'), XFAIL: count('utrace', 'XFAIL'), ERROR: count('utrace', 'ERROR') },
  both: both.length,
  regressions: regressions.length,
  utracePassesStraceDoesNot: onlyUtrace.map((x) => x.test),
  share: straceP.length ? both.length / straceP.length : 0,
  notRun,
  categories: Object.fromEntries([...byCat].map(([c, gs]) => [c, gs.length])),
  top: {
    options: top(['option', 'option-long']).map(([k, v]) => ({ option: k, tests: v.length })),
    raw: top(['raw']).map(([k, v]) => ({ syscall: k, tests: v.length })),
    ioctl: top(['ioctl']).map(([k, v]) => ({ family: k, tests: v.length })),
    netlink: top(['netlink']).map(([k, v]) => ({ family: k, tests: v.length })),
    decoder: top(['decoder', 'retval']).map(([k, v]) => ({ syscall: k, tests: v.length })),
  },
};
fs.writeFileSync(path.join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
const hist = path.join(out, 'history.tsv');
if (opt.history && !fs.existsSync(hist)) fs.writeFileSync(hist, 'date\tcommit\ttests\tstrace_pass\tutrace_pass\tboth\tregressions\tshare\n');
if (opt.history) fs.appendFileSync(hist, `${summary.date}\t${summary.commit}\t${rows.length}\t${straceP.length}\t${utraceP.length}\t${both.length}\t${regressions.length}\t${(100 * summary.share).toFixed(1)}%\n`);

// Printed summary.
const p = (s = '') => console.log(s);
p(`strace test suite (${rows.length} tests): strace ${straceP.length} pass, utrace ${utraceP.length} pass, ` +
  `both ${both.length}, regressions ${regressions.length}; utrace passes ${(100 * summary.share).toFixed(1)}% of strace's passes`);
p(`  strace: ${JSON.stringify(summary.strace)}`);
p(`  utrace: ${JSON.stringify(summary.utrace)}`);
if (onlyUtrace.length) p(`  pass with utrace only (not counted): ${onlyUtrace.map((x) => subject(x.test)).join(' ')}`);
if (notRun.length) p(`  not run in one of the two runs: ${notRun.length}`);
p();
p('regressions per category (rules: header of scripts/strace-testsuite-report.mjs)');
for (const [c, gs] of byCat) if (gs.length) p(`  ${String(gs.length).padStart(5)}  ${c.padEnd(12)} ${CATEGORIES[c]}`);
const topLine = (title, list, n = 15) => {
  if (!list.length) return;
  p(`\n${title}`);
  p('  ' + list.slice(0, n).map(([k, v]) => `${k || '-'} ${v.length}`).join(', ') + (list.length > n ? `, … (${list.length - n} more)` : ''));
};
topLine('options utrace rejects (tests)', top(['option', 'option-long']));
topLine('syscalls printed raw (tests)', top(['raw']), 30);
topLine('ioctl families (tests)', top(['ioctl']), 30);
topLine('netlink families (tests)', top(['netlink']));
topLine('decoders that differ (tests)', top(['decoder', 'retval']), 30);
if (!opt.quiet) {
  p('\nregressions:');
  for (const [c, gs] of byCat) {
    if (gs.length) p(`  ${c}: ${gs.map((g) => subject(g.test)).join(' ')}`);
  }
}
p(`\nfiles: ${out}/{summary.json,strace.tsv,utrace.tsv,regressions.tsv,categories.txt,pass-*.txt,history.tsv}; logs: ${work}/runs/`);
