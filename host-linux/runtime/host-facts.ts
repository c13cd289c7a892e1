// What this host lets a container have, read once at start: the daemon's capability bounding set
// (`--privileged` can grant no more; without CAP_SYS_RESOURCE here, say) and its current rlimits
// (a hard limit cannot be raised without CAP_SYS_RESOURCE, so `--ulimit` is capped at them).
import { readFileSync } from 'node:fs';
import { capabilitiesFromMask } from '../../core/runtime-spec/capabilities.ts';
import type { HostRlimits } from '../../core/runtime-spec/rlimits.ts';

/** /proc/self/limits row titles, by spec type. */
const LIMIT_ROWS: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU', 'Max file size': 'RLIMIT_FSIZE', 'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK', 'Max core file size': 'RLIMIT_CORE', 'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC', 'Max open files': 'RLIMIT_NOFILE', 'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS', 'Max file locks': 'RLIMIT_LOCKS', 'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE', 'Max nice priority': 'RLIMIT_NICE', 'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

/** The bounding set of this process (CapBnd in /proc/self/status); undefined when unreadable. */
export function hostCapabilities(status = '/proc/self/status'): string[] | undefined {
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)$/im.exec(readFileSync(status, 'utf8'));
    return m ? capabilitiesFromMask(m[1]!) : undefined;
  } catch {
    return undefined;
  }
}

/** This process's current limits from /proc/self/limits; `unlimited` is 2^64. */
export function parseLimits(text: string): HostRlimits {
  const out: HostRlimits = {};
  const value = (s: string) => (s === 'unlimited' ? 2 ** 64 : Number(s));
  for (const line of text.split('\n').slice(1)) {
    const m = /^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    const type = m && LIMIT_ROWS[m[1]!];
    if (!type) continue;
    const soft = value(m[2]!);
    const hard = value(m[3]!);
    if (Number.isFinite(soft) && Number.isFinite(hard)) out[type] = { soft, hard };
  }
  return out;
}

export function hostRlimits(file = '/proc/self/limits'): HostRlimits | undefined {
  try { return parseLimits(readFileSync(file, 'utf8')); } catch { return undefined; }
}
