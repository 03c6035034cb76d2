/**
 * What a -P argument resolves to (strace's "Requested path … resolved into …"): apart from
 * pathtrace.ts, which decides matches on the tracer's tables, so that the option parser reads it
 * without loading the tracer (a usage error starts no native addon).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The path a -P argument resolves to, when that differs from it (undefined otherwise). */
export function resolvedPath(p: string, cwd: string): string | undefined {
  let real: string;
  try {
    real = fs.realpathSync(path.resolve(cwd, p));
  } catch {
    return undefined;
  }
  return real !== p ? real : undefined;
}

/** strace's "Requested path … resolved into …" note for each -P argument that resolves
 * to another path. */
export function pathResolutionNotes(paths: readonly string[], cwd = process.cwd()): string[] {
  const notes: string[] = [];
  for (const p of paths) {
    const real = resolvedPath(p, cwd);
    if (real !== undefined) notes.push(`Requested path "${p}" resolved into "${real}"`);
  }
  return notes;
}
