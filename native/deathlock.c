/*
 * Death locks for the breakpoint watchdog (src/core/watchdog.ts, native/watchdog.c): a robust,
 * process-shared mutex in a file shared with the helper, locked by the thread that calls
 * deathLock (the tracer's thread: the one that made the ptrace attachments). When that thread
 * dies, the kernel marks the mutex's owner dead and wakes the helper waiting on it
 * (EOWNERDEAD), early in the thread's exit and before it lets its tracees go: the helper
 * hears of our death before the kernel releases the threads, whatever order our other threads
 * exit in (the descriptors the helper also watches close only when the last one exits).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>

#include "utrace.h"

#define MAX_LOCKS 256

static struct {
  int fd;
  pthread_mutex_t *m;
} locks[MAX_LOCKS];

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
  void *p = mmap(NULL, sizeof(pthread_mutex_t), PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
  if (p == MAP_FAILED) return utrace_throw(env, errno, "mmap", -1);
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  int r = pthread_mutex_init(p, &a);
  pthread_mutexattr_destroy(&a);
  if (!r) r = pthread_mutex_lock(p);
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

void deathlock_register(napi_env env, napi_value exports) {
  EXPORT_FN(env, exports, "deathLock", n_death_lock);
  EXPORT_FN(env, exports, "deathUnlock", n_death_unlock);
}
