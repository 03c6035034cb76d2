/**
 * `utrace run`: several engines on one process at once (docs/cli.md).
 *
 *   utrace run [--strace[=OPTIONS]] [--gdb ADDR] [--inject SPEC]… [--engine MODULE[=ARGS]]…
 *              (-- CMD [ARG…] | -p PID)
 *
 * Every option is checked (and every module loaded) before anything is launched.
 */
import { Tracer } from '../api.js';
import { parseInjectSpecs, FilterError } from '../engines/inject/engine.js';
import { GdbSession } from '../engines/gdb/session.js';
import { parseListenAddress, type ListenAddress } from '../engines/gdb/server.js';
import { runEngines, type RunEngine } from '../engines/run.js';
import { gdbRunEngine } from '../engines/gdb/run.js';
import { exitLikeChild, installSignalHandlers, UsageError } from './common.js';
import { ownIo } from './io.js';
import { buildEngines } from './engines.js';
import { hostingAllowed, hostLaunched, launcherSignals, type LaunchedHost } from './host/launcher.js';

export const RUN_USAGE = `usage: utrace run [--strace[="STRACE OPTIONS"]] [--gdb ADDR] [--inject SPEC]...
                 [--engine MODULE[=ARG,...]]... [--tool 'CMD ... {pid} ...']
                 (-- CMD [ARG...] | -p PID)

Run several engines on one process at once, attached in the order given.
  --strace[=OPTS]    the strace engine with 'utrace strace' options as one word (e.g. "-f -o FILE")
  --gdb ADDR         the gdb server engine on HOST:PORT, :PORT, unix:PATH or stdio
  --inject SPEC      fault injection, strace syntax: SET:error=E|retval=N[:signal=S][:when=W]
  --engine MODULE    an ES module whose default export is an engine (see defineEngine);
                     MODULE=A,B passes ['A', 'B'] as ctx.args
  --tool 'CMD'       an unmodified ptrace tool (e.g. 'strace -f -p {pid}', 'gdb -p {pid}')
                     whose ptrace and wait calls are served by the ptrace personality
                     ({pid} is the target's pid)
  -p PID             seize a running process instead of starting CMD
  --colocate, --no-colocate
                     force or turn off co-scheduling of a thread that stops often with
                     the tracer on one CPU (default: where it wins; UTRACE_COLOCATE=0|1)

Ctrl-C (SIGINT, SIGTERM, SIGHUP) detaches every engine from a process seized with -p, which
goes on running; a launched CMD is killed, as strace does.
`;

type Spec =
  | { kind: 'strace'; words: string[] }
  | { kind: 'gdb'; addr: ListenAddress }
  | { kind: 'inject'; specs: string[] }
  | { kind: 'engine'; module: string; args: string[] }
  | { kind: 'tool'; command: string[] };

interface ParsedRun {
  specs: Spec[];
  command: string[];
  pid: number | undefined;
  help: boolean;
  colocate?: 'on' | 'off';
}

/** Split an option word like a shell would (whitespace, '…' and "…" quoting, backslash). */
export function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let have = false;
  let q: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q) {
      if (c === q) q = undefined;
      else if (c === '\\' && q === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      q = c;
      have = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      have = true;
    } else if (/\s/.test(c)) {
      if (have) out.push(cur);
      cur = '';
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (q) throw new UsageError(`--strace: unterminated quote in '${s}'`);
  if (have) out.push(cur);
  return out;
}

export function parseRunArgs(argv: string[]): ParsedRun {
  const specs: Spec[] = [];
  let command: string[] = [];
  let pid: number | undefined;
  let help = false;
  let colocate: 'on' | 'off' | undefined;
  const value = (i: number, name: string, inline: string | undefined): [string, number] => {
    if (inline !== undefined) return [inline, i];
    if (i + 1 >= argv.length) throw new UsageError(`${name}: missing argument`);
    return [argv[i + 1]!, i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      command = argv.slice(i + 1);
      if (!command.length) throw new UsageError('missing command after --');
      break;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    let v: string;
    switch (name) {
      case '--colocate':
        colocate = 'on';
        break;
      case '--no-colocate':
        colocate = 'off';
        break;
      case '-h':
      case '--help':
        help = true;
        break;
      case '--strace':
        if (specs.some((s) => s.kind === 'strace')) throw new UsageError('--strace given twice');
        specs.push({ kind: 'strace', words: inline === undefined ? [] : splitWords(inline) });
        break;
      case '--gdb': {
        [v, i] = value(i, '--gdb', inline);
        if (specs.some((s) => s.kind === 'gdb')) throw new UsageError('--gdb given twice (one gdb server per run)');
        let addr: ListenAddress;
        try {
          addr = parseListenAddress(v);
        } catch (e) {
          throw new UsageError(`--gdb: ${(e as Error).message}`);
        }
        specs.push({ kind: 'gdb', addr });
        break;
      }
      case '--inject': {
        [v, i] = value(i, '--inject', inline);
        try {
          parseInjectSpecs([v]);
        } catch (e) {
          if (e instanceof FilterError) throw new UsageError(`--inject: ${e.message}`);
          throw e;
        }
        specs.push({ kind: 'inject', specs: [v] });
        break;
      }
      case '--engine': {
        [v, i] = value(i, '--engine', inline);
        if (!v) throw new UsageError('--engine: missing module path');
        const k = v.indexOf('=');
        const module = k >= 0 ? v.slice(0, k) : v;
        const args = k >= 0 ? v.slice(k + 1).split(',').filter((s) => s !== '') : [];
        if (!module) throw new UsageError('--engine: missing module path');
        specs.push({ kind: 'engine', module, args });
        break;
      }
      case '--tool': {
        [v, i] = value(i, '--tool', inline);
        const command = splitWords(v);
        if (!command.length) throw new UsageError('--tool: missing command');
        if (specs.some((s) => s.kind === 'tool')) throw new UsageError('--tool given twice (a thread has one ptrace tracer)');
        specs.push({ kind: 'tool', command });
        break;
      }
      case '-p': {
        [v, i] = value(i, '-p', undefined);
        if (!/^\d+$/.test(v) || Number(v) <= 0) throw new UsageError(`-p: invalid process id '${v}'`);
        if (pid !== undefined) throw new UsageError('-p given twice');
        pid = Number(v);
        break;
      }
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
        command = argv.slice(i);
        i = argv.length;
    }
  }
  if (!help) {
    if (pid !== undefined && command.length) throw new UsageError('-p and a command are mutually exclusive');
    if (pid === undefined && !command.length) throw new UsageError('must have -- CMD [ARGS] or -p PID');
    if (!specs.length) throw new UsageError('no engine given (--strace, --gdb, --inject, --engine or --tool)');
  }
  return { specs, command, pid, help, colocate };
}


export async function runMain(argv: string[]): Promise<number> {
  const log = (m: string): void => void process.stderr.write(m + '\n');
  const tracer = new Tracer();
  const engines: RunEngine[] = [];
  let hasStdioGdb = false;
  let gdbSession: GdbSession | undefined;
  let parsed: ParsedRun;
  const cleanups: (() => void)[] = [];
  try {
    parsed = parseRunArgs(argv);
    if (parsed.colocate) tracer._colocate = parsed.colocate;
    if (parsed.help) {
      process.stdout.write(RUN_USAGE);
      return 0;
    }
    if (parsed.pid !== undefined && hostingAllowed()) {
      // Served by the process's host, which other utrace commands can join too.
      await tracer.close();
      const { runJoin } = await import('./host/runJoin.js');
      return await runJoin(parsed.specs, parsed.pid, argv, log);
    }
    // gdb on stdio owns our stdout: the program's and a --tool's output go to stderr, whatever
    // the order of the options.
    hasStdioGdb = parsed.specs.some((s) => s.kind === 'gdb' && s.addr.kind === 'stdio');
    // One factory for every engine but gdb (cli/engines.ts: a host builds a joining command's
    // engines with it too); gdb here listens where --gdb says.
    const io = { ...ownIo(), ...(hasStdioGdb ? { stdin: -1, stdout: 2 } : {}) };
    for (const spec of parsed.specs) {
      if (spec.kind === 'gdb') {
        const session: GdbSession = new GdbSession({
          tracer, extended: false, log,
          // dprintf-style agent output: where the program's own stdout is.
          printfOutput: hasStdioGdb ? (t) => void process.stderr.write(t) : undefined,
          onExitRequest: () => session.closeConnection(),
        });
        gdbSession = session;
        engines.push(gdbRunEngine(session, spec.addr, log));
      } else {
        engines.push(...(await buildEngines([spec], { tracer, io, cleanups })));
      }
    }
  } catch (e) {
    for (const c of cleanups) c();
    if (e instanceof UsageError) {
      process.stderr.write(`utrace run: ${e.message}\nTry 'utrace run -h' for more information.\n`);
      return 1;
    }
    throw e;
  }
  const ac = new AbortController();
  // A launched program is joinable for as long as it lives: we are its host (host/launcher.ts).
  let lh: LaunchedHost | undefined;
  const sig = parsed.pid !== undefined
    ? installSignalHandlers(() => ac.abort())
    : launcherSignals(() => lh, 'utrace run', async () => {
      for (const e of engines) await Promise.resolve(e.detach()).catch(() => undefined);
    }, () => ac.abort());
  let result;
  try {
    result = await runEngines({
      tracer,
      engines,
      signal: ac.signal,
      ...(parsed.pid !== undefined ? { pid: parsed.pid } : { argv: parsed.command }),
      spawn: hasStdioGdb ? { stdio: ['ignore', 2, 2] } : undefined,
      // Ctrl-C: a seized process is detached and goes on; a launched one is killed, as strace does.
      abortSpawned: 'kill',
      onStarted: (tasks) => {
        if (parsed.pid === undefined) lh = hostLaunched(tracer, tasks[0]!, parsed.command, 'utrace run', engines);
      },
      onEngineError: (engine, callback, error, tid) => {
        log(`utrace run: engine ${engine.name}: ${callback} threw on thread ${tid}: ${error instanceof Error ? error.message : String(error)}; engine detached, the others go on`);
      },
    });
  } catch (e) {
    sig.dispose();
    for (const c of cleanups) c();
    await tracer.close();
    const err = e as Error & { code?: string; hint?: string };
    log(`utrace run: ${parsed.pid !== undefined ? `attach ${parsed.pid}` : parsed.command[0]}: ${err.message}${err.hint ? `\nutrace: hint: ${err.hint}` : ''}`);
    return 1;
  }
  sig.dispose();
  for (const c of cleanups) c();
  await lh?.close();
  await tracer.close();
  void gdbSession;
  if (!result.status) return 0; // detached on a signal: the process goes on
  return exitLikeChild(result.status);
}

