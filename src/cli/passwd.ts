/**
 * The user database as strace's -u reads it (getpwnam, initgroups): a name's uid and primary
 * gid from /etc/passwd, its supplementary groups from /etc/group. Plain files only (no NSS).
 */
import * as fs from 'node:fs';

export interface UserIds {
  uid: number;
  gid: number;
  /** The supplementary groups: the primary gid and every group listing the user. */
  groups: number[];
}

function lines(file: string): string[][] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** USER by name (a number is a name too, as for getpwnam); undefined when there is none. */
export function lookupUser(name: string, passwd = '/etc/passwd', group = '/etc/group'): UserIds | undefined {
  if (name === '' || name.includes(':')) return undefined;
  const pw = lines(passwd).find((f) => f[0] === name && f.length >= 4 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!));
  if (!pw) return undefined;
  const gid = Number(pw[3]);
  const groups = [gid];
  for (const f of lines(group)) {
    if (f.length < 4 || !/^\d+$/.test(f[2]!)) continue;
    const g = Number(f[2]);
    if (f[3]!.split(',').includes(name) && !groups.includes(g)) groups.push(g);
  }
  return { uid: Number(pw[2]), gid, groups };
}
