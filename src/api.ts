/**
 * The framework's public API (src/core and the architecture tables), without the engines:
 * what an engine imports. `index.ts` adds the engines built on it.
 */
export { Tracer, exitStatusOf } from './core/tracer.js';
export type { SpawnOptions } from './core/tracer.js';
export { Task } from './core/task.js';
export type { TaskState } from './core/task.js';
export { Engine, detachEngines } from './core/engine.js';
export { Process } from './core/process.js';
export { Event, Resume, SyscallAction, SignalAction, Attach, RESUME_MASK, combine } from './core/actions.js';
export { UtraceError, isGone } from './core/errors.js';
export type {
  ActionResult, EngineOps, SyscallReport, SignalReport, ExecReport, ExitReport, ExitStatus,
} from './core/types.js';
export { Regs, GPR_NAMES } from './arch/x86_64/regs.js';
export type { GprName } from './arch/x86_64/regs.js';
export { SYSCALLS, SYSCALL_NR, SYSCALL_CLASS_NAMES, errnoName, errnoMessage, errnoNumber, signalName, signalNumber } from './tables.js';
export { emulate } from './arch/x86_64/emulate.js';
export type { EmuMemory, EmuResult, EmuStore } from './arch/x86_64/emulate.js';
export * as ptraceAbi from './core/ptrace.js';
export const CLONE_VFORK = 0x4000n; // clone(2) flags as reportClone passes them (<linux/sched.h>)
export const CLONE_THREAD = 0x10000n;
export const SI_TKILL = -6; // si_code of a signal sent with tkill(2) (asm-generic/siginfo.h)
export { procDir, procIsOurs, procStatus } from './core/procfs.js';
export { debugRegistersTrap } from './core/capabilities.js';
export { raiseDefault } from './core/selfSignal.js';
export { makePipe, releaseStdio, setForegroundGroup } from './core/spawn.js';
export { startDaemonChild, execWhenReady } from './core/daemon.js';
export { socketPeer, sendWithFds, receiveWithFds, socketProtocolName, netlinkRequest, listenUnix, watchReadable } from './core/sockets.js';
export type { PeerCredentials } from './core/sockets.js';
export { readCStringBytes } from './core/cstring.js';
export type { TaskMemory } from './core/cstring.js';
