// Wiring of the container service on Linux: records under the data root, the Linux runtime with
// berth-shim, the OCI spec from core/runtime-spec, cgroups when the host's manager is given.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventBus } from '../../core/engine/events.ts';
import type { MetadataStore } from '../../core/metadata/kv.ts';
import { PredefinedNetworks } from '../../core/engine/networks/predefined.ts';
import { NetworkService } from '../../core/engine/networks/service.ts';
import { ContainerNetworks } from '../../core/engine/networks/container-networks.ts';
import { HostPortAllocator } from '../../core/network/host-ports.ts';
import { nameservers } from '../../core/container/resolv-conf.ts';
import { linuxNetworkHost } from '../net/network-host.ts';
import { hostPortProbe } from '../net/port-proxy.ts';
import { hostResolvConf } from '../runtime/etc-files.ts';
import type { ImageService } from '../../core/engine/image-service.ts';
import { ContainerService } from '../../core/engine/containers/service.ts';
import { guardSnapshotter } from '../../core/engine/containers/layers-in-use.ts';
import { restoreContainers } from '../../core/engine/containers/restore.ts';
import { generateSpec } from '../../core/runtime-spec/spec.ts';
import type { ContainerConfig, HostConfig } from '../../core/engine/containers/types.ts';
import { ContainerRecordStore } from '../runtime/records.ts';
import { FsMetadataStore } from '../metadata/fs-kv.ts';
import { LinuxRuntime, type SpecInput } from '../runtime/linux-runtime.ts';
import type { CgroupPort } from '../runtime/cgroup-port.ts';
import { resolveInRoot } from '../runtime/rootfs-files.ts';
import type { Logger } from './log.ts';
import { cgroupManager } from '../cgroups/manager.ts';
import { detectCgroups } from '../cgroups/detect.ts';
import { sysInfo, validateResources } from '../cgroups/validate.ts';
import { hostCapabilities, hostRlimits } from '../runtime/host-facts.ts';
import { PlatformRuntime } from '../runtime/wasi-dispatch.ts';
import { wasiRuntime } from '../runtime/wasi-runtime.ts';
import { devicesAt, hostDevices, resolveDevice } from '../runtime/host-devices.ts';
import type { VolumeService } from '../../core/engine/volumes/service.ts';
import { prepareVolumes } from '../volumes/prepare.ts';
import { checkBindSources, createBindSources } from '../volumes/bind-sources.ts';
import { userMounts, type UserMount } from '../../core/runtime-spec/mounts.ts';

/** A file next to the sources (host-linux/daemon) or the bundle (dist/). */
function findBinary(name: string, env: string | undefined): string {
  if (env) return env;
  const here = dirname(fileURLToPath(import.meta.url));
  for (const rel of ['../runtime/build', '../host-linux/runtime/build']) {
    const p = resolve(here, rel, name);
    if (existsSync(p)) return p;
  }
  return resolve(here, '../runtime/build', name);
}

export interface ContainerWiring {
  dataRoot: string;
  execRoot: string;
  images: ImageService;
  events: EventBus;
  /** The daemon's metadata store: the predefined networks' IDs. */
  metadata: MetadataStore;
  layerDir: (diffID: string) => string;
  cgroups?: CgroupPort;
  cgroupVersion?: 1 | 2;
  log: Logger;
  /** The WASI runtime ended its idle spare worker: a moment to give memory back (the daemon's idle release). */
  spareEnded?: () => void;
  /** Named and anonymous volumes. */
  volumes?: VolumeService;
  /** The default bridge network's Linux bridge (`--bridge`; berth0 when not given). */
  bridge?: string;
  /** `--bip`: the default bridge's address and subnet. */
  bip?: string;
}

export function linuxSpec(cgroupVersion: 1 | 2, log?: Logger, volumes?: VolumeService) {
  const capabilities = hostCapabilities();
  const rlimits = hostRlimits();
  return async (input: SpecInput) => {
    const { rec } = input;
    const volumeMounts = (rec.Mounts ?? []).filter((m) => m.Type === 'volume');
    if (volumes) await prepareVolumes(rec, input.rootfs, volumes);
    await createBindSources(rec.HostConfig as HostConfig);
    const userDests = new Set(userMounts(rec.HostConfig as HostConfig).map((m) => m.Destination));
    const inheritedMounts: UserMount[] = (rec.Mounts ?? []).filter((m) => (m.Type === 'volume' || m.Type === 'bind') && !userDests.has(m.Destination))
      .map((m) => ({ ...m, origin: 'Binds' }));
    const result = await generateSpec({
      id: rec.Id,
      config: rec.Config as ContainerConfig,
      hostConfig: rec.HostConfig as HostConfig,
      rootfs: {
        readFile: async (path: string) => {
          try { return await readFile(await resolveInRoot(input.rootfs, path, true), 'utf8'); } catch { return null; }
        },
      },
      rootfsPath: input.rootfs,
      files: { hostname: input.hostnamePath, hosts: input.hostsPath, resolvConf: input.resolvConfPath },
      host: {
        arch: os.arch(), kernel: os.release(), cgroupVersion, hostname: os.hostname(),
        ...(capabilities ? { capabilities } : {}), ...(rlimits ? { rlimits } : {}),
        ...(rec.HostConfig.Privileged ? { devices: hostDevices() } : {}),
      },
      resolveDevice,
      lookupDevices: devicesAt,
      ...(input.initPath ? { initPath: input.initPath } : {}),
      cgroupParent: '/berth',
      ...(volumes ? {
        inheritedMounts,
        resolveVolume: (m: UserMount) => {
          const mp = volumeMounts.find((v) => v.Destination === m.Destination);
          if (!mp) throw new Error(`no volume recorded for ${m.Destination}: recreate the container`);
          return mp.Source;
        },
      } : {}),
    });
    // e.g. a --ulimit above the daemon's hard limit, lowered to it (no CAP_SYS_RESOURCE to raise it).
    for (const w of result.warnings) log?.warn(`container ${rec.Id.slice(0, 12)}: ${w}`);
    return result.spec;
  };
}

/**
 * The networks (records, bridges, isolation, DNS servers) made real before any container starts;
 * the embedded DNS servers forward to the host's resolvers as the daemon found them at start.
 */
async function linuxNetworks(w: ContainerWiring): Promise<ContainerNetworks> {
  const log = (level: 'info' | 'warn' | 'error', m: string) => w.log[level](m);
  const upstreams = nameservers(await hostResolvConf());
  const nets = new NetworkService({
    store: w.metadata, events: w.events, host: linuxNetworkHost(), log, upstreams: () => upstreams,
    ...(w.bridge ? { defaultBridge: w.bridge } : {}), ...(w.bip ? { defaultBridgeIp: w.bip } : {}),
    predefined: await PredefinedNetworks.open(w.metadata, w.events, log),
  });
  await nets.load();
  await nets.bringUp();
  return new ContainerNetworks(nets, { ports: new HostPortAllocator(hostPortProbe), hostResolvConf, log });
}

export async function startContainerService(w: ContainerWiring): Promise<ContainerService> {
  const layout = detectCgroups();
  const cgroups: CgroupPort = w.cgroups ?? cgroupManager(layout) as unknown as CgroupPort;
  const version = w.cgroupVersion ?? layout.version;
  const info = sysInfo(layout);
  const linux = new LinuxRuntime({
    dataRoot: w.dataRoot,
    execRoot: w.execRoot,
    shim: findBinary('berth-shim', process.env.BERTH_SHIM),
    init: findBinary('berth-init', process.env.BERTH_INIT),
    layerDir: w.layerDir,
    cgroups,
    spec: linuxSpec(version, w.log, w.volumes),
    host: { ncpu: info.numCpu, cgroupVersion: version, hostname: os.hostname() },
    checkMounts: checkBindSources,
    validateResources: (hc, opts) => {
      const v = validateResources(hc, info, opts);
      return { hostConfig: { ...hc, ...v.resources } as typeof hc, warnings: v.warnings };
    },
    log: (level, m) => w.log[level](m),
  });
  const networks = await linuxNetworks(w);
  const runtime = new PlatformRuntime(linux, wasiRuntime(w.images, (rec) => rec.LogPath || linux.paths(rec.Id).log, w.spareEnded));
  const svc = new ContainerService({
    store: new ContainerRecordStore(join(w.dataRoot, 'containers')),
    // Memory (tmpfs), not the data root: records a full data root cannot take wait here across a daemon restart.
    pendingStore: new FsMetadataStore(join(w.execRoot, 'pending-records')),
    runtime,
    images: w.images,
    events: w.events,
    networks,
    ...(w.volumes ? { volumes: w.volumes } : {}),
    log: (level, m) => w.log[level](m),
  });
  if (w.volumes) w.volumes.users = (name) => svc.volumeUsers(name);
  w.images.opts.inUse = (id) => svc.imageUser(id);
  w.images.opts.snapshotter = guardSnapshotter(w.images.opts.snapshotter, (diffID) => svc.layerInUse(diffID));
  await restoreContainers(svc);
  return svc;
}
