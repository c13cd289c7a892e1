/* glibc's allocator knobs: Node does not expose them, and a long-lived, mostly idle daemon wants
 * freed memory back in the system rather than kept for the next burst. */
#include <malloc.h>

#include "args.h"
#include "errors.h"
#include "berth.h"

/* mallocTrim(): malloc_trim(0) over every arena; true when memory was given back. Unlike the
 * automatic trim (top of the main heap only), it also returns free pages in the middle of each heap. */
napi_value berth_malloc_trim(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  BERTH_CALL(env, napi_get_boolean(env, malloc_trim(0) == 1, &result));
  return result;
}

/* mallopt(param, value): one of the M_* parameters (negative numbers, from malloc.h); true when glibc
 * accepted it. */
napi_value berth_mallopt(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!berth_args(env, info, 2, argv)) return NULL;
  int32_t param, value;
  if (napi_get_value_int32(env, argv[0], &param) != napi_ok || napi_get_value_int32(env, argv[1], &value) != napi_ok) {
    berth_throw_type(env, "mallopt takes two numbers: an M_* parameter and its value");
    return NULL;
  }
  napi_value result;
  BERTH_CALL(env, napi_get_boolean(env, mallopt(param, value) == 1, &result));
  return result;
}
