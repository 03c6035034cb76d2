/**
 * Landlock: landlock_create_ruleset, landlock_add_rule (include/uapi/linux/landlock.h).
 * landlock_restrict_self prints its two integers raw, as strace's matches.
 */
import { Ctx, RV, RVAL_DECODED, U32, type Decoder } from '../printer.js';
import { addr, field, hexStr, struct, sym, type Value } from '../value.js';
import { landlock_create_ruleset_flags, landlock_rule_types, landlock_ruleset_access_fs } from '../xlat/tables.gen.js';

const LANDLOCK_RULE_PATH_BENEATH = 1n;
/** Largest tail beyond the known structure that is checked for non-zero bytes. */
const TAIL_MAX = 4096n;

const accessFs = (c: Ctx, v: bigint): Value => c.flags(v, landlock_ruleset_access_fs, 'LANDLOCK_ACCESS_FS_???');

/** struct landlock_ruleset_attr of `size` bytes: the known u64, `...` for a tail not all zero. */
function rulesetAttr(c: Ctx, ad: bigint, size: bigint): Value {
  const b = size >= 8n ? c.fetch(ad, 8) : undefined;
  if (!b) return addr(ad);
  let more = false;
  if (size > 8n) {
    const tail = size - 8n <= TAIL_MAX ? c.fetch(ad + 8n, Number(size - 8n)) : undefined;
    more = !tail || tail.some((x) => x !== 0);
  }
  return struct([field('handled_access_fs', accessFs(c, b.readBigUInt64LE(0)))], more);
}

export const landlockDecoders: Record<string, Decoder> = {
  landlock_create_ruleset: (c) => {
    c.push(rulesetAttr(c, c.a[0], c.a[1]), c.ulong(1), c.flags(U32(c.a[2]), landlock_create_ruleset_flags, 'LANDLOCK_CREATE_RULESET_???'));
    // LANDLOCK_CREATE_RULESET_VERSION asks for the ABI version: a number, not a descriptor.
    return RVAL_DECODED | (U32(c.a[2]) & 1n ? RV.DEC : RV.FD);
  },
  landlock_add_rule: (c) => {
    const type = U32(c.a[1]);
    let attr: Value = addr(c.a[2]);
    if (type === LANDLOCK_RULE_PATH_BENEATH) {
      // struct landlock_path_beneath_attr is packed: u64 allowed_access, s32 parent_fd.
      const b = c.a[2] === 0n ? undefined : c.fetch(c.a[2], 12);
      if (b) attr = struct([field('allowed_access', accessFs(c, b.readBigUInt64LE(0))), field('parent_fd', c.fd(BigInt(b.readInt32LE(8))))]);
    }
    c.push(c.fd(c.a[0]), c.xval(type, landlock_rule_types, 'LANDLOCK_RULE_???'), attr, sym(hexStr(U32(c.a[3]))));
    return RVAL_DECODED;
  },
};
