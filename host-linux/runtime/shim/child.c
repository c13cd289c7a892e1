/* The container process from clone (or the exec process from fork) up to execve, in runc's order. Every
 * failure goes to the shim as 'E' + text on the sync socket; after `start`, exec failures go as 'X'. A
 * successful execve closes the (CLOEXEC) socket, which the shim reads as "running". */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void fail(int sync) {
  msg_send(sync, 'E', shim_error);
  _exit(1);
}

static void fail_exec(int sync, int code) {
  char text[sizeof shim_error + 8];
  snprintf(text, sizeof text, "%d %s", code, shim_error);
  msg_send(sync, 'X', text);
  _exit(code);
}

static void stdio_setup(const struct child_io *io) {
  int fds[3] = {io->stdin_fd, io->stdout_fd, io->stderr_fd};
  for (int i = 0; i < 3; i++)
    if (fds[i] >= 0 && dup2(fds[i], i) < 0) { err_errno("dup2 stdio"); fail(io->sync); }
}

static int oom_score_adj_apply(const struct process_spec *p) {
  if (!p->has_oom_score_adj) return 0;
  char v[16];
  int n = snprintf(v, sizeof v, "%d", p->oom_score_adj);
  if (write_file("/proc/self/oom_score_adj", v, (size_t)n) < 0) return err_errno("setting oom_score_adj to %s", v);
  return 0;
}

static int sysctl_apply(char **kv) {
  for (size_t i = 0; kv && kv[i]; i += 2) {
    char path[PATH_MAX] = "/proc/sys/";
    size_t l = strlen(path);
    for (const char *k = kv[i]; *k && l < sizeof path - 1; k++) path[l++] = *k == '.' ? '/' : *k;
    path[l] = 0;
    if (write_file(path, kv[i + 1], strlen(kv[i + 1])) < 0) return err_errno("setting sysctl %s", kv[i]);
  }
  return 0;
}

/* Shared by create and exec: from rlimits to execve. */
static void finish_process(const struct process_spec *p, void *seccomp, int sync) {
  if (rlimits_apply(p) < 0) fail(sync);
  /* Without no_new_privs, installing a filter needs CAP_SYS_ADMIN: do it before capabilities are dropped (runc). */
  if (!p->no_new_privs && seccomp_install(seccomp) < 0) fail(sync);
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) { err_errno("PR_SET_KEEPCAPS"); fail(sync); }
  if (caps_apply_bounding(p) < 0) fail(sync);
  bool cwd_done = chdir(p->cwd) == 0;
  int cwd_errno = errno;
  if (user_apply(p) < 0) fail(sync);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) { err_errno("PR_SET_KEEPCAPS"); fail(sync); }
  if (caps_apply(p) < 0) fail(sync);
  if (!cwd_done && chdir(p->cwd) < 0) {
    errno = cwd_errno == ENOENT ? ENOENT : errno;
    err_errno("chdir to cwd (\"%s\") set in config.json failed", p->cwd);
    fail(sync);
  }
  if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) { err_errno("setting no_new_privs"); fail(sync); }
  umask(p->has_umask ? p->umask : 022);
  char **env = env_with_home(p);
  if (msg_send(sync, 'R', NULL) < 0) _exit(1);

  char tag = 0;
  ssize_t r;
  do r = recv(sync, &tag, 1, 0); while (r < 0 && errno == EINTR);
  if (r != 1 || tag != 'S') _exit(1); /* the shim went away before start */

  char *path;
  int code = 127;
  if (lookpath(p->args[0], env, &path, &code) < 0) fail_exec(sync, code);
  if (p->no_new_privs && seccomp_install(seccomp) < 0) fail_exec(sync, 1);
  execve(path, p->args, env);
  int e = errno;
  char why[256];
  snprintf(why, sizeof why, "%s", strerror(e));
  if (why[0] >= 'A' && why[0] <= 'Z') why[0] = (char)(why[0] - 'A' + 'a');
  err_set("exec: \"%s\": %s", p->args[0], why);
  fail_exec(sync, e == ENOENT || e == ENOTDIR ? 127 : 126);
}

void child_create(const struct spec *s, const char *bundle, void *seccomp, struct child_io *io) {
  int sync = io->sync;
  umask(0);
  if (!s->proc.terminal) stdio_setup(io);
  if (cgroup_join_path(s->cgroups_path, 0) < 0) fail(sync);
  for (size_t i = 0; i < s->nns; i++) {
    if (!s->ns[i].path || s->ns[i].flag == CLONE_NEWPID) continue; /* the shim joined the PID one before clone */
    int fd = open(s->ns[i].path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { err_errno("opening namespace %s", s->ns[i].path); fail(sync); }
    if (setns(fd, s->ns[i].flag) < 0) { err_errno("joining namespace %s", s->ns[i].path); fail(sync); }
    close(fd);
  }
  const char *path = NULL;
  /* After joining the cgroup, so that the new cgroup namespace is rooted at it. */
  if (spec_has_ns(s, CLONE_NEWCGROUP, &path) && !path && unshare(CLONE_NEWCGROUP) < 0) {
    err_errno("creating the cgroup namespace");
    fail(sync);
  }
  if (oom_score_adj_apply(&s->proc) < 0) fail(sync);

  if (!spec_has_ns(s, CLONE_NEWNS, NULL)) { err_set("a mount namespace is required"); fail(sync); }
  char rootfs[PATH_MAX], joined[PATH_MAX];
  if (s->root[0] == '/') snprintf(joined, sizeof joined, "%s", s->root);
  else snprintf(joined, sizeof joined, "%s/%s", bundle, s->root);
  if (!realpath(joined, rootfs)) { err_errno("rootfs %s", joined); fail(sync); }
  if (rootfs_prepare(s, rootfs) < 0 || mounts_apply(s, rootfs) < 0 || devices_create(s, rootfs) < 0 ||
      rootfs_pivot(rootfs) < 0)
    fail(sync);

  int slave = -1;
  if (s->proc.terminal) {
    int master;
    if (console_open_in_container(true, &s->proc, &master, &slave) < 0) fail(sync);
    if (fd_send(sync, 'T', master) < 0) fail(sync);
    close(master);
  }
  if (setsid() < 0) { err_errno("setsid"); fail(sync); }
  if (slave >= 0 && console_make_controlling(slave) < 0) fail(sync);

  if (spec_has_ns(s, CLONE_NEWNET, &path) && !path && loopback_up() < 0) fail(sync);
  if (spec_has_ns(s, CLONE_NEWUTS, &path) && !path) {
    if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0) { err_errno("sethostname"); fail(sync); }
    if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0) {
      err_errno("setdomainname");
      fail(sync);
    }
  }
  if (sysctl_apply(s->sysctl) < 0) fail(sync);
  /* read-only before masked, as runc: a masked path inside a read-only one still gets masked */
  if (paths_readonly(s->readonly) < 0 || paths_mask(s->masked) < 0 || rootfs_finalize(s) < 0) fail(sync);
  finish_process(&s->proc, seccomp, sync);
  _exit(1);
}

void child_exec(const struct process_spec *p, pid_t target, void *seccomp, struct child_io *io) {
  int sync = io->sync;
  if (!p->terminal) stdio_setup(io);
  if (cgroup_join_like(target, 0) < 0) fail(sync);
  /* Entered in this order; mount last, since the others are opened through the host's /proc. */
  static const struct { const char *name; int flag; } order[] = {
      {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET}, {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS},
  };
  int fds[5];
  for (int i = 0; i < 5; i++) {
    char theirs[64], ours[64];
    snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int)target, order[i].name);
    snprintf(ours, sizeof ours, "/proc/self/ns/%s", order[i].name);
    struct stat a, b;
    fds[i] = -1;
    if (stat(theirs, &a) < 0) {
      if (errno == ENOENT && i == 3) continue; /* kernels without cgroup namespaces */
      err_errno("container process %d", (int)target);
      fail(sync);
    }
    if (stat(ours, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) continue;
    fds[i] = open(theirs, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) { err_errno("opening %s", theirs); fail(sync); }
  }
  for (int i = 0; i < 5; i++) {
    if (fds[i] < 0) continue;
    if (setns(fds[i], order[i].flag) < 0) { err_errno("joining the %s namespace of %d", order[i].name, (int)target); fail(sync); }
    close(fds[i]);
  }
  if (chdir("/") < 0) { err_errno("chdir /"); fail(sync); }
  int slave = -1;
  if (p->terminal) {
    int master;
    if (console_open_in_container(false, p, &master, &slave) < 0) fail(sync);
    if (fd_send(sync, 'T', master) < 0) fail(sync);
    close(master);
  }
  if (setsid() < 0) { err_errno("setsid"); fail(sync); }
  if (slave >= 0 && console_make_controlling(slave) < 0) fail(sync);
  if (oom_score_adj_apply(p) < 0) fail(sync);
  finish_process(p, seccomp, sync);
  _exit(1);
}
