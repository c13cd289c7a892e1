// The mount points a container gets at create, as dockerd's registerMountPoints: those of
// --volumes-from, its binds, the volumes it names (created on demand), and an anonymous volume for
// every `-v /path` and every VOLUME of the image that nothing else mounts.
import { BerthError } from '../../errors.ts';
import type { HostConfig, MountPoint } from '../containers/types.ts';
import { userMounts, cleanPath } from '../../runtime-spec/mounts.ts';
import type { VolumeService } from './service.ts';

export async function containerMountPoints(
  hc: HostConfig, imageVolumes: Record<string, unknown> | null | undefined, volumes: VolumeService | undefined,
  mountsOf?: (container: string) => MountPoint[],
  /** The container's own list (rec.Mounts): a volume is in it before a prune can see it unused. */
  out: MountPoint[] = [],
): Promise<MountPoint[]> {
  const user = userMounts(hc);
  const taken = new Set(user.map((m) => m.Destination));
  // --volumes-from c[:ro|:rw]: the other container's volumes and binds, unless a mount of this one takes the path.
  for (const spec of hc.VolumesFrom ?? []) {
    const i = spec.lastIndexOf(':');
    const [ref, mode] = i > 0 ? [spec.slice(0, i), spec.slice(i + 1)] : [spec, ''];
    if (mode !== '' && mode !== 'ro' && mode !== 'rw') throw new BerthError('invalid_argument', `invalid mode for volumes-from: ${mode}`);
    if (!mountsOf) throw new BerthError('unsupported', '--volumes-from is not supported on this host');
    for (const m of mountsOf(ref)) {
      if (taken.has(m.Destination) || (m.Type !== 'volume' && m.Type !== 'bind')) continue;
      taken.add(m.Destination);
      out.push({ ...m, RW: mode === '' ? m.RW : mode === 'rw' });
    }
  }
  for (const m of user) {
    if (m.Type === 'bind') {
      out.push({ Type: 'bind', Source: m.Source, Destination: m.Destination, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation });
    } else if (m.Type === 'volume' && volumes) {
      // `--mount type=volume,volume-opt=...,volume-label=...` gives a volume it creates its options and labels.
      const given = m.origin === 'Mounts' ? hc.Mounts?.find((x) => x.Type === 'volume' && cleanPath(x.Target) === m.Destination)?.VolumeOptions : undefined;
      if (given?.Subpath) throw new BerthError('unsupported', `volume-subpath is not supported by berth yet: mount the whole volume at ${m.Destination}`);
      await volumes.ensure(m.Source || undefined, !m.Source, { DriverOpts: given?.DriverConfig?.Options ?? null, Labels: given?.Labels ?? null }, (v) => {
        out.push({ Type: 'volume', Name: v.Name, Source: v.Mountpoint, Destination: m.Destination, Driver: 'local', Mode: m.Mode, RW: m.RW, Propagation: '' });
      });
    }
  }
  if (volumes) {
    for (const dest of Object.keys(imageVolumes ?? {}).map(cleanPath).sort()) {
      if (taken.has(dest) || dest === '/') continue;
      taken.add(dest);
      await volumes.ensure(undefined, true, {}, (v) => {
        out.push({ Type: 'volume', Name: v.Name, Source: v.Mountpoint, Destination: dest, Driver: 'local', Mode: '', RW: true, Propagation: '' });
      });
    }
  }
  return out;
}

/** The anonymous volumes among a container's mounts (what `rm -v` and `--rm` remove). */
export function volumeNames(mounts: MountPoint[]): string[] {
  return mounts.filter((m) => m.Type === 'volume' && m.Name).map((m) => m.Name!);
}
