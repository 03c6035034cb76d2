/**
 * utrace: multi-engine tracing and control of live Linux processes.
 * Public API: the engine framework (src/core) and the engines built on it.
 */
export * from './api.js';
export { defineEngine, readCString, UserEngineRunner } from './engines/user.js';
export type { UserEngine, UserEngineModule, UserEngineContext } from './engines/user.js';
export { runEngines, userRunEngine } from './engines/run.js';
export type { RunEngine, RunOptions, RunResult, RunContext } from './engines/run.js';
export { straceRunEngine } from './engines/strace/run.js';
export { InjectEngine, parseInjectSpecs } from './engines/inject/engine.js';
export { injectRunEngine } from './engines/inject/run.js';
export { gdbRunEngine } from './engines/gdb/run.js';
export { PtracePersonality, PtraceClient, PtraceTool, toolRunEngine } from './engines/ptrace/index.js';
export type { WaitOutcome, ToolRunEngine, ToolRunOptions } from './engines/ptrace/index.js';
