/**
 * utrace: multi-engine tracing and control of live Linux processes.
 * Public API: the engine framework (src/core) and the engines built on it.
 */
export * from './api.js';
export { defineEngine, readCString, UserEngineRunner } from './engines/user.js';
export type { UserEngine, UserEngineModule, UserEngineContext } from './engines/user.js';
export { runEngines, userRunEngine, straceRunEngine, injectRunEngine, gdbRunEngine } from './engines/run.js';
export type { RunEngine, RunOptions, RunResult, RunContext } from './engines/run.js';
export { InjectEngine, parseInjectSpecs } from './engines/inject/engine.js';
export { PtracePersonality, PtraceClient, PtraceTool, toolRunEngine } from './engines/ptrace/index.js';
export type { ClientMemory, WaitOutcome, ToolRunEngine, ToolRunOptions } from './engines/ptrace/index.js';
