/*
 * CPU affinity of one thread, for co-scheduling (src/core/colocate.ts): sched_setaffinity and
 * sched_getaffinity of a tid (0 = the calling thread, which for src/core is the JS main thread,
 * the one that issues every ptrace request), and sched_getcpu. Masks are byte buffers in the
 * kernel's layout (bit N of byte N/8 = CPU N), as sched_getaffinity(2) writes them.
 */
#define _GNU_SOURCE
#include "utrace.h"

#include <errno.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

/* getAffinity(tid, buf): bytes the kernel wrote (its cpumask size), or throws. */
static napi_value n_get_affinity(napi_env env, napi_callback_info info) {
  static const char *u = "getAffinity(tid, buf)";
  napi_value argv[2];
  if (arg_count(env, info, 2, argv, u) < 0) return NULL;
  int64_t tid;
  void *buf;
  size_t len;
  if (arg_i64(env, argv[0], &tid, u) < 0 || arg_buffer(env, argv[1], &buf, &len, u) < 0) return NULL;
  /* The raw call: glibc's wrapper zero-fills the rest and returns 0, losing the size. */
  long r = syscall(SYS_sched_getaffinity, (pid_t)tid, len, buf);
  if (r < 0) return utrace_throw(env, errno, "sched_getaffinity", tid);
  return make_i64(env, r);
}

/* setAffinity(tid, buf, length) */
static napi_value n_set_affinity(napi_env env, napi_callback_info info) {
  static const char *u = "setAffinity(tid, buf, length)";
  napi_value argv[3];
  if (arg_count(env, info, 3, argv, u) < 0) return NULL;
  int64_t tid, n;
  void *buf;
  size_t len;
  if (arg_i64(env, argv[0], &tid, u) < 0 || arg_buffer(env, argv[1], &buf, &len, u) < 0 ||
      arg_i64(env, argv[2], &n, u) < 0)
    return NULL;
  if (n < 0 || (size_t)n > len) return utrace_throw_type(env, u);
  if (syscall(SYS_sched_setaffinity, (pid_t)tid, (size_t)n, buf) < 0)
    return utrace_throw(env, errno, "sched_setaffinity", tid);
  return make_undefined(env);
}

/* getCpu(): the CPU the calling thread runs on. */
static napi_value n_get_cpu(napi_env env, napi_callback_info info) {
  int c = sched_getcpu();
  if (c < 0) return utrace_throw(env, errno, "sched_getcpu", 0);
  return make_i64(env, c);
}

void affinity_register(napi_env env, napi_value exports) {
  EXPORT_FN(env, exports, "getAffinity", n_get_affinity);
  EXPORT_FN(env, exports, "setAffinity", n_set_affinity);
  EXPORT_FN(env, exports, "getCpu", n_get_cpu);
}
