/* cgroup2 device rules: cgroup2 has no devices controller; the kernel asks a BPF_PROG_TYPE_CGROUP_DEVICE
 * program attached to the cgroup (BPF_CGROUP_DEVICE) for every open and mknod of a device node. The program
 * is generated from the OCI rules as runc's devicefilter.go and crun's ebpf.c do: the rules are tested
 * last to first, the first that matches decides (so the last matching rule wins), none matching is a deny.
 * Plain bpf(2), no libbpf. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "args.h"
#include "berth.h"
#include "errors.h"

/* One rule as JavaScript encodes it (host-linux/cgroups/v2/devices.ts): five int32s. */
struct dev_rule {
  int32_t allow;  /* 0 or 1 */
  int32_t type;   /* 'a', 'b' or 'c' */
  int32_t major;  /* -1: any */
  int32_t minor;  /* -1: any */
  int32_t access; /* BPF_DEVCG_ACC_* bits */
};

#define ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)
/* The kernel's limit is 1M instructions; a rule costs at most 8. */
#define MAX_RULES 65536

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  struct bpf_insn i = {.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
  return i;
}

static bool matches_all(const struct dev_rule *r) {
  return r->type == 'a' && r->major < 0 && r->minor < 0 && (r->access & ACC_ALL) == ACC_ALL;
}

/* Writes the program for `rules` into `out` (room for 6 + 8 * n + 2 instructions); returns its length,
 * or -1 for a rule that cannot be expressed. */
static long generate(const struct dev_rule *rules, size_t n, struct bpf_insn *out) {
  long len = 0;
  /* struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major; u32 minor; } at R1. */
  out[len++] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0);
  out[len++] = insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xFFFF); /* R2: type */
  out[len++] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0);
  out[len++] = insn(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16); /* R3: access */
  out[len++] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0); /* R4: major */
  out[len++] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0); /* R5: minor */
  for (size_t k = n; k-- > 0;) {
    const struct dev_rule *r = &rules[k];
    if ((r->type != 'a' && r->type != 'b' && r->type != 'c') || (r->access & ~ACC_ALL) || !(r->access & ACC_ALL))
      return -1;
    if (matches_all(r)) {
      /* Nothing before it can be reached. */
      out[len++] = insn(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r->allow ? 1 : 0);
      out[len++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
      return len;
    }
    bool check_type = r->type != 'a', check_access = (r->access & ACC_ALL) != ACC_ALL;
    bool check_major = r->major >= 0, check_minor = r->minor >= 0;
    long size = (check_type ? 1 : 0) + (check_access ? 3 : 0) + (check_major ? 1 : 0) + (check_minor ? 1 : 0) + 2;
    long next = len + size; /* the first instruction of the next block */
#define JUMP_OFF ((int16_t)(next - (len + 1)))
    if (check_type)
      out[len] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, JUMP_OFF, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR), len++;
    if (check_access) {
      /* Every access asked for must be granted: (R3 & rule) == R3, with R1 (no longer needed) as scratch. */
      out[len++] = insn(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
      out[len++] = insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, r->access & ACC_ALL);
      out[len] = insn(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, JUMP_OFF, 0), len++;
    }
    if (check_major) out[len] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, JUMP_OFF, r->major), len++;
    if (check_minor) out[len] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, JUMP_OFF, r->minor), len++;
#undef JUMP_OFF
    out[len++] = insn(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r->allow ? 1 : 0);
    out[len++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  }
  out[len++] = insn(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0); /* no rule matched: deny */
  out[len++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  return len;
}

static long sys_bpf(int cmd, union bpf_attr *attr) { return syscall(SYS_bpf, cmd, attr, sizeof *attr); }

/* The rules argument (a Uint8Array of int32 quintuples) as a malloc'd array; false after throwing. */
static bool read_rules(napi_env env, napi_value value, struct dev_rule **rules, size_t *n) {
  void *data;
  size_t len;
  if (!berth_arg_bytes(env, value, "rules", &data, &len)) return false;
  if (len % sizeof(struct dev_rule) || len / sizeof(struct dev_rule) > MAX_RULES) {
    berth_throw_type(env, "the \"rules\" argument must hold whole rules (5 int32 each), at most 65536");
    return false;
  }
  *n = len / sizeof(struct dev_rule);
  *rules = malloc(len ? len : 1);
  if (!*rules) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return false;
  }
  memcpy(*rules, data, len);
  return true;
}

/* The program for the rules, or NULL after throwing; *len is its instruction count. */
static struct bpf_insn *program_for(napi_env env, napi_value value, long *len) {
  struct dev_rule *rules;
  size_t n;
  if (!read_rules(env, value, &rules, &n)) return NULL;
  struct bpf_insn *prog = calloc(8 + 8 * n, sizeof *prog);
  if (!prog) {
    free(rules);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  *len = generate(rules, n, prog);
  free(rules);
  if (*len < 0) {
    free(prog);
    berth_throw_type(env, "a device rule needs type a, b or c and some of the accesses r, w, m");
    return NULL;
  }
  return prog;
}

/* deviceFilterProgram(rules): the program's instructions (8 bytes each), without loading it. */
napi_value berth_device_filter_program(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!berth_args(env, info, 1, argv)) return NULL;
  long len;
  struct bpf_insn *prog = program_for(env, argv[0], &len);
  if (!prog) return NULL;
  napi_value result;
  void *copy;
  napi_status st = napi_create_buffer_copy(env, (size_t)len * sizeof *prog, prog, &copy, &result);
  free(prog);
  BERTH_CALL(env, st);
  return result;
}

/* The ids of the programs attached to the cgroup itself (not inherited) and their attach flags. */
static int query(int cgfd, uint32_t *ids, uint32_t *count, uint32_t *flags) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.query.target_fd = (uint32_t)cgfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  attr.query.prog_cnt = *count;
  if (sys_bpf(BPF_PROG_QUERY, &attr) < 0) return -1;
  *count = attr.query.prog_cnt;
  *flags = attr.query.attach_flags;
  return 0;
}

#define MAX_ATTACHED 64

static int open_cgroup(napi_env env, napi_value value, char **dir) {
  if (!berth_arg_string(env, value, "cgroupDir", dir)) return -1;
  int fd = open(*dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    berth_throw_errno(env, errno, "open", *dir);
    free(*dir);
  }
  return fd;
}

/* deviceFilterPrograms(cgroupDir): the ids of the device programs attached to the cgroup. */
napi_value berth_device_filter_programs(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!berth_args(env, info, 1, argv)) return NULL;
  char *dir;
  int cgfd = open_cgroup(env, argv[0], &dir);
  if (cgfd < 0) return NULL;
  uint32_t ids[MAX_ATTACHED], count = MAX_ATTACHED, flags = 0;
  int rc = query(cgfd, ids, &count, &flags);
  int err = errno;
  close(cgfd);
  if (rc < 0) {
    berth_throw_errno(env, err, "bpf(BPF_PROG_QUERY)", dir);
    free(dir);
    return NULL;
  }
  free(dir);
  napi_value result;
  BERTH_CALL(env, napi_create_array_with_length(env, count, &result));
  for (uint32_t i = 0; i < count; i++) {
    napi_value id;
    BERTH_CALL(env, napi_create_uint32(env, ids[i], &id));
    BERTH_CALL(env, napi_set_element(env, result, i, id));
  }
  return result;
}

/* Loads the program; on a verifier refusal the error carries the verifier's log. */
static int load(napi_env env, const struct bpf_insn *prog, long len, const char *dir) {
  static char log[16384];
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)prog;
  attr.insn_cnt = (uint32_t)len;
  attr.license = (uint64_t)(uintptr_t) "Apache";
  int fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0) return fd;
  int err = errno;
  if (err == EINVAL || err == EACCES) {
    log[0] = 0;
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = sizeof log;
    attr.log_level = 1;
    fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0) return fd;
    if (log[0]) {
      char message[sizeof log + 128];
      snprintf(message, sizeof message, "the kernel refused the device program for %s: %s", dir, log);
      napi_throw_error(env, strerrorname_np(err), message);
      return -1;
    }
  }
  berth_throw_errno(env, err, "bpf(BPF_PROG_LOAD)", dir);
  return -1;
}

/* BPF_PROG_ATTACH or BPF_PROG_DETACH of a device program on the cgroup. */
static long cgroup_link(int cmd, int cgfd, int progfd, uint32_t flags) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)cgfd;
  attr.attach_bpf_fd = (uint32_t)progfd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = flags;
  return sys_bpf(cmd, &attr);
}

/* attachDeviceFilter(cgroupDir, rules): loads the program for the rules and attaches it to the cgroup in
 * place of the device programs attached there before (as runc: attach the new one with BPF_F_ALLOW_MULTI,
 * then detach the old ones, so there is no moment without a filter). Returns how many were replaced. */
napi_value berth_attach_device_filter(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!berth_args(env, info, 2, argv)) return NULL;
  long len;
  struct bpf_insn *prog = program_for(env, argv[1], &len);
  if (!prog) return NULL;
  char *dir;
  int cgfd = open_cgroup(env, argv[0], &dir);
  if (cgfd < 0) {
    free(prog);
    return NULL;
  }
  int progfd = load(env, prog, len, dir);
  free(prog);
  uint32_t old[MAX_ATTACHED], count = MAX_ATTACHED, flags = 0;
  uint32_t replaced = 0;
  const char *failed = NULL;
  int err = 0;
  if (progfd < 0) goto out;
  if (query(cgfd, old, &count, &flags) < 0) {
    err = errno, failed = "bpf(BPF_PROG_QUERY)";
    goto out;
  }
  /* A program attached by someone else without BPF_F_ALLOW_MULTI is replaced by attaching in its mode. */
  bool multi = count == 0 || (flags & BPF_F_ALLOW_MULTI);
  if (cgroup_link(BPF_PROG_ATTACH, cgfd, progfd, multi ? BPF_F_ALLOW_MULTI : flags) < 0) {
    err = errno, failed = "bpf(BPF_PROG_ATTACH)";
    goto out;
  }
  if (!multi) {
    replaced = count;
    goto out;
  }
  for (uint32_t i = 0; i < count; i++) {
    union bpf_attr get;
    memset(&get, 0, sizeof get);
    get.prog_id = old[i];
    int oldfd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &get);
    if (oldfd < 0) {
      if (errno == ENOENT) continue; /* detached meanwhile */
      err = errno, failed = "bpf(BPF_PROG_GET_FD_BY_ID)";
      goto out;
    }
    long rc = cgroup_link(BPF_PROG_DETACH, cgfd, oldfd, 0);
    int e = errno;
    close(oldfd);
    if (rc < 0 && e != ENOENT) {
      err = e, failed = "bpf(BPF_PROG_DETACH)";
      goto out;
    }
    replaced++;
  }
out:
  if (progfd >= 0) close(progfd); /* the attachment keeps the program alive */
  close(cgfd);
  if (failed) berth_throw_errno(env, err, failed, dir);
  free(dir);
  if (progfd < 0 || failed) return NULL;
  napi_value result;
  BERTH_CALL(env, napi_create_uint32(env, replaced, &result));
  return result;
}
