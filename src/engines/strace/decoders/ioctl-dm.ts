/**
 * Device mapper control (include/uapi/linux/dm-ioctl.h), type byte 0xfd: the struct dm_ioctl
 * header every request sends, with the fields that request uses. The data after the header
 * (target specs, messages, new names) is shown as `...`, decoded under -v; after a success, ` => ` the header
 * the kernel wrote back (the data it appends is not decoded yet).
 */
import { Ctx, RVAL_DECODED } from '../printer.js';
import { addr, arr, cmt, field, num, str, struct, sym, type Field, type Value } from '../value.js';
import { dm_flags } from '../xlat/tables.gen.js';
import { iocNr, registerIoctlFamily } from './ioctl.js';
import { charArray } from './ioctl-struct.js';

const DM_VERSION_MAJOR = 4;
/** offsetof(struct dm_ioctl, data): the header the kernel requires, without the data bytes. */
const HEADER = 305;
const DM_SUSPEND_FLAG = 2;
/** _IOWR(0xfd, 0, struct dm_ioctl) */
const DM_IOWR = 0xc138fd00;

/** What a request's header carries, by command number (DM_VERSION_CMD = 0, ...). */
interface Cmd {
  /** data_start is meaningful (the request sends or receives data after the header) */
  data?: boolean;
  /** the request names a device (dev, name, uuid) */
  dev?: boolean;
  /** event_nr is meaningful: always, or unless the flags ask to suspend */
  event?: 'always' | 'resume';
  /** target_count is meaningful */
  targets?: boolean;
  /** data the request sends after the header: `...` stands for it, -v decodes it */
  sends?: 'targets' | 'message' | 'string';
}

const CMDS: readonly (Cmd | undefined)[] = [
  { dev: true }, // DM_VERSION
  {}, // DM_REMOVE_ALL
  { data: true }, // DM_LIST_DEVICES
  { dev: true }, // DM_DEV_CREATE
  { dev: true, event: 'always' }, // DM_DEV_REMOVE
  { data: true, dev: true, event: 'always', sends: 'string' }, // DM_DEV_RENAME
  { dev: true, event: 'resume' }, // DM_DEV_SUSPEND
  { dev: true }, // DM_DEV_STATUS
  { data: true, dev: true, event: 'always' }, // DM_DEV_WAIT
  { data: true, dev: true, targets: true, sends: 'targets' }, // DM_TABLE_LOAD
  { dev: true }, // DM_TABLE_CLEAR
  { data: true, dev: true }, // DM_TABLE_DEPS
  { data: true, dev: true }, // DM_TABLE_STATUS
  { data: true }, // DM_LIST_VERSIONS
  { data: true, dev: true, sends: 'message' }, // DM_TARGET_MSG
  { data: true, dev: true, sends: 'string' }, // DM_DEV_SET_GEOMETRY
  { dev: true }, // DM_DEV_ARM_POLL
  { data: true, dev: true }, // DM_GET_TARGET_VERSION
];

/**
 * struct dm_ioctl { __u32 version[3], data_size, data_start, target_count; __s32 open_count;
 * __u32 flags, event_nr, padding; __u64 dev; char name[128], uuid[129]; char data[7]; }
 */
function header(c: Ctx, cmd: Cmd, b: Buffer, arg: bigint): Value[] {
  const version = arr([num(b.readUInt32LE(0)), num(b.readUInt32LE(4)), num(b.readUInt32LE(8))]);
  if (b.readUInt32LE(0) !== DM_VERSION_MAJOR) return [struct([field('version', cmt(version, 'unsupported device mapper ABI version'))])];
  const size = b.readUInt32LE(12);
  if (size < HEADER) return [struct([field('version', version), field('data_size', cmt(num(size), 'data_size too small'))])];
  const flags = b.readUInt32LE(28);
  const f: Field[] = [field('version', version), field('data_size', num(size))];
  if (cmd.data) f.push(field('data_start', num(b.readUInt32LE(16))));
  if (cmd.dev) {
    const dev = b.readBigUInt64LE(40);
    if (dev) f.push(field('dev', Ctx.makedev(dev)));
    if (b[48]) f.push(field('name', charArray(b, 48, 128)));
    if (b[176]) f.push(field('uuid', charArray(b, 176, 129)));
  }
  const targets = b.readUInt32LE(20);
  if (cmd.targets) f.push(field('target_count', num(targets)));
  if (cmd.event === 'always' || (cmd.event === 'resume' && !(flags & DM_SUSPEND_FLAG))) f.push(field('event_nr', num(b.readUInt32LE(32))));
  f.push(field('flags', c.flags(BigInt(flags), dm_flags)));
  const out: Value[] = [struct(f)];
  if (!cmd.sends || (cmd.sends === 'targets' && !targets)) return out;
  if (c.abbrev) out.push(sym('...'));
  else out.push(...sent(c, cmd.sends, arg, size, b.readUInt32LE(16), targets));
  return out;
}

const SPEC_SIZE = 40;
const misplaced = (what: string): Value => cmt(sym('???'), `misplaced ${what}`);

/**
 * The data after the header, at data_start (bounded by data_size), decoded under -v:
 * struct dm_target_spec { __u64 sector_start, length; __s32 status; __u32 next; char
 * target_type[16]; } each followed by its parameter string, `next` bytes from one spec to the
 * next; struct dm_target_msg { __u64 sector; char message[]; }; or a string (a new name, a
 * geometry).
 */
function sent(c: Ctx, kind: 'targets' | 'message' | 'string', arg: bigint, size: number, start: number, count: number): Value[] {
  const text = (ad: bigint, len: number): Value => (len <= 0 ? str(Buffer.alloc(0)) : c.cstr(ad, len));
  if (kind === 'string') return [start >= size ? misplaced('string') : struct([field('string', text(arg + BigInt(start), size - start))])];
  if (kind === 'message') {
    if (start + 8 > size) return [misplaced('struct dm_target_msg')];
    const m = c.fetch(arg + BigInt(start), 8);
    if (!m) return [addr(arg + BigInt(start))];
    return [struct([field('sector', num(m.readBigUInt64LE(0))), field('message', text(arg + BigInt(start) + 8n, size - start - 8))])];
  }
  const out: Value[] = [];
  let off = start;
  // where the previous spec ends: a next one inside it is misplaced (a `next` of 0 loops)
  let end = 0;
  for (let i = 0; i < count; i++) {
    // -s specs at most, as for other arrays
    if (i >= c.o.strsize) {
      out.push(sym('...'));
      break;
    }
    if (off < end || off + SPEC_SIZE > size) {
      out.push(misplaced('struct dm_target_spec'));
      break;
    }
    const at = arg + BigInt(off);
    const t = c.fetch(at, SPEC_SIZE);
    if (!t) {
      out.push(addr(at));
      break;
    }
    out.push(
      struct([
        field('sector_start', num(t.readBigUInt64LE(0))),
        field('length', num(t.readBigUInt64LE(8))),
        field('target_type', charArray(t, 24, 16)),
        field('string', c.cstr(at + BigInt(SPEC_SIZE))),
      ]),
    );
    end = off + SPEC_SIZE;
    off += t.readUInt32LE(20);
  }
  return out;
}

/**
 * The header as the kernel left it after a success: the device's counters (targets, openers,
 * event number) for the requests that name a device. The data the kernel appends is not shown.
 */
function answer(cmd: Cmd, c: Ctx, b: Buffer): Value {
  const f: Field[] = [field('version', arr([num(b.readUInt32LE(0)), num(b.readUInt32LE(4)), num(b.readUInt32LE(8))])), field('data_size', num(b.readUInt32LE(12)))];
  if (cmd.data) f.push(field('data_start', num(b.readUInt32LE(16))));
  if (cmd.dev) {
    const dev = b.readBigUInt64LE(40);
    if (dev) f.push(field('dev', Ctx.makedev(dev)));
    if (b[48]) f.push(field('name', charArray(b, 48, 128)));
    if (b[176]) f.push(field('uuid', charArray(b, 176, 129)));
    f.push(field('target_count', num(b.readUInt32LE(20))), field('open_count', num(b.readInt32LE(24))), field('event_nr', num(b.readUInt32LE(32))));
  }
  f.push(field('flags', c.flags(BigInt(b.readUInt32LE(28)), dm_flags)));
  return arr([struct(f)]);
}

function dm(c: Ctx, code: number, arg: bigint): number | undefined {
  // every request is _IOWR(0xfd, nr, struct dm_ioctl)
  const cmd = (code & ~0xff) >>> 0 === DM_IOWR ? CMDS[iocNr(code)] : undefined;
  if (!cmd) return undefined;
  if (!c.entering) {
    const b = c.fetch(arg, HEADER);
    if (b) c.changeLast(answer(cmd, c, b));
    return 0;
  }
  const b = arg ? c.fetch(arg, HEADER) : undefined;
  // a data_size that does not even cover the fields before it: not a header, its address
  if (!b || b.readUInt32LE(12) < 12) {
    c.push(addr(arg));
    return RVAL_DECODED;
  }
  c.push(arr(header(c, cmd, b, arg)));
  // a header the kernel will refuse (other ABI, too small) gets no answer
  if (b.readUInt32LE(0) !== DM_VERSION_MAJOR || b.readUInt32LE(12) < HEADER) return RVAL_DECODED;
  c.noTrailingSep = true;
  return 0;
}

registerIoctlFamily([0xfd], dm);
