// A program the server starts from a terminal gets that terminal's foreground, as under
// gdbserver: in a background group, setting its terminal's modes (tcsetattr, tcdrain) stops
// it with SIGTTOU and reading it with SIGTTIN (gdb's execution-termios.exp, interrupt.exp).
// The server runs in a fresh pseudo-terminal (script(1)); gdb connects over TCP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { SERVER, exited, fixtureBin, gdbOpts } from './helpers.js';

const PROG = fixtureBin('tty_modes');

test('a started program owns the terminal while it runs: it sets its modes without SIGTTOU', gdbOpts, async () => {
  const child = spawn('script', ['-qfec', `${SERVER} --once 127.0.0.1:0 ${PROG}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 20000);
    const look = (): void => {
      const m = /Listening on port (\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      } else setTimeout(look, 50);
    };
    look();
  });
  const g = spawnSync('timeout', ['60', 'gdb', '-batch', '-nx', '-ex', 'set remotetimeout 30', '-ex', `target remote 127.0.0.1:${port}`, '-ex', 'continue', PROG], { encoding: 'utf8' });
  const gdbOut = g.stdout + g.stderr;
  assert.doesNotMatch(gdbOut, /SIGTTOU|SIGTTIN/, gdbOut);
  assert.match(gdbOut, /exited normally/, gdbOut);
  child.stdin!.end();
  assert.equal(await exited(child), 0);
  assert.match(out, /termios ok/, out);
});
