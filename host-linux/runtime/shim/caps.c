/* Capabilities with raw capset/prctl (no libcap): bounding set before the user switch, the rest after. */
#include "shim.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *cap_names[] = {
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
    "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
    "CHECKPOINT_RESTORE",
};
#define NCAPS ((int)(sizeof cap_names / sizeof *cap_names))

int cap_from_name(const char *name) {
  if (!strncasecmp(name, "CAP_", 4)) name += 4;
  for (int i = 0; i < NCAPS; i++)
    if (!strcasecmp(name, cap_names[i])) return i;
  return -1;
}

/* Capabilities this kernel knows; the spec may name newer ones, which are skipped as runc does. */
static int last_cap(void) {
  static int last = -1;
  if (last >= 0) return last;
  char *t = read_file("/proc/sys/kernel/cap_last_cap", NULL);
  last = t ? atoi(t) : CAP_LAST_CAP;
  free(t);
  if (last >= 64) last = 63;
  return last;
}

int caps_apply_bounding(const struct process_spec *p) {
  if (!p->has_caps) return 0;
  for (int c = 0; c <= last_cap(); c++) {
    if (p->caps[CAPS_BOUNDING] & (1ULL << c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      return err_errno("dropping CAP_%s from the bounding set", c < NCAPS ? cap_names[c] : "?");
  }
  return 0;
}

int caps_apply(const struct process_spec *p) {
  if (!p->has_caps) return 0;
  uint64_t known = last_cap() >= 63 ? ~0ULL : ((1ULL << (last_cap() + 1)) - 1);
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  uint64_t eff = p->caps[CAPS_EFFECTIVE] & known, perm = p->caps[CAPS_PERMITTED] & known,
           inh = p->caps[CAPS_INHERITABLE] & known;
  for (int i = 0; i < 2; i++) {
    data[i].effective = (uint32_t)(eff >> (32 * i));
    data[i].permitted = (uint32_t)(perm >> (32 * i));
    data[i].inheritable = (uint32_t)(inh >> (32 * i));
  }
  if (syscall(SYS_capset, &hdr, data) < 0) return err_errno("setting capabilities (capset)");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return err_errno("clearing ambient capabilities");
  for (int c = 0; c <= last_cap(); c++) {
    if (!(p->caps[CAPS_AMBIENT] & (1ULL << c))) continue;
    /* Raising an ambient cap that is not also permitted and inheritable fails; runc ignores that too. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 && errno != EPERM && errno != EINVAL)
      return err_errno("raising ambient capability CAP_%s", c < NCAPS ? cap_names[c] : "?");
  }
  return 0;
}
