/*
 * Dying of a signal the way a traced program did. Node keeps handlers of its own that
 * process.removeAllListeners cannot remove (SIGUSR1 starts its inspector; SIGPIPE is ignored),
 * so a re-raised SIGUSR1 would open a debugger port instead of ending the process. The default
 * disposition is put back, the signal unblocked for this thread, and raised.
 */
#define _GNU_SOURCE
#include "utrace.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

/* raiseDefault(sig): returns only if the default action does not end the process (0), or for
 * an invalid signal (-errno). */
static napi_value n_raise_default(napi_env env, napi_callback_info info) {
  static const char *u = "raiseDefault(sig)";
  napi_value argv[1];
  if (arg_count(env, info, 1, argv, u) < 0) return NULL;
  int64_t sig;
  if (arg_i64(env, argv[0], &sig, u) < 0) return NULL;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigaction((int)sig, &sa, NULL); /* fails for SIGKILL and SIGSTOP, whose action is fixed anyway */
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, (int)sig);
  pthread_sigmask(SIG_UNBLOCK, &one, NULL);
  if (raise((int)sig) != 0) return make_i64(env, -errno);
  return make_i64(env, 0);
}

void signals_register(napi_env env, napi_value exports) {
  EXPORT_FN(env, exports, "raiseDefault", n_raise_default);
}
