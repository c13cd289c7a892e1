// The container runtimes the engine worker starts with. The v86 guest runtime
// (host-browser/runtime/guest-runtime.ts, linux/386) and the WASI runtime (core/wasi) plug in here
// as they land; until then a container of that platform gets runtimes.ts's clear error.
import type { HashFactory, Codecs } from '../../core/host.ts';
import type { BlobStore } from '../../core/content/blob-store.ts';
import type { BrowserRuntimes } from './runtimes.ts';

/** What a runtime may need from the engine's services (layers come from the content store). */
export interface RuntimeServices {
  blobs: BlobStore;
  hash: HashFactory;
  codecs: Codecs;
}

export async function browserRuntimes(_services: RuntimeServices): Promise<BrowserRuntimes> {
  return {};
}
