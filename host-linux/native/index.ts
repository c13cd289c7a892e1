// Loads berth's native addon (the system calls Node lacks). It is found by walking up from this
// module to a directory holding host-linux/native/build/Release/berth_native.node, which works
// both from the source tree (run with tsx) and from the esbuild bundles in dist/.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError } from '../../core/errors.ts';

export interface NativeAddon {
  /** mknod(2): `mode` holds the file type (S_IFCHR, S_IFBLK, S_IFIFO) and permission bits. */
  mknod(path: string, mode: number, major: number, minor: number): void;
  /** lsetxattr(2); never follows a symlink. */
  lsetxattr(path: string, name: string, value: Uint8Array, flags?: number): void;
  /** lgetxattr(2); throws an error with code ENODATA when the attribute is not set. */
  lgetxattr(path: string, name: string): Buffer;
  /** llistxattr(2): the attribute names. */
  llistxattr(path: string): string[];
  lremovexattr(path: string, name: string): void;
}

export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

const ADDON = join('host-linux', 'native', 'build', 'Release', 'berth_native.node');

/** Where the addon is, or undefined. BERTH_NATIVE_ADDON overrides the search. */
export function findAddon(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  const override = process.env['BERTH_NATIVE_ADDON'];
  if (override) return existsSync(override) ? override : undefined;
  const local = join(from, 'build', 'Release', 'berth_native.node');
  if (existsSync(local)) return local;
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, ADDON);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

let loaded: NativeAddon | undefined;

/** The addon, loaded on first use; a clear error when it was never built. */
export function native(): NativeAddon {
  if (loaded) return loaded;
  const path = findAddon();
  if (!path) {
    throw new BerthError('unavailable', "berth's native addon is not built: run npm run build:native (needs build-essential and python3)");
  }
  try {
    loaded = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (e) {
    throw new BerthError('unavailable', `berth's native addon at ${path} cannot be loaded (${e instanceof Error ? e.message : String(e)}): rebuild it with npm run build:native`, { cause: e });
  }
  return loaded;
}

/** lgetxattr that answers undefined for an attribute that is not set. */
export function getXattr(path: string, name: string): Buffer | undefined {
  try {
    return native().lgetxattr(path, name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENODATA') return undefined;
    throw e;
  }
}
