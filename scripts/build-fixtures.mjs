// Compiles the tracee fixtures (test/fixtures/*.c) with the system cc into test/fixtures/bin.
// Only rebuilds what changed, so `npm test` stays quick.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'test', 'fixtures');
const out = path.join(src, 'bin');
fs.mkdirSync(out, { recursive: true });
for (const f of fs.readdirSync(src).filter((f) => f.endsWith('.c'))) {
  const bin = path.join(out, f.slice(0, -2));
  const s = path.join(src, f);
  if (fs.existsSync(bin) && fs.statSync(bin).mtimeMs >= fs.statSync(s).mtimeMs) continue;
  execFileSync(process.env.CC ?? 'cc', ['-g', '-O0', '-pthread', '-o', bin, s], { stdio: 'inherit' });
}
