/**
 * Mounting: mount(2) and the file-descriptor mount API (fsopen, fsconfig, fsmount, fspick,
 * move_mount, open_tree, mount_setattr), after strace's mount.c, fs*.c, move_mount.c,
 * open_tree.c and mount_setattr.c. (umount2 is in admin.ts.)
 */
import { Ctx, RV, RVAL_DECODED, I32, U32, type Decoder } from '../printer.js';
import { quoteBytes } from '../quote.js';
import { kernelBoundedString } from './common.js';
import { addr, field, hexstr, num, struct, sym, type Value } from '../value.js';
import {
  fsconfig_cmds,
  fsmount_attr_flags,
  fsmount_flags,
  fsopen_flags,
  fspick_flags,
  mount_attr_attr,
  mount_attr_propagation,
  mount_flags,
  mount_setattr_flags,
  move_mount_flags,
  open_tree_flags,
} from '../xlat/tables.gen.js';

const MS_MGC_VAL = 0xc0ed0000n;
const MS_MGC_MSK = 0xffff0000n;
const flag = (name: string): bigint => mount_flags.valueOf(name)!;
const MS_REMOUNT = flag('MS_REMOUNT');
// With these the kernel ignores the type (and the data): strace prints their addresses.
const MS_NO_TYPE = ['MS_BIND', 'MS_MOVE', 'MS_SHARED', 'MS_PRIVATE', 'MS_SLAVE', 'MS_UNBINDABLE'].map(flag).reduce((a, b) => a | b, 0n);

const mount: Decoder = (c) => {
  let flags = c.a[3];
  const oldMagic = (flags & MS_MGC_MSK) === MS_MGC_VAL;
  if (oldMagic) flags &= ~MS_MGC_MSK;
  const ignoreType = (flags & MS_REMOUNT) !== 0n || (flags & MS_NO_TYPE) !== 0n;
  const ignoreData = (flags & MS_REMOUNT) === 0n && (flags & MS_NO_TYPE) !== 0n;
  const parts: string[] = [];
  if (oldMagic) parts.push(c.o.xlat === 'raw' ? '0xc0ed0000' : c.o.xlat === 'verbose' ? '0xc0ed0000 /* MS_MGC_VAL */' : 'MS_MGC_VAL');
  if (flags || !oldMagic) parts.push((c.flags(flags, mount_flags, 'MS_???') as { s: string }).s);
  c.push(
    c.path(c.a[0]),
    c.path(c.a[1]),
    ignoreType ? c.ptr(2) : c.cstr(c.a[2]),
    sym(parts.join('|')),
    ignoreData ? c.ptr(4) : c.cstr(c.a[4]),
  );
  return RVAL_DECODED;
};

const cmd = (name: string): bigint => fsconfig_cmds.valueOf(name)!;
const SET_FLAG = cmd('FSCONFIG_SET_FLAG');
const SET_STRING = cmd('FSCONFIG_SET_STRING');
const SET_BINARY = cmd('FSCONFIG_SET_BINARY');
const SET_PATH = cmd('FSCONFIG_SET_PATH');
const SET_PATH_EMPTY = cmd('FSCONFIG_SET_PATH_EMPTY');
const SET_FD = cmd('FSCONFIG_SET_FD');

/** `len` bytes in \x hex, cut at -s (strace's printstr_ex with QUOTE_FORCE_HEX). */
function hexBytes(c: Ctx, ad: bigint, len: number): Value {
  if (ad === 0n) return addr(ad);
  const n = Math.min(len, c.o.strsize);
  const b = c.fetch(ad, n);
  return b ? hexstr(b, len > n) : addr(ad);
}

const fsconfig: Decoder = (c) => {
  const command = U32(c.a[1]);
  const aux = Number(I32(c.a[4]));
  const keyed = [SET_FLAG, SET_STRING, SET_BINARY, SET_PATH, SET_PATH_EMPTY, SET_FD].includes(command);
  let value: Value;
  if (command === SET_STRING) value = kernelBoundedString(c, c.a[3], 256);
  else if (command === SET_PATH || command === SET_PATH_EMPTY) value = c.path(c.a[3]);
  else if (command === SET_BINARY && aux >= 0 && aux <= 1024 * 1024) value = hexBytes(c, c.a[3], aux);
  else value = c.ptr(3);
  const last = command === SET_PATH || command === SET_PATH_EMPTY ? c.dirfd(BigInt(aux)) : command === SET_FD ? c.fd(BigInt(aux)) : num(aux);
  c.push(c.fd(c.a[0]), c.xval(command, fsconfig_cmds, 'FSCONFIG_???'), keyed ? kernelBoundedString(c, c.a[2], 256) : c.ptr(2), value, last);
  return RVAL_DECODED;
};

const MOUNT_ATTR_SIZE_VER0 = 32n;
const MOUNT_ATTR_IDMAP = mount_attr_attr.valueOf('MOUNT_ATTR_IDMAP')!;

/** struct mount_attr {u64 attr_set, attr_clr, propagation, userns_fd} of `size` bytes. */
function mountAttr(c: Ctx, ad: bigint, size: bigint): Value {
  if (size < MOUNT_ATTR_SIZE_VER0) return addr(ad);
  const b = c.fetch(ad, 32);
  if (!b) return addr(ad);
  const set = b.readBigUInt64LE(0);
  const clr = b.readBigUInt64LE(8);
  const userns = b.readBigUInt64LE(24);
  const f = [
    field('attr_set', c.flags(set, mount_attr_attr, 'MOUNT_ATTR_???')),
    field('attr_clr', c.flags(clr, mount_attr_attr, 'MOUNT_ATTR_???')),
    field('propagation', c.xval(b.readBigUInt64LE(16), mount_attr_propagation, 'MS_???')),
    field('userns_fd', userns > 0x7fffffffn || ((set | clr) & MOUNT_ATTR_IDMAP) === 0n ? num(userns) : c.fd(userns)),
  ];
  // Bytes past the structure this strace knows: shown only where they are not zero.
  if (size > 32n) {
    const total = Number(size > 4096n ? 4096n : size);
    const t = c.fetch(ad + 32n, total - 32);
    if (!t) f.push({ k: 'unread', v: sym('???'), bare: true });
    else if (t.some((x) => x !== 0)) {
      const shown = Math.min(t.length, c.o.strsize);
      f.push({ k: 'bytes', v: sym(`/* bytes 32..${total - 1} */ ${quoteBytes(t.subarray(0, shown), shown < t.length, 'all')}`), bare: true });
    }
  }
  return struct(f);
}

export const mountDecoders: Record<string, Decoder> = {
  mount,
  fsopen: (c) => {
    c.push(c.cstr(c.a[0]), c.flags(U32(c.a[1]), fsopen_flags, 'FSOPEN_???'));
    return RVAL_DECODED | RV.FD;
  },
  fsconfig,
  fsmount: (c) => {
    c.push(c.fd(c.a[0]), c.flags(U32(c.a[1]), fsmount_flags, 'FSMOUNT_???'), c.flags(U32(c.a[2]), fsmount_attr_flags, 'MOUNT_ATTR_???'));
    return RVAL_DECODED | RV.FD;
  },
  fspick: (c) => {
    c.push(c.dirfd(c.a[0]), c.path(c.a[1]), c.flags(U32(c.a[2]), fspick_flags, 'FSPICK_???'));
    return RVAL_DECODED | RV.FD;
  },
  move_mount: (c) => {
    c.push(c.dirfd(c.a[0]), c.path(c.a[1]), c.dirfd(c.a[2]), c.path(c.a[3]), c.flags(U32(c.a[4]), move_mount_flags, 'MOVE_MOUNT_???'));
    return RVAL_DECODED;
  },
  open_tree: (c) => {
    c.push(c.dirfd(c.a[0]), c.path(c.a[1]), c.flags(U32(c.a[2]), open_tree_flags, 'OPEN_TREE_???'));
    return RVAL_DECODED | RV.FD;
  },
  mount_setattr: (c) => {
    c.push(c.dirfd(c.a[0]), c.path(c.a[1]), c.flags(U32(c.a[2]), mount_setattr_flags, 'AT_???'), mountAttr(c, c.a[3], c.a[4]), num(c.a[4]));
    return RVAL_DECODED | RV.FD;
  },
};
