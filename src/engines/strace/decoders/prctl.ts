/**
 * prctl and arch_prctl: every option prints only the arguments it takes (linux/prctl.h,
 * asm/prctl.h), with its constants and flag sets; options returning a value or flag set print it
 * as strace does (hex with the flag names after it).
 */
import { Ctx, I32, RVAL_DECODED, RV, U32, flagsStr, type Decoder, type XlatStyle } from '../printer.js';
import { readCString } from '../memory.js';
import { NULL, addr, arr, hexStr, num, str, sym, type Value } from '../value.js';
import {
  archvals,
  x86_xfeature_masks,
  x86_xfeatures,
  cap,
  cap_ambient,
  dumpable,
  pidtypes,
  pr_endian,
  pr_fp_exc,
  pr_fp_mode,
  pr_fpemu,
  pr_mce_kill,
  pr_mce_kill_policy,
  pr_mte_tcf,
  pr_pac_enabled_keys,
  pr_pac_keys,
  pr_sched_core_cmds,
  pr_set_mm,
  pr_set_vma,
  pr_sme_vl_flags,
  pr_spec_cmds,
  pr_spec_get_store_bypass_flags,
  pr_spec_set_store_bypass_flags,
  pr_sve_vl_flags,
  pr_sys_dispatch_ops,
  pr_timing,
  pr_tsc,
  pr_unalign_flags,
  prctl_options,
  seccomp_mode,
  secbits,
} from '../xlat/tables.gen.js';
import { seccompFilterValue } from './seccomp.js';

const PR = Object.fromEntries(prctl_options.entries.map(([v, n]) => [n, Number(v)])) as Record<string, number>;

/** Bits of the SVE/SME vector-length argument that hold the length (PR_SVE_VL_LEN_MASK). */
const VL_LEN_MASK = 0xffffn;
const PR_TAGGED_ADDR_ENABLE = 1n;
const PR_MTE_TCF_MASK = 6n;
const PR_MTE_TAG_SHIFT = 3n;
const PR_MTE_TAG_MASK = 0xffffn << PR_MTE_TAG_SHIFT;
const SECCOMP_MODE_FILTER = 2n;
const SECCOMP_MODE_STRICT = 1n;

/** SVE/SME vector length: flags|length (PR_SVE_SET_VL_ONEXEC|0xff). */
function vlStr(style: XlatStyle, v: bigint, flags: typeof pr_sve_vl_flags): string {
  if (style === 'raw') return hexStr(v);
  const len = v & VL_LEN_MASK;
  const f = v & ~VL_LEN_MASK;
  if (!f) return hexStr(len);
  const t = `${flagsStr(f, flags, undefined, 'abbrev')}|${hexStr(len)}`;
  return style === 'verbose' ? `${hexStr(v)} /* ${t} */` : t;
}

/** PR_SET_TAGGED_ADDR_CTRL's argument: [!]PR_TAGGED_ADDR_ENABLE|PR_MTE_TCF_*|N<<PR_MTE_TAG_SHIFT|rest. */
function taggedAddrText(v: bigint): string {
  let s = v & PR_TAGGED_ADDR_ENABLE ? 'PR_TAGGED_ADDR_ENABLE' : '!PR_TAGGED_ADDR_ENABLE';
  let rest = v & ~PR_TAGGED_ADDR_ENABLE;
  const tcf = rest & PR_MTE_TCF_MASK;
  s += `|${pr_mte_tcf.lookup(tcf) ?? hexStr(tcf)}`;
  rest &= ~PR_MTE_TCF_MASK;
  const tag = rest & PR_MTE_TAG_MASK;
  if (tag) s += `|${hexStr(tag >> PR_MTE_TAG_SHIFT)}<<PR_MTE_TAG_SHIFT`;
  rest &= ~PR_MTE_TAG_MASK;
  if (rest) s += `|${hexStr(rest)}`;
  return s;
}

function styled(c: Ctx, v: bigint, text: string): Value {
  if (c.o.xlat === 'raw') return sym(hexStr(v));
  return sym(c.o.xlat === 'verbose' ? `${hexStr(v)} /* ${text} */` : text);
}

/** int *: [value decoded by f], or the address. */
function intOut(c: Ctx, i: number, f: (v: bigint) => Value): Value {
  const ad = c.a[i];
  if (ad === 0n) return NULL;
  const b = c.fetch(ad, 4);
  return b ? arr([f(BigInt(b.readUInt32LE(0)))]) : addr(ad);
}

/** Flag names of a returned value, for the text after it; undefined when none apply. */
function flagsAux(c: Ctx, v: bigint, x: typeof pr_fp_mode): string | undefined {
  if (c.o.xlat === 'raw' || c.failed) return undefined;
  let known = 0n;
  for (const [val] of x.entries) known |= val;
  if (!(v & known)) return undefined;
  return flagsStr(v, x, undefined, 'abbrev');
}

/** TASK_COMM_LEN - 1 */
const COMM_MAX = 15;

/** The new thread name: at most 15 bytes, `...` when no NUL ends it within them. */
function commValue(c: Ctx, ad: bigint): Value {
  if (ad === 0n) return NULL;
  const r = readCString(c.mem, ad, Math.min(COMM_MAX, c.o.strsize));
  if (!r) return addr(ad);
  return str(r.bytes, !r.nul);
}

const hexArgs = (c: Ctx, from: number): void => {
  for (let i = from; i < 5; i++) c.push(c.x(i));
};

const prctlEntry = (c: Ctx, opt: number): number => {
  const a1 = c.a[1];
  switch (opt) {
    // No arguments.
    case PR.PR_GET_DUMPABLE:
    case PR.PR_GET_KEEPCAPS:
    case PR.PR_GET_SECCOMP:
    case PR.PR_GET_TIMERSLACK:
    case PR.PR_GET_TIMING:
    case PR.PR_TASK_PERF_EVENTS_DISABLE:
    case PR.PR_TASK_PERF_EVENTS_ENABLE:
    case PR.PR_GET_SECUREBITS:
    case PR.PR_GET_FP_MODE:
    case PR.PR_SVE_GET_VL:
    case PR.PR_SME_GET_VL:
      return 0;
    // All four arguments, which must be zero.
    case PR.PR_GET_NO_NEW_PRIVS:
    case PR.PR_GET_THP_DISABLE:
    case PR.PR_MCE_KILL_GET:
    case PR.PR_GET_IO_FLUSHER:
    case PR.PR_PAC_GET_ENABLED_KEYS:
    case PR.PR_GET_TAGGED_ADDR_CTRL:
      hexArgs(c, 1);
      return 0;
    // One output pointer, filled in at exit.
    case PR.PR_GET_CHILD_SUBREAPER:
    case PR.PR_GET_ENDIAN:
    case PR.PR_GET_FPEMU:
    case PR.PR_GET_FPEXC:
    case PR.PR_GET_NAME:
    case PR.PR_GET_PDEATHSIG:
    case PR.PR_GET_TID_ADDRESS:
    case PR.PR_GET_TSC:
    case PR.PR_GET_UNALIGN:
      return 0;
    case PR.PR_SET_NAME:
      c.push(commValue(c, a1));
      return RVAL_DECODED;
    case PR.PR_SET_PDEATHSIG:
      c.push(a1 > 64n ? num(a1) : c.signo(a1));
      return RVAL_DECODED;
    case PR.PR_SET_DUMPABLE:
      c.push(c.xval(a1, dumpable, 'SUID_DUMP_???'));
      return RVAL_DECODED;
    case PR.PR_SET_UNALIGN:
      c.push(c.flags(a1, pr_unalign_flags, 'PR_UNALIGN_???'));
      return RVAL_DECODED;
    case PR.PR_SET_FPEMU:
      c.push(c.flags(a1, pr_fpemu, 'PR_FPEMU_???'));
      return RVAL_DECODED;
    case PR.PR_SET_FPEXC:
      c.push(c.flags(a1, pr_fp_exc, 'PR_FP_EXC_???'));
      return RVAL_DECODED;
    case PR.PR_SET_TIMING:
      c.push(c.xval(a1, pr_timing, 'PR_TIMING_???'));
      return RVAL_DECODED;
    case PR.PR_SET_ENDIAN:
      c.push(c.xval(a1, pr_endian, 'PR_ENDIAN_???'));
      return RVAL_DECODED;
    case PR.PR_SET_TSC:
      c.push(c.xval(U32(a1), pr_tsc, 'PR_TSC_???'));
      return RVAL_DECODED;
    case PR.PR_SET_SECUREBITS:
      c.push(c.flags(a1, secbits, 'SECBIT_???'));
      return RVAL_DECODED;
    case PR.PR_SET_FP_MODE:
      c.push(c.flags(a1, pr_fp_mode, 'PR_FP_MODE_???'));
      return RVAL_DECODED;
    case PR.PR_SET_KEEPCAPS:
    case PR.PR_SET_CHILD_SUBREAPER:
    case PR.PR_SET_TIMERSLACK:
      c.push(c.ulong(1));
      return RVAL_DECODED;
    case PR.PR_SET_NO_NEW_PRIVS:
    case PR.PR_SET_THP_DISABLE:
    case PR.PR_SET_IO_FLUSHER:
      c.push(c.ulong(1));
      hexArgs(c, 2);
      return RVAL_DECODED;
    case PR.PR_CAPBSET_READ:
    case PR.PR_CAPBSET_DROP:
      c.push(c.xval(a1, cap, 'CAP_???'));
      return RVAL_DECODED;
    case PR.PR_CAP_AMBIENT:
      c.push(c.xval(a1, cap_ambient, 'PR_CAP_AMBIENT_???'));
      if (a1 === 1n || a1 === 2n || a1 === 3n) c.push(c.xval(c.a[2], cap, 'CAP_???'));
      else c.push(c.x(2));
      hexArgs(c, 3);
      return RVAL_DECODED;
    case PR.PR_SET_SECCOMP:
      c.push(c.xval(a1, seccomp_mode, 'SECCOMP_MODE_???'));
      if (a1 === SECCOMP_MODE_STRICT) return RVAL_DECODED;
      if (a1 === SECCOMP_MODE_FILTER) {
        c.push(seccompFilterValue(c, c.a[2]));
        return RVAL_DECODED;
      }
      hexArgs(c, 2);
      return RVAL_DECODED;
    case PR.PR_SET_PTRACER: {
      const v = I32(a1);
      if (v === -1n) c.push(styledNum(c, -1n, 'PR_SET_PTRACER_ANY'));
      else c.push(c.pidv(a1));
      return RVAL_DECODED;
    }
    case PR.PR_SET_MM:
      c.push(c.xval(U32(a1), pr_set_mm, 'PR_SET_MM_???'));
      hexArgs(c, 2);
      return RVAL_DECODED;
    case PR.PR_MCE_KILL:
      c.push(c.xval(a1, pr_mce_kill, 'PR_MCE_KILL_???'));
      if (a1 === 1n) c.push(c.xval(c.a[2], pr_mce_kill_policy, 'PR_MCE_KILL_???'));
      else c.push(c.x(2));
      hexArgs(c, 3);
      return RVAL_DECODED;
    case PR.PR_SVE_SET_VL:
      c.push(sym(vlStr(c.o.xlat, a1, pr_sve_vl_flags)));
      return RV.HEX;
    case PR.PR_SME_SET_VL:
      c.push(sym(vlStr(c.o.xlat, a1, pr_sme_vl_flags)));
      return RV.HEX;
    case PR.PR_GET_SPECULATION_CTRL:
      c.push(c.xval(a1, pr_spec_cmds, 'PR_SPEC_???'));
      return 0;
    case PR.PR_SET_SPECULATION_CTRL:
      c.push(c.xval(a1, pr_spec_cmds, 'PR_SPEC_???'));
      // The control is decoded only for a known speculation feature.
      c.push(pr_spec_cmds.lookup(a1) === undefined ? c.x(2) : c.xval(c.a[2], pr_spec_set_store_bypass_flags, 'PR_SPEC_???'));
      return RVAL_DECODED;
    case PR.PR_PAC_RESET_KEYS:
      c.push(c.flags(a1, pr_pac_keys, 'PR_PAC_???'));
      hexArgs(c, 2);
      return RVAL_DECODED;
    case PR.PR_PAC_SET_ENABLED_KEYS:
      c.push(c.flags(a1, pr_pac_enabled_keys, 'PR_PAC_???'), c.flags(c.a[2], pr_pac_enabled_keys, 'PR_PAC_???'));
      hexArgs(c, 3);
      return RVAL_DECODED;
    case PR.PR_SET_TAGGED_ADDR_CTRL:
      c.push(styled(c, a1, taggedAddrText(a1)));
      hexArgs(c, 2);
      return RVAL_DECODED;
    case PR.PR_SET_SYSCALL_USER_DISPATCH:
      c.push(c.xval(a1, pr_sys_dispatch_ops, 'PR_SYS_DISPATCH_???'));
      if (a1 === 1n) {
        c.push(c.x(2), c.ulong(3), c.ptr(4));
      } else {
        hexArgs(c, 2);
      }
      return RVAL_DECODED;
    case PR.PR_SCHED_CORE: {
      const cmd = U32(a1);
      c.push(c.xval(cmd, pr_sched_core_cmds, 'PR_SCHED_CORE_???'));
      const pt = U32(c.a[3]);
      c.push(c.pidv(c.a[2], pt === 0n ? 'tid' : pt === 1n ? 'tgid' : pt === 2n ? 'pgid' : 'sid'));
      const ptName = pidtypes.lookup(pt) ?? 'PIDTYPE_???';
      c.push(sym(c.o.xlat === 'raw' ? hexStr(pt) : `${hexStr(pt)} /* ${ptName} */`));
      if (cmd === 0n) {
        c.priv = 'sched_core_get';
        return 0;
      }
      c.push(c.ptr(4));
      return RVAL_DECODED;
    }
    case PR.PR_SET_VMA:
      c.push(c.xval(a1, pr_set_vma, 'PR_SET_VMA_???'));
      if (a1 === 0n) c.push(c.ptr(2), c.ulong(3), c.cstr(c.a[4]));
      else c.push(c.x(2), c.x(3), c.ptr(4));
      return RVAL_DECODED;
    default:
      hexArgs(c, 1);
      return RVAL_DECODED;
  }
};

/** A signed constant printed in decimal: -1 /* PR_SET_PTRACER_ANY *\/ with -X verbose. */
function styledNum(c: Ctx, v: bigint, name: string): Value {
  if (c.o.xlat === 'raw') return num(v);
  return sym(c.o.xlat === 'verbose' ? `${v} /* ${name} */` : name);
}

const prctlExit = (c: Ctx, opt: number): number => {
  const rv = c.rval;
  switch (opt) {
    case PR.PR_GET_NAME: {
      const b = c.failed ? undefined : c.fetch(c.a[1], 16);
      c.push(b ? c.bufz(b) : c.ptr(1));
      return 0;
    }
    case PR.PR_GET_PDEATHSIG:
      c.push(intOut(c, 1, (v) => c.signo(v)));
      return 0;
    case PR.PR_GET_CHILD_SUBREAPER:
    case PR.PR_GET_ENDIAN:
    case PR.PR_GET_FPEMU:
    case PR.PR_GET_FPEXC:
      c.push(c.failed ? c.ptr(1) : c.uintPtr(c.a[1]));
      return 0;
    case PR.PR_GET_UNALIGN:
      c.push(intOut(c, 1, (v) => c.flags(v, pr_unalign_flags, 'PR_UNALIGN_???')));
      return 0;
    case PR.PR_GET_TSC:
      c.push(intOut(c, 1, (v) => c.xval(v, pr_tsc, 'PR_TSC_???')));
      return 0;
    case PR.PR_GET_TID_ADDRESS: {
      const b = c.fetch(c.a[1], 8);
      c.push(b ? arr([sym(hexStr(b.readBigUInt64LE(0)))]) : c.ptr(1));
      return 0;
    }
    case PR.PR_GET_DUMPABLE:
      if (!c.failed && c.o.xlat !== 'raw') c.aux = dumpable.lookup(rv);
      return 0;
    case PR.PR_MCE_KILL_GET:
      if (!c.failed && c.o.xlat !== 'raw') c.aux = pr_mce_kill_policy.lookup(rv);
      return 0;
    case PR.PR_GET_SECUREBITS:
      c.aux = flagsAux(c, rv, secbits);
      return RV.HEX;
    case PR.PR_GET_FP_MODE:
      c.aux = flagsAux(c, rv, pr_fp_mode);
      return RV.HEX;
    case PR.PR_PAC_GET_ENABLED_KEYS:
      c.aux = flagsAux(c, rv, pr_pac_enabled_keys);
      return RV.HEX;
    case PR.PR_GET_SPECULATION_CTRL:
      // Only a known feature's state is decoded (and printed in hex).
      if (pr_spec_cmds.lookup(c.a[1]) === undefined) return RV.DEC;
      if (!c.failed && c.o.xlat !== 'raw') {
        c.aux = rv === 0n ? 'PR_SPEC_NOT_AFFECTED' : flagsAux(c, rv, pr_spec_get_store_bypass_flags);
      }
      return RV.HEX;
    case PR.PR_GET_TAGGED_ADDR_CTRL:
      if (!c.failed && c.o.xlat !== 'raw') c.aux = taggedAddrText(rv);
      return RV.HEX;
    case PR.PR_SVE_GET_VL:
    case PR.PR_SME_GET_VL:
    case PR.PR_SVE_SET_VL:
    case PR.PR_SME_SET_VL:
      if (!c.failed && c.o.xlat !== 'raw' && rv & ~VL_LEN_MASK) {
        const sve = opt === PR.PR_SVE_GET_VL || opt === PR.PR_SVE_SET_VL;
        c.aux = vlStr('abbrev', rv, sve ? pr_sve_vl_flags : pr_sme_vl_flags);
      }
      return RV.HEX;
    case PR.PR_SCHED_CORE:
      if (c.a[4] === 0n) c.push(NULL);
      else {
        const b = c.fetch(c.a[4], 8);
        c.push(b ? arr([sym(hexStr(b.readBigUInt64LE(0)))]) : c.ptr(4));
      }
      return 0;
  }
  return 0;
};

const prctl: Decoder = (c) => {
  const opt = Number(U32(c.a[0]));
  if (c.entering) {
    c.push(c.xval(BigInt(opt), prctl_options, 'PR_???'));
    // Options finished at exit may print nothing more there (a value in the return only).
    const r = prctlEntry(c, opt);
    if (!(r & RVAL_DECODED)) c.noTrailingSep = true;
    return r;
  }
  return prctlExit(c, opt);
};

// ---- arch_prctl --------------------------------------------------------------------------

const ARCH_GET_FS = 0x1003n;
const ARCH_GET_GS = 0x1004n;
const ARCH_GET_CPUID = 0x1011n;
const ARCH_GET_XCOMP_SUPP = 0x1021n;
const ARCH_GET_XCOMP_PERM = 0x1022n;
const ARCH_REQ_XCOMP_PERM = 0x1023n;
const ARCH_GET_XCOMP_GUEST_PERM = 0x1024n;
const ARCH_REQ_XCOMP_GUEST_PERM = 0x1025n;

/** Names of an XSAVE feature mask (XFEATURE_MASK_FP|...), XFEATURE_MASK_??? when none apply. */
function xfeatureNames(v: bigint): string {
  let known = 0n;
  for (const [m] of x86_xfeature_masks.entries) known |= m;
  return v & known ? flagsStr(v, x86_xfeature_masks, undefined, 'abbrev') : 'XFEATURE_MASK_???';
}

/** An XSAVE feature mask: the number, with its names in a comment unless -X raw. */
function xfeatureMaskText(c: Ctx, v: bigint): string {
  if (c.o.xlat === 'raw' || v === 0n) return hexStr(v);
  return `${hexStr(v)} /* ${xfeatureNames(v)} */`;
}

const archPrctl: Decoder = (c) => {
  const code = U32(c.a[0]);
  if (c.entering) {
    c.push(c.xval(code, archvals, 'ARCH_???'));
    switch (code) {
      case ARCH_GET_FS:
      case ARCH_GET_GS:
      case ARCH_GET_XCOMP_SUPP:
      case ARCH_GET_XCOMP_PERM:
      case ARCH_GET_XCOMP_GUEST_PERM:
        return 0;
      case ARCH_GET_CPUID:
        return RVAL_DECODED;
      case ARCH_REQ_XCOMP_PERM:
      case ARCH_REQ_XCOMP_GUEST_PERM: {
        const f = c.a[1];
        const n = x86_xfeatures.lookup(f) ?? 'XFEATURE_???';
        c.push(sym(c.o.xlat === 'raw' ? hexStr(f) : `${hexStr(f)} /* ${n} */`));
        c.noTrailingSep = true;
        return RV.HEX;
      }
    }
    c.push(c.x(1));
    return RVAL_DECODED;
  }
  if (code === ARCH_REQ_XCOMP_PERM || code === ARCH_REQ_XCOMP_GUEST_PERM) {
    // The permitted features come back in the return value.
    if (c.rval > 0n && c.o.xlat !== 'raw' && xfeatureNames(c.rval) !== 'XFEATURE_MASK_???') c.aux = xfeatureNames(c.rval);
    return RV.HEX;
  }
  if (code === ARCH_GET_FS || code === ARCH_GET_GS) {
    const b = c.fetch(c.a[1], 8);
    const v = b?.readBigUInt64LE(0);
    c.push(v === undefined ? c.ptr(1) : arr([v === 0n ? NULL : sym(hexStr(v))]));
    return 0;
  }
  const b = c.fetch(c.a[1], 8);
  c.push(b ? arr([sym(xfeatureMaskText(c, b.readBigUInt64LE(0)))]) : c.ptr(1));
  return 0;
};

export const prctlDecoders: Record<string, Decoder> = {
  prctl,
  arch_prctl: archPrctl,
};
