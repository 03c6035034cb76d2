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

/** A blocking pipe (Node makes only non-blocking ones), both ends close-on-exec: [read, write]. */
export function blockingPipe(): [number, number] {
  return native.pipe();
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
