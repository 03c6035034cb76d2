/**
 * A gdb remote-protocol peer for bench/gdb.ts's floor measurement: what a gdb row costs when the
 * server is a Node process doing no tracing at all, only answering with gdbserver's own replies.
 * Plain JS without dependencies, so it is the least any server written in Node has to pay.
 *
 *   node bench/rsp-replay.mjs record SCRIPT.json -- SERVER [ARG...]
 *     Runs SERVER between gdb (our stdio) and itself, forwarding both ways unchanged, and at exit
 *     writes the session as a replay script: each packet gdb sent, with every byte the server
 *     sent from then until gdb's next packet (acks and stop replies included); server bytes
 *     before gdb's first packet go to `pre`. Bytes are latin1 strings (lossless for any byte).
 *   node bench/rsp-replay.mjs replay SCRIPT.json
 *     Stands in for the server. SCRIPT.json is { pre, packets: [[payload, reply], ...] }: pre is
 *     written at once, then for the i-th `$payload#xx` from gdb the i-th reply, byte for byte.
 *     A payload that differs from the recorded one gets one line on stderr (gdb shows it) and the
 *     recorded reply anyway; a packet past the end of the recording, that line and a hang-up.
 *     The caller's output checks catch a replay gone wrong.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';

/**
 * gdb hands a server one socket as both fd 0 and fd 1, and Node makes it non-blocking to read
 * fd 0, so a write to fd 1 can fail with EAGAIN until gdb reads: retry instead of losing bytes.
 */
function writeAll(buf) {
  for (let off = 0; off < buf.length;) {
    try {
      off += fs.writeSync(1, buf, off);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
    }
  }
}

/**
 * Feeds gdb's bytes in; calls onPacket(payload) for each complete `$payload#xx`. Acks ('+') and
 * anything else between packets are skipped; '$' and '#' are escaped inside packets.
 */
function packetSplitter(onPacket) {
  let buf = '';
  return (chunk) => {
    buf += chunk.toString('latin1');
    for (;;) {
      const start = buf.indexOf('$');
      if (start < 0) {
        buf = '';
        return;
      }
      const end = buf.indexOf('#', start);
      if (end < 0 || end + 3 > buf.length) {
        buf = buf.slice(start);
        return;
      }
      const payload = buf.slice(start + 1, end);
      buf = buf.slice(end + 3);
      onPacket(payload);
    }
  };
}

function record(file, argv) {
  const script = { pre: '', packets: [] };
  const save = () => fs.writeFileSync(file, JSON.stringify(script));
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.on('error', () => undefined); // gdb may still write after the server has exited
  const split = packetSplitter((payload) => script.packets.push([payload, '']));
  process.stdin.on('data', (b) => {
    split(b);
    child.stdin.write(b);
  });
  process.stdin.on('end', () => child.stdin.end());
  child.stdout.on('data', (b) => {
    const last = script.packets[script.packets.length - 1];
    if (last) last[1] += b.toString('latin1');
    else script.pre += b.toString('latin1');
    writeAll(b);
  });
  child.on('close', (code) => {
    save();
    process.exit(code ?? 1);
  });
  // gdb sends SIGTERM to a server that outlives the connection by 5 s; keep the recording.
  process.on('SIGTERM', () => {
    save();
    child.kill();
    process.exit(1);
  });
}

function replay(file) {
  const { pre, packets } = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (pre) writeAll(Buffer.from(pre, 'latin1'));
  let next = 0;
  process.stdin.on('data', packetSplitter((payload) => {
    const n = next++;
    if (n >= packets.length) {
      // Nothing left to answer with, and gdb would wait for a stop reply forever: hang up.
      process.stderr.write(`rsp-replay: packet ${n} $${payload.slice(0, 60)} is past the end of the recording (${packets.length})\n`);
      process.exit(1);
    }
    const [want, reply] = packets[n];
    if (payload !== want) {
      process.stderr.write(`rsp-replay: packet ${n} is $${payload.slice(0, 60)}, recorded $${want.slice(0, 60)}\n`);
    }
    writeAll(Buffer.from(reply, 'latin1'));
  }));
  process.stdin.on('end', () => process.exit(0));
}

const [mode, file, sep, ...argv] = process.argv.slice(2);
if (mode === 'record' && file && sep === '--' && argv.length) record(file, argv);
else if (mode === 'replay' && file && sep === undefined) replay(file);
else {
  process.stderr.write('usage: rsp-replay.mjs record SCRIPT.json -- SERVER [ARG...] | rsp-replay.mjs replay SCRIPT.json\n');
  process.exit(2);
}
