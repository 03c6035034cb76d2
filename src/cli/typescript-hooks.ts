/**
 * Module hooks (module.register, typescript.ts) that run .ts and .mts modules on a Node that
 * cannot strip types itself: the types are erased by @swc/wasm-typescript (the stripper Node embeds)
 * and the rest runs as an ES module, as Node >= 22.18 runs it. Runs on Node's hooks thread.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

interface Stripper {
  transformSync(source: string, options: { mode: 'strip-only'; filename?: string }): { code: string };
}
interface SwcError {
  code?: string;
  message?: string;
  filename?: string;
  startLine?: number;
  startColumn?: number;
  snippet?: string;
}

const stripper = createRequire(import.meta.url)('@swc/wasm-typescript') as Stripper;

type NextLoad = (url: string, context?: unknown) => Promise<unknown>;

export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<unknown> {
  if (!url.startsWith('file:') || !/\.m?ts$/.test(new URL(url).pathname)) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const source = await readFile(file, 'utf8');
  let code: string;
  try {
    ({ code } = stripper.transformSync(source, { mode: 'strip-only', filename: file }));
  } catch (e) {
    const s = e as SwcError;
    if (typeof s?.code !== 'string') throw e;
    // The errors Node gives for the same code with its own stripping (the code crosses the
    // hooks thread in the message: only name and message do).
    const where = s.startLine !== undefined ? ` (${file}:${s.startLine}:${(s.startColumn ?? 0) + 1})` : '';
    const err = new SyntaxError(`${s.message ?? s.code}${where}`);
    (err as { code?: string }).code = s.code === 'UnsupportedSyntax' ? 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX' : 'ERR_INVALID_TYPESCRIPT_SYNTAX';
    throw err;
  }
  // sourceURL: stack traces and debuggers name the .ts file (positions are kept: stripping
  // replaces types with blanks).
  return { format: 'module', source: `${code}\n//# sourceURL=${url}`, shortCircuit: true };
}
