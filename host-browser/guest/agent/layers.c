/* Image layers in the guest: a layer tar arrives through the 9p share and is extracted once into
 * its diffID's directory, with the OCI `.wh.` whiteouts turned into overlayfs's (a 0/0 character
 * device, the opaque xattr), so the directories stack as overlay lowers. */
#include "agent.h"
#include <ftw.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

int layer_dir(const char *diffid, char *out, size_t cap) {
  if (strncmp(diffid, "sha256:", 7) || strlen(diffid) != 71) return -1;
  for (const char *p = diffid + 7; *p; p++)
    if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p)) return -1;
  snprintf(out, cap, "%s/%s", LAYERS_DIR, diffid + 7);
  return 0;
}

int layer_present(const char *diffid) {
  char dir[160];
  struct stat st;
  return !layer_dir(diffid, dir, sizeof dir) && !stat(dir, &st) && S_ISDIR(st.st_mode);
}

static int whiteout_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st; (void)flag;
  const char *name = path + ftw->base;
  if (strncmp(name, ".wh.", 4)) return 0;
  char dir[4096];
  snprintf(dir, sizeof dir, "%.*s", ftw->base, path);
  if (!strcmp(name, ".wh..wh..opq")) {
    if (lsetxattr(dir, "trusted.overlay.opaque", "y", 1, 0) < 0) return -1;
  } else {
    char target[4096];
    snprintf(target, sizeof target, "%s%s", dir, name + 4);
    if (mknod(target, S_IFCHR | 0, makedev(0, 0)) < 0 && errno != EEXIST) return -1;
  }
  return unlink(path);
}

int layer_extract(const char *diffid, const char *path, char *err, size_t errcap) {
  char dir[160], tmp[176], src[512];
  if (layer_dir(diffid, dir, sizeof dir) < 0) { snprintf(err, errcap, "invalid diffID %s", diffid); return -1; }
  if (layer_present(diffid)) return 0;
  if (strstr(path, "..") || path[0] == '/') { snprintf(err, errcap, "invalid layer path %s", path); return -1; }
  snprintf(src, sizeof src, "%s/%s", SHARE_DIR, path);
  snprintf(tmp, sizeof tmp, "%s.tmp", dir);
  char *rm[] = { "rm", "-rf", tmp, NULL };
  run_wait(rm);
  if (mkdir_p(tmp, 0755) < 0) { snprintf(err, errcap, "mkdir %s: %s", tmp, strerror(errno)); return -1; }
  unsigned char magic[2] = { 0, 0 };
  int fd = open(src, O_RDONLY);
  if (fd < 0) { snprintf(err, errcap, "open %s: %s", src, strerror(errno)); return -1; }
  if (read(fd, magic, 2) < 0) magic[0] = 0;
  close(fd);
  int gz = magic[0] == 0x1f && magic[1] == 0x8b;
  char *tar[] = { "tar", gz ? "-xzf" : "-xf", src, "-C", tmp, NULL };
  int rc = run_wait(tar);
  if (rc != 0) { snprintf(err, errcap, "extracting layer %s: tar exited with %d", diffid, rc); run_wait(rm); return -1; }
  if (nftw(tmp, whiteout_entry, 32, FTW_PHYS) != 0) {
    snprintf(err, errcap, "whiteouts of layer %s: %s", diffid, strerror(errno));
    run_wait(rm);
    return -1;
  }
  if (rename(tmp, dir) < 0) { snprintf(err, errcap, "rename %s: %s", tmp, strerror(errno)); return -1; }
  unlink(src); /* frees the host's copy in the 9p share */
  return 0;
}
