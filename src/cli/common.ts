/**
 * Plumbing shared by the subcommands: argv splitting at the command, output buffering,
 * error messages with hints, signal handling and exit statuses like the traced program's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { UtraceError, raiseDefault, signalName, type ExitStatus } from '../api.js';

export { UsageError } from './usage.js';

type OptSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/**
 * Options end at `--` or at the first word that is not an option or an option's value, as
 * with strace and gdbserver (`utrace strace ls -l` traces `ls -l`).
 */
export function splitCommand(argv: string[], spec: OptSpec): [string[], string[]] {
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(spec)) {
    if (o.type === 'string') {
      takesValue.add(`--${name}`);
      if (o.short) takesValue.add(`-${o.short}`);
    }
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return [argv.slice(0, i), argv.slice(i + 1)];
    if (!a.startsWith('-') || a === '-') return [argv.slice(0, i), argv.slice(i)];
    if (a.startsWith('--')) {
      if (!a.includes('=') && takesValue.has(a)) i++;
      continue;
    }
    // A short group: the value of the first value-taking letter is the rest, or the next word.
    for (let j = 1; j < a.length; j++) {
      if (takesValue.has(`-${a[j]}`)) {
        if (j === a.length - 1) i++;
        break;
      }
    }
  }
  return [argv, []];
}

/** Trace output: buffered when going to a file (strace uses full buffering there too). */
export class BufferedSink {
  private _buf: string[] = [];
  private _len = 0;
  private _scheduled = false;

  constructor(private readonly _fd: number, private readonly _buffered: boolean) {}

  write(s: string): void {
    if (!this._buffered) {
      writeAll(this._fd, s);
      return;
    }
    this._buf.push(s);
    this._len += s.length;
    if (this._len >= 1 << 16) this.flush();
    else if (!this._scheduled) {
      // Flush when the tracer goes idle, so a quiet tracee's lines still reach the file.
      this._scheduled = true;
      setImmediate(() => {
        this._scheduled = false;
        this.flush();
      });
    }
  }

  flush(): void {
    if (!this._len) return;
    const s = this._buf.join('');
    this._buf = [];
    this._len = 0;
    writeAll(this._fd, s);
  }

  close(): void {
    this.flush();
    if (this._fd > 2) fs.closeSync(this._fd);
  }
}

/** fds whose reader is gone (EPIPE): further output is dropped, tracing goes on. */
const broken = new Set<number>();

export function writeAll(fd: number, s: string): void {
  if (broken.has(fd)) return;
  const b = Buffer.from(s);
  let off = 0;
  while (off < b.length) {
    try {
      off += fs.writeSync(fd, b, off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue;
      if (code === 'EPIPE') {
        broken.add(fd);
        return;
      }
      throw e;
    }
  }
}

/** `utrace: attach 1234: EPERM (Operation not permitted)` plus a hint. */
export function attachError(pid: number, e: unknown): string {
  if (e instanceof UtraceError) {
    const msg = `utrace: attach ${pid}: ${e.code} (${e.message.replace(/^.*\(([^)]*)\).*$/, '$1')})\n`;
    return msg + (e.hint ? `utrace: hint: ${e.hint}\n` : '');
  }
  return `utrace: attach ${pid}: ${e instanceof Error ? e.message : String(e)}\n`;
}

/** Run handler at each SIGINT, SIGTERM and SIGHUP until the returned function is called. */
export function onStopSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  const sigs = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of sigs) process.on(s, handler);
  return () => {
    for (const s of sigs) process.off(s, handler);
  };
}

/** SIGINT/SIGTERM/SIGHUP run `onStop` once (detach or kill), then let the caller finish. */
export function installSignalHandlers(onStop: () => Promise<void> | void): { done: Promise<void>; dispose(): void; readonly signal: NodeJS.Signals | undefined } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  let fired: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals): void => {
    if (fired) return;
    fired = signal;
    Promise.resolve(onStop()).finally(resolve);
  };
  return { done, dispose: onStopSignals(handler), get signal() { return fired; } };
}

/**
 * After detaching on a signal, die of it as strace does (its exit status is the signal's, not
 * 0: strace's test suite checks that `strace -p` killed by SIGTERM ends with 128+15).
 */
export function dieOfSignal(signal: NodeJS.Signals): number {
  return exitLikeChild({ code: null, signal: os.constants.signals[signal], core: false });
}

/** The exit status of the traced program becomes ours; a fatal signal is re-raised. */
export function exitLikeChild(st: ExitStatus): number {
  if (st.signal) {
    const name = signalName(st.signal) as NodeJS.Signals;
    try {
      process.removeAllListeners(name);
      if (st.signal !== 19 && st.signal !== 20) raiseDefault(st.signal);
    } catch {
      /* fall through to 128+N */
    }
    return 128 + st.signal;
  }
  return st.code ?? 0;
}
