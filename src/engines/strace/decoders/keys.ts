/**
 * Kernel key management: add_key, request_key, keyctl and its commands
 * (include/uapi/linux/keyctl.h; key permissions from include/linux/key.h).
 */
import { errnoName } from '../../../api.js';
import { Ctx, I32, RVAL_DECODED, U32, type Decoder } from '../printer.js';
import { NULL, addr, arr, field, hex, num, str, struct, sym, type Field, type Value } from '../value.js';
import { iovArray } from './common.js';
import { key_perms, key_reqkeys, key_spec, keyctl_caps0, keyctl_caps1, keyctl_commands, keyctl_move_flags } from '../xlat/tables.gen.js';

/** key_serial_t: a KEY_SPEC_* name for the special negative ids, else the number. */
export function keySerial(c: Ctx, v: bigint): Value {
  return c.xval(I32(v), key_spec, undefined, 'd');
}

/** uid_t/gid_t: -1 ("no change") as -1, else unsigned. */
function idValue(v: bigint): Value {
  const u = U32(v);
  return u === 0xffffffffn ? num(-1) : num(u);
}

/** An errno a caller hands to the kernel (KEYCTL_REJECT): its name when it has one. */
function errnoValue(c: Ctx, v: bigint): Value {
  const e = U32(v);
  const name = e > 0n && e < 4096n ? errnoName(Number(e)) : undefined;
  if (!name || name.startsWith('UNKNOWN') || c.o.xlat === 'raw') return num(e);
  return sym(c.o.xlat === 'verbose' ? `${e} /* ${name} */` : name);
}

/** __u32 __spare[n] at off: shown only when some element is set. */
function spare(b: Buffer, off: number, n: number): Field[] {
  const v: bigint[] = [];
  for (let i = 0; i < n; i++) v.push(BigInt(b.readUInt32LE(off + i * 4)));
  return v.some((x) => x !== 0n) ? [field('__spare', arr(v.map((x) => hex(x))))] : [];
}

/** A buffer the kernel filled at exit (rval bytes of len), a string that may end at NUL. */
function filled(c: Ctx, ad: bigint, len: bigint): Value {
  if (ad === 0n) return NULL;
  if (c.failed) return addr(ad);
  const n = c.rval < len ? c.rval : len;
  // One byte past -s tells a string that ends there from a longer one.
  const cap = BigInt(c.o.strsize + 1);
  const b = c.fetch(ad, Number(n > cap ? cap : n));
  if (!b) return addr(ad);
  // Up to a NUL; "..." only when more than -s bytes of it are left unshown.
  const z = b.indexOf(0);
  const shown = z >= 0 ? b.subarray(0, z) : b;
  return shown.length <= c.o.strsize ? str(shown) : str(shown.subarray(0, c.o.strsize), true);
}

/** struct keyctl_dh_params { __s32 private, prime, base; } */
function dhParams(c: Ctx, ad: bigint): Value {
  const b = ad === 0n ? undefined : c.fetchAlways(ad, 12);
  if (!b) return ad === 0n ? NULL : addr(ad);
  return struct([
    field('private', keySerial(c, BigInt(b.readInt32LE(0)))),
    field('prime', keySerial(c, BigInt(b.readInt32LE(4)))),
    field('base', keySerial(c, BigInt(b.readInt32LE(8)))),
  ]);
}

/** struct keyctl_kdf_params { char *hashname; char *otherinfo; __u32 otherinfolen; __u32 __spare[8]; } */
function kdfParams(c: Ctx, ad: bigint): Value {
  const b = ad === 0n ? undefined : c.fetchAlways(ad, 56); // sizeof, padding included
  if (!b) return ad === 0n ? NULL : addr(ad);
  const info = b.readBigUInt64LE(8);
  const infoLen = b.readUInt32LE(16);
  return struct([
    field('hashname', c.cstr(b.readBigUInt64LE(0))),
    // Nothing to show of an empty otherinfo but where it is.
    field('otherinfo', infoLen ? c.buf(info, BigInt(infoLen)) : addr(info)),
    field('otherinfolen', num(infoLen)),
    ...spare(b, 20, 8),
  ]);
}

/** struct keyctl_pkey_params { __s32 key_id; __u32 in_len; __u32 out_len (in2_len); __u32 __spare[7]; } */
function pkeyParams(c: Ctx, b: Buffer, verify: boolean): Value {
  return struct([
    field('key_id', keySerial(c, BigInt(b.readInt32LE(0)))),
    field('in_len', num(b.readUInt32LE(4))),
    field(verify ? 'in2_len' : 'out_len', num(b.readUInt32LE(8))),
    ...spare(b, 12, 7),
  ]);
}

const KEYCTL = {
  GET_KEYRING_ID: 0,
  JOIN_SESSION_KEYRING: 1,
  UPDATE: 2,
  REVOKE: 3,
  CHOWN: 4,
  SETPERM: 5,
  DESCRIBE: 6,
  CLEAR: 7,
  LINK: 8,
  UNLINK: 9,
  SEARCH: 10,
  READ: 11,
  INSTANTIATE: 12,
  NEGATE: 13,
  SET_REQKEY_KEYRING: 14,
  SET_TIMEOUT: 15,
  ASSUME_AUTHORITY: 16,
  GET_SECURITY: 17,
  SESSION_TO_PARENT: 18,
  REJECT: 19,
  INSTANTIATE_IOV: 20,
  INVALIDATE: 21,
  GET_PERSISTENT: 22,
  DH_COMPUTE: 23,
  PKEY_QUERY: 24,
  PKEY_ENCRYPT: 25,
  PKEY_DECRYPT: 26,
  PKEY_SIGN: 27,
  PKEY_VERIFY: 28,
  RESTRICT_KEYRING: 29,
  MOVE: 30,
  CAPABILITIES: 31,
} as const;

/** The command's arguments printed at entry; true when more follow at exit. */
function keyctlEntry(c: Ctx, cmd: number): boolean {
  const a = c.a;
  const key = (i: number): Value => keySerial(c, a[i]);
  switch (cmd) {
    case KEYCTL.GET_KEYRING_ID:
      c.push(key(1), c.int(2));
      return false;
    case KEYCTL.JOIN_SESSION_KEYRING:
      c.push(c.cstr(a[1]));
      return false;
    case KEYCTL.UPDATE:
      c.push(key(1), c.buf(a[2], a[3]), c.ulong(3));
      return false;
    case KEYCTL.REVOKE:
    case KEYCTL.CLEAR:
    case KEYCTL.ASSUME_AUTHORITY:
    case KEYCTL.INVALIDATE:
      c.push(key(1));
      return false;
    case KEYCTL.CHOWN:
      c.push(key(1), idValue(a[2]), idValue(a[3]));
      return false;
    case KEYCTL.SETPERM:
      c.push(key(1), c.flags(U32(a[2]), key_perms, 'KEY_???'));
      return false;
    case KEYCTL.DESCRIBE:
    case KEYCTL.READ:
    case KEYCTL.GET_SECURITY:
      c.push(key(1));
      return true;
    case KEYCTL.LINK:
    case KEYCTL.UNLINK:
      c.push(key(1), key(2));
      return false;
    case KEYCTL.SEARCH:
      c.push(key(1), c.cstr(a[2]), c.cstr(a[3]), key(4));
      return false;
    case KEYCTL.INSTANTIATE:
      c.push(key(1), c.buf(a[2], a[3]), c.ulong(3), key(4));
      return false;
    case KEYCTL.NEGATE:
    case KEYCTL.SET_TIMEOUT:
      c.push(key(1), c.uint(2));
      if (cmd === KEYCTL.NEGATE) c.push(key(3));
      return false;
    case KEYCTL.SET_REQKEY_KEYRING:
      c.push(c.xval(I32(a[1]), key_reqkeys, 'KEY_REQKEY_DEFL_???', 'd'));
      return false;
    case KEYCTL.SESSION_TO_PARENT:
      return false;
    case KEYCTL.REJECT:
      c.push(key(1), c.uint(2), errnoValue(c, a[3]), key(4));
      return false;
    case KEYCTL.INSTANTIATE_IOV:
      c.push(key(1), iovArray(c, a[2], a[3], undefined), c.ulong(3), key(4));
      return false;
    case KEYCTL.GET_PERSISTENT:
      c.push(idValue(a[1]), key(2));
      return false;
    case KEYCTL.DH_COMPUTE:
      // The kdf parameters are the caller's input: read now, shown after the exit's buffer.
      c.push(dhParams(c, a[1]));
      c.priv = kdfParams(c, a[4]);
      return true;
    case KEYCTL.PKEY_QUERY:
      c.push(key(1), hex(a[2]), c.cstr(a[3]));
      return true;
    case KEYCTL.PKEY_ENCRYPT:
    case KEYCTL.PKEY_DECRYPT:
    case KEYCTL.PKEY_SIGN:
    case KEYCTL.PKEY_VERIFY: {
      const verify = cmd === KEYCTL.PKEY_VERIFY;
      const b = a[1] === 0n ? undefined : c.fetchAlways(a[1], 40);
      c.push(b ? pkeyParams(c, b, verify) : c.ptr(1), c.cstr(a[2]), b ? c.buf(a[3], BigInt(b.readUInt32LE(4))) : c.ptr(3));
      if (verify) {
        c.push(b ? c.buf(a[4], BigInt(b.readUInt32LE(8))) : c.ptr(4));
        return false;
      }
      c.priv = b ? BigInt(b.readUInt32LE(8)) : undefined;
      return true;
    }
    case KEYCTL.RESTRICT_KEYRING:
      c.push(key(1), c.cstr(a[2]), c.cstr(a[3]));
      return false;
    case KEYCTL.MOVE:
      c.push(key(1), key(2), key(3), c.flags(U32(a[4]), keyctl_move_flags, 'KEYCTL_MOVE_???'));
      return false;
    case KEYCTL.CAPABILITIES:
      return true;
    default:
      c.push(c.x(1), c.x(2), c.x(3), c.x(4));
      return false;
  }
}

/** The arguments a command prints at exit (what the kernel wrote back). */
function keyctlExit(c: Ctx, cmd: number): void {
  const a = c.a;
  switch (cmd) {
    case KEYCTL.DESCRIBE:
    case KEYCTL.READ:
    case KEYCTL.GET_SECURITY:
      c.push(filled(c, a[2], a[3]), c.ulong(3));
      return;
    case KEYCTL.DH_COMPUTE:
      c.push(c.failed ? c.ptr(2) : c.buf(a[2], c.rval < a[3] ? c.rval : a[3]), c.ulong(3), c.priv as Value);
      return;
    case KEYCTL.PKEY_QUERY:
      c.push(pkeyQuery(c, a[4]));
      return;
    case KEYCTL.PKEY_ENCRYPT:
    case KEYCTL.PKEY_DECRYPT:
    case KEYCTL.PKEY_SIGN: {
      const outLen = c.priv as bigint | undefined;
      c.push(c.failed || outLen === undefined ? c.ptr(4) : c.buf(a[4], c.rval < outLen ? c.rval : outLen));
      return;
    }
    case KEYCTL.CAPABILITIES: {
      // One byte of KEYCTL_CAPS<n>_* flags per capability word the kernel filled.
      const n = c.failed ? 0n : c.rval < a[2] ? c.rval : a[2];
      const b = c.failed || a[1] === 0n ? undefined : c.fetch(a[1], Number(n > 4096n ? 4096n : n));
      const caps = [keyctl_caps0, keyctl_caps1];
      c.push(
        b ? arr([...b].map((v, i) => (caps[i] ? c.flags(BigInt(v), caps[i]!, `KEYCTL_CAPS${i}_???`) : hex(BigInt(v))))) : c.ptr(1),
        c.ulong(2),
      );
      return;
    }
  }
}

/** struct keyctl_pkey_query at exit (sizes and the operations the key supports). */
function pkeyQuery(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 56);
  if (!b) return addr(ad);
  return struct([
    field('supported_ops', hex(BigInt(b.readUInt32LE(0)))),
    field('key_size', num(b.readUInt32LE(4))),
    field('max_data_size', num(b.readUInt16LE(8))),
    field('max_sig_size', num(b.readUInt16LE(10))),
    field('max_enc_size', num(b.readUInt16LE(12))),
    field('max_dec_size', num(b.readUInt16LE(14))),
    ...spare(b, 16, 10),
  ]);
}

export const keysDecoders: Record<string, Decoder> = {
  add_key: (c) => {
    c.push(c.cstr(c.a[0]), c.cstr(c.a[1]), c.buf(c.a[2], c.a[3]), c.ulong(3), keySerial(c, c.a[4]));
    return RVAL_DECODED;
  },
  request_key: (c) => {
    c.push(c.cstr(c.a[0]), c.cstr(c.a[1]), c.cstr(c.a[2]), keySerial(c, c.a[3]));
    return RVAL_DECODED;
  },
  keyctl: (c) => {
    const cmd = Number(U32(c.a[0]));
    if (c.entering) {
      c.push(c.xval(U32(c.a[0]), keyctl_commands, 'KEYCTL_???'));
      return keyctlEntry(c, cmd) ? 0 : RVAL_DECODED;
    }
    keyctlExit(c, cmd);
    return 0;
  },
};
