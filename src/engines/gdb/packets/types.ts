/**
 * What a packet handler is. It gets the session, the packet as text (latin1, one char per
 * byte) and as the raw bytes (binary payloads: X), and returns the reply:
 * - a string or Buffer: sent as the reply ('' is "not supported", 'OK', 'E01', ...);
 * - undefined: no reply (the handler sent what it had to, or gdb expects nothing);
 * - DEFERRED: the reply is sent later by the session (a resume answered by its stop);
 * - a Promise of one of the first two (the reply waits, say for threads to stop).
 * A throw is answered E01; an RspParseError (malformed packet) is not logged.
 */
import type { DEFERRED } from '../protocol/index.js';
import type { GdbSession } from '../session.js';

export type Reply = string | Buffer | undefined | typeof DEFERRED | Promise<string | Buffer | undefined>;

export type PacketHandler = (s: GdbSession, p: string, raw: Buffer) => Reply;

/** One family's packets, by name. */
export type PacketFamily = Readonly<Record<string, PacketHandler>>;
