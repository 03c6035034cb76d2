#!/usr/bin/env node
// Compares the recorded runs of gdb's test suite against GNU gdbserver and against utrace
// (scripts/gdb-testsuite.sh keeps them in WORK/runs/{gdbserver,utrace}/<dir>/<name>.sum),
// file by file: PASS / FAIL / other counts each way and the PASS delta, the totals, and the
// files where utrace has fewer PASS, each with the first tests that PASS with gdbserver and
// not with utrace (and what they got instead). Writes WORK/results/{table.tsv,report.json}
// and appends the totals to WORK/results/history.tsv.
//
// Test names are compared after replacing numbers of 4+ digits and long hex values (ports,
// pids, addresses differ between the runs); a name seen twice in a file is counted twice.
//
// Usage: node scripts/gdb-testsuite-report.mjs --work DIR [--tests FILE] [--diff-only] [--commit C]
//   --runs DIR     the runs to compare (default WORK/runs); --results DIR: where to write
//                  (default WORK/results); either replaces --work for its part
//   --tests FILE   the .exp files to compare, one a line (default: all recorded for utrace)
//   --diff-only    print only the rows whose counts differ
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    work: { type: 'string' },
    runs: { type: 'string' },
    results: { type: 'string' },
    tests: { type: 'string' },
    'diff-only': { type: 'boolean', default: false },
    'max-names': { type: 'string', default: '5' },
    commit: { type: 'string', default: 'unknown' },
  },
});
if (!opts.work && !(opts.runs && opts.results)) {
  console.error('usage: gdb-testsuite-report.mjs --work DIR | --runs DIR --results DIR [--tests FILE] [--diff-only]');
  process.exit(2);
}
const runs = opts.runs ?? path.join(opts.work, 'runs');
const SIDES = ['gdbserver', 'utrace'];
const maxNames = Number(opts['max-names']);

/** Result kinds dejagnu writes into a .sum; PASS and FAIL get columns, the rest is "other". */
const KINDS = ['PASS', 'FAIL', 'XFAIL', 'XPASS', 'KFAIL', 'KPASS', 'UNTESTED', 'UNRESOLVED',
  'UNSUPPORTED', 'ERROR', 'DUPLICATE', 'PATH'];
const lineRe = new RegExp(`^(${KINDS.join('|')}): (.*)$`);

const normalise = (name) => name.replace(/0x[0-9a-f]{6,}/gi, '0xADDR').replace(/\d{4,}/g, 'N');

/** A side's record for one .exp: counts, results in order, the .status fields; null if none. */
function readRun(side, exp) {
  const base = path.join(runs, side, exp.replace(/\.exp$/, ''));
  if (!fs.existsSync(`${base}.status`)) return null;
  const status = Object.fromEntries(fs.readFileSync(`${base}.status`, 'utf8').trim().split(/\s+/)
    .map((kv) => kv.split('=')).map(([k, ...v]) => [k, v.join('=')]));
  const counts = Object.fromEntries(KINDS.map((k) => [k, 0]));
  const results = [];
  const sum = fs.existsSync(`${base}.sum`) ? fs.readFileSync(`${base}.sum`, 'utf8') : '';
  for (const line of sum.split('\n')) {
    const m = lineRe.exec(line);
    if (!m) continue;
    counts[m[1]]++;
    // "gdb.base/break.exp: name" -> "name"; ERROR lines carry free text.
    const name = m[2].startsWith(`${exp}: `) ? m[2].slice(exp.length + 2) : m[2];
    results.push({ kind: m[1], name, key: normalise(name) });
  }
  return {
    counts, results,
    pass: counts.PASS, fail: counts.FAIL,
    other: Object.entries(counts).filter(([k]) => k !== 'PASS' && k !== 'FAIL').reduce((a, [, v]) => a + v, 0),
    timedOut: status.timed_out === '1', rc: Number(status.rc), seconds: Number(status.seconds),
    empty: results.length === 0,
    logPath: `${base}.log`,
  };
}

/**
 * Tests that PASS with gdbserver and do not with utrace, in gdbserver's order, with what
 * utrace got: its result under the same name, or under the name with a " (reason)" suffix
 * as gdb's FAILs often carry ("... (timeout)"), else "missing".
 */
function lostPasses(gs, ut) {
  const unused = ut.results.map((r) => ({ ...r, used: false }));
  const take = (pred) => {
    const r = unused.find((u) => !u.used && pred(u));
    if (r) r.used = true;
    return r;
  };
  const lost = [];
  for (const r of gs.results) {
    if (r.kind !== 'PASS') continue;
    if (take((u) => u.key === r.key && u.kind === 'PASS')) continue;
    const other = take((u) => u.key === r.key) ?? take((u) => u.kind !== 'PASS' && u.key.startsWith(`${r.key} (`));
    lost.push({ name: r.name, utrace: other ? other.kind : 'missing', as: other && other.name !== r.name ? other.name : undefined });
  }
  return lost;
}

/**
 * Lines of the utrace log that usually say why (server errors, connection trouble, gdb's
 * complaints) and that gdbserver's log of the same file does not have.
 */
const HINT_RES = [
  /utrace gdbserver: .*/,
  /^ERROR: .*/,
  /Remote connection closed|Remote communication error.*|Timeout waiting for gdbserver response|Connection refused|Ignoring packet error.*|Remote replied unexpectedly.*|Packet .* not supported|unknown option.*|usage: utrace.*|internal-error: .*|Can't detach.*|Cannot access memory at .*|Could not .*|not supported by this target.*|Couldn't .*|Invalid .*/,
];
function hintLines(logPath) {
  if (!fs.existsSync(logPath)) return [];
  const out = [];
  for (const line of fs.readFileSync(logPath, 'utf8').split('\n')) {
    for (const re of HINT_RES) {
      const m = re.exec(line);
      if (m) { out.push(m[0].trim().slice(0, 200)); break; }
    }
  }
  return out;
}
function hints(utLog, gsLog, max = 3) {
  const seen = new Set(hintLines(gsLog).map(normalise));
  const out = [];
  for (const h of hintLines(utLog)) {
    const k = normalise(h);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(h);
    if (out.length >= max) break;
  }
  return out;
}

let exps;
if (opts.tests) exps = fs.readFileSync(opts.tests, 'utf8').split('\n').filter(Boolean);
else {
  exps = [];
  const walk = (dir, rel) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name), rel ? `${rel}/${e.name}` : e.name);
      else if (e.name.endsWith('.status')) exps.push(`${rel}/${e.name.replace(/\.status$/, '')}.exp`);
    }
  };
  walk(path.join(runs, 'utrace'), '');
  exps.sort();
}

const rows = [];
for (const exp of exps) {
  const [gs, ut] = SIDES.map((s) => readRun(s, exp));
  rows.push({ exp, gs, ut, delta: gs && ut ? ut.pass - gs.pass : null });
}

const fmt = (r) => (r ? `${String(r.pass).padStart(4)} ${String(r.fail).padStart(3)} ${String(r.other).padStart(3)}${r.timedOut ? 'T' : ' '}` : '   -   -   - ');
const width = Math.max(40, ...rows.map((r) => r.exp.length));
console.log(`${'file'.padEnd(width)}  gdbserver P/F/other   utrace P/F/other   dPASS`);
for (const r of rows) {
  if (opts['diff-only'] && r.gs && r.ut && r.gs.pass === r.ut.pass && r.gs.fail === r.ut.fail && r.gs.other === r.ut.other) continue;
  const d = r.delta === null ? '' : r.delta > 0 ? `+${r.delta}` : String(r.delta);
  console.log(`${r.exp.padEnd(width)}  ${fmt(r.gs)}       ${fmt(r.ut)}  ${d.padStart(5)}`);
}
console.log('(T: the file hit the per-file time limit)');

// Totals over the files both sides ran, per directory and overall.
const both = rows.filter((r) => r.gs && r.ut);
const totals = {};
for (const r of both) {
  for (const key of [r.exp.split('/')[0], 'all']) {
    totals[key] ??= { files: 0, gdbserver: { PASS: 0, FAIL: 0, other: 0 }, utrace: { PASS: 0, FAIL: 0, other: 0 }, fewerPass: 0, morePass: 0 };
    const t = totals[key];
    t.files++;
    for (const [side, run] of [['gdbserver', r.gs], ['utrace', r.ut]]) {
      t[side].PASS += run.pass; t[side].FAIL += run.fail; t[side].other += run.other;
    }
    if (r.delta < 0) t.fewerPass++;
    if (r.delta > 0) t.morePass++;
  }
}
console.log('\ntotals (files run both ways)');
for (const [key, t] of Object.entries(totals).sort(([a], [b]) => (a === 'all') - (b === 'all') || a.localeCompare(b))) {
  console.log(`  ${key.padEnd(12)} ${String(t.files).padStart(4)} files  gdbserver PASS ${t.gdbserver.PASS} FAIL ${t.gdbserver.FAIL} other ${t.gdbserver.other}` +
    `  |  utrace PASS ${t.utrace.PASS} FAIL ${t.utrace.FAIL} other ${t.utrace.other}` +
    `  |  utrace fewer PASS in ${t.fewerPass} files, more in ${t.morePass}`);
}
const missing = rows.filter((r) => !r.gs || !r.ut);
if (missing.length) console.log(`  not run both ways: ${missing.length} files (${missing.slice(0, 5).map((r) => r.exp).join(', ')}${missing.length > 5 ? ', ...' : ''})`);

const fewer = both.filter((r) => r.delta < 0).map((r) => {
  const lost = lostPasses(r.gs, r.ut);
  return {
    exp: r.exp, gdbserverPass: r.gs.pass, utracePass: r.ut.pass, delta: r.delta,
    timedOut: { gdbserver: r.gs.timedOut, utrace: r.ut.timedOut },
    stressAside: r.gs.timedOut && r.ut.timedOut,
    lost: lost.slice(0, maxNames), lostCount: lost.length,
    hints: hints(r.ut.logPath, r.gs.logPath),
  };
});
console.log(`\nfiles where utrace has fewer PASS: ${fewer.length}` +
  `${fewer.some((f) => f.stressAside) ? ` (${fewer.filter((f) => f.stressAside).length} timed out both ways)` : ''}`);
for (const f of fewer) {
  const t = f.timedOut.utrace ? (f.timedOut.gdbserver ? ', timed out both ways' : ', utrace timed out') : '';
  console.log(`- ${f.exp}: ${f.gdbserverPass} -> ${f.utracePass} PASS (${f.delta}${t})`);
  for (const l of f.lost) console.log(`    ${l.utrace.padEnd(10)} ${l.as ?? l.name}`);
  if (f.lostCount > f.lost.length) console.log(`    ... ${f.lostCount - f.lost.length} more`);
  for (const h of f.hints) console.log(`    log: ${h}`);
}

const resultsDir = opts.results ?? path.join(opts.work, 'results');
fs.mkdirSync(resultsDir, { recursive: true });
const tsv = ['file\tgdbserver_pass\tgdbserver_fail\tgdbserver_other\tgdbserver_timeout\tutrace_pass\tutrace_fail\tutrace_other\tutrace_timeout\tdelta_pass'];
for (const r of rows) {
  const cols = (x) => (x ? [x.pass, x.fail, x.other, x.timedOut ? 1 : 0] : ['', '', '', '']);
  tsv.push([r.exp, ...cols(r.gs), ...cols(r.ut), r.delta ?? ''].join('\t'));
}
fs.writeFileSync(path.join(resultsDir, 'table.tsv'), `${tsv.join('\n')}\n`);
fs.writeFileSync(path.join(resultsDir, 'report.json'), `${JSON.stringify({ totals, fewer }, null, 1)}\n`);
if (totals.all) {
  const a = totals.all;
  fs.appendFileSync(path.join(resultsDir, 'history.tsv'), `${[new Date().toISOString(), opts.commit, a.files,
    a.gdbserver.PASS, a.utrace.PASS, a.fewerPass].join('\t')}\n`);
}
