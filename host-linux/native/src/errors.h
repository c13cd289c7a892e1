/* Errors thrown to JavaScript look like Node's own fs errors: "ENOENT: no such file or directory,
 * mknod '/x'", with code, errno (negative, as libuv reports it), syscall and path properties, so
 * callers handle them the same way. */
#ifndef BERTH_ERRORS_H
#define BERTH_ERRORS_H
#include <node_api.h>

/* Throws an error for `err` (an errno value) from `syscall` on `path` (may be NULL). */
void berth_throw_errno(napi_env env, int err, const char *syscall, const char *path);

/* Throws a TypeError (bad arguments from JavaScript). */
void berth_throw_type(napi_env env, const char *message);

/* Returns NULL after throwing when a N-API call failed. */
#define BERTH_CALL(env, call)                                                          \
  do {                                                                                 \
    if ((call) != napi_ok) {                                                           \
      const napi_extended_error_info *info_ = NULL;                                    \
      napi_get_last_error_info((env), &info_);                                         \
      bool pending_ = false;                                                           \
      napi_is_exception_pending((env), &pending_);                                     \
      if (!pending_)                                                                   \
        napi_throw_error((env), NULL,                                                  \
                         info_ && info_->error_message ? info_->error_message         \
                                                       : "N-API call failed");        \
      return NULL;                                                                     \
    }                                                                                  \
  } while (0)

#endif
