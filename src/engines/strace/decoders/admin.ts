/**
 * System administration: accounting, host and domain names, swap, umount2, the kernel log,
 * reboot, modules, iopl, namespaces (unshare, setns), kcmp and I/O priorities (ioprio_get/set).
 */
import { Ctx, I32, RVAL_DECODED, U32, flagsStr, xvalStr, type Decoder } from '../printer.js';
import { NULL, addr, num, sym, type Value } from '../value.js';
import { kernelBoundedString } from './common.js';
import {
  delete_module_flags,
  ioprio_class,
  ioprio_who,
  kcmp_types,
  loglevels,
  module_init_flags,
  reboot_cmds,
  reboot_magic,
  setns_types,
  swap_flags,
  syslog_action_type,
  umount_flags,
  unshare_flags,
} from '../xlat/tables.gen.js';

const SWAP_FLAG_PRIO_MASK = 0x7fffn;
const SWAP_FLAG_PREFER = 0x8000n;
const KCMP_FILE = 0n;
const KCMP_EPOLL_TFD = 7n;

/** A signed constant printed as strace prints sorted-by-number xlats: -1 /* NAME *\/ (not -X raw). */
function decCmt(c: Ctx, v: bigint, name: string | undefined, dflt: string): Value {
  if (c.o.xlat === 'raw') return num(v);
  return sym(`${v} /* ${name ?? dflt} */`);
}

/** swapon's flags: SWAP_FLAG_PREFER|prio with the priority in decimal. */
function swapFlags(c: Ctx, v: bigint): Value {
  if (c.o.xlat === 'raw') return sym(`${v}`);
  if (!(v & SWAP_FLAG_PREFER)) return num(v);
  const rest = v & ~SWAP_FLAG_PRIO_MASK;
  const s = `${flagsStr(rest, swap_flags, undefined, 'abbrev')}|${v & SWAP_FLAG_PRIO_MASK}`;
  return sym(c.o.xlat === 'verbose' ? `${v} /* ${s} */` : s);
}

const SYSLOG_READ = new Set([2n, 3n, 4n]);
const SYSLOG_NO_ARGS = new Set([0n, 1n, 5n, 6n, 7n, 9n, 10n]);
const SYSLOG_ACTION_CONSOLE_LEVEL = 8n;

const syslog: Decoder = (c) => {
  const t = I32(c.a[0]);
  if (c.entering) {
    c.push(decCmt(c, t, syslog_action_type.lookup(t), 'SYSLOG_ACTION_???'));
    if (SYSLOG_NO_ARGS.has(t)) return RVAL_DECODED;
    if (t === SYSLOG_ACTION_CONSOLE_LEVEL) {
      const lv = I32(c.a[2]);
      c.push(c.ptr(1), decCmt(c, lv, loglevels.lookup(lv), 'LOGLEVEL_???'));
      return RVAL_DECODED;
    }
    if (!SYSLOG_READ.has(t)) {
      c.push(c.ptr(1), c.int(2));
      return RVAL_DECODED;
    }
    return 0;
  }
  c.push(c.failed ? c.ptr(1) : c.buf(c.a[1], c.rval), c.int(2));
  return 0;
};

/** init_module/finit_module's parameter string. */
const params = (c: Ctx, i: number): Value => c.cstr(c.a[i]);

const kcmp: Decoder = (c) => {
  const type = U32(c.a[2]);
  c.push(c.pidv(c.a[0]), c.pidv(c.a[1]), c.xval(type, kcmp_types, 'KCMP_???'));
  if (type === KCMP_FILE) c.push(c.fd(c.a[3]), c.fd(c.a[4]));
  else if (type === KCMP_EPOLL_TFD) c.push(c.fd(c.a[3]), kcmpEpoll(c, c.a[4]));
  else if (kcmp_types.lookup(type) === undefined) c.push(c.x(3), c.x(4));
  return RVAL_DECODED;
};

/** struct kcmp_epoll_slot {efd, tfd, toff} of KCMP_EPOLL_TFD. */
function kcmpEpoll(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 12);
  if (!b) return addr(ad);
  return {
    t: 'struct',
    f: [
      { k: 'efd', v: num(b.readInt32LE(0)) },
      { k: 'tfd', v: num(b.readInt32LE(4)) },
      { k: 'toff', v: num(b.readUInt32LE(8)) },
    ],
  };
}

/** __NEW_UTS_LEN: longer host and domain names are refused, and printed as an address. */
const UTS_LEN = 64n;
/** Size of the kernel's buffer for reboot's LINUX_REBOOT_CMD_RESTART2 command, NUL included. */
const RESTART2_LEN = 256;

const setName: Decoder = (c) => {
  const len = U32(c.a[1]);
  c.push(len > UTS_LEN ? c.ptr(0) : c.buf(c.a[0], len), c.uint(1));
  return RVAL_DECODED;
};

/** IOPRIO_CLASS_SHIFT and the data bits below it, as strace 6.1 splits an I/O priority. */
const IOPRIO_CLASS_SHIFT = 13n;
const IOPRIO_DATA_MASK = (1n << IOPRIO_CLASS_SHIFT) - 1n;

/** IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 4), the class in the given -X style. */
export function ioprioText(v: bigint, style: 'abbrev' | 'verbose'): string {
  const u = BigInt.asUintN(32, v);
  return `IOPRIO_PRIO_VALUE(${xvalStr(u >> IOPRIO_CLASS_SHIFT, ioprio_class, 'IOPRIO_CLASS_???', style)}, ${u & IOPRIO_DATA_MASK})`;
}

const ioprioWho = (c: Ctx): Value => c.xval(U32(c.a[0]), ioprio_who, 'IOPRIO_WHO_???');
/** The id ioprio_get/set name: a thread (IOPRIO_WHO_PROCESS), a process group, or a uid. */
const ioprioId = (c: Ctx): Value => {
  const who = U32(c.a[0]);
  return who === 1n ? c.pidv(c.a[1], 'tid') : who === 2n ? c.pidv(c.a[1], 'pgid') : c.int(1);
};

export const adminDecoders: Record<string, Decoder> = {
  ioprio_get: (c) => {
    if (c.entering) {
      c.push(ioprioWho(c), ioprioId(c));
      // Called again at exit only for the text after the return value.
      c.noTrailingSep = true;
      return 0;
    }
    if (!c.failed && c.o.xlat !== 'raw') c.aux = ioprioText(c.rval, c.o.xlat);
    return 0;
  },
  ioprio_set: (c) => {
    const v = I32(c.a[2]);
    const prio = c.o.xlat === 'raw' ? num(v) : sym(c.o.xlat === 'verbose' ? `${v} /* ${ioprioText(v, 'verbose')} */` : ioprioText(v, 'abbrev'));
    c.push(ioprioWho(c), ioprioId(c), prio);
    return RVAL_DECODED;
  },
  acct: (c) => {
    c.push(c.path(c.a[0]));
    return RVAL_DECODED;
  },
  sethostname: setName,
  setdomainname: setName,
  swapon: (c) => {
    c.push(c.path(c.a[0]), swapFlags(c, U32(c.a[1])));
    return RVAL_DECODED;
  },
  swapoff: (c) => {
    c.push(c.path(c.a[0]));
    return RVAL_DECODED;
  },
  umount2: (c) => {
    c.push(c.path(c.a[0]), c.flags(U32(c.a[1]), umount_flags, 'MNT_???'));
    return RVAL_DECODED;
  },
  syslog,
  reboot: (c) => {
    c.push(
      c.xval(U32(c.a[0]), reboot_magic, 'LINUX_REBOOT_MAGIC_???'),
      c.xval(U32(c.a[1]), reboot_magic, 'LINUX_REBOOT_MAGIC_???'),
      c.xval(U32(c.a[2]), reboot_cmds, 'LINUX_REBOOT_CMD_???'),
    );
    // LINUX_REBOOT_CMD_RESTART2 takes a command string.
    if (U32(c.a[2]) === 0xa1b2c3d4n) c.push(kernelBoundedString(c, c.a[3], RESTART2_LEN - 1));
    return RVAL_DECODED;
  },
  init_module: (c) => {
    c.push(c.ptr(0), c.ulong(1), params(c, 2));
    return RVAL_DECODED;
  },
  finit_module: (c) => {
    c.push(c.fd(c.a[0]), params(c, 1), c.flags(U32(c.a[2]), module_init_flags, 'MODULE_INIT_???'));
    return RVAL_DECODED;
  },
  delete_module: (c) => {
    c.push(c.cstr(c.a[0]), c.flags(U32(c.a[1]), delete_module_flags, 'O_???'));
    return RVAL_DECODED;
  },
  iopl: (c) => {
    c.push(c.int(0));
    return RVAL_DECODED;
  },
  unshare: (c) => {
    c.push(c.flags(c.a[0], unshare_flags, 'CLONE_???'));
    return RVAL_DECODED;
  },
  setns: (c) => {
    c.push(c.fd(c.a[0]), c.flags(U32(c.a[1]), setns_types, 'CLONE_NEW???'));
    return RVAL_DECODED;
  },
  kcmp,
};
