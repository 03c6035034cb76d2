/**
 * quotactl and quotactl_fd: the QCMD(subcommand, type) word and, per subcommand, the id and the
 * structure it reads or fills (include/uapi/linux/quota.h, include/uapi/linux/dqblk_xfs.h).
 */
import { Ctx, RVAL_DECODED, U32, xvalStr, type Decoder } from '../printer.js';
import { addr, arr, field, hexStr, num, struct, sym, type Field, type Value } from '../value.js';
import {
  if_dqblk_valid,
  if_dqinfo_flags,
  if_dqinfo_valid,
  quota_formats,
  quotacmds,
  quotatypes,
  xfs_dqblk_flags,
  xfs_quota_flags,
} from '../xlat/tables.gen.js';

const Q = {
  SYNC: 0x800001, QUOTAON: 0x800002, QUOTAOFF: 0x800003, GETFMT: 0x800004, GETINFO: 0x800005,
  SETINFO: 0x800006, GETQUOTA: 0x800007, SETQUOTA: 0x800008, GETNEXTQUOTA: 0x800009,
  XQUOTAON: 0x5801, XQUOTAOFF: 0x5802, XGETQUOTA: 0x5803, XSETQLIM: 0x5804, XGETQSTAT: 0x5805,
  XQUOTARM: 0x5806, XQUOTASYNC: 0x5807, XGETQSTATV: 0x5808, XGETNEXTQUOTA: 0x5809,
} as const;

/** QCMD(Q_GETQUOTA, USRQUOTA): the subcommand in the high bits, the quota type in the low 8. */
function qcmd(c: Ctx, v: bigint): Value {
  if (c.o.xlat === 'raw') return num(v);
  const text = `QCMD(${xvalStr(v >> 8n, quotacmds, 'Q_???', 'abbrev')}, ${xvalStr(v & 0xffn, quotatypes, '???QUOTA', 'abbrev')})`;
  return sym(c.o.xlat === 'verbose' ? `${v} /* ${text} */` : text);
}

/** A quota id: -1 (every id) as such, else unsigned. */
const qid = (v: bigint): Value => (U32(v) === 0xffffffffn ? num(-1) : num(U32(v)));
const u64 = (b: Buffer, o: number): Value => num(b.readBigUInt64LE(o));

/** struct if_dqblk (72 bytes), and if_nextdqblk's trailing dqb_id. */
function dqblk(c: Ctx, ad: bigint, next: boolean): Value {
  const b = c.fetch(ad, 72);
  if (!b) return addr(ad);
  const f: Field[] = [
    field('dqb_bhardlimit', u64(b, 0)), field('dqb_bsoftlimit', u64(b, 8)), field('dqb_curspace', u64(b, 16)),
    field('dqb_ihardlimit', u64(b, 24)), field('dqb_isoftlimit', u64(b, 32)), field('dqb_curinodes', u64(b, 40)),
  ];
  if (c.abbrev) {
    if (next) f.push(field('dqb_id', num(b.readUInt32LE(68))));
    return struct(f, true);
  }
  f.push(field('dqb_btime', u64(b, 48)), field('dqb_itime', u64(b, 56)));
  f.push(field('dqb_valid', c.flags(BigInt(b.readUInt32LE(64)), if_dqblk_valid, 'QIF_???')));
  if (next) f.push(field('dqb_id', num(b.readUInt32LE(68))));
  return struct(f);
}

/** struct if_dqinfo (24 bytes). */
function dqinfo(c: Ctx, ad: bigint): Value {
  const b = c.fetch(ad, 24);
  if (!b) return addr(ad);
  return struct([
    field('dqi_bgrace', u64(b, 0)),
    field('dqi_igrace', u64(b, 8)),
    field('dqi_flags', c.flags(BigInt(b.readUInt32LE(16)), if_dqinfo_flags, 'DQF_???')),
    field('dqi_valid', c.flags(BigInt(b.readUInt32LE(20)), if_dqinfo_valid, 'IIF_???')),
  ]);
}

/** struct fs_disk_quota (112 bytes, XFS). */
function diskQuota(c: Ctx, ad: bigint): Value {
  const b = c.fetch(ad, 112);
  if (!b) return addr(ad);
  const f: Field[] = [
    field('d_version', num(b.readInt8(0))),
    field('d_flags', c.flags(BigInt(b.readUInt8(1)), xfs_dqblk_flags, 'FS_???_QUOTA')),
    field('d_fieldmask', sym(hexStr(BigInt(b.readUInt16LE(2))))),
    field('d_id', num(b.readUInt32LE(4))),
    field('d_blk_hardlimit', u64(b, 8)), field('d_blk_softlimit', u64(b, 16)),
    field('d_ino_hardlimit', u64(b, 24)), field('d_ino_softlimit', u64(b, 32)),
    field('d_bcount', u64(b, 40)), field('d_icount', u64(b, 48)),
  ];
  if (c.abbrev) return struct(f, true);
  f.push(
    field('d_itimer', num(b.readInt32LE(56))), field('d_btimer', num(b.readInt32LE(60))),
    field('d_iwarns', num(b.readUInt16LE(64))), field('d_bwarns', num(b.readUInt16LE(66))),
    field('d_rtb_hardlimit', u64(b, 72)), field('d_rtb_softlimit', u64(b, 80)), field('d_rtbcount', u64(b, 88)),
    field('d_rtbtimer', num(b.readInt32LE(96))), field('d_rtbwarns', num(b.readUInt16LE(100))),
  );
  return struct(f);
}

/** fs_qfilestat / fs_qfilestatv (24 bytes). */
const filestat = (b: Buffer, o: number): Value => struct([
  field('qfs_ino', u64(b, o)), field('qfs_nblks', u64(b, o + 8)), field('qfs_nextents', num(b.readUInt32LE(o + 16))),
]);

/** struct fs_quota_stat (80 bytes) or, `v`, fs_quota_statv (160 bytes). */
function quotaStat(c: Ctx, ad: bigint, v: boolean): Value {
  const b = c.fetch(ad, v ? 160 : 80);
  if (!b) return addr(ad);
  const f: Field[] = [field('qs_version', num(b.readInt8(0)))];
  if (c.abbrev) return struct(f, true);
  f.push(field('qs_flags', c.flags(BigInt(b.readUInt16LE(2)), xfs_quota_flags, 'FS_QUOTA_???')));
  const limits = (o: number): Field[] => [
    field('qs_btimelimit', num(b.readInt32LE(o))), field('qs_itimelimit', num(b.readInt32LE(o + 4))),
    field('qs_rtbtimelimit', num(b.readInt32LE(o + 8))),
    field('qs_bwarnlimit', num(b.readUInt16LE(o + 12))), field('qs_iwarnlimit', num(b.readUInt16LE(o + 14))),
  ];
  if (v) {
    f.push(field('qs_incoredqs', num(b.readUInt32LE(4))), field('qs_uquota', filestat(b, 8)), field('qs_gquota', filestat(b, 32)),
      field('qs_pquota', filestat(b, 56)), ...limits(80));
  } else {
    f.push(field('qs_uquota', filestat(b, 8)), field('qs_gquota', filestat(b, 32)), field('qs_incoredqs', num(b.readUInt32LE(56))), ...limits(60));
  }
  return struct(f);
}

/** [flags] of a u32 at ad (Q_XQUOTAON/OFF/RM). */
function u32Flags(c: Ctx, ad: bigint, x: typeof xfs_quota_flags, dflt: string): Value {
  const b = c.fetch(ad, 4);
  return b ? arr([c.flags(BigInt(b.readUInt32LE(0)), x, dflt)]) : addr(ad);
}

/**
 * The arguments after `special` (a path, or quotactl_fd's fd): pushed at entry, or at exit for
 * the subcommands that fill a structure. Returns true when the exit part is needed.
 */
function quotaArgs(c: Ctx, cmd: bigint, id: bigint, ad: bigint): boolean {
  const sub = Number(cmd >> 8n);
  const entering = c.entering;
  switch (sub) {
    case Q.SYNC:
    case Q.QUOTAOFF:
    case Q.XQUOTASYNC:
      return false;
    case Q.QUOTAON:
      c.push(c.xval(U32(id), quota_formats, 'QFMT_VFS_???'), c.path(ad));
      return false;
    case Q.GETQUOTA:
    case Q.GETNEXTQUOTA:
    case Q.XGETQUOTA:
    case Q.XGETNEXTQUOTA:
      if (entering) {
        c.push(qid(id));
        return true;
      }
      c.push(sub === Q.XGETQUOTA || sub === Q.XGETNEXTQUOTA ? diskQuota(c, ad) : dqblk(c, ad, sub === Q.GETNEXTQUOTA));
      return false;
    case Q.SETQUOTA:
      c.push(qid(id), dqblk(c, ad, false));
      return false;
    case Q.XSETQLIM:
      c.push(qid(id), diskQuota(c, ad));
      return false;
    case Q.GETINFO:
    case Q.GETFMT:
    case Q.XGETQSTAT:
    case Q.XGETQSTATV:
      if (entering) return true;
      if (sub === Q.GETINFO) c.push(dqinfo(c, ad));
      else if (sub === Q.GETFMT) {
        const b = c.fetch(ad, 4);
        c.push(b ? arr([c.xval(BigInt(b.readUInt32LE(0)), quota_formats, 'QFMT_VFS_???')]) : addr(ad));
      } else c.push(quotaStat(c, ad, sub === Q.XGETQSTATV));
      return false;
    case Q.SETINFO:
      c.push(dqinfo(c, ad));
      return false;
    case Q.XQUOTAON:
    case Q.XQUOTAOFF:
      c.push(u32Flags(c, ad, xfs_quota_flags, 'FS_QUOTA_???'));
      return false;
    case Q.XQUOTARM:
      c.push(u32Flags(c, ad, xfs_dqblk_flags, 'FS_???_QUOTA'));
      return false;
    default:
      c.push(qid(id), addr(ad));
      return false;
  }
}

/** quotactl(cmd, special, id, addr) and quotactl_fd(fd, cmd, id, addr). */
function quota(c: Ctx, special: (c: Ctx) => Value, cmdArg: number): number {
  const cmd = U32(c.a[cmdArg]);
  if (c.entering) {
    if (cmdArg === 0) c.push(qcmd(c, cmd), special(c));
    else c.push(special(c), qcmd(c, cmd));
    return quotaArgs(c, cmd, c.a[2], c.a[3]) ? 0 : RVAL_DECODED;
  }
  quotaArgs(c, cmd, c.a[2], c.a[3]);
  return 0;
}

export const quotaDecoders: Record<string, Decoder> = {
  quotactl: (c) => quota(c, (x) => x.path(x.a[1]), 0),
  quotactl_fd: (c) => quota(c, (x) => x.fd(x.a[0]), 1),
};
