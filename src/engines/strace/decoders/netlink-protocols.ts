/**
 * The netlink decoder with every protocol family loaded: each family file registers itself with
 * netlink.ts when imported (kept apart from netlink.ts so the families can import its helpers).
 * NETLINK_KOBJECT_UEVENT carries no netlink messages: uevent strings, or udev's monitor header.
 */
import type { Ctx } from '../printer.js';
import { arr, call, field, hexStr, num, str, struct, sym, type Value } from '../value.js';
import './netlink-misc.js';
import './netlink-route.js';
import './netlink-diag.js';
import { messages as nlMessages } from './netlink.js';

const NETLINK_KOBJECT_UEVENT = 15;
/** struct udev_monitor_netlink_header (systemd's libudev): "libudev\0", magic, sizes, filters. */
const UDEV_HDR_SIZE = 40;
const UDEV_MAGIC = 0xfeedcafe;

const htonl = (v: number): Value => call('htonl', sym(hexStr(BigInt(v))));

function udevHeader(c: Ctx, b: Buffer): Value {
  return struct([
    field('prefix', str(b.subarray(0, b.indexOf(0)))),
    field('magic', htonl(b.readUInt32BE(8))),
    field('header_size', num(b.readUInt32LE(12))),
    field('properties_off', num(b.readUInt32LE(16))),
    field('properties_len', num(b.readUInt32LE(20))),
    field('filter_subsystem_hash', htonl(b.readUInt32BE(24))),
    field('filter_devtype_hash', htonl(b.readUInt32BE(28))),
    field('filter_tag_bloom_hi', htonl(b.readUInt32BE(32))),
    field('filter_tag_bloom_lo', htonl(b.readUInt32BE(36))),
  ]);
}

/** Data sent on a netlink socket of protocol `proto`. */
export function messages(c: Ctx, ad: bigint, total: number, proto: number): Value {
  if (proto !== NETLINK_KOBJECT_UEVENT) return nlMessages(c, ad, total, proto);
  const b = total >= UDEV_HDR_SIZE ? c.fetchAlways(ad, UDEV_HDR_SIZE) : undefined;
  if (!b || b.toString('latin1', 0, 8) !== 'libudev\0' || b.readUInt32BE(8) !== UDEV_MAGIC) return c.buf(ad, BigInt(total));
  const h = udevHeader(c, b);
  if (total === UDEV_HDR_SIZE) return h;
  return arr([h, c.buf(ad + BigInt(UDEV_HDR_SIZE), BigInt(total - UDEV_HDR_SIZE))]);
}
