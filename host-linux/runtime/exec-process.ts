// The OCI process of an exec: the container's own process (capabilities, rlimits, no_new_privs,
// apparmor) with the exec's args, env, cwd, terminal and user, as containerd derives it.
import { lstat, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ExecProcess } from '../../core/engine/containers/runtime.ts';
import type { Process, Spec, User } from '../../core/runtime-spec/types.ts';
import { resolveUser as resolveSpecUser } from '../../core/runtime-spec/user.ts';

const ALL_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** A file of the container's /etc, never through a symlink (it could point out of the rootfs); null when absent. */
async function etcFile(rootfs: string, name: string): Promise<string | null> {
  const path = join(rootfs, 'etc', name);
  try {
    if ((await lstat(path)).isSymbolicLink()) return null;
    return await readFile(path, 'utf8');
  } catch { return null; }
}

/**
 * `-u user[:group]` as dockerd's getUser resolves it for an exec: the whole user replaced (its own
 * supplementary groups and the container's --group-add, never those of the container's user).
 */
function resolveUser(rootfs: string, spec: string, groupAdd: readonly string[] | null | undefined): Promise<User> {
  return resolveSpecUser(spec, groupAdd, { readFile: (path) => etcFile(rootfs, basename(path)) });
}

export async function execProcessSpec(base: Spec | undefined, p: ExecProcess, rootfs: string, groupAdd?: readonly string[] | null): Promise<Process> {
  const proc: Process = base?.process ? structuredClone(base.process) : { user: { uid: 0, gid: 0 }, args: [], cwd: '/' };
  proc.args = p.args;
  proc.env = p.env;
  proc.cwd = p.cwd || '/';
  proc.terminal = p.tty;
  if (p.consoleSize) proc.consoleSize = { height: p.consoleSize[0], width: p.consoleSize[1] };
  else delete proc.consoleSize;
  if (p.user) proc.user = { ...proc.user, ...(await resolveUser(rootfs, p.user, groupAdd)) };
  if (p.privileged) proc.capabilities = { bounding: ALL_CAPS, effective: ALL_CAPS, permitted: ALL_CAPS };
  return proc;
}
