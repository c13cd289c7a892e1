/* A container in the guest: overlayfs over the layer directories, a cgroup for limits and
 * kill-all, and a child cloned into new pid/mount/uts/ipc/net namespaces that pivots into the
 * rootfs and waits for `start` before it execs (as runc create/start). */
#include "agent.h"
#include <fcntl.h>
#include <dirent.h>
#include <grp.h>
#include <stdarg.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>
#include <limits.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

struct container *containers;

struct container *container_find(uint32_t id) {
  for (struct container *c = containers; c; c = c->next) if (c->id == id) return c;
  return NULL;
}

struct container *container_by_pid(pid_t pid) {
  for (struct container *c = containers; c; c = c->next) if (c->pid == pid && !c->exited) return c;
  return NULL;
}

struct spec {
  struct json *j;              /* the create request (the child reads its "mounts") */
  char **args, **env, **masked, **readonly_paths;
  char *cwd, *user, *hostname;
  char *ip, *gateway;          /* eth0 on the guest's bridge (none: loopback only) */
  int prefix;
  int tty, open_stdin, rows, cols, readonly;
};

/* Writes the exec error for the host and leaves with Docker's code. */
static void __attribute__((noreturn)) child_fail(int fd, int code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (write(fd, msg, strlen(msg)) < 0) { /* the host sees EOF and the exit code */ }
  _exit(code);
}

static int executable(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) return errno;
  return !S_ISDIR(st.st_mode) && (st.st_mode & 0111) ? 0 : EACCES;
}

/* exec.LookPath with the container's PATH, with runc's messages (what core maps to 126/127). */
static char *lookpath(const char *file, char **env, int fd) {
  if (strchr(file, '/')) {
    int e = executable(file);
    if (!e) return (char *)file;
    if (e == EACCES) child_fail(fd, 126, "exec: \"%s\": permission denied", file);
    child_fail(fd, 127, "exec: \"%s\": stat %s: no such file or directory", file, file);
  }
  const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (char **e = env; *e; e++) if (!strncmp(*e, "PATH=", 5)) path = *e + 5;
  static char cand[PATH_MAX];
  while (*path) {
    size_t len = strcspn(path, ":");
    if (len) snprintf(cand, sizeof cand, "%.*s/%s", (int)len, path, file);
    else snprintf(cand, sizeof cand, "./%s", file);
    if (!executable(cand)) return cand;
    if (!path[len]) break;
    path += len + 1;
  }
  child_fail(fd, 127, "exec: \"%s\": executable file not found in $PATH", file);
}

/* user, uid, uid:gid, name:group as the image's /etc/passwd and /etc/group say. */
static int resolve_user(const char *spec, uid_t *uid, gid_t *gid, char *home, size_t homecap) {
  char u[128], g[128] = "";
  snprintf(u, sizeof u, "%s", spec);
  char *colon = strchr(u, ':');
  if (colon) { snprintf(g, sizeof g, "%s", colon + 1); *colon = 0; }
  *uid = 0; *gid = 0;
  snprintf(home, homecap, "/");
  if (!*u) snprintf(u, sizeof u, "0");
  char *end;
  long n = strtol(u, &end, 10);
  int numeric = !*end;
  FILE *f = fopen("/etc/passwd", "r");
  int found = 0;
  if (f) {
    struct passwd *pw;
    while ((pw = fgetpwent(f))) {
      if (numeric ? pw->pw_uid == (uid_t)n : !strcmp(pw->pw_name, u)) {
        *uid = pw->pw_uid; *gid = pw->pw_gid; found = 1;
        snprintf(home, homecap, "%s", pw->pw_dir);
        break;
      }
    }
    fclose(f);
  }
  if (!found) {
    if (!numeric) { errno = ENOENT; return -1; }
    *uid = (uid_t)n;
  }
  if (*g) {
    n = strtol(g, &end, 10);
    if (!*end) { *gid = (gid_t)n; return 0; }
    f = fopen("/etc/group", "r");
    found = 0;
    if (f) {
      struct group *gr;
      while ((gr = fgetgrent(f))) if (!strcmp(gr->gr_name, g)) { *gid = gr->gr_gid; found = 1; break; }
      fclose(f);
    }
    if (!found) { errno = ENOENT; return -1; }
  }
  return 0;
}

static void mount_dev(const char *root) {
  char p[512];
  snprintf(p, sizeof p, "%s/dev", root);
  mkdir(p, 0755);
  mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  static const struct { const char *name; int major, minor; } nodes[] = {
    { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
  };
  for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
    snprintf(p, sizeof p, "%s/dev/%s", root, nodes[i].name);
    mknod(p, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor));
    chmod(p, 0666);
  }
  static const char *links[][2] = {
    { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
    { "/proc/self/fd/2", "stderr" }, { "pts/ptmx", "ptmx" },
  };
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
    snprintf(p, sizeof p, "%s/dev/%s", root, links[i][1]);
    if (symlink(links[i][0], p) < 0) { /* already there */ }
  }
  snprintf(p, sizeof p, "%s/dev/pts", root);
  mkdir(p, 0755);
  /* The guest's ptys, not a new instance: the agent opens a tty container's pty there, and ttyname()
   * in the container must find it. */
  mount("/dev/pts", p, NULL, MS_BIND, NULL);
  snprintf(p, sizeof p, "%s/dev/shm", root);
  mkdir(p, 01777);
  mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
}

static void loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) return;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
  if (!ioctl(s, SIOCGIFFLAGS, &ifr)) { ifr.ifr_flags |= IFF_UP | IFF_RUNNING; ioctl(s, SIOCSIFFLAGS, &ifr); }
  close(s);
}

/* The process's stdio (a tty makes it the session leader with the pty as its terminal); only the
 * start and error pipes stay open besides. */
static void child_stdio(struct spec *s, int in, int out, int err, int start_rd, int efd) {
  setsid();
  if (s->tty) ioctl(out, TIOCSCTTY, 0);
  dup2(in, 0); dup2(out, 1); dup2(err, 2);
  for (int fd = 3; fd < 1024; fd++) if (fd != start_rd && fd != efd) close(fd);
}

static void __attribute__((noreturn)) run_process(struct spec *s, int start_rd, int efd);

static int valid_volume(const char *n) {
  if (!isalnum((unsigned char)*n) || strlen(n) > 128) return 0;
  for (; *n; n++) if (!isalnum((unsigned char)*n) && !strchr("_.-", *n)) return 0;
  return 1;
}

static int empty_dir(const char *path) {
  DIR *d = opendir(path);
  if (!d) return 0;
  struct dirent *e;
  int empty = 1;
  while (empty && (e = readdir(d))) if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
  closedir(d);
  return empty;
}

/* -v name:/dest (a directory of the guest that outlives the container) and --tmpfs /dest. A new
 * volume starts with what the image has at its destination, as Docker's. */
static void user_mounts(struct json *j, const char *root, int efd) {
  if (json_num(j, json_get(j, 0, "init"), 0)) {
    char target[512];
    snprintf(target, sizeof target, "%s/sbin/docker-init", root);
    if (mount("/sbin/berth-init", target, NULL, MS_BIND, NULL) < 0) child_fail(efd, 128, "mounting docker-init: %s", strerror(errno));
    mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
  }
  int ms = json_get(j, 0, "mounts");
  for (int k = 0; ms >= 0 && k < j->tok[ms].size; k++) {
    int m = json_at(j, ms, k);
    char *type = json_str(j, json_get(j, m, "type"), ""), *dest = json_str(j, json_get(j, m, "destination"), "");
    char *name = json_str(j, json_get(j, m, "name"), ""), *data = json_str(j, json_get(j, m, "data"), "");
    int ro = (int)json_num(j, json_get(j, m, "readonly"), 0);
    char target[1024], src[512];
    if (dest[0] != '/' || strstr(dest, "..")) child_fail(efd, 128, "invalid mount destination \"%s\"", dest);
    snprintf(target, sizeof target, "%s%s", root, dest);
    mkdir_p(target, 0755);
    if (!strcmp(type, "volume")) {
      if (!valid_volume(name)) child_fail(efd, 128, "invalid volume name \"%s\"", name);
      snprintf(src, sizeof src, "%s/%s/_data", VOLUMES_DIR, name);
      struct stat st;
      int fresh = stat(src, &st) < 0;
      if (mkdir_p(src, 0755) < 0) child_fail(efd, 128, "creating volume %s: %s", name, strerror(errno));
      if (fresh && !empty_dir(target)) {
        char from[1100];
        snprintf(from, sizeof from, "%s/.", target);
        char *cp[] = { "cp", "-a", from, src, NULL };
        run_wait(cp);
      }
      if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0) child_fail(efd, 128, "mounting volume %s on %s: %s", name, dest, strerror(errno));
      if (ro) mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL);
    } else if (!strcmp(type, "tmpfs")) {
      /* --tmpfs options mix mount flags (noexec, ro) and tmpfs data (size=1m, mode=1777) */
      unsigned long flags = MS_NOSUID | MS_NODEV | (ro ? MS_RDONLY : 0);
      char opts[512] = "";
      for (char *o = strtok(data, ","); o; o = strtok(NULL, ",")) {
        if (!strcmp(o, "noexec")) flags |= MS_NOEXEC;
        else if (!strcmp(o, "exec")) flags &= ~(unsigned long)MS_NOEXEC;
        else if (!strcmp(o, "suid")) flags &= ~(unsigned long)MS_NOSUID;
        else if (!strcmp(o, "dev")) flags &= ~(unsigned long)MS_NODEV;
        else if (!strcmp(o, "ro")) flags |= MS_RDONLY;
        else if (strcmp(o, "rw") && strcmp(o, "nosuid") && strcmp(o, "nodev") && strcmp(o, "rprivate") && strcmp(o, "private")) {
          if (*opts) strncat(opts, ",", sizeof opts - strlen(opts) - 1);
          strncat(opts, o, sizeof opts - strlen(opts) - 1);
        }
      }
      if (mount("tmpfs", target, "tmpfs", flags, *opts ? opts : NULL) < 0)
        child_fail(efd, 128, "mounting a tmpfs on %s: %s", dest, strerror(errno));
    } else {
      child_fail(efd, 128, "%s mounts are not supported in the guest", type);
    }
    free(type); free(dest); free(name); free(data);
  }
}

/* The cloned child: namespaces are new; make the rootfs /, wait for start, exec. */
static void __attribute__((noreturn)) child(struct container *c, struct spec *s, int in, int out, int err, int start_rd, int efd) {
  char root[192], p[512];
  snprintf(root, sizeof root, "%s/rootfs", c->dir);
  child_stdio(s, in, out, err, start_rd, efd);
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) child_fail(efd, 128, "making / private: %s", strerror(errno));
  snprintf(p, sizeof p, "%s/proc", root);
  mkdir(p, 0555);
  if (mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) child_fail(efd, 128, "mounting /proc: %s", strerror(errno));
  snprintf(p, sizeof p, "%s/sys", root);
  mkdir(p, 0555);
  mount("sysfs", p, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
  mount_dev(root);
  /* Docker's masked and read-only paths (none for --privileged): the kernel's knobs stay the guest's. */
  for (char **m = s->masked; *m; m++) {
    struct stat st;
    snprintf(p, sizeof p, "%s%s", root, *m);
    if (strstr(*m, "..") || stat(p, &st) < 0) continue;
    if (S_ISDIR(st.st_mode)) mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0");
    else mount("/dev/null", p, NULL, MS_BIND, NULL);
  }
  for (char **m = s->readonly_paths; *m; m++) {
    snprintf(p, sizeof p, "%s%s", root, *m);
    if (strstr(*m, "..") || mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) continue;
    mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL);
  }
  user_mounts(s->j, root, efd);
  if (chdir(root) < 0) child_fail(efd, 128, "chdir %s: %s", root, strerror(errno));
  if (syscall(SYS_pivot_root, ".", ".") < 0) child_fail(efd, 128, "pivot_root: %s", strerror(errno));
  umount2(".", MNT_DETACH);
  if (chdir("/") < 0) child_fail(efd, 128, "chdir /: %s", strerror(errno));
  if (s->readonly) mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
  if (*s->hostname) sethostname(s->hostname, strlen(s->hostname));
  loopback_up();
  run_process(s, start_rd, efd);
}

/* An exec'd process: forked into the container's pid namespace by the agent; joins the others. */
static void __attribute__((noreturn)) exec_child(pid_t target, struct spec *s, int in, int out, int err, int start_rd, int efd) {
  static const char *kinds[] = { "ipc", "uts", "net", "mnt" };
  int fds[4];
  for (int k = 0; k < 4; k++) {
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/ns/%s", target, kinds[k]);
    if ((fds[k] = open(p, O_RDONLY | O_CLOEXEC)) < 0) child_fail(efd, 128, "opening %s: %s", p, strerror(errno));
  }
  for (int k = 0; k < 4; k++) {
    if (setns(fds[k], 0) < 0) child_fail(efd, 128, "joining the container's %s namespace: %s", kinds[k], strerror(errno));
    close(fds[k]);
  }
  child_stdio(s, in, out, err, start_rd, efd);
  run_process(s, start_rd, efd);
}

/* In the container's root: wait for start, become the user, exec. */
static void __attribute__((noreturn)) run_process(struct spec *s, int start_rd, int efd) {
  char one;
  if (read(start_rd, &one, 1) != 1) _exit(128); /* removed before start */
  close(start_rd);
  if (*s->ip) network_configure(s->ip, s->prefix, s->gateway); /* the agent made eth0 before the start */
  uid_t uid; gid_t gid;
  char home[512];
  if (resolve_user(s->user, &uid, &gid, home, sizeof home) < 0)
    child_fail(efd, 128, "unable to find user %s: no matching entries in passwd file", s->user);
  /* As runc: HOME from the user's passwd entry unless the config sets it. */
  size_t n = 0;
  int has_home = 0;
  for (; s->env[n]; n++) if (!strncmp(s->env[n], "HOME=", 5)) has_home = 1;
  if (!has_home) {
    s->env = realloc(s->env, sizeof(char *) * (n + 2));
    s->env[n] = xmalloc(strlen(home) + 6);
    sprintf(s->env[n], "HOME=%s", home);
    s->env[n + 1] = NULL;
  }
  if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0) child_fail(efd, 128, "setting user %s: %s", s->user, strerror(errno));
  if (*s->cwd) {
    mkdir_p(s->cwd, 0755);
    if (chdir(s->cwd) < 0) child_fail(efd, 128, "chdir to cwd (\"%s\") set in config.json failed: %s", s->cwd, strerror(errno));
  }
  if (!s->args[0]) child_fail(efd, 128, "no command specified");
  char *file = lookpath(s->args[0], s->env, efd);
  signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execve(file, s->args, s->env);
  if (errno == EACCES) child_fail(efd, 126, "exec: \"%s\": permission denied", s->args[0]);
  child_fail(efd, 127, "exec: \"%s\": %s", s->args[0], strerror(errno));
}

static int make_cgroup(struct container *c, struct json *j) {
  char p[256], v[32];
  snprintf(p, sizeof p, "%s/%u", CGROUP_DIR, c->id);
  if (mkdir(p, 0755) < 0 && errno != EEXIST) return -1;
  long long mem = json_num(j, json_get(j, 0, "memory"), 0), pids = json_num(j, json_get(j, 0, "pidsLimit"), 0);
  if (mem > 0) { snprintf(p, sizeof p, "%s/%u/memory.max", CGROUP_DIR, c->id); snprintf(v, sizeof v, "%lld", mem); write_file(p, v); }
  if (pids > 0) { snprintf(p, sizeof p, "%s/%u/pids.max", CGROUP_DIR, c->id); snprintf(v, sizeof v, "%lld", pids); write_file(p, v); }
  return 0;
}

static int open_pty(int *master, int *slave, int rows, int cols) {
  *master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*master < 0 || grantpt(*master) < 0 || unlockpt(*master) < 0) return -1;
  char *name = ptsname(*master);
  if (!name) return -1;
  *slave = open(name, O_RDWR | O_NOCTTY);
  if (*slave < 0) return -1;
  if (rows > 0 && cols > 0) {
    struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
    ioctl(*master, TIOCSWINSZ, &ws);
  }
  return 0;
}

/* Writes the engine's files (hostname, hosts, resolv.conf) into the rootfs, as Docker bind-mounts them. */
static void write_files(struct json *j, const char *root) {
  int files = json_get(j, 0, "files");
  if (files < 0 || j->tok[files].type != J_OBJ) return;
  int i = files + 1;
  for (int k = 0; k < j->tok[files].size; k++) {
    char *name = json_str(j, i, ""), *data = json_str(j, i + 1, "");
    if (name[0] == '/' && !strstr(name, "..")) {
      char p[1024];
      snprintf(p, sizeof p, "%s%s", root, name);
      char *slash = strrchr(p, '/');
      *slash = 0; mkdir_p(p, 0755); *slash = '/';
      unlink(p); /* a symlink in the image must not redirect the write */
      write_file(p, data);
    }
    free(name); free(data);
    i = j->tok[i + 1].next;
  }
}

int valid_name(const char *n) {
  size_t len = strlen(n);
  if (!len || len > 64) return 0;
  for (; *n; n++) if (!isxdigit((unsigned char)*n) || isupper((unsigned char)*n)) return 0;
  return 1;
}

/* Forks the agent's child into the target's pid namespace (setns changes only where children go). */
static pid_t fork_into(pid_t target) {
  static int self_pidns = -1;
  if (self_pidns < 0) self_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/ns/pid", target);
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  if (setns(fd, CLONE_NEWPID) < 0) { close(fd); return -1; }
  close(fd);
  pid_t pid = fork();
  int e = errno;
  if (pid != 0 && setns(self_pidns, CLONE_NEWPID) < 0) { fprintf(stderr, "berth-agent: back to the guest's pid namespace: %s\n", strerror(errno)); _exit(70); }
  errno = e;
  return pid;
}

int is_mounted(const char *path) {
  struct stat a, b;
  char parent[512];
  snprintf(parent, sizeof parent, "%s/..", path);
  return !stat(path, &a) && !stat(parent, &b) && a.st_dev != b.st_dev;
}

/* Mounts <dir>/rootfs: overlayfs of the request's "layers" (bottom first) under <dir>/upper. With
 * `again`, an old mount is replaced (a restart); else one that is there is kept. */
int mount_rootfs(struct json *j, const char *dir, int again, char *err, size_t errcap) {
  char lower[4096] = "", p[512], opts[4608];
  snprintf(p, sizeof p, "%s/rootfs", dir);
  if (!again && is_mounted(p)) return 0;
  int layers = json_get(j, 0, "layers");
  int nl = layers >= 0 && j->tok[layers].type == J_ARR ? j->tok[layers].size : 0;
  if (!nl) { snprintf(err, errcap, "the image has no layers"); return -1; }
  snprintf(p, sizeof p, "%s/init", dir);
  if (!access(p, F_OK)) snprintf(lower, sizeof lower, "%s", p);
  for (int k = nl - 1; k >= 0; k--) { /* overlay's lowerdir lists the top layer first */
    char *d = json_str(j, json_at(j, layers, k), ""), ld[160];
    int ok = !layer_dir(d, ld, sizeof ld) && layer_present(d);
    if (!ok) { snprintf(err, errcap, "layer %s is not in the guest", d); free(d); return -1; }
    free(d);
    if (*lower) strncat(lower, ":", sizeof lower - strlen(lower) - 1);
    strncat(lower, ld, sizeof lower - strlen(lower) - 1);
  }
  const char *subdirs[] = { "upper", "work", "rootfs" };
  for (int k = 0; k < 3; k++) {
    snprintf(p, sizeof p, "%s/%s", dir, subdirs[k]);
    if (mkdir_p(p, 0755) < 0) { snprintf(err, errcap, "mkdir %s: %s", p, strerror(errno)); return -1; }
  }
  snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, dir, dir);
  umount2(p, MNT_DETACH);
  if (mount("overlay", p, "overlay", 0, opts) < 0) { snprintf(err, errcap, "mounting the rootfs: %s", strerror(errno)); return -1; }
  return 0;
}

/* A container (its rootfs, cgroup and init process) or, with "parent", a process exec'd in one. */
int container_create(struct json *j, uint32_t id, char *err, size_t errcap) {
  if (container_find(id)) { snprintf(err, errcap, "container %u exists", id); return -1; }
  struct container *target = NULL;
  if (json_get(j, 0, "parent") >= 0) {
    uint32_t parent = (uint32_t)json_num(j, json_get(j, 0, "parent"), 0);
    target = container_find(parent);
    if (!target || target->is_exec || target->exited || target->start_fd >= 0) { snprintf(err, errcap, "container %u is not running", parent); return -1; }
  }
  char *name = json_str(j, json_get(j, 0, "name"), "");
  if (!target && !valid_name(name)) { snprintf(err, errcap, "invalid container name \"%s\"", name); free(name); return -1; }
  struct container *c = calloc(1, sizeof *c);
  c->id = id; c->in_fd = c->out_fd = c->err_fd = c->start_fd = c->errpipe_fd = -1;
  c->is_exec = !!target;
  c->cgroup_id = target ? target->id : id;
  if (!target) snprintf(c->dir, sizeof c->dir, "%s/%s", CONTAINERS_DIR, name);
  free(name);
  struct spec s = {
    .j = j, .args = json_strv(j, json_get(j, 0, "args")), .env = json_strv(j, json_get(j, 0, "env")),
    .masked = json_strv(j, json_get(j, 0, "maskedPaths")), .readonly_paths = json_strv(j, json_get(j, 0, "readonlyPaths")),
    .cwd = json_str(j, json_get(j, 0, "cwd"), "/"), .user = json_str(j, json_get(j, 0, "user"), ""),
    .hostname = json_str(j, json_get(j, 0, "hostname"), ""),
    .ip = json_str(j, json_get(j, json_get(j, 0, "network"), "ip"), ""),
    .gateway = json_str(j, json_get(j, json_get(j, 0, "network"), "gateway"), ""),
    .prefix = (int)json_num(j, json_get(j, json_get(j, 0, "network"), "prefix"), 16),
    .tty = (int)json_num(j, json_get(j, 0, "tty"), 0), .open_stdin = (int)json_num(j, json_get(j, 0, "stdin"), 0),
    .rows = (int)json_num(j, json_get(j, 0, "rows"), 0), .cols = (int)json_num(j, json_get(j, 0, "cols"), 0),
    .readonly = (int)json_num(j, json_get(j, 0, "readonly"), 0),
  };
  c->tty = s.tty;
  int rc = -1, in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 }, start[2] = { -1, -1 }, ep[2] = { -1, -1 };
  char p[512];
  if (target) goto stdio;
  /* As Docker's -init layer: the engine's files and the mount points sit between the image and the
   * container's upper dir, so they are not the container's changes (docker diff, commit). */
  static const char *init_dirs[] = { "init/dev", "init/proc", "init/sys", "init/etc" };
  for (size_t k = 0; k < sizeof init_dirs / sizeof init_dirs[0]; k++) {
    snprintf(p, sizeof p, "%s/%s", c->dir, init_dirs[k]);
    mkdir_p(p, 0755);
  }
  if (json_num(j, json_get(j, 0, "init"), 0)) { /* the mount point of --init's docker-init */
    snprintf(p, sizeof p, "%s/init/sbin", c->dir);
    mkdir_p(p, 0755);
    snprintf(p, sizeof p, "%s/init/sbin/docker-init", c->dir);
    write_file(p, "");
  }
  snprintf(p, sizeof p, "%s/init", c->dir);
  write_files(j, p);
  if (mount_rootfs(j, c->dir, 1, err, errcap) < 0) goto out;
  if (make_cgroup(c, j) < 0) { snprintf(err, errcap, "creating the cgroup: %s", strerror(errno)); goto out; }
stdio:
  if (s.tty) {
    if (open_pty(&out[0], &out[1], s.rows, s.cols) < 0) { snprintf(err, errcap, "opening a pty: %s", strerror(errno)); goto out; }
    in[1] = dup(out[0]); in[0] = dup(out[1]); errp[1] = dup(out[1]);
    fcntl(in[1], F_SETFD, FD_CLOEXEC);
    if (!s.open_stdin) { close(in[1]); in[1] = -1; }
  } else {
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) { snprintf(err, errcap, "pipe: %s", strerror(errno)); goto out; }
    if (s.open_stdin) { if (pipe2(in, O_CLOEXEC) < 0) goto out; }
    else in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  if (pipe2(start, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) { snprintf(err, errcap, "pipe: %s", strerror(errno)); goto out; }
  pid_t pid = target ? fork_into(target->pid)
    : (pid_t)syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) { snprintf(err, errcap, "%s: %s", target ? "fork" : "clone", strerror(errno)); goto out; }
  if (pid == 0 && target) exec_child(target->pid, &s, in[0], out[1], errp[1], start[0], ep[1]);
  if (pid == 0) child(c, &s, in[0], out[1], errp[1], start[0], ep[1]);
  c->pid = pid;
  if (!target && *s.ip && network_attach(c->id, pid, err, errcap) < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    goto out;
  }
  snprintf(p, sizeof p, "%s/%u/cgroup.procs", CGROUP_DIR, c->cgroup_id);
  char v[16];
  snprintf(v, sizeof v, "%d", pid);
  write_file(p, v);
  c->out_fd = out[0]; out[0] = -1;
  if (!s.tty) { c->err_fd = errp[0]; errp[0] = -1; }
  c->in_fd = in[1]; in[1] = -1;
  if (c->in_fd >= 0) fcntl(c->in_fd, F_SETFL, O_NONBLOCK);
  c->start_fd = start[1]; start[1] = -1;
  c->errpipe_fd = ep[0]; ep[0] = -1;
  c->next = containers;
  containers = c;
  rc = 0;
out:
  for (int k = 0; k < 2; k++) {
    if (in[k] >= 0) close(in[k]);
    if (out[k] >= 0) close(out[k]);
    if (errp[k] >= 0) close(errp[k]);
    if (start[k] >= 0) close(start[k]);
    if (ep[k] >= 0) close(ep[k]);
  }
  strv_free(s.args); strv_free(s.env); strv_free(s.masked); strv_free(s.readonly_paths); free(s.cwd); free(s.user); free(s.hostname); free(s.ip); free(s.gateway);
  if (rc < 0 && !c->is_exec) {
    snprintf(p, sizeof p, "%s/rootfs", c->dir);
    umount2(p, MNT_DETACH);
    snprintf(p, sizeof p, "%s/%u", CGROUP_DIR, c->id);
    rmdir(p);
  }
  if (rc < 0) free(c);
  return rc;
}

int container_start(struct container *c, char *err, size_t errcap) {
  if (c->start_fd < 0) { snprintf(err, errcap, "container %u was started already", c->id); return -1; }
  char one = 1;
  int w = (int)write(c->start_fd, &one, 1);
  close(c->start_fd);
  c->start_fd = -1;
  if (w != 1) { snprintf(err, errcap, "the container process is gone"); return -1; }
  /* EOF without a message: execve succeeded and closed the CLOEXEC pipe. */
  size_t n = 0;
  ssize_t r;
  while (n + 1 < errcap && (r = read(c->errpipe_fd, err + n, errcap - n - 1)) != 0) {
    if (r < 0) { if (errno == EINTR) continue; break; }
    n += (size_t)r;
  }
  err[n] = 0;
  close(c->errpipe_fd);
  c->errpipe_fd = -1;
  return n ? -1 : 0;
}

int container_signal(struct container *c, int sig, int all) {
  if (c->exited) return 0;
  if (!all || c->is_exec) return kill(c->pid, sig) < 0 && errno != ESRCH ? -1 : 0;
  char p[256];
  if (sig == SIGKILL) {
    snprintf(p, sizeof p, "%s/%u/cgroup.kill", CGROUP_DIR, c->id);
    if (!write_file(p, "1")) return 0;
  }
  snprintf(p, sizeof p, "%s/%u/cgroup.procs", CGROUP_DIR, c->id);
  FILE *f = fopen(p, "r");
  if (!f) return kill(c->pid, sig);
  int pid;
  while (fscanf(f, "%d", &pid) == 1) kill(pid, sig);
  fclose(f);
  return 0;
}

/* Ends what is left of the process, unmounts the rootfs and drops the cgroup; the upper dir stays
 * (a restart gets it back). The host hears the EXIT if it has not yet. */
void container_release(struct container *c) {
  char p[256];
  if (!c->exited) {
    if (c->is_exec) kill(c->pid, SIGKILL); else container_signal(c, SIGKILL, 1);
    int st;
    if (waitpid(c->pid, &st, 0) == c->pid) { c->exited = 1; c->status = st; }
  }
  if (c->start_fd >= 0) close(c->start_fd);
  if (c->errpipe_fd >= 0) close(c->errpipe_fd);
  if (c->in_fd >= 0) close(c->in_fd);
  if (c->out_fd >= 0) close(c->out_fd);
  if (c->err_fd >= 0) close(c->err_fd);
  c->start_fd = c->errpipe_fd = c->in_fd = c->out_fd = c->err_fd = -1;
  maybe_exit(c);
  if (!c->is_exec) {
    snprintf(p, sizeof p, "%s/rootfs", c->dir);
    umount2(p, MNT_DETACH);
    snprintf(p, sizeof p, "%s/%u", CGROUP_DIR, c->id);
    rmdir(p);
  }
  for (struct container **pp = &containers; *pp; pp = &(*pp)->next)
    if (*pp == c) { *pp = c->next; break; }
  free(c->in_buf);
  free(c);
}

/* Deletes a released container's files. */
int container_delete(const char *name) {
  if (!valid_name(name)) { errno = EINVAL; return -1; }
  char dir[160], p[192];
  snprintf(dir, sizeof dir, "%s/%s", CONTAINERS_DIR, name);
  for (struct container *c = containers; c; c = c->next)
    if (!c->is_exec && !strcmp(c->dir, dir)) container_release(c);
  snprintf(p, sizeof p, "%s/rootfs", dir);
  umount2(p, MNT_DETACH);
  char *rm[] = { "rm", "-rf", dir, NULL };
  return run_wait(rm) == 0 ? 0 : -1;
}

/* cgroup2's freezer: asks for the state, then waits (up to 2 s) until cgroup.events reports it. */
int container_freeze(struct container *c, int frozen) {
  char p[160], ev[160];
  snprintf(p, sizeof p, "%s/%u/cgroup.freeze", CGROUP_DIR, c->id);
  snprintf(ev, sizeof ev, "%s/%u/cgroup.events", CGROUP_DIR, c->id);
  if (write_file(p, frozen ? "1" : "0") < 0) return -1;
  for (int i = 0; i < 200; i++) {
    FILE *f = fopen(ev, "r");
    char line[64];
    int now = -1;
    while (f && fgets(line, sizeof line, f)) if (!strncmp(line, "frozen ", 7)) now = atoi(line + 7);
    if (f) fclose(f);
    if (now == frozen) return 0;
    usleep(10000);
  }
  errno = ETIMEDOUT;
  return -1;
}

/* docker update: the limits the guest's cgroup enforces (0 or less: none). */
int container_update(struct container *c, long long memory, long long pids) {
  char p[160], v[32];
  snprintf(p, sizeof p, "%s/%u/memory.max", CGROUP_DIR, c->id);
  if (memory > 0) snprintf(v, sizeof v, "%lld", memory); else snprintf(v, sizeof v, "max");
  if (write_file(p, v) < 0) return -1;
  snprintf(p, sizeof p, "%s/%u/pids.max", CGROUP_DIR, c->id);
  if (pids > 0) snprintf(v, sizeof v, "%lld", pids); else snprintf(v, sizeof v, "max");
  return write_file(p, v);
}
