/**
 * The published types: no `@internal` member in dist/src/**.d.ts (tsconfig stripInternal), and
 * a consumer importing 'utrace' compiles against dist/ with the declarations fully checked
 * (skipLibCheck off), internal members out of reach.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function declarations(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
}

test('no @internal member in the published declarations', () => {
  const files = declarations(path.join(root, 'dist/src'));
  assert.ok(files.length > 50, `${files.length} declaration files`);
  const leaks = files.filter((f) => fs.readFileSync(f, 'utf8').includes('@internal'));
  assert.deepEqual(leaks.map((f) => path.relative(root, f)), []);
});

const CONSUMER = `
import {
  Tracer, Attach, Event, Resume, SyscallAction, SYSCALL_NR, runEngines, defineEngine, readCString,
  straceRunEngine, injectRunEngine, gdbRunEngine, InjectEngine, parseInjectSpecs, PtracePersonality,
  readCStringBytes, type TaskMemory, type RunEngine, type EngineOps, type Task,
} from 'utrace';

export async function main(): Promise<void> {
  const tracer = new Tracer();
  const task: Task = await tracer.spawn(['/bin/true']);
  const ops: EngineOps = {
    reportSyscallEntry(action, engine, call) {
      return call.nr === SYSCALL_NR.openat ? Resume.RESUME | SyscallAction.ABORT : Resume.RESUME;
    },
    reportSyscallExit(action, engine, call) {
      call.setReturn(-2n);
      const p: string | undefined = readCString(engine.task, call.args[1]!);
      void p;
    },
  };
  tracer.attachTask(task, Attach.CREATE, ops).setEvents(Event.SYSCALL);
  const mem: TaskMemory = task;
  const image: TaskMemory = { readMemory: (addr, len) => Buffer.alloc(len, Number(addr & 0xffn)) };
  void readCStringBytes(mem, 0n);
  void readCStringBytes(image, 0x1000n, 8);
  const counter = defineEngine({ name: 'count', events: Event.SYSCALL_EXIT, reportSyscallExit() {} });
  const inject: RunEngine = injectRunEngine(new InjectEngine(tracer, parseInjectSpecs(['getppid:retval=42'])));
  const { status } = await runEngines({ argv: ['ls'], engines: [counter, inject] });
  void [status?.code, straceRunEngine, gdbRunEngine, new PtracePersonality(tracer)];
  // @ts-expect-error Task._proc is @internal
  void task._proc;
  // @ts-expect-error Tracer._tasks is @internal
  void tracer._tasks;
}
`;

test('a consumer of the package compiles against its declarations', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-consumer-'));
  try {
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(root, path.join(dir, 'node_modules/utrace'));
    fs.symlinkSync(path.join(root, 'node_modules/@types'), path.join(dir, 'node_modules/@types'));
    fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
    fs.writeFileSync(path.join(dir, 'consumer.ts'), CONSUMER);
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
        skipLibCheck: false, types: ['node'],
      },
      files: ['consumer.ts'],
    }));
    const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', timeout: 120000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
