/**
 * Engines from their command-line specs, for a tracer and a command's io: what `utrace run`
 * builds for its own process, and what a host builds for a command that joined it (with the
 * descriptors that command handed over). One place, so an engine behaves the same whichever
 * process runs it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Tracer } from '../api.js';
import { InjectEngine, parseInjectSpecs } from '../engines/inject/engine.js';
import { injectRunEngine } from '../engines/inject/run.js';
import { toolRunEngine } from '../engines/ptrace/run.js';
import { userRunEngine, type RunEngine } from '../engines/run.js';
import { straceRunEngine } from '../engines/strace/run.js';
import type { UserEngine, UserEngineModule } from '../engines/user.js';
import { UsageError } from './common.js';
import { say, type CommandIo } from './io.js';
import { enableTypeScript, isTypeScript, typeScriptLoadError } from './typescript.js';
import type { EngineSpec } from './host/protocol.js';
import { prepareStrace } from './strace.js';
import { buildStraceOutput } from './strace-run.js';

/** How the built engines are told apart in messages and how a gdb spec is served. */
export interface BuildContext {
  tracer: Tracer;
  io: CommandIo;
  /** Serves a 'gdb' spec (the caller knows where gdb comes from: an address, a descriptor). */
  gdb?: () => Promise<RunEngine> | RunEngine;
  /** Flushes and closes outputs once the engines are done (filled in here). */
  cleanups: (() => void)[];
}

/** Build every spec's engine, in order; a bad spec is a UsageError naming its option. */
export async function buildEngines(specs: EngineSpec[], ctx: BuildContext): Promise<RunEngine[]> {
  const out: RunEngine[] = [];
  for (const spec of specs) out.push(await buildEngine(spec, ctx));
  return out;
}

async function buildEngine(spec: EngineSpec, ctx: BuildContext): Promise<RunEngine> {
  const { tracer, io } = ctx;
  const log = (m: string): void => say(io, m);
  switch (spec.kind) {
    case 'strace':
      return buildStrace(tracer, spec.words, io, ctx.cleanups);
    case 'inject':
      return injectRunEngine(new InjectEngine(tracer, parseInjectSpecs(spec.specs)));
    case 'gdb':
      if (!ctx.gdb) throw new UsageError('--gdb: no gdb connection here');
      return ctx.gdb();
    case 'tool':
      return toolRunEngine(spec.command, {
        stdio: [io.stdin < 0 ? 'ignore' : io.stdin, io.stdout < 0 ? 'ignore' : io.stdout, io.stderr < 0 ? 'ignore' : io.stderr],
        onExit: (st) => {
          if (st instanceof Error) log(`utrace run: --tool ${spec.command[0]}: ${st.message}`);
          else if (st.signal) log(`utrace run: --tool ${spec.command[0]} killed by signal ${st.signal}`);
          else if (st.code) log(`utrace run: --tool ${spec.command[0]} exited with ${st.code}`);
        },
      });
    case 'engine': {
      const mod = await loadEngineModule(spec.module, io.cwd);
      let def: UserEngine;
      try {
        def = typeof mod === 'function'
          ? await mod({ tracer, args: spec.args, log: (l) => log(`${spec.module}: ${l}`) })
          : mod;
      } catch (e) {
        throw new UsageError(`--engine ${spec.module}: the engine factory threw: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (!def || typeof def !== 'object' || typeof def.events !== 'number' || typeof def.name !== 'string') {
        throw new UsageError(`--engine ${spec.module}: the default export is not an engine (needs name and events)`);
      }
      return userRunEngine(def, `${def.name} (${spec.module})`);
    }
  }
}

/** Import MODULE (relative to cwd; .js, .mjs, or TypeScript: .ts, .mts with its types stripped)
 * and check its default export; the error names the module. */
export async function loadEngineModule(module: string, cwd = process.cwd()): Promise<UserEngineModule> {
  const file = path.resolve(cwd, module);
  if (!fs.existsSync(file)) throw new UsageError(`--engine ${module}: no such file`);
  let m: { default?: unknown };
  if (isTypeScript(file)) enableTypeScript(`--engine ${module}`);
  try {
    m = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    if (isTypeScript(file)) {
      const ts = typeScriptLoadError(`--engine ${module}`, e);
      if (ts) throw ts;
    }
    throw new UsageError(`--engine ${module}: cannot load: ${e instanceof Error ? e.message : String(e)}`);
  }
  const d = m.default;
  if (d === undefined) throw new UsageError(`--engine ${module}: no default export (export default defineEngine({...}))`);
  if (typeof d !== 'function' && (typeof d !== 'object' || d === null)) {
    throw new UsageError(`--engine ${module}: the default export is not an engine (got ${typeof d})`);
  }
  return d as UserEngineModule;
}

/** The strace engine from `utrace strace` options, without a command or -p (the process is
 * given). */
function buildStrace(tracer: Tracer, words: string[], io: CommandIo, cleanups: (() => void)[]): RunEngine {
  let p;
  try {
    p = prepareStrace([...words, '--', 'true']);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`--strace: ${e.message}`);
    throw e;
  }
  if (p.command.length !== 1 || p.pids.length) throw new UsageError('--strace: give the command after -- and -p to run, not inside --strace');
  if (p.help) throw new UsageError('--strace: -h is not an option here');
  let built;
  try {
    built = buildStraceOutput(tracer, p, io);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`--strace: ${e.message}`);
    throw e;
  }
  const { engine, finish: close } = built;
  cleanups.push(close);
  return straceRunEngine(engine, close);
}
