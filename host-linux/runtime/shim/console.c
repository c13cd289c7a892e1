/* The container's terminal: created inside the container's devpts (so `tty` names /dev/pts/N there), its
 * master passed to the shim over the sync socket (SCM_RIGHTS), its slave made the controlling terminal. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

int console_open_in_container(bool bind_console, const struct process_spec *p, int *master, int *slave) {
  int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0) return err_errno("opening /dev/ptmx");
  if (unlockpt(m) < 0) { close(m); return err_errno("unlockpt"); }
  char name[64];
  if (ptsname_r(m, name, sizeof name) != 0) { close(m); return err_errno("ptsname"); }
  int s = open(name, O_RDWR | O_NOCTTY);
  if (s < 0) { close(m); return err_errno("opening %s", name); }
  /* The size the client had at create: without it the process starts at 0x0 until the first resize arrives. */
  if (p->console_height && p->console_width) {
    struct winsize ws = {.ws_row = p->console_height, .ws_col = p->console_width};
    if (ioctl(m, TIOCSWINSZ, &ws) < 0) { close(m); close(s); return err_errno("setting the terminal size"); }
  }
  if (bind_console) {
    int fd = open("/dev/console", O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) close(fd);
    if (mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0) {
      close(m);
      close(s);
      return err_errno("bind-mounting %s at /dev/console", name);
    }
  }
  *master = m;
  *slave = s;
  return 0;
}

int console_make_controlling(int slave) {
  if (ioctl(slave, TIOCSCTTY, 0) < 0) return err_errno("making the terminal the controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0) return err_errno("dup2 terminal");
  if (slave > 2) close(slave);
  return 0;
}

int fd_send(int sock, char tag, int fd) {
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec iov = {.iov_base = &tag, .iov_len = 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) return err_errno("passing the terminal to the shim");
  return 0;
}

/* One message of the sync socket: a tag byte, text, and maybe a file descriptor. 0 on EOF. */
ssize_t msg_recv(int sock, char *tag, char *text, size_t textlen, int *fd) {
  char data[4097];
  char cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = data, .iov_len = sizeof data - 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  ssize_t r;
  do r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT); while (r < 0 && errno == EINTR);
  if (r <= 0) return r;
  *tag = data[0];
  size_t n = (size_t)r - 1 < textlen - 1 ? (size_t)r - 1 : textlen - 1;
  memcpy(text, data + 1, n);
  text[n] = 0;
  *fd = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(c), sizeof(int));
  return r;
}

int msg_send(int sock, char tag, const char *text) {
  char data[4097];
  size_t n = text ? strlen(text) : 0;
  if (n > sizeof data - 1) n = sizeof data - 1;
  data[0] = tag;
  if (n) memcpy(data + 1, text, n);
  ssize_t r;
  do r = send(sock, data, n + 1, MSG_NOSIGNAL); while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}
