// The gdb remote serial protocol engine: a GdbSession serves one gdb over an RspConnection,
// using only the public engine API; server.ts has the transports.
export { GdbSession } from './session.js';
export { Inferior, ThreadState } from './model.js';
export type { GdbSessionOptions } from './session.js';
export { listenAndServe, runConnection, parseListenAddress, isLoopback, SocketTransport, StdioTransport } from './server.js';
export type { ListenAddress, ServeOptions } from './server.js';
