/**
 * Loads the native addon. The only place that requires the .node file; the error lists
 * every path tried so a broken build is easy to diagnose.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import type { NativeAddon } from './native.js';

function load(): NativeAddon {
  if (process.platform !== 'linux') {
    throw new Error(`utrace: Linux only (this is ${process.platform})`);
  }
  const require = createRequire(import.meta.url);
  // dist/src/native -> package root; src/native (ts-node style) -> package root.
  const here = path.dirname(fileURLToPath(import.meta.url));
  const roots = [path.resolve(here, '../../..'), path.resolve(here, '../..')];
  const tried: string[] = [];
  for (const root of roots) {
    for (const kind of ['Release', 'Debug']) {
      const p = path.join(root, 'build', kind, 'utrace_native.node');
      tried.push(p);
      try {
        return require(p) as NativeAddon;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
      }
    }
  }
  throw new Error(`utrace: native addon not built (run npm install). Tried:\n  ${tried.join('\n  ')}`);
}

export const native: NativeAddon = load();
