/* mount(2) and umount2(2). Node has neither; the daemon mounts each container's overlay root. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mount.h>

#include "args.h"
#include "errors.h"
#include "mount.h"

/* A string argument that may also be null or undefined (mount's source, fstype and data may be NULL). */
static bool optional_string(napi_env env, napi_value value, const char *what, char **out) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return false;
  if (type == napi_null || type == napi_undefined) {
    *out = NULL;
    return true;
  }
  return berth_arg_string(env, value, what, out);
}

/* mount(source, target, fstype, flags, data): source, fstype and data may be null. The error
 * names the target, which is what a caller needs to find the failed mount. */
napi_value berth_mount(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  size_t argc = 5;
  BERTH_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    berth_throw_type(env, "mount(source, target, fstype, flags[, data]) takes at least 4 arguments");
    return NULL;
  }
  if (argc < 5) BERTH_CALL(env, napi_get_undefined(env, &argv[4]));
  char *source = NULL, *target = NULL, *fstype = NULL, *data = NULL;
  uint32_t flags = 0;
  if (optional_string(env, argv[0], "source", &source) && berth_arg_string(env, argv[1], "target", &target) &&
      optional_string(env, argv[2], "fstype", &fstype) && berth_arg_uint32(env, argv[3], "flags", &flags) &&
      optional_string(env, argv[4], "data", &data)) {
    if (mount(source, target, fstype, (unsigned long)flags, data) != 0) berth_throw_errno(env, errno, "mount", target);
  }
  free(source);
  free(target);
  free(fstype);
  free(data);
  return NULL;
}

/* umount2(target, flags): flags are MNT_FORCE, MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW. */
napi_value berth_umount2(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!berth_args(env, info, 2, argv)) return NULL;
  char *target;
  uint32_t flags;
  if (!berth_arg_string(env, argv[0], "target", &target)) return NULL;
  if (!berth_arg_uint32(env, argv[1], "flags", &flags)) {
    free(target);
    return NULL;
  }
  if (umount2(target, (int)flags) != 0) berth_throw_errno(env, errno, "umount2", target);
  free(target);
  return NULL;
}
