// Socket addresses of the second family group (sockaddr-families2.ts: RxRPC, IEEE 802.15.4, AF_ALG,
// NFC, vsock, QRTR, XDP, MCTP) and the -X raw/verbose forms of AF_INET/AF_INET6 fields
// (sockaddr-inet.ts), over fake tracee memory: whole structures, short ones (sa_data), styles;
// then a real program's addresses against the real strace in each -X style.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setDecoderErrorHook } from '../../src/engines/strace/syscall.js';
import { FakeMemory, formatCall } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const utrace = path.join(root, 'bin/utrace.js');
const prog = path.join(root, 'test/fixtures/bin/sockaddr_more');
const haveStrace = spawnSync('strace', ['-V']).status === 0;

const M = 0x10000000n;
const EBADF = ' = -1 EBADF (Bad file descriptor)';
const raw = { xlat: 'raw' };
const verbose = { xlat: 'verbose' };
const connect = (b: Buffer, len = b.length, opts?: Record<string, unknown>): string =>
  formatCall({ name: 'connect', args: [-1, M, len], ret: -9, mem: new FakeMemory().map(M, b), ...(opts ? { opts } : {}) }).replace(/ +=/, ' =');
/** The address argument alone. */
const addrOf = (b: Buffer, len = b.length, opts?: Record<string, unknown>): string => {
  const s = connect(b, len, opts);
  return s.slice('connect(-1, '.length, s.lastIndexOf(`, ${len})`));
};

/** A little-endian structure: [size in bytes, value] pairs, then raw bytes. */
function le(...parts: ([1 | 2 | 4 | 8, number | bigint] | number[] | Buffer)[]): Buffer {
  return Buffer.concat(
    parts.map((p) => {
      if (Buffer.isBuffer(p)) return p;
      if (p.length !== 2 || ![1, 2, 4, 8].includes(p[0] as number) || Array.isArray(p[1])) return Buffer.from(p as number[]);
      const [size, v] = p as [number, number | bigint];
      const b = Buffer.alloc(size);
      if (size === 8) b.writeBigUInt64LE(BigInt(v));
      else b.writeUIntLE(Number(v), 0, size);
      return b;
    }),
  );
}

test('AF_INET and AF_INET6 fields: calls abbreviated, network-order bytes raw, both verbose', () => {
  const in4 = le([2, 2], [0x1b, 0x59], [10, 0, 0, 1], Buffer.alloc(8));
  assert.equal(addrOf(in4), '{sa_family=AF_INET, sin_port=htons(7001), sin_addr=inet_addr("10.0.0.1")}');
  assert.equal(addrOf(in4, 16, raw), '{sa_family=0x2, sin_port="\\x1b\\x59", sin_addr="\\x0a\\x00\\x00\\x01"}');
  assert.equal(addrOf(in4, 16, verbose), '{sa_family=0x2 /* AF_INET */, sin_port="\\x1b\\x59" /* htons(7001) */, sin_addr="\\x0a\\x00\\x00\\x01" /* inet_addr("10.0.0.1") */}');
  const a6 = Buffer.alloc(16);
  a6[0] = 0x20;
  a6[1] = 0x01;
  a6[15] = 9;
  const in6 = le([2, 10], [0, 80], [0, 0, 0, 5], a6, [4, 77]);
  assert.equal(addrOf(in6), '{sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(5), inet_pton(AF_INET6, "2001::9", &sin6_addr), sin6_scope_id=77}');
  assert.equal(
    addrOf(in6, 24, verbose),
    '{sa_family=0xa /* AF_INET6 */, sin6_port="\\x00\\x50" /* htons(80) */, sin6_flowinfo="\\x00\\x00\\x00\\x05" /* htonl(5) */, ' +
      'sin6_addr="\\x20\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x09" /* inet_pton(AF_INET6, "2001::9") */}',
  );
  assert.match(addrOf(in6, 28, raw), /^\{sa_family=0xa, sin6_port="\\x00\\x50", sin6_flowinfo="\\x00\\x00\\x00\\x05", sin6_addr="\\x20\\x01(\\x00){13}\\x09", sin6_scope_id=77\}$/);
  // Shorter than the structure: the bytes after the family.
  assert.equal(addrOf(in4, 15, raw), '{sa_family=0x2, sa_data="\\33Y\\n\\0\\0\\1\\0\\0\\0\\0\\0\\0\\0"}');
});

test('AF_RXRPC: service, transport type, and the transport address by its family and length', () => {
  const rx = (service: number, type: number, tlen: number, transport: Buffer): Buffer => {
    const t = Buffer.alloc(28);
    transport.copy(t);
    return le([2, 33], [2, service], [2, type], [2, tlen], t);
  };
  const sin = le([2, 2], [0x1b, 0x59], [192, 0, 2, 7]);
  assert.equal(
    connect(rx(2501, 2, 16, sin)),
    `connect(-1, {sa_family=AF_RXRPC, srx_service=0x9c5 /* YFS_CM_SERVICE */, transport_type=SOCK_DGRAM, transport_len=16, transport={sin={sin_family=AF_INET, sin_port=htons(7001), sin_addr=inet_addr("192.0.2.7")}}}, 36)${EBADF}`,
  );
  // transport_len short of a sockaddr_in: the bytes it covers after the family.
  assert.equal(addrOf(rx(1, 2, 5, sin)), '{sa_family=AF_RXRPC, srx_service=0x1 /* CM_SERVICE */, transport_type=SOCK_DGRAM, transport_len=5, transport={sin={sin_family=AF_INET, "\\33Y\\300"}}}');
  assert.equal(
    addrOf(rx(2502, 9, 16, sin), 36, raw),
    '{sa_family=0x21, srx_service=0x9c6, transport_type=0x9, transport_len=16, transport={sin={sin_family=0x2, sin_port="\\x1b\\x59", sin_addr="\\xc0\\x00\\x02\\x07"}}}',
  );
  assert.match(addrOf(rx(2502, 9, 16, sin), 36, verbose), /srx_service=0x9c6 \/\* \?\?\?_SERVICE \*\/, transport_type=0x9 \/\* SOCK_\?\?\? \*\/, .*sin_family=0x2 \/\* AF_INET \*\/, sin_port="\\x1b\\x59" \/\* htons\(7001\) \*\//);
  // sin6: the scope id only when transport_len covers it; transport_len past the union is cut to it.
  const sin6 = le([2, 10], [0, 1], [0, 0, 0, 0], Buffer.alloc(15), [1], [4, 3]);
  assert.match(addrOf(rx(2503, 1, 24, sin6)), /transport=\{sin6=\{sin6_family=AF_INET6, sin6_port=htons\(1\), sin6_flowinfo=htonl\(0\), inet_pton\(AF_INET6, "::1", &sin6_addr\)\}\}\}$/);
  assert.match(addrOf(rx(2503, 1, 9999, sin6)), /transport_len=9999, transport=\{sin6=\{.*&sin6_addr\), sin6_scope_id=3\}\}\}$/);
  // Any other family: the family and the bytes; none at all with transport_len 0.
  assert.equal(addrOf(rx(0, 0, 0, Buffer.alloc(0))), '{sa_family=AF_RXRPC, srx_service=0 /* ???_SERVICE */, transport_type=0 /* SOCK_??? */, transport_len=0, transport={family=AF_UNSPEC}}');
  assert.match(addrOf(rx(52, 1, 6, le([2, 1], [0x61, 0x62, 0, 0x63]))), /srx_service=0x34 \/\* VL_SERVICE \*\/.*transport=\{family=AF_UNIX, "ab\\0c"\}\}$/);
  assert.match(addrOf(rx(52, 1, 30, le([2, 0x1ff]))), /transport=\{family=0x1ff \/\* AF_\?\?\? \*\/, "(\\0){26}"\}\}$/);
  assert.match(addrOf(rx(1, 1, 16, sin), 35), /^\{sa_family=AF_RXRPC, sa_data="/);
});

test('AF_IEEE802154: address type, PAN id, then the short or the long address', () => {
  const wpan = (type: number, pan: number, rest: number[]): Buffer => {
    const u = Buffer.alloc(8);
    Buffer.from(rest).copy(u);
    return le([2, 36], [2, 0], [4, type], [2, pan], u, [2, 0]);
  };
  assert.equal(addrOf(wpan(2, 0xffff, [0xfe, 0xff])), '{sa_family=AF_IEEE802154, addr={addr_type=0x2 /* IEEE802154_ADDR_SHORT */, pan_id=0xffff /* IEEE802154_PANID_BROADCAST */, short_addr=0xfffe /* IEEE802154_ADDR_UNDEF */}}');
  assert.equal(addrOf(wpan(2, 0x1234, [0x34, 0x12])), '{sa_family=AF_IEEE802154, addr={addr_type=0x2 /* IEEE802154_ADDR_SHORT */, pan_id=0x1234, short_addr=0x1234}}');
  assert.equal(addrOf(wpan(0, 0, [1, 2])), '{sa_family=AF_IEEE802154, addr={addr_type=0 /* IEEE802154_ADDR_NONE */, pan_id=0}}');
  const long = wpan(3, 7, [0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 0xa]);
  assert.equal(addrOf(long), '{sa_family=AF_IEEE802154, addr={addr_type=0x3 /* IEEE802154_ADDR_LONG */, pan_id=0x7, hwaddr=de:ad:be:ef:00:01:02:0a}}');
  assert.equal(addrOf(long, 20, raw), '{sa_family=0x24, addr={addr_type=0x3, pan_id=0x7, hwaddr="\\xde\\xad\\xbe\\xef\\x00\\x01\\x02\\x0a"}}');
  assert.match(addrOf(long, 20, verbose), /hwaddr="\\xde\\xad\\xbe\\xef\\x00\\x01\\x02\\x0a" \/\* de:ad:be:ef:00:01:02:0a \*\/\}\}$/);
  // An unknown type shows the long form.
  assert.match(addrOf(wpan(0xdead, 0, [])), /addr_type=0xdead \/\* IEEE802154_ADDR_\?\?\? \*\/, pan_id=0, hwaddr=00:00:00:00:00:00:00:00\}\}$/);
  assert.match(addrOf(long, 19), /^\{sa_family=AF_IEEE802154, sa_data="/);
});

test('AF_ALG: type and name as the kernel reads them, feature bits with names in comments', () => {
  const alg = (type: string, feat: number, mask: number, name: Buffer): Buffer => {
    const t = Buffer.alloc(14);
    Buffer.from(type, 'latin1').copy(t);
    return le([2, 38], t, [4, feat], [4, mask], name);
  };
  const b = alg('hash', 0x1000, 0x1001, Buffer.from('sha256\0\0', 'latin1'));
  assert.equal(addrOf(b), '{sa_family=AF_ALG, salg_type="hash", salg_feat=0x1000 /* CRYPTO_ALG_KERN_DRIVER_ONLY */, salg_mask=0x1001 /* CRYPTO_ALG_KERN_DRIVER_ONLY|0x1 */, salg_name="sha256"}');
  assert.equal(addrOf(b, 32, raw), '{sa_family=0x26, salg_type="hash", salg_feat=0x1000, salg_mask=0x1001, salg_name="sha256"}');
  // No NUL within the array: one byte short (the kernel's NUL goes there) and `...`.
  assert.equal(addrOf(alg('skcipherXXXXXXX', 0x20, 0, Buffer.from('abc', 'latin1'))), '{sa_family=AF_ALG, salg_type="skcipherXXXXX"..., salg_feat=0x20 /* CRYPTO_ALG_??? */, salg_mask=0, salg_name="ab"...}');
  assert.match(addrOf(alg('', 0, 0, Buffer.from('x'))), /salg_name=""\.\.\.\}$/);
  // A name longer than sockaddr_alg's 64 bytes (sockaddr_alg_new).
  assert.match(addrOf(alg('aead', 0, 0, Buffer.from(`${'n'.repeat(80)}\0`, 'latin1'))), new RegExp(`salg_name="${'n'.repeat(80)}"\\}$`));
  assert.match(addrOf(alg('aead', 0, 0, Buffer.alloc(0))), /^\{sa_family=AF_ALG, sa_data="aead(\\0){18}"\}$/);
});

test('AF_NFC: device, target, protocol; the LLCP form when the length covers it', () => {
  const base = le([2, 39], [2, 0], [4, 4000000000], [4, 0x42], [4, 7]);
  assert.equal(connect(base), `connect(-1, {sa_family=AF_NFC, dev_idx=4000000000, target_idx=0x42, nfc_protocol=NFC_PROTO_ISO15693}, 16)${EBADF}`);
  assert.equal(addrOf(base, 16, verbose), '{sa_family=0x27 /* AF_NFC */, dev_idx=4000000000, target_idx=0x42, nfc_protocol=0x7 /* NFC_PROTO_ISO15693 */}');
  // dsap, ssap, the 63-byte name, padding to the 8-byte service_name_len.
  const llcp = le(base, [1, 1], [1, 0xff], Buffer.from('urn:nfc:sn:snep\0xyz', 'latin1'), Buffer.alloc(51), [8, 19]);
  assert.equal(llcp.length, 96);
  // service_name_len decides how much of the name is shown, NULs included.
  assert.match(addrOf(llcp), /nfc_protocol=NFC_PROTO_ISO15693, dsap=0x1 \/\* LLCP_SAP_SDP \*\/, ssap=0xff \/\* LLCP_SAP_MAX \*\/, service_name="urn:nfc:sn:snep\\0xyz", service_name_len=19\}$/);
  assert.match(addrOf(llcp, 96, raw), /nfc_protocol=0x7, dsap=0x1, ssap=0xff, service_name="urn/);
  llcp.writeBigUInt64LE(1n << 63n, 88);
  assert.match(addrOf(llcp), /service_name="urn:nfc:sn:snep\\0xyz(\\0){44}", service_name_len=9223372036854775808\}$/);
  assert.match(addrOf(llcp, 40), /nfc_protocol=NFC_PROTO_ISO15693, \.\.\.\}$/);
  llcp.writeUInt32LE(99, 12);
  assert.match(addrOf(llcp, 16), /nfc_protocol=0x63 \/\* NFC_PROTO_\?\?\? \*\/\}$/);
  assert.match(addrOf(llcp, 15), /^\{sa_family=AF_NFC, sa_data="/);
});

test('AF_VSOCK, AF_QIPCRTR, AF_MCTP: named ids, padding and reserved bytes only when set', () => {
  const vm = (res: number, port: number, cid: number, flags: number, zero: number[]): Buffer => le([2, 40], [2, res], [4, port], [4, cid], [1, flags], zero);
  assert.equal(addrOf(vm(0, 1024, 2, 1, [0, 0, 0])), '{sa_family=AF_VSOCK, svm_cid=VMADDR_CID_HOST, svm_port=0x400, svm_flags=VMADDR_FLAG_TO_HOST}');
  assert.equal(addrOf(vm(7, 0xffffffff, 0xffffffff, 0x81, [0, 9, 0])), '{sa_family=AF_VSOCK, svm_reserved1=0x7, svm_cid=VMADDR_CID_ANY, svm_port=VMADDR_PORT_ANY, svm_flags=VMADDR_FLAG_TO_HOST|0x80, svm_zero="\\x00\\x09\\x00"}');
  assert.equal(addrOf(vm(0, 5, 3, 4, [0, 0, 0]), 16, verbose), '{sa_family=0x28 /* AF_VSOCK */, svm_cid=0x3, svm_port=0x5, svm_flags=0x4 /* VMADDR_FLAG_??? */}');
  assert.match(addrOf(vm(0, 5, 3, 4, [0, 0, 0]), 15), /sa_data=/);

  const qrtr = le([2, 42], [2, 0], [4, 0xffffffff], [4, 0xfffffffe]);
  assert.equal(addrOf(qrtr), '{sa_family=AF_QIPCRTR, sq_node=QRTR_NODE_BCAST, sq_port=QRTR_PORT_CTRL}');
  assert.equal(addrOf(qrtr, 12, verbose), '{sa_family=0x2a /* AF_QIPCRTR */, sq_node=0xffffffff /* QRTR_NODE_BCAST */, sq_port=0xfffffffe /* QRTR_PORT_CTRL */}');
  assert.match(addrOf(qrtr, 11), /sa_data=/);

  assert.equal(addrOf(le([2, 45], [2, 0], [4, 0], [1, 0xff], [1, 1], [1, 8], [1, 0])), '{sa_family=AF_MCTP, smctp_network=MCTP_NET_ANY, smctp_addr={s_addr=MCTP_ADDR_ANY}, smctp_type=0x1, smctp_tag=0x8}');
  assert.equal(
    addrOf(le([2, 45], [2, 0xbeef], [4, 12], [1, 9], [1, 0], [1, 0], [1, 3]), 12, raw),
    '{sa_family=0x2d, __smctp_pad0=0xbeef, smctp_network=0xc, smctp_addr={s_addr=0x9}, smctp_type=0, smctp_tag=0, __smctp_pad1=0x3}',
  );
});

test('AF_XDP: flags, interface, queue; the shared umem socket is a descriptor only with XDP_SHARED_UMEM', () => {
  const xdp = (flags: number, fd: number): Buffer => le([2, 44], [2, flags], [4, 3000000000], [4, 6], [4, fd]);
  assert.equal(addrOf(xdp(0x9, 5)), '{sa_family=AF_XDP, sxdp_flags=XDP_SHARED_UMEM|XDP_USE_NEED_WAKEUP, sxdp_ifindex=3000000000, sxdp_queue_id=6, sxdp_shared_umem_fd=5}');
  assert.equal(addrOf(xdp(0x1, 0xffffffff)), '{sa_family=AF_XDP, sxdp_flags=XDP_SHARED_UMEM, sxdp_ifindex=3000000000, sxdp_queue_id=6, sxdp_shared_umem_fd=-1}');
  assert.equal(addrOf(xdp(0x2, 0xabc)), '{sa_family=AF_XDP, sxdp_flags=XDP_COPY, sxdp_ifindex=3000000000, sxdp_queue_id=6, sxdp_shared_umem_fd=0xabc}');
  assert.equal(addrOf(xdp(0, 0)), '{sa_family=AF_XDP, sxdp_flags=0, sxdp_ifindex=3000000000, sxdp_queue_id=6}');
  assert.equal(addrOf(xdp(0x8020, 0), 16, verbose), '{sa_family=0x2c /* AF_XDP */, sxdp_flags=0x8020 /* XDP_??? */, sxdp_ifindex=3000000000, sxdp_queue_id=6}');
  assert.match(addrOf(xdp(0, 0), 15), /sa_data=/);
});

test('every decoded family over hostile bytes, every length, every style: no decoder error, bounded lines', () => {
  const families = [1, 2, 3, 4, 9, 10, 16, 17, 33, 36, 38, 39, 40, 42, 44, 45];
  let seed = 0x2545f491;
  const byte = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 24;
  };
  const errors: string[] = [];
  const prev = setDecoderErrorHook((name, err) => errors.push(`${name}: ${String(err)}`));
  try {
    for (const fam of families) {
      for (let len = 0; len <= 130; len++) {
        [byte, (): number => 0, (): number => 0xff].forEach((fill, k) => {
          const b = Buffer.from(Array.from({ length: 130 }, fill));
          b.writeUInt16LE(fam, 0);
          // The styles take turns over lengths and fillings.
          const xlat = (['abbrev', 'raw', 'verbose'] as const)[(len + k) % 3];
          // Mapped to the full length, and cut one byte short of it (the read fails).
          for (const mapped of [b, b.subarray(0, Math.max(len - 1, 0))]) {
            const line = formatCall({ name: 'connect', args: [-1, M, len], ret: -9, mem: new FakeMemory().map(M, mapped), opts: { xlat } });
            assert.ok(line.length < 1200, line);
          }
        });
      }
    }
  } finally {
    setDecoderErrorHook(prev);
  }
  assert.deepEqual(errors, []);
});

test('a real program\'s addresses of these families as the real strace prints them, in each -X style', { skip: !haveStrace && 'strace not installed' }, () => {
  const run = (argv: string[], style: string): string[] => {
    const r = spawnSync(argv[0]!, [...argv.slice(1), '-X', style, '-e', 'trace=connect', prog], { encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stderr
      .split('\n')
      .filter((l) => l.startsWith('connect('))
      .map((l) => l.replace(/ +=/, ' ='));
  };
  for (const style of ['abbrev', 'raw', 'verbose']) {
    const ours = run([utrace, 'strace'], style);
    assert.equal(ours.length, 20, ours.join('\n'));
    assert.deepEqual(ours, run(['strace'], style), style);
  }
});
