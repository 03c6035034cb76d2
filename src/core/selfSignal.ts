/**
 * Ending this process by a signal, as a traced program that died of it ended: the CLI's exit
 * status mirrors the program's. Node keeps handlers that removing listeners does not remove
 * (SIGUSR1 starts the inspector, SIGPIPE is ignored); the native call restores the default.
 */
import { native } from './addon.js';

/** Die of `sig`; returns only if its default action does not end a process. */
export function raiseDefault(sig: number): void {
  native.raiseDefault(sig);
}
