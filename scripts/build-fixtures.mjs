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
// lib*.c become shared objects bin/lib*.so, built first; a program links some with a
// "// fixture-link: NAME..." line (found next to it at run time: rpath $ORIGIN).
const isLib = (f) => f.startsWith('lib');
const sources = fs.readdirSync(src).filter((f) => f.endsWith('.c')).sort((a, b) => Number(isLib(b)) - Number(isLib(a)));
for (const f of sources) {
  const bin = path.join(out, isLib(f) ? `${f.slice(0, -2)}.so` : f.slice(0, -2));
  const s = path.join(src, f);
  const links = /^\/\/ fixture-link: (.*)$/m.exec(fs.readFileSync(s, 'utf8'))?.[1].trim().split(/\s+/) ?? [];
  const inputs = [s, ...links.map((l) => path.join(out, `lib${l}.so`))];
  if (fs.existsSync(bin) && inputs.every((i) => fs.statSync(bin).mtimeMs >= fs.statSync(i).mtimeMs)) continue;
  const libs = links.length ? [`-L${out}`, ...links.map((l) => `-l${l}`), '-Wl,-rpath,$ORIGIN'] : [];
  const shared = isLib(f) ? ['-shared', '-fPIC'] : [];
  execFileSync(process.env.CC ?? 'cc', ['-g', '-O0', '-pthread', ...shared, '-o', bin, s, ...libs], { stdio: 'inherit' });
}
