/**
 * `utrace run -p PID`: the engines are attached in the process's host (started in the
 * background when none runs), after any engine another command attached there, and their
 * output goes to our descriptors. A --gdb on stdio is handed over with the rest; a --gdb that
 * listens joins later, as a second member, once gdb has connected (the other engines trace
 * meanwhile, as they would in one process).
 */
import type { ExitStatus } from '../../api.js';
import type { ListenAddress } from '../../engines/gdb/server.js';
import { exitLikeChild } from '../common.js';
import { acceptOne } from './accept.js';
import type { HandedFd } from './join.js';
import type { EngineSpec } from './protocol.js';

export type RunSpec = Exclude<EngineSpec, { kind: 'gdb' }> | { kind: 'gdb'; addr: ListenAddress };

export async function runJoin(specs: RunSpec[], pid: number, argv: string[], log: (m: string) => void): Promise<number> {
  const { ensureHost, join, targetOf, JoinGroup } = await import('./join.js');
  const { socketFd } = await import('./serve.js');
  const fail = (e: unknown): number => {
    const err = e as Error & { hint?: string };
    log(`utrace run: attach ${pid}: ${err.message}${err.hint ? `\nutrace: hint: ${err.hint}` : ''}`);
    return 1;
  };
  let target;
  try {
    target = targetOf(pid);
    await ensureHost(target);
  } catch (e) {
    return fail(e);
  }
  const stdioGdb = specs.some((s) => s.kind === 'gdb' && s.addr.kind === 'stdio');
  // gdb on stdio owns our stdout: a --tool writes to stderr then.
  const std: HandedFd[] = [{ role: 'stdin', fd: stdioGdb ? -1 : 0 }, { role: 'stdout', fd: stdioGdb ? 2 : 1 }, { role: 'stderr', fd: 2 }].filter((h) => h.fd >= 0);
  const now: EngineSpec[] = [];
  const handed = [...std];
  let later: { addr: Exclude<ListenAddress, { kind: 'stdio' }> } | undefined;
  for (const s of specs) {
    if (s.kind !== 'gdb') now.push(s);
    else if (s.addr.kind === 'stdio') {
      now.push({ kind: 'gdb' });
      handed.push({ role: 'gdb-in', fd: 0 }, { role: 'gdb-out', fd: 1 });
    } else later = { addr: s.addr };
  }
  const group = new JoinGroup();
  try {
    if (now.length) group.add(await join(target, now, handed, ['run', ...argv]));
    if (later && !group.stopping) {
      const sock = await acceptOne(later.addr, log, 'utrace run: --gdb', group.stopped);
      if (!sock) {
        group.dispose();
        return group.stopping ? 0 : 1;
      }
      try {
        group.add(await join(target, [{ kind: 'gdb' }], [{ role: 'gdb', fd: socketFd(sock) }, { role: 'stderr', fd: 2 }], ['run', ...argv]));
      } finally {
        sock.destroy(); // the host has its own copy
      }
    }
  } catch (e) {
    group.leaveAll();
    group.dispose();
    return fail(e);
  }
  const ends = await group.ended();
  const exit = ends.find((e): e is { kind: 'exit'; status: ExitStatus } => e.kind === 'exit');
  return exit ? exitLikeChild(exit.status) : 0;
}
