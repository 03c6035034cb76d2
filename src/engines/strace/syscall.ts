/**
 * Decoding one syscall from entry to exit: picks the decoder by kernel name, runs it at entry and
 * (if it asked) at exit, and formats the return value as strace does (syscall.c
 * syscall_exiting_trace). Pure: the engine supplies registers and a memory reader per stop.
 */
import { SYSCALLS, SYSCALL_CLASS_NAMES, errnoMessage, errnoName, type TaskMemory } from '../../api.js';
import { DECODERS } from './decoders/index.js';
import { Ctx, DEFAULT_DECODE_OPTIONS, RV, RVAL_DECODED, RVAL_MASK, type Decoder, type DecodeOptions, type RvKind } from './printer.js';
import { renderArgs, renderValue } from './render.js';
import { chg, hexStr, sym, type Value } from './value.js';
import type { PidKind } from './pidns.js';

/** What the engine knows at a syscall-entry stop. */
export interface SyscallStop {
  readonly nr: number;
  readonly tid: number;
  /** Thread-group id (for -y fd lookups). */
  readonly pid: number;
  /** The six argument registers. */
  readonly args: readonly bigint[];
  /** They are six unsigned 64-bit values already (a SyscallReport's): copied as they are. */
  readonly argsUnsigned?: boolean;
  readonly mem: TaskMemory;
  /** Stack pointer, if known (rt_sigreturn shows the restored mask from the signal frame). */
  readonly sp?: bigint;
  /** -e raw=: every argument undecoded in hex, and the return value in hex. */
  readonly raw?: boolean;
  /** The name of the thread's previous syscall, if known (restart_syscall resumes it). */
  readonly prevName?: string;
}

const PURE = SYSCALL_CLASS_NAMES['%pure'] ?? 0;

/** Kernel-internal restart codes a tracer can observe (include/linux/errno.h). */
const RESTART_CODES: Record<number, string> = {
  512: 'ERESTARTSYS (To be restarted if SA_RESTART is set)',
  513: 'ERESTARTNOINTR (To be restarted)',
  514: 'ERESTARTNOHAND (To be restarted if no handler)',
  516: 'ERESTART_RESTARTBLOCK (Interrupted by signal)',
};

/** Calls that return a process id, and of which kind (--pidns-translation annotates them). */
const PID_RETURNS: Record<string, PidKind> = {
  getpid: 'tgid', getppid: 'tgid', gettid: 'tid', getpgrp: 'pgid', getpgid: 'pgid', getsid: 'sid',
  fork: 'tgid', vfork: 'tgid', clone: 'tid', clone3: 'tid', setsid: 'sid',
};

let decoderErrorHook: ((syscall: string, err: unknown) => void) | undefined;

/**
 * Observes decoder exceptions (normally swallowed: the call then prints raw arguments).
 * The fuzzer and tests use it to fail on decoder bugs. Returns the previous hook.
 */
export function setDecoderErrorHook(h: ((syscall: string, err: unknown) => void) | undefined): typeof decoderErrorHook {
  const prev = decoderErrorHook;
  decoderErrorHook = h;
  return prev;
}

/** strace's printargs: every argument as %#lx (syscalls without a decoder). */
export function makeRawDecoder(nargs: number): Decoder {
  return (c) => {
    for (let i = 0; i < nargs; i++) c.push(c.x(i));
    return RVAL_DECODED;
  };
}
const RAW6 = makeRawDecoder(6);

/** -e raw=: the arguments as printargs does, and a hex return value. */
function rawHexDecoder(nargs: number): Decoder {
  const args = makeRawDecoder(nargs);
  return (c) => args(c) | RV.HEX;
}

export function syscallName(nr: number): string {
  const e = nr >= 0 ? SYSCALLS[nr] : undefined;
  return e ? e.name : `syscall_${hexStr(BigInt(nr >>> 0))}`;
}

/** One syscall in flight, from entry to exit. */
export class DecodedSyscall {
  /** Result of the last decoder call: RVAL_DECODED bit plus the return-value kind. */
  private _res = 0;
  /** Number of ctx.out values printed at entry. */
  readonly entryCount: number;
  /** Arguments text printed at entry, with the trailing ", " when more follow at exit. */
  readonly entryText: string;
  /** Arguments text appended at exit (empty when all was printed at entry). */
  exitText = '';
  exited = false;
  /** Set by the engine when it replaced the result (-e inject). */
  injected = false;
  /** Set by the engine when it wrote where arguments point (inject poke_enter=/poke_exit=). */
  poked = false;
  /** Set by the engine when a delay was injected. */
  delayed = false;
  /** Lines printed after the call's own (-e read=/write= hex dumps). */
  dump = '';

  constructor(
    readonly nr: number,
    readonly name: string,
    readonly ctx: Ctx,
    private readonly _decoder: Decoder,
  ) {
    this._res = this._run(true);
    this.entryCount = ctx.out.length;
    const text = renderArgs(ctx.out, ctx.o.hexStrings);
    this.entryText = !this.done && this.entryCount > 0 && !ctx.noTrailingSep ? `${text}, ` : text;
  }

  get tid(): number {
    return this.ctx.tid;
  }
  /**
   * -e inject=…:retval= put the result there (call before exit()): a call that never fails
   * (%pure: getpid, getuid, ...) shows it as a result whatever its value, as strace does; an
   * injected error= is still an error.
   */
  retvalInjected(): void {
    this.ctx.neverFails = ((SYSCALLS[this.nr]?.classes ?? 0) & PURE) !== 0;
  }

  /** A non-leader thread's execve: the call returns under the leader's tid (the thread's now). */
  renumber(tid: number): void {
    this.ctx.tid = tid;
  }
  get pid(): number {
    return this.ctx.pid;
  }
  /** True when the decoder printed everything at entry. */
  get done(): boolean {
    return (this._res & RVAL_DECODED) !== 0;
  }
  get kind(): RvKind {
    return (this._res & RVAL_MASK) as RvKind;
  }
  get rval(): bigint {
    return this.ctx.rval;
  }
  /** All decoded arguments (for JSON and timelines). */
  get args(): readonly Value[] {
    return this.ctx.out;
  }
  /** errno when the call failed, else 0. */
  get errno(): number {
    return this.ctx.failed ? Number(-this.ctx.rval) : 0;
  }

  /** Decodes the exit half. `rval` is the signed return register. */
  exit(rval: bigint, mem?: TaskMemory): void {
    if (this.exited) return;
    this.exited = true;
    this.ctx.entering = false;
    this.ctx.rval = BigInt.asIntN(64, rval);
    if (mem) this.ctx.mem = mem;
    if (!this.done) {
      const res = this._run(false);
      // Exit may refine the return kind (e.g. fcntl(F_DUPFD) returns an fd).
      this._res = (res & RVAL_MASK) !== 0 ? res : (this._res & RVAL_MASK) | (res & ~RVAL_MASK);
      const rest = renderArgs(this.ctx.out.slice(this.entryCount), this.ctx.o.hexStrings);
      const ch = this.ctx.changed;
      if (ch !== undefined && this.entryCount > 0) {
        const i = this.entryCount - 1;
        this.ctx.out[i] = chg(this.ctx.out[i], ch);
        this.exitText = ` => ${renderValue(ch, this.ctx.o.hexStrings)}${rest ? `, ${rest}` : ''}`;
      } else {
        this.exitText = this.ctx.noTrailingSep && rest ? `, ${rest}` : rest;
      }
    }
  }

  /** The complete argument text: what goes between the parentheses. */
  get argsText(): string {
    return this.entryText + this.exitText;
  }

  /** Everything after "= ": "3", "-1 ENOENT (No such file or directory)", "?" ... */
  returnText(): string {
    const c = this.ctx;
    let s: string;
    if (!this.exited) return '?';
    // -X raw still names the errno (strace prints err_name whatever the -X style).
    if (this.kind !== RV.NONE && c.failed) {
      const e = Number(-c.rval);
      const r = RESTART_CODES[e];
      if (r) s = `? ${r}`;
      else {
        // strace prints the bare number for errnos it has no name for.
        const n = errnoName(e);
        const name = n.startsWith('UNKNOWN_') ? String(e) : n;
        const msg = errnoMessage(e);
        s = `-1 ${name} (${msg})`;
      }
    } else {
      switch (this.kind) {
        case RV.NONE:
          s = '?';
          break;
        case RV.HEX:
          s = hexStr(BigInt.asUintN(64, c.rval));
          break;
        case RV.OCT: {
          const v = BigInt.asUintN(64, c.rval);
          s = v.toString(8).length >= 2 ? `0${v.toString(8)}` : `0${v.toString(8).padStart(2, '0')}`;
          break;
        }
        case RV.UDEC:
          s = BigInt.asUintN(64, c.rval).toString();
          break;
        case RV.U32ERR: {
          s = c.rval.toString();
          const e = -Number(BigInt.asIntN(32, c.rval));
          if (e > 0 && e < 4096) s += ` ${errnoName(e)} (${errnoMessage(e)})`;
          break;
        }
        case RV.FD:
          // A value no int holds (an injected one) is no descriptor: printed as a number.
          s = (c.o.fdPath || c.o.fdText) && c.rval === BigInt.asIntN(32, c.rval) ? renderValue(c.fd(c.rval)) : c.rval.toString();
          break;
        case RV.PID_OR_PGRP:
          s = renderValue(c.pidOrPgrp(c.rval));
          break;
        default:
          s = c.rval.toString();
          if ((c.o.pidTranslate || c.o.pidComm) && PID_RETURNS[this.name]) s = renderValue(c.pidv(c.rval, PID_RETURNS[this.name]));
      }
      if (c.aux !== undefined) s += ` (${c.aux})`;
    }
    // What was tampered with: the arguments (pokes), the result, or both.
    if (this.poked) s += this.injected ? ' (INJECTED: args, retval)' : ' (INJECTED: args)';
    else if (this.injected) s += ' (INJECTED)';
    if (this.delayed) s += ' (DELAYED)';
    return s;
  }

  private _run(entering: boolean): number {
    const c = this.ctx;
    const before = c.out.length;
    try {
      return this._decoder(c);
    } catch (err) {
      decoderErrorHook?.(this.name, err);
      // A decoder bug must not take the tracer down: fall back to raw arguments.
      c.out.length = entering ? 0 : before;
      if (entering) {
        const n = SYSCALLS[this.nr]?.nargs ?? 6;
        for (let i = 0; i < n; i++) c.push(sym(hexStr(c.a[i])));
      }
      return RVAL_DECODED;
    }
  }
}

/** Each known number's decoder, once looked up (by name, in a large table) or made. */
const BY_NR: (Decoder | undefined)[] = [];

/** Starts decoding a syscall at its entry stop. */
export function decodeEntry(stop: SyscallStop, opts: DecodeOptions = DEFAULT_DECODE_OPTIONS): DecodedSyscall {
  const ent = stop.nr >= 0 ? SYSCALLS[stop.nr] : undefined;
  const name = ent ? ent.name : syscallName(stop.nr);
  const decoder = stop.raw ? rawHexDecoder(ent?.nargs ?? 6) : ent ? (BY_NR[stop.nr] ??= DECODERS[ent.name] || makeRawDecoder(ent.nargs)) : RAW6;
  const ctx = new Ctx(name, stop.pid, stop.tid, stop.args, stop.mem, opts, stop.argsUnsigned);
  ctx.sp = stop.sp;
  ctx.prevName = stop.prevName;
  return new DecodedSyscall(stop.nr, name, ctx, decoder);
}
