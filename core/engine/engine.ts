// The engine: the daemon's services (images, events, system) over the host's stores. The API
// router is a thin layer over this; a browser host builds the same Engine over its own stores.
import type { EventBus } from './events.ts';
import type { HostInfo, SystemInfo } from './system-info.ts';
import { goArch } from './system-info.ts';
import type { ImageService } from './image-service.ts';
import type { ContainerService } from './containers/service.ts';
import type { VolumeService } from './volumes/service.ts';
import { listContainers } from './containers/list.ts';
import type { RegistryConfig } from '../config/registry-config.ts';
import { registryInfo } from './registry-info.ts';
import type { BuildHost } from '../build/build-host.ts';
import type { BuildContextReceiver } from '../api/build.ts';
import { API_VERSION, MIN_API_VERSION } from '../api/version.ts';

export interface EngineOptions {
  /** Stable daemon ID (kept under the data root). */
  id: string;
  /** Version of berth itself. */
  version: string;
  gitCommit?: string;
  buildTime?: string;
  dataRoot: string;
  execRoot: string;
  debug: boolean;
  labels?: string[];
  registry: RegistryConfig;
  host: SystemInfo;
  events: EventBus;
  images: ImageService;
  /** Name of the runtime/host flavour shown in /version (`Node.js v20.x`). */
  runtimeVersion?: string;
  now?: () => Date;
}

export interface EngineBuilds {
  host: BuildHost;
  contexts: BuildContextReceiver;
  /** The platform of `FROM scratch` images built here. */
  platform: { os: string; architecture: string; variant?: string };
}

/** Counts the container part of the engine reports; zero until containers exist. */
export interface ContainerCounts { total: number; running: number; paused: number; stopped: number }

export class Engine {
  readonly events: EventBus;
  readonly images: ImageService;
  /** The container service, on hosts that run containers. */
  containers: ContainerService | undefined;
  /** The volume service, on hosts that keep volumes. */
  volumes: VolumeService | undefined;
  /** What `POST /build` needs of the host, on hosts that build. */
  builds: EngineBuilds | undefined;
  /** Set by the container service when it exists; /info reads it. */
  containerCounts: () => Promise<ContainerCounts> = async () => ({ total: 0, running: 0, paused: 0, stopped: 0 });
  private hostInfo: Promise<HostInfo> | undefined;

  constructor(readonly options: EngineOptions) {
    this.events = options.events;
    this.images = options.images;
  }

  now(): Date { return (this.options.now ?? (() => new Date()))(); }

  /** The host facts do not change while the daemon runs: read once, when first asked. */
  host(): Promise<HostInfo> {
    this.hostInfo ??= this.options.host();
    return this.hostInfo;
  }

  async version(): Promise<Record<string, unknown>> {
    const h = await this.host();
    const o = this.options;
    return {
      Platform: { Name: `berth ${o.version}` },
      Components: [{
        Name: 'Engine',
        Version: o.version,
        Details: {
          ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, GitCommit: o.gitCommit ?? '', GoVersion: o.runtimeVersion ?? '',
          Os: h.osType, Arch: goArch(h.architecture), KernelVersion: h.kernelVersion, Experimental: 'false', BuildTime: o.buildTime ?? '',
        },
      }],
      Version: o.version,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: o.gitCommit ?? '',
      GoVersion: o.runtimeVersion ?? '',
      Os: h.osType,
      Arch: goArch(h.architecture),
      KernelVersion: h.kernelVersion,
      BuildTime: o.buildTime ?? '',
    };
  }

  /** GET /system/df; `types` narrows it (`image`, `container`, `volume`, `build-cache`). */
  async df(types?: string[]): Promise<Record<string, unknown>> {
    const want = (t: string) => !types || types.includes(t);
    const out: Record<string, unknown> = {};
    const svc = this.containers;
    if (want('image')) {
      // An image's Containers is how many containers use it: `system df` counts those images active.
      const users = new Map<string, number>();
      for (const c of svc?.containers.values() ?? []) users.set(c.rec.Image, (users.get(c.rec.Image) ?? 0) + 1);
      Object.assign(out, await this.images.diskUsage((id) => users.get(id) ?? 0));
    }
    if (want('container')) out.Containers = svc ? await listContainers(svc, { all: true, limit: -1, size: true, filters: new Map() }) : [];
    if (want('volume')) out.Volumes = this.volumes ? await this.volumes.diskUsage() : [];
    if (want('build-cache')) out.BuildCache = [];
    return out;
  }

  async info(): Promise<Record<string, unknown>> {
    const [h, containers, images] = await Promise.all([this.host(), this.containerCounts(), this.images.count()]);
    const o = this.options;
    return {
      ID: o.id,
      Containers: containers.total,
      ContainersRunning: containers.running,
      ContainersPaused: containers.paused,
      ContainersStopped: containers.stopped,
      Images: images,
      Driver: 'overlay2',
      DriverStatus: [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true'], ['Using metacopy', 'false'], ['Native Overlay Diff', 'true'], ['userxattr', 'false']],
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file', 'local'] },
      MemoryLimit: true,
      SwapLimit: true,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: true,
      BridgeNfIptables: false,
      BridgeNfIp6tables: false,
      Debug: o.debug,
      NFd: h.nfd ?? 0,
      OomKillDisable: false,
      NGoroutines: 0,
      SystemTime: this.now().toISOString(),
      LoggingDriver: 'json-file',
      CgroupDriver: h.cgroupDriver ?? 'cgroupfs',
      CgroupVersion: h.cgroupVersion ?? '2',
      NEventsListener: this.events.listenerCount,
      KernelVersion: h.kernelVersion,
      OperatingSystem: h.operatingSystem,
      OSVersion: h.osVersion,
      OSType: h.osType,
      Architecture: h.architecture,
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: registryInfo(o.registry),
      NCPU: h.ncpu,
      MemTotal: h.memTotal,
      GenericResources: null,
      DockerRootDir: o.dataRoot,
      HttpProxy: h.httpProxy ?? '',
      HttpsProxy: h.httpsProxy ?? '',
      NoProxy: h.noProxy ?? '',
      Name: h.hostname,
      Labels: o.labels ?? [],
      ExperimentalBuild: false,
      ServerVersion: o.version,
      Runtimes: { runc: { path: 'runc' } },
      DefaultRuntime: 'runc',
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: false,
      Isolation: '',
      InitBinary: 'docker-init',
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: '' },
      InitCommit: { ID: '' },
      SecurityOptions: ['name=seccomp,profile=builtin', `name=cgroupns`],
      CDISpecDirs: [],
      Warnings: null,
    };
  }
}
