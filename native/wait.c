/*
 * Waiting for tracee stops without stealing anyone else's children, and without blocking
 * the Node event loop.
 *
 * Design record (numbers in docs/design.md):
 *  - ptrace requests must come from the attaching thread, so every request is issued by the
 *    JS main thread through synchronous calls (ptrace_ops.c). Waiting can be done from any
 *    thread of the process (do_wait walks every thread's children and tracees).
 *  - waitpid(-1) would reap libuv's child_process children (libuv waits for each of its own
 *    pids with WNOHANG on SIGCHLD). We therefore only *peek* with waitid(P_ALL, WNOWAIT) and
 *    consume a status only when it is ours: a ptrace stop (si_code CLD_TRAPPED, which only a
 *    tracer can see) or the exit of a pid in the tracked set. When a foreign zombie sits in
 *    front, we poll the tracked pids one by one instead; a former tracee left to us as a pid
 *    namespace's init is reaped (reap.c), another foreign one looked at less and less often.
 *    A stop alone is taken in one syscall (take_trapped): waitid without WEXITED never reaps.
 *  - Hot path: after handling a stop, JS calls waitFast(), which resumes and blocks for a
 *    bounded time (see "bounded blocking" below). A busy tracee's next stop usually arrives
 *    within microseconds, so most stops never go through the event loop (as fast as C).
 *  - Several busy threads are served in turn: the stops waitable at once are taken together
 *    and handed out in order (rounds, below), as strace does.
 *  - Idle path: when waitFast() finds nothing, JS arms the waiter thread, which blocks in
 *    waitid(WNOWAIT) and wakes JS through one threadsafe function. It never consumes a
 *    status, so the two paths cannot race for one; it disarms itself before notifying so an
 *    event costs at most one notification.
 * Rejected: a waiter thread that consumes statuses and queues them (every stop pays a thread
 * hop plus the event loop, ~13 us); waitpid(-1) (steals libuv's children); pidfds (they do
 * not report ptrace stops); a dedicated tracer thread (every register access would need a
 * cross-thread round trip).
 */
#define _GNU_SOURCE /* REG_RIP, REG_RAX */
#include "utrace.h"

#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef PTRACE_GET_SYSCALL_INFO
#define PTRACE_GET_SYSCALL_INFO 0x420e
#endif
#ifndef PTRACE_EVENT_SECCOMP
#define PTRACE_EVENT_SECCOMP 7
#endif

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

/* ---- tracked pid set (open addressing; guarded by mu) ---- */
static pid_t *tracked;              /* 0 = empty, -1 = removed, >0 = pid */
static size_t tracked_cap, tracked_len, tracked_used; /* used counts removed slots too */

static void tracked_insert_nolock(pid_t pid) {
  size_t mask = tracked_cap - 1, i = (size_t)pid * 2654435761u & mask;
  while (tracked[i] > 0) i = (i + 1) & mask;
  if (tracked[i] < 0) tracked_used--; /* reusing a removed slot */
  tracked[i] = pid;
  tracked_len++;
  tracked_used++;
}

static void tracked_grow(void) {
  pid_t *old = tracked;
  size_t oldcap = tracked_cap;
  /* Rehash drops removed slots; grow only if the live pids need it. */
  tracked_cap = oldcap ? oldcap : 64;
  while ((tracked_len + 1) * 2 > tracked_cap) tracked_cap *= 2;
  tracked = calloc(tracked_cap, sizeof(pid_t));
  tracked_len = tracked_used = 0;
  for (size_t i = 0; i < oldcap; i++)
    if (old[i] > 0) tracked_insert_nolock(old[i]);
  free(old);
}

static int tracked_has_nolock(pid_t pid);

void tracked_add(pid_t pid) {
  pthread_mutex_lock(&mu);
  if (tracked_has_nolock(pid)) {
    pthread_mutex_unlock(&mu);
    return;
  }
  if ((tracked_used + 1) * 2 > tracked_cap) tracked_grow();
  tracked_insert_nolock(pid);
  pthread_mutex_unlock(&mu);
}

static int tracked_has_nolock(pid_t pid) {
  if (!tracked_cap) return 0;
  size_t mask = tracked_cap - 1, i = (size_t)pid * 2654435761u & mask;
  while (tracked[i] != 0) {
    if (tracked[i] == pid) return 1;
    i = (i + 1) & mask;
  }
  return 0;
}

int tracked_has(pid_t pid) {
  pthread_mutex_lock(&mu);
  int r = tracked_has_nolock(pid);
  pthread_mutex_unlock(&mu);
  return r;
}

void tracked_remove(pid_t pid) {
  pthread_mutex_lock(&mu);
  if (tracked_cap) {
    size_t mask = tracked_cap - 1, i = (size_t)pid * 2654435761u & mask;
    while (tracked[i] != 0) {
      if (tracked[i] == pid) {
        tracked[i] = -1; /* tombstone */
        tracked_len--;
        break;
      }
      i = (i + 1) & mask;
    }
  }
  pthread_mutex_unlock(&mu);
}

/* Snapshot of tracked pids for polling when a foreign zombie hides ours. */
static size_t tracked_snapshot(pid_t **out) {
  pthread_mutex_lock(&mu);
  size_t n = 0;
  pid_t *s = malloc((tracked_len + 1) * sizeof(pid_t));
  for (size_t i = 0; i < tracked_cap; i++)
    if (tracked[i] > 0) s[n++] = tracked[i];
  pthread_mutex_unlock(&mu);
  *out = s;
  return n;
}

/* Is the waitable pid found by a WNOWAIT peek ours to consume? */
static int is_ours(const siginfo_t *si) {
  return si->si_code == CLD_TRAPPED || tracked_has(si->si_pid);
}

/* Find one waitable pid of ours without consuming anything. Returns pid, 0 if none, -errno.
 * *foreign (if given) is set to a foreign child found in front: libuv's, or a stray (reap.c). */
static pid_t peek_ours(int32_t *foreign) {
  siginfo_t si;
  do {
    memset(&si, 0, sizeof si);
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) < 0) return -errno;
    if (si.si_pid == 0) return 0;
    if (is_ours(&si)) return si.si_pid;
    /* A former tracee left to us (we are a pid namespace's init): reaped, look again. */
  } while (reap_former(si.si_pid));
  if (foreign) *foreign = si.si_pid;
  /* A foreign child is in front: look at ours one by one. */
  pid_t *pids;
  size_t n = tracked_snapshot(&pids);
  pid_t found = 0;
  for (size_t i = 0; i < n && !found; i++) {
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, pids[i], &si, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0 && si.si_pid)
      found = si.si_pid;
  }
  free(pids);
  return found;
}

/* A stop and its syscall info, in wait_next_core's out[]: [tid, status, sysinfo length or -errno]. */
static void fill_stop(int32_t *out, pid_t pid, int status, void *sysinfo, size_t sysinfo_len) {
  if (!WIFSTOPPED(status)) reap_exited(pid);
  out[0] = pid;
  out[1] = status;
  out[2] = 0;
  if (sysinfo && sysinfo_len > 0 && WIFSTOPPED(status) &&
      (WSTOPSIG(status) == (SIGTRAP | 0x80) ||
       (status >> 8) == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8)))) {
    long n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sysinfo_len, sysinfo);
    out[2] = n < 0 ? -errno : (int32_t)n;
  }
}

/* Consume pid's status; if it is a syscall or seccomp stop, also fetch the syscall info so
 * the hot path needs no second crossing. out = [pid, status, sysinfoLen, 0]. */
static int consume(pid_t pid, int32_t *out, void *sysinfo, size_t sysinfo_len) {
  int status;
  pid_t r = waitpid(pid, &status, __WALL | WNOHANG);
  if (r <= 0) return r < 0 ? -errno : 0;
  fill_stop(out, r, status, sysinfo, sysinfo_len);
  return 1;
}

/* Consume one ptrace stop of any tracee in one syscall, where the peek and consume above take
 * two: waitid without WEXITED reports no exits at all (so no child of libuv's is reaped), and
 * a tracee's stops are reported whatever the flags (CLD_TRAPPED). WSTOPPED also consumes the
 * job-control stop of an untraced child (CLD_STOPPED), which nobody else asks for (libuv waits
 * for exits only): it is dropped. 1 = a stop (tid, status), 0 = none (exits, if any, are the
 * peek's). */
static int take_raw(pid_t *tid, int *status) {
  for (;;) {
    siginfo_t si;
    si.si_pid = 0;
    if (waitid(P_ALL, 0, &si, WSTOPPED | WNOHANG | __WALL) < 0 || si.si_pid == 0) return 0;
    if (si.si_code != CLD_TRAPPED) continue;
    *tid = si.si_pid;
    /* waitid's si_status is the whole stop code (event << 8 | signal); waitpid's form: */
    *status = si.si_status << 8 | 0x7f;
    return 1;
  }
}

/* take_raw, with the stop in out[] and its syscall info (fill_stop). */
static int take_trapped(int32_t *out, void *sysinfo, size_t sysinfo_len) {
  pid_t tid;
  int status;
  if (!take_raw(&tid, &status)) return 0;
  fill_stop(out, tid, status, sysinfo, sysinfo_len);
  return 1;
}

/* ---- rounds: the stops waitable at once, served in turn ----
 * waitid hands out the first waitable tracee in the kernel's list order, so a thread that
 * stops again before the tracer's next look is served again ahead of threads that have waited
 * longer: of 4 threads making 25000 getppid calls each under -f, two made about 23500 calls
 * in the first half of the trace and the other two about 1500. strace serves them in turn.
 * So, like strace, when a syscall stop is taken every other stop waitable then is taken too
 * (one waitid each, and one that finds none), and they are handed out in that order before
 * the next round is taken.
 * A stop taken ahead is consumed in the kernel, so every wait looks here first (waitFast,
 * waitPid), and a restart or detach of the thread forgets it, as the kernel forgets a stop
 * nobody waited for. Only syscall stops wait in a round: meanwhile the thread may have been
 * killed, or replaced by another thread's execve (which takes the leader's tid), and its
 * syscall info tells which (no thread, or no syscall stop any more): such a stop is dropped
 * and the thread's real state comes through waitid. A signal or event stop taken in a round
 * is handed out at once. */
#define ROUND_MAX 64
static struct { pid_t tid; int status; } round_q[ROUND_MAX];
static unsigned round_head, round_len;

#define SYSCALL_INFO_NONE 0
#define SYSCALL_INFO_SECCOMP 3

static int is_seccomp_stop(int status) {
  return WIFSTOPPED(status) && (status >> 8) == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8));
}

static int is_syscall_stop(int status) {
  return WIFSTOPPED(status) && (WSTOPSIG(status) == (SIGTRAP | 0x80) || is_seccomp_stop(status));
}

static void round_push(pid_t tid, int status) {
  unsigned k = (round_head + round_len) % ROUND_MAX;
  round_q[k].tid = tid;
  round_q[k].status = status;
  round_len++;
}

/* Remove tid's stop from the round: 1 (and its status) if it had one. */
static int round_remove(pid_t tid, int *status) {
  for (unsigned i = 0; i < round_len; i++) {
    if (round_q[(round_head + i) % ROUND_MAX].tid != tid) continue;
    if (status) *status = round_q[(round_head + i) % ROUND_MAX].status;
    for (unsigned j = i; j + 1 < round_len; j++)
      round_q[(round_head + j) % ROUND_MAX] = round_q[(round_head + j + 1) % ROUND_MAX];
    round_len--;
    return 1;
  }
  return 0;
}

void wait_forget(pid_t tid) {
  if (round_len) round_remove(tid, NULL);
}

/* A stop that waited in a round, if the thread is still in it: out[] as fill_stop, with the
 * syscall info read into sysinfo (or, if not wanted, a scratch buffer: it is the test). */
static int round_stop_holds(pid_t tid, int status, int32_t *out, void *sysinfo, size_t sysinfo_len) {
  unsigned char scratch[128];
  void *buf = sysinfo && sysinfo_len > 0 ? sysinfo : scratch;
  size_t len = buf == scratch ? sizeof scratch : sysinfo_len;
  long n = ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)len, buf);
  if (n <= 0) return 0; /* gone (ESRCH), or not stopped any more */
  unsigned op = *(unsigned char *)buf;
  if (op == SYSCALL_INFO_NONE || (op == SYSCALL_INFO_SECCOMP) != is_seccomp_stop(status)) return 0;
  out[0] = tid;
  out[1] = status;
  out[2] = buf == scratch ? 0 : (int32_t)n;
  return 1;
}

static int round_next(int32_t *out, void *sysinfo, size_t sysinfo_len) {
  while (round_len) {
    pid_t tid = round_q[round_head].tid;
    int status = round_q[round_head].status;
    round_head = (round_head + 1) % ROUND_MAX;
    round_len--;
    if (round_stop_holds(tid, status, out, sysinfo, sysinfo_len)) return 1;
  }
  return 0;
}

/* take_trapped, and behind a syscall stop the rest of its round. */
static int take_round(int32_t *out, void *sysinfo, size_t sysinfo_len) {
  pid_t tid, t2;
  int status, s2;
  if (!take_raw(&tid, &status)) return 0;
  if (is_syscall_stop(status)) {
    while (round_len < ROUND_MAX && take_raw(&t2, &s2)) {
      if (!is_syscall_stop(s2)) {
        round_push(tid, status);
        fill_stop(out, t2, s2, sysinfo, sysinfo_len);
        return 1;
      }
      round_push(t2, s2);
    }
  }
  fill_stop(out, tid, status, sysinfo, sysinfo_len);
  return 1;
}

/* A small detached thread that takes none of the process's signals (those are Node's: SIGINT
 * handlers, SIGCHLD for libuv). Returns 0 or an errno. */
static int start_helper_thread(pthread_t *t, void *(*fn)(void *)) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int e = pthread_create(t, &attr, fn, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  return e;
}

/* ---- bounded blocking ----
 * Blocking in waitpid lets the scheduler hand our CPU to the tracee, which is cheaper than
 * spinning (measured 2.8 vs 3.7 us/stop on the 2-core VM). The block must be bounded, or a
 * quiet tracee would freeze the event loop. Arming a timer per stop costs more than the stop
 * itself in a VM (timer programming exits to the hypervisor: 9 us/stop measured), so a
 * watchdog thread looks every half of the bound the caller gives (wait_ctl.block_us, Tracer.blockMicros)
 * and, when the main thread has sat in the same wait for two looks, interrupts it with a
 * signal: a quiet tracee holds the event loop for at most that bound. Each look costs a
 * wake-up and two context switches on the main thread's CPU: a busy trace ran about 4% faster
 * with looks every 2 ms than every 500 us (2-core VM), so the bound is the drain's own 4 ms
 * slice rather than shorter.
 * On x86_64 the handler is SA_RESTART, so any other syscall it lands in restarts
 * transparently; only when it finds the main thread in our wait about to be restarted (RIP
 * at the `syscall` instruction, RAX the wait4/waitid number, as the kernel leaves an
 * -ERESTARTSYS call) does it turn the restart into -EINTR. That costs nothing per stop.
 * Elsewhere the signal is unblocked only around the wait (two sigprocmask calls per stop). */
/* Half the bound, in us: set by every bounded wait, read by the watchdog. */
static volatile long watch_period_us = 2000;
static pthread_t main_thread, watchdog;
static int watch_ready;
static sigset_t watch_set;
static volatile sig_atomic_t in_wait, ticked;
static volatile unsigned long wait_gen;
static volatile int draining;
static pthread_mutex_t wmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wcv = PTHREAD_COND_INITIALIZER;

#if defined(__x86_64__)
#include <sys/ucontext.h>
#define WATCH_EDITS_CONTEXT 1
static void on_watch(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)si;
  if (!in_wait) return;
  greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
  const unsigned char *ip = (const unsigned char *)g[REG_RIP];
  if ((g[REG_RAX] == SYS_wait4 || g[REG_RAX] == SYS_waitid) && ip[0] == 0x0f && ip[1] == 0x05) {
    g[REG_RAX] = -EINTR; /* return EINTR instead of restarting the wait */
    g[REG_RIP] += 2;
    ticked = 1;
  }
}
#else
#define WATCH_EDITS_CONTEXT 0
static void on_watch(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)si;
  (void)ctx;
  ticked = 1;
}
#endif

static void *watchdog_main(void *arg) {
  (void)arg;
  unsigned long seen = 0;
  int strikes = 0;
  for (;;) {
    pthread_mutex_lock(&wmu);
    while (!draining) pthread_cond_wait(&wcv, &wmu);
    pthread_mutex_unlock(&wmu);
    long us = watch_period_us;
    struct timespec ts = {us / 1000000, us % 1000000 * 1000};
    nanosleep(&ts, NULL);
    unsigned long g = wait_gen;
    /* Interrupt only a wait during which no stop arrived for a whole period. */
    if (in_wait && g == seen) {
      if (++strikes >= 2) {
        pthread_kill(main_thread, SIGRTMAX - 3);
        strikes = 0;
      }
    } else strikes = 0;
    seen = g;
  }
  return NULL;
}

static int watch_init(void) {
  if (watch_ready) return 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_watch;
  /* Without context editing, EINTR must come from the kernel: no SA_RESTART, and the signal
   * stays blocked outside our waits. */
  sa.sa_flags = SA_SIGINFO | (WATCH_EDITS_CONTEXT ? SA_RESTART : 0);
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGRTMAX - 3, &sa, NULL) < 0) return -errno;
  sigemptyset(&watch_set);
  sigaddset(&watch_set, SIGRTMAX - 3);
  pthread_sigmask(WATCH_EDITS_CONTEXT ? SIG_UNBLOCK : SIG_BLOCK, &watch_set, NULL);
  main_thread = pthread_self();
  int e = start_helper_thread(&watchdog, watchdog_main);
  if (e) return -e;
  watch_ready = 1;
  return 0;
}

/* drainActive(on): the main thread is (not) in a drain loop; the watchdog runs only then. */
static napi_value n_drain_active(napi_env env, napi_callback_info info) {
  static const char *u = "drainActive(on)";
  napi_value argv[1];
  if (arg_count(env, info, 1, argv, u) < 0) return NULL;
  bool on;
  napi_get_value_bool(env, argv[0], &on);
  if (on && watch_init() < 0) return make_i64(env, 0);
  pthread_mutex_lock(&wmu);
  draining = on;
  if (on) pthread_cond_signal(&wcv);
  pthread_mutex_unlock(&wmu);
  return make_i64(env, 1);
}

static void wait_begin(void) {
  ticked = 0;
  wait_gen++;
  in_wait = 1;
  if (!WATCH_EDITS_CONTEXT) pthread_sigmask(SIG_UNBLOCK, &watch_set, NULL);
}

static int wait_end(void) {
  if (!WATCH_EDITS_CONTEXT) pthread_sigmask(SIG_BLOCK, &watch_set, NULL);
  in_wait = 0;
  return ticked;
}

/* readBounded(fd, buf): wait for the descriptor under the same bound as the waits (the
 * watchdog's signal ends a poll with EINTR: poll is never restarted after a handler ran,
 * SA_RESTART or not), then read once. Bytes read (0 = end of file), -EINTR when the bound
 * (or any signal) ended the wait, or -errno. For a peer that usually answers within
 * microseconds (gdb): its next request is read without a turn of the event loop. */
static napi_value n_read_bounded(napi_env env, napi_callback_info info) {
  static const char *u = "readBounded(fd, buf)";
  napi_value argv[2];
  if (arg_count(env, info, 2, argv, u) < 0) return NULL;
  int64_t fd;
  void *buf;
  size_t len;
  if (arg_i64(env, argv[0], &fd, u) < 0 || arg_buffer(env, argv[1], &buf, &len, u) < 0) return NULL;
  for (;;) {
    /* Poll first: the descriptor may be in blocking mode, and a read must never block. */
    struct pollfd pfd = {(int)fd, POLLIN, 0};
    wait_begin();
    int r = poll(&pfd, 1, -1);
    int e = errno;
    wait_end();
    if (r < 0) return make_i64(env, -e);
    ssize_t n = read((int)fd, buf, len);
    if (n >= 0) return make_i64(env, n);
    if (errno != EAGAIN && errno != EINTR) return make_i64(env, -errno);
  }
}

/* One bounded blocking wait: waitpid's result, or -2 when the watchdog interrupted it. */
static pid_t bounded_waitpid(pid_t pid, int *status) {
  wait_begin();
  pid_t r = waitpid(pid, status, __WALL);
  int e = errno;
  wait_end();
  if (r < 0 && e == EINTR) return -2;
  errno = e;
  return r;
}

static int bounded_waitid(siginfo_t *si) {
  wait_begin();
  int r = waitid(P_ALL, 0, si, WEXITED | WNOWAIT | __WALL);
  int e = errno;
  wait_end();
  if (r < 0 && e == EINTR) return -2;
  errno = e;
  return r;
}

/* The wait: 1 event in out[0..2] (tid, status, syscall-info length or -errno), 0 none, -1 no
 * children at all. Looks for a stop of ours; if there is none and spin (µs) > 0, blocks for
 * at most about that long (the watchdog's bound, see above). hint > 0 says "this is the only
 * thread running": the block is then a direct waitpid on it (one syscall per stop); otherwise
 * it is a WNOWAIT peek over all children followed by a consume. */
#define PEEK_EVERY 16
static unsigned fast_turn;

static int wait_next_core(int32_t *out, void *sysinfo, size_t silen, double spin, int32_t hint,
                          int32_t *foreign) {
  void *outp = out;
  if (round_len && round_next(out, sysinfo, silen)) return 1;
  /* With a hint and a budget, go straight to the blocking waitpid: the hinted thread was
   * just resumed, so a non-blocking look first would almost always find nothing. */
  int may_block = spin > 0 && watch_ready && draining;
  if (hint <= 0 || spin <= 0) {
    /* Stops first, in one syscall each; every PEEK_EVERY-th look, and when there is no stop,
     * exits too (a dead thread is reaped soon even while others keep stopping). The blocking
     * wait below returns at once for an exit: before it, that look would be one more syscall. */
    int turn = ++fast_turn % PEEK_EVERY;
    if (turn && (hint <= 0 ? take_round(out, sysinfo, silen) : take_trapped(out, sysinfo, silen))) return 1;
    if (!turn || !may_block) {
      pid_t pid = peek_ours(foreign);
      if (pid == -ECHILD) return -1;
      if (pid > 0 && consume(pid, outp, sysinfo, silen) > 0) return 1;
    }
  }
  if (!may_block) return 0;
  watch_period_us = spin >= 200 ? (long)(spin / 2) : 100;
  int found = 0, interrupted = 0;
  while (!found && !interrupted) {
    if (hint > 0) {
      int status;
      pid_t r = bounded_waitpid(hint, &status);
      if (r == -2) {
        interrupted = 1;
        continue;
      }
      if (r == hint) {
        fill_stop(out, r, status, sysinfo, silen);
        found = 1;
      } else if (r < 0 && errno != EINTR) {
        hint = 0;
      }
    } else {
      siginfo_t si;
      memset(&si, 0, sizeof si);
      int w = bounded_waitid(&si);
      if (w == -2) {
        interrupted = 1;
        continue;
      }
      if (w == 0 && si.si_pid) {
        if (is_ours(&si)) found = consume(si.si_pid, outp, sysinfo, silen) > 0;
        else {
          pid_t p = peek_ours(foreign);
          if (p > 0) found = consume(p, outp, sysinfo, silen) > 0;
          else break; /* a foreign zombie in front: let the waiter thread handle it */
        }
      } else if (errno == ECHILD) {
        break;
      }
    }
  }
  return found;
}

/* Restart a thread before waiting (fused resume+wait): 0 or -errno. */
static int32_t pre_resume(int32_t tid, int64_t req, int64_t sig) {
  switch (req) {
    case PTRACE_CONT: case PTRACE_SYSCALL: case PTRACE_SINGLESTEP: case PTRACE_SINGLEBLOCK:
    case PTRACE_LISTEN:
      break;
    default:
      return -EINVAL;
  }
  wait_forget(tid);
  return ptrace((enum __ptrace_request)req, (pid_t)tid, 0, (void *)(long)sig) < 0 ? -errno : 0;
}

/* The hot path, without argument conversions: waitSetup(ctl, sysinfo) once, then waitFast()
 * reads its inputs from the block and writes its outputs there. With a resume_tid it first
 * restarts that thread (CONT, SYSCALL, SINGLESTEP, SINGLEBLOCK or LISTEN): resume and wait in
 * one call from JS, as a C loop does. The block is an Int32Array(16) on the JS side; its field
 * offsets are exported (waitCtlLayout) and src/core/waitHub.ts checks its own names against
 * them when it loads, so the two sides cannot drift apart. The arrays are kept referenced. */
struct wait_ctl {
  int32_t block_us;   /* in: longest blocking wait (us); 0 peeks */
  int32_t hint_tid;   /* in: the one running thread worth blocking for; 0: any */
  int32_t resume_tid; /* in: restart this thread first (0: none); cleared once made */
  int32_t resume_req; /* in: its ptrace request */
  int32_t resume_sig; /* in: its signal */
  int32_t want_sysinfo; /* in: fetch a syscall stop's info into the sysinfo buffer (1) or not (0) */
  int32_t unused_in[2];
  int32_t tid;        /* out: the thread with an event (as wait_next_core) */
  int32_t status;     /* out: its wait status */
  int32_t silen;      /* out: syscall-info length, or -errno */
  int32_t resume_err; /* out: 0, or -errno of the restart */
  int32_t foreign;    /* out: a foreign child seen in front (libuv's or a stray), or 0 */
  int32_t unused_out[3];
};
_Static_assert(sizeof(struct wait_ctl) == 16 * sizeof(int32_t), "ctl is an Int32Array(16)");
_Static_assert(offsetof(struct wait_ctl, status) == offsetof(struct wait_ctl, tid) + 4 &&
                   offsetof(struct wait_ctl, silen) == offsetof(struct wait_ctl, tid) + 8,
               "wait_next_core writes tid, status, silen in a row");

static struct wait_ctl *fast_ctl;
static void *fast_si;
static size_t fast_silen;
static napi_ref fast_refs[2];

static napi_value n_wait_setup(napi_env env, napi_callback_info info) {
  static const char *u = "waitSetup(ctl: Int32Array(16), sysinfo: Uint8Array)";
  napi_value argv[2];
  if (arg_count(env, info, 2, argv, u) < 0) return NULL;
  void *c, *si;
  size_t cl, sl;
  if (arg_buffer(env, argv[0], &c, &cl, u) < 0 || arg_buffer(env, argv[1], &si, &sl, u) < 0) return NULL;
  if (cl < sizeof(struct wait_ctl)) return utrace_throw_type(env, u);
  for (int i = 0; i < 2; i++) {
    if (fast_refs[i]) napi_delete_reference(env, fast_refs[i]);
    napi_create_reference(env, argv[i], 1, &fast_refs[i]);
  }
  fast_ctl = c;
  fast_si = si;
  fast_silen = sl;
  return make_undefined(env);
}

static napi_value n_wait_fast(napi_env env, napi_callback_info info) {
  (void)info;
  if (!fast_ctl) return utrace_throw_type(env, "waitFast() needs waitSetup() first");
  struct wait_ctl *c = fast_ctl;
  if (c->resume_tid > 0) {
    c->resume_err = pre_resume(c->resume_tid, c->resume_req, c->resume_sig);
    c->resume_tid = 0;
  }
  c->foreign = 0;
  /* The info in the same crossing, for an engine that reads every call (PTRACE_GET_SYSCALL_INFO
   * costs a syscall: only when JS says the last syscall stops read it). */
  size_t silen = c->want_sysinfo ? fast_silen : 0;
  return make_i64(env, wait_next_core(&c->tid, fast_si, silen, (double)c->block_us, c->hint_tid, &c->foreign));
}

/* waitCtlLayout() -> { field: index in the Int32Array } for every field of struct wait_ctl. */
static napi_value n_wait_ctl_layout(napi_env env, napi_callback_info info) {
  (void)info;
  static const struct { const char *name; size_t off; } fields[] = {
    {"blockMicros", offsetof(struct wait_ctl, block_us)},
    {"hintTid", offsetof(struct wait_ctl, hint_tid)},
    {"resumeTid", offsetof(struct wait_ctl, resume_tid)},
    {"resumeRequest", offsetof(struct wait_ctl, resume_req)},
    {"resumeSignal", offsetof(struct wait_ctl, resume_sig)},
    {"wantSysinfo", offsetof(struct wait_ctl, want_sysinfo)},
    {"tid", offsetof(struct wait_ctl, tid)},
    {"status", offsetof(struct wait_ctl, status)},
    {"sysinfoLength", offsetof(struct wait_ctl, silen)},
    {"resumeError", offsetof(struct wait_ctl, resume_err)},
    {"foreign", offsetof(struct wait_ctl, foreign)},
  };
  napi_value obj;
  napi_create_object(env, &obj);
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    napi_set_named_property(env, obj, fields[i].name, make_i64(env, (int64_t)(fields[i].off / sizeof(int32_t))));
  return obj;
}

/* waitPid(pid, out, blocking) -> 1 event, 0 none (non-blocking). For one known pid, e.g.
 * while spawning or killing. */
static napi_value n_wait_pid(napi_env env, napi_callback_info info) {
  static const char *u = "waitPid(pid, out, blocking)";
  napi_value argv[3];
  if (arg_count(env, info, 3, argv, u) < 0) return NULL;
  int64_t pid;
  void *outp;
  size_t outlen;
  bool blocking;
  if (arg_i64(env, argv[0], &pid, u) < 0 || arg_buffer(env, argv[1], &outp, &outlen, u) < 0)
    return NULL;
  if (outlen < 16) return utrace_throw_type(env, u);
  napi_get_value_bool(env, argv[2], &blocking);
  int status;
  pid_t r;
  if (pid > 0 && round_len && round_remove((pid_t)pid, &status) &&
      round_stop_holds((pid_t)pid, status, outp, NULL, 0))
    return make_i64(env, 1);
  do r = waitpid((pid_t)pid, &status, __WALL | (blocking ? 0 : WNOHANG));
  while (r < 0 && errno == EINTR);
  if (r < 0) return utrace_throw(env, errno, "waitpid", pid);
  if (r == 0) return make_i64(env, 0);
  if (!WIFSTOPPED(status)) reap_exited(r);
  int32_t *out = outp;
  out[0] = r;
  out[1] = status;
  out[2] = 0;
  return make_i64(env, 1);
}

/* ---- waiter thread ---- */
static napi_threadsafe_function tsfn;
static pthread_t waiter;
static int armed, started;
static const char stray_tag = 1; /* a notification's data: "a stray may be in front" */

/* A foreign child in front of the others: libuv reaps its own soon (1 ms); a stray (reap.c)
 * is JS's to reap: it is told after the same pause (notify 2). One that stays (libuv's for a
 * while, or one JS leaves) is looked at less and less often, up to every
 * FOREIGN_PAUSE_MAX_NS, instead of spinning on it. */
#define FOREIGN_PAUSE_MAX_NS 16000000L

static void *waiter_main(void *arg) {
  (void)arg;
  pid_t foreign = 0;
  long foreign_ns = 0;
  pthread_mutex_lock(&mu);
  for (;;) {
    while (!armed) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r = waitid(P_ALL, 0, &si, WEXITED | WNOWAIT | __WALL);
    int err = errno;
    int notify = 0;
    struct timespec pause = {0, 0};
    if (r == 0 && si.si_pid) {
      if (is_ours(&si)) notify = 1;
      else {
        pid_t p = peek_ours(NULL);
        if (p > 0) notify = 1;
        else if (p == 0) {
          notify = 2;
          /* Former tracees behind it (waitid reports the same child first each time). */
          reap_formers();
          foreign_ns = si.si_pid != foreign ? 1000000
                       : foreign_ns * 2 < FOREIGN_PAUSE_MAX_NS ? foreign_ns * 2 : FOREIGN_PAUSE_MAX_NS;
          foreign = si.si_pid;
          pause.tv_nsec = foreign_ns;
        }
      }
    } else if (r < 0 && err == ECHILD) {
      pause.tv_nsec = 5000000; /* nothing to wait for yet; JS may spawn soon */
    }
    if (pause.tv_nsec) nanosleep(&pause, NULL);
    pthread_mutex_lock(&mu);
    if (notify && armed) {
      armed = 0;
      pthread_mutex_unlock(&mu);
      napi_call_threadsafe_function(tsfn, notify == 2 ? (void *)&stray_tag : NULL, napi_tsfn_nonblocking);
      pthread_mutex_lock(&mu);
    }
  }
  return NULL;
}

/* The callback's argument: true when a foreign child is in front and nothing of ours waits. */
static void call_js(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)context;
  if (!env) return;
  napi_value undef, stray;
  napi_get_undefined(env, &undef);
  napi_get_boolean(env, data == &stray_tag, &stray);
  napi_call_function(env, undef, js_cb, 1, &stray, NULL);
}

/* waiterStart(callback): once per process. The callback runs on the JS thread when an
 * event of ours is waitable and the waiter was armed, or (argument true) when a foreign child
 * that may be a stray (reap.c) sits in front with nothing of ours behind it. */
static napi_value n_waiter_start(napi_env env, napi_callback_info info) {
  static const char *u = "waiterStart(callback)";
  napi_value argv[1], name;
  if (arg_count(env, info, 1, argv, u) < 0) return NULL;
  if (started) return make_undefined(env);
  napi_create_string_utf8(env, "utrace-waiter", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, NULL, call_js,
                                      &tsfn) != napi_ok)
    return utrace_throw(env, EAGAIN, "napi_create_threadsafe_function", 0);
  napi_unref_threadsafe_function(env, tsfn);
  int e = start_helper_thread(&waiter, waiter_main);
  if (e) return utrace_throw(env, e, "pthread_create", 0);
  started = 1;
  return make_undefined(env);
}

/* waiterArm(armed): arm (true) or disarm (false). */
static napi_value n_waiter_arm(napi_env env, napi_callback_info info) {
  static const char *u = "waiterArm(armed)";
  napi_value argv[1];
  if (arg_count(env, info, 1, argv, u) < 0) return NULL;
  bool on;
  napi_get_value_bool(env, argv[0], &on);
  pthread_mutex_lock(&mu);
  armed = on;
  if (on) pthread_cond_signal(&cv);
  pthread_mutex_unlock(&mu);
  return make_undefined(env);
}

/* waiterRef(keepAlive): whether pending tracees keep the Node process alive. */
static napi_value n_waiter_ref(napi_env env, napi_callback_info info) {
  static const char *u = "waiterRef(keepAlive)";
  napi_value argv[1];
  if (arg_count(env, info, 1, argv, u) < 0) return NULL;
  bool on;
  napi_get_value_bool(env, argv[0], &on);
  if (started) {
    if (on) napi_ref_threadsafe_function(env, tsfn);
    else napi_unref_threadsafe_function(env, tsfn);
  }
  return make_undefined(env);
}

static napi_value n_track(napi_env env, napi_callback_info info) {
  static const char *u = "track(pid, on)";
  napi_value argv[2];
  if (arg_count(env, info, 2, argv, u) < 0) return NULL;
  int64_t pid;
  bool on;
  if (arg_i64(env, argv[0], &pid, u) < 0) return NULL;
  napi_get_value_bool(env, argv[1], &on);
  if (on) {
    tracked_add((pid_t)pid);
    reap_hold((pid_t)pid);
  } else {
    tracked_remove((pid_t)pid);
    reap_release((pid_t)pid);
  }
  return make_undefined(env);
}

void wait_register(napi_env env, napi_value exports) {
  EXPORT_FN(env, exports, "waitSetup", n_wait_setup);
  EXPORT_FN(env, exports, "waitFast", n_wait_fast);
  EXPORT_FN(env, exports, "waitCtlLayout", n_wait_ctl_layout);
  EXPORT_FN(env, exports, "waitPid", n_wait_pid);
  EXPORT_FN(env, exports, "drainActive", n_drain_active);
  EXPORT_FN(env, exports, "readBounded", n_read_bounded);
  EXPORT_FN(env, exports, "waiterStart", n_waiter_start);
  EXPORT_FN(env, exports, "waiterArm", n_waiter_arm);
  EXPORT_FN(env, exports, "waiterRef", n_waiter_ref);
  EXPORT_FN(env, exports, "track", n_track);
}
