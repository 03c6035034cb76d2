// Bundles the CLI (dist/src/cli/main.js and everything it imports, as compiled by tsc) into one
// CommonJS module body, dist/src/cli/utrace.bundle.cjs (already in its function wrapper: the
// file is one function expression), which bin/utrace.js runs with a V8 code cache
// (src/cli/launch.ts). One file instead of ~75 ES modules, and bytecode that need not be
// compiled again: start-up time, which gdb and strace users wait for at every run.
//
// Each module keeps its own import.meta.url (helpers, the native addon and package.json are
// found relative to it): rewritten to a URL relative to the bundle, so the package can move.
// The launcher ignores a bundle older than main.js (a `tsc` run without this script: tsc rewrites
// every module at each run). dist/src/cli/utrace.bundle.json lists the inputs, for the
// launcher's test, which checks them all.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'dist/src/cli');
const outfile = path.join(dir, 'utrace.bundle.cjs');

const metaUrl = {
  name: 'import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, (args) => {
      let contents = fs.readFileSync(args.path, 'utf8');
      // `import * as fs from 'node:fs'` (and a default import) would become a copy of the
      // module made at load, whose every property is a getter (esbuild's CommonJS interop,
      // __toESM): 55 in the bundle, 28 made by a `strace` run at its start (6-7 ms), each
      // with ~100 getters, one paid at each fs.readSync. A plain require is the module itself.
      contents = contents.replace(/^import \* as (\w+) from '(node:[\w/]+)';$/gm, "const $1 = require('$2');");
      if (contents.includes('import.meta.url')) {
        const rel = path.relative(dir, args.path).split(path.sep).join('/');
        contents = contents.replaceAll('import.meta.url', `__utraceModuleUrl(${JSON.stringify(rel)})`);
      }
      return { contents, loader: 'js' };
    });
  },
};

const result = await esbuild.build({
  entryPoints: [path.join(dir, 'main.js')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  metafile: true,
  logLevel: 'warning',
  banner: {
    js: "const __utraceModuleUrl = (rel) => require('node:url').pathToFileURL(require('node:path').join(__dirname, rel)).href;",
  },
  plugins: [metaUrl],
});
// ASCII only, so that the launcher reads it as a one-byte string (latin1), which V8 hashes and
// scans at half the cost of a two-byte one: esbuild escapes non-ASCII text in code, and the few
// comments it keeps may still hold some (an ellipsis, a dash), escaped here (in a comment, harmless).
// Then the whole is made one function expression, the wrapper Node gives a CommonJS module,
// which the launcher compiles as it is read: wrapping it there made V8 copy the 1.6 MB string
// once more (a flatten, about 400 page faults at every start).
const text = fs.readFileSync(outfile, 'utf8');
const ascii = text.replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`);
fs.writeFileSync(outfile, `(function (exports, require, module, __filename, __dirname) {${ascii}\n})`);

const inputs = Object.keys(result.metafile.inputs).map((p) => path.relative(dir, path.resolve(root, p)).split(path.sep).join('/'));
fs.writeFileSync(path.join(dir, 'utrace.bundle.json'), JSON.stringify({ inputs }) + '\n');
