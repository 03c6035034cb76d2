/**
 * Processes and threads: clone/clone3/fork/vfork/execve/execveat, wait4/waitid, exit/exit_group,
 * set_tid_address, robust lists, rseq, rlimits/rusage, credentials (id calls),
 * process groups, priorities, sched_* and uname/getrandom-adjacent process info
 * (strace clone.c, execve.c, wait.c, resource.c, uid.c, sched.c, affinity.c).
 */
import { Ctx, I32, RV, RVAL_DECODED, U32, flagsStr, type Decoder } from '../printer.js';
import { readExact } from '../memory.js';
import { signalText } from '../siginfo.js';
import { NULL, addr, arr, cmt, field, hexStr, kv, num, struct, sym, type Field, type Value } from '../value.js';
import {
  at_flags as at_flags_exec,
  cap,
  clone3_flags,
  clone_flags,
  priorities,
  resources,
  rseq_flags,
  schedulers,
  usage_who,
  wait4_options,
  waitid_types,
} from '../xlat/tables.gen.js';
import { timevalValue } from '../printer.js';
import { siginfoAt } from './signal.js';
import { uidValue } from './file.js';
import { cpusetValue, extTail } from './common.js';

// ---- clone -------------------------------------------------------------------------------

const CSIGNAL = 0xffn;
const CLONE_PIDFD = 0x1000n;
const CLONE_SETTLS = 0x80000n;
const CLONE_PARENT_SETTID = 0x100000n;
const CLONE_CHILD_CLEARTID = 0x200000n;
const CLONE_CHILD_SETTID = 0x1000000n;
const CLONE_INTO_CGROUP = 0x200000000n;

function cloneFlagsStr(c: Ctx, flags: bigint): string {
  const sig = flags & CSIGNAL;
  const f = flags & ~CSIGNAL;
  if (c.o.xlat === 'raw') return hexStr(flags);
  if (f) {
    const s = flagsStr(f, clone_flags, 'CLONE_???');
    return sig ? `${s}|${signalText(Number(sig))}` : s;
  }
  return sig ? signalText(Number(sig)) : hexStr(f);
}

/** int * holding a new file descriptor (CLONE_PIDFD): [fd], with its -y path. */
function fdPtr(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 4);
  return b ? arr([c.fd(BigInt(b.readInt32LE(0)))]) : addr(ad);
}

const clone: Decoder = (c) => {
  const flags = c.a[0];
  const f = flags & ~CSIGNAL;
  if (c.entering) {
    c.push(kv('child_stack', c.ptr(1)), kv('flags', sym(cloneFlagsStr(c, flags))));
    if ((f & (CLONE_PARENT_SETTID | CLONE_PIDFD | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_SETTLS)) === 0n) return RVAL_DECODED;
    c.noTrailingSep = true;
    return 0;
  }
  if (f & (CLONE_PARENT_SETTID | CLONE_PIDFD)) {
    c.push(kv('parent_tid', f & CLONE_PARENT_SETTID ? c.uintPtr(c.a[2]) : fdPtr(c, c.a[2])));
  }
  if (f & CLONE_SETTLS) c.push(kv('tls', c.ptr(4)));
  if (f & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) c.push(kv('child_tidptr', c.ptr(3)));
  return 0;
};

/** struct clone_args of clone3: 64 bytes in its first version, 88 with set_tid and cgroup. */
const CLONE_ARGS_V0 = 64;
const CLONE_ARGS_SIZE = 88;
/** The kernel's MAX_PID_NS_LEVEL: longer set_tid arrays are refused, so strace shows the address. */
const MAX_SET_TID = 32n;

const clone3: Decoder = (c) => {
  const size = c.a[1];
  if (c.entering) {
    const b = size >= BigInt(CLONE_ARGS_V0) ? c.fetch(c.a[0], Number(size < 88n ? size : 88n)) : undefined;
    if (!b) {
      c.push(c.ptr(0), c.ulong(1));
      return RVAL_DECODED;
    }
    const flags = b.readBigUInt64LE(0);
    const u64 = (o: number): bigint => (o + 8 <= b.length ? b.readBigUInt64LE(o) : 0n);
    const p = (o: number): Value => (u64(o) === 0n ? NULL : sym(hexStr(u64(o))));
    const fl: Field[] = [field('flags', c.o.xlat === 'raw' ? sym(hexStr(flags)) : c.flags(flags, clone3_flags, 'CLONE_???'))];
    if (flags & CLONE_PIDFD) fl.push(field('pidfd', p(8)));
    if (flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) fl.push(field('child_tid', p(16)));
    if (flags & CLONE_PARENT_SETTID) fl.push(field('parent_tid', p(24)));
    const es = u64(32);
    fl.push(field('exit_signal', es === 0n ? num(0) : es < 65n ? c.signo(es) : num(es)));
    fl.push(field('stack', p(40)), field('stack_size', sym(hexStr(u64(48)))));
    if (flags & CLONE_SETTLS) fl.push(field('tls', p(56)));
    const setTid = u64(64);
    const setTidSize = u64(72);
    if (b.length >= 80 && (setTid || setTidSize)) {
      const tids = setTidSize && setTidSize <= MAX_SET_TID ? c.array(setTid, setTidSize, 4, (e) => num(e.readInt32LE(0))) : addr(setTid);
      fl.push(field('set_tid', tids), field('set_tid_size', num(setTidSize)));
    }
    if (b.length > 80 && (u64(80) || flags & CLONE_INTO_CGROUP)) fl.push(field('cgroup', num(u64(80))));
    const tail = extTail(c, c.a[0], CLONE_ARGS_SIZE, size);
    if (tail) fl.push(tail);
    c.push(struct(fl));
    c.priv = flags;
    c.noTrailingSep = true;
    return 0;
  }
  const flags = c.priv as bigint;
  if (!c.failed) {
    // What the kernel wrote back: the pidfd and parent tid, and the tail again.
    const b = flags & (CLONE_PARENT_SETTID | CLONE_PIDFD) ? c.fetch(c.a[0], 32) : undefined;
    const out: Field[] = [];
    if (b && flags & CLONE_PIDFD) out.push(field('pidfd', fdPtr(c, b.readBigUInt64LE(8))));
    if (b && flags & CLONE_PARENT_SETTID) out.push(field('parent_tid', c.intPtr(b.readBigUInt64LE(24))));
    const tail = extTail(c, c.a[0], CLONE_ARGS_SIZE, size);
    if (tail) out.push(tail);
    if (out.length) c.changeLast(struct(out));
  }
  c.push(c.ulong(1));
  return 0;
};

// ---- execve ------------------------------------------------------------------------------

/** Cap on pointers walked in argv/envp: the kernel's own limits are far lower in practice. */
const MAX_ARGV_WALK = 1 << 18;
const WALK_CHUNK = 512;

/** Walks a NULL-terminated pointer array: the pointers read, whether it ended, whether reading failed. */
function walkPtrs(c: Ctx, ad: bigint, max: number): { ptrs: bigint[]; terminated: boolean; failedAt?: bigint } {
  const ptrs: bigint[] = [];
  let cur = ad;
  while (ptrs.length < max) {
    const n = Math.min(WALK_CHUNK, max - ptrs.length);
    const b = readExact(c.mem, cur, n * 8) ?? readExact(c.mem, cur, 8);
    if (!b) return { ptrs, terminated: false, failedAt: cur };
    for (let i = 0; i + 8 <= b.length; i += 8) {
      const p = b.readBigUInt64LE(i);
      if (p === 0n) return { ptrs, terminated: true };
      ptrs.push(p);
      if (ptrs.length >= max) return { ptrs, terminated: false };
    }
    cur += BigInt(b.length);
  }
  return { ptrs, terminated: false };
}

/** argv: ["ls", "-l"] with -s limits on count and length (strace printargv). */
export function argvValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const limit = c.abbrev ? c.o.strsize : 4096;
  const w = walkPtrs(c, ad, limit + 1);
  if (w.ptrs.length === 0 && w.failedAt !== undefined) return addr(ad);
  const items = w.ptrs.slice(0, limit).map((p) => c.cstr(p));
  if (w.ptrs.length > limit) return { t: 'arr', a: items, more: true };
  if (w.failedAt !== undefined) return { t: 'arr', a: items, moreAt: w.failedAt };
  return arr(items);
}

/** envp in abbreviated mode: 0x7ffd… /* 35 vars *\/ (strace printargc). */
function envCountValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const w = walkPtrs(c, ad, MAX_ARGV_WALK);
  if (w.ptrs.length === 0 && w.failedAt !== undefined) return addr(ad);
  const n = w.ptrs.length;
  return cmt(addr(ad), `${n} var${n === 1 ? '' : 's'}${w.failedAt !== undefined ? ', unterminated' : ''}`);
}

const envValue = (c: Ctx, ad: bigint): Value => (c.abbrev ? envCountValue(c, ad) : argvValue(c, ad));

// ---- wait --------------------------------------------------------------------------------

/** Wait status: [{WIFEXITED(s) && WEXITSTATUS(s) == 0}] (strace printstatus). */
export function waitStatusText(st: number): string {
  const sig = st & 0x7f;
  let s: string;
  if ((st & 0xff) === 0x7f) {
    s = `WIFSTOPPED(s) && WSTOPSIG(s) == ${signalText((st >> 8) & 0xff)}`;
  } else if (st === 0xffff) {
    s = 'WIFCONTINUED(s)';
  } else if (sig === 0) {
    s = `WIFEXITED(s) && WEXITSTATUS(s) == ${(st >> 8) & 0xff}`;
  } else {
    s = `WIFSIGNALED(s) && WTERMSIG(s) == ${signalText(sig)}${st & 0x80 ? ' && WCOREDUMP(s)' : ''}`;
  }
  // PTRACE_EVENT stops carry the event in bits 16..23.
  const ev = (st >>> 16) & 0xff;
  if ((st & 0xff) === 0x7f && ev) s += ` && (s >> 16) == ${ev}`;
  return `{${s}}`;
}

function statusPtr(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 4);
  return b ? arr([sym(waitStatusText(b.readInt32LE(0)))]) : addr(ad);
}

function rusageValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 144);
  if (!b) return addr(ad);
  const f: Field[] = [field('ru_utime', timevalValue(b, 0)), field('ru_stime', timevalValue(b, 16))];
  if (c.abbrev) return struct(f, true);
  const names = ['ru_maxrss', 'ru_ixrss', 'ru_idrss', 'ru_isrss', 'ru_minflt', 'ru_majflt', 'ru_nswap', 'ru_inblock', 'ru_oublock', 'ru_msgsnd', 'ru_msgrcv', 'ru_nsignals', 'ru_nvcsw', 'ru_nivcsw'];
  names.forEach((n, i) => f.push(field(n, num(b.readBigUInt64LE(32 + i * 8)))));
  return struct(f);
}

const wait4: Decoder = (c) => {
  if (c.entering) {
    // A process, or minus a process group (-1: any child, 0: our group: plain numbers).
    const pid = I32(c.a[0]);
    c.push(pid > 0n || pid < -1n ? c.pidOrPgrp(c.a[0]) : c.int(0));
    return 0;
  }
  c.push(c.rval === 0n ? c.ptr(1) : statusPtr(c, c.a[1]), c.flags(U32(c.a[2]), wait4_options, 'W???'));
  c.push(c.rval > 0n ? rusageValue(c, c.a[3]) : c.ptr(3));
  return 0;
};

const waitid: Decoder = (c) => {
  if (c.entering) {
    // The id is a process (P_PID), a process group (P_PGID) or a pidfd (P_PIDFD).
    const type = U32(c.a[0]);
    const id = type === 1n ? c.pidv(c.a[1]) : type === 2n ? c.pidv(c.a[1], 'pgid') : type === 3n ? c.fd(c.a[1]) : c.int(1);
    c.push(c.xval(type, waitid_types, 'P_???', 'd'), id);
    return 0;
  }
  c.push(siginfoAt(c, c.a[2]), c.flags(U32(c.a[3]), wait4_options, 'W???'), rusageValue(c, c.a[4]));
  return 0;
};

// ---- rlimits -----------------------------------------------------------------------------

function rlimText(c: Ctx, v: bigint): string {
  if (v === 0xffffffffffffffffn) {
    const n = v.toString();
    return c.o.xlat === 'raw' ? n : c.o.xlat === 'verbose' ? `${n} /* RLIM64_INFINITY */` : 'RLIM64_INFINITY';
  }
  if (v > 1024n && v % 1024n === 0n) {
    const k = `${v / 1024n}*1024`;
    return c.o.xlat === 'raw' ? v.toString() : c.o.xlat === 'verbose' ? `${v} /* ${k} */` : k;
  }
  return v.toString();
}

function rlimitValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 16);
  if (!b) return addr(ad);
  return struct([field('rlim_cur', sym(rlimText(c, b.readBigUInt64LE(0)))), field('rlim_max', sym(rlimText(c, b.readBigUInt64LE(8))))]);
}

const resource = (c: Ctx, i: number): Value => c.xval(U32(c.a[i]), resources, 'RLIMIT_???');

// ---- ids, groups, scheduling -------------------------------------------------------------

const entry =
  (...fmt: ((c: Ctx) => Value)[]): Decoder =>
  (c) => {
    for (const f of fmt) c.push(f(c));
    return RVAL_DECODED;
  };
const UID = (i: number) => (c: Ctx) => uidValue(c.a[i]);
const INT = (i: number) => (c: Ctx) => c.int(i);
/** Process and thread ids (--pidns-translation annotates them). */
const PID = (i: number) => (c: Ctx) => c.pidv(c.a[i]!);
const TID = (i: number) => (c: Ctx) => c.pidv(c.a[i]!, 'tid');
/** getpriority/setpriority's who: a process, a process group or a user, by which. */
const PRIO_WHO = (c: Ctx): Value => {
  const which = U32(c.a[0]);
  return which === 0n ? c.pidv(c.a[1]) : which === 1n ? c.pidv(c.a[1], 'pgid') : c.int(1);
};

function idPtr(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 4);
  return b ? arr([uidValue(BigInt(b.readUInt32LE(0)))]) : addr(ad);
}

const NGROUPS_MAX = 65536n;

function gidList(c: Ctx, ad: bigint, n: bigint): Value {
  return c.array(ad, n, 4, (b) => uidValue(BigInt(b.readUInt32LE(0))));
}

function schedParam(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 4);
  return b ? arr([num(b.readInt32LE(0))]) : addr(ad);
}

const noArgs: Decoder = () => RVAL_DECODED;

const CAP_VERSIONS: Record<number, string> = {
  0x19980330: '_LINUX_CAPABILITY_VERSION_1',
  0x20071026: '_LINUX_CAPABILITY_VERSION_2',
  0x20080522: '_LINUX_CAPABILITY_VERSION_3',
};

function capHeader(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const b = c.fetchAlways(ad, 8);
  if (!b) return addr(ad);
  const v = b.readUInt32LE(0);
  return struct([field('version', sym(CAP_VERSIONS[v] ?? `${hexStr(BigInt(v))} /* _LINUX_CAPABILITY_VERSION_??? */`)), field('pid', num(b.readInt32LE(4)))]);
}

/** 1<<CAP_CHOWN|1<<CAP_KILL... over the 64-bit capability set (strace print_cap_bits). */
function capBits(lo: number, hi: number): string {
  const parts: string[] = [];
  const v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  let rest = v;
  for (let i = 0n; i < 64n; i++) {
    if (!(v & (1n << i))) continue;
    const n = cap.lookup(i);
    if (n) {
      parts.push(`1<<${n}`);
      rest &= ~(1n << i);
    }
  }
  if (rest) parts.push(hexStr(rest));
  return parts.length ? parts.join('|') : '0';
}

function capData(c: Ctx, hdr: bigint, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const h = c.fetchAlways(hdr, 4);
  // Without the header the kernel reads no data, and its layout is unknown.
  if (!h) return addr(ad);
  const v3 = h.readUInt32LE(0) !== 0x19980330;
  const b = c.fetch(ad, v3 ? 24 : 12);
  if (!b) return addr(ad);
  const w = (i: number, k: number): number => b.readUInt32LE(i * 12 + k * 4);
  return struct([
    field('effective', sym(capBits(w(0, 0), v3 ? w(1, 0) : 0))),
    field('permitted', sym(capBits(w(0, 1), v3 ? w(1, 1) : 0))),
    field('inheritable', sym(capBits(w(0, 2), v3 ? w(1, 2) : 0))),
  ]);
}

export const processDecoders: Record<string, Decoder> = {
  clone,
  clone3,
  fork: noArgs,
  vfork: noArgs,
  execve: (c) => {
    if (c.o.notVerbose) c.push(c.path(c.a[0]), c.ptr(1), c.ptr(2));
    else c.push(c.path(c.a[0]), argvValue(c, c.a[1]), envValue(c, c.a[2]));
    return RVAL_DECODED;
  },
  execveat: (c) => {
    const notVerbose = c.o.notVerbose;
    c.push(c.dirfd(c.a[0]), c.path(c.a[1]), notVerbose ? c.ptr(2) : argvValue(c, c.a[2]), notVerbose ? c.ptr(3) : envValue(c, c.a[3]), c.flags(U32(c.a[4]), at_flags_exec, 'AT_???'));
    return RVAL_DECODED;
  },
  wait4,
  waitid,
  exit: (c) => {
    c.push(c.int(0));
    // "= ?" is printed when the thread dies in the call; only an injected result returns.
    return RVAL_DECODED;
  },
  exit_group: (c) => {
    c.push(c.int(0));
    return RVAL_DECODED;
  },
  set_tid_address: (c) => {
    c.push(c.ptr(0));
    return RVAL_DECODED;
  },
  set_robust_list: (c) => {
    c.push(c.ptr(0), c.ulong(1));
    return RVAL_DECODED;
  },
  get_robust_list: (c) => {
    if (c.entering) {
      c.push(c.pidv(c.a[0], 'tid'));
      return 0;
    }
    const hb = c.fetch(c.a[1], 8);
    const lb = c.fetch(c.a[2], 8);
    c.push(hb ? arr([sym(hexStr(hb.readBigUInt64LE(0)))]) : c.ptr(1), lb ? arr([num(lb.readBigUInt64LE(0))]) : c.ptr(2));
    return 0;
  },
  rseq: (c) => {
    c.push(c.ptr(0), sym(hexStr(U32(c.a[1]))), c.flags(U32(c.a[2]), rseq_flags, 'RSEQ_FLAG_???'), sym(hexStr(U32(c.a[3]))));
    return RVAL_DECODED;
  },
  prlimit64: (c) => {
    if (c.entering) {
      c.push(c.pidv(c.a[0]), resource(c, 1), rlimitValue(c, c.a[2]));
      return 0;
    }
    c.push(rlimitValue(c, c.a[3]));
    return 0;
  },
  getrlimit: (c) => {
    if (c.entering) {
      c.push(resource(c, 0));
      return 0;
    }
    c.push(rlimitValue(c, c.a[1]));
    return 0;
  },
  setrlimit: (c) => {
    c.push(resource(c, 0), rlimitValue(c, c.a[1]));
    return RVAL_DECODED;
  },
  getrusage: (c) => {
    if (c.entering) {
      c.push(c.xval(BigInt(Number(I32(c.a[0]))), usage_who, 'RUSAGE_???', 'd'));
      return 0;
    }
    c.push(rusageValue(c, c.a[1]));
    return 0;
  },
  getpriority: entry((c) => c.xval(U32(c.a[0]), priorities, 'PRIO_???', 'd'), PRIO_WHO),
  setpriority: entry((c) => c.xval(U32(c.a[0]), priorities, 'PRIO_???', 'd'), PRIO_WHO, INT(2)),
  // uid_t and gid_t are unsigned (linux/posix_types.h): an injected 0x8000000000000000 is
  // 9223372036854775808, not a negative number.
  getuid: () => RVAL_DECODED | RV.UDEC,
  geteuid: () => RVAL_DECODED | RV.UDEC,
  getgid: () => RVAL_DECODED | RV.UDEC,
  getegid: () => RVAL_DECODED | RV.UDEC,
  setuid: entry(UID(0)),
  setgid: entry(UID(0)),
  setfsuid: entry(UID(0)),
  setfsgid: entry(UID(0)),
  setreuid: entry(UID(0), UID(1)),
  setregid: entry(UID(0), UID(1)),
  setresuid: entry(UID(0), UID(1), UID(2)),
  setresgid: entry(UID(0), UID(1), UID(2)),
  getresuid: (c) => {
    if (c.entering) return 0;
    c.push(idPtr(c, c.a[0]), idPtr(c, c.a[1]), idPtr(c, c.a[2]));
    return 0;
  },
  getresgid: (c) => {
    if (c.entering) return 0;
    c.push(idPtr(c, c.a[0]), idPtr(c, c.a[1]), idPtr(c, c.a[2]));
    return 0;
  },
  getgroups: (c) => {
    if (c.entering) {
      c.push(c.int(0));
      return 0;
    }
    c.push(c.failed ? c.ptr(1) : gidList(c, c.a[1], c.rval));
    return 0;
  },
  setgroups: (c) => {
    const n = I32(c.a[0]);
    // Past NGROUPS_MAX the kernel refuses the list, and strace shows only where it is.
    c.push(c.int(0), n < 0n || n > NGROUPS_MAX ? c.ptr(1) : gidList(c, c.a[1], n));
    return RVAL_DECODED;
  },
  setpgid: entry(PID(0), (c) => c.pidv(c.a[1], 'pgid')),
  getpgid: entry(PID(0)),
  getsid: entry(PID(0)),
  sched_getaffinity: (c) => {
    if (c.entering) {
      c.push(c.pidv(c.a[0], 'tid'), c.uint(1));
      return 0;
    }
    c.push(c.failed ? c.ptr(2) : cpusetValue(c, c.a[2], c.rval));
    return 0;
  },
  sched_setaffinity: entry(TID(0), (c) => c.uint(1), (c) => cpusetValue(c, c.a[2], U32(c.a[1]))),
  sched_getscheduler: (c) => {
    if (c.entering) {
      c.push(c.pidv(c.a[0], 'tid'));
      c.noTrailingSep = true;
      return 0;
    }
    if (!c.failed) c.aux = schedulers.lookup(c.rval & ~0x40000000n);
    return 0;
  },
  sched_setscheduler: entry(TID(0), (c) => c.xval(U32(c.a[1]), schedulers, 'SCHED_???'), (c) => schedParam(c, c.a[2])),
  sched_getparam: (c) => {
    if (c.entering) {
      c.push(c.pidv(c.a[0], 'tid'));
      return 0;
    }
    c.push(schedParam(c, c.a[1]));
    return 0;
  },
  sched_setparam: entry(TID(0), (c) => schedParam(c, c.a[1])),
  sched_get_priority_max: entry((c) => c.xval(U32(c.a[0]), schedulers, 'SCHED_???', 'd')),
  sched_get_priority_min: entry((c) => c.xval(U32(c.a[0]), schedulers, 'SCHED_???', 'd')),
  sched_rr_get_interval: (c) => {
    if (c.entering) {
      c.push(c.int(0));
      return 0;
    }
    c.push(c.timespec(c.a[1]));
    return 0;
  },
  sched_yield: noArgs,
  capget: (c) => {
    if (c.o.notVerbose) {
      c.push(c.entering ? c.ptr(0) : c.ptr(1));
      return 0;
    }
    if (c.entering) {
      c.push(capHeader(c, c.a[0]));
      return 0;
    }
    c.push(capData(c, c.a[0], c.a[1]));
    return 0;
  },
  capset: (c) => {
    if (c.o.notVerbose) c.push(c.ptr(0), c.ptr(1));
    else c.push(capHeader(c, c.a[0]), capData(c, c.a[0], c.a[1]));
    return RVAL_DECODED;
  },
};
