/**
 * One gdb connection for a joining command that listens (`--listen`/`--gdb` with TCP or a unix
 * socket): listen where it says, as gdbserver words it, take the first connection, stop
 * listening. The connected socket is then handed to the host.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { ListenAddress } from '../../engines/gdb/server.js';

/** undefined when listening fails (said on log, after `who`) or `stop` settles first. */
export async function acceptOne(addr: Exclude<ListenAddress, { kind: 'stdio' }>, log: (m: string) => void, who: string, stop?: Promise<void>): Promise<net.Socket | undefined> {
  const server = net.createServer({ pauseOnConnect: true });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (addr.kind === 'tcp') server.listen(addr.port, addr.host, resolve);
      else server.listen(addr.path, resolve);
    });
  } catch (e) {
    log(`${who}: cannot listen on ${addr.kind === 'tcp' ? `${addr.host}:${addr.port}` : addr.path}: ${(e as Error).message}`);
    return undefined;
  }
  if (addr.kind === 'unix') fs.chmodSync(addr.path, 0o600);
  const a = server.address();
  log(addr.kind === 'tcp' ? `Listening on port ${typeof a === 'object' && a ? a.port : addr.port}` : `Listening on ${addr.path}`);
  // A signal while nobody has connected: stop listening, take nothing.
  const connected = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const sock = await (stop ? Promise.race([connected, stop.then(() => undefined)]) : connected);
  server.close();
  if (addr.kind === 'unix') fs.rmSync(addr.path, { force: true });
  if (sock && addr.kind === 'tcp') log(`Remote debugging from host ${sock.remoteAddress}, port ${sock.remotePort}`);
  return sock;
}
