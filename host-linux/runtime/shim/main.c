/* berth-shim command line (see ../DESIGN.md):
 *   berth-shim create --id ID --bundle DIR --state DIR --log FILE [--log-max-size BYTES] [--log-max-files N]
 *                     [--stdin] [--stdin-once] [--tty] [--ready-fd N] [--foreground]
 *   berth-shim exec   --id ID --state DIR --pid PID --process FILE [--bundle DIR] [--stdin] [--stdin-once] [--tty]
 *                     [--ready-fd N] [--foreground]
 * Everything that can be checked before daemonizing is, and reported on stderr with exit status 1. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void usage(void) {
  fprintf(stderr,
          "usage: berth-shim create --id ID --bundle DIR --state DIR --log FILE [--log-max-size BYTES]\n"
          "                         [--log-max-files N] [--stdin] [--stdin-once] [--tty] [--ready-fd N]\n"
          "       berth-shim exec --id ID --state DIR --pid PID --process FILE [--bundle DIR] [--stdin]\n"
          "                       [--stdin-once] [--tty] [--ready-fd N]\n");
  exit(1);
}

static void die(const char *msg) {
  fprintf(stderr, "berth-shim: %s\n", msg);
  exit(1);
}

static long long number(const char *flag, const char *v) {
  char *end;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  if (errno || *end || n < 0) {
    fprintf(stderr, "berth-shim: invalid value \"%s\" for %s\n", v, flag);
    exit(1);
  }
  return n;
}

static void parse(int argc, char **argv, struct shim_opts *o) {
  if (argc < 2) usage();
  o->mode = argv[1];
  if (strcmp(o->mode, "create") && strcmp(o->mode, "exec")) usage();
  o->ready_fd = -1;
  o->log_max_files = 1;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define VALUE() (v ? (i++, v) : (fprintf(stderr, "berth-shim: %s needs a value\n", a), exit(1), v))
    if (!strcmp(a, "--id")) o->id = VALUE();
    else if (!strcmp(a, "--bundle")) o->bundle = VALUE();
    else if (!strcmp(a, "--state")) o->state = VALUE();
    else if (!strcmp(a, "--log")) o->log = VALUE();
    else if (!strcmp(a, "--process")) o->process_file = VALUE();
    else if (!strcmp(a, "--log-max-size")) o->log_max_size = number(a, VALUE());
    else if (!strcmp(a, "--log-max-files")) o->log_max_files = (int)number(a, VALUE());
    else if (!strcmp(a, "--pid")) o->target = (pid_t)number(a, VALUE());
    else if (!strcmp(a, "--ready-fd")) o->ready_fd = (int)number(a, VALUE());
    else if (!strcmp(a, "--stdin")) o->stdin_open = true;
    else if (!strcmp(a, "--stdin-once")) o->stdin_once = true;
    else if (!strcmp(a, "--tty")) o->tty = true;
    else if (!strcmp(a, "--foreground")) o->foreground = true;
    else {
      fprintf(stderr, "berth-shim: unknown option %s\n", a);
      usage();
    }
#undef VALUE
  }
  if (!o->id || !o->state) die("--id and --state are required");
  if (!strcmp(o->mode, "create") && !o->bundle) die("create needs --bundle");
  if (!strcmp(o->mode, "exec") && (!o->target || !o->process_file)) die("exec needs --pid and --process");
  if (o->ready_fd >= 0 && fcntl(o->ready_fd, F_GETFD) < 0) die("--ready-fd is not an open file descriptor");
}

/* Only stdio and the ready fd survive: the shim outlives its parent and must not hold its files open. */
static void close_inherited(int keep) {
  for (int fd = 3; fd < 1024; fd++)
    if (fd != keep) close(fd);
}

/* Double fork + setsid. The original process waits until the shim reports (so its exit status says whether
 * creation worked) and then exits; the shim is reparented to init (or the nearest subreaper). */
static void daemonize(struct shim_opts *o, int *report) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) die("pipe");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid > 0) {
    close(p[1]);
    if (o->ready_fd >= 0) close(o->ready_fd);
    waitpid(pid, NULL, 0);
    struct buf b = {0};
    char tmp[4096];
    ssize_t r;
    while ((r = read(p[0], tmp, sizeof tmp)) > 0 || (r < 0 && errno == EINTR))
      if (r > 0) buf_add(&b, tmp, (size_t)r);
    if (b.len >= 2 && !strncmp(b.data, "ok", 2)) exit(0);
    fprintf(stderr, "berth-shim: %s\n", b.len ? b.data : "the shim exited during start-up");
    exit(1);
  }
  close(p[0]);
  if (setsid() < 0) _exit(1);
  pid = fork();
  if (pid < 0) _exit(1);
  if (pid > 0) _exit(0);
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (null > 2) close(null);
  }
  *report = p[1];
}

int main(int argc, char **argv) {
  struct shim_opts o;
  memset(&o, 0, sizeof o);
  parse(argc, argv, &o);
  close_inherited(o.ready_fd);
  if (o.ready_fd >= 0) set_cloexec(o.ready_fd, true);

  static struct spec s;
  struct process_spec *proc;
  json_object *seccomp_profile;
  if (!strcmp(o.mode, "create")) {
    char bundle[PATH_MAX], path[PATH_MAX + 16];
    if (!realpath(o.bundle, bundle)) { err_errno("bundle %s", o.bundle); die(shim_error); }
    o.bundle = bundle;
    snprintf(path, sizeof path, "%s/config.json", bundle);
    if (spec_load(path, &s) < 0) die(shim_error);
    proc = &s.proc;
    seccomp_profile = s.seccomp;
    if (o.tty != proc->terminal) die("--tty must match process.terminal in config.json");
    o.bundle = xstrdup(bundle);
  } else {
    size_t len;
    char *text = read_file(o.process_file, &len);
    if (!text) { err_errno("reading %s", o.process_file); die(shim_error); }
    json_object *doc = json_tokener_parse(text);
    free(text);
    if (!doc) { err_set("%s: invalid JSON", o.process_file); die(shim_error); }
    proc = &s.proc;
    if (process_parse(doc, proc) < 0) die(shim_error);
    if (o.tty != proc->terminal) die("--tty must match \"terminal\" in the process file");
    /* OCI's process has no seccomp: take the process file's own "seccomp", else the container's spec. */
    if (!json_object_object_get_ex(doc, "seccomp", &seccomp_profile)) seccomp_profile = NULL;
    if (!seccomp_profile && o.bundle) {
      char path[PATH_MAX];
      snprintf(path, sizeof path, "%s/config.json", o.bundle);
      static struct spec container;
      if (spec_load(path, &container) < 0) die(shim_error);
      seccomp_profile = container.seccomp;
    }
    if (kill(o.target, 0) < 0) { err_errno("container process %d", (int)o.target); die(shim_error); }
  }
  void *seccomp = NULL;
  if (seccomp_profile && json_object_get_type(seccomp_profile) == json_type_object &&
      !(seccomp = seccomp_compile(seccomp_profile)))
    die(shim_error);
  if (mkdir_all(o.state, 0711) < 0) { err_errno("creating state directory %s", o.state); die(shim_error); }

  o.report_fd = -1;
  if (!o.foreground) daemonize(&o, &o.report_fd);
  return supervise(&o, &s, proc, seccomp) == 0 ? 0 : 1;
}
