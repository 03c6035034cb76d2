/*
 * Included first in every native source (binding.gyp, target_defaults: -include): keeps the
 * addon loadable on old glibc. A build links each libc function at the newest version of it
 * that the build machine's glibc has, so a binary built on glibc 2.36 would need 2.34 only
 * because pthread_create and friends moved from libpthread into libc there (same function,
 * new version name). The package ships one prebuilt binary (scripts/prebuild.mjs), which
 * checks the result: see the highest GLIBC_x.y it references, printed by that script.
 *
 * - Threads and signal masks: bind to the oldest version of the same function. glibc keeps
 *   those old versions for exactly this (binaries linked before the move).
 * - _FILE_OFFSET_BITS=64 (node-gyp's default) only renames fcntl to fcntl64 (GLIBC_2.28) on
 *   64-bit targets, where off_t is 64 bits either way.
 */
#ifndef UTRACE_GLIBC_COMPAT_H
#define UTRACE_GLIBC_COMPAT_H

#undef _FILE_OFFSET_BITS

#if defined(__GLIBC__) || defined(__linux__)
#if defined(__x86_64__)
#define UTRACE_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define UTRACE_GLIBC_BASE "GLIBC_2.17"
#endif
#endif

#if defined(UTRACE_GLIBC_BASE) && !defined(__ASSEMBLER__)
__asm__(".symver pthread_create,pthread_create@" UTRACE_GLIBC_BASE);
__asm__(".symver pthread_kill,pthread_kill@" UTRACE_GLIBC_BASE);
__asm__(".symver pthread_sigmask,pthread_sigmask@" UTRACE_GLIBC_BASE);
__asm__(".symver pthread_attr_setstacksize,pthread_attr_setstacksize@" UTRACE_GLIBC_BASE);
#endif

#endif
