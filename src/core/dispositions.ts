/**
 * Signal dispositions: what the kernel would do with a signal for this thread (its handler, or
 * the default action of signal(7)), and which event bit an engine needs to hear of it
 * (Event.SIGNAL for a handled signal, SIGNAL_IGN / _STOP / _TERM / _CORE for the defaults).
 */
import { Event } from './actions.js';
import { procStatus } from './procfs.js';
import type { SignalReport } from './types.js';

export type Disposition = SignalReport['disposition'];

/** The default action of a signal when not handled (signal(7)). */
export function defaultDisposition(sig: number): Exclude<Disposition, 'handler'> {
  if (sig === 17 || sig === 18 || sig === 23 || sig === 28) return 'ignore';
  if (sig === 19 || sig === 20 || sig === 21 || sig === 22) return 'stop';
  if ([3, 4, 5, 6, 7, 8, 11, 24, 25, 31].includes(sig)) return 'core';
  return 'term';
}

/** The event an engine must have asked for to be told of a signal with this disposition. */
export const DISPOSITION_BIT: Readonly<Record<Disposition, number>> = {
  handler: Event.SIGNAL,
  ignore: Event.SIGNAL_IGN,
  stop: Event.SIGNAL_STOP,
  term: Event.SIGNAL_TERM,
  core: Event.SIGNAL_CORE,
};

/** The thread's disposition of sig, from its SigCgt/SigIgn masks (one read of
 * /proc/TID/status: callers ask only when an engine's mask or the engine itself needs it). */
export function signalDisposition(tid: number, sig: number): Disposition {
  const st = procStatus(tid);
  const bit = 1n << BigInt(sig - 1);
  if (st?.['SigCgt'] && BigInt('0x' + st['SigCgt']) & bit) return 'handler';
  if (st?.['SigIgn'] && BigInt('0x' + st['SigIgn']) & bit) return 'ignore';
  return defaultDisposition(sig);
}
