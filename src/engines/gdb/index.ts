// The gdb remote serial protocol engine: a GdbSession serves one gdb over an RspConnection,
// using only the public engine API; server.ts has the transports.
export { GdbSession, Inferior, ThreadState } from './session.js';
export type { GdbSessionOptions } from './session.js';
export { listenAndServe, runConnection, parseListenAddress, isLoopback, SocketTransport, StdioTransport } from './server.js';
export type { ListenAddress, ServeOptions } from './server.js';
