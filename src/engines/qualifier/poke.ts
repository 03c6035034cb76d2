/**
 * inject's poke_enter=/poke_exit=: bytes written into the tracee where a call's arguments
 * point (strace's "tampering with arguments"), as the strace engine and the inject engine
 * apply them. A poke that cannot be made is said (in strace's words) and the call goes on
 * untouched; a poke cut short by unmapped memory counts as made, and the short write is said.
 */
import { SYSCALLS, errnoMessage, type TaskMemory } from '../../api.js';
import type { Poke } from './inject.js';

const EFAULT = 14;

/**
 * Writes every poke of a rule at the addresses in `args`, in order; false when one could not be
 * made (the rest are not tried: the call is not tampered with). `say` gets the messages.
 */
export function applyPokes(mem: TaskMemory, tid: number, nr: number, args: readonly bigint[], pokes: readonly Poke[],
  say: (msg: string) => void): boolean {
  const sc = SYSCALLS[nr];
  for (const p of pokes) {
    if (!sc || p.arg > sc.nargs) {
      say(`Failed to tamper with process ${tid}: requested to tamper with argument #${p.arg}, but system call '${sc?.name ?? `syscall_${nr}`}' has only ${sc?.nargs ?? 0} arguments`);
      return false;
    }
    const addr = args[p.arg - 1] ?? 0n;
    const len = p.data.length;
    let n = 0;
    try {
      n = mem.writeMemory ? mem.writeMemory(addr, p.data) : 0;
    } catch {
      n = 0;
    }
    if (n === 0) {
      say(`Failed to tamper with process ${tid}: couldn't poke`);
      return false;
    }
    if (n < len) {
      const at = `@0x${addr.toString(16)}`;
      say(`pid:${tid} short write (${n} < ${len}) ${at}`);
      // What the tracee holds there now: the part past the end of its memory reads short too.
      let back: Buffer | undefined;
      try {
        back = mem.readMemory(addr, len);
      } catch {
        back = undefined;
      }
      const got = back?.length ?? 0;
      if (got < len) say(`short read (${got} < ${len}) ${at}: ${errnoMessage(EFAULT)}`);
    }
  }
  return true;
}
