/**
 * More socket address families (the first group is in sockaddr-families.ts): AF_RXRPC
 * (linux/rxrpc.h), AF_IEEE802154 (the kernel's net/af_ieee802154.h), AF_ALG (linux/if_alg.h),
 * AF_NFC (linux/nfc.h), AF_VSOCK (linux/vm_sockets.h), AF_QIPCRTR (linux/qrtr.h), AF_XDP
 * (linux/if_xdp.h), AF_MCTP (linux/mctp.h). Same contract: the fields after sa_family, or
 * undefined when the address is shorter than the family's structure.
 */
import { flagsStr, xvalStr, type Ctx } from '../printer.js';
import { cmt, field, hex, hexstr, num, str, struct, sym, type Field, type Value } from '../value.js';
import {
  addrfams,
  af_alg_flags,
  ieee802154_addr_types,
  ieee802154_pan_ids,
  ieee802154_short_addrs,
  llcp_saps,
  mctp_addrs,
  mctp_nets,
  nfc_protocols,
  qrtr_nodes,
  qrtr_ports,
  rxrpc_services,
  sockaddr_xdp_flags,
  socktypes,
  vsock_cids,
  vsock_flags,
  vsock_ports,
} from '../xlat/tables.gen.js';
import type { Xlat } from '../xlat/xlat.js';
import { ifindexValue } from './common.js';
import { charArray, type FamilyFields } from './sockaddr-families.js';
import { SOCKADDR_IN6_LEN, SOCKADDR_IN6_LEN_V1, SOCKADDR_IN_LEN, in4Fields, in6Fields } from './sockaddr-inet.js';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_RXRPC = 33;
export const AF_IEEE802154 = 36;
export const AF_ALG = 38;
export const AF_NFC = 39;
export const AF_VSOCK = 40;
export const AF_QIPCRTR = 42;
export const AF_XDP = 44;
export const AF_MCTP = 45;

/** A number with its name as a comment, in every style but raw (strace prints these fields so). */
function named(c: Ctx, v: bigint, x: Xlat, dflt?: string): Value {
  return sym(xvalStr(v, x, dflt, c.o.xlat === 'raw' ? 'raw' : 'verbose'));
}

/** The set-bit names as a comment after the number, in every style but raw. */
function namedFlags(c: Ctx, v: bigint, x: Xlat, dflt: string): Value {
  return sym(flagsStr(v, x, dflt, c.o.xlat === 'raw' ? 'raw' : 'verbose'));
}

/** A nonzero padding or reserved member, shown only when set. */
function ifSet(f: Field[], k: string, v: number): void {
  if (v) f.push(field(k, hex(BigInt(v))));
}

// ---- AF_RXRPC ----------------------------------------------------------------------------------

const SOCKADDR_RXRPC_LEN = 36;
const RXRPC_TRANSPORT = 8;

/**
 * The transport address in sockaddr_rxrpc's union, `len` bytes of it (transport_len, at most
 * the union's size): sin or sin6 when the family says so, else the family and the bytes.
 */
function rxrpcTransport(c: Ctx, b: Buffer, len: number): Value {
  const t = b.subarray(RXRPC_TRANSPORT);
  const fam = t.readUInt16LE(0);
  const famV = c.xval(BigInt(fam), addrfams, 'AF_???');
  const bytes = (): Field[] => (len > 2 ? [{ k: 'data', v: str(t.subarray(2, len)), bare: true }] : []);
  if (fam === AF_INET || fam === AF_INET6) {
    const v4 = fam === AF_INET;
    const full = len >= (v4 ? SOCKADDR_IN_LEN : SOCKADDR_IN6_LEN_V1);
    const rest = full ? (v4 ? in4Fields(c, t, 0) : in6Fields(c, t, 0, len)) : bytes();
    const k = v4 ? 'sin' : 'sin6';
    return struct([field(k, struct([field(`${k}_family`, famV), ...rest]))]);
  }
  return struct([field('family', famV), ...bytes()]);
}

/** struct sockaddr_rxrpc: service, transport socket type and the transport's address. */
function rxrpc(c: Ctx, b: Buffer, n: number): FamilyFields | undefined {
  if (n < SOCKADDR_RXRPC_LEN) return undefined;
  const tlen = b.readUInt16LE(6);
  return {
    f: [
      field('srx_service', named(c, BigInt(b.readUInt16LE(2)), rxrpc_services, '???_SERVICE')),
      field('transport_type', c.xval(BigInt(b.readUInt16LE(4)), socktypes, 'SOCK_???')),
      field('transport_len', num(tlen)),
      field('transport', rxrpcTransport(c, b, Math.min(tlen, SOCKADDR_IN6_LEN))),
    ],
  };
}

// ---- AF_IEEE802154 -----------------------------------------------------------------------------

const SOCKADDR_IEEE802154_LEN = 20;
const IEEE802154_ADDR_NONE = 0;
const IEEE802154_ADDR_SHORT = 2;

/** struct sockaddr_ieee802154: addr {addr_type, pan_id, short_addr or the 8-byte hwaddr}. */
function ieee802154(c: Ctx, b: Buffer, n: number): FamilyFields | undefined {
  if (n < SOCKADDR_IEEE802154_LEN) return undefined;
  const type = b.readUInt32LE(4);
  const f = [
    field('addr_type', named(c, BigInt(type), ieee802154_addr_types, 'IEEE802154_ADDR_???')),
    field('pan_id', named(c, BigInt(b.readUInt16LE(8)), ieee802154_pan_ids)),
  ];
  if (type === IEEE802154_ADDR_SHORT) {
    f.push(field('short_addr', named(c, BigInt(b.readUInt16LE(10)), ieee802154_short_addrs)));
  } else if (type !== IEEE802154_ADDR_NONE) {
    // A long address, and the address of any unknown type: the union's full 8 bytes.
    const hw = Buffer.from(b.subarray(10, 18));
    const colons = [...hw].map((x) => x.toString(16).padStart(2, '0')).join(':');
    f.push(field('hwaddr', c.o.xlat === 'abbrev' ? sym(colons) : c.o.xlat === 'raw' ? hexstr(hw) : cmt(hexstr(hw), colons)));
  }
  return { f: [field('addr', struct(f))] };
}

// ---- AF_ALG ------------------------------------------------------------------------------------

/** sockaddr_alg_new up to its name: the name is whatever follows, one byte at least. */
const SOCKADDR_ALG_HEAD = 24;

/** struct sockaddr_alg: type, feature and mask bits, then the algorithm name (any length). */
function alg(c: Ctx, b: Buffer, n: number): FamilyFields | undefined {
  if (n <= SOCKADDR_ALG_HEAD) return undefined;
  return {
    f: [
      field('salg_type', charArray(b.subarray(2, 16))),
      field('salg_feat', namedFlags(c, BigInt(b.readUInt32LE(16)), af_alg_flags, 'CRYPTO_ALG_???')),
      field('salg_mask', namedFlags(c, BigInt(b.readUInt32LE(20)), af_alg_flags, 'CRYPTO_ALG_???')),
      field('salg_name', charArray(b.subarray(SOCKADDR_ALG_HEAD, n))),
    ],
  };
}

// ---- AF_NFC ------------------------------------------------------------------------------------

const SOCKADDR_NFC_LEN = 16;
const SOCKADDR_NFC_LLCP_LEN = 96;
const NFC_LLCP_MAX_SERVICE_NAME = 63;

/** struct sockaddr_nfc, or sockaddr_nfc_llcp when the length covers it (`...` in between). */
function nfc(c: Ctx, b: Buffer, n: number): FamilyFields | undefined {
  if (n < SOCKADDR_NFC_LEN) return undefined;
  const f = [
    field('dev_idx', ifindexValue(c, b.readUInt32LE(4))),
    field('target_idx', hex(BigInt(b.readUInt32LE(8)))),
    field('nfc_protocol', c.xval(BigInt(b.readUInt32LE(12)), nfc_protocols, 'NFC_PROTO_???')),
  ];
  if (n < SOCKADDR_NFC_LLCP_LEN) return { f, more: n > SOCKADDR_NFC_LEN };
  const nameLen = b.readBigUInt64LE(88);
  const shown = nameLen < BigInt(NFC_LLCP_MAX_SERVICE_NAME) ? Number(nameLen) : NFC_LLCP_MAX_SERVICE_NAME;
  f.push(
    field('dsap', named(c, BigInt(b[16]!), llcp_saps)),
    field('ssap', named(c, BigInt(b[17]!), llcp_saps)),
    // service_name_len says how much of the name counts; NULs inside it are part of it.
    field('service_name', str(b.subarray(18, 18 + shown))),
    field('service_name_len', num(nameLen)),
  );
  return { f };
}

// ---- AF_VSOCK, AF_QIPCRTR, AF_XDP, AF_MCTP -----------------------------------------------------

/** struct sockaddr_vm: context id, port, flags; reserved and zero bytes only when set. */
function vsock(c: Ctx, b: Buffer, n: number): FamilyFields | undefined {
  if (n < 16) return undefined;
  const f: Field[] = [];
  ifSet(f, 'svm_reserved1', b.readUInt16LE(2));
  f.push(
    field('svm_cid', c.xval(BigInt(b.readUInt32LE(8)), vsock_cids)),
    field('svm_port', c.xval(BigInt(b.readUInt32LE(4)), vsock_ports)),
    field('svm_flags', c.flags(BigInt(b[12]!), vsock_flags, 'VMADDR_FLAG_???')),
  );
  const zero = b.subarray(13, 16);
  if (zero.some((x) => x !== 0)) f.push(field('svm_zero', hexstr(Buffer.from(zero))));
  return { f };
}

/** struct sockaddr_qrtr: node and port. */
function qrtr(c: Ctx, b: Buffer, n: number): FamilyFields | undefined {
  if (n < 12) return undefined;
  return { f: [field('sq_node', c.xval(BigInt(b.readUInt32LE(4)), qrtr_nodes)), field('sq_port', c.xval(BigInt(b.readUInt32LE(8)), qrtr_ports))] };
}

const XDP_SHARED_UMEM = 1;

/** struct sockaddr_xdp; the shared umem's socket is a descriptor only with XDP_SHARED_UMEM. */
function xdp(c: Ctx, b: Buffer, n: number): FamilyFields | undefined {
  if (n < 16) return undefined;
  const flags = b.readUInt16LE(2);
  const fd = b.readUInt32LE(12);
  const f = [
    field('sxdp_flags', c.flags(BigInt(flags), sockaddr_xdp_flags, 'XDP_???')),
    field('sxdp_ifindex', ifindexValue(c, b.readUInt32LE(4))),
    field('sxdp_queue_id', num(b.readUInt32LE(8))),
  ];
  if (flags & XDP_SHARED_UMEM) f.push(field('sxdp_shared_umem_fd', c.fd(BigInt(b.readInt32LE(12)))));
  else if (fd) f.push(field('sxdp_shared_umem_fd', hex(BigInt(fd))));
  return { f };
}

/** struct sockaddr_mctp: network, endpoint address, message type and tag; padding when set. */
function mctp(c: Ctx, b: Buffer, n: number): FamilyFields | undefined {
  if (n < 12) return undefined;
  const f: Field[] = [];
  ifSet(f, '__smctp_pad0', b.readUInt16LE(2));
  f.push(
    field('smctp_network', c.xval(BigInt(b.readUInt32LE(4)), mctp_nets)),
    field('smctp_addr', struct([field('s_addr', c.xval(BigInt(b[8]!), mctp_addrs))])),
    field('smctp_type', hex(BigInt(b[9]!))),
    field('smctp_tag', hex(BigInt(b[10]!))),
  );
  ifSet(f, '__smctp_pad1', b[11]!);
  return { f };
}

/** The fields of family `fam` after sa_family, if this family is decoded here. */
export function moreFamilyFields(c: Ctx, fam: number, b: Buffer, n: number): FamilyFields | undefined {
  switch (fam) {
    case AF_RXRPC:
      return rxrpc(c, b, n);
    case AF_IEEE802154:
      return ieee802154(c, b, n);
    case AF_ALG:
      return alg(c, b, n);
    case AF_NFC:
      return nfc(c, b, n);
    case AF_VSOCK:
      return vsock(c, b, n);
    case AF_QIPCRTR:
      return qrtr(c, b, n);
    case AF_XDP:
      return xdp(c, b, n);
    case AF_MCTP:
      return mctp(c, b, n);
    default:
      return undefined;
  }
}
