/**
 * `qGetTLSAddr:THREAD,OFFSET,LM`: where a thread's copy of a thread-local variable is, for
 * x86_64 glibc, computed the way glibc's libthread_db does it (td_thr_tls_get_addr and
 * td_thr_tlsbase) without loading libthread_db:
 * - the thread pointer is the thread's fs base; its TCB (struct pthread) holds the DTV pointer;
 * - the module id is link_map.l_tls_modid of LM (the link_map gdb names; 0 for a static
 *   program, whose only TLS module is 1);
 * - the block is DTV[modid].pointer.val when the DTV has that entry allocated, otherwise, for a
 *   module in the static TLS area, thread pointer - l_tls_offset; otherwise the thread has not
 *   allocated it yet (libthread_db's TD_TLSDEFER).
 * The offsets of l_tls_modid, l_tls_offset, the DTV pointer and the DTV entry size are not
 * guessed: they come from the descriptors glibc exports for libthread_db (`_thread_db_*`
 * symbols, {bits, count, offset} triples in libc.so.6, libpthread.so.0 before glibc 2.34, or
 * a static program's symbol table), read from the object's file.
 */
import * as fs from 'node:fs';
import { readElfSymbols } from './elfSymbols.js';
import type { ThreadState } from './model.js';
import { linkMapChain } from './svr4.js';

/** libthread_db's error numbers (thread_db.h), which gdbserver sends as Exx. */
export const TD_ERR = 1;
export const TD_TLSDEFER = 21;
export const TD_NOTLS = 23;

export class TlsError extends Error {
  constructor(readonly td: number, msg: string) {
    super(msg);
  }
}

interface Field {
  offset: number;
  bytes: number;
}

/** What the descriptors say, for one glibc. */
export interface TlsLayout {
  modid: Field;
  tlsOffset: Field | undefined;
  /** struct pthread's DTV pointer (x86_64 tcbhead_t.dtv: 8). */
  dtvp: Field;
  /** Size of one DTV entry (dtv_t: 16). */
  dtvEntry: number;
}

const NAMES = {
  modid: '_thread_db_link_map_l_tls_modid',
  tlsOffset: '_thread_db_link_map_l_tls_offset',
  dtvp: '_thread_db_pthread_dtvp',
  dtv: '_thread_db_dtv_dtv',
} as const;

/** The x86_64 ABI's values where a static program's symbols do not say (stripped). */
const DEFAULT_DTVP: Field = { offset: 8, bytes: 8 };
const DEFAULT_DTV_ENTRY = 16;
/** glibc's TLS_DTV_UNALLOCATED is (void *) -1: an odd pointer means "not allocated". */
const UNALLOCATED_BIT = 1n;
/** l_tls_offset values that are not a place in the static TLS area. */
const NO_TLS_OFFSET = 0n;
const FORCED_DYNAMIC_TLS_OFFSET = -1n;

/** By file identity: the layout its descriptors give, or null when it has none. */
const fileCache = new Map<string, TlsLayout | null>();

function layoutFromFile(path: string): TlsLayout | null {
  let key: string;
  try {
    const st = fs.statSync(path);
    if (!st.isFile()) return null;
    key = `${st.dev}:${st.ino}:${st.mtimeMs}:${st.size}`;
  } catch {
    return null;
  }
  const cached = fileCache.get(key);
  if (cached !== undefined) return cached;
  const elf = readElfSymbols(path, Object.values(NAMES));
  const field = (name: string): { bits: number; count: number; offset: number } | undefined => {
    const v = elf?.symbols.get(name);
    const b = v === undefined ? undefined : elf!.read(v, 12);
    return b && b.length === 12 ? { bits: b.readUInt32LE(0), count: b.readUInt32LE(4), offset: b.readUInt32LE(8) } : undefined;
  };
  const asField = (d: { bits: number; offset: number } | undefined): Field | undefined =>
    d && (d.bits === 32 || d.bits === 64) ? { offset: d.offset, bytes: d.bits / 8 } : undefined;
  const modid = asField(field(NAMES.modid));
  let layout: TlsLayout | null = null;
  if (modid) {
    const dtv = field(NAMES.dtv);
    layout = {
      modid,
      tlsOffset: asField(field(NAMES.tlsOffset)),
      dtvp: asField(field(NAMES.dtvp)) ?? DEFAULT_DTVP,
      dtvEntry: dtv && dtv.bits % 8 === 0 && dtv.bits > 0 ? dtv.bits / 8 : DEFAULT_DTV_ENTRY,
    };
  }
  fileCache.set(key, layout);
  return layout;
}

/**
 * The layout for an inferior: from the first object of its link_map chain that carries the
 * descriptors (the C library is tried first), or from the program file itself (static).
 */
export function findTlsLayout(ts: ThreadState, rDebug: bigint): TlsLayout | undefined {
  const inf = ts.inf;
  if (inf.tls) return inf.tls;
  const exe = `/proc/${inf.pid}/exe`;
  const paths = linkMapChain(ts.task, rDebug).map((e) => (e.name === '' ? exe : e.name)).filter((p) => p.startsWith('/'));
  if (!paths.includes(exe)) paths.push(exe);
  const libc = /\/lib(c|pthread)[.-][^/]*$/;
  paths.sort((a, b) => Number(libc.test(b)) - Number(libc.test(a)));
  for (const p of paths) {
    const layout = layoutFromFile(p);
    if (layout) return (inf.tls = layout);
  }
  return undefined;
}

function readUint(ts: ThreadState, addr: bigint, bytes: number): bigint {
  let b: Buffer;
  try {
    b = ts.task.readMemory(addr, bytes);
  } catch (e) {
    throw new TlsError(TD_ERR, `cannot read 0x${addr.toString(16)}: ${(e as Error).message}`);
  }
  if (b.length !== bytes) throw new TlsError(TD_ERR, `cannot read 0x${addr.toString(16)}`);
  return bytes === 8 ? b.readBigUInt64LE(0) : BigInt(b.readUInt32LE(0));
}

/** The thread pointer (fs base) of a held thread. */
export function threadPointer(ts: ThreadState): bigint {
  return ts.task.regs().get('fs_base');
}

/** The address of OFFSET in LM's TLS block for a held thread (throws TlsError). */
export function tlsAddress(ts: ThreadState, offset: bigint, lm: bigint, layout: TlsLayout | undefined): bigint {
  const tp = threadPointer(ts);
  if (tp === 0n) throw new TlsError(TD_TLSDEFER, 'the thread pointer is not set yet');
  let modid = 1n;
  if (lm !== 0n) {
    if (!layout) throw new TlsError(TD_ERR, 'no glibc TLS descriptors found (_thread_db_link_map_l_tls_modid)');
    modid = readUint(ts, lm + BigInt(layout.modid.offset), layout.modid.bytes);
    if (modid < 1n) throw new TlsError(TD_NOTLS, 'the module has no TLS');
  }
  const dtvp = layout?.dtvp ?? DEFAULT_DTVP;
  const entry = BigInt(layout?.dtvEntry ?? DEFAULT_DTV_ENTRY);
  const dtv = readUint(ts, tp + BigInt(dtvp.offset), dtvp.bytes);
  // dtv[-1].counter is the number of entries the DTV has room for.
  const size = dtv === 0n ? 0n : readUint(ts, dtv - entry, 8);
  if (dtv !== 0n && modid <= size) {
    const val = readUint(ts, dtv + modid * entry, 8);
    if ((val & UNALLOCATED_BIT) === 0n && val !== 0n) return BigInt.asUintN(64, val + offset);
  }
  // Not in this thread's DTV (yet): a module in the static TLS area is at a fixed distance below the TCB.
  if (lm !== 0n && layout?.tlsOffset) {
    const raw = readUint(ts, lm + BigInt(layout.tlsOffset.offset), layout.tlsOffset.bytes);
    const tlsOffset = BigInt.asIntN(layout.tlsOffset.bytes * 8, raw);
    if (tlsOffset !== NO_TLS_OFFSET && tlsOffset !== FORCED_DYNAMIC_TLS_OFFSET) return BigInt.asUintN(64, tp - tlsOffset + offset);
  }
  throw new TlsError(TD_TLSDEFER, `module ${modid} has no TLS block in this thread yet`);
}
