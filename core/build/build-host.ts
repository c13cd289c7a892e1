// What a host gives the builder beyond the engine's services: read-only views of image file systems
// (COPY --from, the destination's existing paths, --chown names), host paths for RUN's bind and cache
// mounts, and downloads for ADD <url>. On Linux these are overlay mounts and directories under the
// data root; a host without them builds only what needs none.
import type { Fetch } from '../host.ts';
import type { Descriptor } from '../image/types.ts';
import type { BuildContext } from './context/build-context.ts';

/** An image's files, stacked, read-only; closed when the step that needed it is done. */
export interface RootfsView {
  context: BuildContext;
  /** The directory on the host that holds the view (RUN --mount=type=bind,from=...). */
  hostPath?: string;
  close(): Promise<void>;
}

export interface BuildHost {
  /**
   * The file system of an image with these layers (bottom first; `layers` are their descriptors in the
   * content store, for a host that reads the blobs); none: an empty one.
   */
  openRootfs(diffIDs: readonly string[], layers: readonly Descriptor[]): Promise<RootfsView>;
  /** The context's path on the host (RUN --mount=type=bind), when the context is a host directory. */
  contextHostPath?(context: BuildContext, path: string): string | undefined;
  /** The persistent directory of a RUN --mount=type=cache id, held (not pruned) until `release`. */
  cacheDirectory?(id: string): Promise<{ path: string; release(): void }>;
  /** `docker builder prune`: removes the cache mounts no RUN holds; what went and the bytes freed. */
  pruneCache?(): Promise<{ ids: string[]; reclaimed: number }>;
  /** A host file with this content that lives until `release` (RUN heredoc scripts with a #! line). */
  scriptFile?(data: string): Promise<{ path: string; release(): Promise<void> }>;
  fetch?: Fetch;
}
