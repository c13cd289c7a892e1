/* berth-shim: one per container (or exec), the container's parent and runtime. See ../DESIGN.md. */
#ifndef BERTH_SHIM_H
#define BERTH_SHIM_H

#define _GNU_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>

/* ---- util.c ---- */
/* A growable byte buffer; also used to build JSON text. */
struct buf { char *data; size_t len, cap; };
void buf_add(struct buf *b, const void *p, size_t n);
void buf_str(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_json_string(struct buf *b, const char *s, size_t n); /* quoted, escaped as Docker's json-file */
void buf_consume(struct buf *b, size_t n);
void buf_free(struct buf *b);

/* Errors carry context: "what: why". err_set formats into a static message that callers return upward. */
extern char shim_error[4096];
int err_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));   /* returns -1 */
int err_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* appends ": strerror(errno)", returns -1 */

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
int write_all(int fd, const void *p, size_t n);
int write_file(const char *path, const char *data, size_t n);          /* plain write, no create */
int write_file_atomic(const char *path, const char *data, size_t n);   /* temp + rename */
char *read_file(const char *path, size_t *len);                        /* NUL-terminated; NULL + errno on error */
int mkdir_all(const char *path, mode_t mode);
void rfc3339nano(const struct timespec *ts, char out[40]);             /* Go's time.RFC3339Nano in UTC */
int set_cloexec(int fd, bool on);
int set_nonblock(int fd);

/* ---- spec.c ---- */
#define CAP_SETS 5
enum { CAPS_BOUNDING, CAPS_EFFECTIVE, CAPS_INHERITABLE, CAPS_PERMITTED, CAPS_AMBIENT };

struct rlimit_spec { int resource; uint64_t soft, hard; };

struct process_spec {
  bool terminal;
  unsigned short console_height, console_width; /* process.consoleSize: 0 when not given */
  uid_t uid;
  gid_t gid;
  gid_t *gids;
  size_t ngids;
  bool has_umask;
  mode_t umask;
  char **args; /* NULL-terminated */
  char **env;  /* NULL-terminated */
  char *cwd;
  bool has_caps;
  uint64_t caps[CAP_SETS];
  struct rlimit_spec *rlimits;
  size_t nrlimits;
  bool no_new_privs;
  bool has_oom_score_adj;
  int oom_score_adj;
};

struct mount_spec {
  char *dest, *type, *source;
  unsigned long flags;       /* MS_* for the mount itself */
  unsigned long propagation; /* MS_PRIVATE|MS_REC etc., applied after */
  char *data;                /* filesystem-specific options */
  bool bind;
};

struct device_spec { char *path; char type; unsigned major, minor; mode_t mode; uid_t uid; gid_t gid; };

struct ns_spec { int flag; char *path; };

struct spec {
  struct process_spec proc;
  char *root;
  bool root_readonly;
  char *hostname, *domainname;
  struct mount_spec *mounts;
  size_t nmounts;
  struct ns_spec ns[8];
  size_t nns;
  struct device_spec *devices;
  size_t ndevices;
  char **masked, **readonly; /* NULL-terminated */
  char *cgroups_path;
  char **sysctl; /* key, value pairs, NULL-terminated */
  unsigned long rootfs_propagation;
  json_object *seccomp; /* borrowed from doc */
  json_object *doc;
};

int spec_load(const char *path, struct spec *s);
int process_parse(json_object *p, struct process_spec *out);
int parse_mount_options(json_object *opts, struct mount_spec *m);
bool spec_has_ns(const struct spec *s, int flag, const char **path);

/* ---- caps.c ---- */
int cap_from_name(const char *name); /* -1 when unknown */
int caps_apply_bounding(const struct process_spec *p);
int caps_apply(const struct process_spec *p);

/* ---- seccomp.c ---- */
void *seccomp_compile(json_object *profile); /* scmp_filter_ctx; NULL + shim_error on error */
int seccomp_install(void *ctx);

/* ---- cgroups.c ---- */
int cgroup_join_path(const char *cgpath, pid_t pid); /* every mounted hierarchy where the directory exists */
int cgroup_join_like(pid_t target, pid_t pid);        /* the cgroups /proc/target/cgroup lists */
long cgroup_oom_kills(const char *cgpath);            /* -1 when unknown */
int cgroup_procs(const char *cgpath, pid_t **out, size_t *n);
/* The spec's "cgroup" mount at dest (a path in the rootfs, before pivot_root): the hierarchies as the host has
 * them, seen from the container's cgroup namespace (or bind mounts of its cgroup when it has none). */
int cgroup_mount_all(const char *dest, unsigned long flags, const char *cgpath, bool own_ns);

/* ---- mounts.c ---- */
int rootfs_prepare(const struct spec *s, const char *rootfs);
int mounts_apply(const struct spec *s, const char *rootfs);
int rootfs_pivot(const char *rootfs);
int paths_mask(char **paths);
int paths_readonly(char **paths);
int rootfs_finalize(const struct spec *s);
int secure_join(const char *root, const char *unsafe, char *out, size_t outlen);

/* ---- devices.c ---- */
int devices_create(const struct spec *s, const char *rootfs);

/* ---- network.c ---- */
int loopback_up(void);

/* ---- console.c ---- */
int console_open_in_container(bool bind_console, const struct process_spec *p, int *master, int *slave);
int console_make_controlling(int slave);
int fd_send(int sock, char tag, int fd);
ssize_t msg_recv(int sock, char *tag, char *text, size_t textlen, int *fd); /* non-blocking */
int msg_send(int sock, char tag, const char *text);

/* ---- process.c ---- */
int rlimits_apply(const struct process_spec *p);
int user_apply(const struct process_spec *p);
char **env_with_home(const struct process_spec *p);
int lookpath(const char *file, char **env, char **found, int *exit_code); /* Go exec.LookPath semantics */

/* ---- child.c: what runs in the container process before execve ---- */
struct child_io { int stdin_fd, stdout_fd, stderr_fd; int sync; };
void child_create(const struct spec *s, const char *bundle, void *seccomp, struct child_io *io)
    __attribute__((noreturn));
void child_exec(const struct process_spec *p, pid_t target, void *seccomp, struct child_io *io)
    __attribute__((noreturn));

/* ---- jsonlog.c ---- */
struct jsonlog;
struct jsonlog *jsonlog_open(const char *path, long long max_size, int max_files);
void jsonlog_write(struct jsonlog *l, int stream, const char *p, size_t n); /* 1 stdout, 2 stderr */
void jsonlog_flush(struct jsonlog *l);
void jsonlog_close_fd(struct jsonlog *l); /* in a forked child */

/* ---- supervisor.c ---- */
struct shim_opts {
  const char *mode; /* "create" | "exec" */
  const char *id, *bundle, *state, *log, *process_file;
  long long log_max_size;
  int log_max_files;
  bool stdin_open, stdin_once, tty;
  pid_t target;
  int ready_fd;
  int report_fd; /* to the process that daemonized us: "ok" or the error */
  bool foreground;
};
int supervise(const struct shim_opts *o, const struct spec *s, const struct process_spec *p, void *seccomp);

#endif
