// The Linux ContainerRuntime: the daemon's half of DESIGN.md. It prepares the container's files,
// mounts the overlay rootfs from the snapshotter's layers, creates the cgroup, writes the OCI
// spec, spawns berth-shim and talks to it; after the exit it releases the mount and the cgroup.
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type {
  Change, ContainerImage, ContainerRuntime, RuntimeHost, ContainerTask, ExecProcess, ExitStatus, LogEntry, LogReadOptions, PathStat, ProcessTask, StdioOptions,
} from '../../core/engine/containers/runtime.ts';
import type { ContainerRecord, HostConfig } from '../../core/engine/containers/types.ts';
import type { Spec } from '../../core/runtime-spec/types.ts';
import { BerthError } from '../../core/errors.ts';
import { containerPaths, type ContainerPaths, type RuntimePaths } from './paths.ts';
import { hostsFile, resolvConf } from './etc-files.ts';
import { readJsonLog } from './json-log.ts';
import { pidAlive, readExitJson, spawnShim, ctlRequest } from './shim-client.ts';
import { ShimContainer, ShimProcess } from './task.ts';
import { cgroupPath, cgroupResources, type CgroupHandle, type CgroupPort } from './cgroup-port.ts';
import { isMountPoint, mountOverlay, unmount } from '../mount/overlay.ts';
import { execProcessSpec } from './exec-process.ts';
import * as files from './rootfs-files.ts';

/** What the spec generator (core/runtime-spec) gets from the runtime. */
export interface SpecInput {
  rec: ContainerRecord;
  image: ContainerImage;
  /** The mounted rootfs (bundle/rootfs). */
  rootfs: string;
  hostnamePath: string;
  hostsPath: string;
  resolvConfPath: string;
  cgroupsPath: string;
  initPath?: string;
}

export type SpecGenerator = (input: SpecInput) => Spec | Promise<Spec>;

export interface LinuxRuntimeOptions extends RuntimePaths {
  /** berth-shim. */
  shim: string;
  /** berth-init, for --init. */
  init?: string;
  /** The unpacked directory of a layer. */
  layerDir: (diffID: string) => string;
  cgroups?: CgroupPort;
  spec: SpecGenerator;
  /** Host facts for create-time checks (CPU count, cgroup version, hostname). */
  host?: RuntimeHost;
  /** The host cgroups' checks of resource limits (host-linux/cgroups validateResources). */
  validateResources?: (hc: HostConfig, opts: { update?: boolean }) => { hostConfig: HostConfig; warnings: string[] };
  /** The create-time check of bind sources (host-linux/volumes checkBindSources). */
  checkMounts?: (hc: HostConfig) => void;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

function shimFlags(stdio: StdioOptions): string[] {
  return [...(stdio.stdin ? ['--stdin'] : []), ...(stdio.stdin && stdio.stdinOnce ? ['--stdin-once'] : []), ...(stdio.tty ? ['--tty'] : [])];
}

/** `max-size` of the json-file driver (`10m`, `1g`, bytes) in bytes. */
function maxSize(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const m = /^(\d+(?:\.\d+)?)([kmg]?)b?$/i.exec(v.trim());
  if (!m) return undefined;
  return Math.floor(Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[m[2]!.toLowerCase()]!);
}

export class LinuxRuntime implements ContainerRuntime {
  private readonly cgroupHandles = new Map<string, CgroupHandle>();

  constructor(readonly opts: LinuxRuntimeOptions) {}

  get host(): RuntimeHost | undefined { return this.opts.host; }

  validateResources(hc: HostConfig, opts: { update?: boolean }): { hostConfig: HostConfig; warnings: string[] } {
    return this.opts.validateResources ? this.opts.validateResources(hc, opts) : { hostConfig: hc, warnings: [] };
  }

  checkMounts(hc: HostConfig): void {
    this.opts.checkMounts?.(hc);
  }

  paths(id: string): ContainerPaths { return containerPaths(this.opts, id); }

  async prepare(rec: ContainerRecord): Promise<Pick<ContainerRecord, 'ResolvConfPath' | 'HostnamePath' | 'HostsPath' | 'LogPath'>> {
    const p = this.paths(rec.Id);
    await mkdir(p.dir, { recursive: true, mode: 0o710 });
    await mkdir(p.upper, { recursive: true, mode: 0o755 });
    await mkdir(p.work, { recursive: true, mode: 0o700 });
    await writeFile(p.hostname, `${rec.Config.Hostname}\n`);
    await writeFile(p.hosts, await hostsFile(rec));
    await writeFile(p.resolvConf, await resolvConf(rec));
    await writeFile(p.log, '', { flag: 'a', mode: 0o640 });
    return { ResolvConfPath: p.resolvConf, HostnamePath: p.hostname, HostsPath: p.hosts, LogPath: p.log };
  }

  /** Mounts the rootfs if it is not mounted (idempotent: restarts and cp of stopped containers). */
  mountRootfs(rec: ContainerRecord, diffIDs: string[]): string {
    const p = this.paths(rec.Id);
    if (isMountPoint(p.rootfs)) return p.rootfs;
    const lowers = [...diffIDs].reverse().map((d) => this.opts.layerDir(d));
    if (!lowers.length) throw new BerthError('invalid_argument', `the image of container ${rec.Id} has no layers`);
    mountOverlay(lowers, p.upper, p.work, p.rootfs);
    return p.rootfs;
  }

  private diffIDs(rec: ContainerRecord): string[] {
    return rec.LayerDiffIDs ?? [];
  }

  async create(rec: ContainerRecord, image: ContainerImage, stdio: StdioOptions): Promise<ContainerTask> {
    const p = this.paths(rec.Id);
    await mkdir(p.rootfs, { recursive: true });
    await mkdir(p.upper, { recursive: true, mode: 0o755 });
    await mkdir(p.work, { recursive: true, mode: 0o700 });
    let cgroup: CgroupHandle | undefined;
    try {
      this.mountRootfs(rec, image.diffIDs);
      await files.makeWorkingDir(p.rootfs, rec.Config.WorkingDir ?? '');
      const spec = await this.opts.spec({
        rec, image, rootfs: p.rootfs, hostnamePath: p.hostname, hostsPath: p.hosts, resolvConfPath: p.resolvConf,
        cgroupsPath: cgroupPath(rec.Id), ...(this.opts.init ? { initPath: this.opts.init } : {}),
      });
      if (this.opts.cgroups) {
        cgroup = await this.opts.cgroups.create(cgroupPath(rec.Id), cgroupResources(rec.HostConfig, spec));
        this.cgroupHandles.set(rec.Id, cgroup);
      }
      await writeFile(p.spec, JSON.stringify(spec, null, 2));
      await rm(p.state, { recursive: true, force: true });
      await mkdir(p.state, { recursive: true, mode: 0o700 });
      const logMax = maxSize((rec.HostConfig.LogConfig?.Config ?? {})['max-size']);
      const { pid } = await spawnShim(this.opts.shim, [
        'create', '--id', rec.Id, '--bundle', p.bundle, '--state', p.state, '--log', p.log,
        ...(logMax ? ['--log-max-size', String(logMax)] : []), ...shimFlags(stdio),
      ]);
      return this.task(rec, pid, cgroup);
    } catch (e) {
      await this.cleanup(rec).catch(() => {});
      throw e;
    }
  }

  private task(rec: ContainerRecord, pid: number, cgroup: CgroupHandle | undefined): ShimContainer {
    const p = this.paths(rec.Id);
    return new ShimContainer(pid, p.state, cgroup, (execId, proc) => this.exec(rec, pid, execId, proc));
  }

  private async exec(rec: ContainerRecord, pid: number, execId: string, proc: ExecProcess): Promise<ProcessTask> {
    const p = this.paths(rec.Id);
    const state = p.execState(execId);
    await mkdir(state, { recursive: true, mode: 0o700 });
    let base: Spec | undefined;
    try { base = JSON.parse(await readFile(p.spec, 'utf8')) as Spec; } catch { /* defaults below */ }
    const process = await execProcessSpec(base, proc, p.rootfs, rec.HostConfig.GroupAdd);
    const file = join(state, 'process.json');
    await writeFile(file, JSON.stringify(process));
    const r = await spawnShim(this.opts.shim, [
      'exec', '--id', execId, '--state', state, '--pid', String(pid), '--process', file,
      // The container's seccomp profile lives in its bundle (an OCI process has no seccomp field), so an exec'd
      // process is confined exactly like the container's own.
      ...(base ? ['--bundle', p.bundle] : []),
      ...(proc.stdin ? ['--stdin'] : []), ...(proc.tty ? ['--tty'] : []),
    ]);
    return new ShimProcess(r.pid, state);
  }

  async reconnect(rec: ContainerRecord): Promise<ContainerTask | ExitStatus> {
    const p = this.paths(rec.Id);
    let shimPid = 0;
    try { shimPid = Number((await readFile(p.shimPid, 'utf8')).trim()); } catch { /* none */ }
    if (shimPid > 0 && pidAlive(shimPid)) {
      try {
        const st = await ctlRequest(p.ctlSock, { op: 'state' }, 5000);
        if (st.ok === true && st.status !== 'stopped') {
          const cgroup = this.openCgroup(rec);
          if (cgroup) this.cgroupHandles.set(rec.Id, cgroup);
          return this.task(rec, typeof st.pid === 'number' ? st.pid : rec.State.Pid, cgroup);
        }
      } catch { /* fall through to exit.json */ }
    }
    return (await readExitJson(p.exitJson)) ?? { exitCode: 255, oomKilled: false, finishedAt: new Date().toISOString(), error: 'shim died' };
  }

  private openCgroup(rec: ContainerRecord): CgroupHandle | undefined {
    const cg = this.opts.cgroups;
    if (!cg?.open) return undefined;
    const h = cg.open(cgroupPath(rec.Id));
    this.cgroupHandles.set(rec.Id, h);
    return h;
  }

  async cleanup(rec: ContainerRecord): Promise<void> {
    const p = this.paths(rec.Id);
    unmount(p.rootfs);
    let cgroup = this.cgroupHandles.get(rec.Id);
    this.cgroupHandles.delete(rec.Id);
    if (!cgroup) { try { cgroup = this.openCgroup(rec); } catch { /* none */ } }
    // A second clean-up (rm after the exit's) finds the cgroup already gone.
    const dirs = Object.values((cgroup as { paths?: Record<string, string> } | undefined)?.paths ?? {});
    if (cgroup && (!dirs.length || dirs.some((d) => existsSync(d)))) {
      try {
        await cgroup.killAll(9);
        await cgroup.destroy();
      } catch (e) {
        this.opts.log?.('warn', `removing the cgroup of ${rec.Id}: ${(e as Error).message}`);
      }
    }
    // The shim has exited (or is exiting): its sockets and exit.json are no longer needed.
    await rm(p.state, { recursive: true, force: true }).catch(() => {});
    const prefix = `${rec.Id.slice(0, 12)}-`;
    for (const name of await readdir(p.execStates).catch(() => [] as string[])) {
      if (name.startsWith(prefix)) await rm(join(p.execStates, name), { recursive: true, force: true }).catch(() => {});
    }
  }

  async remove(rec: ContainerRecord): Promise<void> {
    const p = this.paths(rec.Id);
    await this.cleanup(rec);
    if (isMountPoint(p.rootfs)) throw new Error(`${p.rootfs} is still mounted`);
    await rm(p.layer, { recursive: true, force: true });
    await rm(p.dir, { recursive: true, force: true });
  }

  readLogs(rec: ContainerRecord, opts: LogReadOptions): AsyncIterable<LogEntry> {
    return readJsonLog(rec.LogPath || this.paths(rec.Id).log, opts);
  }

  /** Runs `fn` on the rootfs, mounting it for the call when the container is not running. */
  private async withRootfs<T>(rec: ContainerRecord, fn: (root: string) => Promise<T>): Promise<T> {
    const p = this.paths(rec.Id);
    if (isMountPoint(p.rootfs)) return fn(p.rootfs);
    if (!existsSync(p.upper)) throw new BerthError('not_found', `the file system of container ${rec.Id} is gone`);
    await mkdir(p.rootfs, { recursive: true });
    this.mountRootfs(rec, this.diffIDs(rec));
    try {
      return await fn(p.rootfs);
    } finally {
      if (!rec.State.Running) unmount(p.rootfs);
    }
  }

  statPath(rec: ContainerRecord, path: string): Promise<PathStat> {
    return this.withRootfs(rec, (root) => files.statInRoot(root, path, rec.Name.slice(1)));
  }

  async getArchive(rec: ContainerRecord, path: string): Promise<{ stat: PathStat; tar: ReadableStream<Uint8Array> }> {
    // The tar is streamed after this returns: a stopped container's rootfs stays mounted until it is done.
    const p = this.paths(rec.Id);
    const mounted = isMountPoint(p.rootfs);
    if (!mounted) { await mkdir(p.rootfs, { recursive: true }); this.mountRootfs(rec, this.diffIDs(rec)); }
    const release = () => { if (!mounted && !rec.State.Running) unmount(p.rootfs); };
    try {
      const stat = await files.statInRoot(p.rootfs, path, rec.Name.slice(1));
      return { stat, tar: files.archivePath(p.rootfs, path, release) };
    } catch (e) {
      release();
      throw e;
    }
  }

  putArchive(rec: ContainerRecord, path: string, tar: ReadableStream<Uint8Array>, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void> {
    return this.withRootfs(rec, (root) => files.extractInto(root, path, tar, { ...opts, container: rec.Name.slice(1) }));
  }

  changes(rec: ContainerRecord): Promise<Change[]> {
    const lowers = [...this.diffIDs(rec)].reverse().map((d) => this.opts.layerDir(d));
    return files.overlayChanges(this.paths(rec.Id).upper, lowers);
  }

  async export(rec: ContainerRecord): Promise<ReadableStream<Uint8Array>> {
    const p = this.paths(rec.Id);
    const mounted = isMountPoint(p.rootfs);
    if (!mounted) { await mkdir(p.rootfs, { recursive: true }); this.mountRootfs(rec, this.diffIDs(rec)); }
    return files.archiveTree(p.rootfs, '', () => { if (!mounted && !rec.State.Running) unmount(p.rootfs); });
  }

  async diffTar(rec: ContainerRecord): Promise<ReadableStream<Uint8Array>> {
    return files.upperAsLayer(this.paths(rec.Id).upper);
  }

  async size(rec: ContainerRecord): Promise<{ rw: number; rootFs: number }> {
    const rw = await files.treeSize(this.paths(rec.Id).upper);
    let lower = 0;
    for (const d of this.diffIDs(rec)) lower += await files.treeSize(this.opts.layerDir(d));
    return { rw, rootFs: rw + lower };
  }
}
