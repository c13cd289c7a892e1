// Linux capabilities as Docker grants them: its default set, `--cap-add`/`--cap-drop` (names with
// or without CAP_, any case, `ALL`), and `--privileged` (every capability the kernel knows).
import { BerthError } from '../errors.ts';

/** Every capability, in kernel number order (0 = CAP_CHOWN ... 40 = CAP_CHECKPOINT_RESTORE). */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** Docker's default set, in Docker's order (the order shows in the spec). */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** The capability numbers set in a /proc/<pid>/status `CapBnd:` hex mask, as names. */
export function capabilitiesFromMask(hex: string): string[] {
  const mask = BigInt(`0x${hex.trim() || '0'}`);
  return ALL_CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

/**
 * Upper-cases, adds CAP_ and checks each name; `ALL` stays `ALL`. Unknown names are Docker's
 * 400: `unknown capability: "CAP_FOO"`.
 */
export function normalizeCapabilities(caps: readonly string[] | null | undefined): string[] {
  const known = new Set<string>(ALL_CAPABILITIES);
  return (caps ?? []).map((raw) => {
    let c = raw.toUpperCase();
    if (c === 'ALL') return c;
    if (!c.startsWith('CAP_')) c = `CAP_${c}`;
    if (!known.has(c)) throw new BerthError('invalid_argument', `unknown capability: "${c}"`);
    return c;
  });
}

/**
 * The container's capability set (moby's TweakCapabilities). `all` is what `--privileged` and
 * `--cap-add ALL` grant: every capability, or those of the host's bounding set when the daemon
 * passes it (a daemon without CAP_SYS_RESOURCE cannot hand that one to a container).
 */
export function containerCapabilities(opts: {
  capAdd?: readonly string[] | null;
  capDrop?: readonly string[] | null;
  privileged?: boolean;
  hostCapabilities?: readonly string[];
}): string[] {
  const all = opts.hostCapabilities
    ? ALL_CAPABILITIES.filter((c) => opts.hostCapabilities!.includes(c))
    : [...ALL_CAPABILITIES];
  if (opts.privileged) return all;
  const add = normalizeCapabilities(opts.capAdd);
  const drop = normalizeCapabilities(opts.capDrop);
  if (add.length === 0 && drop.length === 0) return [...DEFAULT_CAPABILITIES];
  if (add.includes('ALL')) return all.filter((c) => !drop.includes(c));
  if (drop.includes('ALL')) return dedupe(add);
  return dedupe([...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add]);
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}
