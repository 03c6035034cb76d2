/**
 * siginfo_t decoding (x86_64 layout, 128 bytes) as strace prints it in `--- SIG... {...} ---`
 * lines and in waitid/rt_sigtimedwait/rt_sigqueueinfo arguments (strace printsiginfo.c).
 */
import { SYSCALLS, errnoName, signalNumber } from '../../api.js';
import { sigName } from '../qualifier/signals.js';
import { field, hexStr, num, struct, sym, type Field, type Value } from './value.js';
import {
  sigbus_codes,
  sigchld_codes,
  sigfpe_codes,
  sigill_codes,
  siginfo_codes,
  sigpoll_codes,
  sigsegv_codes,
  sigsys_codes,
  sigtrap_codes,
} from './xlat/tables.gen.js';
import type { Xlat } from './xlat/xlat.js';
import type { XlatStyle } from './printer.js';

export const SIGINFO_SIZE = 128;

const [SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV, SIGCHLD, SIGPOLL, SIGSYS] =
  ['SIGILL', 'SIGTRAP', 'SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGCHLD', 'SIGPOLL', 'SIGSYS'].map((n) => signalNumber(n)!);

const CODE_TABLES: Record<number, Xlat> = {
  [SIGILL]: sigill_codes,
  [SIGTRAP]: sigtrap_codes,
  [SIGBUS]: sigbus_codes,
  [SIGFPE]: sigfpe_codes,
  [SIGSEGV]: sigsegv_codes,
  [SIGCHLD]: sigchld_codes,
  [SIGPOLL]: sigpoll_codes,
  [SIGSYS]: sigsys_codes,
};

export function signalText(n: number): string {
  return sigName(n) ?? String(n);
}
function ptrValue(v: bigint): Value {
  return v === 0n ? sym('NULL') : sym(hexStr(v));
}

/** A constant under -X: its name (abbrev), its number (raw), or both (verbose). */
function named(raw: string, name: string | undefined, style: XlatStyle): Value {
  if (name === undefined || style === 'raw') return sym(raw);
  return sym(style === 'verbose' ? `${raw} /* ${name} */` : name);
}

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;

/**
 * Decodes a raw siginfo buffer into strace's structure. `b` must hold 128 bytes (shorter is
 * padded). pidValue renders si_pid (--pidns-translation adds what it is in our namespace);
 * `style` is -X's (names, numbers, or both); fdValue renders si_fd (-y adds its path).
 */
export function siginfoValue(
  raw: Uint8Array,
  pidValue: (pid: number) => Value = num,
  style: XlatStyle = 'abbrev',
  fdValue: (fd: number) => Value = num,
): Value {
  const b = Buffer.alloc(SIGINFO_SIZE);
  Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.length, SIGINFO_SIZE)).copy(b);
  const signo = b.readInt32LE(0);
  const errno = b.readInt32LE(4);
  const code = b.readInt32LE(8);
  const f: Field[] = [field('si_signo', named(String(signo), sigName(signo), style))];
  const codeName = siginfo_codes.lookup(BigInt(code)) ?? CODE_TABLES[signo]?.lookup(BigInt(code));
  // An unknown si_code prints in hex (as the 32-bit value), a known one by -X.
  f.push(field('si_code', named(hexStr(BigInt(code >>> 0)), codeName, style)));
  // strace 6.1: si_code before si_errno; an errno without a name as an unsigned number.
  if (errno) f.push(field('si_errno', named(String(errno >>> 0), errno > 0 && errno < 4096 ? errnoName(errno) : undefined, style)));
  const pid = b.readInt32LE(16);
  const uid = b.readUInt32LE(20);
  const source = (): void => {
    f.push(field('si_pid', pidValue(pid)), field('si_uid', num(uid === 0xffffffff ? -1 : uid)));
  };
  const sigval = (): void => {
    f.push(field('si_int', num(b.readInt32LE(24))), field('si_ptr', ptrValue(b.readBigUInt64LE(24))));
  };
  // _sigpoll: the band event and the descriptor.
  const poll = (): void => {
    f.push(field('si_band', num(b.readBigInt64LE(16))), field('si_fd', fdValue(b.readInt32LE(24))));
  };
  // SI_FROMUSER: codes <= 0 come from kill/sigqueue/timers, not the kernel.
  if (code <= 0) {
    switch (code) {
      case 0: // SI_USER
      case -6: // SI_TKILL
        source();
        break;
      case -2: // SI_TIMER
        f.push(field('si_timerid', sym(hexStr(BigInt(b.readInt32LE(16) >>> 0)))), field('si_overrun', num(b.readInt32LE(20))));
        sigval();
        break;
      case -5: // SI_SIGIO
        poll();
        break;
      default:
        source();
        if (b.readBigUInt64LE(24) !== 0n) sigval();
    }
  } else {
    switch (signo) {
      case SIGCHLD: {
        source();
        const st = b.readInt32LE(24);
        f.push(field('si_status', code === 1 ? num(st) : named(String(st), sigName(st), style)));
        f.push(field('si_utime', clockT(b.readBigInt64LE(32))), field('si_stime', clockT(b.readBigInt64LE(40))));
        break;
      }
      case SIGILL:
      case SIGFPE:
      case SIGTRAP:
        f.push(field('si_addr', ptrValue(b.readBigUInt64LE(16))));
        break;
      case SIGBUS:
        f.push(field('si_addr', ptrValue(b.readBigUInt64LE(16))));
        // BUS_MCEERR_AR, BUS_MCEERR_AO: the least significant bit of the corrupted address.
        if (code === 4 || code === 5) f.push(field('si_addr_lsb', sym(hexStr(BigInt(b.readInt16LE(24) & 0xffff)))));
        break;
      case SIGSEGV:
        f.push(field('si_addr', ptrValue(b.readBigUInt64LE(16))));
        // SEGV_BNDERR: the bounds that were violated; SEGV_PKUERR: the protection key.
        if (code === 3) f.push(field('si_lower', ptrValue(b.readBigUInt64LE(32))), field('si_upper', ptrValue(b.readBigUInt64LE(40))));
        else if (code === 4) f.push(field('si_pkey', num(b.readUInt32LE(32))));
        break;
      case SIGPOLL:
        if (code >= 1 && code <= 6) poll();
        break;
      case SIGSYS: {
        f.push(field('si_call_addr', ptrValue(b.readBigUInt64LE(16))));
        const nr = b.readInt32LE(24);
        const arch = b.readUInt32LE(28);
        // The syscall is named from the table of its architecture (ours: x86_64).
        const e = arch === AUDIT_ARCH_X86_64 && nr >= 0 ? SYSCALLS[nr] : undefined;
        f.push(field('si_syscall', named(String(nr >>> 0), e ? `__NR_${e.name}` : undefined, style)));
        const archName = arch === AUDIT_ARCH_X86_64 ? 'AUDIT_ARCH_X86_64' : arch === AUDIT_ARCH_I386 ? 'AUDIT_ARCH_I386' : undefined;
        const archHex = hexStr(BigInt(arch));
        f.push(field('si_arch', archName === undefined && style !== 'raw' ? sym(`${archHex} /* AUDIT_ARCH_??? */`) : named(archHex, archName, style)));
        break;
      }
      default:
        if (pid || uid) source();
        if (b.readBigUInt64LE(24) !== 0n) sigval();
    }
  }
  return struct(f);
}

/** A clock_t in ticks; strace adds the seconds as a comment when it is not zero (USER_HZ 100). */
function clockT(v: bigint): Value {
  return v === 0n ? num(v) : { t: 'cmt', v: num(v), c: `${(Number(v) / 100).toFixed(2)} s` };
}
