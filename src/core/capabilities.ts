/**
 * What this machine's kernel and CPU actually deliver, asked once per process when first
 * needed. A hypervisor may accept debug-register writes and never raise the trap: a server
 * that inserted hardware breakpoints and watchpoints there would report success and then
 * never stop (gdbserver does exactly that on such machines).
 */
import { native } from './addon.js';

let drTrap: boolean | undefined;

/** Do x86 debug registers (hardware breakpoints and watchpoints) trap here? Probed once with a
 * forked child (native debugRegsTrap): about 1 ms, then cached. UTRACE_DEBUG_REGS=0 says no
 * without asking (to test the refusal on a machine where they work). */
export function debugRegistersTrap(): boolean {
  if (drTrap === undefined) {
    drTrap = process.env.UTRACE_DEBUG_REGS !== '0' && native.debugRegsTrap();
  }
  return drTrap;
}
