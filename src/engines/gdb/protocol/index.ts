// The pure RSP protocol layer (no I/O to processes, no ptrace): framing and
// session transport, target description, register codec, signal numbers,
// agent expressions, thread ids, vCont, stop replies. The server in
// src/engines/gdb wires these to the tracing core.

export * from './packet.js';
export * from './transport.js';
export * from './tdesc.js';
export * from './regs.js';
export * from './signals.js';
export * from './agentExpr.js';
export * from './agentPrintf.js';
export * from './threadId.js';
export * from './vcont.js';
export * from './stopReply.js';
