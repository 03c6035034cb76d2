/*
 * strace -D (daemonize): the tracer runs as a detached grandchild of the program, which keeps
 * the original pid as its shell's child. Two calls Node has no way to make:
 *   daemonChild(file, argv, keepFd, mode): starts `file` as a grandchild (double fork: its
 *     parent is gone at once, so it belongs to the reaper), mode 2 in a process group of its
 *     own, mode 3 in a session of its own; keepFd survives its execve. -> its pid, or -errno.
 *   execAfter(readyFd, file, argv, envp, inherit): this process becomes the program: signal
 *     dispositions and mask back to the defaults (Node ignores SIGPIPE), then one byte read
 *     from readyFd (the tracer says it has seized us), then execve, the descriptors in
 *     inherit kept (Node marked them close-on-exec). Returns only on failure:
 *     -errno (0: the tracer closed readyFd without a byte).
 */
#define _GNU_SOURCE
#include "utrace.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* What a process forked from Node needs before its execve: default dispositions, an empty
 * signal mask, and stdio kept open (Node marks what it inherited close-on-exec, stdio included). */
static void exec_state(void) {
  sigset_t none;
  sigemptyset(&none);
  for (int s = 1; s < 65; s++)
    if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int i = 0; i < 3; i++) fcntl(i, F_SETFD, 0);
}

static napi_value n_daemon_child(napi_env env, napi_callback_info info) {
  static const char *u = "daemonChild(file, argv, keepFd, mode)";
  napi_value argv[4];
  if (arg_count(env, info, 4, argv, u) < 0) return NULL;
  char *file = NULL, **args = NULL;
  int64_t keep, mode;
  if (arg_string(env, argv[0], &file, u) < 0) return NULL;
  if (arg_strv(env, argv[1], &args, u) < 0 || arg_i64(env, argv[2], &keep, u) < 0 || arg_i64(env, argv[3], &mode, u) < 0) {
    free(file);
    free_strv(args);
    return NULL;
  }
  /* The grandchild's pid comes back through a pipe: its parent is gone by the time we wait. */
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) {
    int e = errno;
    free(file);
    free_strv(args);
    return make_i64(env, -e);
  }
  pid_t mid = fork();
  if (mid == 0) {
    pid_t gc = fork();
    if (gc == 0) {
      /* The tracer leads its own group (-DD) or session (-DDD). */
      if (mode >= 3) setsid();
      else if (mode == 2) setpgid(0, 0);
      exec_state();
      fcntl((int)keep, F_SETFD, 0);
      execve(file, args, environ);
      _exit(127);
    }
    (void)!write(p[1], &gc, sizeof gc);
    _exit(gc < 0 ? 1 : 0);
  }
  int e = errno;
  close(p[1]);
  free(file);
  free_strv(args);
  if (mid < 0) {
    close(p[0]);
    return make_i64(env, -e);
  }
  pid_t gc = -1;
  ssize_t r;
  do r = read(p[0], &gc, sizeof gc);
  while (r < 0 && errno == EINTR);
  close(p[0]);
  while (waitpid(mid, NULL, 0) < 0 && errno == EINTR) {
  }
  return make_i64(env, r == sizeof gc && gc > 0 ? gc : -ECHILD);
}

static napi_value n_exec_after(napi_env env, napi_callback_info info) {
  static const char *u = "execAfter(readyFd, file, argv, envp, inherit)";
  napi_value argv[5];
  if (arg_count(env, info, 5, argv, u) < 0) return NULL;
  uint32_t n_inherit = 0;
  bool is_arr;
  napi_is_array(env, argv[4], &is_arr);
  if (!is_arr) return utrace_throw_type(env, u);
  napi_get_array_length(env, argv[4], &n_inherit);
  for (uint32_t i = 0; i < n_inherit; i++) {
    napi_value el;
    int64_t ifd;
    napi_get_element(env, argv[4], i, &el);
    if (arg_i64(env, el, &ifd, u) < 0) return NULL;
    if (ifd > 2) fcntl((int)ifd, F_SETFD, 0);
  }
  int64_t fd;
  char *file = NULL, **args = NULL, **envp = NULL;
  if (arg_i64(env, argv[0], &fd, u) < 0 || arg_string(env, argv[1], &file, u) < 0) return NULL;
  if (arg_strv(env, argv[2], &args, u) < 0 || arg_strv(env, argv[3], &envp, u) < 0) {
    free(file);
    free_strv(args);
    return NULL;
  }
  exec_state();
  char c;
  ssize_t r;
  do r = read((int)fd, &c, 1);
  while (r < 0 && errno == EINTR);
  int e = r == 1 ? 0 : r == 0 ? 0 : errno;
  if (r == 1) {
    execve(file, args, envp);
    e = errno;
  }
  free(file);
  free_strv(args);
  free_strv(envp);
  return make_i64(env, -e);
}

void daemon_register(napi_env env, napi_value exports) {
  EXPORT_FN(env, exports, "daemonChild", n_daemon_child);
  EXPORT_FN(env, exports, "execAfter", n_exec_after);
}
