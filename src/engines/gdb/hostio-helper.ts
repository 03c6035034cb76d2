/**
 * The vFile helper (see hostio.ts): started as root with `UID GID GROUPS`, it drops to exactly
 * those credentials, then answers vFile packets framed on stdin (u32 big-endian length + the
 * packet) with framed replies on stdout, in order, until stdin closes. It never reads a
 * request before the drop succeeded; if the drop fails it exits and the server answers EACCES.
 */
import { localHostIo } from './hostio.js';

const [uidArg, gidArg, groupsArg] = process.argv.slice(2);
const uid = Number(uidArg);
const gid = Number(gidArg);
const groups = (groupsArg ?? '').split(',').filter(Boolean).map(Number);
try {
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || groups.some((g) => !Number.isInteger(g))) throw new Error('bad arguments');
  process.setgroups!(groups);
  process.setgid!(gid); // real, effective and saved: no way back
  process.setuid!(uid);
  if (process.geteuid!() !== uid || process.getuid!() !== uid || process.getegid!() !== gid) throw new Error('credentials did not change');
} catch (e) {
  process.stderr.write(`utrace vFile helper: cannot become uid ${uidArg} gid ${gidArg}: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}

const handle = localHostIo();
let buf: Buffer = Buffer.alloc(0);
process.stdin.on('data', (d: Buffer) => {
  buf = buf.length ? Buffer.concat([buf, d]) : d;
  while (buf.length >= 4) {
    const len = buf.readUInt32BE(0);
    if (buf.length < 4 + len) break;
    const packet = buf.subarray(4, 4 + len).toString('latin1');
    buf = buf.subarray(4 + len);
    const r = handle(packet);
    const body = typeof r === 'string' ? Buffer.from(r, 'latin1') : r;
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length, 0);
    process.stdout.write(Buffer.concat([head, body]));
  }
});
process.stdin.on('end', () => process.exit(0));
