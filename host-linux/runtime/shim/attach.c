/* Clients of ctl.sock and attach.sock: non-blocking sockets with an output buffer each. Attach clients get
 * the container's output (Docker's multiplexed frames, raw bytes with a TTY) and feed its stdin. */
#include "supervisor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct client *client_accept(struct shim *sh, int listen_fd, bool attach) {
  int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return NULL;
  struct client *c = xmalloc(sizeof *c);
  c->src.kind = SRC_CLIENT;
  c->src.fd = fd;
  c->attach = attach;
  c->next = sh->clients;
  sh->clients = c;
  c->events = EPOLLIN;
  shim_watch(sh, &c->src, c->events);
  client_update(sh, c);
  return c;
}

void client_update(struct shim *sh, struct client *c) {
  if (c->dead) return;
  uint32_t ev = 0;
  if (!c->read_closed && !(c->attach && sh->stdin_paused)) ev |= EPOLLIN;
  if (c->out.len) ev |= EPOLLOUT;
  if (ev == c->events) return;
  struct epoll_event e = {.events = ev, .data.ptr = &c->src};
  epoll_ctl(sh->epfd, EPOLL_CTL_MOD, c->src.fd, &e);
  c->events = ev;
}

void client_drop(struct shim *sh, struct client *c) {
  if (c->dead) return;
  c->dead = true;
  shim_unwatch(sh, &c->src);
  close(c->src.fd);
  c->src.fd = -1;
}

void clients_sweep(struct shim *sh) {
  for (struct client **pp = &sh->clients; *pp;) {
    struct client *c = *pp;
    if (!c->dead) { pp = &c->next; continue; }
    *pp = c->next;
    buf_free(&c->in);
    buf_free(&c->out);
    free(c);
  }
}

static void client_flush(struct shim *sh, struct client *c) {
  while (c->out.len) {
    ssize_t w = send(c->src.fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      client_drop(sh, c);
      return;
    }
    buf_consume(&c->out, (size_t)w);
  }
  client_update(sh, c);
}

void client_send(struct shim *sh, struct client *c, const void *p, size_t n) {
  if (c->dead) return;
  buf_add(&c->out, p, n);
  if (c->out.len > CLIENT_OUT_LIMIT) {
    client_drop(sh, c);
    return;
  }
  client_flush(sh, c);
}

void attach_output(struct shim *sh, int stream, const char *p, size_t n) {
  unsigned char hdr[8] = {(unsigned char)stream, 0, 0, 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8), (unsigned char)n};
  for (struct client *c = sh->clients; c; c = c->next) {
    if (!c->attach || c->dead) continue;
    if (!sh->o->tty) buf_add(&c->out, hdr, sizeof hdr);
    client_send(sh, c, p, n);
  }
}

static void attach_input(struct shim *sh, struct client *c) {
  char tmp[32768];
  for (;;) {
    ssize_t r = recv(c->src.fd, tmp, sizeof tmp, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) client_drop(sh, c);
      return;
    }
    if (r == 0) {
      /* A half-close: the client has no more stdin, but still wants the output. */
      c->read_closed = true;
      client_update(sh, c);
      if (sh->o->stdin_once) shim_close_stdin(sh);
      return;
    }
    if (sh->in.fd >= 0 && !sh->stdin_close_pending) {
      buf_add(&sh->stdin_buf, tmp, (size_t)r);
      shim_stdin_flush(sh);
    }
    if (sh->stdin_paused) return;
  }
}

static void ctl_input(struct shim *sh, struct client *c) {
  char tmp[4096];
  for (;;) {
    ssize_t r = recv(c->src.fd, tmp, sizeof tmp, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) client_drop(sh, c);
      return;
    }
    if (r == 0) {
      /* Closed while waiting: nothing to answer any more. */
      if (!c->wants_wait && !c->wants_start && !c->out.len) client_drop(sh, c);
      else { c->read_closed = true; client_update(sh, c); }
      return;
    }
    buf_add(&c->in, tmp, (size_t)r);
    char *nl;
    while (!c->dead && c->in.len && (nl = memchr(c->in.data, '\n', c->in.len))) {
      *nl = 0;
      ctl_line(sh, c, c->in.data);
      buf_consume(&c->in, (size_t)(nl - c->in.data) + 1);
    }
    if (c->in.len > 65536) client_drop(sh, c);
    if (c->dead) return;
  }
}

void client_event(struct shim *sh, struct client *c, uint32_t events) {
  if (c->dead) return;
  if (events & EPOLLOUT) client_flush(sh, c);
  if (c->dead) return;
  if ((events & (EPOLLHUP | EPOLLERR)) && c->read_closed) {
    client_drop(sh, c); /* gone both ways */
    return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    if (c->attach) attach_input(sh, c);
    else ctl_input(sh, c);
  }
}
