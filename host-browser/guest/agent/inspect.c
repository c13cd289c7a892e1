/* What the host asks about a running container: its processes (docker top) and its cgroup's
 * counters (docker stats), sent as they are read; the host shapes them as Docker does. */
#include "agent.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

struct sb { char *s; size_t n, cap; };

static void sb_add(struct sb *b, const char *fmt, ...) {
  va_list ap;
  for (;;) {
    size_t room = b->cap - b->n;
    va_start(ap, fmt);
    int w = b->s ? vsnprintf(b->s + b->n, room, fmt, ap) : -1;
    va_end(ap);
    if (w >= 0 && (size_t)w < room) { b->n += (size_t)w; return; }
    b->cap = b->cap ? b->cap * 2 + (size_t)(w > 0 ? w : 0) : 4096;
    char *s = realloc(b->s, b->cap);
    if (!s) _exit(70);
    b->s = s;
  }
}

static void sb_quote(struct sb *b, const char *s) {
  sb_add(b, "\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') sb_add(b, "\\%c", c);
    else if (c < 0x20) sb_add(b, "\\u%04x", c);
    else sb_add(b, "%c", c);
  }
  sb_add(b, "\"");
}

/* A small file's text (procfs, cgroupfs), NUL bytes turned into spaces; NULL if unreadable. */
static char *slurp(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 4096, n = 0;
  char *s = xmalloc(cap);
  ssize_t r;
  while ((r = read(fd, s + n, cap - n - 1)) > 0) {
    n += (size_t)r;
    if (n + 1 == cap) { cap *= 2; s = realloc(s, cap); if (!s) _exit(70); }
  }
  close(fd);
  for (size_t i = 0; i < n; i++) if (!s[i]) s[i] = ' ';
  s[n] = 0;
  if (len) *len = n;
  return s;
}

static void procs_json(struct sb *b, uint32_t cgroup_id) {
  char p[160];
  snprintf(p, sizeof p, "%s/%u/cgroup.procs", CGROUP_DIR, cgroup_id);
  char *list = slurp(p, NULL);
  sb_add(b, "[");
  int first = 1;
  for (char *tok = list ? strtok(list, "\n") : NULL; tok; tok = strtok(NULL, "\n")) {
    int pid = atoi(tok);
    snprintf(p, sizeof p, "/proc/%d/stat", pid);
    char *stat = slurp(p, NULL);
    char *rp = stat ? strrchr(stat, ')') : NULL;
    if (!rp) { free(stat); continue; }
    char comm[64] = "";
    char *lp = strchr(stat, '(');
    if (lp) snprintf(comm, sizeof comm, "[%.*s]", (int)(rp - lp - 1), lp + 1);
    char state;
    int ppid, pgrp, session, tty;
    unsigned long long utime = 0, stime = 0, start = 0;
    sscanf(rp + 2, "%c %d %d %d %d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu",
           &state, &ppid, &pgrp, &session, &tty, &utime, &stime, &start);
    free(stat);
    snprintf(p, sizeof p, "/proc/%d/status", pid);
    char *status = slurp(p, NULL);
    char *u = status ? strstr(status, "\nUid:") : NULL;
    int uid = u ? atoi(u + 5) : 0;
    free(status);
    snprintf(p, sizeof p, "/proc/%d/cmdline", pid);
    size_t clen = 0;
    char *cmd = slurp(p, &clen);
    while (cmd && clen && cmd[clen - 1] == ' ') cmd[--clen] = 0;
    sb_add(b, "%s{\"pid\":%d,\"ppid\":%d,\"uid\":%d,\"tty\":%d,\"ticks\":%llu,\"start\":%llu,\"cmd\":", first ? "" : ",", pid, ppid, uid, tty, utime + stime, start);
    sb_quote(b, cmd && *cmd ? cmd : comm);
    sb_add(b, "}");
    free(cmd);
    first = 0;
  }
  sb_add(b, "]");
  free(list);
}

void respond_inspect(uint32_t rid, struct container *c, int stats) {
  struct sb b = { 0 };
  sb_add(&b, "{\"ok\":true,\"hz\":%ld,\"ncpu\":%ld,\"procStat\":", sysconf(_SC_CLK_TCK), sysconf(_SC_NPROCESSORS_ONLN));
  char *ps = slurp("/proc/stat", NULL);
  char *bt = ps ? strstr(ps, "\nbtime ") : NULL;
  long long btime = bt ? atoll(bt + 7) : 0;
  if (ps) { char *nl = strchr(ps, '\n'); if (nl) *nl = 0; }
  sb_quote(&b, ps ? ps : "");
  free(ps);
  sb_add(&b, ",\"btime\":%lld", btime);
  char *mi = slurp("/proc/meminfo", NULL);
  sb_add(&b, ",\"memTotalKiB\":%lld", mi && !strncmp(mi, "MemTotal:", 9) ? atoll(mi + 9) : 0LL);
  free(mi);
  if (stats) {
    static const char *files[] = { "memory.current", "memory.max", "memory.stat", "memory.events", "cpu.stat", "pids.current", "pids.max" };
    sb_add(&b, ",\"files\":{");
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
      char p[160];
      snprintf(p, sizeof p, "%s/%u/%s", CGROUP_DIR, c->cgroup_id, files[i]);
      char *text = slurp(p, NULL);
      sb_add(&b, "%s\"%s\":", i ? "," : "", files[i]);
      sb_quote(&b, text ? text : "");
      free(text);
    }
    sb_add(&b, "}");
  } else {
    sb_add(&b, ",\"procs\":");
    procs_json(&b, c->cgroup_id);
  }
  sb_add(&b, "}");
  send_frame(F_RESPONSE, rid, b.s, b.n);
  free(b.s);
}
