/**
 * User engines: an engine described as a plain object (event mask plus report callbacks), as
 * loaded by `utrace run --engine MODULE` from the module's default export, or passed to
 * `runEngines()`. The runner attaches one engine per thread and, unless `follow` is false,
 * follows new threads and processes from reportClone, like the strace engine.
 *
 * ```ts
 * import { defineEngine, Event } from 'utrace';
 * export default defineEngine((ctx) => ({
 *   name: 'count',
 *   events: Event.SYSCALL_EXIT,
 *   reportSyscallExit() { n++; },
 *   finish() { ctx.log(`${n} calls`); },
 * }));
 * ```
 */
import {
  Attach, Event, detachEngines, readCStringBytes, type Engine, type EngineOps, type ExitStatus, type Task, type TaskMemory, type Tracer,
} from '../api.js';

/** What an engine module is given when it is instantiated. */
export interface UserEngineContext {
  readonly tracer: Tracer;
  /** Arguments: `--engine MODULE=ARG1,ARG2` gives ['ARG1', 'ARG2']. */
  readonly args: readonly string[];
  /** Write a line of report (stderr, prefixed with the engine's name). */
  log(line: string): void;
}

/** An engine description: the event mask and the callbacks of EngineOps, plus life-cycle hooks. */
export interface UserEngine<D = any> extends Omit<EngineOps<D>, 'name'> {
  /** Name used in messages. */
  readonly name: string;
  /** Event mask (Event.*); each event needs its callback. */
  readonly events: number;
  /** Follow new threads and child processes (default true). */
  readonly follow?: boolean;
  /** Per-thread data (engine.data), made at attach. */
  data?(task: Task): D;
  /** Called once the traced process has exited or everything was detached (report here). */
  finish?(status: ExitStatus | undefined): void | Promise<void>;
}

/** A module's default export: an engine description or a factory making one per run. */
export type UserEngineModule<D = any> = UserEngine<D> | ((ctx: UserEngineContext) => UserEngine<D> | Promise<UserEngine<D>>);

/** Identity helper that types an engine module's default export. */
export function defineEngine<D = any>(def: UserEngine<D>): UserEngine<D>;
export function defineEngine<D = any>(
  def: (ctx: UserEngineContext) => UserEngine<D> | Promise<UserEngine<D>>,
): (ctx: UserEngineContext) => UserEngine<D> | Promise<UserEngine<D>>;
export function defineEngine<D = any>(def: UserEngineModule<D>): UserEngineModule<D> {
  return def;
}

const CALLBACKS = [
  'reportQuiesce', 'reportSignal', 'reportClone', 'reportJctl', 'reportExec', 'reportSyscallEntry',
  'reportSyscallExit', 'reportExit', 'reportDeath', 'reportReap',
] as const;

/** Runs one UserEngine on a set of threads. */
export class UserEngineRunner<D = any> {
  readonly def: UserEngine<D>;
  private readonly _ops: EngineOps<D>;
  private readonly _engines = new Set<Engine<D>>();
  private readonly _events: number;

  constructor(private readonly _tracer: Tracer, def: UserEngine<D>) {
    if (!def || typeof def !== 'object') throw new TypeError('engine definition is not an object');
    if (typeof def.name !== 'string' || !def.name) throw new TypeError('engine definition has no name');
    if (typeof def.events !== 'number' || !Number.isInteger(def.events)) throw new TypeError(`engine '${def.name}': events must be an Event mask`);
    for (const cb of CALLBACKS) {
      if (def[cb] !== undefined && typeof def[cb] !== 'function') throw new TypeError(`engine '${def.name}': ${cb} is not a function`);
    }
    this.def = def;
    const follow = def.follow !== false;
    const ops: EngineOps<D> = { name: def.name, syscalls: def.syscalls, release: def.release?.bind(def) };
    for (const cb of CALLBACKS) {
      const f = def[cb] as ((...a: unknown[]) => unknown) | undefined;
      if (f) (ops as Record<string, unknown>)[cb] = f.bind(def);
    }
    const userClone = ops.reportClone;
    const userDeath = ops.reportDeath;
    if (follow) {
      ops.reportClone = (action, engine, flags, child) => {
        this.attach(child);
        return userClone ? userClone(action, engine, flags, child) : undefined;
      };
    }
    ops.reportDeath = (engine, groupDead, signal) => {
      this._engines.delete(engine);
      return userDeath ? userDeath(engine, groupDead, signal) : undefined;
    };
    this._ops = ops;
    this._events = def.events | (follow ? Event.CLONE : 0) | Event.DEATH;
  }

  get name(): string {
    return this.def.name;
  }

  attach(task: Task): Engine<D> {
    const e = this._tracer.attachTask(task, Attach.CREATE, this._ops, this.def.data ? this.def.data(task) : (undefined as D));
    this._engines.add(e);
    e.setEvents(this._events);
    return e;
  }

  /** Whether the engine was detached from every thread it had (e.g. after a failure). */
  get attached(): boolean {
    for (const e of this._engines) if (!e.detached) return true;
    return false;
  }

  detachAll(): void {
    detachEngines(this._engines);
  }
}

/**
 * Read a NUL-terminated string from the tracee (for path arguments): `mem` is the thread's
 * Task, held in a callback. Undefined if unreadable.
 */
export function readCString(mem: TaskMemory, addr: bigint, max = 4096): string | undefined {
  if (addr === 0n) return undefined;
  return readCStringBytes(mem, addr, max)?.toString('utf8');
}
