/**
 * File packets: vFile host I/O (open, pread, pwrite, close, fstat, readlink, unlink, setfs),
 * with which gdb's `sysroot target:` reads the program and its libraries and `remote put` /
 * `remote delete` write and remove files. hostio.ts does the work, with the permissions of
 * the traced process's user.
 */
import type { PacketFamily } from './types.js';

export const filePackets: PacketFamily = {
  'vFile:': (s, p) => s.hostio(p),
};
