/**
 * Example engine: which files a command tree read, wrote, created or deleted.
 *   utrace run --engine examples/file-audit.ts -- sh -c 'cat a > b'
 * Reports at exit on stderr, one section per kind, absolute paths sorted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defineEngine, Event, readCString, SYSCALL_NR, type Engine, type SyscallReport } from 'utrace';

const O_ACCMODE = 3, O_CREAT = 0o100, O_TRUNC = 0o1000, AT_FDCWD = -100n;
const NR = (n: string): number => SYSCALL_NR[n as keyof typeof SYSCALL_NR] as number;

interface Pending { kind: 'open' | 'unlink'; path: string; flags: number; existed: boolean }

export default defineEngine<Pending | undefined>((ctx) => {
  const read = new Set<string>(), written = new Set<string>(), created = new Set<string>(), deleted = new Set<string>();
  const resolve = (e: Engine, dirfd: bigint, p: string): string => {
    if (p.startsWith('/')) return path.normalize(p);
    const base = BigInt.asIntN(32, dirfd) === AT_FDCWD ? `/proc/${e.task.tgid}/cwd` : `/proc/${e.task.tgid}/fd/${Number(dirfd)}`;
    try {
      return path.join(fs.readlinkSync(base), p);
    } catch {
      return p;
    }
  };
  const exists = (p: string): boolean => {
    try {
      fs.lstatSync(p);
      return true;
    } catch {
      return false;
    }
  };
  return {
    name: 'file-audit',
    events: Event.SYSCALL,
    syscalls: ['open', 'openat', 'creat', 'unlink', 'unlinkat'].map(NR),
    reportSyscallEntry(action: number, e: Engine<Pending | undefined>, call: SyscallReport) {
      const a = call.args;
      let dirfd = AT_FDCWD, p: bigint, flags = 0, kind: Pending['kind'] = 'open';
      switch (call.nr) {
        case NR('open'): p = a[0]!; flags = Number(a[1]!); break;
        case NR('openat'): dirfd = a[0]!; p = a[1]!; flags = Number(a[2]!); break;
        case NR('creat'): p = a[0]!; flags = O_CREAT | O_TRUNC | 1; break;
        case NR('unlink'): p = a[0]!; kind = 'unlink'; break;
        case NR('unlinkat'): dirfd = a[0]!; p = a[1]!; kind = 'unlink'; break;
        default: e.data = undefined; return;
      }
      const s = readCString(e.task, p);
      if (s === undefined) return void (e.data = undefined);
      const abs = resolve(e, dirfd, s);
      e.data = { kind, path: abs, flags, existed: exists(abs) };
    },
    reportSyscallExit(action: number, e: Engine<Pending | undefined>, call: SyscallReport) {
      const d = e.data;
      e.data = undefined;
      if (!d || (call.ret ?? -1n) < 0n) return;
      if (d.kind === 'unlink') return void deleted.add(d.path);
      if (d.path.startsWith('/proc/') || d.path.startsWith('/dev/')) return;
      const acc = d.flags & O_ACCMODE;
      if (acc === 0) read.add(d.path);
      else {
        written.add(d.path);
        if (acc === 2) read.add(d.path);
      }
      if (d.flags & O_CREAT && !d.existed) created.add(d.path);
    },
    finish() {
      for (const [title, set] of [['read', read], ['written', written], ['created', created], ['deleted', deleted]] as const) {
        ctx.log(`${title}: ${set.size}`);
        for (const p of [...set].sort()) ctx.log(`  ${p}`);
      }
    },
  };
});
