#!/bin/sh
':' //; f=; for n in 3 4 5 6 7 8 9; do [ -e /proc/$$/fd/$n ] && f="$f$n "; done; UTRACE_INHERITED_FDS=$f; export UTRACE_INHERITED_FDS; if [ -n "${NODE_EXTRA_CA_CERTS+set}" ]; then UTRACE_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export UTRACE_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi; c=${0%.js}.cjs; [ -f "$c" ] || { c=$(readlink -f -- "$0" 2>/dev/null); c=${c%.js}.cjs; }; [ -f "$c" ] || c=$0; exec node --max-semi-space-size=4 "$c" "$@"
// Line 2 is for sh (for JavaScript, a string and a comment). It starts Node:
// - without NODE_EXTRA_CA_CERTS: Node 20 would read and parse that certificate bundle at
//   start-up, 35 ms of CPU on a typical system bundle, for TLS utrace never does (gdb waits
//   for our start-up). The variable travels as UTRACE_NODE_EXTRA_CA_CERTS and the CLI puts it
//   back before it starts any program, so traced programs get the environment they were given.
// - with a fixed small young generation: under a busy trace V8 would otherwise grow it from 8
//   to 32 MiB and more, and a long-running tracer's RSS with it (`npm run stress` measures it).
// - with the list of descriptors 3..9 it was given (a shell's `9>>FILE`; a shell redirects
//   only 0..9, and keeps its own at 10 and up) in UTRACE_INHERITED_FDS: Node marks every
//   descriptor it inherits close-on-exec, and a program `utrace strace` starts must get them.
// - on utrace.cjs next to this file (through a symbolic link: where it points), the CommonJS
//   entry: Node's ES module loader, which this file would start, costs a third of Node's start.
// Then the CLI starts from its bundle, with a code cache (src/cli/launch.cts). `node
// bin/utrace.js` runs the lines below, the same CLI.
import { launch } from '../dist/src/cli/launch.cjs';

launch();
