// `npm run fuzz [N]`: the three fuzzers at full size (default 100,000 cases each): the RSP
// packet parser and connection, strace's -e expression parser, and the syscall decoders over
// random (hostile) tracee memory. Exits non-zero on any failure.
import { fuzzPackets } from '../dist/test/gdb/fuzz.js';
import { fuzzDecoders } from '../dist/test/strace/fuzz-decoders.js';
import { fuzzFilter } from '../dist/test/strace/fuzz-filter.js';

const n = Number(process.argv[2] ?? 100000);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 100000);
let failed = false;
let t = performance.now();
try {
  const s = fuzzPackets(n, seed);
  console.log(`rsp packets: ${s.iterations} cases, ${s.packets} packets, ${s.badChecksums} bad checksums, max buffered ${s.maxBuffered} B, ok (${((performance.now() - t) / 1000).toFixed(1)} s)`);
} catch (e) {
  failed = true;
  console.log(`rsp packets: FAILED (seed ${seed}): ${e instanceof Error ? e.stack : e}`);
}
t = performance.now();
const f = fuzzFilter(n, seed);
console.log(`-e expressions: ${f.cases} cases, ${f.parsed} parsed, ${f.rejected} rejected with a message, ${f.failures.length} failures (${((performance.now() - t) / 1000).toFixed(1)} s)`);
if (f.failures.length) {
  failed = true;
  console.log(f.failures.join('\n'));
}
t = performance.now();
const d = fuzzDecoders(n, seed);
console.log(`decoders: ${n} cases, longest line ${d.longestLine}, largest read ${d.largestRead} B, ${d.failures.length} failures (${((performance.now() - t) / 1000).toFixed(1)} s)`);
console.log(`  longest line from ${d.longestCall.slice(0, 120)}...`);
if (d.failures.length) {
  failed = true;
  console.log(d.failures.slice(0, 10).map((x) => JSON.stringify(x)).join('\n'));
}
console.log(`seed ${seed}`);
process.exitCode = failed ? 1 : 0;
