/**
 * Process lifecycle packets: extended mode (`!`), starting a program (vRun, and the settings
 * it runs with: QEnvironment*, QSetWorkingDir, QStartupWithShell, QDisableRandomization),
 * attaching (vAttach), whether a process was attached or started (qAttached), detaching (D)
 * and killing (vKill, k). gdb's `run` again (restart) is a vKill and a new vRun of the same
 * program. The work itself is GdbSession's (launch, attach, detach, kill).
 */
import { hexDecodeString, parsePid } from '../protocol/index.js';
import type { GdbSession } from '../session.js';
import type { PacketFamily } from './types.js';

export const lifecyclePackets: PacketFamily = {
  '!': (s) => {
    s.extended = true;
    return 'OK';
  },
  'vRun;': vRun,
  'vAttach;': (s, p) => vAttach(s, parsePid(p.slice(8))),
  qAttached,
  'qAttached:': qAttached,
  D: detach,
  'vKill;': (s, p) => {
    const inf = s.inferiors.get(parsePid(p.slice(6)));
    if (!inf) return 'E01';
    return s.kill(inf).then(() => 'OK');
  },
  k: killAll,
  QEnvironmentReset: (s) => {
    s.env = { ...process.env };
    return 'OK';
  },
  'QEnvironmentHexEncoded:': (s, p) => {
    const kv = hexDecodeString(p.slice(23));
    const eq = kv.indexOf('=');
    if (eq < 0) return 'E01';
    s.env[kv.slice(0, eq)] = kv.slice(eq + 1);
    return 'OK';
  },
  'QEnvironmentUnset:': (s, p) => {
    delete s.env[hexDecodeString(p.slice(18))];
    return 'OK';
  },
  'QSetWorkingDir:': (s, p) => {
    const d = p.slice(15);
    s.cwd = d ? hexDecodeString(d) : undefined;
    return 'OK';
  },
  'QStartupWithShell:': (s, p) => {
    s.startupWithShell = p.endsWith(':1');
    return 'OK';
  },
  'QDisableRandomization:': (s, p) => {
    s.noAslr = p.endsWith(':1');
    return 'OK';
  },
};

/** qAttached, qAttached:pid: 1 when we attached to the process (gdb detaches it on quit),
 * 0 when we started it (gdb kills it). */
function qAttached(s: GdbSession, p: string): string {
  const pid = p.length > 10 ? parsePid(p.slice(10)) : s.currentThread()?.inf.pid;
  const inf = pid === undefined ? undefined : s.inferiors.get(pid);
  if (!inf) return 'E01';
  return inf.attached ? '1' : '0';
}

/** vRun;prog;arg...: start a program (an empty prog: the last one again). */
async function vRun(s: GdbSession, p: string): Promise<string> {
  const parts = p.slice(5).split(';').map((h) => hexDecodeString(h));
  let argv = parts;
  if (!argv[0]) {
    if (!s.lastProgram) return 'E01';
    argv = [s.lastProgram[0]!, ...parts.slice(1)];
  }
  try {
    await s.launch(argv);
  } catch (e) {
    s.log(`vRun: ${e instanceof Error ? e.message : String(e)}`);
    return 'E01';
  }
  s.log(`Process ${argv[0]} created; pid = ${s.gThread?.inf.pid}`);
  return s.stops.lastReply;
}

async function vAttach(s: GdbSession, pid: number): Promise<string> {
  try {
    await s.attach(pid);
  } catch (e) {
    s.log(`vAttach: ${e instanceof Error ? e.message : String(e)}`);
    return 'E01';
  }
  s.log(`Attached; pid = ${pid}`);
  // Non-stop: no stop reply; gdb stops the threads with vCont;t and hears T00 for each.
  return s.stops.nonStop ? 'OK' : s.stops.lastReply;
}

/** D, or D;pid (multiprocess): detach, and end a plain (non-extended) server with the last. */
async function detach(s: GdbSession, p: string): Promise<string | undefined> {
  const pid = p.startsWith('D;') ? parsePid(p.slice(2)) : s.currentThread()?.inf.pid;
  const inf = pid === undefined ? undefined : s.inferiors.get(pid);
  if (!inf) return 'E01';
  await s.detach(inf);
  if (!s.extended && s.inferiors.size === 0) setImmediate(() => s.opts.onExitRequest?.());
  return 'OK';
}

/** k: kill everything; no reply (gdb does not wait for one). */
async function killAll(s: GdbSession): Promise<undefined> {
  for (const inf of [...s.inferiors.values()]) if (!inf.gone) await s.kill(inf);
  s.stops.lastReply = 'X09';
  if (!s.extended) setImmediate(() => s.opts.onExitRequest?.());
  return undefined;
}
