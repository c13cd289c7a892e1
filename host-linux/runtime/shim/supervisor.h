/* The shim's running state, shared by its event loop (supervisor.c), the control protocol (ctl.c) and
 * the attach clients (attach.c). */
#ifndef BERTH_SUPERVISOR_H
#define BERTH_SUPERVISOR_H

#include "shim.h"

#include <time.h>

/* A client whose unsent output exceeds this is dropped: a slow reader never stalls the container. */
#define CLIENT_OUT_LIMIT (8u << 20)
/* Stdin read from clients but not yet taken by the container; above it clients are not read. */
#define STDIN_LIMIT (1u << 20)

enum src_kind { SRC_SIGNAL, SRC_SYNC, SRC_STDOUT, SRC_STDERR, SRC_STDIN, SRC_CTL_LISTEN, SRC_ATTACH_LISTEN, SRC_CLIENT };

struct src { enum src_kind kind; int fd; };

struct client {
  struct src src; /* first: epoll data points here */
  bool attach;    /* attach.sock (else ctl.sock) */
  bool read_closed, dead, wants_wait, wants_start;
  struct buf in, out;
  uint32_t events;
  struct client *next;
};

enum shim_state { ST_CREATED, ST_RUNNING, ST_STOPPED };

struct shim {
  const struct shim_opts *o;
  const struct spec *s;
  const struct process_spec *p;
  int epfd;
  struct src sig, sync, out, err, in, ctl_listen, attach_listen;
  pid_t pid;
  enum shim_state state;
  bool start_sent, exited, draining;
  int tty_master;
  struct buf stdin_buf;
  bool stdin_close_pending, stdin_paused;
  struct jsonlog *log;
  struct client *clients;
  long oom_base;
  int exit_code, signal;
  bool oom_killed;
  char exec_error[4096];
  struct timespec started, finished;
};

/* supervisor.c */
void shim_watch(struct shim *sh, struct src *s, uint32_t events);
void shim_unwatch(struct shim *sh, struct src *s);
void shim_start(struct shim *sh, struct client *c);
void shim_close_stdin(struct shim *sh);
void shim_stdin_flush(struct shim *sh);
void exit_fields(struct shim *sh, struct buf *b); /* the wait fields, without braces */

/* attach.c */
struct client *client_accept(struct shim *sh, int listen_fd, bool attach);
void client_event(struct shim *sh, struct client *c, uint32_t events);
void client_send(struct shim *sh, struct client *c, const void *p, size_t n);
void client_drop(struct shim *sh, struct client *c);
void client_update(struct shim *sh, struct client *c);
void clients_sweep(struct shim *sh);
void attach_output(struct shim *sh, int stream, const char *p, size_t n);

/* ctl.c */
void ctl_line(struct shim *sh, struct client *c, const char *line);
void ctl_reply(struct shim *sh, struct client *c, bool ok, const char *error, const char *extra);
void ctl_answer_waits(struct shim *sh);

#endif
