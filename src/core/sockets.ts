/**
 * Who is at the other end of a unix socket (SO_PEERCRED): servers built on the engines use it
 * to refuse peers of another user, whatever the socket file's mode says.
 */
import { native } from '../native/binding.js';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

export function socketPeer(fd: number): PeerCredentials {
  const [pid, uid, gid] = native.peerCred(fd);
  return { pid, uid, gid };
}
