// `npm run lint` (run by `npm test`): the layer rules of README.md ("Layout") and the naming
// convention, checked on every TypeScript file.
//
// Layers: native/ (C) -> src/native -> src/core -> src/arch -> src/engines -> src/cli.
// - src/native is imported only by src/core;
// - src/arch imports nothing outside src/arch (no core, native, engines, cli);
// - src/core never imports the engines, the CLI or the public API modules built on it;
// - an engine (src/engines/NAME/) imports only src/api.ts (or src/tables.ts, its pure part: option
//   parsing needs no tracer; or src/builtins.ts, Node modules loaded on first use), its own files
//   and the shared engine modules: src/engines/qualifier/
//   (strace's qualifier grammar), run.ts and user.ts; so no engine imports another engine's
//   internals, and the shared modules import no engine;
// - nothing imports src/cli.
// ESLint's no-restricted-imports sees the specifier as written, so each rule is a regex on
// relative specifiers, one config block per folder depth (a file gets exactly one block: a
// later block replaces an earlier one's options). Dynamic import() is not checked.
import tseslint from 'typescript-eslint';

/** `../` repeated n times, as a regex. */
const up = (n) => String.raw`(?:\.\./)`.repeat(n);

const ENGINE_RULE = 'an engine imports only src/api.ts (or src/tables.ts, src/builtins.ts), its own files and the shared engine modules (src/engines/qualifier/, src/engines/run.ts, src/engines/user.ts)';
const SHARED_RULE = 'a shared engine module (src/engines/qualifier/, run.ts, user.ts) imports only src/api.ts (or src/tables.ts, src/builtins.ts) and the shared engine modules, no engine';
const NATIVE_RULE = 'src/native is imported only by src/core';
const CLI_RULE = 'nothing imports src/cli';

/** One no-restricted-imports block: `files`, and [regex, message] pairs. */
function restrict(files, patterns) {
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', { patterns: patterns.map(([regex, message]) => ({ regex, message })) }],
    },
  };
}

/** Engine files `depth` folders below src/engines/NAME/ (0: NAME/x.ts). */
function engineBlock(depth) {
  const toEngines = up(depth + 1);
  const allowed = String.raw`qualifier/|run\.js$|user\.js$|\.\./(?:api|tables|builtins)\.js$`;
  return restrict([`src/engines/*/${'*/'.repeat(depth)}*.ts`], [[`^${toEngines}(?!${allowed})`, ENGINE_RULE]]);
}

/** src/engines/*.ts (run.ts, user.ts); `extra` allows more specifiers (regex alternatives). */
function sharedRootBlock(files, extra = '') {
  return restrict(files, [
    [String.raw`^\./(?!qualifier/|run\.js$|user\.js$${extra})`, SHARED_RULE],
    [String.raw`^\.\./(?!(?:api|tables|builtins)\.js$)`, SHARED_RULE],
  ]);
}

const layers = [
  // The public API modules (src/api.ts, src/index.ts).
  restrict(['src/*.ts'], [[String.raw`^\./native/`, NATIVE_RULE], [String.raw`^\./cli/`, CLI_RULE]]),
  restrict(['src/native/*.ts'], [[String.raw`^\.\./`, 'src/native imports nothing of the TypeScript layers above it']]),
  restrict(['src/core/*.ts'], [
    [String.raw`^\.\./(?:engines|cli)/`, 'src/core never imports the engines or the CLI'],
    [String.raw`^\.\./(?:api|index)\.js$`, 'src/core never imports the public API built on it'],
  ]),
  restrict(['src/arch/*/*.ts'], [[`^${up(2)}`, 'src/arch imports nothing of core, native, engines or cli']]),
  engineBlock(0),
  engineBlock(1),
  engineBlock(2),
  restrict(['src/engines/qualifier/**/*.ts'], [[String.raw`^\.\./(?!\.\./(?:api|tables|builtins)\.js$)`, SHARED_RULE]]),
  sharedRootBlock(['src/engines/*.ts']),
  restrict(['src/cli/**/*.ts', 'src/cli/**/*.cts'], [[String.raw`(?:^|/)native/`, NATIVE_RULE]]),
  // Tests may test the CLI's own modules; nothing else may import them.
  restrict(['test/**/*.ts'], [[String.raw`(?:^|/)src/native/`, NATIVE_RULE]]),
  restrict(['bench/**/*.ts', 'examples/**/*.ts'], [
    [String.raw`(?:^|/)src/native/`, NATIVE_RULE],
    [String.raw`(?:^|/)src/cli/`, CLI_RULE],
  ]),
];

export default [
  { ignores: ['dist/', 'build/', 'node_modules/', 'test/fixtures/'] },
  {
    files: ['**/*.ts', '**/*.cts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Interfaces and type aliases: PascalCase, no `I` prefix (EngineOps, SyscallReport).
      '@typescript-eslint/naming-convention': ['error', {
        selector: ['interface', 'typeAlias'],
        format: ['PascalCase'],
        custom: { regex: '^I[A-Z]', match: false },
      }],
    },
  },
  ...layers,
];
