/**
 * Who is at the other end of a unix socket (SO_PEERCRED): servers built on the engines use it
 * to refuse peers of another user, whatever the socket file's mode says.
 */
import { native } from './addon.js';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

export function socketPeer(fd: number): PeerCredentials {
  const [pid, uid, gid] = native.peerCred(fd);
  return { pid, uid, gid };
}

/**
 * Send one message with descriptors over a connected unix socket (SCM_RIGHTS): the receiver
 * gets its own copies of them. Waits up to timeoutMs for room in the socket. Node's streams
 * cannot carry descriptors, so this writes to the socket's descriptor itself: nothing else may
 * be writing to it at the same time.
 */
export function sendWithFds(fd: number, data: Uint8Array, fds: readonly number[], timeoutMs = 2000): number {
  return native.sendFds(fd, data, [...fds], timeoutMs);
}

/**
 * Receive one message and the descriptors that came with it, without waiting: null when
 * nothing has arrived yet, bytes 0 at end of file. The descriptors are the caller's to close.
 * Read with this only from a socket that nothing else reads (a Node socket created paused,
 * `net.createServer({ pauseOnConnect: true })`): a plain read would take the message and
 * drop its descriptors.
 */
export function receiveWithFds(fd: number, buf: Uint8Array): { bytes: number; fds: number[] } | null {
  const r = native.recvFds(fd, buf);
  return r.bytes === -11 ? null : r; // -EAGAIN
}

/**
 * The protocol name of the socket at `path` (a /proc/PID/fd/N link): "UNIX-STREAM", "UNIX",
 * "NETLINK", "TCP", "UDPv6"... (sockfs's system.sockprotoname); undefined when the path is not
 * a socket or is gone.
 */
export function socketProtocolName(path: string): string | undefined {
  try {
    return native.sockProtoName(path);
  } catch {
    return undefined;
  }
}

/**
 * Send one request to a kernel netlink family (NETLINK_SOCK_DIAG, NETLINK_ROUTE...) from a
 * socket of the tracer's own, and return the answer's bytes: every message up to a dump's
 * NLMSG_DONE, or the single reply or NLMSG_ERROR. Throws a UtraceError (errno) when the
 * family cannot be opened or does not answer within timeoutMs.
 */
export function netlinkRequest(protocol: number, request: Uint8Array, timeoutMs = 1000): Buffer {
  return native.netlinkRequest(protocol, request, timeoutMs);
}

/**
 * A listening unix stream socket at `path` (non-blocking, close-on-exec), as a descriptor:
 * throws a UtraceError (EADDRINUSE when the path exists). Hand it to Node's net module
 * (`server.listen({ fd })`) when a connection comes (watchReadable): a program that is never
 * joined never loads that module, which brings a dozen with it.
 */
export function listenUnix(path: string, backlog = 511): number { // Node's own default
  return native.listenUnix(path, backlog);
}

/**
 * Call `callback` once, the first time `fd` is readable (for a listening socket: a connection
 * waits), from the event loop, which the watch does not keep alive. Returns the cancel; the
 * descriptor stays the caller's, and must not be closed before the watch has fired or been
 * cancelled.
 */
export function watchReadable(fd: number, callback: () => void): () => void {
  const id = native.watchReadable(fd, callback);
  return () => native.unwatch(id);
}
