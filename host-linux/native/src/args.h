/* Reading JavaScript arguments into C values; each returns false after throwing a TypeError. */
#ifndef BERTH_ARGS_H
#define BERTH_ARGS_H
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A string argument as a malloc'd NUL-terminated UTF-8 string (free it); NUL bytes inside are refused. */
bool berth_arg_string(napi_env env, napi_value value, const char *what, char **out);

/* A uint32 argument. */
bool berth_arg_uint32(napi_env env, napi_value value, const char *what, uint32_t *out);

/* A Buffer or Uint8Array argument: a view of its bytes (valid during the call). */
bool berth_arg_bytes(napi_env env, napi_value value, const char *what, void **data, size_t *len);

/* Fetches exactly `n` arguments, throwing when fewer were given. */
bool berth_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv);

#endif
