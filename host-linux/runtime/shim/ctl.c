/* ctl.sock: one JSON request per line, one JSON answer per line (see ../DESIGN.md). */
#include "supervisor.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

void ctl_reply(struct shim *sh, struct client *c, bool ok, const char *error, const char *extra) {
  struct buf b = {0};
  buf_printf(&b, "{\"ok\":%s", ok ? "true" : "false");
  if (error) {
    buf_str(&b, ",\"error\":");
    buf_json_string(&b, error, strlen(error));
  }
  if (extra && *extra) {
    buf_str(&b, ",");
    buf_str(&b, extra);
  }
  buf_str(&b, "}\n");
  client_send(sh, c, b.data, b.len);
  buf_free(&b);
}

void ctl_answer_waits(struct shim *sh) {
  struct buf f = {0};
  exit_fields(sh, &f);
  for (struct client *c = sh->clients; c; c = c->next) {
    if (c->dead || !c->wants_wait) continue;
    c->wants_wait = false;
    ctl_reply(sh, c, true, NULL, f.data);
  }
  buf_free(&f);
}

static int64_t num(json_object *req, const char *key, int64_t dflt) {
  json_object *v;
  return json_object_object_get_ex(req, key, &v) && !json_object_is_type(v, json_type_null) ? json_object_get_int64(v) : dflt;
}

static void do_kill(struct shim *sh, struct client *c, json_object *req) {
  int sig = (int)num(req, "signal", SIGTERM);
  json_object *v;
  bool all = json_object_object_get_ex(req, "all", &v) && json_object_get_boolean(v);
  if (sig <= 0 || sig >= NSIG) return ctl_reply(sh, c, false, "invalid signal", NULL);
  if (sh->exited) return ctl_reply(sh, c, false, "process already finished", NULL);
  if (all && sh->o->mode[0] == 'c' && sh->s->cgroups_path) {
    pid_t *pids;
    size_t n;
    if (cgroup_procs(sh->s->cgroups_path, &pids, &n) == 0) {
      for (size_t i = 0; i < n; i++) kill(pids[i], sig);
      free(pids);
    }
  }
  if (kill(sh->pid, sig) < 0 && errno != ESRCH) {
    err_errno("kill %d", (int)sh->pid);
    return ctl_reply(sh, c, false, shim_error, NULL);
  }
  ctl_reply(sh, c, true, NULL, NULL);
}

static void do_resize(struct shim *sh, struct client *c, json_object *req) {
  if (sh->tty_master < 0) return ctl_reply(sh, c, false, "the process has no terminal", NULL);
  struct winsize ws = {.ws_row = (unsigned short)num(req, "height", 0), .ws_col = (unsigned short)num(req, "width", 0)};
  if (ioctl(sh->tty_master, TIOCSWINSZ, &ws) < 0) {
    err_errno("resizing the terminal");
    return ctl_reply(sh, c, false, shim_error, NULL);
  }
  ctl_reply(sh, c, true, NULL, NULL);
}

void ctl_line(struct shim *sh, struct client *c, const char *line) {
  while (*line == ' ' || *line == '\r' || *line == '\t') line++;
  if (!*line) return;
  json_object *req = json_tokener_parse(line);
  json_object *opv;
  const char *op = req && json_object_object_get_ex(req, "op", &opv) ? json_object_get_string(opv) : NULL;
  if (!op) {
    ctl_reply(sh, c, false, "bad request: expected a JSON object with \"op\"", NULL);
  } else if (!strcmp(op, "start")) {
    shim_start(sh, c);
  } else if (!strcmp(op, "kill")) {
    do_kill(sh, c, req);
  } else if (!strcmp(op, "resize")) {
    do_resize(sh, c, req);
  } else if (!strcmp(op, "close-stdin")) {
    shim_close_stdin(sh);
    ctl_reply(sh, c, true, NULL, NULL);
  } else if (!strcmp(op, "state")) {
    static const char *names[] = {"created", "running", "stopped"};
    struct buf b = {0};
    buf_printf(&b, "\"status\":\"%s\",\"pid\":%d", names[sh->state], (int)sh->pid);
    ctl_reply(sh, c, true, NULL, b.data);
    buf_free(&b);
  } else if (!strcmp(op, "wait")) {
    c->wants_wait = true;
    if (sh->state == ST_STOPPED) ctl_answer_waits(sh);
  } else {
    struct buf b = {0};
    buf_str(&b, "unknown op ");
    buf_json_string(&b, op, strlen(op));
    ctl_reply(sh, c, false, b.data, NULL);
    buf_free(&b);
  }
  if (req) json_object_put(req);
}
