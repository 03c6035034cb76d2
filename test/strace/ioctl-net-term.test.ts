// ioctl families of sockets (type 0x89: int * requests, bridge names, struct ifreq, SIOCGIFCONF)
// and terminals' three settings structures (termios, termios2, termio). Table tests over byte
// buffers; expected lines are what strace 6.1 prints for the same calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMemory, formatCall } from './helpers.js';
import { ioc } from '../../src/engines/strace/decoders/ioctl.js';

const M = 0x10000000n;
const EBADF = ' = -1 EBADF (Bad file descriptor)';
type Opts = Parameters<typeof formatCall>[0]['opts'];
const call = (req: number, arg: bigint | number, mem = new FakeMemory(), ret = -9, opts: Opts = {}, exitMem?: FakeMemory): string =>
  formatCall({ name: 'ioctl', args: [-1, req, arg], ret, mem, opts, exitMem }).replace(/\) +=/, ') =');

/** A struct ifreq: the name, then the union's bytes. */
function ifreq(name: string, union: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(40);
  b.write(name, 0, 'latin1');
  union.copy(b, 16);
  return b;
}

test('socket ioctls: NULL for a known request, int * in and out, bridge names up to IFNAMSIZ', () => {
  assert.equal(call(ioc('FIOSETOWN'), 0), `ioctl(-1, FIOSETOWN, NULL)${EBADF}`);
  assert.equal(call(ioc('SIOCGSTAMP_OLD'), 0), `ioctl(-1, SIOCGSTAMP_OLD, NULL)${EBADF}`);
  assert.equal(call(ioc('SIOCETHTOOL'), M), `ioctl(-1, SIOCETHTOOL, 0x10000000)${EBADF}`);
  // An unnamed request of the family keeps the generic print.
  assert.equal(call(0x89ff, 0), `ioctl(-1, _IOC(_IOC_NONE, 0x89, 0xff, 0), 0)${EBADF}`);
  const mem = new FakeMemory().i32(M, 4242);
  assert.equal(call(ioc('FIOSETOWN'), M, mem, 0), 'ioctl(-1, FIOSETOWN, [4242]) = 0');
  assert.equal(call(ioc('SIOCGPGRP'), M, mem, 0), 'ioctl(-1, SIOCGPGRP, [4242]) = 0');
  assert.equal(call(ioc('SIOCGPGRP'), M, mem), `ioctl(-1, SIOCGPGRP, 0x10000000)${EBADF}`);
  const names = new FakeMemory().map(M, '0123456789012345').map(M + 0x100n, '012345678901234\0');
  assert.equal(call(ioc('SIOCBRADDBR'), M, names), `ioctl(-1, SIOCBRADDBR, "0123456789012345"...)${EBADF}`);
  assert.equal(call(ioc('SIOCBRDELBR'), M + 0x100n, names), `ioctl(-1, SIOCBRDELBR, "012345678901234")${EBADF}`);
});

test('socket ioctls: struct ifreq by the member each request uses, GET results added at exit', () => {
  const sin = Buffer.from([2, 0, 0x1b, 0xad, 127, 0, 0, 1]);
  const long = '0123456789abcdef'; // no NUL within IFNAMSIZ
  const a = new FakeMemory().map(M, ifreq(long, sin));
  assert.equal(
    call(ioc('SIOCSIFADDR'), M, a),
    `ioctl(-1, SIOCSIFADDR, {ifr_name="0123456789abcde"..., ifr_addr={sa_family=AF_INET, sin_port=htons(7085), sin_addr=inet_addr("127.0.0.1")}})${EBADF}`,
  );
  const fl = new FakeMemory().map(M, ifreq('lo', Buffer.from([0x03, 0x10])));
  assert.equal(call(ioc('SIOCSIFFLAGS'), M, fl), `ioctl(-1, SIOCSIFFLAGS, {ifr_name="lo", ifr_flags=IFF_UP|IFF_BROADCAST|IFF_MULTICAST})${EBADF}`);
  const hw = new FakeMemory().map(M, ifreq('eth0', Buffer.from([1, 0, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97])));
  assert.equal(call(ioc('SIOCADDMULTI'), M, hw), `ioctl(-1, SIOCADDMULTI, {ifr_name="eth0", ifr_hwaddr={sa_family=ARPHRD_ETHER, sa_data=92:93:94:95:96:97}})${EBADF}`);
  const map = Buffer.alloc(24);
  map.writeBigUInt64LE(0x1000n, 0);
  map.writeBigUInt64LE(0x2000n, 8);
  map.writeUInt16LE(0x300, 16);
  map[18] = 5;
  assert.equal(
    call(ioc('SIOCSIFMAP'), M, new FakeMemory().map(M, ifreq('eth0', map))),
    `ioctl(-1, SIOCSIFMAP, {ifr_name="eth0", ifr_map={mem_start=0x1000, mem_end=0x2000, base_addr=0x300, irq=0x5, dma=0, port=0}})${EBADF}`,
  );
  const mtu = Buffer.alloc(4);
  mtu.writeInt32LE(-2);
  assert.equal(call(ioc('SIOCSIFMTU'), M, new FakeMemory().map(M, ifreq('lo', mtu))), `ioctl(-1, SIOCSIFMTU, {ifr_name="lo", ifr_mtu=-2})${EBADF}`);
  // GET: the name goes in; the member comes back only from a call that worked.
  const idx = Buffer.alloc(4);
  idx.writeInt32LE(1);
  const entry = new FakeMemory().map(M, ifreq('lo'));
  const exit = new FakeMemory().map(M, ifreq('lo', idx));
  assert.equal(call(ioc('SIOCGIFINDEX'), M, entry, 0, {}, exit), 'ioctl(-1, SIOCGIFINDEX, {ifr_name="lo", ifr_ifindex=1}) = 0');
  assert.equal(call(ioc('SIOCGIFINDEX'), M, entry, -9, {}, exit), `ioctl(-1, SIOCGIFINDEX, {ifr_name="lo"})${EBADF}`);
  // SIOCGIFNAME: the index goes in, the name comes out.
  const byIndex = new FakeMemory().map(M, ifreq('', idx));
  assert.equal(call(ioc('SIOCGIFNAME'), M, byIndex, 0, {}, exit), 'ioctl(-1, SIOCGIFNAME, {ifr_ifindex=1, ifr_name="lo"}) = 0');
  assert.equal(call(ioc('SIOCBRADDIF'), M, byIndex, -9, { xlat: 'raw' }), `ioctl(-1, 0x89a2, {ifr_ifindex=1})${EBADF}`);
  assert.equal(call(ioc('SIOCSIFNAME'), M + 8n, entry), `ioctl(-1, SIOCSIFNAME, 0x10000008)${EBADF}`);
});

test('SIOCGIFCONF: the length needed for a NULL buffer, the length used, -s entries of the buffer', () => {
  const ifc = (len: number, buf: bigint): Buffer => {
    const b = Buffer.alloc(16);
    b.writeInt32LE(len, 0);
    b.writeBigUInt64LE(buf, 8);
    return b;
  };
  const R = M + 0x1000n;
  const lo = ifreq('lo', Buffer.from([2, 0, 0, 0, 127, 0, 0, 1]));
  const two = Buffer.concat([lo, lo]);
  const GIFCONF = ioc('SIOCGIFCONF');
  assert.equal(call(GIFCONF, 0), `ioctl(-1, SIOCGIFCONF, NULL)${EBADF}`);
  const entry = (len: number, buf: bigint): FakeMemory => new FakeMemory().map(M, ifc(len, buf)).map(R, two);
  assert.equal(call(GIFCONF, M, entry(-1, 0n), 0, {}, entry(80, 0n)), 'ioctl(-1, SIOCGIFCONF, {ifc_len=80 /* 2 * sizeof(struct ifreq) */, ifc_buf=NULL}) = 0');
  assert.equal(
    call(GIFCONF, M, entry(84, R), 0, { strsize: 1 }, entry(80, R)),
    'ioctl(-1, SIOCGIFCONF, {ifc_len=84 => 80 /* 2 * sizeof(struct ifreq) */, ifc_buf=[{ifr_name="lo", ifr_addr={sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("127.0.0.1")}}, ...]}) = 0',
  );
  assert.equal(call(GIFCONF, M, entry(40, R), -14), 'ioctl(-1, SIOCGIFCONF, {ifc_len=40 /* 1 * sizeof(struct ifreq) */, ifc_buf=0x10001000}) = -1 EFAULT (Bad address)');
});

/** termios/termios2 bytes: four flag words, c_line, c_cc (19), then c_ispeed and c_ospeed. */
function termios(iflag: number, oflag: number, cflag: number, lflag: number, line: number, speeds?: [number, number]): Buffer {
  const b = Buffer.alloc(speeds ? 44 : 36);
  [iflag, oflag, cflag, lflag].forEach((v, i) => b.writeUInt32LE(v >>> 0, i * 4));
  b[16] = line;
  for (let i = 0; i < 19; i++) b[17 + i] = i === 5 ? 0xa0 : 0;
  if (speeds) {
    b.writeUInt32LE(speeds[0], 36);
    b.writeUInt32LE(speeds[1], 40);
  }
  return b;
}

test('terminal settings: termios2 and termio requests, cflag speeds before the size, XTABS, c_line and c_cc under -v', () => {
  // B75 | B57600 << IBSHIFT | CS6 | CSTOPB; oflag OPOST|ONLCR|XTABS.
  const cflag = 0o2 | (0o10001 << 16) | 0o20 | 0o100;
  const oflag = 0o1 | 0o4 | 0o14000;
  const t2 = new FakeMemory().map(M, termios(0o1, oflag, cflag, 0o1, 5, [9600, 38400]));
  const abbrev = 'c_iflag=IGNBRK, c_oflag=NL0|CR0|XTABS|BS0|VT0|FF0|OPOST|ONLCR, c_cflag=B75|B57600<<IBSHIFT|CS6|CSTOPB, c_lflag=ISIG';
  assert.equal(call(ioc('TCSETS2'), M, t2, 0), `ioctl(-1, TCSETS2, {${abbrev}, ...}) = 0`);
  assert.equal(call(ioc('TCSETS2'), 0), `ioctl(-1, TCSETS2, NULL)${EBADF}`);
  const cc = '[VINTR]=0, [VQUIT]=0, [VERASE]=0, [VKILL]=0, [VEOF]=0, [VTIME]=0xa0, [VMIN]=0, [VSWTC]=0, [VSTART]=0, [VSTOP]=0, [VSUSP]=0, [VEOL]=0, [VREPRINT]=0, [VDISCARD]=0, [VWERASE]=0, [VLNEXT]=0, [VEOL2]=0, [17]=0, [18]=0';
  assert.equal(call(ioc('TCGETS2'), M, t2, 0, { verbose: true }), `ioctl(-1, TCGETS2, {${abbrev}, c_line=N_AX25, c_cc=[${cc}], c_ispeed=9600, c_ospeed=38400}) = 0`);
  assert.equal(call(ioc('TCGETS2'), M, t2, -9), `ioctl(-1, TCGETS2, 0x10000000)${EBADF}`);
  assert.equal(call(ioc('TIOCSLCKTRMIOS'), M, t2), `ioctl(-1, TIOCSLCKTRMIOS, {${abbrev}, ...})${EBADF}`);
  // struct termio: 16-bit words, c_line, 8 c_cc.
  const t = Buffer.alloc(18);
  [0o1, oflag, 0o2 | 0o20 | 0o100, 0o1].forEach((v, i) => t.writeUInt16LE(v, i * 2));
  t[8] = 0x88;
  t[9 + 6] = 0x89;
  const tm = new FakeMemory().map(M, t);
  assert.equal(call(ioc('TCSETA'), M, tm), `ioctl(-1, TCSETA, {c_iflag=IGNBRK, c_oflag=NL0|CR0|XTABS|BS0|VT0|FF0|OPOST|ONLCR, c_cflag=B75|CS6|CSTOPB, c_lflag=ISIG, ...})${EBADF}`);
  assert.equal(
    call(ioc('TCGETA'), M, tm, 0, { verbose: true }),
    'ioctl(-1, TCGETA, {c_iflag=IGNBRK, c_oflag=NL0|CR0|XTABS|BS0|VT0|FF0|OPOST|ONLCR, c_cflag=B75|CS6|CSTOPB, c_lflag=ISIG, c_line=0x88 /* N_??? */, c_cc=[[VINTR]=0, [VQUIT]=0, [VERASE]=0, [VKILL]=0, [VEOF]=0, [VTIME]=0, [VMIN]=0x89, [VSWTC]=0]}) = 0',
  );
});
