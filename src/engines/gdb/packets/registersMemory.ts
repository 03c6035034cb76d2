/**
 * Register and memory packets: g/G (all registers), p/P (one register), m (read memory), M/X
 * (write memory, hex or binary). Registers are those of the thread selected with Hg, and only
 * while it is held; memory goes through any held thread of its process (stops.withMemory).
 */
import {
  RspParseError, decodeG, encodeG, hexDecode, hexEncode, parseHexBigInt, parseHexNumber, readRegister, writeRegister,
} from '../protocol/index.js';
import { isGone } from '../../../api.js';
import type { ThreadState } from '../model.js';
import type { GdbSession } from '../session.js';
import type { PacketFamily } from './types.js';

export const registerMemoryPackets: PacketFamily = {
  g: (s) => {
    const { gpr, fp, xstate } = regBuffers(s, regThread(s));
    return encodeG(gpr, fp, xstate, s.avx);
  },
  G: (s, p) => {
    const ts = regThread(s);
    const { gpr, fp, xstate } = regBuffers(s, ts);
    storeRegs(ts, decodeG(p.slice(1), gpr, fp, xstate));
    return 'OK';
  },
  p: (s, p) => {
    const { gpr, fp, xstate } = regBuffers(s, regThread(s));
    return readRegister(parseHexNumber(p.slice(1)), gpr, fp, xstate, s.avx) ?? 'E01';
  },
  P: writeReg,
  m: readMem,
  M: writeMemHex,
  X: (s, _p, raw) => writeMemBin(s, raw),
};

/** The current thread, for register access: E01 while it runs (non-stop). */
function regThread(s: GdbSession): ThreadState {
  const ts = s.needThread();
  if (!ts.held) throw new RspParseError('the selected thread is running');
  return ts;
}

function regBuffers(s: GdbSession, ts: ThreadState): { gpr: Buffer; fp: Buffer; xstate: Buffer | undefined } {
  const t = ts.task;
  return { gpr: t.regset('general'), fp: t.regset('fp'), xstate: s.avx ? t.regset('xstate') : undefined };
}

function storeRegs(ts: ThreadState, r: ReturnType<typeof decodeG>): void {
  if (r.changed.gpr) ts.task.setRegset('general', r.gpr);
  if (r.changed.xstate && r.xstate) ts.task.setRegset('xstate', r.xstate);
  else if (r.changed.fp) ts.task.setRegset('fp', r.fp);
}

/** Pn=value. */
function writeReg(s: GdbSession, p: string): string {
  const text = p.slice(1);
  const eq = text.indexOf('=');
  if (eq < 0) throw new RspParseError('P needs n=value');
  const ts = regThread(s);
  const { gpr, fp, xstate } = regBuffers(s, ts);
  const n = parseHexNumber(text.slice(0, eq));
  if (n >= (s.avx ? 76 : 60)) return 'E01';
  storeRegs(ts, writeRegister(n, text.slice(eq + 1), gpr, fp, xstate));
  return 'OK';
}

function parseAddrLen(text: string): [bigint, number] {
  const comma = text.indexOf(',');
  if (comma < 0) throw new RspParseError('expected addr,length');
  return [parseHexBigInt(text.slice(0, comma)), parseHexNumber(text.slice(comma + 1))];
}

/** maddr,len. */
function readMem(s: GdbSession, p: string): string | Promise<string> {
  const [addr, len] = parseAddrLen(p.slice(1));
  if (len > 0x100000) return 'E01';
  return s.stops.withMemory((ts) => {
    let b: Buffer;
    try {
      b = ts.task.readMemory(addr, len);
    } catch (e) {
      if (isGone(e)) throw e; // the thread exited: withMemory tries another
      return 'E01';
    }
    if (b.length === 0 && len > 0) return 'E01';
    return hexEncode(b);
  });
}

function writeMem(s: GdbSession, addr: bigint, data: Buffer): string | Promise<string> {
  if (data.length === 0) return 'OK';
  return s.stops.withMemory((ts) => (ts.task.writeMemory(addr, data) === data.length ? 'OK' : 'E01'));
}

/** Maddr,len:hex. */
function writeMemHex(s: GdbSession, p: string): string | Promise<string> {
  const text = p.slice(1);
  const colon = text.indexOf(':');
  if (colon < 0) throw new RspParseError('M needs addr,len:data');
  const [addr, len] = parseAddrLen(text.slice(0, colon));
  const data = hexDecode(text.slice(colon + 1));
  if (data.length !== len) throw new RspParseError('M length mismatch');
  return writeMem(s, addr, data);
}

/** Xaddr,len:binary (escaped bytes, already unescaped by the reader). */
function writeMemBin(s: GdbSession, raw: Buffer): string | Promise<string> {
  const colon = raw.indexOf(0x3a);
  if (colon < 0) throw new RspParseError('X needs addr,len:data');
  const [addr, len] = parseAddrLen(raw.toString('latin1', 1, colon));
  const data = raw.subarray(colon + 1);
  if (data.length !== len) throw new RspParseError('X length mismatch');
  if (len === 0) return 'OK'; // gdb's probe for X support
  return writeMem(s, addr, data);
}
