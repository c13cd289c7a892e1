// The Linux build host: image file systems as read-only overlay mounts of the unpacked layers (one
// layer is its own directory, none an empty one), RUN cache mounts as directories under the data root
// that outlive builds, and heredoc scripts as files beside the uploaded contexts.
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildHost, RootfsView } from '../../core/build/build-host.ts';
import type { BuildContext } from '../../core/build/context/build-context.ts';
import type { Fetch } from '../../core/host.ts';
import { mountOverlay, unmount } from '../mount/overlay.ts';
import { MS_RDONLY } from '../native/index.ts';
import { DirectoryContext } from './context-dir.ts';
import { treeSize } from '../runtime/rootfs-files.ts';

export interface LinuxBuildHostOptions {
  /** Where a layer's unpacked directory is. */
  layerDir: (diffID: string) => string;
  /** `<data-root>/tmp`: mount points and scripts (removed with stale contexts at start-up). */
  tmpDir: string;
  /** `<data-root>/build-cache`: RUN --mount=type=cache directories. */
  cacheDir: string;
  fetch?: Fetch;
}

/** A view over a directory nobody may remove through it. */
class ViewContext extends DirectoryContext {
  override async close(): Promise<void> { /* the owner of the directory removes it */ }
}

export function linuxBuildHost(opts: LinuxBuildHostOptions): BuildHost {
  /** Cache mounts a RUN holds, by directory name: prune leaves them. */
  const held = new Map<string, number>();
  return {
    async openRootfs(diffIDs: readonly string[]): Promise<RootfsView> {
      if (diffIDs.length === 1) {
        const dir = opts.layerDir(diffIDs[0]!);
        return { context: new ViewContext(dir), hostPath: dir, close: async () => {} };
      }
      await mkdir(opts.tmpDir, { recursive: true, mode: 0o700 });
      const dir = await mkdtemp(join(opts.tmpDir, 'rootfs-'));
      if (diffIDs.length === 0) {
        return { context: new ViewContext(dir), hostPath: dir, close: () => rmdir(dir) };
      }
      try {
        mountOverlay([...diffIDs].reverse().map(opts.layerDir), undefined, undefined, dir, { flags: MS_RDONLY });
      } catch (e) {
        await rmdir(dir).catch(() => {});
        throw e;
      }
      return {
        context: new ViewContext(dir),
        hostPath: dir,
        close: async () => {
          unmount(dir);
          await rmdir(dir);
        },
      };
    },

    contextHostPath(context: BuildContext, path: string): string | undefined {
      return context instanceof DirectoryContext && !(context instanceof ViewContext) ? join(context.root, path) : undefined;
    },

    async cacheDirectory(id: string) {
      const name = createHash('sha256').update(id).digest('hex');
      const path = join(opts.cacheDir, name);
      await mkdir(path, { recursive: true, mode: 0o755 });
      held.set(name, (held.get(name) ?? 0) + 1);
      let released = false;
      return {
        path,
        release: () => {
          if (released) return;
          released = true;
          const n = (held.get(name) ?? 1) - 1;
          if (n > 0) held.set(name, n); else held.delete(name);
        },
      };
    },

    async pruneCache() {
      const ids: string[] = [];
      let reclaimed = 0;
      for (const name of await readdir(opts.cacheDir).catch(() => [] as string[])) {
        if (held.has(name)) continue;
        const path = join(opts.cacheDir, name);
        reclaimed += await treeSize(path);
        await rm(path, { recursive: true, force: true });
        ids.push(name);
      }
      return { ids, reclaimed };
    },

    async scriptFile(data: string) {
      await mkdir(opts.tmpDir, { recursive: true, mode: 0o700 });
      const dir = await mkdtemp(join(opts.tmpDir, 'script-'));
      const path = join(dir, 'script');
      await writeFile(path, data);
      await chmod(path, 0o755);
      return { path, release: () => rm(dir, { recursive: true, force: true }) };
    },

    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  };
}

/** What a daemon that stopped mid-build left in `tmpDir`: image views (unmounted first) and scripts. */
export async function removeStaleBuildFiles(tmpDir: string): Promise<void> {
  const names = await readdir(tmpDir).catch(() => [] as string[]);
  for (const name of names) {
    const path = join(tmpDir, name);
    if (name.startsWith('rootfs-')) {
      unmount(path);
      await rmdir(path).catch(() => {});
    } else if (name.startsWith('script-')) {
      await rm(path, { recursive: true, force: true });
    }
  }
}
