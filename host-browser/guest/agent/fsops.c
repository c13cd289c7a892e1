/* A container's files for the host: its changes (docker diff), the upper dir as an OCI layer
 * (docker commit), the whole rootfs (docker export) and sizes. Archives are written into the 9p
 * share by a background tar; the request is answered when it ends. */
#include "agent.h"
#include <ftw.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

struct fs_job { struct fs_job *next; pid_t pid; uint32_t rid; char unmount[192], cleanup[192]; };
static struct fs_job *jobs;

static int container_dir(struct json *j, char *dir, size_t cap, char *err, size_t errcap) {
  char *name = json_str(j, json_get(j, 0, "name"), "");
  int ok = valid_name(name);
  if (ok) snprintf(dir, cap, "%s/%s", CONTAINERS_DIR, name);
  else snprintf(err, errcap, "invalid container name \"%s\"", name);
  free(name);
  if (!ok) return -1;
  char upper[256];
  snprintf(upper, sizeof upper, "%s/upper", dir);
  if (access(upper, F_OK) < 0) { snprintf(err, errcap, "the file system of container %s is gone", dir + strlen(CONTAINERS_DIR) + 1); return -1; }
  return 0;
}

static int share_path(struct json *j, char *out, size_t cap, char *err, size_t errcap) {
  char *name = json_str(j, json_get(j, 0, "out"), "");
  int ok = *name && !strchr(name, '/');
  if (ok) snprintf(out, cap, "%s/%s", SHARE_DIR, name);
  else snprintf(err, errcap, "invalid output name \"%s\"", name);
  free(name);
  return ok ? 0 : -1;
}

/* nftw has no closure: the walk's state. */
static struct { struct json *j; int layers; int root_len; long long bytes; char *buf; size_t n, cap; int first; } walk;

static void walk_add(const char *s) {
  size_t len = strlen(s);
  while (walk.n + len + 1 > walk.cap) { walk.cap = walk.cap ? walk.cap * 2 : 4096; walk.buf = realloc(walk.buf, walk.cap); if (!walk.buf) _exit(70); }
  memcpy(walk.buf + walk.n, s, len + 1);
  walk.n += len;
}

static int in_lower(const char *rel) {
  int nl = walk.layers >= 0 ? walk.j->tok[walk.layers].size : 0;
  for (int k = 0; k < nl; k++) {
    char *d = json_str(walk.j, json_at(walk.j, walk.layers, k), ""), dir[160], p[4096];
    struct stat st;
    int found = !layer_dir(d, dir, sizeof dir) && (snprintf(p, sizeof p, "%s%s", dir, rel), !lstat(p, &st));
    free(d);
    if (found) return 1;
  }
  return 0;
}

static int change_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)flag; (void)ftw;
  const char *rel = path + walk.root_len;
  if (!*rel) return 0;
  int kind = S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0) ? 2 : in_lower(rel) ? 0 : 1;
  char q[4200] = "";
  json_quote(q, sizeof q, rel);
  char item[4300];
  snprintf(item, sizeof item, "%s{\"path\":%s,\"kind\":%d}", walk.first ? "" : ",", q, kind);
  walk_add(item);
  walk.first = 0;
  return 0;
}

static int size_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)path; (void)flag; (void)ftw;
  if (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode)) walk.bytes += st->st_size;
  return 0;
}

/* The overlay form back to the OCI form in a copy of the upper dir. */
static int to_oci_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)flag;
  char p[4096];
  if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0)) {
    snprintf(p, sizeof p, "%.*s.wh.%s", ftw->base, path, path + ftw->base);
    if (unlink(path) < 0) return -1;
    return write_file(p, "");
  }
  char v[4];
  if (S_ISDIR(st->st_mode) && lgetxattr(path, "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y') {
    snprintf(p, sizeof p, "%s/.wh..wh..opq", path);
    lremovexattr(path, "trusted.overlay.opaque");
    return write_file(p, "");
  }
  return 0;
}

static int start_tar(const char *archive, const char *dir, uint32_t rid, const char *unmount, const char *cleanup, char *err, size_t errcap) {
  char *tar[] = { "tar", "-cf", (char *)archive, "-C", (char *)dir, ".", NULL };
  pid_t pid = spawn(tar);
  if (pid < 0) { snprintf(err, errcap, "starting tar: %s", strerror(errno)); return -1; }
  struct fs_job *job = calloc(1, sizeof *job);
  job->pid = pid; job->rid = rid;
  snprintf(job->unmount, sizeof job->unmount, "%s", unmount ? unmount : "");
  snprintf(job->cleanup, sizeof job->cleanup, "%s", cleanup ? cleanup : "");
  job->next = jobs;
  jobs = job;
  return 0;
}

/* 1: answered later (a tar job); 0: answered now with `extra`; -1: failed with `err`. */
int fs_request(const char *op, struct json *j, uint32_t rid, char *err, size_t errcap, char *extra, size_t extracap) {
  char dir[160], p[256], out[512];
  if (container_dir(j, dir, sizeof dir, err, errcap) < 0) return -1;
  if (!strcmp(op, "changes")) {
    memset(&walk, 0, sizeof walk);
    walk.j = j; walk.layers = json_get(j, 0, "layers"); walk.first = 1;
    snprintf(p, sizeof p, "%s/upper", dir);
    walk.root_len = (int)strlen(p);
    walk_add("{\"ok\":true,\"changes\":[");
    nftw(p, change_entry, 32, FTW_PHYS);
    walk_add("]}");
    send_frame(F_RESPONSE, rid, walk.buf, walk.n);
    free(walk.buf);
    return 1;
  }
  if (!strcmp(op, "size")) {
    memset(&walk, 0, sizeof walk);
    snprintf(p, sizeof p, "%s/upper", dir);
    nftw(p, size_entry, 32, FTW_PHYS);
    long long rw = walk.bytes;
    int layers = json_get(j, 0, "layers");
    for (int k = 0; layers >= 0 && k < j->tok[layers].size; k++) {
      char *d = json_str(j, json_at(j, layers, k), ""), ld[160];
      if (!layer_dir(d, ld, sizeof ld)) nftw(ld, size_entry, 32, FTW_PHYS);
      free(d);
    }
    snprintf(extra, extracap, "\"rw\":%lld,\"rootFs\":%lld", rw, walk.bytes);
    return 0;
  }
  if (share_path(j, out, sizeof out, err, errcap) < 0) return -1;
  if (!strcmp(op, "export")) {
    snprintf(p, sizeof p, "%s/rootfs", dir);
    int was = is_mounted(p);
    if (mount_rootfs(j, dir, 0, err, errcap) < 0) return -1;
    return start_tar(out, p, rid, was ? NULL : p, NULL, err, errcap) < 0 ? -1 : 1;
  }
  if (!strcmp(op, "diff-tar")) {
    char tmp[192], upper[192];
    snprintf(upper, sizeof upper, "%s/upper", dir);
    snprintf(tmp, sizeof tmp, "%s/diff.tmp", dir);
    char *rm[] = { "rm", "-rf", tmp, NULL };
    run_wait(rm);
    char *cp[] = { "cp", "-a", upper, tmp, NULL };
    if (run_wait(cp) != 0) { snprintf(err, errcap, "copying the upper dir of %s failed", dir); return -1; }
    if (nftw(tmp, to_oci_entry, 32, FTW_PHYS) != 0) { snprintf(err, errcap, "whiteouts of %s: %s", dir, strerror(errno)); run_wait(rm); return -1; }
    return start_tar(out, tmp, rid, NULL, tmp, err, errcap) < 0 ? -1 : 1;
  }
  snprintf(err, errcap, "unknown request %s", op);
  return -1;
}

int fs_job_done(pid_t pid, int status) {
  struct fs_job **pp = &jobs, *job;
  while ((job = *pp) && job->pid != pid) pp = &job->next;
  if (!job) return 0;
  *pp = job->next;
  if (*job->unmount) umount2(job->unmount, MNT_DETACH);
  if (*job->cleanup) { char *rm[] = { "rm", "-rf", job->cleanup, NULL }; run_wait(rm); }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  char buf[128];
  if (code) snprintf(buf, sizeof buf, "{\"ok\":false,\"error\":\"tar exited with %d\"}", code);
  else snprintf(buf, sizeof buf, "{\"ok\":true}");
  send_json(F_RESPONSE, job->rid, buf);
  free(job);
  return 1;
}
