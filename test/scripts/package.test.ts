// The package as a user gets it: `npm pack`, the tarball installed into an empty project where
// no C compiler can be found (CC=/bin/false, a PATH with node, npm and a few tools only: no
// cc, gcc, make or python), from the npm registry (or npm's cache) only; then utrace is run
// from that install: strace, a library example, TypeScript engines, --version everywhere.
//
// The tarball is made as `npm pack` makes it, minus its `prepare` (npm run build: pretest has
// just built dist/), so: the prepack script (scripts/prebuild.mjs, the prebuilt addon), then
// `npm pack --ignore-scripts`, then what postpack does (prebuilds/ removed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj) && (JSON.parse(fs.readFileSync(pj, 'utf8')) as { name?: string }).name === 'utrace') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
}
const root = repoRoot();
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
const platformDir = `linux-${os.arch()}`;

let tmp = '';
let app = '';
let env: NodeJS.ProcessEnv = {};
let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] };
let installLog = '';
const notes: string[] = [];

/** The directory of a command on the real PATH. */
function which(cmd: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

function run(cmd: string, args: string[], opts: { cwd?: string; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd: opts.cwd ?? app, env, encoding: 'utf8', timeout: opts.timeout ?? 60_000 });
}

/** The installed command (npx finds the same file; it starts npm first, seconds on a busy machine). */
const utrace = (): string => path.join(app, 'node_modules/.bin/utrace');

const show = (r: SpawnSyncReturns<string>): string => `exit ${r.status ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-package-'));
  // The prepack step, then the pack itself without scripts (see the top).
  const prebuild = spawnSync(process.execPath, [path.join(root, 'scripts/prebuild.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(prebuild.status, 0, `scripts/prebuild.mjs failed:\n${prebuild.stderr}`);
  notes.push(...prebuild.stderr.split('\n').filter((x) => x.startsWith('prebuild:')));
  try {
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: root, encoding: 'utf8' });
    packed = (JSON.parse(out) as (typeof packed)[])[0]!;
  } finally {
    fs.rmSync(path.join(root, 'prebuilds'), { recursive: true, force: true });
  }

  // Tools for the install and the runs; nothing that compiles.
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  for (const t of ['npm', 'npx', 'sh', 'true']) {
    const p = which(t);
    if (!p) throw new Error(`${t} not on PATH`);
    fs.symlinkSync(fs.realpathSync(p), path.join(bin, t));
  }
  // The outer npm's npm_* variables (npm test) would steer the inner npm: not passed on.
  env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'INIT_CWD'));
  Object.assign(env, { PATH: bin, CC: '/bin/false', CXX: '/bin/false', LINK: '/bin/false', XDG_CACHE_HOME: path.join(tmp, 'cache') });

  app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }) + '\n');
  const t0 = process.hrtime.bigint();
  const r = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', path.join(tmp, packed.filename)], { timeout: 120_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  installLog = show(r);
  assert.equal(r.status, 0, `npm install of the tarball failed:\n${installLog}`);
  notes.push(`packed ${packed.size} bytes, unpacked ${packed.unpackedSize}, ${packed.files.length} files; install ${ms.toFixed(0)} ms`);
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('no compiler is reachable from the install environment', (t) => {
  for (const n of notes) t.diagnostic(n);
  for (const cc of ['cc', 'gcc', 'g++', 'make', 'python3']) {
    const r = run('sh', ['-c', `command -v ${cc}`]);
    assert.notEqual(r.status, 0, `${cc} found: ${r.stdout}`);
  }
  assert.notEqual(run(env['CC']!, ['--version']).status, 0);
});

test('the tarball holds the prebuilt addon, the runtime, the linked docs and examples, and no tests, maps or build scripts', () => {
  const files = new Set(packed.files.map((f) => f.path));
  for (const f of ['package.json', 'README.md', 'bin/utrace.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/utrace.bundle.cjs',
    'dist/src/cli/typescript-hooks.js', 'binding.gyp', 'native/addon.c', 'native/glibc-compat.h', `prebuilds/${platformDir}/utrace.glibc.node`]) {
    assert.ok(files.has(f), `${f} missing from the package`);
  }
  // Every doc the README links to.
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const linked = [...readme.matchAll(/\]\(((?:docs|examples)\/[^)#\s]+)\)/g)].map((m) => m[1]!);
  assert.ok(linked.length >= 5, 'README links to its docs');
  for (const f of linked) assert.ok(files.has(f), `${f} (linked from README.md) missing from the package`);
  for (const f of fs.readdirSync(path.join(root, 'examples'))) assert.ok(files.has(`examples/${f}`), `examples/${f} missing`);
  const unwanted = [...files].filter((f) => /\.map$|^dist\/(?:test|bench|examples)\/|\/fuzz[^/]*$|^scripts\/|^tables\/|^build\/|^test\/|^src\//.test(f));
  assert.deepEqual(unwanted, []);
});

test('native executables ship beside the prebuilt addon (each one binding.gyp builds)', () => {
  // The installed package's own list (NATIVE_EXECUTABLES) and where nativeExecutable() puts them:
  // beside the .node file node-gyp-build picked.
  const nativeJs = pathToFileURL(path.join(app, 'node_modules/utrace/dist/src/native/native.js')).href;
  const r = run('node', ['--input-type=module', '-e', `
    const native = await import(${JSON.stringify(nativeJs)});
    const exes = Object.fromEntries(native.NATIVE_EXECUTABLES.map((n) => [n, native.nativeExecutable(n)]));
    console.log(JSON.stringify({ addon: native.nativeAddonPath(), exes }));`]);
  assert.equal(r.status, 0, show(r));
  const { addon, exes } = JSON.parse(r.stdout) as { addon: string; exes: Record<string, string> };
  const prebuilds = path.join(fs.realpathSync(app), 'node_modules/utrace/prebuilds', platformDir);
  assert.equal(addon, path.join(prebuilds, 'utrace.glibc.node'));
  assert.ok(Object.keys(exes).length > 0);

  const files = new Set(packed.files.map((f) => f.path));
  const gyp = fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8');
  for (const [name, exe] of Object.entries(exes)) {
    assert.equal(exe, path.join(prebuilds, name));
    const shipped = files.has(`prebuilds/${platformDir}/${name}`);
    if (gyp.includes(`"${name}"`)) {
      assert.ok(shipped, `${name} is a binding.gyp target but not in the package`);
      fs.accessSync(exe, fs.constants.X_OK);
    } else {
      // Not a target on this tree: then absent everywhere (nothing stale shipped).
      assert.ok(!shipped, `${name} shipped but binding.gyp has no such target`);
      assert.ok(!fs.existsSync(path.join(root, 'build/Release', name)), `${name} built but binding.gyp has no such target`);
      assert.ok(!fs.existsSync(exe));
    }
  }
});

test('the install used the prebuilt addon: nothing was compiled', () => {
  assert.ok(!fs.existsSync(path.join(app, 'node_modules/utrace/build')), `node_modules/utrace/build exists:\n${installLog}`);
  assert.doesNotMatch(installLog, /gyp info spawn|gyp ERR/);
});

test('npx utrace strace -- true', () => {
  const r = run('npx', ['utrace', 'strace', '--', 'true']);
  assert.equal(r.status, 0, show(r));
  assert.match(r.stderr, /^execve\(".*true", \["true"\]/m);
  assert.match(r.stderr, /^\+\+\+ exited with 0 \+\+\+$/m);
});

test('--version for utrace and each command', () => {
  const cases: [string[], RegExp][] = [
    [['--version'], new RegExp(`^utrace ${pkg.version}\n$`)],
    [['-V'], new RegExp(`^utrace ${pkg.version}\n$`)],
    [['strace', '-V'], new RegExp(`^utrace strace -- version ${pkg.version}\n`)],
    [['strace', '--version'], new RegExp(`^utrace strace -- version ${pkg.version}\n`)],
    [['gdbserver', '--version'], new RegExp(`^utrace gdbserver ${pkg.version} `)],
    [['run', '--version'], new RegExp(`^utrace run ${pkg.version}\n$`)],
    [['run', '--strace', '--version', '--', 'true'], new RegExp(`^utrace run ${pkg.version}\n$`)],
    [['host', '--version'], new RegExp(`^utrace host ${pkg.version}\n$`)],
    [['ps', '--version'], new RegExp(`^utrace ps ${pkg.version}\n$`)],
  ];
  for (const [args, want] of cases) {
    const r = run(utrace(), args);
    assert.equal(r.status, 0, `utrace ${args.join(' ')}: ${show(r)}`);
    assert.match(r.stdout, want, `utrace ${args.join(' ')}`);
  }
  // After --, --version belongs to the command.
  const r = run(utrace(), ['run', '--engine', '--version', '--', 'true']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--engine --version: no such file/);
});

test("the README's one-engine library example runs from the install", () => {
  // The README's runEngines example, as is (it is plain JavaScript too).
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const m = /```ts\n(import \{ runEngines, defineEngine, Event \} from 'utrace';[\s\S]*?)```/.exec(readme);
  assert.ok(m, 'README has the runEngines example');
  const src = m[1]!.replace("argv: ['ls', '/']", "argv: ['true']");
  fs.writeFileSync(path.join(app, 'count.mjs'), src);
  const r = run('node', ['count.mjs']);
  assert.equal(r.status, 0, show(r));
  const calls = /^(\d+) calls, exit 0$/m.exec(r.stderr);
  assert.ok(calls && Number(calls[1]) > 5, show(r));
});

test('utrace run --engine loads TypeScript engines as they are, the shipped example among them', () => {
  // A user's copy of an example (Node strips types only outside node_modules).
  fs.copyFileSync(path.join(app, 'node_modules/utrace/examples/slow-syscalls.ts'), path.join(app, 'slow.ts'));
  let r = run('npx', ['utrace', 'run', '--engine', './slow.ts=0', '--', 'true']);
  assert.equal(r.status, 0, show(r));
  assert.match(r.stderr, /^\.\/slow\.ts: slow: \[\d+\] execve took [\d.]+ ms = 0$/m);

  fs.writeFileSync(path.join(app, 'mine.mts'), [
    "import { defineEngine, Event, type SyscallReport } from 'utrace';",
    'interface Seen { n: number }',
    'const seen: Seen = { n: 0 };',
    'export default defineEngine({',
    "  name: 'mine', events: Event.SYSCALL_EXIT,",
    '  reportSyscallExit(_e: unknown, _r: SyscallReport): void { seen.n++; },',
    '  finish(): void { process.stderr.write(`mine: ${seen.n > 0 ? "saw" : "missed"} syscalls\\n`); },',
    '});',
    '',
  ].join('\n'));
  r = run(utrace(), ['run', '--engine', 'mine.mts', '--', 'true']);
  assert.equal(r.status, 0, show(r));
  assert.match(r.stderr, /^mine: saw syscalls$/m);

  // TypeScript that needs code generated: refused, naming what and why.
  const needsCode: [string, string, string][] = [
    ['enum.ts', 'enum Mode { A }\nvoid Mode.A;', 'enum'],
    ['namespace.mts', 'namespace N { export const a = 1; }\nvoid N.a;', 'namespace declaration'],
    ['param.ts', 'class C { constructor(private x: number) {} }\nvoid C;', 'parameter property'],
  ];
  for (const [file, body, what] of needsCode) {
    fs.writeFileSync(path.join(app, file), `import { defineEngine, Event } from 'utrace';\n${body}\nexport default defineEngine({ name: 'e', events: Event.SYSCALL_EXIT });\n`);
    r = run(utrace(), ['run', '--engine', file, '--', 'true']);
    assert.notEqual(r.status, 0, show(r));
    assert.match(r.stderr, new RegExp(`--engine ${file.replace('.', '\\.')}: TypeScript ${what} is not supported in strip-only mode.*stripping its types`), show(r));
  }
});
