// `docker build` in the browser engine: the uploaded context held in memory, image file systems
// (COPY --from, COPY's destination, --chown names) read from the layer blobs in the content store, and
// RUN in the guest like any container, ADD <url> through the worker's fetch. The host has no directories to give the builder, so RUN's cache
// and bind mounts and #! heredoc scripts get core's "not supported on this host".
import type { EngineBuilds } from '../../core/engine/engine.ts';
import type { ImageService } from '../../core/engine/image-service.ts';
import type { BuildHost, RootfsView } from '../../core/build/build-host.ts';
import type { Descriptor } from '../../core/image/types.ts';
import { MemoryBuildContext } from '../../core/build/context/build-context.ts';
import { LayeredContext } from '../../core/build/context/layered-context.ts';
import { LINUX_386 } from '../../core/image/platform.ts';

/** Views kept for the next steps: a build opens its stage's file system at each COPY and WORKDIR. */
const KEPT_VIEWS = 4;

export function browserBuilds(images: ImageService): EngineBuilds {
  return {
    host: browserBuildHost(images),
    contexts: {
      async receive(tar) {
        const context = await MemoryBuildContext.fromTar(tar);
        // Nothing to free but memory, which goes with the last reference.
        return Object.assign(context, { close: async () => {} });
      },
    },
    platform: LINUX_386,
  };
}

export function browserBuildHost(images: ImageService): BuildHost {
  // Views by their diffIDs (a chain, bottom first), newest last. A view never changes, so one is shared
  // by every step that asks for it, and a step's image is its parent's view with one layer more.
  const views = new Map<string, Promise<LayeredContext>>();

  const open = (diffIDs: readonly string[], layers: readonly Descriptor[]): Promise<LayeredContext> => {
    const key = diffIDs.join(',');
    let view = views.get(key);
    if (view) {
      views.delete(key);
    } else {
      const { blobs, codecs } = images.opts;
      let base = 0;
      for (let n = diffIDs.length - 1; n > 0 && !base; n--) if (views.has(diffIDs.slice(0, n).join(','))) base = n;
      const below = base ? views.get(diffIDs.slice(0, base).join(','))! : Promise.resolve(LayeredContext.empty());
      view = below.then((ctx) => LayeredContext.fromBlobs(blobs, codecs, layers.slice(base), ctx));
      view.catch(() => views.delete(key));
    }
    views.set(key, view);
    while (views.size > KEPT_VIEWS) views.delete(views.keys().next().value!);
    return view;
  };

  return {
    async openRootfs(diffIDs, layers): Promise<RootfsView> {
      return { context: await open(diffIDs, layers), close: async () => {} };
    },
    // ADD <url>: the worker's fetch, so the server must allow the page's origin (CORS) unless it is the page's own.
    fetch: images.opts.fetch,
  };
}
