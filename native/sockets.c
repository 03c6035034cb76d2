/*
 * Unix sockets: the peer's credentials (SO_PEERCRED) and descriptors passed with a message
 * (SCM_RIGHTS, unix(7)), which Node's net module cannot do. A resident tracer receives a
 * joining command's output files and gdb connection this way, so no byte is relayed through
 * an extra process. Also what a tracee's socket is: its protocol name (the sockfs xattr) and
 * one request/answer exchange with a kernel netlink family (sock_diag), which Node cannot open.
 * And a listening unix socket that costs nothing until someone connects: made here, watched on
 * libuv's loop, and handed to Node's net module (which brings a dozen modules with it) only at
 * the first connection.
 */
#define _GNU_SOURCE /* struct ucred, MSG_CMSG_CLOEXEC */
#include "utrace.h"

#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <uv.h>

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

/* sockProtoName(path) -> the protocol name of the socket a path such as /proc/PID/fd/N opens
 * ("UNIX-STREAM", "NETLINK", "TCP"...: sockfs's system.sockprotoname attribute). */
static napi_value n_sock_proto_name(napi_env env, napi_callback_info info) {
  static const char *u = "sockProtoName(path)";
  napi_value argv[1];
  if (arg_count(env, info, 1, argv, u) < 0) return NULL;
  char *path;
  if (arg_string(env, argv[0], &path, u) < 0) return NULL;
  char name[64];
  ssize_t n = getxattr(path, "system.sockprotoname", name, sizeof name - 1);
  int err = errno;
  free(path);
  if (n < 0) return utrace_throw(env, err, "getxattr", 0);
  /* The kernel counts the name's NUL in the length. */
  while (n > 0 && name[n - 1] == 0) n--;
  napi_value r;
  napi_create_string_latin1(env, name, (size_t)n, &r);
  return r;
}

#define NL_ANSWER_MAX (8 << 20)

/* Whether the netlink answer in buf[0..len) is complete: a NLMSG_DONE or NLMSG_ERROR, or a
 * message that is not part of a multipart dump. */
static bool nl_complete(const char *buf, size_t len) {
  for (const struct nlmsghdr *h = (const void *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
    if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR || !(h->nlmsg_flags & NLM_F_MULTI)) return true;
  return false;
}

/* netlinkRequest(protocol, request, timeoutMs) -> the kernel's answer: every message it sent
 * back, up to the end of a dump or its first single message, NLMSG_ERROR included. The socket
 * lives only for this exchange; a kernel that does not answer within timeoutMs is ETIMEDOUT. */
static napi_value n_netlink_request(napi_env env, napi_callback_info info) {
  static const char *u = "netlinkRequest(protocol, request, timeoutMs)";
  napi_value argv[3];
  if (arg_count(env, info, 3, argv, u) < 0) return NULL;
  int64_t proto, timeout;
  void *req;
  size_t reqlen;
  if (arg_i64(env, argv[0], &proto, u) < 0 || arg_buffer(env, argv[1], &req, &reqlen, u) < 0 ||
      arg_i64(env, argv[2], &timeout, u) < 0)
    return NULL;
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, (int)proto);
  if (s < 0) return utrace_throw(env, errno, "socket", 0);
  struct timeval tv = {timeout / 1000, (timeout % 1000) * 1000};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(s, req, reqlen, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    int err = errno;
    close(s);
    return utrace_throw(env, err, "sendto", 0);
  }
  size_t cap = 32768, len = 0;
  char *buf = malloc(cap);
  int err = buf ? 0 : ENOMEM;
  while (!err) {
    if (cap - len < 16384) {
      char *nb = cap * 2 <= NL_ANSWER_MAX ? realloc(buf, cap * 2) : NULL;
      if (!nb) {
        err = ENOBUFS;
        break;
      }
      buf = nb;
      cap *= 2;
    }
    ssize_t n = recv(s, buf + len, cap - len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno == EAGAIN ? ETIMEDOUT : errno;
      break;
    }
    bool done = n == 0 || nl_complete(buf + len, (size_t)n);
    len += (size_t)n;
    if (done) break;
  }
  close(s);
  if (err) {
    free(buf);
    return utrace_throw(env, err, "recv", 0);
  }
  napi_value r;
  napi_create_buffer_copy(env, len, buf, NULL, &r);
  free(buf);
  return r;
}

/* listenUnix(path, backlog) -> fd: a non-blocking, close-on-exec unix stream socket bound to
 * path and listening (EADDRINUSE when the path exists). */
static napi_value n_listen_unix(napi_env env, napi_callback_info info) {
  static const char *u = "listenUnix(path, backlog)";
  napi_value argv[2];
  if (arg_count(env, info, 2, argv, u) < 0) return NULL;
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  size_t plen = 0;
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &plen) != napi_ok) return utrace_throw_type(env, u);
  if (plen == 0 || plen >= sizeof sa.sun_path) return utrace_throw(env, ENAMETOOLONG, "bind", 0);
  napi_get_value_string_utf8(env, argv[0], sa.sun_path, sizeof sa.sun_path, &plen);
  int64_t backlog;
  if (arg_i64(env, argv[1], &backlog, u) < 0) return NULL;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return utrace_throw(env, errno, "socket", 0);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int e = errno;
    close(fd);
    return utrace_throw(env, e, "bind", 0);
  }
  if (listen(fd, (int)backlog) < 0) {
    int e = errno;
    close(fd);
    return utrace_throw(env, e, "listen", 0);
  }
  return make_i64(env, fd);
}

/* One-shot watches of descriptors on libuv's loop (main thread only): watchReadable(fd, cb)
 * -> id calls cb() once, the first time fd is readable (a listening socket: a connection
 * waits), then forgets it; unwatch(id) forgets it before. A watch does not keep the loop
 * alive. The descriptor stays the caller's; it must not be closed while watched. */
struct watch {
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  napi_async_context ctx;
  int64_t id;
  struct watch *next;
};
static struct watch *watches;
static int64_t watch_ids;

static void watch_closed(uv_handle_t *h) {
  free(h->data);
}

/* Take w off the list and stop its libuv handle, closed then (freed once closed). */
static void watch_unlink(struct watch *w) {
  for (struct watch **pp = &watches; *pp; pp = &(*pp)->next) {
    if (*pp == w) {
      *pp = w->next;
      break;
    }
  }
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, watch_closed);
}

/* Unwatched before it fired: its JS references dropped too. */
static void watch_end(struct watch *w) {
  napi_delete_reference(w->env, w->cb);
  napi_async_destroy(w->env, w->ctx);
  watch_unlink(w);
}

static void watch_fired(uv_poll_t *p, int status, int events) {
  (void)status;
  (void)events;
  struct watch *w = p->data;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, recv, result;
  napi_get_reference_value(env, w->cb, &cb);
  napi_get_global(env, &recv); /* napi_make_callback wants an object */
  napi_async_context ctx = w->ctx;
  napi_ref ref = w->cb;
  /* Forgotten before the call: the callback may watch again or unwatch. */
  watch_unlink(w);
  /* The callback catches what it throws (src/cli/host/serve.ts); anything that escapes is
   * dropped here rather than left pending on the environment. */
  if (cb && napi_make_callback(env, ctx, recv, cb, 0, NULL, &result) == napi_pending_exception) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
  }
  napi_delete_reference(env, ref);
  napi_async_destroy(env, ctx);
  napi_close_handle_scope(env, scope);
}

static napi_value n_watch_readable(napi_env env, napi_callback_info info) {
  static const char *u = "watchReadable(fd, callback)";
  napi_value argv[2];
  if (arg_count(env, info, 2, argv, u) < 0) return NULL;
  int64_t fd;
  if (arg_i64(env, argv[0], &fd, u) < 0) return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_function) return utrace_throw_type(env, u);
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) return utrace_throw(env, ENOSYS, "uv_poll_init", 0);
  struct watch *w = calloc(1, sizeof *w);
  if (!w) return utrace_throw(env, ENOMEM, "uv_poll_init", 0);
  int r = uv_poll_init(loop, &w->poll, (int)fd);
  if (r < 0) {
    free(w);
    return utrace_throw(env, -r, "uv_poll_init", 0);
  }
  w->poll.data = w;
  w->env = env;
  napi_value name;
  napi_create_string_utf8(env, "utrace.watchReadable", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->ctx);
  napi_create_reference(env, argv[1], 1, &w->cb);
  r = uv_poll_start(&w->poll, UV_READABLE, watch_fired);
  if (r < 0) {
    watch_end(w); /* not on the list yet: only its references and handle go */
    return utrace_throw(env, -r, "uv_poll_start", 0);
  }
  uv_unref((uv_handle_t *)&w->poll);
  w->id = ++watch_ids;
  w->next = watches;
  watches = w;
  return make_i64(env, w->id);
}

static napi_value n_unwatch(napi_env env, napi_callback_info info) {
  static const char *u = "unwatch(id)";
  napi_value argv[1];
  if (arg_count(env, info, 1, argv, u) < 0) return NULL;
  int64_t id;
  if (arg_i64(env, argv[0], &id, u) < 0) return NULL;
  for (struct watch *w = watches; w; w = w->next) {
    if (w->id == id) {
      watch_end(w);
      break;
    }
  }
  return make_undefined(env);
}

void sockets_register(napi_env env, napi_value exports) {
  EXPORT_FN(env, exports, "peerCred", n_peer_cred);
  EXPORT_FN(env, exports, "sendFds", n_send_fds);
  EXPORT_FN(env, exports, "recvFds", n_recv_fds);
  EXPORT_FN(env, exports, "sockProtoName", n_sock_proto_name);
  EXPORT_FN(env, exports, "netlinkRequest", n_netlink_request);
  EXPORT_FN(env, exports, "listenUnix", n_listen_unix);
  EXPORT_FN(env, exports, "watchReadable", n_watch_readable);
  EXPORT_FN(env, exports, "unwatch", n_unwatch);
}
