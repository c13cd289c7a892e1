#include "errors.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static void set_string(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  if (napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v) == napi_ok)
    napi_set_named_property(env, obj, key, v);
}

void berth_throw_errno(napi_env env, int err, const char *syscall, const char *path) {
  const char *name = strerrorname_np(err);
  char code[32];
  if (name == NULL) {
    snprintf(code, sizeof code, "E%d", err);
    name = code;
  }
  /* libuv words errors in lower case ("no such file or directory"); match it. */
  char text[256];
  snprintf(text, sizeof text, "%s", strerror(err));
  text[0] = (char)tolower((unsigned char)text[0]);
  char message[4352];
  if (path != NULL)
    snprintf(message, sizeof message, "%s: %s, %s '%s'", name, text, syscall, path);
  else
    snprintf(message, sizeof message, "%s: %s, %s", name, text, syscall);

  napi_value js_code, js_message, error, js_errno;
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &js_code) != napi_ok) return;
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &js_message) != napi_ok) return;
  if (napi_create_error(env, js_code, js_message, &error) != napi_ok) return;
  if (napi_create_int32(env, -err, &js_errno) == napi_ok) napi_set_named_property(env, error, "errno", js_errno);
  set_string(env, error, "syscall", syscall);
  if (path != NULL) set_string(env, error, "path", path);
  napi_throw(env, error);
}

void berth_throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
}
