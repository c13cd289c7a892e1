// The browser host's services for the engine: storage that persists (OPFS blobs, IndexedDB
// metadata) or lives only as long as the worker (memory), hash-wasm, Compression Streams, the
// worker's fetch and the built-in images served next to the worker.
import { MemoryBlobStore } from '../../core/content/memory-blob-store.ts';
import { MemoryMetadataStore } from '../../core/metadata/memory-kv.ts';
import { OpfsBlobStore } from '../storage/opfs-blob-store.ts';
import { names, opfsDirectory } from '../storage/opfs.ts';
import { IdbMetadataStore, openDatabase } from '../storage/idb-kv.ts';
import { wasmHashFactory } from './wasm-hash.ts';
import { webCodecs } from './web-codecs.ts';
import { fetchedBuiltinImages } from './fetched-builtin.ts';
import { browserRuntimes } from './browser-runtimes.ts';
import type { SpawnWorker } from '../../core/wasi/protocol.ts';
import { GuestKeeper, type VmStatus } from './guest-boot.ts';
import { registryFetch } from './registry-fetch.ts';
import { METADATA_STORES, type BrowserEngineServices, type EngineMetadata } from './engine.ts';

export interface EngineWorkerOptions {
  /** `opfs` (default): images survive reloads; `memory`: gone with the worker. */
  storage?: 'opfs' | 'memory';
  /** Name of the OPFS directory and the IndexedDB database (default `berth`). */
  name?: string;
  /** URL of the built-in images' OCI layout (ending in `/`); none: no built-in images. */
  builtinImages?: string;
  insecureRegistries?: string[];
  /** Starts a worker for one wasm module (the WASI runtime); none: no WebAssembly containers. */
  spawnWasiWorker?: SpawnWorker;
  /** URLs of the v86 guest's directory, of v86.wasm and of a state to restore first; none: no Linux containers. */
  guest?: { guest: string; wasm: string; state?: string };
  /** Where the guest's boot progress goes (the page's status line). */
  vmStatus?: VmStatus;
}

interface Storage extends Pick<BrowserEngineServices, 'blobs' | 'metadata'> {
  /** Where the guest's saved states go (OPFS only). */
  guestStates?: FileSystemDirectoryHandle;
}

async function storage(o: EngineWorkerOptions, hash: BrowserEngineServices['hash']): Promise<Storage> {
  if (o.storage === 'memory') {
    const metadata = Object.fromEntries(METADATA_STORES.map((k) => [k, new MemoryMetadataStore()])) as unknown as EngineMetadata;
    return { blobs: new MemoryBlobStore(hash), metadata };
  }
  const name = o.name ?? 'berth';
  const [root, guestStates, db] = await Promise.all([opfsDirectory(`${name}/content`), opfsDirectory(`${name}/guest`), openDatabase(name, METADATA_STORES)]);
  const metadata = Object.fromEntries(METADATA_STORES.map((k) => [k, new IdbMetadataStore(db, k)])) as unknown as EngineMetadata;
  return { blobs: await OpfsBlobStore.open(root, hash), metadata, guestStates };
}

export async function engineWorkerServices(o: EngineWorkerOptions): Promise<BrowserEngineServices> {
  const hash = await wasmHashFactory();
  const { blobs, metadata, guestStates } = await storage(o, hash);
  const guest = o.guest && new GuestKeeper({
    ...o.guest, hash, ...(guestStates ? { states: guestStates } : {}), ...(o.vmStatus ? { status: o.vmStatus } : {}),
  });
  // A guest that was saved before (or shipped with the page) restores at once, so the first Linux container
  // need not wait for it; with neither, it boots on the first Linux container only.
  const restore = () => { guest!.vm().catch(() => { /* the first container reports it */ }); };
  if (guest && guestStates && (await names(guestStates)).length) restore();
  else if (guest && o.guest?.state) void globalThis.fetch(o.guest.state, { method: 'HEAD' }).then((r) => { if (r.ok) restore(); }, () => {});
  const fetch = registryFetch(globalThis.fetch.bind(globalThis));
  return {
    blobs, metadata, hash, codecs: webCodecs, fetch,
    runtimes: browserRuntimes({ ...(guest ? { guest } : {}), ...(o.spawnWasiWorker ? { spawnWasiWorker: o.spawnWasiWorker } : {}) }),
    ...(o.builtinImages ? { builtin: fetchedBuiltinImages(o.builtinImages, fetch, hash) } : {}),
    ...(o.insecureRegistries ? { insecureRegistries: o.insecureRegistries } : {}),
  };
}
