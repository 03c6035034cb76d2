// dprintf with `set dprintf-style agent`: gdb sends the printf as agent bytecode in the Z0
// packet's `;cmds:` and the server runs it at every hit without reporting the stop
// (BreakpointCommands). Real gdb 13 over stdio, where the server prints the dprintf output on
// stderr (the program's stdout goes there too), and the raw protocol for bad programs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SERVER, exited, fixtureBin, gdbEx, gdbOpts, rspSession, tmpDir } from './helpers.js';

const PROG = fixtureBin('gdb_prog');
const tmp = tmpDir('utrace-gdb-dprintf-');
const opts = gdbOpts;

/** The lines of out that match re, in order. */
const lines = (out: string, re: RegExp): string[] => out.split('\n').filter((l) => re.test(l));

for (const mode of ['loop', 'loop-mt']) {
  test(`${mode}: a dprintf in agent style prints every hit from the server, with no stop reported to gdb; the program computes its sum`, opts, () => {
    const log = path.join(tmp, `agent-${mode}.rsp`);
    const out = gdbEx([`set remotelogfile ${log}`, `target remote | ${SERVER} stdio -- ${PROG} ${mode} 40`,
      'set dprintf-style agent', 'dprintf tick,"tick i=%d hex=%#x rdi=%lu\\n", i, i, $rdi', 'info breakpoints', 'continue'], PROG);
    assert.match(out, /agent-printf "tick i=%d hex=%#x rdi=%lu\\n", i, i, \$rdi/, out);
    const ticks = lines(out, /^tick i=/);
    assert.deepEqual(ticks, Array.from({ length: 40 }, (_, i) => `tick i=${i} hex=${i ? `0x${i.toString(16)}` : '0'} rdi=${i}`), out);
    // Printed while the program ran, before it printed (and flushed at exit) its sum.
    assert.ok(out.indexOf('tick i=39') < out.indexOf('sum=1560'), out);
    assert.match(out, /exited normally/);
    const rsp = fs.readFileSync(log, 'latin1');
    assert.ok(/^r \+?\$[^#\n]*BreakpointCommands\+/m.test(rsp), 'BreakpointCommands announced');
    assert.ok(/^w \$Z0,[0-9a-f]+,1;cmds:1,X[0-9a-f]+,/m.test(rsp), 'the printf went to the server as bytecode');
    const run = rsp.slice(rsp.indexOf('\nc continue\n'));
    const stops = run.split('\n').filter((l) => /^r \$T05/.test(l)).length;
    assert.ok(stops <= 6, `${stops} stop replies for 40 dprintf hits (library events only)`);
  });
}

test('a conditional dprintf prints only when its condition holds (both in one Z0); %s, %-6s and %c of the program\'s memory', opts, () => {
  const log = path.join(tmp, 'agent-cond.rsp');
  const out = gdbEx([`set remotelogfile ${log}`, `target remote | ${SERVER} stdio -- ${PROG} loop 12`, 'set dprintf-style agent',
    'dprintf tick,"odd %d\\n", i', 'condition 1 i % 3 == 1',
    // After main's loop (gdb_prog.c:141): strings read from the program at the hit.
    'dprintf gdb_prog.c:141,"mode=%s sum=%ld|%-6s|%c\\n", argv[1], sum, argv[1], argv[1][0]',
    'continue'], PROG);
  assert.deepEqual(lines(out, /^odd /), ['odd 1', 'odd 4', 'odd 7', 'odd 10'], out);
  assert.deepEqual(lines(out, /^mode=/), ['mode=loop sum=132|loop  |l'], out);
  assert.match(out, /^sum=132$/m);
  assert.match(out, /exited normally/);
  assert.ok(/^w \$Z0,[0-9a-f]+,1;X[0-9a-f]+,[0-9a-f]+;cmds:1,X[0-9a-f]+,/m.test(fs.readFileSync(log, 'latin1')), 'condition and commands in one Z0');
});

test('a breakpoint joins a dprintf at its address: the hit is reported (gdb takes the commands back); deleted, the dprintf prints again', opts, () => {
  const out = gdbEx([`target remote | ${SERVER} stdio -- ${PROG} loop 6`, 'set dprintf-style agent', 'set breakpoint always-inserted on',
    'dprintf tick,"t %d\\n", i', 'break tick', 'continue', 'continue', 'delete 2', 'continue'], PROG);
  assert.match(out, /Breakpoint 2, tick \(i=0\)/, out);
  assert.match(out, /Breakpoint 2, tick \(i=1\)/, out);
  assert.deepEqual(lines(out, /^t \d/), ['t 2', 't 3', 't 4', 't 5'], out);
  assert.match(out, /sum=30/);
  assert.match(out, /exited normally/);
});

/** tick's address in the running program (a PIE: its load base from /proc). */
function tickAddress(pid: number): bigint {
  const sym = execFileSync('nm', [PROG]).toString().split('\n').find((l) => / T tick$/.test(l))!;
  const maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').find((l) => l.includes(path.basename(PROG)))!;
  return BigInt(`0x${maps.split('-')[0]}`) + BigInt(`0x${sym.split(' ')[0]}`);
}

const hex = (b: number[]): string => Buffer.from(b).toString('hex');
const cmds = (...programs: number[][]): string => `;cmds:1,${programs.map((p) => `X${p.length.toString(16)},${hex(p)}`).join('')}`;
const printfOp = (format: string, nargs: number): number[] => {
  const f = [...Buffer.from(format + '\0', 'latin1')];
  return [0x34, nargs, f.length >> 8, f.length & 0xff, ...f];
};
const C8 = 0x22; // const8
const END = 0x27;

test('bad commands: malformed ones refused with E01; an invalid opcode is a log line at each of the 3 hits, none reported, and the program runs on to its exit', opts, async () => {
  const { srv, pid, sock, c } = await rspSession(PROG, ['loop', '3']);
  try {
    assert.match(await c.request('qSupported:swbreak+'), /BreakpointCommands\+/);
    const tick = tickAddress(pid).toString(16);
    assert.equal(await c.request(`Z0,${tick},1;cmds:1,Xzz,00`), 'E01');
    assert.equal(await c.request(`Z0,${tick},1;cmds:1,X4,0027`), 'E01', 'shorter than its length');
    assert.equal(await c.request(`Z0,${tick},1;cmds:x`), 'E01');
    assert.equal(await c.request(`Z0,${tick},1${cmds([0xff, END])}`), 'OK');
    assert.equal(await c.request('c', 30000), 'W00', 'three hits, none reported; the int3 stepped over each time');
    sock.destroy();
    assert.equal(await exited(srv.child), 0);
    const err = srv.stderr();
    assert.equal(err.match(/breakpoint commands at 0x[0-9a-f]+ \(thread \d+\): invalid opcode 0xff at pc 0/g)?.length, 3, err);
  } finally {
    sock.destroy();
  }
});

for (const [what, program, re] of [
  ['a stack overflow', [...Array.from({ length: 1100 }, () => [C8, 1]).flat(), END], /stack overflow \(1024\)/],
  ['an unreadable %s', [C8, 0x10, C8, 0, C8, 0, ...printfOp('s=%s\\n', 1), END], /printf at pc 6: cannot read the string for '%s' at 0x10/],
  ['a wrong argument count', [C8, 0, C8, 0, ...printfOp('%d %d\\n', 0), END], /wrong number of arguments for the format string \(2 wanted, 0 given\)/],
  ['a printf with no end op', [C8, 0, C8, 0, ...printfOp('x\\n', 0)], /ran off the end/],
] as Array<[string, number[], RegExp]>) {
  test(`bad commands at a hit: ${what} is a log line; the program runs to its exit`, opts, async () => {
    const { srv, pid, sock, c } = await rspSession(PROG, ['loop', '2']);
    try {
      assert.match(await c.request('qSupported:swbreak+'), /BreakpointCommands\+/);
      assert.equal(await c.request(`Z0,${tickAddress(pid).toString(16)},1${cmds(program)}`), 'OK');
      assert.equal(await c.request('c', 30000), 'W00');
      sock.destroy();
      assert.equal(await exited(srv.child), 0);
      const err = srv.stderr();
      assert.equal(err.split('\n').filter((l) => re.test(l)).length, 2, err);
    } finally {
      sock.destroy();
    }
  });
}
