/**
 * `utrace run --tool 'CMD … {pid} …'`: an unmodified ptrace tool (strace, gdb, ...) started
 * under our supervision, its ptrace and wait calls served by the ptrace personality attached
 * to the target, next to the other engines of the run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UtraceError, type ExitStatus, type SpawnOptions, type Task } from '../../api.js';
import type { RunEngine } from '../run.js';
import { PtracePersonality } from './engine.js';
import { PtraceTool } from './tool.js';

export interface ToolRunOptions {
  stdio?: SpawnOptions['stdio'];
  /** How long finish() waits for the tool after the target is gone before killing it (ms). */
  graceMs?: number;
  /** Told when the tool exits (status) or cannot start. */
  onExit?(status: ExitStatus | Error): void;
}

/** Find argv[0] on PATH as execve would, so a missing tool fails the run before it starts. */
function resolvable(cmd: string): boolean {
  if (cmd.includes('/')) return fs.existsSync(cmd);
  for (const dir of (process.env['PATH'] ?? '/usr/bin:/bin').split(':')) {
    if (dir && fs.existsSync(path.join(dir, cmd))) return true;
  }
  return false;
}

export interface ToolRunEngine extends RunEngine {
  /** Settles when the tool has exited (or failed to start). */
  readonly toolExit: Promise<ExitStatus | Error>;
}

export function toolRunEngine(command: readonly string[], opts: ToolRunOptions = {}): ToolRunEngine {
  if (!command.length) throw new TypeError('toolRunEngine: empty command');
  let personality: PtracePersonality | undefined;
  let tool: PtraceTool | undefined;
  let toolTask: Task | undefined;
  let pid = 0;
  let settle!: (s: ExitStatus | Error) => void;
  const toolExit = new Promise<ExitStatus | Error>((r) => (settle = r));
  toolExit.then((s) => opts.onExit?.(s), () => undefined);
  const kill = (): void => {
    if (!toolTask) return;
    try {
      process.kill(toolTask.tgid, 'SIGKILL');
    } catch {
      /* gone */
    }
  };
  return {
    name: 'tool',
    toolExit,
    attach(tasks, ctx) {
      if (!resolvable(command[0]!)) throw new UtraceError('ENOENT', 'execve', 0, `--tool: ${command[0]}: command not found`);
      pid = tasks[0]!.tgid;
      personality = new PtracePersonality(ctx.tracer);
      for (const t of tasks) personality.adopt(t);
      tool = new PtraceTool(ctx.tracer, personality);
    },
    async run() {
      const argv = command.map((a) => a.replaceAll('{pid}', String(pid)));
      try {
        toolTask = await tool!.spawn(argv, { stdio: opts.stdio });
      } catch (e) {
        settle(e as Error);
        return;
      }
      settle(await toolTask.process.exit);
    },
    detach() {
      // utrace is leaving: the tool we launched goes (as strace kills what it launched), the
      // target is let go untraced.
      kill();
      personality?.close();
    },
    async finish() {
      // The target is gone (or detached): give the tool time to see it and exit on its own.
      if (!toolTask) return;
      const grace = opts.graceMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => (timer = setTimeout(r, grace)));
      await Promise.race([toolExit, timeout]);
      clearTimeout(timer);
      kill();
      await toolExit;
    },
    owns: (e) => e.ops.name === 'ptrace' || e.ops.name === 'ptrace-tool',
  };
}
