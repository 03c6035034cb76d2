/*
 * Shared declarations of the utrace native addon.
 *
 * The addon is mechanism only: thin wrappers over ptrace(2), waitid(2), process memory,
 * fork+exec of a traced child, and seccomp filter installation. Every decision (which
 * request to issue, what a stop means, what to report) is made in TypeScript (src/core).
 */
#ifndef UTRACE_H
#define UTRACE_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/ptrace.h>

/* Block stepping is x86's alone (arm64 has none): elsewhere the request number stays so the
 * code compiles, and the kernel answers it with EIO, which reaches the caller as an errno. */
#ifndef PTRACE_SINGLEBLOCK
#define PTRACE_SINGLEBLOCK 33
#endif

/* Throw the JS error built by the factory that src/native/binding.ts registers
 * (a UtraceError carrying the errno name, the syscall and the tid). Returns NULL so
 * callers can `return utrace_throw(...)`. */
napi_value utrace_throw(napi_env env, int err, const char *syscall, long tid);
napi_value utrace_throw_type(napi_env env, const char *usage);

/* Argument helpers: each returns 0 on success, or throws a TypeError with the usage
 * string and returns -1. */
int arg_i64(napi_env env, napi_value v, int64_t *out, const char *usage);
int arg_i32(napi_env env, napi_value v, int32_t *out, const char *usage);
int arg_u64(napi_env env, napi_value v, uint64_t *out, const char *usage);
int arg_buffer(napi_env env, napi_value v, void **data, size_t *len, const char *usage);
int arg_string(napi_env env, napi_value v, char **out, const char *usage); /* malloc'ed */
/* An array of strings as a NULL-terminated malloc'ed vector (for execve); free_strv frees it. */
int arg_strv(napi_env env, napi_value arr, char ***out, const char *usage);
void free_strv(char **v);
int arg_count(napi_env env, napi_callback_info info, size_t want, napi_value *argv,
              const char *usage);

napi_value make_i64(napi_env env, int64_t v);
napi_value make_u64_bigint(napi_env env, uint64_t v);
napi_value make_undefined(napi_env env);

/* Tracked pids: exits of these are ours to reap (see wait.c). */
void tracked_add(pid_t pid);
void tracked_remove(pid_t pid);
int tracked_has(pid_t pid);
/* A thread restarted or detached: a stop of its that wait.c took ahead (a round) is gone. */
void wait_forget(pid_t tid);

/* Former tracees left to us as our children (see reap.c). */
void reap_hold(pid_t pid);
void reap_release(pid_t pid);
int reap_former(pid_t pid);
void reap_exited(pid_t pid);
int reap_formers(void);

void ptrace_ops_register(napi_env env, napi_value exports);
void wait_register(napi_env env, napi_value exports);
void mem_register(napi_env env, napi_value exports);
void spawn_register(napi_env env, napi_value exports);
void sockets_register(napi_env env, napi_value exports);
void affinity_register(napi_env env, napi_value exports);
void deathlock_register(napi_env env, napi_value exports);
void reap_register(napi_env env, napi_value exports);
void signals_register(napi_env env, napi_value exports);
void daemon_register(napi_env env, napi_value exports);

#define EXPORT_FN(env, exports, name, fn)                                              \
  do {                                                                                 \
    napi_value f_;                                                                     \
    napi_create_function((env), (name), NAPI_AUTO_LENGTH, (fn), NULL, &f_);            \
    napi_set_named_property((env), (exports), (name), f_);                             \
  } while (0)

#endif
