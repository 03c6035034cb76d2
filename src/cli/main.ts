/**
 * The `utrace` command: thin subcommands that build engines from the library and hand them
 * to one Tracer (docs/cli.md).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { takeInherited } from './inherited.js';

/** Read when asked (-V): not at every start. */
const version = (): string =>
  (JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;

const USAGE = `usage: utrace <command> [options]

Multi-engine tracing and control of live Linux processes.

commands:
  strace     trace system calls and signals (strace-compatible)
  gdbserver  serve the GDB remote protocol (gdbserver-compatible)
  run        run several engines on one process at once
  host       hold a process so that independent commands trace it together
  ps         list hosted processes and their engines

options:
  -h, --help     show this help
  -V, --version  show the version (each command takes --version too)
`;

/** Options of run, host and ps that take the next word as their value (it is not an option). */
const VALUE_OPTIONS = new Set(['--gdb', '--inject', '--engine', '--tool']);

/** `utrace CMD ... --version` (before any --): run, host and ps answer it here, so that their
 * option parsers need not know it (strace and gdbserver answer it in their own formats). */
function asksVersion(args: string[]): boolean {
  for (let i = 0; i < args.length && args[i] !== '--'; i++) {
    if (args[i] === '--version') return true;
    if (VALUE_OPTIONS.has(args[i]!)) i++;
  }
  return false;
}

// bin/utrace.js starts Node without NODE_EXTRA_CA_CERTS (start-up time) and passes it on
// under another name: programs we start must see the environment they were given.
const extraCa = process.env['UTRACE_NODE_EXTRA_CA_CERTS'];
if (extraCa !== undefined) {
  process.env['NODE_EXTRA_CA_CERTS'] = extraCa;
  delete process.env['UTRACE_NODE_EXTRA_CA_CERTS'];
}

// Descriptors, closed standard descriptors and signal state bin/utrace.js was given (see
// there): programs `utrace strace` starts get them, as under strace. Not in the environment of
// anything we start.
const inherited = takeInherited(process.env);

// Diagnostics must never kill the tracer: with `target remote | utrace ...` our stderr is a
// socket gdb reads, and it is gone once gdb exits while the engines go on (EPIPE). The handler
// goes on when the stream is first used: Node makes process.stderr on first use, and one on a
// terminal or a pipe loads node:net and the streams (several ms), which a trace written to a
// file (`strace -o F`) never needs.
const stderrOf = Object.getOwnPropertyDescriptor(process, 'stderr')?.get;
if (stderrOf) {
  let guarded = false;
  Object.defineProperty(process, 'stderr', {
    configurable: true,
    enumerable: true,
    get(): NodeJS.WriteStream {
      const s = stderrOf.call(process) as NodeJS.WriteStream;
      if (!guarded) {
        guarded = true;
        s.on('error', () => undefined);
      }
      return s;
    },
  });
} else {
  process.stderr.on('error', () => undefined);
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if ((cmd === 'run' || cmd === 'host' || cmd === 'ps') && asksVersion(rest)) {
    process.stdout.write(`utrace ${cmd} ${version()}\n`);
    return 0;
  }
  switch (cmd) {
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return cmd === undefined ? 1 : 0;
    case '-V':
    case '--version':
      process.stdout.write(`utrace ${version()}\n`);
      return 0;
    case 'strace': {
      // Each subcommand loads only its own modules (start-up time: gdb measures it).
      const { straceMain } = await import('./strace.js');
      return straceMain(rest, inherited);
    }
    case 'run': {
      const { runMain } = await import('./run.js');
      return runMain(rest);
    }
    case 'gdbserver': {
      const { gdbserverMain } = await import('./gdbserver.js');
      return gdbserverMain(rest);
    }
    case 'host': {
      const { hostMain } = await import('./host/command.js');
      return hostMain(rest);
    }
    case 'ps': {
      const { psMain } = await import('./host/command.js');
      return psMain(rest);
    }
    default:
      process.stderr.write(`utrace: unknown command '${cmd}'\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`utrace: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
