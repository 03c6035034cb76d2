export { PtracePersonality, PtraceClient, Tracee } from './engine.js';
export type { WaitOutcome } from './engine.js';
export { PtraceTool } from './tool.js';
export { toolRunEngine } from './run.js';
export type { ToolRunEngine, ToolRunOptions } from './run.js';
