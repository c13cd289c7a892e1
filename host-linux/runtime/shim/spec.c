/* Reads the OCI runtime spec (bundle/config.json) into plain C structures: the subset Docker generates. */
#include "shim.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

static json_object *get(json_object *o, const char *key) {
  json_object *v = NULL;
  if (o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) &&
      !json_object_is_type(v, json_type_null))
    return v;
  return NULL;
}

static const char *get_str(json_object *o, const char *key) {
  json_object *v = get(o, key);
  return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int str_array(json_object *a, const char *what, char ***out) {
  size_t n = a ? json_object_array_length(a) : 0;
  if (a && !json_object_is_type(a, json_type_array)) return err_set("config.json: %s must be an array", what);
  char **v = xmalloc((n + 1) * sizeof *v);
  for (size_t i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(a, i);
    if (!json_object_is_type(e, json_type_string)) return err_set("config.json: %s[%zu] must be a string", what, i);
    v[i] = xstrdup(json_object_get_string(e));
  }
  *out = v;
  return 0;
}

static const struct { const char *name; int res; } rlimit_names[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_STACK", RLIMIT_STACK},     {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},   {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},     {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

static int caps_set(json_object *a, const char *what, uint64_t *mask) {
  if (!a) return 0;
  if (!json_object_is_type(a, json_type_array)) return err_set("config.json: process.capabilities.%s must be an array", what);
  for (size_t i = 0; i < json_object_array_length(a); i++) {
    const char *name = json_object_get_string(json_object_array_get_idx(a, i));
    int c = name ? cap_from_name(name) : -1;
    if (c < 0) return err_set("config.json: unknown capability \"%s\" in process.capabilities.%s", name ? name : "", what);
    *mask |= 1ULL << c;
  }
  return 0;
}

int process_parse(json_object *p, struct process_spec *out) {
  memset(out, 0, sizeof *out);
  if (!p || !json_object_is_type(p, json_type_object)) return err_set("process: missing or not an object");
  json_object *v;
  if ((v = get(p, "terminal"))) out->terminal = json_object_get_boolean(v);
  json_object *size = get(p, "consoleSize");
  if (size) {
    if ((v = get(size, "height"))) out->console_height = (unsigned short)json_object_get_int(v);
    if ((v = get(size, "width"))) out->console_width = (unsigned short)json_object_get_int(v);
  }
  json_object *user = get(p, "user");
  if (user) {
    if ((v = get(user, "uid"))) out->uid = (uid_t)json_object_get_int64(v);
    if ((v = get(user, "gid"))) out->gid = (gid_t)json_object_get_int64(v);
    if ((v = get(user, "umask"))) { out->has_umask = true; out->umask = (mode_t)json_object_get_int(v); }
    json_object *g = get(user, "additionalGids");
    if (g && json_object_is_type(g, json_type_array)) {
      out->ngids = json_object_array_length(g);
      out->gids = xmalloc((out->ngids + 1) * sizeof(gid_t));
      for (size_t i = 0; i < out->ngids; i++) out->gids[i] = (gid_t)json_object_get_int64(json_object_array_get_idx(g, i));
    }
  }
  if (str_array(get(p, "args"), "process.args", &out->args) < 0) return -1;
  if (!out->args[0]) return err_set("process.args must not be empty");
  if (str_array(get(p, "env"), "process.env", &out->env) < 0) return -1;
  out->cwd = xstrdup(get_str(p, "cwd") ? get_str(p, "cwd") : "/");
  if (out->cwd[0] != '/') return err_set("process.cwd must be an absolute path, got \"%s\"", out->cwd);
  json_object *caps = get(p, "capabilities");
  if (caps) {
    static const char *names[CAP_SETS] = {"bounding", "effective", "inheritable", "permitted", "ambient"};
    out->has_caps = true;
    for (int i = 0; i < CAP_SETS; i++)
      if (caps_set(get(caps, names[i]), names[i], &out->caps[i]) < 0) return -1;
  }
  json_object *rl = get(p, "rlimits");
  if (rl && json_object_is_type(rl, json_type_array)) {
    out->nrlimits = json_object_array_length(rl);
    out->rlimits = xmalloc((out->nrlimits + 1) * sizeof *out->rlimits);
    for (size_t i = 0; i < out->nrlimits; i++) {
      json_object *e = json_object_array_get_idx(rl, i);
      const char *t = get_str(e, "type");
      int res = -1;
      for (size_t k = 0; t && k < sizeof rlimit_names / sizeof *rlimit_names; k++)
        if (!strcmp(t, rlimit_names[k].name)) res = rlimit_names[k].res;
      if (res < 0) return err_set("config.json: unknown rlimit type \"%s\"", t ? t : "");
      out->rlimits[i].resource = res;
      out->rlimits[i].soft = (uint64_t)json_object_get_uint64(get(e, "soft"));
      out->rlimits[i].hard = (uint64_t)json_object_get_uint64(get(e, "hard"));
    }
  }
  if ((v = get(p, "noNewPrivileges"))) out->no_new_privs = json_object_get_boolean(v);
  if ((v = get(p, "oomScoreAdj"))) { out->has_oom_score_adj = true; out->oom_score_adj = json_object_get_int(v); }
  return 0;
}

static const struct { const char *name; bool clear; unsigned long flag; } mount_flags[] = {
    {"ro", false, MS_RDONLY},         {"rw", true, MS_RDONLY},          {"suid", true, MS_NOSUID},
    {"nosuid", false, MS_NOSUID},     {"dev", true, MS_NODEV},          {"nodev", false, MS_NODEV},
    {"exec", true, MS_NOEXEC},        {"noexec", false, MS_NOEXEC},     {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},  {"dirsync", false, MS_DIRSYNC},   {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},     {"nomand", true, MS_MANDLOCK},    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},   {"diratime", true, MS_NODIRATIME}, {"nodiratime", false, MS_NODIRATIME},
    {"bind", false, MS_BIND},         {"rbind", false, MS_BIND | MS_REC}, {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME}, {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
};

static const struct { const char *name; unsigned long flag; } propagation_flags[] = {
    {"private", MS_PRIVATE},           {"rprivate", MS_PRIVATE | MS_REC}, {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC},   {"slave", MS_SLAVE},               {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},     {"runbindable", MS_UNBINDABLE | MS_REC},
};

static unsigned long propagation_from(const char *name) {
  for (size_t i = 0; i < sizeof propagation_flags / sizeof *propagation_flags; i++)
    if (!strcmp(name, propagation_flags[i].name)) return propagation_flags[i].flag;
  return 0;
}

int parse_mount_options(json_object *opts, struct mount_spec *m) {
  struct buf data = {0};
  for (size_t i = 0; opts && i < json_object_array_length(opts); i++) {
    const char *o = json_object_get_string(json_object_array_get_idx(opts, i));
    if (!o) continue;
    bool known = false;
    for (size_t k = 0; k < sizeof mount_flags / sizeof *mount_flags; k++) {
      if (strcmp(o, mount_flags[k].name)) continue;
      if (mount_flags[k].clear) m->flags &= ~mount_flags[k].flag;
      else m->flags |= mount_flags[k].flag;
      known = true;
    }
    unsigned long prop = propagation_from(o);
    if (prop) { m->propagation = prop; known = true; }
    if (!strcmp(o, "tmpcopyup") || !strcmp(o, "idmap") || !strcmp(o, "ridmap")) known = true; /* not supported: ignored */
    if (!known) {
      if (data.len) buf_add(&data, ",", 1);
      buf_str(&data, o);
    }
  }
  if (m->flags & MS_BIND) m->bind = true;
  m->data = data.data; /* may be NULL */
  return 0;
}

static const struct { const char *name; int flag; } ns_types[] = {
    {"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS}, {"ipc", CLONE_NEWIPC},
    {"uts", CLONE_NEWUTS}, {"cgroup", CLONE_NEWCGROUP}, {"user", CLONE_NEWUSER},
};

bool spec_has_ns(const struct spec *s, int flag, const char **path) {
  for (size_t i = 0; i < s->nns; i++)
    if (s->ns[i].flag == flag) {
      if (path) *path = s->ns[i].path;
      return true;
    }
  return false;
}

int spec_load(const char *path, struct spec *s) {
  memset(s, 0, sizeof *s);
  size_t len;
  char *text = read_file(path, &len);
  if (!text) return err_errno("reading %s", path);
  json_tokener *tok = json_tokener_new();
  json_object *doc = json_tokener_parse_ex(tok, text, (int)len);
  enum json_tokener_error jerr = json_tokener_get_error(tok);
  json_tokener_free(tok);
  free(text);
  if (!doc || jerr != json_tokener_success)
    return err_set("%s: invalid JSON: %s", path, json_tokener_error_desc(jerr));
  s->doc = doc;
  if (process_parse(get(doc, "process"), &s->proc) < 0) {
    char tmp[sizeof shim_error];
    memcpy(tmp, shim_error, sizeof tmp);
    return err_set("%s: %s", path, tmp);
  }
  json_object *root = get(doc, "root");
  const char *rp = get_str(root, "path");
  s->root = xstrdup(rp ? rp : "rootfs");
  json_object *v;
  if ((v = get(root, "readonly"))) s->root_readonly = json_object_get_boolean(v);
  if (get_str(doc, "hostname")) s->hostname = xstrdup(get_str(doc, "hostname"));
  if (get_str(doc, "domainname")) s->domainname = xstrdup(get_str(doc, "domainname"));

  json_object *mounts = get(doc, "mounts");
  s->nmounts = mounts ? json_object_array_length(mounts) : 0;
  s->mounts = xmalloc((s->nmounts + 1) * sizeof *s->mounts);
  for (size_t i = 0; i < s->nmounts; i++) {
    json_object *m = json_object_array_get_idx(mounts, i);
    struct mount_spec *ms = &s->mounts[i];
    const char *d = get_str(m, "destination");
    if (!d || d[0] != '/') return err_set("%s: mounts[%zu].destination must be an absolute path", path, i);
    ms->dest = xstrdup(d);
    ms->type = xstrdup(get_str(m, "type") ? get_str(m, "type") : "");
    ms->source = xstrdup(get_str(m, "source") ? get_str(m, "source") : "");
    parse_mount_options(get(m, "options"), ms);
    if (!strcmp(ms->type, "bind")) ms->bind = true;
  }

  json_object *linux_ = get(doc, "linux");
  json_object *nss = get(linux_, "namespaces");
  for (size_t i = 0; nss && i < json_object_array_length(nss); i++) {
    json_object *n = json_object_array_get_idx(nss, i);
    const char *t = get_str(n, "type");
    int flag = 0;
    for (size_t k = 0; t && k < sizeof ns_types / sizeof *ns_types; k++)
      if (!strcmp(t, ns_types[k].name)) flag = ns_types[k].flag;
    if (!flag) return err_set("%s: unknown namespace type \"%s\"", path, t ? t : "");
    if (flag == CLONE_NEWUSER) return err_set("%s: user namespaces are not supported", path);
    if (s->nns == 8) return err_set("%s: too many namespaces", path);
    s->ns[s->nns].flag = flag;
    s->ns[s->nns].path = get_str(n, "path") && *get_str(n, "path") ? xstrdup(get_str(n, "path")) : NULL;
    s->nns++;
  }
  json_object *devs = get(linux_, "devices");
  s->ndevices = devs ? json_object_array_length(devs) : 0;
  s->devices = xmalloc((s->ndevices + 1) * sizeof *s->devices);
  for (size_t i = 0; i < s->ndevices; i++) {
    json_object *d = json_object_array_get_idx(devs, i);
    struct device_spec *ds = &s->devices[i];
    const char *p = get_str(d, "path"), *t = get_str(d, "type");
    if (!p || p[0] != '/' || !t) return err_set("%s: linux.devices[%zu] needs an absolute path and a type", path, i);
    ds->path = xstrdup(p);
    ds->type = t[0];
    ds->major = (unsigned)json_object_get_int64(get(d, "major"));
    ds->minor = (unsigned)json_object_get_int64(get(d, "minor"));
    ds->mode = get(d, "fileMode") ? (mode_t)json_object_get_int(get(d, "fileMode")) : 0666;
    ds->uid = (uid_t)json_object_get_int64(get(d, "uid"));
    ds->gid = (gid_t)json_object_get_int64(get(d, "gid"));
  }
  if (str_array(get(linux_, "maskedPaths"), "linux.maskedPaths", &s->masked) < 0) return -1;
  if (str_array(get(linux_, "readonlyPaths"), "linux.readonlyPaths", &s->readonly) < 0) return -1;
  if (get_str(linux_, "cgroupsPath") && *get_str(linux_, "cgroupsPath")) {
    const char *cg = get_str(linux_, "cgroupsPath");
    if (cg[0] != '/' || strstr(cg, ".."))
      return err_set("%s: linux.cgroupsPath must be an absolute cgroupfs path without \"..\", got \"%s\"", path, cg);
    s->cgroups_path = xstrdup(cg);
  }
  json_object *sysctl = get(linux_, "sysctl");
  size_t nsys = sysctl ? (size_t)json_object_object_length(sysctl) : 0, k = 0;
  s->sysctl = xmalloc((2 * nsys + 1) * sizeof(char *));
  if (sysctl) {
    json_object_object_foreach(sysctl, key, val) {
      if (strstr(key, "..") || strchr(key, '/')) return err_set("%s: invalid sysctl key \"%s\"", path, key);
      s->sysctl[k++] = xstrdup(key);
      s->sysctl[k++] = xstrdup(json_object_get_string(val));
    }
  }
  const char *prop = get_str(linux_, "rootfsPropagation");
  if (prop && *prop && !(s->rootfs_propagation = propagation_from(prop)))
    return err_set("%s: unknown linux.rootfsPropagation \"%s\"", path, prop);
  s->seccomp = get(linux_, "seccomp");
  return 0;
}
