/**
 * `monitor CMD` (qRcmd): gdbserver's commands. Output goes to gdb as `O` packets before the
 * reply; an unknown command or argument prints why and the help, and is answered E01 (gdb:
 * "Protocol error with Rcmd"), as gdbserver does.
 */
import { formatConsoleOutput } from '../protocol/index.js';
import type { GdbSession } from '../session.js';
import { setGdbDebug } from '../debug.js';

const HELP = `The following monitor commands are supported:
  set debug <0|1>
    Log the server's own workings (stops, holds, step-overs) on its stderr
  set debug-hw-points <0|1>
    Accepted (debug-register use is in the general log)
  set remote-debug <0|1>
    Log every packet in and out on the server's stderr
  set event-loop-debug <0|1>
    Accepted (there is no separate event-loop log)
  set debug-format option1[,option2,...]
    What debug lines start with; options: all, none, timestamp
  exit
    Stop the server: kill the programs it started, detach the others
`;

/** `monitor CMD`: the reply (OK or E01); its output is sent before it. */
export function monitor(s: GdbSession, cmd: string): string {
  const out = (text: string): void => s.conn?.send(formatConsoleOutput(text));
  const unknown = (): string => {
    out('Unknown monitor command.\n\n');
    out(HELP);
    return 'E01';
  };
  const c = cmd.trim();
  if (c === 'help') {
    out(HELP);
    return 'OK';
  }
  if (c === 'exit') {
    setImmediate(() => s.opts.onExitRequest?.());
    return 'OK';
  }
  const set = /^set\s+(\S+)\s*(.*)$/.exec(c);
  if (!set) return unknown();
  const [, what, arg] = set as unknown as [string, string, string];
  const onOff = arg === '1' ? true : arg === '0' ? false : undefined;
  switch (what) {
    case 'debug':
      if (onOff === undefined) return unknown();
      s.debug.general = onOff;
      setGdbDebug(onOff);
      out(`Debug output ${onOff ? 'enabled' : 'disabled'}.\n`);
      return 'OK';
    case 'remote-debug':
      if (onOff === undefined) return unknown();
      s.debug.remote = onOff;
      out(`Protocol debug output ${onOff ? 'enabled' : 'disabled'}.\n`);
      return 'OK';
    case 'debug-hw-points':
      if (onOff === undefined) return unknown();
      out(`H/W point debugging output ${onOff ? 'enabled' : 'disabled'}.\n`);
      return 'OK';
    case 'event-loop-debug':
      if (onOff === undefined) return unknown();
      out(`Event loop debug output ${onOff ? 'enabled' : 'disabled'}.\n`);
      return 'OK';
    case 'debug-format': {
      if (!arg) return unknown();
      const r = applyDebugFormat(s.debug, arg, out);
      return r ? 'OK' : 'E01';
    }
    default:
      return unknown();
  }
}

/**
 * `--debug-format=` / `monitor set debug-format`: options applied left to right, each saying
 * what it did; false at the first unknown one (after the message naming it).
 */
export function applyDebugFormat(d: { timestamp: boolean }, arg: string, say: (m: string) => void): boolean {
  for (const opt of arg.split(',')) {
    switch (opt.trim()) {
      case 'all':
        d.timestamp = true;
        say('All extra debug format options enabled.\n');
        break;
      case 'none':
        d.timestamp = false;
        say('All extra debug format options disabled.\n');
        break;
      case 'timestamp':
        d.timestamp = true;
        say('Timestamps will be added to debug output.\n');
        break;
      default:
        say(`Unknown debug-format argument: "${opt.trim()}"\n`);
        return false;
    }
  }
  return true;
}
