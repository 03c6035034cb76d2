/**
 * `utrace gdbserver --attach PID`: the gdb connection is served by the host of PID (started in
 * the background when none runs), so gdb can debug a process that other utrace commands trace.
 * The connection itself is handed over (SCM_RIGHTS): in stdio mode our stdin and stdout (gdb's
 * `target remote | ...` pipes), else the one connection accepted here. No byte passes through
 * this process; it only waits, and its end (even SIGKILL) takes only gdb's engines away.
 */
import type * as net from 'node:net';
import type { ListenAddress } from '../../engines/gdb/server.js';
import { acceptOne } from './accept.js';
import type { HandedFd } from './join.js';

export async function gdbserverJoin(addr: ListenAddress, pid: number, argv: string[], log: (m: string) => void): Promise<number> {
  const { ensureHost, join, targetOf, JoinGroup } = await import('./join.js');
  const { socketFd } = await import('./serve.js');
  let target;
  try {
    target = targetOf(pid);
    await ensureHost(target);
  } catch (e) {
    const err = e as Error & { hint?: string };
    log(`utrace gdbserver: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`);
    return 1;
  }
  log(`Attached; pid = ${pid}`);
  let handed: HandedFd[];
  let sock: net.Socket | undefined;
  if (addr.kind === 'stdio') {
    handed = [{ role: 'gdb-in', fd: 0 }, { role: 'gdb-out', fd: 1 }];
  } else {
    sock = await acceptOne(addr, log, 'utrace gdbserver');
    if (!sock) return 1;
    handed = [{ role: 'gdb', fd: socketFd(sock) }];
  }
  handed.push({ role: 'stderr', fd: 2 });
  const group = new JoinGroup({ sigint: false });
  try {
    group.add(await join(target, [{ kind: 'gdb' }], handed, ['gdbserver', ...argv]));
  } catch (e) {
    group.dispose();
    const err = e as Error & { hint?: string };
    log(`utrace gdbserver: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`);
    sock?.destroy();
    return 1;
  }
  sock?.destroy(); // the host has its own copy
  await group.ended();
  return 0;
}

