// The composition seam for the browser's container runtimes: the v86 guest runs linux/386 images
// (host-browser/runtime/guest-runtime.ts), the WASI runtime wasi/wasm ones (core/wasi). The engine
// has one ContainerRuntime; this one hands each container to the runtime for its image's platform,
// and answers with a clear error when that runtime is not there (not built, not loaded yet).
import type {
  ContainerImage, ContainerRuntime, ContainerTask, ExitStatus, LogEntry, RuntimeHost,
} from '../../core/engine/containers/runtime.ts';
import type { ContainerRecord } from '../../core/engine/containers/types.ts';
import { BerthError } from '../../core/errors.ts';
import { isWasiPlatform } from '../../core/wasi/runtime.ts';

export interface BrowserRuntimes {
  /** Linux containers in the v86 guest. */
  linux?: ContainerRuntime;
  /** WebAssembly (wasi/wasm) containers. */
  wasi?: ContainerRuntime;
}

export type RuntimeKind = keyof BrowserRuntimes;

/** The guest is a 32-bit x86 machine: these are the Linux images it can run. */
export const GUEST_ARCHITECTURES = ['386'];

/** Which runtime an image's (or a container record's) OS belongs to. */
export function runtimeKind(os: string | undefined): RuntimeKind {
  return isWasiPlatform(os) ? 'wasi' : 'linux';
}

const WHAT: Record<RuntimeKind, string> = {
  linux: 'Linux containers (the v86 guest)',
  wasi: 'WebAssembly containers (the WASI runtime)',
};

function unavailable(kind: RuntimeKind): BerthError {
  return new BerthError('unavailable', `this browser engine cannot run ${WHAT[kind]}: that runtime is not available in this page`);
}

export function platformRuntime(runtimes: BrowserRuntimes): ContainerRuntime {
  const of = (kind: RuntimeKind): ContainerRuntime => {
    const r = runtimes[kind];
    if (!r) throw unavailable(kind);
    return r;
  };
  // The runtime of a container's platform, if this page has it.
  const present = (rec: ContainerRecord): ContainerRuntime | undefined => runtimes[runtimeKind(rec.Platform)];
  const forRecord = (rec: ContainerRecord) => of(runtimeKind(rec.Platform));
  const forImage = (image: ContainerImage) => {
    const kind = runtimeKind(image.config.os);
    const arch = image.config.architecture;
    if (kind === 'linux' && arch && !GUEST_ARCHITECTURES.includes(arch)) {
      throw new BerthError('unsupported',
        `image ${image.id.slice(7, 19)} is for linux/${arch}, but the browser's VM runs linux/386: pull it with --platform linux/386`);
    }
    return of(kind);
  };
  const linux = runtimes.linux;
  const runtime: ContainerRuntime = {
    ...(linux?.host ? { host: linux.host as RuntimeHost } : {}),
    ...(linux?.validateResources ? { validateResources: linux.validateResources.bind(linux) } : {}),
    prepare: async (rec, image) => forImage(image).prepare(rec, image),
    create: async (rec, image, stdio): Promise<ContainerTask> => forImage(image).create(rec, image, stdio),
    async reconnect(rec): Promise<ContainerTask | ExitStatus> {
      const r = present(rec);
      // Nothing of a container outlives its runtime's absence (a page reloaded without it).
      if (!r) return { exitCode: 255, oomKilled: false, finishedAt: new Date().toISOString(), error: unavailable(runtimeKind(rec.Platform)).message };
      return r.reconnect(rec);
    },
    cleanup: async (rec) => { await present(rec)?.cleanup(rec); },
    remove: async (rec) => { await present(rec)?.remove(rec); },
    readLogs(rec, opts): AsyncIterable<LogEntry> {
      const r = present(rec);
      return r ? r.readLogs(rec, opts) : (async function* () { /* no runtime, no logs */ })();
    },
    statPath: async (rec, path) => forRecord(rec).statPath(rec, path),
    getArchive: async (rec, path) => forRecord(rec).getArchive(rec, path),
    putArchive: async (rec, path, tar, opts) => forRecord(rec).putArchive(rec, path, tar, opts),
    changes: async (rec) => forRecord(rec).changes(rec),
    export: async (rec) => forRecord(rec).export(rec),
    diffTar: async (rec) => forRecord(rec).diffTar(rec),
    size: async (rec) => {
      const r = present(rec);
      return r ? r.size(rec) : { rw: 0, rootFs: 0 };
    },
  };
  return runtime;
}
