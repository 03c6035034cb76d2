/**
 * The breakpoint watchdog helper (see watchdog.ts). argv: PID TRACER_PID. fd 3 is /proc/PID/mem
 * opened by the tracer, fd 4 the breakpoint table (16-byte slots: u64 address, u8 original
 * byte, u8 in use), stdin a pipe the tracer never writes to. At end of file on stdin (the
 * tracer is gone, or said goodbye after emptying the table) the listed original bytes are
 * written back through fd 3 at once, again once the kernel has detached the tracee, and the
 * result is reported on stderr. Plain Node and fs only: no native code, no shell.
 */
import * as fs from 'node:fs';

const MEM_FD = 3;
const TABLE_FD = 4;
const SLOT_SIZE = 16;
const pid = Number(process.argv[2]);
const tracerPid = process.argv[3] ?? '?';

function readTable(): Map<number, number> {
  const list = new Map<number, number>();
  let size = 0;
  try {
    size = fs.fstatSync(TABLE_FD).size;
  } catch {
    return list;
  }
  const buf = Buffer.alloc(size);
  let got = 0;
  while (got < size) {
    const n = fs.readSync(TABLE_FD, buf, got, size - got, got);
    if (n <= 0) break;
    got += n;
  }
  for (let o = 0; o + SLOT_SIZE <= got; o += SLOT_SIZE) {
    if (buf[o + 9] === 1) list.set(Number(buf.readBigUInt64LE(o)), buf[o + 8]!);
  }
  return list;
}

function writeBack(list: Map<number, number>): { restored: number; failed: number } {
  let restored = 0;
  let failed = 0;
  for (const [addr, orig] of list) {
    try {
      if (fs.writeSync(MEM_FD, Buffer.from([orig]), 0, 1, addr) === 1) restored++;
      else failed++;
    } catch {
      failed++; // the process (or that mapping) is gone
    }
  }
  return { restored, failed };
}

function tracedBy(): string | undefined {
  try {
    return /^TracerPid:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

let finishing = false;
async function finish(): Promise<void> {
  if (finishing) return;
  finishing = true;
  const list = readTable();
  if (list.size === 0) process.exit(0); // a goodbye, or nothing was inserted
  // At once: threads detached by the kernel run on and must not meet an int3.
  const first = writeBack(list);
  // Then again once the kernel has detached every thread (the tracer's exit may still be under
  // way when the pipe closes): nothing can have changed, but this settles it.
  const end = Date.now() + 3000;
  while (tracedBy() === tracerPid && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  const second = writeBack(list);
  const gone = tracedBy() === undefined;
  process.stderr.write(gone
    ? `utrace watchdog: tracer ${tracerPid} died and process ${pid} is gone; nothing to restore\n`
    : `utrace watchdog: tracer ${tracerPid} died; restored ${first.restored} of ${list.size} breakpoint byte(s) in process ${pid}` +
      `${second.failed ? ` (${second.failed} could not be written)` : ''}\n`);
  process.exit(second.failed && !gone ? 1 : 0);
}

process.stdin.on('data', () => undefined); // nothing is ever sent; only the end matters
process.stdin.on('end', () => void finish());
process.stdin.on('error', () => void finish());
// Our session has no terminal, but be sure: a hang-up or Ctrl-C meant for the tracer's
// terminal does not end us; the pipe does.
for (const s of ['SIGHUP', 'SIGINT'] as const) process.on(s, () => undefined);
