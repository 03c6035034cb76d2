/*
 * Former tracees that become our children, strays, and pidfds for src/core/procfs.ts.
 *
 * When utrace is a pid namespace's init (`unshare -pf utrace strace -f …`, as strace's own
 * suite runs it), the kernel hands it every orphan of the namespace, among them the zombies of
 * processes it traced whose parent died first. Nobody else can reap those: left alone they
 * stay zombies, and a nested namespace's init that exits waits for them forever
 * (zap_pid_ns_processes), while we wait for that init. So we reap them, as an init does,
 * silently here: their exit was told when we saw it as their tracer (any other child of ours
 * is a stray, below; libuv's children are libuv's).
 * "Them" cannot be told by pid (a pid is reused once reaped, and /proc may be an ancestor
 * namespace's), so each thread-group leader we track is held by a pidfd from the moment it is
 * tracked: it is traced then, nobody can reap it before we have seen its exit, so the pid is
 * still that process. The pidfd stays when the process is disowned (its exit consumed, or a
 * detach), until the process is reaped by anyone; a waitid(P_PIDFD) on it can only ever reap
 * that one process, and only once it is our child.
 *
 * Strays: children of ours that nobody will ever wait for, and whose exit nobody was told of.
 * A tracee's clone(CLONE_PARENT) makes its child ours (its parent's parent; the core seizes
 * it with the clone event and lets it go alive when no engine follows it), and so does an
 * orphan left to us as a namespace's init. Left alone, a stray stays a zombie (its pid taken:
 * a program that waits for it to vanish, as strace's clone_parent test does, waits forever).
 * strayChild() names the one in front, which src/core/waitHub.ts then reaps and tells of: a
 * waitable child that is not a stop, not tracked, not a former tracee whose exit we saw, and
 * not one of libuv's child processes (Node's child_process:
 * libuv waits for each of its own pids, and must find them). libuv's are its loop's process
 * handles; uv_spawn registers its child before it returns, on the JS thread, so from that
 * thread the walk sees every one of them. Hence only the JS thread may call strayChild.
 */
#define _GNU_SOURCE
#include "utrace.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open_raw(pid_t pid, unsigned flags) {
  return (int)syscall(SYS_pidfd_open, pid, flags);
}

/* Has the process of this pidfd been reaped (by anyone)? A zombie still takes signal 0. */
static int pidfd_reaped(int fd) {
  return syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) < 0 && errno == ESRCH;
}

/* ---- held leaders: open addressing on pid (guarded by mu) ---- */
struct held {
  pid_t pid;  /* 0 = empty, -1 = removed */
  int fd;
  int former; /* disowned: its status is no longer awaited by the JS side */
  int exited; /* its exit was consumed by us as its tracer (reap_exited) */
};
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct held *tab;
static size_t cap, live, used, formers, formers_kept;

static struct held *find_nolock(pid_t pid) {
  if (!cap) return NULL;
  size_t mask = cap - 1, i = (size_t)pid * 2654435761u & mask;
  while (tab[i].pid != 0) {
    if (tab[i].pid == pid) return &tab[i];
    i = (i + 1) & mask;
  }
  return NULL;
}

static void put_nolock(pid_t pid, int fd, int former, int exited) {
  size_t mask = cap - 1, i = (size_t)pid * 2654435761u & mask;
  while (tab[i].pid > 0) i = (i + 1) & mask;
  if (tab[i].pid == 0) used++;
  tab[i] = (struct held){pid, fd, former, exited};
  live++;
  formers += former;
}

static void drop_nolock(struct held *h) {
  close(h->fd);
  formers -= h->former;
  h->pid = -1;
  h->fd = -1;
  h->former = 0;
  h->exited = 0;
  live--;
}

static int grow_nolock(void) {
  struct held *old = tab;
  size_t oldcap = cap, ncap = cap ? cap : 64;
  while ((live + 1) * 2 > ncap) ncap *= 2;
  struct held *n = calloc(ncap, sizeof *n);
  if (!n) return -1;
  tab = n;
  cap = ncap;
  live = used = formers = 0;
  for (size_t i = 0; i < oldcap; i++)
    if (old[i].pid > 0) put_nolock(old[i].pid, old[i].fd, old[i].former, old[i].exited);
  free(old);
  return 0;
}

/* Formers whose process is gone (reaped by its parent) need their pidfd no longer. */
static void prune_nolock(void) {
  for (size_t i = 0; i < cap; i++)
    if (tab[i].pid > 0 && tab[i].former && pidfd_reaped(tab[i].fd)) drop_nolock(&tab[i]);
  formers_kept = formers;
}

/* A tracked pid: hold its process by a pidfd if it is a thread-group leader (for any other
 * thread pidfd_open fails with EINVAL, and no thread but a leader can be left a zombie). */
void reap_hold(pid_t pid) {
  pthread_mutex_lock(&mu);
  struct held *h = find_nolock(pid);
  if (h && !pidfd_reaped(h->fd)) {
    /* Still that process (re-tracked after a non-leader's execve took the leader's pid). */
    formers -= h->former;
    h->former = 0;
    pthread_mutex_unlock(&mu);
    return;
  }
  if (h) drop_nolock(h); /* a process of that pid, reaped long ago */
  int fd = pidfd_open_raw(pid, 0);
  if (fd >= 0) {
    if ((used + 1) * 2 > cap && grow_nolock() < 0) close(fd);
    else put_nolock(pid, fd, 0, 0);
  }
  pthread_mutex_unlock(&mu);
}

/* An untracked pid: its process, if we hold it, is a former tracee from now on. */
void reap_release(pid_t pid) {
  pthread_mutex_lock(&mu);
  struct held *h = find_nolock(pid);
  if (h && !h->former) {
    h->former = 1;
    formers++;
  }
  /* Amortized: most formers are reaped by their parent soon after. */
  if (formers > 2 * formers_kept + 32) prune_nolock();
  pthread_mutex_unlock(&mu);
}

/* A wait consumed pid's exit (as its tracer: its parent may be another process). */
void reap_exited(pid_t pid) {
  pthread_mutex_lock(&mu);
  struct held *h = find_nolock(pid);
  if (h) h->exited = 1;
  pthread_mutex_unlock(&mu);
}

/* Reap `pid`, a waitable child that is not tracked, if it is a former tracee whose exit we
 * saw (told already): 1 when reaped, 0 when it is not ours to reap so. A former tracee let go
 * alive (detached) is a stray once it is our child: its exit is news. */
int reap_former(pid_t pid) {
  int done = 0;
  pthread_mutex_lock(&mu);
  struct held *h = find_nolock(pid);
  if (h && h->former && h->exited) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (syscall(SYS_waitid, P_PIDFD, h->fd, &si, WEXITED | WNOHANG | __WALL, NULL) == 0 && si.si_pid) {
      done = 1;
      drop_nolock(h);
    } else if (pidfd_reaped(h->fd)) {
      drop_nolock(h); /* the pid is another process's now */
    }
  }
  pthread_mutex_unlock(&mu);
  return done;
}

/* Reap every former tracee that is a waitable child now: for when a child we may not reap
 * stays in front of the others (waitid(P_ALL) reports it first, each time). */
int reap_formers(void) {
  int n = 0;
  pthread_mutex_lock(&mu);
  for (size_t i = 0; i < cap; i++) {
    if (tab[i].pid <= 0 || !tab[i].former || !tab[i].exited) continue;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (syscall(SYS_waitid, P_PIDFD, tab[i].fd, &si, WEXITED | WNOHANG | __WALL, NULL) == 0 && si.si_pid) {
      n++;
      drop_nolock(&tab[i]);
    }
  }
  pthread_mutex_unlock(&mu);
  return n;
}

struct uv_find {
  pid_t pid;
  int found;
};

static void uv_find_child(uv_handle_t *h, void *arg) {
  struct uv_find *f = arg;
  if (uv_handle_get_type(h) == UV_PROCESS && uv_process_get_pid((uv_process_t *)h) == f->pid) f->found = 1;
}

/* strayChild() -> the pid of a stray child (see the top) waitable now, or 0. Reaps the former
 * tracees it finds in front on the way. JS thread only (libuv's handles are walked). */
static napi_value n_stray_child(napi_env env, napi_callback_info info) {
  (void)info;
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) return make_i64(env, 0);
  for (;;) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) < 0 || !si.si_pid) return make_i64(env, 0);
    /* Ours come first (the drain consumes them; a stray behind them is seen after). */
    if (si.si_code == CLD_TRAPPED || tracked_has(si.si_pid)) return make_i64(env, 0);
    if (reap_former(si.si_pid)) continue;
    struct uv_find f = {si.si_pid, 0};
    uv_walk(loop, uv_find_child, &f);
    return make_i64(env, f.found ? 0 : si.si_pid);
  }
}

/* pidfdOpen(pid, flags): a pidfd (close it with fs.closeSync), or throws. */
static napi_value n_pidfd_open(napi_env env, napi_callback_info info) {
  static const char *u = "pidfdOpen(pid, flags)";
  napi_value argv[2];
  if (arg_count(env, info, 2, argv, u) < 0) return NULL;
  int64_t pid, flags;
  if (arg_i64(env, argv[0], &pid, u) < 0 || arg_i64(env, argv[1], &flags, u) < 0) return NULL;
  int fd = pidfd_open_raw((pid_t)pid, (unsigned)flags);
  if (fd < 0) return utrace_throw(env, errno, "pidfd_open", pid);
  return make_i64(env, fd);
}

void reap_register(napi_env env, napi_value exports) {
  EXPORT_FN(env, exports, "pidfdOpen", n_pidfd_open);
  EXPORT_FN(env, exports, "strayChild", n_stray_child);
}
