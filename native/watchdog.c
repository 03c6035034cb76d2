/*
 * utrace-watchdog: puts our original bytes back in an attached process when utrace dies
 * (src/core/watchdog.ts starts one per attached process with breakpoints).
 *
 * argv: PID TRACER_PID. Descriptors, all opened by the tracer:
 *   0  a pipe the tracer never writes to: end of file means every holder of its write end is
 *      gone (the tracer died, or said goodbye after emptying the table);
 *   3  /proc/PID/mem (so we need no ptrace rights of our own);
 *   4  the breakpoint table: 16-byte slots (u64 address, u8 original byte, u8 in use = 1,
 *      padding), little-endian, kept up to date by the tracer with pwrite;
 *   5  (optional) the death lock: a robust process-shared mutex at offset 0, held by the
 *      tracer's thread (native/deathlock.c). Locking it returns EOWNERDEAD as soon as that
 *      thread dies, before the kernel lets the tracees go; 0 after a goodbye (unlocked);
 *   6  (optional) the sentinel's lock: held for as long as the tracer lives by a sleeping
 *      real-time thread of its own, never unlocked (native/deathlock.c): taking it means the
 *      tracer is dying, usually well before its main thread gets to its own exit on a loaded
 *      machine; a child of ours (a process: this static binary cannot bind pthread_create,
 *      native/glibc-compat.h) waits on it, writes every byte back at once and unlocks it for
 *      the tracer's other helpers; it dies with us (PR_SET_PDEATHSIG) after a goodbye.
 * When the lock (or, without one, the end of file) says the tracer is gone, every listed byte
 * is written back at once, again once the kernel has detached the process from the dead
 * tracer, and one line on stderr says what was done.
 *
 * Plain system calls only, no stdio and no allocation: it sits blocked in read() for as long
 * as breakpoints exist, so it should cost next to nothing (linked statically where possible).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MEM_FD 3
#define TABLE_FD 4
#define LOCK_FD 5
#define SENTINEL_FD 6
#define SLOT_SIZE 16

struct tally {
  unsigned listed, restored, failed;
};

/* Write every in-use slot's original byte back; the table is read in pages. */
static struct tally write_back(void) {
  struct tally t = {0, 0, 0};
  unsigned char page[4096];
  off_t off = 0;
  for (;;) {
    ssize_t n = pread(TABLE_FD, page, sizeof page, off);
    if (n < 0 && errno == EINTR) continue;
    if (n < SLOT_SIZE) break;
    for (ssize_t o = 0; o + SLOT_SIZE <= n; o += SLOT_SIZE) {
      if (page[o + 9] != 1) continue;
      uint64_t addr = 0;
      for (int i = 7; i >= 0; i--) addr = addr << 8 | page[o + i];
      t.listed++;
      if (pwrite(MEM_FD, &page[o + 8], 1, (off_t)addr) == 1) t.restored++;
      else t.failed++; /* the process, or that mapping, is gone */
    }
    off += n - n % SLOT_SIZE;
  }
  return t;
}

/* TracerPid of the process: its value, 0 when untraced, -1 when the process is gone. */
static long tracer_of(const char *status_path) {
  char buf[2048];
  int fd = open(status_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *p = strstr(buf, "\nTracerPid:");
  if (!p) return -1;
  p += 11;
  while (*p == ' ' || *p == '\t') p++;
  long v = 0;
  while (*p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
  return v;
}

/* When the sentinel's waiter woke (shared with it; zero: it did not). */
static struct timespec *sentinel_woke;

/* The sentinel's waiter, in a child process: its lock comes to it only when the tracer is
 * dying. */
static void sentinel_waiter(void *m, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0);
  int r;
  do r = pthread_mutex_lock(m); while (r == EAGAIN);
  if (r != 0 && r != EOWNERDEAD) _exit(0);
  clock_gettime(CLOCK_MONOTONIC, sentinel_woke);
  write_back();
  if (r == EOWNERDEAD) pthread_mutex_consistent(m);
  pthread_mutex_unlock(m); /* the next helper waiting on it */
  _exit(0);
}

static void *map_lock(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(pthread_mutex_t)) return MAP_FAILED;
  return mmap(NULL, sizeof(pthread_mutex_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
}

static long parse(const char *s) {
  long v = 0;
  if (!s || !*s) return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return -1;
    v = v * 10 + (*s - '0');
  }
  return v;
}

/* A small line builder: text and unsigned numbers. */
struct line {
  char buf[512];
  size_t len;
};
static void put(struct line *l, const char *s) {
  while (*s && l->len < sizeof l->buf - 1) l->buf[l->len++] = *s++;
}
static void putn(struct line *l, unsigned long v) {
  char d[24];
  int i = 0;
  do d[i++] = (char)('0' + v % 10); while ((v /= 10) && i < 24);
  while (i && l->len < sizeof l->buf - 1) l->buf[l->len++] = d[--i];
}

int main(int argc, char **argv) {
  long pid = argc > 1 ? parse(argv[1]) : -1;
  long tracer = argc > 2 ? parse(argv[2]) : -1;
  if (pid <= 0 || tracer <= 0) {
    static const char usage[] = "usage: utrace-watchdog PID TRACER_PID (started by utrace)\n";
    (void)!write(2, usage, sizeof usage - 1);
    return 2;
  }
  /* Our session has no terminal, but be sure: a hang-up or Ctrl-C meant for the tracer's
   * terminal does not end us; the pipe does. */
  const char *dbg = getenv("UTRACE_WATCHDOG_DEBUG");
  int debug = dbg && *dbg == '1';
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);

  /* Woken, we race the program to its next breakpoint: run at once, ahead of it and of any
   * other job (real-time where allowed, else the best nice value we may have). We sleep all
   * the rest of the time, so this takes nothing from anyone. */
  struct sched_param rt = {.sched_priority = 1};
  if (sched_setscheduler(0, SCHED_FIFO, &rt) != 0) (void)!setpriority(PRIO_PROCESS, 0, -20);

  void *sentinel = map_lock(SENTINEL_FD);
  sentinel_woke = mmap(NULL, sizeof *sentinel_woke, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sentinel_woke == MAP_FAILED) sentinel_woke = NULL;
  if (sentinel != MAP_FAILED && sentinel_woke) {
    pid_t self = getpid();
    if (fork() == 0) sentinel_waiter(sentinel, self);
    munmap(sentinel, sizeof(pthread_mutex_t));
  }
  close(SENTINEL_FD);
  void *lock = map_lock(LOCK_FD);
  int locked = -1;
  if (lock != MAP_FAILED) {
    do locked = pthread_mutex_lock((pthread_mutex_t *)lock); while (locked == EAGAIN);
  }
  if (locked != 0 && locked != EOWNERDEAD) {
    char sink[64];
    for (;;) {
      ssize_t n = read(0, sink, sizeof sink);
      if (n == 0) break;
      if (n < 0 && errno != EINTR) break;
    }
  }
  struct timespec tw, tf, td;
  clock_gettime(CLOCK_MONOTONIC, &tw);
  /* At once: a thread the kernel lets go must not meet a leftover int3. */
  struct tally first = write_back();
  clock_gettime(CLOCK_MONOTONIC, &tf);
  if (first.listed == 0) return 0; /* a goodbye, or nothing was inserted */

  /* Again once the kernel has detached every thread (the tracer's exit may still be under
   * way when the pipe closes): nothing should have changed, but this settles it. */
  struct line path = {{0}, 0};
  put(&path, "/proc/");
  putn(&path, (unsigned long)pid);
  put(&path, "/status");
  path.buf[path.len] = 0;
  for (int i = 0; i < 3000 && tracer_of(path.buf) == tracer; i++) {
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
  clock_gettime(CLOCK_MONOTONIC, &td);
  struct tally second = write_back();
  int gone = tracer_of(path.buf) < 0;

  struct line l = {{0}, 0};
  put(&l, "utrace watchdog: tracer ");
  putn(&l, (unsigned long)tracer);
  if (gone) {
    put(&l, " died and process ");
    putn(&l, (unsigned long)pid);
    put(&l, " is gone; nothing to restore\n");
  } else {
    put(&l, " died; restored ");
    putn(&l, first.restored);
    put(&l, " of ");
    putn(&l, first.listed);
    put(&l, " breakpoint byte(s) in process ");
    putn(&l, (unsigned long)pid);
    if (second.failed) {
      put(&l, " (");
      putn(&l, second.failed);
      put(&l, " could not be written)");
    }
    put(&l, "\n");
  }
  if (debug) {
    /* Timings (CLOCK_MONOTONIC ns / us): the first wake-up (the sentinel's lock or ours), the
     * write after our lock, the detach as seen in TracerPid. */
    struct timespec first_woke = tw;
    struct timespec sw = sentinel_woke ? *sentinel_woke : (struct timespec){0, 0};
    int by_sentinel = sw.tv_sec && (sw.tv_sec < tw.tv_sec || (sw.tv_sec == tw.tv_sec && sw.tv_nsec < tw.tv_nsec));
    if (by_sentinel) first_woke = sw;
    l.len--;
    put(&l, " [woken ");
    putn(&l, (unsigned long)first_woke.tv_sec * 1000000000ul + (unsigned long)first_woke.tv_nsec);
    put(&l, by_sentinel ? " by the sentinel, lock +" : " by the lock +");
    putn(&l, (unsigned long)((tw.tv_sec - first_woke.tv_sec) * 1000000000l + tw.tv_nsec - first_woke.tv_nsec) / 1000);
    put(&l, "us, wrote +");
    putn(&l, (unsigned long)((tf.tv_sec - tw.tv_sec) * 1000000000l + tf.tv_nsec - tw.tv_nsec) / 1000);
    put(&l, "us after it, detached +");
    putn(&l, (unsigned long)((td.tv_sec - tw.tv_sec) * 1000000000l + td.tv_nsec - tw.tv_nsec) / 1000);
    put(&l, "us]\n");
  }
  (void)!write(2, l.buf, l.len);
  return second.failed && !gone ? 1 : 0;
}
