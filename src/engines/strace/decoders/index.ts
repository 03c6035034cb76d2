/**
 * All decoders, keyed by kernel syscall name (the name the generated syscall table uses).
 * Syscalls without an entry print their arguments raw, as strace's printargs.
 */
import type { Decoder } from '../printer.js';
import { adminDecoders } from './admin.js';
import { descDecoders } from './desc.js';
import { fdopsDecoders } from './fdops.js';
import { fileDecoders } from './file.js';
import { ipcDecoders } from './ipc.js';
import { sysmiscDecoders } from './sysmisc.js';
import { procmemDecoders } from './procmem.js';
import { timersDecoders } from './timers.js';
import { landlockDecoders } from './landlock.js';
import { keysDecoders } from './keys.js';
import { schedAttrDecoders } from './sched-attr.js';
import { kexecDecoders } from './kexec.js';
import { futexvDecoders } from './futexv.js';
import { aioDecoders } from './aio.js';
import { quotaDecoders } from './quota.js';
import { ioUringDecoders } from './io_uring.js';
import { mmsgDecoders } from './mmsg.js';
import { bpfDecoders } from './bpf.js';
import { perfDecoders } from './perf.js';
import { memDecoders } from './mem.js';
import { mountDecoders } from './mount.js';
import { miscDecoders } from './misc.js';
import { netDecoders } from './net.js';
import { sockoptDecoders } from './sockopt.js';
import { numaDecoders } from './numa.js';
import { prctlDecoders } from './prctl.js';
import { processDecoders } from './process.js';
import { ptraceDecoders } from './ptrace.js';
import { seccompDecoders } from './seccomp.js';
import { signalDecoders } from './signal.js';
import { timeDecoders } from './time.js';

export const DECODER_FAMILIES: Readonly<Record<string, Readonly<Record<string, Decoder>>>> = {
  file: fileDecoders,
  desc: descDecoders,
  mem: memDecoders,
  mount: mountDecoders,
  process: processDecoders,
  prctl: prctlDecoders,
  seccomp: seccompDecoders,
  ptrace: ptraceDecoders,
  signal: signalDecoders,
  net: netDecoders,
  sockopt: sockoptDecoders,
  time: timeDecoders,
  misc: miscDecoders,
  admin: adminDecoders,
  fdops: fdopsDecoders,
  numa: numaDecoders,
  ipc: ipcDecoders,
  sysmisc: sysmiscDecoders,
  procmem: procmemDecoders,
  timers: timersDecoders,
  landlock: landlockDecoders,
  keys: keysDecoders,
  schedAttr: schedAttrDecoders,
  kexec: kexecDecoders,
  futexv: futexvDecoders,
  aio: aioDecoders,
  quota: quotaDecoders,
  ioUring: ioUringDecoders,
  mmsg: mmsgDecoders,
  bpf: bpfDecoders,
  perf: perfDecoders,
};

function merge(): Record<string, Decoder> {
  const all: Record<string, Decoder> = Object.create(null) as Record<string, Decoder>;
  for (const [family, rec] of Object.entries(DECODER_FAMILIES)) {
    for (const [name, d] of Object.entries(rec)) {
      // One decoder per syscall: a duplicate is a bug in the family files.
      if (all[name]) throw new Error(`strace: decoder for ${name} defined twice (${family})`);
      all[name] = d;
    }
  }
  return all;
}

export const DECODERS: Readonly<Record<string, Decoder>> = merge();
