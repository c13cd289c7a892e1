/* The agent's main loop: frames in from ttyS1, requests dispatched, container output and exits out.
 * One thread and poll(2); children are reaped through a signalfd. */
#include "agent.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define MAX_FRAME (1u << 20)
#define PORT "/dev/ttyS1"

static int port = -1;

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) { fprintf(stderr, "berth-agent: out of memory\n"); _exit(70); }
  return p;
}

char *xstrdup(const char *s) {
  char *d = xmalloc(strlen(s) + 1);
  strcpy(d, s);
  return d;
}

static void write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len) {
    ssize_t w = write(fd, p, len);
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return;
    }
    p += w; len -= (size_t)w;
  }
}

static void put_u32(unsigned char *p, uint32_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24); }
static uint32_t get_u32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

void send_frame(int type, uint32_t id, const void *data, size_t len) {
  unsigned char h[9];
  put_u32(h, (uint32_t)(len + 5));
  h[4] = (unsigned char)type;
  put_u32(h + 5, id);
  write_all(port, h, 9);
  if (len) write_all(port, data, len);
}

void send_json(int type, uint32_t id, const char *json) { send_frame(type, id, json, strlen(json)); }

/* A busybox tool as the agent's child, output to /dev/null (stderr stays the console's). */
pid_t spawn(char *const argv[]) {
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0); dup2(null, 1);
    execvp(argv[0], argv);
    _exit(127);
  }
  return pid;
}

int run_wait(char *const argv[]) {
  pid_t pid = spawn(argv);
  if (pid < 0) return -1;
  int st;
  while (waitpid(pid, &st, 0) < 0) if (errno != EINTR) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int mkdir_p(const char *path, mode_t mode) {
  char p[1024];
  snprintf(p, sizeof p, "%s", path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    if (mkdir(p, mode) < 0 && errno != EEXIST) return -1;
    *s = '/';
  }
  return mkdir(p, mode) < 0 && errno != EEXIST ? -1 : 0;
}

int write_file(const char *path, const char *data) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  ssize_t n = write(fd, data, strlen(data));
  int e = errno;
  close(fd);
  errno = e;
  return n == (ssize_t)strlen(data) ? 0 : -1;
}

/* EXIT goes out only after the last output, so the host sees every byte before the status. */
void maybe_exit(struct container *c) {
  if (c->exited != 1 || c->out_fd >= 0 || c->err_fd >= 0) return;
  char buf[96];
  int st = c->status;
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
  /* The memory cgroup's oom_kill count says whether the kernel's OOM killer ended it (docker's OOMKilled). */
  int oom = 0;
  if (!c->is_exec) {
    char p[128], line[64];
    snprintf(p, sizeof p, "%s/%u/memory.events", CGROUP_DIR, c->id);
    FILE *f = fopen(p, "r");
    long n;
    while (f && fgets(line, sizeof line, f)) if (sscanf(line, "oom_kill %ld", &n) == 1 && n > 0) oom = 1;
    if (f) fclose(f);
  }
  snprintf(buf, sizeof buf, "{\"exitCode\":%d,\"signal\":%d,\"oomKilled\":%s}", code, sig, oom ? "true" : "false");
  send_json(F_EXIT, c->id, buf);
  c->exited = 2;
  if (c->in_fd >= 0) { close(c->in_fd); c->in_fd = -1; }
}

static void reap(void) {
  int st;
  pid_t pid;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
    if (layer_job_done(pid, st) || fs_job_done(pid, st)) continue;
    struct container *c = container_by_pid(pid);
    if (!c) continue; /* an orphan re-parented to us (PID 1) */
    c->exited = 1;
    c->status = st;
    maybe_exit(c);
  }
}

static void respond(uint32_t rid, int ok, const char *extra, const char *error) {
  char buf[8192];
  if (ok) snprintf(buf, sizeof buf, "{\"ok\":true%s%s}", extra && *extra ? "," : "", extra ? extra : "");
  else { snprintf(buf, sizeof buf, "{\"ok\":false,\"error\":"); json_quote(buf, sizeof buf, error); strcat(buf, "}"); }
  send_json(F_RESPONSE, rid, buf);
}

static void handle_request(uint32_t rid, const char *payload) {
  static struct json j;
  char err[1024] = "", extra[4608] = "";
  if (json_parse(&j, payload) < 0 || j.tok[0].type != J_OBJ) { respond(rid, 0, NULL, "malformed request"); return; }
  char *op = json_str(&j, json_get(&j, 0, "op"), "");
  uint32_t cid = (uint32_t)json_num(&j, json_get(&j, 0, "cid"), 0);
  struct container *c = container_find(cid);
  int ok = 1;
  if (!strcmp(op, "ping")) {
  } else if (!strcmp(op, "set-time")) {
    /* A restored snapshot wakes with the clock of its save: the host sets the real time. */
    long long ms = json_num(&j, json_get(&j, 0, "ms"), 0);
    struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };
    if (ms <= 0 || clock_settime(CLOCK_REALTIME, &ts) < 0) { ok = 0; snprintf(err, sizeof err, "setting the clock: %s", ms <= 0 ? "no time given" : strerror(errno)); }
  } else if (!strcmp(op, "layer")) {
    char *diffid = json_str(&j, json_get(&j, 0, "diffID"), ""), *path = json_str(&j, json_get(&j, 0, "path"), NULL);
    int started = 0;
    if (path) {
      int r = layer_extract_start(diffid, path, rid, err, sizeof err);
      ok = r >= 0;
      started = r == 0;
    }
    if (ok) snprintf(extra, sizeof extra, "\"present\":%s", layer_present(diffid) ? "true" : "false");
    free(diffid); free(path);
    if (started) { free(op); return; } /* answered when tar ends */
  } else if (!strcmp(op, "create")) {
    ok = !container_create(&j, cid, err, sizeof err);
    if (ok) snprintf(extra, sizeof extra, "\"pid\":%d", container_find(cid)->pid);
  } else if (!strcmp(op, "exec")) {
    ok = !container_create(&j, cid, err, sizeof err);
    if (ok) snprintf(extra, sizeof extra, "\"pid\":%d", container_find(cid)->pid);
  } else if (!strcmp(op, "remove")) {
    /* release the live process (if any), then delete the files */
    if (c) container_release(c);
    char *name = json_str(&j, json_get(&j, 0, "name"), "");
    if (*name && container_delete(name) < 0) { ok = 0; snprintf(err, sizeof err, "removing container %s: %s", name, strerror(errno)); }
    free(name);
  } else if (!strcmp(op, "changes") || !strcmp(op, "size") || !strcmp(op, "export") || !strcmp(op, "diff-tar")
             || !strcmp(op, "stat") || !strcmp(op, "get") || !strcmp(op, "put")) {
    int r = fs_request(op, &j, rid, err, sizeof err, extra, sizeof extra);
    if (r > 0) { free(op); return; } /* answered already or when tar ends */
    ok = r == 0;
  } else if (!strcmp(op, "unshare")) {
    /* the host has read a file the agent wrote into the share */
    char *name = json_str(&j, json_get(&j, 0, "out"), ""), p[512];
    if (*name && !strchr(name, '/')) { snprintf(p, sizeof p, "%s/%s", SHARE_DIR, name); unlink(p); }
    free(name);
  } else if (!strcmp(op, "release")) {
    if (c) container_release(c);
  } else if (!c) {
    ok = 0;
    snprintf(err, sizeof err, "no such container %u in the guest", cid);
  } else if (!strcmp(op, "start")) {
    ok = !container_start(c, err, sizeof err);
  } else if (!strcmp(op, "signal")) {
    ok = !container_signal(c, (int)json_num(&j, json_get(&j, 0, "signal"), SIGKILL), (int)json_num(&j, json_get(&j, 0, "all"), 0));
    if (!ok) snprintf(err, sizeof err, "kill: %s", strerror(errno));
  } else if (!strcmp(op, "freeze") || !strcmp(op, "update")) {
    if (c->is_exec || c->exited) { ok = 0; snprintf(err, sizeof err, "container %u is not running", cid); }
    else if (op[0] == 'f') ok = !container_freeze(c, (int)json_num(&j, json_get(&j, 0, "frozen"), 0));
    else ok = !container_update(c, json_num(&j, json_get(&j, 0, "memory"), 0), json_num(&j, json_get(&j, 0, "pidsLimit"), 0));
    if (!ok && !*err) snprintf(err, sizeof err, "%s: %s", op, strerror(errno));
  } else if (!strcmp(op, "top") || !strcmp(op, "stats")) {
    respond_inspect(rid, c, op[0] == 's');
    free(op);
    return;
  } else if (!strcmp(op, "resize")) {
    struct winsize ws = { .ws_row = (unsigned short)json_num(&j, json_get(&j, 0, "rows"), 24), .ws_col = (unsigned short)json_num(&j, json_get(&j, 0, "cols"), 80) };
    if (c->tty && c->out_fd >= 0) ioctl(c->out_fd, TIOCSWINSZ, &ws);
  } else {
    ok = 0;
    snprintf(err, sizeof err, "unknown request %s", op);
  }
  free(op);
  respond(rid, ok, extra, err);
}

static void handle_stdin(uint32_t cid, const unsigned char *data, size_t len) {
  struct container *c = container_find(cid);
  if (!c || c->in_fd < 0) return;
  if (!len) { c->in_close = 1; }
  else {
    char *b = realloc(c->in_buf, c->in_len + len);
    if (!b) return;
    memcpy(b + c->in_len, data, len);
    c->in_buf = b; c->in_len += len;
  }
}

static void flush_stdin(struct container *c) {
  while (c->in_len && c->in_fd >= 0) {
    ssize_t w = write(c->in_fd, c->in_buf, c->in_len);
    if (w < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      c->in_len = 0; /* the reader is gone: drop what it will never read */
      break;
    }
    memmove(c->in_buf, c->in_buf + w, c->in_len - (size_t)w);
    c->in_len -= (size_t)w;
  }
  if (!c->in_len && c->in_close && c->in_fd >= 0) {
    /* A pty has no half-close: EOT at the start of a line is the terminal's end of input. */
    if (c->tty) { char eot = 4; if (write(c->in_fd, &eot, 1) < 0) { /* gone */ } }
    else { close(c->in_fd); c->in_fd = -1; }
    c->in_close = 0;
  }
}

static void read_output(struct container *c, int *fd, int type) {
  static unsigned char buf[16384];
  ssize_t n = read(*fd, buf, sizeof buf);
  if (n > 0) { send_frame(type, c->id, buf, (size_t)n); return; }
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (c->tty && c->in_fd >= 0) { close(c->in_fd); c->in_fd = -1; } /* its stdin is the same pty */
  close(*fd);
  *fd = -1;
  maybe_exit(c);
}

static void setup_port(void) {
  port = open(PORT, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (port < 0) { perror("berth-agent: " PORT); _exit(1); }
  struct termios t;
  tcgetattr(port, &t);
  cfmakeraw(&t);
  t.c_cflag |= CLOCAL | CREAD;
  t.c_cflag &= ~(tcflag_t)CRTSCTS;
  cfsetispeed(&t, B115200); cfsetospeed(&t, B115200);
  tcsetattr(port, TCSANOW, &t);
}

int main(void) {
  setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
  signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  mkdir_p(LAYERS_DIR, 0755);
  mkdir_p(CONTAINERS_DIR, 0755);
  mkdir_p(CGROUP_DIR, 0755);
  write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory +pids");
  write_file(CGROUP_DIR "/cgroup.subtree_control", "+memory +pids");
  setup_port();
  struct utsname u;
  uname(&u);
  char hello[256] = "{\"agent\":\"berth-guest-agent\",\"protocol\":1,\"kernel\":";
  json_quote(hello, sizeof hello, u.release);
  strcat(hello, "}");
  send_json(F_HELLO, 0, hello);

  size_t cap = 65536, len = 0;
  unsigned char *in = xmalloc(cap);
  for (;;) {
    struct pollfd pf[2 + 3 * 64];
    struct container *who[2 + 3 * 64];
    int kind[2 + 3 * 64];
    int n = 0;
    pf[n] = (struct pollfd){ .fd = port, .events = POLLIN }; who[n] = NULL; kind[n++] = 0;
    pf[n] = (struct pollfd){ .fd = sfd, .events = POLLIN }; who[n] = NULL; kind[n++] = 0;
    for (struct container *c = containers; c && n + 3 <= (int)(sizeof pf / sizeof pf[0]); c = c->next) {
      if (c->out_fd >= 0) { pf[n] = (struct pollfd){ .fd = c->out_fd, .events = POLLIN }; who[n] = c; kind[n++] = F_STDOUT; }
      if (c->err_fd >= 0) { pf[n] = (struct pollfd){ .fd = c->err_fd, .events = POLLIN }; who[n] = c; kind[n++] = F_STDERR; }
      if (c->in_fd >= 0 && (c->in_len || c->in_close)) { pf[n] = (struct pollfd){ .fd = c->in_fd, .events = POLLOUT }; who[n] = c; kind[n++] = F_STDIN; }
    }
    if (poll(pf, (nfds_t)n, -1) < 0) continue;
    if (pf[1].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {}
      reap();
    }
    for (int i = 2; i < n; i++) {
      if (!pf[i].revents) continue;
      struct container *c = who[i];
      if (!container_find(c->id)) continue;
      if (kind[i] == F_STDIN) flush_stdin(c);
      else if (kind[i] == F_STDOUT && c->out_fd == pf[i].fd) read_output(c, &c->out_fd, F_STDOUT);
      else if (kind[i] == F_STDERR && c->err_fd == pf[i].fd) read_output(c, &c->err_fd, F_STDERR);
    }
    if (pf[0].revents & POLLIN) {
      if (len == cap) { cap *= 2; unsigned char *b = realloc(in, cap); if (!b) _exit(70); in = b; }
      ssize_t r = read(port, in + len, cap - len);
      if (r > 0) len += (size_t)r;
      size_t off = 0;
      while (len - off >= 9) {
        uint32_t flen = get_u32(in + off);
        if (flen < 5 || flen > MAX_FRAME) { off = len; break; } /* lost sync: drop what we have */
        if (len - off < 4 + (size_t)flen) {
          if (cap < 4 + (size_t)flen) { cap = 4 + (size_t)flen; unsigned char *b = realloc(in, cap); if (!b) _exit(70); in = b; }
          break;
        }
        int type = in[off + 4];
        uint32_t id = get_u32(in + off + 5);
        unsigned char *payload = in + off + 9;
        size_t plen = flen - 5;
        if (type == F_REQUEST) {
          char *s = xmalloc(plen + 1);
          memcpy(s, payload, plen);
          s[plen] = 0;
          handle_request(id, s);
          free(s);
        } else if (type == F_STDIN) {
          handle_stdin(id, payload, plen);
          struct container *c = container_find(id);
          if (c) flush_stdin(c);
        }
        off += 4 + flen;
      }
      memmove(in, in + off, len - off);
      len -= off;
    }
  }
}
