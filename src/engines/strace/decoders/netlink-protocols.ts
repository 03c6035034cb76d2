/**
 * The netlink decoder with every protocol family loaded: each family file registers itself with
 * netlink.ts when imported (kept apart from netlink.ts so the families can import its helpers).
 */
import './netlink-misc.js';
import './netlink-route.js';
import './netlink-diag.js';

export { messages } from './netlink.js';
