/**
 * The strace engine: the engine (engine.ts) and what builds its output without ptrace:
 * decoding, formatting, filters, summaries and the JSON/timeline writers.
 */
export { StraceEngine, comm, type StraceOptions } from './engine.js';
export { straceRunEngine } from './run.js';
export { readCString, readExact } from './memory.js';
export { DEFAULT_DECODE_OPTIONS, RV, type DecodeOptions, type XlatStyle } from './printer.js';
export type { HexStyle } from './quote.js';
export { decodeEntry, setDecoderErrorHook, syscallName, DecodedSyscall, type SyscallStop } from './syscall.js';
export { TraceFormatter, type FormatOptions, type SyscallStatus } from './format.js';
export { FilterError, StraceFilter, type StatusName } from './filter.js';
export { SyscallSummary, type SummarySort } from './summary.js';
export { JsonEventWriter, valueToJson, type JsonValue } from './json.js';
export { TimelineWriter } from './timeline.js';
export { siginfoValue, signalText, SIGINFO_SIZE } from './siginfo.js';
export { renderValue, renderArgs } from './render.js';
export type { Value } from './value.js';
