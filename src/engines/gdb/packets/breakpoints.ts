/**
 * Breakpoint and watchpoint packets, Z (insert) and z (remove) `TYPE,ADDR,KIND[;cond…]`:
 * type 0 software breakpoints (an int3 in the core's breakpoint table, or a debug register
 * for one with target-side conditions; `;cmds:` programs of a dprintf-style agent are kept
 * in Inferior.bpCmds), 1 hardware breakpoints, 2 write and 4 access
 * watchpoints (debug registers, debugRegs.ts). Type 3 (read watchpoints) is not supported:
 * x86 cannot trap reads only, and gdb falls back to an access watchpoint. Where the debug
 * registers never trap (some hypervisors), types 1, 2 and 4 are still accepted, as GNU
 * gdbserver accepts them on the same machine (refusing them made gdb fail the command, not
 * fall back to software watchpoints), and the server says once on its log that they will not
 * trigger.
 */
import { debugRegistersTrap } from '../../../api.js';
import { parseZPacket } from '../protocol/index.js';
import { drForConditions, hwInsert, hwRemove } from '../debugRegs.js';
import { emulable } from '../stepping.js';
import type { GdbSession } from '../session.js';
import type { PacketFamily } from './types.js';

export const breakpointPackets: PacketFamily = {
  Z: breakpoint,
  z: breakpoint,
};

const warned = new WeakSet<GdbSession>();
function warnNoTrap(s: GdbSession): void {
  if (warned.has(s)) return;
  warned.add(s);
  s.log("warning: this machine's debug registers do not trap (a hypervisor's setting): hardware breakpoints and watchpoints are set but will not trigger; in gdb, `set can-use-hw-watchpoints 0` and `break` instead of `hbreak` work");
}

function breakpoint(s: GdbSession, p: string): string {
  const z = parseZPacket(p);
  if (z.type === 3 || z.type > 4) return ''; // x86 cannot trap reads only: gdb retries with Z4
  if (z.type !== 0 && z.insert && !debugRegistersTrap()) warnNoTrap(s);
  const ts = s.needThread();
  const inf = ts.inf;
  if (z.type === 0) {
    if (z.insert) {
      const conds = z.options.conditions;
      // Inserted again (gdb does so when the conditions or commands change: without commands
      // when a breakpoint joins a dprintf there, so that the hit is reported): same kind as before.
      const cmds = z.options.commands?.programs ?? [];
      const setCmds = (): void => void (cmds.length ? inf.bpCmds.set(z.addr, cmds) : inf.bpCmds.delete(z.addr));
      if (inf.drBps.has(z.addr)) {
        inf.swbps.set(z.addr, conds);
        setCmds();
        return 'OK';
      }
      // A debug register spares a false condition the step over the breakpoint, but traps
      // with a #DB (~15 us on a VM). A single-threaded process whose instruction there the
      // core can emulate does better with an int3 (~1 us) and the emulated step.
      const emulated = conds.length > 0 && inf.live().length === 1 && emulable(ts, z.addr);
      if (conds.length && !emulated && !inf.swbps.has(z.addr) && drForConditions(inf, s.stops.nonStop) && hwInsert(inf, 0, z.addr, 1, s.log)) {
        inf.drBps.add(z.addr);
        inf.swbps.set(z.addr, conds);
        setCmds();
        return 'OK';
      }
      try {
        inf.proc.insertBreakpoint(inf.owner!, z.addr);
      } catch {
        return 'E01';
      }
      inf.swbps.set(z.addr, conds);
      setCmds();
      inf.formerBps.delete(z.addr);
    } else {
      // OK even when absent: gdb removes inherited breakpoints from fork children.
      if (inf.swbps.delete(z.addr)) inf.formerBps.add(z.addr);
      inf.bpCmds.delete(z.addr);
      if (inf.drBps.delete(z.addr)) {
        hwRemove(inf, 0, z.addr, 1, s.log);
        return 'OK';
      }
      try {
        inf.proc.removeBreakpoint(inf.owner!, z.addr);
      } catch {
        return 'E01';
      }
    }
    return 'OK';
  }
  if (z.insert) return hwInsert(inf, z.type, z.addr, z.type === 1 ? 1 : z.kind, s.log) ? 'OK' : 'E01';
  hwRemove(inf, z.type, z.addr, z.type === 1 ? 1 : z.kind, s.log);
  return 'OK';
}
