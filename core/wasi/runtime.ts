// The ContainerRuntime for wasi/wasm images, shared by both hosts: the container's process is
// its entrypoint module (argv[0] is the module's path in the image) run in a worker of its own,
// with the image's root filesystem preopened as `/` in memory. A host gives it a way to start
// workers, the image's layer tars and a place for logs.
import { BerthError, errorMessage } from '../errors.ts';
import type {
  Change, ContainerImage, ContainerRuntime, ContainerTask, ExitStatus, LogEntry, LogReadOptions, PathStat, RuntimeHost, StdioOptions,
} from '../engine/containers/runtime.ts';
import type { ContainerRecord, HostConfig } from '../engine/containers/types.ts';
import { containerEnv } from '../runtime-spec/process.ts';
import { capMemory } from './memory-limit.ts';
import type { SpawnWorker } from './protocol.ts';
import { rootfsFile, rootfsFromLayers, type RootfsImage } from './rootfs.ts';
import { WasiTask, unsupported } from './task.ts';
import type { WasiLogs } from './logs.ts';
import { SPARE_IDLE_MS, WorkerPool } from './worker-pool.ts';

/** Whether a container's platform (its image's os, ContainerRecord.Platform) is one a WASI runtime runs. */
export function isWasiPlatform(os: string | undefined): boolean {
  // Go names WASI preview 1 `wasip1`; Docker's wasm images say `wasi`.
  return os === 'wasi' || os === 'wasip1';
}

export interface WasiRuntimeOptions {
  spawnWorker: SpawnWorker;
  /** The image's layers as uncompressed tars, lowest first. */
  layers(image: ContainerImage): Promise<Iterable<ReadableStream<Uint8Array>> | AsyncIterable<ReadableStream<Uint8Array>>>;
  logs: WasiLogs;
  host?: RuntimeHost;
  now?: () => Date;
  /** The idle spare worker was ended (WorkerPool's `spareEnded`). */
  spareEnded?: () => void;
}

/** What a module's files may grow by in memory without `-m` (with it: the limit). */
export const DEFAULT_FILE_BYTES = 256 * 1024 * 1024;

/** Root filesystems and compiled modules kept for the next container of the same image. */
const CACHE_IMAGES = 8;

function remember<K, V>(cache: Map<K, V>, key: K, value: V): V {
  cache.delete(key);
  cache.set(key, value);
  while (cache.size > CACHE_IMAGES) cache.delete(cache.keys().next().value as K);
  return value;
}

/** `--ulimit cpu=N`: N seconds, which a module (one thread, busy or blocked) gets as wall time. */
function timeLimitMs(hc: HostConfig): number | undefined {
  const u = (hc.Ulimits as { Name: string; Soft: number; Hard: number }[] | null | undefined)?.find((x) => x.Name === 'cpu');
  if (!u) return undefined;
  const seconds = Math.min(u.Soft > 0 ? u.Soft : Infinity, u.Hard > 0 ? u.Hard : Infinity);
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

/** The module path argv[0] names: absolute, or relative to the working directory. */
function modulePath(rec: ContainerRecord): string {
  const p = rec.Path;
  if (p.startsWith('/')) return p;
  const wd = (rec.Config.WorkingDir as string | undefined) || '/';
  return `${wd.replace(/\/+$/, '')}/${p}`;
}

export class WasiRuntime implements ContainerRuntime {
  readonly pool: WorkerPool;
  private readonly rootfsCache = new Map<string, Promise<RootfsImage>>();
  private readonly moduleCache = new Map<string, Promise<WebAssembly.Module>>();
  private readonly tasks = new Map<string, WasiTask>();

  constructor(readonly opts: WasiRuntimeOptions) {
    this.pool = new WorkerPool(opts.spawnWorker, SPARE_IDLE_MS, opts.spareEnded);
  }

  get host(): RuntimeHost | undefined { return this.opts.host; }
  private now(): Date { return (this.opts.now ?? (() => new Date()))(); }

  async prepare(): Promise<Pick<ContainerRecord, 'ResolvConfPath' | 'HostnamePath' | 'HostsPath' | 'LogPath'>> {
    return { ResolvConfPath: '', HostnamePath: '', HostsPath: '', LogPath: '' };
  }

  /** The image's root filesystem, built once per image. */
  rootfs(image: ContainerImage): Promise<RootfsImage> {
    const hit = this.rootfsCache.get(image.id);
    if (hit) return hit;
    const built = (async () => rootfsFromLayers(await this.opts.layers(image)))();
    built.catch(() => this.rootfsCache.delete(image.id));
    return remember(this.rootfsCache, image.id, built);
  }

  /** The compiled module at `path`, with its memory capped to `memory` bytes (0: no limit). */
  module(image: ContainerImage, rootfs: RootfsImage, path: string, memory: number): Promise<WebAssembly.Module> {
    const key = `${image.id}\0${path}\0${memory}`;
    const hit = this.moduleCache.get(key);
    if (hit) return hit;
    const compiled = (async () => {
      const bytes = rootfsFile(rootfs, path);
      if (!bytes) throw new BerthError('not_found', `exec: "${path}": stat ${path}: no such file or directory`);
      const capped = memory > 0 ? capMemory(bytes, memory) : bytes;
      let module: WebAssembly.Module;
      try {
        module = await WebAssembly.compile(capped as Uint8Array<ArrayBuffer>);
      } catch (e) {
        throw new BerthError('invalid_argument', `exec ${path}: exec format error: not a valid WebAssembly module (${errorMessage(e)})`);
      }
      for (const imp of WebAssembly.Module.imports(module)) {
        if (imp.module !== 'wasi_snapshot_preview1') {
          throw new BerthError('invalid_argument', `exec ${path}: the module imports ${imp.kind} "${imp.module}.${imp.name}", which berth does not provide: it runs WASI preview 1 commands (imports from "wasi_snapshot_preview1" only)`);
        }
      }
      return module;
    })();
    compiled.catch(() => this.moduleCache.delete(key));
    return remember(this.moduleCache, key, compiled);
  }

  async create(rec: ContainerRecord, image: ContainerImage, stdio: StdioOptions): Promise<ContainerTask> {
    const rootfs = await this.rootfs(image);
    const path = modulePath(rec);
    const module = await this.module(image, rootfs, path, rec.HostConfig.Memory ?? 0);
    const env = containerEnv(rec.Config, rec.Config.Hostname ?? '');
    // WASI preview 1 has no working directory (wasi-libc starts in `/`): the shell's PWD tells the module.
    const wd = rec.Config.WorkingDir as string | undefined;
    if (wd && !env.some((e) => e.startsWith('PWD='))) env.push(`PWD=${wd}`);
    const limit = timeLimitMs(rec.HostConfig);
    const task = new WasiTask({
      spawnWorker: this.pool.take, release: this.pool.give, module, fileBytes: (rec.HostConfig.Memory ?? 0) > 0 ? rec.HostConfig.Memory! : DEFAULT_FILE_BYTES, args: [rec.Path, ...rec.Args], env, rootfs, stdio,
      ...(limit !== undefined ? { timeLimitMs: limit } : {}),
      log: this.opts.logs.writer(rec), now: () => this.now(),
      onEnd: () => { if (this.tasks.get(rec.Id) === task) this.tasks.delete(rec.Id); },
    });
    this.tasks.set(rec.Id, task);
    return task;
  }

  /** The module ran inside the engine that stopped: it ended with it. */
  async reconnect(): Promise<ContainerTask | ExitStatus> {
    return { exitCode: 255, oomKilled: false, finishedAt: this.now().toISOString(), error: 'the engine that ran this wasm module stopped while it ran' };
  }

  async cleanup(rec: ContainerRecord): Promise<void> {
    const task = this.tasks.get(rec.Id);
    this.tasks.delete(rec.Id);
    await task?.kill(9);
  }

  async remove(rec: ContainerRecord): Promise<void> {
    await this.cleanup(rec);
    await this.opts.logs.remove?.(rec);
  }

  readLogs(rec: ContainerRecord, opts: LogReadOptions): AsyncIterable<LogEntry> {
    return this.opts.logs.read(rec, opts);
  }

  /** Ends the spare worker (shutdown). */
  close(): void { this.pool.close(); }

  async statPath(): Promise<PathStat> { throw unsupported('copying files'); }
  async getArchive(): Promise<{ stat: PathStat; tar: ReadableStream<Uint8Array> }> { throw unsupported('copying files'); }
  async putArchive(): Promise<void> { throw unsupported('copying files'); }
  async changes(): Promise<Change[]> { throw unsupported('diff'); }
  async export(): Promise<ReadableStream<Uint8Array>> { throw unsupported('export'); }
  async diffTar(): Promise<ReadableStream<Uint8Array>> { throw unsupported('commit'); }
  async size(): Promise<{ rw: number; rootFs: number }> { return { rw: 0, rootFs: 0 }; }
}
