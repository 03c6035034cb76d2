/*
 * Tracee memory. Reads use process_vm_readv (one syscall, stops at the first unmapped page,
 * which gives "as many bytes as are readable"), falling back to /proc/PID/mem. Writes go
 * through /proc/PID/mem, which a ptrace tracer may use to write read-only text (FOLL_FORCE),
 * as breakpoints need; process_vm_writev cannot. PTRACE_POKEDATA is the last resort.
 */
#define _GNU_SOURCE
#include "utrace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <unistd.h>

static int open_mem(pid_t pid, int flags) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", pid);
  return open(path, flags | O_CLOEXEC);
}

/* (pid, addr, buffer, length) of the memory calls, length within the buffer: 0, or -1 with a
 * JS exception pending. */
static int mem_args(napi_env env, napi_callback_info info, const char *u, int64_t *pid, uint64_t *addr,
                    void **buf, int64_t *want) {
  napi_value argv[4];
  size_t len;
  if (arg_count(env, info, 4, argv, u) < 0) return -1;
  if (arg_i64(env, argv[0], pid, u) < 0 || arg_u64(env, argv[1], addr, u) < 0 ||
      arg_buffer(env, argv[2], buf, &len, u) < 0 || arg_i64(env, argv[3], want, u) < 0)
    return -1;
  if (*want < 0 || (size_t)*want > len) {
    utrace_throw_type(env, u);
    return -1;
  }
  return 0;
}

/* process_vm_readv or _writev of one range: bytes moved, 0 when its first byte is out of
 * reach (EFAULT), or -errno. */
static ssize_t vm_io(pid_t pid, uint64_t addr, void *buf, size_t n, int write) {
  if (n == 0) return 0;
  struct iovec local = {buf, n}, remote = {(void *)addr, n};
  ssize_t r = write ? process_vm_writev(pid, &local, 1, &remote, 1, 0) : process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (r >= 0) return r;
  return errno == EFAULT ? 0 : -errno;
}

/* readMemory(pid, addr, buffer, length) -> bytes read (0 if the first byte is unreadable) */
static napi_value n_read_memory(napi_env env, napi_callback_info info) {
  static const char *u = "readMemory(pid, addr, buffer, length)";
  int64_t pid, want;
  uint64_t addr;
  void *buf;
  if (mem_args(env, info, u, &pid, &addr, &buf, &want) < 0) return NULL;
  ssize_t n = vm_io((pid_t)pid, addr, buf, (size_t)want, 0);
  if (n >= 0) return make_i64(env, n);
  if (n == -ESRCH) return utrace_throw(env, ESRCH, "process_vm_readv", pid);
  /* ENOSYS/EPERM (e.g. restricted by an LSM): /proc/PID/mem still works for a tracer. */
  int fd = open_mem((pid_t)pid, O_RDONLY);
  if (fd < 0) return utrace_throw(env, errno, "open(/proc/PID/mem)", pid);
  size_t got = 0;
  while (got < (size_t)want) {
    ssize_t r = pread(fd, (char *)buf + got, (size_t)want - got, (off_t)(addr + got));
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  return make_i64(env, (int64_t)got);
}

/* Replace n bytes at addr inside one aligned word with PEEKDATA + POKEDATA, keeping the
 * bytes that were there in old (if given): 0, -EINVAL when they span two words, or -errno
 * (a running tracee: ESRCH). */
static int patch_word(pid_t pid, uint64_t addr, const void *src, size_t n, void *old) {
  uint64_t base = addr & ~7ull;
  size_t off = (size_t)(addr - base);
  if (n == 0 || off + n > 8) return -EINVAL;
  errno = 0;
  long word = ptrace(PTRACE_PEEKDATA, pid, (void *)base, 0);
  if (word == -1 && errno) return -errno;
  if (old) memcpy(old, (char *)&word + off, n);
  memcpy((char *)&word + off, src, n);
  if (ptrace(PTRACE_POKEDATA, pid, (void *)base, (void *)word) < 0) return -errno;
  return 0;
}

/* writeMemory(pid, addr, buffer, length) -> bytes written */
static napi_value n_write_memory(napi_env env, napi_callback_info info) {
  static const char *u = "writeMemory(pid, addr, buffer, length)";
  int64_t pid, want;
  uint64_t addr;
  void *buf;
  if (mem_args(env, info, u, &pid, &addr, &buf, &want) < 0) return NULL;
  /* A breakpoint byte or a register-sized patch: PEEK/POKEDATA (two syscalls, also into
   * read-only text) beats opening /proc/PID/mem. Works only on a stopped tracee. */
  if (want > 0 && patch_word((pid_t)pid, addr, buf, (size_t)want, NULL) == 0) return make_i64(env, want);
  int fd = open_mem((pid_t)pid, O_RDWR);
  if (fd >= 0) {
    size_t done = 0;
    while (done < (size_t)want) {
      ssize_t r = pwrite(fd, (char *)buf + done, (size_t)want - done, (off_t)(addr + done));
      if (r <= 0) break;
      done += (size_t)r;
    }
    int err = errno;
    close(fd);
    if (done == 0 && want > 0) return utrace_throw(env, err ? err : EIO, "pwrite(/proc/PID/mem)", pid);
    return make_i64(env, (int64_t)done);
  }
  /* Fallback: word-wise POKEDATA, merging partial words with their current contents. */
  size_t done = 0;
  while (done < (size_t)want) {
    uint64_t a = addr + done, base = a & ~7ull;
    errno = 0;
    long word = ptrace(PTRACE_PEEKDATA, (pid_t)pid, (void *)base, 0);
    if (word == -1 && errno) break;
    size_t off = (size_t)(a - base), n = 8 - off;
    if (n > (size_t)want - done) n = (size_t)want - done;
    memcpy((char *)&word + off, (char *)buf + done, n);
    if (ptrace(PTRACE_POKEDATA, (pid_t)pid, (void *)base, (void *)word) < 0) break;
    done += n;
  }
  if (done == 0 && want > 0) return utrace_throw(env, errno ? errno : EIO, "ptrace(PTRACE_POKEDATA)", pid);
  return make_i64(env, (int64_t)done);
}

/* swapByte(pid, addr, byte) -> the byte that was there, or -errno (patch_word: a stopped
 * tracee). A breakpoint insert needs the old byte, and the peek has it anyway. */
static napi_value n_swap_byte(napi_env env, napi_callback_info info) {
  static const char *u = "swapByte(pid, addr, byte)";
  napi_value argv[3];
  if (arg_count(env, info, 3, argv, u) < 0) return NULL;
  int64_t pid, byte;
  uint64_t addr;
  if (arg_i64(env, argv[0], &pid, u) < 0 || arg_u64(env, argv[1], &addr, u) < 0 ||
      arg_i64(env, argv[2], &byte, u) < 0)
    return NULL;
  if (byte < 0 || byte > 255) return utrace_throw_type(env, u);
  unsigned char b = (unsigned char)byte, old;
  int r = patch_word((pid_t)pid, addr, &b, 1, &old);
  return make_i64(env, r < 0 ? r : old);
}

/* storeMemory(pid, addr, buffer, length) -> bytes written, as the thread's own store would:
 * process_vm_writev honours page protections (0 where the first byte is not writable),
 * unlike /proc/PID/mem, which writes read-only text for a tracer. */
static napi_value n_store_memory(napi_env env, napi_callback_info info) {
  static const char *u = "storeMemory(pid, addr, buffer, length)";
  int64_t pid, want;
  uint64_t addr;
  void *buf;
  if (mem_args(env, info, u, &pid, &addr, &buf, &want) < 0) return NULL;
  ssize_t n = vm_io((pid_t)pid, addr, buf, (size_t)want, 1);
  if (n >= 0) return make_i64(env, n);
  return utrace_throw(env, (int)-n, "process_vm_writev", pid);
}

void mem_register(napi_env env, napi_value exports) {
  EXPORT_FN(env, exports, "storeMemory", n_store_memory);
  EXPORT_FN(env, exports, "swapByte", n_swap_byte);
  EXPORT_FN(env, exports, "readMemory", n_read_memory);
  EXPORT_FN(env, exports, "writeMemory", n_write_memory);
}
