/**
 * seccomp user-space notification fds (include/uapi/linux/seccomp.h), type byte '!':
 * SECCOMP_IOCTL_NOTIF_RECV/SEND/ID_VALID/ADDFD. ID_VALID was first published as a read request;
 * that number keeps a name of its own (..._WRONG_DIR) and is decoded the same way.
 */
import { SYSCALLS, errnoName } from '../../../api.js';
import { Ctx, RVAL_DECODED } from '../printer.js';
import { addr, arr, field, hexStr, num, struct, sym, type Value } from '../value.js';
import { audit_arch, open_mode_flags, seccomp_addfd_flags, seccomp_user_notif_flags } from '../xlat/tables.gen.js';
import { IOC_READ, ioc, iocDir, registerIoctlFamily } from './ioctl.js';
import { fetched, nonzero, scalars } from './ioctl-struct.js';

const AUDIT_ARCH_X86_64 = 0xc000003en;
const hex = (v: bigint): Value => sym(hexStr(v));

/** The ID_VALID number with the read direction the first kernel header gave it. */
const wrongDir = (): number => ((ioc('SECCOMP_IOCTL_NOTIF_ID_VALID') & ~(3 << 30)) | (IOC_READ << 30)) >>> 0;

/** seccomp_data.nr: the x86_64 syscall as __NR_name when the arch says x86_64. */
function syscallNr(c: Ctx, nr: number, arch: bigint): Value {
  const name = arch === AUDIT_ARCH_X86_64 && nr >= 0 ? SYSCALLS[nr]?.name : undefined;
  if (name === undefined || c.o.xlat === 'raw') return num(nr >>> 0);
  return sym(c.o.xlat === 'verbose' ? `${nr} /* __NR_${name} */` : `__NR_${name}`);
}

/** struct seccomp_notif { __u64 id; __u32 pid, flags; struct seccomp_data data; } (80 bytes) */
function notif(c: Ctx, b: Buffer): Value {
  const arch = BigInt(b.readUInt32LE(20));
  return struct([
    field('id', hex(b.readBigUInt64LE(0))),
    field('pid', c.pidv(BigInt(b.readInt32LE(8)), 'tid')),
    field('flags', hex(BigInt(b.readUInt32LE(12)))),
    field(
      'data',
      struct([
        field('nr', syscallNr(c, b.readInt32LE(16), arch)),
        field('arch', c.xval(arch, audit_arch, 'AUDIT_ARCH_???')),
        field('instruction_pointer', addr(b.readBigUInt64LE(24))),
        field('args', arr(scalars(b, 32, 6, 'x64'))),
      ]),
    ),
  ]);
}

/** RECV fills the record in: shown at exit, and at entry too when the caller left data in it. */
function recv(c: Ctx, arg: bigint): number {
  if (c.entering) {
    const b = c.fetch(arg, 80);
    if (!b) {
      c.push(addr(arg));
      return RVAL_DECODED;
    }
    if (!nonzero(b, 0, 80)) return 0;
    c.push(notif(c, b));
    c.noTrailingSep = true;
    c.priv = true;
    return 0;
  }
  const v = fetched(c, arg, 80, (b) => notif(c, b));
  if (c.priv === true) c.changeLast(v);
  else c.push(v);
  return 0;
}

/** A negative errno as -ENAME (-X verbose: -63 /* -ENOSR *\/), anything else as a number. */
function errorValue(c: Ctx, e: number): Value {
  if (e >= 0 || e < -4095 || c.o.xlat === 'raw') return num(e);
  const n = errnoName(-e);
  if (n.startsWith('UNKNOWN_')) return num(e);
  return sym(c.o.xlat === 'verbose' ? `${e} /* -${n} */` : `-${n}`);
}

/** struct seccomp_notif_resp { __u64 id; __s64 val; __s32 error; __u32 flags; } */
function resp(c: Ctx, b: Buffer): Value {
  return struct([
    field('id', hex(b.readBigUInt64LE(0))),
    field('val', num(b.readBigInt64LE(8))),
    field('error', errorValue(c, b.readInt32LE(16))),
    field('flags', c.flags(BigInt(b.readUInt32LE(20)), seccomp_user_notif_flags, 'SECCOMP_USER_NOTIF_FLAG_???')),
  ]);
}

/** struct seccomp_notif_addfd { __u64 id; __u32 flags, srcfd, newfd, newfd_flags; } */
function addfd(c: Ctx, b: Buffer): Value {
  return struct([
    field('id', hex(b.readBigUInt64LE(0))),
    field('flags', c.flags(BigInt(b.readUInt32LE(8)), seccomp_addfd_flags, 'SECCOMP_ADDFD_FLAG_???')),
    field('srcfd', c.fd(BigInt(b.readInt32LE(12)))),
    field('newfd', num(b.readInt32LE(16))),
    field('newfd_flags', c.flags(BigInt(b.readUInt32LE(20)), open_mode_flags)),
  ]);
}

function seccomp(c: Ctx, code: number, arg: bigint): number | undefined {
  const entry = (size: number, f: (b: Buffer) => Value): number => (c.push(fetched(c, arg, size, f)), RVAL_DECODED);
  if (code === ioc('SECCOMP_IOCTL_NOTIF_RECV')) return recv(c, arg);
  if (code === ioc('SECCOMP_IOCTL_NOTIF_SEND')) return entry(24, (b) => resp(c, b));
  if (code === ioc('SECCOMP_IOCTL_NOTIF_ADDFD')) return entry(24, (b) => addfd(c, b));
  if (code === ioc('SECCOMP_IOCTL_NOTIF_ID_VALID') || code === wrongDir()) return entry(8, (b) => arr([hex(b.readBigUInt64LE(0))]));
  return undefined;
}

registerIoctlFamily([0x21], seccomp, (code) =>
  code === wrongDir() && iocDir(code) === IOC_READ ? 'SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR' : undefined,
);
