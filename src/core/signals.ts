// Signal lookups over the generated tables (signals.gen.ts); hand-written so
// the parsing of user-supplied signal specs lives in one reviewed place.

import { SIGNAL, SIGNAL_NAMES, SIGRTMAX, SIGRTMIN } from './signals.gen.js';

export { SIGNAL, SIGNAL_NAMES, SIGRTMAX, SIGRTMIN };

/** Name as strace prints it (10 -> 'SIGUSR1', 33 -> 'SIGRT_1'); unknown -> the decimal number, as strace does. */
export function signalName(n: number): string {
  return SIGNAL_NAMES[n] ?? String(n);
}

/**
 * Parses 'SIGUSR1', 'USR1', 'usr1', '10', and 'SIGRTMIN+n' / 'RTMAX-n'
 * (case-insensitive). Returns undefined unless the result is a real signal
 * (1..SIGRTMAX); 0 is not accepted since it delivers nothing.
 */
export function signalNumber(spec: string): number | undefined {
  const s = spec.trim().toUpperCase();
  if (/^\d+$/.test(s)) return inRange(Number(s));
  const name = s.startsWith('SIG') ? s : `SIG${s}`;
  const rel = /^SIG(RTMIN|RTMAX)([+-])(\d+)$/.exec(name);
  if (rel) {
    const base = rel[1] === 'RTMIN' ? SIGRTMIN : SIGRTMAX;
    const n = base + (rel[2] === '+' ? 1 : -1) * Number(rel[3]);
    return n >= SIGRTMIN && n <= SIGRTMAX ? n : undefined;
  }
  // SIGNAL has a null prototype, so a miss is undefined rather than an Object member.
  return (SIGNAL as Record<string, number | undefined>)[name];
}

function inRange(n: number): number | undefined {
  return n >= 1 && n <= SIGRTMAX ? n : undefined;
}
