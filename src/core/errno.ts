// Errno lookups over the generated tables (errno.gen.ts); hand-written so the
// fallbacks for unknown values live in one reviewed place.

import { ERRNO, ERRNO_MESSAGES, ERRNO_NAMES } from './errno.gen.js';

export { ERRNO, ERRNO_MESSAGES, ERRNO_NAMES };

/** Canonical name as strace prints it (11 -> 'EAGAIN'); unknown -> 'UNKNOWN_ERRNO_<n>'. */
export function errnoName(n: number): string {
  return ERRNO_NAMES[n] ?? `UNKNOWN_ERRNO_${n}`;
}

/** strace's parenthesised message; unknown -> glibc's 'Unknown error <n>'. */
export function errnoMessage(n: number): string {
  return ERRNO_MESSAGES[n] ?? `Unknown error ${n}`;
}

/** Number for a name or alias ('ENOENT', 'EWOULDBLOCK'; case-insensitive). */
export function errnoNumber(name: string): number | undefined {
  // ERRNO has a null prototype, so a miss is undefined rather than an Object member.
  return (ERRNO as Record<string, number | undefined>)[name.toUpperCase()];
}
