/*
 * Module init and the helpers every native file shares: argument checking and the
 * errno -> UtraceError path. See utrace.h for the layering rule (mechanism only).
 */
#include "utrace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The JS error factory, registered once by src/native/binding.ts so that native code
 * throws the same UtraceError class TypeScript code throws (instanceof works). */
static napi_ref error_factory;

static napi_value set_error_factory(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (arg_count(env, info, 1, argv, "setErrorFactory(fn)") < 0) return NULL;
  if (error_factory) napi_delete_reference(env, error_factory);
  napi_create_reference(env, argv[0], 1, &error_factory);
  return make_undefined(env);
}

napi_value utrace_throw(napi_env env, int err, const char *syscall, long tid) {
  napi_value factory = NULL, args[3], result;
  if (error_factory) napi_get_reference_value(env, error_factory, &factory);
  napi_create_int32(env, err, &args[0]);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &args[1]);
  napi_create_int64(env, tid, &args[2]);
  if (factory) {
    napi_value global;
    napi_get_global(env, &global);
    if (napi_call_function(env, global, factory, 3, args, &result) == napi_ok) {
      napi_throw(env, result);
      return NULL;
    }
  }
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s (tid %ld)", syscall, strerror(err), tid);
  napi_throw_error(env, NULL, msg);
  return NULL;
}

napi_value utrace_throw_type(napi_env env, const char *usage) {
  char msg[256];
  snprintf(msg, sizeof msg, "Usage: %s", usage);
  napi_throw_type_error(env, "EINVAL", msg);
  return NULL;
}

int arg_count(napi_env env, napi_callback_info info, size_t want, napi_value *argv,
              const char *usage) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < want) {
    utrace_throw_type(env, usage);
    return -1;
  }
  return 0;
}

int arg_i64(napi_env env, napi_value v, int64_t *out, const char *usage) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_number) {
    napi_get_value_int64(env, v, out);
    return 0;
  }
  if (t == napi_bigint) {
    bool lossless;
    napi_get_value_bigint_int64(env, v, out, &lossless);
    return 0;
  }
  utrace_throw_type(env, usage);
  return -1;
}

int arg_i32(napi_env env, napi_value v, int32_t *out, const char *usage) {
  int64_t x;
  if (arg_i64(env, v, &x, usage) < 0) return -1;
  *out = (int32_t)x;
  return 0;
}

int arg_u64(napi_env env, napi_value v, uint64_t *out, const char *usage) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_bigint) {
    bool lossless;
    napi_get_value_bigint_uint64(env, v, out, &lossless);
    return 0;
  }
  if (t == napi_number) {
    double d;
    napi_get_value_double(env, v, &d);
    *out = d < 0 ? (uint64_t)(int64_t)d : (uint64_t)d;
    return 0;
  }
  utrace_throw_type(env, usage);
  return -1;
}

int arg_buffer(napi_env env, napi_value v, void **data, size_t *len, const char *usage) {
  bool is_ta = false, is_buf = false;
  napi_is_typedarray(env, v, &is_ta);
  if (is_ta) {
    napi_typedarray_type type;
    size_t count, offset;
    napi_value ab;
    napi_get_typedarray_info(env, v, &type, &count, data, &ab, &offset);
    size_t el = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: el = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: el = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: el = 8; break;
      default: el = 1;
    }
    *len = count * el;
    return 0;
  }
  napi_is_buffer(env, v, &is_buf);
  if (is_buf) {
    napi_get_buffer_info(env, v, data, len);
    return 0;
  }
  utrace_throw_type(env, usage);
  return -1;
}

int arg_string(napi_env env, napi_value v, char **out, const char *usage) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    utrace_throw_type(env, usage);
    return -1;
  }
  *out = malloc(len + 1);
  napi_get_value_string_utf8(env, v, *out, len + 1, &len);
  return 0;
}

void free_strv(char **v) {
  if (!v) return;
  for (char **p = v; *p; p++) free(*p);
  free(v);
}

int arg_strv(napi_env env, napi_value arr, char ***out, const char *usage) {
  bool is_arr;
  uint32_t n;
  napi_is_array(env, arr, &is_arr);
  if (!is_arr) {
    utrace_throw_type(env, usage);
    return -1;
  }
  napi_get_array_length(env, arr, &n);
  char **v = calloc(n + 1, sizeof(char *));
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    napi_get_element(env, arr, i, &el);
    if (arg_string(env, el, &v[i], usage) < 0) {
      free_strv(v);
      return -1;
    }
  }
  *out = v;
  return 0;
}

napi_value make_i64(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

napi_value make_u64_bigint(napi_env env, uint64_t v) {
  napi_value r;
  napi_create_bigint_uint64(env, v, &r);
  return r;
}

napi_value make_undefined(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
}

static napi_value init(napi_env env, napi_value exports) {
  EXPORT_FN(env, exports, "setErrorFactory", set_error_factory);
  ptrace_ops_register(env, exports);
  wait_register(env, exports);
  mem_register(env, exports);
  spawn_register(env, exports);
  sockets_register(env, exports);
  affinity_register(env, exports);
  deathlock_register(env, exports);
  reap_register(env, exports);
  signals_register(env, exports);
  daemon_register(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
