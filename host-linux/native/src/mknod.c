/* Device nodes and fifos: Node's fs has no mknod. */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <errno.h>

#include "args.h"
#include "errors.h"
#include "berth.h"

/* mknod(path, mode, major, minor): mode carries the file type (S_IFCHR, S_IFBLK, S_IFIFO) and
 * permission bits; the process umask applies, as with mknod(2). */
napi_value berth_mknod(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!berth_args(env, info, 4, argv)) return NULL;
  char *path;
  uint32_t mode, major, minor;
  if (!berth_arg_string(env, argv[0], "path", &path)) return NULL;
  if (!berth_arg_uint32(env, argv[1], "mode", &mode) || !berth_arg_uint32(env, argv[2], "major", &major) ||
      !berth_arg_uint32(env, argv[3], "minor", &minor)) {
    free(path);
    return NULL;
  }
  if (mknod(path, (mode_t)mode, makedev(major, minor)) != 0) berth_throw_errno(env, errno, "mknod", path);
  free(path);
  return NULL;
}
