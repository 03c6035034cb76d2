/**
 * What a run loads: runEngines() with user engines only (the README's example) must not load
 * the gdb engine (its RSP stack is loaded when a gdb engine runs), nor the strace engine.
 * Module loads are recorded by a resolve hook (node:module register) in a child process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dist = path.join(root, 'dist/src');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'utrace-loads-'));

test('runEngines with a user engine only loads neither the gdb engine nor strace', () => {
  const log = path.join(tmp, 'loads.txt');
  const hooks = path.join(tmp, 'hooks.mjs');
  fs.writeFileSync(hooks, `import fs from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  fs.appendFileSync(process.env.UTRACE_LOAD_LOG, r.url + '\\n');
  return r;
}
`);
  const register = path.join(tmp, 'register.mjs');
  fs.writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const script = path.join(tmp, 'user-only.mjs');
  const index = pathToFileURL(path.join(dist, 'index.js')).href;
  const gdb = pathToFileURL(path.join(dist, 'engines/gdb/index.js')).href;
  fs.writeFileSync(script, `import fs from 'node:fs';
import { runEngines, defineEngine, Event } from ${JSON.stringify(index)};
let calls = 0;
const counter = defineEngine({ name: 'count', events: Event.SYSCALL_EXIT, reportSyscallExit() { calls++; } });
const { status } = await runEngines({ argv: ['/bin/true'], engines: [counter] });
console.log(JSON.stringify({ code: status?.code, calls }));
// The detector's control: loading the gdb engine now is seen.
fs.appendFileSync(process.env.UTRACE_LOAD_LOG, 'MARK\\n');
await import(${JSON.stringify(gdb)});
`);
  const r = spawnSync(process.execPath, ['--import', register, script], {
    encoding: 'utf8', timeout: 30000, killSignal: 'SIGKILL', env: { ...process.env, UTRACE_LOAD_LOG: log },
  });
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout.trim()) as { code: number; calls: number };
  assert.equal(result.code, 0);
  assert.ok(result.calls > 10, `${result.calls} syscall exits counted`);
  const lines = fs.readFileSync(log, 'utf8').split('\n');
  const mark = lines.indexOf('MARK');
  assert.ok(mark > 0);
  const ours = (ls: string[]): string[] => [...new Set(ls.filter((u) => u.includes('/dist/src/')).map((u) => u.slice(u.indexOf('/dist/src/') + 10)))];
  const during = ours(lines.slice(0, mark));
  assert.ok(during.includes('engines/run.js') && during.includes('core/tracer.js'), during.join(' '));
  // strace/run.js and gdb/run.js are the engines' RunEngine adapters, which index.ts exports:
  // they load nothing of their engine (gdb/run.js imports the RSP stack when a gdb engine runs).
  const adapters = ['engines/strace/run.js', 'engines/gdb/run.js'];
  assert.deepEqual(during.filter((m) => (m.startsWith('engines/gdb/') || m.startsWith('engines/strace/')) && !adapters.includes(m)), []);
  // The same hook sees the gdb engine when it is loaded.
  assert.ok(ours(lines.slice(mark)).includes('engines/gdb/protocol/transport.js'));
});
