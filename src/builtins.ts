/**
 * Node built-in modules that bring a dozen others with them (the streams, net, dgram, cluster),
 * loaded when first needed: node:child_process costs a start 2-7 ms on a 2-core VM, and most
 * runs of `utrace strace` or `utrace gdbserver` never start a process through it (a pipe for
 * -o '|cmd', gdb's vFile helper) nor serve a socket. Shared by the CLI and the engines.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export const childProcess = (): typeof import('node:child_process') => load('node:child_process') as typeof import('node:child_process');

export const netModule = (): typeof import('node:net') => load('node:net') as typeof import('node:net');
