/* Docker's json-file log: one JSON object per line of output, per stream, with the time it was read.
 * A line longer than 16 KiB is written in pieces (without "\n"), as dockerd does. Rotation at max size:
 * with max_files 1 (Docker's default) the file is truncated, otherwise kept as FILE.1 ... FILE.N-1. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PARTIAL_MAX (16 * 1024)

struct jsonlog {
  int fd;
  char *path;
  long long max_size, size;
  int max_files;
  struct buf pending[3];
};

struct jsonlog *jsonlog_open(const char *path, long long max_size, int max_files) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) { err_errno("opening log %s", path); return NULL; }
  struct jsonlog *l = xmalloc(sizeof *l);
  struct stat st;
  l->fd = fd;
  l->path = xstrdup(path);
  l->max_size = max_size;
  l->max_files = max_files < 1 ? 1 : max_files;
  l->size = fstat(fd, &st) == 0 ? st.st_size : 0;
  return l;
}

static void rotate(struct jsonlog *l) {
  if (l->max_files <= 1) {
    if (ftruncate(l->fd, 0) == 0) l->size = 0;
    return;
  }
  char from[4200], to[4200];
  for (int k = l->max_files - 2; k >= 1; k--) {
    snprintf(from, sizeof from, "%s.%d", l->path, k);
    snprintf(to, sizeof to, "%s.%d", l->path, k + 1);
    rename(from, to);
  }
  snprintf(to, sizeof to, "%s.1", l->path);
  if (rename(l->path, to) < 0) return;
  int fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return; /* keep writing to the renamed file rather than losing output */
  close(l->fd);
  l->fd = fd;
  l->size = 0;
}

static void emit(struct jsonlog *l, int stream, const char *p, size_t n) {
  struct timespec ts;
  char when[40];
  clock_gettime(CLOCK_REALTIME, &ts);
  rfc3339nano(&ts, when);
  struct buf e = {0};
  buf_str(&e, "{\"log\":");
  buf_json_string(&e, p, n);
  buf_printf(&e, ",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream == 2 ? "stderr" : "stdout", when);
  if (l->max_size > 0 && l->size > 0 && l->size + (long long)e.len > l->max_size) rotate(l);
  if (write_all(l->fd, e.data, e.len) == 0) l->size += (long long)e.len;
  /* A full disk: the line is dropped (as dockerd's json-file does) and the container goes on. A part of it
   * may have been written; cut it off, or the next line would be glued to it and unreadable too. */
  else if (ftruncate(l->fd, l->size) < 0) { struct stat st; if (fstat(l->fd, &st) == 0) l->size = st.st_size; }
  buf_free(&e);
}

void jsonlog_write(struct jsonlog *l, int stream, const char *p, size_t n) {
  if (!l || stream < 1 || stream > 2) return;
  struct buf *b = &l->pending[stream];
  buf_add(b, p, n);
  size_t start = 0;
  for (;;) {
    char *nl = memchr(b->data + start, '\n', b->len - start);
    if (!nl) break;
    size_t end = (size_t)(nl - b->data) + 1;
    emit(l, stream, b->data + start, end - start);
    start = end;
  }
  while (b->len - start >= PARTIAL_MAX) {
    emit(l, stream, b->data + start, PARTIAL_MAX);
    start += PARTIAL_MAX;
  }
  buf_consume(b, start);
}

void jsonlog_flush(struct jsonlog *l) {
  if (!l) return;
  for (int s = 1; s <= 2; s++) {
    if (l->pending[s].len) emit(l, s, l->pending[s].data, l->pending[s].len);
    buf_consume(&l->pending[s], l->pending[s].len);
  }
}

void jsonlog_close_fd(struct jsonlog *l) {
  if (l && l->fd >= 0) close(l->fd);
}
