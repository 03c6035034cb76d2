// scripts/strace-testsuite-report.mjs: compares the two recorded runs of strace's test suite
// (scripts/strace-testsuite.sh: WORK/runs/strace and WORK/runs/utrace, NAME.log, NAME.trs and
// NAME.time per test) and classifies every regression (PASS with strace, anything else with
// utrace) with scripts/strace-testsuite-classify.mjs, whose header states the rules. Writes
// WORK/results/ (TSV per run, regressions.tsv, categories.txt, summary.json, history.tsv) and
// prints a summary.
// Counting: only tests that PASS with strace count (about 32 fail on this kernel with strace
// itself; SKIPs are not passes). The target is utrace passes / strace passes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CATEGORIES, classify, subject } from './strace-testsuite-classify.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    work: { type: 'string', default: process.env.STRACE_SUITE_DIR ?? '/var/tmp/utrace-strace-suite' },
    tests: { type: 'string' },
    commit: { type: 'string', default: 'unknown' },
    quiet: { type: 'boolean', default: false },
    history: { type: 'boolean', default: false }, // append a line to results/history.tsv
    out: { type: 'string' }, // default WORK/results
  },
});
const work = opt.work;
const out = opt.out ?? path.join(work, 'results');
fs.mkdirSync(out, { recursive: true });

/** Syscalls utrace decodes, from its own build; null when not built (then no "raw" rule). */
let decoded = null;
try {
  const mod = await import(pathToFileURL(path.join(root, 'dist/src/engines/strace/decoders/index.js')).href);
  decoded = new Set(Object.keys(mod.DECODERS));
} catch {
  console.error('strace-testsuite-report: dist/ not built; the "raw" rule is off');
}


// --- reading runs ----------------------------------------------------------------------------
/** The harness's base name of a test: foo.gen.test -> foo.gen, foo.test -> foo. */
const base = (t) => t.replace(/\.test$/, '');

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
  regressions.push({ test: x.test, result: x.utrace, ...classify(x.test, { log, dirText: readDir('utrace', x.test), result: x.utrace, twinPasses, decoded }) });
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
p('regressions per category (rules: header of scripts/strace-testsuite-classify.mjs)');
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
