/**
 * Loads the native addon. The only place that requires the .node file; which file (a local
 * build or the prebuilt one) is decided in native.ts, whose error names what was looked for.
 */
import { createRequire } from 'node:module';
import { nativeAddonPath, type NativeAddon } from './native.js';

function load(): NativeAddon {
  if (process.platform !== 'linux') {
    throw new Error(`utrace: Linux only (this is ${process.platform})`);
  }
  return createRequire(import.meta.url)(nativeAddonPath()) as NativeAddon;
}

export const native: NativeAddon = load();
