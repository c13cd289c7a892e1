/* /dev inside the container: runc's default nodes and symlinks plus linux.devices; a node that cannot be
 * created with mknod is bind-mounted from the host instead. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const struct device_spec default_devices[] = {
    {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
    {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
    {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
};

static int make_node(const struct device_spec *d, const char *rootfs) {
  char path[PATH_MAX];
  if (secure_join(rootfs, d->path, path, sizeof path) < 0) return -1;
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  *strrchr(dir, '/') = 0;
  if (mkdir_all(dir, 0755) < 0) return err_errno("creating %s", dir);
  mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
  unlink(path);
  if (mknod(path, type | (d->mode & 07777), type == S_IFIFO ? 0 : makedev(d->major, d->minor)) < 0) {
    if (errno != EPERM) return err_errno("creating device %s", d->path);
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) return err_errno("creating %s", d->path);
    close(fd);
    if (mount(d->path, path, NULL, MS_BIND, NULL) < 0) return err_errno("bind-mounting device %s", d->path);
    return 0;
  }
  if (chmod(path, d->mode & 07777) < 0 || chown(path, d->uid, d->gid) < 0) return err_errno("setting up %s", d->path);
  return 0;
}

/* /dev is set up unless the spec bind-mounts it from elsewhere, as runc decides. */
static bool needs_dev(const struct spec *s) {
  for (size_t i = 0; i < s->nmounts; i++)
    if (!strcmp(s->mounts[i].dest, "/dev")) return !s->mounts[i].bind;
  return true;
}

int devices_create(const struct spec *s, const char *rootfs) {
  if (!needs_dev(s)) return 0;
  for (size_t i = 0; i < sizeof default_devices / sizeof *default_devices; i++) {
    bool overridden = false;
    for (size_t k = 0; k < s->ndevices; k++) overridden |= !strcmp(s->devices[k].path, default_devices[i].path);
    if (!overridden && make_node(&default_devices[i], rootfs) < 0) return -1;
  }
  for (size_t k = 0; k < s->ndevices; k++)
    if (make_node(&s->devices[k], rootfs) < 0) return -1;
  static const char *links[][2] = {
      {"/proc/self/fd", "/dev/fd"},     {"/proc/self/fd/0", "/dev/stdin"}, {"/proc/self/fd/1", "/dev/stdout"},
      {"/proc/self/fd/2", "/dev/stderr"}, {"pts/ptmx", "/dev/ptmx"},      {"/proc/kcore", "/dev/core"},
  };
  struct stat st;
  for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
    if (!strcmp(links[i][1], "/dev/core") && stat("/proc/kcore", &st) < 0) continue;
    char path[PATH_MAX];
    if (secure_join(rootfs, links[i][1], path, sizeof path) < 0) return -1;
    if (!strcmp(links[i][1], "/dev/ptmx")) unlink(path); /* a device node of the image's /dev would hide devpts' */
    if (symlink(links[i][0], path) < 0 && errno != EEXIST) return err_errno("creating symlink %s", links[i][1]);
  }
  return 0;
}
