// tmpfs option strings as dockerd merges them (moby's MergeTmpfsOptions): flags dedupe by the
// mount flag they set (noexec/exec are one flag; one propagation mode), `key=value` data by key,
// the last occurrence wins and keeps its position among the survivors.
import { BerthError } from '../errors.ts';

/** Option -> the flag it sets (pairs such as ro/rw share one); propagation modes share 'propagation'. */
const FLAGS: Record<string, string> = {
  ro: 'rdonly', rw: 'rdonly', suid: 'nosuid', nosuid: 'nosuid', dev: 'nodev', nodev: 'nodev', exec: 'noexec',
  noexec: 'noexec', sync: 'sync', async: 'sync', dirsync: 'dirsync', remount: 'remount', mand: 'mand',
  nomand: 'mand', atime: 'noatime', noatime: 'noatime', diratime: 'nodiratime', nodiratime: 'nodiratime',
  bind: 'bind', rbind: 'rbind', relatime: 'relatime', norelatime: 'relatime', strictatime: 'strictatime',
  nostrictatime: 'strictatime',
  private: 'propagation', rprivate: 'propagation', shared: 'propagation', rshared: 'propagation',
  slave: 'propagation', rslave: 'propagation', unbindable: 'propagation', runbindable: 'propagation',
};
const DATA = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

/** Go's %q of a []string: `["size" "1m"]`. */
function goQuote(parts: string[]): string {
  return `[${parts.map((p) => JSON.stringify(p)).join(' ')}]`;
}

export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const flags = new Set<string>();
  const data = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const o = options[i]!;
    if (o === 'defaults') continue;
    const flag = FLAGS[o];
    if (flag) {
      if (!flags.has(flag)) { flags.add(flag); out.unshift(o); }
      continue;
    }
    const eq = o.indexOf('=');
    const parts = eq < 0 ? [o] : [o.slice(0, eq), o.slice(eq + 1)];
    if (parts.length !== 2 || !DATA.has(parts[0]!)) throw new BerthError('invalid_argument', `Invalid tmpfs option ${goQuote(parts)}`);
    if (!data.has(parts[0]!)) { data.add(parts[0]!); out.unshift(o); }
  }
  return out;
}

/** `--mount type=tmpfs` options to the data string dockerd builds (`ro,mode=1770,size=2m`). */
export function tmpfsMountData(opts: { SizeBytes?: number; Mode?: number; Options?: string[][] } | undefined, readOnly: boolean): string {
  const raw: string[] = [];
  if (readOnly) raw.push('ro');
  if (opts?.Mode) raw.push(`mode=${opts.Mode.toString(8)}`);
  if (opts?.SizeBytes) {
    let size = opts.SizeBytes;
    let suffix = '';
    for (const [s, d] of [['g', 2 ** 30], ['m', 2 ** 20], ['k', 2 ** 10]] as const) {
      if (size % d === 0) { size /= d; suffix = s; break; }
    }
    raw.push(`size=${size}${suffix}`);
  }
  for (const o of opts?.Options ?? []) raw.push(o.length > 1 ? `${o[0]}=${o[1]}` : `${o[0]}`);
  return raw.join(',');
}
