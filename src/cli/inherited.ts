/**
 * What bin/utrace.js hands the CLI about the state it was started in, which Node changes at
 * start-up and a program `utrace strace` starts must inherit as under strace: the descriptors
 * 0..9 that were open (UTRACE_INHERITED_FDS) and the signal mask and ignored signals
 * (UTRACE_SIGNALS: SigBlk and SigIgn of /proc/PID/status, hex).
 */

export interface SignalState {
  /** Blocked signals: bit N-1 is signal N. */
  blocked: bigint;
  /** Signals set to SIG_IGN (every other is SIG_DFL in the program). */
  ignored: bigint;
}

export interface InheritedState {
  /** Descriptors 3..9 the program inherits. */
  fds: number[];
  /** Of 0..2, those that were closed (Node opened /dev/null there). */
  closedStd: number[];
  /** undefined: not started by bin/utrace.js (programs start with default signals). */
  signals?: SignalState;
}

/** Parse the two variables (undefined: absent). Malformed text counts as absent. */
export function parseInherited(fdList: string | undefined, signals: string | undefined): InheritedState {
  const open = (fdList ?? '0 1 2').split(' ').filter((w) => /^\d$/.test(w)).map(Number);
  return {
    fds: open.filter((fd) => fd > 2),
    closedStd: [0, 1, 2].filter((fd) => !open.includes(fd)),
    signals: parseSignalState(signals),
  };
}

/** "SIGBLK SIGIGN" (16 hex digits each) as masks. */
export function parseSignalState(text: string | undefined): SignalState | undefined {
  const m = /^([0-9a-fA-F]{1,16}) ([0-9a-fA-F]{1,16})$/.exec(text?.trim() ?? '');
  if (!m) return undefined;
  return { blocked: BigInt('0x' + m[1]!), ignored: BigInt('0x' + m[2]!) };
}

/** Read and remove the variables: nothing we start sees them. */
export function takeInherited(env: NodeJS.ProcessEnv): InheritedState {
  const state = parseInherited(env['UTRACE_INHERITED_FDS'], env['UTRACE_SIGNALS']);
  delete env['UTRACE_INHERITED_FDS'];
  delete env['UTRACE_SIGNALS'];
  return state;
}
