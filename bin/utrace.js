#!/bin/sh
':' //; _uf=; for _un in 0 1 2 3 4 5 6 7 8 9; do [ -e /proc/self/fd/$_un ] && _uf="$_uf$_un "; done; UTRACE_INHERITED_FDS=$_uf; _us=; _upd=; _usd=; _ub=; _uo=; while read -r _uk _uv; do case $_uk in SigPnd:) _upd=$_uv;; ShdPnd:) _usd=$_uv;; SigBlk:) _ub=$_uv; _us=$_uv;; SigIgn:) _us="$_us $_uv";; Cpus_allowed_list:) case $_uv in *[,-]*) ;; *) _uo=--single-threaded;; esac;; esac; done </proc/self/status; UTRACE_SIGNALS=$_us; export UTRACE_INHERITED_FDS UTRACE_SIGNALS; if [ "$_upd$_usd" != 00000000000000000000000000000000 ] && [ -n "$_ub" ]; then _ul=$(( (0x${_upd#????????} | 0x${_usd#????????}) & 0x${_ub#????????} )); _uh=$(( (0x${_upd%????????} | 0x${_usd%????????}) & 0x${_ub%????????} )); _ui=0; while [ $_ui -lt 32 ]; do [ $(( (_ul >> _ui) & 1 )) = 0 ] || trap '' $((_ui + 1)); [ $(( (_uh >> _ui) & 1 )) = 0 ] || trap '' $((_ui + 33)); _ui=$((_ui + 1)); done; fi; if [ -n "${NODE_EXTRA_CA_CERTS+set}" ]; then UTRACE_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export UTRACE_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi; _uc=${0%.js}.cjs; [ -f "$_uc" ] || { _uc=$(readlink -f -- "$0" 2>/dev/null); _uc=${_uc%.js}.cjs; }; [ -f "$_uc" ] || _uc=$0; exec node --min-semi-space-size=4 --max-semi-space-size=4 $_uo "$_uc" "$@"
// Line 2 is for sh (for JavaScript, a string and a comment). It starts Node:
// - without NODE_EXTRA_CA_CERTS: Node 20 would read and parse that certificate bundle at
//   start-up, 35 ms of CPU on a typical system bundle, for TLS utrace never does (gdb waits
//   for our start-up). The variable travels as UTRACE_NODE_EXTRA_CA_CERTS and the CLI puts it
//   back before it starts any program, so traced programs get the environment they were given.
// - with a fixed small young generation: under a busy trace V8 would otherwise grow it from 8
//   to 32 MiB and more, and a long-running tracer's RSS with it (`npm run stress` measures it);
//   at that size from the start, so that start-up runs no scavenge (two, ~6 ms, growing it).
// - on one CPU (its affinity, Cpus_allowed_list in /proc/PID/status, names one: `taskset -c
//   0`, a one-CPU machine), with --single-threaded: V8's background threads (optimizing
//   compiles, concurrent GC) would take turns on that CPU with the tracer and the program,
//   about 150 ms of a 100k-syscall trace (docs/design.md, "Start-up and warm-up").
// - with the list of descriptors 0..9 it was given (a shell's `9>>FILE`; a shell redirects
//   only 0..9, and keeps its own at 10 and up) in UTRACE_INHERITED_FDS: Node marks every
//   descriptor it inherits close-on-exec, and a program `utrace strace` starts must get them;
//   0..2 missing from it were closed (Node opens /dev/null there; the program gets them closed);
// - with the signal mask and ignored signals it was given (SigBlk and SigIgn, hex, from
//   /proc/PID/status) in UTRACE_SIGNALS: Node resets both at start-up, and a program `utrace
//   strace` starts inherits them as under strace. A signal both blocked and pending would kill
//   Node when it unblocks it: it is set to ignored here, which discards it (as a child never
//   inherits pending signals, the program sees no difference).
// - on utrace.cjs next to this file (through a symbolic link: where it points), the CommonJS
//   entry: Node's ES module loader, which this file would start, costs a third of Node's start.
// Then the CLI starts from its bundle, with a code cache (src/cli/launch.cts). `node
// bin/utrace.js` runs the lines below, the same CLI.
import { launch } from '../dist/src/cli/launch.cjs';

launch();
