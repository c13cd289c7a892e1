// The container service: the live containers, their records (persisted after every transition),
// name resolution, events, and the monitor that handles exits (restart policies, --rm). Each API
// verb lives in its own file and works through this.
import type { MetadataStore } from '../../metadata/kv.ts';
import type { EventBus } from '../events.ts';
import type { ImageService } from '../image-service.ts';
import type { VolumeService } from '../volumes/service.ts';
import { volumeNames } from '../volumes/container-mounts.ts';
import { BerthError, errorMessage } from '../../errors.ts';
import type { ContainerImage, ContainerRuntime, ContainerTask, ExitStatus } from './runtime.ts';
import { Container } from './container.ts';
import { nextRestart } from './restart-policy.ts';
import { isZeroTime } from './duration.ts';
import { RecordWriter } from './record-writer.ts';
import { errorText } from '../../system-error.ts';
import type { ContainerNetworks } from '../networks/container-networks.ts';

export interface ContainerServiceOptions {
  /** Records, one key per container ID. */
  store: MetadataStore;
  /** Where records the store cannot take (a full disk) wait, off that disk: the exec root. */
  pendingStore?: MetadataStore;
  runtime: ContainerRuntime;
  images: ImageService;
  events: EventBus;
  /** Containers' endpoints on networks (a host without networks sends no network events). */
  networks?: ContainerNetworks;
  /** Named and anonymous volumes (a host without them refuses volume mounts). */
  volumes?: VolumeService;
  now?: () => Date;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

function mountsVolume(c: Container, name: string): boolean {
  return !!c.rec.Mounts?.some((m) => m.Type === 'volume' && m.Name === name);
}

export class ContainerService {
  readonly containers = new Map<string, Container>();
  /** `/name` -> ID. */
  readonly names = new Map<string, string>();
  shuttingDown = false;

  private readonly records: RecordWriter;

  constructor(readonly opts: ContainerServiceOptions) {
    this.records = new RecordWriter({ store: opts.store, pending: opts.pendingStore, log: (level, m) => this.log(level, m) });
    if (opts.networks) opts.networks.containers = () => this.containers.values();
  }

  get runtime(): ContainerRuntime { return this.opts.runtime; }
  now(): Date { return (this.opts.now ?? (() => new Date()))(); }
  log(level: 'info' | 'warn' | 'error', message: string): void { this.opts.log?.(level, message); }

  /** Loads every record (restore.ts reconnects and restarts them). */
  async load(): Promise<Container[]> {
    const all = await this.records.load();
    for (const c of all) this.add(c);
    return all;
  }

  /**
   * Writes the record after a transition. The transition has happened whatever the disk says: a
   * record that cannot be written is retried (record-writer.ts); only a new container's first
   * record must be written, or its create fails.
   */
  save(c: Container): Promise<void> {
    return this.records.write(c);
  }

  /** Retries the records a full disk held back (also at shutdown). */
  flushRecords(): Promise<void> {
    return this.records.flush();
  }

  add(c: Container): void {
    this.opts.networks?.fillNetworkIds(c.rec);
    this.containers.set(c.id, c);
    this.names.set(c.rec.Name, c.id);
  }

  async forget(c: Container): Promise<void> {
    await this.records.remove(c);
    this.containers.delete(c.id);
    if (this.names.get(c.rec.Name) === c.id) this.names.delete(c.rec.Name);
    c.notifyRemoved();
  }

  /** dockerd's GetContainer: full ID, then name, then a unique ID prefix. */
  get(ref: string): Container {
    const byId = this.containers.get(ref);
    if (byId) return byId;
    const name = ref.startsWith('/') ? ref : `/${ref}`;
    const byName = this.names.get(name);
    if (byName) { const c = this.containers.get(byName); if (c) return c; }
    if (ref && /^[a-f0-9]+$/.test(ref)) {
      const matches = [...this.containers.keys()].filter((id) => id.startsWith(ref));
      if (matches.length > 1) throw new BerthError('invalid_argument', `Multiple IDs found with provided prefix: ${ref}`);
      if (matches.length === 1) return this.containers.get(matches[0]!)!;
    }
    throw new BerthError('not_found', `No such container: ${ref}`);
  }

  nameConflict(name: string): BerthError | undefined {
    const owner = this.names.get(name);
    if (!owner) return undefined;
    return new BerthError('conflict', `Conflict. The container name "${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`);
  }

  /** Publishes a container event with dockerd's attributes (labels, image, name, extras), keys sorted. */
  event(c: Container, action: string, extra: Record<string, string> = {}): void {
    const attrs: Record<string, string> = { ...(c.rec.Config.Labels ?? {}), image: c.rec.Config.Image ?? '', name: c.rec.Name.slice(1), ...extra };
    const sorted = Object.fromEntries(Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    this.opts.events.publish('container', action, c.id, sorted);
  }

  async imageOf(c: Container): Promise<ContainerImage> {
    try {
      const config = await this.opts.images.config(c.rec.Image);
      return { id: c.rec.Image, config, diffIDs: config.rootfs.diff_ids };
    } catch (e) {
      // `rmi -f` deletes the image of a stopped container (as dockerd does); its layers are kept
      // for the container (layerInUse), and the record knows which they are.
      const diffIDs = c.rec.LayerDiffIDs;
      if (diffIDs?.length) {
        return { id: c.rec.Image, config: { architecture: '', os: c.rec.Platform || 'linux', rootfs: { type: 'layers', diff_ids: [...diffIDs] } } as ContainerImage['config'], diffIDs: [...diffIDs] };
      }
      throw new BerthError('not_found', `the image ${c.rec.Image} of container ${c.id} is gone: ${errorMessage(e)}`, { cause: e });
    }
  }

  /** The containers, running or stopped, that mount a volume (it cannot be removed while there are any). */
  volumeUsers(name: string): string[] {
    return [...this.containers.values()].filter((c) => mountsVolume(c, name)).map((c) => c.id);
  }

  /** Whether a running container mounts the volume (a tmpfs/bind volume stays mounted while one does). */
  private readonly volumeMountedByRunning = (name: string): boolean =>
    [...this.containers.values()].some((c) => c.running && mountsVolume(c, name));

  /** Whether any container, running or stopped, has its rootfs on this layer (snapshot GC asks). */
  layerInUse(diffID: string): boolean {
    for (const c of this.containers.values()) if (c.rec.LayerDiffIDs?.includes(diffID)) return true;
    return false;
  }

  /** Which container uses an image (rmi conflicts); running ones first, as dockerd reports them. */
  imageUser(imageId: string): { running: boolean; containerId: string } | undefined {
    let stopped: string | undefined;
    for (const c of this.containers.values()) {
      if (c.rec.Image !== imageId) continue;
      if (c.running) return { running: true, containerId: c.id };
      stopped ??= c.id;
    }
    return stopped ? { running: false, containerId: stopped } : undefined;
  }

  counts(): { total: number; running: number; paused: number; stopped: number } {
    let running = 0; let paused = 0; let stopped = 0;
    for (const c of this.containers.values()) {
      if (c.rec.State.Paused) paused++;
      else if (c.running) running++;
      else stopped++;
    }
    return { total: this.containers.size, running, paused, stopped };
  }

  /**
   * Creates the task, connects attaches made before start, lets the process exec. On failure the
   * container is left created (or exited, if it ran before) with dockerd's exit code (127 not found,
   * 126 not executable, else 128) and State.Error, and the error is thrown with dockerd's wording.
   */
  async runTask(c: Container): Promise<void> {
    const st = c.rec.State;
    let task: ContainerTask | undefined;
    /** Networking failed (its text is dockerd's own) or succeeded (undone if the start fails). */
    let networking: 'failed' | 'attached' | undefined;
    try {
      const image = await this.imageOf(c);
      this.opts.networks?.checkNetworks(c.rec);
      const cfg = c.rec.Config;
      task = await this.runtime.create(c.rec, image, { stdin: !!cfg.OpenStdin, stdinOnce: !!cfg.StdinOnce, tty: !!cfg.Tty });
      c.task = task;
      // The init exists, stopped before exec: its namespace joins the networks before anything runs in it.
      if (this.opts.networks) {
        networking = 'failed';
        await this.opts.networks.attach(c, task.pid);
        networking = 'attached';
      }
      const pending = c.pendingAttach.splice(0);
      await Promise.all(pending.map((p) => p.connect(task!).catch(() => {})));
      await task.start();
    } catch (e) {
      const message = errorText(e);
      const code = /executable file not found|no such file or directory/.test(message) ? 127
        : /permission denied|is a directory/.test(message) ? 126 : 128;
      for (const p of c.pendingAttach.splice(0)) p.fail(e);
      let status: ExitStatus | undefined;
      // An init that never got to exec (networking failed) waits for its start: end it.
      if (task && networking === 'failed') await task.kill(9, true).catch(() => {});
      if (task) {
        // The shim has recorded the failed exec; wait for it so nothing is left running.
        status = await Promise.race([task.wait(), new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000))]).catch(() => undefined);
        task.close();
      }
      c.task = undefined;
      await this.runtime.cleanup(c.rec).catch((err) => this.log('warn', `cleanup of ${c.id} after a failed start: ${errorMessage(err)}`));
      await this.opts.volumes?.unmountUnused(c.rec.Mounts ?? [], this.volumeMountedByRunning).catch(() => {});
      if (networking === 'attached') await this.opts.networks!.detach(c).catch(() => {});
      // A container that never ran stays "created" (with the code and error), as dockerd leaves it.
      const created = st.Status === 'created';
      Object.assign(st, {
        Status: created ? 'created' : 'exited', Running: false, Paused: false, Restarting: false, Pid: 0,
        ExitCode: status && status.exitCode !== 0 ? status.exitCode : code, Error: message,
        ...(created ? {} : { FinishedAt: this.now().toISOString() }),
      });
      if (!created && isZeroTime(st.StartedAt)) st.StartedAt = st.FinishedAt;
      await this.save(c);
      // dockerd's own checks at start (device paths it stats, the user, the working directory) are not runc's:
      // their text stands alone.
      // berth's own refusals (a network or image gone) and failed networking have their own texts.
      const text = networking === 'failed' || (e instanceof BerthError && e.code === 'not_found') || /OCI runtime|failed to create|^stat \/|^error gathering device information|^unable to find (user|group) |^Cannot mkdir: /.test(message) ? message
        : `failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${message}: unknown`;
      const kind = code === 128 ? 'internal' : 'invalid_argument';
      throw new BerthError(e instanceof BerthError && code === 128 ? e.code : kind, text, { cause: e });
    }
    Object.assign(st, {
      Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
      Pid: task.pid, ExitCode: 0, Error: '', StartedAt: this.now().toISOString(),
    });
    await this.save(c);
    this.event(c, 'start');
    this.monitor(c, task);
  }

  monitor(c: Container, task: ContainerTask): void {
    task.wait().then(
      (status) => this.onExit(c, task, status),
      (e: unknown) => this.onExit(c, task, { exitCode: 255, oomKilled: false, finishedAt: this.now().toISOString(), error: `shim died: ${errorMessage(e)}` }),
    ).catch((e: unknown) => this.log('error', `handling the exit of container ${c.id}: ${errorMessage(e)}`));
  }

  /** The process ended: record it, release the rootfs and cgroup, then restart or auto-remove. */
  async onExit(c: Container, task: ContainerTask | undefined, status: ExitStatus): Promise<void> {
    if (task && c.task !== task) return;
    c.task = undefined;
    task?.close();
    for (const e of c.execs.values()) {
      if (e.rec.Running) { e.rec.Running = false; e.rec.ExitCode ??= 137; }
    }
    await this.runtime.cleanup(c.rec).catch((e) => this.log('warn', `cleanup of container ${c.id}: ${errorMessage(e)}`));
    const st = c.rec.State;
    const finishedAt = status.finishedAt || this.now().toISOString();
    const ranMs = Date.parse(finishedAt) - Date.parse(st.StartedAt);
    Object.assign(st, {
      Status: 'exited', Running: false, Paused: false, Restarting: false, Pid: 0,
      ExitCode: status.exitCode, OOMKilled: status.oomKilled, Error: status.error ?? '', FinishedAt: finishedAt,
    });
    c.rec.ExecIDs = null;
    if (status.oomKilled) this.event(c, 'oom');
    this.event(c, 'die', { exitCode: String(status.exitCode) });
    await this.opts.networks?.detach(c).catch((e: unknown) => this.log('warn', `releasing the networks of ${c.id}: ${errorMessage(e)}`));
    await this.opts.volumes?.released(c.id, c.rec.Mounts ?? [], this.volumeMountedByRunning)
      .catch((e: unknown) => this.log('warn', `unmounting the volumes of ${c.id}: ${errorMessage(e)}`));
    const delay = c.removing ? undefined : nextRestart(c, status.exitCode, ranMs, this.shuttingDown);
    if (delay !== undefined) {
      Object.assign(st, { Status: 'restarting', Running: true, Restarting: true });
      await this.save(c);
      c.notifyExit();
      c.restartTimer = setTimeout(() => {
        c.restartTimer = undefined;
        void c.lock.run(async () => {
          if (!c.rec.State.Restarting || c.removing) return;
          c.rec.RestartCount++;
          await this.runTask(c).catch((e: unknown) => {
            this.log('error', `restarting container ${c.id}: ${errorMessage(e)}`);
            c.notifyExit();
          });
        });
      }, delay);
      return;
    }
    c.exitOnNext = false;
    await this.save(c);
    c.notifyExit();
    if (c.rec.HostConfig.AutoRemove && !c.removing && !this.shuttingDown) {
      await this.destroy(c).catch((e) => this.log('error', `auto-removing container ${c.id}: ${errorMessage(e)}`));
    }
  }

  /** Cancels a pending policy restart; the container stays exited. */
  async cancelRestart(c: Container): Promise<boolean> {
    if (!c.rec.State.Restarting) return false;
    if (c.restartTimer) clearTimeout(c.restartTimer);
    c.restartTimer = undefined;
    Object.assign(c.rec.State, { Status: 'exited', Running: false, Restarting: false });
    await this.save(c);
    c.notifyExit();
    return true;
  }

  /** Removes a stopped container's files and record (rm, --rm, prune). */
  async destroy(c: Container, removeVolumes = false): Promise<void> {
    c.removing = true;
    for (const p of c.pendingAttach.splice(0)) p.fail(new BerthError('not_found', `No such container: ${c.id}`));
    try {
      await this.runtime.cleanup(c.rec);
      await this.runtime.remove(c.rec);
    } catch (e) {
      c.removing = false;
      Object.assign(c.rec.State, { Status: 'dead', Dead: true });
      await this.save(c);
      throw new BerthError('internal', `unable to remove filesystem for ${c.id}: ${errorMessage(e)}`, { cause: e });
    }
    // `rm -v` and `--rm` remove the container's anonymous volumes (named ones stay), before the
    // container is gone, as dockerd does: `run --rm` returns when it is.
    if (removeVolumes || c.rec.HostConfig.AutoRemove) {
      await this.opts.volumes?.removeAnonymous(volumeNames(c.rec.Mounts), c.id).catch((e: unknown) => this.log('warn', `removing the volumes of ${c.id}: ${errorMessage(e)}`));
    }
    await this.forget(c);
    this.event(c, 'destroy');
    // Its files are gone: records a full disk held back may fit now.
    if (this.records.behind) void this.records.flush();
    // The image went before the container (`rmi -f`): the layers only it kept can go now.
    const images = await this.opts.images.store.list().catch(() => undefined);
    if (images && !images.some((r) => r.id === c.rec.Image)) {
      void this.opts.images.collectGarbage().catch((e: unknown) => this.log('warn', `layer sweep after removing ${c.id}: ${errorMessage(e)}`));
    }
  }
}
