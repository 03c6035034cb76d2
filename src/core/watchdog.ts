/**
 * The breakpoint watchdog: int3 bytes must not outlive us in a process we attached to, even
 * when we are SIGKILLed. (A process we started has PTRACE_O_EXITKILL: it dies with us.)
 *
 * For each attached process with breakpoints, a small detached helper (native/watchdog.c, the
 * executable utrace-watchdog: a static C program of a few hundred KB resident, blocked in
 * read() until it is needed) inherits three descriptors from us:
 * - /proc/PID/mem, opened here, so it needs no ptrace rights of its own (yama's ptrace_scope=1
 *   would refuse a sibling);
 * - the breakpoint table, an unlinked file of 16-byte slots (address, original byte, in use)
 *   that we update with pwrite(2): synchronous, never EAGAIN, and in the page cache the
 *   moment the call returns, so the table is right whenever we die;
 * - the death lock, a robust mutex in another unlinked file, locked by our thread (the one
 *   that traces: native/deathlock.c): the helper waits on it, and the kernel wakes it with
 *   EOWNERDEAD as our thread dies, before it lets our tracees go; unlocked, it is a goodbye
 *   (table emptied first);
 * - the sentinel's lock, one file for every helper, held by a thread of ours that only sleeps,
 *   real-time where allowed (native deathSentinel): SIGKILL ends it at once, while the main
 *   thread may wait milliseconds for a CPU before its exit reaches the robust list; a child of
 *   each helper waits on it and writes the bytes back then;
 * - a pipe we never write to (the fallback where the lock cannot be had): end of file means
 *   every holder of its write end is gone, i.e. we are dead, or said goodbye.
 * It then writes the original bytes back at once, checks again once the kernel has detached
 * the threads, and reports what it did on stderr.
 *
 * Why the lock: end of file comes when the last of our threads exits, the tracees are let go
 * when the thread that traces them exits, and their order is not fixed; a released thread
 * that meets a leftover int3 dies. The lock wakes the helper at the right thread's death, but
 * the helper still races the rest of that thread's exit. So a thread we hold must also be
 * safe to let go without the helper: held threads wait in an event stop with no int3 of ours
 * in memory while the whole process is held (docs/design.md, "Reliability").
 *
 * Cost: one spawn per attached process at its first breakpoint (the helper starts in the
 * background; we pay fork+exec and the lock), then one pwrite of 16 bytes per breakpoint inserted,
 * before the int3 is written. Slots are freed lazily, once per event-loop turn and only for
 * addresses not inserted again by then: the step over a breakpoint (remove, step, insert)
 * writes nothing, and a stale slot only makes the helper write an original byte back where it
 * already is.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { nativeExecutable } from '../native/native.js';
import { native } from './addon.js';

const HELPER = nativeExecutable('utrace-watchdog');
/** Slot: u64 address, u8 original byte, u8 in use (1), 6 bytes padding (little-endian). */
export const SLOT_SIZE = 16;
const O_TMPFILE = 0o20200000; // __O_TMPFILE | O_DIRECTORY

/** Whether attached processes get a watchdog (UTRACE_BREAKPOINT_WATCHDOG=0 turns it off). */
export function watchdogEnabled(): boolean {
  return process.env['UTRACE_BREAKPOINT_WATCHDOG'] !== '0';
}

/** An unlinked read-write file only we (and our helper) can reach. */
function anonymousFile(): number {
  try {
    return fs.openSync(os.tmpdir(), fs.constants.O_RDWR | O_TMPFILE, 0o600);
  } catch {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-wd-'));
    const p = path.join(dir, 'table');
    const fd = fs.openSync(p, 'wx+', 0o600);
    fs.unlinkSync(p);
    fs.rmdirSync(dir);
    return fd;
  }
}

/** The sentinel's lock file (native deathSentinel: one sleeping real-time thread of ours holds
 * a robust mutex there until we die), shared by every helper; -1 when it could not be had or
 * is turned off (UTRACE_WATCHDOG_SENTINEL=0, to measure without it). */
let sentinelFd: number | undefined;
function sentinel(): number {
  if (sentinelFd !== undefined) return sentinelFd;
  let fd = -1;
  if (process.env['UTRACE_WATCHDOG_SENTINEL'] === '0') return (sentinelFd = fd);
  try {
    fd = anonymousFile();
    fs.ftruncateSync(fd, 4096);
    native.deathSentinel(fd);
  } catch {
    if (fd >= 0) fs.closeSync(fd);
    fd = -1;
  }
  return (sentinelFd = fd);
}

export class BreakpointWatchdog {
  private readonly child: ChildProcess;
  private readonly table: number;
  /** The death lock's file, or -1 when it could not be had (the pipe alone then). */
  private lock = -1;
  /** Slot of each address the table lists, with the original byte it holds. */
  private readonly slots = new Map<bigint, { slot: number; orig: number }>();
  private readonly free: number[] = [];
  private nextSlot = 0;
  /** Removed here, slot not yet freed. */
  private readonly removedLater = new Set<bigint>();
  private flushScheduled = false;
  private closed = false;
  private readonly slotBuf = Buffer.alloc(SLOT_SIZE);

  /** Start the helper for pid. Throws when it is not built, /proc/PID/mem cannot be opened or
   * spawn fails. */
  constructor(readonly pid: number) {
    // spawn reports a missing executable only later, as an event: ask now.
    fs.accessSync(HELPER, fs.constants.X_OK);
    const mem = fs.openSync(`/proc/${pid}/mem`, 'r+');
    try {
      this.table = anonymousFile();
      try {
        this.lock = anonymousFile();
        fs.ftruncateSync(this.lock, 4096);
        native.deathLock(this.lock);
      } catch {
        if (this.lock >= 0) fs.closeSync(this.lock);
        this.lock = -1;
      }
      // UTRACE_WATCHDOG_DEBUG=FILE: the helper adds its timings to its line, appended to FILE.
      const debug = process.env['UTRACE_WATCHDOG_DEBUG'];
      const err = debug ? fs.openSync(debug, 'a') : 'inherit';
      try {
        // Loaded here, not at start-up: only a process with breakpoints has a watchdog, and
        // child_process is among Node's costlier modules to load.
        const { spawn } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
        this.child = spawn(HELPER, [String(pid), String(process.pid)], {
          stdio: ['pipe', 'ignore', err, mem, this.table, this.lock >= 0 ? this.lock : 'ignore', sentinel() >= 0 ? sentinelFd! : 'ignore'],
          detached: true, // its own session: a signal to our process group does not reach it
          env: debug ? { UTRACE_WATCHDOG_DEBUG: '1' } : {},
          cwd: '/',
        });
      } catch (e) {
        fs.closeSync(this.table);
        this.releaseLock();
        throw e;
      } finally {
        if (typeof err === 'number') fs.closeSync(err);
      }
    } finally {
      fs.closeSync(mem);
    }
    this.child.unref();
    (this.child.stdin as unknown as { unref?: () => void }).unref?.();
    this.child.stdin!.on('error', () => undefined);
    this.child.on('error', () => undefined);
  }

  /** Call before the int3 is written: from then on the helper can put orig back. */
  inserted(addr: bigint, orig: number): void {
    if (this.closed) return;
    const had = this.slots.get(addr);
    if (this.removedLater.delete(addr) && had?.orig === orig) return;
    const slot = had?.slot ?? this.free.pop() ?? this.nextSlot++;
    this.slots.set(addr, { slot, orig });
    this.write(slot, addr, orig, 1);
  }

  /** Call after the original byte is back. */
  removed(addr: bigint): void {
    if (this.closed || !this.slots.has(addr)) return;
    this.removedLater.add(addr);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush()).unref();
  }

  /** Every original byte is back (or the address space is gone): empty the table and let the
   * helper end quietly. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      fs.ftruncateSync(this.table, 0);
    } catch {
      /* nothing we can do; the helper writes original bytes that are already there */
    }
    fs.closeSync(this.table);
    this.releaseLock();
    this.child.stdin!.end();
  }

  private releaseLock(): void {
    if (this.lock < 0) return;
    native.deathUnlock(this.lock);
    fs.closeSync(this.lock);
    this.lock = -1;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed) return;
    for (const a of this.removedLater) {
      const s = this.slots.get(a);
      if (!s) continue;
      this.slots.delete(a);
      this.write(s.slot, 0n, 0, 0);
      this.free.push(s.slot);
    }
    this.removedLater.clear();
  }

  private write(slot: number, addr: bigint, orig: number, used: number): void {
    const b = this.slotBuf;
    b.writeBigUInt64LE(addr, 0);
    b[8] = orig;
    b[9] = used;
    fs.writeSync(this.table, b, 0, SLOT_SIZE, slot * SLOT_SIZE);
  }
}
