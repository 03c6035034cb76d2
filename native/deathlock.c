/*
 * Death locks for the breakpoint watchdog (src/core/watchdog.ts, native/watchdog.c): a robust,
 * process-shared mutex in a file shared with the helper, locked by the thread that calls
 * deathLock (the tracer's thread: the one that made the ptrace attachments). When that thread
 * dies, the kernel marks the mutex's owner dead and wakes the helper waiting on it
 * (EOWNERDEAD), early in the thread's exit and before it lets its tracees go: the helper
 * hears of our death before the kernel releases the threads, whatever order our other threads
 * exit in (the descriptors the helper also watches close only when the last one exits).
 *
 * And a sentinel: one thread of ours that does nothing but hold a robust mutex (in a file every
 * helper also gets) and sleep, real-time where we may (SCHED_FIFO 1). SIGKILL wakes every thread
 * of ours; a real-time sleeper runs its exit at once, ahead of a main thread that may wait
 * milliseconds for a CPU on a loaded machine, and its death wakes the helpers that much sooner:
 * a thread of the tracee reaching a breakpoint meanwhile would stop in its trap and die when
 * let go. The main thread's lock stays: it alone is certain to come before the tracees go.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "utrace.h"

#define MAX_LOCKS 256

static struct {
  int fd;
  pthread_mutex_t *m;
} locks[MAX_LOCKS];

/* Map the first bytes of fd (a file of at least a page) and make a robust, process-shared
 * mutex there. 0, or an errno with *what naming the call that failed. */
static int robust_mutex_at(int fd, pthread_mutex_t **out, const char **what) {
  void *p = mmap(NULL, sizeof(pthread_mutex_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    *what = "mmap";
    return errno;
  }
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  int r = pthread_mutex_init(p, &a);
  pthread_mutexattr_destroy(&a);
  if (r) {
    munmap(p, sizeof(pthread_mutex_t));
    *what = "pthread_mutex_init";
    return r;
  }
  *out = p;
  return 0;
}

/* deathLock(fd): map the first bytes of fd (a file of at least a page), make a robust
 * process-shared mutex there, and lock it for the calling thread. */
static napi_value n_death_lock(napi_env env, napi_callback_info info) {
  static const char u[] = "deathLock(fd)";
  napi_value argv[1];
  if (arg_count(env, info, 1, argv, u) < 0) return NULL;
  int64_t fd;
  if (arg_i64(env, argv[0], &fd, u) < 0) return NULL;
  int slot = -1;
  for (int i = 0; i < MAX_LOCKS; i++) {
    if (!locks[i].m) {
      slot = i;
      break;
    }
  }
  if (slot < 0) return utrace_throw(env, EMFILE, "deathLock", -1);
  pthread_mutex_t *p = NULL;
  const char *what;
  int r = robust_mutex_at((int)fd, &p, &what);
  if (r) return utrace_throw(env, r, what, -1);
  r = pthread_mutex_lock(p);
  if (r) {
    munmap(p, sizeof(pthread_mutex_t));
    return utrace_throw(env, r, "pthread_mutex_lock", -1);
  }
  locks[slot].fd = (int)fd;
  locks[slot].m = p;
  return make_undefined(env);
}

/* deathUnlock(fd): a goodbye: unlock (the helper then takes the lock and finds the table
 * empty) and unmap. Must be called by the thread that locked. */
static napi_value n_death_unlock(napi_env env, napi_callback_info info) {
  static const char u[] = "deathUnlock(fd)";
  napi_value argv[1];
  if (arg_count(env, info, 1, argv, u) < 0) return NULL;
  int64_t fd;
  if (arg_i64(env, argv[0], &fd, u) < 0) return NULL;
  for (int i = 0; i < MAX_LOCKS; i++) {
    if (locks[i].m && locks[i].fd == fd) {
      pthread_mutex_unlock(locks[i].m);
      munmap(locks[i].m, sizeof(pthread_mutex_t));
      locks[i].m = NULL;
      break;
    }
  }
  return make_undefined(env);
}

static pthread_mutex_t *sentinel_lock;
static pthread_mutex_t sentinel_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sentinel_cv = PTHREAD_COND_INITIALIZER;
static int sentinel_state; /* 0 not started, 1 holding the lock, -errno failed */

static void *sentinel_main(void *arg) {
  (void)arg;
  struct sched_param rt = {.sched_priority = 1};
  (void)pthread_setschedparam(pthread_self(), SCHED_FIFO, &rt);
  int r = pthread_mutex_lock(sentinel_lock);
  pthread_mutex_lock(&sentinel_mu);
  sentinel_state = r ? -r : 1;
  pthread_cond_signal(&sentinel_cv);
  pthread_mutex_unlock(&sentinel_mu);
  if (r) return NULL;
  for (;;) pause(); /* every signal is blocked: only our death ends this */
}

/* deathSentinel(fd): once per process, the sentinel thread holding a robust process-shared
 * mutex at offset 0 of fd (a file of at least a page) until we die. Later calls: nothing. */
static napi_value n_death_sentinel(napi_env env, napi_callback_info info) {
  static const char u[] = "deathSentinel(fd)";
  napi_value argv[1];
  if (arg_count(env, info, 1, argv, u) < 0) return NULL;
  int64_t fd;
  if (arg_i64(env, argv[0], &fd, u) < 0) return NULL;
  if (sentinel_state == 1) return make_undefined(env);
  pthread_mutex_t *p = NULL;
  const char *what;
  int r = robust_mutex_at((int)fd, &p, &what);
  if (r) return utrace_throw(env, r, what, -1);
  pthread_t t;
  pthread_attr_t ta;
  sigset_t all, old;
  if (!r) {
    sentinel_lock = p;
    sentinel_state = 0;
    pthread_attr_init(&ta);
    pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&ta, 64 * 1024);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* inherited: no signal of Node's goes there */
    r = pthread_create(&t, &ta, sentinel_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&ta);
  }
  if (!r) {
    pthread_mutex_lock(&sentinel_mu);
    while (sentinel_state == 0) pthread_cond_wait(&sentinel_cv, &sentinel_mu);
    if (sentinel_state < 0) r = -sentinel_state;
    pthread_mutex_unlock(&sentinel_mu);
  }
  if (r) {
    munmap(p, sizeof(pthread_mutex_t));
    sentinel_lock = NULL;
    sentinel_state = 0;
    return utrace_throw(env, r, "deathSentinel", -1);
  }
  return make_undefined(env);
}

void deathlock_register(napi_env env, napi_value exports) {
  EXPORT_FN(env, exports, "deathSentinel", n_death_sentinel);
  EXPORT_FN(env, exports, "deathLock", n_death_lock);
  EXPORT_FN(env, exports, "deathUnlock", n_death_unlock);
}
