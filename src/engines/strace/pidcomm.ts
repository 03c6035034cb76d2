/**
 * -Y / --decode-pids=comm: a process id is followed by the command name of the process it
 * names, as the kernel shows it in /proc/PID/comm (16 bytes at most, its NUL cut), between
 * angle brackets: "2951<exe>". The name is read when the line is printed: it is what the
 * process is called then, and nothing when it is gone. An id of another pid namespace is first
 * looked up in ours (pidns.ts).
 */
import { readFileSync } from 'node:fs';
import { procDir } from '../../api.js';
import { escapeBytes, type HexStyle } from './quote.js';
import { ourPid, type PidKind } from './pidns.js';

/** The raw bytes of /proc/PID/comm without the newline the kernel adds; undefined when gone. */
export function readComm(dir: string): Buffer | undefined {
  let b: Buffer;
  try {
    b = readFileSync(`${dir}/comm`);
  } catch {
    return undefined;
  }
  return b.length && b[b.length - 1] === 0x0a ? b.subarray(0, b.length - 1) : b;
}

/** "<name>" with '<' and '>' escaped (so the brackets stay unambiguous), as -y paths are. */
export function commSuffix(name: Buffer, hexStyle: HexStyle = 'none'): string {
  return `<${escapeBytes(name, hexStyle, '<>')}>`;
}

/**
 * The "<name>" that follows `pid` (an id of `kind` in the namespace of thread `tracee`), or ''
 * when it names no live process we can see.
 */
export function pidCommText(tracee: number, pid: number, kind: PidKind, hexStyle: HexStyle = 'none'): string {
  if (!(pid > 0)) return '';
  const ours = ourPid(tracee, pid, kind);
  if (ours === undefined) return '';
  const dir = procDir(ours);
  const name = dir === undefined ? undefined : readComm(dir);
  return name === undefined ? '' : commSuffix(name, hexStyle);
}

/** The "<name>" of a traced thread itself (the pid prefix of its lines). */
export function taskCommText(tid: number, hexStyle: HexStyle = 'none'): string {
  const dir = procDir(tid);
  const name = dir === undefined ? undefined : readComm(dir);
  return name === undefined ? '' : commSuffix(name, hexStyle);
}
