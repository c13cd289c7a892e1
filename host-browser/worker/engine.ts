// The engine of the browser host, assembled as berthd assembles it (host-linux/daemon/main.ts and
// containers.ts) but over the browser's services: stores in OPFS/IndexedDB (or memory), hash-wasm,
// Compression Streams, the worker's fetch, and the container runtimes of runtimes.ts.
import type { BlobStore } from '../../core/content/blob-store.ts';
import type { MetadataStore } from '../../core/metadata/kv.ts';
import type { Codecs, Fetch, HashFactory } from '../../core/host.ts';
import type { BuiltinImages } from '../../core/engine/builtin-images.ts';
import type { HostInfo } from '../../core/engine/system-info.ts';
import { ImageStore } from '../../core/metadata/image-store.ts';
import { ImageService } from '../../core/engine/image-service.ts';
import { Engine } from '../../core/engine/engine.ts';
import { EventBus } from '../../core/engine/events.ts';
import { ContainerService } from '../../core/engine/containers/service.ts';
import { guardSnapshotter } from '../../core/engine/containers/layers-in-use.ts';
import { restoreContainers } from '../../core/engine/containers/restore.ts';
import { PredefinedNetworks } from '../../core/engine/networks/predefined.ts';
import { NetworkService } from '../../core/engine/networks/service.ts';
import { ContainerNetworks } from '../../core/engine/networks/container-networks.ts';
import { createApi } from '../../core/api/api.ts';
import { RegistryConfig } from '../../core/config/registry-config.ts';
import { errorMessage } from '../../core/errors.ts';
import { LINUX_386 } from '../../core/image/platform.ts';
import { importBuiltinImages, type ImportLog } from '../../core/engine/builtin-import.ts';
import { LayerSnapshotter } from '../storage/layer-snapshotter.ts';
import { platformRuntime, type BrowserRuntimes } from './runtimes.ts';
import { browserBuilds } from './builds.ts';
import type { RuntimeContext } from './browser-runtimes.ts';

export const BROWSER_ENGINE_VERSION = '0.1.0';

/** The metadata the engine keeps, one store per kind of record (keys of different kinds never mix). */
export interface EngineMetadata {
  images: MetadataStore;
  containers: MetadataStore;
  layers: MetadataStore;
  /** The engine's own keys (its ID). */
  engine: MetadataStore;
}

export const METADATA_STORES: readonly (keyof EngineMetadata)[] = ['images', 'containers', 'layers', 'engine'];

export interface BrowserEngineServices {
  blobs: BlobStore;
  metadata: EngineMetadata;
  hash: HashFactory;
  codecs: Codecs;
  /** Registries must allow CORS for the page's origin. */
  fetch: Fetch;
  /**
   * The container runtimes, made once the engine's image service exists (they read layers through
   * it). The object may be filled in later (a guest that boots after the engine started).
   */
  runtimes: (ctx: RuntimeContext) => BrowserRuntimes;
  builtin?: BuiltinImages;
  insecureRegistries?: string[];
  /** What /info and /version say about the machine; the guest can tell its kernel. */
  host?: Partial<HostInfo>;
  /** Where the engine's log lines go (default: the console). */
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
  now?: () => Date;
}

export interface BrowserEngine {
  engine: Engine;
  /** The Engine API: answers once the built-in images are in the store. */
  handle(req: Request): Promise<Response>;
  /** The references of the built-in images imported at this start (none when they were there already). */
  ready: Promise<string[]>;
}

/** The built-in import's log over the engine's log function (its fields as JSON after the message). */
function importLog(out: NonNullable<BrowserEngineServices['log']>): ImportLog {
  return {
    info: (msg, fields) => out('info', fields && Object.keys(fields).length ? `${msg} ${JSON.stringify(fields)}` : msg),
    warn: (msg) => out('warn', msg),
  };
}

const consoleLog: NonNullable<BrowserEngineServices['log']> = (level, message) => {
  if (level !== 'debug') console[level](`berth: ${message}`);
};

async function engineId(kv: MetadataStore): Promise<string> {
  const have = await kv.get('id');
  if (have?.byteLength) return new TextDecoder().decode(have);
  const id = crypto.randomUUID();
  await kv.put('id', new TextEncoder().encode(id));
  return id;
}

function hostInfo(over: Partial<HostInfo> | undefined): () => Promise<HostInfo> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number; deviceMemory?: number; userAgent?: string } }).navigator;
  return async () => ({
    hostname: 'berth-browser',
    kernelVersion: '',
    operatingSystem: 'berth in the browser',
    osVersion: '',
    osType: 'linux',
    architecture: 'i686',
    ncpu: 1,
    memTotal: (nav?.deviceMemory ?? 0) * 2 ** 30,
    ...over,
  });
}

export async function assembleEngine(s: BrowserEngineServices): Promise<BrowserEngine> {
  const log = s.log ?? consoleLog;
  const events = new EventBus();
  const registry = new RegistryConfig({ insecure: s.insecureRegistries ?? [], mirrors: [] });
  const images = new ImageService({
    store: new ImageStore(s.metadata.images, s.blobs),
    blobs: s.blobs,
    snapshotter: new LayerSnapshotter(s.metadata.layers, s.hash),
    hash: s.hash,
    codecs: s.codecs,
    events,
    registry,
    fetch: s.fetch,
    // The guest is a 32-bit x86 machine; wasm-only images are chosen when that is all an index has.
    hostPlatform: LINUX_386,
    ...(s.builtin ? { builtin: s.builtin } : {}),
  });
  const engine = new Engine({
    id: await engineId(s.metadata.engine),
    version: BROWSER_ENGINE_VERSION,
    dataRoot: 'opfs:/berth',
    execRoot: 'worker:/berth',
    debug: false,
    registry,
    host: hostInfo(s.host),
    events,
    images,
    runtimeVersion: 'browser worker',
    ...(s.now ? { now: s.now } : {}),
  });
  // No network host here: the predefined networks only (the guest gives each container its own
  // namespace with loopback, or the VM's with `--network host`).
  const nets = new NetworkService({
    store: s.metadata.engine, events, predefined: await PredefinedNetworks.open(s.metadata.engine, events, log), log,
    ...(s.now ? { now: s.now } : {}),
  });
  await nets.load();
  const containers = new ContainerService({
    store: s.metadata.containers,
    networks: new ContainerNetworks(nets, { log }),
    runtime: platformRuntime(s.runtimes({ images })),
    images,
    events,
    ...(s.now ? { now: s.now } : {}),
    log,
  });
  engine.containers = containers;
  engine.containerCounts = async () => containers.counts();
  images.opts.inUse = (id) => containers.imageUser(id);
  images.opts.snapshotter = guardSnapshotter(images.opts.snapshotter, (diffID) => containers.layerInUse(diffID));
  await restoreContainers(containers);
  // RUN steps are containers of the guest (or the WASI runtime), like any other.
  engine.builds = browserBuilds(images);
  const api = createApi(engine);
  const ready = s.builtin
    ? importBuiltinImages(images, s.builtin, importLog(log)).catch((e) => { log('error', `built-in images: ${errorMessage(e)}`); return []; })
    : Promise.resolve([]);
  return {
    engine,
    ready,
    async handle(req) {
      await ready;
      return api.handle(req);
    },
  };
}
