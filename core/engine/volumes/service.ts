// The volume service (dockerd's volume store with the local driver): records in the metadata store,
// one key per volume, data directories through the host, the users of a volume from the containers.
import { BerthError } from '../../errors.ts';
import type { MetadataStore } from '../../metadata/kv.ts';
import { AsyncMutex } from '../../metadata/async-mutex.ts';
import type { EventBus } from '../events.ts';
import { matchLabel } from '../../api/query.ts';
import { generateId } from '../containers/names.ts';
import type { VolumeHost } from './host.ts';
import type { MountPoint } from '../containers/types.ts';
import {
  ANONYMOUS_LABEL, isAnonymous, validateVolumeName, validateVolumeOptions, volumeTime, type VolumeJSON, type VolumeRecord,
} from './volume.ts';

const PREFIX = 'volume/';

export interface VolumeServiceOptions {
  store: MetadataStore;
  host: VolumeHost;
  events: EventBus;
  now?: () => Date;
  log?: (level: 'warn', message: string) => void;
}

/** POST /volumes/create's body. */
export interface VolumeCreateBody {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export class VolumeService {
  private readonly volumes = new Map<string, VolumeRecord>();
  private readonly lock = new AsyncMutex();
  /** IDs of the containers (running or not) that mount a volume; the container service sets it. */
  users: (name: string) => string[] = () => [];

  constructor(readonly opts: VolumeServiceOptions) {}

  private now(): Date { return (this.opts.now ?? (() => new Date()))(); }

  async load(): Promise<void> {
    for (const key of await this.opts.store.keys(PREFIX)) {
      const raw = await this.opts.store.get(key);
      if (!raw) continue;
      let rec: VolumeRecord;
      try {
        rec = JSON.parse(new TextDecoder().decode(raw)) as VolumeRecord;
        if (typeof rec.Name !== 'string' || rec.Name !== key.slice(PREFIX.length)) throw new Error('the record does not name its volume');
      } catch (e) {
        // One unreadable record must not stop the daemon; its data stays where it is.
        this.opts.log?.('warn', `skipping volume record ${key}: ${(e as Error).message}`);
        continue;
      }
      this.volumes.set(rec.Name, rec);
    }
  }

  has(name: string): boolean { return this.volumes.has(name); }

  view(rec: VolumeRecord): VolumeJSON {
    // dockerd's field order (the Go struct's).
    return {
      CreatedAt: rec.CreatedAt, Driver: rec.Driver, Labels: rec.Labels, Mountpoint: this.opts.host.mountpoint(rec.Name), Name: rec.Name,
      Options: rec.Options, Scope: 'local',
    };
  }

  /** POST /volumes/create: an existing volume of that name is returned as it is, as dockerd does. */
  create(body: VolumeCreateBody, anonymous = false): Promise<VolumeJSON> {
    return this.lock.run(async () => this.view(await this.createLocked(body, anonymous)));
  }

  private async createLocked(body: VolumeCreateBody, anonymous: boolean): Promise<VolumeRecord> {
    checkCreateBody(body);
    const driver = body.Driver || 'local';
    const name = body.Name || generateId();
    if (driver !== 'local') throw new BerthError('not_found', `create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    validateVolumeName(name);
    const existing = this.volumes.get(name);
    if (existing) return existing;
    // Kept as sent: dockerd answers `{}` for `volume create` (the CLI sends empty maps) and null for `-v name:/p`.
    const opts = body.DriverOpts ? { ...body.DriverOpts } : null;
    validateVolumeOptions(name, opts);
    if (opts?.type && !this.opts.host.mount) throw new BerthError('unsupported', `create ${name}: this host cannot mount volumes with options`);
    const labels = anonymous ? { ...(body.Labels ?? {}), [ANONYMOUS_LABEL]: '' } : (body.Labels ?? null);
    const rec: VolumeRecord = { Name: name, Driver: 'local', CreatedAt: volumeTime(this.now()), Labels: labels, Options: opts };
    await this.opts.host.createDir(name);
    try {
      await this.opts.store.put(PREFIX + name, new TextEncoder().encode(JSON.stringify(rec)));
    } catch (e) {
      await this.opts.host.removeDir(name).catch(() => {});
      throw e;
    }
    this.volumes.set(name, rec);
    this.opts.events.publish('volume', 'create', name, { driver: 'local' });
    return rec;
  }

  get(name: string): VolumeJSON {
    const rec = this.volumes.get(name);
    if (!rec) throw new BerthError('not_found', `get ${name}: no such volume`);
    return this.view(rec);
  }

  /** GET /volumes with dockerd's filters (dangling, name, label, driver). */
  list(filters: Map<string, string[]>): VolumeJSON[] {
    for (const k of filters.keys()) if (!['dangling', 'name', 'label', 'driver'].includes(k)) throw new BerthError('invalid_argument', `invalid filter '${k}'`);
    const dangling = filters.get('dangling');
    let wantDangling: boolean | undefined;
    if (dangling?.length) {
      const v = dangling[0]!.toLowerCase();
      if (!['true', 'false', '1', '0'].includes(v)) throw new BerthError('invalid_argument', `invalid filter 'dangling=${dangling[0]}'`);
      wantDangling = v === 'true' || v === '1';
    }
    return [...this.volumes.values()].filter((rec) => {
      if (wantDangling !== undefined && (this.users(rec.Name).length === 0) !== wantDangling) return false;
      const names = filters.get('name');
      if (names?.length && !names.some((n) => rec.Name.includes(n))) return false;
      const drivers = filters.get('driver');
      if (drivers?.length && !drivers.includes(rec.Driver)) return false;
      const labels = filters.get('label');
      if (labels?.length && !labels.every((l) => matchLabel(rec.Labels ?? undefined, l))) return false;
      return true;
    }).sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0)).map((r) => this.view(r));
  }

  /** DELETE /volumes/{name}: `force` ignores a missing volume, never one in use. */
  remove(name: string, force = false): Promise<void> {
    return this.lock.run(async () => {
      const rec = this.volumes.get(name);
      if (!rec) {
        if (force) return;
        throw new BerthError('not_found', `get ${name}: no such volume`);
      }
      await this.removeLocked(rec);
    });
  }

  private async removeLocked(rec: VolumeRecord, removing?: string): Promise<void> {
    const users = this.users(rec.Name).filter((id) => id !== removing);
    if (users.length) throw new BerthError('conflict', `remove ${rec.Name}: volume is in use - [${users.join(', ')}]`);
    // The record goes first: a crash in between leaves a stray directory, never a record without data.
    await this.opts.store.delete(PREFIX + rec.Name);
    this.volumes.delete(rec.Name);
    await this.opts.host.removeDir(rec.Name);
    this.opts.events.publish('volume', 'destroy', rec.Name, { driver: 'local' });
  }

  /** A container's anonymous volumes at `rm -v` and `--rm` (the container being removed); named ones and those others use stay. */
  async removeAnonymous(names: string[], container?: string): Promise<void> {
    for (const name of names) {
      await this.lock.run(async () => {
        const rec = this.volumes.get(name);
        if (rec && isAnonymous(rec) && this.users(name).every((id) => id === container)) await this.removeLocked(rec, container);
      });
    }
  }

  /** POST /volumes/prune: unused anonymous volumes, every unused one with `all=true`, as API 1.42+. */
  prune(filters: Map<string, string[]>): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> {
    for (const k of filters.keys()) if (!['label', 'label!', 'all'].includes(k)) throw new BerthError('invalid_argument', `invalid filter '${k}'`);
    const all = (filters.get('all') ?? []).some((v) => ['true', '1'].includes(v.toLowerCase()));
    return this.lock.run(async () => {
      const deleted: string[] = [];
      let space = 0;
      for (const rec of [...this.volumes.values()]) {
        if (!all && !isAnonymous(rec)) continue;
        if (this.users(rec.Name).length) continue;
        if (!(filters.get('label') ?? []).every((l) => matchLabel(rec.Labels ?? undefined, l))) continue;
        if ((filters.get('label!') ?? []).some((l) => matchLabel(rec.Labels ?? undefined, l))) continue;
        const size = await this.opts.host.diskUsage(rec.Name).catch(() => 0);
        await this.removeLocked(rec);
        deleted.push(rec.Name);
        space += size;
      }
      this.opts.events.publish('volume', 'prune', '', { reclaimed: String(space) });
      return { VolumesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space };
    });
  }

  /**
   * The volume a container mounts, created on demand (`-v name:/path`). `claim` runs under the
   * store's lock, so the container holds the volume before a prune or rm can look.
   */
  ensure(name: string | undefined, anonymous: boolean, extra: Pick<VolumeCreateBody, 'DriverOpts' | 'Labels'>, claim: (v: VolumeJSON) => void): Promise<void> {
    return this.lock.run(async () => { claim(this.view(await this.createLocked({ Name: name ?? '', ...extra }, anonymous))); });
  }

  /** Before a container starts: mounts a volume with options (tmpfs, bind, nfs) at first use. */
  async prepareMount(name: string): Promise<string> {
    const rec = this.volumes.get(name);
    if (!rec) throw new BerthError('not_found', `get ${name}: no such volume`);
    if (rec.Options?.type) await this.opts.host.mount!(name, rec.Options);
    return this.opts.host.mountpoint(name);
  }

  /**
   * A container stopped: dockerd's `unmount` events, and a volume with options (a tmpfs) unmounted
   * once no running container has it, as dockerd's local driver does (a tmpfs volume's data goes then).
   */
  async released(containerId: string, mounts: MountPoint[], stillMounted: (name: string) => boolean): Promise<void> {
    for (const m of mounts) {
      if (m.Type === 'volume' && m.Name) this.opts.events.publish('volume', 'unmount', m.Name, { container: containerId, driver: 'local' });
    }
    await this.unmountUnused(mounts, stillMounted);
  }

  /** Unmounts the volumes with options no running container has (also after a start that failed). */
  async unmountUnused(mounts: MountPoint[], stillMounted: (name: string) => boolean): Promise<void> {
    for (const m of mounts) {
      const rec = m.Type === 'volume' && m.Name ? this.volumes.get(m.Name) : undefined;
      if (rec?.Options?.type && !stillMounted(rec.Name)) await this.opts.host.unmount?.(rec.Name);
    }
  }

  /** GET /system/df's Volumes. */
  async diskUsage(): Promise<VolumeJSON[]> {
    const out: VolumeJSON[] = [];
    for (const rec of this.volumes.values()) {
      const size = await this.opts.host.diskUsage(rec.Name).catch(() => -1);
      out.push({ ...this.view(rec), UsageData: { Size: size, RefCount: this.users(rec.Name).length } });
    }
    return out;
  }
}

const isStringMap = (v: unknown) => v === null || v === undefined
  || (typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every((x) => typeof x === 'string'));

function checkCreateBody(body: VolumeCreateBody): void {
  const bad = (field: string, what: string) => new BerthError('invalid_argument', `invalid volume create request: ${field} must be ${what}`);
  if (body.Name !== undefined && body.Name !== null && typeof body.Name !== 'string') throw bad('Name', 'a string');
  if (body.Driver !== undefined && body.Driver !== null && typeof body.Driver !== 'string') throw bad('Driver', 'a string');
  if (!isStringMap(body.DriverOpts)) throw bad('DriverOpts', 'an object of strings');
  if (!isStringMap(body.Labels)) throw bad('Labels', 'an object of strings');
}
