/**
 * Engine modules written in TypeScript (.ts, .mts), loaded as they are: their types are
 * stripped, nothing else is transformed, as Node itself does from 22.18 (type stripping, on by
 * default there; process.features.typescript). On a Node without it, a module hook
 * (typescript-hooks.ts) strips them with @swc/wasm-typescript: the stripper Node itself embeds
 * (through its amaro package), so the same results and errors; one package of WebAssembly, no
 * dependencies, 1.4 MB packed (amaro carries the same WebAssembly twice, 2.8 MB, and declares
 * Node >= 22, so npm warns on Node 20, the one Node that needs it).
 *
 * Stripping only erases: TypeScript that needs code generated (enum, namespace, parameter
 * properties, `import x = require()`) is refused, with the cause and the way out.
 */
import * as nodeModule from 'node:module';
import { UsageError } from './common.js';

/** Files whose types must be stripped before Node can run them. */
export function isTypeScript(file: string): boolean {
  return /\.m?ts$/.test(file);
}

let hooked = false;

/** Make sure `import()` of a .ts/.mts file works in this process; the error says why not. */
export function enableTypeScript(what: string): void {
  if (hooked || (process.features as { typescript?: string | false }).typescript) return;
  try {
    nodeModule.createRequire(import.meta.url).resolve('@swc/wasm-typescript');
  } catch {
    throw new UsageError(
      `${what}: this Node (${process.version}) cannot strip TypeScript types itself (Node >= 22.18 can), ` +
        'and @swc/wasm-typescript, the dependency of utrace that strips them otherwise, is not installed: `npm install @swc/wasm-typescript`, or give the compiled .js',
    );
  }
  // Named, not imported: Node 20.0 to 20.5 have no register, and this module must still load there.
  if (typeof nodeModule.register !== 'function') throw new UsageError(`${what}: this Node (${process.version}) has no module hooks (Node >= 20.6 has): give the compiled .js`);
  nodeModule.register(new URL('./typescript-hooks.js', import.meta.url));
  hooked = true;
}

/** A load error of a TypeScript module, in words that name the cause; undefined when the error
 * is not about TypeScript syntax. */
export function typeScriptLoadError(what: string, e: unknown): UsageError | undefined {
  const err = e as { code?: unknown; message?: unknown };
  const msg = typeof err?.message === 'string' ? err.message : String(e);
  if (err?.code === 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX' || /not supported in strip-only mode/.test(msg)) {
    return new UsageError(
      `${what}: ${msg.trim()}: a TypeScript engine is run by stripping its types, and this needs code generated ` +
        '(enums, namespaces, parameter properties): use a const object or plain fields instead, or compile it with tsc and give the .js',
    );
  }
  if (err?.code === 'ERR_INVALID_TYPESCRIPT_SYNTAX') return new UsageError(`${what}: invalid TypeScript: ${msg.trim()}`);
  return undefined;
}
