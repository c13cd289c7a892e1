/* The process's own settings: rlimits, user and groups, environment, and the executable lookup with Go's
 * exec.LookPath semantics and texts (what runc reports, and what the docker CLI turns into 126/127). */
#include "shim.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

int rlimits_apply(const struct process_spec *p) {
  for (size_t i = 0; i < p->nrlimits; i++) {
    const struct rlimit_spec *r = &p->rlimits[i];
    struct rlimit cur, want;
    if (getrlimit(r->resource, &cur) < 0) return err_errno("reading rlimit %d", r->resource);
    /* Raising a hard limit needs CAP_SYS_RESOURCE, which the daemon may not have: stay within the current one. */
    want.rlim_max = r->hard;
    if (cur.rlim_max != RLIM_INFINITY && (want.rlim_max == RLIM_INFINITY || want.rlim_max > cur.rlim_max))
      want.rlim_max = cur.rlim_max;
    want.rlim_cur = r->soft;
    if (want.rlim_max != RLIM_INFINITY && (want.rlim_cur == RLIM_INFINITY || want.rlim_cur > want.rlim_max))
      want.rlim_cur = want.rlim_max;
    if (setrlimit(r->resource, &want) < 0) return err_errno("setting rlimit %d", r->resource);
  }
  return 0;
}

int user_apply(const struct process_spec *p) {
  if (setgroups(p->ngids, p->gids) < 0) return err_errno("setgroups");
  if (setresgid(p->gid, p->gid, p->gid) < 0) return err_errno("setgid %u", (unsigned)p->gid);
  if (setresuid(p->uid, p->uid, p->uid) < 0) return err_errno("setuid %u", (unsigned)p->uid);
  return 0;
}

/* HOME from the container's /etc/passwd when the spec's env has none, as runc does ("/" otherwise). */
char **env_with_home(const struct process_spec *p) {
  size_t n = 0;
  bool has_home = false;
  for (; p->env[n]; n++) has_home |= !strncmp(p->env[n], "HOME=", 5);
  if (has_home) return p->env;
  char **env = xmalloc((n + 2) * sizeof *env);
  memcpy(env, p->env, n * sizeof *env);
  char home[PATH_MAX] = "/";
  char *pw = read_file("/etc/passwd", NULL);
  for (char *l = pw; l && *l;) {
    char *next = strchr(l, '\n');
    if (next) *next++ = 0;
    char *f[7] = {0};
    int k = 0;
    for (char *s = l; k < 7 && s; k++) {
      f[k] = s;
      s = strchr(s, ':');
      if (s) *s++ = 0;
    }
    if (k == 7 && f[2] && (uid_t)strtoul(f[2], NULL, 10) == p->uid && *f[2] && *f[5]) {
      snprintf(home, sizeof home, "%s", f[5]);
      break;
    }
    l = next;
  }
  free(pw);
  char *h = xmalloc(strlen(home) + 6);
  sprintf(h, "HOME=%s", home);
  env[n] = h;
  env[n + 1] = NULL;
  return env;
}

/* Go prints errno texts in lower case ("no such file or directory"). */
static const char *go_strerror(int e, char *out, size_t len) {
  snprintf(out, len, "%s", strerror(e));
  if (out[0] >= 'A' && out[0] <= 'Z' && !(out[1] >= 'A' && out[1] <= 'Z')) out[0] = (char)(out[0] - 'A' + 'a');
  return out;
}

/* 0 when path is an executable regular file; else an errno (EACCES for directories and non-executables). */
static int executable(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) return errno;
  if (!S_ISDIR(st.st_mode) && (st.st_mode & 0111)) return 0;
  return EACCES;
}

int lookpath(const char *file, char **env, char **found, int *exit_code) {
  char msg[256];
  if (strchr(file, '/')) {
    int e = executable(file);
    if (!e) { *found = xstrdup(file); return 0; }
    *exit_code = e == EACCES ? 126 : 127;
    if (e == EACCES) return err_set("exec: \"%s\": permission denied", file);
    return err_set("exec: \"%s\": stat %s: %s", file, file, go_strerror(e, msg, sizeof msg));
  }
  const char *path = "";
  for (size_t i = 0; env[i]; i++)
    if (!strncmp(env[i], "PATH=", 5)) path = env[i] + 5;
  const char *p = path;
  while (*path) {
    size_t len = strcspn(p, ":");
    char cand[PATH_MAX];
    if (len == 0) snprintf(cand, sizeof cand, "./%s", file);
    else snprintf(cand, sizeof cand, "%.*s/%s", (int)len, p, file);
    if (!executable(cand)) { *found = xstrdup(cand); return 0; }
    if (!p[len]) break;
    p += len + 1;
  }
  *exit_code = 127;
  return err_set("exec: \"%s\": executable file not found in $PATH", file);
}
