/**
 * A host: the process that holds the ptrace attachment of one traced process and runs the
 * engines of every command that traces it, in their attach order. Commands come and go as
 * members (host/serve.ts turns a joining command's request into one); a keeper engine on every
 * thread holds the process between them, so a member leaving never detaches another's threads.
 * The host detaches (nothing of ours left: no stop, no breakpoint byte) when its last member
 * leaves, unless told to stay (`utrace host`), and ends with the process.
 *
 * Engines attach to the live threads of the process at any time: a member joining later sees
 * the reports from then on, after the engines already there (attach order; syscall entry runs
 * in reverse, so the newest engine is closest to the program).
 */
import { Attach, Event, Tracer, type Engine, type EngineOps, type ExitStatus, type Process, type SpawnOptions, type Task } from '../../api.js';
import type { RunEngine } from '../../engines/run.js';
import type { EngineStatus } from './protocol.js';

/** Who owns a member's engines: a command (its pid and argv). */
export interface Owner {
  pid: number;
  argv: string[];
}

export interface Member {
  readonly id: number;
  readonly owner: Owner;
  readonly engines: readonly RunEngine[];
  /** Settles when the member is gone: it left, or every engine of it that can leave on its
   * own (a gdb connection, a tool) did, or the process ended (with its status). */
  readonly gone: Promise<ExitStatus | undefined>;
  /** Called with the process's status when it ends while the member is there. */
  onExit?: (status: ExitStatus) => void;
}

interface MemberState extends Member {
  engines: RunEngine[];
  left: boolean;
  resolve: (st: ExitStatus | undefined) => void;
}

export interface HostOptions {
  /** Diagnostics (stderr of the host). */
  log?: (m: string) => void;
  /** Stay when the last member leaves (`utrace host`): end only with the process or stop(). */
  stay?: boolean;
  /** Started for a command: stay only until the first member has joined (then end with the
   * last one). */
  untilFirstJoin?: boolean;
  /** Hosted by the command that launched the process, with engines of its own outside the
   * members (host/launcher.ts): the tracer is that command's (not closed when the process ends:
   * its engines may follow children that outlive it), and stop() only makes the members leave. */
  owned?: boolean;
  /** With owned: the launching command's own engines, listed first by status() until
   * ownLeft() (owns(): is this core engine one of them). */
  own?: { owner: Owner; engines: OwnEngine[] };
}

/** An engine of the hosting command itself, as status() lists it. */
export interface OwnEngine {
  readonly name: string;
  owns?(engine: Engine): boolean;
}

const EVENT_NAMES: [number, string][] = [
  [Event.SYSCALL_ENTRY, 'syscall-entry'], [Event.SYSCALL_EXIT, 'syscall-exit'], [Event.SIGNAL_ALL, 'signal'],
  [Event.CLONE, 'clone'], [Event.EXEC, 'exec'], [Event.EXIT, 'exit'], [Event.DEATH, 'death'],
  [Event.JCTL, 'jctl'], [Event.QUIESCE, 'quiesce'],
];

/** What an engine mask asks for, by name (Event.SIGNAL_ALL's bits count as 'signal'). */
export function eventNames(mask: number): string[] {
  return EVENT_NAMES.filter(([bit]) => mask & bit).map(([, n]) => n);
}

export class Host {
  readonly tracer: Tracer;
  readonly pid: number;
  readonly process: Process;
  /** Settles when the host is done: with the process's status, or undefined once detached. */
  readonly ended: Promise<ExitStatus | undefined>;
  private readonly _members: MemberState[] = [];
  private readonly _keepers = new Set<Engine>();
  private readonly _log: (m: string) => void;
  private _stay: boolean;
  private _untilFirstJoin: boolean;
  private _nextId = 1;
  private _ending = false;
  private _spawned: Task | undefined;
  private _endResolve!: (st: ExitStatus | undefined) => void;
  private _exit: ExitStatus | undefined;
  private readonly _owned: boolean;
  private _own: { owner: Owner; engines: OwnEngine[] } | undefined;

  private constructor(tracer: Tracer, tasks: Task[], spawned: boolean, opts: HostOptions) {
    this.tracer = tracer;
    this.process = tasks[0]!.process;
    this.pid = this.process.pid;
    this._log = opts.log ?? ((m) => void process.stderr.write(m + '\n'));
    this._stay = !!opts.stay || !!opts.untilFirstJoin || !!opts.owned;
    this._untilFirstJoin = !!opts.untilFirstJoin;
    this._spawned = spawned ? tasks[0] : undefined;
    this._owned = !!opts.owned;
    this._own = opts.own;
    this.ended = new Promise((r) => (this._endResolve = r));
    const keeper: EngineOps = {
      name: 'host',
      threadsOnly: true,
      // A new thread gets the keeper before it runs: the process stays whole between members.
      reportClone: (_a, _e, _flags, child) => {
        if (child.tgid === this.pid) this._keep(child);
      },
    };
    this._keeperOps = keeper;
    for (const t of tasks) this._keep(t);
    void this.process.exit.then((st) => this._processEnded(st));
  }

  private readonly _keeperOps: EngineOps;

  private _keep(task: Task): void {
    try {
      const e = this.tracer.attachTask(task, Attach.CREATE, this._keeperOps);
      e.setEvents(Event.CLONE);
      this._keepers.add(e);
    } catch {
      /* gone already */
    }
  }

  /** Start argv traced and host it (held before its execve until start()). */
  static async launch(argv: string[], spawn: SpawnOptions = {}, opts: HostOptions = {}): Promise<Host> {
    const tracer = new Tracer();
    const task = await tracer.spawn(argv, spawn);
    return new Host(tracer, [task], true, opts);
  }

  /** Seize every thread of pid and host it. Errors as Tracer.attachProcess. */
  static async attach(pid: number, opts: HostOptions = {}): Promise<Host> {
    const tracer = new Tracer();
    try {
      return new Host(tracer, await tracer.attachProcess(pid), false, opts);
    } catch (e) {
      await tracer.close();
      throw e;
    }
  }

  /**
   * Host what a command already traces on its own tracer (a launched program, held before its
   * execve, with the command's engines attached): the command's engines stay outside the
   * members, first in attach order; joiners come after them.
   */
  static adopt(tracer: Tracer, tasks: Task[], spawned: boolean, opts: HostOptions = {}): Host {
    return new Host(tracer, tasks, spawned, opts);
  }

  /** Was the process started by this host (and not yet let go)? */
  get launched(): boolean {
    return this._spawned !== undefined;
  }

  /** Let a launched program run (its engines are attached). */
  start(): void {
    this._spawned?.start();
  }

  get members(): readonly Member[] {
    return this._members.filter((m) => !m.left);
  }

  /** Whether any command ever joined (members that left included). */
  get everJoined(): boolean {
    return this._members.length > 0;
  }

  /** The live threads of the process. */
  threads(): Task[] {
    return this.process.threads.filter((t) => t.state !== 'dead');
  }

  /**
   * Attach a member's engines, in order, after every engine already there, and start them.
   * Throws (and attaches nothing) if the host is ending or an engine fails to attach.
   */
  async join(owner: Owner, engines: RunEngine[], onExit?: (st: ExitStatus) => void): Promise<Member> {
    if (this._ending) throw Object.assign(new Error(`process ${this.pid} is no longer hosted`), { code: 'ESRCH' });
    let resolve!: (st: ExitStatus | undefined) => void;
    const gone = new Promise<ExitStatus | undefined>((r) => (resolve = r));
    const m: MemberState = { id: this._nextId++, owner, engines, gone, left: false, resolve, onExit };
    const before = this._members.filter((x) => !x.left).flatMap((x) => x.engines);
    const tasks = this.threads();
    const done: RunEngine[] = [];
    try {
      for (const e of engines) {
        await e.attach(tasks, { tracer: this.tracer, spawned: this.launched, argv: undefined, before: [...before, ...done] });
        done.push(e);
      }
    } catch (err) {
      for (const e of done) await Promise.resolve(e.detach()).catch(() => undefined);
      throw err;
    }
    this._members.push(m);
    if (this._untilFirstJoin) this._stay = this._untilFirstJoin = false;
    // An engine that can leave on its own (run() settles: gdb hung up, a tool exited) takes
    // the member with it once every such engine has left.
    const runs = engines.map((e) => e.run?.()).filter((p): p is Promise<void> => !!p);
    if (runs.length) {
      void Promise.all(runs.map((p) => p.catch(() => undefined))).then(() => {
        if (!m.left) void this.leave(m);
      });
    }
    return m;
  }

  /** The member's engines leave (their finish runs: output flushed); nobody else's do. */
  async leave(member: Member): Promise<void> {
    const m = member as MemberState;
    if (m.left) return;
    m.left = true;
    for (const e of m.engines) await Promise.resolve(e.detach()).catch((err) => this._log(`utrace host: ${e.name}: detach: ${String(err)}`));
    for (const e of m.engines) await Promise.resolve(e.finish?.(undefined)).catch((err) => this._log(`utrace host: ${e.name}: finish: ${String(err)}`));
    m.resolve(undefined);
    if (!this._stay && !this.members.length && !this._exit) await this._detachAll();
  }

  /** Stay or not when the last member leaves (`utrace host` stays). */
  set stay(on: boolean) {
    this._stay = on;
    if (!on && !this.members.length && !this._exit) void this._detachAll();
  }

  /** Every member leaves; the host detaches and ends. */
  async stop(): Promise<void> {
    await this.leaveAll();
    if (!this._owned) await this._detachAll();
  }

  /** The hosting command's own engines are gone (status() no longer lists them). */
  ownLeft(): void {
    this._own = undefined;
  }

  /**
   * The hosting command let the program go (strace -b execve): unless a command joined, the
   * host lets go of it too, now, from the command's report (the program runs on untraced).
   */
  letGo(): void {
    if (this.members.length) return;
    for (const e of this._keepers) {
      try {
        e.detach();
      } catch {
        /* gone */
      }
    }
    this._keepers.clear();
  }

  /** Every member leaves; the host stays (its own command decides what comes next). */
  async leaveAll(): Promise<void> {
    for (const m of [...this._members]) await this.leave(m);
  }

  /** Settles once no member is left (one that joins meanwhile is waited for too). */
  async whenAlone(): Promise<void> {
    for (let ms = this.members; ms.length; ms = this.members) await Promise.race(ms.map((m) => m.gone));
  }

  /** The engines attached, in attach order, for `utrace ps`. */
  status(): EngineStatus[] {
    const out: EngineStatus[] = [];
    const leader = this.threads().find((t) => t.tid === this.pid) ?? this.threads()[0];
    const owners: { owner: Owner; engines: readonly OwnEngine[] }[] = [...(this._own ? [this._own] : []), ...this.members];
    for (const m of owners) {
      for (const e of m.engines) {
        let mask = 0;
        for (const ce of leader?.engines ?? []) if (e.owns?.(ce)) mask |= ce.events;
        out.push({ kind: e.name, owner: { pid: m.owner.pid, argv: m.owner.argv }, events: eventNames(mask) });
      }
    }
    return out;
  }

  private async _processEnded(st: ExitStatus): Promise<void> {
    if (this._ending && !this._exit) return; // detached first: not ours to report
    this._exit = st;
    this._ending = true;
    // All at once: none of them counts as a member any more while the others finish.
    const live = this._members.filter((m) => !m.left);
    for (const m of live) m.left = true;
    for (const m of live) {
      for (const e of m.engines) await Promise.resolve(e.finish?.(st)).catch((err) => this._log(`utrace host: ${e.name}: finish: ${String(err)}`));
      try {
        m.onExit?.(st);
      } catch {
        /* the member's own business */
      }
      m.resolve(st);
    }
    if (!this._owned) await this.tracer.close();
    this._endResolve(st);
  }

  private async _detachAll(): Promise<void> {
    if (this._ending) return this.ended.then(() => undefined);
    this._ending = true;
    // A launched program nobody traces any more goes on untraced, as after strace -p's detach.
    this._spawned?.start();
    await this.tracer.close();
    if (!this._exit) this._endResolve(undefined);
  }
}
