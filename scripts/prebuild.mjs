// Makes the prebuilt native addon the package ships: prebuilds/<platform>-<arch>/utrace.glibc.node
// (prebuildify --napi: one binary for every Node >= 20, Node-API only) and, beside it, each
// executable binding.gyp builds (NATIVE_EXECUTABLES in src/native/native.ts). node-gyp-build
// loads it at run time; `npm install` builds from source only where no prebuild fits.
//
//   node scripts/prebuild.mjs [--arch x64|arm64]      (npm run prebuild, npm run prebuild:arm64)
//
// Runs by `npm pack` / `npm publish` (prepack), after `npm run build` (it reads the executable
// list from dist/). Builds in a temporary copy of binding.gyp and native/, so the checkout's
// build/ (which tests running at the same time load) is never cleaned under them.
//
// The result must load on old glibc (native/glibc-compat.h): the script prints the highest
// GLIBC_x.y version any shipped file references and fails above MAX_GLIBC.
//
// arm64: on an arm64 machine it builds natively; on x64 it cross-builds with
// aarch64-linux-gnu-gcc (Debian: gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu), CC/CXX/LINK
// and STRIP taken from the environment when set. Not run on this project's x64 machines, so
// untested; the package ships only what this script made.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const MAX_GLIBC = '2.17';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { arch: { type: 'string', default: os.arch() } } });
const arch = values.arch;
if (!['x64', 'arm64'].includes(arch)) throw new Error(`prebuild: unsupported --arch ${arch} (x64 or arm64)`);
const platformDir = `linux-${arch}`;

const nativeTs = path.join(root, 'dist/src/native/native.js');
if (!fs.existsSync(nativeTs)) throw new Error('prebuild: run `npm run build` first (reads dist/src/native/native.js)');
const { NATIVE_EXECUTABLES } = await import(pathToFileURL(nativeTs).href);

/** node-gyp: npm's own copy (what `npm install` uses), found from the npm running us or on PATH. */
function nodeGyp() {
  const cands = [];
  if (process.env.npm_execpath) cands.push(path.join(path.dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'));
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const npm = path.join(dir, 'npm');
    if (fs.existsSync(npm)) cands.push(path.join(path.dirname(fs.realpathSync(npm)), '../node_modules/node-gyp/bin/node-gyp.js'));
  }
  const found = cands.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`prebuild: node-gyp not found (looked at ${cands.join(', ')})`);
  return found; // executable (#!/usr/bin/env node); prebuildify spawns it without a shell
}

const env = { ...process.env };
// Node's headers: npm's nodedir setting, else those installed with this Node (no download).
if (!env.npm_config_nodedir) {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include/node/node_api.h'))) env.npm_config_nodedir = prefix;
}
let strip = env.STRIP ?? 'strip';
let objdump = 'objdump';
if (arch === 'arm64' && os.arch() !== 'arm64') {
  env.CC ??= 'aarch64-linux-gnu-gcc';
  env.CXX ??= 'aarch64-linux-gnu-g++';
  env.LINK ??= env.CXX;
  strip = env.STRIP ?? 'aarch64-linux-gnu-strip';
  objdump = 'aarch64-linux-gnu-objdump';
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-prebuild-'));
try {
  for (const f of ['package.json', 'binding.gyp']) fs.copyFileSync(path.join(root, f), path.join(work, f));
  fs.cpSync(path.join(root, 'native'), path.join(work, 'native'), { recursive: true });
  const prebuildify = path.join(root, 'node_modules/prebuildify/bin.js');
  const r = spawnSync(process.execPath, [prebuildify, '--napi', '--tag-libc', '--strip', `--arch=${arch}`, `--node-gyp=${nodeGyp()}`, `--strip-bin=${strip}`, '--cwd', work], {
    cwd: work,
    env,
    stdio: ['ignore', 2, 2], // build chatter on stderr: `npm pack --json` keeps a clean stdout
  });
  if (r.status !== 0) throw new Error(`prebuild: prebuildify failed (${r.status ?? r.signal})`);
  const outDir = path.join(work, 'prebuilds', platformDir);
  const built = path.join(work, 'build/Release');
  for (const name of NATIVE_EXECUTABLES) {
    const exe = path.join(built, name);
    // Not every branch builds every executable yet: copy what binding.gyp built, say what it did not.
    if (!fs.existsSync(exe)) {
      if (fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8').includes(`"${name}"`)) throw new Error(`prebuild: binding.gyp has ${name} but the build made no ${exe}`);
      console.error(`prebuild: ${name} is not a target of binding.gyp here; not shipped`);
      continue;
    }
    fs.copyFileSync(exe, path.join(outDir, name));
    fs.chmodSync(path.join(outDir, name), 0o755);
    execFileSync(strip, [path.join(outDir, name)]);
  }

  // The glibc the shipped files need: the highest GLIBC_x.y symbol version they reference.
  let need = '0';
  const cmp = (a, b) => {
    const x = a.split('.').map(Number), y = b.split('.').map(Number);
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  };
  for (const f of fs.readdirSync(outDir)) {
    let out;
    try {
      out = execFileSync(objdump, ['-T', path.join(outDir, f)], { encoding: 'utf8' });
    } catch (e) {
      console.error(`prebuild: ${objdump} unavailable (${e.code ?? e.message}): glibc needs not checked`);
      need = undefined;
      break;
    }
    const versions = [...out.matchAll(/\bGLIBC_(\d+(?:\.\d+)+)/g)].map((m) => m[1]);
    const top = versions.sort(cmp).at(-1) ?? '0';
    if (cmp(top, MAX_GLIBC) > 0) {
      const syms = out.split('\n').filter((l) => l.includes(`GLIBC_${top}`)).map((l) => l.trim().split(/\s+/).at(-1));
      throw new Error(`prebuild: ${f} needs glibc ${top} (> ${MAX_GLIBC}) for ${syms.join(', ')}: bind them to an older version in native/glibc-compat.h or call syscall()`);
    }
    if (cmp(top, need) > 0) need = top;
  }

  const dest = path.join(root, 'prebuilds', platformDir);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.cpSync(outDir, dest, { recursive: true });
  for (const f of fs.readdirSync(dest)) {
    console.error(`prebuild: prebuilds/${platformDir}/${f} ${fs.statSync(path.join(dest, f)).size} bytes`);
  }
  if (need) console.error(`prebuild: needs glibc >= ${need}`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
