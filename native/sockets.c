/*
 * Unix sockets: the peer's credentials (SO_PEERCRED) and descriptors passed with a message
 * (SCM_RIGHTS, unix(7)), which Node's net module cannot do. A resident tracer receives a
 * joining command's output files and gdb connection this way, so no byte is relayed through
 * an extra process. Also a plain blocking pipe, which Node cannot make either.
 */
#define _GNU_SOURCE /* struct ucred, MSG_CMSG_CLOEXEC */
#include "utrace.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 16

/* peerCred(fd) -> [pid, uid, gid] */
static napi_value n_peer_cred(napi_env env, napi_callback_info info) {
  static const char *u = "peerCred(fd)";
  napi_value argv[1];
  if (arg_count(env, info, 1, argv, u) < 0) return NULL;
  int64_t fd;
  if (arg_i64(env, argv[0], &fd, u) < 0) return NULL;
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt((int)fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
    return utrace_throw(env, errno, "getsockopt(SO_PEERCRED)", 0);
  napi_value arr;
  napi_create_array_with_length(env, 3, &arr);
  napi_set_element(env, arr, 0, make_i64(env, cred.pid));
  napi_set_element(env, arr, 1, make_i64(env, cred.uid));
  napi_set_element(env, arr, 2, make_i64(env, cred.gid));
  return arr;
}

/* sendFds(fd, data, fds[], timeoutMs) -> bytes sent. The whole message goes in one sendmsg
 * (waiting up to timeoutMs for room: Node's sockets are non-blocking); the descriptors ride
 * with its first byte. */
static napi_value n_send_fds(napi_env env, napi_callback_info info) {
  static const char *u = "sendFds(fd, data, fds, timeoutMs)";
  napi_value argv[4];
  if (arg_count(env, info, 4, argv, u) < 0) return NULL;
  int64_t fd, timeout;
  void *data;
  size_t len;
  if (arg_i64(env, argv[0], &fd, u) < 0 || arg_buffer(env, argv[1], &data, &len, u) < 0 ||
      arg_i64(env, argv[3], &timeout, u) < 0)
    return NULL;
  uint32_t nfds = 0;
  bool isarr = false;
  napi_is_array(env, argv[2], &isarr);
  if (!isarr) return utrace_throw_type(env, u);
  napi_get_array_length(env, argv[2], &nfds);
  if (nfds > MAX_FDS) return utrace_throw(env, EINVAL, "sendmsg", 0);
  int fds[MAX_FDS];
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value v;
    int32_t x;
    napi_get_element(env, argv[2], i, &v);
    if (arg_i32(env, v, &x, u) < 0) return NULL;
    fds[i] = x;
  }
  union {
    char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
    struct cmsghdr align;
  } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct iovec iov = {data, len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (nfds) {
    msg.msg_control = ctl.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
  }
  for (;;) {
    ssize_t n = sendmsg((int)fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return make_i64(env, n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return utrace_throw(env, errno, "sendmsg", 0);
    struct pollfd p = {(int)fd, POLLOUT, 0};
    int r = poll(&p, 1, (int)timeout);
    if (r == 0) return utrace_throw(env, ETIMEDOUT, "sendmsg", 0);
    if (r < 0 && errno != EINTR) return utrace_throw(env, errno, "poll", 0);
  }
}

/* recvFds(fd, buf) -> { bytes, fds } without waiting: bytes is -EAGAIN when nothing is there
 * yet, 0 at end of file. Received descriptors are close-on-exec; a message whose descriptors
 * did not all fit is refused (EMSGSIZE) and the ones that did are closed. */
static napi_value n_recv_fds(napi_env env, napi_callback_info info) {
  static const char *u = "recvFds(fd, buf)";
  napi_value argv[2];
  if (arg_count(env, info, 2, argv, u) < 0) return NULL;
  int64_t fd;
  void *data;
  size_t len;
  if (arg_i64(env, argv[0], &fd, u) < 0 || arg_buffer(env, argv[1], &data, &len, u) < 0) return NULL;
  union {
    char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {data, len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                       .msg_controllen = sizeof ctl.buf};
  ssize_t n;
  do n = recvmsg((int)fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  int got[MAX_FDS];
  size_t ngot = 0;
  if (n >= 0) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < k && ngot < MAX_FDS; i++) memcpy(&got[ngot++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    }
    if (msg.msg_flags & MSG_CTRUNC) {
      for (size_t i = 0; i < ngot; i++) close(got[i]);
      return utrace_throw(env, EMSGSIZE, "recvmsg", 0);
    }
  } else if (errno != EAGAIN) {
    return utrace_throw(env, errno, "recvmsg", 0);
  }
  napi_value out, arr;
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "bytes", make_i64(env, n >= 0 ? n : -EAGAIN));
  napi_create_array_with_length(env, ngot, &arr);
  for (size_t i = 0; i < ngot; i++) napi_set_element(env, arr, (uint32_t)i, make_i64(env, got[i]));
  napi_set_named_property(env, out, "fds", arr);
  return out;
}

/* pipe() -> [readFd, writeFd], both close-on-exec and blocking: a writer that waits for its
 * reader (strace -o '|COMMAND' stalls the trace as strace does), which Node cannot make. */
static napi_value n_pipe(napi_env env, napi_callback_info info) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return utrace_throw(env, errno, "pipe2", 0);
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, make_i64(env, fds[0]));
  napi_set_element(env, arr, 1, make_i64(env, fds[1]));
  return arr;
}

void sockets_register(napi_env env, napi_value exports) {
  EXPORT_FN(env, exports, "pipe", n_pipe);
  EXPORT_FN(env, exports, "peerCred", n_peer_cred);
  EXPORT_FN(env, exports, "sendFds", n_send_fds);
  EXPORT_FN(env, exports, "recvFds", n_recv_fds);
}
