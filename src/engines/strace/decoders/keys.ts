/**
 * Kernel key management: add_key, request_key (include/uapi/linux/keyctl.h).
 * keyctl itself still prints raw.
 */
import { Ctx, I32, RVAL_DECODED, type Decoder } from '../printer.js';
import { type Value } from '../value.js';
import { key_spec } from '../xlat/tables.gen.js';

/** key_serial_t: a KEY_SPEC_* name for the special negative ids, else the number. */
export function keySerial(c: Ctx, v: bigint): Value {
  return c.xval(I32(v), key_spec, undefined, 'd');
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
};
