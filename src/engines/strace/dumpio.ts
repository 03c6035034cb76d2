/**
 * -e read=SET / -e write=SET: the data a successful I/O call moved through a selected
 * descriptor, dumped in hex after its line (strace's documented format):
 *   " | 00000  61 62 …  68 69 …  abcdefghij |"   16 bytes a line, offset in hex,
 * iovec calls first say " * N bytes in buffer I", mmsg calls " = N buffers in vector I".
 * What each call moved comes from the kernel ABI: the return value (bytes read or written;
 * messages for the mmsg calls, each with its msg_len) except mq_timedsend, which returns 0 and
 * sent its msg_len argument.
 */
import { SYSCALL_NR, type TaskMemory } from '../../api.js';
import { readExact } from './memory.js';

type Kind = 'buf' | 'iov' | 'msg' | 'mmsg' | 'mqsend';
interface IoCall { dir: 'read' | 'write'; kind: Kind; }

const CALLS: Record<string, IoCall> = {
  read: { dir: 'read', kind: 'buf' }, pread64: { dir: 'read', kind: 'buf' },
  recvfrom: { dir: 'read', kind: 'buf' }, mq_timedreceive: { dir: 'read', kind: 'buf' },
  readv: { dir: 'read', kind: 'iov' }, preadv: { dir: 'read', kind: 'iov' }, preadv2: { dir: 'read', kind: 'iov' },
  recvmsg: { dir: 'read', kind: 'msg' }, recvmmsg: { dir: 'read', kind: 'mmsg' },
  write: { dir: 'write', kind: 'buf' }, pwrite64: { dir: 'write', kind: 'buf' }, sendto: { dir: 'write', kind: 'buf' },
  writev: { dir: 'write', kind: 'iov' }, pwritev: { dir: 'write', kind: 'iov' }, pwritev2: { dir: 'write', kind: 'iov' },
  vmsplice: { dir: 'write', kind: 'iov' },
  sendmsg: { dir: 'write', kind: 'msg' }, sendmmsg: { dir: 'write', kind: 'mmsg' },
  mq_timedsend: { dir: 'write', kind: 'mqsend' },
};

/** Syscall number -> what it moves, for the calls that have data to dump. */
const BY_NR = new Map<number, IoCall>(
  Object.entries(CALLS).flatMap(([name, c]) => (SYSCALL_NR[name] !== undefined ? [[SYSCALL_NR[name]!, c]] : [])),
);

/** strace reads the dumped memory this many bytes at a time; a chunk that fails ends the dump. */
const CHUNK = 1 << 16;

/**
 * The dump text for one completed call (empty when nothing is to be dumped): `selected`
 * says whether a descriptor is in the read= or write= set.
 */
export function dumpText(nr: number, args: readonly bigint[], rval: bigint, pid: number, mem: TaskMemory,
  selected: (dir: 'read' | 'write', fd: number) => boolean): string {
  const c = BY_NR.get(nr);
  if (!c) return '';
  const fd = Number(BigInt.asIntN(32, args[0]!));
  if (fd < 0 || !selected(c.dir, fd)) return '';
  // Data read is what the call returned; data to write is what was asked, failed or not.
  const read = c.dir === 'read';
  if (read && rval < 0n) return '';
  switch (c.kind) {
    case 'buf': return hexDump(mem, pid, args[1]!, read ? rval : args[2]!);
    case 'mqsend': return hexDump(mem, pid, args[1]!, args[2]!);
    case 'iov': return iovDump(mem, pid, args[1]!, args[2]!, read ? rval : undefined);
    case 'msg': {
      const h = readExact(mem, args[1]!, 56);
      return h ? iovDump(mem, pid, h.readBigUInt64LE(16), h.readBigUInt64LE(24), read ? rval : undefined) : '';
    }
    case 'mmsg': {
      // struct mmsghdr: a 56-byte msghdr, then unsigned msg_len (64 bytes with padding).
      if (rval < 0n) return '';
      let s = '';
      const n = Number(rval > 1024n ? 1024n : rval);
      const all = readExact(mem, args[1]!, n * 64);
      if (!all) return '';
      for (let i = 0; i < n; i++) {
        const iov = all.readBigUInt64LE(i * 64 + 16);
        const iovlen = all.readBigUInt64LE(i * 64 + 24);
        s += ` = ${iovlen} buffers in vector ${i}\n`;
        s += iovDump(mem, pid, iov, iovlen, BigInt(all.readUInt32LE(i * 64 + 56)));
      }
      return s;
    }
  }
}

/**
 * Each iovec's share of `size` bytes (all of each when undefined), as " * N bytes in buffer I"
 * and its dump.
 */
function iovDump(mem: TaskMemory, pid: number, addr: bigint, count: bigint, size: bigint | undefined): string {
  const n = Number(count > 1024n ? 1024n : count);
  const vec = readExact(mem, addr, n * 16);
  if (!vec) return '';
  let left = size;
  let s = '';
  for (let i = 0; i < n && (left === undefined || left > 0n); i++) {
    const base = vec.readBigUInt64LE(i * 16);
    let len = vec.readBigUInt64LE(i * 16 + 8);
    if (left !== undefined) {
      if (len > left) len = left;
      left -= len;
    }
    if (len === 0n) continue;
    s += ` * ${len} bytes in buffer ${i}\n`;
    s += hexDump(mem, pid, base, len);
  }
  return s;
}

/**
 * The hex dump of `len` bytes at `addr`; memory that cannot be read after the first chunk ends
 * it with a note.
 */
export function hexDump(mem: TaskMemory, pid: number, addr: bigint, len: bigint): string {
  if (len <= 0n) return '';
  const total = Number(len);
  // The offset column is 5 hex digits wide, more when the last offset needs more.
  const width = Math.max(5, (Math.floor((total - 1) / 16) * 16).toString(16).length);
  const out: string[] = [];
  for (let off = 0; off < total; off += CHUNK) {
    const n = Math.min(CHUNK, total - off);
    const b = readExact(mem, addr + BigInt(off), n);
    if (!b) {
      // Nothing readable at all (the call's EFAULT): nothing to dump, no note.
      if (off === 0) break;
      const rest = total - off;
      out.push(` | <Cannot fetch ${rest} byte${rest === 1 ? '' : 's'} from pid ${pid} @0x${(addr + BigInt(off)).toString(16)}>\n`);
      break;
    }
    for (let i = 0; i < n; i += 16) out.push(dumpLine(b.subarray(i, Math.min(i + 16, n)), off + i, width));
  }
  return out.join('');
}

/** One line: offset, up to 16 bytes in hex (a gap after the 8th), then them as text. */
export function dumpLine(b: Uint8Array, offset: number, width: number): string {
  let hex = '';
  let text = '';
  for (let i = 0; i < b.length; i++) {
    hex += i === 8 ? '  ' : ' ';
    hex += b[i]!.toString(16).padStart(2, '0');
    text += b[i]! >= 0x20 && b[i]! < 0x7f ? String.fromCharCode(b[i]!) : '.';
  }
  return ` | ${offset.toString(16).padStart(width, '0')} ${hex.padEnd(49)}  ${text.padEnd(16)} |\n`;
}
