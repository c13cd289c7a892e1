/* cgroups v1, v2 and hybrid (v1 controllers with a cgroup2 beside): found in /proc/self/mountinfo, never
 * assumed. The daemon creates the container's cgroup and writes its limits; the shim only joins it, reads
 * the OOM counter and lists its processes. */
#include "shim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

struct hierarchy {
  char mountpoint[1024];
  char root[1024];        /* the mount's root inside the hierarchy */
  char controllers[256];  /* "memory", "cpu,cpuacct", "name=systemd"; "" for cgroup2 */
  bool v2;
};

static void unescape(char *s) {
  char *d = s;
  while (*s) {
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] && s[3]) {
      *d++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
      s += 4;
    } else {
      *d++ = *s++;
    }
  }
  *d = 0;
}

/* Controllers named in a cgroup v1 mount's super options (drops rw/ro and other flags). */
static void v1_controllers(const char *opts, char *out, size_t outlen) {
  char tmp[512];
  snprintf(tmp, sizeof tmp, "%s", opts);
  out[0] = 0;
  char *save = NULL;
  for (char *o = strtok_r(tmp, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
    if (!strcmp(o, "rw") || !strcmp(o, "ro") || !strncmp(o, "release_agent=", 14) || !strcmp(o, "clone_children") ||
        !strcmp(o, "noprefix") || !strcmp(o, "xattr") || !strcmp(o, "cpuset_v2_mode"))
      continue;
    if (out[0]) strncat(out, ",", outlen - strlen(out) - 1);
    strncat(out, o, outlen - strlen(out) - 1);
  }
}

static size_t hierarchies(struct hierarchy **out) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  size_t n = 0;
  *out = NULL;
  if (!f) return 0;
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    char *sep = strstr(line, " - ");
    if (!sep) continue;
    char fstype[64], source[256], super[512] = "";
    if (sscanf(sep + 3, "%63s %255s %511s", fstype, source, super) < 2) continue;
    bool v2 = !strcmp(fstype, "cgroup2");
    if (!v2 && strcmp(fstype, "cgroup")) continue;
    char root[1024], mp[1024];
    if (sscanf(line, "%*s %*s %*s %1023s %1023s", root, mp) != 2) continue;
    unescape(root);
    unescape(mp);
    char ctl[256] = "";
    if (!v2) v1_controllers(super, ctl, sizeof ctl);
    bool dup = false;
    for (size_t i = 0; i < n; i++)
      if ((*out)[i].v2 == v2 && !strcmp((*out)[i].controllers, ctl)) dup = true; /* the same hierarchy mounted twice */
    if (dup) continue;
    *out = xrealloc(*out, (n + 1) * sizeof **out);
    struct hierarchy *h = &(*out)[n++];
    snprintf(h->mountpoint, sizeof h->mountpoint, "%s", mp);
    snprintf(h->root, sizeof h->root, "%s", root);
    snprintf(h->controllers, sizeof h->controllers, "%s", ctl);
    h->v2 = v2;
  }
  free(line);
  fclose(f);
  return n;
}

/* Where the cgroup `path` (as /proc/PID/cgroup names it) lives under this mount. */
static void cg_dir(const struct hierarchy *h, const char *path, char *out, size_t outlen) {
  size_t rl = strlen(h->root);
  if (strcmp(h->root, "/") && !strncmp(path, h->root, rl) && (path[rl] == '/' || !path[rl])) path += rl;
  snprintf(out, outlen, "%s%s", h->mountpoint, path);
}

static int join_dir(const char *dir, pid_t pid) {
  char file[1200], num[32];
  snprintf(file, sizeof file, "%s/cgroup.procs", dir);
  int n = snprintf(num, sizeof num, "%d", (int)pid);
  if (write_file(file, num, (size_t)n) < 0)
    return err_errno("joining cgroup %s%s", dir, errno == ENOSPC ? " (a v1 cpuset cgroup needs cpuset.cpus and cpuset.mems)" : "");
  return 0;
}

int cgroup_join_path(const char *cgpath, pid_t pid) {
  if (!cgpath) return 0;
  struct hierarchy *hs;
  size_t n = hierarchies(&hs);
  int joined = 0, rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    char dir[2300];
    cg_dir(&hs[i], cgpath, dir, sizeof dir);
    struct stat st;
    if (stat(dir, &st) < 0) continue; /* the daemon did not create it in this hierarchy (e.g. an unused cgroup2) */
    if (join_dir(dir, pid) < 0) rc = -1;
    else joined++;
  }
  free(hs);
  if (rc == 0 && !joined) return err_set("cgroup %s does not exist in any mounted hierarchy", cgpath);
  return rc;
}

static bool same_controllers(const char *a, const char *b) {
  char x[256], y[256];
  snprintf(x, sizeof x, "%s", a);
  snprintf(y, sizeof y, "%s", b);
  /* both lists are short: every name of a is in b and the counts match */
  int ca = 0, cb = 0;
  char *save = NULL;
  for (char *t = strtok_r(y, ",", &save); t; t = strtok_r(NULL, ",", &save)) cb++;
  save = NULL;
  for (char *t = strtok_r(x, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    ca++;
    char z[256];
    snprintf(z, sizeof z, ",%s,", b);
    char needle[80];
    snprintf(needle, sizeof needle, ",%s,", t);
    if (!strstr(z, needle)) return false;
  }
  return ca == cb;
}

int cgroup_join_like(pid_t target, pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/cgroup", (int)target);
  FILE *f = fopen(path, "re");
  if (!f) return err_errno("reading %s", path);
  struct hierarchy *hs;
  size_t n = hierarchies(&hs);
  char *line = NULL;
  size_t cap = 0;
  int rc = 0;
  while (rc == 0 && getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = 0;
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c1 = *c2 = 0;
    const char *ctl = c1 + 1, *cg = c2 + 1;
    bool v2 = !strcmp(line, "0") && !*ctl;
    for (size_t i = 0; i < n; i++) {
      if (hs[i].v2 != v2 || (!v2 && !same_controllers(ctl, hs[i].controllers))) continue;
      char dir[2300];
      cg_dir(&hs[i], cg, dir, sizeof dir);
      if (!strcmp(cg, "/") && v2) break; /* the root of an unused cgroup2: nothing to join */
      if (join_dir(dir, pid) < 0) rc = -1;
      break;
    }
  }
  free(line);
  free(hs);
  fclose(f);
  return rc;
}

static long counter(const char *file, const char *key) {
  char *t = read_file(file, NULL);
  if (!t) return -1;
  long v = -1;
  size_t kl = strlen(key);
  for (char *l = t; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
    if (!strncmp(l, key, kl) && l[kl] == ' ') v = atol(l + kl + 1);
  free(t);
  return v;
}

long cgroup_oom_kills(const char *cgpath) {
  if (!cgpath) return -1;
  struct hierarchy *hs;
  size_t n = hierarchies(&hs);
  long v = -1;
  for (size_t i = 0; i < n && v < 0; i++) {
    char dir[2300], file[2400];
    cg_dir(&hs[i], cgpath, dir, sizeof dir);
    if (!hs[i].v2 && same_controllers("memory", hs[i].controllers)) {
      snprintf(file, sizeof file, "%s/memory.oom_control", dir);
      v = counter(file, "oom_kill");
    } else if (hs[i].v2) {
      snprintf(file, sizeof file, "%s/memory.events", dir);
      v = counter(file, "oom_kill");
    }
  }
  free(hs);
  return v;
}

int cgroup_procs(const char *cgpath, pid_t **out, size_t *count) {
  *out = NULL;
  *count = 0;
  if (!cgpath) return 0;
  struct hierarchy *hs;
  size_t n = hierarchies(&hs);
  char *t = NULL;
  /* every hierarchy the container joined lists the same processes; take the first that has the cgroup */
  for (size_t i = 0; i < n && !t; i++) {
    char dir[2300], file[2400];
    cg_dir(&hs[i], cgpath, dir, sizeof dir);
    snprintf(file, sizeof file, "%s/cgroup.procs", dir);
    t = read_file(file, NULL);
  }
  free(hs);
  if (!t) return err_set("cgroup %s not found", cgpath);
  for (char *l = t; *l;) {
    long p = strtol(l, &l, 10);
    if (p > 0) {
      *out = xrealloc(*out, (*count + 1) * sizeof(pid_t));
      (*out)[(*count)++] = (pid_t)p;
    }
    while (*l == '\n') l++;
    if (*l && (*l < '0' || *l > '9')) break;
  }
  free(t);
  return 0;
}

static int mount_one(const struct hierarchy *h, const char *target, unsigned long flags, const char *cgpath, bool own_ns) {
  if (mkdir_all(target, 0755) < 0) return err_errno("creating %s", target);
  int r;
  if (own_ns) {
    /* In the container's cgroup namespace a fresh mount of the same hierarchy is rooted at its cgroup. */
    r = h->v2 ? mount("cgroup2", target, "cgroup2", flags & ~MS_RDONLY, NULL)
              : mount("cgroup", target, "cgroup", flags & ~MS_RDONLY, h->controllers);
    if (r < 0) return err_errno("mounting cgroup %s at %s", h->v2 ? "v2" : h->controllers, target);
  } else {
    char src[2300];
    cg_dir(h, cgpath ? cgpath : h->root, src, sizeof src);
    if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0) return err_errno("bind-mounting %s at %s", src, target);
  }
  if ((flags & MS_RDONLY) &&
      mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | (flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)), NULL) < 0)
    return err_errno("making %s read-only", target);
  return 0;
}

int cgroup_mount_all(const char *dest, unsigned long flags, const char *cgpath, bool own_ns) {
  struct hierarchy *hs;
  size_t n = hierarchies(&hs);
  int rc = 0;
  bool v1 = false;
  for (size_t i = 0; i < n; i++) v1 |= !hs[i].v2;
  if (!v1) {
    for (size_t i = 0; i < n && rc == 0; i++) rc = mount_one(&hs[i], dest, flags, cgpath, own_ns);
    free(hs);
    return rc;
  }
  /* v1 or hybrid: a tmpfs with one directory per hierarchy, named as on the host */
  if (mkdir_all(dest, 0755) < 0) { free(hs); return err_errno("creating %s", dest); }
  if (mount("tmpfs", dest, "tmpfs", (flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0) {
    free(hs);
    return err_errno("mounting tmpfs at %s", dest);
  }
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (hs[i].v2) continue; /* hybrid: the unified hierarchy beside v1 is not shown to the container, as runc does */
    const char *base = strrchr(hs[i].mountpoint, '/');
    char target[2300];
    snprintf(target, sizeof target, "%s/%s", dest, base ? base + 1 : hs[i].mountpoint);
    rc = mount_one(&hs[i], target, flags, cgpath, own_ns);
  }
  free(hs);
  if (rc == 0 && (flags & MS_RDONLY) &&
      mount(NULL, dest, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
    return err_errno("making %s read-only", dest);
  return rc;
}
