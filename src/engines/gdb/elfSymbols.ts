/**
 * A small reader of ELF64 little-endian files on disk: the value of named symbols from
 * .dynsym and .symtab, and the bytes at a virtual address (through the PT_LOAD headers).
 * The TLS reader (tls.ts) uses it to read glibc's own descriptions of its private structures
 * (the `_thread_db_*` symbols libthread_db reads), which are constants in the file.
 */
import * as fs from 'node:fs';

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const PT_LOAD = 1;
const SYM_SIZE = 24;

export interface ElfFile {
  /** Symbol name -> st_value, for the names asked for that the file defines. */
  symbols: Map<string, bigint>;
  /** `len` bytes at virtual address `addr` of the file's image, or undefined if not in a PT_LOAD's file part. */
  read(addr: bigint, len: number): Buffer | undefined;
}

/** Read `path` and look up `names`; undefined when it is not a readable ELF64 LE file. */
export function readElfSymbols(path: string, names: readonly string[]): ElfFile | undefined {
  let b: Buffer;
  try {
    b = fs.readFileSync(path);
  } catch {
    return undefined;
  }
  // e_ident: \x7fELF, class 2 (64-bit), data 1 (little-endian).
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return undefined;
  const phoff = Number(b.readBigUInt64LE(32));
  const shoff = Number(b.readBigUInt64LE(40));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  const shentsize = b.readUInt16LE(58);
  const shnum = b.readUInt16LE(60);
  const want = new Set(names);
  const symbols = new Map<string, bigint>();
  const inFile = (off: number, len: number): boolean => off >= 0 && len >= 0 && off + len <= b.length;
  if (shoff && shentsize >= 64 && inFile(shoff, shnum * shentsize)) {
    for (let i = 0; i < shnum && symbols.size < want.size; i++) {
      const sh = shoff + i * shentsize;
      const type = b.readUInt32LE(sh + 4);
      if (type !== SHT_DYNSYM && type !== SHT_SYMTAB) continue;
      const off = Number(b.readBigUInt64LE(sh + 24));
      const size = Number(b.readBigUInt64LE(sh + 32));
      const link = b.readUInt32LE(sh + 40);
      if (link >= shnum || !inFile(off, size)) continue;
      const strSh = shoff + link * shentsize;
      const strOff = Number(b.readBigUInt64LE(strSh + 24));
      const strSize = Number(b.readBigUInt64LE(strSh + 32));
      if (!inFile(strOff, strSize)) continue;
      for (let s = off; s + SYM_SIZE <= off + size; s += SYM_SIZE) {
        const nameOff = b.readUInt32LE(s);
        const shndx = b.readUInt16LE(s + 6);
        if (nameOff === 0 || shndx === 0 || nameOff >= strSize) continue; // unnamed or undefined
        const end = b.indexOf(0, strOff + nameOff);
        if (end < 0) continue;
        const name = b.toString('latin1', strOff + nameOff, end);
        if (want.has(name) && !symbols.has(name)) symbols.set(name, b.readBigUInt64LE(s + 8));
      }
    }
  }
  const loads: Array<{ vaddr: bigint; off: bigint; filesz: bigint }> = [];
  if (phoff && phentsize >= 56 && inFile(phoff, phnum * phentsize)) {
    for (let i = 0; i < phnum; i++) {
      const ph = phoff + i * phentsize;
      if (b.readUInt32LE(ph) !== PT_LOAD) continue;
      loads.push({ off: b.readBigUInt64LE(ph + 8), vaddr: b.readBigUInt64LE(ph + 16), filesz: b.readBigUInt64LE(ph + 32) });
    }
  }
  return {
    symbols,
    read(addr, len) {
      for (const l of loads) {
        if (addr < l.vaddr || addr + BigInt(len) > l.vaddr + l.filesz) continue;
        const off = Number(addr - l.vaddr + l.off);
        return inFile(off, len) ? b.subarray(off, off + len) : undefined;
      }
      return undefined;
    },
  };
}
