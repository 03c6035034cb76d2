/*
 * ptrace(2) requests, one thin wrapper each. All of them must be issued from the thread
 * that attached (Linux checks tracee->parent == current); src/core calls them only from
 * the JS main thread, synchronously. See ptrace(2), PTRACE_SEIZE and PTRACE_GET_SYSCALL_INFO.
 */
#include "utrace.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PTRACE_GET_SYSCALL_INFO
#define PTRACE_GET_SYSCALL_INFO 0x420e
#endif

static const char *req_name(long req) {
  switch (req) {
    case PTRACE_CONT: return "ptrace(PTRACE_CONT)";
    case PTRACE_SYSCALL: return "ptrace(PTRACE_SYSCALL)";
    case PTRACE_SINGLESTEP: return "ptrace(PTRACE_SINGLESTEP)";
    case PTRACE_SINGLEBLOCK: return "ptrace(PTRACE_SINGLEBLOCK)";
    case PTRACE_SYSEMU: return "ptrace(PTRACE_SYSEMU)";
    case PTRACE_SYSEMU_SINGLESTEP: return "ptrace(PTRACE_SYSEMU_SINGLESTEP)";
    case PTRACE_LISTEN: return "ptrace(PTRACE_LISTEN)";
    case PTRACE_DETACH: return "ptrace(PTRACE_DETACH)";
    case PTRACE_KILL: return "ptrace(PTRACE_KILL)";
    default: return "ptrace";
  }
}

#define TID_ARG(i, usage)                                                              \
  int64_t tid;                                                                         \
  if (arg_i64(env, argv[i], &tid, usage) < 0) return NULL

/* seize(tid, options) */
static napi_value n_seize(napi_env env, napi_callback_info info) {
  static const char *u = "seize(tid, options)";
  napi_value argv[2];
  if (arg_count(env, info, 2, argv, u) < 0) return NULL;
  TID_ARG(0, u);
  int64_t opts;
  if (arg_i64(env, argv[1], &opts, u) < 0) return NULL;
  if (ptrace(PTRACE_SEIZE, (pid_t)tid, 0, (void *)(long)opts) < 0)
    return utrace_throw(env, errno, "ptrace(PTRACE_SEIZE)", tid);
  return make_undefined(env);
}

static napi_value n_interrupt(napi_env env, napi_callback_info info) {
  static const char *u = "interrupt(tid)";
  napi_value argv[1];
  if (arg_count(env, info, 1, argv, u) < 0) return NULL;
  TID_ARG(0, u);
  if (ptrace(PTRACE_INTERRUPT, (pid_t)tid, 0, 0) < 0)
    return utrace_throw(env, errno, "ptrace(PTRACE_INTERRUPT)", tid);
  return make_undefined(env);
}

/* resume(tid, request, signal): CONT, SYSCALL, SINGLESTEP, SINGLEBLOCK, SYSEMU*, LISTEN,
 * DETACH. The request number is chosen in TypeScript. */
static napi_value n_resume(napi_env env, napi_callback_info info) {
  static const char *u = "resume(tid, request, signal)";
  napi_value argv[3];
  if (arg_count(env, info, 3, argv, u) < 0) return NULL;
  TID_ARG(0, u);
  int64_t req, sig;
  if (arg_i64(env, argv[1], &req, u) < 0 || arg_i64(env, argv[2], &sig, u) < 0) return NULL;
  switch (req) {
    case PTRACE_CONT: case PTRACE_SYSCALL: case PTRACE_SINGLESTEP: case PTRACE_SINGLEBLOCK:
    case PTRACE_SYSEMU: case PTRACE_SYSEMU_SINGLESTEP: case PTRACE_LISTEN: case PTRACE_DETACH:
      break;
    default:
      return utrace_throw(env, EINVAL, "ptrace(resume)", tid);
  }
  wait_forget((pid_t)tid);
  if (ptrace((enum __ptrace_request)req, (pid_t)tid, 0, (void *)(long)sig) < 0)
    return utrace_throw(env, errno, req_name(req), tid);
  return make_undefined(env);
}

static napi_value n_set_options(napi_env env, napi_callback_info info) {
  static const char *u = "setOptions(tid, options)";
  napi_value argv[2];
  if (arg_count(env, info, 2, argv, u) < 0) return NULL;
  TID_ARG(0, u);
  int64_t opts;
  if (arg_i64(env, argv[1], &opts, u) < 0) return NULL;
  if (ptrace(PTRACE_SETOPTIONS, (pid_t)tid, 0, (void *)(long)opts) < 0)
    return utrace_throw(env, errno, "ptrace(PTRACE_SETOPTIONS)", tid);
  return make_undefined(env);
}

static napi_value n_get_event_msg(napi_env env, napi_callback_info info) {
  static const char *u = "getEventMsg(tid)";
  napi_value argv[1];
  if (arg_count(env, info, 1, argv, u) < 0) return NULL;
  TID_ARG(0, u);
  unsigned long msg = 0;
  if (ptrace(PTRACE_GETEVENTMSG, (pid_t)tid, 0, &msg) < 0)
    return utrace_throw(env, errno, "ptrace(PTRACE_GETEVENTMSG)", tid);
  return make_i64(env, (int64_t)msg);
}

/* getSigInfo(tid, buf128) / setSigInfo(tid, buf128) */
static napi_value siginfo_op(napi_env env, napi_callback_info info, int set) {
  const char *u = set ? "setSigInfo(tid, buffer)" : "getSigInfo(tid, buffer)";
  napi_value argv[2];
  if (arg_count(env, info, 2, argv, u) < 0) return NULL;
  TID_ARG(0, u);
  void *buf;
  size_t len;
  if (arg_buffer(env, argv[1], &buf, &len, u) < 0) return NULL;
  if (len < sizeof(siginfo_t)) return utrace_throw_type(env, u);
  if (ptrace(set ? PTRACE_SETSIGINFO : PTRACE_GETSIGINFO, (pid_t)tid, 0, buf) < 0)
    return utrace_throw(env, errno, set ? "ptrace(PTRACE_SETSIGINFO)" : "ptrace(PTRACE_GETSIGINFO)",
                        tid);
  return make_undefined(env);
}
static napi_value n_get_siginfo(napi_env env, napi_callback_info info) { return siginfo_op(env, info, 0); }
static napi_value n_set_siginfo(napi_env env, napi_callback_info info) { return siginfo_op(env, info, 1); }

/* getRegSet(tid, nt, buffer) -> bytes filled; setRegSet(tid, nt, buffer, length) */
static napi_value n_get_regset(napi_env env, napi_callback_info info) {
  static const char *u = "getRegSet(tid, nt, buffer)";
  napi_value argv[3];
  if (arg_count(env, info, 3, argv, u) < 0) return NULL;
  TID_ARG(0, u);
  int64_t nt;
  void *buf;
  size_t len;
  if (arg_i64(env, argv[1], &nt, u) < 0 || arg_buffer(env, argv[2], &buf, &len, u) < 0) return NULL;
  struct iovec iov = {buf, len};
  if (ptrace(PTRACE_GETREGSET, (pid_t)tid, (void *)(long)nt, &iov) < 0)
    return utrace_throw(env, errno, "ptrace(PTRACE_GETREGSET)", tid);
  return make_i64(env, (int64_t)iov.iov_len);
}

static napi_value n_set_regset(napi_env env, napi_callback_info info) {
  static const char *u = "setRegSet(tid, nt, buffer, length)";
  napi_value argv[4];
  if (arg_count(env, info, 4, argv, u) < 0) return NULL;
  TID_ARG(0, u);
  int64_t nt, want;
  void *buf;
  size_t len;
  if (arg_i64(env, argv[1], &nt, u) < 0 || arg_buffer(env, argv[2], &buf, &len, u) < 0 ||
      arg_i64(env, argv[3], &want, u) < 0)
    return NULL;
  if (want < 0 || (size_t)want > len) return utrace_throw_type(env, u);
  struct iovec iov = {buf, (size_t)want};
  if (ptrace(PTRACE_SETREGSET, (pid_t)tid, (void *)(long)nt, &iov) < 0)
    return utrace_throw(env, errno, "ptrace(PTRACE_SETREGSET)", tid);
  return make_undefined(env);
}

/* getSyscallInfo(tid, buffer) -> bytes the kernel has (may exceed the buffer) */
static napi_value n_get_syscall_info(napi_env env, napi_callback_info info) {
  static const char *u = "getSyscallInfo(tid, buffer)";
  napi_value argv[2];
  if (arg_count(env, info, 2, argv, u) < 0) return NULL;
  TID_ARG(0, u);
  void *buf;
  size_t len;
  if (arg_buffer(env, argv[1], &buf, &len, u) < 0) return NULL;
  long r = ptrace(PTRACE_GET_SYSCALL_INFO, (pid_t)tid, (void *)len, buf);
  if (r < 0) return utrace_throw(env, errno, "ptrace(PTRACE_GET_SYSCALL_INFO)", tid);
  return make_i64(env, r);
}

/* peekUser(tid, offset) -> bigint; pokeUser(tid, offset, value). Debug registers live in
 * struct user (u_debugreg) and are reachable only this way on x86_64. */
static napi_value n_peek_user(napi_env env, napi_callback_info info) {
  static const char *u = "peekUser(tid, offset)";
  napi_value argv[2];
  if (arg_count(env, info, 2, argv, u) < 0) return NULL;
  TID_ARG(0, u);
  int64_t off;
  if (arg_i64(env, argv[1], &off, u) < 0) return NULL;
  errno = 0;
  long v = ptrace(PTRACE_PEEKUSER, (pid_t)tid, (void *)(long)off, 0);
  if (v == -1 && errno) return utrace_throw(env, errno, "ptrace(PTRACE_PEEKUSER)", tid);
  return make_u64_bigint(env, (uint64_t)v);
}

static napi_value n_poke_user(napi_env env, napi_callback_info info) {
  static const char *u = "pokeUser(tid, offset, value)";
  napi_value argv[3];
  if (arg_count(env, info, 3, argv, u) < 0) return NULL;
  TID_ARG(0, u);
  int64_t off;
  uint64_t val;
  if (arg_i64(env, argv[1], &off, u) < 0 || arg_u64(env, argv[2], &val, u) < 0) return NULL;
  if (ptrace(PTRACE_POKEUSER, (pid_t)tid, (void *)(long)off, (void *)val) < 0)
    return utrace_throw(env, errno, "ptrace(PTRACE_POKEUSER)", tid);
  return make_undefined(env);
}

/* tgkill(tgid, tid, sig) */
static napi_value n_tgkill(napi_env env, napi_callback_info info) {
  static const char *u = "tgkill(tgid, tid, signal)";
  napi_value argv[3];
  if (arg_count(env, info, 3, argv, u) < 0) return NULL;
  int64_t tgid, tid, sig;
  if (arg_i64(env, argv[0], &tgid, u) < 0 || arg_i64(env, argv[1], &tid, u) < 0 ||
      arg_i64(env, argv[2], &sig, u) < 0)
    return NULL;
  if (syscall(SYS_tgkill, (pid_t)tgid, (pid_t)tid, (int)sig) < 0)
    return utrace_throw(env, errno, "tgkill", tid);
  return make_undefined(env);
}

/* kill(pid, sig) */
static napi_value n_kill(napi_env env, napi_callback_info info) {
  static const char *u = "kill(pid, signal)";
  napi_value argv[2];
  if (arg_count(env, info, 2, argv, u) < 0) return NULL;
  int64_t pid, sig;
  if (arg_i64(env, argv[0], &pid, u) < 0 || arg_i64(env, argv[1], &sig, u) < 0) return NULL;
  if (kill((pid_t)pid, (int)sig) < 0) return utrace_throw(env, errno, "kill", pid);
  return make_undefined(env);
}

/* debugRegsTrap() -> true when an execute breakpoint in DR0 stops a tracee. Some hypervisors
 * accept writes to the debug registers and never deliver the trap (gdbserver's hbreak and
 * watchpoints then silently never fire); a server asks once and refuses what would not work.
 * A forked child stops itself, gets DR0 = the address of probe_target and DR7 = L0 (execute,
 * one byte), and calls it: a SIGTRAP with DR6.B0 set means the registers work. The child
 * only makes raw system calls (we fork a multi-threaded process) and is always reaped. */
static void __attribute__((noinline)) probe_target(void) { __asm__ volatile("nop"); }

static int probe_debug_regs(void) {
  pid_t pid = fork();
  if (pid < 0) return -errno;
  if (pid == 0) {
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0) syscall(SYS_exit_group, 2);
    syscall(SYS_tgkill, syscall(SYS_getpid), syscall(SYS_gettid), SIGSTOP);
    probe_target();
    syscall(SYS_exit_group, 0);
  }
  int st, works = 0;
#if defined(__x86_64__)
  if (waitpid(pid, &st, __WALL) == pid && WIFSTOPPED(st)) {
    long dr0 = offsetof(struct user, u_debugreg[0]), dr6 = offsetof(struct user, u_debugreg[6]),
         dr7 = offsetof(struct user, u_debugreg[7]);
    if (ptrace(PTRACE_POKEUSER, pid, (void *)dr0, (void *)&probe_target) == 0 &&
        ptrace(PTRACE_POKEUSER, pid, (void *)dr7, (void *)1L) == 0 &&
        ptrace(PTRACE_CONT, pid, 0, 0) == 0 && waitpid(pid, &st, __WALL) == pid &&
        WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP) {
      errno = 0;
      long v = ptrace(PTRACE_PEEKUSER, pid, (void *)dr6, 0);
      works = !errno && (v & 1);
    }
  }
#else
  /* x86 debug registers through the user area only; other architectures: none. */
  (void)probe_target;
#endif
  kill(pid, SIGKILL);
  while (waitpid(pid, &st, __WALL) == pid && !WIFEXITED(st) && !WIFSIGNALED(st)) {
  }
  return works;
}

static napi_value n_debug_regs_trap(napi_env env, napi_callback_info info) {
  (void)info;
  int r = probe_debug_regs();
  if (r < 0) return utrace_throw(env, -r, "fork", 0);
  napi_value v;
  napi_get_boolean(env, r, &v);
  return v;
}

void ptrace_ops_register(napi_env env, napi_value exports) {
  EXPORT_FN(env, exports, "seize", n_seize);
  EXPORT_FN(env, exports, "interrupt", n_interrupt);
  EXPORT_FN(env, exports, "resume", n_resume);
  EXPORT_FN(env, exports, "setOptions", n_set_options);
  EXPORT_FN(env, exports, "getEventMsg", n_get_event_msg);
  EXPORT_FN(env, exports, "getSigInfo", n_get_siginfo);
  EXPORT_FN(env, exports, "setSigInfo", n_set_siginfo);
  EXPORT_FN(env, exports, "getRegSet", n_get_regset);
  EXPORT_FN(env, exports, "setRegSet", n_set_regset);
  EXPORT_FN(env, exports, "getSyscallInfo", n_get_syscall_info);
  EXPORT_FN(env, exports, "peekUser", n_peek_user);
  EXPORT_FN(env, exports, "pokeUser", n_poke_user);
  EXPORT_FN(env, exports, "tgkill", n_tgkill);
  EXPORT_FN(env, exports, "kill", n_kill);
  EXPORT_FN(env, exports, "debugRegsTrap", n_debug_regs_trap);
}
