/**
 * UsageError, alone: the option parsers throw it, and a usage error must not load what the
 * rest of the CLI needs (src/cli/common.ts holds the tracer's plumbing).
 */

/** A command-line error; tryHelp: followed by "Try ... -h for more information." */
export class UsageError extends Error {
  /** Messages printed before this one (strace's warnings while it read its options). */
  readonly before: string[] = [];
  constructor(message: string, readonly tryHelp = false) {
    super(message);
  }
}
