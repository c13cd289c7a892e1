// core's ContainerRuntime over the v86 guest's agent: layers are pushed into the guest once per
// diffID (through 9p), each container is an overlayfs + namespaces + cgroup in the guest, and an
// exec joins them. The container's files live only in the guest: docker cp, diff, commit and export
// go through the 9p share. No `node:` imports: the browser worker bundles this.
import type {
  Change, ContainerImage, ContainerRuntime, ContainerTask, ExecProcess, ExitStatus, LogEntry, LogReadOptions, PathStat, ProcessTask, RuntimeHost, StdioOptions,
} from '../../core/engine/containers/runtime.ts';
import type { ContainerRecord, HostConfig } from '../../core/engine/containers/types.ts';
import { containerEnv } from '../../core/runtime-spec/process.ts';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, INIT_PATH_IN_CONTAINER } from '../../core/runtime-spec/spec.ts';
import { userMounts } from '../../core/runtime-spec/mounts.ts';
import { BerthError } from '../../core/errors.ts';
import { collect } from '../../core/content/ingest.ts';
import type { GuestVM } from '../vm/guest-vm.ts';
import { AgentError, type AgentChannel } from '../vm/channel.ts';
import { GuestContainer, GuestProcess } from './guest-task.ts';
import { GuestLog } from './guest-log.ts';
import type { LayerSource } from './layer-source.ts';

export interface GuestRuntimeOptions {
  /** The running guest, or how to get it (booted or restored on first use). */
  vm: GuestVM | (() => Promise<GuestVM>);
  layers: LayerSource;
  host?: RuntimeHost;
}

const HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';

/** The agent's texts for a failed exec are runc's: core maps them to 126/127 as for berth-shim. */
function agentError(e: unknown): Error {
  return e instanceof AgentError ? new BerthError('internal', e.message, { cause: e }) : e as Error;
}

export class GuestRuntime implements ContainerRuntime {
  private vmPromise: Promise<GuestVM> | undefined;
  private readonly pushing = new Map<string, Promise<void>>();
  private readonly cids = new Map<string, number>();
  private readonly logs = new Map<string, GuestLog>();
  private nextCid = 1;
  /** Host numbers on the guest's bridge 172.17.0.0/16 in use, by container. */
  private readonly addresses = new Map<string, number>();

  constructor(private readonly opts: GuestRuntimeOptions) {}

  get host(): RuntimeHost { return this.opts.host ?? { ncpu: 1, cgroupVersion: 2, hostname: 'berth-guest' }; }

  /** The guest, booting it on first use. */
  async vm(): Promise<GuestVM> {
    const v = this.opts.vm;
    const had = this.vmPromise;
    // A guest that crashed took its containers with it: ask for the guest again (the keeper boots a new one).
    if (had && typeof v === 'function' && (await had.catch(() => undefined))?.channel.failed && this.vmPromise === had) this.vmPromise = undefined;
    this.vmPromise ??= typeof v === 'function' ? v() : Promise.resolve(v);
    return this.vmPromise;
  }

  validateResources(hc: HostConfig): { hostConfig: HostConfig; warnings: string[] } {
    const warnings: string[] = [];
    const out = { ...hc };
    for (const k of ['NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota'] as const) {
      if (out[k]) { delete out[k]; warnings.push(`The browser guest does not limit CPU (${k}): the limit is discarded.`); }
    }
    if (out.CpusetCpus) { delete out.CpusetCpus; warnings.push('The browser guest has one CPU: --cpuset-cpus is discarded.'); }
    return { hostConfig: out, warnings };
  }

  /**
   * Docker's default bridge in the guest: an address of 172.17.0.0/16 (gateway .0.1) shown in the
   * record's NetworkSettings as dockerd shows it; none for --network none or host (loopback only).
   */
  private attachNetwork(rec: ContainerRecord): { ip: string; prefix: number; gateway: string } | undefined {
    const mode = rec.HostConfig.NetworkMode || 'default';
    if (mode !== 'default' && mode !== 'bridge') return undefined;
    const used = new Set(this.addresses.values());
    let n = this.addresses.get(rec.Id) ?? 2;
    if (!this.addresses.has(rec.Id)) while (used.has(n)) n++;
    if (n > 65534) throw new BerthError('unavailable', 'the browser guest\'s bridge network has no free address');
    this.addresses.set(rec.Id, n);
    const ip = `172.17.${n >> 8}.${n & 255}`;
    const mac = `02:42:ac:11:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`;
    const endpoint = { Gateway: '172.17.0.1', IPAddress: ip, IPPrefixLen: 16, MacAddress: mac };
    const ns = rec.NetworkSettings as Record<string, unknown> & { Networks?: Record<string, Record<string, unknown>> };
    Object.assign(ns, endpoint, { Bridge: 'berth0' });
    if (ns.Networks?.bridge) Object.assign(ns.Networks.bridge, endpoint);
    return { ip, prefix: 16, gateway: '172.17.0.1' };
  }

  private detachNetwork(rec: ContainerRecord): void {
    if (!this.addresses.delete(rec.Id)) return;
    const cleared = { Gateway: '', IPAddress: '', IPPrefixLen: 0, MacAddress: '' };
    const ns = rec.NetworkSettings as Record<string, unknown> & { Networks?: Record<string, Record<string, unknown>> };
    Object.assign(ns, cleared);
    if (ns.Networks?.bridge) Object.assign(ns.Networks.bridge, cleared);
  }

  /** Volumes (directories of the guest) and tmpfs mounts; a page has no host files to bind. */
  private mounts(rec: ContainerRecord): Record<string, unknown>[] {
    return userMounts(rec.HostConfig).map((m, i) => {
      if (m.Type === 'bind') {
        throw new BerthError('unsupported', `bind mounts are not supported in the browser guest (a page has no host files to share): ${m.Source}:${m.Destination}; use a named volume (-v NAME:${m.Destination})`);
      }
      return m.Type === 'volume'
        ? { type: 'volume', name: m.Name || m.Source || `${rec.Id.slice(0, 12)}-anonymous-${i}`, destination: m.Destination, readonly: !m.RW }
        : { type: 'tmpfs', destination: m.Destination, readonly: !m.RW, data: m.data ?? '' };
    });
  }

  async prepare(rec: ContainerRecord, _image: ContainerImage): Promise<Pick<ContainerRecord, 'ResolvConfPath' | 'HostnamePath' | 'HostsPath' | 'LogPath'>> {
    this.mounts(rec); // a bind mount fails `docker create`, not the start
    // The files are written into the container's rootfs in the guest at create: no host paths.
    return { ResolvConfPath: '', HostnamePath: '', HostsPath: '', LogPath: '' };
  }

  /**
   * Puts the layer into the guest unless it is there (once, even for concurrent creates). Layers
   * pushed before `GuestVM.saveState` are in every guest restored from that state.
   */
  pushLayer(diffID: string, image: ContainerImage): Promise<void> {
    let p = this.pushing.get(diffID);
    if (!p) {
      p = (async () => {
        const vm = await this.vm();
        const have = await vm.channel.request('layer', { diffID });
        if (have.present === true) return;
        const bytes = await collect(await this.opts.layers.open(diffID, image));
        const name = `layer-${diffID.replace(/^sha256:/, '')}`;
        await vm.putFile(name, bytes);
        await vm.channel.request('layer', { diffID, path: name });
      })();
      this.pushing.set(diffID, p);
      p.catch(() => this.pushing.delete(diffID));
    }
    return p;
  }

  async create(rec: ContainerRecord, image: ContainerImage, stdio: StdioOptions): Promise<ContainerTask> {
    const vm = await this.vm();
    if (!image.diffIDs.length) throw new BerthError('invalid_argument', `the image of container ${rec.Id} has no layers`);
    for (const d of image.diffIDs) await this.pushLayer(d, image);
    const old = this.cids.get(rec.Id);
    if (old !== undefined) await vm.channel.request('release', { cid: old }).catch(() => {});
    const cid = this.nextCid++;
    this.cids.set(rec.Id, cid);
    const cfg = rec.Config;
    const hostname = cfg.Hostname ?? rec.Id.slice(0, 12);
    const [rows, cols] = rec.HostConfig.ConsoleSize ?? [0, 0];
    const hc = rec.HostConfig;
    const privileged = !!hc.Privileged;
    const mounts = this.mounts(rec);
    let log = this.logs.get(rec.Id);
    if (!log) { log = new GuestLog(); this.logs.set(rec.Id, log); }
    try {
      const r = await vm.channel.request('create', {
        cid, name: rec.Id, layers: image.diffIDs, env: containerEnv(cfg, hostname),
        // --init: the guest's berth-init as PID 1, as docker-init, reaping and passing signals on
        args: hc.Init ? [INIT_PATH_IN_CONTAINER, '--', rec.Path, ...rec.Args] : [rec.Path, ...rec.Args], init: !!hc.Init,
        cwd: cfg.WorkingDir || '/', user: cfg.User ?? '', hostname, tty: stdio.tty, stdin: stdio.stdin, rows, cols,
        memory: hc.Memory ?? 0, pidsLimit: hc.PidsLimit ?? 0, readonly: !!hc.ReadonlyRootfs,
        maskedPaths: privileged ? [] : (hc.MaskedPaths as string[] | undefined) ?? DEFAULT_MASKED_PATHS,
        readonlyPaths: privileged ? [] : (hc.ReadonlyPaths as string[] | undefined) ?? DEFAULT_READONLY_PATHS, mounts,
        network: this.attachNetwork(rec),
        files: { '/etc/hostname': `${hostname}\n`, '/etc/hosts': `${HOSTS}`, '/etc/resolv.conf': 'nameserver 127.0.0.1\n' },
      });
      return new GuestContainer(vm.channel, cid, Number(r.pid), stdio, log, (_execId, p) => this.exec(vm, cid, rec, p));
    } catch (e) {
      throw agentError(e);
    }
  }

  /** A process in the running container's namespaces and cgroup (docker exec). */
  private async exec(vm: GuestVM, parent: number, rec: ContainerRecord, p: ExecProcess): Promise<ProcessTask> {
    const cid = this.nextCid++;
    const [rows, cols] = p.consoleSize ?? [0, 0];
    try {
      const r = await vm.channel.request('exec', {
        cid, parent, args: p.args, env: containerEnv({ Env: p.env, Tty: p.tty }, rec.Config.Hostname ?? ''), cwd: p.cwd || '/',
        user: p.user, tty: p.tty, stdin: p.stdin, rows, cols,
      });
      const task = new GuestProcess(vm.channel, cid, Number(r.pid), { stdin: p.stdin, stdinOnce: false, tty: p.tty });
      // The exec is forgotten in the guest once it ended (the engine keeps its exit code).
      void task.wait().then(() => vm.channel.request('release', { cid })).catch(() => {});
      return task;
    } catch (e) {
      throw agentError(e);
    }
  }

  async reconnect(): Promise<ExitStatus> {
    // A page reload starts a new guest: containers of the last one are gone.
    return { exitCode: 255, oomKilled: false, finishedAt: new Date().toISOString(), error: 'the browser guest was restarted' };
  }

  /** The running guest's channel for clean-up: none when it never booted or is gone (nothing left to clean). */
  private async liveChannel(): Promise<AgentChannel | undefined> {
    if (!this.vmPromise) return undefined;
    const vm = await this.vmPromise.catch(() => undefined);
    return vm && !vm.channel.failed ? vm.channel : undefined;
  }

  async cleanup(rec: ContainerRecord): Promise<void> {
    this.detachNetwork(rec);
    const cid = this.cids.get(rec.Id);
    if (cid === undefined) return;
    this.cids.delete(rec.Id);
    await (await this.liveChannel())?.request('release', { cid });
  }

  async remove(rec: ContainerRecord): Promise<void> {
    await this.cleanup(rec);
    await (await this.liveChannel())?.request('remove', { name: rec.Id });
    this.logs.delete(rec.Id);
  }

  readLogs(rec: ContainerRecord, opts: LogReadOptions): AsyncIterable<LogEntry> {
    return (this.logs.get(rec.Id) ?? new GuestLog()).read(opts);
  }

  async statPath(rec: ContainerRecord, path: string): Promise<PathStat> {
    const r = await (await this.vm()).channel.request('stat', { ...this.files(rec), path }).catch((e) => {
      if (e instanceof AgentError && e.message.startsWith('not found')) throw new BerthError('not_found', `Could not find the file ${path} in container ${rec.Name.slice(1)}`);
      throw agentError(e);
    });
    const name = path.replace(/\/+$/, '').split('/').pop() || '/';
    return { name, size: Number(r.size), mode: Number(r.mode), mtime: new Date(Number(r.mtime) * 1000).toISOString(), linkTarget: String(r.linkTarget ?? '') };
  }

  async getArchive(rec: ContainerRecord, path: string): Promise<{ stat: PathStat; tar: ReadableStream<Uint8Array> }> {
    const stat = await this.statPath(rec, path);
    return { stat, tar: await this.archive(rec, 'get', { path }) };
  }

  async putArchive(rec: ContainerRecord, path: string, tar: ReadableStream<Uint8Array>, _opts?: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void> {
    let st = await this.statPath(rec, path);
    if (st.linkTarget) st = await this.statPath(rec, st.linkTarget);
    if (!(st.mode & 0x80000000)) throw new BerthError('invalid_argument', 'extraction point is not a directory');
    const vm = await this.vm();
    const src = `put-${rec.Id.slice(0, 12)}-${this.nextCid++}.tar`;
    try {
      await vm.putFile(src, await collect(tar));
      await vm.channel.request('put', { ...this.files(rec), path, out: src });
    } catch (e) {
      throw agentError(e);
    } finally {
      await vm.channel.request('unshare', { out: src }).catch(() => {});
    }
  }

  /** The request for a container's files; it may be stopped (the guest mounts its rootfs for the call). */
  private files(rec: ContainerRecord): { name: string; layers: string[] } {
    return { name: rec.Id, layers: rec.LayerDiffIDs ?? [] };
  }

  async changes(rec: ContainerRecord): Promise<Change[]> {
    const r = await (await this.vm()).channel.request('changes', this.files(rec)).catch((e) => { throw agentError(e); });
    return (r.changes as { path: string; kind: 0 | 1 | 2 }[]).map((c) => ({ Path: c.path, Kind: c.kind }))
      .sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
  }

  /** A tar the agent writes into the 9p share, read back and removed there. */
  private async archive(rec: ContainerRecord, op: 'export' | 'diff-tar' | 'get', extra: Record<string, unknown> = {}): Promise<ReadableStream<Uint8Array>> {
    const vm = await this.vm();
    const out = `${op}-${rec.Id.slice(0, 12)}-${this.nextCid++}.tar`;
    try {
      await vm.channel.request(op, { ...this.files(rec), ...extra, out });
      const bytes = await vm.readFile(out);
      return new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
    } catch (e) {
      throw agentError(e);
    } finally {
      await vm.channel.request('unshare', { out }).catch(() => {});
    }
  }

  export(rec: ContainerRecord): Promise<ReadableStream<Uint8Array>> { return this.archive(rec, 'export'); }
  /** The upper dir with overlay whiteouts turned into OCI `.wh.` entries (docker commit). */
  diffTar(rec: ContainerRecord): Promise<ReadableStream<Uint8Array>> { return this.archive(rec, 'diff-tar'); }

  async size(rec: ContainerRecord): Promise<{ rw: number; rootFs: number }> {
    if (!this.vmPromise) return { rw: 0, rootFs: 0 };
    const r = await (await this.vm()).channel.request('size', this.files(rec)).catch(() => ({ rw: 0, rootFs: 0 }));
    return { rw: Number(r.rw), rootFs: Number(r.rootFs) };
  }
}
