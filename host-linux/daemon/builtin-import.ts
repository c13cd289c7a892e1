// At start-up, every built-in image that is not in the store yet is imported, so `berth run
// busybox` works offline on a fresh machine.
import type { ImageService } from '../../core/engine/image-service.ts';
import { openBuiltin, type BuiltinImages } from '../../core/engine/builtin-images.ts';
import { choosePlatformImage } from '../../core/engine/platform-image.ts';
import type { Logger } from './log.ts';
import { fullName, parseReference, referenceString, withDefaultTag } from '../../core/reference/reference.ts';

export async function importBuiltinImages(images: ImageService, builtin: BuiltinImages, log: Logger): Promise<string[]> {
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
