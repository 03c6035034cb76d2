/*
 * Starting a program traced from its first instruction.
 *
 * The child blocks on a pipe until the parent has PTRACE_SEIZEd it (so no event is missed
 * and no SIGSTOP group-stop is ever involved), optionally installs a seccomp-bpf filter
 * (built in TypeScript; SECCOMP_RET_TRACE stops come back as PTRACE_EVENT_SECCOMP), then
 * stops itself with SIGSTOP right before execve. spawn() returns with the child in that
 * signal-delivery-stop: the "spawn hold". Engines attach there and see the execve syscall
 * itself; the tracer resumes the child with signal 0, suppressing the SIGSTOP.
 * Failures before the hold (chdir, seccomp) are reported through a CLOEXEC pipe and the
 * child is reaped here, so a failed spawn leaves no zombie.
 */
#define _GNU_SOURCE
#include "utrace.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <grp.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct spawn_req {
  char *file, *cwd;
  char **argv, **envp;
  int fds[3];
  /* Descriptors 3 and up the program inherits (Node marked what it inherited close-on-exec). */
  int *inherit;
  uint32_t n_inherit;
  void *filter;
  size_t filter_len;
  bool setpgid, no_aslr;
  int64_t options;
  /* The program's signal mask and SIG_IGN signals (bit N-1: signal N). */
  uint64_t sig_blocked, sig_ignored;
  /* After a failed execve: a line for fd 2 per errno (NULL-terminated; may be NULL), and the
   * exit status. Prepared here: the child of a threaded process may not format (strerror
   * takes locks). */
  char **exec_errors;
  int exec_fail_status;
  /* strace -u: the ids the program runs with (has_user: set), its supplementary groups. */
  bool has_user;
  uint32_t uid, gid, n_groups;
  gid_t *groups;
};

/* The kernel's struct sigaction: glibc's refuses the signals it reserves (32, 33), which a
 * program may have been given blocked or ignored all the same. */
struct kernel_sigaction {
  void *handler;
  unsigned long flags;
  void *restorer;
  uint64_t mask;
};

/* obj[key], an array of strings, as a NULL-terminated vector. */
static int get_strv(napi_env env, napi_value obj, const char *key, char ***out, const char *u) {
  napi_value arr;
  napi_get_named_property(env, obj, key, &arr);
  return arg_strv(env, arr, out, u);
}

static void child_fail(int fd, int err) {
  (void)!write(fd, &err, sizeof err);
  _exit(127);
}

static void child(struct spawn_req *r, int sync_rd, int err_wr) {
  /* Node ignores SIGPIPE and sets its own mask: the program starts with the state asked for
   * (by default none blocked or ignored), not Node's. */
  for (int s = 1; s < 65; s++) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    struct kernel_sigaction ka = {(r->sig_ignored >> (s - 1)) & 1 ? SIG_IGN : SIG_DFL, 0, NULL, 0};
    syscall(SYS_rt_sigaction, s, &ka, NULL, sizeof ka.mask);
  }
  uint64_t mask = r->sig_blocked;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, NULL, sizeof mask);
  if (r->setpgid) setpgid(0, 0);
  for (int i = 0; i < 3; i++) {
    /* Closed where the user closed it (Node put /dev/null there). */
    if (r->fds[i] == -2) {
      if (i != sync_rd && i != err_wr) close(i);
      continue;
    }
    /* Inherited stdio must survive execve even where the parent marked it close-on-exec. */
    if (r->fds[i] < 0 || r->fds[i] == i) fcntl(i, F_SETFD, 0);
    if (r->fds[i] < 0 || r->fds[i] == i) continue;
    else if (dup2(r->fds[i], i) < 0) child_fail(err_wr, errno);
  }
  for (uint32_t i = 0; i < r->n_inherit; i++)
    if (r->inherit[i] > 2 && r->inherit[i] != sync_rd && r->inherit[i] != err_wr) fcntl(r->inherit[i], F_SETFD, 0);
  if (r->cwd && chdir(r->cwd) < 0) child_fail(err_wr, errno);
  if (r->no_aslr) personality(personality(0xffffffff) | ADDR_NO_RANDOMIZE);
  char c;
  while (read(sync_rd, &c, 1) < 0 && errno == EINTR) {
  }
  if (r->filter) {
    struct sock_fprog prog = {(unsigned short)(r->filter_len / sizeof(struct sock_filter)), r->filter};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
      /* Without CAP_SYS_ADMIN a filter needs no_new_privs (which disables setuid). */
      if (errno != EACCES || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
          syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        child_fail(err_wr, errno);
    }
  }
  /* After the filter (which needs CAP_SYS_ADMIN without no_new_privs), before the hold: the
   * program's own calls run as the user from its execve on. */
  if (r->has_user && (setgroups(r->n_groups, r->groups) < 0 || setresgid(r->gid, r->gid, r->gid) < 0 ||
                      setresuid(r->uid, r->uid, r->uid) < 0))
    child_fail(err_wr, errno);
  kill(getpid(), SIGSTOP);
  execve(r->file, r->argv, r->envp);
  /* The failed execve is visible to the tracer. */
  int e = errno;
  if (r->exec_errors) {
    int n = 0;
    while (r->exec_errors[n]) n++;
    if (e < n) (void)!write(2, r->exec_errors[e], strlen(r->exec_errors[e]));
  }
  _exit(r->exec_fail_status);
}

/* spawn({file, argv, envp, cwd, stdio:[fd,fd,fd], sigBlocked, sigIgnored, seccomp, setpgid, noAslr, options, user?}) -> pid */
static napi_value n_spawn(napi_env env, napi_callback_info info) {
  static const char *u =
      "spawn({file, argv, envp, cwd?, stdio:[in,out,err], sigBlocked, sigIgnored, seccomp?, setpgid, noAslr, options, user?})";
  napi_value argv[1], v;
  if (arg_count(env, info, 1, argv, u) < 0) return NULL;
  napi_value o = argv[0];
  struct spawn_req r;
  memset(&r, 0, sizeof r);
  napi_valuetype t;
  napi_value result = NULL;

  napi_get_named_property(env, o, "file", &v);
  if (arg_string(env, v, &r.file, u) < 0) goto out;
  if (get_strv(env, o, "argv", &r.argv, u) < 0 || get_strv(env, o, "envp", &r.envp, u) < 0) goto out;
  napi_get_named_property(env, o, "cwd", &v);
  napi_typeof(env, v, &t);
  if (t == napi_string && arg_string(env, v, &r.cwd, u) < 0) goto out;
  napi_get_named_property(env, o, "stdio", &v);
  for (uint32_t i = 0; i < 3; i++) {
    napi_value el;
    int32_t fd = -1;
    napi_get_element(env, v, i, &el);
    napi_typeof(env, el, &t);
    if (t == napi_number) napi_get_value_int32(env, el, &fd);
    r.fds[i] = fd;
  }
  napi_get_named_property(env, o, "inherit", &v);
  bool is_array = false;
  napi_is_array(env, v, &is_array);
  if (is_array) {
    napi_get_array_length(env, v, &r.n_inherit);
    r.inherit = calloc(r.n_inherit ? r.n_inherit : 1, sizeof(int));
    for (uint32_t i = 0; i < r.n_inherit; i++) {
      napi_value el;
      int32_t fd = -1;
      napi_get_element(env, v, i, &el);
      napi_typeof(env, el, &t);
      if (t == napi_number) napi_get_value_int32(env, el, &fd);
      r.inherit[i] = fd;
    }
  }
  napi_get_named_property(env, o, "sigBlocked", &v);
  if (arg_u64(env, v, &r.sig_blocked, u) < 0) goto out;
  napi_get_named_property(env, o, "sigIgnored", &v);
  if (arg_u64(env, v, &r.sig_ignored, u) < 0) goto out;
  napi_get_named_property(env, o, "seccomp", &v);
  napi_typeof(env, v, &t);
  if (t == napi_object) {
    void *data;
    if (arg_buffer(env, v, &data, &r.filter_len, u) < 0) goto out;
    r.filter = malloc(r.filter_len);
    memcpy(r.filter, data, r.filter_len);
  }
  napi_get_named_property(env, o, "setpgid", &v);
  napi_get_value_bool(env, v, &r.setpgid);
  napi_get_named_property(env, o, "noAslr", &v);
  napi_get_value_bool(env, v, &r.no_aslr);
  napi_get_named_property(env, o, "options", &v);
  if (arg_i64(env, v, &r.options, u) < 0) goto out;
  r.exec_fail_status = 127;
  napi_get_named_property(env, o, "execErrors", &v);
  napi_typeof(env, v, &t);
  if (t == napi_object && arg_strv(env, v, &r.exec_errors, u) < 0) goto out;
  napi_get_named_property(env, o, "execFailStatus", &v);
  napi_typeof(env, v, &t);
  if (t == napi_number) napi_get_value_int32(env, v, &r.exec_fail_status);
  /* user: {uid, gid, groups: [gid...]} */
  napi_get_named_property(env, o, "user", &v);
  napi_typeof(env, v, &t);
  if (t == napi_object) {
    napi_value f;
    r.has_user = true;
    napi_get_named_property(env, v, "uid", &f);
    napi_get_value_uint32(env, f, &r.uid);
    napi_get_named_property(env, v, "gid", &f);
    napi_get_value_uint32(env, f, &r.gid);
    napi_get_named_property(env, v, "groups", &f);
    napi_get_array_length(env, f, &r.n_groups);
    r.groups = calloc(r.n_groups ? r.n_groups : 1, sizeof(gid_t));
    for (uint32_t i = 0; i < r.n_groups; i++) {
      napi_value el;
      uint32_t g = 0;
      napi_get_element(env, f, i, &el);
      napi_get_value_uint32(env, el, &g);
      r.groups[i] = g;
    }
  }

  int sync[2], errp[2];
  if (pipe2(sync, O_CLOEXEC) < 0) {
    utrace_throw(env, errno, "pipe2", 0);
    goto out;
  }
  if (pipe2(errp, O_CLOEXEC) < 0) {
    utrace_throw(env, errno, "pipe2", 0);
    close(sync[0]);
    close(sync[1]);
    goto out;
  }
  pid_t pid = fork();
  if (pid < 0) {
    utrace_throw(env, errno, "fork", 0);
    close(sync[0]); close(sync[1]); close(errp[0]); close(errp[1]);
    goto out;
  }
  if (pid == 0) {
    close(sync[1]);
    close(errp[0]);
    child(&r, sync[0], errp[1]);
  }
  close(sync[0]);
  close(errp[1]);
  if (ptrace(PTRACE_SEIZE, pid, 0, (void *)(long)r.options) < 0) {
    int e = errno;
    kill(pid, SIGKILL);
    close(sync[1]);
    close(errp[0]);
    while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR) {
    }
    utrace_throw(env, e, "ptrace(PTRACE_SEIZE)", pid);
    goto out;
  }
  close(sync[1]);
  for (;;) {
    int st;
    pid_t w = waitpid(pid, &st, __WALL);
    if (w < 0) {
      if (errno == EINTR) continue;
      utrace_throw(env, errno, "waitpid", pid);
      break;
    }
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      int err = 0;
      if (read(errp[0], &err, sizeof err) != sizeof err || err == 0) err = ECHILD;
      utrace_throw(env, err, "spawn", pid);
      break;
    }
    if (WSTOPSIG(st) == SIGSTOP && (st >> 16) == 0) { /* the spawn hold */
      tracked_add(pid);
      result = make_i64(env, pid);
      break;
    }
    /* A seccomp stop for the child's own set-up calls: not the program yet. */
    ptrace(PTRACE_CONT, pid, 0, 0);
  }
  close(errp[0]);

out:
  free(r.file);
  free(r.cwd);
  free_strv(r.argv);
  free_strv(r.envp);
  free_strv(r.exec_errors);
  free(r.filter);
  free(r.inherit);
  free(r.groups);
  return result;
}

/* stdioToNull([fd...]): /dev/null over each of our own descriptors given (0..2), so that a
 * pipe or terminal we were started with is the launched program's alone: a writer to its
 * stdin sees EPIPE once the program closes it, a reader of its stdout sees end of file. */
static napi_value n_stdio_to_null(napi_env env, napi_callback_info info) {
  static const char *u = "stdioToNull([fd...])";
  napi_value argv[1];
  if (arg_count(env, info, 1, argv, u) < 0) return NULL;
  bool is_arr = false;
  napi_is_array(env, argv[0], &is_arr);
  if (!is_arr) return utrace_throw_type(env, u);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return utrace_throw(env, errno, "open(/dev/null)", 0);
  uint32_t n;
  napi_get_array_length(env, argv[0], &n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    int32_t fd = -1;
    napi_get_element(env, argv[0], i, &el);
    if (arg_i32(env, el, &fd, u) < 0) {
      close(null);
      return NULL;
    }
    if (fd < 0 || fd > 2 || fd == null) continue;
    if (dup2(null, fd) < 0) {
      int e = errno;
      close(null);
      return utrace_throw(env, e, "dup2", 0);
    }
  }
  if (null > 2) close(null);
  return make_undefined(env);
}

/* pipe() -> [readFd, writeFd], both close-on-exec (Node has no pipe of its own with
 * blocking descriptors, which synchronous writers need). */
static napi_value n_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return utrace_throw(env, errno, "pipe2", 0);
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, make_i64(env, fds[0]));
  napi_set_element(env, arr, 1, make_i64(env, fds[1]));
  return arr;
}

/* foreground(fd, pgrp, from) -> the terminal's foreground process group before, when it was
 * `from` (0: our own group) and is now pgrp; 0 when fd is not our controlling terminal or its
 * foreground was another group (nothing done). gdbserver makes a started program's group the
 * foreground of its terminal, so the program can read it and change its modes (no SIGTTIN or
 * SIGTTOU), and gives it back at the end. SIGTTOU is blocked around the change: a caller in a
 * background group would otherwise be stopped by it (the kernel lets a blocked one through). */
static napi_value n_foreground(napi_env env, napi_callback_info info) {
  static const char *u = "foreground(fd, pgrp, from)";
  napi_value argv[3];
  int32_t fd, pgrp, from;
  if (arg_count(env, info, 3, argv, u) < 0 || arg_i32(env, argv[0], &fd, u) < 0 ||
      arg_i32(env, argv[1], &pgrp, u) < 0 || arg_i32(env, argv[2], &from, u) < 0)
    return NULL;
  pid_t before = tcgetpgrp(fd);
  if (before < 0 || before != (from > 0 ? from : getpgrp())) return make_i64(env, 0);
  sigset_t ttou, old;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  pthread_sigmask(SIG_BLOCK, &ttou, &old);
  int r = tcsetpgrp(fd, pgrp);
  int e = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (r < 0) return utrace_throw(env, e, "tcsetpgrp", pgrp);
  return make_i64(env, before);
}

void spawn_register(napi_env env, napi_value exports) {
  EXPORT_FN(env, exports, "foreground", n_foreground);
  EXPORT_FN(env, exports, "spawn", n_spawn);
  EXPORT_FN(env, exports, "pipe", n_pipe);
  EXPORT_FN(env, exports, "stdioToNull", n_stdio_to_null);
}
