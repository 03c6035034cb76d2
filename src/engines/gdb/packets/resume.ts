/**
 * Resume and stop packets: vCont (and the legacy c/s/C/S), interrupting (vCtrlC; the 0x03
 * byte comes through the transport), the stop status (`?`), non-stop mode (QNonStop, and
 * vStopped, gdb's ack of a stop notification), and what a resumed thread stops for or passes
 * on (QPassSignals, QProgramSignals, QCatchSyscalls). The protocol itself, holding, releasing
 * and reporting threads, is stops.ts.
 */
import {
  VCONT_SUPPORTED_REPLY, parseHexNumber, parseVCont, type DEFERRED, type VContAction, type VContActionKind,
} from '../protocol/index.js';
import type { GdbSession } from '../session.js';
import type { PacketFamily } from './types.js';

export const resumePackets: PacketFamily = {
  'vCont?': () => VCONT_SUPPORTED_REPLY,
  'vCont;': (s, p) => s.stops.resume(parseVCont(p)),
  c: legacyResume,
  s: legacyResume,
  C: legacyResume,
  S: legacyResume,
  vCtrlC: (s) => {
    s.interrupt();
    return 'OK';
  },
  '?': (s) => s.stops.status(),
  'QNonStop:': (s, p) => (p === 'QNonStop:1' ? s.stops.setNonStop(true) : p === 'QNonStop:0' ? s.stops.setNonStop(false) : ''),
  vStopped: (s) => (s.stops.nonStop ? s.stops.vStopped() : ''),
  'QPassSignals:': passSignals,
  'QProgramSignals:': () => 'OK', // signals the program sends itself always reach gdb
  'QCatchSyscalls:': catchSyscalls,
};

/** c/s[addr] and C/Ssig[;addr]: the current thread continues or steps; on c, all others too. */
function legacyResume(s: GdbSession, p: string): string | typeof DEFERRED {
  const sig = p[0] === 'C' || p[0] === 'S' ? p.slice(1, 3) : '';
  const ts = s.currentThread();
  const kind = p[0]!.toLowerCase();
  const actions: VContAction[] = [];
  if (ts) {
    const action = (sig ? (kind === 's' ? 'S' : 'C') : kind) as VContActionKind;
    actions.push({ action, thread: ts.id, ...(sig ? { signal: parseInt(sig, 16) } : {}) });
  }
  if (kind === 'c') actions.push({ action: 'c' });
  return s.stops.resume(actions);
}

/** QPassSignals:sig;sig;...: signals delivered without a stop. */
function passSignals(s: GdbSession, p: string): string {
  let set = s.passSignalsSeen.get(p);
  if (!set) {
    set = new Set(p.slice(13).split(';').filter(Boolean).map(parseHexNumber));
    if (s.passSignalsSeen.size >= 8) s.passSignalsSeen.clear();
    s.passSignalsSeen.set(p, set);
  }
  s.passSignals = set;
  return 'OK';
}

/** QCatchSyscalls:0, or :1[;nr;...] (none: every syscall). */
function catchSyscalls(s: GdbSession, p: string): string {
  const parts = p.slice(15).split(';');
  if (parts[0] === '0') s.catchSyscalls = undefined;
  else if (parts[0] === '1') {
    const nrs = parts.slice(1).filter(Boolean).map(parseHexNumber);
    s.catchSyscalls = { all: nrs.length === 0, nrs: new Set(nrs) };
  } else return 'E01';
  s.updateEvents();
  return 'OK';
}
