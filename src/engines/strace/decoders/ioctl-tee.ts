/**
 * Trusted Execution Environment devices (include/uapi/linux/tee.h), type byte 0xa4: the
 * argument blocks the caller sends. OPEN_SESSION, INVOKE and the supplicant's RECV/SEND pass a
 * struct tee_ioctl_buf_data pointing at an argument block followed by num_params parameters;
 * the block is shown when buf_len matches that size. What the TEE writes back (session ids,
 * return codes, output values) is not decoded yet.
 */
import { Ctx, RVAL_DECODED, flagsStr, xvalStr } from '../printer.js';
import { addr, arr, field, hexStr, num, struct, sym, type Field, type Value } from '../value.js';
import { tee_ioctl_login_types, tee_ioctl_param_attr_flags, tee_ioctl_param_attr_types, tee_ioctl_shm_flags } from '../xlat/tables.gen.js';
import { ioc, registerIoctlFamily } from './ioctl.js';
import { fetched } from './ioctl-struct.js';

/** _IOWR(0xa4, 8, struct tee_ioctl_shm_register_fd_data): in kernels of 2017-2021, not in today's header. */
const TEE_IOC_SHM_REGISTER_FD = 0xc020a408;
const PARAM_SIZE = 32;

const x64 = (b: Buffer, off: number): Value => sym(hexStr(b.readBigUInt64LE(off)));
const x32 = (b: Buffer, off: number): Value => sym(hexStr(BigInt(b.readUInt32LE(off))));
const u32 = (b: Buffer, off: number): Value => num(b.readUInt32LE(off));
const shmFlags = (c: Ctx, b: Buffer, off: number): Value => c.flags(BigInt(b.readUInt32LE(off)), tee_ioctl_shm_flags);

/** A parameter's attr: its type, then flag bits above the type byte (TEE_IOCTL_PARAM_ATTR_META). */
function paramAttr(c: Ctx, v: bigint): Value {
  if (c.o.xlat === 'raw') return sym(hexStr(v));
  const type = xvalStr(v & 0xffn, tee_ioctl_param_attr_types, 'TEE_IOCTL_PARAM_ATTR_TYPE_???');
  const rest = v & ~0xffn;
  const text = rest ? `${type}|${flagsStr(rest, tee_ioctl_param_attr_flags, undefined)}` : type;
  return sym(c.o.xlat === 'verbose' ? `${hexStr(v)} /* ${text} */` : text);
}

/** struct tee_ioctl_param { __u64 attr, a, b, c; }: values in hex, or a shared-memory reference. */
function param(c: Ctx, b: Buffer, off: number): Value {
  const attr = b.readBigUInt64LE(off);
  const f: Field[] = [field('attr', paramAttr(c, attr))];
  const type = tee_ioctl_param_attr_types.lookup(attr & 0xffn) ?? '';
  if (type.includes('_VALUE_')) f.push(field('a', x64(b, off + 8)), field('b', x64(b, off + 16)), field('c', x64(b, off + 24)));
  else if (type.includes('_MEMREF_')) f.push(field('shm_offs', x64(b, off + 8)), field('size', x64(b, off + 16)), field('shm_id', num(b.readBigUInt64LE(off + 24))));
  return struct(f);
}

/** 16 bytes as a UUID: 8-4-4-4-12 hex digits in byte order. */
function uuid(b: Buffer, off: number): Value {
  const h = b.subarray(off, off + 16).toString('hex');
  return sym(`${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`);
}

/** The login kinds whose clnt_uuid carries a group id (its first four bytes). */
const GROUP_LOGINS = new Set(['TEE_IOCTL_LOGIN_GROUP', 'TEE_IOCTL_LOGIN_GROUP_APPLICATION']);
const NO_CLIENT_UUID = new Set(['TEE_IOCTL_LOGIN_PUBLIC', 'TEE_IOCTL_LOGIN_USER', 'TEE_IOCTL_LOGIN_APPLICATION', 'TEE_IOCTL_LOGIN_USER_APPLICATION']);

/** An argument block: its fixed head size and the fields of that head (num_params at head-4). */
interface Block {
  head: number;
  fields: (c: Ctx, b: Buffer) => Field[];
}

const BLOCKS = new Map<string, Block>([
  [
    // struct tee_ioctl_invoke_arg { __u32 func, session, cancel_id, ret, ret_origin, num_params; }
    'TEE_IOC_INVOKE',
    { head: 24, fields: (_c, b) => [field('func', u32(b, 0)), field('session', x32(b, 4)), field('cancel_id', u32(b, 8))] },
  ],
  [
    // struct tee_ioctl_open_session_arg { __u8 uuid[16], clnt_uuid[16]; __u32 clnt_login, cancel_id, session, ret, ret_origin, num_params; }
    'TEE_IOC_OPEN_SESSION',
    {
      head: 56,
      fields: (c, b) => {
        const login = b.readUInt32LE(32);
        const name = tee_ioctl_login_types.lookup(BigInt(login)) ?? '';
        const f: Field[] = [field('uuid', uuid(b, 0)), field('clnt_login', c.xval(BigInt(login), tee_ioctl_login_types, 'TEE_IOCTL_LOGIN_???'))];
        if (GROUP_LOGINS.has(name)) f.push(field('clnt_uuid', u32(b, 16)));
        else if (!NO_CLIENT_UUID.has(name)) f.push(field('clnt_uuid', arr([...b.subarray(16, 32)].map((v) => sym(hexStr(BigInt(v)))))));
        f.push(field('cancel_id', u32(b, 36)));
        return f;
      },
    },
  ],
  // struct tee_iocl_supp_recv_arg { __u32 func, num_params; }
  ['TEE_IOC_SUPPL_RECV', { head: 8, fields: (_c, b) => [field('func', u32(b, 0))] }],
  // struct tee_iocl_supp_send_arg { __u32 ret, num_params; }
  ['TEE_IOC_SUPPL_SEND', { head: 8, fields: () => [] }],
]);

/** struct tee_ioctl_buf_data { __u64 buf_ptr, buf_len; } and the block it points at. */
function bufData(c: Ctx, arg: bigint, blk: Block): Value {
  const d = c.fetch(arg, 16);
  if (!d) return addr(arg);
  const ptr = d.readBigUInt64LE(0);
  const len = d.readBigUInt64LE(8);
  const outer = (v: Value): Value => struct([field('buf_len', num(len)), field('buf_ptr', v)]);
  if (len < BigInt(blk.head) || len > BigInt(blk.head + 64 * PARAM_SIZE)) return outer(addr(ptr));
  const b = c.fetch(ptr, Number(len));
  if (!b) return outer(addr(ptr));
  const n = b.readUInt32LE(blk.head - 4);
  // a block whose parameter count disagrees with its length is not trusted
  if (blk.head + n * PARAM_SIZE !== Number(len)) return outer(addr(ptr));
  const params: Value[] = [];
  for (let i = 0; i < n; i++) params.push(param(c, b, blk.head + i * PARAM_SIZE));
  return outer(struct([...blk.fields(c, b), field('num_params', num(n)), field('params', arr(params))]));
}

/** A fixed structure read at entry and shaped by `f` (the address when unreadable). */
function sent(c: Ctx, arg: bigint, size: number, f: (b: Buffer) => Value): number {
  const b = arg ? c.fetch(arg, size) : undefined;
  c.push(b ? f(b) : addr(arg));
  return RVAL_DECODED;
}

function tee(c: Ctx, code: number, arg: bigint): number | undefined {
  const name = code === TEE_IOC_SHM_REGISTER_FD ? 'TEE_IOC_SHM_REGISTER_FD' : REQUESTS().get(code);
  switch (name) {
    case undefined:
      return undefined;
    case 'TEE_IOC_VERSION':
      // struct tee_ioctl_version_data { __u32 impl_id, impl_caps, gen_caps; }, filled by the driver
      if (c.entering) return 0;
      c.push(fetched(c, arg, 12, (b) => struct([field('impl_id', u32(b, 0)), field('impl_caps', x32(b, 4)), field('gen_caps', x32(b, 8))])));
      return 0;
    case 'TEE_IOC_CANCEL':
      // struct tee_ioctl_cancel_arg { __u32 cancel_id, session; }
      return sent(c, arg, 8, (b) => struct([field('cancel_id', u32(b, 0)), field('session', x32(b, 4))]));
    case 'TEE_IOC_CLOSE_SESSION':
      // struct tee_ioctl_close_session_arg { __u32 session; }
      return sent(c, arg, 4, (b) => struct([field('session', x32(b, 0))]));
    case 'TEE_IOC_SHM_ALLOC':
      // struct tee_ioctl_shm_alloc_data { __u64 size; __u32 flags; __s32 id; }
      return sent(c, arg, 16, (b) => struct([field('size', x64(b, 0)), field('flags', shmFlags(c, b, 8))]));
    case 'TEE_IOC_SHM_REGISTER':
      // struct tee_ioctl_shm_register_data { __u64 addr, length; __u32 flags; __s32 id; }
      return sent(c, arg, 24, (b) => struct([field('addr', x64(b, 0)), field('length', x64(b, 8)), field('flags', shmFlags(c, b, 16))]));
    case 'TEE_IOC_SHM_REGISTER_FD':
      // struct tee_ioctl_shm_register_fd_data { __s64 fd; __u64 size; __u32 flags; __s32 id; }
      return sent(c, arg, 24, (b) => struct([field('fd', num(b.readBigInt64LE(0))), field('flags', shmFlags(c, b, 16))]));
    default: {
      const blk = BLOCKS.get(name)!;
      c.push(arg ? bufData(c, arg, blk) : addr(arg));
      return RVAL_DECODED;
    }
  }
}

let requests: Map<number, string> | undefined;
const REQUESTS = (): Map<number, string> =>
  (requests ??= new Map(
    ['TEE_IOC_VERSION', 'TEE_IOC_CANCEL', 'TEE_IOC_CLOSE_SESSION', 'TEE_IOC_SHM_ALLOC', 'TEE_IOC_SHM_REGISTER', ...BLOCKS.keys()].map((n) => [ioc(n), n]),
  ));

registerIoctlFamily([0xa4], tee);
