/* A container's files for the host: its changes (docker diff), the upper dir as an OCI layer
 * (docker commit), the whole rootfs (docker export) and sizes. Archives are written into the 9p
 * share by a background tar; the request is answered when it ends. */
#include "agent.h"
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

struct fs_job { struct fs_job *next; pid_t pid; uint32_t rid; char unmount[192], cleanup[192]; };
static struct fs_job *jobs;
static int add_job(pid_t pid, uint32_t rid, const char *unmount, const char *cleanup);

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
  return add_job(pid, rid, unmount, cleanup);
}

static int add_job(pid_t pid, uint32_t rid, const char *unmount, const char *cleanup) {
  struct fs_job *job = calloc(1, sizeof *job);
  job->pid = pid; job->rid = rid;
  snprintf(job->unmount, sizeof job->unmount, "%s", unmount ? unmount : "");
  snprintf(job->cleanup, sizeof job->cleanup, "%s", cleanup ? cleanup : "");
  job->next = jobs;
  jobs = job;
  return 0;
}

/* Go's os.FileMode bits, which docker cp's stat header carries. */
static unsigned long go_mode(mode_t m) {
  unsigned long g = m & 0777;
  if (S_ISDIR(m)) g |= 0x80000000UL;
  if (S_ISLNK(m)) g |= 0x08000000UL;
  if (S_ISFIFO(m)) g |= 0x02000000UL;
  if (S_ISSOCK(m)) g |= 0x01000000UL;
  if (S_ISCHR(m)) g |= 0x04000000UL | 0x00200000UL;
  if (S_ISBLK(m)) g |= 0x04000000UL;
  if (m & 04000) g |= 0x00800000UL;
  if (m & 02000) g |= 0x00400000UL;
  if (m & 01000) g |= 0x00100000UL;
  return g;
}

/* A child chrooted into the container's rootfs, so its symlinks resolve inside it. */
static pid_t chrooted(const char *rootfs) {
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (chroot(rootfs) < 0 || chdir("/") < 0) _exit(126);
  }
  return pid;
}

/* stat of `path` in the rootfs as "size mode mtime\nlinktarget" on fd; exit 2 if it is not there. */
static void __attribute__((noreturn)) stat_child(const char *path, int fd) {
  struct stat st;
  if (lstat(path, &st) < 0) _exit(2);
  char link[4096] = "";
  if (S_ISLNK(st.st_mode) && !realpath(path, link)) snprintf(link, sizeof link, "%s", path);
  dprintf(fd, "%lld %lu %lld\n%s", (long long)st.st_size, go_mode(st.st_mode), (long long)st.st_mtime, link);
  _exit(0);
}

/* cp from the container: `tar -cf - <base>` in the path's directory, the guest's busybox run by fd. */
static void __attribute__((noreturn)) get_child(char *path, int out, int busybox) {
  size_t len = strlen(path);
  int follow = len > 1 && (path[len - 1] == '/' || !strcmp(path + len - 2, "/."));
  static char real[4096];
  if (follow && realpath(path, real)) path = real;
  while ((len = strlen(path)) > 1 && path[len - 1] == '/') path[len - 1] = 0;
  char *slash = strrchr(path, '/');
  char *base = slash ? slash + 1 : path;
  if (slash == path) { if (chdir("/") < 0) _exit(2); }
  else if (slash) { *slash = 0; if (chdir(path) < 0) _exit(2); }
  if (!*base) base = ".";
  dup2(out, 1);
  char *argv[] = { "tar", "-cf", "-", base, NULL };
  char *env[] = { NULL };
  fexecve(busybox, argv, env);
  _exit(127);
}

/* cp into the container: `tar -xf -` in the (existing) directory. */
static void __attribute__((noreturn)) put_child(const char *path, int in, int busybox) {
  if (chdir(path) < 0) _exit(2);
  dup2(in, 0);
  char *argv[] = { "tar", "-xf", "-", NULL };
  char *env[] = { NULL };
  fexecve(busybox, argv, env);
  _exit(127);
}

static int copy_request(const char *op, struct json *j, const char *dir, uint32_t rid, char *err, size_t errcap, char *extra, size_t extracap) {
  char rootfs[192], file[512];
  snprintf(rootfs, sizeof rootfs, "%s/rootfs", dir);
  int was = is_mounted(rootfs);
  if (mount_rootfs(j, dir, 0, err, errcap) < 0) return -1;
  char *path = json_str(j, json_get(j, 0, "path"), "/");
  int rc = -1;
  if (!strcmp(op, "stat")) {
    int pp[2];
    if (pipe2(pp, O_CLOEXEC) < 0) { snprintf(err, errcap, "pipe: %s", strerror(errno)); goto out; }
    pid_t pid = chrooted(rootfs);
    if (pid == 0) stat_child(path, pp[1]);
    close(pp[1]);
    char buf[4200] = "";
    size_t n = 0;
    ssize_t r;
    while (n + 1 < sizeof buf && (r = read(pp[0], buf + n, sizeof buf - n - 1)) > 0) n += (size_t)r;
    buf[n] = 0;
    close(pp[0]);
    int st = 0;
    if (pid > 0) waitpid(pid, &st, 0);
    if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) { snprintf(err, errcap, "not found: %s", path); goto out; }
    long long size = 0, mtime = 0;
    unsigned long mode = 0;
    char *nl = strchr(buf, '\n');
    sscanf(buf, "%lld %lu %lld", &size, &mode, &mtime);
    char q[4200] = "";
    json_quote(q, sizeof q, nl ? nl + 1 : "");
    snprintf(extra, extracap, "\"size\":%lld,\"mode\":%lu,\"mtime\":%lld,\"linkTarget\":%s", size, mode, mtime, q);
    rc = 0;
    goto out;
  }
  if (share_path(j, file, sizeof file, err, errcap) < 0) goto out;
  int busybox = open("/bin/busybox", O_RDONLY | O_CLOEXEC);
  int io = op[0] == 'g' ? open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : open(file, O_RDONLY | O_CLOEXEC);
  if (io < 0 || busybox < 0) {
    snprintf(err, errcap, "open %s: %s", io < 0 ? file : "/bin/busybox", strerror(errno));
    if (io >= 0) close(io);
    if (busybox >= 0) close(busybox);
    goto out;
  }
  pid_t pid = chrooted(rootfs);
  if (pid == 0) { if (op[0] == 'g') get_child(path, io, busybox); else put_child(path, io, busybox); }
  close(io); close(busybox);
  if (pid < 0) { snprintf(err, errcap, "fork: %s", strerror(errno)); goto out; }
  add_job(pid, rid, was ? NULL : rootfs, NULL);
  was = 1; /* the job unmounts */
  rc = 1;
out:
  if (!was) umount2(rootfs, MNT_DETACH);
  free(path);
  return rc;
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
  if (!strcmp(op, "stat") || !strcmp(op, "get") || !strcmp(op, "put")) return copy_request(op, j, dir, rid, err, errcap, extra, extracap);
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
