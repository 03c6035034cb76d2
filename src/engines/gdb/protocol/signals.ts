// Linux (x86_64) signal numbers <-> gdb's protocol signal numbers (gdb
// include/gdb/signals.def, gdbsupport/signals.cc).
// Every signal number on the wire is gdb's: T/S/X replies, vCont;C/S,
// QPassSignals, QProgramSignals. They coincide only for some signals
// (SIGUSR1 is 10 on Linux but 30 for gdb).

/** gdb signal numbers the server uses by name. */
export const GDB_SIGNAL = {
  /** No signal: attach stops, vCont;t stops. */
  NONE: 0,
  INT: 2,
  TRAP: 5,
  KILL: 9,
  SEGV: 11,
  STOP: 17,
  /** A Linux signal gdb has no number for (SIGSTKFLT). */
  UNKNOWN: 143,
} as const;

// [linux, gdb] for the non-realtime signals.
const FIXED: ReadonlyArray<readonly [number, number]> = [
  [1, 1], // HUP
  [2, 2], // INT
  [3, 3], // QUIT
  [4, 4], // ILL
  [5, 5], // TRAP
  [6, 6], // ABRT
  [7, 10], // BUS
  [8, 8], // FPE
  [9, 9], // KILL
  [10, 30], // USR1
  [11, 11], // SEGV
  [12, 31], // USR2
  [13, 13], // PIPE
  [14, 14], // ALRM
  [15, 15], // TERM
  [17, 20], // CHLD
  [18, 19], // CONT
  [19, 17], // STOP
  [20, 18], // TSTP
  [21, 21], // TTIN
  [22, 22], // TTOU
  [23, 16], // URG
  [24, 24], // XCPU
  [25, 25], // XFSZ
  [26, 26], // VTALRM
  [27, 27], // PROF
  [28, 28], // WINCH
  [29, 23], // IO (= POLL on Linux)
  [30, 32], // PWR
  [31, 12], // SYS
];

const LINUX_SIGRTMAX = 64;
const TO_GDB = new Int16Array(LINUX_SIGRTMAX + 1).fill(GDB_SIGNAL.UNKNOWN); // 16 STKFLT stays UNKNOWN
const TO_LINUX = new Map<number, number>();

TO_GDB[0] = 0;
TO_LINUX.set(0, 0);
for (const [linux, gdb] of FIXED) {
  TO_GDB[linux] = gdb;
  TO_LINUX.set(gdb, linux);
}
// Realtime: 32 -> GDB_SIGNAL_REALTIME_32 (77), 33..63 -> 45..75, 64 -> GDB_SIGNAL_REALTIME_64 (78).
TO_GDB[32] = 77;
TO_LINUX.set(77, 32);
for (let s = 33; s <= 63; s++) {
  TO_GDB[s] = s + 12;
  TO_LINUX.set(s + 12, s);
}
TO_GDB[64] = 78;
TO_LINUX.set(78, 64);
// GDB_SIGNAL_POLL (33) has no distinct Linux signal: SIGPOLL is SIGIO (gdb's to_host does the same).
TO_LINUX.set(33, 29);

/** gdb's number for a Linux signal; GDB_SIGNAL.UNKNOWN (143) for SIGSTKFLT or anything out of range. */
export function gdbSignalFromLinux(linuxSignal: number): number {
  return Number.isInteger(linuxSignal) && linuxSignal >= 0 && linuxSignal <= LINUX_SIGRTMAX
    ? TO_GDB[linuxSignal]!
    : GDB_SIGNAL.UNKNOWN;
}

/** The Linux signal for a gdb signal number, or undefined if Linux has none (SIGEMT, SIGLOST, UNKNOWN, …). */
export function linuxSignalFromGdb(gdbSignal: number): number | undefined {
  return TO_LINUX.get(gdbSignal);
}
