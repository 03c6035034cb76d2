/**
 * How bin/utrace.js starts the CLI: from the bundle scripts/bundle.mjs makes (one file instead
 * of ~75 ES modules), compiled with a V8 code cache, so a run does not parse and compile again
 * the bytecode the previous run compiled (Node 22 has module.enableCompileCache; Node 20 has
 * vm.Script's cachedData). Together about 50 ms of a gdb session's start-up on a 2-core VM.
 *
 * The cache lives in $XDG_CACHE_HOME/utrace (default ~/.cache/utrace), a directory that must be
 * ours and closed to others (bytecode from there is run as is); otherwise, or with
 * UTRACE_CODE_CACHE=0, there is none. One per subcommand and copy of utrace, written at the exit
 * of a run that had none, whose cache V8 refused (another Node, other flags, a new bundle) or
 * that compiled clearly more than the thin run (no trace) that wrote it, replacing older ones;
 * caches unused for a month are removed then.
 *
 * A CommonJS module (bin/utrace.cjs is its entry): an ES module entry would start Node's ES
 * module loader, about a third of Node's own start-up, which the bundle does not need.
 *
 * `utrace run` loads the modules themselves: its --engine modules import the library, and must
 * share its classes with the CLI rather than meet the bundle's copies. So does a missing bundle
 * or one older than any of its inputs (a `tsc` without `npm run build`).
 */
// `import x = require()`: tsc makes `import * as` a copy of the module with a getter per property
// (its __importStar), five of them at every start; node:v8 is loaded only when a cache is written
// or checked (with the stream modules it pulls in, ~8 ms of a start).
import fs = require('node:fs');
import { createRequire } from 'node:module';
import os = require('node:os');
import path = require('node:path');
import vm = require('node:vm');

const here = __dirname;
const BUNDLE = path.join(here, 'utrace.bundle.cjs');
const ENTRY = path.join(here, 'main.js');

/** The bundle, if present and newer than the modules it was made from. tsc rewrites every
 * module it emits at each run, so the entry module's time stands for all of them (one stat
 * instead of one per module: start-up time). */
function freshBundle(): fs.Stats | undefined {
  try {
    const st = fs.statSync(BUNDLE);
    return fs.statSync(ENTRY).mtimeMs > st.mtimeMs ? undefined : st;
  } catch {
    return undefined;
  }
}

/** Ours, and no one else may write into it (or, for the directory, even look). */
function closedToOthers(st: fs.Stats, dir: boolean): boolean {
  return st.uid === process.getuid!() && (st.mode & (dir ? 0o077 : 0o022)) === 0;
}

function cacheDir(): string | undefined {
  if (process.env['UTRACE_CODE_CACHE'] === '0') return undefined;
  const xdg = process.env['XDG_CACHE_HOME'];
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'); // relative: ignored (XDG)
  const dir = path.join(base, 'utrace');
  try {
    // Not recursive: a home directory that does not exist (nobody's /nonexistent) stays so.
    for (const d of [base, dir]) {
      try {
        fs.mkdirSync(d, { mode: 0o700 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
      }
    }
    return closedToOthers(fs.statSync(dir), true) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A cache file: V8's data after a 4-byte header: the bytecode the run that wrote it had compiled
 * (v8.getHeapCodeStatistics, in KiB), and in the top bit whether that run was thin (it never
 * loaded the native addon: a usage error, --help, --version). Whatever a run does not call is not
 * in its cache: a run that compiled clearly more than the thin run that wrote the cache (a trace
 * after usage errors) writes it again. A cache written by a run that traced is kept as is:
 * measuring would load node:v8, ~8 ms of every start, for the few decoders a later trace adds.
 */
interface Cache {
  bytecode: number;
  thin: boolean;
  data: Buffer;
}
const THIN = 0x80000000;

function readCache(file: string): Cache | undefined {
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      if (!closedToOthers(fs.fstatSync(fd), false)) return undefined;
      const b = fs.readFileSync(fd);
      if (b.length <= 4) return undefined;
      const h = b.readUInt32LE(0);
      return { bytecode: h & ~THIN, thin: (h & THIN) !== 0, data: b.subarray(4) };
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** A cache or a temporary file nobody used for this long belongs to a copy of utrace, a Node or
 * flags no longer run (a removed checkout, an older install): removed when a cache is written. */
const STALE_MS = 30 * 24 * 3600 * 1000;

/**
 * Write the cache `name`; remove this copy's older ones of the same command (`prefix`), and any
 * cache or leftover temporary file (a run killed while writing) not used for STALE_MS (its
 * access time: the kernel updates it at least daily under relatime).
 */
function writeCache(dir: string, name: string, prefix: string, bytecode: number, thin: boolean, data: Buffer): void {
  const file = path.join(dir, name);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const header = Buffer.alloc(4);
    header.writeUInt32LE((Math.min(bytecode, ~THIN >>> 0) | (thin ? THIN : 0)) >>> 0);
    fs.writeFileSync(tmp, Buffer.concat([header, data]), { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
    return;
  }
  const now = Date.now();
  for (const f of fs.readdirSync(dir)) {
    if (f === name || !(f.endsWith('.v8cache') || f.endsWith('.tmp'))) continue;
    const p = path.join(dir, f);
    try {
      const st = fs.lstatSync(p);
      if ((f.startsWith(prefix) && f.endsWith('.v8cache')) || now - Math.max(st.atimeMs, st.mtimeMs) > STALE_MS) fs.rmSync(p, { force: true });
    } catch {
      /* gone meanwhile */
    }
  }
}

/** Whether this run loaded the native addon (it traced something): Node's module cache, which
 * holds every addon by its file name. */
function loadedAddon(): boolean {
  return Object.keys(require.cache).some((k) => k.endsWith('.node'));
}

/** A short hash of a string (FNV-1a, 32 bits): names a copy of utrace in cache file names. */
function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

export function launch(): void {
  const st = process.argv[2] === 'run' ? undefined : freshBundle();
  if (!st) {
    void import('./main.js');
    return;
  }
  const dir = cacheDir();
  // One cache per subcommand: each holds what that command's runs compile. The bundle's path
  // is in the name, so that two copies of utrace (an installed one and a checkout) do not
  // replace each other's cache at every run; so are Node's flags (V8 refuses a cache made
  // under other flags, and bin/utrace.js gives --single-threaded on one CPU only).
  const cmd = /^[a-z]+$/.test(process.argv[2] ?? '') ? process.argv[2]! : 'other';
  const prefix = `${cmd}-${shortHash(BUNDLE)}-${shortHash(process.execArgv.join('\0'))}-`;
  const name = `${prefix}${st.size}-${Math.trunc(st.mtimeMs)}-${process.version}-${process.arch}.v8cache`;
  const cached = dir ? readCache(path.join(dir, name)) : undefined;
  // ASCII (scripts/bundle.mjs): a one-byte string. Already a function expression, the module
  // wrapper: a wrapper added here would be one more copy of the string for V8 to flatten.
  const source = fs.readFileSync(BUNDLE, 'latin1');
  const script = new vm.Script(source, {
    filename: BUNDLE,
    cachedData: cached?.data,
    importModuleDynamically: ((specifier: string) => import(specifier)) as never,
  });
  if (dir) {
    // At exit: the cache then holds the bytecode of every function this run compiled.
    const had = cached && !script.cachedDataRejected ? cached : undefined;
    process.once('exit', () => {
      if (had && !had.thin) return;
      const v8 = require('node:v8') as typeof import('node:v8');
      const bytecode = Math.round(v8.getHeapCodeStatistics().bytecode_and_metadata_size / 1024);
      if (!had || bytecode > had.bytecode * 1.25) writeCache(dir, name, prefix, bytecode, !loadedAddon(), script.createCachedData());
    });
  }
  const module = { exports: {} };
  const run = script.runInThisContext() as (...a: unknown[]) => void;
  run(module.exports, createRequire(BUNDLE), module, BUNDLE, here);
}
