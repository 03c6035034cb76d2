/**
 * Calls on another process's memory or on page state: move_pages, process_vm_readv/writev,
 * process_madvise, mincore (mm/migrate.c, mm/process_vm_access.c, mm/madvise.c, mm/mincore.c).
 */
import { errnoName } from '../../../api.js';
import { Ctx, RVAL_DECODED, U32, type Decoder } from '../printer.js';
import { NULL, addr, arr, hexStr, num, sym, type Value } from '../value.js';
import { iovArray } from './common.js';
import { madvise_cmds, mbind_flags } from '../xlat/tables.gen.js';

/** move_pages' status word: a node number, or a negative errno. */
function pageStatus(c: Ctx, v: number): Value {
  if (v >= 0 || c.o.xlat === 'raw') return num(v);
  const n = errnoName(-v);
  if (n.startsWith('UNKNOWN_')) return num(v);
  return sym(c.o.xlat === 'verbose' ? `${v} /* -${n} */` : `-${n}`);
}

/** The pages array (pointers) of move_pages. */
function pagesArray(c: Ctx, ad: bigint, n: bigint): Value {
  return c.array(ad, n, 8, (b) => addr(b.readBigUInt64LE(0)));
}

function intArray(c: Ctx, ad: bigint, n: bigint, elem: (v: number) => Value = (v) => num(v)): Value {
  return c.array(ad, n, 4, (b) => elem(b.readInt32LE(0)));
}

/** process_vm_*'s iovec arrays: the buffers of the local side are shown, the remote side's are addresses. */
function vmRw(write: boolean): Decoder {
  return (c) => {
    const [pid, liov, lcnt, riov, rcnt, flags] = c.a;
    if (c.entering) {
      c.push(c.pidv(pid));
      if (write) {
        c.push(iovArray(c, liov, lcnt, undefined), num(lcnt), iovArray(c, riov, rcnt, undefined, false), num(rcnt), num(flags));
        return RVAL_DECODED;
      }
      // A failed read still shows both arrays, with addresses only: keep them from entry.
      c.priv = [iovArray(c, liov, lcnt, undefined, false), iovArray(c, riov, rcnt, undefined, false)];
      return 0;
    }
    const [lAddrs, rAddrs] = c.priv as Value[];
    c.push(c.failed ? lAddrs : iovArray(c, liov, lcnt, c.rval), num(lcnt), rAddrs, num(rcnt), num(flags));
    return 0;
  };
}

export const procmemDecoders: Record<string, Decoder> = {
  move_pages: (c) => {
    const [pid, n, pages, nodes, status, flags] = c.a;
    if (c.entering) {
      c.push(c.pidv(pid), num(n), pagesArray(c, pages, n), nodes === 0n ? NULL : intArray(c, nodes, n));
      c.priv = nodes;
      // With nodes the kernel moves pages and status is only written: shown as an address.
      if (nodes !== 0n) {
        c.push(n === 0n && status !== 0n ? arr([]) : addr(status), c.flags(U32(flags), mbind_flags, 'MPOL_MF_???'));
        return RVAL_DECODED;
      }
      return 0;
    }
    // Without nodes the kernel reports each page's node (or errno) in status.
    if (n === 0n && status !== 0n) c.push(arr([]));
    else c.push(intArray(c, status, n, (v) => pageStatus(c, v)));
    c.push(c.flags(U32(flags), mbind_flags, 'MPOL_MF_???'));
    return 0;
  },
  process_vm_readv: vmRw(false),
  process_vm_writev: vmRw(true),
  process_madvise: (c) => {
    c.push(
      c.fd(c.a[0]),
      iovArray(c, c.a[1], c.a[2], undefined, false),
      c.ulong(2),
      c.xval(U32(c.a[3]), madvise_cmds, 'MADV_???'),
      sym(hexStr(U32(c.a[4]))),
    );
    return RVAL_DECODED;
  },
  mincore: (c) => {
    if (c.entering) {
      c.push(c.ptr(0), c.ulong(1));
      return 0;
    }
    const pages = (c.a[1] + 4095n) / 4096n;
    c.push(c.array(c.a[2], pages, 1, (b) => num(b[0] & 1)));
    return 0;
  },
};
