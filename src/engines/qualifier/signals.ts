/**
 * Signal names as strace spells them, in its output and in the qualifiers (`signal=`, inject's
 * `signal=`). Standard signals come from the framework's table; real-time signals are named by
 * rule (SIGRTMIN, SIGRT_1 … SIGRT_32, strace's ASM_SIGRTMIN = 32 on x86_64) since glibc
 * reserves the first ones and the kernel has no names for them.
 */
import { signalName, signalNumber } from '../../tables.js';

export const NSIG = signalNumber('SIGRTMAX')!;
const SIGRTMIN = signalNumber('SIGRTMIN')!;

/** SIGINT, SIGRTMIN, SIGRT_3; undefined outside 1..64. */
export function sigName(n: number): string | undefined {
  if (!Number.isInteger(n) || n < 1 || n > NSIG) return undefined;
  if (n === SIGRTMIN) return 'SIGRTMIN';
  if (n > SIGRTMIN) return `SIGRT_${n - SIGRTMIN}`;
  const s = signalName(n);
  return s && s.startsWith('SIG') ? s : undefined;
}

/** Parses SIGTERM, TERM, 15, SIGRTMIN, RT_3, SIGRTMIN+3; undefined if invalid. */
export function sigNumber(s: string): number | undefined {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n >= 1 && n <= NSIG ? n : undefined;
  }
  const u = s.toUpperCase();
  const name = u.startsWith('SIG') ? u : `SIG${u}`;
  if (name === 'SIGRTMIN') return SIGRTMIN;
  const rt = /^SIGRT_(\d+)$/.exec(name) ?? /^SIGRTMIN\+(\d+)$/.exec(name);
  if (rt) {
    const n = SIGRTMIN + Number(rt[1]);
    return n <= NSIG ? n : undefined;
  }
  const n = signalNumber(name);
  return n !== undefined && n >= 1 && n < SIGRTMIN ? n : undefined;
}
