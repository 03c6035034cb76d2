/**
 * Example engine: a network sandbox. connect() and bind() to an inet address outside the
 * allow-list fail with EACCES (the call never runs); every attempt is reported.
 *   utrace run --engine examples/net-sandbox.ts=127.0.0.1:8080,10.0.0.1 -- CMD
 * Allow-list entries: HOST or HOST:PORT (IPv4 or IPv6 literal). Unix sockets are not checked.
 */
import { defineEngine, Event, Resume, SyscallAction, SYSCALL_NR, type Engine, type SyscallReport } from 'utrace';

const EACCES = 13n;
const CONNECT = SYSCALL_NR['connect' as keyof typeof SYSCALL_NR] as number;
const BIND = SYSCALL_NR['bind' as keyof typeof SYSCALL_NR] as number;

function sockaddr(b: Buffer): { host: string; port: number } | undefined {
  const family = b.readUInt16LE(0);
  if (family === 2 && b.length >= 8) return { host: [...b.subarray(4, 8)].join('.'), port: b.readUInt16BE(2) };
  if (family === 10 && b.length >= 24) {
    const w: string[] = [];
    for (let i = 8; i < 24; i += 2) w.push(b.readUInt16BE(i).toString(16));
    return { host: w.join(':').replace(/\b(?:0:)+0\b/, ':').replace(/:{3,}/, '::'), port: b.readUInt16BE(2) };
  }
  return undefined;
}

export default defineEngine<{ deny: boolean }>((ctx) => {
  const allow = ctx.args.map((a) => {
    const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(a);
    return { host: m?.[1] ?? a, port: m?.[2] ? Number(m[2]) : undefined };
  });
  const attempts: string[] = [];
  let denied = 0;
  return {
    name: 'net-sandbox',
    events: Event.SYSCALL,
    syscalls: [CONNECT, BIND],
    data: () => ({ deny: false }),
    reportSyscallEntry(action: number, e: Engine<{ deny: boolean }>, call: SyscallReport) {
      e.data.deny = false;
      if (call.nr !== CONNECT && call.nr !== BIND) return;
      const len = Math.min(Number(call.args[2]!), 128);
      let sa;
      try {
        sa = sockaddr(e.task.readMemory(call.args[1]!, len));
      } catch {
        return;
      }
      if (!sa) return;
      const ok = allow.some((a) => a.host === sa.host && (a.port === undefined || a.port === sa.port));
      const what = `${call.nr === CONNECT ? 'connect' : 'bind'} ${sa.host}:${sa.port} by pid ${e.task.tgid}: ${ok ? 'allowed' : 'denied'}`;
      attempts.push(what);
      ctx.log(what);
      if (ok) return;
      denied++;
      e.data.deny = true;
      return Resume.RESUME | SyscallAction.ABORT;
    },
    reportSyscallExit(action: number, e: Engine<{ deny: boolean }>, call: SyscallReport) {
      if (!e.data.deny) return;
      e.data.deny = false;
      call.setReturn(-EACCES);
    },
    finish() {
      ctx.log(`${attempts.length} attempts, ${denied} denied`);
    },
  };
});
