/**
 * Query packets: capabilities (qSupported, QStartNoAckMode), the symbol lookup gdb offers
 * (qSymbol, declined), `monitor` commands (qRcmd, monitor.ts), thread-local addresses
 * (qGetTLSAddr, tls.ts) and the objects gdb reads with qXfer (target description, auxv,
 * executable, libraries, threads, siginfo, osdata).
 */
import {
  RspParseError, formatQSupported, hexDecodeString, parseHexBigInt, parsePid, parseQSupported, parseQXferRead,
  parseThreadId, qXferSlice, supports, targetXmlBuffer,
} from '../protocol/index.js';
import type { Inferior } from '../model.js';
import { osdata } from '../osdata.js';
import { auxvOf, cpuHasAvx, exePath } from '../procfs.js';
import { NO_R_DEBUG, findRDebug, svr4LibraryList } from '../svr4.js';
import type { GdbSession } from '../session.js';
import { DEBUG } from '../debug.js';
import { TlsError, findTlsLayout, tlsAddress } from '../tls.js';
import { monitor } from './monitor.js';
import { buildThreadsXml } from './threads.js';
import type { PacketFamily } from './types.js';

export const queryPackets: PacketFamily = {
  qSupported,
  'qSupported:': qSupported,
  QStartNoAckMode: () => 'OK', // the transport leaves ack mode once this OK is out
  qSymbol: () => 'OK', // no symbols wanted
  'qSymbol:': () => 'OK',
  'qRcmd,': (s, p) => monitor(s, hexDecodeString(p.slice(6))),
  'qXfer:': (s, p, raw) => (p.startsWith('qXfer:siginfo:write:') ? siginfoWrite(s, p, raw) : qXfer(s, p)),
  'qGetTLSAddr:': getTlsAddr,
};

function qSupported(s: GdbSession, p: string): string {
  s.q = parseQSupported(p);
  s.threadEvents = false; // a new negotiation (a new gdb, or a reconnect)
  s.multiprocess = supports(s.q, 'multiprocess');
  s.avx = s.q.features.has('xmlRegisters') && cpuHasAvx();
  const f: Array<[string, string | boolean]> = [
    ['PacketSize', '47ff'], ['QPassSignals', true], ['QProgramSignals', true], ['QStartupWithShell', true],
    ['QEnvironmentHexEncoded', true], ['QEnvironmentReset', true], ['QEnvironmentUnset', true],
    ['QSetWorkingDir', true], ['QCatchSyscalls', true], ['qXfer:libraries-svr4:read', true],
    ['augmented-libraries-svr4-read', true], ['qXfer:features:read', true],
    ['qXfer:auxv:read', true], ['qXfer:exec-file:read', true], ['qXfer:threads:read', true],
    ['qXfer:siginfo:read', true], ['qXfer:siginfo:write', true], ['qXfer:osdata:read', true], ['QStartNoAckMode', true], ['QDisableRandomization', true],
    ['ConditionalBreakpoints', true], ['BreakpointCommands', true], ['multiprocess', s.multiprocess], ['QNonStop', true],
  ];
  if (supports(s.q, 'swbreak')) f.push(['swbreak', true]);
  if (supports(s.q, 'hwbreak')) f.push(['hwbreak', true]);
  for (const name of ['fork-events', 'vfork-events', 'exec-events']) if (supports(s.q, name)) f.push([name, true]);
  f.push(['vContSupported', true], ['QThreadEvents', true]);
  return formatQSupported(f);
}

/** qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH. */
function qXfer(s: GdbSession, p: string): string | Buffer | Promise<string | Buffer> {
  const x = parseQXferRead(p);
  if (!x) return '';
  let data: Buffer | undefined;
  switch (x.object) {
    case 'libraries-svr4': {
      const inf = s.currentThread()?.inf;
      if (!inf) return 'E01';
      if (x.offset > 0 && inf.svr4Doc) return qXferSlice(inf.svr4Doc, x.offset, x.length);
      const doc = libraryList(s, inf, x.annex);
      if (doc === undefined) return 'E01';
      inf.svr4Doc = doc;
      return qXferSlice(doc, x.offset, x.length);
    }
    case 'features':
      if (x.annex !== 'target.xml') return 'E00';
      data = targetXmlBuffer({ avx: s.avx });
      break;
    case 'auxv': {
      const inf = s.currentThread()?.inf;
      if (!inf) return 'E01';
      data = auxvOf(inf.pid);
      break;
    }
    case 'exec-file': {
      const pid = x.annex ? parsePid(x.annex) : s.currentThread()?.inf.pid;
      if (pid === undefined) return 'E01';
      data = exePath(pid);
      break;
    }
    case 'threads':
      if (x.offset === 0 || !s.threadsXml) s.threadsXml = buildThreadsXml(s);
      data = s.threadsXml;
      break;
    case 'osdata': {
      // Built at offset 0; later chunks of the same table come from that document.
      if (x.offset === 0 || s.osdataDoc?.annex !== x.annex) {
        s.osdataDoc = { annex: x.annex, doc: osdata(x.annex) };
      }
      data = s.osdataDoc.doc;
      break;
    }
    case 'siginfo': {
      const ts = s.currentThread();
      if (!ts?.siginfo) return 'E01';
      data = ts.siginfo;
      break;
    }
    default:
      return '';
  }
  if (!data) return 'E01';
  return qXferSlice(data, x.offset, x.length);
}

/** ld.so's r_debug for ts's process, found once ld.so has set DT_DEBUG (0 before that). */
function rDebugOf(inf: Inferior): bigint {
  if (!inf.rDebug) {
    const auxv = auxvOf(inf.pid);
    inf.rDebug = auxv ? findRDebug(inf.proc, auxv) : NO_R_DEBUG;
  }
  return inf.rDebug;
}

/**
 * qXfer:siginfo:write::OFFSET:DATA (`set $_siginfo.si_code = …`): into the siginfo of the
 * current thread's signal stop, which the core writes back (PTRACE_SETSIGINFO) when that
 * signal is delivered, as gdbserver does.
 */
function siginfoWrite(s: GdbSession, p: string, raw: Buffer): string {
  const m = /^qXfer:siginfo:write:[^:]*:([0-9a-fA-F]+):/.exec(p);
  if (!m) return 'E01';
  const ts = s.currentThread();
  if (!ts?.siginfo) return 'E01';
  const offset = parseInt(m[1]!, 16);
  const data = raw.subarray(m[0].length);
  if (offset > ts.siginfo.length) return 'E01';
  const n = Math.min(data.length, ts.siginfo.length - offset);
  data.copy(ts.siginfo, offset, 0, n);
  return n.toString(16);
}

/** The svr4 library list, read through a held thread of the current process. */
function libraryList(s: GdbSession, inf: Inferior, annex: string): Buffer | undefined {
  const doc = svr4LibraryList({ mem: inf.proc, annex, rDebug: () => rDebugOf(inf), warn: (m) => s.log(m) });
  return doc === undefined ? undefined : Buffer.from(doc, 'latin1');
}

/**
 * qGetTLSAddr:THREAD,OFFSET,LM: the address, in hex, of OFFSET in the TLS block of the object
 * whose link_map is at LM (0: a static program), for THREAD, which must be stopped (its fs
 * base is a register). Errors are libthread_db's numbers, as gdbserver sends them.
 */
function getTlsAddr(s: GdbSession, p: string): string {
  const parts = p.slice('qGetTLSAddr:'.length).split(',');
  if (parts.length !== 3) throw new RspParseError('qGetTLSAddr needs thread,offset,lm');
  const ts = s.findThread(parseThreadId(parts[0]!));
  const offset = parseHexBigInt(parts[1]!);
  const lm = parseHexBigInt(parts[2]!);
  if (!ts || !ts.held) return 'E01';
  try {
    return tlsAddress(ts, offset, lm, findTlsLayout(ts, rDebugOf(ts.inf))).toString(16);
  } catch (e) {
    if (!(e instanceof TlsError)) throw e;
    if (DEBUG) s.log(`qGetTLSAddr: ${e.message}`);
    return `E${e.td.toString(16).padStart(2, '0')}`;
  }
}
