// `npm run compare-strace`: runs ordinary programs under the real strace and under
// `utrace strace`, normalises addresses, pids and timing-dependent values, and reports the
// share of identical lines (per program and overall) plus the differing lines.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const utrace = path.join(root, 'bin/utrace.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-compare-'));
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-compare-out-'));
fs.writeFileSync(path.join(dir, 'data.txt'), 'alpha\nbeta\ngamma\n'.repeat(100));

const programs = [
  ['ls', '-la', dir],
  ['cat', path.join(dir, 'data.txt')],
  ['id'],
  ['uname', '-a'],
  ['true'],
  ['sh', '-c', `sort ${dir}/data.txt | uniq -c | head -2`],
  ['gzip', '-c', path.join(dir, 'data.txt')],
  ['tar', '-cf', '/dev/null', '-C', dir, 'data.txt'],
  ['python3', '-c', 'print(1)'],
  ['git', '--version'],
  ['stat', '/'],
  ['wc', '-l', path.join(dir, 'data.txt')],
  ['sha256sum', path.join(dir, 'data.txt')],
  ['env', '-i', 'true'],
  ['sleep', '0.01'],
];

/** Join `<unfinished ...>` / `<... resumed>` halves per pid: where a call was split depends
 * only on how the processes' stops interleaved in that run. */
function joinResumed(lines) {
  const open = new Map();
  const out = [];
  for (const line of lines) {
    const m = /^(\d+) +(.*)$/.exec(line);
    if (!m) {
      out.push(line);
      continue;
    }
    const [, pid, rest] = m;
    const u = / <unfinished \.\.\.>$/.exec(rest);
    if (u) {
      open.set(pid, out.length);
      out.push(`${pid} ${rest.slice(0, u.index)}`);
      continue;
    }
    const r = /^<\.\.\. [a-z0-9_]+ resumed>(.*)$/.exec(rest);
    if (r && open.has(pid)) {
      const i = open.get(pid);
      open.delete(pid);
      out[i] = `${out[i]}${r[1]}`.replace(/\s+= /, ' = ');
      continue;
    }
    out.push(`${pid} ${rest}`);
  }
  return out;
}

function normalize(text) {
  return joinResumed(text.split('\n').filter(Boolean)).map((l) => l
    .replace(/\s+= /, ' = ')
    .replace(/^\d+ +/, '')
    .replace(/0x[0-9a-f]+/g, '0xADDR')
    .replace(/\b(si_pid|si_uid|pid|tid)=\d+/g, '$1=N')
    .replace(/(st_(?:a|m|c)time(?:_nsec)?|tv_n?sec|st_ino|st_size|st_blocks|f_bfree|f_bavail|f_ffree|st_atime|st_mtime)=\d+/g, '$1=N')
    .replace(/\b(uptime|loads|freeram|sharedram|bufferram|procs|si_utime|si_stime)=(\[[^\]]*\]|\d+)/g, '$1=N')
    .replace(/=N \/\* [0-9.]+ s \*\//g, '=N')
    .replace(/= \d+$/, '= N')
    .replace(/"[^"]*"\.\.\./g, '"..."')
    .replace(/getrandom\("[^"]*"/, 'getrandom("RANDOM"')
    .replace(/\/\* \d+ vars \*\//, '/* N vars */'));
}

let same = 0;
let total = 0;
const diffs = [];
for (const argv of programs) {
  const a = path.join(outDir, 'ours.txt');
  const b = path.join(outDir, 'theirs.txt');
  const env = { ...process.env, LC_ALL: 'C' };
  spawnSync('strace', ['-f', '-o', b, '--', ...argv], { stdio: 'ignore', env });
  spawnSync('node', [utrace, 'strace', '-f', '-o', a, '--', ...argv], { stdio: 'ignore', env });
  const want = normalize(fs.readFileSync(b, 'utf8')).slice(1); // execve's argv[0] differs (path)
  const got = normalize(fs.readFileSync(a, 'utf8')).slice(1);
  // Lines of several processes interleave differently from run to run: compare as
  // multisets (a line counts as identical when strace printed the same line too).
  const n = Math.max(want.length, got.length);
  const pool = new Map();
  for (const l of want) pool.set(l, (pool.get(l) ?? 0) + 1);
  let s = 0;
  for (const l of got) {
    const c = pool.get(l) ?? 0;
    if (c > 0) {
      pool.set(l, c - 1);
      s++;
    } else if (diffs.length < 40) diffs.push(`${argv.join(' ')}: utrace only: ${l}`);
  }
  for (const [l, c] of pool) if (c > 0 && diffs.length < 40) diffs.push(`${argv.join(' ')}: strace only: ${l}`);
  same += s;
  total += n;
  console.log(`${(100 * s / n).toFixed(1).padStart(5)}%  ${s}/${n}  ${argv.join(' ')}`);
}
console.log(`\nidentical lines: ${same}/${total} = ${(100 * same / total).toFixed(2)}%`);
if (diffs.length) console.log(`\nfirst differences:\n${diffs.join('\n')}`);
fs.rmSync(dir, { recursive: true, force: true });
fs.rmSync(outDir, { recursive: true, force: true });
