/**
 * The structured decoders on a real process (fixture decoder_calls): a socket's interface
 * ioctls and a ptrace session on a stopped child, as the kernel answers them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const fixture = path.join(root, 'test/fixtures/bin/decoder_calls');

test('socket ioctls and ptrace requests of a real process decode what the kernel answered', () => {
  const r = spawnSync(utrace, ['strace', '-e', 'trace=ioctl,ptrace', '-e', 'signal=none', fixture], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.split('\n');
  const has = (re: RegExp): void => assert.ok(lines.some((l) => re.test(l)), `${re} not in\n${r.stderr}`);
  has(/^ioctl\(3, SIOCGIFINDEX, \{ifr_name="lo", ifr_ifindex=\d+\}\) += 0$/);
  has(/^ioctl\(3, SIOCGIFCONF, \{ifc_len=40 \/\* 1 \* sizeof\(struct ifreq\) \*\/, ifc_buf=\[\{ifr_name="lo", ifr_addr=\{sa_family=AF_INET, sin_port=htons\(0\), sin_addr=inet_addr\("127\.0\.0\.1"\)\}\}\]\}\) += 0$/);
  // Two registers: the kernel transfers what iov_len asks for.
  has(/^ptrace\(PTRACE_GETREGSET, \d+, NT_PRSTATUS, \{iov_base=\{r15=0x[0-9a-f]+, r14=0x[0-9a-f]+\}, iov_len=16\}\) += 0$/);
  has(/^ptrace\(PTRACE_SETSIGMASK, \d+, 8, \[USR1\]\) += 0$/);
  has(/^ptrace\(PTRACE_GETSIGMASK, \d+, 8, \[USR1\]\) += 0$/);
});
