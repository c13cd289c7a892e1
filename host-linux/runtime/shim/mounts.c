/* The container's file system: rootfs made a mount point, the spec's mounts inside it (every destination
 * resolved inside the rootfs, so an image's symlinks cannot point a mount at the host), pivot_root, masked
 * and read-only paths, and a read-only root. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

int secure_join(const char *root, const char *unsafe, char *out, size_t outlen) {
  char rem[PATH_MAX * 2], cur[PATH_MAX] = "";
  snprintf(rem, sizeof rem, "%s", unsafe);
  char *p = rem;
  int links = 0;
  while (*p) {
    while (*p == '/') p++;
    if (!*p) break;
    size_t len = strcspn(p, "/");
    char comp[NAME_MAX + 1];
    if (len > NAME_MAX) return err_set("path %s: component too long", unsafe);
    memcpy(comp, p, len);
    comp[len] = 0;
    p += len;
    if (!strcmp(comp, ".")) continue;
    if (!strcmp(comp, "..")) {
      char *slash = strrchr(cur, '/');
      if (slash) *slash = 0;
      continue;
    }
    char full[PATH_MAX * 2];
    snprintf(full, sizeof full, "%s%s/%s", root, cur, comp);
    struct stat st;
    if (lstat(full, &st) == 0 && S_ISLNK(st.st_mode)) {
      if (++links > 255) return err_set("path %s: too many levels of symbolic links", unsafe);
      char target[PATH_MAX];
      ssize_t n = readlink(full, target, sizeof target - 1);
      if (n < 0) return err_errno("readlink %s", full);
      target[n] = 0;
      char next[PATH_MAX * 2];
      snprintf(next, sizeof next, "%s/%s", target, p);
      snprintf(rem, sizeof rem, "%s", next);
      p = rem;
      if (target[0] == '/') cur[0] = 0;
      continue;
    }
    if (strlen(cur) + len + 2 > sizeof cur) return err_set("path %s: too long", unsafe);
    strcat(cur, "/");
    strcat(cur, comp);
  }
  if ((size_t)snprintf(out, outlen, "%s%s", root, cur[0] ? cur : "") >= outlen) return err_set("path %s: too long", unsafe);
  return 0;
}

int rootfs_prepare(const struct spec *s, const char *rootfs) {
  (void)s;
  /* Nothing we mount may propagate back to the host. */
  if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0) return err_errno("making / a recursive slave mount");
  if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) return err_errno("bind-mounting the rootfs %s", rootfs);
  return 0;
}

static int create_file(const char *path) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = 0;
    if (mkdir_all(dir, 0755) < 0) return err_errno("creating %s", dir);
  }
  int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0 && errno != EISDIR) return err_errno("creating %s", path);
  if (fd >= 0) close(fd);
  return 0;
}

/* Flags a bind remount keeps: a remount may not drop nosuid/nodev/noexec the original mount had locked. */
static unsigned long mounted_flags(const char *path) {
  struct statvfs sv;
  if (statvfs(path, &sv) < 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

static int bind_mount(const struct mount_spec *m, const char *dest, const char *bundle) {
  char src[PATH_MAX];
  int n = m->source[0] == '/' ? snprintf(src, sizeof src, "%s", m->source)
                              : snprintf(src, sizeof src, "%s/%s", bundle, m->source);
  if (n < 0 || (size_t)n >= sizeof src) return err_set("bind mount source %s: path too long", m->source);
  struct stat st;
  if (stat(src, &st) < 0) return err_errno("bind mount source %s", src);
  if (S_ISDIR(st.st_mode)) {
    if (mkdir_all(dest, 0755) < 0) return err_errno("creating mount point %s", dest);
  } else if (create_file(dest) < 0) {
    return -1;
  }
  if (mount(src, dest, NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0)
    return err_errno("bind-mounting %s at %s", src, m->dest);
  unsigned long extra = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  if (extra && mount(NULL, dest, NULL, MS_REMOUNT | MS_BIND | extra | (mounted_flags(dest) & ~MS_RDONLY), NULL) < 0)
    return err_errno("remounting %s with its options", m->dest);
  return 0;
}

int mounts_apply(const struct spec *s, const char *rootfs) {
  const char *bundle_end = strrchr(rootfs, '/');
  char bundle[PATH_MAX];
  snprintf(bundle, sizeof bundle, "%.*s", bundle_end ? (int)(bundle_end - rootfs) : 1, bundle_end ? rootfs : "/");
  bool own_cgroup_ns = spec_has_ns(s, CLONE_NEWCGROUP, NULL);
  for (size_t i = 0; i < s->nmounts; i++) {
    const struct mount_spec *m = &s->mounts[i];
    char dest[PATH_MAX];
    if (secure_join(rootfs, m->dest, dest, sizeof dest) < 0) return -1;
    if (!strcmp(m->type, "cgroup")) {
      if (cgroup_mount_all(dest, m->flags, s->cgroups_path, own_cgroup_ns) < 0) return -1;
    } else if (m->bind) {
      if (bind_mount(m, dest, bundle) < 0) return -1;
    } else {
      if (mkdir_all(dest, 0755) < 0) return err_errno("creating mount point %s", m->dest);
      unsigned long flags = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
      if (mount(m->source, dest, m->type, flags, m->data) < 0) {
        /* sysfs needs a network namespace of its own, mqueue an IPC one; without them use the host's */
        const char *host = !strcmp(m->type, "sysfs") ? "/sys" : !strcmp(m->type, "mqueue") ? "/dev/mqueue" : NULL;
        if (!host || (errno != EPERM && errno != EBUSY) ||
            mount(host, dest, NULL, MS_BIND | MS_REC, NULL) < 0 ||
            mount(NULL, dest, NULL, MS_REMOUNT | MS_BIND | flags, NULL) < 0)
          return err_errno("mounting %s (%s) at %s", m->source, m->type, m->dest);
      }
    }
    if (m->propagation && mount(NULL, dest, NULL, m->propagation, NULL) < 0)
      return err_errno("setting propagation of %s", m->dest);
  }
  return 0;
}

int rootfs_pivot(const char *rootfs) {
  int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0) return err_errno("opening /");
  int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0) { close(oldroot); return err_errno("opening the rootfs %s", rootfs); }
  int rc = -1;
  /* pivot_root(".", ".") stacks the old root on top of the new one; it is then unmounted from under us. */
  if (fchdir(newroot) < 0) { err_errno("chdir to the rootfs"); goto out; }
  if (syscall(SYS_pivot_root, ".", ".") < 0) { err_errno("pivot_root to %s", rootfs); goto out; }
  if (fchdir(oldroot) < 0) { err_errno("chdir to the old root"); goto out; }
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) { err_errno("making the old root a slave"); goto out; }
  if (umount2(".", MNT_DETACH) < 0) { err_errno("unmounting the old root"); goto out; }
  if (chdir("/") < 0) { err_errno("chdir /"); goto out; }
  rc = 0;
out:
  close(oldroot);
  close(newroot);
  return rc;
}

int paths_mask(char **paths) {
  for (size_t i = 0; paths && paths[i]; i++) {
    struct stat st;
    if (stat(paths[i], &st) < 0) {
      if (errno == ENOENT) continue;
      return err_errno("masking %s", paths[i]);
    }
    int r = S_ISDIR(st.st_mode) ? mount("tmpfs", paths[i], "tmpfs", MS_RDONLY, NULL)
                                : mount("/dev/null", paths[i], NULL, MS_BIND, NULL);
    if (r < 0) return err_errno("masking %s", paths[i]);
  }
  return 0;
}

int paths_readonly(char **paths) {
  for (size_t i = 0; paths && paths[i]; i++) {
    if (mount(paths[i], paths[i], NULL, MS_BIND | MS_REC, NULL) < 0) {
      if (errno == ENOENT) continue;
      return err_errno("making %s read-only", paths[i]);
    }
    if (mount(NULL, paths[i], NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | mounted_flags(paths[i]), NULL) < 0)
      return err_errno("making %s read-only", paths[i]);
  }
  return 0;
}

int rootfs_finalize(const struct spec *s) {
  if (s->root_readonly &&
      mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | mounted_flags("/"), NULL) < 0)
    return err_errno("remounting the rootfs read-only");
  if (s->rootfs_propagation && mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
    return err_errno("setting the rootfs propagation");
  return 0;
}
