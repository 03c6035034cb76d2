/**
 * System V IPC: msgget/msgsnd/msgrcv/msgctl, semget/semop/semtimedop/semctl,
 * shmget/shmat/shmdt/shmctl (x86_64 has the direct syscalls, not ipc(2)).
 * Structures are the kernel's 64-bit ones (ipc64_perm, msqid64_ds, semid64_ds, shmid64_ds
 * from asm-generic/ipcbuf.h, msgbuf.h, shmbuf.h and x86's sembuf.h).
 */
import { Ctx, I64, RV, RVAL_DECODED, U32, flagsStr, umodeStr, xvalStr, type Decoder } from '../printer.js';
import { NULL, addr, field, hexStr, num, octStr, struct, sym, type Field, type Value } from '../value.js';
import {
  ipc_64,
  ipc_msg_flags,
  ipc_msgctl_cmds,
  ipc_private,
  ipc_resource_flags,
  ipc_semctl_cmds,
  ipc_semop_flags,
  ipc_shm_resource_flags,
  ipc_shmat_flags,
  ipc_shmctl_cmds,
} from '../xlat/tables.gen.js';
import type { Xlat } from '../xlat/xlat.js';

const IPC_64 = 0x100n;
const IPC_RMID = 0n;
const IPC_SET = 1n;
const IPC_STAT = 2n;
const IPC_INFO = 3n;
const SHM_HUGE_SHIFT = 26n;
const SHM_HUGE_MASK = 0x3fn;

/** key_t: IPC_PRIVATE or the key in hex. */
function keyValue(c: Ctx, v: bigint): Value {
  return c.xval(U32(v), ipc_private);
}

/** msgget/semget flags: known bits, then the permission bits (%#03o). */
function resourceFlags(c: Ctx, v: bigint, x: Xlat, huge: boolean): Value {
  const flags = U32(v);
  const parts: string[] = [];
  let rest = flags & ~0o777n;
  let hugeBits = 0n;
  if (huge) {
    hugeBits = (rest >> SHM_HUGE_SHIFT) & SHM_HUGE_MASK;
    rest &= ~(SHM_HUGE_MASK << SHM_HUGE_SHIFT);
  }
  if (rest) parts.push(flagsStr(rest, x, undefined, c.o.xlat));
  if (hugeBits) {
    const style = c.o.xlat;
    const n = `${hugeBits}<<`;
    parts.push(style === 'raw' ? `${n}26` : style === 'verbose' ? `${n}26 /* SHM_HUGE_SHIFT */` : `${n}SHM_HUGE_SHIFT`);
  }
  parts.push(umodeStr(flags & 0o777n));
  return sym(parts.join('|'));
}

/** The cmd of *ctl: IPC_64| then the command. */
function ctlCmd(c: Ctx, v: bigint, x: Xlat, dflt: string): Value {
  let cmd = U32(v);
  let pre = '';
  if (cmd & IPC_64) {
    pre = `${xvalStr(IPC_64, ipc_64, undefined, c.o.xlat)}|`;
    cmd &= ~IPC_64;
  }
  return sym(pre + xvalStr(cmd, x, dflt, c.o.xlat));
}

/** struct ipc64_perm: uid, gid, mode always; key, cuid, cgid when the kernel filled it in. */
function permValue(b: Buffer, full: boolean): Value {
  const f: Field[] = [
    field('uid', num(b.readUInt32LE(4))),
    field('gid', num(b.readUInt32LE(8))),
    field('mode', sym(octStr(BigInt(b.readUInt32LE(20))))),
  ];
  if (full) {
    f.push(field('key', num(b.readUInt32LE(0))), field('cuid', num(b.readUInt32LE(12))), field('cgid', num(b.readUInt32LE(16))));
  }
  return struct(f);
}

const u64 = (b: Buffer, o: number): Value => num(b.readBigUInt64LE(o));
const i32 = (b: Buffer, o: number): Value => num(b.readInt32LE(o));

function msqidValue(c: Ctx, ad: bigint, set: boolean): Value {
  const b = c.fetch(ad, 112);
  if (!b) return addr(ad);
  if (set) return struct([field('msg_perm', permValue(b, false)), field('msg_qbytes', u64(b, 88))]);
  return struct([
    field('msg_perm', permValue(b, true)),
    field('msg_stime', u64(b, 48)),
    field('msg_rtime', u64(b, 56)),
    field('msg_ctime', u64(b, 64)),
    field('msg_qnum', u64(b, 80)),
    field('msg_qbytes', u64(b, 88)),
    field('msg_lspid', i32(b, 96)),
    field('msg_lrpid', i32(b, 100)),
  ]);
}

function msginfoValue(c: Ctx, ad: bigint): Value {
  const b = c.fetch(ad, 32);
  if (!b) return addr(ad);
  const names = ['msgpool', 'msgmap', 'msgmax', 'msgmnb', 'msgmni', 'msgssz', 'msgtql'];
  const f = names.map((k, i) => field(k, i32(b, i * 4)));
  f.push(field('msgseg', num(b.readUInt16LE(28))));
  return struct(f);
}

function semidValue(c: Ctx, ad: bigint, set: boolean): Value {
  const b = c.fetch(ad, 104);
  if (!b) return addr(ad);
  if (set) return struct([field('sem_perm', permValue(b, false))]);
  return struct([
    field('sem_perm', permValue(b, true)),
    field('sem_otime', u64(b, 48)),
    field('sem_ctime', u64(b, 64)),
    field('sem_nsems', u64(b, 80)),
  ]);
}

function seminfoValue(c: Ctx, ad: bigint): Value {
  const b = c.fetch(ad, 40);
  if (!b) return addr(ad);
  const names = ['semmap', 'semmni', 'semmns', 'semmnu', 'semmsl', 'semopm', 'semume', 'semusz', 'semvmx', 'semaem'];
  return struct(names.map((k, i) => field(k, i32(b, i * 4))));
}

function shmidValue(c: Ctx, ad: bigint, set: boolean): Value {
  const b = c.fetch(ad, 112);
  if (!b) return addr(ad);
  if (set) return struct([field('shm_perm', permValue(b, false))]);
  return struct([
    field('shm_perm', permValue(b, true)),
    field('shm_segsz', u64(b, 48)),
    field('shm_cpid', i32(b, 80)),
    field('shm_lpid', i32(b, 84)),
    field('shm_nattch', u64(b, 88)),
    field('shm_atime', u64(b, 56)),
    field('shm_dtime', u64(b, 64)),
    field('shm_ctime', u64(b, 72)),
  ]);
}

function shminfoValue(c: Ctx, ad: bigint): Value {
  const b = c.fetch(ad, 40);
  if (!b) return addr(ad);
  return struct(['shmmax', 'shmmin', 'shmmni', 'shmseg', 'shmall'].map((k, i) => field(k, u64(b, i * 8))));
}

function shmInfoValue(c: Ctx, ad: bigint): Value {
  const b = c.fetch(ad, 48);
  if (!b) return addr(ad);
  return struct([
    field('used_ids', i32(b, 0)),
    ...['shm_tot', 'shm_rss', 'shm_swp', 'swap_attempts', 'swap_successes'].map((k, i) => field(k, u64(b, 8 + i * 8))),
  ]);
}

/**
 * The buffer argument of msgctl/semctl/shmctl: IPC_SET is read at entry, the *STAT and *INFO
 * results at exit; anything else is an address.
 */
function ctlBuffer(
  c: Ctx,
  ad: bigint,
  cmd: bigint,
  ds: (c: Ctx, ad: bigint, set: boolean) => Value,
  stat: readonly bigint[],
  info: Readonly<Record<string, (c: Ctx, ad: bigint) => Value>>,
): number {
  const k = U32(cmd) & ~IPC_64;
  if (c.entering) {
    if (k === IPC_SET) {
      c.push(ad === 0n ? NULL : ds(c, ad, true));
      return RVAL_DECODED;
    }
    if (k === IPC_STAT || stat.includes(k) || info[String(k)]) return 0;
    c.push(addr(ad));
    return RVAL_DECODED;
  }
  if (ad === 0n) c.push(NULL);
  else if (info[String(k)]) c.push(info[String(k)](c, ad));
  else c.push(ds(c, ad, false));
  return 0;
}

function msgbufValue(c: Ctx, ad: bigint, size: bigint): Value {
  if (ad === 0n) return NULL;
  const h = c.fetch(ad, 8);
  if (!h) return addr(ad);
  return struct([field('mtype', num(h.readBigInt64LE(0))), field('mtext', c.buf(ad + 8n, size))]);
}

function sembufArray(c: Ctx, ad: bigint, n: bigint): Value {
  return c.array(ad, n, 6, (b) =>
    struct([
      field('sem_num', num(b.readUInt16LE(0))),
      field('sem_op', num(b.readInt16LE(2))),
      field('sem_flg', c.flags(BigInt(b.readUInt16LE(4)), ipc_semop_flags)),
    ]),
  );
}

/** timespec with tv_nsec unsigned, as strace prints semtimedop's timeout. */
function timeoutValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 16);
  if (!b) return addr(ad);
  return struct([field('tv_sec', num(b.readBigInt64LE(0))), field('tv_nsec', num(b.readBigUInt64LE(8)))]);
}

export const ipcDecoders: Record<string, Decoder> = {
  msgget: (c) => {
    c.push(keyValue(c, c.a[0]), resourceFlags(c, c.a[1], ipc_resource_flags, false));
    return RVAL_DECODED;
  },
  semget: (c) => {
    c.push(keyValue(c, c.a[0]), c.int(1), resourceFlags(c, c.a[2], ipc_resource_flags, false));
    return RVAL_DECODED;
  },
  shmget: (c) => {
    c.push(keyValue(c, c.a[0]), c.ulong(1), resourceFlags(c, c.a[2], ipc_shm_resource_flags, true));
    return RVAL_DECODED;
  },
  msgctl: (c) => {
    if (c.entering) c.push(c.int(0), ctlCmd(c, c.a[1], ipc_msgctl_cmds, 'MSG_???'));
    return ctlBuffer(c, c.a[2], c.a[1], msqidValue, [11n, 13n], { 3: msginfoValue, 12: msginfoValue });
  },
  semctl: (c) => {
    if (c.entering) c.push(c.int(0), c.int(1), ctlCmd(c, c.a[2], ipc_semctl_cmds, 'SEM_???'));
    const k = U32(c.a[2]) & ~IPC_64;
    // The fourth argument is a union semun; only the struct commands have a pointer in it.
    if (k !== IPC_RMID && k !== IPC_SET && k !== IPC_STAT && k !== IPC_INFO && k !== 18n && k !== 19n && k !== 20n) {
      c.push(k === 16n ? c.int(3) : sym(hexStr(c.a[3])));
      return RVAL_DECODED;
    }
    return ctlBuffer(c, c.a[3], c.a[2], semidValue, [18n, 20n], { 3: seminfoValue, 19: seminfoValue });
  },
  shmctl: (c) => {
    if (c.entering) c.push(c.int(0), ctlCmd(c, c.a[1], ipc_shmctl_cmds, 'SHM_???'));
    return ctlBuffer(c, c.a[2], c.a[1], shmidValue, [13n, 15n], { 3: shminfoValue, 14: shmInfoValue });
  },
  msgsnd: (c) => {
    c.push(c.int(0), msgbufValue(c, c.a[1], c.a[2]), c.ulong(2), c.flags(U32(c.a[3]), ipc_msg_flags, 'MSG_???'));
    return RVAL_DECODED;
  },
  msgrcv: (c) => {
    if (c.entering) {
      c.push(c.int(0));
      return 0;
    }
    c.push(
      c.failed ? addr(c.a[1]) : msgbufValue(c, c.a[1], c.rval),
      c.ulong(2),
      num(I64(c.a[3])),
      c.flags(U32(c.a[4]), ipc_msg_flags, 'MSG_???'),
    );
    return 0;
  },
  semop: (c) => {
    c.push(c.int(0), sembufArray(c, c.a[1], U32(c.a[2])), c.uint(2));
    return RVAL_DECODED;
  },
  semtimedop: (c) => {
    c.push(c.int(0), sembufArray(c, c.a[1], U32(c.a[2])), c.uint(2), timeoutValue(c, c.a[3]));
    return RVAL_DECODED;
  },
  shmat: (c) => {
    c.push(c.int(0), c.ptr(1), c.flags(U32(c.a[2]), ipc_shmat_flags, 'SHM_???'));
    return RVAL_DECODED | RV.HEX;
  },
  shmdt: (c) => {
    c.push(c.ptr(0));
    return RVAL_DECODED;
  },
};
