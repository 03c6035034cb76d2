/**
 * /proc/PID/status as a record of its fields ("Uid" -> "0\t0\t0\t0", "SigBlk" -> hex mask),
 * or undefined once the task is gone. One reader for the core and the engines.
 */
import * as fs from 'node:fs';

export function procStatus(pid: number): Record<string, string> | undefined {
  try {
    const o: Record<string, string> = {};
    for (const line of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
      const i = line.indexOf(':');
      if (i > 0) o[line.slice(0, i)] = line.slice(i + 1).trim();
    }
    return o;
  } catch {
    return undefined;
  }
}
