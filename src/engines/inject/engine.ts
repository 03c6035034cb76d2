/**
 * The fault-injection engine: strace's `-e inject=` as an engine of its own, so it can be
 * combined with any other engine on the same threads (`utrace run --inject SPEC`). Written
 * only against the public API. SPEC is strace's syntax: `SET:error=E|retval=N[:signal=S]
 * [:when=W][:delay_enter=US][:delay_exit=US][:poke_enter=@argN=HEX][:poke_exit=@argN=HEX]`.
 *
 * At syscall entry a rule that fires votes ABORT (the call is skipped) and also puts the
 * result in rax at once, so every engine's exit report (in attach order, some of which run
 * before ours) already sees the injected value; the exit report sets it again in case an
 * engine closer to the kernel overrode the abort.
 */
import {
  Attach, Event, Resume, SyscallAction, detachEngines, type Engine, type EngineOps, type SyscallReport, type Task, type Tracer,
} from '../../api.js';
import { InjectRules, InjectState, type InjectRule } from '../qualifier/inject.js';
import { FilterError } from '../qualifier/sets.js';
import { applyPokes } from '../qualifier/poke.js';

interface TaskState {
  rule?: InjectRule;
}

/**
 * Parse inject specs (strace syntax; `inject=` is implied, `fault=SPEC` makes a fault rule);
 * throws FilterError.
 */
export function parseInjectSpecs(specs: readonly string[]): InjectRules {
  const rules = new InjectRules();
  for (const s of specs) {
    if (s.startsWith('fault=')) rules.add(s.slice('fault='.length), true);
    else rules.add(s.startsWith('inject=') ? s.slice('inject='.length) : s, false);
  }
  return rules;
}

export { FilterError };

export class InjectEngine {
  private readonly _state: InjectState;
  private readonly _ops: EngineOps<TaskState>;
  private readonly _engines = new Set<Engine<TaskState>>();
  /** Number of injections made so far. */
  injected = 0;
  private readonly _listeners: ((task: Task, nr: number) => void)[] = [];
  /** Where a poke that could not be made is said (strace's words, without a name). */
  onMessage: (msg: string) => void = () => undefined;

  constructor(private readonly _tracer: Tracer, rules: InjectRules, readonly follow = true) {
    this._state = new InjectState(rules);
    const sys = rules.syscalls();
    this._ops = {
      name: 'inject',
      syscalls: sys,
      reportSyscallEntry: (a, e, call) => this._entry(e, call),
      reportSyscallExit: (a, e, call) => this._exit(e, call),
      reportClone: (a, e, flags, child) => {
        if (this.follow) this.attach(child);
      },
      reportDeath: (e) => {
        this._engines.delete(e);
        this._state.forget(e.task.tid);
      },
    };
  }

  attach(task: Task): Engine<TaskState> {
    const e = this._tracer.attachTask(task, Attach.CREATE, this._ops, {});
    e.setEvents(Event.SYSCALL | Event.CLONE | Event.DEATH);
    this._engines.add(e);
    return e;
  }

  /**
   * Call `listener` at syscall entry each time a call is skipped and its result forced, while
   * the thread is still in that call (its exit reports follow). Engines attached before this
   * one get their entry reports before ours and cannot see our ABORT vote: this tells them.
   */
  onInjected(listener: (task: Task, nr: number) => void): void {
    this._listeners.push(listener);
  }

  detachAll(): void {
    detachEngines(this._engines);
  }

  private _entry(e: Engine<TaskState>, call: SyscallReport): number | void | Promise<number | void> {
    const rule = this._state.check(e.task.tid, call.nr);
    e.data.rule = rule;
    if (!rule) return undefined;
    if (rule.pokeEnter) applyPokes(e.task, e.task.tid, call.nr, call.args, rule.pokeEnter, this.onMessage);
    const forced = rule.error !== undefined || rule.retval !== undefined;
    const vote = forced ? Resume.RESUME | SyscallAction.ABORT : undefined;
    if (forced) {
      this.injected++;
      const r = e.task.regs();
      r.set('rax', resultOf(rule));
      e.task.setRegs(r);
      for (const l of this._listeners) l(e.task, call.nr);
    }
    if (rule.delayEnter) return delay(rule.delayEnter).then(() => vote);
    return vote;
  }

  private _exit(e: Engine<TaskState>, call: SyscallReport): void | Promise<void> {
    const rule = e.data.rule;
    e.data.rule = undefined;
    if (!rule) return undefined;
    if (rule.error !== undefined || rule.retval !== undefined) call.setReturn(resultOf(rule));
    if (rule.signal !== undefined) e.task.signal(rule.signal);
    if (rule.pokeExit) applyPokes(e.task, e.task.tid, call.nr, call.args, rule.pokeExit, this.onMessage);
    if (rule.delayExit) return delay(rule.delayExit);
    return undefined;
  }
}

function resultOf(rule: InjectRule): bigint {
  return rule.error !== undefined ? BigInt(-rule.error) : rule.retval!;
}

function delay(us: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.ceil(us / 1000)));
}
