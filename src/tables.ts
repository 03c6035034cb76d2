/**
 * The pure part of the framework's API: the architecture's syscall table and the errno and
 * signal tables with their lookups. No process, no native code: a command line can be parsed
 * and checked against them without loading the tracer (a usage error costs no more than that).
 * src/api.ts re-exports all of it; an engine's option code imports it from here.
 */
export { SYSCALLS, SYSCALL_NR, SYSCALL_CLASS_NAMES } from './arch/x86_64/syscalls.gen.js';
export { errnoName, errnoMessage, errnoNumber } from './core/errno.js';
export { signalName, signalNumber } from './core/signals.js';
