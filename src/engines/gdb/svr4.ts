/**
 * `qXfer:libraries-svr4:read`: the dynamic linker's list of loaded objects, read from the
 * tracee's memory the way gdbserver 13 does (gdbserver/linux-low.cc, qxfer_libraries_svr4):
 * the program headers from auxv (AT_PHDR, AT_PHNUM) give PT_DYNAMIC (relocated by PT_PHDR),
 * its DT_DEBUG entry points at ld.so's `r_debug`, whose `r_map` starts the `link_map` chain;
 * `r_debug_extended.r_next` (r_version >= 2) links the other namespaces. x86_64 (LP64) only.
 *
 * Document (gdbserver's exact form; the main program's entry is `main-lm`, not a library):
 *   <library-list-svr4 version="1.0" main-lm="0x…"><library name="…" lm="0x…" l_addr="0x…"
 *   l_ld="0x…" lmid="0x…"/>…</library-list-svr4>
 * The annex `start=LM;prev=LM;lmid=ADDR` (augmented-libraries-svr4-read) asks for the part of
 * one namespace's list from LM on.
 */

import { readCStringBytes, type TaskMemory } from '../../api.js';

const AT_PHDR = 3n;
const AT_PHNUM = 5n;
const PT_DYNAMIC = 2;
const PT_PHDR = 6;
const DT_NULL = 0n;
const DT_DEBUG = 21n;
const PHDR_SIZE = 56;
const DYN_SIZE = 16;
const PATH_MAX = 4096;

// struct r_debug / r_debug_extended and struct link_map offsets, LP64.
const R_VERSION = 0n;
const R_MAP = 8n;
const R_NEXT = 40n;
const L_ADDR = 0n;
const L_NAME = 8n;
const L_LD = 16n;
const L_NEXT = 24n;
const L_PREV = 32n;

/** No DT_DEBUG (static program, no PT_DYNAMIC): gdb is told E01 and walks nothing. */
export const NO_R_DEBUG = -1n;

function auxvValue(auxv: Buffer, type: bigint): bigint | undefined {
  for (let off = 0; off + 16 <= auxv.length; off += 16) {
    const t = auxv.readBigUInt64LE(off);
    if (t === type) return auxv.readBigUInt64LE(off + 8);
    if (t === 0n) break;
  }
  return undefined;
}

/** Up to len bytes at addr, fewer or undefined where the tracee's memory is unreadable. */
function read(mem: TaskMemory, addr: bigint, len: number): Buffer | undefined {
  try {
    return mem.readMemory(addr, len);
  } catch {
    return undefined;
  }
}

function readPtr(mem: TaskMemory, addr: bigint): bigint | undefined {
  const b = read(mem, addr, 8);
  return b && b.length === 8 ? b.readBigUInt64LE(0) : undefined;
}

/**
 * The address of `r_debug` (DT_DEBUG's value: 0 until ld.so has filled it in), or NO_R_DEBUG
 * when the program has no PT_DYNAMIC or no DT_DEBUG (gdbserver's get_r_debug).
 */
export function findRDebug(mem: TaskMemory, auxv: Buffer): bigint {
  const phdr = auxvValue(auxv, AT_PHDR);
  const phnum = auxvValue(auxv, AT_PHNUM);
  if (phdr === undefined || phnum === undefined || phnum === 0n || phnum >= 100n) return NO_R_DEBUG;
  const n = Number(phnum);
  const hdrs = read(mem, phdr, n * PHDR_SIZE);
  if (!hdrs || hdrs.length !== n * PHDR_SIZE) return NO_R_DEBUG;
  let relocation: bigint | undefined;
  for (let i = 0; i < n && relocation === undefined; i++) {
    if (hdrs.readUInt32LE(i * PHDR_SIZE) === PT_PHDR) relocation = BigInt.asUintN(64, phdr - hdrs.readBigUInt64LE(i * PHDR_SIZE + 16));
  }
  // Without PT_PHDR (never for a program with DT_DEBUG) gdbserver gives up too.
  if (relocation === undefined) return NO_R_DEBUG;
  let dynamic: bigint | undefined;
  for (let i = 0; i < n; i++) {
    if (hdrs.readUInt32LE(i * PHDR_SIZE) === PT_DYNAMIC) {
      dynamic = BigInt.asUintN(64, hdrs.readBigUInt64LE(i * PHDR_SIZE + 16) + relocation);
      break;
    }
  }
  if (dynamic === undefined) return NO_R_DEBUG;
  let map = NO_R_DEBUG;
  for (let addr = dynamic; ; addr += BigInt(DYN_SIZE)) {
    const d = read(mem, addr, DYN_SIZE);
    if (!d || d.length !== DYN_SIZE) break;
    const tag = d.readBigInt64LE(0);
    if (tag === DT_DEBUG && map === NO_R_DEBUG) map = d.readBigUInt64LE(8);
    if (tag === DT_NULL) break;
  }
  return map;
}

function hex(v: bigint): string {
  return BigInt.asUintN(64, v).toString(16);
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}


function readLinkMap(mem: TaskMemory, out: string[], lmid: bigint, lmStart: bigint, lmPrev: bigint, warn: (m: string) => void): void {
  let lm = lmStart;
  let prev = lmPrev;
  while (lm !== 0n) {
    const name = readPtr(mem, lm + L_NAME);
    const lAddr = readPtr(mem, lm + L_ADDR);
    const lLd = readPtr(mem, lm + L_LD);
    const lPrev = readPtr(mem, lm + L_PREV);
    const lNext = readPtr(mem, lm + L_NEXT);
    if (name === undefined || lAddr === undefined || lLd === undefined || lPrev === undefined || lNext === undefined) break;
    if (prev !== lPrev) {
      warn(`Corrupted shared library list: 0x${hex(prev)} != 0x${hex(lPrev)}`);
      break;
    }
    const libname = name === 0n ? '' : readCStringBytes(mem, name, PATH_MAX - 1)?.toString('latin1') ?? '';
    if (libname !== '') {
      out.push(`<library name="${xmlEscape(libname)}" lm="0x${hex(lm)}" l_addr="0x${hex(lAddr)}" l_ld="0x${hex(lLd)}" lmid="0x${hex(lmid)}"/>`);
    }
    prev = lm;
    lm = lNext;
  }
}

/** Parse the augmented annex `name=HEX;…` (lmid, start, prev); unknown names are skipped. */
export function parseSvr4Annex(annex: string): { lmid: bigint; start: bigint; prev: bigint } {
  const r = { lmid: 0n, start: 0n, prev: 0n };
  for (const item of annex.split(';')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = item.slice(0, eq);
    const val = item.slice(eq + 1);
    if (!/^[0-9a-fA-F]{1,16}$/.test(val)) continue;
    if (key === 'lmid' || key === 'start' || key === 'prev') r[key] = BigInt('0x' + val);
  }
  return r;
}

export interface Svr4Options {
  mem: TaskMemory;
  annex: string;
  /** r_debug's address as found so far (cache it per address space while non-zero). */
  rDebug: () => bigint;
  warn?: (msg: string) => void;
}

/** The library list document, or undefined for E01 (no DT_DEBUG at all). */
export function svr4LibraryList(o: Svr4Options): string | undefined {
  const warn = o.warn ?? (() => undefined);
  const { lmid, start, prev } = parseSvr4Annex(o.annex);
  const out = ['<library-list-svr4 version="1.0"'];
  let open = true;
  const close = (): void => {
    if (open) out.push('>');
    open = false;
  };
  if (start !== 0n) {
    close();
    readLinkMap(o.mem, out, lmid, start, prev, warn);
  } else {
    const main = o.rDebug();
    if (main === NO_R_DEBUG) return undefined;
    let rDebug = main;
    while (rDebug !== 0n) {
      const v = read(o.mem, rDebug + R_VERSION, 4);
      if (!v || v.length !== 4) {
        warn(`unable to read r_version from 0x${hex(rDebug + R_VERSION)}`);
        break;
      }
      const version = v.readInt32LE(0);
      if (version < 1) {
        warn(`unexpected r_debug version ${version}`);
        break;
      }
      let lm = readPtr(o.mem, rDebug + R_MAP);
      if (lm === undefined) {
        warn(`unable to read r_map from 0x${hex(rDebug + R_MAP)}`);
        break;
      }
      let lmPrev = 0n;
      // The first entry of the main namespace is the program itself.
      if (rDebug === main) {
        if (lm !== 0n) out.push(` main-lm="0x${hex(lm)}"`);
        close();
        lmPrev = lm;
        const next = readPtr(o.mem, lm + L_NEXT);
        if (next === undefined) {
          warn(`unable to read l_next from 0x${hex(lm + L_NEXT)}`);
          break;
        }
        lm = next;
      }
      readLinkMap(o.mem, out, rDebug, lm, lmPrev, warn);
      if (version < 2) break;
      const next = readPtr(o.mem, rDebug + R_NEXT);
      if (next === undefined) {
        warn(`unable to read r_next from 0x${hex(rDebug + R_NEXT)}`);
        break;
      }
      rDebug = next;
    }
  }
  close();
  out.push('</library-list-svr4>');
  return out.join('');
}

/** One object of the main namespace's link_map chain: its link_map address and l_name ('' for the program). */
export interface LinkMapEntry {
  lm: bigint;
  name: string;
}

/** The main namespace's objects in load order (the program first), as far as they read. */
export function linkMapChain(mem: TaskMemory, rDebug: bigint, max = 4096): LinkMapEntry[] {
  const out: LinkMapEntry[] = [];
  if (rDebug === NO_R_DEBUG || rDebug === 0n) return out;
  let lm = readPtr(mem, rDebug + R_MAP);
  while (lm !== undefined && lm !== 0n && out.length < max) {
    const name = readPtr(mem, lm + L_NAME);
    if (name === undefined) break;
    out.push({ lm, name: name === 0n ? '' : readCStringBytes(mem, name, PATH_MAX - 1)?.toString('latin1') ?? '' });
    lm = readPtr(mem, lm + L_NEXT);
  }
  return out;
}
