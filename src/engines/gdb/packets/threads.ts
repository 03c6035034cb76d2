/**
 * Thread packets: selecting the thread later packets apply to (H), liveness (T), the current
 * thread (qC), the thread list (qfThreadInfo/qsThreadInfo; the qXfer:threads document is
 * built here too) and thread create/exit events (QThreadEvents, non-stop).
 */
import { THREAD_ALL, formatThreadId, parseThreadId } from '../protocol/index.js';
import { isLive } from '../model.js';
import { coreOf, threadName } from '../procfs.js';
import type { GdbSession } from '../session.js';
import type { PacketFamily } from './types.js';

export const threadPackets: PacketFamily = {
  H: setThread,
  T: (s, p) => {
    const ts = s.findThread(parseThreadId(p.slice(1)));
    return ts && isLive(ts) ? 'OK' : 'E01';
  },
  qC: (s) => {
    const ts = s.currentThread();
    return ts ? `QC${formatThreadId(ts.id, s.multiprocess)}` : '';
  },
  qfThreadInfo: (s) => {
    const ids = s.allThreads().map((t) => formatThreadId(t.id, s.multiprocess));
    return ids.length ? 'm' + ids.join(',') : 'l';
  },
  qsThreadInfo: () => 'l',
  'QThreadEvents:': (s, p) => {
    if (p !== 'QThreadEvents:0' && p !== 'QThreadEvents:1') return 'E01';
    s.threadEvents = p.endsWith('1');
    return 'OK';
  },
};

/** Hg (registers, memory) and Hc (legacy resume) select a thread. */
function setThread(s: GdbSession, p: string): string {
  const kind = p[1];
  const id = parseThreadId(p.slice(2));
  if (kind === 'c') return id.tid === THREAD_ALL ? 'OK' : s.findThread(id) ? 'OK' : 'E01';
  if (kind !== 'g') return '';
  if (id.tid === THREAD_ALL && id.pid === THREAD_ALL) return s.currentThread() ? 'OK' : 'E01';
  const ts = s.findThread(id);
  if (!ts) return 'E01';
  s.gThread = ts;
  return 'OK';
}

/** The qXfer:threads:read document. */
export function buildThreadsXml(s: GdbSession): Buffer {
  const lines = ['<threads>'];
  for (const ts of s.allThreads()) {
    // As gdbserver: the name from /proc/PID/task/TID of the inferior's pid (none for a clone
    // with a thread group of its own), no core when it cannot be read.
    const name = threadName(ts.inf.pid, ts.tid);
    const core = coreOf(ts);
    lines.push(`<thread id="${formatThreadId(ts.id, s.multiprocess)}"${core === undefined ? '' : ` core="${core}"`}${name ? ` name="${xmlEscape(name)}"` : ''}/>`);
  }
  lines.push('</threads>');
  return Buffer.from(lines.join('\n'));
}

function xmlEscape(str: string): string {
  return str.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}
