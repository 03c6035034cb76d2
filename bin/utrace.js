#!/bin/sh
':' //; if [ -n "${NODE_EXTRA_CA_CERTS+set}" ]; then UTRACE_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export UTRACE_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi; exec node --max-semi-space-size=4 "$0" "$@"
// Line 2 is for sh (for JavaScript, a string and a comment). It starts Node:
// - without NODE_EXTRA_CA_CERTS: Node 20 would read and parse that certificate bundle at
//   start-up, 35 ms of CPU on a typical system bundle, for TLS utrace never does (gdb waits
//   for our start-up). The variable travels as UTRACE_NODE_EXTRA_CA_CERTS and the CLI puts it
//   back before it starts any program, so traced programs get the environment they were given.
// - with a fixed small young generation: under a busy trace V8 would otherwise grow it from 8
//   to 32 MiB and more, and a long-running tracer's RSS with it (`npm run stress` measures it).
// Then the CLI starts from its bundle, with a code cache (src/cli/launch.ts).
import { launch } from '../dist/src/cli/launch.js';

launch();
