/* linux.seccomp (the OCI form dockerd sends) compiled with libseccomp. Compiled in the shim before the
 * container process is created, so a bad profile is a create error; loaded by the container process. */
#include "shim.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

static json_object *get(json_object *o, const char *k) {
  json_object *v = NULL;
  return o && json_object_object_get_ex(o, k, &v) && !json_object_is_type(v, json_type_null) ? v : NULL;
}

static int action_from(const char *name, json_object *errno_ret, int default_errno, uint32_t *out) {
  int e = errno_ret ? json_object_get_int(errno_ret) : default_errno;
  if (!name) return err_set("seccomp: missing action");
  if (!strcmp(name, "SCMP_ACT_ALLOW")) *out = SCMP_ACT_ALLOW;
  else if (!strcmp(name, "SCMP_ACT_ERRNO")) *out = SCMP_ACT_ERRNO((uint16_t)e);
  else if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD")) *out = SCMP_ACT_KILL_THREAD;
  else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS")) *out = SCMP_ACT_KILL_PROCESS;
  else if (!strcmp(name, "SCMP_ACT_TRAP")) *out = SCMP_ACT_TRAP;
  else if (!strcmp(name, "SCMP_ACT_TRACE")) *out = SCMP_ACT_TRACE((uint16_t)e);
  else if (!strcmp(name, "SCMP_ACT_LOG")) *out = SCMP_ACT_LOG;
  else return err_set("seccomp: unsupported action \"%s\"", name);
  return 0;
}

static int op_from(const char *name, enum scmp_compare *out) {
  static const struct { const char *n; enum scmp_compare op; } ops[] = {
      {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
  };
  for (size_t i = 0; name && i < sizeof ops / sizeof *ops; i++)
    if (!strcmp(name, ops[i].n)) { *out = ops[i].op; return 0; }
  return err_set("seccomp: unknown argument operator \"%s\"", name ? name : "");
}

static int arch_from(const char *name, uint32_t *out) {
  static const struct { const char *n; uint32_t a; } archs[] = {
      {"SCMP_ARCH_X86", SCMP_ARCH_X86},         {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
      {"SCMP_ARCH_X32", SCMP_ARCH_X32},         {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
      {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64}, {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
      {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},   {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
      {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},   {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
      {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32}, {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
      {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},     {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
      {"SCMP_ARCH_S390", SCMP_ARCH_S390},       {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
  };
  for (size_t i = 0; i < sizeof archs / sizeof *archs; i++)
    if (!strcmp(name, archs[i].n)) { *out = archs[i].a; return 0; }
  return -1;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const char *name, struct scmp_arg_cmp *args,
                    unsigned nargs) {
  int r = seccomp_rule_add_exact_array(ctx, action, nr, nargs, args);
  /* Some syscalls cannot be matched exactly on every architecture in the filter (multiplexed socketcall on
   * x86): let libseccomp rewrite them, as runc does. */
  if (r == -EOPNOTSUPP || r == -EDOM || r == -EINVAL) r = seccomp_rule_add_array(ctx, action, nr, nargs, args);
  if (r < 0) {
    errno = -r;
    return err_errno("seccomp: adding a rule for %s", name);
  }
  return 0;
}

void *seccomp_compile(json_object *profile) {
  if (!profile) return NULL;
  json_object *da = get(profile, "defaultAction");
  json_object *der = get(profile, "defaultErrnoRet");
  uint32_t def;
  if (action_from(da ? json_object_get_string(da) : NULL, der, EPERM, &def) < 0) return NULL;
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) { err_set("seccomp: cannot initialise a filter"); return NULL; }
  /* The spec decides no_new_privs; libseccomp would otherwise set it on load. */
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  json_object *archs = get(profile, "architectures");
  for (size_t i = 0; archs && i < json_object_array_length(archs); i++) {
    uint32_t a;
    const char *n = json_object_get_string(json_object_array_get_idx(archs, i));
    if (!n || arch_from(n, &a) < 0) { err_set("seccomp: unknown architecture \"%s\"", n ? n : ""); goto fail; }
    int r = seccomp_arch_add(ctx, a);
    if (r < 0 && r != -EEXIST) { errno = -r; err_errno("seccomp: adding architecture %s", n); goto fail; }
  }
  json_object *calls = get(profile, "syscalls");
  for (size_t i = 0; calls && i < json_object_array_length(calls); i++) {
    json_object *rule = json_object_array_get_idx(calls, i);
    json_object *act = get(rule, "action");
    uint32_t action;
    if (action_from(act ? json_object_get_string(act) : NULL, get(rule, "errnoRet"), EPERM, &action) < 0) goto fail;
    if (action == def) continue; /* libseccomp refuses rules that repeat the default */
    json_object *args = get(rule, "args");
    unsigned nargs = args ? (unsigned)json_object_array_length(args) : 0;
    if (nargs > 6) { err_set("seccomp: a rule has more than 6 argument conditions"); goto fail; }
    struct scmp_arg_cmp cmp[6];
    bool same_index = false;
    for (unsigned k = 0; k < nargs; k++) {
      json_object *a = json_object_array_get_idx(args, k);
      json_object *op = get(a, "op");
      enum scmp_compare o = SCMP_CMP_EQ;
      if (op_from(op ? json_object_get_string(op) : NULL, &o) < 0) goto fail;
      cmp[k].arg = (unsigned)json_object_get_int(get(a, "index"));
      cmp[k].op = o;
      cmp[k].datum_a = (scmp_datum_t)json_object_get_uint64(get(a, "value"));
      cmp[k].datum_b = (scmp_datum_t)json_object_get_uint64(get(a, "valueTwo"));
      for (unsigned j = 0; j < k; j++)
        if (cmp[j].arg == cmp[k].arg) same_index = true;
    }
    json_object *names = get(rule, "names");
    json_object *single = get(rule, "name");
    size_t nn = names ? json_object_array_length(names) : (single ? 1 : 0);
    for (size_t k = 0; k < nn; k++) {
      const char *name = json_object_get_string(names ? json_object_array_get_idx(names, k) : single);
      int nr = name ? seccomp_syscall_resolve_name(name) : __NR_SCMP_ERROR;
      if (nr == __NR_SCMP_ERROR) continue; /* not a syscall on these architectures: skipped, as runc does */
      if (!same_index) {
        if (add_rule(ctx, action, nr, name, cmp, nargs) < 0) goto fail;
      } else {
        /* libseccomp ANDs conditions and refuses two on one argument; dockerd means OR here (runc adds one rule each) */
        for (unsigned j = 0; j < nargs; j++)
          if (add_rule(ctx, action, nr, name, &cmp[j], 1) < 0) goto fail;
      }
    }
  }
  return ctx;
fail:
  seccomp_release(ctx);
  return NULL;
}

int seccomp_install(void *ctx) {
  if (!ctx) return 0;
  int r = seccomp_load((scmp_filter_ctx)ctx);
  if (r < 0) {
    errno = -r;
    return err_errno("loading the seccomp filter");
  }
  return 0;
}
