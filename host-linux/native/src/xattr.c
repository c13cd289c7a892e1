/* Extended attributes on a path itself, never on what a symlink points to (the l* calls): an
 * extractor must not be steered outside its root by a symlink in the archive. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "args.h"
#include "errors.h"
#include "berth.h"

/* lsetxattr(path, name, value, flags = 0) */
napi_value berth_lsetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t argc = 4;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3) {
    berth_throw_type(env, "lsetxattr(path, name, value, flags?) takes at least 3 arguments");
    return NULL;
  }
  uint32_t flags = 0;
  if (argc > 3 && !berth_arg_uint32(env, argv[3], "flags", &flags)) return NULL;
  void *value;
  size_t len;
  if (!berth_arg_bytes(env, argv[2], "value", &value, &len)) return NULL;
  char *path, *name;
  if (!berth_arg_string(env, argv[0], "path", &path)) return NULL;
  if (!berth_arg_string(env, argv[1], "name", &name)) {
    free(path);
    return NULL;
  }
  if (lsetxattr(path, name, value, len, (int)flags) != 0) berth_throw_errno(env, errno, "lsetxattr", path);
  free(name);
  free(path);
  return NULL;
}

/* lgetxattr(path, name): Buffer; ENODATA when the attribute is not set. */
napi_value berth_lgetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!berth_args(env, info, 2, argv)) return NULL;
  char *path, *name;
  if (!berth_arg_string(env, argv[0], "path", &path)) return NULL;
  if (!berth_arg_string(env, argv[1], "name", &name)) {
    free(path);
    return NULL;
  }
  napi_value result = NULL;
  /* The value can change between sizing and reading: retry on ERANGE. */
  for (int attempt = 0; attempt < 8; attempt++) {
    ssize_t size = lgetxattr(path, name, NULL, 0);
    if (size < 0) {
      berth_throw_errno(env, errno, "lgetxattr", path);
      break;
    }
    char *buf = malloc(size > 0 ? (size_t)size : 1);
    if (buf == NULL) {
      berth_throw_errno(env, ENOMEM, "lgetxattr", path);
      break;
    }
    ssize_t got = lgetxattr(path, name, buf, (size_t)size);
    if (got < 0) {
      int err = errno;
      free(buf);
      if (err == ERANGE) continue;
      berth_throw_errno(env, err, "lgetxattr", path);
      break;
    }
    void *data;
    if (napi_create_buffer_copy(env, (size_t)got, buf, &data, &result) != napi_ok) result = NULL;
    free(buf);
    break;
  }
  free(name);
  free(path);
  return result;
}

/* llistxattr(path): string[] of attribute names. */
napi_value berth_llistxattr(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!berth_args(env, info, 1, argv)) return NULL;
  char *path;
  if (!berth_arg_string(env, argv[0], "path", &path)) return NULL;
  napi_value result = NULL;
  for (int attempt = 0; attempt < 8; attempt++) {
    ssize_t size = llistxattr(path, NULL, 0);
    if (size < 0) {
      berth_throw_errno(env, errno, "llistxattr", path);
      break;
    }
    char *buf = malloc(size > 0 ? (size_t)size : 1);
    if (buf == NULL) {
      berth_throw_errno(env, ENOMEM, "llistxattr", path);
      break;
    }
    ssize_t got = llistxattr(path, buf, (size_t)size);
    if (got < 0) {
      int err = errno;
      free(buf);
      if (err == ERANGE) continue;
      berth_throw_errno(env, err, "llistxattr", path);
      break;
    }
    if (napi_create_array(env, &result) == napi_ok) {
      uint32_t i = 0;
      for (ssize_t off = 0; off < got; off += (ssize_t)strlen(buf + off) + 1) {
        napi_value s;
        if (napi_create_string_utf8(env, buf + off, NAPI_AUTO_LENGTH, &s) == napi_ok)
          napi_set_element(env, result, i++, s);
      }
    }
    free(buf);
    break;
  }
  free(path);
  return result;
}

/* lremovexattr(path, name) */
napi_value berth_lremovexattr(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!berth_args(env, info, 2, argv)) return NULL;
  char *path, *name;
  if (!berth_arg_string(env, argv[0], "path", &path)) return NULL;
  if (!berth_arg_string(env, argv[1], "name", &name)) {
    free(path);
    return NULL;
  }
  if (lremovexattr(path, name) != 0) berth_throw_errno(env, errno, "lremovexattr", path);
  free(name);
  free(path);
  return NULL;
}
