/**
 * Hostile-memory fuzzing of every decoder: random syscall numbers, arguments, return values,
 * options and tracee memory (random bytes, pointers into and just past mapped regions,
 * self-referential structures, huge counts). Checks that decoding never throws, that output stays
 * bounded, and that no single memory read exceeds what could be printed.
 *
 * `fuzzDecoders(100000, 1)` is deterministic for a given seed, so a failure can be replayed.
 */
import { SYSCALLS } from '../../src/api.js';
import { DECODERS } from '../../src/engines/strace/decoders/index.js';
import { ioctlNames } from '../../src/engines/strace/decoders/ioctl.js';
import { TraceFormatter } from '../../src/engines/strace/format.js';
import { valueToJson } from '../../src/engines/strace/json.js';
import type { DecodeOptions } from '../../src/engines/strace/printer.js';
import { decodeEntry, setDecoderErrorHook } from '../../src/engines/strace/syscall.js';
import { FakeMemory } from './helpers.js';

/** Longest line accepted (verbose mode with -s 64 and nested arrays stays far below). */
export const MAX_FUZZ_LINE = 4 << 20;
/** Largest single read() a decoder may request (getdents reads up to 1 MiB). */
export const MAX_FUZZ_READ = (1 << 20) + 4096;

export interface FuzzFailure {
  readonly iteration: number;
  readonly syscall: string;
  readonly args: readonly string[];
  readonly error: string;
}

export interface FuzzResult {
  readonly iterations: number;
  readonly failures: readonly FuzzFailure[];
  readonly longestLine: number;
  /** The call that printed it, and the start of the line. */
  readonly longestCall: string;
  readonly largestRead: number;
}

/** mulberry32: small, fast, deterministic. */
class Rng {
  private _s: number;
  constructor(seed: number) {
    this._s = (seed * 0x9e3779b9) >>> 0 || 1;
  }
  u32(): number {
    let t = (this._s = (this._s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
  int(n: number): number {
    return n <= 0x100000000 ? Math.floor((this.u32() / 0x100000000) * n) : Number(this.u64() % BigInt(n));
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }
}

const BASES = [0x10000000n, 0x7ffd00000000n, 0x555500000000n];
const REGION = 0x3000;

function randomMemory(r: Rng): { mem: FakeMemory; ptrs: bigint[] } {
  const mem = new FakeMemory();
  const ptrs: bigint[] = [];
  const nregions = 1 + r.int(3);
  for (let i = 0; i < nregions; i++) {
    const base = BASES[i];
    const len = 1 + r.int(REGION);
    const b = Buffer.alloc(len);
    const style = r.int(5);
    for (let j = 0; j < len; j++) {
      if (style === 0) b[j] = r.int(256);
      else if (style === 1) b[j] = 0;
      else if (style === 2) b[j] = 0xff;
      else if (style === 3) b[j] = 0x20 + r.int(95);
      else b[j] = r.chance(0.3) ? 0 : r.int(256);
    }
    // Sprinkle pointers (to this and other regions, including past the end) and small ints.
    for (let j = 0; j + 8 <= len; j += 8) {
      const k = r.int(6);
      if (k === 0) b.writeBigUInt64LE(base + BigInt(r.int(len + 64)), j);
      else if (k === 1) b.writeBigUInt64LE(r.pick(BASES) + BigInt(r.int(REGION)), j);
      else if (k === 2) b.writeBigUInt64LE(BigInt(r.int(64)), j);
      else if (k === 3 && r.chance(0.2)) b.writeBigUInt64LE(0xffffffffffffffffn - BigInt(r.int(8)), j);
    }
    mem.map(base, b);
    ptrs.push(base, base + BigInt(len) - BigInt(1 + r.int(8)), base + BigInt(r.int(len)));
  }
  return { mem, ptrs };
}

function randomArg(r: Rng, ptrs: bigint[]): bigint {
  switch (r.int(10)) {
    case 0:
      return 0n;
    case 1:
      return BigInt(r.int(8));
    case 2:
      return BigInt.asUintN(64, -100n);
    case 3:
      return BigInt.asUintN(64, BigInt(-1 - r.int(3)));
    case 4:
      return r.u64();
    case 5:
      return BigInt(r.int(1 << 16));
    case 6:
      return BigInt.asUintN(64, 1n << BigInt(r.int(64)));
    default:
      return r.pick(ptrs);
  }
}

function randomRet(r: Rng, ptrs: bigint[]): bigint {
  switch (r.int(6)) {
    case 0:
      return 0n;
    case 1:
      return BigInt(-1 - r.int(4095));
    case 2:
      return BigInt(r.int(200));
    case 3:
      return BigInt.asIntN(64, r.u64());
    case 4:
      return r.pick([-512n, -513n, -514n, -516n, -4n]);
    default:
      return r.pick(ptrs);
  }
}

function randomOpts(r: Rng): DecodeOptions {
  return {
    strsize: r.pick([0, 1, 4, 32, 32, 32, 64]),
    verbose: r.chance(0.2),
    xlat: r.pick(['abbrev', 'abbrev', 'abbrev', 'raw', 'verbose'] as const),
    hexStrings: r.pick(['none', 'none', 'none', 'non-ascii', 'all'] as const),
    fdPath: r.chance(0.2) ? (_pid, fd) => (fd % 3 === 0 ? `/tmp/f<${fd}>\n` : undefined) : undefined,
    netlinkProtocol: r.chance(0.5) ? netlinkProtocol(r.pick(NETLINK_PROTOCOLS)) : undefined,
  };
}

/** route, sock_diag, xfrm, selinux, audit, netfilter, generic, and one without a decoder. */
const NETLINK_PROTOCOLS = [0, 4, 6, 7, 9, 12, 16, 15];
const NETLINK_BASE = 0x60000000n;

/** A chain of attributes: plausible types and lengths, some nested, some lying about length. */
function nlattrChain(r: Rng, depth: number): Buffer {
  const parts: Buffer[] = [];
  for (let n = r.int(5); n >= 0; n--) {
    const nested = depth < 3 && r.chance(0.3);
    const data = nested ? nlattrChain(r, depth + 1) : Buffer.from(Array.from({ length: r.int(40) }, () => r.int(256)));
    const h = Buffer.alloc(4);
    h.writeUInt16LE(r.chance(0.9) ? 4 + data.length : r.int(0x10000), 0);
    h.writeUInt16LE((r.chance(0.8) ? r.int(32) : r.int(0x4000)) | (r.chance(0.2) ? 0x8000 : 0) | (r.chance(0.1) ? 0x4000 : 0), 2);
    parts.push(h, data, Buffer.alloc((4 - (data.length % 4)) % 4));
  }
  return Buffer.concat(parts);
}

/**
 * sendto data shaped like netlink messages, so the per-protocol decoders (message types,
 * family structures, attribute trees) see real-looking input and not only noise.
 */
function netlinkMessages(r: Rng): Buffer {
  const msgs: Buffer[] = [];
  for (let n = r.int(3); n >= 0; n--) {
    const fixed = Buffer.from(Array.from({ length: r.pick([0, 1, 4, 8, 12, 16, 20, 24, 28, 52, 56, 60, 64, 72]) }, () => r.int(256)));
    if (fixed.length) fixed[0] = r.pick([0, 1, 2, 7, 10, 16, 17, 43, 128, r.int(256)]);
    const body = Buffer.concat([fixed, Buffer.alloc((4 - (fixed.length % 4)) % 4), r.chance(0.8) ? nlattrChain(r, 0) : Buffer.alloc(0)]);
    const h = Buffer.alloc(16);
    h.writeUInt32LE(r.chance(0.85) ? 16 + body.length : r.int(0x200), 0);
    const type = r.pick([r.int(0x10), 16 + r.int(112), 18 + r.int(4), (r.int(13) << 8) | r.int(30), 1000 + r.int(400), r.int(0x10000)]);
    h.writeUInt16LE(type, 4);
    h.writeUInt16LE(r.pick([0, 1, 0x301, 0x100, 0x200, 0x300, 0x101, r.int(0x10000)]), 6);
    h.writeUInt32LE(r.int(0x10000), 8);
    msgs.push(h, body);
  }
  return Buffer.concat(msgs);
}

/** Every fd is a netlink socket of protocol `p` (sendto data decodes as netlink messages). */
const netlinkProtocol = (p: number) => (): number => p;

const FOCUS = ['ioctl', 'sendto'];

/** A known request number, sometimes with its size or direction bits disturbed. */
function ioctlRequest(r: Rng): bigint {
  let code = r.pick(ioctlNames())[0];
  if (r.chance(0.1)) code ^= 1 << (16 + r.int(14));
  if (r.chance(0.05)) code ^= 1 << (30 + r.int(2));
  // any number and size of the same type byte: families that name requests by their number
  // and length (EVIOCGBIT(ev, len), EVIOCGABS(abs)) see the whole range
  if (r.chance(0.1)) code = (code & 0xc000ff00) | r.int(256) | (r.int(0x4000) << 16);
  return BigInt(code >>> 0);
}

/** Runs `n` random decodings from `seed`. Never throws; failures are reported. */
/** `only`: fuzz just these syscalls (a family's new decoders), else every decoder and raw numbers. */
export function fuzzDecoders(n: number, seed = 1, only?: readonly string[]): FuzzResult {
  const r = new Rng(seed);
  const failures: FuzzFailure[] = [];
  const decoded = only ?? Object.keys(DECODERS);
  let longestLine = 0;
  let longestCall = '';
  let largestRead = 0;
  let current = '';
  let pendingErr: unknown;
  const prev = setDecoderErrorHook((_name, err) => {
    pendingErr ??= err;
  });
  try {
    for (let i = 0; i < n; i++) {
      // Mostly syscalls with decoders, sometimes any number (raw and unknown ones).
      let nr: number;
      // ioctl and the netlink carriers get extra turns: their decoders fan out per request
      // and per message type, and a random request number almost never names a known one.
      const focus = !only && r.chance(0.15) ? r.pick(FOCUS) : undefined;
      if (focus !== undefined) nr = SYSCALLS.findIndex((e) => e?.name === focus);
      else if (only || r.chance(0.9)) {
        const name = r.pick(decoded);
        nr = SYSCALLS.findIndex((e) => e?.name === name);
        if (nr < 0) nr = r.int(SYSCALLS.length + 20);
      } else nr = r.int(SYSCALLS.length + 20) - 2;
      const { mem, ptrs } = randomMemory(r);
      const args = Array.from({ length: 6 }, () => randomArg(r, ptrs));
      if (SYSCALLS[nr]?.name === 'ioctl' && r.chance(0.8)) args[1] = ioctlRequest(r);
      const opts = randomOpts(r);
      if (SYSCALLS[nr]?.name === 'sendto' && opts.netlinkProtocol && r.chance(0.8)) {
        const nl = netlinkMessages(r);
        // Sometimes cut short of the length the call claims: the walk meets unmapped memory.
        mem.map(NETLINK_BASE, r.chance(0.8) ? nl : nl.subarray(0, r.int(nl.length + 1)));
        args[1] = NETLINK_BASE;
        args[2] = BigInt(r.chance(0.9) ? nl.length : r.int(0x1000));
      }
      current = SYSCALLS[nr]?.name ?? String(nr);
      pendingErr = undefined;
      try {
        let out = '';
        const fmt = new TraceFormatter((s) => (out += s), { timestamps: r.pick([0, 2] as const), syscallTimes: r.chance(0.2) });
        const d = decodeEntry({ nr, tid: 100, pid: 100, args, mem, sp: r.chance(0.5) ? r.pick(ptrs) : undefined }, opts);
        fmt.addTask(100);
        fmt.syscallEntry(d, 1n);
        if (r.chance(0.9)) {
          // Exit sees different memory half the time (the kernel wrote output buffers).
          const exitMem = r.chance(0.5) ? mem : randomMemory(r).mem;
          d.exit(randomRet(r, ptrs), exitMem);
          fmt.syscallExit(d, 2n);
          exitMem.maxRequest > largestRead && (largestRead = exitMem.maxRequest);
        } else fmt.syscallNoReturn(100, 2n);
        JSON.stringify(d.args.map(valueToJson));
        if (mem.maxRequest > largestRead) largestRead = mem.maxRequest;
        if (out.length > longestLine) {
          longestLine = out.length;
          longestCall = `${current} (-s ${opts.strsize}${opts.verbose ? ' -v' : ''}): ${out.slice(0, 160)}`;
        }
        if (pendingErr !== undefined) throw pendingErr;
        if (out.length > MAX_FUZZ_LINE) throw new Error(`line of ${out.length} bytes`);
        if (largestRead > MAX_FUZZ_READ) throw new Error(`read of ${largestRead} bytes`);
        if (!out.endsWith('\n') || out.slice(0, -1).includes('\n')) throw new Error('not exactly one line');
      } catch (err) {
        failures.push({
          iteration: i,
          syscall: current,
          args: args.map((a) => `0x${a.toString(16)}`),
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        });
        if (failures.length >= 20) break;
      }
    }
  } finally {
    setDecoderErrorHook(prev);
  }
  return { iterations: n, failures, longestLine, longestCall, largestRead };
}
