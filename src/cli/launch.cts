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
 * that compiled clearly more than the run that wrote it, replacing older ones.
 *
 * A CommonJS module (bin/utrace.cjs is its entry): an ES module entry would start Node's ES
 * module loader, about a third of Node's own start-up, which the bundle does not need.
 *
 * `utrace run` loads the modules themselves: its --engine modules import the library, and must
 * share its classes with the CLI rather than meet the bundle's copies. So does a missing bundle
 * or one older than any of its inputs (a `tsc` without `npm run build`).
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

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
 * A cache file: V8's data after a 4-byte header, the bytecode the run that wrote it had compiled
 * (v8.getHeapCodeStatistics, in KiB). Whatever a run does not call is not in its cache: a run
 * that compiled clearly more (a trace after usage errors) writes it again, so the first run's
 * cache is not the only one.
 */
function readCache(file: string): { bytecode: number; data: Buffer } | undefined {
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      if (!closedToOthers(fs.fstatSync(fd), false)) return undefined;
      const b = fs.readFileSync(fd);
      return b.length > 4 ? { bytecode: b.readUInt32LE(0), data: b.subarray(4) } : undefined;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** Write the cache `name`, and remove this copy's older ones of the same command (`prefix`). */
function writeCache(dir: string, name: string, prefix: string, bytecode: number, data: Buffer): void {
  const file = path.join(dir, name);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const header = Buffer.alloc(4);
    header.writeUInt32LE(bytecode);
    fs.writeFileSync(tmp, Buffer.concat([header, data]), { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
    for (const f of fs.readdirSync(dir)) {
      if (f !== name && f.startsWith(prefix) && f.endsWith('.v8cache')) fs.rmSync(path.join(dir, f), { force: true });
    }
  } catch {
    fs.rmSync(tmp, { force: true });
  }
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
    const had = cached && !script.cachedDataRejected ? cached.bytecode : undefined;
    process.once('exit', () => {
      const bytecode = Math.round(v8.getHeapCodeStatistics().bytecode_and_metadata_size / 1024);
      if (had === undefined || bytecode > had * 1.25) writeCache(dir, name, prefix, bytecode, script.createCachedData());
    });
  }
  const module = { exports: {} };
  const run = script.runInThisContext() as (...a: unknown[]) => void;
  run(module.exports, createRequire(BUNDLE), module, BUNDLE, here);
}
