/* berth's guest agent: PID 1 of the v86 guest after /init. It speaks the framed protocol of
 * PROTOCOL.md on ttyS1 and runs containers with namespaces, overlayfs and a cgroup each. */
#ifndef BERTH_AGENT_H
#define BERTH_AGENT_H
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* Frame types (PROTOCOL.md). */
enum { F_HELLO = 1, F_REQUEST = 2, F_RESPONSE = 3, F_STDIN = 4, F_STDOUT = 5, F_STDERR = 6, F_EXIT = 7 };

#define LAYERS_DIR "/var/lib/berth/layers"
#define CONTAINERS_DIR "/run/berth/containers"
#define SHARE_DIR "/mnt/host"
#define CGROUP_DIR "/sys/fs/cgroup/berth"
#define VOLUMES_DIR "/var/lib/berth/volumes"

enum { J_OBJ = 1, J_ARR, J_STR, J_PRIM };
#define JSON_MAX_TOKENS 4096
struct json_tok { int type, start, end, size, next; };
struct json { const char *src; int n; struct json_tok tok[JSON_MAX_TOKENS]; };

int json_parse(struct json *j, const char *src);
int json_get(struct json *j, int obj, const char *key);
int json_at(struct json *j, int arr, int n);
char *json_str(struct json *j, int t, const char *def);
long long json_num(struct json *j, int t, long long def);
char **json_strv(struct json *j, int arr);
void strv_free(char **v);
void json_quote(char *buf, size_t cap, const char *s);

struct container {
  struct container *next;
  uint32_t id;
  pid_t pid;
  int tty;
  int out_fd, err_fd;          /* read ends (out_fd is the pty master with a tty) */
  int in_fd;                   /* write end of stdin (the pty master with a tty), -1 once closed */
  int start_fd, errpipe_fd;    /* start signal to the child; its exec error (EOF: exec'd) */
  char *in_buf; size_t in_len; /* stdin not yet written */
  int in_close;                /* close stdin once in_buf is drained */
  int exited, status;
  int is_exec;                 /* a process exec'd into another container */
  uint32_t cgroup_id;          /* the container whose cgroup it is in */
  char dir[160];               /* the container's files (none for an exec) */
};

extern struct container *containers;

void *xmalloc(size_t n);
char *xstrdup(const char *s);
void send_frame(int type, uint32_t id, const void *data, size_t len);
void send_json(int type, uint32_t id, const char *json);
int run_wait(char *const argv[]);
pid_t spawn(char *const argv[]);
int mkdir_p(const char *path, mode_t mode);
int write_file(const char *path, const char *data);

/* container.c */
int container_create(struct json *j, uint32_t id, char *err, size_t errcap);
int container_start(struct container *c, char *err, size_t errcap);
int container_signal(struct container *c, int sig, int all);
void container_release(struct container *c);
int container_freeze(struct container *c, int frozen);
int container_update(struct container *c, long long memory, long long pids);
int container_delete(const char *name);
void maybe_exit(struct container *c);
struct container *container_find(uint32_t id);
struct container *container_by_pid(pid_t pid);

/* inspect.c: processes (stats=0) or cgroup counters (stats=1) as the RESPONSE to rid */
void respond_inspect(uint32_t rid, struct container *c, int stats);

int mount_rootfs(struct json *j, const char *dir, int again, char *err, size_t errcap);
int is_mounted(const char *path);
int valid_name(const char *n);

/* fsops.c: a container's files for the host (diff, commit, export, size) */
int fs_request(const char *op, struct json *j, uint32_t rid, char *err, size_t errcap, char *extra, size_t extracap);
int fs_job_done(pid_t pid, int status);

/* network.c */
int network_attach(uint32_t cid, pid_t pid, char *err, size_t errcap);
void network_configure(const char *ip, int prefix, const char *gateway);

/* layers.c */
int layer_present(const char *diffid);
int layer_extract_start(const char *diffid, const char *path, uint32_t rid, char *err, size_t errcap);
int layer_job_done(pid_t pid, int status);
int layer_dir(const char *diffid, char *out, size_t cap);

#endif
