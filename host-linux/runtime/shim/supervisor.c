/* The shim proper: creates the container (or exec) process, then runs one epoll + signalfd loop that pumps
 * its stdio, serves ctl.sock and attach.sock, reaps it, writes exit.json and exits. */
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SETUP_TIMEOUT_MS 60000
#define DRAIN_TIMEOUT_MS 5000

void shim_watch(struct shim *sh, struct src *s, uint32_t events) {
  struct epoll_event e = {.events = events, .data.ptr = s};
  epoll_ctl(sh->epfd, EPOLL_CTL_ADD, s->fd, &e);
}

void shim_unwatch(struct shim *sh, struct src *s) {
  if (s->fd >= 0) epoll_ctl(sh->epfd, EPOLL_CTL_DEL, s->fd, NULL);
}

static void close_src(struct shim *sh, struct src *s) {
  if (s->fd < 0) return;
  shim_unwatch(sh, s);
  close(s->fd);
  s->fd = -1;
}

static void set_stdin_paused(struct shim *sh, bool paused) {
  if (sh->stdin_paused == paused) return;
  sh->stdin_paused = paused;
  for (struct client *c = sh->clients; c; c = c->next)
    if (c->attach) client_update(sh, c);
}

void shim_stdin_flush(struct shim *sh) {
  while (sh->in.fd >= 0 && sh->stdin_buf.len) {
    ssize_t w = write(sh->in.fd, sh->stdin_buf.data, sh->stdin_buf.len);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      buf_consume(&sh->stdin_buf, sh->stdin_buf.len); /* the container closed its stdin: drop the rest */
      close_src(sh, &sh->in);
      break;
    }
    buf_consume(&sh->stdin_buf, (size_t)w);
  }
  if (sh->in.fd >= 0) {
    struct epoll_event e = {.events = sh->stdin_buf.len ? EPOLLOUT : 0, .data.ptr = &sh->in};
    epoll_ctl(sh->epfd, EPOLL_CTL_MOD, sh->in.fd, &e);
  }
  if (sh->in.fd >= 0 && !sh->stdin_buf.len && sh->stdin_close_pending) close_src(sh, &sh->in);
  set_stdin_paused(sh, sh->stdin_buf.len > STDIN_LIMIT);
}

void shim_close_stdin(struct shim *sh) {
  sh->stdin_close_pending = true;
  shim_stdin_flush(sh);
}

static void now(struct timespec *ts) { clock_gettime(CLOCK_REALTIME, ts); }

void exit_fields(struct shim *sh, struct buf *b) {
  char started[40] = "0001-01-01T00:00:00Z", finished[40];
  if (sh->started.tv_sec) rfc3339nano(&sh->started, started);
  rfc3339nano(&sh->finished, finished);
  buf_printf(b, "\"exitCode\":%d,\"signal\":", sh->exit_code);
  if (sh->signal) buf_printf(b, "%d", sh->signal);
  else buf_str(b, "null");
  buf_printf(b, ",\"oomKilled\":%s,\"startedAt\":\"%s\",\"finishedAt\":\"%s\"", sh->oom_killed ? "true" : "false",
             started, finished);
  if (sh->exec_error[0]) {
    buf_str(b, ",\"error\":");
    buf_json_string(b, sh->exec_error, strlen(sh->exec_error));
  }
}

static void answer_starts(struct shim *sh, bool ok, const char *error) {
  for (struct client *c = sh->clients; c; c = c->next) {
    if (c->dead || !c->wants_start) continue;
    c->wants_start = false;
    ctl_reply(sh, c, ok, error, NULL);
  }
}

void shim_start(struct shim *sh, struct client *c) {
  if (sh->state == ST_RUNNING) return ctl_reply(sh, c, false, "the process is already running", NULL);
  if (sh->state == ST_STOPPED)
    return ctl_reply(sh, c, false, sh->exec_error[0] ? sh->exec_error : "the process has already exited", NULL);
  c->wants_start = true;
  if (sh->start_sent) return;
  sh->start_sent = true;
  if (msg_send(sh->sync.fd, 'S', NULL) < 0) {
    err_errno("starting the process");
    answer_starts(sh, false, shim_error);
  }
}

/* Messages from the process after set-up: 'X' (exec failed) or EOF (execve closed the socket). */
static void sync_event(struct shim *sh) {
  for (;;) {
    char tag, text[4000];
    int fd = -1;
    ssize_t r = msg_recv(sh->sync.fd, &tag, text, sizeof text, &fd);
    if (fd >= 0) close(fd);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (r <= 0) {
      close_src(sh, &sh->sync);
      if (sh->start_sent && !sh->exec_error[0] && sh->state == ST_CREATED) {
        sh->state = ST_RUNNING;
        now(&sh->started);
        answer_starts(sh, true, NULL);
      }
      return;
    }
    if (tag == 'X') {
      char *sp = strchr(text, ' ');
      snprintf(sh->exec_error, sizeof sh->exec_error, "%s", sp ? sp + 1 : text);
      answer_starts(sh, false, sh->exec_error);
    }
  }
}

static void output_event(struct shim *sh, struct src *s) {
  int stream = s->kind == SRC_STDERR ? 2 : 1;
  char tmp[65536];
  for (int rounds = 0; rounds < 16; rounds++) {
    ssize_t r = read(s->fd, tmp, sizeof tmp);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) return;
    if (r <= 0) { /* EOF, or EIO from a pty whose last slave closed */
      close_src(sh, s);
      return;
    }
    jsonlog_write(sh->log, stream, tmp, (size_t)r);
    attach_output(sh, stream, tmp, (size_t)r);
  }
}

static void drain_output(struct shim *sh) {
  /* Once init of a PID namespace is reaped every writer is gone, so this ends at EOF; a writer that
   * outlives it (an exec's background child) ends it at EAGAIN. */
  while (sh->out.fd >= 0 || sh->err.fd >= 0) {
    int before = (sh->out.fd >= 0) + (sh->err.fd >= 0);
    struct src *srcs[2] = {&sh->out, &sh->err};
    bool progressed = false;
    for (int i = 0; i < 2; i++) {
      if (srcs[i]->fd < 0) continue;
      char tmp[65536];
      ssize_t r = read(srcs[i]->fd, tmp, sizeof tmp);
      if (r > 0) {
        jsonlog_write(sh->log, srcs[i]->kind == SRC_STDERR ? 2 : 1, tmp, (size_t)r);
        attach_output(sh, srcs[i]->kind == SRC_STDERR ? 2 : 1, tmp, (size_t)r);
        progressed = true;
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        close_src(sh, srcs[i]);
      }
    }
    if (!progressed && before == (sh->out.fd >= 0) + (sh->err.fd >= 0)) break;
  }
  close_src(sh, &sh->out);
  close_src(sh, &sh->err);
}

static void process_exited(struct shim *sh, int status) {
  sh->exited = true;
  now(&sh->finished);
  if (WIFSIGNALED(status)) {
    sh->signal = WTERMSIG(status);
    sh->exit_code = 128 + sh->signal;
  } else {
    sh->exit_code = WEXITSTATUS(status);
  }
  if (sh->sync.fd >= 0) sync_event(sh); /* an exec failure may still be queued */
  drain_output(sh);
  jsonlog_flush(sh->log);
  if (sh->o->mode[0] == 'c' && sh->oom_base >= 0) sh->oom_killed = cgroup_oom_kills(sh->s->cgroups_path) > sh->oom_base;
  sh->state = ST_STOPPED;
  struct buf b = {0};
  buf_str(&b, "{");
  exit_fields(sh, &b);
  buf_str(&b, "}\n");
  write_file_atomic("exit.json", b.data, b.len);
  buf_free(&b);
  answer_starts(sh, false, sh->exec_error[0] ? sh->exec_error : "the process exited before it started");
  ctl_answer_waits(sh);
  close_src(sh, &sh->in);
  close_src(sh, &sh->ctl_listen);
  close_src(sh, &sh->attach_listen);
  unlink("ctl.sock");
  unlink("attach.sock");
  sh->draining = true;
}

static void signal_event(struct shim *sh) {
  struct signalfd_siginfo si;
  while (read(sh->sig.fd, &si, sizeof si) == sizeof si) {}
  int status;
  pid_t p;
  while ((p = waitpid(-1, &status, WNOHANG)) > 0)
    if (p == sh->pid && !sh->exited) process_exited(sh, status);
}

static int listen_unix(const char *name) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return err_errno("socket");
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s", name); /* relative to the state dir: no 108-byte limit on it */
  unlink(name);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || chmod(name, 0600) < 0 || listen(fd, 64) < 0) {
    err_errno("listening on %s", name);
    close(fd);
    return -1;
  }
  return fd;
}

static void report_ready(const struct shim_opts *o, pid_t pid, const char *error) {
  if (o->report_fd >= 0) {
    write_all(o->report_fd, error ? error : "ok", strlen(error ? error : "ok"));
    close(o->report_fd);
  }
  if (error && o->foreground) fprintf(stderr, "berth-shim: %s\n", error);
  int fd = o->ready_fd;
  if (fd < 0) return;
  struct buf b = {0};
  if (error) {
    buf_str(&b, "{\"error\":");
    buf_json_string(&b, error, strlen(error));
    buf_str(&b, "}\n");
  } else {
    buf_printf(&b, "{\"pid\":%d}\n", (int)pid);
  }
  write_all(fd, b.data, b.len);
  buf_free(&b);
  close(fd);
}

static int write_pid(const char *name, pid_t pid) {
  char t[32];
  int n = snprintf(t, sizeof t, "%d", (int)pid);
  if (write_file_atomic(name, t, (size_t)n) < 0) return err_errno("writing %s", name);
  return 0;
}

/* Waits for the process to finish set-up: 'T' passes the terminal, 'R' means ready, 'E' carries an error. */
static int await_setup(struct shim *sh) {
  for (;;) {
    struct pollfd pf = {.fd = sh->sync.fd, .events = POLLIN};
    int pr = poll(&pf, 1, SETUP_TIMEOUT_MS);
    if (pr < 0 && errno == EINTR) continue;
    if (pr == 0) return err_set("the container process did not finish set-up within %d s", SETUP_TIMEOUT_MS / 1000);
    char tag, text[4000];
    int fd = -1;
    ssize_t r = msg_recv(sh->sync.fd, &tag, text, sizeof text, &fd);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (r <= 0) return err_set("the container process exited during set-up");
    if (tag == 'T' && fd >= 0) {
      sh->tty_master = fd;
    } else if (fd >= 0) {
      close(fd);
    }
    if (tag == 'R') return 0;
    if (tag == 'E') return err_set("%s", text);
  }
}

/* In the new process: what the shim holds must not reach the container, and readers of the ready and
 * report pipes must see EOF when the shim closes them, not when the container execs. */
static void child_reset(struct shim *sh) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  if (sh->o->ready_fd >= 0) close(sh->o->ready_fd);
  if (sh->o->report_fd >= 0) close(sh->o->report_fd);
  close(sh->sync.fd);
  close(sh->sig.fd);
  close(sh->epfd);
  if (sh->log) jsonlog_close_fd(sh->log);
}

static pid_t spawn(struct shim *sh, void *seccomp, struct child_io *io) {
  const struct spec *s = sh->s;
  if (sh->o->mode[0] == 'e') {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)sh->o->target);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { err_errno("container process %d", (int)sh->o->target); return -1; }
    /* Affects only our children: the exec'd process is born in the container's PID namespace. */
    if (setns(fd, CLONE_NEWPID) < 0) { err_errno("joining the PID namespace of %d", (int)sh->o->target); close(fd); return -1; }
    close(fd);
    pid_t pid = fork();
    if (pid == 0) {
      child_reset(sh);
      child_exec(sh->p, sh->o->target, seccomp, io);
    }
    if (pid < 0) err_errno("fork");
    return pid;
  }
  unsigned long flags = 0;
  for (size_t i = 0; i < s->nns; i++) {
    if (s->ns[i].flag == CLONE_NEWCGROUP) continue; /* unshared by the child once it is in its cgroup */
    if (!s->ns[i].path) flags |= (unsigned long)s->ns[i].flag;
    else if (s->ns[i].flag == CLONE_NEWPID) {
      int fd = open(s->ns[i].path, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns(fd, CLONE_NEWPID) < 0) { err_errno("joining PID namespace %s", s->ns[i].path); return -1; }
      close(fd);
    }
  }
  /* fork-like clone (no new stack): the child gets a copy of our memory and runs child_create */
  pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid == 0) {
    child_reset(sh);
    child_create(s, sh->o->bundle, seccomp, io);
  }
  if (pid < 0) err_errno("clone");
  return pid;
}

static int make_stdio(struct shim *sh, struct child_io *io) {
  io->stdin_fd = io->stdout_fd = io->stderr_fd = -1;
  sh->in.fd = sh->out.fd = sh->err.fd = -1;
  if (sh->p->terminal) return 0;
  int o[2], e[2];
  if (pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0) return err_errno("pipe");
  sh->out.fd = o[0]; io->stdout_fd = o[1];
  sh->err.fd = e[0]; io->stderr_fd = e[1];
  if (sh->o->stdin_open) {
    int i[2];
    if (pipe2(i, O_CLOEXEC) < 0) return err_errno("pipe");
    io->stdin_fd = i[0];
    sh->in.fd = i[1];
  } else {
    io->stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (io->stdin_fd < 0) return err_errno("opening /dev/null");
  }
  /* so that a non-root user can reopen /proc/self/fd/N, as runc allows */
  int fds[3] = {io->stdin_fd, io->stdout_fd, io->stderr_fd};
  for (int k = 0; k < 3; k++)
    if (fds[k] >= 0 && fchown(fds[k], sh->p->uid, sh->p->gid) < 0 && k != 0) return err_errno("fchown stdio");
  return 0;
}

int supervise(const struct shim_opts *o, const struct spec *s, const struct process_spec *p, void *seccomp) {
  struct shim shm, *sh = &shm;
  memset(sh, 0, sizeof *sh);
  sh->o = o;
  sh->s = s;
  sh->p = p;
  sh->tty_master = -1;
  sh->oom_base = -1;
  sh->sig = (struct src){SRC_SIGNAL, -1};
  sh->sync = (struct src){SRC_SYNC, -1};
  sh->out = (struct src){SRC_STDOUT, -1};
  sh->err = (struct src){SRC_STDERR, -1};
  sh->in = (struct src){SRC_STDIN, -1};
  sh->ctl_listen = (struct src){SRC_CTL_LISTEN, -1};
  sh->attach_listen = (struct src){SRC_ATTACH_LISTEN, -1};

  if (chdir(o->state) < 0) { err_errno("state directory %s", o->state); goto fail_early; }
  if (o->log && !(sh->log = jsonlog_open(o->log, o->log_max_size, o->log_max_files))) goto fail_early;
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  sh->sig.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  sh->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (sh->sig.fd < 0 || sh->epfd < 0) { err_errno("signalfd/epoll"); goto fail_early; }

  struct child_io io;
  if (make_stdio(sh, &io) < 0) goto fail_early;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) { err_errno("socketpair"); goto fail_early; }
  sh->sync.fd = sv[0];
  io.sync = sv[1];
  if (o->mode[0] == 'c') sh->oom_base = cgroup_oom_kills(s->cgroups_path);

  sh->pid = spawn(sh, seccomp, &io);
  if (sh->pid < 0) goto fail_early;
  close(sv[1]);
  if (io.stdin_fd >= 0) close(io.stdin_fd);
  if (io.stdout_fd >= 0) close(io.stdout_fd);
  if (io.stderr_fd >= 0) close(io.stderr_fd);

  if (await_setup(sh) < 0) goto fail_child;
  if (sh->tty_master >= 0) {
    sh->out.fd = sh->tty_master;
    if (o->stdin_open) sh->in.fd = fcntl(sh->tty_master, F_DUPFD_CLOEXEC, 3); /* its own epoll entry */
  }
  if (write_pid("init.pid", sh->pid) < 0 || write_pid("shim.pid", getpid()) < 0) goto fail_child;
  if ((sh->ctl_listen.fd = listen_unix("ctl.sock")) < 0 || (sh->attach_listen.fd = listen_unix("attach.sock")) < 0)
    goto fail_child;

  int fds[] = {sh->out.fd, sh->err.fd, sh->in.fd, sh->sync.fd};
  for (size_t i = 0; i < 4; i++)
    if (fds[i] >= 0) set_nonblock(fds[i]);
  shim_watch(sh, &sh->sig, EPOLLIN);
  shim_watch(sh, &sh->sync, EPOLLIN);
  if (sh->out.fd >= 0) shim_watch(sh, &sh->out, EPOLLIN);
  if (sh->err.fd >= 0) shim_watch(sh, &sh->err, EPOLLIN);
  if (sh->in.fd >= 0) shim_watch(sh, &sh->in, 0);
  shim_watch(sh, &sh->ctl_listen, EPOLLIN);
  shim_watch(sh, &sh->attach_listen, EPOLLIN);
  report_ready(o, sh->pid, NULL);

  struct timespec drain_start = {0};
  for (;;) {
    int timeout = -1;
    if (sh->draining) {
      bool pending = false;
      for (struct client *c = sh->clients; c; c = c->next) {
        if (c->dead) continue;
        if (c->out.len) pending = true;
        else client_drop(sh, c);
      }
      clients_sweep(sh);
      if (!pending) break;
      struct timespec t;
      clock_gettime(CLOCK_MONOTONIC, &t);
      if (!drain_start.tv_sec) drain_start = t;
      long elapsed = (t.tv_sec - drain_start.tv_sec) * 1000 + (t.tv_nsec - drain_start.tv_nsec) / 1000000;
      if (elapsed >= DRAIN_TIMEOUT_MS) break;
      timeout = (int)(DRAIN_TIMEOUT_MS - elapsed);
    }
    struct epoll_event evs[32];
    int n = epoll_wait(sh->epfd, evs, 32, timeout);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; i++) {
      struct src *src = evs[i].data.ptr;
      switch (src->kind) {
        case SRC_SIGNAL: signal_event(sh); break;
        case SRC_SYNC: if (src->fd >= 0) sync_event(sh); break;
        case SRC_STDOUT:
        case SRC_STDERR: if (src->fd >= 0) output_event(sh, src); break;
        case SRC_STDIN:
          if (src->fd >= 0 && (evs[i].events & (EPOLLERR | EPOLLHUP))) {
            /* the container closed its end: what is left can never be delivered (and the error would spin) */
            buf_consume(&sh->stdin_buf, sh->stdin_buf.len);
            close_src(sh, &sh->in);
            set_stdin_paused(sh, false);
          } else {
            shim_stdin_flush(sh);
          }
          break;
        case SRC_CTL_LISTEN: if (src->fd >= 0) while (client_accept(sh, src->fd, false)) {} break;
        case SRC_ATTACH_LISTEN: if (src->fd >= 0) while (client_accept(sh, src->fd, true)) {} break;
        case SRC_CLIENT: client_event(sh, (struct client *)src, evs[i].events); break;
      }
    }
    clients_sweep(sh);
  }
  return 0;

fail_child:
  kill(sh->pid, SIGKILL);
  waitpid(sh->pid, NULL, 0);
fail_early:
  report_ready(o, 0, shim_error);
  return -1;
}
