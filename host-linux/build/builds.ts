// berthd's part of `POST /build`: contexts received under `<data-root>/tmp` (on disk, not in the exec
// root's RAM), the build host over the snapshotter's layer directories, and what a daemon that stopped
// mid-build left behind removed at start-up.
import { join } from 'node:path';
import type { EngineBuilds } from '../../core/engine/engine.ts';
import type { ImageService } from '../../core/engine/image-service.ts';
import { linuxBuildHost, removeStaleBuildFiles } from './build-host.ts';
import { receiveContext, removeStaleContexts } from './context-receive.ts';

export async function linuxBuilds(dataRoot: string, images: ImageService): Promise<EngineBuilds> {
  const tmpDir = join(dataRoot, 'tmp');
  await removeStaleBuildFiles(tmpDir);
  try { removeStaleContexts(tmpDir); } catch { /* no tmp dir yet */ }
  const o = images.opts;
  return {
    host: linuxBuildHost({
      layerDir: (d) => o.layerDir?.(d) ?? '',
      tmpDir,
      cacheDir: join(dataRoot, 'build-cache'),
      ...(o.fetch ? { fetch: o.fetch } : {}),
    }),
    contexts: { receive: (tar) => receiveContext(tar, tmpDir) },
    platform: o.hostPlatform ?? { os: 'linux', architecture: 'amd64' },
  };
}
