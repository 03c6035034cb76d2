/**
 * `qXfer:osdata:read` (gdb's `info os`): tables of the system read from /proc, in the
 * osdata XML gdb shows as columns. The annex names the table; the empty annex lists them.
 * Table and column names are gdbserver's, so scripts reading `info os` output see the same.
 * Everything is what /proc shows us: the same a `ps` or `ls /proc/PID/fd` of ours would see.
 */
import * as fs from 'node:fs';

type Row = Array<[string, string]>;

function read(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'latin1');
  } catch {
    return undefined;
  }
}

function pids(dir = '/proc'): number[] {
  try {
    return fs.readdirSync(dir).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/** /proc/PID/stat fields after the command (field 3 is index 0). */
function statFields(path: string): string[] | undefined {
  const st = read(path);
  if (!st) return undefined;
  return st.slice(st.lastIndexOf(')') + 2).trim().split(' ');
}

const comm = (pid: number): string | undefined => read(`/proc/${pid}/comm`)?.replace(/\n$/, '');

/** The command line, each word followed by a space; a kernel thread's [comm]. */
function commandLine(pid: number): string | undefined {
  const c = read(`/proc/${pid}/cmdline`);
  if (c === undefined) return undefined;
  if (c === '') {
    const n = comm(pid);
    return n === undefined ? undefined : `[${n}]`;
  }
  return c.split('\0').filter((w, i, a) => i < a.length - 1 || w !== '').map((w) => `${w} `).join('');
}

let users: Map<number, string> | undefined;
let groups: Map<number, string> | undefined;
function names(file: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const line of (read(file) ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length > 2 && /^\d+$/.test(f[2]!)) m.set(Number(f[2]), f[0]!);
  }
  return m;
}
const userName = (uid: number): string => (users ??= names('/etc/passwd')).get(uid) ?? String(uid);
const groupName = (gid: number): string => (groups ??= names('/etc/group')).get(gid) ?? String(gid);

function owner(pid: number): number | undefined {
  try {
    return fs.statSync(`/proc/${pid}`).uid;
  } catch {
    return undefined;
  }
}

/** The cores the process's threads last ran on, ascending, comma-separated. */
function cores(pid: number): string {
  const set = new Set<number>();
  for (const tid of pids(`/proc/${pid}/task`)) {
    const f = statFields(`/proc/${pid}/task/${tid}/stat`);
    if (f?.[36] !== undefined) set.add(Number(f[36]));
  }
  return [...set].sort((a, b) => a - b).join(',');
}

function processes(): Row[] {
  const rows: Row[] = [];
  for (const pid of pids()) {
    const cmd = commandLine(pid);
    const uid = owner(pid);
    if (cmd === undefined || uid === undefined) continue;
    rows.push([['pid', String(pid)], ['user', userName(uid)], ['command', cmd], ['cores', cores(pid)]]);
  }
  return rows;
}

function procgroups(): Row[] {
  const list: Array<{ pgid: number; pid: number; cmd: string }> = [];
  for (const pid of pids()) {
    const f = statFields(`/proc/${pid}/stat`);
    const cmd = commandLine(pid);
    if (!f || cmd === undefined) continue;
    list.push({ pgid: Number(f[2]), pid, cmd });
  }
  list.sort((a, b) => a.pgid - b.pgid || a.pid - b.pid);
  return list.map(({ pgid, pid, cmd }) => [
    ['pgid', String(pgid)], ['leader command', comm(pgid) ?? String(pgid)], ['pid', String(pid)], ['command line', cmd],
  ]);
}

function threads(): Row[] {
  const rows: Row[] = [];
  for (const pid of pids()) {
    const name = comm(pid);
    if (name === undefined) continue;
    for (const tid of pids(`/proc/${pid}/task`)) {
      const f = statFields(`/proc/${pid}/task/${tid}/stat`);
      rows.push([['pid', String(pid)], ['command', name], ['tid', String(tid)], ['core', f?.[36] ?? '']]);
    }
  }
  return rows;
}

function files(): Row[] {
  const rows: Row[] = [];
  for (const pid of pids()) {
    const name = comm(pid);
    if (name === undefined) continue;
    for (const fd of pids(`/proc/${pid}/fd`)) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      rows.push([['pid', String(pid)], ['command', name], ['file descriptor', String(fd)], ['name', target]]);
    }
  }
  return rows;
}

function cpus(): Row[] {
  const rows: Row[] = [];
  for (const block of (read('/proc/cpuinfo') ?? '').split(/\n\s*\n/)) {
    const row: Row = [];
    for (const line of block.split('\n')) {
      const i = line.indexOf(':');
      if (i > 0) row.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
    }
    if (row.length) rows.push(row);
  }
  return rows;
}

function modules(): Row[] {
  const rows: Row[] = [];
  for (const line of (read('/proc/modules') ?? '').split('\n')) {
    const f = line.split(' ');
    if (f.length < 6) continue;
    rows.push([['name', f[0]!], ['size', f[1]!], ['num uses', f[2]!], ['dependencies', f[3]!.replace(/,$/, '').replace(/^-$/, '')],
      ['status', f[4]!], ['address', f[5]!]]);
  }
  return rows;
}

const TCP_STATES = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING'];

/** A /proc/net address (little-endian words of hex) as text. */
function netAddress(hex: string, v6: boolean): string {
  const b = Buffer.from(hex, 'hex');
  for (let i = 0; i < b.length; i += 4) b.subarray(i, i + 4).reverse();
  if (!v6) return [...b].join('.');
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(i).toString(16));
  return words.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function sockets(): Row[] {
  const rows: Row[] = [];
  for (const [file, v6, proto] of [['tcp', false, 'STREAM'], ['udp', false, 'DGRAM'], ['tcp6', true, 'STREAM'], ['udp6', true, 'DGRAM']] as const) {
    for (const line of (read(`/proc/net/${file}`) ?? '').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 8) continue;
      const [la, lp] = f[1]!.split(':');
      const [ra, rp] = f[2]!.split(':');
      rows.push([
        ['local address', netAddress(la!, v6)], ['local port', String(parseInt(lp!, 16))],
        ['remote address', netAddress(ra!, v6)], ['remote port', String(parseInt(rp!, 16))],
        ['state', proto === 'STREAM' ? TCP_STATES[parseInt(f[3]!, 16)] ?? f[3]! : ''], ['user', userName(Number(f[7]))],
        ['family', v6 ? 'INET6' : 'INET'], ['protocol', proto],
      ]);
    }
  }
  return rows;
}

/** /proc/sysvipc/shm as gdbserver's "shared memory" table. */
function shm(): Row[] {
  const rows: Row[] = [];
  const time = (t: string): string => (t === '0' ? '' : new Date(Number(t) * 1000).toISOString().replace('T', ' ').slice(0, 19));
  for (const line of (read('/proc/sysvipc/shm') ?? '').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const [key, shmid, perms, size, cpid, lpid, nattch, uid, gid, cuid, cgid, atime, dtime, ctime] = f as [string, ...string[]];
    rows.push([
      ['key', key], ['shmid', shmid!], ['permissions', perms!], ['size', size!],
      ['creator command', comm(Number(cpid)) ?? cpid!], ['last op. command', comm(Number(lpid)) ?? lpid!], ['num attached', nattch!],
      ['user', userName(Number(uid))], ['group', groupName(Number(gid))], ['creator user', userName(Number(cuid))],
      ['creator group', groupName(Number(cgid))], ['last shmat() time', time(atime!)], ['last shmdt() time', time(dtime!)],
      ['last shmctl() time', time(ctime!)],
    ]);
  }
  return rows;
}

const ipcTime = (t: string): string => (t === '0' ? '' : new Date(Number(t) * 1000).toISOString().replace('T', ' ').slice(0, 19));

/** /proc/sysvipc/sem as gdbserver's "semaphores" table. */
function sem(): Row[] {
  const rows: Row[] = [];
  for (const line of (read('/proc/sysvipc/sem') ?? '').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [key, semid, perms, nsems, uid, gid, cuid, cgid, otime, ctime] = f as [string, ...string[]];
    rows.push([
      ['key', key], ['semid', semid!], ['permissions', perms!], ['num semaphores', nsems!],
      ['user', userName(Number(uid))], ['group', groupName(Number(gid))], ['creator user', userName(Number(cuid))],
      ['creator group', groupName(Number(cgid))], ['last semop() time', ipcTime(otime!)], ['last semctl() time', ipcTime(ctime!)],
    ]);
  }
  return rows;
}

/** /proc/sysvipc/msg as gdbserver's "message queues" table. */
function msg(): Row[] {
  const rows: Row[] = [];
  for (const line of (read('/proc/sysvipc/msg') ?? '').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const [key, msqid, perms, cbytes, qnum, lspid, lrpid, uid, gid, cuid, cgid, stime, rtime, ctime] = f as [string, ...string[]];
    rows.push([
      ['key', key], ['msqid', msqid!], ['permissions', perms!], ['num used bytes', cbytes!], ['num messages', qnum!],
      ['last msgsnd() command', comm(Number(lspid)) ?? lspid!], ['last msgrcv() command', comm(Number(lrpid)) ?? lrpid!],
      ['user', userName(Number(uid))], ['group', groupName(Number(gid))], ['creator user', userName(Number(cuid))],
      ['creator group', groupName(Number(cgid))], ['last msgsnd() time', ipcTime(stime!)], ['last msgrcv() time', ipcTime(rtime!)],
      ['last msgctl() time', ipcTime(ctime!)],
    ]);
  }
  return rows;
}

interface Table {
  /** The osdata element's type attribute (gdbserver's). */
  type: string;
  title: string;
  description: string;
  rows: () => Row[];
}

const TABLES: Record<string, Table> = {
  cpus: { type: 'cpus', title: 'CPUs', description: 'Listing of all cpus/cores on the system', rows: cpus },
  files: { type: 'files', title: 'File descriptors', description: 'Listing of all file descriptors', rows: files },
  modules: { type: 'modules', title: 'Kernel modules', description: 'Listing of all loaded kernel modules', rows: modules },
  processes: { type: 'processes', title: 'Processes', description: 'Listing of all processes', rows: processes },
  procgroups: { type: 'process groups', title: 'Process groups', description: 'Listing of all process groups', rows: procgroups },
  semaphores: { type: 'semaphores', title: 'Semaphores', description: 'Listing of all semaphores', rows: sem },
  msg: { type: 'message queues', title: 'Message queues', description: 'Listing of all message queues', rows: msg },
  shm: { type: 'shared memory', title: 'Shared-memory regions', description: 'Listing of all shared-memory regions', rows: shm },
  sockets: { type: 'I sockets', title: 'Sockets', description: 'Listing of all internet-domain sockets', rows: sockets },
  threads: { type: 'threads', title: 'Threads', description: 'Listing of all threads', rows: threads },
};

const esc = (s: string): string =>
  s.replace(/[&<>'"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', "'": '&apos;', '"': '&quot;' })[c]!);

function document(type: string, rows: Row[]): string {
  const items = rows.map((r) => `<item>${r.map(([k, v]) => `<column name="${esc(k)}">${esc(v)}</column>`).join('')}</item>`);
  return `<osdata type="${type}">\n${items.join('')}</osdata>\n`;
}

/** The document for an annex ('' = the list of tables); an unknown table is an empty
 * document, as gdbserver's (gdb: "Empty data returned by target.  Wrong osdata type?"). */
export function osdata(annex: string): Buffer {
  users = groups = undefined; // accounts may change between two `info os`
  if (annex === '') {
    const rows: Row[] = Object.entries(TABLES).map(([name, t]) => [['Type', name], ['Description', t.description], ['Title', t.title]]);
    return Buffer.from(document('types', rows), 'latin1');
  }
  const t = TABLES[annex];
  return t ? Buffer.from(document(t.type, t.rows()), 'latin1') : Buffer.alloc(0);
}
