/**
 * perf_event file descriptors (include/uapi/linux/perf_event.h), type byte '$': the
 * PERF_EVENT_IOC_* requests. The attribute block of MODIFY_ATTRIBUTES is not decoded yet (its
 * address prints).
 */
import { Ctx, I32, RVAL_DECODED, U32 } from '../printer.js';
import { addr, field, num, struct, type Value } from '../value.js';
import { perf_ioctl_flags } from '../xlat/tables.gen.js';
import { ioc, registerIoctlFamily } from './ioctl.js';

type Handler = (c: Ctx, arg: bigint) => number;

/** ENABLE, DISABLE, RESET: PERF_IOC_FLAG_GROUP or 0, an unsigned int by value. */
const groupFlag: Handler = (c, arg) => {
  c.push(c.flags(U32(arg), perf_ioctl_flags, 'PERF_IOC_FLAG_???'));
  return RVAL_DECODED;
};
/** An int by value (a count, a descriptor). */
const int: Handler = (c, arg) => {
  c.push(num(I32(arg)));
  return RVAL_DECODED;
};
/** A __u64 the caller sends: [N]. */
const u64In: Handler = (c, arg) => {
  c.push(c.u64Ptr(arg));
  return RVAL_DECODED;
};
/** A __u64 the kernel fills: [N] at exit (the address when the call failed). */
const u64Out: Handler = (c, arg) => {
  if (!c.entering) c.push(c.u64Ptr(arg));
  return 0;
};

/**
 * struct perf_event_query_bpf { __u32 ids_len, prog_cnt; __u32 ids[]; }: the room the caller
 * gives, then at exit the number of programs and their ids (as many as fit in the room).
 */
const queryBpf: Handler = (c, arg) => {
  if (c.entering) {
    const b = arg === 0n ? undefined : c.fetch(arg, 4);
    if (!b) {
      c.push(addr(arg));
      return RVAL_DECODED;
    }
    c.priv = b.readUInt32LE(0);
    return 0;
  }
  const idsLen = c.priv as number;
  const b = c.fetch(arg, 8);
  if (!b) {
    c.push(struct([field('ids_len', num(idsLen))], true));
    return 0;
  }
  const cnt = b.readUInt32LE(4);
  const ids: Value = c.array(arg + 8n, BigInt(Math.min(cnt, idsLen)), 4, (e) => num(e.readUInt32LE(0)));
  c.push(struct([field('ids_len', num(idsLen)), field('prog_cnt', num(cnt)), field('ids', ids)]));
  return 0;
};

let table: Map<number, Handler> | undefined;
function handlers(): Map<number, Handler> {
  return (table ??= new Map<number, Handler>([
    [ioc('PERF_EVENT_IOC_ENABLE'), groupFlag],
    [ioc('PERF_EVENT_IOC_DISABLE'), groupFlag],
    [ioc('PERF_EVENT_IOC_RESET'), groupFlag],
    [ioc('PERF_EVENT_IOC_REFRESH'), int],
    [ioc('PERF_EVENT_IOC_PERIOD'), u64In],
    [ioc('PERF_EVENT_IOC_SET_OUTPUT'), int],
    [
      ioc('PERF_EVENT_IOC_SET_FILTER'),
      (c, arg) => {
        c.push(c.cstr(arg));
        return RVAL_DECODED;
      },
    ],
    [ioc('PERF_EVENT_IOC_ID'), u64Out],
    [ioc('PERF_EVENT_IOC_SET_BPF'), int],
    [
      // an unsigned long by value (pause when not 0)
      ioc('PERF_EVENT_IOC_PAUSE_OUTPUT'),
      (c, arg) => {
        c.push(num(arg));
        return RVAL_DECODED;
      },
    ],
    [ioc('PERF_EVENT_IOC_QUERY_BPF'), queryBpf],
    [
      // struct perf_event_attr *: the address for now
      ioc('PERF_EVENT_IOC_MODIFY_ATTRIBUTES'),
      (c, arg) => {
        c.push(addr(arg));
        return RVAL_DECODED;
      },
    ],
  ]));
}

registerIoctlFamily([0x24], (c, code, arg) => handlers().get(code)?.(c, arg));
