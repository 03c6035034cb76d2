/**
 * A command's standard descriptors, working directory and output files. A command run as a
 * process has its own; a command that joined a host (host/) has them served by the host: the
 * descriptors it handed over with its request, the files it opened itself. Engines built by
 * the CLI write only through a CommandIo, so the same code serves both.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makePipe } from '../api.js';
import { childProcess } from '../builtins.js';
import { UsageError, writeAll } from './common.js';

export interface CommandIo {
  readonly stdin: number;
  readonly stdout: number;
  readonly stderr: number;
  /** Where relative paths are taken from. */
  readonly cwd: string;
  /**
   * Open an output file named by an option (strace -o FILE, --timeline FILE), truncated, and
   * return a descriptor the caller closes. opt names the option for the error message (a
   * UsageError: "-o FILE: EACCES ..."). append: opened for appending, not truncated (-A).
   */
  openOutput(file: string, opt: string, append?: boolean): number;
  /**
   * strace -o '|COMMAND': COMMAND run by /bin/sh with the read end of a pipe as its input and
   * our stdout and stderr; returns the write end (the caller closes it) and the command's end.
   * A served command has none: its own process made the pipe and handed the write end over as
   * the output file named '|COMMAND' (openOutput finds it).
   */
  openPipe?(command: string): { fd: number; done: Promise<void> };
}

/** This process's own descriptors and files. */
export function ownIo(): CommandIo {
  return {
    stdin: 0,
    stdout: 1,
    stderr: 2,
    cwd: process.cwd(),
    openOutput(file: string, opt: string, append = false): number {
      try {
        return fs.openSync(file, append ? 'a' : 'w');
      } catch (e) {
        throw new UsageError(`${opt} ${file}: ${(e as Error).message}`);
      }
    },
    openPipe: pipeTo,
  };
}

/** See CommandIo.openPipe. */
export function pipeTo(command: string): { fd: number; done: Promise<void> } {
  const [r, w] = makePipe();
  let child;
  try {
    child = childProcess().spawn('/bin/sh', ['-c', command], { stdio: [r, 1, 2] });
  } catch (e) {
    fs.closeSync(w);
    throw e;
  } finally {
    fs.closeSync(r);
  }
  const done = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  });
  return { fd: w, done };
}

/**
 * The io of a joined command, served by a host: its descriptors by role, and the output files
 * it opened, by absolute path. A file it did not open (strace -ff's FILE.TID, named only when a
 * thread appears) is opened here by the same path, with the host's rights, which are the
 * command's (a host serves only commands of its own user).
 */
export function servedIo(cwd: string, fds: Map<string, number>): CommandIo {
  const taken = new Set<string>();
  const std = (role: string, fallback: number): number => fds.get(role) ?? fallback;
  return {
    stdin: std('stdin', -1),
    stdout: std('stdout', -1),
    stderr: std('stderr', -1),
    cwd,
    openOutput(file: string, opt: string, append = false): number {
      const abs = path.resolve(cwd, file);
      const fd = fds.get(`file:${abs}`);
      if (fd !== undefined && !taken.has(abs)) {
        taken.add(abs);
        return fd;
      }
      try {
        return fs.openSync(abs, append ? 'a' : 'w');
      } catch (e) {
        throw new UsageError(`${opt} ${file}: ${(e as Error).message}`);
      }
    },
  };
}

/** A line on the command's stderr (never throws: the reader may be gone). */
export function say(io: CommandIo, text: string): void {
  if (io.stderr < 0) return;
  try {
    writeAll(io.stderr, text.endsWith('\n') ? text : text + '\n');
  } catch {
    /* its terminal is gone */
  }
}
