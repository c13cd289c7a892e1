#include "args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

static void type_error(napi_env env, const char *what, const char *expected) {
  char message[256];
  snprintf(message, sizeof message, "the \"%s\" argument must be %s", what, expected);
  berth_throw_type(env, message);
}

bool berth_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  if (argc < n) {
    char message[128];
    snprintf(message, sizeof message, "expected %zu arguments, got %zu", n, argc);
    berth_throw_type(env, message);
    return false;
  }
  return true;
}

bool berth_arg_string(napi_env env, napi_value value, const char *what, char **out) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) {
    type_error(env, what, "a string");
    return false;
  }
  char *s = malloc(len + 1);
  if (s == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return false;
  }
  napi_get_value_string_utf8(env, value, s, len + 1, &len);
  if (strlen(s) != len) {
    free(s);
    type_error(env, what, "a string without NUL bytes");
    return false;
  }
  *out = s;
  return true;
}

bool berth_arg_uint32(napi_env env, napi_value value, const char *what, uint32_t *out) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_number) {
    type_error(env, what, "a number");
    return false;
  }
  double d;
  napi_get_value_double(env, value, &d);
  if (!(d >= 0 && d <= 4294967295.0) || d != (double)(uint32_t)d) {
    type_error(env, what, "an integer from 0 to 2^32-1");
    return false;
  }
  *out = (uint32_t)d;
  return true;
}

bool berth_arg_bytes(napi_env env, napi_value value, const char *what, void **data, size_t *len) {
  bool is = false;
  if (napi_is_buffer(env, value, &is) == napi_ok && is)
    return napi_get_buffer_info(env, value, data, len) == napi_ok;
  if (napi_is_typedarray(env, value, &is) == napi_ok && is) {
    napi_typedarray_type type;
    if (napi_get_typedarray_info(env, value, &type, len, data, NULL, NULL) == napi_ok && type == napi_uint8_array)
      return true;
  }
  type_error(env, what, "a Buffer or Uint8Array");
  return false;
}
