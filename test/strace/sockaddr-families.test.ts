// Socket addresses of the AX.25, IPX, X.25 and packet families (sockaddr-families.ts) over fake
// tracee memory: whole structures, short ones (sa_data), truncated lists, -X styles; then a real
// program's addresses and keyctl calls against the real strace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeMemory, formatCall } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const prog = path.join(root, 'test/fixtures/bin/keys_addrs');
const haveStrace = spawnSync('strace', ['-V']).status === 0;

const M = 0x10000000n;
const EBADF = ' = -1 EBADF (Bad file descriptor)';
const connect = (b: Buffer, len = b.length, opts?: Record<string, unknown>): string =>
  formatCall({ name: 'connect', args: [-1, M, len], ret: -9, mem: new FakeMemory().map(M, b), ...(opts ? { opts } : {}) }).replace(/ +=/, ' =');

function sa(family: number, body: number[] | Buffer): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(family, 0);
  return Buffer.concat([b, Buffer.from(body)]);
}

/** An AX.25 address: the call's characters shifted left, padded with spaces, then the SSID. */
function ax(call: string, ssid: number, extra = 0): number[] {
  const c = call.padEnd(6, ' ');
  return [...c].map((ch) => ch.charCodeAt(0) << 1).concat([(ssid << 1) | extra]);
}

test('AF_IPX: port, network, node, type; sipx_zero when set', () => {
  const body = [0x1f, 0x90, 0xc0, 0xff, 0xee, 0x01, 1, 2, 3, 4, 5, 6, 0x11, 0];
  assert.equal(connect(sa(4, body)), `connect(-1, {sa_family=AF_IPX, sipx_port=htons(8080), sipx_network=htonl(0xc0ffee01), sipx_node=[0x1, 0x2, 0x3, 0x4, 0x5, 0x6], sipx_type=0x11}, 16)${EBADF}`);
  body[13] = 7;
  assert.match(connect(sa(4, body)), /sipx_type=0x11, sipx_zero=0x7\}, 16\)/);
  assert.equal(connect(sa(4, body), 15), `connect(-1, {sa_family=AF_IPX, sa_data="\\37\\220\\300\\377\\356\\1\\1\\2\\3\\4\\5\\6\\21"}, 15)${EBADF}`);
});

test('AF_X25: the address string, cut at 15 characters without a NUL', () => {
  assert.equal(connect(sa(9, Buffer.from('12345\0\0\0\0\0\0\0\0\0\0\0', 'latin1'))), `connect(-1, {sa_family=AF_X25, sx25_addr={x25_addr="12345"}}, 18)${EBADF}`);
  assert.equal(connect(sa(9, Buffer.from('0123456789abcdefZ', 'latin1'))), `connect(-1, {sa_family=AF_X25, sx25_addr={x25_addr="0123456789abcde"...}}, 19)${EBADF}`);
  assert.match(connect(sa(9, Buffer.from('0123456789abcdef', 'latin1')), 17), /sa_data="0123456789abcde"\}, 17\)/);
});

test('AF_AX25: calls, digipeaters, malformed calls with what they spell', () => {
  const head = (n: number): number[] => [...ax('N0CALL', 5), 0, 0, 0, ...[n, 0, 0, 0]].slice(0, 14);
  assert.equal(connect(sa(3, head(0))), `connect(-1, {sa_family=AF_AX25, sax25_call=N0CALL-5, sax25_ndigis=0}, 16)${EBADF}`);
  assert.equal(connect(sa(3, head(2))), `connect(-1, {sa_family=AF_AX25, fsa_ax25={sax25_call=N0CALL-5, sax25_ndigis=2}, fsa_digipeater=[...]}, 16)${EBADF}`);
  const digis = [...ax('RELAY', 1), ...ax('', 0), ...ax('lower', 3), ...ax('A B', 2), ...ax('OK', 4, 1)];
  assert.equal(
    connect(sa(3, [...head(5), ...digis])),
    'connect(-1, {sa_family=AF_AX25, fsa_ax25={sax25_call=N0CALL-5, sax25_ndigis=5}, fsa_digipeater=[RELAY-1, *, ' +
      '{ax25_call="\\xd8\\xde\\xee\\xca\\xe4\\x40\\x06"} /* lower-3 */, {ax25_call="\\x82\\x40\\x84\\x40\\x40\\x40\\x04"} /* A B-2 */, ' +
      `{ax25_call="\\x9e\\x96\\x40\\x40\\x40\\x40\\x09"} /* OK-4 */]}, 51)${EBADF}`,
  );
  // Two of three digipeaters and a stray byte; more digipeaters than the kernel takes.
  assert.match(connect(sa(3, [...head(3), ...digis.slice(0, 15)])), /fsa_digipeater=\[RELAY-1, \*, \.\.\.\], \.\.\.\}, 31\)/);
  assert.match(connect(sa(3, [...head(9), ...Array(8).fill(ax('X', 0)).flat()])), /fsa_digipeater=\[(X-0, ){7}X-0\], \.\.\.\}, 72\)/);
  // A character that cannot be printed (or a comment closer) leaves the comment out.
  assert.match(connect(sa(3, [...head(1), 0x14, ...ax('AB', 0).slice(1)])), /fsa_digipeater=\[\{ax25_call="\\x14\\x84\\x40\\x40\\x40\\x40\\x00"\}\]\}, 23\)/);
});

test('AF_PACKET: protocol, interface, types, hardware address; -X raw and verbose', () => {
  const ll = Buffer.alloc(18);
  ll.writeUInt16BE(0x0800, 0);
  ll.writeUInt32LE(0xfeedface, 2);
  ll.writeUInt16LE(1, 6);
  ll[8] = 1;
  ll[9] = 6;
  Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 1]).copy(ll, 10);
  const b = sa(17, ll);
  assert.equal(
    connect(b),
    `connect(-1, {sa_family=AF_PACKET, sll_protocol=htons(ETH_P_IP), sll_ifindex=4277009102, sll_hatype=ARPHRD_ETHER, sll_pkttype=PACKET_BROADCAST, sll_halen=6, sll_addr=[0xde, 0xad, 0xbe, 0xef, 00, 0x1]}, 20)${EBADF}`,
  );
  assert.equal(
    connect(b, 20, { xlat: 'raw' }),
    `connect(-1, {sa_family=0x11, sll_protocol="\\x08\\x00", sll_ifindex=4277009102, sll_hatype=0x1, sll_pkttype=0x1, sll_halen=6, sll_addr=[0xde, 0xad, 0xbe, 0xef, 00, 0x1]}, 20)${EBADF}`,
  );
  assert.match(connect(b, 20, { xlat: 'verbose' }), /sll_protocol="\\x08\\x00" \/\* htons\(ETH_P_IP\) \*\/, sll_ifindex=4277009102, sll_hatype=0x1 \/\* ARPHRD_ETHER \*\/, sll_pkttype=0x1 \/\* PACKET_BROADCAST \*\//);
  ll[9] = 12;
  assert.match(connect(sa(17, ll)), /sll_halen=12, sll_addr=\[0xde, 0xad, 0xbe, 0xef, 00, 0x1, 00, 00, \.\.\.\]\}/);
  ll[9] = 0;
  assert.match(connect(sa(17, ll)), /sll_halen=0\}, 20\)/);
  assert.match(connect(sa(17, ll), 19), /sa_family=AF_PACKET, sa_data=/);
});

test('a real program\'s keyctl calls and IPX, X.25, AX.25, packet addresses as the real strace prints them', { skip: !haveStrace && 'strace not installed' }, () => {
  // Pointers and the new keyring's id differ from run to run.
  const norm = (s: string): string[] =>
    s
      .split('\n')
      .filter((l) => /^(keyctl|connect)\(/.test(l))
      .map((l) => l.replace(/0x7f[0-9a-f]+/g, 'PTR').replace(/ +=/, ' =').replace(/= \d+$/, '= N'));
  const run = (argv: string[]): string[] => {
    const r = spawnSync(argv[0]!, [...argv.slice(1), '-e', 'trace=keyctl,connect', prog], { encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 0, r.stderr);
    return norm(r.stderr);
  };
  const ours = run([utrace, 'strace']);
  assert.equal(ours.length, 8, ours.join('\n'));
  assert.match(ours[1]!, /^keyctl\(KEYCTL_DESCRIBE, KEY_SPEC_THREAD_KEYRING, "keyring;[^"]*", 256\) = N$/);
  assert.match(ours[6]!, /fsa_digipeater=\[RELAY-1\]/);
  assert.deepEqual(ours, run(['strace']));
});
