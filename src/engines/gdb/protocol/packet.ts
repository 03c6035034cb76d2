// GDB remote serial protocol framing (gdb manual, "Remote Protocol"): an incremental
// lexer for what gdb sends, the encoder for what the server replies, and the
// byte-level helpers (hex, `}` escapes, run-length encoding). Pure: no I/O.
//
// Wire forms:  $<payload>#<cs>   packet (cs = sum of payload bytes as on the wire, mod 256)
//              %<payload>#<cs>   notification (server -> gdb only, never acked)
//              + / -             ack / nak (ack mode only; stray ones are skipped)
//              0x03              interrupt, only when no packet is open

/** Parse failure of a packet's contents; handlers may let it escape (RspConnection answers E01). */
export class RspParseError extends Error {
  override readonly name = 'RspParseError';
}

const DOLLAR = 0x24; // '$'
const HASH = 0x23; // '#'
const PERCENT = 0x25; // '%'
const ESCAPE = 0x7d; // '}'
const STAR = 0x2a; // '*'
const PLUS = 0x2b;
const MINUS = 0x2d;
const INTERRUPT = 0x03;

/** Default bound on one buffered packet payload: far above any PacketSize we advertise. */
export const DEFAULT_MAX_PACKET_SIZE = 1 << 20;

// ---------------------------------------------------------------------------
// Hex helpers

const HEX_DIGITS = '0123456789abcdef';
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE[HEX_DIGITS.charCodeAt(i)] = i;
  HEX_VALUE[HEX_DIGITS.toUpperCase().charCodeAt(i)] = i;
}

/** Value of one hex digit (either case), or -1. */
export function hexDigitValue(code: number): number {
  return code < 256 ? HEX_VALUE[code]! : -1;
}

/** Lower-case hex of the bytes, as gdb emits it. */
export function hexEncode(data: Buffer | Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
}

/** Strict hex decode: throws RspParseError on odd length or a non-hex digit (Buffer.from would silently truncate). */
export function hexDecode(hex: string): Buffer {
  if (hex.length % 2 !== 0) throw new RspParseError(`odd-length hex string (${hex.length} digits)`);
  const out = Buffer.allocUnsafe(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexDigitValue(hex.charCodeAt(2 * i));
    const lo = hexDigitValue(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new RspParseError(`invalid hex digit near offset ${2 * i}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Hex of a string's UTF-8 bytes (qRcmd output, vRun arguments, exec paths). */
export function hexEncodeString(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

/** Inverse of hexEncodeString; throws RspParseError on bad hex. */
export function hexDecodeString(hex: string): string {
  return hexDecode(hex).toString('utf8');
}

/**
 * Parses a non-empty hex number of any width (addresses, lengths) as a bigint.
 * Throws RspParseError otherwise; a sign or `0x` prefix is not accepted.
 */
export function parseHexBigInt(text: string): bigint {
  if (!/^[0-9a-fA-F]+$/.test(text)) throw new RspParseError(`invalid hex number '${text.slice(0, 40)}'`);
  return BigInt('0x' + text);
}

/** Like parseHexBigInt but returns a number; throws if it does not fit exactly. */
export function parseHexNumber(text: string): number {
  const v = parseHexBigInt(text);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RspParseError(`hex number too large '${text.slice(0, 40)}'`);
  return Number(v);
}

// ---------------------------------------------------------------------------
// Binary escapes and run-length encoding

function needsEscape(b: number): boolean {
  // `*` too: in replies an unescaped `*` would be read as a run-length marker.
  return b === HASH || b === DOLLAR || b === ESCAPE || b === STAR;
}

/** Escapes `#`, `$`, `}` and `*` as `}` + (byte ^ 0x20). Returns the input itself when nothing needs escaping. */
export function escapeBinary(data: Buffer): Buffer {
  let count = 0;
  for (let i = 0; i < data.length; i++) if (needsEscape(data[i]!)) count++;
  if (count === 0) return data;
  const out = Buffer.allocUnsafe(data.length + count);
  let o = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (needsEscape(b)) {
      out[o++] = ESCAPE;
      out[o++] = b ^ 0x20;
    } else {
      out[o++] = b;
    }
  }
  return out;
}

/**
 * Undoes `}` escapes. A dangling `}` at the very end is kept literally: the
 * caller's length check (X, vFile:pwrite) then rejects the packet.
 * Returns the input itself when it contains no escape.
 */
export function unescapeBinary(data: Buffer): Buffer {
  const first = data.indexOf(ESCAPE);
  if (first < 0) return data;
  const out = Buffer.allocUnsafe(data.length);
  data.copy(out, 0, 0, first);
  let o = first;
  for (let i = first; i < data.length; i++) {
    const b = data[i]!;
    if (b === ESCAPE && i + 1 < data.length) {
      out[o++] = data[++i]! ^ 0x20;
    } else {
      out[o++] = b;
    }
  }
  return out.subarray(0, o);
}

/** Largest run a single `X*c` can express: c = 29 + n must stay printable (<= '~'). */
export const RLE_MAX_REPEAT = 126 - 29;

/**
 * Run-length encodes an already escaped payload (what gdbserver's try_rle
 * does): `X*c` means X followed by c - 29 more copies of X. Runs shorter than
 * 3 extra copies are not worth it; counts that would produce `#` (6) or `$`
 * (7) are shortened to 5 and the rest is emitted literally.
 */
export function rleEncode(escaped: Buffer): Buffer {
  const out = Buffer.allocUnsafe(escaped.length);
  let o = 0;
  let i = 0;
  while (i < escaped.length) {
    const b = escaped[i]!;
    out[o++] = b;
    let n = 0;
    while (n < RLE_MAX_REPEAT && i + 1 + n < escaped.length && escaped[i + 1 + n] === b) n++;
    if (n < 3) {
      i++;
      continue;
    }
    while (n + 29 === HASH || n + 29 === DOLLAR) n--;
    out[o++] = STAR;
    out[o++] = n + 29;
    i += 1 + n;
  }
  return out.subarray(0, o);
}

/** Expands `X*c` runs (for clients reading gdbserver-style replies). Throws RspParseError on a `*` with nothing to repeat or no count. */
export function decodeRle(data: Buffer): Buffer {
  if (data.indexOf(STAR) < 0) return data;
  // First pass validates and sizes, second fills.
  let size = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== STAR) {
      size++;
      continue;
    }
    if (i === 0) throw new RspParseError('run-length marker at start of packet');
    if (i + 1 >= data.length) throw new RspParseError('run-length marker without a count');
    const repeat = data[++i]! - 29;
    if (repeat < 0) throw new RspParseError('run-length count below range');
    size += repeat;
  }
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b !== STAR) {
      out[o++] = b;
      continue;
    }
    const repeat = data[++i]! - 29;
    out.fill(out[o - 1]!, o, o + repeat);
    o += repeat;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Encoder

/** Sum of the bytes mod 256. */
export function checksum(data: Buffer, start = 0, end = data.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += data[i]!;
  return sum & 0xff;
}

function toBuffer(payload: Buffer | string): Buffer {
  // Strings are text replies; anything binary must come as a Buffer.
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}

function frame(lead: number, wire: Buffer): Buffer {
  const out = Buffer.allocUnsafe(wire.length + 4);
  out[0] = lead;
  wire.copy(out, 1);
  const cs = checksum(wire);
  out[wire.length + 1] = HASH;
  out[wire.length + 2] = HEX_DIGITS.charCodeAt(cs >> 4);
  out[wire.length + 3] = HEX_DIGITS.charCodeAt(cs & 15);
  return out;
}

export interface EncodeOptions {
  /** Run-length encode the escaped payload (default false). */
  rle?: boolean;
}

/**
 * Frames a server reply: escapes `#$}*` in the raw payload, optionally RLEs it,
 * and appends the checksum of the bytes as sent. Pass binary data unescaped;
 * escaping twice is a classic bug.
 */
export function encodePacket(payload: Buffer | string, options: EncodeOptions = {}): Buffer {
  if (options.rle) return encodeRle(typeof payload === 'string' ? utf8View(payload) : payload);
  return frame(DOLLAR, escapeBinary(toBuffer(payload)));
}

let scratch = Buffer.allocUnsafe(4096);

/** A text reply's UTF-8 bytes in a reused buffer, valid until the next call (encodeRle copies
 * them out at once): no allocation per reply, and one call site whatever the text. */
function utf8View(text: string): Buffer {
  if (scratch.length < text.length * 3) scratch = Buffer.allocUnsafe(text.length * 3);
  return scratch.subarray(0, scratch.write(text, 0, 'utf8'));
}

/**
 * `$…#cs` with escapes and run-length encoding in one pass over the payload (replies are sent
 * at every stop and a vFile:pread carries 18 KiB): a run of an unescaped byte becomes `X*c`
 * (c = 29 + extra copies, at most 97, never `#` or `$`: 6 and 7 are sent as 5); escaped bytes
 * are not run-length encoded. The checksum covers the bytes as sent.
 */
function encodeRle(src: Buffer): Buffer {
  const n = src.length;
  const out = Buffer.allocUnsafe(2 * n + 4);
  out[0] = DOLLAR;
  let o = 1;
  let sum = 0;
  let i = 0;
  while (i < n) {
    const b = src[i]!;
    if (b === HASH || b === DOLLAR || b === ESCAPE || b === STAR) {
      out[o++] = ESCAPE;
      out[o++] = b ^ 0x20;
      sum += ESCAPE + (b ^ 0x20);
      i++;
      continue;
    }
    out[o++] = b;
    sum += b;
    let run = 0;
    while (run < RLE_MAX_REPEAT && i + 1 + run < n && src[i + 1 + run] === b) run++;
    if (run < 3) {
      i++;
      continue;
    }
    if (run + 29 === HASH || run + 29 === DOLLAR) run = 5; // 6 or 7 more copies: send 5 of them
    out[o++] = STAR;
    out[o++] = run + 29;
    sum += STAR + run + 29;
    i += 1 + run;
  }
  sum &= 0xff;
  out[o++] = HASH;
  out[o++] = HEX_DIGITS.charCodeAt(sum >> 4);
  out[o++] = HEX_DIGITS.charCodeAt(sum & 15);
  return out.subarray(0, o);
}

/** `%<name>:<payload>#cs`, e.g. encodeNotification('Stop', 'T05…'). Same escaping as packets, no RLE. */
export function encodeNotification(name: string, payload: Buffer | string): Buffer {
  return frame(PERCENT, escapeBinary(Buffer.concat([Buffer.from(name + ':', 'latin1'), toBuffer(payload)])));
}

/** Frames a payload exactly as given (no escaping): what gdb does for its requests; for test clients. */
export function encodeRawPacket(wirePayload: Buffer | string): Buffer {
  return frame(DOLLAR, toBuffer(wirePayload));
}

// ---------------------------------------------------------------------------
// Incremental reader

export type RspToken =
  /** A complete packet. `raw` is the payload as on the wire, `data` the payload with `}` escapes undone (once). */
  | { kind: 'packet'; data: Buffer; raw: Buffer }
  /** A `%name:…` notification (only when the reader accepts them, i.e. on the client side). */
  | { kind: 'notification'; data: Buffer; raw: Buffer }
  | { kind: 'ack' }
  | { kind: 'nak' }
  | { kind: 'interrupt' }
  /** Checksum mismatch; `received` is undefined when the two digits were not hex. */
  | { kind: 'bad-checksum'; data: Buffer; raw: Buffer; expected: number; received: number | undefined }
  /**
   * A packet was dropped: 'oversize' (payload beyond maxPacketSize; bytes up to
   * the next `#xx` or `$` are discarded), 'truncated' (a `$` arrived inside a
   * packet, which restarts framing as gdb's own reader does), 'bad-rle'.
   */
  | { kind: 'error'; reason: 'oversize' | 'truncated' | 'bad-rle'; message: string };

export interface PacketReaderOptions {
  /** Largest payload (wire bytes) buffered for one packet. Default DEFAULT_MAX_PACKET_SIZE. */
  maxPacketSize?: number;
  /** Expand run-length encoding (client side reading server replies). Default false: gdb never sends RLE. */
  rle?: boolean;
  /** Recognise `%…#cs` notifications (client side). Default false: on the server a `%` is a stray byte. */
  notifications?: boolean;
  /** Called for each token, in order, in addition to push()'s return value. */
  onToken?: (token: RspToken) => void;
}

const enum State {
  IDLE,
  BODY,
  CSUM1,
  CSUM2,
}

/**
 * Incremental framer. Feed it whatever read() returned; it keeps at most one
 * partial packet (bounded by maxPacketSize, copied) between calls.
 */
export class PacketReader {
  private readonly _max: number;
  private readonly _rle: boolean;
  private readonly _notifications: boolean;
  private readonly _onToken: ((token: RspToken) => void) | undefined;

  private _state = State.IDLE;
  private _isNotification = false;
  /** Set while skipping an oversized packet: its body and checksum produce no token. */
  private _discarding = false;
  private _parts: Buffer[] = [];
  private _length = 0;
  private _sum = 0;
  private _csumHi = 0;
  private _skipped = 0;

  constructor(options: PacketReaderOptions = {}) {
    this._max = options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
    this._rle = options.rle ?? false;
    this._notifications = options.notifications ?? false;
    this._onToken = options.onToken;
  }

  /** Payload bytes currently held for an unfinished packet (never above maxPacketSize). */
  get bufferedBytes(): number {
    return this._length;
  }

  /** Bytes skipped outside packets since construction (noise between packets). */
  get skippedBytes(): number {
    return this._skipped;
  }

  /** True while a packet is open (between `$` and its checksum). */
  get inPacket(): boolean {
    return this._state !== State.IDLE;
  }

  /** Drops any partial packet. */
  reset(): void {
    this._state = State.IDLE;
    this._discarding = false;
    this._clearBody();
  }

  push(chunk: Buffer | Uint8Array): RspToken[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const tokens: RspToken[] = [];
    const emit = (t: RspToken): void => {
      tokens.push(t);
      this._onToken?.(t);
    };
    let i = 0;
    while (i < buf.length) {
      switch (this._state) {
        case State.IDLE: {
          const b = buf[i++]!;
          if (b === DOLLAR || (b === PERCENT && this._notifications)) {
            this._startBody(b === PERCENT);
          } else if (b === PLUS) {
            emit({ kind: 'ack' });
          } else if (b === MINUS) {
            emit({ kind: 'nak' });
          } else if (b === INTERRUPT) {
            emit({ kind: 'interrupt' });
          } else {
            this._skipped++;
          }
          break;
        }
        case State.BODY: {
          // Scan to the next `#` (end) or `$` (restart), summing as we go.
          let j = i;
          let sum = this._sum;
          while (j < buf.length) {
            const b = buf[j]!;
            if (b === HASH || b === DOLLAR) break;
            sum += b;
            j++;
          }
          this._sum = sum & 0xff;
          this._append(buf, i, j, emit);
          i = j;
          if (j < buf.length) {
            i++;
            if (buf[j] === HASH) {
              this._state = State.CSUM1;
            } else {
              if (!this._discarding) {
                emit({ kind: 'error', reason: 'truncated', message: `'$' inside a packet after ${this._length} bytes; packet dropped` });
              }
              this._startBody(false);
            }
          }
          break;
        }
        case State.CSUM1:
          this._csumHi = hexDigitValue(buf[i++]!);
          this._state = State.CSUM2;
          break;
        case State.CSUM2: {
          const lo = hexDigitValue(buf[i++]!);
          const received = this._csumHi < 0 || lo < 0 ? undefined : (this._csumHi << 4) | lo;
          this._finish(received, emit);
          break;
        }
      }
    }
    // A packet left open keeps a copy of its bytes, not a view: the caller may reuse the chunk.
    const last = this._parts.length - 1;
    if (last >= 0 && this._parts[last]!.buffer === buf.buffer) this._parts[last] = Buffer.from(this._parts[last]!);
    return tokens;
  }

  private _startBody(notification: boolean): void {
    this._clearBody();
    this._discarding = false;
    this._isNotification = notification;
    this._state = State.BODY;
  }

  private _clearBody(): void {
    this._parts = [];
    this._length = 0;
    this._sum = 0;
  }

  private _append(buf: Buffer, start: number, end: number, emit: (t: RspToken) => void): void {
    if (end === start || this._discarding) return;
    if (this._length + (end - start) > this._max) {
      emit({
        kind: 'error',
        reason: 'oversize',
        message: `packet larger than ${this._max} bytes; discarding it`,
      });
      this._clearBody();
      this._discarding = true;
      return;
    }
    this._parts.push(buf.subarray(start, end));
    this._length += end - start;
  }

  private _finish(received: number | undefined, emit: (t: RspToken) => void): void {
    const discarding = this._discarding;
    const notification = this._isNotification;
    const expected = this._sum;
    // concat copies, so tokens never alias the caller's chunk.
    const raw = Buffer.concat(this._parts, this._length);
    this._state = State.IDLE;
    this._discarding = false;
    this._clearBody();
    if (discarding) return;

    let data: Buffer;
    try {
      data = unescapeBinary(this._rle ? decodeRle(raw) : raw);
    } catch (e) {
      emit({ kind: 'error', reason: 'bad-rle', message: (e as Error).message });
      return;
    }
    if (received !== expected) {
      emit({ kind: 'bad-checksum', data, raw, expected, received });
    } else {
      emit({ kind: notification ? 'notification' : 'packet', data, raw });
    }
  }
}
