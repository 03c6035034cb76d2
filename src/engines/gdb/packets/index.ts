/**
 * The packet table: every RSP packet the server answers, keyed by packet name, assembled from
 * one module per packet family. Adding a packet is adding one entry to its family's table
 * (docs/adding-a-packet.md); a key registered twice fails at load.
 *
 * The key is the packet's name as it starts the packet on the wire: its first character for
 * the one-letter packets (`g`, `m`, `Z`, `?`, ...); for the q, Q and v packets, the name up to
 * and including the separator its arguments follow (`qXfer:`, `vCont;`, `qRcmd,`), or the whole
 * packet when it has none (`qC`, `vCont?`, `vStopped`). So `vKill;1f` finds `vKill;`, while a
 * malformed `vKill:1f` or a bare `vKill` finds nothing. A packet with no key gets the empty
 * reply, which tells gdb it is not supported.
 */
import type { PacketFamily, PacketHandler } from './types.js';
import { breakpointPackets } from './breakpoints.js';
import { filePackets } from './files.js';
import { lifecyclePackets } from './lifecycle.js';
import { queryPackets } from './query.js';
import { registerMemoryPackets } from './registersMemory.js';
import { resumePackets } from './resume.js';
import { threadPackets } from './threads.js';

export type { PacketFamily, PacketHandler, Reply } from './types.js';

function table(families: PacketFamily[]): ReadonlyMap<string, PacketHandler> {
  const t = new Map<string, PacketHandler>();
  for (const family of families) {
    for (const [name, handler] of Object.entries(family)) {
      if (t.has(name)) throw new Error(`gdb packet table: '${name}' registered twice`);
      t.set(name, handler);
    }
  }
  return t;
}

export const PACKETS = table([
  queryPackets, threadPackets, registerMemoryPackets, breakpointPackets, resumePackets, lifecyclePackets, filePackets,
]);

const q = 0x71;
const Q = 0x51;
const v = 0x76;

/** The table key of a packet (see the header). */
export function packetName(p: string): string {
  const c = p.charCodeAt(0);
  if (c !== q && c !== Q && c !== v) return p.charAt(0);
  for (let i = 1; i < p.length; i++) {
    const ch = p.charCodeAt(i);
    if (ch === 0x3a /* : */ || ch === 0x3b /* ; */ || ch === 0x2c /* , */) return p.slice(0, i + 1);
  }
  return p;
}
