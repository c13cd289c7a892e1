/* Image layers in the guest: a layer tar arrives through the 9p share and is extracted once into
 * its diffID's directory, with the OCI `.wh.` whiteouts turned into overlayfs's (a 0/0 character
 * device, the opaque xattr), so the directories stack as overlay lowers. */
#include "agent.h"
#include <ftw.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/wait.h>

int layer_dir(const char *diffid, char *out, size_t cap) {
  if (strncmp(diffid, "sha256:", 7) || strlen(diffid) != 71) return -1;
  for (const char *p = diffid + 7; *p; p++)
    if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p)) return -1;
  snprintf(out, cap, "%s/%s", LAYERS_DIR, diffid + 7);
  return 0;
}

int layer_present(const char *diffid) {
  char dir[160];
  struct stat st;
  return !layer_dir(diffid, dir, sizeof dir) && !stat(dir, &st) && S_ISDIR(st.st_mode);
}

static int whiteout_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st; (void)flag;
  const char *name = path + ftw->base;
  if (strncmp(name, ".wh.", 4)) return 0;
  char dir[4096];
  snprintf(dir, sizeof dir, "%.*s", ftw->base, path);
  if (!strcmp(name, ".wh..wh..opq")) {
    if (lsetxattr(dir, "trusted.overlay.opaque", "y", 1, 0) < 0) return -1;
  } else {
    char target[4096];
    snprintf(target, sizeof target, "%s%s", dir, name + 4);
    if (mknod(target, S_IFCHR | 0, makedev(0, 0)) < 0 && errno != EEXIST) return -1;
  }
  return unlink(path);
}

/* An extraction in progress: tar runs as the agent's child so containers' stdio keeps flowing; the
 * request is answered when it ends (layer_job_done). */
struct layer_job { struct layer_job *next; pid_t pid; uint32_t rid; char diffid[80], dir[160], tmp[176], src[512]; };
static struct layer_job *jobs;

static void rm_rf(const char *path) {
  char *rm[] = { "rm", "-rf", (char *)path, NULL };
  run_wait(rm);
}

/* 1: the layer is there; 0: extraction started, the answer comes later; -1: err says why. */
int layer_extract_start(const char *diffid, const char *path, uint32_t rid, char *err, size_t errcap) {
  struct layer_job j = { .rid = rid };
  if (layer_dir(diffid, j.dir, sizeof j.dir) < 0) { snprintf(err, errcap, "invalid diffID %s", diffid); return -1; }
  if (layer_present(diffid)) return 1;
  for (struct layer_job *o = jobs; o; o = o->next)
    if (!strcmp(o->diffid, diffid)) { snprintf(err, errcap, "layer %s is being extracted already", diffid); return -1; }
  if (strstr(path, "..") || path[0] == '/') { snprintf(err, errcap, "invalid layer path %s", path); return -1; }
  snprintf(j.diffid, sizeof j.diffid, "%s", diffid);
  snprintf(j.src, sizeof j.src, "%s/%s", SHARE_DIR, path);
  snprintf(j.tmp, sizeof j.tmp, "%s.tmp", j.dir);
  rm_rf(j.tmp);
  if (mkdir_p(j.tmp, 0755) < 0) { snprintf(err, errcap, "mkdir %s: %s", j.tmp, strerror(errno)); return -1; }
  unsigned char magic[2] = { 0, 0 };
  int fd = open(j.src, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { snprintf(err, errcap, "open %s: %s", j.src, strerror(errno)); return -1; }
  if (read(fd, magic, 2) < 0) magic[0] = 0;
  close(fd);
  int gz = magic[0] == 0x1f && magic[1] == 0x8b;
  char *tar[] = { "tar", gz ? "-xzf" : "-xf", j.src, "-C", j.tmp, NULL };
  j.pid = spawn(tar);
  if (j.pid < 0) { snprintf(err, errcap, "starting tar: %s", strerror(errno)); return -1; }
  struct layer_job *n = xmalloc(sizeof *n);
  *n = j;
  n->next = jobs;
  jobs = n;
  return 0;
}

/* The end of a child that may be an extraction's tar: finishes the layer and answers. 0 if not one. */
int layer_job_done(pid_t pid, int status) {
  struct layer_job **pp = &jobs, *j;
  while ((j = *pp) && j->pid != pid) pp = &j->next;
  if (!j) return 0;
  *pp = j->next;
  char err[512] = "";
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code != 0) snprintf(err, sizeof err, "extracting layer %s: tar exited with %d", j->diffid, code);
  else if (nftw(j->tmp, whiteout_entry, 32, FTW_PHYS) != 0) snprintf(err, sizeof err, "whiteouts of layer %s: %s", j->diffid, strerror(errno));
  else if (rename(j->tmp, j->dir) < 0) snprintf(err, sizeof err, "rename %s: %s", j->tmp, strerror(errno));
  if (*err) rm_rf(j->tmp);
  unlink(j->src); /* frees the host's copy in the 9p share */
  char buf[640] = "{\"ok\":true,\"present\":true}";
  if (*err) { snprintf(buf, sizeof buf, "{\"ok\":false,\"error\":"); json_quote(buf, sizeof buf, err); strcat(buf, "}"); }
  send_json(F_RESPONSE, j->rid, buf);
  free(j);
  return 1;
}
