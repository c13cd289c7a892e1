// At start-up, every built-in image that is not in the store yet is imported, so `berth run
// busybox` works offline on a fresh machine.
// Both hosts do it: berthd as it starts, the browser engine as its worker starts.
import type { ImageService } from './image-service.ts';
import { openBuiltin, type BuiltinImages } from './builtin-images.ts';
import { choosePlatformImage } from './platform-image.ts';
import { fullName, parseReference, referenceString, withDefaultTag } from '../reference/reference.ts';

/** The host's logger (berthd's dockerd-style one, the browser engine's console). */
export interface ImportLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string): void;
}

export async function importBuiltinImages(images: ImageService, builtin: BuiltinImages, log: ImportLog): Promise<string[]> {
  const imported: string[] = [];
  const o = images.opts;
  for (const { ref, descriptor } of await builtin.list()) {
    try {
      try { await images.store.resolve(ref); continue; } catch { /* not there yet */ }
      const src = await choosePlatformImage(o.hostPlatform, await openBuiltin(builtin, descriptor, o));
      const parsed = withDefaultTag(parseReference(ref));
      await images.storeSource(src, { repoTags: [referenceString(parsed)], repoDigests: [`${fullName(parsed)}@${descriptor.digest}`] });
      imported.push(ref);
      log.info('imported built-in image', { image: ref });
    } catch (e) {
      log.warn(`could not import built-in image ${ref}: ${(e as Error).message}`);
    }
  }
  return imported;
}
