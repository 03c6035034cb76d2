// gdb's `info os` (qXfer:osdata:read) against real gdb: the list of tables and the tables of
// processes, process groups, threads, file descriptors, sockets and cpus, with the debugged
// program in them; chunked reads of one table through a raw RSP client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { osdata } from '../../src/engines/gdb/osdata.js';
import { connectRsp, exited, fixtureBin, gdbEx, gdbOpts, startServer } from './helpers.js';

const PROG = fixtureBin('gdb_prog');

test('info os: the tables, and the debugged program in processes, procgroups, threads, files, sockets', gdbOpts, async () => {
  const srv = await startServer(['127.0.0.1:0', PROG, 'spin']);
  const pid = Number(/pid = (\d+)/.exec(srv.stderr())![1]);
  const out = gdbEx(['set sysroot /', `target remote 127.0.0.1:${srv.port}`, 'info os', 'info os processes', 'info os procgroups',
    'info os threads', 'info os files', 'info os sockets', 'info os cpus', 'info os nosuchtable', 'kill'], PROG);
  for (const t of ['cpus', 'files', 'modules', 'processes', 'procgroups', 'shm', 'sockets', 'threads']) {
    assert.match(out, new RegExp(`^${t}\\s+Listing of all`, 'm'), out);
  }
  assert.match(out, /^pid\s+user\s+command\s+cores/m);
  assert.match(out, new RegExp(`^${pid}\\s+root\\s+${PROG.replace(/[/.]/g, '\\$&')} spin\\s+\\d`, 'm'));
  assert.match(out, /^pgid\s+leader command\s+pid\s+command line/m);
  assert.match(out, new RegExp(`^${pid}\\s+gdb_prog\\s+${pid}\\s+`, 'm'), 'its own process group (setpgid)');
  assert.match(out, new RegExp(`^${pid}\\s+gdb_prog\\s+${pid}\\s+\\d+\\s*$`, 'm'), 'its thread');
  assert.match(out, new RegExp(`^${pid}\\s+gdb_prog\\s+0\\s+\\S+`, 'm'), 'its fd 0');
  assert.match(out, new RegExp(`^127\\.0\\.0\\.1\\s+${srv.port}\\s+0\\.0\\.0\\.0\\s+0\\s+LISTEN\\s+root\\s+INET\\s+STREAM`, 'm'), 'our listening socket');
  assert.match(out, /^processor\s+vendor_id/m);
  assert.match(out, /Empty data returned by target\.  Wrong osdata type\?/, 'an unknown table is empty, as with gdbserver');
  assert.equal(await exited(srv.child), 0);
  assert.ok(!fs.existsSync(`/proc/${pid}/status`) || /State:\s+Z/.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')));
});

test('RSP qXfer:osdata: chunks of one document, an empty one for an unknown table', gdbOpts, async () => {
  const srv = await startServer(['--once', '127.0.0.1:0', PROG, 'spin']);
  const { c, sock } = await connectRsp(srv.port!);
  assert.match(await c.request('qSupported:xmlRegisters=i386'), /qXfer:osdata:read\+/);
  let doc = '';
  for (let off = 0; ; ) {
    const r = await c.request(`qXfer:osdata:read:threads:${off.toString(16)},200`);
    assert.match(r, /^[ml]/);
    doc += r.slice(1);
    off += r.length - 1;
    if (r[0] === 'l') break;
  }
  assert.match(doc, /^<osdata type="threads">\n(<item>(<column name="[^"]+">[^<]*<\/column>)+<\/item>)+<\/osdata>\n$/);
  assert.equal(await c.request('qXfer:osdata:read:bogus:0,200'), 'l');
  sock.destroy();
  assert.equal(await exited(srv.child), 0);
});

test('osdata semaphores and msg: System V semaphore sets and message queues from /proc/sysvipc, as gdbserver lists them', () => {
  // gdb.base/info-os.exp asks for both; they were unknown tables (empty: "Can not fetch data now.").
  const semid = /id: (\d+)/.exec(execFileSync('ipcmk', ['-S', '2'], { encoding: 'utf8' }))![1]!;
  const msqid = /id: (\d+)/.exec(execFileSync('ipcmk', ['-Q'], { encoding: 'utf8' }))![1]!;
  try {
    const sem = osdata('semaphores').toString();
    assert.match(sem, new RegExp(`^<osdata type="semaphores">`), sem);
    assert.match(sem, new RegExp(`<column name="semid">${semid}</column><column name="permissions">\\d+</column><column name="num semaphores">2</column>`), sem);
    const msg = osdata('msg').toString();
    assert.match(msg, /^<osdata type="message queues">/, msg);
    assert.match(msg, new RegExp(`<column name="msqid">${msqid}</column>.*<column name="num messages">0</column>`), msg);
    assert.match(osdata('').toString(), /<column name="Type">semaphores<\/column>[\s\S]*<column name="Type">msg<\/column>/);
  } finally {
    execFileSync('ipcrm', ['-s', semid, '-q', msqid]);
  }
});
