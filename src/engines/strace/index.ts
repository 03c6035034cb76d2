/**
 * The ptrace-free half of the strace engine: decoding, formatting, filters, summaries and the
 * JSON/timeline writers. engine.ts wires these to the tracing core.
 */
export { FakeMemory, readCString, readExact, type IMemoryReader } from './memory.js';
export { DEFAULT_DECODE_OPTIONS, RV, type IDecodeOptions, type XlatStyle } from './printer.js';
export type { HexStyle } from './quote.js';
export { decodeEntry, setDecoderErrorHook, syscallName, DecodedSyscall, type ISyscallStop } from './syscall.js';
export { TraceFormatter, type IFormatOptions, type SyscallStatus } from './format.js';
export { FilterError, InjectState, NumberSet, StraceFilter, type IInjectRule, type StatusName } from './filter.js';
export { SyscallSummary, type SummarySort } from './summary.js';
export { JsonEventWriter, valueToJson, type JsonValue } from './json.js';
export { TimelineWriter } from './timeline.js';
export { siginfoValue, signalText, SIGINFO_SIZE } from './siginfo.js';
export { renderValue, renderArgs } from './render.js';
export { fuzzDecoders, type IFuzzResult } from './fuzz.js';
export type { Value } from './value.js';
