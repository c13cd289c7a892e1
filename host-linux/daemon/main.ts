// berthd: the daemon. Serves the Docker Engine API on unix sockets (and TCP when asked) over the
// engine, with dockerd's flags, daemon.json, pidfile and log lines.
import { existsSync } from 'node:fs';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { ensureDirectory } from '../registry/ensure-directory.ts';
import { resolveHost } from '../registry/resolve-host.ts';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { FlagError, parseDaemonFlags, usage, type DaemonFlags } from './flags.ts';
import { createLogger, type LogLevel, type Logger } from './log.ts';
import { writePidfile } from './pidfile.ts';
import { linuxHostInfo } from './host-info.ts';
import { builtinLayout } from './builtin-layout.ts';
import { blockedFetch } from './blocked-fetch.ts';
import { linuxBuilds } from '../build/builds.ts';
import { loggedHandler } from './api-log.ts';
import { idleGc } from './idle-gc.ts';
import { tuneMemory } from './memory.ts';
import { daemonBuildTime } from './build-info.ts';
import { checkoutCommit } from '../build-info.ts';
import { importBuiltinImages } from '../../core/engine/builtin-import.ts';
import { startContainerService } from './containers.ts';
import { VolumeService } from '../../core/engine/volumes/service.ts';
import { localVolumeHost } from '../volumes/local-driver.ts';
import { serverTls } from './tls.ts';
import { serve, type Served } from '../http/serve.ts';
import { nodeCodecs, nodeHash } from '../services.ts';
import { FsBlobStore } from '../content/fs-blob-store.ts';
import { FsMetadataStore } from '../metadata/fs-kv.ts';
import { FsSnapshotter } from '../snapshot/fs-snapshotter.ts';
import { ImageStore } from '../../core/metadata/image-store.ts';
import type { MetadataStore } from '../../core/metadata/kv.ts';
import { ImageService } from '../../core/engine/image-service.ts';
import { Engine } from '../../core/engine/engine.ts';
import { EventBus } from '../../core/engine/events.ts';
import { goArch, goVariant } from '../../core/engine/system-info.ts';
import { createApi } from '../../core/api/api.ts';
import {
  DEFAULT_DAEMON_CONFIG, mergeDaemonConfig, parseDaemonConfigFile, registryConfigOf, type DaemonConfig, type DaemonSettings,
} from '../../core/config/daemon-config.ts';
import { errorMessage } from '../../core/errors.ts';
import { errorText, isStorageFailure } from '../../core/system-error.ts';

export const VERSION = '0.1.0';

const DEFAULTS: DaemonConfig = {
  ...DEFAULT_DAEMON_CONFIG,
  dataRoot: '/var/lib/berth',
  execRoot: '/run/berth',
  hosts: ['unix:///run/berth/berth.sock'],
  pidfile: '/run/berth/berthd.pid',
};
const DEFAULT_CONFIG_FILE = '/etc/berth/daemon.json';

/** build/images next to the bundle (dist/berthd.mjs) or the sources (host-linux/daemon/main.ts). */
function defaultBuiltinImages(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const rel of ['../build/images', '../../build/images']) {
    const p = resolve(here, rel);
    if (existsSync(join(p, 'index.json'))) return p;
  }
  return undefined;
}

function flagSettings(f: DaemonFlags): DaemonSettings {
  const s: DaemonSettings = {};
  if (f.hosts.length) s.hosts = f.hosts;
  if (f.dataRoot !== undefined) s['data-root'] = f.dataRoot;
  if (f.execRoot !== undefined) s['exec-root'] = f.execRoot;
  if (f.pidfile !== undefined) s.pidfile = f.pidfile;
  if (f.insecureRegistries.length) s['insecure-registries'] = f.insecureRegistries;
  if (f.registryMirrors.length) s['registry-mirrors'] = f.registryMirrors;
  if (f.logLevel !== undefined) s['log-level'] = f.logLevel;
  if (f.debug !== undefined) s.debug = f.debug;
  if (f.bridge !== undefined) s.bridge = f.bridge;
  if (f.bip !== undefined) s.bip = f.bip;
  return s;
}

async function loadConfig(flags: DaemonFlags): Promise<{ config: DaemonConfig; warnings: string[] }> {
  const path = flags.configFile ?? DEFAULT_CONFIG_FILE;
  let file: DaemonSettings = {};
  try {
    file = parseDaemonConfigFile(await readFile(path, 'utf8'), path);
  } catch (e) {
    // The default file is optional; one named with --config-file must exist.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    if (flags.configFile !== undefined) throw new Error(`unable to configure the daemon with file ${path}: open ${path}: no such file or directory`);
  }
  return mergeDaemonConfig(file, flagSettings(flags), { defaults: DEFAULTS, path });
}

async function engineId(dataRoot: string, log: Logger): Promise<string> {
  const path = join(dataRoot, 'engine-id');
  try {
    const id = (await readFile(path, 'utf8')).trim();
    if (id) return id;
  } catch { /* first start */ }
  const id = randomUUID();
  try {
    await writeFile(path, id + '\n');
  } catch (e) {
    // A full disk must not keep the daemon from starting; the ID is kept once it can be written.
    if (!isStorageFailure(e)) throw e;
    await unlink(path).catch(() => {});
    log.warn(`cannot record the engine ID: ${errorText(e)}; using ${id} until the disk allows`);
  }
  return id;
}

export async function main(argv: string[]): Promise<number> {
  let flags: DaemonFlags;
  try {
    flags = parseDaemonFlags(argv);
  } catch (e) {
    if (e instanceof FlagError) { process.stderr.write(`${e.message}\n`); return 1; }
    throw e;
  }
  if (flags.help) { process.stdout.write(usage()); return 0; }
  if (flags.version) { process.stdout.write(`berthd version ${VERSION}\n`); return 0; }

  let config: DaemonConfig;
  let warnings: string[];
  try {
    ({ config, warnings } = await loadConfig(flags));
  } catch (e) {
    process.stderr.write(`${errorMessage(e)}\n`);
    return 1;
  }
  const level: LogLevel = config.debug ? 'debug' : (['trace'].includes(config.logLevel) ? 'debug' : ['panic'].includes(config.logLevel) ? 'fatal' : config.logLevel as LogLevel);
  const log = createLogger(level);
  // One request's bug must not take every container's daemon down with it.
  process.on('unhandledRejection', (e) => log.error(`unhandled rejection: ${errorMessage(e)}`, { stack: (e as Error)?.stack ?? '' }));
  process.on('uncaughtException', (e) => log.error(`uncaught exception: ${errorMessage(e)}`, { stack: e.stack ?? '' }));
  for (const w of warnings) log.warn(w);
  log.info(`Starting up`);

  let releasePid: (() => Promise<void>) | undefined;
  const servers: Served[] = [];
  let engine: Engine | undefined;
  try {
    releasePid = await writePidfile(config.pidfile, (m) => log.warn(m));
    await ensureDirectory(config.dataRoot, 0o710);
    await ensureDirectory(config.execRoot, 0o700);
    let metadata: MetadataStore;
    ({ engine, metadata } = await buildEngine(config, flags, log));
    const images = engine.images;
    const gc = idleGc();
    engine.volumes = new VolumeService({ store: metadata, host: localVolumeHost(config.dataRoot), events: engine.events, log: (level, m) => log[level](m) });
    await engine.volumes.load();
    engine.containers = await startContainerService({
      dataRoot: config.dataRoot, execRoot: config.execRoot, images: engine.images, events: engine.events, log, metadata, volumes: engine.volumes,
      bridge: config.bridge, bip: config.bip,
      layerDir: (d) => images.opts.layerDir?.(d) ?? '',
      // A wasm container's spare worker is ended 60 s after the last one, long after the idle release.
      spareEnded: gc.poke,
    });
    const containers = engine.containers;
    engine.builds = await linuxBuilds(config.dataRoot, images);
    engine.containerCounts = async () => containers.counts();
    const api = createApi(engine);
    const handle = gc.wrap(loggedHandler(api.handle, log, gc.now));
    const tls = await serverTls(flags, config.hosts);
    for (const host of config.hosts) {
      if (!host.startsWith('unix://') && !host.startsWith('tcp://')) throw new Error(`berthd cannot listen on ${host}: only unix:// and tcp:// hosts are supported`);
      if (host.startsWith('unix://')) await mkdir(dirname(host.slice(7)), { recursive: true });
      servers.push(await serve(handle, {
        address: host,
        socketMode: 0o660,
        ...(host.startsWith('tcp://') && tls ? { tls } : {}),
        headers: { server: `berth/${VERSION} (linux)` },
      }));
      log.info(`API listen on ${host.replace(/^unix:\/\//, '').replace(/^tcp:\/\//, '')}`);
    }
    log.info('Daemon has completed initialization');
    engine.events.publish('daemon', 'reload', engine.options.id, { name: os.hostname() });
    // After the sockets are up, in the background: the API answers at once, and images appear
    // when they are ready.
    const builtin = engine.images.opts.builtin;
    if (builtin) void importBuiltinImages(engine.images, builtin, log).finally(gc.poke);
    else gc.poke();
  } catch (e) {
    log.error(`failed to start daemon: ${errorMessage(e)}`);
    for (const s of servers) await s.close();
    await releasePid?.();
    return 1;
  }

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`Processing signal '${signal}'`);
      // Containers outlive the daemon (their shims keep them); none may be restarted or removed now.
      if (engine?.containers) engine.containers.shuttingDown = true;
      void (async () => {
        await Promise.all(servers.map((s) => s.close()));
        // Records a full disk held back get one more try; the next start reconciles the rest.
        await engine?.containers?.flushRecords();
        // Bridges no running container uses go; the next start makes them again.
        await engine?.containers?.opts.networks?.nets.shutdown();
        for (const h of config.hosts) if (h.startsWith('unix://')) await unlink(h.slice(7)).catch(() => {});
        await releasePid?.();
        log.info('Daemon shutdown complete');
        resolveExit(0);
      })();
    };
    process.once('SIGTERM', () => stop('terminated'));
    process.once('SIGINT', () => stop('interrupt'));
  });
}

async function buildEngine(config: DaemonConfig, flags: DaemonFlags, log: Logger): Promise<{ engine: Engine; metadata: MetadataStore }> {
  const root = config.dataRoot;
  const [blobs, kv] = await Promise.all([
    FsBlobStore.open(join(root, 'content'), nodeHash),
    FsMetadataStore.open(join(root, 'metadata')),
  ]);
  const snapshotter = new FsSnapshotter(join(root, 'snapshots'), nodeHash, { onWarning: (m) => log.warn(m) });
  const store = new ImageStore(kv, blobs);
  const events = new EventBus();
  const builtinDir = flags.builtinImages ?? defaultBuiltinImages();
  const builtinUsable = builtinDir !== undefined && existsSync(join(builtinDir, 'index.json'));
  if (!builtinUsable) log.info(`no built-in images${builtinDir ? ` in ${builtinDir}` : ''}: offline pulls of busybox and hello-world are unavailable`);
  const variant = goVariant(os.machine());
  const images = new ImageService({
    store, blobs, snapshotter, hash: nodeHash, codecs: nodeCodecs,
    events,
    registry: registryConfigOf(config),
    fetch: blockedFetch(globalThis.fetch, (process.env.BERTH_BLOCK_HOSTS ?? '').split(',')),
    resolveHost,
    hostPlatform: { os: 'linux', architecture: goArch(os.machine()), ...(variant ? { variant } : {}) },
    ...(builtinUsable ? { builtin: builtinLayout(builtinDir, nodeHash) } : {}),
    layerDir: (diffID) => snapshotter.path(diffID),
    userAgent: `berth/${VERSION}`,
  });
  const engine = new Engine({
    id: await engineId(root, log),
    version: VERSION,
    gitCommit: checkoutCommit(),
    buildTime: daemonBuildTime(),
    dataRoot: root,
    execRoot: config.execRoot,
    debug: config.debug,
    registry: registryConfigOf(config),
    host: linuxHostInfo,
    events,
    images,
    runtimeVersion: `node${process.versions.node}`,
  });
  return { engine, metadata: kv };
}

const isMain = process.argv[1] !== undefined && /(?:daemon[/\\]main\.ts|berthd(?:\.mjs)?)$/.test(process.argv[1]);
if (isMain) {
  tuneMemory();
  main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
    process.stderr.write(`berthd: ${errorMessage(e)}\n`);
    process.exit(1);
  });
}
